/**
 * The engines: PGlite's data survives a restart and a reset starts clean, one stack per data folder,
 * a port in use is reported at once, and a missing Postgres server says what to install.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startEngine } from "../../stack/db/engine.ts";
import { BIN, freePort, ROOT } from "../../stack/paths.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "pglite: data survives a restart; reset starts clean",
  ...slow,
  async fn() {
    const dataDir = join(await Deno.makeTempDir(), "pglite");
    const port = freePort();
    try {
      let engine = await startEngine("pglite", { dataDir, port });
      assert.equal(engine.fresh, true);
      await engine.db.exec("create table public.kept (note text); insert into public.kept values ('still here')");
      await engine.stop();

      engine = await startEngine("pglite", { dataDir, port });
      assert.equal(engine.fresh, false);
      assert.deepEqual(await engine.db.query("select note from public.kept"), [{ note: "still here" }]);
      await engine.stop();

      engine = await startEngine("pglite", { dataDir, port, reset: true });
      assert.equal(engine.fresh, true);
      assert.deepEqual(await engine.db.query("select to_regclass('public.kept') as kept"), [{ kept: null }]);
      await engine.stop();
    } finally {
      await Deno.remove(join(dataDir, ".."), { recursive: true });
    }
  },
});

Deno.test({
  name: "pglite: a second stack on the same data folder is refused and leaves the first one's data alone",
  ...slow,
  async fn() {
    // a data folder in a parent that does not exist yet, as on a fresh clone
    const dataDir = join(await Deno.makeTempDir(), "data", "pglite");
    const first = await startEngine("pglite", { dataDir, port: freePort() });
    try {
      await first.db.exec("create table public.mine (note text); insert into public.mine values ('first')");
      const second = await startEngine("pglite", { dataDir, port: freePort(), reset: true }).then(
        (e) => e,
        (e: Error) => e,
      );
      assert.ok(second instanceof Error, "the second start must fail");
      assert.match(second.message, /another Parley stack \(pid \d+\) is using this data folder/);
      assert.deepEqual(await first.db.query("select note from public.mine"), [{ note: "first" }]);
    } finally {
      await first.stop();
      await Deno.remove(join(dataDir, "..", ".."), { recursive: true });
    }
  },
});

Deno.test("a database port in use is reported at once, before anything starts", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const error = await startEngine("pglite", { port }).then(() => null, (e: Error) => e);
    assert.ok(error);
    assert.match(error.message, new RegExp(`port ${port} is in use`));
  } finally {
    listener.close();
  }
});

Deno.test("--engine native without a Postgres server says what to install", async () => {
  const result = await new Deno.Command(join(BIN, "deno"), {
    args: ["run", "-A", "stack/cli/main.ts", "--engine", "native", "--no-serve"],
    cwd: ROOT,
    env: { PG_BIN: "/nonexistent/postgresql/bin", DATABASE_URL: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 1);
  assert.match(stderr, /no PostgreSQL 15\+ server found/);
  assert.match(stderr, /scripts\/install-postgres\.sh/);
});
