/**
 * `npm run embed:backfill`: embeds everything that has no current vector now, instead of waiting
 * for the schedule. A backfill pass over every source (service_role_backfill_embeddings, restarted)
 * enqueues what is missing, then the embed function is called until nothing is claimable, with a
 * progress bar (jobs done of those waiting, rate, ETA).
 *
 * Against the local stack (`npm start` running; its URL and service key from .parley/), or any
 * project: SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY. Options: --budget <ms> per call of the
 * function (default 20000), --rows <n> rows per backfill step (default 5000).
 */
import { createClient } from "@supabase/supabase-js";
import cliProgress from "cli-progress";
import { loadKeys } from "../stack/gateway/keys.ts";
import { DATA_DIR } from "../stack/paths.ts";

interface ModelStatus {
  name: string;
  enabled: boolean;
  jobs: { pending: number; running: number; dead: number; claimable: number };
}

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  const value = i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} takes a positive number`);
  return value;
}

async function main(): Promise<number> {
  const budget = option("--budget", 20_000);
  const rows = option("--rows", 5000);
  const url = Deno.env.get("SUPABASE_URL") ?? `http://127.0.0.1:${Deno.env.get("PARLEY_API_PORT") ?? "54321"}`;
  const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? (await loadKeys(DATA_DIR)).serviceRoleKey;
  const supabase = createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false } });

  const rpc = async <T>(fn: string, args?: Record<string, unknown>): Promise<T> => {
    const { data, error } = await supabase.rpc(fn, args);
    if (error) throw new Error(`${fn}: ${error.message}`);
    return data as T;
  };
  try {
    await fetch(`${url}/rest/v1/`, { signal: AbortSignal.timeout(5000) }).then((r) => r.body?.cancel());
  } catch {
    console.error(`embed:backfill: nothing answers at ${url}. Start the stack (npm start) or set SUPABASE_URL.`);
    return 1;
  }

  // 1. enqueue what has no current vector
  let enqueued = 0;
  for (let restart = true;; restart = false) {
    const step = await rpc<{ enqueued: number; complete: boolean }>("service_role_backfill_embeddings", {
      max_rows: rows,
      restart,
    });
    enqueued += step.enqueued;
    if (step.complete) break;
  }
  const waiting = async () => {
    const status = await rpc<{ models: ModelStatus[] }>("get_embedding_status");
    const enabled = status.models.filter((m) => m.enabled);
    return {
      total: enabled.reduce((n, m) => n + m.jobs.pending + m.jobs.running, 0),
      dead: enabled.reduce((n, m) => n + m.jobs.dead, 0),
      models: enabled.map((m) => m.name),
    };
  };
  const before = await waiting();
  console.log(
    `embed:backfill: ${enqueued} job(s) enqueued by the backfill; ${before.total} waiting for ${
      before.models.join(", ")
    }`,
  );
  if (before.total === 0) return 0;

  // 2. the embed function until nothing is claimable
  const bar = new cliProgress.SingleBar({
    format: "  {bar} {percentage}% | {value}/{total} jobs | {rate} jobs/s | ETA {eta_formatted} | failed {failed}",
    hideCursor: true,
    etaBuffer: 50,
    // in a log (no terminal) a line every two seconds
    noTTYOutput: !Deno.stdout.isTerminal(),
    notTTYSchedule: 2000,
  }, cliProgress.Presets.shades_classic);
  bar.start(before.total, 0, { rate: "0.0", failed: 0 });
  const started = performance.now();
  let done = 0;
  let failed = 0;
  let lastError = "";
  for (;;) {
    const res = await fetch(`${url}/functions/v1/embed`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, apikey: key, "content-type": "application/json" },
      body: JSON.stringify({ time_budget_ms: budget }),
    });
    const answer = await res.json().catch(() => ({}));
    if (res.status !== 200 && res.status !== 207) {
      bar.stop();
      console.error(`embed:backfill: the embed function answered ${res.status}: ${JSON.stringify(answer)}`);
      return 1;
    }
    const completed = answer.completed?.length ?? 0;
    const failures: { error: string }[] = answer.failed ?? [];
    done += completed + failures.length;
    failed += failures.length;
    if (failures.length) lastError = failures.at(-1)!.error;
    const seconds = (performance.now() - started) / 1000;
    bar.setTotal(Math.max(before.total, done));
    bar.update(done, { rate: (done / Math.max(seconds, 0.001)).toFixed(1), failed });
    for (const s of answer.skipped ?? []) {
      bar.stop();
      console.error(`embed:backfill: model ${s.model} skipped: ${s.reason}`);
      return 1;
    }
    if (completed + failures.length === 0) break;
  }
  bar.stop();
  const after = await waiting();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `embed:backfill: ${done - failed} job(s) done, ${failed} failed in ${seconds.toFixed(1)} s ` +
      `(${(done / Math.max(seconds, 0.001)).toFixed(1)}/s); ${after.total} waiting (retries after a backoff), ` +
      `${after.dead} dead${lastError ? `; last error: ${lastError}` : ""}`,
  );
  return after.total === 0 && after.dead === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(
    await main().catch((e) => {
      console.error(`embed:backfill: ${(e as Error).message}`);
      return 1;
    }),
  );
}
