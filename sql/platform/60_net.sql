-- Local platform: a stand-in of pg_net, the asynchronous HTTP client Supabase projects have
-- (https://github.com/supabase/pg_net), with its SQL surface: net.http_get, net.http_post and
-- net.http_delete queue a request in net.http_request_queue and return its id at once; a worker
-- performs it after the transaction commits and stores the answer in net._http_response (kept six
-- hours, as pg_net's default ttl). pg_net's worker is a background process of Postgres; here the
-- local stack performs the requests (stack/db/net-worker.ts), woken by NOTIFY parley_net.
-- Applied to local engines only (never pushed: a project enables the real extension).

create schema if not exists net;
grant usage on schema net to postgres, service_role;

do $$
begin
  if to_regtype('net.request_status') is null then
    create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
  end if;
  if to_regtype('net.http_response') is null then
    create type net.http_response as (status_code integer, headers jsonb, body text);
  end if;
  if to_regtype('net.http_response_result') is null then
    create type net.http_response_result as (status net.request_status, message text, response net.http_response);
  end if;
end
$$;

create table if not exists net.http_request_queue (
  id bigserial,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);
create index if not exists http_request_queue_id_idx on net.http_request_queue (id);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);
create index if not exists _http_response_id_idx on net._http_response (id);

-- The stack's worker is woken when requests are queued (it also looks every second).
create or replace function net._notify_worker()
returns trigger
language plpgsql
as $$
begin
  perform pg_notify('parley_net', '');
  return null;
end
$$;
drop trigger if exists notify_worker on net.http_request_queue;
create trigger notify_worker
  after insert on net.http_request_queue
  for each statement execute function net._notify_worker();

-- url with the params (a JSON object of strings) appended, percent-encoded.
create or replace function net._url_with_params(url text, params jsonb)
returns text
language plpgsql
immutable
as $$
declare
  query text;
begin
  select string_agg(net._urlencode(p.key) || '=' || net._urlencode(p.value), '&') into query
  from jsonb_each_text(coalesce(params, '{}')) p;
  if query is null then
    return url;
  end if;
  return url || case when position('?' in url) > 0 then '&' else '?' end || query;
end
$$;

create or replace function net._urlencode(value text)
returns text
language sql
immutable
as $$
  select coalesce(string_agg(case when b ~ '^[A-Za-z0-9_.~-]$' then b else
    (select string_agg('%' || upper(lpad(to_hex(get_byte(convert_to(b, 'UTF8'), i)), 2, '0')), '')
     from generate_series(0, octet_length(convert_to(b, 'UTF8')) - 1) i) end, '' order by n), '')
  from regexp_split_to_table(value, '') with ordinality c(b, n)
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
volatile
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._url_with_params(url, params), coalesce(headers, '{}'), timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
volatile
as $$
declare
  request_id bigint;
  content_type text;
begin
  select h.value into content_type from jsonb_each_text(coalesce(headers, '{}')) h
  where lower(h.key) = 'content-type' limit 1;
  if content_type is null then
    headers := coalesce(headers, '{}') || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  if body is null then
    raise exception 'body must not be null';
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._url_with_params(url, params), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
volatile
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('DELETE', net._url_with_params(url, params), coalesce(headers, '{}'), timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

-- A request's answer: PENDING until the worker stored it.
create or replace function net._http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result
language plpgsql
volatile
as $$
declare
  rec net._http_response;
begin
  if not async then
    raise exception 'net._http_collect_response: only async collection is supported locally';
  end if;
  select r.* into rec from net._http_response r where r.id = request_id order by r.created desc limit 1;
  if rec.id is null then
    return ('PENDING', 'request not found or still pending', null)::net.http_response_result;
  end if;
  if rec.error_msg is not null then
    return ('ERROR', rec.error_msg, null)::net.http_response_result;
  end if;
  return ('SUCCESS', 'ok', (rec.status_code, rec.headers, rec.content)::net.http_response)::net.http_response_result;
end
$$;

revoke all on all tables in schema net from public, anon, authenticated;
revoke all on all functions in schema net from public, anon, authenticated;
grant select, insert, update, delete on all tables in schema net to postgres, service_role;
grant usage on all sequences in schema net to postgres, service_role;
grant execute on all functions in schema net to postgres, service_role;
