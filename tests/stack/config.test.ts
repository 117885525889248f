/** The stack's configuration: the TOML reader and supabase/config.toml's settings as the gateway reads them. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseToml } from "../../stack/toml.ts";
import { readSupabaseConfig, supabaseConfigFrom } from "../../stack/cli/config.ts";
import { ROOT } from "../../stack/paths.ts";

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
