/**
 * CORS for /rest/v1 and /auth/v1, as Supabase's API gateway answers it: any origin, the request's
 * headers allowed, the headers supabase-js reads exposed. Edge Functions answer their own
 * preflights (functions/_shared/cors.ts), as on Supabase.
 */

const METHODS = "GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS";
const EXPOSED = "Content-Range, Content-Location, Content-Profile, Preference-Applied, Range-Unit, " +
  "X-Supabase-Api-Version, WWW-Authenticate";
const DEFAULT_ALLOWED = "authorization, x-client-info, apikey, content-type, accept, accept-profile, " +
  "content-profile, prefer, range, x-supabase-api-version, x-retry-count";

/** The origin's part of every CORS answer: the origin itself (credentials allowed) or any. */
function originHeaders(req: Request): Record<string, string> {
  const origin = req.headers.get("origin");
  return origin
    ? { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" }
    : { "access-control-allow-origin": "*" };
}

/** Headers for an actual (non-preflight) response. */
export function corsHeaders(req: Request): Record<string, string> {
  return { ...originHeaders(req), "access-control-expose-headers": EXPOSED };
}

/** The answer to a preflight. */
export function preflight(req: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...originHeaders(req),
      "access-control-allow-methods": METHODS,
      "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? DEFAULT_ALLOWED,
      "access-control-max-age": "3600",
    },
  });
}
