-- Foundation: deny-by-default function execution, the private schema, Parley's clock, and the
-- validation helpers every RPC uses.

-- Functions are executable by nobody until granted, one by one, right after they are created:
-- the first statement removes Postgres's EXECUTE for PUBLIC, the second the grants Supabase adds
-- for the API roles in public.
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated, service_role;

-- private: helpers, trigger functions and internals, never served by PostgREST. The API roles get
-- USAGE because policies and security invoker RPCs call helpers here as them; no table here is
-- granted.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;
comment on schema private is 'Parley internals: helpers, trigger functions, queues. Not exposed through the API.';

-- Parley's clock: what every expiry, TTL and window compares with, so tests can freeze time
-- (tests.freeze_time()); outside tests it is now().
create function private.now()
returns timestamptz
language sql stable
set search_path = ''
as $$
  select coalesce(nullif(pg_catalog.current_setting('parley.frozen_now', true), '')::timestamptz, pg_catalog.now())
$$;
comment on function private.now() is 'The current time (now()), unless a test froze it with tests.freeze_time().';
grant execute on function private.now() to anon, authenticated, service_role;

-- Generic trigger: keeps updated_at true on every update.
create function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;

-- Raises a clear invalid-parameter error (SQLSTATE 22023, HTTP 400 through PostgREST).
create function private.invalid_parameter(message text, hint text default null)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception using errcode = '22023', message = message, hint = coalesce(hint, '');
end
$$;
grant execute on function private.invalid_parameter(text, text) to anon, authenticated, service_role;

-- The error for something that does not exist or that the caller may not see (the same answer, so
-- ids reveal nothing): PT404 "<kind> not found" (404 through PostgREST), with the usual hint for
-- the kind unless one is given. One place for every RPC's "not found".
create function private.not_found(kind text, hint text default null)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  raise exception '% not found', kind using errcode = 'PT404', hint = coalesce(not_found.hint, case
    when kind = 'chat' then 'The chat does not exist or you are not a member of it.'
    when kind = 'artifact' then 'The artifact does not exist or you cannot see it.'
    when kind = 'project' then 'The project does not exist or is not yours.'
    when kind = 'message' then 'The message does not exist or you are not a member of its chat.'
    when kind = 'profile' then 'Sign in first: every signed-in user has a profile.'
    when kind = 'shared chat' then 'The link is wrong, has expired or was revoked.'
    when kind in ('entry', 'entity', 'goal', 'habit', 'tracker', 'timer', 'view', 'document', 'dream')
      then pg_catalog.format('The %s does not exist or is not yours.', kind)
    else pg_catalog.format('The %s does not exist or you cannot see it.', kind)
  end);
end
$$;
comment on function private.not_found(text, text) is
  'Raises PT404 "<kind> not found" with the usual hint for the kind (or the one given).';
grant execute on function private.not_found(text, text) to anon, authenticated, service_role;

-- A single-line label: trimmed, 1..max characters, no control characters. Returns the trimmed
-- value (null stays null, '' becomes null when empty_is_null).
create function private.clean_label(value text, name text, max_length integer, empty_is_null boolean default false)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  cleaned text := pg_catalog.btrim(value);
begin
  if cleaned is null then
    return null;
  end if;
  if cleaned = '' and empty_is_null then
    return null;
  end if;
  if pg_catalog.char_length(cleaned) not between 1 and max_length or cleaned ~ '[[:cntrl:]]' then
    perform private.invalid_parameter(
      pg_catalog.format('%s must be 1 to %s characters without control characters', name, max_length));
  end if;
  return cleaned;
end
$$;
grant execute on function private.clean_label(text, text, integer, boolean) to authenticated, service_role;

-- A JSON object argument of at most 16 kB.
create function private.check_json_object(value jsonb, name text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if value is not null and (pg_catalog.jsonb_typeof(value) <> 'object' or pg_catalog.pg_column_size(value) > 16384) then
    perform private.invalid_parameter(pg_catalog.format('%s must be a JSON object of at most 16 kB', name));
  end if;
end
$$;
grant execute on function private.check_json_object(jsonb, text) to authenticated, service_role;

-- Whether the current writer is trusted with billing facts: not a user's session (the API roles
-- anon and authenticated, by the role in force and by the JWT's claim). The service role and
-- direct database connections (servers, migrations, tests) are.
create function private.is_trusted_writer()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return pg_catalog.current_setting('role') not in ('anon', 'authenticated')
    and coalesce(auth.role(), '') not in ('anon', 'authenticated');
end
$$;
comment on function private.is_trusted_writer() is
  'Whether the current writer is trusted with billing facts: the service role or a direct database connection, '
  'not a user''s session (anon, authenticated).';
grant execute on function private.is_trusted_writer() to anon, authenticated, service_role;

-- Whether the request runs as the service role (its JWT and the role in force).
create function private.is_service_role()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return pg_catalog.current_setting('role') = 'service_role' and auth.role() = 'service_role';
end
$$;
comment on function private.is_service_role() is 'Whether the request runs as the service role.';
grant execute on function private.is_service_role() to anon, authenticated, service_role;
