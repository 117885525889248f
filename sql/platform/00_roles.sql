-- Local platform: roles and schema privileges as Supabase sets them.
-- Applied by the stack to local engines only (PGlite, native Postgres), never pushed to Supabase,
-- where these objects already exist. Every statement here is idempotent: the stack re-applies the
-- platform on every start.

do $$
declare
  r record;
begin
  for r in
    select *
    from (values
      ('anon', 'nologin noinherit'),
      ('authenticated', 'nologin noinherit'),
      ('service_role', 'nologin noinherit bypassrls'),
      ('authenticator', 'login noinherit'),
      ('supabase_admin', 'nologin'),
      ('supabase_auth_admin', 'nologin noinherit'),
      ('supabase_storage_admin', 'nologin noinherit'),
      ('supabase_realtime_admin', 'nologin noinherit'),
      ('dashboard_user', 'nologin')
    ) as roles (name, options)
  loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = r.name) then
      execute format('create role %I %s', r.name, r.options);
    end if;
  end loop;
end
$$;

-- PostgREST logs in as authenticator and switches to the role named in the JWT.
grant anon, authenticated, service_role to authenticator;
-- Supabase's postgres role can act as the API roles (tests and SQL editors rely on it).
grant anon, authenticated, service_role to postgres;

-- Statement timeouts Supabase gives the API roles; the local gateway applies them per request.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';

-- The search path Supabase gives its roles: extensions live in their own schema.
alter role postgres set search_path = "$user", public, extensions;
alter role authenticator set search_path = "$user", public, extensions;

-- public: usable by the API roles; new objects made by postgres are granted to them by default,
-- exactly as on a Supabase project (migrations then revoke what they do not want exposed).
grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
