/**
 * `npm run bench -- journal [--scale 0.1] [--seconds 5] [--hold]`: the journal's hot paths on the native
 * engine (a throwaway cluster), against baselines measured in the same run.
 *
 * Data (scale 1): 100 users with 10,000 entries each (1,000,000 entries over three years, each linked
 * to one or two of the user's 30 entities), one user with 100 entries, and for every user three years
 * of three habits (daily; Monday/Wednesday/Friday; three times a week), a daily weight and a mood
 * twice a day, built with set-based SQL. --scale multiplies the number of 10k-entry users (at least 5).
 *
 * Measured (each row of the table; the reads first, the writes last):
 * - list_entries, the latest page (50) of a 10k-entry user, as that user (RLS on): p95 and p50;
 *   against the same for a 100-entry user, alternated in rounds; a bare keyset query without RLS
 *   or function for reference; and a page 5,000 entries deep;
 * - upsert_entry of a new entry with 3 entity keys (existing entities, as a user's tags are) with 8
 *   clients, against plain inserts of the same row into an unindexed copy of entries (no trigger,
 *   constraint or policy), as the signed-in user; also upsert_entry without entity keys, and a plain
 *   insert into public.entries itself (its indexes, triggers and broadcast), for reference;
 * - get_habit_stats over three years (each habit kind) p95; get_tracker_series for a year by day p95;
 * - ingest_document of a 200 KB markdown document (new content each time): time and chunks per
 *   second; and the same document again (nothing to write).
 * Single calls are timed inside the database (bench.time_query); throughput from the client.
 */
import postgres from "postgres";
import { percentiles, printTable } from "./_stats.ts";
import {
  benchOptions,
  ms,
  percent,
  rate,
  ratio,
  throughputs,
  TIME_QUERY_FUNCTION,
  timeAlternating,
  timeQueries,
} from "./_measure.ts";
import { startEngine } from "../stack/db/engine.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { freePort } from "../stack/paths.ts";

interface Options {
  scale: number;
  seconds: number;
  hold: boolean;
}

function parseArgs(args: string[]): Options {
  const options = benchOptions(args, { scale: 1, seconds: 5, hold: false });
  if (!(options.scale > 0 && options.scale <= 1)) throw new Error("--scale must be in (0, 1]");
  if (!(options.seconds > 0)) throw new Error("--seconds must be positive");
  return options;
}

const PER_USER = 10_000;
const SMALL = 100;
const USER = (i: number) => `e0000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
const HABIT = async (sql: postgres.Sql, user: number, n: number) =>
  (await sql.unsafe<{ id: string }[]>(`select md5('habit:${user}:${n}')::uuid as id`))[0].id;

type Sql = postgres.Sql;

export default async function run(args: string[]) {
  const options = parseArgs(args);
  const engine = await startEngine("native", { port: freePort(), log: () => {} });
  const url = engine.url;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const rows: string[][] = [];
  const report = (metric: string, value: string, baseline: string, ratioText: string, aim: string) => {
    rows.push([metric, value, baseline, ratioText, aim]);
    console.log(`  ${metric}: ${value}${baseline ? ` (${baseline})` : ""}${ratioText ? ` ${ratioText}` : ""}`);
  };
  try {
    await prepareDatabase(engine);
    const started = performance.now();
    const shape = await buildDataset(admin, url, options.scale);
    console.log(
      `dataset: ${shape.entries.toLocaleString()} entries (${shape.bigUsers} users × ${PER_USER.toLocaleString()}, one of ` +
        `${SMALL}), ${shape.links.toLocaleString()} entity links, ${shape.habitLogs.toLocaleString()} habit logs, ` +
        `${shape.trackerLogs.toLocaleString()} tracker logs, built in ${
          ((performance.now() - started) / 1000).toFixed(0)
        }s`,
    );
    if (options.hold) {
      console.log(`holding the database for inspection: psql "${url}" (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
      return;
    }

    const asUser = async (userIndex: number, max = 1) => {
      const sql = postgres(url, { max, onnotice: () => {}, prepare: true });
      const claims = JSON.stringify({ sub: USER(userIndex), role: "authenticated", aud: "authenticated" });
      await sql.unsafe(
        `select set_config('role', 'authenticated', false), set_config('request.jwt.claims', '${claims}', false)`,
      );
      return sql;
    };

    // ------------------------------------------------------------------ list_entries
    const big = await asUser(1);
    const small = await asUser(shape.smallUser);
    const [latest, latestSmall, bare] = await timeAlternating([
      [big, `select count(*) from public.list_entries()`],
      [small, `select count(*) from public.list_entries()`],
      [
        admin,
        `select count(*) from (select * from public.entries where user_id = '${USER(1)}' and deleted_at is null ` +
        `order by occurred_at desc, id desc limit 50) p`,
      ],
    ], 1000);
    report("list_entries latest page, 10k-entry user (p95)", ms(latest.p95), "", "", "≤ 1 ms");
    report("  the same at p50", ms(latest.p50), "", "", "");
    report(
      "  10k-entry vs 100-entry user (p95)",
      ms(latest.p95),
      "100 entries: " + ms(latestSmall.p95),
      ratio(latest.p95, latestSmall.p95),
      "≤ 1.5×",
    );
    report(
      "  the same at p50",
      ms(latest.p50),
      "100 entries: " + ms(latestSmall.p50),
      ratio(latest.p50, latestSmall.p50),
      "",
    );
    report("  bare keyset query, no RLS or function (p95)", ms(bare.p95), "", "", "(reference)");
    const [{ cursor }] = await admin.unsafe<{ cursor: string }[]>(
      `select occurred_at::text || ',' || id as cursor from public.entries where user_id = '${USER(1)}'
       order by occurred_at desc, id desc offset 4999 limit 1`,
    );
    const deep = await timeQueries(big, [`select count(*) from public.list_entries(before => '${cursor}')`], 500);
    report("  a page 5,000 entries deep (p95)", ms(deep.p95), "", "", "(reference)");
    const byEntity = await timeQueries(
      big,
      [`select count(*) from public.list_entries(entity_id => md5('entity:1:3')::uuid)`],
      200,
    );
    report("  by entity, latest page (p95; the tag is on 600 entries)", ms(byEntity.p95), "", "", "(reference)");

    // ------------------------------------------------------------------ habits and trackers
    const habits = [await HABIT(admin, 1, 1), await HABIT(admin, 1, 2), await HABIT(admin, 1, 3)];
    const stats = await timeQueries(
      big,
      habits.map((h) => `select public.get_habit_stats('${h}', current_date - 1094)`),
      300,
    );
    report("get_habit_stats over 3 years (p95; daily, weekdays, weekly)", ms(stats.p95), "", "", "≤ 5 ms");
    report("  the same at p50", ms(stats.p50), "", "", "");
    const [{ id: weight }] = await admin.unsafe<{ id: string }[]>(`select md5('tracker:1:1')::uuid as id`);
    const [{ id: mood }] = await admin.unsafe<{ id: string }[]>(`select md5('tracker:1:2')::uuid as id`);
    const series = await timeQueries(
      big,
      [weight, mood].map((t) =>
        `select count(*) from public.get_tracker_series('${t}', 'day', current_date - 364, current_date)`
      ),
      300,
    );
    report("get_tracker_series, a year by day (p95)", ms(series.p95), "", "", "≤ 5 ms");
    report("  the same at p50", ms(series.p50), "", "", "");

    // ------------------------------------------------------------------ ingest_document
    const writer = await asUser(2);
    const ingests: number[] = [];
    let chunks = 0;
    let size = 0;
    for (let i = 0; i < 6; i++) {
      const markdown = document(200_000, i);
      size = markdown.length;
      const start = performance.now();
      const [row] = await writer.unsafe<{ chunks: number }[]>(
        `select jsonb_array_length(public.ingest_document('Handbook ${i}', $1) -> 'chunks') as chunks`,
        [markdown],
      );
      if (i > 0) ingests.push(performance.now() - start); // the first warms up
      chunks = row.chunks;
    }
    const ingest = percentiles(ingests);
    report(
      `ingest_document, ${Math.round(size / 1000)} KB markdown (median)`,
      ms(ingest.p50),
      `${chunks} chunks`,
      `${Math.round(chunks / (ingest.p50 / 1000)).toLocaleString()} chunks/s`,
      "(reported)",
    );
    const same = document(200_000, 5);
    const again: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await writer.unsafe(`select public.ingest_document('Handbook 5', $1) is not null`, [same]);
      again.push(performance.now() - start);
    }
    report("  the same document again (median; writes nothing)", ms(percentiles(again).p50), "", "", "(reference)");
    // the writes last: they leave dead rows and work for autovacuum behind
    // ------------------------------------------------------------------ upsert_entry
    const body = "Slept well. Coffee with Zoë, then a long run by the river; the knee held up. Wrote the report.";
    let counter = 0;
    const keys = () => {
      const k = counter++;
      return JSON.stringify([
        { type: "tag", key: `tag ${k % 12}` },
        { type: "person", key: `person ${k % 10}` },
        { type: "place", key: `place ${k % 8}` },
      ]);
    };
    const upsertSql = (withKeys: boolean) =>
      `select public.upsert_entry(facets => '{note,journal}', title => 'Bench entry', body_markdown => '${body}'` +
      (withKeys ? `, entity_keys => '${keys()}'` : "") + `) is not null`;
    const plainSql = (client: number) =>
      `insert into bench.plain_entries (id, user_id, facets, title, body_markdown, occurred_at, frontmatter)
       values (gen_random_uuid(), '${
        USER(1 + (client % shape.bigUsers))
      }', '{note,journal}', 'Bench entry', '${body}', now(), '{}')`;
    const tableSql =
      `insert into public.entries (facets, title, body_markdown) values ('{note,journal}', 'Bench entry', '${body}')`;
    const [plain, upserts, upsertsBare, tableInserts] = await throughputs([
      { connect: () => asUser(1), query: (client) => plainSql(client) },
      { connect: () => asUser(1 + (counter++ % Math.min(8, shape.bigUsers))), query: () => upsertSql(true) },
      { connect: () => asUser(1 + (counter++ % Math.min(8, shape.bigUsers))), query: () => upsertSql(false) },
      { connect: () => asUser(1 + (counter++ % Math.min(8, shape.bigUsers))), query: () => tableSql },
    ], options.seconds);
    report(
      "upsert_entry with 3 entity keys, 8 clients (tx/s)",
      rate(upserts.perSecond),
      "plain insert: " + rate(plain.perSecond),
      percent(upserts.perSecond / plain.perSecond),
      "≥ 30%",
    );
    report(
      "  upsert_entry without entity keys (tx/s)",
      rate(upsertsBare.perSecond),
      "plain insert: " + rate(plain.perSecond),
      percent(upsertsBare.perSecond / plain.perSecond),
      "(reference)",
    );
    report(
      "  insert into public.entries itself (tx/s)",
      rate(tableInserts.perSecond),
      "plain insert: " + rate(plain.perSecond),
      percent(tableInserts.perSecond / plain.perSecond),
      "(reference)",
    );

    await Promise.all([big.end(), small.end(), writer.end()]);
  } finally {
    await admin.end({ timeout: 5 }).catch(() => {});
    await engine.stop();
  }
  console.log();
  printTable(["metric", "Parley", "baseline", "ratio", "aim"], rows);
}

// ---------------------------------------------------------------------------- dataset

interface Shape {
  bigUsers: number;
  smallUser: number;
  entries: number;
  links: number;
  habitLogs: number;
  trackerLogs: number;
}

async function buildDataset(admin: Sql, url: string, scale: number): Promise<Shape> {
  const bigUsers = Math.max(5, Math.round(100 * scale));
  const smallUser = bigUsers + 1;
  await admin.unsafe(await Deno.readTextFile(new URL("./journal-dataset.sql", import.meta.url))).simple();
  await admin.unsafe(TIME_QUERY_FUNCTION).simple();
  await admin.unsafe(`
    set session_replication_role = replica;
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
      raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', bench.user_id(i), 'authenticated', 'authenticated',
      'journal' || i || '@bench.parley.local', '', now(), '{}', '{}', now(), now()
    from generate_series(1, ${smallUser}) i;
    insert into public.profiles (id, timezone) select bench.user_id(i), 'America/New_York' from generate_series(1, ${smallUser}) i;
    select bench.insert_entities(1, ${smallUser});
  `).simple();
  // secondary indexes come after the rows; 2 connections insert in parallel (2 cores here)
  const indexes = await admin.unsafe<{ name: string; definition: string }[]>(`
    select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid in ('public.entries'::regclass, 'public.entry_entities'::regclass) and not i.indisprimary
      and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
  `);
  for (const index of indexes) await admin.unsafe(`drop index public.${index.name}`);
  const workers = [postgres(url, { max: 1, onnotice: () => {} }), postgres(url, { max: 1, onnotice: () => {} })];
  await Promise.all(workers.map(async (sql, worker) => {
    await sql.unsafe(`set session_replication_role = replica; set synchronous_commit = off`).simple();
    for (let u = 1 + worker; u <= bigUsers; u += 2) {
      for (let from = 1; from <= PER_USER; from += 5_000) {
        await sql.unsafe(
          `select bench.insert_entries(${u}, ${PER_USER}, ${from}, ${Math.min(PER_USER, from + 4_999)})`,
        );
      }
      await sql.unsafe(`select bench.insert_habits_and_trackers(${u})`);
    }
    if (worker === 0) {
      await sql.unsafe(`select bench.insert_entries(${smallUser}, ${SMALL}, 1, ${SMALL})`);
      await sql.unsafe(`select bench.insert_habits_and_trackers(${smallUser})`);
    }
    await sql.end();
  }));
  await admin.unsafe(`set maintenance_work_mem = '512MB'`);
  for (const index of indexes) await admin.unsafe(index.definition);
  await admin.unsafe(`set session_replication_role = origin`);
  await admin.unsafe(
    `vacuum analyze public.entries, public.entry_entities, public.entities, public.habit_instances, public.tracker_logs`,
  );
  const [counts] = await admin.unsafe<{ entries: number; links: number; habits: number; trackers: number }[]>(`
    select (select count(*) from public.entries)::int as entries, (select count(*) from public.entry_entities)::int as links,
      (select count(*) from public.habit_instances)::int as habits, (select count(*) from public.tracker_logs)::int as trackers
  `);
  return {
    bigUsers,
    smallUser,
    entries: counts.entries,
    links: counts.links,
    habitLogs: counts.habits,
    trackerLogs: counts.trackers,
  };
}

/** A markdown handbook of about `size` characters: nested headings, paragraphs, lists, code. */
function document(size: number, variant: number): string {
  const words = ("sleep dream memory focus habit routine morning evening light caffeine exercise rest recovery " +
    "journal mood stress breathing schedule goal review reflection attention energy nutrition hydration walk " +
    "reading writing practice progress").split(" ");
  let seed = 17 + variant;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const sentence = () => {
    const n = 8 + Math.floor(next() * 14);
    const s = Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(" ");
    return s[0].toUpperCase() + s.slice(1) + ".";
  };
  const paragraph = () => Array.from({ length: 2 + Math.floor(next() * 6) }, sentence).join(" ");
  const parts = [`# Handbook ${variant}`, "", paragraph()];
  for (let chapter = 1; parts.join("\n").length < size; chapter++) {
    parts.push("", `## Chapter ${chapter}`, "", paragraph());
    for (let section = 1; section <= 3; section++) {
      parts.push("", `### Section ${chapter}.${section}`, "", paragraph(), "", paragraph());
      if (section === 2) parts.push("", "- " + sentence(), "- " + sentence(), "- " + sentence());
      if (section === 3 && chapter % 3 === 0) parts.push("", "```sh", "# a comment, not a heading", "npm test", "```");
    }
  }
  return parts.join("\n").slice(0, size);
}
