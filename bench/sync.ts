/**
 * `npm run bench -- sync [--scale 0.1] [--skip-gateway]`: sync's hot paths on the native engine (a
 * throwaway cluster).
 *
 * Data: one user with 10,000 entries and one with 1,000,000 (scale 1), written before a cursor's
 * snapshot and unchanged since, then 100 entries of each changed after it; a third user with 1,000
 * entries written after the cursor.
 *
 * Measured:
 * - pull_changes of 1,000 changes (one page of 1,000 entries with their links), p95 and p50, timed
 *   in the database as the user (bench.time_query);
 * - pull_changes of the same 100 changes for the 10k-row user and the 1M-row user, alternated in
 *   rounds: the ratio shows whether a pull costs what changed or what exists (aim ≤ 1.5×);
 * - push_changes of 500 new entries in one call, p95 (client side, answer included), against 500
 *   single upsert_entry calls one after the other, over a database connection (postgres.js) and
 *   through the gateway as supabase-js calls it (HTTP, JWT, JSON): the ratio of their times.
 */
import postgres from "postgres";
import { createClient } from "@supabase/supabase-js";
import { percentiles, printTable } from "./_stats.ts";
import { benchOptions, ms, TIME_QUERY_FUNCTION, timeAlternating, timeQuery } from "./_measure.ts";
import { startEngine } from "../stack/db/engine.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { freePort } from "../stack/paths.ts";
import { loadKeys } from "../stack/gateway/keys.ts";
import { signJwt } from "../stack/gateway/jwt.ts";
import { startGateway } from "../stack/gateway/server.ts";
import { readSupabaseConfig } from "../stack/cli/config.ts";

type Sql = postgres.Sql;

const USER = (i: number) => `5e000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
const SMALL = 1, BIG = 2, PULLER = 3, PUSHER = 4;

function parseArgs(args: string[]) {
  const options = benchOptions(args, { scale: 1, skipGateway: false });
  if (!(options.scale > 0 && options.scale <= 1)) throw new Error("--scale must be in (0, 1]");
  return options;
}

export default async function run(args: string[]) {
  const options = parseArgs(args);
  const bigRows = Math.round(1_000_000 * options.scale);
  const engine = await startEngine("native", { port: freePort(), log: () => {} });
  const admin = postgres(engine.url, { max: 1, onnotice: () => {} });
  const rows: string[][] = [];
  const report = (metric: string, value: string, baseline = "", ratioText = "", aim = "") => {
    rows.push([metric, value, baseline, ratioText, aim]);
    console.log(`  ${metric}: ${value}${baseline ? ` (${baseline})` : ""}${ratioText ? ` ${ratioText}` : ""}`);
  };
  let gateway: Awaited<ReturnType<typeof startGateway>> | null = null;
  try {
    await prepareDatabase(engine);
    const started = performance.now();
    const cursor = await buildDataset(admin, engine.url, bigRows);
    console.log(
      `dataset: 10,000 and ${bigRows.toLocaleString()} unchanged entries, built in ${
        ((performance.now() - started) / 1000).toFixed(0)
      }s`,
    );

    const asUser = async (user: number) => {
      const sql = postgres(engine.url, { max: 1, onnotice: () => {}, prepare: true });
      const claims = JSON.stringify({ sub: USER(user), role: "authenticated", aud: "authenticated" });
      await sql.unsafe(
        `select set_config('role', 'authenticated', false), set_config('request.jwt.claims', '${claims}', false)`,
      );
      return sql;
    };

    // ------------------------------------------------------------------ pull of 1,000 changes
    const puller = await asUser(PULLER);
    const [{ n }] = await puller.unsafe<{ n: number }[]>(
      `select jsonb_array_length(public.pull_changes('${cursor}', null, 1000) #> '{changes,entries,created}') as n`,
    );
    if (n !== 1000) throw new Error(`expected 1,000 changes, got ${n}`);
    const pull1000 = await timeQuery(puller, `select public.pull_changes('${cursor}', null, 1000)`, 220);
    report("pull_changes of 1,000 changes (one page), p95", ms(pull1000.p95), "", "", "(reported)");
    report("  the same at p50", ms(pull1000.p50));

    // ------------------------------------------------------------------ 10k vs 1M unchanged rows
    const small = await asUser(SMALL);
    const big = await asUser(BIG);
    for (const [sql, who] of [[small, "10k"], [big, "1M"]] as const) {
      const [{ n: got }] = await sql.unsafe<{ n: number }[]>(
        `select jsonb_array_length(public.pull_changes('${cursor}') #> '{changes,entries,updated}') as n`,
      );
      if (got !== 100) throw new Error(`${who}: expected 100 changed entries, got ${got}`);
    }
    const [ofSmall, ofBig] = await timeAlternating([
      [small, `select public.pull_changes('${cursor}')`],
      [big, `select public.pull_changes('${cursor}')`],
    ], 1000);
    report(
      `pull of 100 changes, user with ${bigRows.toLocaleString()} vs 10,000 unchanged rows, p95`,
      ms(ofBig.p95),
      `10k: ${ms(ofSmall.p95)}`,
      `${(ofBig.p95 / ofSmall.p95).toFixed(2)}×`,
      "≤ 1.5×",
    );
    report("  the same at p50", ms(ofBig.p50), `10k: ${ms(ofSmall.p50)}`, `${(ofBig.p50 / ofSmall.p50).toFixed(2)}×`);

    // ------------------------------------------------------------------ push: one call vs single RPCs
    const pusher = await asUser(PUSHER);
    const entry = (i: number) => ({ id: crypto.randomUUID(), facets: ["note"], title: `note ${i}` });
    const pushTimes: number[] = [];
    for (let round = 0; round < 22; round++) {
      const changes = {
        entries: { created: Array.from({ length: 500 }, (_, i) => entry(i)), updated: [], deleted: [] },
      };
      const start = performance.now();
      const [{ applied }] = await pusher.unsafe<{ applied: number }[]>(
        `select jsonb_array_length(public.push_changes($1::text::jsonb, null, $2) -> 'applied') as applied`,
        [JSON.stringify(changes), crypto.randomUUID()],
      );
      if (round >= 2) pushTimes.push(performance.now() - start); // two warm up
      if (applied !== 500) throw new Error(`push applied ${applied}`);
    }
    const singleTimes: number[] = [];
    for (let round = 0; round < 7; round++) {
      const start = performance.now();
      for (let i = 0; i < 500; i++) {
        const e = entry(i);
        await pusher.unsafe(`select public.upsert_entry(id => $1, facets => '{note}', title => $2) is not null`, [
          e.id,
          e.title,
        ]);
      }
      if (round >= 2) singleTimes.push(performance.now() - start);
    }
    const push = percentiles(pushTimes);
    const single = percentiles(singleTimes);
    report(
      "push_changes of 500 new entries in one call (database connection), p95",
      ms(push.p95),
      "",
      "",
      "(reported)",
    );
    report("  the same at p50", ms(push.p50));
    report(
      "  against 500 single upsert_entry calls (database connection), p50",
      ms(push.p50),
      `500 calls: ${ms(single.p50)}`,
      `${(push.p50 / single.p50).toFixed(2)}×`,
      "(ratio)",
    );

    if (!options.skipGateway) {
      const keys = await loadKeys();
      gateway = await startGateway({
        engine,
        keys,
        config: await readSupabaseConfig(),
        port: 0,
        watchFunctions: false,
      });
      const now = Math.floor(Date.now() / 1000);
      const token = await signJwt({
        sub: USER(PUSHER),
        role: "authenticated",
        aud: "authenticated",
        iat: now,
        exp: now + 3600,
      }, keys.key);
      const supabase = createClient(gateway.url, keys.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
        global: { headers: { Authorization: `Bearer ${token}` } },
      });
      const httpPush: number[] = [];
      for (let round = 0; round < 12; round++) {
        const changes = {
          entries: { created: Array.from({ length: 500 }, (_, i) => entry(i)), updated: [], deleted: [] },
        };
        const start = performance.now();
        const { error } = await supabase.rpc("push_changes", { changes, mutation_id: crypto.randomUUID() });
        if (error) throw new Error(error.message);
        if (round >= 2) httpPush.push(performance.now() - start);
      }
      const httpSingle: number[] = [];
      for (let round = 0; round < 4; round++) {
        const start = performance.now();
        for (let i = 0; i < 500; i++) {
          const e = entry(i);
          const { error } = await supabase.rpc("upsert_entry", { id: e.id, facets: ["note"], title: e.title });
          if (error) throw new Error(error.message);
        }
        if (round >= 1) httpSingle.push(performance.now() - start);
      }
      const hp = percentiles(httpPush);
      const hs = percentiles(httpSingle);
      report("push_changes of 500 entries through the gateway (supabase-js), p95", ms(hp.p95), "", "", "(reported)");
      report(
        "  against 500 single upsert_entry calls through the gateway, p50",
        ms(hp.p50),
        `500 calls: ${ms(hs.p50)}`,
        `${(hp.p50 / hs.p50).toFixed(2)}×`,
        "(ratio)",
      );
    }
    await Promise.all([puller, small, big, pusher].map((s) => s.end()));

    console.log("\nnative engine, one run:");
    printTable(["metric", "Parley", "baseline", "ratio", "aim"], rows, { rightFrom: 1 });
  } finally {
    await gateway?.stop().catch(() => {});
    await admin.end();
    await engine.stop();
  }
}

/** Builds the data set and returns the cursor (a snapshot taken between the two phases). */
async function buildDataset(admin: Sql, url: string, bigRows: number): Promise<string> {
  await admin.unsafe(`create schema if not exists bench; grant usage on schema bench to authenticated;`).simple();
  await admin.unsafe(TIME_QUERY_FUNCTION).simple();
  await admin.unsafe(`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
      raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', ('5e000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
      'authenticated', 'authenticated', 'sync' || i || '@bench.parley.local', '', now(), '{}', '{}', now(), now()
    from generate_series(1, 4) i;
  `).simple();
  // unchanged rows: secondary indexes after the rows, triggers (broadcasts) off for the load
  const indexes = await admin.unsafe<{ name: string; definition: string }[]>(`
    select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = 'public.entries'::regclass and not i.indisprimary
  `);
  for (const index of indexes) await admin.unsafe(`drop index public.${index.name}`);
  const load = async (user: number, count: number) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`set session_replication_role = replica; set synchronous_commit = off`).simple();
    for (let from = 1; from <= count; from += 100_000) {
      await sql.unsafe(`
        insert into public.entries (user_id, facets, title, body_markdown, occurred_at, created_at, updated_at)
        select '${
        USER(user)
      }', '{note}', 'entry ' || i, 'Written on day ' || i, now() - i * interval '1 minute', now(), now()
        from generate_series(${from}, ${Math.min(count, from + 99_999)}) i`);
    }
    await sql.end();
  };
  await Promise.all([load(SMALL, 10_000), load(BIG, bigRows)]);
  for (const index of indexes) await admin.unsafe(index.definition);
  await admin.unsafe(`vacuum analyze public.entries`);
  const [{ snapshot }] = await admin.unsafe<{ snapshot: string }[]>(`select pg_current_snapshot()::text as snapshot`);
  const cursor = `s1/${snapshot}///`;
  // after the cursor: 100 entries changed for each of the two users, 1,000 new ones for the puller
  // (as the users: the triggers stamp and broadcast as on any write)
  for (const user of [SMALL, BIG]) {
    await admin.begin(async (tx) => {
      await tx.unsafe(`select set_config('role', 'authenticated', true),
        set_config('request.jwt.claims', '{"sub": "${USER(user)}", "role": "authenticated"}', true)`);
      await tx.unsafe(`update public.entries e set title = e.title || ' (edited)'
        where e.id in (select id from public.entries where user_id = '${
        USER(user)
      }' order by occurred_at desc limit 100)`);
    });
  }
  await admin.begin(async (tx) => {
    await tx.unsafe(`select set_config('role', 'authenticated', true),
      set_config('request.jwt.claims', '{"sub": "${USER(PULLER)}", "role": "authenticated"}', true)`);
    await tx.unsafe(
      `select public.upsert_entry(facets => '{note}', title => 'new ' || i) from generate_series(1, 1000) i`,
    );
  });
  await admin.unsafe(`analyze public.entries`);
  return cursor;
}
