/**
 * Supabase clients for functions, typed with the generated `Database` (types/database.types.ts).
 *
 * The environment Supabase gives every function (SUPABASE_URL, SUPABASE_ANON_KEY,
 * SUPABASE_SERVICE_ROLE_KEY) is read once, when the function's module loads:
 * `export default makeX(readSupabaseEnv())`. A missing variable is kept as a ConfigError, and
 * `requireEnv` (env.ts) turns it into a 500 at the start of every request.
 *
 * - userClient: acts as the caller, their `Authorization` forwarded, so grants and RLS decide; a
 *   request without one is a 401.
 * - serviceClient: the service role, for workers (embed, janitor) only; never to act on a user's
 *   request data unchecked.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../../types/database.types.ts";
import { ConfigError, type EnvSource } from "./env.ts";
import { HttpError } from "./errors.ts";

export type { Database };
/** The typed client: `.rpc()` knows every public function's name, arguments and result. */
export type Client = SupabaseClient<Database>;
type PublicFunctions = Database["public"]["Functions"];
/** The arguments of a public RPC. */
export type RpcArgs<F extends keyof PublicFunctions> = PublicFunctions[F]["Args"];
/** What a public RPC returns. */
export type RpcReturns<F extends keyof PublicFunctions> = PublicFunctions[F]["Returns"];

export interface SupabaseEnv {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
}

/** SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY, or the ConfigError naming what is missing. */
export function readSupabaseEnv(source: EnvSource = Deno.env): SupabaseEnv | ConfigError {
  const url = source.get("SUPABASE_URL");
  const anonKey = source.get("SUPABASE_ANON_KEY");
  const serviceRoleKey = source.get("SUPABASE_SERVICE_ROLE_KEY");
  const missing = [
    !url && "SUPABASE_URL",
    !anonKey && "SUPABASE_ANON_KEY",
    !serviceRoleKey && "SUPABASE_SERVICE_ROLE_KEY",
  ].filter((name): name is string => !!name);
  if (missing.length) return new ConfigError(missing);
  return { url: url!, anonKey: anonKey!, serviceRoleKey: serviceRoleKey! };
}

/** The caller's `Authorization` header, or a 401. */
export function authorization(req: Request): string {
  const value = req.headers.get("Authorization");
  if (!value) throw new HttpError(401, "Missing Authorization header");
  return value;
}

const noSession = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };

/**
 * A client acting as the caller: their `Authorization` (from the request, or given) is sent with
 * every call, so the database sees their JWT. A request without one is a 401.
 */
export function userClient(env: SupabaseEnv, caller: Request | string): Client {
  const auth = typeof caller === "string" ? caller : authorization(caller);
  return createClient<Database>(env.url, env.anonKey, {
    global: { headers: { Authorization: auth } },
    auth: noSession,
  });
}

/** A client with the service role: it passes every grant and policy. Workers only. */
export function serviceClient(env: SupabaseEnv): Client {
  return createClient<Database>(env.url, env.serviceRoleKey, { auth: noSession });
}
