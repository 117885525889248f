/**
 * The model provider: any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, TEI…) through the
 * official `openai` SDK. Its settings are the SDK's own environment variables, set as Supabase
 * secrets (locally: functions/.env, which the local function host reads):
 * - OPENAI_API_KEY (required; any non-empty value for a local server that ignores it),
 * - OPENAI_BASE_URL (optional; default https://api.openai.com/v1),
 * - OPENAI_DEFAULT_MODEL (optional; the OpenAI Agents SDK's name for it): the model when a prompt
 *   version names none. Models normally come from prompt versions.
 *
 * Read once when the function's module loads (`readOpenAIEnv()`); without a key, `openaiClient`
 * answers 503 PROVIDER_NOT_CONFIGURED naming OPENAI_API_KEY. `providerError` turns the SDK's
 * errors into answers: the provider's trouble is a 502/503/504, never the caller's fault.
 */
import OpenAI, { type ClientOptions } from "openai";
import { HttpError } from "./errors.ts";
import type { EnvSource } from "./env.ts";

export interface OpenAIEnv {
  apiKey: string | null;
  baseURL: string | null;
  defaultModel: string | null;
}

/** OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_DEFAULT_MODEL (null where unset or empty). */
export function readOpenAIEnv(source: EnvSource = Deno.env): OpenAIEnv {
  const get = (name: string) => source.get(name)?.trim() || null;
  return { apiKey: get("OPENAI_API_KEY"), baseURL: get("OPENAI_BASE_URL"), defaultModel: get("OPENAI_DEFAULT_MODEL") };
}

/** Options for the SDK client besides key and URL (timeout, maxRetries, fetch, defaultHeaders…). */
export type OpenAIClientOptions = Omit<ClientOptions, "apiKey" | "baseURL">;

/** An SDK client for the configured provider, or a 503 naming the missing setting. */
export function openaiClient(env: OpenAIEnv, options: OpenAIClientOptions = {}): OpenAI {
  if (!env.apiKey) {
    throw new HttpError(
      503,
      "The model provider is not configured: set the OPENAI_API_KEY secret (and OPENAI_BASE_URL for an endpoint other than OpenAI's)",
      { code: "PROVIDER_NOT_CONFIGURED" },
    );
  }
  return new OpenAI({ ...options, apiKey: env.apiKey, ...(env.baseURL ? { baseURL: env.baseURL } : {}) });
}

/** The model to call: the one given (a prompt version's), else OPENAI_DEFAULT_MODEL, else a 503 saying so. */
export function modelFor(env: OpenAIEnv, model?: string | null): string {
  const chosen = model?.trim() || env.defaultModel;
  if (!chosen) {
    throw new HttpError(503, "No model is configured: name one in the prompt version or set OPENAI_DEFAULT_MODEL", {
      code: "PROVIDER_NOT_CONFIGURED",
    });
  }
  return chosen;
}

/**
 * The answer for an error of the SDK, or null when `e` is not one:
 * - 429 from the provider: 503 PROVIDER_RATE_LIMITED (with its Retry-After);
 * - the provider refusing the key (401/403): 502 PROVIDER_AUTH;
 * - the provider refusing the request (other 4xx: unknown model, bad input): 502 PROVIDER_REJECTED
 *   with the provider's message;
 * - the provider failing (5xx), unreachable, or cutting a stream: 502 PROVIDER_ERROR;
 * - no answer in time: 504 PROVIDER_TIMEOUT.
 * `retryable` says whether trying again later may help.
 */
export function providerError(e: unknown): (HttpError & { retryable: boolean }) | null {
  const make = (status: number, code: string, message: string, retryable: boolean, headers = {}) =>
    Object.assign(new HttpError(status, message, { code, headers, cause: e }), { retryable });
  if (e instanceof OpenAI.APIUserAbortError) return null; // our own abort: not the provider's doing
  if (e instanceof OpenAI.APIConnectionTimeoutError) {
    return make(504, "PROVIDER_TIMEOUT", "The model provider did not answer in time", true);
  }
  if (e instanceof OpenAI.APIConnectionError) {
    return make(502, "PROVIDER_ERROR", "The model provider could not be reached", true);
  }
  if (!(e instanceof OpenAI.APIError)) return null;
  const status = e.status;
  if (status === 429) {
    const retryAfter = e.headers?.get("retry-after");
    return make(503, "PROVIDER_RATE_LIMITED", "The model provider is rate limiting requests; try again shortly", true, {
      ...(retryAfter ? { "Retry-After": retryAfter } : {}),
    });
  }
  if (status === 401 || status === 403) {
    return make(502, "PROVIDER_AUTH", "The model provider refused the configured OPENAI_API_KEY", false);
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return make(502, "PROVIDER_REJECTED", `The model provider refused the request: ${providerMessage(e)}`, false);
  }
  // 5xx, or an error sent inside a stream (no status)
  return make(502, "PROVIDER_ERROR", "The model provider failed", true);
}

function providerMessage(e: InstanceType<typeof OpenAI.APIError>): string {
  const inner = (e.error as { message?: unknown } | undefined)?.message;
  return typeof inner === "string" && inner ? inner : e.message;
}
