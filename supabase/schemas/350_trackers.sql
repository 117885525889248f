-- Trackers: measurements a user logs over time (weight, mood, water, slept well…), each log a
-- value at an instant, summarised in buckets of local days, ISO weeks or months in the user's time
-- zone.

create table public.tracker_definitions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  name private.title_text not null,
  unit private.short_text,
  kind text not null
    constraint tracker_definitions_kind_check check (kind in ('numeric', 'boolean', 'scale')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.tracker_definitions is 'A user''s trackers: what is measured, its unit and kind.';
comment on column public.tracker_definitions.kind is
  'numeric (any number), boolean (0 or 1) or scale (a whole number from 1 to 10).';

create index tracker_definitions_user_id_created_at_idx on public.tracker_definitions (user_id, created_at, id);
create unique index tracker_definitions_user_id_client_id_key on public.tracker_definitions (user_id, client_id)
  where client_id is not null;

alter table public.tracker_definitions enable row level security;
revoke all on public.tracker_definitions from anon, authenticated, service_role;
grant select on public.tracker_definitions to authenticated;
grant insert (id, client_id, name, unit, kind) on public.tracker_definitions to authenticated;
grant update (client_id, name, unit, kind, deleted_at) on public.tracker_definitions to authenticated;
grant select, insert, update, delete on public.tracker_definitions to service_role;

create policy tracker_definitions_select_own on public.tracker_definitions
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy tracker_definitions_insert_own on public.tracker_definitions
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy tracker_definitions_update_own on public.tracker_definitions
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger tracker_definitions_100_set_updated_at
  before update on public.tracker_definitions
  for each row execute function private.set_updated_at();

-- RLS helper (security definer, as private.owns_entry): whether the caller owns the tracker.
create function private.owns_tracker(tracker_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.tracker_definitions t where t.id = owns_tracker.tracker_id and t.user_id = (select auth.uid())
  );
end
$$;
comment on function private.owns_tracker(uuid) is 'Whether the calling user owns the tracker.';
grant execute on function private.owns_tracker(uuid) to authenticated;

create table public.tracker_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  tracker_id uuid not null references public.tracker_definitions (id) on delete cascade,
  value numeric not null
    constraint tracker_logs_value_check check (value >= -1000000000000 and value <= 1000000000000),
  recorded_at timestamptz not null default now(),
  note text
    constraint tracker_logs_note_check check (char_length(note) <= 2000),
  client_id private.token_200,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.tracker_logs is 'Values of a tracker, each at an instant (recorded_at; log_tracker''s "at").';

create index tracker_logs_tracker_id_recorded_at_idx on public.tracker_logs (tracker_id, recorded_at);
create index tracker_logs_user_id_idx on public.tracker_logs (user_id);
create unique index tracker_logs_user_id_client_id_key on public.tracker_logs (user_id, client_id)
  where client_id is not null;

alter table public.tracker_logs enable row level security;
revoke all on public.tracker_logs from anon, authenticated, service_role;
grant select on public.tracker_logs to authenticated;
grant insert (id, tracker_id, value, recorded_at, note, client_id) on public.tracker_logs to authenticated;
grant update (value, recorded_at, note, deleted_at) on public.tracker_logs to authenticated;
grant select, insert, update, delete on public.tracker_logs to service_role;

create policy tracker_logs_select_own on public.tracker_logs
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy tracker_logs_insert_own on public.tracker_logs
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_tracker(tracker_id));

create policy tracker_logs_update_own on public.tracker_logs
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger tracker_logs_100_set_updated_at
  before update on public.tracker_logs
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- RPCs

create function public.upsert_tracker(
  id uuid default null,
  name text default null,
  unit text default null,
  kind text default null
)
returns public.tracker_definitions
language plpgsql
volatile
security invoker
set search_path = ''
as $$
-- the conflict target names columns that are also argument names
#variable_conflict use_column
declare
  clean_name text := pg_catalog.btrim(upsert_tracker.name);
  clean_unit text := nullif(pg_catalog.btrim(upsert_tracker.unit), '');
  tracker public.tracker_definitions;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to write trackers' using errcode = '42501';
  end if;
  if clean_name is null or char_length(clean_name) not between 1 and 200 or clean_name ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('name must be 1 to 200 characters without control characters');
  end if;
  if char_length(clean_unit) > 64 or clean_unit ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('unit must be at most 64 characters without control characters');
  end if;
  if upsert_tracker.kind is not null and upsert_tracker.kind not in ('numeric', 'boolean', 'scale') then
    perform private.invalid_parameter(pg_catalog.format('kind %L is not one of numeric, boolean, scale', upsert_tracker.kind));
  end if;

  if upsert_tracker.id is not null then
    select t.* into tracker from public.tracker_definitions t where t.id = upsert_tracker.id for no key update;
  end if;
  if tracker.id is null then
    if upsert_tracker.kind is null then
      perform private.invalid_parameter('kind is required: numeric, boolean or scale');
    end if;
    insert into public.tracker_definitions (id, name, unit, kind)
    values (coalesce(upsert_tracker.id, gen_random_uuid()), clean_name, clean_unit, upsert_tracker.kind)
    on conflict (id) do nothing
    returning * into tracker;
    if tracker.id is null then
      raise exception 'tracker id is taken' using errcode = 'PT409',
        hint = 'Another tracker has this id. Leave id out to create a tracker.';
    end if;
    return tracker;
  end if;
  update public.tracker_definitions t
  set name = clean_name, unit = clean_unit, kind = coalesce(upsert_tracker.kind, t.kind)
  where t.id = tracker.id
    and (t.name::text, t.unit::text, t.kind) is distinct from (clean_name, clean_unit, coalesce(upsert_tracker.kind, t.kind))
  returning * into tracker;
  if not found then
    select t.* into tracker from public.tracker_definitions t where t.id = upsert_tracker.id;
  end if;
  return tracker;
end
$$;
grant execute on function public.upsert_tracker(uuid, text, text, text) to authenticated;
comment on function public.upsert_tracker(uuid, text, text, text) is
  'Creates a tracker of the caller''s, or replaces it when id names one, and returns the tracker_definitions row. '
  'name: 1-200 characters; unit: <= 64 characters (omitted: none); kind: numeric, boolean (values 0 or 1) or scale '
  '(whole numbers 1 to 10), required for a new tracker and unchanged on update when omitted. A replay that changes '
  'nothing writes nothing. Errors: 22023 (400) naming the field; PT409 (409) id used by another user''s tracker; '
  'anon is denied (401).';

create function public.list_trackers()
returns setof public.tracker_definitions
language sql
stable
security invoker
set search_path = ''
as $$
  select t.* from public.tracker_definitions t
  where t.user_id = (select auth.uid()) and t.deleted_at is null
  order by t.created_at, t.id
$$;
grant execute on function public.list_trackers() to authenticated;
comment on function public.list_trackers() is
  'The caller''s trackers (tracker_definitions rows, deleted ones left out), oldest first. Anon is denied (401).';

-- A tracker's value for its kind: 22023 naming the rule. log_tracker and push_changes share it.
create function private.check_tracker_value(kind text, value numeric)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if value is null then
    perform private.invalid_parameter('value is required');
  elsif kind = 'boolean' and value not in (0, 1) then
    perform private.invalid_parameter('value must be 0 or 1 for a boolean tracker');
  elsif kind = 'scale' and (value not between 1 and 10 or value <> trunc(value)) then
    perform private.invalid_parameter('value must be a whole number from 1 to 10 for a scale tracker');
  elsif abs(value) > 1000000000000 then
    perform private.invalid_parameter('value must be between -10^12 and 10^12');
  end if;
end
$$;
grant execute on function private.check_tracker_value(text, numeric) to authenticated;

create function public.log_tracker(
  tracker_id uuid,
  value numeric,
  at timestamptz default null,
  note text default null,
  client_id text default null
)
returns public.tracker_logs
language plpgsql
volatile
security invoker
set search_path = ''
as $$
-- the conflict target names columns that are also argument names
#variable_conflict use_column
declare
  tracker public.tracker_definitions;
  log public.tracker_logs;
  clean_note text := nullif(pg_catalog.btrim(log_tracker.note), '');
begin
  select t.* into tracker from public.tracker_definitions t where t.id = log_tracker.tracker_id and t.deleted_at is null;
  if not found then
    perform private.not_found('tracker');
  end if;
  perform private.check_tracker_value(tracker.kind, log_tracker.value);
  if char_length(clean_note) > 2000 then
    perform private.invalid_parameter('note must be at most 2,000 characters');
  end if;
  perform private.check_token(log_tracker.client_id, 'client_id', 200);
  if log_tracker.client_id is not null then
    select l.* into log from public.tracker_logs l
    where l.user_id = tracker.user_id and l.client_id = log_tracker.client_id;
    if found then
      return log; -- a replay
    end if;
  end if;
  insert into public.tracker_logs (tracker_id, value, recorded_at, note, client_id)
  values (tracker.id, log_tracker.value, coalesce(log_tracker.at, private.now()), clean_note, log_tracker.client_id)
  on conflict (user_id, client_id) where client_id is not null do nothing
  returning * into log;
  if not found then
    select l.* into log from public.tracker_logs l where l.user_id = tracker.user_id and l.client_id = log_tracker.client_id;
  end if;
  return log;
end
$$;
grant execute on function public.log_tracker(uuid, numeric, timestamptz, text, text) to authenticated;
comment on function public.log_tracker(uuid, numeric, timestamptz, text, text) is
  'Logs a value of one of the caller''s trackers at an instant (at, default now) and returns the tracker_logs row. '
  'value: 0 or 1 for a boolean tracker, a whole number 1-10 for a scale, any number within ±10^12 otherwise. '
  'client_id (optional, unique per user): a replay returns the first log and writes nothing. Errors: 22023 (400) '
  'naming the field; PT404 (404) not the caller''s tracker; anon is denied (401).';

-- RPC: every bucket (local day, ISO week from Monday, or month) from the one holding `from` to the
-- one holding `to`, empty ones included, with the count, sum, average, minimum and maximum of the
-- logs whose local date (in the user's time zone) is in [from, to].
create function public.get_tracker_series(tracker_id uuid, bucket text, "from" date, "to" date)
returns table (
  bucket_start date,
  bucket_end date,
  count integer,
  sum numeric,
  avg numeric,
  min numeric,
  max numeric
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  tracker public.tracker_definitions;
  zone text;
  step interval;
begin
  select t.* into tracker from public.tracker_definitions t where t.id = get_tracker_series.tracker_id;
  if not found then
    perform private.not_found('tracker');
  end if;
  if get_tracker_series.bucket is null or get_tracker_series.bucket not in ('day', 'week', 'month') then
    perform private.invalid_parameter(pg_catalog.format('bucket %L is not one of day, week, month', get_tracker_series.bucket));
  end if;
  if get_tracker_series."from" is null or get_tracker_series."to" is null then
    perform private.invalid_parameter('from and to are required (local dates)');
  end if;
  if get_tracker_series."from" > get_tracker_series."to" then
    perform private.invalid_parameter('from must not be after to');
  end if;
  if get_tracker_series."to" - get_tracker_series."from" > 3660 then
    perform private.invalid_parameter('the range must be at most 3,660 days');
  end if;
  zone := private.user_timezone(tracker.user_id);
  step := ('1 ' || get_tracker_series.bucket)::interval;

  return query
  with buckets as (
    select b::date as start, (b + step)::date - 1 as finish
    from generate_series(date_trunc(get_tracker_series.bucket, get_tracker_series."from"::timestamp),
      date_trunc(get_tracker_series.bucket, get_tracker_series."to"::timestamp), step) b
  ),
  logs as (
    select date_trunc(get_tracker_series.bucket, (l.recorded_at at time zone zone))::date as start, l.value
    from public.tracker_logs l
    where l.tracker_id = tracker.id and l.deleted_at is null
      and l.recorded_at >= (get_tracker_series."from"::timestamp at time zone zone)
      and l.recorded_at < ((get_tracker_series."to" + 1)::timestamp at time zone zone)
  ),
  sums as (
    select g.start, count(*)::integer as n, sum(g.value) as total, avg(g.value) as mean, min(g.value) as low,
      max(g.value) as high
    from logs g group by g.start
  )
  select b.start, b.finish, coalesce(s.n, 0), s.total, s.mean, s.low, s.high
  from buckets b left join sums s on s.start = b.start
  order by b.start;
end
$$;
grant execute on function public.get_tracker_series(uuid, text, date, date) to authenticated;
comment on function public.get_tracker_series(uuid, text, date, date) is
  'A series of one of the caller''s trackers over local dates [from, to] (both required, at most 3,660 days apart) '
  'in the time zone of their profile: one row per bucket (day; week, Monday to Sunday; or month) from the one '
  'holding from to the one holding to, empty ones included: bucket_start, bucket_end (dates), count (0 when empty), '
  'sum, avg, min, max (null when empty). Only logs whose local date is in [from, to] count. Errors: 22023 (400) '
  'unknown bucket, missing or reversed dates; PT404 (404) not the caller''s tracker; anon is denied (401).';
