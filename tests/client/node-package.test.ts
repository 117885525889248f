/**
 * @parley/sync as a Node package: it builds with tsc (client/sync/dist/, ES modules with type
 * declarations), and its Node tests pass: the SQLite adapter over better-sqlite3 (a native module
 * Deno cannot load) and two devices syncing through a stack started here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestStack, testEngines } from "../e2e/_stack.ts";
import { BIN, ROOT } from "../../stack/paths.ts";

async function run(command: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(command, { args, cwd: ROOT, env, stdout: "piped", stderr: "piped" }).output();
  return { ok: out.success, text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name: "node: @parley/sync builds with tsc and passes its Node tests (SQLite over better-sqlite3, a stack round trip)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const build = await run(join(BIN, "tsc"), ["-p", "client/sync/tsconfig.json"]);
    assert.ok(build.ok, `tsc failed:\n${build.text}`);
    const stack = await startTestStack(testEngines()[0]);
    try {
      const tests = await run("node", ["--test", "client/sync/test/"], {
        PARLEY_SYNC_URL: stack.url,
        PARLEY_SYNC_ANON_KEY: stack.anonKey,
      });
      assert.ok(tests.ok, `node --test failed:\n${tests.text}`);
      assert.match(tests.text, /# fail 0/);
      assert.match(tests.text, /# pass 6/, "the five adapter tests and the round trip ran");
    } finally {
      await stack.stop();
    }
  },
});
