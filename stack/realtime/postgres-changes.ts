/**
 * Postgres changes as Supabase Realtime's postgres_cdc_rls extension serves them
 * (supabase/realtime `lib/extensions/postgres_cdc_rls/`):
 *
 * - A channel's `postgres_changes` bindings (`{event, schema, table, filter}`) become rows of
 *   realtime.subscription, one per table of the supabase_realtime publication they name, with the
 *   subscriber's JWT claims; the filter string supabase-js sends (`col=eq.v`, `neq`, `lt`, `lte`,
 *   `gt`, `gte`, `in.(a,b)`, the other PostgREST operators Realtime accepts, `not.` to negate,
 *   commas for AND) is parsed as Realtime parses it.
 * - Each captured change is given to realtime.apply_rls in the shape wal2json's format 2 has
 *   (action, schema, table, columns with type names and oids and text values, primary key,
 *   identity); it answers, per role, which subscriptions may see it and the record to send.
 * - Subscribers receive `postgres_changes` with `{ids, data}`: the ids of their bindings that match,
 *   and `{schema, table, commit_timestamp, type, columns, record?, old_record?, errors}`.
 */
import type { Db } from "../db/client.ts";

/** A binding as supabase-js sends it in the join's config. */
export interface ChangeParams {
  event?: string;
  schema?: string;
  table?: string;
  filter?: string;
  select?: string[];
  [key: string]: unknown;
}

export interface Filter {
  column: string;
  op: string;
  value: string;
  negate: boolean;
}

export interface SubscriptionParams {
  action: "*" | "INSERT" | "UPDATE" | "DELETE";
  schema: string;
  table: string;
  filters: Filter[];
  select: string[] | null;
}

const FILTER_TYPES = [
  "eq",
  "neq",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "like",
  "ilike",
  "is",
  "match",
  "imatch",
  "isdistinct",
];

/** Realtime's `parse_subscription_params`: the params of one binding, or an error message. */
export function parseSubscriptionParams(params: ChangeParams): SubscriptionParams | { error: string } {
  const has = (k: string) => k in params && params[k] !== undefined;
  const event = typeof params.event === "string" ? params.event.toUpperCase() : "*";
  const action = (["INSERT", "UPDATE", "DELETE"].includes(event) ? event : "*") as SubscriptionParams["action"];
  let select: string[] | null = null;
  if (has("select")) {
    if (typeof params.select === "string") {
      return {
        error: 'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]',
      };
    }
    if (Array.isArray(params.select)) {
      const valid = params.select.filter((c): c is string => typeof c === "string");
      select = valid.length ? valid : null;
    }
  }
  let result: SubscriptionParams;
  const { schema, table, filter } = params;
  if (typeof schema === "string" && typeof table === "string" && typeof filter === "string") {
    const filters = parseFilters(filter);
    if ("error" in filters) return { error: `Error parsing \`filter\` params: ${filters.error}` };
    result = { action, schema, table, filters, select };
  } else if (typeof schema === "string" && typeof table === "string" && !has("filter")) {
    result = { action, schema, table, filters: [], select };
  } else if (typeof schema === "string" && !has("table") && !has("filter")) {
    result = { action, schema, table: "*", filters: [], select };
  } else if (typeof table === "string" && !has("schema") && !has("filter")) {
    result = { action, schema: "public", table, filters: [], select };
  } else {
    return {
      error: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${
        JSON.stringify(params)
      }`,
    };
  }
  if (select && (result.schema === "*" || result.table === "*")) {
    return {
      error: "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.",
    };
  }
  return result;
}

function parseFilters(filter: string): Filter[] | { error: string } {
  const trimmed = filter.trim();
  if (trimmed === "") return [];
  const filters: Filter[] = [];
  for (const segment of splitTopLevel(trimmed)) {
    const s = segment.trim();
    if (s === "") return { error: "filter must not contain empty segments (check for extra commas)" };
    const eq = s.indexOf("=");
    if (eq < 0) return { error: JSON.stringify([s]) };
    const column = s.slice(0, eq);
    let rest = s.slice(eq + 1);
    const negate = rest.startsWith("not.");
    if (negate) rest = rest.slice(4);
    const dot = rest.indexOf(".");
    if (dot < 0) return { error: JSON.stringify([rest]) };
    const op = rest.slice(0, dot);
    const value = rest.slice(dot + 1);
    if (!FILTER_TYPES.includes(op)) return { error: JSON.stringify([op, value]) };
    if (op === "in") {
      if (value.length < 2 || !value.startsWith("(") || !value.endsWith(")")) {
        return { error: "`in` filter value must be wrapped by parentheses" };
      }
      filters.push({ column, op, value: `{${value.slice(1, -1)}}`, negate });
    } else {
      filters.push({ column, op, value: unquote(value), negate });
    }
  }
  return filters;
}

/** Splits on commas outside double quotes and parentheses (Realtime's `split_top_level`). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  let prev = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\" && i + 1 < text.length) {
        current += c + text[++i];
        prev = text[i];
        continue;
      }
      if (c === '"') quoted = false;
      current += c;
      prev = c;
      continue;
    }
    if (c === '"' && [".", "(", ","].includes(prev)) quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
      prev = "";
      continue;
    }
    current += c;
    prev = c === "," ? "" : c;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === "\\" && i + 1 < value.length) {
      out += value[++i];
    } else if (c === '"') {
      return i === value.length - 1 ? out : value;
    } else out += c;
  }
  return value;
}

/** A binding's id in the join reply: a stable hash of its params, like Realtime's phash2. */
export function bindingId(params: ChangeParams): number {
  const canonical = JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
  let h = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    h ^= canonical.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 0x8000000;
}

/**
 * Records one binding as realtime.subscription rows (Realtime's `Subscriptions.create`): one per
 * published table that matches; re-subscribing updates the claims. Returns how many rows, 0 when
 * no published table matches.
 */
export async function subscribe(
  db: Db,
  subscriptionId: string,
  params: SubscriptionParams,
  claims: Record<string, unknown>,
): Promise<number> {
  const rows = await db.query(
    `with sub_tables as (
       select format('%I.%I', pub.schemaname, pub.tablename)::regclass as entity
       from pg_publication_tables pub
       where pub.pubname = 'supabase_realtime'
         and pub.schemaname like (case $1 when '*' then '%' else $1 end) escape ''
         and pub.tablename like (case $2 when '*' then '%' else $2 end) escape ''
     )
     insert into realtime.subscription as x (subscription_id, entity, filters, claims, action_filter, selected_columns)
     select $3::uuid, sub_tables.entity,
       (select coalesce(array_agg(row(f ->> 'column', (f ->> 'op')::realtime.equality_op, f ->> 'value',
                  (f ->> 'negate')::boolean)::realtime.user_defined_filter order by n),
                '{}'::realtime.user_defined_filter[])
        from jsonb_array_elements($4::text::jsonb) with ordinality as x(f, n)),
       $5::text::jsonb, $6,
       (select array_agg(c order by n) from jsonb_array_elements_text($7::text::jsonb) with ordinality as y(c, n))
     from sub_tables
     on conflict (subscription_id, entity, filters, action_filter, coalesce(selected_columns, '{}'))
     do update set claims = excluded.claims, created_at = now()
     returning id`,
    [
      params.schema,
      params.table,
      subscriptionId,
      JSON.stringify(params.filters),
      JSON.stringify(claims),
      params.action,
      JSON.stringify(params.select ?? []),
    ],
  );
  return rows.length;
}

export async function unsubscribe(db: Db, subscriptionIds: string[]): Promise<void> {
  if (subscriptionIds.length === 0) return;
  await db.query("delete from realtime.subscription where subscription_id = any($1::uuid[])", [subscriptionIds]);
}

// ---------------------------------------------------------------- changes as wal2json writes them

export interface RelationColumn {
  name: string;
  type: string;
  typeoid: number;
  pk: boolean;
  /** Part of the replica identity index (replica identity `i`). */
  ident: boolean;
}

export interface Relation {
  schema: string;
  table: string;
  /** relreplident: d (primary key), f (full), i (index), n (nothing). */
  identity: string;
  columns: RelationColumn[];
}

export async function readRelation(db: Db, relid: number): Promise<Relation | null> {
  const [row] = await db.query<{ schema: string; table: string; identity: string; columns: RelationColumn[] | string }>(
    `select n.nspname as schema, c.relname as table, c.relreplident::text as identity,
       coalesce((select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
           'typeoid', a.atttypid, 'pk', coalesce(a.attnum = any(pk.conkey), false),
           'ident', coalesce(a.attnum = any(ri.indkey::int2[]), false)) order by a.attnum)
         from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns
     from pg_class c
     join pg_namespace n on n.oid = c.relnamespace
     left join pg_constraint pk on pk.conrelid = c.oid and pk.contype = 'p'
     left join pg_index ri on ri.indrelid = c.oid and ri.indisreplident
     where c.oid = $1::oid`,
    [relid],
  );
  if (!row) return null;
  const columns = typeof row.columns === "string" ? JSON.parse(row.columns) : row.columns;
  return { schema: row.schema, table: row.table, identity: row.identity, columns };
}

/**
 * The fields of a row's text form (Postgres's record_out: `(a,"b c",,"")`): null for an empty
 * field, quoted fields with `""` and backslash escapes undone. Throws on malformed text.
 */
export function parseRecord(text: string): (string | null)[] {
  if (!text.startsWith("(") || !text.endsWith(")")) throw new Error("not a record");
  const fields: (string | null)[] = [];
  let i = 1;
  const end = text.length - 1;
  if (end === 1) return fields; // "()": no columns
  for (;;) {
    if (text[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= end) throw new Error("unterminated quoted field");
        const c = text[i];
        if (c === "\\") {
          value += text[i + 1];
          i += 2;
        } else if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += c;
          i++;
        }
      }
      fields.push(value);
    } else {
      let j = i;
      while (j < end && text[j] !== ",") j++;
      fields.push(j === i ? null : text.slice(i, j));
      i = j;
    }
    if (i === end) return fields;
    if (text[i] !== ",") throw new Error(`unexpected ${text[i]} in record`);
    i++;
  }
}

interface WalColumn {
  name: string;
  type: string;
  typeoid: number;
  value: string | null;
}

/** A change in wal2json's format 2, as realtime.apply_rls reads it; null when the row does not fit. */
export function walChange(
  rel: Relation,
  action: "I" | "U" | "D",
  newRow: string | null,
  oldRow: string | null,
  timestamp: string,
): Record<string, unknown> | null {
  const values = (text: string | null) => {
    if (text === null) return null;
    const fields = parseRecord(text);
    return fields.length === rel.columns.length ? fields : undefined;
  };
  const next = values(newRow);
  const prev = values(oldRow);
  if (next === undefined || prev === undefined) return null;
  const cols = (fields: (string | null)[], keep: (c: RelationColumn) => boolean): WalColumn[] =>
    rel.columns.flatMap((c, i) =>
      keep(c) ? [{ name: c.name, type: c.type, typeoid: c.typeoid, value: fields[i] }] : []
    );
  const wal: Record<string, unknown> = {
    action,
    timestamp,
    schema: rel.schema,
    table: rel.table,
  };
  if (action !== "D" && next) wal.columns = cols(next, () => true);
  wal.pk = rel.columns.filter((c) => c.pk).map((c) => ({ name: c.name, type: c.type, typeoid: c.typeoid }));
  if (prev && action !== "I") {
    // what the write-ahead log keeps of the old row: its replica identity (an update logs it only
    // when the full row is the identity or the identity's values changed)
    const identityColumn = (c: RelationColumn) =>
      rel.identity === "f" || (rel.identity === "d" && c.pk) || (rel.identity === "i" && c.ident);
    const changed = next !== null &&
      rel.columns.some((c, i) => identityColumn(c) && next[i] !== prev[i]);
    if (rel.identity !== "n" && (action === "D" || rel.identity === "f" || changed)) {
      wal.identity = cols(prev, identityColumn);
    }
  }
  return wal;
}

export interface RlsResult {
  /** Index of the change in the batch. */
  index: number;
  wal: Record<string, unknown>;
  subscriptionIds: string[];
  errors: string[];
}

/** realtime.apply_rls over a batch of changes (one round trip), in order. */
export async function applyRls(db: Db, changes: Record<string, unknown>[], maxRecordBytes = 1024 * 1024) {
  const rows = await db.query<
    { ord: number | string; wal: unknown; subscription_ids: string[] | null; errors: string[] | null }
  >(
    `select x.ord, r.wal, r.subscription_ids::text[] as subscription_ids, r.errors
     from jsonb_array_elements($1::text::jsonb) with ordinality as x(change, ord),
       lateral realtime.apply_rls(x.change, $2::int) as r
     order by x.ord`,
    [JSON.stringify(changes), maxRecordBytes],
  );
  return rows.map((r): RlsResult => ({
    index: Number(r.ord) - 1,
    wal: typeof r.wal === "string" ? JSON.parse(r.wal) : r.wal as Record<string, unknown>,
    subscriptionIds: r.subscription_ids ?? [],
    errors: r.errors ?? [],
  }));
}

/** The `data` of a postgres_changes message (Realtime's NewRecord / UpdatedRecord / DeletedRecord). */
export function changeData(result: RlsResult): Record<string, unknown> {
  const w = result.wal;
  const data: Record<string, unknown> = {
    schema: w.schema,
    table: w.table,
    commit_timestamp: w.commit_timestamp ?? null,
    type: w.type,
    columns: w.columns ?? [],
    errors: result.errors.length ? result.errors : null,
  };
  if (w.type === "INSERT" || w.type === "UPDATE") data.record = w.record ?? {};
  if (w.type === "UPDATE" || w.type === "DELETE") data.old_record = w.old_record ?? {};
  return data;
}
