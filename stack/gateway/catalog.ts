/**
 * PostgREST's schema cache (PostgREST 12, src/PostgREST/SchemaCache.hs): what the gateway knows of
 * the database, read from the system catalogs:
 *
 * - tables and views of the exposed schemas (`[api] schemas`): columns (types, defaults, nullability),
 *   primary keys (a view's through its key dependencies), whether it takes inserts, updates, deletes;
 * - relationships: many-to-one and one-to-one from foreign keys, their one-to-many inverses, the
 *   same through views (PostgREST's view key dependency query, unchanged), many-to-many through a
 *   junction table whose primary key holds both foreign keys, and computed relationships (a function
 *   taking a table's row and returning rows of a table);
 * - computed fields (a function taking a table's row), for `select` and filters;
 * - functions of the exposed schemas, as PostgREST keeps them: a function with an unnamed parameter is
 *   kept only when that is its single parameter and it is json, jsonb, text, xml or bytea; trigger
 *   functions are left out (and so out of "Perhaps you meant" hints too);
 * - type names (casts in `select` are checked against them), time zone names (`Prefer: timezone`);
 * - the roles a JWT may name, with their settings, and PostgREST's in-database configuration: the
 *   `pgrst.*` settings of the authenticator role (`db_aggregates_enabled`, `db_plan_enabled`,
 *   `db_tx_end`, `db_max_rows`), as on Supabase (`alter role authenticator set pgrst.… ;
 *   notify pgrst, 'reload config'`).
 *
 * It is read in one transaction with an empty search_path (PostgREST's `set local schema ''`), so
 * every type name is schema-qualified whatever the session's settings are: on PGlite, whose one
 * backend all connections share, a client's plain `SET search_path` does not change the names.
 *
 * It is loaded at start, when a function or table is not found (one reload at a time, shared), and
 * on `NOTIFY pgrst` (`'reload schema'`, `'reload config'`, or an empty payload), as PostgREST does.
 */
import type { Db } from "../db/client.ts";

export interface RpcParam {
  name: string;
  /** The type as `regtype` names it, schema-qualified unless in pg_catalog. */
  type: string;
  /** bit/character → their varying forms: what json_to_record should convert an argument to. */
  typeMaxLength: string;
  hasDefault: boolean;
  variadic: boolean;
}

export interface RpcFunction {
  schema: string;
  name: string;
  /** Input parameters, in order. */
  params: RpcParam[];
  returns: "void" | "scalar" | "composite";
  setof: boolean;
  /** The returned type (`schema`, `name`): a table's row type names the table, for embedding. */
  returnSchema: string;
  returnName: string;
  /** The returned type is a domain over a composite. */
  compositeAlias: boolean;
  volatility: "immutable" | "stable" | "volatile";
  /** The type of the single unnamed parameter (json, jsonb, text, xml, bytea) that takes the body. */
  bodyParam: string | null;
  /** `schema.name(arg types)`, for messages. */
  signature: string;
  /** `rows 1` or not setof: a computed relationship to one row. */
  singleRow: boolean;
  /** The result's column names (OUT/TABLE parameters, or the composite type's attributes). */
  columns: string[];
}

export interface Column {
  name: string;
  /** format_type with typmod: what a JSON body is converted to. */
  type: string;
  nullable: boolean;
  default: string | null;
}

export interface Table {
  schema: string;
  name: string;
  isView: boolean;
  insertable: boolean;
  updatable: boolean;
  deletable: boolean;
  pk: string[];
  columns: Map<string, Column>;
  /** Functions taking this table's row (`schema.name`), usable as columns. */
  computed: Map<string, { schema: string; name: string }>;
  /**
   * Functions taking any row (`count`, `row_to_json`…): Postgres reads `t.count` as `count(t)`, so
   * PostgREST's `select=count` inside an embed counts its rows. Shared by all tables.
   */
  generic: Set<string>;
}

export type Cardinality =
  | { kind: "m2o" | "o2m"; constraint: string; columns: [string, string][] }
  | { kind: "o2o"; constraint: string; columns: [string, string][]; parent: boolean }
  | {
    kind: "m2m";
    junction: { schema: string; name: string };
    constraint1: string;
    constraint2: string;
    /** (source column, junction column), (target column, junction column). */
    sourceColumns: [string, string][];
    targetColumns: [string, string][];
  };

export type Relationship =
  | {
    kind: "fk";
    table: { schema: string; name: string };
    foreignTable: { schema: string; name: string };
    isSelf: boolean;
    cardinality: Cardinality;
    tableIsView: boolean;
    foreignTableIsView: boolean;
  }
  | {
    kind: "computed";
    function: { schema: string; name: string };
    table: { schema: string; name: string };
    foreignTable: { schema: string; name: string };
    isSelf: boolean;
    singleRow: boolean;
  };

export function relIsToOne(rel: Relationship): boolean {
  if (rel.kind === "computed") return rel.singleRow;
  return rel.cardinality.kind === "m2o" || rel.cardinality.kind === "o2o";
}

export interface RoleInfo {
  /** Role settings (`alter role … set`), applied per request with set_config(…, true). */
  settings: [string, string][];
}

/** PostgREST's in-database configuration (`pgrst.*` settings of the authenticator role). */
export interface DbConfig {
  aggregatesEnabled: boolean;
  planEnabled: boolean;
  txEnd: "commit" | "commit-allow-override" | "rollback" | "rollback-allow-override";
  maxRows: number | null;
}

/** What carries the arguments: named ones (query string, form, JSON object), or a JSON body that is not an object. */
export type ArgsKind = "named" | "json-object" | "json-other";

export type Resolution =
  | { fn: RpcFunction }
  | { error: "not_found" }
  | { error: "ambiguous"; candidates: RpcFunction[] };

const key = (schema: string, name: string) => `${schema}\u0000${name}`;

// ---------------------------------------------------------------- catalog queries (PostgREST's, adapted)

const FUNCTIONS_SQL = `
with
base_types as (
  with recursive recurse as (
    select oid, typbasetype, coalesce(nullif(typbasetype, 0), oid) as base from pg_catalog.pg_type
    union
    select t.oid, b.typbasetype, coalesce(nullif(b.typbasetype, 0), b.oid) as base
    from recurse t join pg_catalog.pg_type b on t.typbasetype = b.oid
  )
  select oid, base from recurse where typbasetype = 0
),
arguments as (
  select oid,
    pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', coalesce(name, ''),
      'type', type::pg_catalog.regtype::text,
      'typeMaxLength', case type
        when 'bit'::pg_catalog.regtype then 'bit varying'
        when 'bit[]'::pg_catalog.regtype then 'bit varying[]'
        when 'character'::pg_catalog.regtype then 'character varying'
        when 'character[]'::pg_catalog.regtype then 'character varying[]'
        else type::pg_catalog.regtype::text end,
      'required', idx <= (pronargs - pronargdefaults),
      'variadic', coalesce(mode = 'v', false)) order by idx) as args,
    case pg_catalog.count(*) - pg_catalog.count(name)
      when 0 then true
      when 1 then (pg_catalog.array_agg(type))[1] in ('bytea'::pg_catalog.regtype, 'json'::pg_catalog.regtype,
        'jsonb'::pg_catalog.regtype, 'text'::pg_catalog.regtype, 'xml'::pg_catalog.regtype)
      else false
    end as callable
  from pg_catalog.pg_proc, unnest(proargnames, proargtypes, proargmodes) with ordinality as _(name, type, mode, idx)
  where type is not null
  group by oid
)
select pn.nspname as schema, p.proname as name,
  coalesce(a.args, '[]') as args,
  tn.nspname as return_schema, coalesce(comp.relname, t.typname) as return_name,
  p.proretset as setof,
  p.prorettype = 'pg_catalog.void'::pg_catalog.regtype as is_void,
  (t.typtype = 'c' or coalesce(p.proargmodes::text[] && '{t,b,o}', false)) as is_composite,
  bt.oid <> bt.base as composite_alias,
  p.provolatile::text as volatility,
  (not p.proretset or p.prorows = 1) as single_row,
  pg_catalog.format('%s.%s(%s)', pg_catalog.quote_ident(pn.nspname), pg_catalog.quote_ident(p.proname),
    pg_catalog.pg_get_function_identity_arguments(p.oid)) as signature,
  coalesce(
    (select pg_catalog.json_agg(o.name order by o.idx)
     from unnest(p.proargnames, p.proargmodes) with ordinality as o(name, mode, idx)
     where o.mode in ('o', 't', 'b')),
    (select pg_catalog.json_agg(att.attname order by att.attnum)
     from pg_catalog.pg_attribute att
     where att.attrelid = t.typrelid and t.typrelid <> 0 and att.attnum > 0 and not att.attisdropped),
    '[]') as columns
from pg_catalog.pg_proc p
left join arguments a on a.oid = p.oid
join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
join base_types bt on bt.oid = p.prorettype
join pg_catalog.pg_type t on t.oid = bt.base
join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
left join pg_catalog.pg_class comp on comp.oid = t.typrelid
where t.oid <> 'pg_catalog.trigger'::pg_catalog.regtype and coalesce(a.callable, true) and p.prokind = 'f'
  and pn.nspname = any($1::text[])
`;

const TABLES_SQL = `
with
columns as (
  select c.oid as relid, a.attname as name, a.attnum as position,
    pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
    not (a.attnotnull or t.typtype = 'd' and t.typnotnull) as nullable,
    case
      when t.typbasetype <> 0 and ad.adbin is null then pg_catalog.pg_get_expr(t.typdefaultbin, 0)
      when a.attidentity = 'd' then pg_catalog.format('nextval(%s)', pg_catalog.quote_literal(seqsch.nspname || '.' || seqclass.relname))
      when a.attgenerated = 's' then null
      else pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)::text
    end as column_default
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_class c on a.attrelid = c.oid
  join pg_catalog.pg_namespace nc on nc.oid = c.relnamespace
  join pg_catalog.pg_type t on a.atttypid = t.oid
  left join pg_catalog.pg_attrdef ad on a.attrelid = ad.adrelid and a.attnum = ad.adnum
  left join pg_catalog.pg_depend dep on dep.refobjid = a.attrelid and dep.refobjsubid = a.attnum and dep.deptype = 'i'
  left join pg_catalog.pg_class seqclass on seqclass.oid = dep.objid
  left join pg_catalog.pg_namespace seqsch on seqsch.oid = seqclass.relnamespace
  where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'v', 'f', 'm', 'p')
    and nc.nspname = any($1::text[])
)
select n.nspname as schema, c.relname as name,
  c.relkind in ('v', 'm') as is_view,
  (c.relkind in ('r', 'p') or (c.relkind in ('v', 'f') and (pg_catalog.pg_relation_is_updatable(c.oid::regclass, true) & 8) = 8)) as insertable,
  (c.relkind in ('r', 'p') or (c.relkind in ('v', 'f') and (pg_catalog.pg_relation_is_updatable(c.oid::regclass, true) & 4) = 4)) as updatable,
  (c.relkind in ('r', 'p') or (c.relkind in ('v', 'f') and (pg_catalog.pg_relation_is_updatable(c.oid::regclass, true) & 16) = 16)) as deletable,
  coalesce((
    select pg_catalog.json_agg(att.attname order by k.ord)
    from pg_catalog.pg_constraint con, unnest(con.conkey) with ordinality as k(attnum, ord)
    join pg_catalog.pg_attribute att on att.attrelid = c.oid and att.attnum = k.attnum
    where con.conrelid = c.oid and con.contype = 'p'
  ), '[]') as pk,
  coalesce((
    select pg_catalog.json_agg(pg_catalog.json_build_object('name', col.name, 'type', col.type,
      'nullable', col.nullable, 'default', col.column_default) order by col.position)
    from columns col where col.relid = c.oid
  ), '[]') as columns
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'r', 'm', 'f', 'p') and n.nspname = any($1::text[]) and not c.relispartition
`;

const M2O_SQL = `
with pks_uniques_cols as (
  select connamespace, conrelid, pg_catalog.jsonb_agg(column_info.cols) as cols
  from pg_catalog.pg_constraint
  join lateral (
    select pg_catalog.array_agg(cols.attname order by cols.attnum) as cols
    from (select unnest(conkey) as col) _
    join pg_catalog.pg_attribute cols on cols.attrelid = conrelid and cols.attnum = col
  ) column_info on true
  where contype in ('p', 'u') and connamespace::regnamespace::text <> 'pg_catalog'
  group by connamespace, conrelid
)
select ns1.nspname as table_schema, tab.relname as table_name,
  ns2.nspname as foreign_table_schema, other.relname as foreign_table_name,
  (ns1.nspname, tab.relname) = (ns2.nspname, other.relname) as is_self,
  traint.conname as constraint_name,
  column_info.cols_and_fcols,
  (column_info.cols in (select * from pg_catalog.jsonb_array_elements(pks_uqs.cols))) as one_to_one
from pg_catalog.pg_constraint traint
join lateral (
  select pg_catalog.json_agg(pg_catalog.json_build_array(cols.attname, refs.attname) order by ord) as cols_and_fcols,
    pg_catalog.jsonb_agg(cols.attname order by cols.attnum) as cols
  from unnest(traint.conkey, traint.confkey) with ordinality as _(col, ref, ord)
  join pg_catalog.pg_attribute cols on cols.attrelid = traint.conrelid and cols.attnum = col
  join pg_catalog.pg_attribute refs on refs.attrelid = traint.confrelid and refs.attnum = ref
) as column_info on true
join pg_catalog.pg_namespace ns1 on ns1.oid = traint.connamespace
join pg_catalog.pg_class tab on tab.oid = traint.conrelid
join pg_catalog.pg_class other on other.oid = traint.confrelid
join pg_catalog.pg_namespace ns2 on ns2.oid = other.relnamespace
left join pks_uniques_cols pks_uqs on pks_uqs.connamespace = traint.connamespace and pks_uqs.conrelid = traint.conrelid
where traint.contype = 'f' and traint.conparentid = 0
order by traint.conrelid, traint.conname
`;

const COMPUTED_SQL = `
with all_relations as (
  select reltype from pg_catalog.pg_class where relkind in ('v', 'r', 'm', 'f', 'p')
)
select pn.nspname as schema, p.proname as name,
  arg_schema.nspname as table_schema, arg_name.typname as table_name,
  ret_schema.nspname as ftable_schema, ret_name.typname as ftable_name,
  not p.proretset or p.prorows = 1 as single_row,
  p.prorettype in (select reltype from all_relations) as returns_rows,
  p.pronargs - p.pronargdefaults <= 1 as unary
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
join pg_catalog.pg_type arg_name on arg_name.oid = p.proargtypes[0]
join pg_catalog.pg_namespace arg_schema on arg_schema.oid = arg_name.typnamespace
join pg_catalog.pg_type ret_name on ret_name.oid = p.prorettype
join pg_catalog.pg_namespace ret_schema on ret_schema.oid = ret_name.typnamespace
where p.pronargs >= 1 and p.prokind = 'f' and p.proargtypes[0] in (select reltype from all_relations)
`;

/** PostgREST's allViewsKeyDependencies (SchemaCache.hs), unchanged but for the output's shape. */
const VIEW_KEY_DEPS_SQL = `
with recursive
pks_fks as (
  select contype::text as contype, conname, array_length(conkey, 1) as ncol, conrelid as resorigtbl, col as resorigcol, ord
  from pg_catalog.pg_constraint
  left join lateral unnest(conkey) with ordinality as _(col, ord) on true
  where contype in ('p', 'f')
  union
  select concat(contype, '_ref') as contype, conname, array_length(confkey, 1) as ncol, confrelid, col, ord
  from pg_catalog.pg_constraint
  left join lateral unnest(confkey) with ordinality as _(col, ord) on true
  where contype = 'f'
),
views as (
  select c.oid as view_id, n.nspname as view_schema, c.relname as view_name, r.ev_action as view_definition
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_rewrite r on r.ev_class = c.oid
  where c.relkind in ('v', 'm') and n.nspname = any($1::text[] || $2::text[])
),
transform_json as (
  select view_id, view_schema, view_name,
    replace(replace(replace(replace(replace(replace(replace(
    regexp_replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
      view_definition::text,
      '<>', '()'), ',', ''), E'\\\\{', ''), E'\\\\}', ''),
      ' :targetList ', ',"targetList":'), ' :resno ', ',"resno":'), ' :resorigtbl ', ',"resorigtbl":'),
      ' :resorigcol ', ',"resorigcol":'), '{', '{ :'), '((', '{(('), '({', '{({'),
      ' :[^}{,]+', ',"":', 'g'),
      ',"":}', '}'), ',"":,', ','), '{(', '('), '{,', '{'), '(', '['), ')', ']'), ' ', ','
    )::json as view_definition
  from views
),
target_entries as (
  select view_id, view_schema, view_name, json_array_elements(view_definition->0->'targetList') as entry
  from transform_json
),
results as (
  select view_id, view_schema, view_name,
    (entry->>'resno')::int as view_column, (entry->>'resorigtbl')::oid as resorigtbl, (entry->>'resorigcol')::int as resorigcol
  from target_entries
),
recursion(view_id, view_schema, view_name, view_column, resorigtbl, resorigcol, is_cycle, path) as (
  select r.*, false, array[resorigtbl] from results r where view_schema = any($1::text[])
  union all
  select view.view_id, view.view_schema, view.view_name, view.view_column, tab.resorigtbl, tab.resorigcol,
    tab.resorigtbl = any(path), path || tab.resorigtbl
  from recursion view
  join results tab on view.resorigtbl = tab.view_id and view.resorigcol = tab.view_column
  where not is_cycle
),
repeated_references as (
  select view_id, view_schema, view_name, resorigtbl, resorigcol, array_agg(attname) as view_columns
  from recursion
  join pg_catalog.pg_attribute vcol on vcol.attrelid = view_id and vcol.attnum = view_column
  group by view_id, view_schema, view_name, resorigtbl, resorigcol
)
select sch.nspname as table_schema, tbl.relname as table_name, rep.view_schema, rep.view_name,
  pks_fks.conname as constraint_name, pks_fks.contype as constraint_type,
  pg_catalog.json_agg(pg_catalog.json_build_array(col.attname, view_columns) order by pks_fks.ord) as column_dependencies
from repeated_references rep
join pks_fks using (resorigtbl, resorigcol)
join pg_catalog.pg_class tbl on tbl.oid = rep.resorigtbl
join pg_catalog.pg_attribute col on col.attrelid = tbl.oid and col.attnum = rep.resorigcol
join pg_catalog.pg_namespace sch on sch.oid = tbl.relnamespace
group by sch.nspname, tbl.relname, rep.view_schema, rep.view_name, pks_fks.conname, pks_fks.contype, pks_fks.ncol
having ncol = pg_catalog.count(*)
`;

const TYPES_SQL = `
select t.typname as name, n.nspname as schema
from pg_catalog.pg_type t
join pg_catalog.pg_namespace n on n.oid = t.typnamespace
where n.nspname = any($1::text[]) and t.typname !~ '^_'
`;

// Roles the API may switch to: members of authenticator (as on Supabase), or the three API roles
// where there is no authenticator. Database-specific settings override role-wide ones.
const ROLES_SQL = `
with api_roles as (
  select r.oid, r.rolname
  from pg_catalog.pg_roles r
  where case
    when exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
      exists (select 1 from pg_catalog.pg_auth_members m
              where m.roleid = r.oid and m.member = (select oid from pg_catalog.pg_roles where rolname = 'authenticator'))
    else r.rolname in ('anon', 'authenticated', 'service_role')
  end
  union
  select oid, rolname from pg_catalog.pg_roles where rolname = 'authenticator'
)
select r.rolname as role,
  coalesce((select pg_catalog.json_agg(c order by s.setdatabase, o)
            from pg_catalog.pg_db_role_setting s, unnest(s.setconfig) with ordinality as u(c, o)
            where s.setrole = r.oid
              and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database()))),
           '[]') as settings
from api_roles r
`;

const TIMEZONES_SQL = `select name from pg_catalog.pg_timezone_names`;

/** Functions (and aggregates) of one argument that any row can be given (`any`, `anyelement`, `record`…). */
const GENERIC_ROW_FUNCTIONS_SQL = `
select distinct p.proname as name
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
where n.nspname = any($1::text[]) and p.pronargs >= 1 and p.pronargs - p.pronargdefaults <= 1
  and p.proargtypes[0] in ('pg_catalog."any"'::pg_catalog.regtype, 'pg_catalog.anyelement'::pg_catalog.regtype,
    'pg_catalog.record'::pg_catalog.regtype, 'pg_catalog.anycompatible'::pg_catalog.regtype)
`;

/** SQL's own names for types (what `::cast` may say besides a pg_type name). */
const SQL_TYPE_NAMES = [
  "bigint",
  "bit varying",
  "boolean",
  "character",
  "character varying",
  "dec",
  "decimal",
  "double precision",
  "float",
  "int",
  "integer",
  "national character",
  "national character varying",
  "nchar",
  "real",
  "smallint",
  "time with time zone",
  "time without time zone",
  "timestamp with time zone",
  "timestamp without time zone",
  "varchar",
];

// ---------------------------------------------------------------- rows as read

interface FunctionRow {
  schema: string;
  name: string;
  args: ArgRow[] | string;
  return_schema: string;
  return_name: string;
  setof: boolean;
  is_void: boolean;
  is_composite: boolean;
  composite_alias: boolean;
  volatility: string;
  single_row: boolean;
  signature: string;
  columns: string[] | string;
}

interface ArgRow {
  name: string;
  type: string;
  typeMaxLength: string;
  required: boolean;
  variadic: boolean;
}

interface TableRow {
  schema: string;
  name: string;
  is_view: boolean;
  insertable: boolean;
  updatable: boolean;
  deletable: boolean;
  pk: string[] | string;
  columns: { name: string; type: string; nullable: boolean; default: string | null }[] | string;
}

interface M2ORow {
  table_schema: string;
  table_name: string;
  foreign_table_schema: string;
  foreign_table_name: string;
  is_self: boolean;
  constraint_name: string;
  cols_and_fcols: [string, string][] | string;
  one_to_one: boolean;
}

interface ComputedRow {
  schema: string;
  name: string;
  table_schema: string;
  table_name: string;
  ftable_schema: string;
  ftable_name: string;
  single_row: boolean;
  returns_rows: boolean;
  unary: boolean;
}

interface KeyDepRow {
  table_schema: string;
  table_name: string;
  view_schema: string;
  view_name: string;
  constraint_name: string;
  constraint_type: string;
  column_dependencies: [string, string[]][] | string;
}

const json = <T>(v: T | string): T => (typeof v === "string" ? JSON.parse(v) : v);

// ---------------------------------------------------------------- the cache

export class Catalog {
  private byName = new Map<string, RpcFunction[]>();
  private tables = new Map<string, Table>();
  /** Relationships by (table schema, table name), the origin of an embedding. */
  private rels = new Map<string, Relationship[]>();
  private roles = new Map<string, RoleInfo>();
  private typeNames = new Set<string>();
  private tzNames = new Set<string>();
  private inflight: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  /** Bumped on every load, so callers can drop what they derived from an older catalog. */
  version = 0;
  config: DbConfig = { aggregatesEnabled: false, planEnabled: false, txEnd: "commit", maxRows: null };

  constructor(
    private readonly db: Db,
    readonly schemas: string[],
    private readonly log: (line: string) => void = () => {},
    private readonly extraSearchPath: string[] = ["public", "extensions"],
  ) {}

  /** Loads now and follows `NOTIFY pgrst` from then on. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.db.listen) {
      this.unlisten = await this.db.listen("pgrst", (payload) => {
        if (payload === "" || payload === "reload schema" || payload === "reload config") {
          this.refresh().catch((e) => this.log(`schema cache: reload failed: ${(e as Error).message}`));
        }
      });
    }
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  /** Reloads; concurrent callers share one reload. */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.load().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  role(name: string): RoleInfo | undefined {
    return this.roles.get(name);
  }

  functions(schema: string, name: string): RpcFunction[] {
    return this.byName.get(key(schema, name)) ?? [];
  }

  /** All function names of a schema (for "perhaps you meant" hints). */
  names(schema: string): string[] {
    return [...this.byName.values()].flat().filter((f) => f.schema === schema).map((f) => f.name);
  }

  table(schema: string, name: string): Table | undefined {
    return this.tables.get(key(schema, name));
  }

  tableNames(schema: string): string[] {
    return [...this.tables.values()].filter((t) => t.schema === schema).map((t) => t.name);
  }

  /** Relationships whose origin is this table or view. */
  relationships(schema: string, name: string): Relationship[] {
    return this.rels.get(key(schema, name)) ?? [];
  }

  /** Whether `::cast` names a type here (lowercased, spaces collapsed). */
  isTypeName(name: string): boolean {
    return this.typeNames.has(name);
  }

  isTimezone(name: string): boolean {
    return this.tzNames.has(name);
  }

  /**
   * PostgREST's overload resolution (Plan.hs findProc): a function matches when the given names are
   * exactly its required parameters plus any of its optional ones; functions with no match, but one
   * whose single unnamed parameter takes the whole body (json/jsonb for a JSON body), are the fallback.
   */
  resolve(schema: string, name: string, keys: string[], kind: ArgsKind): Resolution {
    const given = new Set(keys);
    const candidates = this.functions(schema, name);
    const matches: RpcFunction[] = [];
    const fallback: RpcFunction[] = [];
    for (const fn of candidates) {
      if (kind !== "json-other" && matchesParams(fn, given)) matches.push(fn);
      else if (kind !== "named" && (fn.bodyParam === "json" || fn.bodyParam === "jsonb")) fallback.push(fn);
    }
    if (matches.length === 1) return { fn: matches[0] };
    if (matches.length > 1) return { error: "ambiguous", candidates: matches };
    if (fallback.length === 1) return { fn: fallback[0] };
    if (fallback.length > 1) return { error: "ambiguous", candidates: fallback };
    return { error: "not_found" };
  }

  private async load(): Promise<void> {
    const arr = (list: string[]) => `{${list.map((s) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`)}}`;
    const schemaArray = arr(this.schemas);
    const [functionRows, tableRows, m2oRows, computedRows, keyDepRows, typeRows, roleRows, tzRows, genericRows] =
      await this
        .db
        .transaction(async (tx) => {
          // as PostgREST: an empty search_path, so every name comes schema-qualified
          await tx.exec("set local search_path = ''");
          return [
            await tx.query<FunctionRow>(FUNCTIONS_SQL, [schemaArray]),
            await tx.query<TableRow>(TABLES_SQL, [schemaArray]),
            await tx.query<M2ORow>(M2O_SQL),
            await tx.query<ComputedRow>(COMPUTED_SQL),
            await tx.query<KeyDepRow>(VIEW_KEY_DEPS_SQL, [schemaArray, arr(this.extraSearchPath)]),
            await tx.query<{ name: string; schema: string }>(
              TYPES_SQL,
              [arr([...new Set(["pg_catalog", ...this.schemas, ...this.extraSearchPath])])],
            ),
            await tx.query<{ role: string; settings: string[] | string }>(ROLES_SQL),
            await tx.query<{ name: string }>(TIMEZONES_SQL),
            await tx.query<{ name: string }>(
              GENERIC_ROW_FUNCTIONS_SQL,
              [arr([...new Set(["pg_catalog", ...this.schemas, ...this.extraSearchPath])])],
            ),
          ] as const;
        });

    const byName = new Map<string, RpcFunction[]>();
    for (const row of functionRows) {
      const fn = toFunction(row);
      const k = key(fn.schema, fn.name);
      byName.set(k, [...(byName.get(k) ?? []), fn]);
    }

    const tables = new Map<string, Table>();
    const generic = new Set(genericRows.map((r) => r.name));
    for (const row of tableRows) {
      const columns = new Map<string, Column>();
      for (const c of json(row.columns)) columns.set(c.name, c);
      tables.set(key(row.schema, row.name), {
        schema: row.schema,
        name: row.name,
        isView: row.is_view,
        insertable: row.insertable,
        updatable: row.updatable,
        deletable: row.deletable,
        pk: json(row.pk),
        columns,
        computed: new Map(),
        generic,
      });
    }

    // computed fields: functions of an exposed schema taking a table's row (callable as table.fn)
    const computedRels: Extract<Relationship, { kind: "computed" }>[] = [];
    for (const row of computedRows) {
      if (!this.schemas.includes(row.schema)) continue;
      const table = tables.get(key(row.table_schema, row.table_name));
      if (row.unary && table && !table.computed.has(row.name)) {
        table.computed.set(row.name, { schema: row.schema, name: row.name });
      }
      if (row.returns_rows && row.unary) {
        computedRels.push({
          kind: "computed",
          function: { schema: row.schema, name: row.name },
          table: { schema: row.table_schema, name: row.table_name },
          foreignTable: { schema: row.ftable_schema, name: row.ftable_name },
          isSelf: row.table_schema === row.ftable_schema && row.table_name === row.ftable_name,
          singleRow: row.single_row,
        });
      }
    }

    // views' primary keys from their key dependencies
    const keyDeps = keyDepRows.map((r) => ({
      table: { schema: r.table_schema, name: r.table_name },
      view: { schema: r.view_schema, name: r.view_name },
      constraint: r.constraint_name,
      type: r.constraint_type === "p" ? "pk" : r.constraint_type === "f" ? "fk" : "fk_ref",
      columns: json(r.column_dependencies),
    }));
    for (const t of tables.values()) {
      if (!t.isView) continue;
      t.pk = keyDeps.filter((d) => d.type === "pk" && d.view.schema === t.schema && d.view.name === t.name)
        .flatMap((d) => d.columns.map(([, viewCols]) => viewCols[0]).filter((c) => c !== undefined));
    }

    // many-to-one and one-to-one from foreign keys, then through views, then m2m and inverses
    const fkRels = m2oRows.map((r) => {
      const cols = json(r.cols_and_fcols);
      return {
        kind: "fk" as const,
        table: { schema: r.table_schema, name: r.table_name },
        foreignTable: { schema: r.foreign_table_schema, name: r.foreign_table_name },
        isSelf: r.is_self,
        cardinality: r.one_to_one
          ? { kind: "o2o" as const, constraint: r.constraint_name, columns: cols, parent: false }
          : { kind: "m2o" as const, constraint: r.constraint_name, columns: cols },
        tableIsView: false,
        foreignTableIsView: false,
      };
    });
    const withViews = [...fkRels, ...viewRelationships(fkRels, keyDeps)];
    const withM2M = [...withViews, ...m2mRelationships(tables, withViews)];
    const all: Relationship[] = [...withM2M, ...inverseRelationships(withM2M)];

    // computed relationships override detected ones between the same table and function name
    const rels = new Map<string, Relationship[]>();
    const exposed = (s: string) => this.schemas.includes(s);
    const computedKeys = new Set(computedRels.map((r) => `${key(r.table.schema, r.table.name)}/${r.function.name}`));
    for (const rel of [...all, ...computedRels]) {
      if (!exposed(rel.table.schema) || !exposed(rel.foreignTable.schema)) continue;
      if (rel.kind === "fk" && rel.cardinality.kind === "m2m" && !exposed(rel.cardinality.junction.schema)) continue;
      if (rel.kind === "fk" && computedKeys.has(`${key(rel.table.schema, rel.table.name)}/${rel.foreignTable.name}`)) {
        continue;
      }
      const k = key(rel.table.schema, rel.table.name);
      rels.set(k, [...(rels.get(k) ?? []), rel]);
    }

    const typeNames = new Set(SQL_TYPE_NAMES);
    for (const row of typeRows) {
      typeNames.add(row.name.toLowerCase());
      typeNames.add(`${row.schema}.${row.name}`.toLowerCase());
    }

    const roles = new Map<string, RoleInfo>();
    let config: DbConfig = { aggregatesEnabled: false, planEnabled: false, txEnd: "commit", maxRows: null };
    for (const row of roleRows) {
      const list = json<string[]>(row.settings);
      const settings = new Map<string, string>();
      for (const item of list) {
        const eq = item.indexOf("=");
        if (eq > 0) settings.set(item.slice(0, eq), item.slice(eq + 1));
      }
      if (row.role === "authenticator") {
        config = dbConfig(settings);
        continue;
      }
      roles.set(row.role, { settings: [...settings].filter(([k]) => !k.startsWith("pgrst.")) });
    }

    this.byName = byName;
    this.tables = tables;
    this.rels = rels;
    this.roles = roles;
    this.typeNames = typeNames;
    this.tzNames = new Set(tzRows.map((r) => r.name));
    this.config = config;
    this.version++;
  }
}

/** PostgREST's matchesParams (Plan.hs): the given keys against required and optional parameters. */
function matchesParams(fn: RpcFunction, given: Set<string>): boolean {
  if (fn.params.length === 0) return given.size === 0;
  const required = fn.params.filter((p) => !p.hasDefault).map((p) => p.name);
  const optional = new Set(fn.params.filter((p) => p.hasDefault).map((p) => p.name));
  const rest = [...given].filter((k) => !optional.has(k));
  const req = new Set(required);
  return rest.length === req.size && rest.every((k) => req.has(k));
}

function dbConfig(settings: Map<string, string>): DbConfig {
  const bool = (name: string) => ["true", "on", "1", "yes"].includes((settings.get(name) ?? "").toLowerCase());
  const txEnd = settings.get("pgrst.db_tx_end") ?? "commit";
  const maxRows = Number(settings.get("pgrst.db_max_rows") ?? NaN);
  return {
    aggregatesEnabled: bool("pgrst.db_aggregates_enabled"),
    planEnabled: bool("pgrst.db_plan_enabled"),
    txEnd:
      (["commit", "commit-allow-override", "rollback", "rollback-allow-override"].includes(txEnd)
        ? txEnd
        : "commit") as DbConfig["txEnd"],
    maxRows: Number.isInteger(maxRows) && maxRows >= 0 ? maxRows : null,
  };
}

function toFunction(row: FunctionRow): RpcFunction {
  const args = json(row.args);
  const params = args.map((a) => ({
    name: a.name,
    type: a.type,
    typeMaxLength: a.typeMaxLength,
    hasDefault: !a.required,
    variadic: a.variadic,
  }));
  const only = params.length === 1 ? params[0] : null;
  return {
    schema: row.schema,
    name: row.name,
    params,
    returns: row.is_void ? "void" : row.is_composite ? "composite" : "scalar",
    setof: row.setof,
    returnSchema: row.return_schema,
    returnName: row.return_name,
    compositeAlias: row.composite_alias,
    volatility: row.volatility === "i" ? "immutable" : row.volatility === "s" ? "stable" : "volatile",
    bodyParam: only && only.name === "" ? only.type : null,
    signature: row.signature,
    singleRow: row.single_row,
    columns: json(row.columns),
  };
}

type FkRel = Extract<Relationship, { kind: "fk" }>;

interface KeyDep {
  table: { schema: string; name: string };
  view: { schema: string; name: string };
  constraint: string;
  type: string;
  columns: [string, string[]][];
}

const sameQi = (a: { schema: string; name: string }, b: { schema: string; name: string }) =>
  a.schema === b.schema && a.name === b.name;

/** Every way to pick one view column per key column (PostgREST's expandKeyDepCols). */
function expand(cols: [string, string[]][]): [string, string][][] {
  let out: [string, string][][] = [[]];
  for (const [tableCol, viewCols] of cols) {
    out = out.flatMap((prefix) => viewCols.map((v): [string, string][] => [...prefix, [tableCol, v]]));
  }
  return out;
}

/** PostgREST's addViewM2OAndO2ORels: the same relationships through views of either side. */
function viewRelationships(rels: FkRel[], keyDeps: KeyDep[]): FkRel[] {
  const out: FkRel[] = [];
  for (const rel of rels) {
    const card = rel.cardinality;
    if (card.kind !== "m2o" && !(card.kind === "o2o" && !card.parent)) continue;
    const build = (columns: [string, string][]): Cardinality =>
      card.kind === "m2o"
        ? { kind: "m2o", constraint: card.constraint, columns }
        : { kind: "o2o", constraint: card.constraint, columns, parent: false };
    const viewTable = keyDeps.filter((d) =>
      sameQi(d.table, rel.table) && d.constraint === card.constraint && d.type === "fk"
    );
    const tableView = keyDeps.filter((d) =>
      sameQi(d.table, rel.foreignTable) && d.constraint === card.constraint && d.type === "fk_ref"
    );
    for (const vt of viewTable) {
      for (const cols of expand(vt.columns)) {
        out.push({
          ...rel,
          table: vt.view,
          isSelf: false,
          cardinality: build(cols.map(([, v], i) => [v, card.columns[i][1]])),
          tableIsView: true,
          foreignTableIsView: false,
        });
      }
    }
    for (const tv of tableView) {
      for (const cols of expand(tv.columns)) {
        out.push({
          ...rel,
          foreignTable: tv.view,
          isSelf: false,
          cardinality: build(card.columns.map(([t], i) => [t, cols[i][1]])),
          tableIsView: false,
          foreignTableIsView: true,
        });
      }
    }
    for (const vt of viewTable) {
      for (const c1 of expand(vt.columns)) {
        for (const tv of tableView) {
          for (const c2 of expand(tv.columns)) {
            out.push({
              ...rel,
              table: vt.view,
              foreignTable: tv.view,
              isSelf: sameQi(vt.view, tv.view),
              cardinality: build(c1.map(([, v1], i) => [v1, c2[i][1]])),
              tableIsView: true,
              foreignTableIsView: true,
            });
          }
        }
      }
    }
  }
  return out;
}

/** PostgREST's addM2MRels: a table with foreign keys to two tables, both in its primary key. */
function m2mRelationships(tables: Map<string, Table>, rels: FkRel[]): FkRel[] {
  const out: FkRel[] = [];
  for (const r1 of rels) {
    if (r1.cardinality.kind !== "m2o") continue;
    for (const r2 of rels) {
      if (
        r2.cardinality.kind !== "m2o" || !sameQi(r1.table, r2.table) ||
        r1.cardinality.constraint === r2.cardinality.constraint
      ) {
        continue;
      }
      const pk = new Set(tables.get(key(r1.table.schema, r1.table.name))?.pk ?? []);
      const jtCols = [...r1.cardinality.columns.map(([c]) => c), ...r2.cardinality.columns.map(([c]) => c)];
      if (!jtCols.every((c) => pk.has(c))) continue;
      out.push({
        kind: "fk",
        table: r1.foreignTable,
        foreignTable: r2.foreignTable,
        isSelf: sameQi(r1.foreignTable, r2.foreignTable),
        cardinality: {
          kind: "m2m",
          junction: r1.table,
          constraint1: r1.cardinality.constraint,
          constraint2: r2.cardinality.constraint,
          sourceColumns: r1.cardinality.columns.map(([jc, c]) => [c, jc]),
          targetColumns: r2.cardinality.columns.map(([jc, c]) => [c, jc]),
        },
        tableIsView: r1.foreignTableIsView,
        foreignTableIsView: r2.foreignTableIsView,
      });
    }
  }
  return out;
}

/** PostgREST's addInverseRels: one-to-many for each many-to-one, the other side of each one-to-one. */
function inverseRelationships(rels: FkRel[]): FkRel[] {
  const out: FkRel[] = [];
  for (const r of rels) {
    const card = r.cardinality;
    if (card.kind !== "m2o" && card.kind !== "o2o") continue;
    const columns = card.columns.map(([a, b]) => [b, a] as [string, string]);
    out.push({
      kind: "fk",
      table: r.foreignTable,
      foreignTable: r.table,
      isSelf: r.isSelf,
      cardinality: card.kind === "m2o"
        ? { kind: "o2m", constraint: card.constraint, columns }
        : { kind: "o2o", constraint: card.constraint, columns, parent: !(card as { parent: boolean }).parent },
      tableIsView: r.foreignTableIsView,
      foreignTableIsView: r.tableIsView,
    });
  }
  return out;
}

/** Edit distance, kept for callers that want it. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}
