-- trackers: upsert_tracker, list_trackers, log_tracker (values by kind, replays by client id),
-- get_tracker_series (day, week and month buckets in the user's time zone, empty ones included,
-- across DST); owner, stranger, anon.
begin;
select plan(25);

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.tracker_definitions'::regclass,
  'public.tracker_logs'::regclass)), 'tracker tables have RLS');
select policies_are('public', 'tracker_logs', array['tracker_logs_select_own', 'tracker_logs_insert_own', 'tracker_logs_update_own']);
select function_privs_are('public', 'get_tracker_series', array['uuid', 'text', 'date', 'date'], 'anon', array[]::text[],
  'anon cannot call get_tracker_series');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select public.update_my_profile(timezone => 'America/New_York');

select set_config('t.weight', (public.upsert_tracker(name => 'Weight', unit => 'kg', kind => 'numeric')).id::text, true);
select set_config('t.mood', (public.upsert_tracker(name => 'Mood', kind => 'scale')).id::text, true);
select set_config('t.slept', (public.upsert_tracker(name => 'Slept well', kind => 'boolean')).id::text, true);
select is((public.upsert_tracker(id => current_setting('t.weight')::uuid, name => 'Body weight', unit => 'kg')).kind, 'numeric',
  'an omitted kind stays');
select throws_ok($$ select public.upsert_tracker(name => 'x') $$, '22023', 'kind is required: numeric, boolean or scale',
  'a new tracker needs a kind');
select throws_ok($$ select public.upsert_tracker(name => 'x', kind => 'text') $$, '22023',
  'kind ''text'' is not one of numeric, boolean, scale', 'an unknown kind');
select is((select count(*)::int from public.list_trackers()), 3, 'list_trackers lists them');

-- values by kind
select throws_ok(format($$ select public.log_tracker(%L, 11) $$, current_setting('t.mood')), '22023',
  'value must be a whole number from 1 to 10 for a scale tracker', 'a scale value out of range');
select throws_ok(format($$ select public.log_tracker(%L, 7.5) $$, current_setting('t.mood')), '22023',
  'value must be a whole number from 1 to 10 for a scale tracker', 'a scale value that is not whole');
select throws_ok(format($$ select public.log_tracker(%L, 2) $$, current_setting('t.slept')), '22023',
  'value must be 0 or 1 for a boolean tracker', 'a boolean value that is not 0 or 1');
select is((select count(*)::int from public.tracker_logs), 0, 'refused logs wrote nothing');
select tests.freeze_time('2026-03-10 12:00+00');
select is((public.log_tracker(current_setting('t.slept')::uuid, 1)).recorded_at, '2026-03-10 12:00+00'::timestamptz,
  'at defaults to now');
select set_config('t.log', (public.log_tracker(current_setting('t.weight')::uuid, 72.5, '2026-03-01 12:00+00',
  client_id => 'w-1')).id::text, true);
select is((public.log_tracker(current_setting('t.weight')::uuid, 99, '2026-03-01 13:00+00', client_id => 'w-1')).id::text,
  current_setting('t.log'), 'the same client id again is a replay: the first log, nothing written');
select is((select count(*)::int from public.tracker_logs where tracker_id = current_setting('t.weight')::uuid), 1, 'one log');

-- a series around New York's DST change (2026-03-08): logs near local midnights
select public.log_tracker(current_setting('t.weight')::uuid, v, t::timestamptz) from (values
  (71.0, '2026-03-07 04:59+00'),  -- 23:59 EST, March 6
  (73.0, '2026-03-07 05:00+00'),  -- 00:00 EST, March 7
  (72.0, '2026-03-08 04:59+00'),  -- 23:59 EST, March 7
  (70.0, '2026-03-09 03:59+00'),  -- 23:59 EDT, March 8 (a 23-hour day)
  (74.0, '2026-03-09 04:00+00')   -- 00:00 EDT, March 9
) l(v, t);
select results_eq(format($$ select bucket_start, count, sum, min, max from public.get_tracker_series(%L, 'day', '2026-03-05', '2026-03-09') $$,
  current_setting('t.weight')),
  $$ values ('2026-03-05'::date, 0, null::numeric, null::numeric, null::numeric), ('2026-03-06', 1, 71.0, 71.0, 71.0),
    ('2026-03-07', 2, 145.0, 72.0, 73.0), ('2026-03-08', 1, 70.0, 70.0, 70.0), ('2026-03-09', 1, 74.0, 74.0, 74.0) $$,
  'day buckets are local dates, empty ones included, across the DST change');
select is((select avg from public.get_tracker_series(current_setting('t.weight')::uuid, 'day', '2026-03-07', '2026-03-07')),
  72.5::numeric, 'avg of a bucket');
select results_eq(format($$ select bucket_start, bucket_end, count from public.get_tracker_series(%L, 'week', '2026-03-01', '2026-03-15') $$,
  current_setting('t.weight')),
  $$ values ('2026-02-23'::date, '2026-03-01'::date, 1), ('2026-03-02', '2026-03-08', 4), ('2026-03-09', '2026-03-15', 1) $$,
  'week buckets run Monday to Sunday, from the one holding from');
select results_eq(format($$ select bucket_start, count from public.get_tracker_series(%L, 'month', '2026-02-10', '2026-04-02') $$,
  current_setting('t.weight')),
  $$ values ('2026-02-01'::date, 0), ('2026-03-01', 6), ('2026-04-01', 0) $$, 'month buckets');
select results_eq(format($$ select bucket_start, count from public.get_tracker_series(%L, 'day', '2026-03-07', '2026-03-07') $$,
  current_setting('t.weight')), $$ values ('2026-03-07'::date, 2) $$, 'only logs of the range count');
select throws_ok(format($$ select * from public.get_tracker_series(%L, 'hour', '2026-03-01', '2026-03-02') $$, current_setting('t.weight')),
  '22023', 'bucket ''hour'' is not one of day, week, month', 'an unknown bucket');
select throws_ok(format($$ select * from public.get_tracker_series(%L, 'day', '2026-03-02', '2026-03-01') $$, current_setting('t.weight')),
  '22023', 'from must not be after to', 'a reversed range');

-- ------------------------------------------------------------------ another user, anon
select tests.authenticate_as('bob');
select is_empty($$ select * from public.tracker_logs $$, 'bob reads none of alice''s logs');
select throws_ok(format($$ select public.log_tracker(%L, 80) $$, current_setting('t.weight')), 'PT404', 'tracker not found',
  'bob cannot log alice''s tracker');
select throws_ok(format($$ select * from public.get_tracker_series(%L, 'day', '2026-03-01', '2026-03-02') $$, current_setting('t.weight')),
  'PT404', 'tracker not found', 'nor read its series');
select tests.clear_authentication();
select throws_ok($$ select * from public.list_trackers() $$, '42501', null, 'anon cannot list trackers');

select * from finish();
rollback;
