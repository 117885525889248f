/**
 * Supabase clients for functions. The environment is read once, when the module loads; a missing
 * variable is kept as an error so every request answers 500 at once instead of failing later.
 * - userClient: acts as the caller (their Authorization forwarded), so RLS and grants apply.
 * - serviceClient: the service role, for workers only; never with a user's request data unchecked.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { HttpError } from "./errors.ts";

export interface SupabaseEnv {
  url: string;
  anonKey: string;
  serviceRoleKey?: string;
}

/** SUPABASE_URL and SUPABASE_ANON_KEY (and the service key when set), or the error naming what is missing. */
export function readSupabaseEnv(env: { get(name: string): string | undefined } = Deno.env): SupabaseEnv | Error {
  const url = env.get("SUPABASE_URL");
  const anonKey = env.get("SUPABASE_ANON_KEY");
  const missing = [!url && "SUPABASE_URL", !anonKey && "SUPABASE_ANON_KEY"].filter(Boolean);
  if (missing.length) return new Error(`missing environment: ${missing.join(", ")}`);
  const serviceRoleKey = env.get("SUPABASE_SERVICE_ROLE_KEY");
  return { url: url!, anonKey: anonKey!, ...(serviceRoleKey ? { serviceRoleKey } : {}) };
}

/** Throws a 500 when the environment was incomplete (logged once per request, without details to the client). */
export function requireEnv(env: SupabaseEnv | Error): SupabaseEnv {
  if (env instanceof Error) {
    console.error(env.message);
    throw new HttpError(500, "The function is not configured");
  }
  return env;
}

const noSession = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };

export function userClient(env: SupabaseEnv, authorization: string): SupabaseClient {
  return createClient(env.url, env.anonKey, {
    global: { headers: { Authorization: authorization } },
    auth: noSession,
  });
}

export function serviceClient(env: SupabaseEnv): SupabaseClient {
  if (!env.serviceRoleKey) throw new HttpError(500, "The function is not configured");
  return createClient(env.url, env.serviceRoleKey, { auth: noSession });
}
