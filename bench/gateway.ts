/**
 * `npm run bench -- gateway [--engines pglite,native] [--seconds 5] [--clients 8] [--rounds 1] [--compare]`
 *
 * RPC round trips per second for a trivial function, `public.bench_echo(x integer)`, called by
 * `--clients` concurrent clients in a separate process (as applications are):
 *   - direct: on database connections (postgres.js, one connection per client; PGlite through its
 *     wire-protocol server), `select public.bench_echo($1)`;
 *   - gateway: through the gateway as supabase-js calls it, `POST /rest/v1/rpc/bench_echo` with an
 *     authenticated user's JWT (verification, per-request settings and role, JSON in and out).
 * Both on each engine, measured in the same run; prints one table with the ratio gateway / direct
 * and the CPU time each request costs the client, the gateway process and Postgres (native).
 * `--rounds n` repeats the measurements (alternating their order) to show the spread;
 * `--compare` also measures, on native, the gateway with RPC calls through postgres.js instead of
 * its own wire-protocol client.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { prepareDatabase } from "../stack/database.ts";
import { startEngine } from "../stack/engines/index.ts";
import type { Engine, EngineKind } from "../stack/engines/engine.ts";
import { findPostgres } from "../stack/engines/native.ts";
import { readSupabaseConfig } from "../stack/config.ts";
import { freePort } from "../stack/paths.ts";
import { loadKeys } from "../stack/gateway/keys.ts";
import { signJwt } from "../stack/gateway/jwt.ts";
import { startGateway } from "../stack/gateway/server.ts";

interface ClientJob {
  mode: "direct" | "gateway";
  dbUrl: string;
  url: string;
  anonKey: string;
  token: string;
  clients: number;
  seconds: number;
}

interface ClientResult {
  rate: number;
  p50: number;
  /** CPU seconds the client process used while counting. */
  cpu: number;
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
      compare: { type: "boolean", default: false },
    },
  });
  const seconds = Number(values.seconds);
  const clients = Number(values.clients);
  const rounds = Number(values.rounds);
  const engines = (values.engines?.split(",") ??
    ((await findPostgres()) ? ["pglite", "native"] : ["pglite"])) as EngineKind[];

  console.log(
    `gateway bench: ${clients} concurrent clients, ${seconds}s per measurement, ${rounds} round(s), ` +
      `engines ${engines.join(", ")}`,
  );
  const rows: string[][] = [];
  for (const kind of engines) {
    for (const result of await measureEngine(kind, { clients, seconds, rounds, compare: values.compare })) {
      const cpu = (m: Measured) =>
        `${m.cpuClient.toFixed(0)} / ${m.cpuServer.toFixed(0)} / ${m.cpuPostgres?.toFixed(0) ?? "-"}`;
      const { direct, gateway } = result;
      rows.push([
        kind,
        String(result.round),
        result.variant,
        direct.rate.toFixed(0),
        gateway.rate.toFixed(0),
        `${(gateway.rate / direct.rate * 100).toFixed(0)}%`,
        `${direct.p50.toFixed(2)} / ${gateway.p50.toFixed(2)}`,
        cpu(direct),
        cpu(gateway),
      ]);
    }
  }
  console.log(`\nRPC round trips per second, public.bench_echo(x integer), ${clients} clients (same run):\n`);
  printTable([
    [
      "engine",
      "round",
      "gateway's db client",
      "direct rt/s",
      "gateway rt/s",
      "gateway/direct",
      "p50 ms direct / gateway",
      "CPU µs/rt direct (client/server/pg)",
      "CPU µs/rt gateway (client/server/pg)",
    ],
    ...rows,
  ]);
  console.log(
    "\nserver = the process holding the gateway (and PGlite); pg = native Postgres backends. " +
      "All processes share this machine's CPUs. Within a round, each ratio uses that round's direct measurement.",
  );
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, j) => j <= 2 ? cell.padEnd(widths[j]) : cell.padStart(widths[j])).join("   "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("   "));
  }
}

interface EngineResult {
  round: number;
  variant: string;
  direct: Measured;
  gateway: Measured;
}

async function measureEngine(
  kind: EngineKind,
  o: { clients: number; seconds: number; rounds: number; compare: boolean },
): Promise<EngineResult[]> {
  console.log(`\n${kind}: starting a throwaway database and the gateway`);
  const engine = await startEngine(kind, { port: freePort() });
  const gateways: { variant: string; gateway: Awaited<ReturnType<typeof startGateway>> }[] = [];
  try {
    await prepareDatabase(engine);
    await engine.db.exec(`
      create function public.bench_echo(x integer) returns integer
      language sql immutable set search_path = '' as $$ select x $$;
      grant execute on function public.bench_echo(integer) to authenticated;
    `);
    const keys = await loadKeys();
    const config = await readSupabaseConfig();
    const variants: ("wire" | "postgres.js" | "pglite")[] = kind === "pglite"
      ? ["pglite"]
      : o.compare
      ? ["wire", "postgres.js"]
      : ["wire"];
    for (const variant of variants) {
      const gateway = await startGateway({
        engine,
        keys,
        config,
        port: 0,
        watchFunctions: false,
        ...(variant === "pglite" ? {} : { nativeClient: variant }),
      });
      gateways.push({ variant, gateway });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await signJwt({
      sub: crypto.randomUUID(),
      role: "authenticated",
      aud: "authenticated",
      iat: now,
      exp: now + 3600,
    }, keys.key);
    const job = { dbUrl: engine.url, anonKey: keys.anonKey, token, clients: o.clients, seconds: o.seconds };
    const postgresPid = kind === "native" ? await postmasterPid(engine) : null;
    const results: EngineResult[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      // alternate the order, so that neither side always runs first
      const order = round % 2 === 1 ? [...gateways] : [...gateways].reverse();
      const directFirst = round % 2 === 1;
      let direct: Measured | null = null;
      if (directFirst) direct = await measure({ ...job, url: "", mode: "direct" }, postgresPid);
      const through = new Map<string, Measured>();
      for (const { variant, gateway } of order) {
        through.set(variant, await measure({ ...job, url: gateway.url, mode: "gateway" }, postgresPid, variant));
      }
      if (!directFirst) direct = await measure({ ...job, url: "", mode: "direct" }, postgresPid);
      for (const { variant } of gateways) {
        results.push({ round, variant, direct: direct!, gateway: through.get(variant)! });
      }
    }
    return results;
  } finally {
    for (const { gateway } of gateways) await gateway.stop();
    await engine.stop();
  }
}

/**
 * Runs the client process for one measurement. It prints `begin` and `end` around the counted
 * period (CPU of the gateway process and Postgres backends is sampled then, while the client's
 * connections are still open), then its result, and exits when its stdin closes.
 */
async function measure(job: ClientJob, postgresPid: number | null, label = ""): Promise<Measured> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fileURLToPath(import.meta.url), "--client", JSON.stringify(job)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const sample = () => ({ server: cpuSeconds(Deno.pid), pg: postgresPid === null ? 0 : childrenCpu(postgresPid) });
  let begin = sample();
  let end = begin;
  let result: ClientResult | null = null;
  let buffer = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line === "begin") begin = sample();
      else if (line === "end") end = sample();
      else if (line.startsWith("{")) result = JSON.parse(line);
    }
    if (result) break;
  }
  await child.stdin.close();
  const status = await child.status;
  if (!status.success || !result) throw new Error(`bench client (${job.mode}) failed`);
  const count = result.rate * job.seconds;
  const perRt = (seconds: number) => seconds / count * 1e6;
  console.log(`  ${`${job.mode}${label ? ` (${label})` : ""}`.padEnd(22)} ${result.rate.toFixed(0)} round trips/s`);
  return {
    rate: result.rate,
    p50: result.p50,
    cpuClient: perRt(result.cpu),
    cpuServer: perRt(end.server - begin.server),
    cpuPostgres: postgresPid === null ? null : perRt(end.pg - begin.pg),
  };
}

const WARMUP_SECONDS = 1;

/** user + system CPU seconds of a process (Linux /proc); 0 where unavailable. */
function cpuSeconds(pid: number): number {
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of a postmaster's children (the backends): only this cluster's. */
function childrenCpu(postmaster: number): number {
  let total = 0;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const fields = Deno.readTextFileSync(`/proc/${entry.name}/stat`).split(") ")[1].split(" ");
        if (Number(fields[1]) === postmaster) total += cpuSeconds(Number(entry.name));
      } catch { /* gone */ }
    }
  } catch { /* no /proc */ }
  return total;
}

async function postmasterPid(engine: Engine): Promise<number | null> {
  const [row] = await engine.db.query<{ pid: number }>("select pg_backend_pid() as pid");
  try {
    return Number(Deno.readTextFileSync(`/proc/${row.pid}/stat`).split(") ")[1].split(" ")[1]);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- the client process

if (import.meta.main && Deno.args[0] === "--client") {
  const job = JSON.parse(Deno.args[1]) as ClientJob;
  const { result, close } = await runClient(job);
  console.log(JSON.stringify(result));
  // keep the connections (and their backends) until the parent has sampled CPU
  for await (const _ of Deno.stdin.readable) { /* until closed */ }
  await close();
  Deno.exit(0);
}

async function runClient(job: ClientJob): Promise<{ result: ClientResult; close: () => Promise<void> }> {
  let call: (i: number) => Promise<void>;
  let close = async () => {};
  if (job.mode === "direct") {
    const sql = postgres(job.dbUrl, { max: job.clients, onnotice: () => {} });
    close = () => sql.end({ timeout: 5 });
    call = async (i) => {
      const [row] = await sql.unsafe("select public.bench_echo($1) as v", [i]);
      if (row.v !== i) throw new Error("wrong answer");
    };
  } else {
    const url = `${job.url}/rest/v1/rpc/bench_echo`;
    // the headers supabase-js sends for an rpc() call
    const headers = {
      apikey: job.anonKey,
      authorization: `Bearer ${job.token}`,
      "content-type": "application/json",
      "x-client-info": "supabase-js-deno/2.109.0",
    };
    call = async (i) => {
      const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ x: i }) });
      const text = await res.text();
      if (res.status !== 200 || Number(text) !== i) throw new Error(`gateway answered ${res.status} ${text}`);
    };
  }
  const begin = performance.now() + WARMUP_SECONDS * 1000;
  const end = begin + job.seconds * 1000;
  let count = 0;
  let cpuAtBegin = -1;
  const latencies: number[] = [];
  const loop = async (client: number) => {
    let i = client * 1_000_000;
    while (true) {
      const t = performance.now();
      if (t >= end) return;
      if (t >= begin && cpuAtBegin < 0) {
        cpuAtBegin = cpuSeconds(Deno.pid);
        console.log("begin");
      }
      await call(++i);
      if (t >= begin && performance.now() < end) {
        count++;
        if (latencies.length < 500_000) latencies.push(performance.now() - t);
      }
    }
  };
  await Promise.all(Array.from({ length: job.clients }, (_, c) => loop(c)));
  const cpu = cpuSeconds(Deno.pid) - cpuAtBegin;
  console.log("end");
  latencies.sort((a, b) => a - b);
  return { result: { rate: count / job.seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? 0, cpu }, close };
}
