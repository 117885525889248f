/**
 * Measuring for the benchmarks that run on the native engine through postgres.js: single calls timed
 * inside the database (bench.time_query: clock_timestamp around each execution, as the connection's
 * user, planning included), alternated rounds so that background load hits compared queries alike,
 * client-side latencies, and throughput of 8 clients with the server CPU each statement costs.
 */
import { parseArgs } from "node:util";
import type postgres from "postgres";
import { type Percentiles, percentiles } from "./_stats.ts";

type Sql = postgres.Sql;

/** bench.time_query(query, n): each execution's milliseconds, measured in the server. */
export const TIME_QUERY_FUNCTION = `
create function bench.time_query(query text, n integer) returns float8[] language plpgsql as $$
declare
  started timestamptz;
  samples float8[] := '{}';
begin
  for i in 1..n loop
    started := clock_timestamp();
    execute query;
    samples := samples || extract(epoch from clock_timestamp() - started)::float8 * 1000;
  end loop;
  return samples;
end
$$;
grant execute on function bench.time_query(text, integer) to authenticated;
`;

export type Timing = Percentiles;

/** Server-side milliseconds of each execution of `query` (after a warm-up), as the connection's user. */
export async function timeQuery(sql: Sql, query: string, n: number): Promise<Timing> {
  return await timeQueries(sql, [query], n);
}

export async function timeQueries(sql: Sql, queries: string[], n: number): Promise<Timing> {
  const samples: number[] = [];
  for (const query of queries) {
    const [row] = await sql.unsafe<{ samples: number[] }[]>(`select bench.time_query($1, $2) as samples`, [query, n]);
    samples.push(...row.samples.slice(Math.min(20, Math.floor(n / 10))));
  }
  return percentiles(samples);
}

/** Like timeQuery for several statements (each on its connection), alternating in rounds of 50. */
export async function timeAlternating(queries: [Sql, string][], n: number): Promise<Timing[]> {
  const samples: number[][] = queries.map(() => []);
  const round = 50;
  for (let done = 0; done < n; done += round) {
    for (const [i, [sql, query]] of queries.entries()) {
      const [row] = await sql.unsafe<{ samples: number[] }[]>(`select bench.time_query($1, $2) as samples`, [
        query,
        Math.min(round, n - done),
      ]);
      // the first round warms up (plans, caches)
      if (done > 0) samples[i].push(...row.samples);
    }
  }
  return samples.map(percentiles);
}

/** Client-side milliseconds of n sequential statements. */
export async function timeClient(sql: Sql, query: () => string, n: number): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await sql.unsafe(query());
    samples.push(performance.now() - started);
  }
  return percentiles(samples.slice(Math.min(20, Math.floor(n / 10))));
}

export interface Load {
  connect: () => Promise<Sql>;
  query: (client: number) => string;
  /** Send as a simple-protocol query (several statements in one string). */
  simple?: boolean;
  /** Run before and after each of this load's turns. */
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

export interface Throughput {
  perSecond: number;
  /** CPU time of the 8 server processes per statement, from /proc (the cluster runs here). */
  serverMicros: number;
}

/**
 * Statements per second of each load, with 8 clients each on its own connection: the loads take
 * turns (`rounds` turns each, `seconds` in all per load), so that background load hits them alike.
 */
export async function throughputs(loads: Load[], seconds: number, rounds = 4): Promise<Throughput[]> {
  const pools = await Promise.all(loads.map((load) => Promise.all(Array.from({ length: 8 }, () => load.connect()))));
  const run = (load: Load, sql: Sql, client: number) =>
    load.simple ? sql.unsafe(load.query(client)).simple() : sql.unsafe(load.query(client));
  try {
    const pids = await Promise.all(
      pools.map((clients) =>
        Promise.all(
          clients.map(async (sql) => (await sql.unsafe<{ pid: number }[]>(`select pg_backend_pid() as pid`))[0].pid),
        )
      ),
    );
    const cpu = (i: number) =>
      pids[i].reduce((sum, pid) => {
        try {
          return sum + Number(Deno.readTextFileSync(`/proc/${pid}/schedstat`).split(" ")[0]);
        } catch {
          return NaN;
        }
      }, 0);
    const totals = loads.map(() => ({ done: 0, ms: 0, cpuNs: 0 }));
    for (let round = 0; round < rounds; round++) {
      for (const [i, load] of loads.entries()) {
        await load.before?.();
        // warm up every connection (plans, caches)
        await Promise.all(pools[i].map(async (sql, client) => {
          for (let k = 0; k < (round === 0 ? 20 : 3); k++) await run(load, sql, client);
        }));
        let done = 0;
        const cpuBefore = cpu(i);
        const started = performance.now();
        const deadline = started + (seconds * 1000) / rounds;
        await Promise.all(pools[i].map(async (sql, client) => {
          while (performance.now() < deadline) {
            await run(load, sql, client);
            done++;
          }
        }));
        totals[i].ms += performance.now() - started;
        totals[i].cpuNs += cpu(i) - cpuBefore;
        totals[i].done += done;
        await load.after?.();
      }
    }
    return totals.map((t) => ({ perSecond: t.done / (t.ms / 1000), serverMicros: t.cpuNs / 1000 / t.done }));
  } finally {
    await Promise.all(pools.flat().map((sql) => sql.end()));
  }
}

// ---------------------------------------------------------------------------- printing

export const ms = (value: number) => `${value < 1 ? value.toFixed(3) : value.toFixed(2)} ms`;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
export const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
export const rate = (value: number) => `${Math.round(value).toLocaleString()}/s`;
export const micros = (value: number) => `${Math.round(value).toLocaleString()} µs`;

/**
 * A benchmark's options from its arguments (node:util's parseArgs): each key of `defaults` is a
 * flag, camelCase as kebab-case (skipModel: --skip-model); a number takes a value (`--scale 0.1` or
 * `--scale=0.1`), a boolean is a switch. An unknown flag or a value that is not a number throws,
 * listing the flags.
 */
export function benchOptions<T extends Record<string, number | boolean>>(args: string[], defaults: T): T {
  const flag = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const entries = Object.entries(defaults);
  const usage = entries.map(([k, v]) => typeof v === "number" ? `--${flag(k)} <n>` : `--${flag(k)}`).join(", ");
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: Object.fromEntries(
        entries.map(([k, v]) => [flag(k), { type: typeof v === "number" ? "string" as const : "boolean" as const }]),
      ),
    }));
  } catch (e) {
    throw new Error(`${(e as Error).message} (use ${usage})`);
  }
  const options: Record<string, number | boolean> = { ...defaults };
  for (const [k, v] of entries) {
    const given = values[flag(k)];
    if (given === undefined) continue;
    if (typeof v === "boolean") options[k] = given === true;
    else if (Number.isFinite(Number(given))) options[k] = Number(given);
    else throw new Error(`--${flag(k)} takes a number, not ${given}`);
  }
  return options as T;
}
