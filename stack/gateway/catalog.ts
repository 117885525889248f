/**
 * PostgREST's schema cache, for RPC: the functions of the exposed schemas read from pg_proc
 * (argument names, types and defaults, volatility, return type: void, scalar or composite, set or
 * single), and the roles the gateway may switch to with their settings (statement_timeout…).
 *
 * It is loaded once, refreshed when a function is not found (one refresh at a time, shared by the
 * requests that wait for it) and on `NOTIFY pgrst, 'reload schema'`, as PostgREST does.
 */
import type { Db } from "../db/client.ts";

export interface RpcParam {
  name: string;
  /** The type as `format_type` spells it, schema-qualified where needed. */
  type: string;
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
  volatility: "immutable" | "stable" | "volatile";
  /** The type of the single unnamed json/jsonb parameter that receives the whole body, if any. */
  bodyParam: "json" | "jsonb" | null;
  /** `schema.name(arg types)`, for messages. */
  signature: string;
}

export interface RoleInfo {
  /** Role settings (`alter role … set`), applied per request with set_config(…, true). */
  settings: [string, string][];
}

/** What carries the arguments: named ones (query string, form, JSON object), or a JSON body that is not an object. */
export type ArgsKind = "named" | "json-object" | "json-other";

export type Resolution =
  | { fn: RpcFunction }
  | { error: "not_found" }
  | { error: "ambiguous"; candidates: RpcFunction[] };

interface FunctionRow {
  schema: string;
  name: string;
  volatility: string;
  setof: boolean;
  returns: "void" | "scalar" | "composite" | "uncallable";
  n_defaults: number;
  signature: string;
  args: ArgRow[] | string;
}

interface ArgRow {
  name: string;
  type: string;
  mode: string;
}

const FUNCTIONS_SQL = `
select n.nspname as schema, p.proname as name, p.provolatile::text as volatility,
  p.proretset as setof, p.pronargdefaults::int as n_defaults,
  pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) as signature,
  case
    when p.prorettype = 'pg_catalog.void'::pg_catalog.regtype then 'void'
    when t.typtype = 'c' then 'composite'
    when p.prorettype = 'pg_catalog.record'::pg_catalog.regtype then
      case when p.proargmodes is not null and p.proargmodes && array['o', 't', 'b']::"char"[] then 'composite'
      else 'uncallable' end
    when t.typtype = 'p' and t.typname in ('trigger', 'event_trigger', 'internal', 'language_handler',
      'fdw_handler', 'index_am_handler', 'tsm_handler', 'table_am_handler') then 'uncallable'
    else 'scalar'
  end as returns,
  coalesce((
    select pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', coalesce(p.proargnames[a.ord], ''),
      'type', pg_catalog.format_type(a.typ, null),
      'mode', coalesce(p.proargmodes[a.ord], 'i')) order by a.ord)
    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a(typ, ord)
  ), '[]') as args
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
join pg_catalog.pg_type t on t.oid = p.prorettype
where n.nspname in (select pg_catalog.jsonb_array_elements_text($1::text::jsonb)) and p.prokind = 'f'
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
)
select r.rolname as role,
  coalesce((select pg_catalog.array_agg(c order by s.setdatabase, o)
            from pg_catalog.pg_db_role_setting s, unnest(s.setconfig) with ordinality as u(c, o)
            where s.setrole = r.oid
              and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database()))),
           '{}') as settings
from api_roles r
`;

export class Catalog {
  private byName = new Map<string, RpcFunction[]>();
  private roles = new Map<string, RoleInfo>();
  private inflight: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  /** Bumped on every load, so callers can drop what they derived from an older catalog. */
  version = 0;

  constructor(
    private readonly db: Db,
    readonly schemas: string[],
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Loads now and follows `NOTIFY pgrst, 'reload schema'` from then on. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.db.listen) {
      this.unlisten = await this.db.listen("pgrst", (payload) => {
        if (payload === "" || payload === "reload schema") {
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
    return this.byName.get(`${schema}.${name}`) ?? [];
  }

  /** All function names of a schema (for "perhaps you meant" hints). */
  names(schema: string): string[] {
    return [...this.byName.values()].flat().filter((f) => f.schema === schema).map((f) => f.name);
  }

  /**
   * PostgREST's overload resolution by argument names: a function matches when every given name is
   * one of its parameters and every parameter without a default is given. A function whose only
   * parameter is an unnamed json/jsonb receives the whole JSON body instead; a JSON body that is not
   * an object can only go to such a function.
   */
  resolve(schema: string, name: string, keys: string[], kind: ArgsKind): Resolution {
    const given = new Set(keys);
    const matches = this.functions(schema, name).filter((fn) => {
      if (fn.bodyParam) return kind !== "named";
      if (kind === "json-other") return false;
      if (fn.params.some((p) => p.name === "")) return false;
      const names = new Set(fn.params.map((p) => p.name));
      for (const k of given) if (!names.has(k)) return false;
      return fn.params.every((p) => p.hasDefault || given.has(p.name));
    });
    if (matches.length === 1) return { fn: matches[0] };
    if (matches.length === 0) return { error: "not_found" };
    return { error: "ambiguous", candidates: matches };
  }

  private async load(): Promise<void> {
    const [functionRows, roleRows] = await Promise.all([
      this.db.query<FunctionRow>(FUNCTIONS_SQL, [JSON.stringify(this.schemas)]),
      this.db.query<{ role: string; settings: string[] | string }>(ROLES_SQL),
    ]);
    const byName = new Map<string, RpcFunction[]>();
    for (const row of functionRows) {
      const fn = toFunction(row);
      if (!fn) continue;
      const key = `${fn.schema}.${fn.name}`;
      byName.set(key, [...(byName.get(key) ?? []), fn]);
    }
    const roles = new Map<string, RoleInfo>();
    for (const row of roleRows) {
      const list = typeof row.settings === "string" ? parseTextArray(row.settings) : row.settings;
      const settings = new Map<string, string>();
      for (const item of list) {
        const eq = item.indexOf("=");
        if (eq > 0) settings.set(item.slice(0, eq), item.slice(eq + 1));
      }
      roles.set(row.role, { settings: [...settings] });
    }
    this.byName = byName;
    this.roles = roles;
    this.version++;
  }
}

function toFunction(row: FunctionRow): RpcFunction | null {
  if (row.returns === "uncallable") return null;
  const args: ArgRow[] = typeof row.args === "string" ? JSON.parse(row.args) : row.args;
  const inputs = args.filter((a) => a.mode === "i" || a.mode === "b" || a.mode === "v");
  const firstDefault = inputs.length - row.n_defaults;
  const params = inputs.map((a, i) => ({
    name: a.name,
    type: a.type,
    hasDefault: i >= firstDefault,
    variadic: a.mode === "v",
  }));
  const only = params.length === 1 ? params[0] : null;
  const bodyParam = only && only.name === "" && (only.type === "json" || only.type === "jsonb") ? only.type : null;
  return {
    schema: row.schema,
    name: row.name,
    params,
    returns: row.returns,
    setof: row.setof,
    volatility: row.volatility === "i" ? "immutable" : row.volatility === "s" ? "stable" : "volatile",
    bodyParam,
    signature: row.signature,
  };
}

/** `{a,"b c"}` → ["a", "b c"] (PGlite returns text[] parsed; this covers drivers that do not). */
function parseTextArray(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,{}]+)/g;
  for (const m of text.slice(1, -1).matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]);
  return out;
}

/** Edit distance, for "Perhaps you meant" hints. */
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
