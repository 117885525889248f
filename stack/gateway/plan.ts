/**
 * The read plan: a tree with one node per resource (the root table, view or function result, and
 * each embedded resource), after PostgREST's Plan.hs (`readPlan`): select items resolved against
 * the schema cache, filters, logic trees, order and ranges placed on their nodes, relationships found
 * for embeds (with PostgREST's aliases: `<table>_<depth>` for the joined table, `<parent>_<name>_<depth>`
 * for the lateral subquery), spreads checked to be to-one, aggregates checked and hoisted out of
 * spreads, `is.null` filters on embedded resources turned into tests of the embed.
 *
 * Every name a request gives is checked here: a column, a computed field (a function taking the
 * table's row) or `*`; a relationship of the schema cache; a cast naming a known type. What is not
 * found answers as PostgREST (or Postgres behind it) would: 42703 `column t.c does not exist`,
 * PGRST200/PGRST201 for relationships, 42704 for types.
 */
import type { ApiSettings } from "../cli/config.ts";
import { type Catalog, type Relationship, relIsToOne, type Table } from "./catalog.ts";
import { ApiError, pgrstError } from "./errors.ts";
import { FuzzySet } from "./fuzzy.ts";
import type {
  AggregateFunction,
  EmbedPath,
  Field,
  JoinType,
  JsonOp,
  LogicTree,
  OpExpr,
  OrderTerm,
  QueryParams,
  Range,
  SelectItem,
} from "./query-params.ts";
import { ALL_ROWS } from "./query-params.ts";

export interface Qi {
  schema: string;
  name: string;
}

/** A column (or computed field, or `*`) with its JSON path. */
export interface ResolvedField {
  name: string;
  json: JsonOp[];
  /** Apply to_jsonb before the JSON path (the column is not json/jsonb). */
  toJson: boolean;
  /** The column's type, "" when unknown (a computed field, `*`). */
  type: string;
}

export interface SelectField {
  field: ResolvedField;
  agg: AggregateFunction | null;
  aggCast: string | null;
  cast: string | null;
  alias: string | null;
}

export type ResolvedLogic =
  | { kind: "expr"; not: boolean; op: "and" | "or"; children: ResolvedLogic[] }
  | { kind: "filter"; field: ResolvedField; expr: OpExpr }
  | { kind: "nullEmbed"; not: boolean; aggAlias: string };

export type ResolvedOrder =
  | { kind: "field"; field: ResolvedField; dir: "asc" | "desc" | null; nulls: "first" | "last" | null }
  | { kind: "relation"; relation: string; field: Field; dir: "asc" | "desc" | null; nulls: "first" | "last" | null };

export interface SpreadField {
  name: string;
  agg: AggregateFunction | null;
  aggCast: string | null;
  alias: string | null;
}

export type RelSelect =
  | { kind: "embed"; name: string; aggAlias: string; toOne: boolean; empty: boolean }
  | { kind: "spread"; fields: SpreadField[]; aggAlias: string };

export interface JoinCondition {
  left: [Qi, string];
  right: [Qi, string];
}

export interface ReadPlan {
  select: SelectField[];
  from: Qi;
  fromAlias: string | null;
  where: ResolvedLogic[];
  order: ResolvedOrder[];
  range: Range;
  relName: string;
  relAlias: string | null;
  relAggAlias: string;
  relHint: string | null;
  relJoinType: JoinType | null;
  relIsSpread: boolean;
  relToParent: Relationship | null;
  /** For a computed relationship: how the parent row is named (its alias, or its table). */
  relTableAlias: string | null;
  relJoinConds: JoinCondition[];
  relSelect: RelSelect[];
  depth: number;
  children: ReadPlan[];
  /** The table whose columns the names refer to (undefined: not a table, e.g. a scalar function). */
  table: Table | undefined;
  /** Column names known for a non-table source (a function's OUT columns). */
  knownColumns: string[] | null;
}

export const SOURCE = "pgrst_source";

export interface PlanContext {
  catalog: Catalog;
  api: ApiSettings;
  schema: string;
  /** Reads apply [api] max_rows to every level; writes do not. */
  mutation: boolean;
  /** The root reads from the pgrst_source CTE (mutations and function calls). */
  fromSource: boolean;
}

/** Postgres's own error for an unknown column, as PostgREST passes it on. */
function unknownColumn(qualifier: string, name: string): ApiError {
  return pgrstError(400, "42703", `column ${qualifier}.${name} does not exist`);
}

export function buildReadPlan(
  ctx: PlanContext,
  root: Qi,
  qp: QueryParams,
  options: { knownColumns?: string[] | null; isTable?: boolean } = {},
): ReadPlan {
  const table = options.isTable === false ? undefined : ctx.catalog.table(root.schema, root.name);
  const plan = initNode(ctx, qp.select, root, table, 0, options.knownColumns ?? null);
  // filters (on a mutation only the embedded ones: the root's go to the mutation itself); names are
  // checked by addRels, once each node's table is known
  for (const [path, filter] of qp.filters) {
    if (ctx.mutation && path.length === 0) continue;
    const node = findNode(plan, path);
    node.where.push({ kind: "filter", field: rawField(filter.field), expr: filter.expr });
  }
  for (const [path, terms] of ctx.mutation ? [] : qp.order) {
    const node = findNode(plan, path);
    node.order = terms.map((t) => t.kind === "relation" ? t : { ...t, field: rawField(t.field) });
  }
  for (const [key, range] of ctx.mutation ? [] : qp.ranges) {
    const node = findNode(plan, key === "" ? [] : key.split("."));
    node.range = range;
  }
  for (const [path, tree] of qp.logic) {
    if (ctx.mutation && path.length === 0) continue;
    const node = findNode(plan, path);
    node.where.unshift(rawLogic(tree));
  }
  addRels(ctx, plan, null);
  expandStars(ctx, plan, false);
  addRelatedOrders(plan);
  validateSpreads(plan);
  addNullEmbedFilters(plan);
  addRelSelects(plan);
  hoistSpreadAggregates(plan);
  if (!ctx.catalog.config.aggregatesEnabled) validateNoAggregates(plan);
  if (!ctx.mutation) restrictRanges(plan, ctx.catalog.config.maxRows ?? ctx.api.maxRows);
  return plan;
}

function initNode(
  ctx: PlanContext,
  items: SelectItem[],
  from: Qi,
  table: Table | undefined,
  depth: number,
  knownColumns: string[] | null,
): ReadPlan {
  const node: ReadPlan = {
    select: [],
    from,
    fromAlias: null,
    where: [],
    order: [],
    range: ALL_ROWS,
    relName: from.name,
    relAlias: null,
    relAggAlias: "",
    relHint: null,
    relJoinType: null,
    relIsSpread: false,
    relToParent: null,
    relTableAlias: null,
    relJoinConds: [],
    relSelect: [],
    depth,
    children: [],
    table,
    knownColumns,
  };
  for (const item of items) {
    if (item.kind === "field") {
      checkCast(ctx, item.cast);
      checkCast(ctx, item.aggCast);
      node.select.push({
        field: item.field.name === "*" && item.field.json.length === 0
          ? { name: "*", json: [], toJson: false, type: "" }
          : { name: item.field.name, json: item.field.json, toJson: false, type: "" },
        agg: item.agg,
        aggCast: item.aggCast,
        cast: item.cast,
        alias: item.alias,
      });
    } else {
      const child = initNode(ctx, item.children, { schema: ctx.schema, name: item.name }, undefined, depth + 1, null);
      child.relHint = item.hint;
      child.relJoinType = item.join;
      if (item.kind === "relation") child.relAlias = item.alias;
      else child.relIsSpread = true;
      node.children.push(child);
    }
  }
  return node;
}

function checkCast(ctx: PlanContext, cast: string | null): void {
  if (cast === null) return;
  const normal = cast.toLowerCase().replace(/\s+/g, " ");
  if (!/^[\p{L}\p{N}_ $]+$/u.test(cast) || !ctx.catalog.isTypeName(normal)) {
    throw pgrstError(400, "42704", `type "${cast}" does not exist`);
  }
}

/** The name a node's columns are qualified with in SQL errors (its alias, else its name). */
function qualifier(node: ReadPlan): string {
  return node.fromAlias ?? node.from.name;
}

/** Checks a name against the node's table: a column, a computed field, or `*`. */
function resolveField(node: ReadPlan, field: Field): ResolvedField {
  const column = node.table?.columns.get(field.name);
  if (column) {
    const json = column.type === "json" || column.type === "jsonb";
    return { name: field.name, json: field.json, toJson: field.json.length > 0 && !json, type: column.type };
  }
  const known = node.table?.computed.has(field.name) || node.table?.generic.has(field.name) ||
    node.knownColumns?.includes(field.name) ||
    (field.name === "*" && field.json.length === 0);
  if (!known) throw unknownColumn(qualifier(node), field.name);
  return { name: field.name, json: field.json, toJson: field.json.length > 0, type: "" };
}

function rawField(field: Field): ResolvedField {
  return { name: field.name, json: field.json, toJson: false, type: "" };
}

export function rawLogic(tree: LogicTree): ResolvedLogic {
  if (tree.kind === "expr") return { kind: "expr", not: tree.not, op: tree.op, children: tree.children.map(rawLogic) };
  return { kind: "filter", field: rawField(tree.filter.field), expr: tree.filter.expr };
}

/** A logic tree (or filter) of a mutation's root, checked against its table. */
export function resolveRootLogic(table: Table | undefined, qualifierName: string, tree: ResolvedLogic): ResolvedLogic {
  const node = {
    table,
    knownColumns: null,
    fromAlias: null,
    from: { schema: "", name: qualifierName },
  } as unknown as ReadPlan;
  const fix = (l: ResolvedLogic): ResolvedLogic =>
    l.kind === "expr"
      ? { ...l, children: l.children.map(fix) }
      : l.kind === "filter"
      ? { ...l, field: resolveField(node, l.field) }
      : l;
  return fix(tree);
}

export function resolveRootOrder(table: Table | undefined, qualifierName: string, term: OrderTerm): ResolvedOrder {
  if (term.kind === "relation") return term;
  const node = {
    table,
    knownColumns: null,
    fromAlias: null,
    from: { schema: "", name: qualifierName },
  } as unknown as ReadPlan;
  return { kind: "field", field: resolveField(node, term.field), dir: term.dir, nulls: term.nulls };
}

/** The node at an embed path (by name or alias), else PGRST108. */
function findNode(root: ReadPlan, path: EmbedPath): ReadPlan {
  let node = root;
  for (const name of path) {
    const next = node.children.find((c) => c.relName === name || c.relAlias === name);
    if (!next) {
      throw pgrstError(
        400,
        "PGRST108",
        `'${name}' is not an embedded resource in this request`,
        null,
        `Verify that '${name}' is included in the 'select' query parameter.`,
      );
    }
    node = next;
  }
  return node;
}

// ---------------------------------------------------------------- relationships

function addRels(ctx: PlanContext, node: ReadPlan, parent: ReadPlan | null): void {
  if (parent === null) {
    if (ctx.fromSource) {
      node.fromAlias = node.from.name;
      node.from = { schema: "", name: SOURCE };
    }
    revalidate(node);
  } else {
    const origin = node.depth === 1 ? (parent.fromAlias ?? parent.from.name) : parent.from.name;
    const originQi = node.depth === 1 && parent.from.name === SOURCE
      ? { schema: ctx.schema, name: parent.fromAlias! }
      : parent.from;
    const rel = findRel(ctx, originQi.schema, origin, node.relName, node.relHint);
    const newAlias = `${rel.foreignTable.name}_${node.depth}`;
    node.relAggAlias = `${rel.table.name}_${node.relAlias ?? node.relName}_${node.depth}`;
    node.relToParent = rel;
    node.from = rel.foreignTable;
    node.table = ctx.catalog.table(rel.foreignTable.schema, rel.foreignTable.name);
    if (rel.kind === "computed") {
      node.fromAlias = newAlias;
      node.relTableAlias = parent.fromAlias ?? rel.table.name;
    } else if (rel.cardinality.kind === "m2m") {
      node.relJoinConds = joinConditions(null, parent.fromAlias, rel);
    } else {
      node.fromAlias = newAlias;
      node.relJoinConds = joinConditions(newAlias, parent.fromAlias, rel);
    }
    // the names given for this node are checked now that its table is known
    revalidate(node);
  }
  for (const child of node.children) addRels(ctx, child, node);
}

/** Select items, filters and orders of an embedded node, checked once its table is known. */
function revalidate(node: ReadPlan): void {
  node.select = node.select.map((s) =>
    s.field.name === "*" && s.field.json.length === 0 ? s : { ...s, field: resolveField(node, s.field) }
  );
  // a filter named after an embedded resource (`films=is.null`) tests the embed, not a column
  const embedded = (name: string) => node.children.some((c) => (c.relAlias ?? c.relName) === name);
  const fix = (l: ResolvedLogic): ResolvedLogic =>
    l.kind === "expr"
      ? { ...l, children: l.children.map(fix) }
      : l.kind === "filter" && !(l.field.json.length === 0 && embedded(l.field.name))
      ? { ...l, field: resolveField(node, l.field) }
      : l;
  node.where = node.where.map(fix);
  node.order = node.order.map((o) => (o.kind === "field" ? { ...o, field: resolveField(node, o.field) } : o));
}

function joinConditions(tableAlias: string | null, parentAlias: string | null, rel: Relationship): JoinCondition[] {
  if (rel.kind === "computed") return [];
  const tSchema = rel.table.schema;
  const tN = rel.table.name;
  const ftN = rel.foreignTable.name;
  const cond = (prAl: string | null, newAl: string | null, tb: string, ftb: string, [c, fc]: [string, string]) => ({
    left: [newAl ? { schema: "", name: newAl } : { schema: tSchema, name: ftb }, fc] as [Qi, string],
    right: [prAl ? { schema: "", name: prAl } : { schema: tSchema, name: tb }, c] as [Qi, string],
  });
  const card = rel.cardinality;
  if (card.kind === "m2m") {
    const jtn = card.junction.name;
    return [
      ...card.targetColumns.map((cols) => cond(null, null, ftN, jtn, cols)),
      ...card.sourceColumns.map((cols) => cond(parentAlias, tableAlias, tN, jtn, cols)),
    ];
  }
  return card.columns.map((cols) => cond(parentAlias, tableAlias, tN, ftN, cols));
}

/** PostgREST's findRel (Plan.hs): by target table, constraint, column, junction, or function name. */
function findRel(ctx: PlanContext, schema: string, origin: string, target: string, hint: string | null): Relationship {
  const all = ctx.catalog.relationships(schema, origin);
  const single = (cols: [string, string][], i: 0 | 1, name: string) => cols.length === 1 && cols[0][i] === name;
  const rels = all.filter((r) => {
    if (r.kind === "computed") return target === r.function.name;
    const card = r.cardinality;
    const cols = card.kind === "m2m" ? null : card.columns;
    const constraint = card.kind === "m2m" ? null : card.constraint;
    const isM2O = card.kind === "m2o";
    const isO2M = card.kind === "o2m";
    if (r.isSelf) {
      if (hint === null) {
        return (target === r.foreignTable.name && isO2M) || (cols !== null && single(cols, 0, target) && isM2O);
      }
      return target === r.foreignTable.name && isO2M && cols !== null && single(cols, 1, hint);
    }
    if (hint === null) {
      return target === r.foreignTable.name ||
        (constraint === target && !r.foreignTableIsView) ||
        (cols !== null && single(cols, 0, target) && !r.foreignTableIsView);
    }
    return target === r.foreignTable.name && (
      constraint === hint ||
      (cols !== null && (single(cols, 0, hint) || single(cols, 1, hint))) ||
      (card.kind === "m2m" && card.junction.name === hint)
    );
  });
  if (rels.length === 1) return rels[0];
  if (rels.length === 0) {
    throw pgrstError(
      400,
      "PGRST200",
      `Could not find a relationship between '${origin}' and '${target}' in the schema cache`,
      `Searched for a foreign key relationship between '${origin}' and '${target}${
        hint === null ? "" : `' using the hint '${hint}`
      }' in the schema '${schema}', but no matches were found.`,
      noRelHint(ctx, schema, origin, target),
    );
  }
  throw pgrstError(
    300,
    "PGRST201",
    `Could not embed because more than one relationship was found for '${origin}' and '${target}'`,
    rels.map(compressedRel) as unknown as string,
    `Try changing '${target}' to one of the following: ${
      rels.map(relHintName).join(", ")
    }. Find the desired relationship in the 'details' key.`,
  );
}

function noRelHint(ctx: PlanContext, schema: string, parent: string, child: string): string | null {
  const parentRels = ctx.catalog.relationships(schema, parent);
  const tables = ctx.catalog.tableNames(schema).filter((t) => ctx.catalog.relationships(schema, t).length > 0);
  if (tables.includes(parent)) {
    const children = new FuzzySet(parentRels.map((r) => r.foreignTable.name));
    const match = children.get(child).find(([score]) => score < 1);
    return match ? `Perhaps you meant '${match[1]}' instead of '${child}'.` : null;
  }
  const suggestion = new FuzzySet(tables).getOne(parent);
  return suggestion ? `Perhaps you meant '${suggestion}' instead of '${parent}'.` : null;
}

function compressedRel(rel: Relationship): Record<string, string> {
  if (rel.kind === "computed") return {};
  const fmt = (cols: string[]) => `(${cols.join(", ")})`;
  const card = rel.cardinality;
  const embedding = `${rel.table.name} with ${rel.foreignTable.name}`;
  if (card.kind === "m2m") {
    return {
      cardinality: "many-to-many",
      embedding,
      relationship: `${card.junction.name} using ${card.constraint1}${
        fmt(card.sourceColumns.map((c) => c[1]))
      } and ${card.constraint2}${fmt(card.targetColumns.map((c) => c[1]))}`,
    };
  }
  const names = { m2o: "many-to-one", o2m: "one-to-many", o2o: "one-to-one" } as const;
  return {
    cardinality: names[card.kind],
    embedding,
    relationship: `${card.constraint} using ${rel.table.name}${
      fmt(card.columns.map((c) => c[0]))
    } and ${rel.foreignTable.name}${fmt(card.columns.map((c) => c[1]))}`,
  };
}

function relHintName(rel: Relationship): string {
  if (rel.kind === "computed") return "";
  const card = rel.cardinality;
  return `'${rel.foreignTable.name}!${card.kind === "m2m" ? card.junction.name : card.constraint}'`;
}

// ---------------------------------------------------------------- the other stages

/** `*` becomes the table's columns where an aggregate needs them listed (PostgREST's expandStars). */
function expandStars(ctx: PlanContext, node: ReadPlan, parentHasAgg: boolean): void {
  const hasAgg = parentHasAgg || node.select.some((s) => s.agg !== null);
  if (hasAgg && node.select.some((s) => s.field.name === "*" && s.field.json.length === 0 && s.agg === null)) {
    const table = node.from.name === SOURCE && node.fromAlias
      ? ctx.catalog.table(ctx.schema, node.fromAlias)
      : node.table;
    const columns = table ? [...table.columns.values()] : [];
    node.select = node.select.flatMap((s) =>
      s.field.name === "*" && s.field.json.length === 0 && s.agg === null
        ? columns.map((c) => ({ ...s, field: { name: c.name, json: [], toJson: false, type: c.type } }))
        : [s]
    );
  }
  for (const child of node.children) expandStars(ctx, child, hasAgg);
  // aliases for JSON paths (PostgREST's addAliases)
  node.select = node.select.map((s) => {
    if (s.alias !== null || s.agg !== null || s.field.json.length === 0) return s;
    const last = s.field.json[s.field.json.length - 1];
    if (!last.index) return { ...s, alias: last.value };
    const key = [...s.field.json].reverse().find((j) => !j.index);
    return { ...s, alias: key ? key.value : s.field.name };
  });
}

function addRelatedOrders(node: ReadPlan): void {
  node.order = node.order.map((o) => {
    if (o.kind !== "relation") return o;
    const child = node.children.find((c) => (c.relAlias ?? c.relName) === o.relation);
    if (!child) {
      throw pgrstError(
        400,
        "PGRST108",
        `'${o.relation}' is not an embedded resource in this request`,
        null,
        `Verify that '${o.relation}' is included in the 'select' query parameter.`,
      );
    }
    if (!child.relToParent || !relIsToOne(child.relToParent)) {
      throw pgrstError(
        400,
        "PGRST118",
        `A related order on '${child.relAlias ?? child.relName}' is not possible`,
        `'${node.from.name === SOURCE ? node.fromAlias : node.from.name}' and '${
          child.relAlias ?? child.relName
        }' do not form a many-to-one or one-to-one relationship`,
      );
    }
    return { ...o, relation: child.relAggAlias };
  });
  node.children.forEach(addRelatedOrders);
}

function validateSpreads(node: ReadPlan): void {
  for (const child of node.children) {
    if (child.relIsSpread && child.relToParent && !relIsToOne(child.relToParent)) {
      throw pgrstError(
        400,
        "PGRST119",
        `A spread operation on '${child.relName}' is not possible`,
        `'${child.relToParent.table.name}' and '${child.relName}' do not form a many-to-one or one-to-one relationship`,
      );
    }
    validateSpreads(child);
  }
}

function addNullEmbedFilters(node: ReadPlan): void {
  const fix = (l: ResolvedLogic): ResolvedLogic => {
    if (l.kind === "expr") return { ...l, children: l.children.map(fix) };
    if (l.kind !== "filter" || l.field.json.length > 0) return l;
    const child = node.children.find((c) => (c.relAlias ?? c.relName) === l.field.name);
    if (child && l.expr.operation.kind === "is" && l.expr.operation.value === "null") {
      return { kind: "nullEmbed", not: l.expr.not, aggAlias: child.relAggAlias };
    }
    return l;
  };
  node.where = node.where.map(fix);
  node.children.forEach(addNullEmbedFilters);
}

function addRelSelects(node: ReadPlan): void {
  for (const child of node.children) addRelSelects(child);
  node.relSelect = node.children.map((child): RelSelect => {
    if (child.relIsSpread) {
      return {
        kind: "spread",
        aggAlias: child.relAggAlias,
        fields: [
          ...child.select.map((s) => ({ name: s.alias ?? s.field.name, agg: null, aggCast: null, alias: null })),
          ...child.relSelect.flatMap((r) =>
            r.kind === "embed" ? [{ name: r.name, agg: null, aggCast: null, alias: null }] : r.fields
          ),
        ],
      };
    }
    const emptyEmbed = (n: ReadPlan): boolean => n.select.length === 0 && n.children.every(emptyEmbed);
    return {
      kind: "embed",
      name: child.relAlias ?? child.relName,
      aggAlias: child.relAggAlias,
      toOne: relIsToOne(child.relToParent!),
      empty: emptyEmbed(child),
    };
  });
}

/** Aggregates inside a spread are applied one level up (PostgREST's hoistSpreadAggFunctions). */
function hoistSpreadAggregates(node: ReadPlan): [string, string, SpreadField][] {
  const childAggs = node.children.flatMap(hoistSpreadAggregates);
  if (node.children.length) {
    node.relSelect = node.relSelect.map((r) => {
      if (r.kind !== "spread") return r;
      return {
        ...r,
        fields: r.fields.map((f) => {
          const hit = childAggs.find(([alias, name]) => alias === r.aggAlias && name === f.name);
          return hit ? { ...f, agg: hit[2].agg, aggCast: hit[2].aggCast, alias: hit[2].alias } : f;
        }),
      };
    });
  }
  if (node.depth === 0 || (node.relToParent && !node.relIsSpread)) return [];
  const hoisted: [string, string, SpreadField][] = [];
  node.select = node.select.map((s) => {
    if (s.agg === null) return s;
    hoisted.push([node.relAggAlias, s.alias ?? s.field.name, {
      name: s.field.name,
      agg: s.agg,
      aggCast: s.aggCast,
      alias: s.alias,
    }]);
    return { ...s, agg: null, aggCast: null };
  });
  return hoisted;
}

function validateNoAggregates(node: ReadPlan): void {
  const spreadAgg = node.relSelect.some((r) => r.kind === "spread" && r.fields.some((f) => f.agg !== null));
  if (node.select.some((s) => s.agg !== null) || spreadAgg) {
    throw pgrstError(400, "PGRST123", "Use of aggregate functions is not allowed");
  }
  node.children.forEach(validateNoAggregates);
}

/** [api] max_rows on every level of a read (PostgREST's treeRestrictRange). */
function restrictRanges(node: ReadPlan, maxRows: number | null): void {
  if (maxRows !== null && node.range.limit !== 0) {
    const limit = node.range.limit === null ? maxRows : Math.min(node.range.limit, maxRows);
    node.range = { offset: node.range.offset, limit };
  }
  for (const child of node.children) restrictRanges(child, maxRows);
}

/** Columns the RETURNING of a mutation (or a call's select) needs for the read plan to work. */
export function returningColumns(plan: ReadPlan, pk: string[]): string[] {
  const names = plan.select.map((s) => s.field.name);
  if (names.includes("*")) return ["*"];
  if (plan.children.some((c) => c.relToParent?.kind === "computed")) return ["*"];
  const fkCols = plan.children.flatMap((c) => {
    const rel = c.relToParent;
    if (!rel || rel.kind === "computed") return [];
    const card = rel.cardinality;
    return card.kind === "m2m" ? card.sourceColumns.map(([s]) => s) : card.columns.map(([s]) => s);
  });
  return [...new Set([...names, ...fkCols, ...pk])].sort();
}

export function isDefaultSelect(plan: ReadPlan): boolean {
  return plan.children.length === 0 && plan.select.length === 1 && plan.select[0].field.name === "*" &&
    plan.select[0].agg === null;
}
