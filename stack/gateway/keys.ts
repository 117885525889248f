/**
 * The local JWT secret and the API keys derived from it. The secret is generated once and kept in
 * the data folder (`<data>/jwt-secret.json`, readable by its owner only), so the anon and
 * service_role keys printed by `npm start` stay the same across restarts and resets. The keys are
 * JWTs shaped like a Supabase project's: `{ iss: "supabase", ref, role, iat, exp }`, ten years long.
 */
import { join } from "node:path";
import { base64url, hmacKey, signJwt } from "./jwt.ts";

export interface Keys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  /** The HMAC key for signing and verifying. */
  key: CryptoKey;
}

interface SecretFile {
  jwt_secret: string;
  issued_at: number;
}

const REF = "parley-local";
const TEN_YEARS = 10 * 365 * 24 * 3600;

/** A fresh random secret: 48 random bytes, base64url (64 characters; Supabase asks for at least 32). */
export function randomSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(48)));
}

/** Loads the secret kept in `dir`, creating it on first use; without `dir`, a throwaway secret. */
export async function loadKeys(dir?: string): Promise<Keys> {
  if (!dir) return await deriveKeys(randomSecret(), Math.floor(Date.now() / 1000));
  const path = join(dir, "jwt-secret.json");
  try {
    const saved = JSON.parse(await Deno.readTextFile(path)) as SecretFile;
    if (typeof saved.jwt_secret !== "string" || saved.jwt_secret.length < 32 || !Number.isInteger(saved.issued_at)) {
      throw new Error(`${path} is damaged: delete it to generate new keys`);
    }
    return await deriveKeys(saved.jwt_secret, saved.issued_at);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const saved: SecretFile = { jwt_secret: randomSecret(), issued_at: Math.floor(Date.now() / 1000) };
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(saved, null, 2) + "\n", { mode: 0o600, createNew: true });
  return await deriveKeys(saved.jwt_secret, saved.issued_at);
}

export async function deriveKeys(jwtSecret: string, issuedAt: number): Promise<Keys> {
  const key = await hmacKey(jwtSecret);
  const apiKey = (role: string) =>
    signJwt({ iss: "supabase", ref: REF, role, iat: issuedAt, exp: issuedAt + TEN_YEARS }, key);
  return { jwtSecret, key, anonKey: await apiKey("anon"), serviceRoleKey: await apiKey("service_role") };
}
