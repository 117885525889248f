/**
 * search: hybrid search for the signed-in caller. POST `{ query, sources?, match_count? }` with the
 * user's JWT: the query is embedded with the active embedding model (get_embedding_models), then
 * `hybrid_search` runs as the caller (their Authorization forwarded, so RLS and the RPC's own
 * checks decide what they may find): full-text and vector results fused by reciprocal rank.
 *
 * 200 `{ model, semantic, results: [{ source, id, title, snippet, parent_id, created_at,
 * full_text_rank, semantic_rank, score }] }`. When the model's provider cannot run or fails, the
 * search is full-text only: `semantic: false` with the `reason`. 400 for a bad body (the RPC's
 * 22023 too), 401 without a signed-in user.
 */
import { z } from "zod";
import { type ConfigError, requireEnv } from "../_shared/env.ts";
import { endpoint, HttpError, json } from "../_shared/errors.ts";
import { unwrap } from "../_shared/postgrest.ts";
import { readSupabaseEnv, type SupabaseEnv, userClient } from "../_shared/supabase.ts";
import { readJson } from "../_shared/validate.ts";
import { readOpenAIEnv } from "../_shared/openai.ts";
import { defaultProviders, embeddingModelSchema, embedQuery, type Providers } from "../_shared/embeddings.ts";

export interface SearchOptions {
  providers?: Providers;
}

const body = z.object({
  query: z.string().trim().min(1).max(1000),
  sources: z.array(z.enum(["entries", "messages", "document_chunks"])).min(1).max(3).optional(),
  match_count: z.number().int().min(1).max(100).optional(),
}).strict();

export function makeSearch(env: SupabaseEnv | ConfigError, options: SearchOptions = {}) {
  const providers = options.providers ?? defaultProviders(readOpenAIEnv());
  return {
    fetch: endpoint(async (req) => {
      const supabase = userClient(requireEnv(env), req);
      const input = await readJson(req, body);
      const models = embeddingModelSchema.array().parse(
        unwrap(await supabase.rpc("get_embedding_models"), "rpc get_embedding_models"),
      );
      const model = models.find((m) => m.active);
      let embedding: number[] | null = null;
      let reason: string | null = model ? null : "no active embedding model";
      if (model) {
        try {
          embedding = await embedQuery(providers, model, input.query, AbortSignal.timeout(10_000));
        } catch (e) {
          if (!(e instanceof HttpError) || e.status < 500) throw e;
          console.warn(`search: full text only: ${e.message}`);
          reason = e.message;
        }
      }
      const results = unwrap(
        await supabase.rpc("hybrid_search", {
          query_text: input.query,
          ...(embedding ? { query_embedding: JSON.stringify(embedding), model: model!.name } : {}),
          ...(input.sources ? { sources: input.sources } : {}),
          ...(input.match_count ? { match_count: input.match_count } : {}),
        }),
        "rpc hybrid_search",
      );
      return json(200, {
        model: model?.name ?? null,
        semantic: embedding !== null,
        ...(reason ? { reason } : {}),
        results,
      });
    }, { methods: ["POST"] }),
  };
}

export default makeSearch(readSupabaseEnv());
