/**
 * `/rest/v1/rpc/<fn>`: PostgREST's RPC semantics.
 *
 * - POST with a JSON object of named arguments (or a form), GET/HEAD with query-string arguments
 *   for functions that are not volatile; omitted arguments take their defaults; overloads are
 *   resolved by argument names; a function whose only parameter is an unnamed json/jsonb gets the
 *   whole body.
 * - Arguments reach Postgres as the JSON text, converted by `json_to_record` to the parameters'
 *   types (as PostgREST does), so numbers keep their precision and conversion errors are SQL errors.
 * - The JSON answer is computed in SQL (`json_agg`, `to_json`): a scalar as its value, a composite
 *   as an object, a set as an array, void as 204. `Prefer: return=minimal` answers 204,
 *   `count=exact` fills Content-Range; `Accept: application/vnd.pgrst.object+json` needs exactly
 *   one row (else 406 PGRST116, rolled back); `;nulls=stripped` strips nulls; `limit`/`offset`
 *   and `[api] max_rows` bound set results.
 */
import type { ApiSettings } from "../cli/config.ts";
import type { ArgsKind, Catalog, RpcFunction } from "./catalog.ts";
import { editDistance } from "./catalog.ts";
import { ApiError, fromDatabaseError, pgrstError } from "./errors.ts";
import { type Executor, quoteIdent as q, type Statement } from "./executor.ts";
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
import { isPgError } from "../db/client.ts";

/** Who is calling, from the JWT. */
export interface Caller {
  role: string;
  claims: JwtClaims;
  /** Anything but the anon role: a 42501 is then 403, not 401. */
  authed: boolean;
}

export interface RpcOptions {
  catalog: Catalog;
  executor: Executor;
  api: ApiSettings;
  maxBodyBytes: number;
}

/** Query parameters with a meaning of their own (never function arguments). */
const RESERVED = new Set(["select", "order", "limit", "offset", "columns", "on_conflict", "apikey"]);

type Accept = { object: boolean; stripNulls: boolean; contentType: string };

export async function handleRpc(
  req: Request,
  url: URL,
  name: string,
  caller: Caller,
  options: RpcOptions,
): Promise<Response> {
  const { catalog, api } = options;
  const method = req.method;
  const read = method === "GET" || method === "HEAD";
  if (!read && method !== "POST") {
    throw pgrstError(405, "PGRST101", "Only GET and POST verbs are allowed for functions", null, null, {
      allow: "GET, HEAD, POST, OPTIONS",
    });
  }
  const schema = chooseSchema(req, read, api);
  const accept = negotiate(req.headers.get("accept"));
  const prefer = parsePrefer(req.headers);
  const { limit, offset } = pageParams(url, api.maxRows);

  // arguments: query string (GET/HEAD) or body (POST)
  let argsJson: string;
  let keys: string[];
  let kind: ArgsKind = "named";
  if (read) {
    const args: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      if (RESERVED.has(k)) continue;
      const prev = args[k];
      args[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    keys = Object.keys(args);
    argsJson = JSON.stringify(args);
  } else {
    for (const k of url.searchParams.keys()) {
      if (!RESERVED.has(k)) throw unsupported(`filter "${k}" on a function's result`);
    }
    ({ argsJson, keys, kind } = await readArgs(req, options.maxBodyBytes));
  }

  let retried = false;
  while (true) {
    const fn = await resolve(catalog, schema, name, keys, kind);
    if (read && fn.volatility === "volatile") {
      throw pgrstError(
        405,
        "PGRST101",
        `Cannot use the ${method} method on RPC for the volatile function ${schema}.${name}`,
        null,
        "Call it with POST, or declare it STABLE or IMMUTABLE if it does not write.",
        { allow: "POST, OPTIONS" },
      );
    }
    const statement = buildCall(fn, keys, argsJson, { accept, limit, offset, count: prefer.count !== null });
    const settings = requestSettings(req, url, caller, catalog, api, read);
    const check = accept.object && fn.setof
      ? (rows: ResultRow[]) => {
        const n = rows[0]?.n ?? 0;
        if (n !== 1) {
          throw pgrstError(
            406,
            "PGRST116",
            "Cannot coerce the result to a single JSON object",
            `The result contains ${n} rows`,
          );
        }
      }
      : undefined;
    let rows: ResultRow[];
    try {
      rows = await options.executor.run<ResultRow>(settings, statement, check);
    } catch (e) {
      // The function changed since the catalog was read: read it again and retry once.
      if (!retried && isPgError(e) && e.code === "42883") {
        retried = true;
        await catalog.refresh();
        continue;
      }
      throw fromDatabaseError(e, caller.authed);
    }
    return respond(fn, rows, { accept, prefer, offset, head: method === "HEAD" });
  }
}

interface ResultRow extends Record<string, unknown> {
  body?: string;
  n?: number;
  total?: number | null;
}

function respond(
  fn: RpcFunction,
  rows: ResultRow[],
  o: { accept: Accept; prefer: Prefer; offset: number; head: boolean },
): Response {
  const headers: Record<string, string> = {};
  const applied: string[] = [];
  if (fn.setof) {
    const n = Number(rows[0]?.n ?? 0);
    const total = rows[0]?.total === undefined || rows[0]?.total === null ? "*" : String(rows[0].total);
    headers["content-range"] = n === 0 ? `*/${total}` : `${o.offset}-${o.offset + n - 1}/${total}`;
    if (o.prefer.count) applied.push(`count=${o.prefer.count}`);
  }
  if (o.prefer.return === "minimal") applied.push("return=minimal");
  if (applied.length) headers["preference-applied"] = applied.join(", ");
  if (fn.returns === "void" || o.prefer.return === "minimal") return new Response(null, { status: 204, headers });
  headers["content-type"] = o.accept.contentType;
  return new Response(o.head ? null : String(rows[0]?.body ?? "null"), { status: 200, headers });
}

// ---------------------------------------------------------------- request parsing

function chooseSchema(req: Request, read: boolean, api: ApiSettings): string {
  const header = req.headers.get(read ? "accept-profile" : "content-profile");
  if (header === null) return api.schemas[0];
  if (!api.schemas.includes(header)) {
    throw pgrstError(
      406,
      "PGRST106",
      `Invalid schema: ${header}`,
      null,
      `Only the following schemas are exposed: ${api.schemas.join(", ")}`,
    );
  }
  return header;
}

const JSON_ACCEPT: Accept = { object: false, stripNulls: false, contentType: "application/json; charset=utf-8" };

function negotiate(header: string | null): Accept {
  if (header === null || header === "*/*" || header === "application/json") return JSON_ACCEPT;
  const ranges = header.split(",").map((part, i) => {
    const type = mediaType(part) ?? "";
    const params = headerParams(part);
    const quality = params.q === undefined ? 1 : Number(params.q);
    return { type, params, quality: Number.isFinite(quality) ? quality : 0, i };
  }).filter((r) => r.type !== "" && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.i - b.i);
  for (const { type, params } of ranges) {
    const stripNulls = params.nulls === "stripped";
    const suffix = stripNulls ? "; nulls=stripped" : "";
    if (type === "application/vnd.pgrst.object+json") {
      return { object: true, stripNulls, contentType: `application/vnd.pgrst.object+json${suffix}; charset=utf-8` };
    }
    if (type === "application/vnd.pgrst.array+json") {
      return { object: false, stripNulls, contentType: `application/vnd.pgrst.array+json${suffix}; charset=utf-8` };
    }
    if (type === "application/json" || type === "*/*" || type === "application/*") return JSON_ACCEPT;
  }
  throw pgrstError(406, "PGRST107", `None of these media types are available: ${header}`);
}

interface Prefer {
  return: "minimal" | "representation" | null;
  count: "exact" | "planned" | "estimated" | null;
}

function parsePrefer(headers: Headers): Prefer {
  const prefer: Prefer = { return: null, count: null };
  const header = headers.get("prefer");
  if (header === null) return prefer;
  for (const item of header.split(",")) {
    const [k, v] = item.trim().split("=").map((s) => s.trim());
    if (k === "return" && (v === "minimal" || v === "representation")) prefer.return = v;
    if (k === "count" && (v === "exact" || v === "planned" || v === "estimated")) prefer.count = v;
  }
  return prefer;
}

function pageParams(url: URL, maxRows: number | null): { limit: number | null; offset: number } {
  if (url.search === "") return { limit: maxRows, offset: 0 };
  const select = url.searchParams.get("select");
  if (select !== null && select.trim() !== "*") throw unsupported("select (choosing columns of a function's result)");
  if (url.searchParams.has("order")) throw unsupported("order (ordering a function's result)");
  if (url.searchParams.has("columns")) throw unsupported("columns");
  if (url.searchParams.has("on_conflict")) throw unsupported("on_conflict");
  const int = (name: string) => {
    const text = url.searchParams.get(name);
    if (text === null) return null;
    if (!/^\d{1,15}$/.test(text)) throw pgrstError(400, "PGRST100", `"failed to parse ${name} parameter (${text})"`);
    return Number(text);
  };
  const asked = int("limit");
  const limit = asked === null ? maxRows : maxRows === null ? asked : Math.min(asked, maxRows);
  return { limit, offset: int("offset") ?? 0 };
}

function unsupported(what: string): ApiError {
  return pgrstError(
    400,
    "PGRST100",
    `The local gateway does not support ${what}`,
    null,
    "It implements PostgREST's RPC subset: named arguments, limit and offset. See README.md, Gateway.",
  );
}

async function readArgs(req: Request, limit: number): Promise<{ argsJson: string; keys: string[]; kind: ArgsKind }> {
  const contentType = req.headers.get("content-type");
  const type = mediaType(contentType);
  const charset = headerParams(contentType).charset?.toLowerCase();
  const form = type === "application/x-www-form-urlencoded";
  if (
    !(type === null || type === "application/json" || form) || (charset && charset !== "utf-8" && charset !== "utf8")
  ) {
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
  const text = decodeUtf8(bytes);
  if (text === null) {
    throw pgrstError(400, "PGRST102", "Empty or invalid json", "The request body is not valid UTF-8.");
  }
  if (form) {
    const args: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) args[k] = v;
    return { argsJson: JSON.stringify(args), keys: Object.keys(args), kind: "named" };
  }
  if (text.trim() === "") return { argsJson: "{}", keys: [], kind: "json-object" };
  if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw pgrstError(400, "PGRST102", "Empty or invalid json", `JSON nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw pgrstError(400, "PGRST102", "Empty or invalid json", (e as Error).message);
  }
  // The text itself goes to Postgres: big numbers keep their precision.
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  return isObject
    ? { argsJson: text, keys: Object.keys(value as object), kind: "json-object" }
    : { argsJson: text, keys: [], kind: "json-other" };
}

export function payloadTooLarge(e: BodyTooLargeError): ApiError {
  return pgrstError(
    413,
    "PGRST413",
    "Payload Too Large",
    `The request body exceeds the local gateway's limit of ${e.limit} bytes.`,
  );
}

async function resolve(catalog: Catalog, schema: string, name: string, keys: string[], kind: ArgsKind) {
  let r = catalog.resolve(schema, name, keys, kind);
  if ("error" in r && r.error === "not_found") {
    await catalog.refresh();
    r = catalog.resolve(schema, name, keys, kind);
  }
  if ("fn" in r) return r.fn;
  if (r.error === "ambiguous") {
    throw pgrstError(
      300,
      "PGRST203",
      `Could not choose the best candidate function between: ${r.candidates.map((c) => c.signature).join(", ")}`,
      null,
      "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    );
  }
  const sorted = [...keys].sort();
  const withArgs = sorted.length ? `(${sorted.join(", ")})` : " without parameters";
  const searched = sorted.length ? `with parameters ${sorted.join(", ")}` : "without parameters";
  throw pgrstError(
    404,
    "PGRST202",
    `Could not find the function ${schema}.${name}${withArgs} in the schema cache`,
    `Searched for the function ${schema}.${name} ${searched} or with a single unnamed json/jsonb parameter, ` +
      `but no matches were found in the schema cache.`,
    suggestion(catalog, schema, name),
  );
}

function suggestion(catalog: Catalog, schema: string, name: string): string | null {
  const same = catalog.functions(schema, name);
  if (same.length) return `Perhaps you meant to call the function ${same[0].signature}`;
  let best: string | null = null;
  let distance = Infinity;
  for (const candidate of new Set(catalog.names(schema))) {
    const d = editDistance(candidate, name);
    if (d < distance) [best, distance] = [candidate, d];
  }
  return best && distance <= Math.max(2, Math.floor(name.length / 3))
    ? `Perhaps you meant to call the function ${schema}.${best}`
    : null;
}

// ---------------------------------------------------------------- SQL

/** PostgREST's per-request settings, in the order they are applied (the role last). */
function requestSettings(
  req: Request,
  url: URL,
  caller: Caller,
  catalog: Catalog,
  api: ApiSettings,
  read: boolean,
): [string, string][] {
  const role = catalog.role(caller.role);
  if (!role) {
    throw pgrstError(
      caller.authed ? 403 : 401,
      "42501",
      `permission denied to set role "${caller.role}"`,
      null,
      null,
    );
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
    ["search_path", searchPath(api)],
    ...(read ? [["transaction_read_only", "on"] as [string, string]] : []),
    ["request.jwt.claims", claimsJson(caller.claims)],
    ["request.method", req.method],
    ["request.path", url.pathname.replace(/^\/rest\/v1/, "")],
    ["request.headers", JSON.stringify(headers)],
    ["request.cookies", JSON.stringify(cookies)],
    ["role", caller.role],
  ];
}

const searchPaths = new WeakMap<ApiSettings, string>();

/** PostgREST's search_path: the schema, then the extra search path. */
function searchPath(api: ApiSettings): string {
  let path = searchPaths.get(api);
  if (path === undefined) {
    path = [...new Set([...api.schemas.slice(0, 1), ...api.extraSearchPath])].map(q).join(", ");
    searchPaths.set(api, path);
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

function buildCall(
  fn: RpcFunction,
  keys: string[],
  argsJson: string,
  o: { accept: Accept; limit: number | null; offset: number; count: boolean },
): Statement {
  const given = fn.bodyParam ? [] : fn.params.filter((p) => keys.includes(p.name));
  const usesArgs = fn.bodyParam !== null || given.length > 0;
  const sql = (param: (index: number) => string) => {
    const args = usesArgs ? param(0) : "";
    const target = `${q(fn.schema)}.${q(fn.name)}`;
    const from = given.length
      ? `pg_catalog.json_to_record(${args}::json) as _a(${given.map((p) => `${q(p.name)} ${p.type}`).join(", ")})`
      : "";
    const call = fn.bodyParam
      ? `${target}(${args}::${fn.bodyParam})`
      : `${target}(${given.map((p) => `${p.variadic ? "variadic " : ""}${q(p.name)} := _a.${q(p.name)}`).join(", ")})`;
    const strip = (json: string) => o.accept.stripNulls ? `pg_catalog.json_strip_nulls(${json})` : json;

    let text: string;
    if (fn.returns === "void") {
      text = `select ${call} ${from ? `from ${from}` : ""}`;
    } else if (!fn.setof && fn.returns === "scalar") {
      text = `select coalesce(${strip(`pg_catalog.to_json(${call})`)}::text, 'null') as body, 1 as n` +
        (from ? ` from ${from}` : "");
    } else {
      const composite = fn.returns === "composite";
      const columns = composite ? "_f.*" : "_f as _v";
      const item = composite ? "_r" : "_r._v";
      const single = o.accept.object || !fn.setof;
      const agg = single
        ? `coalesce((${strip(`pg_catalog.json_agg(${item})`)} -> 0)::text, 'null')`
        : `coalesce(${strip(`pg_catalog.json_agg(${item})`)}, '[]')::text`;
      const page = fn.setof
        ? `${o.limit !== null ? ` limit ${o.limit}` : ""}${o.offset ? ` offset ${o.offset}` : ""}`
        : "";
      text = `with _src as (select ${columns} from ${from ? `${from}, ` : ""}${call} as _f) ` +
        `select ${agg} as body, pg_catalog.count(*)::int as n` +
        (o.count && fn.setof ? `, (select pg_catalog.count(*) from _src)::int as total` : "") +
        ` from (select * from _src${page}) as _r`;
    }
    return text;
  };
  return { sql, values: usesArgs ? [argsJson] : [] };
}
