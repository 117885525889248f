/**
 * `/rest/v1/rpc/<fn>`: PostgREST 12's function calls.
 *
 * - POST with a JSON object of named arguments (or a form; `columns=` picks keys), GET/HEAD with
 *   query-string arguments (parameters without an operator; a repeated one is an array) for functions
 *   that are not volatile. Omitted arguments take their defaults. Overloads are resolved by argument
 *   names as PostgREST does (Plan.hs findProc); a function whose single parameter is unnamed gets the
 *   whole body (`{"": value}` included): json/jsonb for JSON, text for text/plain, xml for text/xml,
 *   bytea for application/octet-stream; `Prefer: params=single-object` passes the body to a single
 *   json/jsonb parameter.
 * - Arguments reach Postgres as the JSON text, converted by json_to_record to the parameters' types,
 *   as PostgREST converts them (numbers keep every digit).
 * - The result is a resource like a table's rows: `select` (columns, embedding from a function
 *   returning a table's rows, computed fields), filters, order, limit/offset, `count`; a scalar as its
 *   JSON value, a composite as an object, a set as an array, void as 204. Parley's additions, kept:
 *   `Prefer: return=minimal` answers 204.
 */
import type { RpcFunction } from "./catalog.ts";
import { fromDatabaseError, pgrstError } from "./errors.ts";
import { FuzzySet } from "./fuzzy.ts";
import { buildReadPlan, type PlanContext } from "./plan.ts";
import { parseQueryParams, type QueryParams } from "./query-params.ts";
import {
  type Caller,
  checkStrict,
  chooseSchema,
  negotiate,
  num,
  overrides,
  parsePrefer,
  type Payload,
  type Prefer,
  preferenceApplied,
  rangeStatus,
  readPayload,
  requestSettings,
  type RestOptions,
  type ResultRow,
  shouldRollback,
  topLevelRange,
} from "./request.ts";
import { type CallParams, callSql, callStatement, type Handler, SqlBuilder } from "./sql.ts";
import { maxAffected, singularityError } from "./tables.ts";
import { isPgError } from "../db/client.ts";

export type { Caller } from "./request.ts";
export type RpcOptions = RestOptions;

type ArgsKind = "named" | "json-object" | "json-other" | "raw";

interface Args {
  json: string | null;
  keys: string[];
  kind: ArgsKind;
  /** For a raw body: its media type (text/plain, text/xml, application/octet-stream). */
  contentType?: string;
}

export async function handleRpc(
  req: Request,
  url: URL,
  name: string,
  caller: Caller,
  options: RestOptions,
): Promise<Response> {
  const { catalog, api } = options;
  const method = req.method;
  const read = method === "GET" || method === "HEAD";
  if (!read && method !== "POST") {
    throw pgrstError(405, "PGRST101", `Cannot use the ${method} method on RPC`, null, null, {
      allow: "GET, HEAD, POST, OPTIONS",
    });
  }
  const { schema, negotiated } = chooseSchema(req, api);
  const qp = parseQueryParams(url.searchParams, read);
  const prefer = parsePrefer(req.headers, catalog);
  const singleObject = prefer.params === "single-object";

  // arguments: query string (GET/HEAD) or body (POST)
  let args: Args;
  if (read) {
    const obj: Record<string, string | string[]> = {};
    for (const [k, v] of qp.params) {
      const prev = obj[k];
      obj[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    args = { json: JSON.stringify(obj), keys: Object.keys(obj), kind: "named" };
  } else {
    const payload = await readPayload(req, options.maxBodyBytes, { allowRaw: true, columns: qp.columns !== null });
    args = argsOf(payload, req, qp);
  }

  let retried = false;
  while (true) {
    const fn = await resolve(options, schema, name, args, singleObject);
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
    const response = await call(req, url, fn, args, qp, prefer, caller, options, { schema, negotiated, read });
    if (response !== "stale") return response;
    // the function changed since the cache was read: read it again and retry once
    if (retried) throw pgrstError(404, "42883", `function ${schema}.${name} does not exist`);
    retried = true;
    await catalog.refresh();
  }
}

function argsOf(payload: Payload, req: Request, qp: QueryParams): Args {
  if (payload.kind === "raw") return { json: payload.text, keys: [], kind: "raw", contentType: payload.contentType };
  const form = req.headers.get("content-type")?.toLowerCase().startsWith("application/x-www-form-urlencoded");
  if (form) return { json: payload.text, keys: payload.keys, kind: "named" };
  if (payload.isObject) return { json: payload.text, keys: qp.columns ?? payload.keys, kind: "json-object" };
  return { json: payload.text, keys: qp.columns ?? [], kind: "json-other" };
}

async function call(
  req: Request,
  url: URL,
  fn: RpcFunction,
  args: Args,
  qp: QueryParams,
  prefer: Prefer,
  caller: Caller,
  options: RestOptions,
  o: { schema: string; negotiated: boolean; read: boolean },
): Promise<Response | "stale"> {
  const { catalog, api } = options;
  // a function returning a table's rows is that table for select, filters and embedding
  const table = fn.returns === "composite" ? catalog.table(fn.returnSchema, fn.returnName) : undefined;
  const range = topLevelRange(req, qp.ranges);
  const ranges = new Map(qp.ranges);
  if (range.offset !== 0 || range.limit !== null) ranges.set("", range);
  const ctx: PlanContext = { catalog, api, schema: o.schema, mutation: false, fromSource: true };
  const plan = buildReadPlan(
    ctx,
    table ? { schema: table.schema, name: table.name } : { schema: o.schema, name: fn.name },
    { ...qp, ranges },
    {
      isTable: table !== undefined,
      knownColumns: fn.returns === "composite" ? fn.columns : fn.returns === "scalar" ? ["pgrst_scalar"] : [],
    },
  );
  const media = negotiate(req.headers.get("accept"), {
    csv: fn.returns === "composite",
    planEnabled: catalog.config.planEnabled,
  });
  checkStrict(prefer);
  const head = req.method === "HEAD";
  const m = media.kind === "plan" ? media.plan!.for : media;
  const handler: Handler = head
    ? "none"
    : m.kind === "object"
    ? (m.strip ? "single-strip" : "single")
    : m.kind === "array"
    ? "strip"
    : m.kind === "csv"
    ? "csv"
    : "json";
  const params: CallParams = (fn.params.length === 1 && (prefer.params === "single-object" || fn.params[0].name === ""))
    ? { kind: "positional", param: fn.params[0] }
    : { kind: "named", params: fn.params.filter((p) => args.keys.includes(p.name)) };
  const b = new SqlBuilder();
  // (all the result's columns: filters and order on the result may name any of them)
  const callText = callSql(b, fn, params, args.json, []);
  const count = prefer.count === "exact" || prefer.count === "estimated";
  let statement = callStatement(b, fn, callText, plan, { handler, count });
  if (media.kind === "plan") {
    const opts = [`FORMAT ${media.plan!.format.toUpperCase()}`, ...media.plan!.options.map((x) => x.toUpperCase())];
    statement = `EXPLAIN (${opts.join(", ")}) ${statement}`;
  }
  const settings = requestSettings(req, url, caller, catalog, api, {
    schema: o.schema,
    readOnly: o.read,
    timezone: prefer.timezone,
    plan: media.kind === "plan",
  });
  const object = m.kind === "object" && media.kind !== "plan";
  // a check runs the call in an explicit transaction (on native Postgres, BEGIN … COMMIT): only when needed
  const strictMax = prefer.handling === "strict" && prefer.maxAffected !== null;
  const check = object || strictMax
    ? (rows: ResultRow[]) => {
      const n = num(rows[0]?.page_total) ?? 0;
      if (object && n !== 1) throw singularityError(n);
      maxAffected(prefer, n);
    }
    : undefined;
  let rows: ResultRow[];
  try {
    rows = await options.executor.run<ResultRow>(settings, b.statement(statement), check, {
      rollback: shouldRollback(prefer, catalog.config),
    });
  } catch (e) {
    if (isPgError(e) && e.code === "42883") return "stale";
    throw fromDatabaseError(e, caller.authed);
  }
  if (media.kind === "plan") {
    const text = media.plan!.format === "json"
      ? JSON.stringify(rows[0]?.["QUERY PLAN"] ?? null)
      : rows.map((r) => String(r["QUERY PLAN"])).join("\n");
    return new Response(text, { status: 200, headers: { "content-type": media.contentType } });
  }
  const row = rows[0];
  const pageTotal = num(row?.page_total) ?? 0;
  const total = count ? num(row?.total_result_set) : null;
  const { status, contentRange } = rangeStatus(range, pageTotal, total);
  const headers: Record<string, string> = { "content-range": contentRange };
  const applied = preferenceApplied(prefer, ["params", "count", "tx", "handling", "timezone", "maxAffected", "return"]);
  if (applied) headers["preference-applied"] = applied;
  const minimal = prefer.return === "minimal";
  if (fn.returns === "void" || minimal) {
    const final = overrides(row, 204, headers);
    return new Response(null, { status: final.status, headers: final.headers });
  }
  headers["content-type"] = media.contentType;
  if (o.negotiated) headers["content-profile"] = o.schema;
  const final = overrides(row, status, headers);
  if (status === 416) {
    return new Response(
      JSON.stringify({
        code: "PGRST103",
        details: `An offset of ${range.offset} was requested, but there are only ${total ?? 0} rows.`,
        hint: null,
        message: "Requested range not satisfiable",
      }),
      { status: 416, headers: { ...final.headers, "content-type": "application/json; charset=utf-8" } },
    );
  }
  return new Response(head ? null : String(row?.body ?? "null"), { status: final.status, headers: final.headers });
}

/** PostgREST's findProc, with a reload of the cache when nothing is found. */
async function resolve(
  options: RestOptions,
  schema: string,
  name: string,
  args: Args,
  singleObject: boolean,
): Promise<RpcFunction> {
  const { catalog } = options;
  const attempt = () => findProc(catalog.functions(schema, name), args, singleObject);
  let r = attempt();
  if (r.length === 0) {
    await catalog.refresh();
    r = attempt();
  }
  if (r.length === 1) return r[0];
  if (r.length > 1) {
    // Haskell's derived order on the parameter lists: (name, type) element by element
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    const sorted = [...r].sort((a, b) => {
      for (let i = 0; i < Math.min(a.params.length, b.params.length); i++) {
        const c = cmp(a.params[i].name, b.params[i].name) || cmp(a.params[i].type, b.params[i].type);
        if (c) return c;
      }
      return a.params.length - b.params.length;
    });
    throw pgrstError(
      300,
      "PGRST203",
      `Could not choose the best candidate function between: ${
        sorted.map((p) => `${p.schema}.${p.name}(${p.params.map((a) => `${a.name} => ${a.type}`).join(", ")})`)
          .join(", ")
      }`,
      null,
      "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    );
  }
  if (args.kind === "raw") {
    // (PostgREST answers 404 PGRST202 "… with a single unnamed text parameter"; the gateway keeps its
    // 415 for a body it cannot give any function of that name)
    throw pgrstError(
      415,
      "PGRST107",
      `Content-Type not acceptable: ${args.contentType}`,
      null,
      "Send application/json.",
    );
  }
  throw noRpc(options, schema, name, args, singleObject);
}

/** Candidates, as Plan.hs findProc partitions them: named matches first, else single-unnamed fallbacks. */
function findProc(procs: RpcFunction[], args: Args, singleObject: boolean): RpcFunction[] {
  const keys = new Set(args.keys);
  const isPost = args.kind !== "named" || args.contentType !== undefined;
  const rawType = args.contentType;
  const matches: RpcFunction[] = [];
  const fallback: RpcFunction[] = [];
  for (const fn of procs) {
    const params = fn.params;
    const first = params[0]?.type;
    let match: boolean;
    if (singleObject) match = params.length === 1 && (first === "json" || first === "jsonb");
    else if (args.kind === "raw") match = false;
    else if (params.length === 0) match = keys.size === 0;
    else {
      const required = new Set(params.filter((p) => !p.hasDefault).map((p) => p.name));
      const optional = new Set(params.filter((p) => p.hasDefault).map((p) => p.name));
      const rest = [...keys].filter((k) => !optional.has(k));
      match = rest.length === required.size && rest.every((k) => required.has(k));
      if (args.kind === "json-other") match = false;
    }
    if (match) {
      matches.push(fn);
      continue;
    }
    // a single unnamed parameter takes the whole body, by content type
    const unnamed = params.length === 1 && params[0].name === "" && isPost && args.kind !== "named";
    if (!unnamed) continue;
    const t = params[0].type;
    const fits = rawType === undefined
      ? t === "json" || t === "jsonb"
      : (rawType === "text/plain" && t === "text") || (rawType === "text/xml" && t === "xml") ||
        (rawType === "application/octet-stream" && t === "bytea");
    if (fits) fallback.push(fn);
  }
  return matches.length ? matches : fallback;
}

/** PGRST202, worded as PostgREST words it, with its fuzzy "Perhaps you meant" hint. */
function noRpc(options: RestOptions, schema: string, name: string, args: Args, singleObject: boolean) {
  const { catalog } = options;
  const func = `${schema}.${name}`;
  const keys = [...new Set(args.keys)].sort();
  const prms = keys.join(", ");
  const fmtPrms = (p: string) => (keys.length === 0 ? " without parameters" : p);
  const raw = args.kind === "raw" ? args.contentType : undefined;
  const onlySingle = singleObject || raw !== undefined;
  const isPost = args.kind !== "named" || raw !== undefined;
  const searched = singleObject
    ? " with a single json/jsonb parameter"
    : raw === "text/plain"
    ? " with a single unnamed text parameter"
    : raw === "text/xml"
    ? " with a single unnamed xml parameter"
    : raw === "application/octet-stream"
    ? " with a single unnamed bytea parameter"
    : isPost
    ? `${
      fmtPrms(` with parameter${keys.length > 1 ? "s " : " "}${prms}`)
    } or with a single unnamed json/jsonb parameter`
    : fmtPrms(` with parameter${keys.length > 1 ? "s " : " "}${prms}`);
  let hint: string | null = null;
  if (!onlySingle) {
    const overloads = catalog.functions(schema, name);
    const listText = (l: string[]) => `(${[...l].sort().join(", ")})`;
    const possible = overloads.length === 0 ? new FuzzySet(catalog.names(schema)).getOne(name, 0.75) : (() => {
      const m = new FuzzySet(overloads.map((o) => listText(o.params.map((p) => p.name)))).getOne(listText(keys));
      return m === null ? null : `${name}${m}`;
    })();
    hint = possible === null ? null : `Perhaps you meant to call the function ${schema}.${possible}`;
  }
  return pgrstError(
    404,
    "PGRST202",
    `Could not find the function ${func}${onlySingle ? "" : fmtPrms(`(${prms})`)} in the schema cache`,
    `Searched for the function ${func}${searched}, but no matches were found in the schema cache.`,
    hint,
  );
}
