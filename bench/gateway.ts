/**
 * `npm run bench -- gateway [--engines pglite,native] [--seconds 5] [--clients 8] [--rounds 1]
 *   [--slice-ms 250]`
 *
 * Round trips per second for two workloads, called by `--clients` concurrent clients in a separate
 * process (as applications are):
 *   - rpc: a trivial function, `public.bench_echo(x integer)`; direct: `select public.bench_echo($1)`
 *     on database connections (postgres.js, one connection per client; PGlite through its
 *     wire-protocol server); gateway: `POST /rest/v1/rpc/bench_echo` as supabase-js calls it, with an
 *     authenticated user's JWT (verification, per-request settings and role, JSON in and out);
 *   - table: a 50-row filtered, ordered read of a table with one embedded resource,
 *     `GET /rest/v1/bench_items?select=id,label,kind,bench_parents(name)&kind=eq.3&order=id.desc&limit=50`;
 *     direct: the very SQL statement the gateway builds for it (pgrst_source CTE, lateral embed,
 *     json_agg), run on database connections.
 * Both on each engine, measured in the same run, INTERLEAVED: each side has its own client process,
 * started and warmed up once, and they take turns in slices of `--slice-ms` until each has run
 * `--seconds`, so that load from elsewhere on the machine falls on both alike. Prints one table with
 * the ratio gateway / direct and the CPU time each round trip costs the client, the gateway process
 * and Postgres (native). `--rounds n` repeats the whole measurement to show the spread. The gateway
 * serves local development and tests (on Supabase, PostgREST serves): this shows what it costs, it
 * has no throughput aim.
 */
import { printTable } from "./_stats.ts";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { type Engine, type EngineKind, startEngine } from "../stack/db/engine.ts";
import { findPostgres } from "../stack/db/native.ts";
import { readSupabaseConfig } from "../stack/cli/config.ts";
import { freePort } from "../stack/paths.ts";
import { loadKeys } from "../stack/gateway/keys.ts";
import { signJwt } from "../stack/gateway/jwt.ts";
import { startGateway } from "../stack/gateway/server.ts";
import type { Catalog } from "../stack/gateway/catalog.ts";
import type { SupabaseConfig } from "../stack/cli/config.ts";
import { quoteLiteral } from "../stack/gateway/executor.ts";
import { buildReadPlan } from "../stack/gateway/plan.ts";
import { parseQueryParams } from "../stack/gateway/query-params.ts";
import { readStatement, SqlBuilder } from "../stack/gateway/sql.ts";

type Workload = "rpc" | "table";

const TABLE_PATH = "/rest/v1/bench_items?select=id,label,kind,bench_parents(name)&kind=eq.3&order=id.desc&limit=50";

interface ClientJob {
  mode: "direct" | "gateway";
  workload: Workload;
  /** The table workload's SQL, as the gateway builds it (for the direct side). */
  tableSql: string;
  dbUrl: string;
  url: string;
  anonKey: string;
  token: string;
  clients: number;
}

/** What a client process reports for one slice. */
interface SliceResult {
  count: number;
  /** Seconds from the slice's start until its last call ended. */
  elapsed: number;
  /** CPU seconds the client process used in the slice. */
  cpu: number;
  latencies: number[];
}

interface Measured {
  rate: number;
  p50: number;
  /** CPU microseconds per round trip: client, this process (gateway or PGlite), Postgres. */
  cpuClient: number;
  cpuServer: number;
  cpuPostgres: number | null;
}

export default async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      engines: { type: "string" },
      seconds: { type: "string", default: "5" },
      clients: { type: "string", default: "8" },
      rounds: { type: "string", default: "1" },
      "slice-ms": { type: "string", default: "250" },
      workloads: { type: "string", default: "rpc,table" },
    },
  });
  const o = {
    seconds: Number(values.seconds),
    clients: Number(values.clients),
    rounds: Number(values.rounds),
    sliceMs: Number(values["slice-ms"]),
    workloads: values.workloads!.split(",") as Workload[],
  };
  const engines = (values.engines?.split(",") ??
    ((await findPostgres()) ? ["pglite", "native"] : ["pglite"])) as EngineKind[];

  console.log(
    `gateway bench: ${o.clients} concurrent clients, ${o.seconds}s per side in ${o.sliceMs} ms slices taken in ` +
      `turns, ${o.rounds} round(s), engines ${engines.join(", ")}`,
  );
  const rows: string[][] = [];
  const ratios = new Map<string, number[]>();
  for (const kind of engines) {
    for (const result of await measureEngine(kind, o)) {
      const key = `${kind} ${result.workload}`;
      ratios.set(key, [...(ratios.get(key) ?? []), result.gateway.rate / result.direct.rate]);
      const cpu = (m: Measured) =>
        `${m.cpuClient.toFixed(0)} / ${m.cpuServer.toFixed(0)} / ${m.cpuPostgres?.toFixed(0) ?? "-"}`;
      const { direct, gateway } = result;
      rows.push([
        kind,
        result.workload,
        String(result.round),
        direct.rate.toFixed(0),
        gateway.rate.toFixed(0),
        `${(gateway.rate / direct.rate * 100).toFixed(0)}%`,
        `${direct.p50.toFixed(2)} / ${gateway.p50.toFixed(2)}`,
        cpu(direct),
        cpu(gateway),
      ]);
    }
  }
  console.log(
    `\nRound trips per second, ${o.clients} clients (same run): rpc = public.bench_echo(x integer); ` +
      `table = ${TABLE_PATH.replace("/rest/v1", "")}\n`,
  );
  printTable(
    [
      "engine",
      "workload",
      "round",
      "direct rt/s",
      "gateway rt/s",
      "gateway/direct",
      "p50 ms direct / gateway",
      "CPU µs/rt direct (client/server/pg)",
      "CPU µs/rt gateway (client/server/pg)",
    ],
    rows,
    { rightFrom: 3, gap: "   " },
  );
  if (o.rounds > 1) {
    console.log(`\ngateway/direct over ${o.rounds} rounds (median, min-max):`);
    for (const [key, list] of ratios) {
      const sorted = [...list].sort((a, b) => a - b);
      const pct = (r: number) => `${(r * 100).toFixed(0)}%`;
      const mid = sorted.length % 2
        ? sorted[(sorted.length - 1) / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      console.log(`  ${key}: ${pct(mid)} (${pct(sorted[0])}-${pct(sorted.at(-1)!)})`);
    }
  }
  console.log(
    "\nserver = the process holding the gateway (and PGlite); pg = native Postgres backends. " +
      "All processes share this machine's CPUs; the sides took turns, so both met the same load.",
  );
}

interface EngineResult {
  workload: Workload;
  round: number;
  direct: Measured;
  gateway: Measured;
}

async function measureEngine(
  kind: EngineKind,
  o: { clients: number; seconds: number; rounds: number; sliceMs: number; workloads: Workload[] },
): Promise<EngineResult[]> {
  console.log(`\n${kind}: starting a throwaway database and the gateway`);
  const engine = await startEngine(kind, { port: freePort() });
  let gateway: Awaited<ReturnType<typeof startGateway>> | null = null;
  const clients: Client[] = [];
  try {
    await prepareDatabase(engine);
    await engine.db.exec(`
      create function public.bench_echo(x integer) returns integer
      language sql immutable set search_path = '' as $$ select x $$;
      grant execute on function public.bench_echo(integer) to authenticated;
      create table public.bench_parents (id int primary key, name text not null);
      create table public.bench_items (
        id int primary key,
        parent_id int not null references public.bench_parents (id),
        kind int not null,
        label text not null
      );
      create index bench_items_parent_id_idx on public.bench_items (parent_id);
      create index bench_items_kind_id_idx on public.bench_items (kind, id desc);
      insert into public.bench_parents select g, 'parent ' || g from generate_series(1, 100) g;
      insert into public.bench_items select g, 1 + g % 100, g % 10, 'item ' || g from generate_series(1, 5000) g;
      grant select on public.bench_parents, public.bench_items to authenticated;
      analyze public.bench_parents, public.bench_items;
      notify pgrst, 'reload schema';
    `);
    const keys = await loadKeys();
    const config = await readSupabaseConfig();
    gateway = await startGateway({ engine, keys, config, port: 0, watchFunctions: false });
    const now = Math.floor(Date.now() / 1000);
    const token = await signJwt({
      sub: crypto.randomUUID(),
      role: "authenticated",
      aud: "authenticated",
      iat: now,
      exp: now + 3600,
    }, keys.key);
    await gateway.catalog.refresh();
    const tableSql = tableStatement(gateway.catalog, config);
    const postgresPid = kind === "native" ? await postmasterPid(engine) : null;
    const results: EngineResult[] = [];
    for (const workload of o.workloads) {
      const job = { dbUrl: engine.url, anonKey: keys.anonKey, token, clients: o.clients, workload, tableSql };
      const sides = [
        { name: "direct", client: await Client.start({ ...job, url: "", mode: "direct" }) },
        { name: "gateway", client: await Client.start({ ...job, url: gateway!.url, mode: "gateway" }) },
      ];
      clients.push(...sides.map((s) => s.client));
      results.push(...await measureSides(workload, sides, postgresPid, o));
      for (const side of sides) await side.client.stop();
      clients.length = 0;
    }
    return results;
  } finally {
    for (const client of clients) await client.stop();
    await gateway?.stop();
    await engine.stop();
  }
}

/** The SQL the gateway runs for TABLE_PATH, values quoted in (what the direct side runs). */
function tableStatement(catalog: Catalog, config: SupabaseConfig): string {
  const url = new URL(`http://x${TABLE_PATH}`);
  const qp = parseQueryParams(url.searchParams, false);
  const plan = buildReadPlan(
    { catalog, api: config.api, schema: "public", mutation: false, fromSource: false },
    { schema: "public", name: "bench_items" },
    qp,
  );
  const b = new SqlBuilder();
  const statement = b.statement(readStatement(b, plan, { handler: "json", count: false }));
  return statement.sql((i, typed = true) => `${quoteLiteral(statement.values[i])}${typed ? "::text" : ""}`);
}

async function measureSides(
  workload: Workload,
  sides: { name: string; client: Client }[],
  postgresPid: number | null,
  o: { clients: number; seconds: number; rounds: number; sliceMs: number },
): Promise<EngineResult[]> {
  {
    // warm up every side (connections, prepared statements, JIT)
    for (const side of sides) await side.client.slice(WARMUP_MS);
    const results: EngineResult[] = [];

    // the backends are found once per round (scanning /proc on every slice would cost this process CPU)
    let backends: number[] = [];
    const sample = () => ({
      server: cpuSeconds(Deno.pid),
      pg: backends.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    });
    for (let round = 1; round <= o.rounds; round++) {
      backends = postgresPid === null ? [] : childPids(postgresPid);
      const totals = sides.map(() => ({ count: 0, elapsed: 0, cpu: 0, server: 0, pg: 0, latencies: [] as number[] }));
      const slices = Math.max(1, Math.round(o.seconds * 1000 / o.sliceMs));
      for (let s = 0; s < slices; s++) {
        // rotate who goes first, so that no side always follows the same one
        for (let k = 0; k < sides.length; k++) {
          const i = (s + k) % sides.length;
          const before = sample();
          const r = await sides[i].client.slice(o.sliceMs);
          const after = sample();
          const t = totals[i];
          t.count += r.count;
          t.elapsed += r.elapsed;
          t.cpu += r.cpu;
          t.server += after.server - before.server;
          t.pg += after.pg - before.pg;
          for (const l of r.latencies) if (t.latencies.length < 500_000) t.latencies.push(l);
        }
      }
      const measured = totals.map((t): Measured => {
        const perRt = (seconds: number) => seconds / t.count * 1e6;
        t.latencies.sort((a, b) => a - b);
        return {
          rate: t.count / t.elapsed,
          p50: t.latencies[Math.floor(t.latencies.length / 2)] ?? 0,
          cpuClient: perRt(t.cpu),
          cpuServer: perRt(t.server),
          cpuPostgres: postgresPid === null ? null : perRt(t.pg),
        };
      });
      console.log(
        `  round ${round}: ` + sides.map((side, i) => `${side.name} ${measured[i].rate.toFixed(0)} rt/s`).join(", "),
      );
      results.push({ workload, round, direct: measured[0], gateway: measured[1] });
    }
    return results;
  }
}

const WARMUP_MS = 1000;

/**
 * A client process for one side. It connects once, then runs a slice whenever asked (a line
 * `<ms>` on its stdin): its concurrent callers issue calls until the slice's time is up, wait for
 * the calls in flight, and it answers one JSON line. Between slices it is idle, its connections
 * open (their backends idle).
 */
class Client {
  private lines: AsyncIterator<string>;
  private writer: WritableStreamDefaultWriter<Uint8Array>;

  private constructor(private readonly child: Deno.ChildProcess, readonly mode: string) {
    this.lines = lines(child.stdout)[Symbol.asyncIterator]();
    this.writer = child.stdin.getWriter();
  }

  static async start(job: ClientJob): Promise<Client> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(import.meta.url), "--client", JSON.stringify(job)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const client = new Client(child, job.mode);
    if ((await client.lines.next()).value !== "ready") throw new Error(`bench client (${job.mode}) did not start`);
    return client;
  }

  async slice(ms: number): Promise<SliceResult> {
    await this.writer.write(new TextEncoder().encode(`${ms}\n`));
    const { value, done } = await this.lines.next();
    if (done || !value?.startsWith("{")) throw new Error(`bench client (${this.mode}) failed`);
    return JSON.parse(value);
  }

  async stop(): Promise<void> {
    await this.writer.close().catch(() => {});
    await this.child.status;
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
}

/** The fields of /proc/<pid>/stat after the command name (so fields[1] is the parent, [11] utime). */
function statFields(pid: number | string): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
}

/** user + system CPU seconds of a process (Linux /proc); 0 where unavailable. */
function cpuSeconds(pid: number): number {
  try {
    const fields = statFields(pid);
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A postmaster's children (the backends and workers): only this cluster's. */
function childPids(postmaster: number): number[] {
  const pids: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        if (Number(statFields(entry.name)[1]) === postmaster) pids.push(Number(entry.name));
      } catch { /* gone */ }
    }
  } catch { /* no /proc */ }
  return pids;
}

async function postmasterPid(engine: Engine): Promise<number | null> {
  const [row] = await engine.db.query<{ pid: number }>("select pg_backend_pid() as pid");
  try {
    return Number(statFields(row.pid)[1]);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- the client process

if (import.meta.main && Deno.args[0] === "--client") {
  const job = JSON.parse(Deno.args[1]) as ClientJob;
  const { call, close } = connect(job);
  console.log("ready");
  let next = 0;
  for await (const line of lines(Deno.stdin.readable)) {
    const ms = Number(line);
    const result = await runSlice(call, job.clients, ms, next);
    next += result.count + job.clients;
    console.log(JSON.stringify(result));
  }
  await close();
  Deno.exit(0);
}

function connect(job: ClientJob): { call: (i: number) => Promise<void>; close: () => Promise<void> } {
  if (job.mode === "direct" && job.workload === "table") {
    const sql = postgres(job.dbUrl, { max: job.clients, onnotice: () => {} });
    return {
      close: () => sql.end({ timeout: 5 }),
      call: async () => {
        const [row] = await sql.unsafe(job.tableSql);
        if (Number(row.page_total) !== 50) throw new Error("wrong answer");
      },
    };
  }
  if (job.workload === "table") {
    const url = `${job.url}${TABLE_PATH}`;
    // the headers supabase-js sends for a from().select()
    const headers = {
      apikey: job.anonKey,
      authorization: `Bearer ${job.token}`,
      "accept-profile": "public",
      "x-client-info": "supabase-js-deno/2.109.0",
    };
    return {
      close: async () => {},
      call: async () => {
        const res = await fetch(url, { headers });
        const rows = await res.json();
        if (res.status !== 200 || rows.length !== 50 || !rows[0].bench_parents) {
          throw new Error(`gateway answered ${res.status}`);
        }
      },
    };
  }
  if (job.mode === "direct") {
    const sql = postgres(job.dbUrl, { max: job.clients, onnotice: () => {} });
    return {
      close: () => sql.end({ timeout: 5 }),
      call: async (i) => {
        const [row] = await sql.unsafe("select public.bench_echo($1) as v", [i]);
        if (row.v !== i) throw new Error("wrong answer");
      },
    };
  }
  const url = `${job.url}/rest/v1/rpc/bench_echo`;
  // the headers supabase-js sends for an rpc() call
  const headers = {
    apikey: job.anonKey,
    authorization: `Bearer ${job.token}`,
    "content-type": "application/json",
    "x-client-info": "supabase-js-deno/2.109.0",
  };
  return {
    close: async () => {},
    call: async (i) => {
      const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ x: i }) });
      const text = await res.text();
      if (res.status !== 200 || Number(text) !== i) throw new Error(`gateway answered ${res.status} ${text}`);
    },
  };
}

/** `clients` concurrent callers issue calls for `ms`; the slice ends when the last call has. */
async function runSlice(call: (i: number) => Promise<void>, clients: number, ms: number, first: number) {
  const cpuAtStart = cpuSeconds(Deno.pid);
  const start = performance.now();
  const end = start + ms;
  let count = 0;
  let i = first % 1_000_000_000;
  const latencies: number[] = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await call(++i);
      latencies.push(performance.now() - t);
      count++;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  return { count, elapsed, cpu: cpuSeconds(Deno.pid) - cpuAtStart, latencies } satisfies SliceResult;
}
