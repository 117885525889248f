/**
 * SQL for read plans, mutations and function calls, built as PostgREST builds it (QueryBuilder.hs,
 * SqlFragment.hs, Statements.hs):
 *
 *   WITH pgrst_source AS ( <read | mutation | call> ) [, pgrst_source_count AS ( <count query> )]
 *   SELECT <total> AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total,
 *          <json_agg / csv / single object> AS body, <response.headers>, <response.status>, …
 *   FROM ( SELECT … FROM pgrst_source … ) _postgrest_t
 *
 * Embedded resources are `LEFT JOIN LATERAL ( … ) AS "<alias>" ON TRUE` subqueries (to-many ones
 * aggregated with json_agg), `!inner` makes them INNER with a NOT NULL test. Identifiers come from
 * the schema cache only (quoted); every value from the request is a literal of unknown type (as
 * PostgREST's `unknown` parameters, so Postgres infers its type from the column), passed through the
 * executor's quoting or parameters, never spliced as text.
 */
import { type Catalog, relIsToOne } from "./catalog.ts";
import { quoteIdent as ident, type Statement } from "./executor.ts";
import type { Qi, ReadPlan, RelSelect, ResolvedField, ResolvedLogic, ResolvedOrder, SelectField } from "./plan.ts";
import type { JsonOp, OpExpr, Range } from "./query-params.ts";
import { ALL_ROWS } from "./query-params.ts";
import type { RpcFunction, RpcParam } from "./catalog.ts";

/** Collects values while SQL text is built; `sql()` gives the executor's statement. */
export class SqlBuilder {
  readonly values: string[] = [];

  /** A value of unknown type (Postgres infers it), e.g. a filter's operand. */
  lit(value: string): string {
    this.values.push(value);
    return `\u0000${this.values.length - 1}u\u0000`;
  }

  /** A value typed text, e.g. a JSON body cast afterwards. */
  text(value: string): string {
    this.values.push(value);
    return `\u0000${this.values.length - 1}t\u0000`;
  }

  statement(text: string): Statement {
    const values = this.values;
    return {
      values,
      // deno-lint-ignore no-control-regex -- NUL marks a value's place: it cannot occur in SQL text
      sql: (param) => text.replace(/\u0000(\d+)([ut])\u0000/g, (_, i, kind) => param(Number(i), kind === "t")),
    };
  }
}

export const qi = (q: Qi) => (q.schema === "" ? ident(q.name) : `${ident(q.schema)}.${ident(q.name)}`);

const column = (table: Qi, name: string) => (name === "*" ? `${qi(table)}.*` : `${qi(table)}.${ident(name)}`);

function jsonPath(b: SqlBuilder, path: JsonOp[]): string {
  return path.map((j) => `${j.arrow}${j.index ? `${b.lit(j.value)}::int` : b.lit(j.value)}`).join("");
}

function field(b: SqlBuilder, table: Qi, f: ResolvedField): string {
  if (f.json.length === 0) return column(table, f.name);
  return f.toJson
    ? `to_jsonb(${column(table, f.name)})${jsonPath(b, f.json)}`
    : `${column(table, f.name)}${jsonPath(b, f.json)}`;
}

const cast = (type: string | null, expr: string) => (type === null ? expr : `CAST( ${expr} AS ${type} )`);

function aggregate(agg: string | null, aggCast: string | null, expr: string): string {
  return agg === null ? expr : cast(aggCast, `${agg.toUpperCase()}(${expr})`);
}

const as = (alias: string | null) => (alias === null ? "" : ` AS ${ident(alias)}`);

function selectItem(b: SqlBuilder, table: Qi, s: SelectField): string {
  return aggregate(s.agg, s.aggCast, cast(s.cast, field(b, table, s.field))) + as(s.alias);
}

const SIMPLE: Record<string, string> = {
  neq: "<>",
  cs: "@>",
  cd: "<@",
  ov: "&&",
  sl: "<<",
  sr: ">>",
  nxr: "&<",
  nxl: "&>",
  adj: "-|-",
};
const QUANT: Record<string, string> = {
  eq: "=",
  gte: ">=",
  gt: ">",
  lte: "<=",
  lt: "<",
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
};
const FTS: Record<string, string> = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
};

/** A Postgres array literal of the values, as PostgREST's pgBuildArrayLiteral. */
function arrayLiteral(values: string[]): string {
  const esc = (v: string) => `"${v.split("\0")[0].replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  return `{${values.map(esc).join(",")}}`;
}

function filter(b: SqlBuilder, table: Qi, f: ResolvedField, e: OpExpr): string {
  const not = e.not ? "NOT" : "";
  const lhs = field(b, table, f);
  const o = e.operation;
  const quant = (q: "any" | "all" | null, v: string) => (q === "any" ? `ANY(${v})` : q === "all" ? `ALL(${v})` : v);
  switch (o.kind) {
    case "simple":
      return `${not} ${lhs} ${SIMPLE[o.op]} ${b.lit(o.value)}`;
    case "quant": {
      const v = o.op === "like" || o.op === "ilike" ? o.value.replaceAll("*", "%") : o.value;
      return `${not} ${lhs} ${QUANT[o.op]} ${quant(o.quant, b.lit(v))}`;
    }
    case "is":
      return `${not} ${lhs} IS ${o.value.toUpperCase()}`;
    case "isdistinct":
      return `${not} ${lhs} IS DISTINCT FROM ${b.lit(o.value)}`;
    case "in":
      return o.values.length === 1 && o.values[0] === ""
        ? `${not} ${lhs} = ANY('{}') `
        : `${not} ${lhs} = ANY (${b.lit(arrayLiteral(o.values))}) `;
    case "fts":
      return `${not} ${lhs} @@ ${FTS[o.op]}(${o.lang === null ? "" : `${b.lit(o.lang)}, `}${b.lit(o.value)}) `;
  }
}

export function logic(b: SqlBuilder, table: Qi, l: ResolvedLogic): string {
  if (l.kind === "expr") {
    return `${l.not ? "NOT" : ""} (${
      l.children.map((c) => logic(b, table, c)).join(l.op === "and" ? " AND " : " OR ")
    })`;
  }
  if (l.kind === "nullEmbed") return `${ident(l.aggAlias)} IS ${l.not ? "" : "NOT "}DISTINCT FROM NULL`;
  return filter(b, table, l.field, l.expr);
}

function orderTerm(b: SqlBuilder, table: Qi, o: ResolvedOrder): string {
  const term = o.kind === "field"
    ? field(b, table, o.field)
    : field(b, { schema: "", name: o.relation }, { name: o.field.name, json: o.field.json, toJson: false, type: "" });
  const dir = o.dir === null ? "" : o.dir.toUpperCase();
  const nulls = o.nulls === null ? "" : o.nulls === "first" ? "NULLS FIRST" : "NULLS LAST";
  return `${term} ${[dir, nulls].filter(Boolean).join(" ")}`;
}

export function orderBy(b: SqlBuilder, table: Qi, order: ResolvedOrder[]): string {
  return order.length ? `ORDER BY ${order.map((o) => orderTerm(b, table, o)).join(", ")}` : "";
}

export function limitOffset(range: Range): string {
  if (range.offset === 0 && range.limit === null) return "";
  return `LIMIT ${range.limit === null ? "ALL" : range.limit} OFFSET ${range.offset}`;
}

/** The name a node's columns are qualified with. */
function nodeQi(node: ReadPlan): Qi {
  const rel = node.relToParent;
  if (rel?.kind === "computed") return { schema: "", name: node.fromAlias ?? rel.function.name };
  return node.fromAlias ? { schema: "", name: node.fromAlias } : node.from;
}

function fromClause(node: ReadPlan): string {
  const rel = node.relToParent;
  const source = rel?.kind === "computed"
    ? `${qi(rel.function)}(${ident(node.relTableAlias!)}::${qi(rel.table)})`
    : qi(node.from);
  const junction = rel?.kind === "fk" && rel.cardinality.kind === "m2m" ? `, ${qi(rel.cardinality.junction)}` : "";
  return `FROM ${source}${node.fromAlias ? ` AS ${ident(node.fromAlias)}` : ""}${junction}`;
}

function joinCondition(c: ReadPlan["relJoinConds"][number]): string {
  return `${column(c.left[0], c.left[1])} = ${column(c.right[0], c.right[1])}`;
}

function relSelectSql(r: RelSelect): string | null {
  const alias = ident(r.aggAlias);
  if (r.kind === "spread") {
    return r.fields.map((f) => {
      const name = f.name === "*" ? `${alias}.*` : `${alias}.${ident(f.name)}`;
      return aggregate(f.agg, f.aggCast, name) + as(f.alias);
    }).join(", ");
  }
  if (r.empty) return null;
  return r.toOne
    ? `row_to_json(${alias}.*)::jsonb AS ${ident(r.name)}`
    : `COALESCE( ${alias}.${alias}, '[]') AS ${ident(r.name)}`;
}

function groupBy(b: SqlBuilder, table: Qi, node: ReadPlan): string {
  const aggregated = node.select.some((s) => s.agg !== null) ||
    node.relSelect.some((r) => r.kind === "spread" && r.fields.some((f) => f.agg !== null));
  if (!aggregated) return "";
  const terms = [
    ...node.select.filter((s) => s.agg === null).map((
      s,
    ) => (s.alias !== null ? ident(s.alias) : field(b, table, s.field))),
    ...node.relSelect.flatMap((r) => {
      if (r.kind === "embed") return r.empty ? [] : [ident(r.name)];
      return r.fields.filter((f) => f.agg === null).map((f) => `${ident(r.aggAlias)}.${ident(f.alias ?? f.name)}`);
    }),
  ];
  return terms.length ? `GROUP BY ${terms.join(", ")}` : "";
}

/** PostgREST's readPlanToQuery. */
export function readQuery(b: SqlBuilder, node: ReadPlan): string {
  const table = nodeQi(node);
  const select = node.select.length === 0 && node.children.length === 0
    ? [`${qi(table)}.*`]
    : node.select.map((s) => selectItem(b, table, s));
  const joinSelects = node.relSelect.map(relSelectSql).filter((s): s is string => s !== null);
  const joins = node.relSelect.map((r) => {
    const child = node.children.find((c) => c.relAggAlias === r.aggAlias)!;
    const sub = readQuery(b, child);
    const alias = ident(r.aggAlias);
    const join = child.relJoinType === "inner" ? "INNER" : "LEFT";
    if (r.kind === "embed" && !r.toOne) {
      const cond = child.relJoinType === "inner" ? `${alias} IS NOT NULL` : "TRUE";
      return `${join} JOIN LATERAL ( SELECT json_agg(${alias})::jsonb AS ${alias} FROM (${sub} ) AS ${alias} ) AS ${alias} ON ${cond}`;
    }
    return `${join} JOIN LATERAL ( ${sub} ) AS ${alias} ON TRUE`;
  });
  const where = [...node.where.map((l) => logic(b, table, l)), ...node.relJoinConds.map(joinCondition)];
  return [
    `SELECT ${[...select, ...joinSelects].join(", ")}`,
    fromClause(node),
    joins.join(" "),
    where.length ? `WHERE ${where.join(" AND ")}` : "",
    groupBy(b, table, node),
    orderBy(b, table, node.order),
    limitOffset(node.range),
  ].join(" ");
}

/** PostgREST's readPlanToCountQuery: the root's filters (inner embeds as EXISTS), no range. */
export function countQuery(b: SqlBuilder, node: ReadPlan): string {
  const table = nodeQi(node);
  const inner = node.children.filter((c) => c.relJoinType === "inner").map((c) => `EXISTS (${countQuery(b, c)} )`);
  const countLogic = (l: ResolvedLogic): string => {
    if (l.kind === "expr") {
      return `${l.not ? "NOT" : ""} (${l.children.map(countLogic).join(l.op === "and" ? " AND " : " OR ")})`;
    }
    if (l.kind === "nullEmbed") {
      const child = node.children.find((c) => c.relAggAlias === l.aggAlias);
      return child ? `${l.not ? "" : "NOT "}EXISTS (${countQuery(b, child)})` : "";
    }
    return logic(b, table, l);
  };
  const where = [...node.where.map(countLogic), ...node.relJoinConds.map(joinCondition), ...inner];
  return `SELECT 1 ${fromClause(node)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
}

// ---------------------------------------------------------------- bodies

export type Handler = "json" | "single" | "csv" | "none" | "strip" | "single-strip";

/** The body of the response from `_postgrest_t` (PostgREST's handlerF). */
export function handlerSql(handler: Handler, scalar: "scalar" | "setof-scalar" | "single-composite" | null): string {
  const item = scalar === "scalar" || scalar === "setof-scalar" ? "_postgrest_t.pgrst_scalar" : "_postgrest_t";
  const strip = (s: string, on: boolean) => (on ? `json_strip_nulls(${s})` : s);
  switch (handler) {
    case "none":
      return "''::text";
    case "csv":
      return `(SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text as k FROM ( ` +
        `SELECT row_to_json(hh) as r from pgrst_source as hh limit 1 ) s ) a) || '\n' || ` +
        `coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), '\n'), '')`;
    case "single":
    case "single-strip":
      return `coalesce(${strip(`json_agg(${item})->0`, handler === "single-strip")}, 'null')`;
    case "json":
    case "strip": {
      const on = handler === "strip";
      if (scalar === "scalar" || scalar === "single-composite") {
        return `coalesce(${strip(`json_agg(${item})->0`, on)}, 'null')`;
      }
      return `coalesce(${strip(`json_agg(${item})`, on)}, '[]')`;
    }
  }
}

const responseHeaders = "nullif(current_setting('response.headers', true), '')";
const responseStatus = "nullif(current_setting('response.status', true), '')";

/** PostgREST's prepareRead. */
export function readStatement(
  b: SqlBuilder,
  plan: ReadPlan,
  o: { handler: Handler; count: boolean; countLimit?: number | null },
): string {
  const limit = o.countLimit == null ? "" : ` LIMIT ${o.countLimit}`;
  const countCte = o.count ? `, pgrst_source_count AS (${countQuery(b, plan)}${limit})` : "";
  return `WITH pgrst_source AS ( ${readQuery(b, plan)} ) ${countCte} SELECT ` +
    `${o.count ? "(SELECT pg_catalog.count(*) FROM pgrst_source_count)" : "null::bigint"} AS total_result_set, ` +
    `pg_catalog.count(_postgrest_t) AS page_total, (${handlerSql(o.handler, null)})::text AS body, ` +
    `${responseHeaders} AS response_headers, ${responseStatus} AS response_status, '' AS response_inserted ` +
    `FROM ( SELECT * FROM pgrst_source ) _postgrest_t`;
}

/** PostgREST's prepareWrite. */
export function writeStatement(
  mutation: string,
  select: string,
  o: { handler: Handler; location: string | null; countInserted: boolean },
): string {
  const location = o.location === null
    ? "array[]::text[]"
    : `CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN coalesce(${o.location}, array[]::text[]) ELSE array[]::text[] END`;
  return `WITH pgrst_source AS (${mutation}) SELECT '' AS total_result_set, ` +
    `pg_catalog.count(_postgrest_t) AS page_total, ${location} AS header, (${
      handlerSql(o.handler, null)
    })::text AS body, ` +
    `${responseHeaders} AS response_headers, ${responseStatus} AS response_status, ` +
    `${o.countInserted ? "nullif(current_setting('pgrst.inserted', true),'')::int" : "''"} AS response_inserted ` +
    `FROM (${o.handler === "none" ? "SELECT * FROM pgrst_source" : select}) _postgrest_t`;
}

/** The Location header's filters for an inserted row (PostgREST's locationF). */
export function locationSql(b: SqlBuilder, pk: string[]): string {
  return `(WITH data AS (SELECT row_to_json(_) AS row FROM pgrst_source AS _ LIMIT 1) ` +
    `SELECT array_agg(json_data.key || '=' || coalesce('eq.' || json_data.value, 'is.null')) ` +
    `FROM data CROSS JOIN json_each_text(data.row) AS json_data WHERE json_data.key = ANY (${
      b.lit(arrayLiteral(pk))
    }::text[]))`;
}

// ---------------------------------------------------------------- mutations

export interface BodyField {
  name: string;
  type: string;
  default: string | null;
}

/** PostgREST's fromJsonBodyF: the body's rows typed by json_to_recordset. */
export function jsonBody(
  b: SqlBuilder,
  body: string,
  fields: BodyField[],
  o: { select: boolean; limitOne: boolean; defaults: boolean; isObject: boolean },
): string {
  const named = fields.map((f) => `${ident("pgrst_body")}.${ident(f.name)}`).join(", ");
  const parsed = fields.map((f) => ident(f.name)).join(", ");
  const typed = fields.map((f) => `${ident(f.name)} ${f.type}`).join(", ");
  const defaults = fields.filter((f) => f.default !== null).map((f) => `${quoteLiteralSql(f.name)}, ${f.default}`);
  const defsJsonb = `jsonb_build_object(${defaults.join(",")})`;
  const [final, arrayElements, toRecord] = o.defaults
    ? ["pgrst_json_defs.val", "jsonb_array_elements", o.isObject ? "jsonb_to_record" : "jsonb_to_recordset"]
    : ["pgrst_payload.json_data", "json_array_elements", o.isObject ? "json_to_record" : "json_to_recordset"];
  const payload = `${b.text(body)}::${o.defaults ? "jsonb" : "json"}`;
  return (o.select ? `SELECT ${named} ` : "") +
    `FROM (SELECT ${payload} AS json_data) pgrst_payload, ` +
    (o.defaults
      ? o.isObject
        ? `LATERAL (SELECT ${defsJsonb} || pgrst_payload.json_data AS val) pgrst_json_defs, `
        : `LATERAL (SELECT jsonb_agg(${defsJsonb} || elem) AS val from jsonb_array_elements(pgrst_payload.json_data) elem) pgrst_json_defs, `
      : "") +
    `LATERAL (SELECT ${parsed} FROM ` +
    (fields.length === 0
      ? o.isObject ? "(values(1)) _ " : `${arrayElements}(${final}) _ `
      : `${toRecord}(${final}) AS _(${typed}) ${o.limitOne ? "LIMIT 1" : ""}`) +
    `) pgrst_body `;
}

/** A column name as a string literal (names come from the schema cache). */
function quoteLiteralSql(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

const inserted = (add: boolean) =>
  `set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) ${
    add ? "+" : "-"
  } 1)::text, true) <> '${add ? "0" : "-1"}'`;

export function returning(table: Qi, names: string[]): string {
  return names.length === 0 ? "RETURNING 1" : `RETURNING ${names.map((n) => column(table, n)).join(", ")}`;
}

export function insertSql(
  b: SqlBuilder,
  o: {
    table: Qi;
    fields: BodyField[];
    body: string;
    isObject: boolean;
    onConflict: { resolution: "merge" | "ignore"; columns: string[] } | null;
    putConditions: ResolvedLogic[];
    returning: string[];
    defaults: boolean;
  },
): string {
  const cols = o.fields.map((f) => ident(f.name)).join(", ");
  const merge = o.onConflict?.resolution === "merge";
  const put = o.putConditions.length > 0;
  let sql = `INSERT INTO ${qi(o.table)}${o.fields.length ? `(${cols}) ` : " "}` +
    jsonBody(b, o.body, o.fields, { select: true, limitOne: false, defaults: o.defaults, isObject: o.isObject });
  if (put) {
    sql += `WHERE ${inserted(true)} AND ${
      o.putConditions.map((l) => logic(b, { schema: "", name: "pgrst_body" }, l)).join(" AND ")
    }`;
  } else if (merge) sql += `WHERE ${inserted(true)}`;
  if (o.onConflict && o.onConflict.columns.length) {
    sql += ` ON CONFLICT(${o.onConflict.columns.map(ident).join(", ")}) `;
    if (o.onConflict.resolution === "ignore" || o.fields.length === 0) sql += "DO NOTHING";
    else {
      sql += `DO UPDATE SET ${o.fields.map((f) => `${ident(f.name)} = EXCLUDED.${ident(f.name)}`).join(", ")}` +
        (put || merge ? `WHERE ${inserted(false)}` : "");
    }
  }
  return `${sql} ${returning(o.table, o.returning)}`;
}

/** Order columns identify the rows of a limited update or delete (PostgREST's mutRangeF). */
function rangeIds(table: Qi, order: ResolvedOrder[]): [string, string] {
  const cols = order.filter((o): o is Extract<ResolvedOrder, { kind: "field" }> => o.kind === "field").map((o) =>
    o.field.name
  );
  return [
    cols.map((c) => `${column(table, c)} = ${column({ schema: "", name: "pgrst_affected_rows" }, c)}`).join(" AND "),
    cols.map((c) => column(table, c)).join(", "),
  ];
}

export function updateSql(
  b: SqlBuilder,
  o: {
    table: Qi;
    fields: BodyField[];
    body: string;
    isObject: boolean;
    where: ResolvedLogic[];
    range: Range;
    order: ResolvedOrder[];
    returning: string[];
    defaults: boolean;
  },
): string {
  const whereSql = o.where.length ? ` WHERE ${o.where.map((l) => logic(b, o.table, l)).join(" AND ")}` : "";
  if (o.fields.length === 0) {
    const cols = o.returning.length
      ? o.returning.map((c) => column({ schema: "", name: o.table.name }, c)).join(", ")
      : "NULL";
    return `SELECT ${cols} FROM ${qi(o.table)} WHERE false`;
  }
  if (o.range === ALL_ROWS || (o.range.offset === 0 && o.range.limit === null)) {
    const set = o.fields.map((f) => `${ident(f.name)} = ${ident("pgrst_body")}.${ident(f.name)}`).join(", ");
    return `UPDATE ${qi(o.table)} SET ${set} ` +
      jsonBody(b, o.body, o.fields, { select: false, limitOne: true, defaults: o.defaults, isObject: o.isObject }) +
      `${whereSql} ${returning(o.table, o.returning)}`;
  }
  const [whereIds, ids] = rangeIds(o.table, o.order);
  const set = o.fields.map((f) => `${ident(f.name)} = (SELECT ${ident(f.name)} FROM pgrst_update_body) `).join(", ");
  return `WITH pgrst_update_body AS (${
    jsonBody(b, o.body, o.fields, { select: true, limitOne: true, defaults: o.defaults, isObject: o.isObject })
  }), pgrst_affected_rows AS (SELECT ${ids} FROM ${qi(o.table)}${whereSql} ${orderBy(b, o.table, o.order)} ${
    limitOffset(o.range)
  }) UPDATE ${qi(o.table)} SET ${set}FROM pgrst_affected_rows WHERE ${whereIds} ${returning(o.table, o.returning)}`;
}

export function deleteSql(
  b: SqlBuilder,
  o: { table: Qi; where: ResolvedLogic[]; range: Range; order: ResolvedOrder[]; returning: string[] },
): string {
  const whereSql = o.where.length ? ` WHERE ${o.where.map((l) => logic(b, o.table, l)).join(" AND ")}` : "";
  if (o.range.offset === 0 && o.range.limit === null) {
    return `DELETE FROM ${qi(o.table)} ${whereSql} ${returning(o.table, o.returning)}`;
  }
  const [whereIds, ids] = rangeIds(o.table, o.order);
  return `WITH pgrst_affected_rows AS (SELECT ${ids} FROM ${qi(o.table)}${whereSql} ${orderBy(b, o.table, o.order)} ${
    limitOffset(o.range)
  }) DELETE FROM ${qi(o.table)} USING pgrst_affected_rows WHERE ${whereIds} ${returning(o.table, o.returning)}`;
}

// ---------------------------------------------------------------- calls

export type CallParams = { kind: "positional"; param: RpcParam } | { kind: "named"; params: RpcParam[] };

/** PostgREST's callPlanToQuery. */
export function callSql(
  b: SqlBuilder,
  fn: RpcFunction,
  params: CallParams,
  args: string | null,
  returningNames: string[],
): string {
  const scalar = fn.returns !== "composite";
  const target = qi({ schema: fn.schema, name: fn.name });
  const callIt = (argument: string) =>
    scalar ? `(SELECT ${target}(${argument}) pgrst_scalar) pgrst_call` : `${target}(${argument}) pgrst_call`;
  let from: string;
  if (params.kind === "positional") {
    from = `FROM ${callIt(`${b.text(args ?? "")}::${params.param.type}`)}`;
  } else if (params.params.length === 0) {
    from = `FROM ${callIt("")}`;
  } else {
    const fields = params.params.map((p) => ({ name: p.name, type: p.typeMaxLength, default: null }));
    const call = params.params.map((p) =>
      `${p.variadic ? "VARIADIC " : ""}${ident(p.name)} := pgrst_body.${ident(p.name)}`
    ).join(", ");
    from = jsonBody(b, args ?? "{}", fields, { select: false, limitOne: true, defaults: false, isObject: true }) +
      `, LATERAL ${callIt(call)}`;
  }
  const cols = scalar
    ? "pgrst_call.pgrst_scalar"
    : returningNames.length === 0
    ? "pgrst_call.*"
    : returningNames.map((n) => column({ schema: "", name: "pgrst_call" }, n)).join(", ");
  return `SELECT ${cols} ${from}`;
}

/** PostgREST's prepareCall. */
export function callStatement(
  b: SqlBuilder,
  fn: RpcFunction,
  call: string,
  plan: ReadPlan,
  o: { handler: Handler; count: boolean },
): string {
  const countCte = o.count ? `, pgrst_source_count AS (${countQuery(b, plan)}) ` : "";
  const shape = fn.returns === "void"
    ? null
    : fn.returns === "composite"
    ? (fn.setof ? null : "single-composite")
    : fn.setof
    ? "setof-scalar"
    : "scalar";
  const single = !fn.setof;
  return `WITH pgrst_source AS (${call}) ${countCte}SELECT ` +
    `${o.count ? "(SELECT pg_catalog.count(*) FROM pgrst_source_count)" : "null::bigint"} AS total_result_set, ` +
    `${single ? "1" : "pg_catalog.count(_postgrest_t)"} AS page_total, ` +
    `(${fn.returns === "void" ? "''::text" : handlerSql(o.handler, shape)})::text AS body, ` +
    `${responseHeaders} AS response_headers, ${responseStatus} AS response_status, '' AS response_inserted ` +
    `FROM (${readQuery(b, plan)}) _postgrest_t`;
}

export { relIsToOne };
export type { Catalog };
