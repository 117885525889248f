/**
 * One mapping from PostgREST errors (what supabase-js returns: `{ code, message, details, hint }`
 * and the response's `status`) to a function's answer, so every function answers alike.
 *
 * The status is PostgREST's own (the README's error table; the local gateway maps SQLSTATEs the
 * same way, stack/gateway/errors.ts), and `postgrestStatus` computes it from the code when the
 * status is unknown. Then:
 * - 4xx, the caller's doing (a missing row PT404, a conflict PT409/23505, invalid input 22023/
 *   P0001, no right 42501, `.single()` on no row PGRST116 → 406, a bad JWT PGRST301): an HttpError
 *   with the database's message, code, details and hint. 42501 for the anon role (PostgREST's
 *   401) answers 401 "Sign in first".
 * - The database unreachable or overloaded (503: 08xxx, 53xxx, 57P01, PGRST000-002) or too slow
 *   (504: 57014, PGRST003): 503/504 with a generic message, so callers can retry.
 * - Everything else is the function's own bug (an RPC or argument that does not exist: 42883,
 *   42703, PGRST202, other 42xxx and PGRST1xx/2xx) or the server's (5xx, a network failure):
 *   an internal error, logged with all it says and answered with a generic 500. PostgREST would
 *   answer some of these 4xx, but the function's caller did nothing wrong.
 */
import { HttpError } from "./errors.ts";

/** What supabase-js's PostgrestError carries (and the JSON body of a PostgREST error). */
export interface PostgrestErrorLike {
  code?: string | null;
  message: string;
  details?: string | null;
  hint?: string | null;
}

/** A supabase-js result (`await client.rpc(…)`, `await client.from(…).select()`…). */
export type PostgrestResult<T> =
  | { data: T; error: null; status?: number }
  | { data: unknown; error: PostgrestErrorLike; status?: number };

/** PostgREST's status for its own PGRST codes (the ones a function can meet). */
const PGRST_STATUS: Record<string, number> = {
  PGRST000: 503,
  PGRST001: 503,
  PGRST002: 503,
  PGRST003: 504,
  PGRST116: 406,
  PGRST202: 404,
  PGRST203: 300,
  PGRST301: 401,
  PGRST302: 401,
  PGRST303: 401,
};

/** PostgREST's status for a SQLSTATE, by class, where no exact code says otherwise. */
const CLASS_STATUS: Record<string, number> = {
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
  F0: 500,
  HV: 500,
  P0: 500,
  XX: 500,
};

/**
 * The HTTP status PostgREST gives an error code. `anonymous`: the request was made as `anon`,
 * which makes 42501 a 401 instead of a 403.
 */
export function postgrestStatus(code: string, anonymous = false): number {
  if (code in PGRST_STATUS) return PGRST_STATUS[code];
  if (code.startsWith("PGRST")) return /^PGRST[12]/.test(code) ? 400 : 500;
  if (code === "23503" || code === "23505") return 409;
  if (code === "25006") return 405;
  if (code === "42883" || code === "42P01") return 404;
  if (code === "42P17" || code === "53400") return 500;
  if (code === "42501") return anonymous ? 401 : 403;
  if (code === "57014") return 504; // as the local gateway answers a statement timeout
  if (code === "57P01") return 503;
  if (code === "P0001") return 400;
  if (/^PT\d{3}$/.test(code)) {
    const status = Number(code.slice(2));
    return status >= 100 && status <= 599 ? status : 500;
  }
  return CLASS_STATUS[code.slice(0, 2)] ?? 400;
}

/** Codes that say the function asked the database something wrong, whatever the caller sent. */
function isFunctionBug(code: string): boolean {
  if (code === "42501") return false;
  if (code.startsWith("42")) return true; // undefined function/column/table, syntax…
  return /^PGRST[12]\d\d$/.test(code) && code !== "PGRST116";
}

/**
 * The error a function throws for a failed PostgREST call: an HttpError to answer as it says, or
 * a plain Error (logged, generic 500) carrying everything known for the log. `context` names the
 * call in that log line (`"rpc get_my_profile"`).
 */
export function fromPostgrestError(error: PostgrestErrorLike, status?: number, context?: string): Error {
  const code = error.code ?? "";
  const known = status !== undefined && status >= 100 && status <= 599;
  const http = known ? status : code ? postgrestStatus(code) : 0;
  const details = error.details ?? null;
  const hint = error.hint ?? null;

  if (code === "42501" && http === 401) return new HttpError(401, "Sign in first", { code });
  if (http === 503) {
    return new HttpError(503, "The database is unavailable; try again shortly", { code, cause: error });
  }
  if (http === 504) return new HttpError(504, "The database did not answer in time", { code, cause: error });
  if (http >= 400 && http < 500 && !isFunctionBug(code)) {
    return new HttpError(http, error.message, { code, details, hint });
  }
  const parts = [
    context,
    http ? String(http) : "no response",
    code,
    error.message,
    details && `details: ${details}`,
    hint && `hint: ${hint}`,
  ];
  return new Error(parts.filter(Boolean).join(" "), { cause: error });
}

/**
 * The data of a supabase-js result, or the mapped error thrown:
 * `const profile = unwrap(await supabase.rpc("get_my_profile"), "rpc get_my_profile")`.
 */
export function unwrap<T>(result: PostgrestResult<T>, context?: string): T {
  if (result.error) throw fromPostgrestError(result.error, result.status, context);
  return result.data as T;
}
