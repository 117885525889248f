/**
 * `npm run bench -- files [--events 1000000] [--rounds 10]`: files and usage on the native engine (a
 * throwaway cluster) with the gateway serving /storage/v1 over a temporary folder.
 *
 * - Throughput of a 10 MB file uploaded and downloaded through the local Storage API with supabase-js
 *   (as a signed-in user: RLS, the attachment and usage triggers, the file streamed to disk, MD5
 *   computed, renamed into place), against writing and reading the same bytes with Deno.writeFile and
 *   Deno.readFile in the same folder; the two alternate round by round. Reported, no aim.
 * - get_usage grouped by month over a ledger of --events usage events (100 users with events of every
 *   kind over two years), as one of those users (RLS on), timed inside the database: p95 and p50,
 *   against the same for a user with 100 events; and one month of one kind.
 */
import postgres from "postgres";
import { createClient } from "@supabase/supabase-js";
import { join } from "node:path";
import { percentiles, printTable } from "./_stats.ts";
import { benchOptions, ms, TIME_QUERY_FUNCTION, timeAlternating, timeQuery } from "./_measure.ts";
import { startEngine } from "../stack/db/engine.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { freePort } from "../stack/paths.ts";
import { readSupabaseConfig } from "../stack/cli/config.ts";
import { loadKeys } from "../stack/gateway/keys.ts";
import { startGateway } from "../stack/gateway/server.ts";

interface Options {
  events: number;
  rounds: number;
}

function parseArgs(args: string[]): Options {
  const options = benchOptions(args, { events: 1_000_000, rounds: 10 });
  if (!(options.events >= 10_000)) throw new Error("--events must be at least 10000");
  if (!(options.rounds >= 3)) throw new Error("--rounds must be at least 3");
  return options;
}

const SIZE = 10 * 1024 * 1024;
const USERS = 100;
const USER = (i: number) => `e1000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
const mbps = (bytes: number, millis: number) => `${(bytes / 1024 / 1024 / (millis / 1000)).toFixed(0)} MB/s`;

export default async function run(args: string[]) {
  const options = parseArgs(args);
  const engine = await startEngine("native", { port: freePort(), log: () => {} });
  const storageDir = await Deno.makeTempDir({ prefix: "parley-bench-files-" });
  const keys = await loadKeys();
  let gateway;
  const admin = postgres(engine.url, { max: 1, onnotice: () => {} });
  try {
    await prepareDatabase(engine);
    gateway = await startGateway({ engine, keys, config: await readSupabaseConfig(), port: 0, storageDir });
    const rows: string[][] = [];
    const report = (metric: string, value: string, baseline: string, ratio: string) => {
      rows.push([metric, value, baseline, ratio]);
      console.log(`  ${metric}: ${value}${baseline ? ` (${baseline})` : ""}${ratio ? ` ${ratio}` : ""}`);
    };

    // ---------------------------------------------------------------- a 10 MB file
    console.log("10 MB through the Storage API vs direct file I/O");
    const supabase = createClient(gateway.url, keys.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const { data: auth, error } = await supabase.auth.signUp({
      email: "bench-files@example.test",
      password: "bench-password-1",
    });
    if (error || !auth.user) throw new Error(`sign up: ${error?.message}`);
    const user = auth.user.id;
    const bytes = new Uint8Array(SIZE);
    for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, SIZE)));
    const files = supabase.storage.from("exports");
    const direct = join(storageDir, "direct.bin");
    const samples = { upload: [] as number[], download: [] as number[], write: [] as number[], read: [] as number[] };
    for (let round = 0; round <= options.rounds; round++) {
      let t = performance.now();
      const up = await files.upload(`${user}/big.bin`, bytes, {
        contentType: "application/octet-stream",
        upsert: true,
      });
      if (up.error) throw up.error;
      const upload = performance.now() - t;
      t = performance.now();
      const down = await files.download(`${user}/big.bin`);
      if (down.error || (await down.data!.arrayBuffer()).byteLength !== SIZE) throw new Error("download failed");
      const download = performance.now() - t;
      t = performance.now();
      await Deno.writeFile(direct, bytes);
      const write = performance.now() - t;
      t = performance.now();
      if ((await Deno.readFile(direct)).byteLength !== SIZE) throw new Error("read failed");
      const read = performance.now() - t;
      if (round === 0) continue; // warm-up
      samples.upload.push(upload);
      samples.download.push(download);
      samples.write.push(write);
      samples.read.push(read);
    }
    const p = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, percentiles(v).p50]));
    report(
      "upload 10 MB (supabase-js → Storage API), median",
      `${ms(p.upload)}, ${mbps(SIZE, p.upload)}`,
      `Deno.writeFile: ${ms(p.write)}, ${mbps(SIZE, p.write)}`,
      `${(p.write / p.upload * 100).toFixed(0)}% of direct`,
    );
    report(
      "download 10 MB (Storage API → supabase-js), median",
      `${ms(p.download)}, ${mbps(SIZE, p.download)}`,
      `Deno.readFile: ${ms(p.read)}, ${mbps(SIZE, p.read)}`,
      `${(p.read / p.download * 100).toFixed(0)}% of direct`,
    );

    // ---------------------------------------------------------------- get_usage over the ledger
    const perUser = Math.floor(options.events / USERS);
    console.log(`\nget_usage by month over ${(perUser * USERS).toLocaleString()} usage events (${USERS} users)`);
    await admin.unsafe(
      `create schema if not exists bench; grant usage on schema bench to authenticated; ${TIME_QUERY_FUNCTION}`,
    );
    await admin.unsafe(`
      insert into auth.users (id, email, aud, role, raw_user_meta_data, created_at, updated_at)
      select ('e1000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench' || i || '@example.test',
        'authenticated', 'authenticated', '{}', now(), now()
      from generate_series(0, ${USERS}) i`);
    const kinds = `array['llm_tokens', 'embedding_tokens', 'transcription_seconds', 'voice_seconds', 'storage_bytes']`;
    const started = performance.now();
    await admin.unsafe(`
      insert into public.usage_events (user_id, kind, quantity, input_tokens, output_tokens, cost_usd, billed, model,
        source_table, source_id, occurred_at)
      select ('e1000000-0000-4000-8000-' || lpad(to_hex(u), 12, '0'))::uuid, k.kind,
        (n % 1000) + 1, case when k.kind = 'llm_tokens' then n % 700 end, case when k.kind = 'llm_tokens' then n % 300 end,
        ((n % 1000) + 1) * 0.000002, n % 20 <> 0, case when k.kind = 'llm_tokens' then 'openai/gpt-4o' end,
        'bench', u || ':' || n, timestamptz '2024-01-01' + (n * interval '2 years' / ${perUser})
      from generate_series(1, ${USERS}) u, generate_series(1, ${perUser}) n,
        lateral (select (${kinds})[1 + n % 5] as kind) k`);
    await admin.unsafe(`
      insert into public.usage_events (user_id, kind, quantity, billed, source_table, source_id, occurred_at)
      select '${USER(0)}', (${kinds})[1 + n % 5], n, true, 'bench', 'small:' || n,
        timestamptz '2024-01-01' + (n * interval '2 years' / 100)
      from generate_series(1, 100) n`);
    await admin.unsafe("vacuum analyze public.usage_events");
    console.log(`  (ledger built in ${((performance.now() - started) / 1000).toFixed(0)}s)`);

    const asUser = async (id: string) => {
      const sql = postgres(engine.url, { max: 1, onnotice: () => {} });
      await sql.unsafe(`set role authenticated`);
      await sql.unsafe(`select set_config('request.jwt.claims', $1, false)`, [
        JSON.stringify({ sub: id, role: "authenticated" }),
      ]);
      return sql;
    };
    const big = await asUser(USER(1));
    const small = await asUser(USER(0));
    try {
      const query = "select * from public.get_usage(group_by => 'month')";
      const [heavy, light] = await timeAlternating([[big, query], [small, query]], 400);
      report(
        `get_usage by month, a ${perUser.toLocaleString()}-event user, p95 (p50)`,
        `${ms(heavy.p95)} (${ms(heavy.p50)})`,
        `a 100-event user: ${ms(light.p95)} (${ms(light.p50)})`,
        `${(heavy.p95 / light.p95).toFixed(1)}×`,
      );
      const month = await timeQuery(
        big,
        "select * from public.get_usage(\"from\" => '2025-03-01', \"to\" => '2025-04-01', group_by => 'month', kinds => array['llm_tokens'])",
        400,
      );
      report("get_usage, one month of one kind, p95 (p50)", `${ms(month.p95)} (${ms(month.p50)})`, "", "");
      const quota = await timeQuery(big, "select * from public.check_quota('storage_bytes')", 400);
      report("check_quota('storage_bytes') (all time), p95 (p50)", `${ms(quota.p95)} (${ms(quota.p50)})`, "", "");
      const [plan] = await big.unsafe<{ "QUERY PLAN": string }[]>(
        `explain (format text) select e.kind, count(*) from public.usage_events e where e.user_id = '${USER(1)}'
         and e.kind = any (${kinds}) group by 1`,
      );
      console.log(`  plan: ${plan["QUERY PLAN"]}`);
    } finally {
      await big.end();
      await small.end();
    }
    console.log("");
    printTable(["metric", "Parley", "baseline", "ratio"], rows, { rightFrom: 1 });
  } finally {
    await admin.end();
    await gateway?.stop();
    await engine.stop();
    await Deno.remove(storageDir, { recursive: true }).catch(() => {});
  }
}
