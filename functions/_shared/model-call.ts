/**
 * Model calls of agent functions, measured and recorded: each call (streamed or not) through the
 * `openai` SDK becomes one prompt run (supabase/schemas/510_prompt_runs.sql: prompt version, agent,
 * model, start, latency, time to first token, tokens, success, error class), whatever its outcome.
 *
 *   const calls = new ModelCalls(openai, { timeoutMs: 60_000 });
 *   const answer = await calls.stream({ prompt, agent: "bom_generator" }, body, (text) => sse.send("delta", { text }));
 *   …
 *   await service.rpc("service_role_record_prompt_runs", { runs: calls.runs });
 *
 * Failures are ModelCallErrors: the HTTP error to answer with (providerError's mapping: 429 → 503,
 * timeout → 504, other provider failures → 502), the run's error class, and the text received before
 * the failure (never to be stored as a complete answer).
 *
 * Timeouts: the SDK's `timeout` bounds the wait for the response; while streaming, `timeoutMs` also
 * bounds the wait for the first token and between chunks (the SDK does not), so a stalled stream
 * ends as a timeout instead of holding the function.
 *
 * Tokens: the provider's usage (streams ask for it with `stream_options.include_usage`). A provider
 * that reports none, or a stream cut before its usage arrived, is estimated (characters / 4) and
 * the run says so (`metadata.usage_estimated`).
 */
import type OpenAI from "openai";
import type { EnvSource } from "./env.ts";
import { HttpError } from "./errors.ts";
import { providerError } from "./openai.ts";
import { estimateTokens, type PromptVersion } from "./prompts.ts";

export type ErrorClass =
  | "rate_limited"
  | "timeout"
  | "auth"
  | "rejected"
  | "provider_error"
  | "cut_stream"
  | "invalid_output"
  | "internal";

/** One prompt run, as service_role_record_prompt_runs and service_role_finish_reply take it. */
export interface PromptRun {
  id: string;
  prompt_name: string;
  prompt_version: number;
  agent_name: string | null;
  model: string;
  started_at: string;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  success: boolean;
  error_class: ErrorClass | null;
  error_message: string | null;
  metadata: Record<string, unknown>;
}

/** A failed model call: what to answer, the run's error class, and any text received before it failed. */
export class ModelCallError extends Error {
  constructor(readonly http: HttpError, readonly errorClass: ErrorClass, readonly partial = "") {
    super(http.message, { cause: http });
    this.name = "ModelCallError";
  }
}

export interface ToolCall {
  id: string;
  name: string;
  /** The model's text, as it sent it (not parsed: the caller validates it). */
  arguments: string;
}

export interface CallResult {
  content: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: { input: number; output: number; estimated: boolean };
  /** Streamed calls: milliseconds to the first content or tool-call delta. */
  ttftMs: number | null;
  latencyMs: number;
  /** The model the provider reports (else the one asked for). */
  model: string;
}

export interface CallOf {
  prompt: Pick<PromptVersion, "name" | "version">;
  agent?: string | null;
  /** Kept with the run (e.g. { step: "route" }). */
  metadata?: Record<string, unknown>;
}

export interface ModelCallsOptions {
  /** Response and idle timeout of each call, in milliseconds (default 60,000). */
  timeoutMs?: number;
  /** Retries of the SDK for 408/409/429/5xx before any answer arrived (default: the SDK's, 2). */
  maxRetries?: number;
}

/**
 * PARLEY_MODEL_TIMEOUT_MS (the wait for an answer, its first token and each next chunk) and
 * PARLEY_MODEL_MAX_RETRIES (the SDK's retries), when set to non-negative integers.
 */
export function readModelSettings(source: EnvSource = Deno.env): { timeoutMs?: number; maxRetries?: number } {
  const number = (name: string) => {
    const text = source.get(name)?.trim();
    const n = text ? Number(text) : NaN;
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  return { timeoutMs: number("PARLEY_MODEL_TIMEOUT_MS"), maxRetries: number("PARLEY_MODEL_MAX_RETRIES") };
}

type Messages = OpenAI.Chat.Completions.ChatCompletionMessageParam[];
export type StreamBody = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming, "stream" | "stream_options">;
export type CompleteBody = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, "stream">;

export class ModelCalls {
  /** Every call so far, in order, one run each. */
  readonly runs: PromptRun[] = [];
  private readonly timeoutMs: number;
  private readonly maxRetries: number | undefined;
  /** Milliseconds spent waiting for the provider, over all calls (the function's own time is the rest). */
  modelMs = 0;

  constructor(private readonly openai: OpenAI, options: ModelCallsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries;
  }

  /** A streamed completion; `onDelta` gets each piece of text as it arrives. */
  async stream(of: CallOf, body: StreamBody, onDelta: (text: string) => void): Promise<CallResult> {
    const startedAt = new Date();
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.timeoutMs);
    };
    let content = "";
    let finishReason: string | null = null;
    let ttftMs: number | null = null;
    let usage: OpenAI.CompletionUsage | null = null;
    let model = body.model;
    const calls = new Map<number, ToolCall>();
    let chunks = 0;
    arm();
    try {
      const stream = await this.openai.chat.completions.create(
        { ...body, stream: true, stream_options: { include_usage: true } },
        { signal: controller.signal, timeout: this.timeoutMs, ...this.retries() },
      );
      for await (const chunk of stream) {
        arm();
        chunks++;
        if (chunk.model) model = chunk.model;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const delta = choice.delta ?? {};
        if (delta.content) {
          ttftMs ??= performance.now() - started;
          content += delta.content;
          onDelta(delta.content);
        }
        for (const piece of delta.tool_calls ?? []) {
          ttftMs ??= performance.now() - started;
          const call = calls.get(piece.index) ?? { id: "", name: "", arguments: "" };
          if (piece.id) call.id = piece.id;
          if (piece.function?.name) call.name += piece.function.name;
          if (piece.function?.arguments) call.arguments += piece.function.arguments;
          calls.set(piece.index, call);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
    } catch (e) {
      clearTimeout(timer);
      const failure = classify(e, { timedOut, streamed: chunks > 0 }, content);
      this.record(of, body.model, startedAt, started, ttftMs, failure, estimate(body.messages, content, calls));
      throw failure;
    }
    clearTimeout(timer);
    if (finishReason === null) {
      // the body ended without saying it was finished (no finish_reason, no [DONE]): cut short, or
      // our own abort when a token took too long (the SDK ends the iteration quietly then)
      const failure = timedOut
        ? classify(new Error("aborted"), { timedOut, streamed: chunks > 0 }, content)
        : new ModelCallError(
          new HttpError(502, "The model provider's answer broke off", { code: "PROVIDER_ERROR" }),
          "cut_stream",
          content,
        );
      this.record(of, model, startedAt, started, ttftMs, failure, estimate(body.messages, content, calls));
      throw failure;
    }
    const result: CallResult = {
      content,
      toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c),
      finishReason,
      usage: usage
        ? { input: usage.prompt_tokens, output: usage.completion_tokens, estimated: false }
        : estimate(body.messages, content, calls),
      ttftMs: ttftMs === null ? null : Math.round(ttftMs),
      latencyMs: Math.round(performance.now() - started),
      model,
    };
    this.record(of, model, startedAt, started, ttftMs, null, result.usage);
    return result;
  }

  /** A completion that is not streamed (routing, structured output). */
  async complete(of: CallOf, body: CompleteBody): Promise<CallResult> {
    const startedAt = new Date();
    const started = performance.now();
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.openai.chat.completions.create({ ...body, stream: false }, {
        timeout: this.timeoutMs,
        ...this.retries(),
      });
    } catch (e) {
      const failure = classify(e, { timedOut: false, streamed: false }, "");
      this.record(of, body.model, startedAt, started, null, failure, { input: 0, output: 0, estimated: false });
      throw failure;
    }
    const choice = completion.choices?.[0];
    const content = choice?.message?.content ?? "";
    const toolCalls = (choice?.message?.tool_calls ?? []).flatMap((c) =>
      c.type === "function" ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : []
    );
    const usage = completion.usage
      ? { input: completion.usage.prompt_tokens, output: completion.usage.completion_tokens, estimated: false }
      : estimate(body.messages, content, new Map(toolCalls.map((c, i) => [i, c])));
    const result: CallResult = {
      content,
      toolCalls,
      finishReason: choice?.finish_reason ?? null,
      usage,
      ttftMs: null,
      latencyMs: Math.round(performance.now() - started),
      model: completion.model || body.model,
    };
    this.record(of, result.model, startedAt, started, null, null, usage);
    return result;
  }

  /**
   * Marks the latest run as failed with `errorClass` (an answer that arrived but was unusable:
   * invalid structured output, nothing said).
   */
  markFailed(errorClass: ErrorClass, message: string): void {
    const run = this.runs.at(-1);
    if (!run) return;
    run.success = false;
    run.error_class = errorClass;
    run.error_message = message.slice(0, 1000);
  }

  private retries(): { maxRetries?: number } {
    return this.maxRetries === undefined ? {} : { maxRetries: this.maxRetries };
  }

  private record(
    of: CallOf,
    model: string,
    startedAt: Date,
    started: number,
    ttftMs: number | null,
    failure: ModelCallError | null,
    usage: { input: number; output: number; estimated: boolean },
  ): void {
    const latency = performance.now() - started;
    this.modelMs += latency;
    this.runs.push({
      id: crypto.randomUUID(),
      prompt_name: of.prompt.name,
      prompt_version: of.prompt.version,
      agent_name: of.agent ?? null,
      model,
      started_at: startedAt.toISOString(),
      latency_ms: Math.round(latency),
      ttft_ms: ttftMs === null ? null : Math.round(ttftMs),
      input_tokens: usage.input,
      output_tokens: usage.output,
      success: failure === null,
      error_class: failure?.errorClass ?? null,
      error_message: failure ? failure.message.slice(0, 1000) : null,
      metadata: { ...(of.metadata ?? {}), ...(usage.estimated ? { usage_estimated: true } : {}) },
    });
  }
}

/** The error class and answer for what a call threw. */
function classify(e: unknown, how: { timedOut: boolean; streamed: boolean }, partial: string): ModelCallError {
  if (how.timedOut) {
    return new ModelCallError(
      new HttpError(504, "The model provider did not answer in time", { code: "PROVIDER_TIMEOUT", cause: e }),
      "timeout",
      partial,
    );
  }
  const provider = providerError(e);
  if (provider) {
    const errorClass: ErrorClass = provider.code === "PROVIDER_RATE_LIMITED"
      ? "rate_limited"
      : provider.code === "PROVIDER_TIMEOUT"
      ? "timeout"
      : provider.code === "PROVIDER_AUTH"
      ? "auth"
      : provider.code === "PROVIDER_REJECTED"
      ? "rejected"
      : how.streamed
      ? "cut_stream"
      : "provider_error";
    return new ModelCallError(provider, errorClass, partial);
  }
  if (how.streamed) {
    // the connection broke while reading the stream (the SDK passes the body's error on as it is)
    return new ModelCallError(
      new HttpError(502, "The model provider's answer broke off", { code: "PROVIDER_ERROR", cause: e }),
      "cut_stream",
      partial,
    );
  }
  return new ModelCallError(
    new HttpError(502, "The model provider could not be reached", { code: "PROVIDER_ERROR", cause: e }),
    "provider_error",
    partial,
  );
}

/** Tokens estimated from the request and what came back (characters / 4). */
function estimate(messages: Messages, content: string, calls: Map<number, ToolCall>) {
  const args = [...calls.values()].map((c) => c.name + c.arguments).join("");
  return {
    input: estimateTokens(JSON.stringify(messages)),
    output: estimateTokens(content + args),
    estimated: true,
  };
}
