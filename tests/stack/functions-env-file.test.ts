/**
 * The Edge Functions' secrets file: `npm start -- --env-file <path>` (as `supabase functions serve
 * --env-file`) gives the functions that file's variables instead of the default files
 * (supabase/functions/.env, then <functions dir>/.env, tested in gateway-functions.test.ts).
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { readConfig } from "../../stack/cli/config.ts";
import { api, startTestStack, testEngines } from "../e2e/_stack.ts";

Deno.test("env file: --env-file is read as a path from the working directory", () => {
  assert.equal(readConfig(["--env-file", "secrets/functions.env"]).envFile, resolve("secrets/functions.env"));
  assert.equal(readConfig([]).envFile, undefined);
});

Deno.test({
  name: `${testEngines()[0]}: env file: the functions get its variables instead of the default files`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "parley-env-file-" });
    try {
      await Deno.mkdir(join(dir, "functions", "secret"), { recursive: true });
      await Deno.writeTextFile(
        join(dir, "functions", "secret", "index.ts"),
        `Deno.serve(() => Response.json({ key: Deno.env.get("OPENAI_API_KEY") ?? null,
          dirOnly: Deno.env.get("DIR_ONLY") ?? null, url: Deno.env.get("SUPABASE_URL") ?? null }));`,
      );
      await Deno.writeTextFile(join(dir, "functions", ".env"), "OPENAI_API_KEY=from-dir\nDIR_ONLY=yes\n");
      const envFile = join(dir, "secrets.env");
      await Deno.writeTextFile(envFile, '# provider\nOPENAI_API_KEY="sk-from-env-file"\n');
      const stack = await startTestStack(testEngines()[0], {
        gateway: { functionsDir: join(dir, "functions"), functionsEnvFile: envFile },
      });
      try {
        const res = await api(stack, "/functions/v1/secret", { token: stack.anonKey });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body, { key: "sk-from-env-file", dirOnly: null, url: stack.url });
      } finally {
        await stack.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
