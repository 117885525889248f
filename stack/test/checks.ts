/**
 * Schema checks the test runner applies to every engine, and the generated-types check.
 * - every table in public has row level security enabled;
 * - every view in public runs with the caller's rights (security_invoker);
 * - every security definer function outside the platform schemas pins its search_path;
 * - anon can execute no function in public except the deliberately public RPCs below;
 * - every function in public that an API role can execute (an RPC) is documented with a comment.
 */
import type { Db } from "../db/client.ts";
import { join } from "node:path";
import { BIN, ROOT } from "../paths.ts";
import { supabase } from "../cli/supabase-cli.ts";

/** RPCs anon may call on purpose (e.g. reading a chat through a share token). Keep it short. */
export const PUBLIC_RPCS: readonly string[] = ["get_shared_chat"];

const PLATFORM_SCHEMAS = [
  "pg_catalog",
  "information_schema",
  "pg_toast",
  "auth",
  "storage",
  "realtime",
  "extensions",
  "cron",
  "vault",
  "graphql",
  "graphql_public",
  "supabase_migrations",
  "pgbouncer",
];

export async function schemaViolations(db: Db): Promise<string[]> {
  const rows = await db.query<{ problem: string }>(
    `
    select format('table public.%I has row level security disabled', c.relname) as problem
    from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity
    union all
    select format('view public.%I does not run with security_invoker', c.relname)
    from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')
      and not coalesce(c.reloptions @> array['security_invoker=true'] or c.reloptions @> array['security_invoker=on'], false)
      and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
    union all
    select format('security definer function %s has no fixed search_path', p.oid::regprocedure)
    from pg_proc p
    where p.prosecdef
      and p.pronamespace::regnamespace::text <> all ($1::text[])
      and p.pronamespace::regnamespace::text not like 'pg\\_%'
      and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
      and not coalesce(exists (select 1 from unnest(p.proconfig) s where s like 'search\\_path=%'), false)
    union all
    select format('anon can execute public.%s, which is not a deliberately public RPC', p.oid::regprocedure)
    from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and has_function_privilege('anon', p.oid, 'execute')
      and p.proname <> all ($2::text[])
      and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
    union all
    select format('RPC public.%s has no comment (document it with comment on function)', p.oid::regprocedure)
    from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute')
        or has_function_privilege('service_role', p.oid, 'execute'))
      and coalesce(obj_description(p.oid, 'pg_proc'), '') = ''
      and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
    order by 1
    `,
    [PLATFORM_SCHEMAS, PUBLIC_RPCS],
  );
  return rows.map((r) => r.problem);
}

export const TYPES_FILE = join(ROOT, "types", "database.types.ts");

/** What `supabase gen types typescript --schema public` produces now, formatted by deno fmt. */
export async function generateTypes(url: string): Promise<string> {
  const result = await supabase(["gen", "types", "typescript", `--remote=${url}`, "--schema", "public"]);
  if (!result.ok) throw new Error(`supabase gen types failed:\n${result.stderr}`);
  const fmt = new Deno.Command(join(BIN, "deno"), {
    args: ["fmt", "--ext", "ts", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(result.stdout));
  await writer.close();
  const out = await fmt.output();
  if (!out.success) throw new Error(`deno fmt failed:\n${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** Supabase's security and performance advisors; returns the warnings (and errors) they report. */
export async function advisorWarnings(url: string): Promise<string[]> {
  const result = await supabase(["db", "advisors", `--remote=${url}`, "--level", "warn", "--fail-on", "warn"]);
  const report = `${result.stdout}\n${result.stderr}`;
  if (result.ok && /No issues found/.test(report)) return [];
  return [report.replace(/^Target: .*\n/m, "").trim()];
}

/**
 * `supabase db lint` (plpgsql_check over every plpgsql function of public and private); returns
 * the errors it reports. Native engine only: PGlite has no plpgsql_check.
 */
export async function lintErrors(db: Db, url: string): Promise<string[]> {
  await db.exec("create extension if not exists plpgsql_check");
  const result = await supabase([
    "db",
    "lint",
    `--remote=${url}`,
    "--schema",
    "public,private",
    "--level",
    "error",
    "--fail-on",
    "error",
  ]);
  if (result.ok) return [];
  return [`${result.stdout}\n${result.stderr}`.replace(/^Target: .*\n/m, "").trim()];
}
