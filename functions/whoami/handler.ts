/**
 * whoami: the caller's profile, read through the `get_my_profile` RPC as the caller (their
 * Authorization forwarded), so the database decides who they are. Proves the functions path end to
 * end: gateway → function → gateway → Postgres with the caller's JWT.
 *
 * GET or POST, `Authorization: Bearer <access token>`. 200 `{ profile }`; 401 without a signed-in
 * user (no header, or the anon key); 404 when the user has no profile.
 */
import { preflight } from "../_shared/cors.ts";
import { errorResponse, HttpError, json } from "../_shared/errors.ts";
import { readSupabaseEnv, requireEnv, type SupabaseEnv, userClient } from "../_shared/supabase.ts";

export function makeWhoami(env: SupabaseEnv | Error) {
  return {
    async fetch(req: Request): Promise<Response> {
      const cors = preflight(req);
      if (cors) return cors;
      try {
        const config = requireEnv(env);
        if (req.method !== "GET" && req.method !== "POST") throw new HttpError(405, "Use GET or POST");
        const authorization = req.headers.get("Authorization");
        if (!authorization) throw new HttpError(401, "Missing Authorization header");
        const { data, error, status } = await userClient(config, authorization).rpc("get_my_profile");
        if (error) {
          if (status === 401 || status === 403) throw new HttpError(401, "Sign in first", error.code);
          if (status === 404) throw new HttpError(404, error.message, error.code);
          throw new Error(`get_my_profile: ${status} ${error.code} ${error.message}`);
        }
        return json(200, { profile: data });
      } catch (e) {
        return errorResponse(e);
      }
    },
  };
}

export default makeWhoami(readSupabaseEnv());
