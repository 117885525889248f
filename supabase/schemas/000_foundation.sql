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
