/**
 * The schema drift check (`npm test` fails when supabase/schemas/ and supabase/migrations/ build
 * different databases): it sees a grant, a column privilege, a comment, a function's body or
 * settings, a policy, a trigger, a publication member, a default privilege, a row of reference
 * data, a table, a column default, row level security, an index or a rule that only one side has,
 * and a schema file changed without a migration.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { testEngines } from "../../stack/db/engine.ts";
import { SCHEMAS_DIR, sqlFiles } from "../../stack/paths.ts";
import {
  buildFromMigrations,
  buildFromSchemas,
  schemaDrift,
  type ScratchDatabase,
  startScratchServer,
} from "../../stack/test/schema-drift.ts";
import { compareFingerprints, readFingerprint, schemaFingerprint } from "../../stack/test/schema-fingerprint.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

/** Changes made to the schemas database alone, and the line the comparison must report. */
const CHANGES: [string, string, RegExp][] = [
  ["a grant", "grant select on public.model_prices to anon", /^relation public\.model_prices: differs/],
  [
    "a column privilege",
    "revoke update (title) on public.chats from authenticated",
    /^column public\.chats\.title: differs/,
  ],
  ["a comment", "comment on function private.now() is 'changed'", /^comment function private\.now\(\): differs/],
  [
    "a function body",
    "create or replace function private.title_from_content(content text) returns text language sql immutable " +
    "set search_path = '' as $$ select null::text $$",
    /^function private\.title_from_content\(content text\): differs/,
  ],
  ["a function's security", "alter function private.now() security definer", /^function private\.now\(\): differs/],
  [
    "a policy",
    "alter policy chats_delete_owner on public.chats using (false)",
    /^policy public\.chats\.chats_delete_owner: differs/,
  ],
  [
    "a trigger",
    "drop trigger chats_900_broadcast_insert on public.chats",
    /^trigger public\.chats\.chats_900_broadcast_insert: only in supabase\/migrations/,
  ],
  [
    "a publication member",
    "alter publication supabase_realtime drop table public.messages",
    /^publication_table supabase_realtime public\.messages: only in supabase\/migrations/,
  ],
  [
    "a default privilege",
    "alter default privileges in schema public grant execute on functions to anon",
    /^default_privileges for role postgres in schema public on f: differs/,
  ],
  [
    "reference data",
    "update public.agents set icon = '🤖' where name = 'orchestrator'",
    /^row public\.agents name=orchestrator: differs/,
  ],
  ["a new table", "create table public.extra (id int)", /^relation public\.extra: only in supabase\/schemas/],
  [
    "a column default",
    "alter table public.chats alter column pinned set default true",
    /^column public\.chats\.pinned: differs/,
  ],
  ["row level security", "alter table public.agents disable row level security", /^relation public\.agents: differs/],
  [
    "an index",
    "drop index public.chats_agent_id_idx",
    /^index public\.chats_agent_id_idx: only in supabase\/migrations/,
  ],
  [
    "a rule",
    "create rule model_prices_keep as on delete to public.model_prices do instead nothing",
    /^rule public\.model_prices\.model_prices_keep: only in supabase\/schemas/,
  ],
];

class Rollback extends Error {
  constructor(readonly problems: string[]) {
    super("rollback");
  }
}

/** What the comparison reports after `change` is made (and rolled back) in the schemas database. */
async function reportedAfter(migrations: ScratchDatabase, schemas: ScratchDatabase, change: string): Promise<string[]> {
  const expected = await schemaFingerprint(migrations.db);
  try {
    await schemas.db.transaction(async (tx) => {
      await tx.exec(change);
      throw new Rollback(
        compareFingerprints(expected, await readFingerprint(tx), ["supabase/migrations", "supabase/schemas"]),
      );
    });
  } catch (e) {
    if (e instanceof Rollback) return e.problems;
    throw e;
  }
  throw new Error("unreachable");
}

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: the drift check reports what one side has and the other has not`,
    ...slow,
    async fn() {
      const server = await startScratchServer(kind);
      try {
        const [migrations, schemas] = [await server.create("drift_migrations"), await server.create("drift_schemas")];
        await Promise.all([buildFromMigrations(migrations), buildFromSchemas(schemas)]);
        assert.deepEqual(
          compareFingerprints(await schemaFingerprint(migrations.db), await schemaFingerprint(schemas.db)),
          [],
          "the committed schema files and migrations agree",
        );
        for (const [what, change, expected] of CHANGES) {
          const problems = await reportedAfter(migrations, schemas, change);
          assert.ok(
            problems.some((p) => expected.test(p)),
            `${what} (${change}) is reported; got:\n${problems.join("\n") || "(nothing)"}`,
          );
        }
      } finally {
        await server.stop();
      }
    },
  });

  Deno.test({
    name: `${kind}: a schema file changed without a migration fails the drift check`,
    ...slow,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "parley-schemas-" });
      try {
        for (const file of await sqlFiles(SCHEMAS_DIR)) {
          const name = file.split("/").at(-1)!;
          let text = await Deno.readTextFile(file);
          if (name === "000_foundation.sql") {
            text = text.replace(
              "comment on function private.now() is '",
              "comment on function private.now() is 'Changed without a migration. ",
            );
          }
          if (name === "110_chats.sql") text = text.replace("grant delete on public.chats to authenticated;\n", "");
          await Deno.writeTextFile(join(dir, name), text);
        }
        const problems = await schemaDrift(kind, { schemasDir: dir });
        assert.ok(problems.some((p) => /^comment function private\.now\(\): differs/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => /^relation public\.chats: differs/.test(p)), problems.join("\n"));
        assert.equal(problems.length, 2, problems.join("\n"));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
