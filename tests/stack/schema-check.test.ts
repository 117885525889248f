/** The schema check `npm test` runs: the project's schema passes, and each kind of violation is named. */
import assert from "node:assert/strict";
import { prepareDatabase } from "../../stack/db/migrate.ts";
import { schemaViolations } from "../../stack/test/checks.ts";
import { startEngine } from "../../stack/db/engine.ts";
import { freePort } from "../../stack/paths.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

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
