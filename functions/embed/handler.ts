/**
 * embed: the embedding worker. Service role only: the schedule wakes it (net.http_post with the
 * service key from Vault), `npm run embed:backfill` calls it until the queue is drained.
 *
 * POST, optional JSON body `{ models?, batch_size?, time_budget_ms?, lease_seconds? }`. For each
 * enabled model (the active one first) whose provider can run here, until nothing is claimable or
 * the time budget is nearly spent:
 *   1. claim a batch (service_role_claim_embedding_jobs: skip locked, a lease);
 *   2. one provider call for the batch's texts (jobs whose text is unchanged, or that have nothing
 *      to embed any more, need none);
 *   3. check every vector with zod (the model's dimensions, finite numbers): a bad one fails its
 *      job only;
 *   4. complete the good ones in one transaction keyed by (job id, lease token)
 *      (service_role_complete_embedding_jobs, with each text's share of the batch's tokens for the
 *      usage ledger) and record the failures
 *      (service_role_fail_embedding_jobs: backoff, or dead when retrying cannot help).
 * It stops claiming once what is left of the budget is less than a batch has taken (at least a
 * second); a provider call is aborted at the deadline. A worker killed mid-batch leaves its jobs
 * running until their lease expires; then another claims them, and the lease token keeps the dead
 * worker's late answer (if any) from writing.
 *
 * Answer: 200 when every job succeeded, else 207, `{ completed: [job ids], failed: [{ id, error,
 * code?, retryable }], models: [{ name, claimed, written, unchanged, failed, batches }], skipped:
 * [{ model, reason }], stopped: "drained" | "time_budget", elapsed_ms }`. 401 without the service
 * role; 400 for a bad body.
 */
import { z } from "zod";
import { bearerRole } from "../_shared/auth.ts";
import { type ConfigError, requireEnv } from "../_shared/env.ts";
import { endpoint, HttpError } from "../_shared/errors.ts";
import { Batch } from "../_shared/multi-status.ts";
import { unwrap } from "../_shared/postgrest.ts";
import { type Client, readSupabaseEnv, serviceClient, type SupabaseEnv } from "../_shared/supabase.ts";
import { readJson } from "../_shared/validate.ts";
import { readOpenAIEnv } from "../_shared/openai.ts";
import {
  checkVectors,
  defaultProviders,
  type EmbeddingModel,
  embeddingModelSchema,
  ProviderFailure,
  providerFor,
  type Providers,
  tokenShares,
} from "../_shared/embeddings.ts";

export interface EmbedOptions {
  /** The providers (tests give their own fetch to the openai one). */
  providers?: Providers;
  /** Default time budget in milliseconds (EMBED_TIME_BUDGET_MS, else 50 s). */
  timeBudgetMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

const body = z.object({
  models: z.array(z.string().min(1).max(40)).min(1).max(20).optional(),
  batch_size: z.number().int().min(1).max(2048).optional(),
  time_budget_ms: z.number().int().min(100).max(400_000).optional(),
  lease_seconds: z.number().int().min(1).max(3600).optional(),
}).strict().optional();

const claimSchema = z.array(z.object({
  job_id: z.number().int(),
  lease_token: z.string().uuid(),
  source_table: z.string(),
  source_id: z.string(),
  content: z.string().nullable(),
  content_hash: z.string().nullable(),
  unchanged: z.boolean(),
  attempts: z.number().int(),
}));

interface ModelReport {
  name: string;
  claimed: number;
  written: number;
  unchanged: number;
  failed: number;
  batches: number;
}

export function makeEmbed(env: SupabaseEnv | ConfigError, options: EmbedOptions = {}) {
  const providers = options.providers ?? defaultProviders(readOpenAIEnv());
  const now = options.now ?? (() => performance.now());
  const defaultBudget = options.timeBudgetMs ?? (Number(Deno.env.get("EMBED_TIME_BUDGET_MS")) || 50_000);

  return {
    fetch: endpoint(async (req) => {
      const supabaseEnv = requireEnv(env);
      if (bearerRole(req) !== "service_role") {
        throw new HttpError(401, "The embed worker is for the service role only", { code: "SERVICE_ROLE_REQUIRED" });
      }
      const input = (await readJson(req, body)) ?? {};
      const started = now();
      const budget = input.time_budget_ms ?? defaultBudget;
      const deadline = started + budget;
      const leaseSeconds = input.lease_seconds ?? Math.ceil(budget / 1000) + 30;
      const supabase = serviceClient(supabaseEnv);

      const models = embeddingModelSchema.array().parse(
        unwrap(await supabase.rpc("get_embedding_models"), "rpc get_embedding_models"),
      ).filter((m) => m.enabled && (!input.models || input.models.includes(m.name)));

      const batch = new Batch<number>();
      const reports: ModelReport[] = [];
      const skipped: { model: string; reason: string }[] = [];
      let longestBatchMs = 0;
      let stopped: "drained" | "time_budget" = "drained";

      for (const model of models) {
        const provider = providerFor(providers, model);
        const why = provider.unavailable(model);
        if (why) {
          skipped.push({ model: model.name, reason: why });
          continue;
        }
        const report: ModelReport = { name: model.name, claimed: 0, written: 0, unchanged: 0, failed: 0, batches: 0 };
        reports.push(report);
        for (;;) {
          // stop claiming while there is still time to finish what was claimed
          if (deadline - now() < Math.max(1000, longestBatchMs * 1.5)) {
            stopped = "time_budget";
            break;
          }
          const batchStarted = now();
          const claimed = await claim(supabase, model, input.batch_size, leaseSeconds);
          if (claimed.length === 0) break;
          report.claimed += claimed.length;
          report.batches++;
          await runBatch(supabase, model, provider, claimed, deadline, batch, report);
          longestBatchMs = Math.max(longestBatchMs, now() - batchStarted);
        }
        if (stopped === "time_budget") break;
      }
      return batch.response({
        models: reports,
        skipped,
        stopped,
        elapsed_ms: Math.round(now() - started),
      });
    }, { methods: ["POST"] }),
  };

  async function claim(supabase: Client, model: EmbeddingModel, batchSize: number | undefined, leaseSeconds: number) {
    const rows = unwrap(
      await supabase.rpc("service_role_claim_embedding_jobs", {
        model: model.name,
        ...(batchSize ? { batch_size: batchSize } : {}),
        lease_seconds: leaseSeconds,
      }),
      "rpc service_role_claim_embedding_jobs",
    );
    return claimSchema.parse(rows);
  }

  async function runBatch(
    supabase: Client,
    model: EmbeddingModel,
    provider: ReturnType<typeof providerFor>,
    jobs: z.infer<typeof claimSchema>,
    deadline: number,
    batch: Batch<number>,
    report: ModelReport,
  ) {
    const results: {
      job_id: number;
      lease_token: string;
      embedding?: number[];
      content_hash?: string;
      tokens?: number;
    }[] = [];
    const failures: { job_id: number; lease_token: string; error: string; retryable: boolean }[] = [];
    // nothing to embed: the vector is current, or the source has nothing to embed any more
    const toEmbed = jobs.filter((j) => {
      if (j.content === null || j.unchanged) {
        results.push({ job_id: j.job_id, lease_token: j.lease_token });
        if (j.unchanged) report.unchanged++;
        return false;
      }
      return true;
    });
    if (toEmbed.length) {
      // the provider gets what is left of the budget, less a moment to record the answers
      const signal = AbortSignal.timeout(Math.max(1, deadline - now() - 500));
      try {
        const texts = toEmbed.map((j) => j.content!);
        const { vectors: raw, tokens } = await provider.embed(model, texts, signal);
        const checked = checkVectors(
          raw.length === toEmbed.length ? raw : toEmbed.map((_, i) => raw[i]),
          model.dimensions,
        );
        const shares = tokenShares(texts, tokens);
        toEmbed.forEach((job, i) => {
          const c = checked[i];
          if ("vector" in c) {
            results.push({
              job_id: job.job_id,
              lease_token: job.lease_token,
              embedding: c.vector,
              content_hash: job.content_hash!,
              tokens: shares[i],
            });
          } else {
            // a wrong vector from the provider: the same text would get it again
            failures.push({ job_id: job.job_id, lease_token: job.lease_token, error: c.error, retryable: false });
          }
        });
      } catch (e) {
        if (!(e instanceof ProviderFailure)) throw e;
        for (const job of toEmbed) {
          failures.push({ job_id: job.job_id, lease_token: job.lease_token, error: e.message, retryable: e.retryable });
        }
      }
    }

    if (results.length) {
      const done = unwrap(
        await supabase.rpc("service_role_complete_embedding_jobs", { results }),
        "rpc service_role_complete_embedding_jobs",
      );
      for (const row of done) {
        if (row.status === "lease_lost") {
          batch.fail(row.job_id, "the job's lease was lost (it expired and another worker took the job)", {
            code: "LEASE_LOST",
            retryable: false,
          });
          report.failed++;
        } else {
          if (row.status === "written") report.written++;
          batch.complete(row.job_id);
        }
      }
    }
    if (failures.length) {
      unwrap(
        await supabase.rpc("service_role_fail_embedding_jobs", { failures }),
        "rpc service_role_fail_embedding_jobs",
      );
      for (const f of failures) {
        batch.fail(f.job_id, f.error, { retryable: f.retryable });
        report.failed++;
      }
    }
  }
}

export default makeEmbed(readSupabaseEnv());
