-- Habits: definitions with a schedule (daily; given weekdays; n times per week) and a target, and
-- one instance per habit and local date (the date in the user's time zone, profiles.timezone).
-- Streaks and completion rates are computed in SQL over local dates, so DST changes (a 23- or
-- 25-hour day) never move a log to another day or skip one.

-- A schedule as stored: {"type": "daily"}, {"type": "weekdays", "days": [1, 3, 5]} (ISO weekdays,
-- 1 = Monday, sorted, distinct) or {"type": "times_per_week", "times": n} (1..7).
create function private.is_habit_schedule(schedule jsonb)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case schedule ->> 'type'
    when 'daily' then schedule = '{"type": "daily"}'::jsonb
    when 'weekdays' then pg_catalog.jsonb_typeof(schedule -> 'days') = 'array'
      and (select count(*) = 2 from pg_catalog.jsonb_object_keys(schedule))
      and pg_catalog.jsonb_array_length(schedule -> 'days') between 1 and 7
      and schedule -> 'days' = (
        select pg_catalog.jsonb_agg(distinct d.value::integer order by d.value::integer)
        from pg_catalog.jsonb_array_elements_text(schedule -> 'days') d
        where d.value ~ '^[1-7]$')
    when 'times_per_week' then (select count(*) = 2 from pg_catalog.jsonb_object_keys(schedule))
      and pg_catalog.jsonb_typeof(schedule -> 'times') = 'number' and (schedule ->> 'times') ~ '^[1-7]$'
    else false
  end
$$;
comment on function private.is_habit_schedule(jsonb) is 'Whether a habit schedule is in its stored (normalised) form.';
grant execute on function private.is_habit_schedule(jsonb) to authenticated, service_role;

-- A schedule argument normalised: "daily" or {"type": …}; weekdays may be given as numbers (1 =
-- Monday … 7 = Sunday) or names (mon, tuesday…). Raises 22023 naming the part that is wrong.
create function private.normalize_habit_schedule(schedule jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  kind text;
  days integer[] := '{}';
  day jsonb;
  i integer := 0;
  n integer;
  names text[] := array['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
begin
  if schedule is null then
    perform private.invalid_parameter('schedule is required: "daily", {"type": "weekdays", "days": [1, 3, 5]} or '
      '{"type": "times_per_week", "times": 3}');
  end if;
  if jsonb_typeof(schedule) = 'string' then
    schedule := jsonb_build_object('type', schedule #>> '{}');
  end if;
  kind := case when jsonb_typeof(schedule) = 'object' then schedule ->> 'type' end;
  if kind = 'daily' then
    return '{"type": "daily"}';
  elsif kind = 'weekdays' then
    if jsonb_typeof(schedule -> 'days') is distinct from 'array' or jsonb_array_length(schedule -> 'days') not between 1 and 7 then
      perform private.invalid_parameter('schedule.days must be an array of 1 to 7 weekdays (1 = Monday … 7 = Sunday)');
    end if;
    for day in select value from jsonb_array_elements(schedule -> 'days') loop
      if jsonb_typeof(day) = 'number' and (day #>> '{}') ~ '^[1-7]$' then
        days := days || (day #>> '{}')::integer;
      elsif jsonb_typeof(day) = 'string' and array_position(names, left(lower(day #>> '{}'), 3)) is not null
        and char_length(day #>> '{}') >= 3 then
        days := days || array_position(names, left(lower(day #>> '{}'), 3));
      else
        perform private.invalid_parameter(pg_catalog.format(
          'schedule.days[%s] must be a weekday: 1 (Monday) to 7 (Sunday), or a name such as mon', i));
      end if;
      i := i + 1;
    end loop;
    return jsonb_build_object('type', 'weekdays', 'days',
      (select jsonb_agg(distinct d order by d) from unnest(days) d));
  elsif kind = 'times_per_week' then
    n := case when jsonb_typeof(schedule -> 'times') = 'number' and (schedule ->> 'times') ~ '^[1-7]$'
      then (schedule ->> 'times')::integer end;
    if n is null then
      perform private.invalid_parameter('schedule.times must be a whole number from 1 to 7');
    end if;
    return jsonb_build_object('type', 'times_per_week', 'times', n);
  end if;
  perform private.invalid_parameter(pg_catalog.format(
    'schedule.type %L is not one of daily, weekdays, times_per_week', kind));
  return null;
end
$$;
grant execute on function private.normalize_habit_schedule(jsonb) to authenticated, service_role;

create table public.habit_definitions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  name private.title_text not null,
  schedule jsonb not null
    constraint habit_definitions_schedule_check check (private.is_habit_schedule(schedule)),
  target numeric not null default 1
    constraint habit_definitions_target_check check (target > 0 and target <= 1000000000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.habit_definitions is
  'A user''s habits: a name, a schedule and a target (the value a day''s log must reach to count as done).';
comment on column public.habit_definitions.schedule is
  '{"type": "daily"}, {"type": "weekdays", "days": [ISO weekdays, 1 = Monday]} or {"type": "times_per_week", "times": 1..7}.';
comment on column public.habit_definitions.target is 'A day counts as done when its logged value reaches the target (default 1).';

create index habit_definitions_user_id_created_at_idx on public.habit_definitions (user_id, created_at, id);
create unique index habit_definitions_user_id_client_id_key on public.habit_definitions (user_id, client_id)
  where client_id is not null;

alter table public.habit_definitions enable row level security;
revoke all on public.habit_definitions from anon, authenticated, service_role;
grant select on public.habit_definitions to authenticated;
grant insert (id, client_id, name, schedule, target) on public.habit_definitions to authenticated;
grant update (client_id, name, schedule, target, deleted_at) on public.habit_definitions to authenticated;
grant select, insert, update, delete on public.habit_definitions to service_role;

create policy habit_definitions_select_own on public.habit_definitions
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy habit_definitions_insert_own on public.habit_definitions
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy habit_definitions_update_own on public.habit_definitions
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger habit_definitions_100_set_updated_at
  before update on public.habit_definitions
  for each row execute function private.set_updated_at();

-- RLS helper (security definer, as private.owns_entry): whether the caller owns the habit.
create function private.owns_habit(habit_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.habit_definitions h where h.id = owns_habit.habit_id and h.user_id = (select auth.uid())
  );
end
$$;
comment on function private.owns_habit(uuid) is 'Whether the calling user owns the habit.';
grant execute on function private.owns_habit(uuid) to authenticated;

create table public.habit_instances (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  habit_id uuid not null references public.habit_definitions (id) on delete cascade,
  local_date date not null,
  value numeric not null default 1
    constraint habit_instances_value_check check (value >= 0 and value <= 1000000000),
  note text
    constraint habit_instances_note_check check (char_length(note) <= 2000),
  client_id private.token_200,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint habit_instances_habit_id_local_date_key unique (habit_id, local_date)
);
comment on table public.habit_instances is
  'One log per habit and local date (in the user''s time zone): the value reached that day and a note.';
comment on column public.habit_instances.local_date is 'The day in the user''s time zone (profiles.timezone) the log is for.';

create index habit_instances_user_id_local_date_idx on public.habit_instances (user_id, local_date);

alter table public.habit_instances enable row level security;
revoke all on public.habit_instances from anon, authenticated, service_role;
grant select on public.habit_instances to authenticated;
grant insert (id, habit_id, local_date, value, note, client_id) on public.habit_instances to authenticated;
grant update (value, note, deleted_at) on public.habit_instances to authenticated;
grant select, insert, update, delete on public.habit_instances to service_role;

create policy habit_instances_select_own on public.habit_instances
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy habit_instances_insert_own on public.habit_instances
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_habit(habit_id));

create policy habit_instances_update_own on public.habit_instances
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger habit_instances_100_set_updated_at
  before update on public.habit_instances
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- RPCs

create function public.upsert_habit(
  id uuid default null,
  name text default null,
  schedule jsonb default null,
  target numeric default null
)
returns public.habit_definitions
language plpgsql
volatile
security invoker
set search_path = ''
as $$
-- the conflict target names columns that are also argument names
#variable_conflict use_column
declare
  clean_name text := pg_catalog.btrim(upsert_habit.name);
  clean_schedule jsonb;
  habit public.habit_definitions;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to write habits' using errcode = '42501';
  end if;
  if clean_name is null or char_length(clean_name) not between 1 and 200 or clean_name ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('name must be 1 to 200 characters without control characters');
  end if;
  clean_schedule := private.normalize_habit_schedule(upsert_habit.schedule);
  if upsert_habit.target is not null and (upsert_habit.target <= 0 or upsert_habit.target > 1000000000) then
    perform private.invalid_parameter('target must be a number greater than 0 (at most 10^9)');
  end if;

  if upsert_habit.id is not null then
    select h.* into habit from public.habit_definitions h where h.id = upsert_habit.id for no key update;
  end if;
  if habit.id is null then
    insert into public.habit_definitions (id, name, schedule, target)
    values (coalesce(upsert_habit.id, gen_random_uuid()), clean_name, clean_schedule, coalesce(upsert_habit.target, 1))
    on conflict (id) do nothing
    returning * into habit;
    if habit.id is null then
      raise exception 'habit id is taken' using errcode = 'PT409',
        hint = 'Another habit has this id. Leave id out to create a habit.';
    end if;
    return habit;
  end if;
  update public.habit_definitions h
  set name = clean_name, schedule = clean_schedule, target = coalesce(upsert_habit.target, h.target)
  where h.id = habit.id
    and (h.name::text, h.schedule, h.target) is distinct from (clean_name, clean_schedule, coalesce(upsert_habit.target, h.target))
  returning * into habit;
  if not found then
    select h.* into habit from public.habit_definitions h where h.id = upsert_habit.id;
  end if;
  return habit;
end
$$;
grant execute on function public.upsert_habit(uuid, text, jsonb, numeric) to authenticated;
comment on function public.upsert_habit(uuid, text, jsonb, numeric) is
  'Creates a habit of the caller''s, or replaces it when id names one, and returns the habit_definitions row. name: '
  '1-200 characters; schedule: "daily", {"type": "weekdays", "days": [1..7 or mon..sun]} (1 = Monday) or {"type": '
  '"times_per_week", "times": 1..7}; target: the value a day must reach (> 0; default 1, unchanged on update when '
  'omitted). A replay that changes nothing writes nothing. Errors: 22023 (400) naming the field (e.g. '
  'schedule.days[2]); PT409 (409) id used by another user''s habit; anon is denied (401).';

create function public.list_habits()
returns setof public.habit_definitions
language sql
stable
security invoker
set search_path = ''
as $$
  select h.* from public.habit_definitions h
  where h.user_id = (select auth.uid()) and h.deleted_at is null
  order by h.created_at, h.id
$$;
grant execute on function public.list_habits() to authenticated;
comment on function public.list_habits() is
  'The caller''s habits (habit_definitions rows, deleted ones left out), oldest first. Anon is denied (401).';

-- RPC: logs a habit for a local date (default: today in the user's time zone). The same date again
-- replaces that day's value and note: logging twice is not an error, and a replay writes nothing.
create function public.log_habit(
  habit_id uuid,
  date date default null,
  value numeric default null,
  note text default null
)
returns public.habit_instances
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  habit public.habit_definitions;
  zone text;
  today date;
  day date;
  instance public.habit_instances;
  clean_note text := nullif(pg_catalog.btrim(log_habit.note), '');
begin
  select h.* into habit from public.habit_definitions h where h.id = log_habit.habit_id and h.deleted_at is null;
  if not found then
    perform private.not_found('habit');
  end if;
  zone := private.user_timezone(habit.user_id);
  today := private.local_today(zone);
  day := coalesce(log_habit.date, today);
  if day > today then
    perform private.invalid_parameter(pg_catalog.format('date %s is in the future: today is %s in %s', day, today, zone),
      'A habit can be logged for today or an earlier day.');
  end if;
  if log_habit.value is not null and (log_habit.value < 0 or log_habit.value > 1000000000) then
    perform private.invalid_parameter('value must be a number >= 0 (at most 10^9)');
  end if;
  if char_length(clean_note) > 2000 then
    perform private.invalid_parameter('note must be at most 2,000 characters');
  end if;

  insert into public.habit_instances (habit_id, local_date, value, note)
  values (habit.id, day, coalesce(log_habit.value, habit.target), clean_note)
  on conflict (habit_id, local_date) do update
  set value = excluded.value, note = excluded.note, deleted_at = null
  where (habit_instances.value, habit_instances.note, habit_instances.deleted_at)
    is distinct from (excluded.value, excluded.note, null::timestamptz)
  returning * into instance;
  if not found then
    select i.* into instance from public.habit_instances i where i.habit_id = habit.id and i.local_date = day;
  end if;
  return instance;
end
$$;
grant execute on function public.log_habit(uuid, date, numeric, text) to authenticated;
comment on function public.log_habit(uuid, date, numeric, text) is
  'Logs one of the caller''s habits for a local date (default: today in the time zone of their profile) and returns '
  'the habit_instances row. value: what was reached that day (>= 0; default the habit''s target, i.e. done); note: '
  '<= 2,000 characters. One instance per habit and date: logging the date again replaces its value and note '
  '(idempotent: the same call again writes nothing). Errors: 22023 (400) a future date (naming today in the user''s '
  'time zone), a negative value; PT404 (404) not the caller''s habit; anon is denied (401).';

-- RPC: streaks and completion of a habit over [from, to] (local dates; default from the habit's
-- creation or first log, to today), computed from its schedule:
--   * daily and weekdays: each due day is a period, done when its value reaches the target; days
--     the schedule skips neither count nor break a streak;
--   * times_per_week: each ISO week (Monday to Sunday) is a period, done when at least `times` of
--     its days (within the range) are done.
-- The period that is still open (today, this week) counts only once it is done, so an unfinished
-- today does not break the current streak. Streaks are runs of consecutive done periods; the
-- current streak is the run that ends with the last counted period.
create function public.get_habit_stats(habit_id uuid, "from" date default null, "to" date default null)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  habit public.habit_definitions;
  zone text;
  today date;
  first_day date;
  last_day date;
  kind text;
  due_days integer[];
  times integer;
  open_period date;
  stats record;
begin
  select h.* into habit from public.habit_definitions h where h.id = get_habit_stats.habit_id;
  if not found then
    perform private.not_found('habit');
  end if;
  if get_habit_stats."from" > get_habit_stats."to" then
    perform private.invalid_parameter('from must not be after to');
  end if;
  zone := private.user_timezone(habit.user_id);
  today := private.local_today(zone);
  last_day := least(coalesce(get_habit_stats."to", today), today);
  first_day := coalesce(get_habit_stats."from", least((habit.created_at at time zone zone)::date,
    (select min(i.local_date) from public.habit_instances i where i.habit_id = habit.id and i.deleted_at is null)));
  if last_day - first_day > 36600 then
    perform private.invalid_parameter('the range must be at most 100 years');
  end if;
  kind := habit.schedule ->> 'type';
  due_days := case when kind = 'weekdays' then
    array(select d::integer from jsonb_array_elements_text(habit.schedule -> 'days') d) end;
  times := (habit.schedule ->> 'times')::integer;
  open_period := case when kind = 'times_per_week' then date_trunc('week', today)::date else today end;

  with days as (
    select d::date as day from generate_series(first_day::timestamp, last_day::timestamp, interval '1 day') d
  ),
  done as (
    select i.local_date from public.habit_instances i
    where i.habit_id = habit.id and i.local_date between first_day and last_day and i.deleted_at is null
      and i.value >= habit.target
  ),
  periods as (
    select d.day as start, d.day in (select x.local_date from done x) as complete
    from days d
    where kind = 'daily' or (kind = 'weekdays' and extract(isodow from d.day)::integer = any (due_days))
    union all
    select date_trunc('week', d.day)::date, count(x.local_date) >= times
    from days d left join done x on x.local_date = d.day
    where kind = 'times_per_week'
    group by 1
  ),
  counted as (
    select p.start, p.complete from periods p
    where p.complete or p.start <> open_period or last_day < today
  ),
  runs as (
    select c.start, c.complete,
      row_number() over (order by c.start) - row_number() over (partition by c.complete order by c.start) as run
    from counted c
  ),
  run_lengths as (
    select r.run, r.complete, count(*)::integer as length, max(r.start) as last_start from runs r group by r.run, r.complete
  )
  select
    (select count(*)::integer from counted) as due,
    (select count(*)::integer from counted c where c.complete) as completed,
    coalesce((select max(l.length) from run_lengths l where l.complete), 0) as longest,
    coalesce((select l.length from run_lengths l
      where l.complete and l.last_start = (select max(c.start) from counted c)), 0) as current
  into stats;

  return jsonb_build_object(
    'habit_id', habit.id, 'schedule', habit.schedule, 'target', habit.target, 'timezone', zone, 'today', today,
    'from', first_day, 'to', last_day, 'period', case when kind = 'times_per_week' then 'week' else 'day' end,
    'current_streak', stats.current, 'longest_streak', stats.longest,
    'completion_rate', case when stats.due > 0 then round(stats.completed::numeric / stats.due, 4) end,
    'due', stats.due, 'completed', stats.completed);
end
$$;
grant execute on function public.get_habit_stats(uuid, date, date) to authenticated;
comment on function public.get_habit_stats(uuid, date, date) is
  'Streaks and completion of one of the caller''s habits over local dates [from, to] (default: from the habit''s '
  'creation or first log, whichever is earlier, to today in the user''s time zone; to is capped at today). Returns '
  '{habit_id, schedule, target, timezone, today, from, to, period (day, or week for times_per_week), current_streak, '
  'longest_streak (in periods), completion_rate (completed / due, 4 decimals; null when nothing was due), due, '
  'completed}. A day is done when its value reaches the target; daily and weekdays habits count each due day, '
  'times_per_week habits each ISO week (Monday-Sunday) with at least times done days. The open period (today, or '
  'this week) counts only once done. Errors: 22023 (400) from after to; PT404 (404) not the caller''s habit; anon is '
  'denied (401).';
