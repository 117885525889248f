/** supabase/config.toml (read with smol-toml) and the settings the gateway takes from it. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { readSupabaseConfig, supabaseConfigFrom } from "../../stack/cli/config.ts";
import { ROOT } from "../../stack/paths.ts";

Deno.test("config: a config.toml with inline tables, arrays of tables and dates is read; errors name file and line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "config.toml");
    // shaped like a real project's config.toml (Supabase CLI settings the gateway does not read included)
    await Deno.writeTextFile(
      path,
      `project_id = "real"

[api]
schemas = ["public", "graphql_public"]
tls = { enabled = false, cert_path = "" }

[auth]
jwt_expiry = 7200
site_url = "http://127.0.0.1:3000"
additional_redirect_urls = ["https://127.0.0.1:3000"]
sms.test_otp = { 4152127777 = "123456" }

[auth.email]
enable_signup = false
template.invite = { subject = "Join us", content_path = "./supabase/templates/invite.html" }

[auth.hook.custom_access_token]
enabled = false
uri = "pg-functions://postgres/public/custom_access_token_hook"

[[storage.buckets.images.transformations]]
width = 200

[[storage.buckets.images.transformations]]
width = 400

[functions.hello]
verify_jwt = false
static_files = ["./functions/hello/*.html"]

[experimental]
since = 2026-01-01
`,
    );
    const config = await readSupabaseConfig(path);
    assert.deepEqual(config.api.schemas, ["public", "graphql_public"]);
    assert.equal(config.auth.jwtExpiry, 7200);
    assert.equal(config.auth.emailSignup, false);
    assert.deepEqual(config.functions, { hello: { verifyJwt: false } });

    await Deno.writeTextFile(path, `[auth]\njwt_expiry = 3600\njwt_expiry = 60\n`);
    await assert.rejects(readSupabaseConfig(path), (e: Error) => e.message.startsWith(`${path}:3:`));
    await Deno.writeTextFile(path, `[api]\nschemas = { public = true }\n`);
    await assert.rejects(readSupabaseConfig(path), /api\.schemas must be an array of strings/);
    await Deno.writeTextFile(path, `functions = [1]\n`);
    await assert.rejects(readSupabaseConfig(path), /\[functions\] must be a table/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
