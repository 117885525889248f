/**
 * A scripted OpenAI-compatible HTTP server for tests: no network, deterministic answers, and the
 * failures real providers have. It speaks the documented shapes of the OpenAI API that the
 * `openai` SDK (and so Parley's functions) use:
 *
 * - `POST /v1/chat/completions`: a `chat.completion` object, or with `stream: true` Server-Sent
 *   Events of `chat.completion.chunk` objects ending in `data: [DONE]`. The first chunk carries the
 *   role, content arrives in deltas, tool calls as `tool_calls[{ index, id, type, function: { name,
 *   arguments: "" } }]` followed by argument deltas, the last choice chunk has `finish_reason`, and
 *   with `stream_options: { include_usage: true }` every chunk has `usage: null` but a final one
 *   with `choices: []` and the usage.
 * - `POST /v1/embeddings`: a `list` of `embedding` objects; vectors are deterministic per input text
 *   (unit length, `dimensions` from the request, else the server's), as floats or, when asked
 *   (`encoding_format: "base64"`, the SDK's default), as base64 little-endian float32.
 * - Errors in OpenAI's shape, `{ "error": { "message", "type", "param", "code" } }`, with its
 *   status; a wrong or missing key is a 401 when the server has a key; unknown routes are 404.
 *
 * What each request gets is scripted: `server.chat(...)` and `server.embeddings(...)` queue
 * behaviours per endpoint (a reply, tool calls, an HTTP error, a slow first token, a stream cut
 * mid-answer, wrong dimensions…), consumed one per request; `options.respond` decides instead when
 * it returns one. With nothing scripted, chat answers `defaultReply` and embeddings the
 * deterministic vectors. Every request is logged in `server.requests`.
 *
 *   await using server = startOpenAIServer();
 *   server.chat(script.reply("Hello"), script.error(429), script.reply("Hi", { cut: { afterChunks: 2 } }));
 *   const client = new OpenAI({ ...server.clientOptions(), maxRetries: 0 });
 *
 * The SDK retries 408/409/429/5xx itself (twice by default): pass `maxRetries: 0`, or script as
 * many errors as it will try.
 */
import type OpenAI from "openai";

// ---------------------------------------------------------------------------------- scripts

/**
 * A tool call the model makes: `arguments` is the model's text, sent as it is (invalid JSON too, to
 * test a function's validation), or an object to serialise.
 */
export interface ToolCallScript {
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

/** A chat completion answer (streamed or not, as the request asks). */
export interface ChatScript {
  kind: "chat";
  /** The assistant's text; null or absent with tool calls only. */
  content?: string | null;
  toolCalls?: ToolCallScript[];
  /** Default: "tool_calls" with tool calls, else "stop". */
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter";
  /** Token counts to report instead of the estimate (characters / 4). */
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  /** The model to report; default the request's. */
  model?: string;
  /** Streaming: characters per content or arguments delta (default 8). */
  chunkSize?: number;
  /** Milliseconds before the response (its headers) is sent. */
  delayMs?: number;
  /** Streaming: milliseconds between the headers and the first chunk (a slow first token). */
  firstTokenDelayMs?: number;
  /** Streaming: milliseconds between chunks. */
  chunkDelayMs?: number;
  /**
   * Streaming: stop after this many chunks. `abort` (default) breaks the connection, so the
   * client's read fails; `end` ends the body quietly, without finish_reason or [DONE]; `error`
   * sends an error object as the next event, as OpenAI does when it fails mid-stream.
   */
  cut?: { afterChunks: number; mode?: "abort" | "end" | "error"; error?: Partial<ErrorObject> };
}

/** An HTTP error in OpenAI's shape. */
export interface ErrorScript {
  kind: "error";
  status: number;
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** An embeddings answer other than the deterministic one. */
export interface EmbeddingsScript {
  kind: "embeddings";
  /** Vectors of this many dimensions instead of the requested ones (a provider's wrong size). */
  dimensions?: number;
  /** Exactly these vectors, one per input (NaN travels in base64; in JSON it becomes null). */
  vectors?: (number[] | null)[];
  /** Token count to report instead of the estimate. */
  promptTokens?: number;
  delayMs?: number;
}

export type ChatBehaviour = ChatScript | ErrorScript;
export type EmbeddingsBehaviour = EmbeddingsScript | ErrorScript;
export type Script = ChatScript | ErrorScript | EmbeddingsScript;

/** Builders for scripts. */
export const script = {
  reply: (content: string, more: Omit<ChatScript, "kind" | "content"> = {}): ChatScript => ({
    kind: "chat",
    content,
    ...more,
  }),
  toolCalls: (calls: ToolCallScript[], more: Omit<ChatScript, "kind" | "toolCalls"> = {}): ChatScript => ({
    kind: "chat",
    content: null,
    toolCalls: calls,
    ...more,
  }),
  error: (status: number, more: Omit<ErrorScript, "kind" | "status"> = {}): ErrorScript => ({
    kind: "error",
    status,
    ...more,
  }),
  embeddings: (more: Omit<EmbeddingsScript, "kind"> = {}): EmbeddingsScript => ({ kind: "embeddings", ...more }),
};

// ---------------------------------------------------------------------------------- the server

export type Endpoint = "chat" | "embeddings";

/** One request the server received. */
export interface ReceivedRequest {
  /** Which endpoint it was for (null: an unknown route). */
  endpoint: Endpoint | null;
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  // deno-lint-ignore no-explicit-any
  body: any;
  /** performance.now() when it arrived. */
  at: number;
  /** How it ended: answered completely, cut as scripted, or the client went away while streaming. */
  outcome?: "complete" | "cut" | "disconnected";
}

/** Decides a request's behaviour; undefined falls back to the queues and defaults. */
export type Responder = (request: ReceivedRequest) => Script | undefined | Promise<Script | undefined>;

export interface OpenAIServerOptions {
  /** The key requests must bear (`Authorization: Bearer …`); default "sk-test". Null accepts any or none. */
  apiKey?: string | null;
  /** Embedding dimensions when the request names none (default 1536, text-embedding-3-small's). */
  dimensions?: number;
  /** The chat answer when nothing is scripted. */
  defaultReply?: string;
  respond?: Responder;
}

export interface OpenAIServer extends AsyncDisposable {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** `${url}/v1`: what OPENAI_BASE_URL / the SDK's baseURL take. */
  readonly baseURL: string;
  readonly apiKey: string;
  /** Every request received, in order. */
  readonly requests: ReceivedRequest[];
  /** Queues behaviours for the next chat completion requests. */
  chat(...behaviours: ChatBehaviour[]): void;
  /** Queues behaviours for the next embeddings requests. */
  embeddings(...behaviours: EmbeddingsBehaviour[]): void;
  /** The requests to one endpoint. */
  requestsTo(endpoint: Endpoint): ReceivedRequest[];
  /** `{ apiKey, baseURL }` for `new OpenAI(…)`. */
  clientOptions(): { apiKey: string; baseURL: string };
  /** OPENAI_API_KEY and OPENAI_BASE_URL, as a function's environment has them. */
  env(): Record<string, string>;
  /** Forgets queued behaviours and logged requests. */
  reset(): void;
  /** Stops the server, breaking any stream still open. */
  close(): Promise<void>;
}

/** The error object OpenAI sends (inside `{ error }`). */
export interface ErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export function startOpenAIServer(options: OpenAIServerOptions = {}): OpenAIServer {
  const apiKey = options.apiKey === undefined ? "sk-test" : options.apiKey;
  const defaultDimensions = options.dimensions ?? 1536;
  const defaultReply = options.defaultReply ?? "Hello from the scripted model.";
  const queues: { chat: ChatBehaviour[]; embeddings: EmbeddingsBehaviour[] } = { chat: [], embeddings: [] };
  const requests: ReceivedRequest[] = [];
  const closing = new AbortController();
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let sequence = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closing.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        closing.signal.removeEventListener("abort", done);
        resolve();
      }
      closing.signal.addEventListener("abort", done);
    });

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const text = await req.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch { /* logged as undefined */ }
    const endpoint: Endpoint | null = req.method === "POST" && url.pathname === "/v1/chat/completions"
      ? "chat"
      : req.method === "POST" && url.pathname === "/v1/embeddings"
      ? "embeddings"
      : null;
    const request: ReceivedRequest = {
      endpoint,
      method: req.method,
      path: url.pathname,
      headers: Object.fromEntries(req.headers),
      body,
      at: performance.now(),
    };
    requests.push(request);

    if (apiKey !== null) {
      const auth = req.headers.get("authorization");
      if (!auth) {
        return finish(
          request,
          errorResponse(401, {
            message:
              "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            type: "invalid_request_error",
          }),
        );
      }
      if (auth !== `Bearer ${apiKey}`) {
        return finish(
          request,
          errorResponse(401, {
            message: `Incorrect API key provided: ${redact(auth.replace(/^Bearer\s+/i, ""))}.`,
            type: "invalid_request_error",
            code: "invalid_api_key",
          }),
        );
      }
    }
    if (!endpoint) {
      return finish(
        request,
        errorResponse(404, { message: `Invalid URL (${req.method} ${url.pathname})`, code: null }),
      );
    }
    if (!isObject(body)) {
      return finish(request, errorResponse(400, { message: "We could not parse the JSON body of your request." }));
    }
    if (typeof body.model !== "string" || !body.model) {
      return finish(request, errorResponse(400, { message: "you must provide a model parameter" }));
    }

    const scripted = (await options.respond?.(request)) ?? queues[endpoint].shift();
    if (scripted?.delayMs) await sleep(scripted.delayMs);
    if (scripted?.kind === "error") {
      return finish(request, errorResponse(scripted.status, scripted, scripted.headers));
    }
    if (endpoint === "embeddings") {
      if (scripted && scripted.kind !== "embeddings") throw new Error(`a ${scripted.kind} script for /v1/embeddings`);
      return finish(request, embeddingsResponse(body, scripted));
    }
    if (scripted && scripted.kind !== "chat") throw new Error(`a ${scripted.kind} script for /v1/chat/completions`);
    const chat = scripted ?? { kind: "chat", content: defaultReply };
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return finish(
        request,
        errorResponse(400, {
          message: "Invalid 'messages': empty array. Expected an array with minimum length 1.",
          param: "messages",
          code: "empty_array",
        }),
      );
    }
    return body.stream === true ? streamResponse(request, body, chat) : finish(request, completionResponse(body, chat));
  }

  function finish(request: ReceivedRequest, response: Response): Response {
    request.outcome = "complete";
    return response;
  }

  // ------------------------------------------------------------------ chat completions

  function completionResponse(body: Record<string, unknown>, chat: ChatScript): Response {
    const id = `chatcmpl-scripted${++sequence}`;
    const toolCalls = (chat.toolCalls ?? []).map((call, i) => toolCall(call, id, i));
    const completion: OpenAI.ChatCompletion = {
      id,
      object: "chat.completion",
      created: now(),
      model: chat.model ?? String(body.model),
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: chat.content ?? null,
          refusal: null,
          annotations: [],
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(chat),
      }],
      usage: usage(body, chat),
      service_tier: "default",
      system_fingerprint: "fp_scripted",
    };
    return jsonResponse(200, completion);
  }

  function streamResponse(request: ReceivedRequest, body: Record<string, unknown>, chat: ChatScript): Response {
    const id = `chatcmpl-scripted${++sequence}`;
    const created = now();
    const model = chat.model ?? String(body.model);
    const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
    const size = Math.max(1, chat.chunkSize ?? 8);
    const chunk = (
      delta: OpenAI.ChatCompletionChunk.Choice.Delta,
      finish: OpenAI.ChatCompletionChunk.Choice["finish_reason"] = null,
    ): OpenAI.ChatCompletionChunk => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      service_tier: "default",
      system_fingerprint: "fp_scripted",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });

    const chunks: OpenAI.ChatCompletionChunk[] = [];
    const calls = chat.toolCalls ?? [];
    const content = chat.content ?? null;
    if (content !== null || calls.length === 0) {
      chunks.push(chunk({ role: "assistant", content: "", refusal: null }));
      for (const piece of pieces(content ?? "", size)) chunks.push(chunk({ content: piece }));
    }
    calls.forEach((call, index) => {
      const full = toolCall(call, id, index);
      const start = {
        index,
        id: full.id,
        type: "function" as const,
        function: { name: full.function.name, arguments: "" },
      };
      chunks.push(
        chunks.length === 0
          ? chunk({ role: "assistant", content: null, tool_calls: [start], refusal: null })
          : chunk({ tool_calls: [start] }),
      );
      for (const piece of pieces(full.function.arguments, size)) {
        chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    });
    chunks.push(chunk({}, finishReason(chat)));
    if (includeUsage) chunks.push({ ...chunk({}), choices: [], usage: usage(body, chat) });

    const cut = chat.cut;
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let gone = false;
    const write = (text: string) => {
      if (!gone) controller.enqueue(encoder.encode(text));
    };
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        streams.add(c);
      },
      cancel() {
        gone = true;
        streams.delete(controller);
        request.outcome ??= "disconnected";
      },
    });
    (async () => {
      try {
        await sleep(chat.firstTokenDelayMs ?? 0);
        for (let i = 0; i < chunks.length && !gone && !closing.signal.aborted; i++) {
          if (cut && i === cut.afterChunks) {
            request.outcome = "cut";
            if (cut.mode === "error") {
              write(`data: ${JSON.stringify({ error: errorObject(500, cut.error ?? {}) })}\n\n`);
            }
            // "abort": the body ends short of its Content-Length, so the connection breaks
            controller.close();
            return;
          }
          if (i > 0) await sleep(chat.chunkDelayMs ?? 0);
          write(`data: ${JSON.stringify(chunks[i])}\n\n`);
        }
        if (gone) return;
        if (closing.signal.aborted) {
          controller.error(new Error("scripted server closed"));
          return;
        }
        write("data: [DONE]\n\n");
        request.outcome = "complete";
        controller.close();
      } catch {
        // the client went away while we wrote
        request.outcome ??= "disconnected";
      } finally {
        streams.delete(controller);
      }
    })();
    // A stream to be broken announces its full length (instead of chunked encoding) and ends short
    // of it: the client's read fails as when a connection drops, and Deno logs nothing.
    const fullLength = cut && (cut.mode ?? "abort") === "abort"
      ? encoder.encode(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n").length
      : null;
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-request-id": `req_scripted${sequence}`,
        ...(fullLength === null ? {} : { "content-length": String(fullLength) }),
      },
    });
  }

  function toolCall(call: ToolCallScript, completionId: string, index: number) {
    return {
      id: call.id ?? `call_${completionId.slice(-8)}_${index}`,
      type: "function" as const,
      function: {
        name: call.name,
        arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
      },
    };
  }

  function finishReason(chat: ChatScript): OpenAI.ChatCompletion.Choice["finish_reason"] {
    return chat.finishReason ?? (chat.toolCalls?.length ? "tool_calls" : "stop");
  }

  function usage(body: Record<string, unknown>, chat: ChatScript): OpenAI.CompletionUsage {
    const prompt = chat.usage?.prompt_tokens ?? estimateTokens(JSON.stringify(body.messages ?? []));
    const args = (chat.toolCalls ?? []).map((c) =>
      typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments)
    );
    const completion = chat.usage?.completion_tokens ?? estimateTokens((chat.content ?? "") + args.join(""));
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
  }

  // ------------------------------------------------------------------ embeddings

  function embeddingsResponse(body: Record<string, unknown>, scripted: EmbeddingsScript | undefined): Response {
    const inputs = embeddingInputs(body.input);
    if (!inputs) {
      return errorResponse(400, {
        message:
          "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
      });
    }
    const requested = typeof body.dimensions === "number" ? body.dimensions : defaultDimensions;
    const dimensions = scripted?.dimensions ?? requested;
    const base64 = body.encoding_format === "base64";
    const data = inputs.map((text, index) => {
      const vector = scripted?.vectors ? scripted.vectors[index] ?? null : embeddingFor(text, dimensions);
      return {
        object: "embedding" as const,
        index,
        embedding: vector === null ? null : base64 ? float32Base64(vector) : vector.map(Math.fround),
      };
    });
    const tokens = scripted?.promptTokens ?? inputs.reduce((n, text) => n + estimateTokens(text), 0);
    return jsonResponse(200, {
      object: "list",
      data,
      model: String(body.model),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  // ------------------------------------------------------------------ errors and helpers

  function errorResponse(
    status: number,
    error: Partial<Omit<ErrorObject, "message">> & { message?: string },
    headers: Record<string, string> = {},
  ): Response {
    return jsonResponse(status, { error: errorObject(status, error) }, headers);
  }

  function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", "x-request-id": `req_scripted${++sequence}`, ...headers },
    });
  }

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: closing.signal,
    onListen: () => {},
  }, async (req) => {
    try {
      return await handle(req);
    } catch (e) {
      return errorResponse(500, { message: `scripted server: ${(e as Error).message}` });
    }
  });
  const url = `http://127.0.0.1:${server.addr.port}`;

  const self: OpenAIServer = {
    url,
    baseURL: `${url}/v1`,
    apiKey: apiKey ?? "sk-any",
    requests,
    chat: (...behaviours) => void queues.chat.push(...behaviours),
    embeddings: (...behaviours) => void queues.embeddings.push(...behaviours),
    requestsTo: (endpoint) => requests.filter((r) => r.endpoint === endpoint),
    clientOptions: () => ({ apiKey: apiKey ?? "sk-any", baseURL: `${url}/v1` }),
    env: () => ({ OPENAI_API_KEY: apiKey ?? "sk-any", OPENAI_BASE_URL: `${url}/v1` }),
    reset() {
      queues.chat.length = 0;
      queues.embeddings.length = 0;
      requests.length = 0;
    },
    async close() {
      if (!closing.signal.aborted) closing.abort();
      for (const c of streams) {
        try {
          c.error(new Error("scripted server closed"));
        } catch { /* already closed */ }
      }
      streams.clear();
      await server.finished;
    },
    [Symbol.asyncDispose]() {
      return self.close();
    },
  };
  return self;
}

/** The default error of each status, as OpenAI words it, with the fields given replacing its parts. */
function errorObject(status: number, given: Partial<ErrorObject>): ErrorObject {
  const defaults: Record<number, Omit<ErrorObject, "param">> = {
    400: { message: "Invalid request.", type: "invalid_request_error", code: null },
    401: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
    403: { message: "You are not allowed to sample from this model", type: "invalid_request_error", code: null },
    404: {
      message: "The model does not exist or you do not have access to it.",
      type: "invalid_request_error",
      code: "model_not_found",
    },
    429: {
      message: "Rate limit reached for requests. Please try again in 1s.",
      type: "requests",
      code: "rate_limit_exceeded",
    },
    500: {
      message: "The server had an error while processing your request. Sorry about that!",
      type: "server_error",
      code: null,
    },
    503: { message: "The engine is currently overloaded, please try again later", type: "server_error", code: null },
  };
  const base = defaults[status] ??
    { message: `Error ${status}`, type: status >= 500 ? "server_error" : "invalid_request_error", code: null };
  return {
    message: given.message ?? base.message,
    type: given.type ?? base.type,
    param: given.param ?? null,
    code: given.code === undefined ? base.code : given.code,
  };
}

/** The texts of an embeddings `input`: a string, strings, or token arrays (joined with spaces). */
function embeddingInputs(input: unknown): string[] | null {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input) || input.length === 0) return null;
  if (input.every((x) => typeof x === "number")) return [input.join(" ")];
  const texts = input.map((x) =>
    typeof x === "string" ? x : Array.isArray(x) && x.every((t) => typeof t === "number") ? x.join(" ") : null
  );
  return texts.every((t) => t !== null) ? texts as string[] : null;
}

/**
 * The server's vector for a text: unit length, seeded by the text (FNV-1a into a mulberry32
 * generator), each value a float32. The same text always gets the same vector.
 */
export function embeddingFor(text: string, dimensions: number): number[] {
  let seed = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) seed = Math.imul(seed ^ byte, 0x01000193);
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const vector = Array.from({ length: dimensions }, () => next() * 2 - 1);
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0)) || 1;
  return vector.map((v) => Math.fround(v / norm));
}

/** Token count estimate: a quarter of the characters, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function float32Base64(vector: number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function redact(key: string): string {
  return key.length <= 8 ? "*".repeat(key.length) : `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
