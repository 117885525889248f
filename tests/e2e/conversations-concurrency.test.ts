/**
 * Conversations under real concurrency (native Postgres: PGlite runs one statement at a time, so it
 * cannot show a race). Eight connections append to one chat at once, each append its own
 * transaction, as the signed-in user: sequence numbers must come out exactly 1..N, no gap, no
 * duplicate, no error, as one straight branch. Concurrent retries of the same client_message_id
 * must write each message once, still without gaps.
 */
import assert from "node:assert/strict";
import { startEngine } from "../../stack/engines/index.ts";
import type { Engine } from "../../stack/engines/engine.ts";
import { prepareDatabase } from "../../stack/database.ts";
import type { Db } from "../../stack/db.ts";
import { freePort } from "../../stack/paths.ts";

const engines = (Deno.env.get("PARLEY_TEST_ENGINES") ?? "pglite").split(",");
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
