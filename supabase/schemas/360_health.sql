-- Health logs: workouts with their rows (exercise, sets, reps, weight, duration, distance) and
-- meals with their items (name, quantity, unit, calories, protein, carbs, fat). Each one is an
-- event in the journal: logging creates an entry with the event facet (or links the entry given).
-- Units: weight in kg, duration in seconds, distance in metres; an item's nutrients are for the
-- quantity eaten (calories in kcal, macros in grams).

create table public.workouts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  entry_id uuid references public.entries (id) on delete set null,
  kind private.short_text not null,
  started_at timestamptz not null,
  ended_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint workouts_ended_at_check check (ended_at >= started_at)
);
comment on table public.workouts is 'A user''s workouts (the exercises are workout_rows); each is an event entry too.';
comment on column public.workouts.kind is 'What kind of workout, as the user names it (strength, run, yoga…).';
comment on column public.workouts.entry_id is 'The journal entry (event facet) of the workout.';

create index workouts_user_id_started_at_idx on public.workouts (user_id, started_at);
create index workouts_entry_id_idx on public.workouts (entry_id) where entry_id is not null;
create unique index workouts_user_id_client_id_key on public.workouts (user_id, client_id) where client_id is not null;

alter table public.workouts enable row level security;
revoke all on public.workouts from anon, authenticated, service_role;
grant select on public.workouts to authenticated;
grant insert (id, client_id, entry_id, kind, started_at, ended_at) on public.workouts to authenticated;
grant update (entry_id, kind, started_at, ended_at, deleted_at) on public.workouts to authenticated;
grant select, insert, update, delete on public.workouts to service_role;

create policy workouts_select_own on public.workouts
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy workouts_insert_own on public.workouts
  for insert to authenticated
  with check (user_id = (select auth.uid()) and (entry_id is null or private.owns_entry(entry_id)));

create policy workouts_update_own on public.workouts
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and (entry_id is null or private.owns_entry(entry_id)));

create trigger workouts_100_set_updated_at
  before update on public.workouts
  for each row execute function private.set_updated_at();

-- RLS helper (security definer, as private.owns_entry): whether the caller owns the workout.
create function private.owns_workout(workout_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.workouts w where w.id = owns_workout.workout_id and w.user_id = (select auth.uid()));
end
$$;
comment on function private.owns_workout(uuid) is 'Whether the calling user owns the workout.';
grant execute on function private.owns_workout(uuid) to authenticated;

create table public.workout_rows (
  workout_id uuid not null references public.workouts (id) on delete cascade,
  position integer not null
    constraint workout_rows_position_check check (position >= 1),
  user_id uuid not null default auth.uid(),
  exercise private.title_text not null,
  sets integer
    constraint workout_rows_sets_check check (sets >= 0 and sets <= 100000),
  reps integer
    constraint workout_rows_reps_check check (reps >= 0 and reps <= 100000),
  weight numeric
    constraint workout_rows_weight_check check (weight >= 0 and weight <= 100000),
  duration numeric
    constraint workout_rows_duration_check check (duration >= 0 and duration <= 10000000),
  distance numeric
    constraint workout_rows_distance_check check (distance >= 0 and distance <= 100000000),
  notes text
    constraint workout_rows_notes_check check (char_length(notes) <= 2000),
  constraint workout_rows_pkey primary key (workout_id, position)
);
comment on table public.workout_rows is 'The rows of a workout, in order: exercise, sets, reps, weight (kg), duration (s), distance (m).';

create index workout_rows_user_id_idx on public.workout_rows (user_id);

alter table public.workout_rows enable row level security;
revoke all on public.workout_rows from anon, authenticated, service_role;
grant select, delete on public.workout_rows to authenticated;
grant insert (workout_id, position, exercise, sets, reps, weight, duration, distance, notes) on public.workout_rows
  to authenticated;
grant select, insert, update, delete on public.workout_rows to service_role;

create policy workout_rows_select_own on public.workout_rows
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy workout_rows_insert_own on public.workout_rows
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_workout(workout_id));

-- push_changes replaces the rows of a workout a client changed
create policy workout_rows_delete_own on public.workout_rows
  for delete to authenticated
  using (user_id = (select auth.uid()));

create table public.meals (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  entry_id uuid references public.entries (id) on delete set null,
  meal_type text not null
    constraint meals_meal_type_check check (meal_type in ('breakfast', 'lunch', 'dinner', 'snack', 'drink', 'other')),
  eaten_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.meals is 'A user''s meals (the food is meal_items); each is an event entry too.';
comment on column public.meals.meal_type is 'breakfast, lunch, dinner, snack, drink or other.';

create index meals_user_id_eaten_at_idx on public.meals (user_id, eaten_at);
create index meals_entry_id_idx on public.meals (entry_id) where entry_id is not null;
create unique index meals_user_id_client_id_key on public.meals (user_id, client_id) where client_id is not null;

alter table public.meals enable row level security;
revoke all on public.meals from anon, authenticated, service_role;
grant select on public.meals to authenticated;
grant insert (id, client_id, entry_id, meal_type, eaten_at) on public.meals to authenticated;
grant update (entry_id, meal_type, eaten_at, deleted_at) on public.meals to authenticated;
grant select, insert, update, delete on public.meals to service_role;

create policy meals_select_own on public.meals
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy meals_insert_own on public.meals
  for insert to authenticated
  with check (user_id = (select auth.uid()) and (entry_id is null or private.owns_entry(entry_id)));

create policy meals_update_own on public.meals
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and (entry_id is null or private.owns_entry(entry_id)));

create trigger meals_100_set_updated_at
  before update on public.meals
  for each row execute function private.set_updated_at();

-- RLS helper (security definer, as private.owns_entry): whether the caller owns the meal.
create function private.owns_meal(meal_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.meals m where m.id = owns_meal.meal_id and m.user_id = (select auth.uid()));
end
$$;
comment on function private.owns_meal(uuid) is 'Whether the calling user owns the meal.';
grant execute on function private.owns_meal(uuid) to authenticated;

create table public.meal_items (
  meal_id uuid not null references public.meals (id) on delete cascade,
  position integer not null
    constraint meal_items_position_check check (position >= 1),
  user_id uuid not null default auth.uid(),
  name private.title_text not null,
  quantity numeric
    constraint meal_items_quantity_check check (quantity >= 0 and quantity <= 1000000),
  unit private.short_text,
  calories numeric
    constraint meal_items_calories_check check (calories >= 0 and calories <= 100000),
  protein numeric
    constraint meal_items_protein_check check (protein >= 0 and protein <= 100000),
  carbs numeric
    constraint meal_items_carbs_check check (carbs >= 0 and carbs <= 100000),
  fat numeric
    constraint meal_items_fat_check check (fat >= 0 and fat <= 100000),
  constraint meal_items_pkey primary key (meal_id, position)
);
comment on table public.meal_items is
  'What a meal was made of, in order: name, quantity and unit, and the nutrients of that quantity (kcal, grams).';

create index meal_items_user_id_idx on public.meal_items (user_id);

alter table public.meal_items enable row level security;
revoke all on public.meal_items from anon, authenticated, service_role;
grant select, delete on public.meal_items to authenticated;
grant insert (meal_id, position, name, quantity, unit, calories, protein, carbs, fat) on public.meal_items to authenticated;
grant select, insert, update, delete on public.meal_items to service_role;

create policy meal_items_select_own on public.meal_items
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy meal_items_insert_own on public.meal_items
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_meal(meal_id));

-- push_changes replaces the items of a meal a client changed
create policy meal_items_delete_own on public.meal_items
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- RPCs

-- A number field of an array element, checked: null when absent, else a number within [0, max]
-- (whole when asked). Raises 22023 naming it, e.g. rows[1].reps.
create function private.element_number(item jsonb, field text, path text, max numeric, whole boolean default false)
returns numeric
language plpgsql
immutable
set search_path = ''
as $$
declare
  value numeric;
begin
  if not (item ? field) or jsonb_typeof(item -> field) = 'null' then
    return null;
  end if;
  if jsonb_typeof(item -> field) <> 'number' then
    perform private.invalid_parameter(pg_catalog.format('%s.%s must be a number', path, field));
  end if;
  value := (item ->> field)::numeric;
  if value < 0 or value > max or (whole and value <> trunc(value)) then
    perform private.invalid_parameter(pg_catalog.format('%s.%s must be a %s >= 0 (at most %s)', path, field,
      case when whole then 'whole number' else 'number' end, max));
  end if;
  return value;
end
$$;
grant execute on function private.element_number(jsonb, text, text, numeric, boolean) to authenticated;

-- A text field of an array element: null when absent, else 1..max characters without control
-- characters (trimmed). Raises 22023 naming it.
create function private.element_text(item jsonb, field text, path text, max integer, required boolean default false)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  value text := nullif(pg_catalog.btrim(item ->> field), '');
begin
  if value is null and not required and (not (item ? field) or jsonb_typeof(item -> field) in ('null', 'string')) then
    return null;
  end if;
  if jsonb_typeof(item -> field) is distinct from 'string' or value is null or char_length(value) > max
    or value ~ '[[:cntrl:]]' then
    perform private.invalid_parameter(pg_catalog.format('%s.%s must be text of 1 to %s characters without control characters',
      path, field, max));
  end if;
  return value;
end
$$;
grant execute on function private.element_text(jsonb, text, text, integer, boolean) to authenticated;

-- A number for the markdown summaries: no trailing zeros.
create function private.plain_number(value numeric)
returns text
language sql
immutable
set search_path = ''
as $$
  select trim_scale(value)::text
$$;
grant execute on function private.plain_number(numeric) to authenticated;

-- One row of a workout, checked (22023 naming the field under path, e.g. rows[1].reps) and
-- returned as stored: {exercise, sets, reps, weight, duration, distance, notes}. log_workout and
-- push_changes share it.
create function private.check_workout_row(item jsonb, path text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
  if jsonb_typeof(item) is distinct from 'object' then
    perform private.invalid_parameter(pg_catalog.format('%s must be an object', path));
  end if;
  return jsonb_build_object(
    'exercise', private.element_text(item, 'exercise', path, 200, true),
    'sets', private.element_number(item, 'sets', path, 100000, true),
    'reps', private.element_number(item, 'reps', path, 100000, true),
    'weight', private.element_number(item, 'weight', path, 100000),
    'duration', private.element_number(item, 'duration', path, 10000000),
    'distance', private.element_number(item, 'distance', path, 100000000),
    'notes', private.element_text(item, 'notes', path, 2000));
end
$$;
grant execute on function private.check_workout_row(jsonb, text) to authenticated;

-- One item of a meal, checked and returned as stored: {name, quantity, unit, calories, protein,
-- carbs, fat}. log_meal and push_changes share it.
create function private.check_meal_item(item jsonb, path text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
  if jsonb_typeof(item) is distinct from 'object' then
    perform private.invalid_parameter(pg_catalog.format('%s must be an object', path));
  end if;
  return jsonb_build_object(
    'name', private.element_text(item, 'name', path, 200, true),
    'quantity', private.element_number(item, 'quantity', path, 1000000),
    'unit', private.element_text(item, 'unit', path, 64),
    'calories', private.element_number(item, 'calories', path, 100000),
    'protein', private.element_number(item, 'protein', path, 100000),
    'carbs', private.element_number(item, 'carbs', path, 100000),
    'fat', private.element_number(item, 'fat', path, 100000));
end
$$;
grant execute on function private.check_meal_item(jsonb, text) to authenticated;

create function public.log_workout(
  started_at timestamptz default null,
  kind text default null,
  rows jsonb default null,
  ended_at timestamptz default null,
  entry_id uuid default null,
  client_id text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  clean_kind text := pg_catalog.btrim(log_workout.kind);
  workout public.workouts;
  entry public.entries;
  item jsonb;
  i integer := 0;
  parsed jsonb := '[]';
  summary text[] := '{}';
  row_data jsonb;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to log workouts' using errcode = '42501';
  end if;
  if log_workout.started_at is null then
    perform private.invalid_parameter('started_at is required');
  end if;
  if log_workout.ended_at < log_workout.started_at then
    perform private.invalid_parameter('ended_at must not be before started_at');
  end if;
  if clean_kind is null or char_length(clean_kind) not between 1 and 64 or clean_kind ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('kind must be 1 to 64 characters without control characters (e.g. strength, run)');
  end if;
  perform private.check_token(log_workout.client_id, 'client_id', 200);
  if log_workout.rows is null or jsonb_typeof(log_workout.rows) <> 'array' or jsonb_array_length(log_workout.rows) > 200 then
    perform private.invalid_parameter('rows must be an array of at most 200 {exercise, sets?, reps?, weight?, duration?, distance?}');
  end if;
  for item in select value from jsonb_array_elements(log_workout.rows) loop
    if jsonb_typeof(item) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('rows[%s] must be an object', i));
    end if;
    row_data := private.check_workout_row(item, pg_catalog.format('rows[%s]', i));
    parsed := parsed || jsonb_build_array(row_data);
    summary := summary || ('- ' || (row_data ->> 'exercise') || coalesce(': ' || nullif(concat_ws(', ',
      (row_data ->> 'sets') || ' sets', (row_data ->> 'reps') || ' reps',
      private.plain_number((row_data ->> 'weight')::numeric) || ' kg',
      private.plain_number((row_data ->> 'duration')::numeric) || ' s',
      private.plain_number((row_data ->> 'distance')::numeric) || ' m'), ''), ''));
    i := i + 1;
  end loop;

  if log_workout.client_id is not null then
    select w.* into workout from public.workouts w
    where w.user_id = (select auth.uid()) and w.client_id = log_workout.client_id;
    if found then
      -- a replay: what the first call made
      select e.* into entry from public.entries e where e.id = workout.entry_id;
      return jsonb_build_object('workout', to_jsonb(workout), 'rows', coalesce((
        select jsonb_agg(to_jsonb(r) - 'user_id' - 'workout_id' order by r.position)
        from public.workout_rows r where r.workout_id = workout.id), '[]'), 'entry', to_jsonb(entry), 'created', false);
    end if;
  end if;

  if log_workout.entry_id is not null then
    entry := private.add_entry_facets(log_workout.entry_id, array['event', 'workout']);
  else
    entry := private.insert_entry(array['event', 'workout'], clean_kind, nullif(array_to_string(summary, E'\n'), ''),
      log_workout.started_at, log_workout.started_at, log_workout.ended_at);
  end if;
  insert into public.workouts (client_id, entry_id, kind, started_at, ended_at)
  values (log_workout.client_id, entry.id, clean_kind, log_workout.started_at, log_workout.ended_at)
  returning * into workout;
  insert into public.workout_rows (workout_id, position, exercise, sets, reps, weight, duration, distance, notes)
  select workout.id, x.n::integer, x.r ->> 'exercise', (x.r ->> 'sets')::integer, (x.r ->> 'reps')::integer,
    (x.r ->> 'weight')::numeric, (x.r ->> 'duration')::numeric, (x.r ->> 'distance')::numeric, x.r ->> 'notes'
  from jsonb_array_elements(parsed) with ordinality x(r, n);
  return jsonb_build_object('workout', to_jsonb(workout), 'rows', coalesce((
    select jsonb_agg(to_jsonb(r) - 'user_id' - 'workout_id' order by r.position)
    from public.workout_rows r where r.workout_id = workout.id), '[]'), 'entry', to_jsonb(entry), 'created', true);
end
$$;
grant execute on function public.log_workout(timestamptz, text, jsonb, timestamptz, uuid, text) to authenticated;
comment on function public.log_workout(timestamptz, text, jsonb, timestamptz, uuid, text) is
  'Logs a workout of the caller''s and returns {workout, rows, entry, created}. started_at (required) <= ended_at; '
  'kind: 1-64 characters (strength, run…); rows: an array of at most 200 {exercise (1-200 characters), sets, reps '
  '(whole numbers >= 0), weight (kg), duration (s), distance (m) (numbers >= 0), notes}, all but exercise optional. '
  'Without entry_id it creates an entry with the event and workout facets (title the kind, body a list of the rows, '
  'starts_at/ends_at the workout''s); with entry_id (the caller''s) it adds those facets to that entry. client_id '
  '(optional, unique per user): a replay returns the first result with created false and writes nothing (a '
  'concurrent first call with the same client_id: 23505, 409). Errors: 22023 (400) naming the field (e.g. '
  'rows[1].reps); PT404 (404) entry not the caller''s; anon is denied (401).';

create function public.log_meal(
  eaten_at timestamptz default null,
  meal_type text default null,
  items jsonb default null,
  entry_id uuid default null,
  client_id text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  meal public.meals;
  entry public.entries;
  item jsonb;
  i integer := 0;
  parsed jsonb := '[]';
  summary text[] := '{}';
  item_data jsonb;
  path text;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to log meals' using errcode = '42501';
  end if;
  if log_meal.eaten_at is null then
    perform private.invalid_parameter('eaten_at is required');
  end if;
  if log_meal.meal_type is null or log_meal.meal_type not in ('breakfast', 'lunch', 'dinner', 'snack', 'drink', 'other') then
    perform private.invalid_parameter(pg_catalog.format(
      'meal_type %L is not one of breakfast, lunch, dinner, snack, drink, other', log_meal.meal_type));
  end if;
  perform private.check_token(log_meal.client_id, 'client_id', 200);
  if log_meal.items is null or jsonb_typeof(log_meal.items) <> 'array' or jsonb_array_length(log_meal.items) > 200 then
    perform private.invalid_parameter(
      'items must be an array of at most 200 {name, quantity?, unit?, calories?, protein?, carbs?, fat?}');
  end if;
  for item in select value from jsonb_array_elements(log_meal.items) loop
    path := pg_catalog.format('items[%s]', i);
    if jsonb_typeof(item) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('%s must be an object', path));
    end if;
    item_data := private.check_meal_item(item, path);
    parsed := parsed || jsonb_build_array(item_data);
    summary := summary || ('- ' || concat_ws(' ', private.plain_number((item_data ->> 'quantity')::numeric),
      item_data ->> 'unit', item_data ->> 'name')
      || coalesce(' (' || private.plain_number((item_data ->> 'calories')::numeric) || ' kcal)', ''));
    i := i + 1;
  end loop;

  if log_meal.client_id is not null then
    select m.* into meal from public.meals m where m.user_id = (select auth.uid()) and m.client_id = log_meal.client_id;
    if found then
      select e.* into entry from public.entries e where e.id = meal.entry_id;
      return jsonb_build_object('meal', to_jsonb(meal), 'items', coalesce((
        select jsonb_agg(to_jsonb(x) - 'user_id' - 'meal_id' order by x.position)
        from public.meal_items x where x.meal_id = meal.id), '[]'), 'entry', to_jsonb(entry), 'created', false);
    end if;
  end if;

  if log_meal.entry_id is not null then
    entry := private.add_entry_facets(log_meal.entry_id, array['event', 'meal']);
  else
    entry := private.insert_entry(array['event', 'meal'], initcap(log_meal.meal_type),
      nullif(array_to_string(summary, E'\n'), ''), log_meal.eaten_at, log_meal.eaten_at, null);
  end if;
  insert into public.meals (client_id, entry_id, meal_type, eaten_at)
  values (log_meal.client_id, entry.id, log_meal.meal_type, log_meal.eaten_at)
  returning * into meal;
  insert into public.meal_items (meal_id, position, name, quantity, unit, calories, protein, carbs, fat)
  select meal.id, x.n::integer, x.r ->> 'name', (x.r ->> 'quantity')::numeric, x.r ->> 'unit',
    (x.r ->> 'calories')::numeric, (x.r ->> 'protein')::numeric, (x.r ->> 'carbs')::numeric, (x.r ->> 'fat')::numeric
  from jsonb_array_elements(parsed) with ordinality x(r, n);
  return jsonb_build_object('meal', to_jsonb(meal), 'items', coalesce((
    select jsonb_agg(to_jsonb(x) - 'user_id' - 'meal_id' order by x.position)
    from public.meal_items x where x.meal_id = meal.id), '[]'), 'entry', to_jsonb(entry), 'created', true);
end
$$;
grant execute on function public.log_meal(timestamptz, text, jsonb, uuid, text) to authenticated;
comment on function public.log_meal(timestamptz, text, jsonb, uuid, text) is
  'Logs a meal of the caller''s and returns {meal, items, entry, created}. eaten_at (required); meal_type: '
  'breakfast, lunch, dinner, snack, drink or other; items: an array of at most 200 {name (1-200 characters), '
  'quantity (>= 0), unit, calories (kcal), protein, carbs, fat (grams; all >= 0, for the quantity eaten)}, all but '
  'name optional. Without entry_id it creates an entry with the event and meal facets (title the meal type, body a '
  'list of the items); with entry_id (the caller''s) it adds those facets to that entry. client_id (optional, unique '
  'per user): a replay returns the first result with created false and writes nothing (a concurrent first call '
  'with the same client_id: 23505, 409). Errors: 22023 (400) naming the field (e.g. items[0].quantity must be a number >= 0); PT404 (404) entry not the caller''s; anon is denied (401).';

-- RPC: the caller's nutrition by local day (in their time zone), every day of [from, to].
create function public.get_nutrition_summary("from" date, "to" date)
returns table (
  day date,
  meals integer,
  items integer,
  calories numeric,
  protein numeric,
  carbs numeric,
  fat numeric
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  zone text;
begin
  if get_nutrition_summary."from" is null or get_nutrition_summary."to" is null then
    perform private.invalid_parameter('from and to are required (local dates)');
  end if;
  if get_nutrition_summary."from" > get_nutrition_summary."to" then
    perform private.invalid_parameter('from must not be after to');
  end if;
  if get_nutrition_summary."to" - get_nutrition_summary."from" > 3660 then
    perform private.invalid_parameter('the range must be at most 3,660 days');
  end if;
  zone := private.user_timezone(me);
  return query
  with days as (
    select d::date as day from generate_series(get_nutrition_summary."from"::timestamp,
      get_nutrition_summary."to"::timestamp, interval '1 day') d
  ),
  eaten as (
    select (m.eaten_at at time zone zone)::date as day, count(distinct m.id)::integer as meals,
      count(x.position)::integer as items, coalesce(sum(x.calories), 0) as calories,
      coalesce(sum(x.protein), 0) as protein, coalesce(sum(x.carbs), 0) as carbs, coalesce(sum(x.fat), 0) as fat
    from public.meals m left join public.meal_items x on x.meal_id = m.id
    where m.user_id = me and m.deleted_at is null
      and m.eaten_at >= (get_nutrition_summary."from"::timestamp at time zone zone)
      and m.eaten_at < ((get_nutrition_summary."to" + 1)::timestamp at time zone zone)
    group by 1
  )
  select d.day, coalesce(e.meals, 0), coalesce(e.items, 0), coalesce(e.calories, 0), coalesce(e.protein, 0),
    coalesce(e.carbs, 0), coalesce(e.fat, 0)
  from days d left join eaten e on e.day = d.day
  order by d.day;
end
$$;
grant execute on function public.get_nutrition_summary(date, date) to authenticated;
comment on function public.get_nutrition_summary(date, date) is
  'The caller''s daily nutrition totals over local dates [from, to] (both required, at most 3,660 days apart) in '
  'the time zone of their profile: one row per day, days without meals included: day, meals, items, calories, '
  'protein, carbs, fat (sums of the items; 0 when none). Errors: 22023 (400) missing or reversed dates; anon is '
  'denied (401).';
