/**
 * A schema fingerprint: the structure of a database as normalised text lines, read from the
 * catalogs with queries that run on native Postgres 15+ and on PGlite (pg_dump 15 cannot dump
 * PGlite's Postgres 18). Two databases built the same way have the same fingerprint; anything
 * that differs (a grant, a column privilege, a comment, a policy, a trigger, a function's body or
 * settings, a default privilege, a publication member, a row of reference data) is a line that
 * differs. Names only, never OIDs; ACLs are sorted and a NULL ACL is read as its default.
 *
 * Everything outside the system schemas is covered, the platform schemas (auth, storage, realtime…)
 * included: both sides get the same sql/platform/, so what differs there is Parley's (its trigger
 * on auth.users, its policy on realtime.messages). Left out: objects that belong to extensions,
 * and supabase_migrations (the CLI's bookkeeping of applied migrations).
 */
import type { Db } from "../db/client.ts";

/**
 * Reference data: rows the schema files insert and the migrations must insert too. db:diff turns
 * their differences into insert/update/delete statements; the drift check compares them.
 * `key` identifies a row; `ignore` lists columns whose values are generated (ids, times).
 */
export interface ReferenceTable {
  table: string;
  where?: string;
  key: string[];
  ignore?: string[];
  /**
   * Written as one upsert (`insert … on conflict (key) do update`) rather than inserts and updates:
   * for rows a project may already have (Storage buckets made from the dashboard).
   */
  upsert?: boolean;
}

export const REFERENCE_TABLES: readonly ReferenceTable[] = [
  { table: "public.agents", where: "owner_id is null", key: ["name"], ignore: ["id", "created_at", "updated_at"] },
  { table: "public.model_prices", key: ["model", "effective_from"] },
  { table: "private.scheduled_jobs", key: ["name"] },
  { table: "public.themes", key: ["name"], ignore: ["id", "created_at"] },
  { table: "storage.buckets", key: ["id"], ignore: ["created_at", "updated_at"], upsert: true },
  { table: "public.plans", key: ["plan"] },
  { table: "public.plan_limits", key: ["plan", "kind"] },
  { table: "public.usage_prices", key: ["kind", "model", "effective_from"] },
  { table: "public.embedding_models", key: ["name"], ignore: ["created_at"] },
  { table: "public.prompts", key: ["name"], ignore: ["created_by", "created_at", "updated_at"] },
  { table: "public.prompt_versions", key: ["prompt_name", "version"], ignore: ["id", "created_by", "created_at"] },
  {
    table: "public.prompt_labels",
    where: "label = 'production'",
    key: ["prompt_name", "label", "variant"],
    ignore: ["moved_by", "moved_at"],
  },
];

/** kind + name → detail, e.g. "function private.now()" → its definition, owner and ACL. */
export type Fingerprint = Map<string, string>;

const EXCLUDED_SCHEMAS = ["pg_catalog", "information_schema", "pg_toast", "supabase_migrations"];

/** The namespaces fingerprinted: not system, not temporary, not an extension's. */
const NAMESPACES = `
  select n.oid, n.nspname from pg_catalog.pg_namespace n
  where n.nspname <> all ($1::text[])
    and n.nspname !~ '^pg_(temp|toast_temp)_'
    and not exists (select 1 from pg_catalog.pg_depend d
      where d.classid = 'pg_catalog.pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')`;

/** An object that belongs to an extension (created by CREATE EXTENSION). */
const member = (catalog: string, oid: string) =>
  `exists (select 1 from pg_catalog.pg_depend ext
    where ext.classid = '${catalog}'::regclass and ext.objid = ${oid} and ext.deptype = 'e')`;

/** An ACL as sorted grantee:privilege:grantor items; null stands for the default ACL. */
const acl = (expr: string) =>
  `(select coalesce(pg_catalog.string_agg(x.item, ' ' order by x.item), '')
    from (select pg_catalog.format('%s:%s%s:%s',
        case when a.grantee = 0 then 'PUBLIC' else pg_catalog.pg_get_userbyid(a.grantee) end,
        a.privilege_type, case when a.is_grantable then '+grant' else '' end,
        pg_catalog.pg_get_userbyid(a.grantor)) as item
      from pg_catalog.aclexplode(nullif(${expr}, '{}')) a) x)`;

const QUERIES: Record<string, string> = {
  schema: `
    select n.nspname as name, pg_catalog.concat_ws(' | ', 'owner=' || pg_catalog.pg_get_userbyid(s.nspowner),
      'acl=' || ${acl("coalesce(s.nspacl, pg_catalog.acldefault('n'::\"char\", s.nspowner))")}) as detail
    from ns n join pg_catalog.pg_namespace s on s.oid = n.oid`,

  relation: `
    select pg_catalog.format('%I.%I', n.nspname, c.relname) as name, pg_catalog.concat_ws(' | ',
      'kind=' || c.relkind::text, 'owner=' || pg_catalog.pg_get_userbyid(c.relowner),
      'rls=' || c.relrowsecurity, 'force_rls=' || c.relforcerowsecurity,
      'options=' || coalesce(pg_catalog.array_to_string(c.reloptions, ','), ''),
      'persistence=' || c.relpersistence::text, 'replica_identity=' || c.relreplident::text,
      'acl=' || ${
    acl(
      "coalesce(c.relacl, pg_catalog.acldefault((case when c.relkind = 'S' then 's' else 'r' end)::\"char\", c.relowner))",
    )
  },
      case when c.relkind in ('v', 'm') then 'definition=' || pg_catalog.pg_get_viewdef(c.oid) end,
      case when c.relkind = 'p' then 'partition_key=' || pg_catalog.pg_get_partkeydef(c.oid) end,
      case when c.relispartition then 'partition_of=' || (select i.inhparent::regclass::text from pg_catalog.pg_inherits i
        where i.inhrelid = c.oid) || ' ' || pg_catalog.pg_get_expr(c.relpartbound, c.oid) end) as detail
    from pg_catalog.pg_class c join ns n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and not ${member("pg_catalog.pg_class", "c.oid")}`,

  column: `
    select pg_catalog.format('%I.%I.%I', n.nspname, c.relname, a.attname) as name, pg_catalog.concat_ws(' | ',
      'position=' || pg_catalog.row_number() over (partition by c.oid order by a.attnum),
      'type=' || pg_catalog.format_type(a.atttypid, a.atttypmod), 'not_null=' || a.attnotnull,
      'default=' || coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''),
      'identity=' || a.attidentity::text, 'generated=' || a.attgenerated::text,
      'collation=' || coalesce((select co.collname from pg_catalog.pg_collation co
        where co.oid = a.attcollation and a.attcollation <> t.typcollation), ''),
      'acl=' || ${acl("a.attacl")}) as detail
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    join ns n on n.oid = c.relnamespace
    join pg_catalog.pg_type t on t.oid = a.atttypid
    left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f', 'c')
      and not ${member("pg_catalog.pg_class", "c.oid")}
      and not (c.relkind = 'c' and ${member("pg_catalog.pg_type", "c.reltype")})`,

  constraint: `
    select pg_catalog.format('%I.%I.%I', n.nspname, coalesce(r.relname, t.typname), co.conname) as name,
      pg_catalog.concat_ws(' | ', 'definition=' || pg_catalog.pg_get_constraintdef(co.oid),
        'deferrable=' || co.condeferrable, 'deferred=' || co.condeferred, 'validated=' || co.convalidated) as detail
    from pg_catalog.pg_constraint co
    join ns n on n.oid = co.connamespace
    left join pg_catalog.pg_class r on r.oid = co.conrelid
    left join pg_catalog.pg_type t on t.oid = co.contypid
    -- not-null constraints (Postgres 18 lists them here) are the columns' not_null
    where co.contype <> 'n'
      and not coalesce(${member("pg_catalog.pg_class", "r.oid")}, false)
      and not coalesce(${member("pg_catalog.pg_type", "t.oid")}, false)`,

  index: `
    select pg_catalog.format('%I.%I', n.nspname, c.relname) as name, pg_catalog.pg_get_indexdef(c.oid) as detail
    from pg_catalog.pg_class c join ns n on n.oid = c.relnamespace
    join pg_catalog.pg_index i on i.indexrelid = c.oid
    where c.relkind in ('i', 'I') and not ${member("pg_catalog.pg_class", "i.indrelid")}`,

  function: `
    select pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) as name,
      pg_catalog.concat_ws(' | ', 'owner=' || pg_catalog.pg_get_userbyid(p.proowner),
        'acl=' || ${acl("coalesce(p.proacl, pg_catalog.acldefault('f'::\"char\", p.proowner))")},
        'definition=' || case when p.prokind = 'a' then 'aggregate' else pg_catalog.pg_get_functiondef(p.oid) end) as detail
    from pg_catalog.pg_proc p join ns n on n.oid = p.pronamespace
    where not ${member("pg_catalog.pg_proc", "p.oid")}`,

  trigger: `
    select pg_catalog.format('%I.%I.%I', n.nspname, c.relname, t.tgname) as name,
      pg_catalog.pg_get_triggerdef(t.oid) || ' | enabled=' || t.tgenabled::text as detail
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    join ns n on n.oid = c.relnamespace
    where not t.tgisinternal and not ${member("pg_catalog.pg_trigger", "t.oid")}`,

  policy: `
    select pg_catalog.format('%I.%I.%I', n.nspname, c.relname, p.polname) as name, pg_catalog.concat_ws(' | ',
      'command=' || p.polcmd::text, 'permissive=' || p.polpermissive,
      'roles=' || (select pg_catalog.string_agg(case when r = 0 then 'PUBLIC' else pg_catalog.pg_get_userbyid(r) end, ','
        order by 1) from pg_catalog.unnest(p.polroles) r),
      'using=' || coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ''),
      'with_check=' || coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')) as detail
    from pg_catalog.pg_policy p
    join pg_catalog.pg_class c on c.oid = p.polrelid
    join ns n on n.oid = c.relnamespace`,

  type: `
    select pg_catalog.format('%I.%I', n.nspname, t.typname) as name, pg_catalog.concat_ws(' | ',
      'kind=' || t.typtype::text, 'owner=' || pg_catalog.pg_get_userbyid(t.typowner),
      'acl=' || ${acl("coalesce(t.typacl, pg_catalog.acldefault('T'::\"char\", t.typowner))")},
      case when t.typtype = 'd' then 'base=' || pg_catalog.format_type(t.typbasetype, t.typtypmod)
        || ' not_null=' || t.typnotnull || ' default=' || coalesce(t.typdefault, '') end,
      case when t.typtype = 'e' then 'labels=' || (select pg_catalog.string_agg(e.enumlabel, ',' order by e.enumsortorder)
        from pg_catalog.pg_enum e where e.enumtypid = t.oid) end) as detail
    from pg_catalog.pg_type t join ns n on n.oid = t.typnamespace
    where (t.typtype in ('d', 'e', 'r', 'm')
        or (t.typtype = 'c' and (select c.relkind from pg_catalog.pg_class c where c.oid = t.typrelid) = 'c'))
      and not ${member("pg_catalog.pg_type", "t.oid")}`,

  rule: `
    select pg_catalog.format('%I.%I.%I', n.nspname, c.relname, r.rulename) as name,
      pg_catalog.pg_get_ruledef(r.oid) || ' | enabled=' || r.ev_enabled::text as detail
    from pg_catalog.pg_rewrite r
    join pg_catalog.pg_class c on c.oid = r.ev_class
    join ns n on n.oid = c.relnamespace
    where r.rulename <> '_RETURN' and not ${member("pg_catalog.pg_rewrite", "r.oid")}`,

  statistics: `
    select pg_catalog.format('%I.%I', n.nspname, s.stxname) as name, pg_catalog.pg_get_statisticsobjdef(s.oid) as detail
    from pg_catalog.pg_statistic_ext s join ns n on n.oid = s.stxnamespace`,

  sequence: `
    select pg_catalog.format('%I.%I', n.nspname, c.relname) as name, pg_catalog.concat_ws(' | ',
      'type=' || pg_catalog.format_type(s.seqtypid, null), 'start=' || s.seqstart, 'increment=' || s.seqincrement,
      'min=' || s.seqmin, 'max=' || s.seqmax, 'cache=' || s.seqcache, 'cycle=' || s.seqcycle) as detail
    from pg_catalog.pg_sequence s
    join pg_catalog.pg_class c on c.oid = s.seqrelid
    join ns n on n.oid = c.relnamespace
    where not ${member("pg_catalog.pg_class", "c.oid")}`,

  publication: `
    select p.pubname as name, pg_catalog.concat_ws(' | ', 'owner=' || pg_catalog.pg_get_userbyid(p.pubowner),
      'all_tables=' || p.puballtables,
      'operations=' || pg_catalog.concat_ws(',', case when p.pubinsert then 'insert' end,
        case when p.pubupdate then 'update' end, case when p.pubdelete then 'delete' end,
        case when p.pubtruncate then 'truncate' end),
      'via_root=' || p.pubviaroot) as detail
    from pg_catalog.pg_publication p`,

  publication_table: `
    select pg_catalog.format('%s %I.%I', p.pubname, n.nspname, c.relname) as name,
      pg_catalog.concat_ws(' | ', 'where=' || coalesce(pg_catalog.pg_get_expr(r.prqual, r.prrelid), ''),
        'columns=' || coalesce(r.prattrs::text, '')) as detail
    from pg_catalog.pg_publication_rel r
    join pg_catalog.pg_publication p on p.oid = r.prpubid
    join pg_catalog.pg_class c on c.oid = r.prrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace`,

  publication_schema: `
    select pg_catalog.format('%s %I', p.pubname, n.nspname) as name, '' as detail
    from pg_catalog.pg_publication_namespace r
    join pg_catalog.pg_publication p on p.oid = r.pnpubid
    join pg_catalog.pg_namespace n on n.oid = r.pnnspid`,

  default_privileges: `
    select pg_catalog.format('for role %s in schema %s on %s', pg_catalog.pg_get_userbyid(d.defaclrole),
      coalesce(n.nspname, '*'), d.defaclobjtype::text) as name, ${acl("d.defaclacl")} as detail
    from pg_catalog.pg_default_acl d left join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace`,

  extension: `
    select e.extname as name, 'version=' || e.extversion || ' | schema=' || n.nspname as detail
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace`,

  event_trigger: `
    select e.evtname as name, pg_catalog.concat_ws(' | ', 'event=' || e.evtevent,
      'function=' || e.evtfoid::regprocedure::text, 'enabled=' || e.evtenabled::text,
      'tags=' || coalesce(pg_catalog.array_to_string(e.evttags, ','), '')) as detail
    from pg_catalog.pg_event_trigger e
    where not ${member("pg_catalog.pg_event_trigger", "e.oid")}`,

  comment: `
    select o.type || ' ' || o.identity as name, d.description as detail
    from pg_catalog.pg_description d
    cross join lateral pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) o
    where (o.schema is null or o.schema in (select ns.nspname from ns))
      and (o.type <> 'schema' or o.identity in (select pg_catalog.quote_ident(ns.nspname) from ns))
      and o.type not in ('language', 'extension', 'access method', 'foreign-data wrapper', 'cast')
      and not exists (select 1 from pg_catalog.pg_depend e
        where e.classid = d.classoid and e.objid = d.objoid and e.deptype = 'e')
      and not exists (select 1 from pg_catalog.pg_depend e
        where d.classoid = 'pg_catalog.pg_class'::regclass and e.classid = 'pg_catalog.pg_class'::regclass
          and e.objid = d.objoid and e.deptype = 'i'
          and e.refobjid in (select x.objid from pg_catalog.pg_depend x where x.deptype = 'e'))`,
};

/** Reads the fingerprint of the database `db` is connected to, in a transaction of its own. */
export function schemaFingerprint(
  db: Db,
  referenceTables: readonly ReferenceTable[] = REFERENCE_TABLES,
): Promise<Fingerprint> {
  return db.transaction((tx) => readFingerprint(tx, referenceTables));
}

/** Reads the fingerprint inside the caller's transaction (it sets a transaction-local search_path). */
export async function readFingerprint(
  tx: Db,
  referenceTables: readonly ReferenceTable[] = REFERENCE_TABLES,
): Promise<Fingerprint> {
  const result: Fingerprint = new Map();
  // names in definitions come out schema-qualified whatever the session's search path
  await tx.exec("set local search_path = ''");
  for (const [kind, query] of Object.entries(QUERIES)) {
    const rows = await tx.query<{ name: string; detail: string | null }>(
      `with ns as (${NAMESPACES}) ${query}`,
      [EXCLUDED_SCHEMAS],
    ).catch((e) => {
      throw new Error(`schema fingerprint (${kind}): ${e.message}`);
    });
    for (const row of rows) result.set(`${kind} ${row.name}`, row.detail ?? "");
  }
  for (const ref of referenceTables) {
    for (const [key, value] of await referenceRows(tx, ref)) result.set(`row ${ref.table} ${key}`, value);
  }
  return result;
}

/** A reference table's rows, by key: its columns but the ignored ones, as JSON text. */
export async function referenceRows(db: Db, ref: ReferenceTable): Promise<Map<string, string>> {
  const [exists] = await db.query<{ ok: boolean }>("select pg_catalog.to_regclass($1) is not null as ok", [ref.table]);
  const rows = new Map<string, string>();
  if (!exists.ok) return rows;
  const ignore = (ref.ignore ?? []).map((c) => ` - '${c}'`).join("");
  const key = ref.key.map((c) => `pg_catalog.format('%s=%s', '${c}', t.${c})`).join(", ");
  const found = await db.query<{ key: string; value: string }>(
    `select pg_catalog.concat_ws(',', ${key}) as key, (pg_catalog.to_jsonb(t)${ignore})::text as value
     from ${ref.table} t ${ref.where ? `where ${ref.where}` : ""}`,
  );
  for (const row of found) rows.set(row.key, row.value);
  return rows;
}

/** What differs between two fingerprints, one line each, in name order; empty when they match. */
export function compareFingerprints(a: Fingerprint, b: Fingerprint, labels = ["a", "b"]): string[] {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const problems: string[] = [];
  for (const name of names) {
    const left = a.get(name);
    const right = b.get(name);
    if (left === right) continue;
    if (left === undefined) problems.push(`${name}: only in ${labels[1]}`);
    else if (right === undefined) problems.push(`${name}: only in ${labels[0]}`);
    else {problems.push(
        `${name}: differs\n  ${labels[0]}: ${describe(left, right)}\n  ${labels[1]}: ${describe(right, left)}`,
      );}
  }
  return problems;
}

/** The part of a detail that differs from the other's (its fields, or a window of its text). */
function describe(text: string, other: string): string {
  const fields = text.split(" | ");
  const otherFields = new Set(other.split(" | "));
  const differing = fields.filter((f) => !otherFields.has(f));
  const shown = differing.length ? differing.join(" | ") : text;
  if (shown.length <= 300) return shown;
  let start = 0;
  while (start < shown.length && start < other.length && shown[start] === other[start]) start++;
  const from = Math.max(0, start - 80);
  return `${from > 0 ? "…" : ""}${shown.slice(from, from + 300)}${from + 300 < shown.length ? "…" : ""}`;
}
