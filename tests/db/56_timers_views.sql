-- timers (one running per label; stopping writes an event entry with the duration), saved views
-- (one per name, replaced by name, tombstones) and external event links; owner, stranger, anon.
begin;
select plan(26);

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.timers'::regclass, 'public.saved_views'::regclass,
  'public.external_event_links'::regclass)), 'these tables have RLS');
select has_index('public', 'timers', 'timers_user_id_label_running_key', 'one running timer per label');
select function_privs_are('public', 'stop_timer', array['uuid'], 'anon', array[]::text[], 'anon cannot call stop_timer');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');

-- ------------------------------------------------------------------ timers
select set_config('t.task', (public.upsert_entry(facets => array['task'], title => 'Write report')) ->> 'id', true);
select tests.freeze_time('2026-03-10 09:00+00');
select set_config('t.timer', (public.start_timer('Deep work', current_setting('t.task')::uuid)).id::text, true);
select throws_ok($$ select public.start_timer('  Deep work ') $$, '23505', 'a timer labelled ''Deep work'' is already running',
  'at most one running timer per label');
select lives_ok($$ select public.start_timer('Email') $$, 'another label runs alongside');
select is((select count(*)::int from public.list_timers()), 2, 'list_timers: the running ones');
select tests.freeze_time('2026-03-10 10:23:45+00');
select set_config('t.stop', public.stop_timer(current_setting('t.timer')::uuid)::text, true);
select results_eq($$ select (r -> 'duration_seconds')::int, r -> 'entry' -> 'facets', r -> 'entry' ->> 'title', (r -> 'entry' ->> 'starts_at')::timestamptz,
  (r -> 'entry' ->> 'ends_at')::timestamptz, r -> 'entry' ->> 'body_markdown', r -> 'entry' -> 'frontmatter' -> 'timer' ->> 'entry_id'
  from (select current_setting('t.stop')::jsonb r) x $$,
  format($$ values (5025, '["event"]'::jsonb, 'Deep work', '2026-03-10 09:00+00'::timestamptz, '2026-03-10 10:23:45+00'::timestamptz,
    'Tracked 1 h 23 min.', %L) $$, current_setting('t.task')),
  'stop_timer writes an event entry with the tracked time');
select tests.freeze_time('2026-03-10 11:00+00');
select is(public.stop_timer(current_setting('t.timer')::uuid) -> 'entry' ->> 'id', current_setting('t.stop')::jsonb -> 'entry' ->> 'id',
  'stopping it again returns the same entry');
select is((select count(*)::int from public.entries where 'event' = any (facets)), 1, 'and writes no other');
select lives_ok($$ select public.start_timer('Deep work') $$, 'the label is free again');
select throws_ok($$ select public.start_timer('') $$, '22023', 'label must be 1 to 200 characters without control characters',
  'a label is required');

-- ------------------------------------------------------------------ saved views
select set_config('t.view', (public.save_view('Open tasks', '{"facet": "task", "status": "todo"}')).id::text, true);
select set_config('t.ctid', (select ctid::text from public.saved_views where id = current_setting('t.view')::uuid), true);
select is((public.save_view('Open tasks', '{"status": "todo", "facet": "task"}')).id::text, current_setting('t.view'),
  'saving a name again is that view');
select is((select ctid::text from public.saved_views where id = current_setting('t.view')::uuid), current_setting('t.ctid'),
  'the same query writes nothing');
select is((public.save_view('Open tasks', '{"facet": "task"}')).query::jsonb, '{"facet": "task"}'::jsonb, 'a new query replaces it');
select results_eq($$ select name::text from public.list_views() $$, $$ values ('Open tasks') $$, 'list_views');
select isnt((public.delete_view(current_setting('t.view')::uuid)).deleted_at, null, 'delete_view leaves a tombstone');
select is_empty($$ select * from public.list_views() $$, 'a deleted view is not listed');
select isnt((public.save_view('Open tasks', '{}')).id::text, current_setting('t.view'), 'its name is free again');
select throws_ok($$ select public.save_view('x', '[]') $$, '22023', 'query must be a JSON object of at most 16 kB', 'a query is an object');

-- ------------------------------------------------------------------ external events
select set_config('t.link', (public.link_external_event('google', 'evt_123', current_setting('t.task')::uuid, 'etag-1')).id::text, true);
select is((public.link_external_event('google', 'evt_123', current_setting('t.task')::uuid, 'etag-1')).id::text, current_setting('t.link'),
  'the same link again is the same row');
select throws_ok($$ select public.link_external_event('Google Calendar', 'x', gen_random_uuid()) $$, '22023',
  'provider must be lowercase snake_case of 1 to 40 characters (e.g. google)', 'a bad provider');

-- ------------------------------------------------------------------ another user, anon
select tests.authenticate_as('bob');
select is_empty($$ select * from public.timers $$, 'bob reads none of alice''s timers');
select throws_ok(format($$ select public.stop_timer(%L) $$, current_setting('t.timer')), 'PT404', 'timer not found',
  'nor stops them');
select throws_ok(format($$ select public.delete_view(%L) $$, current_setting('t.view')), 'PT404', 'view not found',
  'nor deletes her views');
select throws_ok(format($$ select public.link_external_event('google', 'evt_999', %L) $$, current_setting('t.task')), 'PT404',
  'entry not found', 'nor links events to her entries');
select tests.clear_authentication();
select throws_ok($$ select public.start_timer('x') $$, '42501', null, 'anon cannot start timers');

select * from finish();
rollback;
