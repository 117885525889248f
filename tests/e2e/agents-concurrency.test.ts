/**
 * The prompt registry and agent turns under real concurrency (native Postgres: PGlite runs one
 * statement at a time, so it cannot show a race):
 * - eight connections creating versions of one new prompt at once, each moving production to its
 *   own: one prompt, versions 1..8, and a label history that is one unbroken chain of moves;
 * - four connections creating the same template at once (a retried deployment): one version;
 * - eight connections beginning the answer to one message at once (retried requests): one
 *   placeholder, made by exactly one of them.
 */
import assert from "node:assert/strict";
import { type Engine, startEngine, testEngines } from "../../stack/db/engine.ts";
import { prepareDatabase } from "../../stack/db/migrate.ts";
import type { Db } from "../../stack/db/client.ts";
import { freePort } from "../../stack/paths.ts";

const engines = testEngines();

/** Runs fn in a transaction as the service role, the way the API gateway does for its key. */
function asService<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(
      `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role": "service_role"}', true)`,
    );
    return await fn(tx);
  });
}

async function withNative(fn: (engine: Engine, dbs: Db[]) => Promise<void>) {
  const engine = await startEngine("native", { port: freePort() });
  try {
    await prepareDatabase(engine);
    const dbs = await Promise.all(Array.from({ length: 8 }, () => engine.connect()));
    try {
      await fn(engine, dbs);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
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

test("eight new versions of a new prompt at once: one prompt, versions 1..8, one chain of label moves", async () => {
  await withNative(async (engine, dbs) => {
    const made = await Promise.all(dbs.map((db, i) =>
      asService(db, async (tx) => {
        const [row] = await tx.query<{ version: number }>(
          `select (public.create_prompt_version('race', $1, labels => '{production}') -> 'version' ->> 'version')::int
             as version`,
          [`Template ${i} {{x}}`],
        );
        return row.version;
      })
    ));
    assert.deepEqual([...made].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
    const [{ prompts }] = await engine.db.query<{ prompts: number }>(
      "select count(*)::int as prompts from public.prompts where name = 'race'",
    );
    assert.equal(prompts, 1);
    const moves = await engine.db.query<{ from_version: number | null; to_version: number }>(
      `select from_version, to_version from public.prompt_label_history
       where prompt_name = 'race' and label = 'production' order by id`,
    );
    assert.equal(moves.length, 8);
    assert.equal(moves[0].from_version, null);
    for (let i = 1; i < moves.length; i++) {
      assert.equal(moves[i].from_version, moves[i - 1].to_version, "each move starts where the previous one ended");
    }
    const [{ version }] = await engine.db.query<{ version: number }>(
      "select version from public.prompt_labels where prompt_name = 'race' and label = 'production'",
    );
    assert.equal(version, moves.at(-1)!.to_version);
  });
});

test("the same template created by four connections at once is one version", async () => {
  await withNative(async (engine, dbs) => {
    const created = await Promise.all(
      dbs.slice(0, 4).map((db) =>
        asService(db, async (tx) => {
          const [row] = await tx.query<{ created: boolean }>(
            `select (public.create_prompt_version('deploy', 'Same {{x}}', model => 'openai/gpt-4o') ->> 'created')::boolean
             as created`,
          );
          return row.created;
        })
      ),
    );
    assert.deepEqual(created.filter(Boolean).length, 1, "one of them created it");
    const [{ versions }] = await engine.db.query<{ versions: number }>(
      "select count(*)::int as versions from public.prompt_versions where prompt_name = 'deploy'",
    );
    assert.equal(versions, 1);
  });
});

test("eight connections beginning the answer to one message at once: one placeholder", async () => {
  await withNative(async (engine, dbs) => {
    const [{ chat }] = await engine.db.query<{ chat: string }>(
      `with u as (
         insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
           raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
         values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
           'racer@test.parley.local', '', now(), '{}', '{}', now(), now()) returning id)
       insert into public.chats (owner_id, title) select id, 'Race' from u returning id as chat`,
    );
    const [{ id }] = await engine.db.query<{ id: string }>(
      `insert into public.messages (chat_id, role, content) values ($1, 'user', 'Hello') returning id`,
      [chat],
    );
    const answers = await Promise.all(dbs.map((db) =>
      asService(db, async (tx) => {
        const [row] = await tx.query<{ created: boolean; id: string }>(
          `select (r ->> 'created')::boolean as created, r -> 'message' ->> 'id' as id
           from public.service_role_begin_reply($1, $2) r`,
          [chat, id],
        );
        return row;
      })
    ));
    assert.equal(new Set(answers.map((a) => a.id)).size, 1, "every call answered with the same placeholder");
    assert.equal(answers.filter((a) => a.created).length, 1, "made by exactly one of them");
    const [{ messages, numbers }] = await engine.db.query<{ messages: number; numbers: number[] }>(
      `select count(*)::int as messages, array_agg(sequence_number::int order by sequence_number) as numbers
       from public.messages where chat_id = $1`,
      [chat],
    );
    assert.equal(messages, 2);
    assert.deepEqual(numbers, [1, 2], "and the numbering stayed gapless");
  });
});
