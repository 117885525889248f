/**
 * PostgREST's error body (`code`, `details`, `hint`, `message`) and its mapping from SQLSTATE to
 * HTTP status, as PostgREST 12 does it, plus `raise sqlstate 'PGRST'` custom errors.
 *
 * One local decision: 57014 (statement timeout / cancel) answers 504 Gateway Timeout with the
 * PostgREST body, where PostgREST itself answers 500; the request was cut off by a time limit, and
 * clients can tell it from a bug.
 */
import { isPgError } from "../db/client.ts";

export interface PgrstBody {
  code: string;
  details: string | null;
  hint: string | null;
  message: string;
}

/** An error answered as a PostgREST error response. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: PgrstBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

export function pgrstError(
  status: number,
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
  headers: Record<string, string> = {},
): ApiError {
  return new ApiError(status, { code, details, hint, message }, headers);
}

/**
 * The HTTP status PostgREST gives a SQLSTATE. `authed`: the request carried a user's JWT (not the
 * anon role), which turns 42501 from 401 into 403.
 */
export function statusForSqlState(code: string, authed: boolean): number {
  if (code === "23503" || code === "23505") return 409;
  if (code === "25006") return 405;
  if (code === "42883" || code === "42P01") return 404;
  if (code === "42P17") return 500;
  if (code === "42501") return authed ? 403 : 401;
  if (code === "53400") return 500;
  if (code === "57014") return 504;
  if (code === "57P01") return 503;
  if (code === "P0001") return 400;
  if (/^PT\d{3}$/.test(code)) {
    const status = Number(code.slice(2));
    return status >= 100 && status <= 599 ? status : 500;
  }
  const prefix = code.slice(0, 2);
  const byClass: Record<string, number> = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    "F0": 500,
    "HV": 500,
    "P0": 500,
    "XX": 500,
  };
  return byClass[prefix] ?? 400;
}

/**
 * A database error as PostgREST answers it. A connection failure is 503 PGRST000; anything else
 * that is not a Postgres error (a bug here) is 500 PGRSTX00.
 */
export function fromDatabaseError(e: unknown, authed: boolean): ApiError {
  if (e instanceof ApiError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (!isPgError(e) || !/^([0-9A-Z]{5}|PGRST)$/.test(e.code!)) {
    const code = (e as { code?: unknown })?.code;
    if (typeof code === "string" && /^(E[A-Z]+|CONNECT(ION)?_[A-Z_]+)$/.test(code)) {
      return pgrstError(503, "PGRST000", "Could not connect with the database", message);
    }
    return internalError(message);
  }
  const code = e.code!;
  if (code === "PGRST") return customError(e.message, e.detail);
  return new ApiError(statusForSqlState(code, authed), {
    code,
    details: e.detail ?? null,
    hint: e.hint ?? null,
    message: e.message,
  });
}

/**
 * `raise sqlstate 'PGRST' using message = '{"code":…,"message":…,"details":…,"hint":…}',
 * detail = '{"status":…,"status_text":…,"headers":{…}}'`: the function chooses status, body and
 * headers.
 */
function customError(message: string, detail: string | undefined): ApiError {
  try {
    const body = JSON.parse(message);
    const meta = JSON.parse(detail ?? "");
    const status = meta?.status;
    if (typeof body !== "object" || body === null || !Number.isInteger(status) || status < 100 || status > 599) {
      throw new Error("bad shape");
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(meta.headers ?? {})) if (typeof v === "string") headers[k] = v;
    const text = (v: unknown) => (v === undefined || v === null ? null : String(v));
    return new ApiError(status, {
      code: text(body.code) ?? "",
      details: text(body.details),
      hint: text(body.hint),
      message: text(body.message) ?? "",
    }, headers);
  } catch {
    return pgrstError(
      500,
      "PGRST121",
      "Could not parse JSON in the RAISE SQLSTATE 'PGRST' error",
      `Invalid JSON value for MESSAGE or DETAIL: ${message}`,
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', " +
        "'hint'. DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: " +
        "'status_text'.",
    );
  }
}

export function internalError(details: string | null = null): ApiError {
  return pgrstError(500, "PGRSTX00", "Internal error in the local gateway", details);
}

export function errorResponse(e: ApiError, extraHeaders: HeadersInit = {}): Response {
  const headers = new Headers(extraHeaders);
  headers.set("content-type", "application/json; charset=utf-8");
  for (const [k, v] of Object.entries(e.headers)) headers.set(k, v);
  return new Response(JSON.stringify(e.body), { status: e.status, headers });
}
