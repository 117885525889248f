/**
 * Bringing a database to Parley's schema: SQL files split into statements with their lines, and a
 * broken migration reported with its file, line and error, leaving nothing of itself behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { splitSql } from "../../stack/db/sql-split.ts";
import { migrateUp, MigrationError } from "../../stack/cli/supabase-cli.ts";
import { startEngine, testEngines } from "../../stack/db/engine.ts";
import { freePort } from "../../stack/paths.ts";

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
