/**
 * `/rest/v1/<table or view>`: PostgREST 12's resource endpoints.
 *
 * - GET / HEAD: select (columns, aliases, casts, JSON paths, embedded resources, spreads, aggregates
 *   when `db_aggregates_enabled`), filters and logic trees on every level, order, limit/offset and the
 *   Range header, `Prefer: count=exact|planned|estimated`;
 * - POST (insert, bulk, `columns=`, `Prefer: missing=default`, upsert with
 *   `Prefer: resolution=merge-duplicates|ignore-duplicates` and `on_conflict`), PATCH, DELETE, PUT;
 *   `Prefer: return=minimal|headers-only|representation`, `handling=strict` with `max-affected`,
 *   `tx=rollback` where `db_tx_end` allows it;
 * - answers as JSON, a single object (`application/vnd.pgrst.object+json`), CSV, or the plan
 *   (`application/vnd.pgrst.plan`, only with `db_plan_enabled`).
 *
 * Each request is one transaction under the JWT's role and claims (executor.ts), so RLS and column
 * privileges decide what is read and written.
 */
import type { Table } from "./catalog.ts";
import { ApiError, fromDatabaseError, pgrstError } from "./errors.ts";
import { FuzzySet } from "./fuzzy.ts";
import type { Statement } from "./executor.ts";
import {
  buildReadPlan,
  type PlanContext,
  rawLogic,
  type ReadPlan,
  type ResolvedLogic,
  resolveRootLogic,
  resolveRootOrder,
  returningColumns,
} from "./plan.ts";
import { parseQueryParams, type QueryParams, type Range } from "./query-params.ts";
import {
  type Caller,
  checkStrict,
  chooseSchema,
  type Media,
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
import {
  type BodyField,
  countQuery,
  deleteSql,
  type Handler,
  insertSql,
  locationSql,
  readQuery,
  readStatement,
  SqlBuilder,
  updateSql,
  writeStatement,
} from "./sql.ts";

export async function handleTable(
  req: Request,
  url: URL,
  name: string,
  caller: Caller,
  options: RestOptions,
): Promise<Response> {
  const { catalog } = options;
  const method = req.method;
  if (!["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"].includes(method)) {
    throw pgrstError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
  }
  const { schema, negotiated } = chooseSchema(req, options.api);
  let table = catalog.table(schema, name);
  if (!table) {
    await catalog.refresh();
    table = catalog.table(schema, name);
  }
  if (!table) {
    // PostgREST 13's answer (12 let Postgres answer 42P01 `relation "…" does not exist`, also a 404)
    const close = new FuzzySet(catalog.tableNames(schema)).getOne(name, 0.75);
    throw pgrstError(
      404,
      "PGRST205",
      `Could not find the table '${schema}.${name}' in the schema cache`,
      null,
      close === null ? null : `Perhaps you meant the table '${schema}.${close}'`,
    );
  }
  const read = method === "GET" || method === "HEAD";
  const qp = parseQueryParams(url.searchParams, false);
  const prefer = parsePrefer(req.headers, catalog);
  const ctx: PlanContext = { catalog, api: options.api, schema, mutation: !read, fromSource: !read };
  const profile: Record<string, string> = negotiated ? { "content-profile": schema } : {};
  const rollback = shouldRollback(prefer, catalog.config);
  const plan = (req.headers.get("accept") ?? "").includes("application/vnd.pgrst.plan");
  const settings = () =>
    requestSettings(req, url, caller, catalog, options.api, {
      schema,
      readOnly: read,
      timezone: prefer.timezone,
      plan,
    });

  if (read) return await readTable(req, table, qp, prefer, ctx, { options, caller, settings, profile, rollback });

  if (qp.ranges.size && (method === "PATCH" || method === "DELETE") && qp.order.length === 0) {
    throw pgrstError(
      400,
      "PGRST109",
      "A 'limit' was applied without an explicit 'order'",
      null,
      "Apply an 'order' using unique column(s)",
    );
  }
  if (method === "PUT" && qp.ranges.size) {
    throw pgrstError(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT");
  }
  const run = { options, caller, settings, profile, rollback };
  if (method === "DELETE") return await deleteRows(table, qp, prefer, ctx, req, run);
  const payload = await readPayload(req, options.maxBodyBytes, { allowRaw: false, columns: qp.columns !== null });
  if (payload.kind !== "json") throw pgrstError(415, "PGRST107", "Content-Type not acceptable");
  return await writeRows(method, table, qp, prefer, ctx, req, payload, run);
}

interface Run {
  options: RestOptions;
  caller: Caller;
  settings: () => [string, string][];
  profile: Record<string, string>;
  rollback: boolean;
}

/** The handler producing the body for a media type. */
function handlerFor(media: Media, head: boolean): Handler {
  if (head) return "none";
  const m = media.kind === "plan" ? media.plan!.for : media;
  if (m.kind === "object") return m.strip ? "single-strip" : "single";
  if (m.kind === "array") return "strip";
  if (m.kind === "csv") return "csv";
  return "json";
}

function singular(media: Media): boolean {
  return (media.kind === "plan" ? media.plan!.for : media).kind === "object";
}

/** EXPLAIN around a statement, for application/vnd.pgrst.plan. */
function explain(media: Media, statement: string): string {
  const plan = media.plan!;
  const opts = [`FORMAT ${plan.format.toUpperCase()}`, ...plan.options.map((o) => o.toUpperCase())];
  return `EXPLAIN (${opts.join(", ")}) ${statement}`;
}

async function execute(
  run: Run,
  statement: Statement,
  o: { check?: (rows: ResultRow[]) => void; authedRetry?: boolean },
): Promise<ResultRow[]> {
  try {
    return await run.options.executor.run<ResultRow>(run.settings(), statement, o.check, { rollback: run.rollback });
  } catch (e) {
    throw fromDatabaseError(e, run.caller.authed);
  }
}

function singularCheck(media: Media): ((rows: ResultRow[]) => void) | undefined {
  if (!singular(media) || media.kind === "plan") return undefined;
  return (rows) => {
    const n = num(rows[0]?.page_total) ?? 0;
    if (n !== 1) throw singularityError(n);
  };
}

export function singularityError(n: number): ApiError {
  return pgrstError(
    406,
    "PGRST116",
    // PostgREST 13's wording (12 said "JSON object requested, multiple (or no) rows returned")
    "Cannot coerce the result to a single JSON object",
    `The result contains ${n} rows`,
  );
}

function planResponse(media: Media, rows: Record<string, unknown>[], profile: Record<string, string>): Response {
  const text = media.plan!.format === "json"
    ? JSON.stringify(rows[0]?.["QUERY PLAN"] ?? null)
    : rows.map((r) => String(r["QUERY PLAN"])).join("\n");
  return new Response(text, { status: 200, headers: { "content-type": media.contentType, ...profile } });
}

// ---------------------------------------------------------------- reads

async function readTable(
  req: Request,
  table: Table,
  qp: QueryParams,
  prefer: Prefer,
  ctx: PlanContext,
  run: Run,
): Promise<Response> {
  const { catalog } = run.options;
  const range = topLevelRange(req, qp.ranges);
  const ranges = new Map(qp.ranges);
  if (range.offset !== 0 || range.limit !== null) ranges.set("", range);
  const plan = buildReadPlan(ctx, { schema: table.schema, name: table.name }, { ...qp, ranges });
  const media = negotiate(req.headers.get("accept"), { csv: true, planEnabled: catalog.config.planEnabled });
  checkStrict(prefer);
  const head = req.method === "HEAD";
  const exactCount = prefer.count === "exact" || prefer.count === "estimated";
  const b = new SqlBuilder();
  // count=estimated counts at most max_rows + 1 rows exactly; past that the planner's estimate is used
  const maxRows = catalog.config.maxRows ?? run.options.api.maxRows;
  const statement = readStatement(b, plan, {
    handler: handlerFor(media, head),
    count: exactCount,
    countLimit: prefer.count === "estimated" && maxRows !== null ? maxRows + 1 : null,
  });
  if (media.kind === "plan") {
    const rows = await execute(run, b.statement(explain(media, statement)), {});
    return planResponse(media, rows, run.profile);
  }
  const rows = await execute(run, b.statement(statement), { check: singularCheck(media) });
  const row = rows[0];
  let total = exactCount ? num(row?.total_result_set) : null;
  total = await plannedTotal(run, prefer, plan, total);
  const pageTotal = num(row?.page_total) ?? 0;
  const { status, contentRange } = rangeStatus(range, pageTotal, total);
  const headers: Record<string, string> = {
    "content-range": contentRange,
    "content-location": `/${table.name}${qp.canonical ? `?${qp.canonical}` : ""}`,
    "content-type": media.contentType,
    ...run.profile,
  };
  const applied = preferenceApplied(prefer, ["count", "tx", "handling", "timezone"]);
  if (applied) headers["preference-applied"] = applied;
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
  return new Response(head ? null : String(row?.body ?? ""), { status: final.status, headers: final.headers });
}

/** count=planned (or estimated past max_rows): the planner's row estimate for the count query. */
async function plannedTotal(run: Run, prefer: Prefer, plan: ReadPlan, exact: number | null): Promise<number | null> {
  if (prefer.count !== "planned" && prefer.count !== "estimated") return exact;
  const maxRows = run.options.catalog.config.maxRows ?? run.options.api.maxRows;
  if (prefer.count === "estimated" && (maxRows === null || exact === null || exact <= maxRows)) return exact;
  const b = new SqlBuilder();
  const rows = await execute(
    { ...run, rollback: false },
    b.statement(`EXPLAIN (FORMAT JSON) ${countQuery(b, plan)}`),
    {},
  );
  const json = rows[0]?.["QUERY PLAN"];
  const parsed = typeof json === "string" ? JSON.parse(json) : json;
  const estimate = Number(parsed?.[0]?.Plan?.["Plan Rows"]);
  if (!Number.isFinite(estimate)) return exact;
  return prefer.count === "estimated" ? Math.max(exact ?? 0, estimate) : estimate;
}

// ---------------------------------------------------------------- writes

/** The columns a body writes, checked against the table (PGRST204 for an unknown one). */
function bodyFields(table: Table, names: string[]): BodyField[] {
  return names.map((n) => {
    const column = table.columns.get(n);
    if (!column) {
      throw pgrstError(400, "PGRST204", `Could not find the '${n}' column of '${table.name}' in the schema cache`);
    }
    return { name: n, type: column.type, default: column.default };
  });
}

/** The root's filters and logic trees, for a mutation's WHERE. */
function rootWhere(table: Table, qp: QueryParams): ResolvedLogic[] {
  const logic = qp.logic.filter(([p]) => p.length === 0).map(([, t]) => rawLogic(t));
  const filters = qp.filters.filter(([p]) => p.length === 0).map(([, f]) => rawLogic({ kind: "stmt", filter: f }));
  return [...filters, ...logic].map((l) => resolveRootLogic(table, table.name, l));
}

function mutationRange(qp: QueryParams): Range {
  return qp.ranges.get("") ?? { offset: 0, limit: null };
}

async function writeRows(
  method: string,
  table: Table,
  qp: QueryParams,
  prefer: Prefer,
  ctx: PlanContext,
  req: Request,
  payload: Extract<Payload, { kind: "json" }>,
  run: Run,
): Promise<Response> {
  const { catalog } = run.options;
  const qiTable = { schema: table.schema, name: table.name };
  const plan = buildReadPlan(ctx, qiTable, qp);
  const representation = prefer.return === "representation";
  const media = negotiate(req.headers.get("accept"), { csv: true, planEnabled: catalog.config.planEnabled });
  checkStrict(prefer);
  const fields = bodyFields(table, qp.columns ?? payload.keys);
  const returning = prefer.return === null || prefer.return === "minimal" ? [] : returningColumns(plan, table.pk);
  const b = new SqlBuilder();
  const defaults = prefer.missing === "default";
  let mutation: string;
  let isPut = false;
  let merge = false;
  if (method === "POST") {
    const conflictCols = qp.onConflict ?? table.pk;
    merge = prefer.resolution === "merge-duplicates";
    mutation = insertSql(b, {
      table: qiTable,
      fields,
      body: payload.text,
      isObject: payload.isObject,
      onConflict: prefer.resolution
        ? { resolution: prefer.resolution === "merge-duplicates" ? "merge" : "ignore", columns: conflictCols }
        : null,
      putConditions: [],
      returning,
      defaults,
    });
  } else if (method === "PUT") {
    isPut = true;
    const pk = new Set(table.pk);
    const rootFilters = qp.filters.filter(([p]) => p.length === 0).map(([, f]) => f);
    const names = new Set(qp.filters.filter(([p]) => p.length === 0).map(([, f]) => f.field.name));
    const ok = qp.logic.length === 0 && pk.size > 0 && names.size === pk.size && [...names].every((n) => pk.has(n)) &&
      rootFilters.every((f) =>
        !f.expr.not && f.expr.operation.kind === "quant" && f.expr.operation.op === "eq" &&
        f.expr.operation.quant === null
      );
    if (!ok) {
      throw pgrstError(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators");
    }
    mutation = insertSql(b, {
      table: qiTable,
      fields,
      body: payload.text,
      isObject: payload.isObject,
      onConflict: { resolution: "merge", columns: table.pk },
      putConditions: rootWhere(table, qp).map((l) => resolveRootLogic(table, "pgrst_body", l)),
      returning,
      defaults: false,
    });
  } else {
    const range = mutationRange(qp);
    mutation = updateSql(b, {
      table: qiTable,
      fields,
      body: payload.text,
      isObject: payload.isObject,
      where: rootWhere(table, qp),
      range,
      order: (qp.order.find(([p]) => p.length === 0)?.[1] ?? []).map((o) => resolveRootOrder(table, table.name, o)),
      returning,
      defaults,
    });
  }
  const handler: Handler = representation ? handlerFor(media, false) : "none";
  const location = method === "POST" && prefer.return === "headers-only" && table.pk.length
    ? locationSql(b, table.pk)
    : null;
  const statement = writeStatement(mutation, readQuery(b, plan), {
    handler,
    location,
    countInserted: method === "POST" ? merge : isPut,
  });
  if (media.kind === "plan") {
    return planResponse(media, await execute(run, b.statement(explain(media, statement)), {}), run.profile);
  }
  const limit = method === "PATCH" ? mutationRange(qp).limit : null;
  const strictMax = method === "PATCH" && prefer.handling === "strict" && prefer.maxAffected !== null;
  const needsCheck = isPut || (representation && singular(media)) || strictMax || limit !== null;
  const rows = await execute(run, b.statement(statement), {
    check: !needsCheck ? undefined : (rs) => {
      const n = num(rs[0]?.page_total) ?? 0;
      if (isPut && n !== 1) {
        throw pgrstError(400, "PGRST115", "Payload values do not match URL in primary key column(s)");
      }
      if (representation && singular(media) && n !== 1) throw singularityError(n);
      if (method === "PATCH") maxAffected(prefer, n);
      if (limit !== null && n > limit) {
        throw pgrstError(
          400,
          "PGRST110",
          "The maximum number of rows allowed to change was surpassed",
          `Results contain ${n} rows changed but the maximum number allowed is ${limit}`,
        );
      }
    },
  });
  const row = rows[0];
  const n = num(row?.page_total) ?? 0;
  const headers: Record<string, string> = {};
  const count = prefer.count === "exact" || prefer.count === "estimated" ? n : null;
  let status: number;
  let applied: string | null;
  if (method === "POST") {
    const headerList = typeof row?.header === "string" ? parseTextArray(row.header) : (row?.header ?? []);
    if (headerList.length) {
      headers["location"] = `/${table.name}?${
        headerList.map((kv) => {
          const eq = kv.indexOf("=");
          return `${encodeURIComponent(kv.slice(0, eq))}=${encodeURIComponent(kv.slice(eq + 1))}`;
        }).join("&")
      }`;
    }
    headers["content-range"] = `*/${count ?? "*"}`;
    const inserted = num(row?.response_inserted);
    status = inserted !== null && inserted <= 0 && merge ? 200 : 201;
    const keys: (keyof Prefer)[] = ["return", "missing", "count", "tx", "handling", "timezone"];
    if (table.pk.length || qp.onConflict) keys.push("resolution");
    applied = preferenceApplied(prefer, keys);
  } else if (method === "PUT") {
    const inserted = num(row?.response_inserted) ?? 0;
    status = representation ? (inserted > 0 ? 201 : 200) : 204;
    applied = preferenceApplied(prefer, ["return", "count", "tx", "handling", "timezone"]);
  } else {
    headers["content-range"] = `${n > 0 ? `0-${n - 1}` : "*"}/${count ?? "*"}`;
    status = representation ? 200 : 204;
    applied = preferenceApplied(prefer, ["return", "count", "tx", "missing", "handling", "timezone", "maxAffected"]);
  }
  if (applied) headers["preference-applied"] = applied;
  if (representation) Object.assign(headers, { "content-type": media.contentType, ...run.profile });
  const final = overrides(row, status, headers);
  const body = representation ? String(row?.body ?? "") : null;
  return new Response(final.status === 204 ? null : body, { status: final.status, headers: final.headers });
}

async function deleteRows(
  table: Table,
  qp: QueryParams,
  prefer: Prefer,
  ctx: PlanContext,
  req: Request,
  run: Run,
): Promise<Response> {
  const { catalog } = run.options;
  const qiTable = { schema: table.schema, name: table.name };
  const plan = buildReadPlan(ctx, qiTable, qp);
  const representation = prefer.return === "representation";
  const media = negotiate(req.headers.get("accept"), { csv: true, planEnabled: catalog.config.planEnabled });
  checkStrict(prefer);
  const b = new SqlBuilder();
  const range = mutationRange(qp);
  const mutation = deleteSql(b, {
    table: qiTable,
    where: rootWhere(table, qp),
    range,
    order: (qp.order.find(([p]) => p.length === 0)?.[1] ?? []).map((o) => resolveRootOrder(table, table.name, o)),
    returning: prefer.return === null || prefer.return === "minimal" ? [] : returningColumns(plan, table.pk),
  });
  const statement = writeStatement(mutation, readQuery(b, plan), {
    handler: representation ? handlerFor(media, false) : "none",
    location: null,
    countInserted: false,
  });
  if (media.kind === "plan") {
    return planResponse(media, await execute(run, b.statement(explain(media, statement)), {}), run.profile);
  }
  const needsCheck = (representation && singular(media)) || range.limit !== null ||
    (prefer.handling === "strict" && prefer.maxAffected !== null);
  const rows = await execute(run, b.statement(statement), {
    check: !needsCheck ? undefined : (rs) => {
      const n = num(rs[0]?.page_total) ?? 0;
      if (representation && singular(media) && n !== 1) throw singularityError(n);
      maxAffected(prefer, n);
      if (range.limit !== null && n > range.limit) {
        throw pgrstError(
          400,
          "PGRST110",
          "The maximum number of rows allowed to change was surpassed",
          `Results contain ${n} rows changed but the maximum number allowed is ${range.limit}`,
        );
      }
    },
  });
  const row = rows[0];
  const n = num(row?.page_total) ?? 0;
  const count = prefer.count === "exact" || prefer.count === "estimated" ? n : null;
  const headers: Record<string, string> = { "content-range": `*/${count ?? "*"}` };
  const applied = preferenceApplied(prefer, ["return", "count", "tx", "handling", "timezone", "maxAffected"]);
  if (applied) headers["preference-applied"] = applied;
  if (representation) Object.assign(headers, { "content-type": media.contentType, ...run.profile });
  const final = overrides(row, representation ? 200 : 204, headers);
  return new Response(final.status === 204 ? null : String(row?.body ?? ""), {
    status: final.status,
    headers: final.headers,
  });
}

/** handling=strict with max-affected: more rows than allowed rolls everything back (PGRST124). */
export function maxAffected(prefer: Prefer, n: number): void {
  if (prefer.maxAffected !== null && prefer.handling === "strict" && n > prefer.maxAffected) {
    throw pgrstError(
      400,
      "PGRST124",
      "Query result exceeds max-affected preference constraint",
      `The query affects ${n} rows`,
    );
  }
}

/** `{a,"b c"}` → ["a", "b c"] (drivers that leave text[] as text). */
function parseTextArray(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,{}]+)/g;
  for (const m of text.slice(1, -1).matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]);
  return out;
}
