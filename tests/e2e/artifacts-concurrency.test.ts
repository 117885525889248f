/**
 * Artifact versions under real concurrency (native Postgres, separate connections): writers of one
 * artifact serialize on its row, so concurrent add_artifact_version calls get distinct, gapless
 * numbers; with the same expected_version exactly one wins and the others get PT409 and write
 * nothing; concurrent retries of one create_artifact_with_version make one artifact.
 */
import assert from "node:assert/strict";
import { startEngine, testEngines } from "../../stack/db/engine.ts";
import type { Engine } from "../../stack/db/engine.ts";
import { applySqlFile, prepareDatabase } from "../../stack/db/migrate.ts";
import { type Db, isPgError, serverDb } from "../../stack/db/client.ts";
import { freePort, TEST_HELPERS } from "../../stack/paths.ts";

const engines = testEngines();
const WRITERS = 8;

/** Runs fn in a transaction as the test user `name`, as PostgREST would for their JWT. */
function asUser<T>(db: Db, name: string, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(`select tests.authenticate_as($1)`, [name]);
    return await fn(tx);
  });
}

/** Holds the artifact's row lock until WRITERS sessions are waiting for it, then lets them all go. */
async function raceOnArtifact<T>(
  db: Db,
  artifactId: string,
  writer: () => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const holder = db.transaction(async (tx) => {
    await tx.query(`select 1 from public.artifacts where id = $1 for no key update`, [artifactId]);
    await released;
  });
  const writers = Array.from({ length: WRITERS }, () => writer());
  const settled = Promise.allSettled(writers);
  for (let i = 0; i < 200; i++) {
    const [{ waiting }] = await db.query<{ waiting: number }>(
      `select count(*)::int as waiting from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
    );
    if (waiting >= WRITERS) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  release();
  await holder;
  return await settled;
}

Deno.test({
  name: "artifact versions under concurrent writers (native)",
  ignore: !engines.includes("native"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const engine: Engine = await startEngine("native", { port: freePort() });
    const db = serverDb(engine.url, { max: WRITERS + 4 });
    try {
      await prepareDatabase(engine);
      await applySqlFile(engine.db, TEST_HELPERS);
      await db.query(`select tests.create_user('alice')`);
      const [{ chat_id, message_id, artifact_id }] = await asUser(
        db,
        "alice",
        (tx) =>
          tx.query<{ chat_id: string; message_id: string; artifact_id: string }>(`
          with c as (select (public.create_chat(title => 'Race')).id as chat_id),
          m as (select (public.append_message(c.chat_id, 'assistant', 'BOM')).id as message_id, c.chat_id from c)
          select m.chat_id, m.message_id,
            public.create_artifact_with_version(m.chat_id, null, 'prd', 'PRD', 'v1', null, null) -> 'artifact' ->> 'id'
              as artifact_id
          from m`),
      );

      await t.step("concurrent versions get distinct, gapless numbers and parents", async () => {
        const results = await raceOnArtifact(db, artifact_id, () =>
          asUser(db, "alice", async (tx) => {
            const [row] = await tx.query<{ n: number }>(
              `select (public.add_artifact_version($1, content => 'edit ' || gen_random_uuid()) -> 'version' ->> 'version_number')::int as n`,
              [artifact_id],
            );
            return row.n;
          }));
        const numbers = results.map((r) => {
          assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
          return (r as PromiseFulfilledResult<number>).value;
        }).sort((a, b) => a - b);
        assert.deepEqual(numbers, Array.from({ length: WRITERS }, (_, i) => i + 2));
        const [check] = await db.query<{ current_version: number; chained: boolean }>(
          `select a.current_version,
             bool_and(v.parent_version_id is not distinct from p.id) as chained
           from public.artifacts a
           join public.artifact_versions v on v.artifact_id = a.id
           left join public.artifact_versions p on p.artifact_id = a.id and p.version_number = v.version_number - 1
           where a.id = $1 group by a.current_version`,
          [artifact_id],
        );
        assert.equal(check.current_version, WRITERS + 1);
        assert.equal(check.chained, true, "each version's parent is the one before it");
      });

      await t.step("with the same expected_version one writer wins, the others get PT409", async () => {
        const expected = WRITERS + 1;
        const results = await raceOnArtifact(
          db,
          artifact_id,
          () =>
            asUser(db, "alice", (tx) =>
              tx.query(
                `select public.add_artifact_version($1, content => 'optimistic ' || gen_random_uuid(), expected_version => $2)`,
                [
                  artifact_id,
                  expected,
                ],
              )),
        );
        const won = results.filter((r) => r.status === "fulfilled").length;
        const conflicts = results.filter((r) =>
          r.status === "rejected" && isPgError(r.reason) && r.reason.code === "PT409"
        ).length;
        assert.equal(won, 1);
        assert.equal(conflicts, WRITERS - 1);
        const [{ n }] = await db.query<{ n: number }>(
          `select count(*)::int as n from public.artifact_versions where artifact_id = $1`,
          [artifact_id],
        );
        assert.equal(n, expected + 1, "the conflicts wrote nothing");
      });

      await t.step("concurrent retries of one create make one artifact", async () => {
        const results = await Promise.allSettled(
          Array.from({ length: WRITERS }, () =>
            asUser(db, "alice", async (tx) => {
              const [row] = await tx.query<{ r: { created: boolean; artifact: { id: string } } }>(
                `select public.create_artifact_with_version($1, null, 'bom', 'BOM', null,
                 '{"components": [{"name": "ESP32", "quantity": 1, "unit_price": 9.5, "currency": "USD"}]}', $2) as r`,
                [chat_id, message_id],
              );
              return row.r;
            })),
        );
        const values = results.map((r) => {
          assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
          return (r as PromiseFulfilledResult<{ created: boolean; artifact: { id: string } }>).value;
        });
        assert.equal(values.filter((v) => v.created).length, 1);
        assert.equal(new Set(values.map((v) => v.artifact.id)).size, 1);
        const [{ n }] = await db.query<{ n: number }>(
          `select count(*)::int as n from public.artifacts where created_by_message_id = $1`,
          [message_id],
        );
        assert.equal(n, 1);
      });
    } finally {
      await db.close();
      await engine.stop();
    }
  },
});
