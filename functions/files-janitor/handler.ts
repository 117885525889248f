/**
 * files-janitor: removes the Storage objects queued in `file_deletion_jobs` (deleted attachments,
 * files of deleted chats and entries, repeated uploads) through the Storage API, which deletes each
 * object's row and file together; SQL never deletes Storage objects itself.
 *
 * POST with the service role's key (`Authorization: Bearer <service_role key>`), run on a schedule
 * (a Supabase cron job calling it, or by hand). Body (optional): `{ max_jobs?: 1..1000 (default 100),
 * lease_seconds?: 5..3600 (default 300), max_rounds?: 1..100 (default 10) }`.
 *
 * Each round claims due jobs (`service_role_claim_file_deletions`: a lease, so two janitors never
 * take the same job), removes their objects one Storage call per bucket, retried here with
 * exponential backoff on a network error or a 5xx, and reports the result
 * (`service_role_finish_file_deletions`: done when the object is really gone; otherwise retried by a
 * later run after a growing backoff, given up after 8 attempts). It stops when nothing is due, after
 * max_rounds, or when its time budget is spent.
 *
 * Idempotent, and safe to kill at any moment: a job claimed by a janitor that died comes back when
 * its lease runs out; if its object is gone by then (removed before the janitor died) the job is
 * done without another call, and a job names the object's id and version, so a new file uploaded at
 * the same path since is never removed.
 *
 * Answers 200 `{ completed: [job ids], failed: [], claimed, rounds }`, or 207 with the failed jobs
 * `{ id, error, retryable }`; 403 for any caller but the service role.
 */
import { z } from "zod";
import { bearerRole } from "../_shared/auth.ts";
import { type ConfigError, requireEnv } from "../_shared/env.ts";
import { endpoint, HttpError } from "../_shared/errors.ts";
import { Batch } from "../_shared/multi-status.ts";
import { unwrap } from "../_shared/postgrest.ts";
import { authorization, type Client, readSupabaseEnv, serviceClient, type SupabaseEnv } from "../_shared/supabase.ts";
import { readJson } from "../_shared/validate.ts";

const Body = z.object({
  max_jobs: z.number().int().min(1).max(1000).optional(),
  lease_seconds: z.number().int().min(5).max(3600).optional(),
  max_rounds: z.number().int().min(1).max(100).optional(),
}).strict().optional();

export interface JanitorOptions {
  /** Tries of one Storage call (default 3). */
  attempts?: number;
  /** The first retry's wait, doubled for each next one (default 250 ms). */
  backoffMs?: number;
  /** Stop claiming more after this long (default 50 s). */
  budgetMs?: number;
  /** Pauses between tries (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

interface Job {
  job_id: number;
  bucket_id: string;
  object_name: string;
  attempts: number;
}

/** Whether a failed Storage call may succeed if tried again (no answer, or a 5xx or 429). */
function retryable(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  return typeof status !== "number" || status >= 500 || status === 429;
}

/** Removes one bucket's objects, trying again with backoff; the last error, or null. */
async function removeObjects(supabase: Client, bucket: string, names: string[], o: Required<JanitorOptions>) {
  let last: unknown = null;
  for (let attempt = 0; attempt < o.attempts; attempt++) {
    if (attempt > 0) await o.sleep(o.backoffMs * 2 ** (attempt - 1));
    try {
      const { error } = await supabase.storage.from(bucket).remove(names);
      if (!error) return null;
      last = error;
    } catch (e) {
      last = e;
    }
    if (!retryable(last)) break;
  }
  return last;
}

export function makeFilesJanitor(env: SupabaseEnv | ConfigError, options: JanitorOptions = {}) {
  const o: Required<JanitorOptions> = {
    attempts: options.attempts ?? 3,
    backoffMs: options.backoffMs ?? 250,
    budgetMs: options.budgetMs ?? 50_000,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  return {
    fetch: endpoint(async (req) => {
      const settings = requireEnv(env);
      authorization(req); // none: 401
      if (bearerRole(req) !== "service_role") {
        throw new HttpError(403, "Only the service role runs the files janitor", { code: "FORBIDDEN" });
      }
      const body = (await readJson(req, Body)) ?? {};
      const supabase = serviceClient(settings);
      const started = Date.now();
      const batch = new Batch<number>();
      let claimed = 0;
      let rounds = 0;
      while (rounds < (body.max_rounds ?? 10) && Date.now() - started < o.budgetMs) {
        rounds++;
        const jobs = unwrap(
          await supabase.rpc("service_role_claim_file_deletions", {
            max_jobs: body.max_jobs ?? 100,
            lease_seconds: body.lease_seconds ?? 300,
          }),
          "rpc service_role_claim_file_deletions",
        ) as Job[];
        if (!jobs.length) break;
        claimed += jobs.length;
        const byBucket = new Map<string, Job[]>();
        for (const job of jobs) byBucket.set(job.bucket_id, [...(byBucket.get(job.bucket_id) ?? []), job]);
        for (const [bucket, group] of byBucket) {
          const error = await removeObjects(supabase, bucket, group.map((j) => j.object_name), o);
          const message = error === null
            ? null
            : (error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error));
          const finished = unwrap(
            await supabase.rpc("service_role_finish_file_deletions", {
              job_ids: group.map((j) => j.job_id),
              ...(message === null ? {} : { error: message }),
            }),
            "rpc service_role_finish_file_deletions",
          ) as { job_id: number; status: string }[];
          for (const row of finished) {
            if (row.status === "done") batch.complete(row.job_id);
            else {
              batch.fail(row.job_id, message ?? "the object still exists after its removal", {
                retryable: row.status === "pending",
              });
            }
          }
        }
        if (jobs.length < (body.max_jobs ?? 100)) break;
      }
      return batch.response({ claimed, rounds });
    }, { methods: ["POST"] }),
  };
}

export default makeFilesJanitor(readSupabaseEnv());
