/**
 * Conversations under real concurrency (native Postgres: PGlite runs one statement at a time, so it
 * cannot show a race). Eight connections append to one chat at once, each append its own
 * transaction, as the signed-in user: sequence numbers must come out exactly 1..N, no gap, no
 * duplicate, no error, as one straight branch. Concurrent retries of the same client_message_id
 * must write each message once, still without gaps.
 */
import assert from "node:assert/strict";
import { startEngine, testEngines } from "../../stack/db/engine.ts";
import type { Engine } from "../../stack/db/engine.ts";
import { prepareDatabase } from "../../stack/db/migrate.ts";
import type { Db } from "../../stack/db/client.ts";
import { freePort } from "../../stack/paths.ts";

const engines = testEngines();
const CLIENTS = 8;

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

/** Runs fn in a transaction as the user, the way the API gateway does for their JWT. */
function asUser<T>(db: Db, userId: string, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
      [JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" })],
    );
    return await fn(tx);
  });
}

async function withNative(fn: (engine: Engine, owner: string, chatId: string) => Promise<void>) {
  const engine = await startEngine("native", { port: freePort() });
  try {
    await prepareDatabase(engine);
    const owner = await createUser(engine.db, `owner-${crypto.randomUUID()}`);
    const chatId = await asUser(engine.db, owner, async (tx) => {
      const [chat] = await tx.query<{ id: string }>("select id from public.create_chat(title => 'race')");
      return chat.id;
    });
    await fn(engine, owner, chatId);
  } finally {
    await engine.stop();
  }
}

async function clients(engine: Engine): Promise<Db[]> {
  const list: Db[] = [];
  for (let i = 0; i < CLIENTS; i++) list.push(await engine.connect());
  // one round trip each, so every connection is open before the race starts
  await Promise.all(list.map((db) => db.query("select 1")));
  return list;
}

Deno.test({
  name: "native: 8 connections appending 500 messages each to one chat get sequence numbers 1..4000, gapless",
  ignore: !engines.includes("native"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withNative(async (engine, owner, chatId) => {
      const perClient = 500;
      const dbs = await clients(engine);
      const errors: unknown[] = [];
      try {
        await Promise.all(dbs.map(async (db, client) => {
          for (let i = 0; i < perClient; i++) {
            try {
              await asUser(
                db,
                owner,
                (tx) =>
                  tx.query("select sequence_number from public.append_message($1, 'user', $2)", [
                    chatId,
                    `client ${client} message ${i}`,
                  ]),
              );
            } catch (e) {
              errors.push(e);
            }
          }
        }));
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
      assert.deepEqual(errors, [], "no append failed");

      const total = CLIENTS * perClient;
      const rows = await engine.db.query<{ sequence_number: string; depth: number; parent_sequence: string | null }>(
        `select m.sequence_number, m.depth, p.sequence_number as parent_sequence
         from public.messages m left join public.messages p on p.id = m.parent_id
         where m.chat_id = $1 order by m.sequence_number`,
        [chatId],
      );
      const numbers = rows.map((r) => Number(r.sequence_number));
      assert.equal(numbers.length, total, "every append wrote one message");
      assert.deepEqual(
        numbers,
        Array.from({ length: total }, (_, i) => i + 1),
        "exactly 1..4000: no gap, no duplicate",
      );
      // each message went under the previous one: one straight branch, as appends to the leaf
      for (const [i, r] of rows.entries()) {
        assert.equal(r.depth, i + 1);
        assert.equal(r.parent_sequence === null ? null : Number(r.parent_sequence), i === 0 ? null : i);
      }
      const [chat] = await engine.db.query<{ message_count: number; last_sequence_number: string; leaf: string }>(
        `select c.message_count, c.last_sequence_number, m.sequence_number as leaf
         from public.chats c join public.messages m on m.id = c.current_leaf_id where c.id = $1`,
        [chatId],
      );
      assert.deepEqual([chat.message_count, Number(chat.last_sequence_number), Number(chat.leaf)], [
        total,
        total,
        total,
      ]);
    });
  },
});

Deno.test({
  name: "native: concurrent retries of the same client_message_id write each message once, gapless",
  ignore: !engines.includes("native"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withNative(async (engine, owner, chatId) => {
      const messages = 200;
      const dbs = await clients(engine);
      const seen = new Map<string, Set<string>>();
      try {
        // every client sends the same 200 messages (a retry storm), each in its own order
        await Promise.all(dbs.map(async (db, client) => {
          const order = Array.from({ length: messages }, (_, i) => (i * (client + 1) * 7) % messages);
          for (const i of order) {
            const [row] = await asUser(db, owner, (tx) =>
              tx.query<{ id: string }>(
                "select id from public.append_message($1, 'user', $2, client_message_id => $3)",
                [chatId, `message ${i}`, `key-${i}`],
              ));
            if (!seen.has(`key-${i}`)) seen.set(`key-${i}`, new Set());
            seen.get(`key-${i}`)!.add(row.id);
          }
        }));
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
      for (const [key, ids] of seen) assert.equal(ids.size, 1, `${key}: every retry got the same message`);
      const rows = await engine.db.query<{ sequence_number: string; client_message_id: string }>(
        "select sequence_number, client_message_id from public.messages where chat_id = $1 order by sequence_number",
        [chatId],
      );
      assert.equal(rows.length, messages, "each client_message_id was written once");
      assert.deepEqual(
        rows.map((r) => Number(r.sequence_number)),
        Array.from({ length: messages }, (_, i) => i + 1),
        "no gap left by the retries that lost",
      );
      assert.equal(new Set(rows.map((r) => r.client_message_id)).size, messages);
    });
  },
});

Deno.test({
  name: "native: appends racing branch switches and regenerations keep every branch whole and the leaf's place right",
  ignore: !engines.includes("native"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withNative(async (engine, owner, chatId) => {
      const rounds = 150;
      const dbs = await clients(engine);
      const errors: unknown[] = [];
      try {
        // 5 connections append under the current leaf, 2 regenerate (append under a random
        // earlier message), 1 moves the leaf to a random earlier message: the chat row's cached
        // place of its leaf must follow every one of them, whatever the interleaving
        await Promise.all(dbs.map(async (db, client) => {
          for (let i = 0; i < rounds; i++) {
            try {
              await asUser(db, owner, (tx) => {
                // (nothing to pick before the first message)
                const random = `(select id from public.messages where chat_id = $1 order by random() limit 1) r`;
                if (client < 5) {
                  return tx.query("select public.append_message($1, 'user', $2)", [chatId, `${client}/${i}`]);
                }
                if (client < 7) {
                  return tx.query(
                    `select public.append_message($1, 'assistant', $2, parent_id => r.id) from ${random}`,
                    [
                      chatId,
                      `${client}/${i}`,
                    ],
                  );
                }
                return tx.query(`select public.set_current_leaf($1, r.id) from ${random}`, [chatId]);
              });
            } catch (e) {
              errors.push(e);
            }
          }
        }));
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
      assert.deepEqual(errors, [], "no call failed");

      const [check] = await engine.db.query<
        { numbers: string; misplaced: string; broken: string; leaf_branch: boolean }
      >(
        `with m as (select * from public.messages where chat_id = $1)
         select
           (select count(*) filter (where sequence_number <> n) from (
              select sequence_number, row_number() over (order by sequence_number) as n from m) x) as numbers,
           -- the chat's cached place of its leaf against the leaf itself
           (select count(*) from public.chats c
            join m l on l.id = c.current_leaf_id
            join m h on h.sequence_number = l.segment_start
            where c.id = $1 and (c.current_leaf_parent_id, c.current_leaf_depth, c.current_leaf_segment_start,
              c.current_leaf_head_depth, c.current_leaf_ends_segment) is distinct from (l.parent_id, l.depth, l.segment_start,
              h.depth, not exists (select 1 from m n where n.segment_start = l.segment_start
                                   and n.sequence_number > l.sequence_number))) as misplaced,
           -- every message: one deeper than its parent; continuing the parent's segment only when it is
           -- the next message of that segment, otherwise heading a segment whose ancestry is the parent's
           (select count(*) from m
            left join m p on p.id = m.parent_id
            left join m ph on ph.sequence_number = p.segment_start
            where m.depth <> coalesce(p.depth, 0) + 1
              or (p.id is null and (m.segment_start <> m.sequence_number or m.segment_ancestry <> '{}'))
              or (p.id is not null and m.segment_start = m.sequence_number
                  and m.segment_ancestry is distinct from ph.segment_ancestry || array[p.segment_start, p.sequence_number])
              or (p.id is not null and m.segment_start <> m.sequence_number and (m.segment_start <> p.segment_start
                  or m.segment_ancestry is not null
                  or exists (select 1 from m b where b.segment_start = m.segment_start
                             and b.sequence_number > p.sequence_number and b.sequence_number < m.sequence_number)))
           ) as broken,
           -- get_messages (as the database owner here: RLS is tested elsewhere) shows the path from the
           -- root to the leaf
           (select array_agg(g.id order by g.sequence_number) from public.get_messages($1, "limit" => 1000) g) = (
             with recursive path as (
               select l.id, l.parent_id, l.sequence_number from public.chats c join m l on l.id = c.current_leaf_id
               where c.id = $1
               union all
               select p.id, p.parent_id, p.sequence_number from path join m p on p.id = path.parent_id)
             select array_agg(id order by sequence_number) from path) as leaf_branch`,
        [chatId],
      );
      assert.equal(Number(check.numbers), 0, "sequence numbers 1..N, no gap");
      assert.equal(Number(check.misplaced), 0, "the chat row's place of its leaf is the leaf's");
      assert.equal(Number(check.broken), 0, "every message sits where its parent puts it");
      assert.equal(check.leaf_branch, true, "get_messages shows the branch from the root to the leaf");
    });
  },
});
