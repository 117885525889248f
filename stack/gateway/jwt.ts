/**
 * JSON Web Tokens, HS256 only (what Supabase's legacy JWT secret signs), with `jose`. Verification
 * refuses every other algorithm (`none` included), checks the signature, then `exp` and `nbf`; its
 * failures carry PostgREST's messages, sorted into the problems the gateway answers differently
 * (expired or not yet valid: PGRST303; anything else: PGRST301).
 */
import {
  base64url as joseBase64url,
  decodeJwt as joseDecodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  SignJWT,
} from "jose";

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

export function base64url(bytes: Uint8Array): string {
  return joseBase64url.encode(bytes);
}

/** The HMAC key for a secret; import once and reuse. */
export function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

/** `{ "alg": "HS256", "typ": "JWT" }` over the claims as given. */
export async function signJwt(claims: JwtClaims, key: CryptoKey): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
}

/** The claims of a valid token, or a JwtError saying what is wrong with it. */
export async function verifyJwt(token: string, key: CryptoKey, nowSeconds = Date.now() / 1000): Promise<JwtClaims> {
  const parts = token.split(".").length;
  if (parts !== 3) throw new JwtError("malformed", `Expected 3 parts in JWT; got ${parts}`);
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      currentDate: new Date(nowSeconds * 1000),
    });
    return payload as JwtClaims;
  } catch (e) {
    throw problemOf(e, token);
  }
}

function problemOf(e: unknown, token: string): Error {
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return new JwtError("signature", "JWSError JWSInvalidSignature");
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch { /* reported as undefined */ }
    return new JwtError("algorithm", `Wrong or unsupported encoding algorithm: ${String(alg)}`);
  }
  // an exp or nbf that is not a number fails its check too
  const claim = e instanceof errors.JWTExpired || e instanceof errors.JWTClaimValidationFailed ? e.claim : null;
  if (claim === "exp") return new JwtError("expired", "JWT expired");
  if (claim === "nbf") {
    return new JwtError("not_yet_valid", "JWT not yet valid");
  }
  if (e instanceof errors.JOSEError) return new JwtError("malformed", "JWT cannot be decoded");
  return e as Error;
}

/** The claims of a token without verifying it (for tests and logs only). */
export function decodeJwt(token: string): JwtClaims {
  return joseDecodeJwt(token) as JwtClaims;
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
