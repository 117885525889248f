/**
 * PostgREST's query-string grammar (PostgREST 12, src/PostgREST/ApiRequest/QueryParams.hs):
 * `select`, filters, `and`/`or` logic trees, `order`, `limit`/`offset` (on the root or on an
 * embedded resource: `messages.order=…`), `columns` and `on_conflict`.
 *
 * A hand-written parser, function by function after QueryParams.hs. No package does this job: the
 * npm registry has PostgREST's clients (postgrest-js, which builds these strings) but nothing that
 * parses them on the server side, and a parser generator (peggy, chevrotain, parsimmon) would still
 * need this whole grammar restated, plus Parsec's backtracking (`try`, `lookAhead`) reproduced to
 * accept exactly the strings PostgREST accepts. The grammar is small; errors are PostgREST's
 * PGRST100 with Parsec's position (`"failed to parse select parameter (…)" (line 1, column N)`)
 * and an `unexpected … expecting …` detail.
 *
 * Nothing here touches SQL: names are plain strings, validated later against the schema cache.
 */
import { ApiError, pgrstError } from "./errors.ts";

export interface JsonOp {
  arrow: "->" | "->>";
  /** A key, or an index written as `+1` / `-1` (PostgREST's JIdx). */
  value: string;
  index: boolean;
}

export interface Field {
  name: string;
  json: JsonOp[];
}

export type AggregateFunction = "sum" | "avg" | "max" | "min" | "count";
export type JoinType = "inner" | "left";

export type SelectItem =
  | {
    kind: "field";
    field: Field;
    agg: AggregateFunction | null;
    aggCast: string | null;
    cast: string | null;
    alias: string | null;
  }
  | {
    kind: "relation";
    name: string;
    alias: string | null;
    hint: string | null;
    join: JoinType | null;
    children: SelectItem[];
  }
  | { kind: "spread"; name: string; hint: string | null; join: JoinType | null; children: SelectItem[] };

export type SimpleOperator = "neq" | "cs" | "cd" | "ov" | "sl" | "sr" | "nxr" | "nxl" | "adj";
export type QuantOperator = "eq" | "gte" | "gt" | "lte" | "lt" | "like" | "ilike" | "match" | "imatch";
export type FtsOperator = "fts" | "plfts" | "phfts" | "wfts";

export type Operation =
  | { kind: "simple"; op: SimpleOperator; value: string }
  | { kind: "quant"; op: QuantOperator; quant: "any" | "all" | null; value: string }
  | { kind: "in"; values: string[] }
  | { kind: "is"; value: "null" | "unknown" | "true" | "false" }
  | { kind: "isdistinct"; value: string }
  | { kind: "fts"; op: FtsOperator; lang: string | null; value: string };

export interface OpExpr {
  not: boolean;
  operation: Operation;
}

export interface Filter {
  field: Field;
  expr: OpExpr;
}

export type LogicTree =
  | { kind: "expr"; not: boolean; op: "and" | "or"; children: LogicTree[] }
  | { kind: "stmt"; filter: Filter };

export type OrderTerm =
  | { kind: "field"; field: Field; dir: "asc" | "desc" | null; nulls: "first" | "last" | null }
  | { kind: "relation"; relation: string; field: Field; dir: "asc" | "desc" | null; nulls: "first" | "last" | null };

/** Rows asked for: `offset` and `limit` (null: all). limit 0 is a valid, empty range. */
export interface Range {
  offset: number;
  limit: number | null;
}

export const ALL_ROWS: Range = { offset: 0, limit: null };

/** Where in the embedding tree a parameter applies: [] is the root, ["messages"] an embedded resource. */
export type EmbedPath = string[];

export interface QueryParams {
  /** Sorted `key=value` pairs (PostgREST's Content-Location for reads). */
  canonical: string;
  select: SelectItem[];
  filters: [EmbedPath, Filter][];
  logic: [EmbedPath, LogicTree][];
  order: [EmbedPath, OrderTerm[]][];
  /** Keyed by the embed path joined with "." ("" for the root). */
  ranges: Map<string, Range>;
  columns: string[] | null;
  onConflict: string[] | null;
  /** On a GET/HEAD call of a function: the parameters that are not filters (`name=value`). */
  params: [string, string][];
  /** Names of every parameter that is a filter or an argument (PostgREST's qsFilterFields). */
  filterFields: Set<string>;
}

/** Parameters PostgREST never takes as filters; `apikey` is Supabase's API gateway's. */
const RESERVED = new Set(["select", "columns", "on_conflict", "apikey"]);
const RESERVED_EMBEDDABLE = new Set(["order", "limit", "offset", "and", "or"]);

const lastWord = (key: string) => key.slice(key.lastIndexOf(".") + 1);

/**
 * Parses a query string as PostgREST does. `isRpcRead`: a GET/HEAD call of a function, where a
 * parameter without an operator is an argument rather than an error.
 */
export function parseQueryParams(search: URLSearchParams, isRpcRead: boolean): QueryParams {
  const pairs = [...search].filter(([k]) => k !== "apikey");
  const canonical = [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  const lookup = (name: string) => {
    const hit = pairs.find(([k]) => k === name);
    return hit ? hit[1] : null;
  };

  const selectText = lookup("select") ?? "*";
  const select = run(`failed to parse select parameter (${selectText})`, selectText, (p) => p.fieldForest(true));

  const order: [EmbedPath, OrderTerm[]][] = [];
  const logic: [EmbedPath, LogicTree][] = [];
  const filters: [EmbedPath, Filter][] = [];
  const params: [string, string][] = [];
  const ranges = new Map<string, Range>();
  const limits: [string, string][] = [];
  const offsets: [string, string][] = [];
  const filterFields = new Set<string>();

  for (const [key, value] of pairs) {
    const word = lastWord(key);
    if (word === "order") {
      const path = treePath(key).path;
      order.push([path, run(`failed to parse order (${value})`, value, (p) => p.order())]);
    } else if (word === "and" || word === "or") {
      const { path, op } = logicPath(key);
      logic.push([path, run(`failed to parse logic tree (${value})`, op + value, (p) => p.logicTreeTop())]);
    } else if (word === "limit") limits.push([key, value]);
    else if (word === "offset") offsets.push([key.slice(0, -"offset".length) + "limit", value]);
    else if (!RESERVED.has(key) && !RESERVED_EMBEDDABLE.has(word)) {
      filterFields.add(key);
      const { path, field } = treePath(key);
      const expr = run(`failed to parse filter (${value})`, value, (p) => p.tryOpExpr(isRpcRead));
      if (expr === null) params.push([field.name, value]);
      else filters.push([path, { field, expr }]);
    }
  }

  // limit and offset, per embed path (PostgREST's qsRanges: a bad number is ignored there; here the
  // gateway's existing behaviour is kept, a 400)
  const number = (name: string, text: string) => {
    if (!/^\d{1,15}$/.test(text)) throw pgrstError(400, "PGRST100", `"failed to parse ${name} parameter (${text})"`);
    return Number(text);
  };
  const keyOf = (k: string) => {
    const path = treePath(k).path;
    return path.join(".");
  };
  for (const [k, v] of limits) ranges.set(keyOf(k), { offset: 0, limit: number("limit", v) });
  for (const [k, v] of offsets) {
    const key = keyOf(k);
    const prev = ranges.get(key);
    ranges.set(key, { offset: number("offset", v), limit: prev?.limit ?? null });
  }

  const columnsText = lookup("columns");
  const columns = columnsText === null
    ? null
    : run(`failed to parse columns parameter (${columnsText})`, columnsText, (p) => p.columns());
  const conflictText = lookup("on_conflict");
  const onConflict = conflictText === null
    ? null
    : run(`failed to parse on_conflict parameter (${conflictText})`, conflictText, (p) => p.columns());

  return { canonical, select, filters, logic, order, ranges, columns, onConflict, params, filterFields };
}

function treePath(key: string): { path: EmbedPath; field: Field } {
  return run(`failed to parse tree path (${key})`, key, (p) => p.treePath());
}

/** `a.b.not.or` → path [a, b], operator `not.or`. */
function logicPath(key: string): { path: EmbedPath; op: string } {
  const names = run(`failed to parse logic path (${key})`, key, (p) => p.sepBy1(() => p.fieldName(), "."));
  const op = names[names.length - 1];
  const negated = names.includes("not");
  return { path: names.slice(0, -1).filter((n) => n !== "not"), op: negated ? `not.${op}` : op };
}

/** Runs a parser over the whole text; a failure is PostgREST's PGRST100. */
function run<T>(source: string, text: string, parse: (p: Parser) => T): T {
  const p = new Parser(text);
  try {
    const result = parse(p);
    p.end();
    return result;
  } catch (e) {
    if (e instanceof ParseError) {
      throw pgrstError(400, "PGRST100", `"${source}" (line 1, column ${e.column})`, e.detail);
    }
    throw e;
  }
}

class ParseError extends Error {
  constructor(readonly column: number, readonly detail: string) {
    super(detail);
  }
}

const IDENT_CHAR = /[\p{L}\p{N}_ $]/u;

/**
 * A recursive-descent parser with Parsec's semantics: each method consumes input or throws; `attempt`
 * backtracks (Parsec's `try`); the error reports the furthest position reached.
 */
class Parser {
  pos = 0;
  private expected = new Set<string>();
  private errorPos = 0;

  constructor(readonly text: string) {}

  // ------------------------------------------------------------------ primitives

  private peek(n = 0): string {
    return this.text[this.pos + n] ?? "";
  }

  private startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  fail(expected: string[] = []): never {
    if (this.pos > this.errorPos) {
      this.errorPos = this.pos;
      this.expected = new Set();
    }
    if (this.pos === this.errorPos) { for (const e of expected) this.expected.add(e); }
    const at = this.text[this.errorPos];
    const unexpected = at === undefined ? "end of input" : `'${at}'`;
    const list = [...this.expected];
    const expecting = list.length === 0
      ? ""
      : ` expecting ${list.length === 1 ? list[0] : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`}`;
    throw new ParseError(this.errorPos + 1, `unexpected ${unexpected}${expecting}`);
  }

  /** Parsec's `try`: on failure, nothing is consumed. */
  attempt<T>(fn: () => T): T | undefined {
    const start = this.pos;
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.pos = start;
      return undefined;
    }
  }

  /** `attempt` for parsers that return nothing: whether it matched. */
  ok(fn: () => void): boolean {
    return this.attempt(() => {
      fn();
      return true;
    }) === true;
  }

  string(s: string): void {
    if (!this.startsWith(s)) this.fail([`"${s}"`]);
    this.pos += s.length;
  }

  char(c: string): void {
    if (this.peek() !== c) this.fail([`"${c}"`]);
    this.pos++;
  }

  end(): void {
    if (this.pos < this.text.length) this.fail(["end of input"]);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  sepBy1<T>(item: () => T, sep: string): T[] {
    const out = [item()];
    while (this.peek() === sep) {
      this.pos++;
      out.push(item());
    }
    return out;
  }

  /** Spaces and tabs around a lexeme. */
  private ws(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  // ------------------------------------------------------------------ names and values

  /** A double-quoted value with backslash escapes. */
  quotedValue(): string {
    this.char('"');
    let out = "";
    while (true) {
      const c = this.peek();
      if (c === "") this.fail(['"\\""']);
      if (c === '"') break;
      if (c === "\\") {
        this.pos++;
        if (this.peek() === "") this.fail();
        out += this.peek();
      } else out += c;
      this.pos++;
    }
    this.pos++;
    return out;
  }

  /** PostgREST's pIdentifier: letters, digits, `_`, space and `$`, trimmed. */
  identifier(): string {
    const start = this.pos;
    while (IDENT_CHAR.test(this.peek())) this.pos++;
    if (this.pos === start) this.fail(["field name (* or [a..z0..9_$])"]);
    return this.text.slice(start, this.pos).trim();
  }

  /** Identifiers joined by dashes that do not start an arrow. */
  private sepByDash(part: () => string): string {
    const parts = [part()];
    while (this.peek() === "-" && this.peek(1) !== ">") {
      this.pos++;
      parts.push(part());
    }
    return parts.join("-");
  }

  fieldName(): string {
    if (this.peek() === '"') return this.quotedValue();
    return this.sepByDash(() => this.identifier());
  }

  private jsonKeyIdentifier(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !"(-:.,>)".includes(this.peek())) this.pos++;
    if (this.pos === start) this.fail(["any non reserved character different from: .,>()"]);
    return this.text.slice(start, this.pos).trim();
  }

  private jsonKeyName(): string {
    if (this.peek() === '"') return this.quotedValue();
    return this.sepByDash(() => this.jsonKeyIdentifier());
  }

  jsonPath(): JsonOp[] {
    const ops: JsonOp[] = [];
    while (this.startsWith("->")) {
      const arrow = this.startsWith("->>") ? "->>" : "->";
      this.pos += arrow.length;
      const index = this.attempt(() => {
        const sign = this.peek() === "-" ? "-" : "+";
        if (sign === "-") this.pos++;
        const start = this.pos;
        while (/[0-9]/.test(this.peek())) this.pos++;
        if (this.pos === start) this.fail(["digit"]);
        const digits = this.text.slice(start, this.pos);
        // an index ends at ->, ::, ., , or the end
        if (
          !(this.atEnd() || this.startsWith("->") || this.startsWith("::") || this.peek() === "." ||
            this.peek() === ",")
        ) {
          this.fail(["digit", '"->"', '"::"', '"."', '","', "end of input"]);
        }
        return sign + digits;
      });
      if (index !== undefined) ops.push({ arrow, value: index, index: true });
      else ops.push({ arrow, value: this.jsonKeyName(), index: false });
    }
    return ops;
  }

  field(): Field {
    this.ws();
    const name = this.fieldName();
    const json = this.jsonPath();
    this.ws();
    return { name, json };
  }

  treePath(): { path: EmbedPath; field: Field } {
    const names = this.sepBy1(() => this.fieldName(), ".");
    const json = this.jsonPath();
    return { path: names.slice(0, -1), field: { name: names[names.length - 1], json } };
  }

  columns(): string[] {
    const out: string[] = [];
    while (true) {
      out.push(this.fieldName());
      this.ws();
      if (this.peek() !== ",") break;
      this.pos++;
      this.ws();
    }
    return out;
  }

  // ------------------------------------------------------------------ select

  /** `pFieldForest`: items separated by commas; `top`: the whole select (empty allowed). */
  fieldForest(_top = false): SelectItem[] {
    const items: SelectItem[] = [];
    if (this.atEnd() || this.peek() === ")") return items;
    while (true) {
      items.push(this.fieldTree());
      this.ws();
      if (this.peek() !== ",") break;
      this.pos++;
      this.ws();
    }
    return items;
  }

  private fieldTree(): SelectItem {
    const spread = this.attempt(() => this.spreadRelation());
    if (spread) return spread;
    const relation = this.attempt(() => this.relationSelect());
    if (relation) return relation;
    return this.fieldSelect();
  }

  private children(): SelectItem[] {
    this.char("(");
    const items = this.fieldForest();
    this.char(")");
    return items;
  }

  private embedParams(): { hint: string | null; join: JoinType | null } {
    let hint: string | null = null;
    let join: JoinType | null = null;
    // as in PostgREST, `!left` and `!inner` are join types wherever they start the parameter
    for (let i = 0; i < 2 && this.peek() === "!"; i++) {
      this.pos++;
      if (this.startsWith("left")) [join, this.pos] = ["left", this.pos + 4];
      else if (this.startsWith("inner")) [join, this.pos] = ["inner", this.pos + 5];
      else hint = this.fieldName();
    }
    return { hint, join };
  }

  private spreadRelation(): SelectItem {
    this.ws();
    this.string("...");
    const name = this.fieldName();
    const { hint, join } = this.embedParams();
    if (this.peek() !== "(") this.fail(['"("']);
    const children = this.children();
    this.ws();
    return { kind: "spread", name, hint, join, children };
  }

  private relationSelect(): SelectItem {
    this.ws();
    const alias = this.attempt(() => {
      const a = this.fieldName();
      this.aliasSeparator();
      return a;
    }) ?? null;
    const name = this.fieldName();
    if (name === "count") this.fail();
    const { hint, join } = this.embedParams();
    if (this.peek() !== "(") this.fail(['"("']);
    const children = this.children();
    this.ws();
    return { kind: "relation", name, alias, hint, join, children };
  }

  private aliasSeparator(): void {
    this.char(":");
    if (this.peek() === ":") this.fail();
  }

  private selectEnd(): void {
    if (!(this.atEnd() || this.peek() === ")" || this.peek() === ",")) this.fail(['")"', '","', "end of input"]);
  }

  private castName(): string {
    const start = this.pos;
    while (IDENT_CHAR.test(this.peek())) this.pos++;
    if (this.pos === start) this.fail(["letter or digit"]);
    return this.text.slice(start, this.pos).trim();
  }

  private fieldSelect(): SelectItem {
    this.ws();
    const star = this.ok(() => {
      this.char("*");
      this.ws();
      this.selectEnd();
    });
    if (star) {
      return { kind: "field", field: { name: "*", json: [] }, agg: null, aggCast: null, cast: null, alias: null };
    }
    const count = this.attempt(() => {
      const alias = this.attempt(() => {
        const a = this.fieldName();
        this.aliasSeparator();
        return a;
      }) ?? null;
      this.string("count()");
      const aggCast = this.peek() === ":" && this.peek(1) === ":" ? (this.pos += 2, this.castName()) : null;
      this.ws();
      this.selectEnd();
      return { alias, aggCast };
    });
    if (count) {
      return {
        kind: "field",
        field: { name: "*", json: [] },
        agg: "count",
        aggCast: count.aggCast,
        cast: null,
        alias: count.alias,
      };
    }
    const alias = this.attempt(() => {
      const a = this.fieldName();
      this.aliasSeparator();
      return a;
    }) ?? null;
    const field = this.field();
    let cast: string | null = null;
    if (this.startsWith("::")) {
      this.pos += 2;
      cast = this.castName();
    }
    let agg: AggregateFunction | null = null;
    const aggregate = this.attempt(() => {
      this.char(".");
      for (const name of ["sum", "avg", "count", "max", "min"] as const) {
        if (this.startsWith(`${name}()`)) {
          this.pos += name.length + 2;
          return name;
        }
      }
      this.fail(['"sum"', '"avg"', '"count"', '"max"', '"min"']);
    });
    if (aggregate) agg = aggregate;
    let aggCast: string | null = null;
    if (this.startsWith("::")) {
      this.pos += 2;
      aggCast = this.castName();
    }
    this.ws();
    this.selectEnd();
    return { kind: "field", field, agg, aggCast, cast, alias };
  }

  // ------------------------------------------------------------------ filters

  /** An operator expression, or (on a GET call of a function) null for a plain argument. */
  tryOpExpr(allowNone: boolean): OpExpr | null {
    if (!allowNone) return this.opExpr(() => this.singleVal());
    const expr = this.attempt(() => {
      const e = this.opExpr(() => this.singleVal());
      this.end();
      return e;
    });
    if (expr) return expr;
    this.pos = this.text.length;
    return null;
  }

  private singleVal(): string {
    const v = this.text.slice(this.pos);
    this.pos = this.text.length;
    return v;
  }

  opExpr(value: () => string): OpExpr {
    const not = this.ok(() => {
      this.string("not");
      this.char(".");
    });
    return { not, operation: this.operation(value) };
  }

  private operation(value: () => string): Operation {
    const keyword = (word: string) =>
      this.ok(() => {
        this.string(word);
        this.char(".");
      });
    if (keyword("in")) return { kind: "in", values: this.listVal() };
    if (keyword("is")) {
      for (const v of ["null", "unknown", "true", "false"] as const) {
        if (this.text.slice(this.pos, this.pos + v.length).toLowerCase() === v) {
          this.pos += v.length;
          return { kind: "is", value: v };
        }
      }
      this.fail(["null or trilean value (unknown, true, false)"]);
    }
    if (keyword("isdistinct")) return { kind: "isdistinct", value: value() };
    const fts = this.attempt(() => {
      let op: FtsOperator | null = null;
      for (const o of ["fts", "plfts", "phfts", "wfts"] as const) {
        if (this.startsWith(o)) {
          op = o;
          this.pos += o.length;
          break;
        }
      }
      if (!op) this.fail();
      let lang: string | null = null;
      if (this.peek() === "(") {
        const l = this.attempt(() => {
          this.char("(");
          const name = this.castName();
          this.char(")");
          return name;
        });
        if (l !== undefined) lang = l;
      }
      this.char(".");
      return { kind: "fts" as const, op: op as FtsOperator, lang, value: value() };
    });
    if (fts) return fts;
    const simple = this.attempt(() => {
      for (const o of ["neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"] as const) {
        if (this.startsWith(o)) {
          this.pos += o.length;
          this.char(".");
          return { kind: "simple" as const, op: o, value: value() };
        }
      }
      this.fail();
    });
    if (simple) return simple;
    const quant = this.attempt(() => {
      for (const o of ["eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch"] as const) {
        if (this.startsWith(o)) {
          this.pos += o.length;
          let q: "any" | "all" | null = null;
          if (this.startsWith("(any)")) [q, this.pos] = ["any", this.pos + 5];
          else if (this.startsWith("(all)")) [q, this.pos] = ["all", this.pos + 5];
          this.char(".");
          return { kind: "quant" as const, op: o, quant: q, value: value() };
        }
      }
      this.fail();
    });
    if (quant) return quant;
    this.fail(['"not"', "operator (eq, gt, ...)"]);
  }

  private listVal(): string[] {
    this.ws();
    this.char("(");
    this.ws();
    const values = this.sepBy1(() => this.listElement(), ",");
    this.ws();
    this.char(")");
    this.ws();
    return values;
  }

  private listElement(): string {
    const quoted = this.attempt(() => {
      const v = this.quotedValue();
      if (!(this.peek() === "," || this.peek() === ")")) this.fail();
      return v;
    });
    if (quoted !== undefined) return quoted;
    const start = this.pos;
    while (this.pos < this.text.length && this.peek() !== "," && this.peek() !== ")") this.pos++;
    return this.text.slice(start, this.pos);
  }

  // ------------------------------------------------------------------ logic trees

  /** `or(…)` / `not.and(…)` (the operator was prepended to the value). */
  logicTreeTop(): LogicTree {
    return this.logicTree();
  }

  private logicTree(): LogicTree {
    const stmt = this.attempt(() => {
      const field = this.field();
      this.char(".");
      return { kind: "stmt" as const, filter: { field, expr: this.opExpr(() => this.logicSingleVal()) } };
    });
    if (stmt) return stmt;
    const not = this.ok(() => {
      this.string("not");
      this.char(".");
    });
    let op: "and" | "or";
    if (this.startsWith("and")) [op, this.pos] = ["and", this.pos + 3];
    else if (this.startsWith("or")) [op, this.pos] = ["or", this.pos + 2];
    else this.fail(["logic operator (and, or)"]);
    this.ws();
    this.char("(");
    this.ws();
    const children = [this.logicTree()];
    this.ws();
    while (this.peek() === ",") {
      this.pos++;
      this.ws();
      children.push(this.logicTree());
      this.ws();
    }
    this.char(")");
    this.ws();
    return { kind: "expr", not, op, children };
  }

  private logicSingleVal(): string {
    const quoted = this.attempt(() => {
      const v = this.quotedValue();
      if (!(this.peek() === "," || this.peek() === ")")) this.fail();
      return v;
    });
    if (quoted !== undefined) return quoted;
    if (this.peek() === "{") {
      const array = this.attempt(() => {
        const start = this.pos;
        this.pos++;
        while (this.pos < this.text.length && this.peek() !== "{" && this.peek() !== "}") this.pos++;
        this.char("}");
        return this.text.slice(start, this.pos);
      });
      if (array !== undefined) return array;
    }
    const start = this.pos;
    while (this.pos < this.text.length && this.peek() !== "," && this.peek() !== ")") this.pos++;
    return this.text.slice(start, this.pos);
  }

  // ------------------------------------------------------------------ order

  order(): OrderTerm[] {
    const terms: OrderTerm[] = [];
    while (true) {
      this.ws();
      const relation = this.attempt(() => {
        const relation = this.fieldName();
        this.char("(");
        const field = this.field();
        this.char(")");
        return { relation, field };
      });
      const field = relation ? relation.field : this.field();
      let dir: "asc" | "desc" | null = null;
      let nulls: "first" | "last" | null = null;
      if (this.startsWith(".asc") && this.orderWordEnds(4)) [dir, this.pos] = ["asc", this.pos + 4];
      else if (this.startsWith(".desc") && this.orderWordEnds(5)) [dir, this.pos] = ["desc", this.pos + 5];
      if (this.startsWith(".nullsfirst")) [nulls, this.pos] = ["first", this.pos + 11];
      else if (this.startsWith(".nullslast")) [nulls, this.pos] = ["last", this.pos + 10];
      else if (this.peek() === ".") {
        this.pos++;
        this.fail(dir ? ['"nullsfirst"', '"nullslast"'] : ['"asc"', '"desc"', '"nullsfirst"', '"nullslast"']);
      }
      this.ws();
      if (!(this.atEnd() || this.peek() === ",")) this.fail(['","', "end of input"]);
      terms.push(
        relation
          ? { kind: "relation", relation: relation.relation, field, dir, nulls }
          : { kind: "field", field, dir, nulls },
      );
      if (this.peek() !== ",") break;
      this.pos++;
    }
    return terms;
  }

  private orderWordEnds(length: number): boolean {
    const next = this.text[this.pos + length];
    return next === undefined || next === "." || next === "," || next === " ";
  }
}

/** The embedding path as ranges are keyed. */
export function rangeKey(path: EmbedPath): string {
  return path.join(".");
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
