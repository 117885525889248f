/** The pgTAP runner's verdicts: passes, failures, plan mismatches, and crashes with file and line. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runPgtapFile } from "../../stack/test/pgtap.ts";
import { applySqlFile, prepareDatabase } from "../../stack/db/migrate.ts";
import { startEngine } from "../../stack/db/engine.ts";
import { freePort, TEST_HELPERS } from "../../stack/paths.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

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
