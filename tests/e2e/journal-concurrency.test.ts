/**
 * The journal under real concurrency (native Postgres: PGlite runs one statement at a time, so it
 * cannot show a race):
 * - two transactions that each move a goal under the other (A under B, B under A) cannot both
 *   commit: the second waits for the first and then sees the cycle (22023);
 * - eight connections upserting the same new client id at once make one entry;
 * - two interpreters' first interpretations of one entry, written at once by four connections
 *   each, make one artifact per interpreter.
 */
import assert from "node:assert/strict";
import { type Engine, startEngine, testEngines } from "../../stack/db/engine.ts";
import { prepareDatabase } from "../../stack/db/migrate.ts";
import type { Db } from "../../stack/db/client.ts";
import { freePort } from "../../stack/paths.ts";

const engines = testEngines();

async function createUser(db: Db, name: string): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
       raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
     values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
       $1, '', now(), '{"provider": "email", "providers": ["email"]}', '{}', now(), now())
     returning id`,
    [`${name}@test.parley.local`],
  );
  return row.id;
}

const claims = (userId: string) => JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" });

/** Runs fn in a transaction as the user, the way the API gateway does for their JWT. */
function asUser<T>(db: Db, userId: string, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", [
      claims(userId),
    ]);
    return await fn(tx);
  });
}

async function withNative(fn: (engine: Engine, user: string) => Promise<void>) {
  const engine = await startEngine("native", { port: freePort() });
  try {
    await prepareDatabase(engine);
    await fn(engine, await createUser(engine.db, `journal-${crypto.randomUUID()}`));
  } finally {
    await engine.stop();
  }
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `native: ${name}`,
    ignore: !engines.includes("native"),
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });

test("two goals moved under each other at once: one move commits, the other sees the cycle", async () => {
  await withNative(async (engine, user) => {
    const [a, b] = await asUser(engine.db, user, async (tx) => {
      const rows = await tx.query<{ id: string }>(
        "select (public.upsert_goal(title => t)).id from unnest(array['A', 'B']) t",
      );
      return rows.map((r) => r.id);
    });
    const [one, two] = [await engine.connect(), await engine.connect()];
    try {
      const as = "select set_config('role', 'authenticated', false), set_config('request.jwt.claims', $1, false)";
      await one.query(as, [claims(user)]);
      await two.query(as, [claims(user)]);
      await one.exec("begin");
      await one.query("select public.upsert_goal(id => $1, title => 'A', parent_id => $2)", [a, b]);
      // the second move waits for the first transaction's lock on the user's goals
      await two.exec("begin");
      const second = two.query("select public.upsert_goal(id => $1, title => 'B', parent_id => $2)", [b, a])
        .then(() => null, (e) => e as { code?: string; message: string });
      const early = await Promise.race([second, new Promise((r) => setTimeout(() => r("waiting"), 300))]);
      assert.equal(early, "waiting", "the second move waits for the first");
      await one.exec("commit");
      const error = await second;
      assert.equal(error?.code, "22023");
      assert.match(error!.message, /parent_id would make a cycle/);
      await two.exec("rollback");
      const [row] = await engine.db.query<{ parents: string }>(
        "select string_agg(title || '<' || coalesce((select p.title from public.goals p where p.id = g.parent_id), '-'), ',' order by title) as parents from public.goals g",
      );
      assert.equal(row.parents, "A<B,B<-", "A is under B, B stays at the top");
    } finally {
      await one.close();
      await two.close();
    }
  });
});

test("eight connections upserting one new client id make one entry", async () => {
  await withNative(async (engine, user) => {
    const dbs = await Promise.all(Array.from({ length: 8 }, () => engine.connect()));
    try {
      const ids = await Promise.all(dbs.map((db, i) =>
        asUser(db, user, async (tx) => {
          const [row] = await tx.query<{ id: string }>(
            `select public.upsert_entry(client_id => 'phone-1', source_app => 'mobile', facets => '{note}',
               title => 'written offline', entity_keys => $1::text::jsonb) ->> 'id' as id`,
            [JSON.stringify([{ type: "tag", key: `Race ${i % 2}` }])],
          );
          return row.id;
        })
      ));
      assert.equal(new Set(ids).size, 1, "every upsert answered with the same entry");
      const [count] = await engine.db.query<{ entries: number; entities: number }>(
        `select (select count(*) from public.entries where client_id = 'phone-1')::int as entries,
           (select count(*) from public.entities where key like 'race %')::int as entities`,
      );
      assert.deepEqual(count, { entries: 1, entities: 2 }, "one entry; each new tag made once");
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});

test("first interpretations written at once: one artifact per interpreter, versions in order", async () => {
  await withNative(async (engine, user) => {
    const entryId = await asUser(engine.db, user, async (tx) => {
      const [row] = await tx.query<{ id: string }>(`select public.create_dream(content => 'A tide') ->> 'id' as id`);
      return row.id;
    });
    const agents = await engine.db.query<{ id: string }>(
      "select id from public.agents where kind = 'interpreter' and owner_id is null order by name",
    );
    const dbs = await Promise.all(Array.from({ length: 8 }, () => engine.connect()));
    try {
      await Promise.all(
        dbs.map((db, i) =>
          asUser(db, user, (tx) =>
            tx.query("select public.save_interpretation($1, $2, $3)", [
              entryId,
              agents[i % agents.length].id,
              `reading ${i}`,
            ]))
        ),
      );
      const rows = await engine.db.query<{ agent_id: string; artifacts: number; versions: number[] }>(
        `select x.agent_id, count(distinct a.id)::int as artifacts,
           array_agg(v.version_number order by v.version_number) as versions
         from public.entry_interpretations x join public.artifacts a on a.id = x.artifact_id
         join public.artifact_versions v on v.artifact_id = a.id
         where x.entry_id = $1 group by x.agent_id`,
        [entryId],
      );
      assert.equal(rows.length, agents.length);
      for (const row of rows) {
        assert.equal(row.artifacts, 1);
        assert.deepEqual(row.versions, [1, 2, 3, 4], "each interpreter's four writes are versions 1..4");
      }
      const [{ artifacts }] = await engine.db.query<{ artifacts: number }>(
        "select count(*)::int as artifacts from public.artifacts where entry_id = $1",
        [entryId],
      );
      assert.equal(artifacts, agents.length, "no stray artifact");
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
