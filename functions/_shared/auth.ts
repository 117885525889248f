/**
 * The caller's role, for the workers only the service role may run (embed, files-janitor). The
 * token's signature is not checked here: the platform checked it before the function ran
 * (`verify_jwt`, supabase/config.toml; the local gateway does the same).
 */
import { decodeJwt } from "jose";

/** The `role` claim of the request's bearer token; null without a token or with a malformed one. */
export function bearerRole(req: Request): string | null {
  const token = /^Bearer\s+(.+)$/i.exec(req.headers.get("Authorization") ?? "")?.[1];
  if (!token) return null;
  try {
    const role = decodeJwt(token).role;
    return typeof role === "string" ? role : null;
  } catch {
    return null;
  }
}
