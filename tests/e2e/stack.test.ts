/**
 * The local stack itself: SQL splitting, the pgTAP runner's verdicts, migration failures reported
 * with file and line (and rolled back), persistence across restarts, and clear engine errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { splitSql } from "../../stack/sql-split.ts";
import { runPgtapFile } from "../../stack/pgtap.ts";
import { applySqlFile, prepareDatabase } from "../../stack/database.ts";
import { migrateUp, MigrationError } from "../../stack/supabase-cli.ts";
import { schemaViolations } from "../../stack/checks.ts";
import { startEngine, testEngines } from "../../stack/engines/index.ts";
import { BIN, freePort, ROOT, TEST_HELPERS } from "../../stack/paths.ts";

const engines = testEngines();
const slow = { sanitizeOps: false, sanitizeResources: false };

Deno.test("splitSql keeps strings, dollar quotes and comments whole and reports lines", () => {
  const sql = [
    "-- a comment; not a statement",
    "select 'a;b', e'it\\'s;', \"odd;name\";",
    "",
    "create function f() returns int language sql as $body$ select 1; $body$;",
    "/* block; /* nested; */ still comment */ select $$x;y$$;",
    "\\set ON_ERROR_STOP 1",
    "select 3",
  ].join("\n");
  const statements = splitSql(sql);
  assert.deepEqual(statements.map((s) => s.line), [2, 4, 5, 7]);
  assert.equal(statements[0].text, "select 'a;b', e'it\\'s;', \"odd;name\"");
  assert.match(statements[1].text, /\$body\$ select 1; \$body\$$/);
  assert.match(statements[2].text, /select \$\$x;y\$\$$/);
  assert.equal(statements[3].text, "select 3");
});

Deno.test({
  name: "the pgTAP runner counts failures, plan mismatches and crashes (a crash is a failure with file:line)",
  ...slow,
  async fn() {
    const engine = await startEngine("pglite", { port: freePort() });
    const dir = await Deno.makeTempDir();
    try {
      await prepareDatabase(engine);
      await applySqlFile(engine.db, TEST_HELPERS);
      const write = async (name: string, body: string) => {
        const path = join(dir, name);
        await Deno.writeTextFile(path, body);
        return path;
      };
      const good = await runPgtapFile(
        engine.db,
        await write(
          "good.sql",
          "begin;\nselect plan(2);\nselect ok(true, 'a');\nselect is(1, 1, 'b');\nselect * from finish();\nrollback;\n",
        ),
      );
      assert.deepEqual([good.passed, good.failed, good.planned], [2, 0, 2]);

      const failing = await runPgtapFile(
        engine.db,
        await write(
          "failing.sql",
          "begin;\nselect plan(2);\nselect is(1, 2, 'one is two');\nselect ok(true);\nrollback;\n",
        ),
      );
      assert.equal(failing.failed, 1);
      assert.match(failing.failures[0], /not ok 1 - one is two/);
      assert.match(failing.failures[0], /have: 1/);

      const short = await runPgtapFile(
        engine.db,
        await write("short.sql", "begin;\nselect plan(3);\nselect ok(true);\nrollback;\n"),
      );
      assert.equal(short.failed, 1);
      assert.match(short.failures[0], /planned 3 tests but ran 1/);

      const crash = await runPgtapFile(
        engine.db,
        await write(
          "crash.sql",
          "begin;\nselect plan(2);\nselect ok(true);\n\nselect * from no_such_table;\nselect ok(true);\nrollback;\n",
        ),
      );
      assert.equal(crash.passed, 1);
      assert.equal(crash.failed, 1);
      assert.match(
        crash.failures[0],
        /crash\.sql:5: ERROR: relation "no_such_table" does not exist \(SQLSTATE 42P01\)/,
      );

      // the crash was rolled back: the session works and is not left in a failed transaction
      assert.deepEqual(await engine.db.query("select 1 as one"), [{ one: 1 }]);
    } finally {
      await engine.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the schema check passes the migrated schema and names each kind of violation",
  ...slow,
  async fn() {
    const engine = await startEngine("pglite", { port: freePort() });
    try {
      await prepareDatabase(engine);
      assert.deepEqual(await schemaViolations(engine.db), [], "the project's own schema");
      await engine.db.exec(`
        create table public.open_table (id int);
        create function public.definer_without_path() returns int language sql security definer as 'select 1';
        comment on function public.definer_without_path() is 'documented';
        revoke execute on function public.definer_without_path() from anon, authenticated, service_role;
        create function public.open_to_anon() returns int language sql as 'select 1';
        grant execute on function public.open_to_anon() to anon;
        comment on function public.open_to_anon() is 'documented';
        create function public.undocumented() returns int language sql as 'select 1';
        grant execute on function public.undocumented() to authenticated;
      `);
      assert.deepEqual((await schemaViolations(engine.db)).sort(), [
        "RPC public.undocumented() has no comment (document it with comment on function)",
        "anon can execute public.open_to_anon(), which is not a deliberately public RPC",
        "security definer function definer_without_path() has no fixed search_path",
        "table public.open_table has row level security disabled",
      ]);
    } finally {
      await engine.stop();
    }
  },
});

for (const kind of engines) {
  Deno.test({
    name: `${kind}: a broken migration stops with file, line and error, and changes nothing`,
    ...slow,
    async fn() {
      const workdir = await Deno.makeTempDir();
      const engine = await startEngine(kind, { port: freePort() });
      try {
        await Deno.mkdir(join(workdir, "supabase", "migrations"), { recursive: true });
        await Deno.writeTextFile(join(workdir, "supabase", "config.toml"), 'project_id = "broken"\n');
        await Deno.writeTextFile(
          join(workdir, "supabase", "migrations", "20260101000000_good.sql"),
          "create table public.good (id int primary key);\n",
        );
        await Deno.writeTextFile(
          join(workdir, "supabase", "migrations", "20260102000000_broken.sql"),
          "create table public.half (id int);\n\ninsert into public.half values (1);\n-- the next statement fails\nselect missing_column from public.half;\n",
        );
        const error = await migrateUp(engine.url, workdir).then(() => null, (e) => e);
        assert.ok(error instanceof MigrationError, `expected a MigrationError, got ${error}`);
        assert.equal(error.file, "20260102000000_broken.sql");
        assert.equal(error.line, 5);
        assert.match(
          error.message,
          /supabase\/migrations\/20260102000000_broken\.sql:5: ERROR: column "missing_column" does not exist/,
        );
        const [state] = await engine.db.query<{ good: string | null; half: string | null }>(
          "select to_regclass('public.good')::text as good, to_regclass('public.half')::text as half",
        );
        assert.deepEqual(state, { good: "good", half: null }, "the good migration stays, the broken one left nothing");
      } finally {
        await engine.stop();
        await Deno.remove(workdir, { recursive: true });
      }
    },
  });
}

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

Deno.test("--engine native without a Postgres server says what to install", async () => {
  const result = await new Deno.Command(join(BIN, "deno"), {
    args: ["run", "-A", "stack/main.ts", "--engine", "native", "--no-serve"],
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
