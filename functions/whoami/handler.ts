/**
 * whoami: the caller's profile, read through the `get_my_profile` RPC as the caller (their
 * Authorization forwarded), so the database decides who they are. Proves the functions path end to
 * end: gateway → function → gateway → Postgres with the caller's JWT. The example of a thin
 * function: the environment read once, the shared frame (`endpoint`), a typed user client, and
 * PostgREST errors answered through the one mapping (`unwrap`).
 *
 * GET or POST, `Authorization: Bearer <access token>`. 200 `{ profile }`; 401 without a signed-in
 * user (no header, or the anon key); 404 when the user has no profile.
 */
import { type ConfigError, requireEnv } from "../_shared/env.ts";
import { endpoint, json } from "../_shared/errors.ts";
import { unwrap } from "../_shared/postgrest.ts";
import { readSupabaseEnv, type SupabaseEnv, userClient } from "../_shared/supabase.ts";

export function makeWhoami(env: SupabaseEnv | ConfigError) {
  return {
    fetch: endpoint(async (req) => {
      const supabase = userClient(requireEnv(env), req);
      const profile = unwrap(await supabase.rpc("get_my_profile"), "rpc get_my_profile");
      return json(200, { profile });
    }, { methods: ["GET", "POST"] }),
  };
}

export default makeWhoami(readSupabaseEnv());
