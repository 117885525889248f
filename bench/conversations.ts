/**
 * `npm run bench -- conversations [--scale 0.1] [--seconds 5] [--hold]`: the conversations hot paths on
 * the native engine (a throwaway cluster), each against a baseline measured in the same run.
 *
 * Data (scale 1): 10,000 chats and about 1,000,000 messages built with set-based SQL, including
 * 10 chats of 10,045 messages whose current branch crosses 9 regenerations (branches present),
 * 100 chats of 10 messages, and the rest about 90 messages each, over 100 users.
 *
 * Measured (what each row of the table is):
 * - get_messages, latest page of a 10k-message chat, as its owner (RLS on): p95 and p50, against
 *   OFFSET paging at depth 9,950 run without RLS (the conservative baseline); also against OFFSET
 *   paging as the user (what a client paging with offsets through the API would cost), and a bare
 *   keyset query without RLS or function (the floor, for reference);
 * - get_messages page cost on a 10-message vs a 10k-message chat;
 * - append_message throughput with 8 clients on 8 chats (every trigger on: placing, realtime
 *   broadcast, foreign key; RLS; the search vector and all indexes) against plain inserts of the
 *   same row into an unindexed copy of messages (no trigger, constraint or policy), both as the
 *   signed-in user with role and claims set once per connection; then
 *   - the server CPU per statement of both (the 8 server processes' CPU time over the statements
 *     run: the throughput ratio also contains the client's own cost, the same for both);
 *   - both again with PostgREST's per-request settings sent with each statement (role, a real
 *     access token's claims, path, headers), as the gateway and Supabase send them;
 *   - 8 clients on one chat (its appends serialize on the chat row);
 *   - the same 8-chat load with realtime.broadcast_changes replaced by a no-op (in this throwaway
 *     cluster only): the share of the platform's broadcast;
 *   the loads take turns, so that background load hits them alike;
 * - append latency on a 10-message vs a 10k-message chat;
 * - the one-JSON-document-per-chat anti-pattern (rewrite the document on each append) at 1k and
 *   4k messages, side by side with append_message on chats of the same lengths;
 * - search_messages p95 over the 1M messages, for one user.
 * Timings of single calls are taken inside the database (clock_timestamp around each call, as the
 * signed-in user, planning included); throughput and appends are timed from the client.
 */
import { printTable } from "./_stats.ts";
import {
  benchOptions,
  micros,
  ms,
  percent,
  rate,
  ratio,
  throughputs,
  timeAlternating,
  timeClient,
  timeQueries,
  timeQuery,
} from "./_measure.ts";
import postgres from "postgres";
import { startEngine } from "../stack/db/engine.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { freePort } from "../stack/paths.ts";

interface Options {
  scale: number;
  seconds: number;
  /** Keep the database up after building the data set, for inspection (psql), until Ctrl-C. */
  hold: boolean;
}

function parseArgs(args: string[]): Options {
  const options = benchOptions(args, { scale: 1, seconds: 5, hold: false });
  if (!(options.scale > 0 && options.scale <= 1)) throw new Error("--scale must be in (0, 1]");
  if (!(options.seconds > 0)) throw new Error("--seconds must be positive");
  return options;
}

const BIG = 10_045; // messages in a big chat: 10 runs of 1,000 on the current branch + 9 abandoned tails of 5
const USER = (i: number) => `b0000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
const CHAT = (i: number) => `c0000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

type Sql = postgres.Sql;

export default async function run(args: string[]) {
  const options = parseArgs(args);
  const engine = await startEngine("native", { port: freePort(), log: () => {} });
  const url = engine.url;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const rows: string[][] = [];
  const report = (metric: string, value: string, baseline: string, ratio: string, aim: string) => {
    rows.push([metric, value, baseline, ratio, aim]);
    console.log(`  ${metric}: ${value}${baseline ? ` (${baseline})` : ""}${ratio ? ` ${ratio}` : ""}`);
  };
  try {
    await prepareDatabase(engine);
    const started = performance.now();
    const shape = await buildDataset(admin, url, options.scale);
    const buildSeconds = (performance.now() - started) / 1000;
    console.log(
      `dataset: ${shape.chats.toLocaleString()} chats, ${shape.messages.toLocaleString()} messages ` +
        `(${shape.bigChats} of ${BIG.toLocaleString()}), ${shape.users} users, built in ${buildSeconds.toFixed(0)}s`,
    );
    if (options.hold) {
      console.log(`holding the database for inspection: psql "${url}" (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
      return;
    }

    const asUser = async (userIndex: number, max = 1) => {
      const sql = postgres(url, { max, onnotice: () => {}, prepare: true });
      const claims = JSON.stringify({ sub: USER(userIndex), role: "authenticated", aud: "authenticated" });
      // session-wide, as a pooled API connection would be for one request
      await sql.unsafe(
        `select set_config('role', 'authenticated', false), set_config('request.jwt.claims', '${claims}', false)`,
      );
      return sql;
    };

    // ------------------------------------------------------------------ reading pages
    const reader = await asUser(1);
    const big = CHAT(1);
    const small = CHAT(shape.bigChats + 1);
    // compared measurements alternate in rounds, so that background load hits both alike
    const [latest, offset, keyset, offsetRls] = await timeAlternating([
      [reader, `select count(*) from public.get_messages('${big}')`],
      [
        admin,
        `select count(*) from (select * from public.messages where chat_id = '${big}' order by sequence_number offset 9950 limit 50) p`,
      ],
      [
        admin,
        `select count(*) from (select * from public.messages where chat_id = '${big}' and sequence_number <= 10045 order by sequence_number desc limit 50) p`,
      ],
      [
        reader,
        `select count(*) from (select * from public.messages where chat_id = '${big}' order by sequence_number offset 9950 limit 50) p`,
      ],
    ], 1000);
    report(
      "get_messages latest page, 10k chat (p95)",
      ms(latest.p95),
      "offset 9,950: " + ms(offset.p95),
      ratio(offset.p95, latest.p95),
      "≤ 1 ms, ≥ 10×",
    );
    report(
      "  the same at p50",
      ms(latest.p50),
      "offset 9,950: " + ms(offset.p50),
      ratio(offset.p50, latest.p50),
      "",
    );
    report(
      "  vs OFFSET paging as the user, as a client would page (p95)",
      ms(latest.p95),
      "offset 9,950: " + ms(offsetRls.p95),
      ratio(offsetRls.p95, latest.p95),
      "(reference)",
    );
    report(
      "  bare keyset query, no RLS (p95)",
      ms(keyset.p95),
      "offset 9,950: " + ms(offset.p95),
      ratio(offset.p95, keyset.p95),
      "(reference)",
    );
    const smallReader = await asUser(2);
    const [page10k, page10] = await timeAlternating([
      [reader, `select count(*) from public.get_messages('${big}', "limit" => 10)`],
      [smallReader, `select count(*) from public.get_messages('${small}', "limit" => 10)`],
    ], 1000);
    await smallReader.end();
    report(
      "page of 10: 10k-message vs 10-message chat (p50)",
      ms(page10k.p50),
      "10 messages: " + ms(page10.p50),
      ratio(page10k.p50, page10.p50),
      "≤ 1.5",
    );
    report(
      "  the same at p95",
      ms(page10k.p95),
      "10 messages: " + ms(page10.p95),
      ratio(page10k.p95, page10.p95),
      "(tail, noisier)",
    );
    const older = await timeQuery(
      reader,
      `select count(*) from public.get_messages('${big}', before => 1010)`,
      500,
    );
    report("  page deep in the branch (before 1,010, p95)", ms(older.p95), "", "", "(reference)");

    // ------------------------------------------------------------------ search
    // a topic word (in ~4% of messages), two words, a phrase, an exclusion, an alternative
    const searches = ["sensor", "temperature humidity", '"solar panel"', "firmware -arduino", "capacitor or resistor"];
    const search = await timeQueries(
      reader,
      searches.map((q) => `select count(*) from public.search_messages('${q.replaceAll("'", "''")}')`),
      100,
    );
    report(
      `search_messages over ${shape.messages.toLocaleString()} messages (p95)`,
      ms(search.p95),
      `user has ${shape.userOneMessages.toLocaleString()}`,
      "",
      "index-backed",
    );
    await reader.end();

    // ------------------------------------------------------------------ appends
    await admin.unsafe(`
      -- the baseline: the same columns as plain types, no index, constraint, trigger or policy
      create table bench.plain_messages (id uuid, chat_id uuid, sequence_number bigint, parent_id uuid, depth integer,
        segment_start bigint, segment_ancestry bigint[], role text, content text, parts jsonb, agent_name text,
        agent_model text, intent text, input_tokens integer, output_tokens integer, latency_ms integer, status text,
        metadata jsonb, client_message_id text, author_id uuid, created_at timestamptz default now(),
        updated_at timestamptz default now());
      grant insert on bench.plain_messages to authenticated;
      grant usage on schema bench to authenticated;
      insert into public.chats (id, owner_id, title)
      select ('a0000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, '${USER(1)}', 'append ' || i
      from generate_series(0, 8) i;
    `).simple();
    const appendChat = (i: number) => `a0000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    const appendSql = (chat: string) =>
      `select sequence_number from public.append_message('${chat}', 'assistant', ` +
      `'The BME280 reads temperature, humidity and pressure over I2C at 3.3 V.', agent_name => 'conversational', ` +
      `agent_model => 'openai/gpt-4o', input_tokens => 812, output_tokens => 164, latency_ms => 2300)`;
    const plainSql =
      `insert into bench.plain_messages (id, chat_id, sequence_number, depth, segment_start, role, content,
      agent_name, agent_model, input_tokens, output_tokens, latency_ms, status, metadata)
      values (gen_random_uuid(), '${appendChat(0)}', 1, 1, 1, 'assistant',
      'The BME280 reads temperature, humidity and pressure over I2C at 3.3 V.', 'conversational', 'openai/gpt-4o',
      812, 164, 2300, 'complete', '{}')`;
    // PostgREST's (and the gateway's) per-request settings, sent with the statement as one simple
    // query (one round trip, one transaction), with the claims of a real Supabase access token
    const claims = JSON.stringify({
      aud: "authenticated",
      exp: 4102444800,
      iat: 1763769600,
      iss: "http://127.0.0.1:54321/auth/v1",
      sub: USER(1),
      email: "bench1@bench.parley.local",
      phone: "",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { email: "bench1@bench.parley.local", email_verified: true, phone_verified: false, sub: USER(1) },
      role: "authenticated",
      aal: "aal1",
      amr: [{ method: "password", timestamp: 1763769600 }],
      session_id: "5e55e55e-0000-4000-8000-000000000001",
      is_anonymous: false,
    });
    const headers = JSON.stringify({
      "accept": "application/json",
      "content-type": "application/json",
      "user-agent": "postgrest-js",
      "x-client-info": "supabase-js/2.109.0",
    });
    const perRequest = (path: string, statement: string) =>
      `select set_config('search_path', 'public, extensions', true), set_config('request.jwt.claims', '${claims}', true), ` +
      `set_config('request.method', 'POST', true), set_config('request.path', '${path}', true), ` +
      `set_config('request.headers', '${headers}', true), set_config('request.cookies', '{}', true), ` +
      `set_config('role', 'authenticated', true);\n${statement}`;
    const login = () => Promise.resolve(postgres(url, { max: 1, onnotice: () => {} }));
    // the platform's broadcast, and a no-op in its place (this throwaway cluster only), to show its share
    const [{ definition: broadcastChanges }] = await admin.unsafe<{ definition: string }[]>(
      `select pg_get_functiondef('realtime.broadcast_changes(text, text, text, text, text, record, record, text)'::regprocedure) as definition`,
    );
    const noBroadcast = `create or replace function realtime.broadcast_changes(topic_name text, event_name text, ` +
      `operation text, table_name text, table_schema text, new record, old record, level text default 'ROW') ` +
      `returns void language plpgsql as $$ begin end $$`;
    const [plain, appends, oneChat, plainApi, appendsApi, quiet] = await throughputs([
      { connect: () => asUser(1), query: () => plainSql },
      { connect: () => asUser(1), query: (client) => appendSql(appendChat(client + 1)) },
      { connect: () => asUser(1), query: () => appendSql(appendChat(0)) },
      { connect: login, query: () => perRequest("/bench/plain_messages", plainSql), simple: true },
      {
        connect: login,
        query: (client) => perRequest("/rpc/append_message", appendSql(appendChat(client + 1))),
        simple: true,
      },
      {
        connect: () => asUser(1),
        query: (client) => appendSql(appendChat(client + 1)),
        before: () => admin.unsafe(noBroadcast).then(() => {}),
        after: () => admin.unsafe(broadcastChanges).then(() => {}),
      },
    ], options.seconds);
    report(
      "append_message, 8 clients, 8 chats (tx/s)",
      rate(appends.perSecond),
      "plain insert: " + rate(plain.perSecond),
      percent(appends.perSecond / plain.perSecond),
      "≥ 40%",
    );
    report(
      "  server CPU per statement (µs)",
      micros(appends.serverMicros),
      "plain insert: " + micros(plain.serverMicros),
      ratio(appends.serverMicros, plain.serverMicros),
      "(reference)",
    );
    report(
      "  each with PostgREST's per-request settings (tx/s)",
      rate(appendsApi.perSecond),
      "plain insert: " + rate(plainApi.perSecond),
      percent(appendsApi.perSecond / plainApi.perSecond),
      "(reference)",
    );
    report(
      "  8 clients on one chat (tx/s)",
      rate(oneChat.perSecond),
      "plain insert: " + rate(plain.perSecond),
      percent(oneChat.perSecond / plain.perSecond),
      "(serialized per chat)",
    );
    report(
      "  8 chats, realtime.broadcast_changes a no-op (tx/s)",
      rate(quiet.perSecond),
      "plain insert: " + rate(plain.perSecond),
      percent(quiet.perSecond / plain.perSecond),
      "(reference)",
    );

    const writer = await asUser(1);
    const shortChat = appendChat(8);
    const appendShort = await timeClient(writer, () => appendSql(shortChat), 300);
    const appendLong = await timeClient(writer, () => appendSql(CHAT(2)), 300);
    report(
      "append latency, 10k-message vs new chat (p50)",
      ms(appendLong.p50),
      "short chat: " + ms(appendShort.p50),
      ratio(appendLong.p50, appendShort.p50),
      "≈ 1",
    );

    // ------------------------------------------------------------------ the JSON-document anti-pattern
    for (const length of [1000, 4000]) {
      const chat = `d0000000-0000-4000-8000-${String(length).padStart(12, "0")}`;
      await admin.unsafe(`
        insert into public.chats (id, owner_id, title) values ('${chat}', '${USER(1)}', 'doc ${length}');
        set session_replication_role = replica;
        insert into public.messages (id, chat_id, sequence_number, parent_id, depth, segment_start, segment_ancestry, role, content,
          author_id, chat_owner_id)
        select bench.message_id('${chat}', n), '${chat}', n, case when n > 1 then bench.message_id('${chat}', n - 1) end, n, 1,
          case when n = 1 then '{}'::bigint[] end, case when n % 2 = 1 then 'user' else 'assistant' end,
          bench.text_for(n), '${USER(1)}', '${USER(1)}'
        from generate_series(1, ${length}) n;
        update public.chats set last_sequence_number = ${length}, message_count = ${length},
          current_leaf_id = bench.message_id('${chat}', ${length}) where id = '${chat}';
        select bench.place_leaves('${chat}');
        set session_replication_role = origin;
        insert into bench.chat_documents (id, doc)
        select '${chat}', jsonb_build_object('title', 'doc', 'messages', jsonb_agg(jsonb_build_object(
          'id', bench.message_id('${chat}', n), 'role', case when n % 2 = 1 then 'user' else 'assistant' end,
          'content', bench.text_for(n), 'created_at', now()) order by n))
        from generate_series(1, ${length}) n;
      `).simple();
      await admin.unsafe(`vacuum analyze bench.chat_documents`);
      const docAppend = await timeClient(
        admin,
        () =>
          `update bench.chat_documents set doc = jsonb_set(doc, '{messages}', (doc -> 'messages') || jsonb_build_array(
          jsonb_build_object('id', gen_random_uuid(), 'role', 'assistant', 'content',
          'The BME280 reads temperature, humidity and pressure over I2C at 3.3 V.', 'created_at', now())))
          where id = '${chat}'`,
        200,
      );
      const parley = await timeClient(writer, () => appendSql(chat), 200);
      report(
        `append at ${length.toLocaleString()} messages: JSON document vs append_message (p50)`,
        ms(parley.p50),
        "document: " + ms(docAppend.p50),
        ratio(docAppend.p50, parley.p50),
        length === 1000 ? "≥ 10×" : "wider than at 1k",
      );
    }
    await writer.end();
  } finally {
    await admin.end({ timeout: 5 }).catch(() => {});
    await engine.stop();
  }
  console.log();
  printTable(["metric", "Parley", "baseline", "ratio", "aim"], rows);
}

// ---------------------------------------------------------------------------- dataset

interface Shape {
  users: number;
  chats: number;
  messages: number;
  bigChats: number;
  userOneMessages: number;
}

async function buildDataset(admin: Sql, url: string, scale: number): Promise<Shape> {
  const users = Math.max(10, Math.round(100 * scale));
  const chats = Math.max(200, Math.round(10_000 * scale));
  const target = Math.max(50_000, Math.round(1_000_000 * scale));
  const bigChats = Math.max(2, Math.round(10 * scale));
  const smallChats = Math.max(10, Math.round(100 * scale));
  const restChats = chats - bigChats - smallChats;
  const perRest = Math.max(2, Math.round((target - bigChats * BIG - smallChats * 10) / restChats));

  await admin.unsafe(await Deno.readTextFile(new URL("./conversations-dataset.sql", import.meta.url))).simple();
  await admin.unsafe(`
    set session_replication_role = replica;
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', ('b0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
      'authenticated', 'authenticated', 'bench' || i || '@bench.parley.local', '', now(), '{}', '{}', now(), now()
    from generate_series(1, ${users}) i;
    -- big chats belong to user 1, the 10-message chats to user 2, the rest round-robin
    insert into public.chats (id, owner_id, title, created_at, last_activity_at)
    select ('c0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
      ('b0000000-0000-4000-8000-' || lpad(to_hex(case when i <= ${bigChats} then 1 when i <= ${
    bigChats + smallChats
  } then 2
        else 1 + i % ${users} end), 12, '0'))::uuid,
      'Chat ' || i, now() - interval '90 days', now() - interval '90 days'
    from generate_series(1, ${chats}) i;
  `).simple();
  // 2 connections insert the messages in parallel (2 cores here); secondary indexes come after
  const indexes = await admin.unsafe<{ name: string; definition: string }[]>(`
    select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = 'public.messages'::regclass and not i.indisprimary
      and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
  `);
  for (const index of indexes) await admin.unsafe(`drop index public.${index.name}`);
  const workers = [postgres(url, { max: 1, onnotice: () => {} }), postgres(url, { max: 1, onnotice: () => {} })];
  await Promise.all(workers.map(async (sql, worker) => {
    await sql.unsafe(`set session_replication_role = replica; set synchronous_commit = off`).simple();
    for (let i = 1 + worker; i <= bigChats; i += 2) await sql.unsafe(`select bench.insert_big_chat(${i})`);
    for (let i = bigChats + 1 + worker; i <= bigChats + smallChats; i += 2) {
      await sql.unsafe(`select bench.insert_linear_chats(${i}, ${i}, 10)`);
    }
    const first = bigChats + smallChats + 1;
    const step = 200;
    for (let from = first + worker * step; from <= chats; from += 2 * step) {
      await sql.unsafe(`select bench.insert_linear_chats(${from}, ${Math.min(chats, from + step - 1)}, ${perRest})`);
    }
    await sql.end();
  }));
  await admin.unsafe(`set maintenance_work_mem = '512MB'`);
  for (const index of indexes) await admin.unsafe(index.definition);
  await admin.unsafe(`select bench.finish_chats()`);
  await admin.unsafe(`set session_replication_role = origin`);
  await admin.unsafe(`vacuum analyze public.chats, public.messages`);
  const [counts] = await admin.unsafe<{ messages: number; mine: number }[]>(`
    select (select count(*) from public.messages)::int as messages,
      (select count(*) from public.messages m join public.chats c on c.id = m.chat_id
       where c.owner_id = 'b0000000-0000-4000-8000-000000000001')::int as mine
  `);
  return { users, chats, messages: counts.messages, bigChats, userOneMessages: counts.mine };
}
