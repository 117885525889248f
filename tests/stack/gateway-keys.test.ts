/** The gateway's JWTs (HS256, expiry, nbf, the verifier's cache) and the API keys derived from the secret. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  base64url,
  decodeJwt,
  hmacKey,
  type JwtClaims,
  JwtError,
  JwtVerifier,
  signJwt,
  verifyJwt,
} from "../../stack/gateway/jwt.ts";
import { deriveKeys, loadKeys } from "../../stack/gateway/keys.ts";

const problem = (p: string) => (e: unknown) => e instanceof JwtError && e.problem === p;

Deno.test("jwt: HS256 tokens verify; tampering, other keys, alg none, expiry and nbf are refused", async () => {
  const key = await hmacKey("a-secret-of-more-than-thirty-two-characters");
  const now = Math.floor(Date.now() / 1000);
  const token = await signJwt({ sub: "u1", role: "authenticated", exp: now + 60 }, key);
  assert.deepEqual(await verifyJwt(token, key), { sub: "u1", role: "authenticated", exp: now + 60 });

  const [head, body, sig] = token.split(".");
  const forgedBody = base64url(new TextEncoder().encode(JSON.stringify({ sub: "u1", role: "service_role" })));
  await assert.rejects(verifyJwt(`${head}.${forgedBody}.${sig}`, key), problem("signature"));
  await assert.rejects(verifyJwt(token, await hmacKey("another-secret-of-more-than-32-chars!")), problem("signature"));
  const none = base64url(new TextEncoder().encode(JSON.stringify({ alg: "none", typ: "JWT" })));
  await assert.rejects(verifyJwt(`${none}.${body}.`, key), problem("algorithm"));
  const hs512 = base64url(new TextEncoder().encode(JSON.stringify({ alg: "HS512" })));
  await assert.rejects(verifyJwt(`${hs512}.${body}.${sig}`, key), problem("algorithm"));
  for (const bad of ["", "a.b", "a.b.c.d", "!!.!!.!!", `${head}.${body}`]) {
    await assert.rejects(verifyJwt(bad, key), problem("malformed"), bad);
  }
  const expired = await signJwt({ exp: now - 1 }, key);
  await assert.rejects(verifyJwt(expired, key), problem("expired"));
  await assert.rejects(
    verifyJwt(await signJwt({ exp: "never" } as unknown as JwtClaims, key), key),
    problem("expired"),
  );
  await assert.rejects(verifyJwt(await signJwt({ nbf: now + 600 }, key), key), problem("not_yet_valid"));
  assert.equal(decodeJwt(token).sub, "u1");
  // PostgREST's messages, which the gateway's 401s carry
  await assert.rejects(verifyJwt("a.b", key), { message: "Expected 3 parts in JWT; got 2" });
  await assert.rejects(verifyJwt(`${hs512}.${body}.${sig}`, key), {
    message: "Wrong or unsupported encoding algorithm: HS512",
  });
  await assert.rejects(verifyJwt(expired, key), { message: "JWT expired" });
});

Deno.test("jwt: a token is the HS256 signature over {alg, typ} and the claims as given (keys stay the same)", async () => {
  const secret = "a-secret-of-more-than-thirty-two-characters";
  const claims = { iss: "supabase", ref: "parley-local", role: "anon", iat: 1700000000, exp: 2015360000 };
  const encode = (text: string) => base64url(new TextEncoder().encode(text));
  const signingInput = `${encode('{"alg":"HS256","typ":"JWT"}')}.${encode(JSON.stringify(claims))}`;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(signingInput));
  assert.equal(await signJwt(claims, await hmacKey(secret)), `${signingInput}.${base64url(new Uint8Array(mac))}`);
  assert.equal((await deriveKeys(secret, claims.iat)).anonKey, `${signingInput}.${base64url(new Uint8Array(mac))}`);
});

Deno.test("jwt: the verifier's cache never outlives a token's expiry", async () => {
  const key = await hmacKey("a-secret-of-more-than-thirty-two-characters");
  const verifier = new JwtVerifier(key);
  const soon = await signJwt({ exp: Date.now() / 1000 + 1.2 }, key);
  await verifier.verify(soon);
  await verifier.verify(soon);
  await new Promise((r) => setTimeout(r, 1300));
  await assert.rejects(verifier.verify(soon), problem("expired"));
});

Deno.test("keys: a secret is created once and kept; anon and service_role keys derive from it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadKeys(dir);
    const again = await loadKeys(dir);
    assert.equal(again.jwtSecret, first.jwtSecret);
    assert.equal(again.anonKey, first.anonKey);
    assert.ok(first.jwtSecret.length >= 32);
    assert.equal((await Deno.stat(join(dir, "jwt-secret.json"))).mode! & 0o777, 0o600);
    const anon = await verifyJwt(first.anonKey, first.key);
    const service = await verifyJwt(first.serviceRoleKey, first.key);
    assert.equal(anon.role, "anon");
    assert.equal(service.role, "service_role");
    assert.equal(anon.iss, "supabase");
    assert.ok((anon.exp as number) - (anon.iat as number) >= 9 * 365 * 24 * 3600);
    const other = await deriveKeys("another-secret-of-more-than-32-chars!", anon.iat as number);
    assert.notEqual(other.anonKey, first.anonKey);
    assert.notEqual((await loadKeys()).jwtSecret, first.jwtSecret, "without a folder, a throwaway secret");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
