/**
 * Function responses. Every answer is JSON with the CORS headers; an error's body is
 * `{ error, code?, details?, hint?, …extra }`.
 * - A user's mistake is an HttpError: its status and message are what the caller sees.
 * - Anything else is a bug or an outage: logged, and answered with a generic 500.
 *
 * `endpoint(fn, { methods })` wraps a handler with all of it: the CORS preflight, 405 for other
 * methods, and errors turned into answers.
 */
import { corsHeaders, preflight } from "./cors.ts";

export interface HttpErrorOptions {
  /** Machine-readable: a SQLSTATE or PostgREST code passed on, or an UPPER_SNAKE code of the function's own. */
  code?: string;
  details?: string | null;
  hint?: string | null;
  /** More fields of the error body (`issues` of a validation error…). */
  extra?: Record<string, unknown>;
  /** Headers of the answer (`Allow`, `Retry-After`…). */
  headers?: Record<string, string>;
  /** What went wrong underneath; logged with 5xx answers, never sent. */
  cause?: unknown;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
  code?: string;
  details?: string;
  hint?: string;
  [field: string]: unknown;
}

/** An answer the caller should see as it is: status, message and code. */
export class HttpError extends Error {
  readonly code?: string;
  readonly details?: string;
  readonly hint?: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(readonly status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HttpError";
    if (options.code) this.code = options.code;
    if (options.details) this.details = options.details;
    if (options.hint) this.hint = options.hint;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  get body(): ErrorBody {
    return {
      error: this.message,
      ...(this.code ? { code: this.code } : {}),
      ...(this.details ? { details: this.details } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...this.extra,
    };
  }
}

/** A JSON answer with the CORS headers. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(corsHeaders);
  h.set("Content-Type", "application/json");
  for (const [k, v] of new Headers(headers)) h.set(k, v);
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** The error body an exception is answered with (a generic one for anything but an HttpError, which is logged). */
export function errorBody(e: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (e instanceof HttpError) {
    if (e.status >= 500) console.error(`${e.status} ${e.message}`, ...(e.cause === undefined ? [] : [e.cause]));
    return { status: e.status, body: e.body, headers: e.headers };
  }
  console.error(e);
  return { status: 500, body: { error: "Internal error" }, headers: {} };
}

/** The answer to an exception: an HttpError as it says; anything else logged, and a generic 500. */
export function errorResponse(e: unknown): Response {
  const { status, body, headers } = errorBody(e);
  return json(status, body, headers);
}

export interface EndpointOptions {
  /** The methods served (besides OPTIONS, the CORS preflight); others answer 405. Default: all. */
  methods?: readonly string[];
}

/**
 * A request handler with the common frame: a CORS preflight is answered, a method not in `methods`
 * is a 405, and whatever `fn` throws becomes its answer (errorResponse).
 */
export function endpoint(
  fn: (req: Request) => Response | Promise<Response>,
  options: EndpointOptions = {},
): (req: Request) => Promise<Response> {
  const methods = options.methods?.map((m) => m.toUpperCase());
  return async (req) => {
    const cors = preflight(req);
    if (cors) return cors;
    try {
      if (methods && !methods.includes(req.method)) {
        throw new HttpError(405, `Method ${req.method} is not allowed: use ${methods.join(" or ")}`, {
          headers: { Allow: [...methods, "OPTIONS"].join(", ") },
        });
      }
      return await fn(req);
    } catch (e) {
      return errorResponse(e);
    }
  };
}
