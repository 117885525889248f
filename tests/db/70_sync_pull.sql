-- sync: pull_changes. Structure of the change tracking (xid columns, indexes, triggers, the sync
-- tables' RLS and grants); a first pull of every synced table, rows as clients store them; paging
-- that returns every row exactly once; tombstones as deleted ids; the tables filter; another user,
-- anon and bad input. (All of this file runs in one transaction, so every write here has the same
-- transaction id: a pull after writes in the same transaction counts them as seen. Pulls across
-- transactions, and transactions held open across a pull, are in 73_sync_cursor_concurrency.sql
-- (native) and tests/e2e/sync-*.test.ts.)
begin;
-- a cursor from before this transaction wrote anything (no xid is assigned yet)
select set_config('t.before', 's1/' || pg_current_snapshot()::text || '///', true);
select plan(49);

-- ------------------------------------------------------------------ structure
select is((select count(*)::int from unnest(private.sync_tables()) t
  where exists (select 1 from pg_attribute a where a.attrelid = ('public.' || t)::regclass and a.attname = 'updated_xid'
    and a.atttypid = 'xid8'::regtype and a.attnotnull)
  and exists (select 1 from pg_attribute a where a.attrelid = ('public.' || t)::regclass and a.attname = 'created_xid'
    and a.atttypid = 'xid8'::regtype and a.attnotnull)), 11,
  'every synced table has created_xid and updated_xid (xid8, not null)');
select is((select count(*)::int from unnest(private.sync_tables()) t
  where exists (select 1 from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = ('public.' || t)::regclass
      and (select array_agg(a.attname::text order by k.n) from unnest(i.indkey) with ordinality k(att, n)
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.att)
        in (array['user_id', 'updated_xid', 'id'], array['owner_id', 'updated_xid', 'id']))), 11,
  'every synced table has its (user, updated_xid, id) pull index');
select is((select count(*)::int from unnest(private.sync_tables()) t
  where exists (select 1 from pg_trigger g where g.tgrelid = ('public.' || t)::regclass
    and g.tgname = t || '_105_stamp_updated_xid')), 11, 'every synced table stamps updated_xid on update');
select ok((select bool_and(not has_column_privilege('authenticated', 'public.' || t, c, p))
  from unnest(private.sync_tables()) t, unnest(array['created_xid', 'updated_xid']) c, unnest(array['insert', 'update']) p),
  'clients cannot write the xid columns');
select ok((select bool_and(relrowsecurity) from pg_class
  where oid in ('public.sync_mutations'::regclass, 'public.sync_conflicts'::regclass, 'public.sync_tombstones'::regclass,
    'public.sync_aliases'::regclass)), 'the sync tables have RLS');
select policies_are('public', 'sync_mutations', array['sync_mutations_select_own', 'sync_mutations_insert_own']);
select policies_are('public', 'sync_conflicts', array['sync_conflicts_select_own', 'sync_conflicts_insert_own']);
select policies_are('public', 'sync_tombstones', array['sync_tombstones_select_own']);
select policies_are('public', 'sync_aliases', array['sync_aliases_select_own', 'sync_aliases_insert_own']);
select ok(not has_table_privilege('authenticated', 'public.sync_mutations', 'update')
  and not has_table_privilege('authenticated', 'public.sync_mutations', 'delete')
  and not has_table_privilege('authenticated', 'public.sync_tombstones', 'insert')
  and not has_table_privilege('anon', 'public.sync_conflicts', 'select'),
  'clients cannot rewrite answers or tombstones; anon reads nothing');
select function_privs_are('public', 'pull_changes', array['text', 'text[]', 'integer'], 'anon', array[]::text[],
  'anon cannot pull');
select function_privs_are('public', 'pull_changes', array['text', 'text[]', 'integer'], 'authenticated',
  array['EXECUTE'], 'signed-in users pull');
select is(provolatile::text, 's', 'pull_changes is stable: one snapshot for all it reads') from pg_proc
where oid = 'public.pull_changes(text, text[], integer)'::regprocedure;

-- ------------------------------------------------------------------ a user's data in every table
select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select set_config('t.tag', (select id::text from public.upsert_entities('[{"type": "tag", "key": "Running"}]')), true);
select set_config('t.goal', (public.upsert_goal(title => 'Marathon')).id::text, true);
select set_config('t.project', (public.create_project(name => 'Weather station')).id::text, true);
select set_config('t.habit', (public.upsert_habit(name => 'Stretch', schedule => '"daily"')).id::text, true);
select set_config('t.tracker', (public.upsert_tracker(name => 'Weight', unit => 'kg', kind => 'numeric')).id::text, true);
select set_config('t.entry', public.upsert_entry(client_id => 'n-1', source_app => 'desktop', facets => '{task,event}',
  title => 'Long run', entity_keys => '[{"type": "tag", "key": "running"}]',
  goal_ids => array[current_setting('t.goal')::uuid], project_ids => array[current_setting('t.project')::uuid]) ->> 'id',
  true);
select set_config('t.gone', public.upsert_entry(facets => '{note}', title => 'scratch') ->> 'id', true);
select public.delete_entry(current_setting('t.gone')::uuid) is not null;
select public.log_habit(current_setting('t.habit')::uuid) is not null;
select public.log_tracker(current_setting('t.tracker')::uuid, 71.5) is not null;
select set_config('t.workout', public.log_workout(started_at => '2026-03-01 07:00+00', kind => 'run',
  rows => '[{"exercise": "run", "distance": 10000}]') -> 'workout' ->> 'id', true);
select set_config('t.meal', public.log_meal(eaten_at => '2026-03-01 12:00+00', meal_type => 'lunch',
  items => '[{"name": "Soup", "calories": 300}]') -> 'meal' ->> 'id', true);
select public.save_view('Runs', '{"facet": "workout"}') is not null;

-- ------------------------------------------------------------------ the first pull
select set_config('t.p', public.pull_changes()::text, true);
select is((select array_agg(k order by k) from jsonb_object_keys(current_setting('t.p')::jsonb -> 'changes') k),
  (select array_agg(t order by t) from unnest(private.sync_tables()) t), 'a first pull answers for every synced table');
select is(current_setting('t.p')::jsonb -> 'has_more', 'false'::jsonb, 'everything fits in one page');
select is((select array_agg(t || '=' || jsonb_array_length(current_setting('t.p')::jsonb -> 'changes' -> t -> 'created')
  order by t) from unnest(private.sync_tables()) t),
  array['entities=1', 'entries=3', 'goals=1', 'habit_definitions=1', 'habit_instances=1', 'meals=1', 'projects=1',
    'saved_views=1', 'tracker_definitions=1', 'tracker_logs=1', 'workouts=1'],
  'every live row comes as created (3 entries: the task, the workout''s and the meal''s events)');
select is((select count(*)::int from unnest(private.sync_tables()) t
  where jsonb_array_length(current_setting('t.p')::jsonb -> 'changes' -> t -> 'updated') > 0
    or jsonb_array_length(current_setting('t.p')::jsonb -> 'changes' -> t -> 'deleted') > 0), 0,
  'a first pull has no updates and no deleted ids: the deleted entry is left out');
select set_config('t.e', (select x::text from jsonb_array_elements(current_setting('t.p')::jsonb -> 'changes' -> 'entries' -> 'created') x
  where x ->> 'id' = current_setting('t.entry')), true);
select is(current_setting('t.e')::jsonb - '{created_at,updated_at,occurred_at}'::text[], jsonb_build_object(
  'id', current_setting('t.entry'), 'client_id', 'n-1', 'source_app', 'desktop', 'facets', '["task", "event"]'::jsonb,
  'title', 'Long run', 'body_markdown', null, 'starts_at', null, 'ends_at', null, 'due_at', null, 'status', null,
  'frontmatter', '{}'::jsonb, 'deleted_at', null, 'entity_ids', jsonb_build_array(current_setting('t.tag')),
  'goal_ids', jsonb_build_array(current_setting('t.goal')), 'project_ids', jsonb_build_array(current_setting('t.project'))),
  'an entry comes as the client stores it: its columns with client id and facets, and its entity, goal and project ids');
select ok(not (current_setting('t.e')::jsonb ?| array['user_id', 'created_xid', 'updated_xid']),
  'without the owner or the sync bookkeeping');
select is(current_setting('t.p')::jsonb #> '{changes,workouts,created,0,rows}',
  '[{"position": 1, "exercise": "run", "sets": null, "reps": null, "weight": null, "duration": null, "distance": 10000, "notes": null}]'::jsonb,
  'a workout comes with its rows');
select is(current_setting('t.p')::jsonb #>> '{changes,meals,created,0,items,0,name}', 'Soup', 'a meal with its items');
select ok(not (current_setting('t.p')::jsonb #> '{changes,projects,created,0}' ? 'owner_id')
  and current_setting('t.p')::jsonb #>> '{changes,projects,created,0,name}' = 'Weather station',
  'a project without its owner');
select is(current_setting('t.p')::jsonb #>> '{changes,habit_instances,created,0,habit_id}', current_setting('t.habit'),
  'a habit log names its habit');

-- the cursor is commit-safe text: a snapshot, not a time
select matches(current_setting('t.p')::jsonb ->> 'cursor', '^s1/\d+:\d+:[0-9,]*/[0-9,]*//$',
  'a complete pull''s cursor is a snapshot (xmin:xmax:running) with nothing left to page');
select is((public.pull_changes(current_setting('t.p')::jsonb ->> 'cursor') -> 'changes' -> 'entries' -> 'created'),
  '[]'::jsonb, 'pulling again from that cursor returns nothing: rows are not repeated');
select is(public.pull_changes(public.pull_changes(current_setting('t.p')::jsonb ->> 'cursor') ->> 'cursor') -> 'changes',
  public.pull_changes(current_setting('t.p')::jsonb ->> 'cursor') -> 'changes', 'and nothing again');

-- ------------------------------------------------------------------ paging
create temp table pages (n integer, answer jsonb) on commit drop;
grant all on pages to authenticated;
do $$
declare
  cursor text;
  answer jsonb;
begin
  for i in 1 .. 20 loop
    answer := public.pull_changes(cursor, null, 3);
    insert into pages values (i, answer);
    exit when not (answer ->> 'has_more')::boolean;
    cursor := answer ->> 'cursor';
  end loop;
end
$$;
select is((select count(*)::int from pages), 5, '13 rows in pages of 3: five pages');
select is((select bool_and((select sum(jsonb_array_length(p.answer -> 'changes' -> t -> 'created'))
  from unnest(private.sync_tables()) t) <= 3) from pages p), true, 'no page holds more than the limit');
select is((select array_agg(p.answer ->> 'has_more' order by p.n) from pages p), array['true', 'true', 'true', 'true', 'false'],
  'has_more until the last page');
select is((select count(*)::int from pages p, unnest(private.sync_tables()) t,
    jsonb_array_elements(p.answer -> 'changes' -> t -> 'created') x),
  (select count(distinct x ->> 'id')::int from pages p, unnest(private.sync_tables()) t,
    jsonb_array_elements(p.answer -> 'changes' -> t -> 'created') x), 'no row comes twice');
select set_eq($$ select x ->> 'id' from pages p, unnest(private.sync_tables()) t,
    jsonb_array_elements(p.answer -> 'changes' -> t -> 'created') x $$,
  $$ select x ->> 'id' from unnest(private.sync_tables()) t,
    jsonb_array_elements(current_setting('t.p')::jsonb -> 'changes' -> t -> 'created') x $$,
  'the pages hold exactly the rows of the single pull');
select matches((select p.answer ->> 'cursor' from pages p where p.n = 1), '^s1/1:1://\d+:\d+:[0-9,]*/\d+,\d+,[0-9a-f-]{36}$',
  'a page''s cursor keeps the window''s snapshot and its position');
select is((select p.answer -> 'changes' -> 'entities' from pages p where p.n = 2),
  '{"created": [], "updated": [], "deleted": []}'::jsonb, 'later pages still answer for every table');

-- ------------------------------------------------------------------ deletions, since a cursor
-- a cursor from before this transaction: the deletions made in it are deleted ids
select tests.authenticate_as('alice');
select is(public.pull_changes(current_setting('t.before'), '{entries}') #> '{changes,entries,deleted}',
  jsonb_build_array(current_setting('t.gone')), 'a deleted entry comes as a deleted id');
select ok(not exists (select 1 from jsonb_array_elements(public.pull_changes(current_setting('t.before'), '{entries}')
  #> '{changes,entries,created}') x where x ->> 'id' = current_setting('t.gone')), 'and not as a row');
select public.delete_project(current_setting('t.project')::uuid);
select is(public.pull_changes(current_setting('t.before'), '{projects}') #> '{changes,projects}',
  jsonb_build_object('created', '[]'::jsonb, 'updated', '[]'::jsonb, 'deleted', jsonb_build_array(current_setting('t.project'))),
  'a deleted project (deleted for real) comes as a deleted id, from its tombstone');
select is((select row_id::text from public.sync_tombstones where table_name = 'projects'), current_setting('t.project'),
  'its tombstone is recorded');
select is((select x -> 'project_ids' from jsonb_array_elements(public.pull_changes(current_setting('t.before'), '{entries}')
  #> '{changes,entries,created}') x where x ->> 'id' = current_setting('t.entry')), '[]'::jsonb,
  'the entry linked to it comes without it');
select is(public.pull_changes(tables => '{projects}') #> '{changes,projects,deleted}', '[]'::jsonb,
  'a first pull leaves tombstones out');

-- ------------------------------------------------------------------ tables filter
select is((select array_agg(k order by k) from jsonb_object_keys(public.pull_changes(tables => '{goals,entities}') -> 'changes') k),
  array['entities', 'goals'], 'tables limits the pull to the tables named');

-- ------------------------------------------------------------------ another user, anon
select tests.authenticate_as('bob');
select is((select sum(jsonb_array_length(public.pull_changes() -> 'changes' -> t -> 'created'))::int
  from unnest(private.sync_tables()) t), 0, 'another user pulls none of alice''s rows');
select is((select sum(jsonb_array_length(public.pull_changes(current_setting('t.before')) -> 'changes' -> t -> 'deleted'))::int
  from unnest(private.sync_tables()) t), 0, 'nor her deletions');
select tests.clear_authentication();
select throws_ok($$ select public.pull_changes() $$, '42501', null, 'anon cannot pull');

-- ------------------------------------------------------------------ bad input
select tests.authenticate_as('alice');
select throws_ok($$ select public.pull_changes("limit" => 0) $$, '22023', 'limit must be between 1 and 5000',
  'a limit out of range is refused');
select throws_ok($$ select public.pull_changes(tables => '{entries,diary}') $$, '22023',
  'tables[1] ''diary'' is not a synced table: use entities, goals, projects, habit_definitions, tracker_definitions, entries, habit_instances, tracker_logs, workouts, meals, saved_views',
  'an unknown table is named');
select throws_ok($$ select public.pull_changes('2026-03-01T00:00:00Z') $$, '22023',
  'cursor is not a cursor from pull_changes or push_changes', 'a timestamp is not a cursor');
select throws_ok($$ select public.pull_changes('s1/5:5:///9,1,00000000-0000-0000-0000-000000000000') $$, '22023',
  'cursor is not a cursor from pull_changes or push_changes', 'a position without a window is refused');
select throws_ok($$ select public.pull_changes('s1/99999999999:99999999999:///') $$, '22023',
  'cursor is ahead of this database', 'a cursor ahead of the database (another database, a restore) is refused');
select is(public.pull_changes('s1/1:1:///') -> 'changes' -> 'entities' -> 'created',
  public.pull_changes() -> 'changes' -> 'entities' -> 'created', 'the empty cursor is a first pull');

select * from finish();
rollback;
