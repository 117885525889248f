-- health: log_workout and log_meal (rows and items checked, an event entry made or linked,
-- replays by client id), get_nutrition_summary (daily totals in the user's time zone); owner,
-- stranger, anon.
begin;
select plan(26);

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.workouts'::regclass, 'public.workout_rows'::regclass,
  'public.meals'::regclass, 'public.meal_items'::regclass)), 'health tables have RLS');
select policies_are('public', 'meal_items', array['meal_items_select_own', 'meal_items_insert_own', 'meal_items_delete_own']);
select function_privs_are('public', 'log_meal', array['timestamptz', 'text', 'jsonb', 'uuid', 'text'], 'anon', array[]::text[],
  'anon cannot call log_meal');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select public.update_my_profile(timezone => 'Europe/Paris');

-- ------------------------------------------------------------------ workouts
select set_config('t.w', public.log_workout(started_at => '2026-03-10 17:00+00', ended_at => '2026-03-10 18:00+00', kind => 'strength',
  rows => '[{"exercise": "Squat", "sets": 3, "reps": 5, "weight": 100}, {"exercise": "Row", "duration": 600, "distance": 2000}]',
  client_id => 'w1')::text, true);
select results_eq($$ select (current_setting('t.w')::jsonb -> 'entry' -> 'facets'), current_setting('t.w')::jsonb -> 'entry' ->> 'title',
  current_setting('t.w')::jsonb -> 'entry' ->> 'body_markdown', (current_setting('t.w')::jsonb -> 'entry' ->> 'starts_at')::timestamptz $$,
  $$ values ('["event", "workout"]'::jsonb, 'strength', E'- Squat: 3 sets, 5 reps, 100 kg\n- Row: 600 s, 2000 m', '2026-03-10 17:00+00'::timestamptz) $$,
  'log_workout makes an event entry describing the workout');
select results_eq(format($$ select position, exercise::text, sets, reps, weight, duration, distance from public.workout_rows
  where workout_id = %L order by position $$, current_setting('t.w')::jsonb -> 'workout' ->> 'id'),
  $$ values (1, 'Squat', 3, 5, 100::numeric, null::numeric, null::numeric), (2, 'Row', null, null, null, 600, 2000) $$,
  'and stores its rows in order');
select is(public.log_workout(started_at => '2026-03-10 17:00+00', kind => 'strength', rows => '[]', client_id => 'w1') ->> 'created',
  'false', 'a replay by client id returns the first result');
select is((select count(*)::int from public.workouts), 1, 'and writes nothing');
select set_config('t.e', (public.upsert_entry(facets => array['note'], title => 'Morning run')) ->> 'id', true);
select is((public.log_workout(started_at => '2026-03-11 06:00+00', kind => 'run', rows => '[{"exercise": "Run", "distance": 5000}]',
  entry_id => current_setting('t.e')::uuid)) -> 'entry' -> 'facets', '["note", "event", "workout"]'::jsonb,
  'with entry_id it links that entry and gives it the event and workout facets');
select is(jsonb_array_length(public.get_entry(current_setting('t.e')::uuid) -> 'workouts'), 1, 'get_entry shows the workout');
select throws_ok($$ select public.log_workout(started_at => now(), kind => 'x', rows => '[{"exercise": "Squat", "reps": -5}]') $$,
  '22023', 'rows[0].reps must be a whole number >= 0 (at most 100000)', 'negative reps');
select throws_ok($$ select public.log_workout(started_at => now(), kind => 'x', rows => '[{"sets": 3}]') $$,
  '22023', 'rows[0].exercise must be text of 1 to 200 characters without control characters', 'a row needs an exercise');
select throws_ok($$ select public.log_workout(started_at => '2026-01-02', ended_at => '2026-01-01', kind => 'x', rows => '[]') $$,
  '22023', 'ended_at must not be before started_at', 'ending before it starts');
select is((select count(*)::int from public.workouts), 2, 'refused workouts wrote nothing');

-- ------------------------------------------------------------------ meals (Paris: UTC+1 in March)
select set_config('t.m', public.log_meal(eaten_at => '2026-03-09 23:30+00', meal_type => 'snack',
  items => '[{"name": "Apple", "quantity": 1, "unit": "piece", "calories": 95, "carbs": 25}]')::text, true);
select is(current_setting('t.m')::jsonb -> 'entry' ->> 'body_markdown', '- 1 piece Apple (95 kcal)', 'a meal''s entry lists its items');
select public.log_meal(eaten_at => '2026-03-10 12:00+00', meal_type => 'lunch', items => '[{"name": "Pasta", "quantity": 200, "unit": "g",
  "calories": 310, "protein": 11, "carbs": 62, "fat": 1.8}, {"name": "Salad", "calories": 40, "protein": 2, "carbs": 5, "fat": 0.5}]');
select public.log_meal(eaten_at => '2026-03-10 07:00+00', meal_type => 'breakfast', items => '[]', client_id => 'm1');
select is(public.log_meal(eaten_at => '2026-03-10 07:00+00', meal_type => 'breakfast', items => '[]', client_id => 'm1') ->> 'created',
  'false', 'a meal replayed by client id');
select results_eq($$ select day, meals, items, calories, protein, carbs, fat from public.get_nutrition_summary('2026-03-09', '2026-03-11') $$,
  $$ values ('2026-03-09'::date, 0, 0, 0::numeric, 0::numeric, 0::numeric, 0::numeric),
    ('2026-03-10', 3, 3, 445, 13, 92, 2.3), ('2026-03-11', 0, 0, 0, 0, 0, 0) $$,
  'daily totals in the user''s time zone (23:30 UTC on the 9th is the 10th in Paris), every day of the range');
select throws_ok($$ select public.log_meal(eaten_at => now(), meal_type => 'snack', items => '[{"name": "Nuts", "quantity": -30}]') $$,
  '22023', 'items[0].quantity must be a number >= 0 (at most 1000000)', 'a negative meal quantity');
select throws_ok($$ select public.log_meal(eaten_at => now(), meal_type => 'brunch', items => '[]') $$,
  '22023', 'meal_type ''brunch'' is not one of breakfast, lunch, dinner, snack, drink, other', 'an unknown meal type');
select throws_ok($$ select public.log_meal(eaten_at => now(), meal_type => 'snack', items => '[{"name": "Nuts", "calories": "lots"}]') $$,
  '22023', 'items[0].calories must be a number', 'calories must be a number');
select throws_ok($$ select * from public.get_nutrition_summary(null, '2026-03-01') $$, '22023',
  'from and to are required (local dates)', 'the range is required');
select is((select count(*)::int from public.meals), 3, 'refused meals wrote nothing');

-- ------------------------------------------------------------------ another user, anon
select tests.authenticate_as('bob');
select is_empty($$ select * from public.workouts $$, 'bob reads none of alice''s workouts');
select is_empty($$ select * from public.meal_items $$, 'nor her meals');
select is((select sum(meals)::int from public.get_nutrition_summary('2026-03-01', '2026-03-31')), 0, 'his summary is his own');
select throws_ok(format($$ select public.log_workout(started_at => now(), kind => 'x', rows => '[]', entry_id => %L) $$,
  current_setting('t.e')), 'PT404', 'entry not found', 'he cannot log a workout on her entry');
select tests.clear_authentication();
select throws_ok($$ select public.log_workout(started_at => now(), kind => 'x', rows => '[]') $$, '42501', null,
  'anon cannot log workouts');

select * from finish();
rollback;
