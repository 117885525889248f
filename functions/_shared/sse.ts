/**
 * Server-Sent Events for functions (the `chat` function's stream), over a ReadableStream:
 *
 *   return sseResponse(async (sse) => {
 *     sse.send("message_start", { id });
 *     for await (const part of model) sse.send("delta", { text: part });
 *     sse.send("done", { usage });
 *   });
 *
 * - Framing: `event: <name>`, optional `id:`, then `data: <JSON>` and a blank line. JSON has no raw
 *   line breaks, so one `data:` line carries the whole value.
 * - Keep-alive: a comment line (`: ping`) every `keepAliveMs` (default 15 s), so proxies keep an
 *   idle stream open; `comment()` writes one at will.
 * - Client disconnect: the response body is cancelled when the client goes away (through the
 *   gateway too). Then `disconnected` is true, `signal` aborts, and `send` returns false and writes
 *   nothing; the work itself is not aborted. `sseResponse` runs it under `waitUntil`, so it finishes
 *   (and stores its answer) either way. `Request.signal` is not used: Deno.serve also aborts it after
 *   every successful response, and warns when it is read.
 * - Errors: what the work throws is sent as an `error` event with the usual error body (an
 *   HttpError's message, else a generic one, logged), then the stream closes.
 */
import { corsHeaders } from "./cors.ts";
import { errorBody } from "./errors.ts";
import { waitUntil } from "./background.ts";

export interface SseOptions {
  /** Milliseconds between keep-alive comments; 0 for none. Default 15,000. */
  keepAliveMs?: number;
  /** More response headers. */
  headers?: HeadersInit;
}

export interface SseSendOptions {
  /** The event's `id:` (what a reconnecting EventSource sends back as Last-Event-ID). */
  id?: string;
}

export interface SseWriter {
  /** Writes one event with `data` as JSON (`event` null: an unnamed "message" event). False when nothing can be written any more. */
  send(event: string | null, data: unknown, options?: SseSendOptions): boolean;
  /** Writes a comment line (ignored by clients); false when nothing can be written any more. */
  comment(text?: string): boolean;
  /** Ends the stream (idempotent). */
  close(): void;
  /** Closed by close(), or by the client going away. */
  readonly closed: boolean;
  /** The client went away before the stream was closed. */
  readonly disconnected: boolean;
  /** Aborts when the client goes away (never because of close()). */
  readonly signal: AbortSignal;
}

const encoder = new TextEncoder();
const LINE_BREAK = /[\r\n]/;

/** One event's text: `event:`/`id:` lines, then `data:` (JSON). */
export function formatEvent(event: string | null, data: unknown, options: SseSendOptions = {}): string {
  if (event !== null && (event === "" || LINE_BREAK.test(event))) throw new TypeError(`invalid SSE event name`);
  if (options.id !== undefined && (LINE_BREAK.test(options.id) || options.id.includes("\0"))) {
    throw new TypeError(`invalid SSE event id`);
  }
  const json = JSON.stringify(data) ?? "null";
  return `${event === null ? "" : `event: ${event}\n`}${options.id === undefined ? "" : `id: ${options.id}\n`}` +
    `data: ${json}\n\n`;
}

/** A `text/event-stream` response and the writer that feeds it. */
export function createSse(options: SseOptions = {}): { response: Response; sse: SseWriter } {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const gone = new AbortController();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const stop = () => {
    closed = true;
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const write = (text: string): boolean => {
    if (closed) return false;
    try {
      controller.enqueue(encoder.encode(text));
      return true;
    } catch {
      return false; // the stream was torn down under us
    }
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      // the client went away (or the server dropped the response)
      if (closed) return;
      stop();
      gone.abort(new Error("the client disconnected"));
    },
  });
  if (keepAliveMs > 0) timer = setInterval(() => write(": ping\n\n"), keepAliveMs);

  const sse: SseWriter = {
    send: (event, data, sendOptions) => write(formatEvent(event, data, sendOptions)),
    comment: (text = "") => write(`:${text ? ` ${text.replace(/[\r\n]+/g, " ")}` : ""}\n\n`),
    close() {
      if (closed) return;
      stop();
      try {
        controller.close();
      } catch { /* already torn down */ }
    },
    get closed() {
      return closed;
    },
    get disconnected() {
      return gone.signal.aborted;
    },
    signal: gone.signal,
  };

  const headers = new Headers(corsHeaders);
  headers.set("Content-Type", "text/event-stream; charset=utf-8");
  headers.set("Cache-Control", "no-cache, no-transform");
  headers.set("X-Accel-Buffering", "no");
  for (const [k, v] of new Headers(options.headers ?? {})) headers.set(k, v);
  return { response: new Response(body, { headers }), sse };
}

/**
 * A streaming answer whose events `work` writes. `work` runs in the background (waitUntil) and
 * to its end, whether or not the client stays; what it throws becomes an `error` event; the stream
 * closes when it returns.
 */
export function sseResponse(work: (sse: SseWriter) => Promise<void>, options: SseOptions = {}): Response {
  const { response, sse } = createSse(options);
  waitUntil((async () => {
    try {
      await work(sse);
    } catch (e) {
      sse.send("error", errorBody(e).body);
    } finally {
      sse.close();
    }
  })());
  return response;
}
