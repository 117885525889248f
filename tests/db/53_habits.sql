-- habits: upsert_habit (schedules), log_habit (local dates in the profile's time zone across DST,
-- idempotent, future dates refused), get_habit_stats (daily, weekdays, times per week), list_habits;
-- owner, stranger, anon. (Random schedules and logs are checked against a reference implementation
-- in tests/e2e/journal-reference.test.ts.)
begin;
select plan(43);

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.habit_definitions'::regclass,
  'public.habit_instances'::regclass)), 'habit tables have RLS');
select policies_are('public', 'habit_instances', array['habit_instances_select_own', 'habit_instances_insert_own',
  'habit_instances_update_own']);
select function_privs_are('public', 'log_habit', array['uuid', 'date', 'numeric', 'text'], 'anon', array[]::text[],
  'anon cannot call log_habit');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select public.update_my_profile(timezone => 'America/New_York');

-- ------------------------------------------------------------------ upsert_habit
select set_config('t.daily', (public.upsert_habit(name => 'Meditate', schedule => '"daily"')).id::text, true);
select is((select schedule from public.habit_definitions where id = current_setting('t.daily')::uuid), '{"type": "daily"}'::jsonb,
  '"daily" is stored as {"type": "daily"}');
select set_config('t.mwf', (public.upsert_habit(name => 'Gym', schedule => '{"type": "weekdays", "days": ["fri", 1, "Wednesday", 1]}')).id::text, true);
select is((select schedule from public.habit_definitions where id = current_setting('t.mwf')::uuid),
  '{"type": "weekdays", "days": [1, 3, 5]}'::jsonb, 'weekdays by number or name, sorted, distinct');
select set_config('t.twice', (public.upsert_habit(name => 'Swim', schedule => '{"type": "times_per_week", "times": 2}')).id::text, true);
select set_config('t.water', (public.upsert_habit(name => 'Water', schedule => '"daily"', target => 8)).id::text, true);
select is((public.upsert_habit(id => current_setting('t.water')::uuid, name => 'Water (glasses)', schedule => '"daily"')).target,
  8::numeric, 'an omitted target stays');
select set_config('t.ctid', (select ctid::text from public.habit_definitions where id = current_setting('t.water')::uuid), true);
select lives_ok(format($$ select public.upsert_habit(id => %L, name => 'Water (glasses)', schedule => '{"type": "daily"}') $$,
  current_setting('t.water')), 'a replay is fine');
select is((select ctid::text from public.habit_definitions where id = current_setting('t.water')::uuid), current_setting('t.ctid'),
  'and writes nothing');
select throws_ok($$ select public.upsert_habit(name => 'x', schedule => '{"type": "weekdays", "days": [1, 8]}') $$, '22023',
  'schedule.days[1] must be a weekday: 1 (Monday) to 7 (Sunday), or a name such as mon', 'a bad weekday');
select throws_ok($$ select public.upsert_habit(name => 'x', schedule => '{"type": "times_per_week", "times": 9}') $$, '22023',
  'schedule.times must be a whole number from 1 to 7', 'a bad count');
select throws_ok($$ select public.upsert_habit(name => 'x', schedule => '{"type": "hourly"}') $$, '22023',
  'schedule.type ''hourly'' is not one of daily, weekdays, times_per_week', 'an unknown schedule');
select throws_ok($$ select public.upsert_habit(name => 'x', schedule => '"daily"', target => 0) $$, '22023',
  'target must be a number greater than 0 (at most 10^9)', 'a target of 0');
select is((select count(*)::int from public.habit_definitions), 4, 'refused habits wrote nothing');
select is((select count(*)::int from public.list_habits()), 4, 'list_habits lists them');

-- ------------------------------------------------------------------ local dates across DST (New York: 2026-03-08 02:00 EST → 03:00 EDT)
select tests.freeze_time('2026-03-08 04:59+00');
select is((public.log_habit(current_setting('t.daily')::uuid)).local_date, '2026-03-07'::date,
  '23:59 EST on March 7 is March 7');
select tests.freeze_time('2026-03-08 06:30+00');
select is((public.log_habit(current_setting('t.daily')::uuid)).local_date, '2026-03-08'::date,
  '01:30 EST on March 8, before the change, is March 8');
select tests.freeze_time('2026-03-09 03:59+00');
select is((public.log_habit(current_setting('t.mwf')::uuid)).local_date, '2026-03-08'::date,
  '23:59 EDT on March 8 (a 23-hour day) is still March 8');
select tests.freeze_time('2026-03-09 04:00+00');
select is((public.log_habit(current_setting('t.mwf')::uuid)).local_date, '2026-03-09'::date, 'midnight EDT is March 9');
-- Lord Howe Island: 2026-04-05 02:00 +11 → 01:30 +10:30 (a 24.5-hour day)
select public.update_my_profile(timezone => 'Australia/Lord_Howe');
select tests.freeze_time('2026-04-04 12:59+00');
select is((public.log_habit(current_setting('t.twice')::uuid)).local_date, '2026-04-04'::date, '23:59 +11 on April 4 is April 4');
select tests.freeze_time('2026-04-05 13:29+00');
select is((public.log_habit(current_setting('t.twice')::uuid)).local_date, '2026-04-05'::date,
  '23:59 +10:30 on April 5 (after the change) is April 5');
select tests.freeze_time('2026-04-05 13:30+00');
select is((public.log_habit(current_setting('t.twice')::uuid)).local_date, '2026-04-06'::date, 'and half a minute later, April 6');
select throws_ok(format($$ select public.log_habit(%L, date => '2026-04-07') $$, current_setting('t.twice')), '22023',
  'date 2026-04-07 is in the future: today is 2026-04-06 in Australia/Lord_Howe', 'a future date is refused');
select is((select count(*)::int from public.habit_instances where local_date = '2026-04-07'), 0, 'and not written');
select tests.authenticate_as_service_role();
delete from public.habit_instances;
select tests.authenticate_as('alice');
select public.update_my_profile(timezone => 'America/New_York');

-- ------------------------------------------------------------------ log_habit: one per date, idempotent
select tests.freeze_time('2026-03-10 15:00+00'); -- Tuesday 2026-03-10, 11:00 EDT
select is((public.log_habit(current_setting('t.water')::uuid, '2026-03-09', 5, 'five')).value, 5::numeric, 'a value below target');
select is((public.log_habit(current_setting('t.water')::uuid, '2026-03-09', 8)).value, 8::numeric,
  'logging the date again replaces its value');
select set_config('t.ctid', (select ctid::text from public.habit_instances where habit_id = current_setting('t.water')::uuid), true);
select is((public.log_habit(current_setting('t.water')::uuid, '2026-03-09', 8)).value, 8::numeric, 'the same log again');
select is((select ctid::text from public.habit_instances where habit_id = current_setting('t.water')::uuid), current_setting('t.ctid'),
  'writes nothing');
select is((select count(*)::int from public.habit_instances where habit_id = current_setting('t.water')::uuid), 1,
  'one instance per habit and date');
select is((public.log_habit(current_setting('t.daily')::uuid)).value, 1::numeric, 'value defaults to the target (done)');
select throws_ok(format($$ select public.log_habit(%L, value => -1) $$, current_setting('t.daily')), '22023',
  'value must be a number >= 0 (at most 10^9)', 'a negative value');
select tests.authenticate_as_service_role();
delete from public.habit_instances;
select tests.authenticate_as('alice');

-- ------------------------------------------------------------------ get_habit_stats (today: Tuesday 2026-03-10)
-- daily: done March 1-4 and 6-9, not the 5th, today not yet
select public.log_habit(current_setting('t.daily')::uuid, d::date) from generate_series('2026-03-01'::date, '2026-03-09', '1 day') d
where d <> '2026-03-05';
select results_eq(format($$ select s -> 'current_streak', s -> 'longest_streak', s -> 'completion_rate', s -> 'due', s -> 'completed',
  s ->> 'period' from public.get_habit_stats(%L, '2026-03-01') s $$, current_setting('t.daily')),
  $$ values ('4'::jsonb, '4'::jsonb, '0.8889'::jsonb, '9'::jsonb, '8'::jsonb, 'day') $$,
  'daily: an unfinished today neither counts nor breaks the streak');
select public.log_habit(current_setting('t.daily')::uuid);
select results_eq(format($$ select s -> 'current_streak', s -> 'longest_streak', s -> 'completion_rate'
  from public.get_habit_stats(%L, '2026-03-01') s $$, current_setting('t.daily')),
  $$ values ('5'::jsonb, '5'::jsonb, '0.9'::jsonb) $$, 'once today is done it counts');
select results_eq(format($$ select s -> 'current_streak', s -> 'longest_streak', s -> 'due' from public.get_habit_stats(%L, '2026-03-01', '2026-03-04') s $$,
  current_setting('t.daily')), $$ values ('4'::jsonb, '4'::jsonb, '4'::jsonb) $$, 'a range in the past');
-- weekdays Mon/Wed/Fri: due 2, 4, 6, 9; done 2, 4, 9 (and Saturday the 7th, not due)
select public.log_habit(current_setting('t.mwf')::uuid, d) from unnest(array['2026-03-02', '2026-03-04', '2026-03-07', '2026-03-09']::date[]) d;
select results_eq(format($$ select s -> 'current_streak', s -> 'longest_streak', s -> 'completion_rate', s -> 'due'
  from public.get_habit_stats(%L, '2026-03-01') s $$, current_setting('t.mwf')),
  $$ values ('1'::jsonb, '2'::jsonb, '0.75'::jsonb, '4'::jsonb) $$,
  'weekdays: only due days count; days off neither count nor break a streak');
-- twice a week: week of Feb 23 (only March 1 in range): 1 done; week of March 2: 2 done; this week: 1 so far
select public.log_habit(current_setting('t.twice')::uuid, d) from unnest(array['2026-03-01', '2026-03-03', '2026-03-05', '2026-03-09']::date[]) d;
select results_eq(format($$ select s -> 'current_streak', s -> 'longest_streak', s -> 'completion_rate', s -> 'due', s ->> 'period'
  from public.get_habit_stats(%L, '2026-03-01') s $$, current_setting('t.twice')),
  $$ values ('1'::jsonb, '1'::jsonb, '0.5'::jsonb, '2'::jsonb, 'week') $$,
  'times per week: ISO weeks; this week counts once done');
select public.log_habit(current_setting('t.twice')::uuid);
select results_eq(format($$ select s -> 'current_streak', s -> 'longest_streak', s -> 'due' from public.get_habit_stats(%L, '2026-03-01') s $$,
  current_setting('t.twice')), $$ values ('2'::jsonb, '2'::jsonb, '3'::jsonb) $$, 'now this week is done too');
-- a target of 8: a day with 5 is not done
select public.log_habit(current_setting('t.water')::uuid, '2026-03-09', 5);
select public.log_habit(current_setting('t.water')::uuid, '2026-03-08', 8);
select results_eq(format($$ select s -> 'completed', s -> 'longest_streak' from public.get_habit_stats(%L, '2026-03-08', '2026-03-09') s $$,
  current_setting('t.water')), $$ values ('1'::jsonb, '1'::jsonb) $$, 'a day counts when its value reaches the target');
select throws_ok(format($$ select public.get_habit_stats(%L, '2026-03-05', '2026-03-01') $$, current_setting('t.daily')), '22023',
  'from must not be after to', 'a reversed range');

-- ------------------------------------------------------------------ another user, anon
select tests.authenticate_as('bob');
select is_empty($$ select * from public.habit_instances $$, 'bob reads none of alice''s logs');
select throws_ok(format($$ select public.log_habit(%L) $$, current_setting('t.daily')), 'PT404', 'habit not found',
  'bob cannot log alice''s habit');
select throws_ok(format($$ select public.get_habit_stats(%L) $$, current_setting('t.daily')), 'PT404', 'habit not found',
  'nor see its stats');
select throws_ok(format($$ insert into public.habit_instances (habit_id, local_date) values (%L, '2026-01-01') $$,
  current_setting('t.daily')), '42501', null, 'nor insert a log directly');
select tests.clear_authentication();
select throws_ok($$ select * from public.list_habits() $$, '42501', null, 'anon cannot list habits');

select * from finish();
rollback;
