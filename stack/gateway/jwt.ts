/**
 * JSON Web Tokens, HS256 only (what Supabase's legacy JWT secret signs), with WebCrypto. Verification
 * refuses every other algorithm (`none` included), checks the signature in constant time (WebCrypto's
 * verify), then `exp` and `nbf`.
 */

export type JwtClaims = Record<string, unknown> & {
  sub?: string;
  role?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  session_id?: string;
};

export type JwtProblem = "malformed" | "algorithm" | "signature" | "expired" | "not_yet_valid";

export class JwtError extends Error {
  constructor(readonly problem: JwtProblem, message: string) {
    super(message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error("not base64url");
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The HMAC key for a secret; import once and reuse. */
export function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

export async function signJwt(claims: JwtClaims, key: CryptoKey): Promise<string> {
  const head = base64url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = base64url(encoder.encode(JSON.stringify(claims)));
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(`${head}.${body}`));
  return `${head}.${body}.${base64url(new Uint8Array(signature))}`;
}

/** The claims of a valid token, or a JwtError saying what is wrong with it. */
export async function verifyJwt(token: string, key: CryptoKey, nowSeconds = Date.now() / 1000): Promise<JwtClaims> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtError("malformed", `Expected 3 parts in JWT; got ${parts.length}`);
  const [head, body, sig] = parts;
  let header: unknown, claims: unknown, signature: Uint8Array;
  try {
    header = JSON.parse(decoder.decode(fromBase64url(head)));
    claims = JSON.parse(decoder.decode(fromBase64url(body)));
    signature = fromBase64url(sig);
  } catch {
    throw new JwtError("malformed", "JWT cannot be decoded");
  }
  if (!isObject(header) || !isObject(claims)) throw new JwtError("malformed", "JWT cannot be decoded");
  if (header.alg !== "HS256") {
    throw new JwtError("algorithm", `Wrong or unsupported encoding algorithm: ${String(header.alg)}`);
  }
  const ok = await crypto.subtle.verify("HMAC", key, signature as BufferSource, encoder.encode(`${head}.${body}`));
  if (!ok) throw new JwtError("signature", "JWSError JWSInvalidSignature");
  const c = claims as JwtClaims;
  if (c.exp !== undefined && (typeof c.exp !== "number" || nowSeconds >= c.exp)) {
    throw new JwtError("expired", "JWT expired");
  }
  if (c.nbf !== undefined && (typeof c.nbf !== "number" || nowSeconds < c.nbf)) {
    throw new JwtError("not_yet_valid", "JWT not yet valid");
  }
  return c;
}

/** The claims of a token without verifying it (for tests and logs only). */
export function decodeJwt(token: string): JwtClaims {
  return JSON.parse(decoder.decode(fromBase64url(token.split(".")[1] ?? "")));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Verified tokens, remembered until they expire so a client's every request does not pay for an
 * HMAC. Bounded: when full, it starts over.
 */
export class JwtVerifier {
  private cache = new Map<string, JwtClaims>();
  constructor(readonly key: CryptoKey, readonly maxEntries = 10_000) {}

  async verify(token: string): Promise<JwtClaims> {
    const now = Date.now() / 1000;
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.exp === undefined || now < cached.exp) return cached;
      this.cache.delete(token);
      throw new JwtError("expired", "JWT expired");
    }
    const claims = await verifyJwt(token, this.key, now);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    // only tokens already valid are remembered; nbf in the future was refused above
    this.cache.set(token, Object.freeze(claims));
    return claims;
  }
}
