-- Test helpers, installed by the test runner into test databases only (never a migration).
-- Identity helpers in the style of supabase-test-helpers: create users, act as one of them, as the
-- service role or as anon, and freeze Parley's clock (private.now()).

create extension if not exists pgtap with schema extensions;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

-- pgTAP's functions are called while acting as the API roles.
do $$
declare
  f regprocedure;
begin
  for f in
    select d.objid::regprocedure
    from pg_catalog.pg_depend d
    join pg_catalog.pg_extension e on e.oid = d.refobjid
    where e.extname = 'pgtap' and d.classid = 'pg_catalog.pg_proc'::regclass and d.deptype = 'e'
  loop
    execute format('grant execute on function %s to public', f);
  end loop;
end
$$;

-- Creates a confirmed email user known to the tests by `identifier`; returns its id.
create or replace function tests.create_user(identifier text, email text default null, metadata jsonb default '{}')
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  user_id uuid;
begin
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at
  ) values (
    '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
    coalesce(create_user.email, identifier || '@test.parley.local'), '', now(),
    '{"provider": "email", "providers": ["email"]}',
    jsonb_build_object('test_identifier', identifier) || coalesce(metadata, '{}'),
    now(), now()
  )
  returning id into user_id;
  return user_id;
end
$$;

create or replace function tests.get_user_id(identifier text)
returns uuid
language plpgsql stable security definer set search_path = ''
as $$
declare
  user_id uuid;
begin
  select u.id into user_id
  from auth.users u
  where u.raw_user_meta_data ->> 'test_identifier' = identifier;
  if user_id is null then
    raise exception 'tests.get_user_id: no test user %', identifier using errcode = 'P0002';
  end if;
  return user_id;
end
$$;

-- The claims Supabase Auth would issue for a test user.
create or replace function tests.user_claims(identifier text)
returns jsonb
language sql stable security definer set search_path = ''
as $$
  select jsonb_build_object(
    'sub', u.id, 'role', 'authenticated', 'aud', 'authenticated', 'email', u.email,
    'app_metadata', u.raw_app_meta_data, 'user_metadata', u.raw_user_meta_data,
    'session_id', gen_random_uuid(), 'is_anonymous', false
  )
  from auth.users u
  where u.id = tests.get_user_id(identifier)
$$;

-- Acts as the user for the rest of the transaction, as PostgREST would for their JWT.
create or replace function tests.authenticate_as(identifier text)
returns void
language plpgsql
as $$
declare
  claims jsonb := tests.user_claims(identifier);
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', claims::text, true);
end
$$;

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', '{"role": "service_role"}', true);
end
$$;

-- Acts as anon: a request that carries only the anon key.
create or replace function tests.clear_authentication()
returns void
language plpgsql
as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role": "anon"}', true);
end
$$;

-- Freezes private.now(), Parley's clock, at `frozen_time` for the rest of the transaction.
create or replace function tests.freeze_time(frozen_time timestamptz)
returns void
language plpgsql
as $$
begin
  perform set_config('parley.frozen_now', frozen_time::text, true);
end
$$;

create or replace function tests.unfreeze_time()
returns void
language plpgsql
as $$
begin
  perform set_config('parley.frozen_now', '', true);
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;
