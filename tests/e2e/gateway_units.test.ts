/**
 * The gateway's pieces that need no database: JWTs, keys, the TOML reader and supabase/config.toml,
 * literal quoting, and PostgREST's SQLSTATE → HTTP status table.
 */
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
import { literal, quoteIdent } from "../../stack/gateway/executor.ts";
import { statusForSqlState } from "../../stack/gateway/errors.ts";
import { parseToml } from "../../stack/toml.ts";
import { readSupabaseConfig, supabaseConfigFrom } from "../../stack/config.ts";
import { ROOT } from "../../stack/paths.ts";

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

Deno.test("literal quoting: no value can end its quote", () => {
  for (const value of ["plain", "it's", "$v$", "$v$ $v0$ $v1$", "\\", "'; drop table x; --"]) {
    const quoted = literal(value);
    const tag = /^\$v\d*\$/.exec(quoted)![0];
    assert.ok(quoted.endsWith(tag));
    assert.equal(quoted.slice(tag.length, -tag.length), value);
    assert.ok(!value.includes(tag));
  }
  assert.equal(quoteIdent('we"ird'), '"we""ird"');
});

Deno.test("PostgREST's status for each SQLSTATE", () => {
  const cases: [string, boolean, number][] = [
    ["42501", false, 401],
    ["42501", true, 403],
    ["P0001", true, 400],
    ["23505", true, 409],
    ["23503", true, 409],
    ["23514", true, 400],
    ["22023", true, 400],
    ["22P02", true, 400],
    ["PT404", true, 404],
    ["PT418", true, 418],
    ["PT999", true, 500],
    ["42883", true, 404],
    ["25006", true, 405],
    ["57014", true, 504],
    ["53300", true, 503],
    ["40001", true, 500],
    ["P0002", true, 500],
    ["XX000", true, 500],
  ];
  for (const [code, authed, status] of cases) assert.equal(statusForSqlState(code, authed), status, code);
});

Deno.test("toml: the subset config.toml uses, and clear errors for the rest", () => {
  const toml = parseToml(`
# comment
title = "a \\"quoted\\" \\u00e9 string" # trailing
literal = 'C:\\path'
n = 1_000
neg = -3
f = 2.5
yes = true
list = [
  "a",
  'b', # inside
]
[outer.inner]
key = "v"
[functions."my-fn"]
verify_jwt = false
`);
  assert.deepEqual(toml, {
    title: 'a "quoted" é string',
    literal: "C:\\path",
    n: 1000,
    neg: -3,
    f: 2.5,
    yes: true,
    list: ["a", "b"],
    outer: { inner: { key: "v" } },
    functions: { "my-fn": { verify_jwt: false } },
  });
  assert.throws(() => parseToml("a = { b = 1 }"), /line 1: inline tables are not supported/);
  assert.throws(() => parseToml("a = 1\na = 2"), /line 2: duplicate key "a"/);
  assert.throws(() => parseToml('a = "open'), /unterminated string/);
  assert.throws(() => parseToml("[[tables]]"), /arrays of tables/);
  assert.throws(() => parseToml("a = 1979-05-27"), /unsupported value/);
});

Deno.test("config: supabase/config.toml's [api], [auth] and [functions.*] as the gateway reads them", async () => {
  const config = await readSupabaseConfig(join(ROOT, "supabase", "config.toml"));
  assert.deepEqual(config.api, { schemas: ["public"], extraSearchPath: ["public", "extensions"], maxRows: 1000 });
  assert.equal(config.auth.jwtExpiry, 3600);
  assert.equal(config.auth.minimumPasswordLength, 8);
  assert.equal(config.auth.enableSignup, true);
  assert.equal(config.auth.refreshTokenReuseInterval, 10);
  assert.deepEqual(config.functions.whoami, {
    verifyJwt: true,
    entrypoint: join(ROOT, "functions", "whoami", "index.ts"),
  });

  const custom = supabaseConfigFrom(
    parseToml(`[auth]\nenable_signup = false\n[functions.open]\nverify_jwt = false\n[functions.default]\n`),
    "/base/supabase",
  );
  assert.equal(custom.auth.enableSignup, false);
  assert.equal(custom.auth.jwtExpiry, 3600, "defaults fill what is not set");
  assert.deepEqual(custom.functions, { open: { verifyJwt: false }, default: { verifyJwt: true } });
  assert.throws(() => supabaseConfigFrom(parseToml(`[auth]\njwt_expiry = "1h"`), "/"), /auth\.jwt_expiry must be/);
  const missing = await readSupabaseConfig("/nonexistent/config.toml");
  assert.equal(missing.auth.jwtExpiry, 3600);
});
