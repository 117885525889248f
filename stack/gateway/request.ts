/**
 * What tables and functions share in reading a request as PostgREST 12 reads it (ApiRequest.hs,
 * Preferences.hs, MediaType.hs, Plan.hs negotiateContent): the schema (Accept-Profile /
 * Content-Profile among `[api] schemas`), `Prefer`, `Accept`, the `Range` header with `limit` and
 * `offset`, the body (JSON, form, CSV), and the per-request settings SQL sees.
 */
import type { ApiSettings } from "../cli/config.ts";
import type { Catalog, DbConfig } from "./catalog.ts";
import { ApiError, pgrstError } from "./errors.ts";
import { quoteIdent as q } from "./executor.ts";
import {
  BodyReadError,
  BodyTooLargeError,
  decodeUtf8,
  headerParams,
  jsonNestedDeeperThan,
  MAX_JSON_DEPTH,
  mediaType,
  readBody,
} from "./http.ts";
import type { JwtClaims } from "./jwt.ts";
import type { Range } from "./query-params.ts";

/** Who is calling, from the JWT. */
export interface Caller {
  role: string;
  claims: JwtClaims;
  /** Anything but the anon role: a 42501 is then 403, not 401. */
  authed: boolean;
}

export interface RestOptions {
  catalog: Catalog;
  executor: import("./executor.ts").Executor;
  api: ApiSettings;
  maxBodyBytes: number;
}

// ---------------------------------------------------------------- schema

/** The request's schema; `negotiated`: Content-Profile is answered (a profile was asked, or several schemas). */
export function chooseSchema(req: Request, api: ApiSettings): { schema: string; negotiated: boolean } {
  const method = req.method;
  const write = method === "POST" || method === "PATCH" || method === "PUT" || method === "DELETE";
  const header = req.headers.get(write ? "content-profile" : "accept-profile");
  if (header === null) return { schema: api.schemas[0], negotiated: api.schemas.length !== 1 };
  if (!api.schemas.includes(header)) {
    throw pgrstError(
      406,
      "PGRST106",
      `The schema must be one of the following: ${api.schemas.join(", ")}`,
    );
  }
  return { schema: header, negotiated: true };
}

// ---------------------------------------------------------------- Prefer

export interface Prefer {
  resolution: "merge-duplicates" | "ignore-duplicates" | null;
  return: "minimal" | "headers-only" | "representation" | null;
  params: "single-object" | null;
  count: "exact" | "planned" | "estimated" | null;
  tx: "commit" | "rollback" | null;
  missing: "default" | "null" | null;
  handling: "strict" | "lenient" | null;
  timezone: string | null;
  maxAffected: number | null;
  invalid: string[];
}

const PREFS: Record<string, [keyof Prefer, string]> = {
  "resolution=merge-duplicates": ["resolution", "merge-duplicates"],
  "resolution=ignore-duplicates": ["resolution", "ignore-duplicates"],
  "return=representation": ["return", "representation"],
  "return=minimal": ["return", "minimal"],
  "return=headers-only": ["return", "headers-only"],
  "params=single-object": ["params", "single-object"],
  "count=exact": ["count", "exact"],
  "count=planned": ["count", "planned"],
  "count=estimated": ["count", "estimated"],
  "tx=commit": ["tx", "commit"],
  "tx=rollback": ["tx", "rollback"],
  "missing=default": ["missing", "default"],
  "missing=null": ["missing", "null"],
  "handling=strict": ["handling", "strict"],
  "handling=lenient": ["handling", "lenient"],
};

/** PostgREST's Preferences.fromHeaders: the first value of each kind wins; unknown ones are noted. */
export function parsePrefer(headers: Headers, catalog: Catalog): Prefer {
  const prefer: Prefer = {
    resolution: null,
    return: null,
    params: null,
    count: null,
    tx: null,
    missing: null,
    handling: null,
    timezone: null,
    maxAffected: null,
    invalid: [],
  };
  const header = headers.get("prefer");
  if (header === null) return prefer;
  const allowTx = catalog.config.txEnd.endsWith("allow-override");
  const record = prefer as unknown as Record<string, unknown>;
  for (const raw of header.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const known = PREFS[item];
    if (known) {
      const [k, v] = known;
      if (k === "tx" && !allowTx) continue;
      if (record[k] === null) record[k] = v;
      continue;
    }
    if (item.startsWith("timezone=")) {
      const tz = item.slice("timezone=".length);
      if (catalog.isTimezone(tz)) {
        prefer.timezone ??= tz;
        continue;
      }
    } else if (item.startsWith("max-affected=")) {
      const n = item.slice("max-affected=".length);
      if (/^-?\d{1,18}$/.test(n)) prefer.maxAffected ??= Number(n);
      continue;
    }
    prefer.invalid.push(item);
  }
  return prefer;
}

/** handling=strict refuses preferences it does not know (PGRST122). */
export function checkStrict(prefer: Prefer): void {
  if (prefer.handling === "strict" && prefer.invalid.length) {
    throw pgrstError(
      400,
      "PGRST122",
      "Invalid preferences given with handling=strict",
      `Invalid preferences: ${prefer.invalid.join(", ")}`,
    );
  }
}

/** Whether the transaction ends with a rollback (Prefer: tx, within what db_tx_end allows). */
export function shouldRollback(prefer: Prefer, config: DbConfig): boolean {
  if (prefer.tx === "rollback") return true;
  if (prefer.tx === "commit") return false;
  return config.txEnd.startsWith("rollback");
}

/** The Preference-Applied header, in PostgREST's order, with only what applies to this request. */
export function preferenceApplied(
  prefer: Prefer,
  keys: (keyof Prefer)[],
): string | null {
  const order: (keyof Prefer)[] = [
    "resolution",
    "missing",
    "return",
    "params",
    "count",
    "tx",
    "handling",
    "timezone",
    "maxAffected",
  ];
  const out: string[] = [];
  for (const k of order) {
    if (!keys.includes(k)) continue;
    const v = prefer[k];
    if (v === null) continue;
    if (k === "maxAffected") {
      if (prefer.handling === "strict") out.push(`max-affected=${v}`);
      continue;
    }
    out.push(`${k === "resolution" ? "resolution" : k}=${v}`);
  }
  return out.length ? out.join(", ") : null;
}

// ---------------------------------------------------------------- Accept

export type MediaKind = "json" | "object" | "array" | "csv" | "plan";

export interface Media {
  kind: MediaKind;
  strip: boolean;
  contentType: string;
  /** application/vnd.pgrst.plan: format, options, and the media type planned for. */
  plan?: { format: "text" | "json"; options: string[]; for: Media };
}

const JSON_MEDIA: Media = { kind: "json", strip: false, contentType: "application/json; charset=utf-8" };

function decodeMedia(part: string): Media | "any" | null {
  const type = mediaType(part) ?? "";
  const params = headerParams(part);
  const strip = params.nulls === "stripped";
  const suffix = strip ? "; nulls=stripped" : "";
  switch (type) {
    case "*/*":
    case "application/*":
      return "any";
    case "application/json":
      return JSON_MEDIA;
    case "application/vnd.pgrst.object+json":
    case "application/vnd.pgrst.object":
      return { kind: "object", strip, contentType: `application/vnd.pgrst.object+json${suffix}; charset=utf-8` };
    case "application/vnd.pgrst.array+json":
    case "application/vnd.pgrst.array":
      return strip
        ? { kind: "array", strip, contentType: `application/vnd.pgrst.array+json${suffix}; charset=utf-8` }
        : JSON_MEDIA;
    case "text/csv":
      return { kind: "csv", strip: false, contentType: "text/csv; charset=utf-8" };
    case "application/vnd.pgrst.plan":
    case "application/vnd.pgrst.plan+text":
    case "application/vnd.pgrst.plan+json": {
      const format = type.endsWith("+json") ? "json" : "text";
      const forMedia = params.for ? decodeMedia(params.for) : JSON_MEDIA;
      const inner = forMedia === "any" || forMedia === null ? JSON_MEDIA : forMedia;
      const options = (params.options ?? "").split("|").filter((o) =>
        ["analyze", "verbose", "settings", "buffers", "wal"].includes(o)
      );
      return {
        kind: "plan",
        strip: false,
        contentType: `application/vnd.pgrst.plan+${format}; for="${mediaType(inner.contentType)}"${
          options.length ? `; options=${options.join("|")}` : ""
        }; charset=utf-8`,
        plan: { format, options, for: inner },
      };
    }
    default:
      return null;
  }
}

/**
 * The response's media type: the first acceptable one by quality (PostgREST's negotiateContent).
 * `csv`: whether CSV can be produced (not for a function's scalar result); the plan only where
 * `db_plan_enabled` is set.
 */
export function negotiate(header: string | null, o: { csv: boolean; planEnabled: boolean }): Media {
  if (header === null || header.trim() === "" || header === "*/*" || header === "application/json") return JSON_MEDIA;
  const ranges = header.split(",").map((part, i) => {
    const params = headerParams(part);
    const quality = params.q === undefined ? 1 : Number(params.q);
    return { part, quality: Number.isFinite(quality) ? quality : 0, i };
  }).filter((r) => r.part.trim() !== "" && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.i - b.i);
  for (const { part } of ranges) {
    const m = decodeMedia(part);
    if (m === "any") return JSON_MEDIA;
    if (m === null) continue;
    if (m.kind === "csv" && !o.csv) continue;
    if (m.kind === "plan" && !o.planEnabled) continue;
    return m;
  }
  throw pgrstError(
    406,
    "PGRST107",
    `None of these media types are available: ${header.split(",").map((p) => p.trim()).join(", ")}`,
  );
}

// ---------------------------------------------------------------- ranges

/**
 * The top-level range: the `Range` header (GET only) intersected with `limit`/`offset`
 * (PostgREST's getRanges).
 */
export function topLevelRange(req: Request, ranges: Map<string, Range>): Range {
  const fromParams = ranges.get("") ?? { offset: 0, limit: null };
  if (req.method !== "GET") return fromParams;
  const header = req.headers.get("range");
  const m = header ? /^(\d+)-(\d*)$/.exec(header.trim().replace(/^items=/, "")) : null;
  if (!m) return fromParams;
  const lower = Number(m[1]);
  const upper = m[2] === "" ? null : Number(m[2]);
  if (upper !== null && upper < lower) {
    if (fromParams.limit === 0) return fromParams;
    throw pgrstError(
      416,
      "PGRST103",
      "Requested range not satisfiable",
      "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
    );
  }
  // the intersection of [lower, upper] and [offset, offset + limit - 1]
  const start = Math.max(lower, fromParams.offset);
  const ends = [upper, fromParams.limit === null ? null : fromParams.offset + fromParams.limit - 1].filter((
    v,
  ): v is number => v !== null);
  const end = ends.length ? Math.min(...ends) : null;
  if (fromParams.limit === 0) return fromParams;
  if (end !== null && end < start) {
    throw pgrstError(
      416,
      "PGRST103",
      "Requested range not satisfiable",
      "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
    );
  }
  return { offset: start, limit: end === null ? null : end - start + 1 };
}

/** Content-Range and the status PostgREST gives a read (RangeQuery.rangeStatusHeader). */
export function rangeStatus(
  range: Range,
  pageTotal: number,
  total: number | null,
): { status: number; contentRange: string } {
  const lower = range.offset;
  const upper = lower + pageTotal - 1;
  const rangePart = total !== 0 && lower <= upper ? `${lower}-${upper}` : "*";
  const contentRange = `${rangePart}/${total === null ? "*" : total}`;
  let status = 200;
  if (total !== null) {
    if (lower > total) status = 416;
    else if (1 + upper - lower < total) status = 206;
  }
  return { status, contentRange };
}

// ---------------------------------------------------------------- bodies

export type Payload =
  | { kind: "json"; text: string; value: unknown; keys: string[]; isObject: boolean }
  | { kind: "raw"; text: string; contentType: string };

/**
 * Reads a body: JSON (an object, or an array of objects with the same keys), a form (an object of
 * strings), CSV (an array of objects; `NULL` is null), or, for a function's single unnamed parameter,
 * text, XML or bytes.
 */
export async function readPayload(
  req: Request,
  limit: number,
  o: { allowRaw: boolean; columns: boolean },
): Promise<Payload> {
  const contentType = req.headers.get("content-type");
  const type = mediaType(contentType) ?? "application/json";
  const charset = headerParams(contentType).charset?.toLowerCase();
  if (charset && charset !== "utf-8" && charset !== "utf8") {
    throw pgrstError(415, "PGRST107", `Content-Type not acceptable: ${contentType}`, null, "Send application/json.");
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBody(req, limit);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw payloadTooLarge(e);
    if (e instanceof BodyReadError) throw pgrstError(400, "PGRST102", "Could not read the request body", e.message);
    throw e;
  }
  if (o.allowRaw && type === "application/octet-stream") {
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return { kind: "raw", text: `\\x${hex}`, contentType: type };
  }
  const text = decodeUtf8(bytes);
  if (text === null) throw pgrstError(400, "PGRST102", "Empty or invalid json", "The request body is not valid UTF-8.");
  if (o.allowRaw && (type === "text/plain" || type === "text/xml")) return { kind: "raw", text, contentType: type };
  if (type === "application/x-www-form-urlencoded") {
    const obj: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) obj[k] = v;
    return { kind: "json", text: JSON.stringify(obj), value: obj, keys: Object.keys(obj), isObject: true };
  }
  if (type === "text/csv") {
    const rows = parseCsv(text);
    return {
      kind: "json",
      text: JSON.stringify(rows),
      value: rows,
      keys: rows[0] ? Object.keys(rows[0]) : [],
      isObject: false,
    };
  }
  if (type !== "application/json") {
    throw pgrstError(415, "PGRST107", `Content-Type not acceptable: ${contentType}`, null, "Send application/json.");
  }
  if (text.trim() === "") {
    return { kind: "json", text: "{}", value: {}, keys: [], isObject: true };
  }
  if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw pgrstError(400, "PGRST102", "Empty or invalid json", `JSON nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw pgrstError(400, "PGRST102", "Empty or invalid json", (e as Error).message);
  }
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  if (isObject) return { kind: "json", text, value, keys: Object.keys(value as object), isObject };
  if (Array.isArray(value) && !o.allowRaw) {
    if (value.length === 0) return { kind: "json", text: "[]", value, keys: [], isObject: false };
    const first = value[0];
    if (typeof first === "object" && first !== null && !Array.isArray(first)) {
      const keys = Object.keys(first).sort();
      const uniform = value.every((v) =>
        typeof v === "object" && v !== null && !Array.isArray(v) &&
        Object.keys(v).length === keys.length && Object.keys(v).sort().every((k, i) => k === keys[i])
      );
      if (uniform || o.columns) return { kind: "json", text, value, keys: Object.keys(first), isObject: false };
      throw pgrstError(400, "PGRST102", "All object keys must match");
    }
    if (o.columns) return { kind: "json", text, value, keys: [], isObject: false };
    throw pgrstError(400, "PGRST102", "All object keys must match");
  }
  // anything else is taken as an empty array by PostgREST for tables; a function gets it whole
  return { kind: "json", text, value, keys: [], isObject: false };
}

export function payloadTooLarge(e: BodyTooLargeError): ApiError {
  return pgrstError(
    413,
    "PGRST413",
    "Payload Too Large",
    `The request body exceeds the local gateway's limit of ${e.limit} bytes.`,
  );
}

/** RFC 4180 CSV with a header line, as PostgREST reads it: `NULL` is null. */
export function parseCsv(text: string): Record<string, string | null>[] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\n" || c === "\r") {
      endField();
      records.push(record);
      record = [];
      if (c === "\r" && text[i + 1] === "\n") i++;
    } else field += c;
    i++;
  }
  if (field !== "" || record.length) {
    endField();
    records.push(record);
  }
  const [header, ...rows] = records.filter((r) => !(r.length === 1 && r[0] === ""));
  if (!header) return [];
  return rows.map((r) => {
    if (r.length !== header.length) throw pgrstError(400, "PGRST102", "All lines must have same number of fields");
    const obj: Record<string, string | null> = {};
    header.forEach((h, j) => obj[h] = r[j] === "NULL" ? null : r[j]);
    return obj;
  });
}

// ---------------------------------------------------------------- per-request settings

/** PostgREST's per-request settings, in the order they are applied (the role last). */
export function requestSettings(
  req: Request,
  url: URL,
  caller: Caller,
  catalog: Catalog,
  api: ApiSettings,
  o: { schema: string; readOnly: boolean; timezone?: string | null; plan?: boolean },
): [string, string][] {
  const role = catalog.role(caller.role);
  if (!role) {
    throw pgrstError(caller.authed ? 403 : 401, "42501", `permission denied to set role "${caller.role}"`);
  }
  const headers: Record<string, string> = {};
  // forEach, not for…of: Deno's Headers iterator sorts the whole list again for every entry
  req.headers.forEach((v, k) => headers[k] = v);
  const cookies: Record<string, string> = {};
  const cookie = headers["cookie"];
  if (cookie) {
    for (const part of cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0) cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  }
  return [
    ...role.settings,
    ["search_path", searchPath(o.schema, api)],
    ...(o.readOnly ? [["transaction_read_only", "on"] as [string, string]] : []),
    ["request.jwt.claims", claimsJson(caller.claims)],
    ["request.method", req.method],
    ["request.path", url.pathname.replace(/^\/rest\/v1/, "")],
    ["request.headers", JSON.stringify(headers)],
    ["request.cookies", JSON.stringify(cookies)],
    ...(o.timezone ? [["timezone", o.timezone] as [string, string]] : []),
    // a plan shows its query identifier, as where pg_stat_statements is loaded (Supabase)
    ...(o.plan ? [["compute_query_id", "on"] as [string, string]] : []),
    ["role", caller.role],
  ];
}

const searchPaths = new Map<string, string>();

/** PostgREST's search_path: the request's schema, then the extra search path. */
function searchPath(schema: string, api: ApiSettings): string {
  const cacheKey = `${schema}\u0000${api.extraSearchPath.join("\u0000")}`;
  let path = searchPaths.get(cacheKey);
  if (path === undefined) {
    path = [...new Set([schema, ...api.extraSearchPath])].map(q).join(", ");
    searchPaths.set(cacheKey, path);
  }
  return path;
}

// Verified claims objects are reused for every request of a token (JwtVerifier caches them).
const claimsTexts = new WeakMap<JwtClaims, string>();

function claimsJson(claims: JwtClaims): string {
  let text = claimsTexts.get(claims);
  if (text === undefined) {
    text = JSON.stringify(claims);
    claimsTexts.set(claims, text);
  }
  return text;
}

// ---------------------------------------------------------------- results

/** The row every statement answers with (PostgREST's ResultSet). */
export interface ResultRow extends Record<string, unknown> {
  total_result_set: number | string | null;
  page_total: number | string;
  body: string | null;
  header?: string[] | string | null;
  response_headers: string | null;
  response_status: string | null;
  response_inserted: number | string | null;
}

export const num = (v: unknown): number | null =>
  v === null || v === undefined || v === "" ? null : typeof v === "number" ? v : Number(v);

/** `response.status` and `response.headers` set by SQL override the answer (PostgREST's GUC headers). */
export function overrides(
  row: ResultRow | undefined,
  status: number,
  headers: Record<string, string>,
): { status: number; headers: Record<string, string> } {
  let out = status;
  if (row?.response_status) {
    const n = Number(row.response_status);
    if (!Number.isInteger(n) || n < 100 || n > 599) {
      throw pgrstError(500, "PGRST112", "response.status guc must be a valid status code");
    }
    out = n;
  }
  if (row?.response_headers) {
    let list: unknown;
    try {
      list = JSON.parse(row.response_headers);
    } catch {
      list = null;
    }
    const bad = () =>
      pgrstError(
        500,
        "PGRST111",
        "response.headers guc must be a JSON array composed of objects with a single key and a string value",
      );
    if (!Array.isArray(list)) throw bad();
    for (const item of list) {
      const entries = item && typeof item === "object" ? Object.entries(item) : [];
      if (entries.length !== 1 || typeof entries[0][1] !== "string") throw bad();
      const [k, v] = entries[0] as [string, string];
      headers[k.toLowerCase()] = v;
    }
  }
  return { status: out, headers };
}
