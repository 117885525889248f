-- sync: push_changes. Idempotent replays (the first answer again, nothing written; a mutation id
-- reused for other changes refused); created-for-existing is an update, deleted-for-missing is
-- ignored; rows found by client id and natural key (two devices' "Running" tag is one entity, the
-- client ids mapped); a row that fails validation rejected alone with its reason; every table's
-- rows written as the journal's RPCs would; another user's rows, anon, bad input.
begin;
select plan(56);

select function_privs_are('public', 'push_changes', array['jsonb', 'text', 'text'], 'anon', array[]::text[],
  'anon cannot push');
select function_privs_are('public', 'push_changes', array['jsonb', 'text', 'text'], 'authenticated', array['EXECUTE'],
  'signed-in users push');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');

-- ------------------------------------------------------------------ a first push: every table
create temp table answers (name text primary key, answer jsonb) on commit drop;
grant all on answers to authenticated;
insert into answers select 'first', public.push_changes(mutation_id => 'desk-1', changes => $${
  "entities": {"created": [{"id": "a0000000-0000-4000-8000-000000000001", "type": "tag", "key": "  Running ", "display_name": "Running"}]},
  "goals": {"created": [
    {"id": "a0000000-0000-4000-8000-000000000003", "title": "Sub-4", "parent_id": "a0000000-0000-4000-8000-000000000002"},
    {"id": "a0000000-0000-4000-8000-000000000002", "title": "Marathon", "target_date": "2026-10-04"}]},
  "projects": {"created": [{"id": "a0000000-0000-4000-8000-000000000004", "name": "Weather station", "client_id": "p-1", "target_budget": 120}]},
  "habit_definitions": {"created": [{"id": "a0000000-0000-4000-8000-000000000005", "name": "Stretch", "schedule": {"type": "weekdays", "days": ["mon", 3]}}]},
  "tracker_definitions": {"created": [{"id": "a0000000-0000-4000-8000-000000000006", "name": "Mood", "kind": "scale"}]},
  "entries": {"created": [{"id": "a0000000-0000-4000-8000-000000000007", "client_id": "n-1", "source_app": "desktop",
    "facets": ["event", "task"], "title": " Long run ", "occurred_at": "2026-03-01T07:00:00Z",
    "entity_ids": ["a0000000-0000-4000-8000-000000000001"], "goal_ids": ["a0000000-0000-4000-8000-000000000003"],
    "project_ids": ["a0000000-0000-4000-8000-000000000004"]}]},
  "habit_instances": {"created": [{"id": "a0000000-0000-4000-8000-000000000008", "habit_id": "a0000000-0000-4000-8000-000000000005", "local_date": "2026-03-02"}]},
  "tracker_logs": {"created": [{"id": "a0000000-0000-4000-8000-000000000009", "tracker_id": "a0000000-0000-4000-8000-000000000006", "value": 7, "recorded_at": "2026-03-01T20:00:00Z"}]},
  "workouts": {"created": [{"id": "a0000000-0000-4000-8000-00000000000a", "entry_id": "a0000000-0000-4000-8000-000000000007", "kind": "run",
    "started_at": "2026-03-01T07:00:00Z", "ended_at": "2026-03-01T08:00:00Z", "rows": [{"exercise": "run", "distance": 10000, "duration": 3600}]}]},
  "meals": {"created": [{"id": "a0000000-0000-4000-8000-00000000000b", "meal_type": "breakfast", "eaten_at": "2026-03-01T06:30:00Z",
    "items": [{"name": "Oats", "quantity": 80, "unit": "g", "calories": 300}]}]},
  "saved_views": {"created": [{"id": "a0000000-0000-4000-8000-00000000000c", "name": "Runs", "query": {"facet": "workout"}}]}
}$$::jsonb);
select is((select count(*)::int from jsonb_array_elements((select answer from answers where name = 'first') -> 'applied') a
  where a ->> 'op' = 'created'), 12, 'every created row is applied as created');
select is((select answer -> 'rejected' from answers where name = 'first'), '[]'::jsonb, 'nothing rejected');
select is((select answer -> 'conflicts' from answers where name = 'first'), '[]'::jsonb, 'no conflicts');
select results_eq($$ select e.title::text, e.facets::text[], e.client_id::text, e.source_app::text,
    (select count(*)::int from public.entry_entities l where l.entry_id = e.id),
    (select count(*)::int from public.entry_goals l where l.entry_id = e.id),
    (select count(*)::int from public.entry_projects l where l.entry_id = e.id)
  from public.entries e where e.id = 'a0000000-0000-4000-8000-000000000007' $$,
  $$ values ('Long run', array['task', 'event'], 'n-1', 'desktop', 1, 1, 1) $$,
  'an entry is written as upsert_entry writes it (title trimmed, facets in order) with its links, under the client''s id');
select is((select key || '/' || display_name from public.entities where id = 'a0000000-0000-4000-8000-000000000001'),
  'running/Running', 'an entity''s key is normalised');
select is((select parent_id::text from public.goals where id = 'a0000000-0000-4000-8000-000000000003'),
  'a0000000-0000-4000-8000-000000000002', 'a goal listed before its parent is written after it');
select is((select schedule from public.habit_definitions where id = 'a0000000-0000-4000-8000-000000000005'),
  '{"type": "weekdays", "days": [1, 3]}'::jsonb, 'a habit''s schedule is normalised as upsert_habit does');
select is((select value from public.habit_instances where id = 'a0000000-0000-4000-8000-000000000008'), 1::numeric,
  'a habit log without a value takes the habit''s target');
select is((select (select count(*)::int from public.workout_rows r where r.workout_id = w.id) from public.workouts w
  where w.id = 'a0000000-0000-4000-8000-00000000000a'), 1, 'a workout is written with its rows');
select is((select answer #> '{applied}' from answers where name = 'first') @> jsonb_build_array(jsonb_build_object(
  'table', 'entries', 'id', 'a0000000-0000-4000-8000-000000000007', 'op', 'created',
  'row', private.sync_row('entries', 'a0000000-0000-4000-8000-000000000007'))), true,
  'the answer carries each row as stored (as a pull returns it)');
select matches((select answer ->> 'cursor' from answers where name = 'first'), '^s1/1:1:/\d+//$',
  'without last_pulled_cursor, the answer''s cursor has seen only this push');

-- ------------------------------------------------------------------ replays
select set_config('t.ctid', (select ctid::text from public.entries where id = 'a0000000-0000-4000-8000-000000000007'), true);
select is(public.push_changes((select '{}'::jsonb), null, 'desk-empty') -> 'applied', '[]'::jsonb, 'an empty push applies nothing');
-- the very same push again
select set_config('t.first_changes', $${
  "entities": {"created": [{"id": "a0000000-0000-4000-8000-000000000001", "type": "tag", "key": "  Running ", "display_name": "Running"}]},
  "goals": {"created": [
    {"id": "a0000000-0000-4000-8000-000000000003", "title": "Sub-4", "parent_id": "a0000000-0000-4000-8000-000000000002"},
    {"id": "a0000000-0000-4000-8000-000000000002", "title": "Marathon", "target_date": "2026-10-04"}]},
  "projects": {"created": [{"id": "a0000000-0000-4000-8000-000000000004", "name": "Weather station", "client_id": "p-1", "target_budget": 120}]},
  "habit_definitions": {"created": [{"id": "a0000000-0000-4000-8000-000000000005", "name": "Stretch", "schedule": {"type": "weekdays", "days": ["mon", 3]}}]},
  "tracker_definitions": {"created": [{"id": "a0000000-0000-4000-8000-000000000006", "name": "Mood", "kind": "scale"}]},
  "entries": {"created": [{"id": "a0000000-0000-4000-8000-000000000007", "client_id": "n-1", "source_app": "desktop",
    "facets": ["event", "task"], "title": " Long run ", "occurred_at": "2026-03-01T07:00:00Z",
    "entity_ids": ["a0000000-0000-4000-8000-000000000001"], "goal_ids": ["a0000000-0000-4000-8000-000000000003"],
    "project_ids": ["a0000000-0000-4000-8000-000000000004"]}]},
  "habit_instances": {"created": [{"id": "a0000000-0000-4000-8000-000000000008", "habit_id": "a0000000-0000-4000-8000-000000000005", "local_date": "2026-03-02"}]},
  "tracker_logs": {"created": [{"id": "a0000000-0000-4000-8000-000000000009", "tracker_id": "a0000000-0000-4000-8000-000000000006", "value": 7, "recorded_at": "2026-03-01T20:00:00Z"}]},
  "workouts": {"created": [{"id": "a0000000-0000-4000-8000-00000000000a", "entry_id": "a0000000-0000-4000-8000-000000000007", "kind": "run",
    "started_at": "2026-03-01T07:00:00Z", "ended_at": "2026-03-01T08:00:00Z", "rows": [{"exercise": "run", "distance": 10000, "duration": 3600}]}]},
  "meals": {"created": [{"id": "a0000000-0000-4000-8000-00000000000b", "meal_type": "breakfast", "eaten_at": "2026-03-01T06:30:00Z",
    "items": [{"name": "Oats", "quantity": 80, "unit": "g", "calories": 300}]}]},
  "saved_views": {"created": [{"id": "a0000000-0000-4000-8000-00000000000c", "name": "Runs", "query": {"facet": "workout"}}]}
}$$, true);
select set_config('t.rows', (select count(*)::text from public.entries) || '/' || (select count(*) from public.entities)
  || '/' || (select count(*) from public.sync_mutations) || '/' || (select count(*) from public.sync_conflicts), true);
select is(public.push_changes(current_setting('t.first_changes')::jsonb, null, 'desk-1'),
  (select answer from answers where name = 'first'), 'a replay of the mutation returns the first answer');
select is((select count(*)::text from public.entries) || '/' || (select count(*) from public.entities)
  || '/' || (select count(*) from public.sync_mutations) || '/' || (select count(*) from public.sync_conflicts),
  current_setting('t.rows'), 'and writes nothing: no row, no answer, no conflict');
select is((select ctid::text from public.entries where id = 'a0000000-0000-4000-8000-000000000007'), current_setting('t.ctid'),
  'the entry was not even rewritten');
select throws_ok($$ select public.push_changes('{"goals": {"deleted": ["a0000000-0000-4000-8000-000000000002"]}}', null, 'desk-1') $$,
  'PT409', 'mutation_id was used for other changes', 'a mutation id reused for other changes is refused');
select is((select deleted_at from public.goals where id = 'a0000000-0000-4000-8000-000000000002'), null,
  'and nothing of it is written');

-- ------------------------------------------------------------------ created for an existing row, deleted for a missing one
-- the same rows under a new mutation id (a client that lost its outbox state): updates, changing nothing
insert into answers select 'again', public.push_changes(current_setting('t.first_changes')::jsonb, null, 'desk-2');
select is((select array_agg(distinct a ->> 'op') || count(*)::text from answers, jsonb_array_elements(answer -> 'applied') a
  where name = 'again'), array['updated', '12'], '"created" for rows that exist are updates (all twelve)');
select is((select (answer -> 'rejected') || (answer -> 'conflicts') from answers where name = 'again'), '[]'::jsonb,
  'none rejected, none a conflict (nothing changed)');
select is((select count(*)::text from public.entries) || '/' || (select count(*) from public.entities),
  split_part(current_setting('t.rows'), '/', 1) || '/' || split_part(current_setting('t.rows'), '/', 2), 'no row is duplicated');
-- every table's rows changed (a cursor that has seen this transaction's writes: no conflicts)
insert into answers select 'changed', public.push_changes(mutation_id => 'desk-2b',
  last_pulled_cursor => public.pull_changes() ->> 'cursor', changes => $${
  "entities": {"updated": [{"id": "a0000000-0000-4000-8000-000000000001", "type": "tag", "key": "running", "display_name": "Running", "metadata": {"color": "red"}}]},
  "goals": {"updated": [{"id": "a0000000-0000-4000-8000-000000000002", "title": "Marathon 2026", "status": "paused"}]},
  "projects": {"updated": [{"id": "a0000000-0000-4000-8000-000000000004", "name": "Weather station v2", "currency": "EUR", "status": "active"}]},
  "habit_definitions": {"updated": [{"id": "a0000000-0000-4000-8000-000000000005", "name": "Stretch", "schedule": "daily", "target": 2}]},
  "tracker_definitions": {"updated": [{"id": "a0000000-0000-4000-8000-000000000006", "name": "Mood", "unit": "points"}]},
  "entries": {"updated": [{"id": "a0000000-0000-4000-8000-000000000007", "facets": ["note"], "title": "Long run, done", "entity_ids": []}]},
  "habit_instances": {"updated": [{"id": "a0000000-0000-4000-8000-000000000008", "habit_id": "a0000000-0000-4000-8000-000000000005", "local_date": "2026-03-02", "value": 2, "note": "both"}]},
  "tracker_logs": {"updated": [{"id": "a0000000-0000-4000-8000-000000000009", "tracker_id": "a0000000-0000-4000-8000-000000000006", "value": 8}]},
  "workouts": {"updated": [{"id": "a0000000-0000-4000-8000-00000000000a", "kind": "run", "started_at": "2026-03-01T07:00:00Z", "rows": [{"exercise": "run", "distance": 12000}, {"exercise": "stretch"}]}]},
  "meals": {"updated": [{"id": "a0000000-0000-4000-8000-00000000000b", "meal_type": "brunch", "eaten_at": "2026-03-01T06:30:00Z", "items": []}]},
  "saved_views": {"updated": [{"id": "a0000000-0000-4000-8000-00000000000c", "name": "Runs", "query": {"facet": "workout", "min": 10}}]}
}$$::jsonb);
select is((select jsonb_agg(a ->> 'table' order by a ->> 'table') from answers, jsonb_array_elements(answer -> 'applied') a
  where name = 'changed' and a ->> 'op' = 'updated'), '["entities", "entries", "goals", "habit_definitions", "habit_instances", "projects", "saved_views", "tracker_definitions", "tracker_logs", "workouts"]'::jsonb,
  'an update of every table is applied (a meal_type that is not one is rejected)');
select is((select jsonb_build_array(r ->> 'table', r ->> 'reason') from answers, jsonb_array_elements(answer -> 'rejected') r
  where name = 'changed'), '["meals", "meal_type ''brunch'' is not one of breakfast, lunch, dinner, snack, drink, other"]'::jsonb,
  'with its reason');
select is(array[
    (select display_name || '/' || (metadata ->> 'color') from public.entities where id = 'a0000000-0000-4000-8000-000000000001'),
    (select title || '/' || status from public.goals where id = 'a0000000-0000-4000-8000-000000000002'),
    (select name || '/' || currency || '/' || status from public.projects where id = 'a0000000-0000-4000-8000-000000000004'),
    (select schedule::text || '/' || target from public.habit_definitions where id = 'a0000000-0000-4000-8000-000000000005'),
    (select unit from public.tracker_definitions where id = 'a0000000-0000-4000-8000-000000000006'),
    (select title || '/' || (select count(*) from public.entry_entities l where l.entry_id = e.id) from public.entries e
      where id = 'a0000000-0000-4000-8000-000000000007'),
    (select value || '/' || note from public.habit_instances where id = 'a0000000-0000-4000-8000-000000000008'),
    (select value::text from public.tracker_logs where id = 'a0000000-0000-4000-8000-000000000009'),
    (select string_agg(exercise || coalesce(':' || distance, ''), ',' order by position) from public.workout_rows
      where workout_id = 'a0000000-0000-4000-8000-00000000000a'),
    (select name || '/' || (query ->> 'min') from public.saved_views where id = 'a0000000-0000-4000-8000-00000000000c')],
  array['Running/red', 'Marathon 2026/paused', 'Weather station v2/EUR/active', '{"type": "daily"}/2', 'points',
    'Long run, done/0', '2/both', '8', 'run:12000,stretch', 'Runs/10'],
  'and written as given');
select is(public.push_changes('{"entries": {"deleted": ["a0000000-0000-4000-8000-0000000000ff"]}, "goals": {"deleted": ["a0000000-0000-4000-8000-0000000000fe"]}}',
  null, 'desk-3') - 'cursor', '{"applied": [], "conflicts": [], "rejected": []}'::jsonb, 'deleting rows that do not exist is ignored');

-- ------------------------------------------------------------------ another device: client ids and natural keys
-- (with a cursor that has seen this transaction's writes, so that these are no conflicts: see 72)
insert into answers select 'phone', public.push_changes(mutation_id => 'phone-1',
  last_pulled_cursor => public.pull_changes() ->> 'cursor', changes => $${
  "entities": {"created": [{"id": "b0000000-0000-4000-8000-000000000001", "type": "tag", "key": "RUNNING"}]},
  "entries": {"created": [{"id": "b0000000-0000-4000-8000-000000000007", "client_id": "n-1", "source_app": "desktop",
    "facets": ["event", "task"], "title": "Long run (phone)", "entity_ids": ["b0000000-0000-4000-8000-000000000001"]}]},
  "habit_instances": {"created": [{"id": "b0000000-0000-4000-8000-000000000008", "habit_id": "a0000000-0000-4000-8000-000000000005", "local_date": "2026-03-02", "value": 2}]},
  "saved_views": {"created": [{"id": "b0000000-0000-4000-8000-00000000000c", "name": "Runs", "query": {"facet": "workout", "sort": "desc"}}]}
}$$::jsonb);
select is((select count(*)::int from public.entities where key = 'running'), 1, 'two devices'' "Running" tags are one entity');
select is((select a -> 'mapped_from' || jsonb_build_array(a -> 'id', a #> '{row,display_name}') from jsonb_array_elements(
  (select answer from answers where name = 'phone') -> 'applied') a where a ->> 'table' = 'entities'),
  '["b0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000001", "Running"]'::jsonb,
  'the answer maps the phone''s tag id to the server''s (which keeps its display name)');
select is((select x -> 'mapped_from' || jsonb_build_array(x -> 'id', x #> '{row,title}', x #> '{row,entity_ids}')
  from jsonb_array_elements((select answer from answers where name = 'phone') -> 'applied') x where x ->> 'table' = 'entries'),
  '["b0000000-0000-4000-8000-000000000007", "a0000000-0000-4000-8000-000000000007", "Long run (phone)", ["a0000000-0000-4000-8000-000000000001"]]'::jsonb,
  'an entry found by its client id is updated and mapped; its link to the phone''s tag id is the server''s tag');
select is((select count(*)::int || '/' || max(value) from public.habit_instances), '1/2',
  'a day logged on two devices is one habit log (updated)');
select is((select count(*)::int || '/' || max(query::text) from public.saved_views where deleted_at is null),
  '1/{"sort": "desc", "facet": "workout"}', 'a view saved under the same name on two devices is one view');
select is((select row_id::text from public.sync_aliases where alias_id = 'b0000000-0000-4000-8000-000000000001'),
  'a0000000-0000-4000-8000-000000000001', 'the mapping is kept');
select is(public.push_changes('{"entries": {"updated": [{"id": "b0000000-0000-4000-8000-000000000007", "client_id": "n-1",
    "source_app": "desktop", "facets": ["note"], "title": "by alias", "entity_ids": ["b0000000-0000-4000-8000-000000000001"]}]},
    "entities": {"updated": [{"id": "b0000000-0000-4000-8000-000000000001", "type": "tag", "key": "running", "display_name": "Runs"}]}}',
    public.pull_changes() ->> 'cursor', 'phone-2') -> 'applied' @> '[{"table": "entries", "row": {"title": "by alias"}}]', true,
  'a later push that still uses the phone''s ids reaches the server''s rows');
select is((select display_name::text from public.entities where id = 'a0000000-0000-4000-8000-000000000001'), 'Runs',
  'through the alias');

-- ------------------------------------------------------------------ rejections, one row at a time
insert into answers select 'mixed', public.push_changes(mutation_id => 'desk-4', changes => $${
  "entries": {"created": [
    {"id": "a0000000-0000-4000-8000-000000000011", "facets": ["diary"], "title": "bad facet"},
    {"id": "a0000000-0000-4000-8000-000000000012", "facets": ["note"], "title": "fine"},
    {"id": "a0000000-0000-4000-8000-000000000013", "facets": ["note"], "occurred_at": "yesterday-ish"},
    {"id": "not-a-uuid", "facets": ["note"]}]},
  "habit_definitions": {"created": [{"id": "a0000000-0000-4000-8000-000000000014", "name": "Read", "schedule": {"type": "hourly"}}]},
  "tracker_logs": {"created": [{"id": "a0000000-0000-4000-8000-000000000015", "tracker_id": "a0000000-0000-4000-8000-000000000006", "value": 11}]},
  "goals": {"updated": [{"id": "a0000000-0000-4000-8000-000000000002", "title": "Marathon", "parent_id": "a0000000-0000-4000-8000-000000000003"}]}
}$$::jsonb);
select is((select jsonb_agg(jsonb_build_array(r ->> 'table', r ->> 'id', r ->> 'code', r ->> 'reason') order by r ->> 'table', r ->> 'id')
  from jsonb_array_elements((select answer from answers where name = 'mixed') -> 'rejected') r), $$[
  ["entries", "a0000000-0000-4000-8000-000000000011", "22023", "facets[0] 'diary' is not a facet: use note, task, event, dream, workout, meal, habit_def, journal"],
  ["entries", "a0000000-0000-4000-8000-000000000013", "22023", "occurred_at must be a timestamp (ISO 8601)"],
  ["entries", "not-a-uuid", "22023", "id must be a uuid"],
  ["goals", "a0000000-0000-4000-8000-000000000002", "22023", "parent_id would make a cycle: that goal is below this one"],
  ["habit_definitions", "a0000000-0000-4000-8000-000000000014", "22023", "schedule.type 'hourly' is not one of daily, weekdays, times_per_week"],
  ["tracker_logs", "a0000000-0000-4000-8000-000000000015", "22023", "value must be a whole number from 1 to 10 for a scale tracker"]
  ]$$::jsonb, 'each bad row is rejected alone, with the journal''s reason');
select is((select jsonb_agg(a ->> 'id') from jsonb_array_elements((select answer from answers where name = 'mixed') -> 'applied') a
  where a ->> 'op' = 'created'), '["a0000000-0000-4000-8000-000000000012"]'::jsonb, 'the good row of the batch is applied');
select ok(exists (select 1 from public.entries where id = 'a0000000-0000-4000-8000-000000000012')
  and not exists (select 1 from public.entries where id = 'a0000000-0000-4000-8000-000000000011'), 'and only it is written');
select is((select r -> 'row' ->> 'parent_id' from jsonb_array_elements((select answer from answers where name = 'mixed') -> 'rejected') r
  where r ->> 'table' = 'goals'), null, 'a rejected update carries the server''s row as it stays');

-- ------------------------------------------------------------------ delete wins over update
-- (a cursor that has seen this transaction's writes: no conflict)
select is(public.push_changes('{"goals": {"deleted": ["a0000000-0000-4000-8000-000000000003"]}}',
  public.pull_changes() ->> 'cursor', 'desk-5') -> 'applied',
  '[{"table": "goals", "id": "a0000000-0000-4000-8000-000000000003", "op": "deleted", "row": null}]'::jsonb,
  'a delete is applied');
select is((select deleted_at is not null from public.goals where id = 'a0000000-0000-4000-8000-000000000003'), true,
  'as a tombstone');
select set_config('t.lost', public.push_changes('{"goals": {"updated": [{"id": "a0000000-0000-4000-8000-000000000003", "title": "Sub-3:59"}]}}',
  null, 'phone-3')::text, true);
select is(current_setting('t.lost')::jsonb -> 'conflicts', jsonb_build_array(jsonb_build_object('table', 'goals',
  'id', 'a0000000-0000-4000-8000-000000000003', 'winner', 'server', 'op', 'deleted',
  'reason', 'deleted on the server: a delete wins over an update', 'row', null)),
  'an update of a deleted row is a conflict the delete wins, reported without a row');
select is((select title::text from public.goals where id = 'a0000000-0000-4000-8000-000000000003'), 'Sub-4', 'the update is not written');
select is((select winner || '/' || reason || '/' || (client_row ->> 'title') || '/' || coalesce(server_row::text, 'null')
  from public.sync_conflicts where mutation_id = 'phone-3'),
  'server/deleted on the server: a delete wins over an update/Sub-3:59/null', 'the conflict is logged with both versions');
select public.push_changes('{"projects": {"deleted": ["a0000000-0000-4000-8000-000000000004"]}}', null, 'desk-6');
select ok(not exists (select 1 from public.projects where id = 'a0000000-0000-4000-8000-000000000004')
  and exists (select 1 from public.sync_tombstones where row_id = 'a0000000-0000-4000-8000-000000000004'),
  'a deleted project is deleted as delete_project does, with a tombstone');
select is(public.push_changes('{"projects": {"created": [{"id": "a0000000-0000-4000-8000-000000000004", "name": "Back?"}]}}',
  null, 'phone-4') #>> '{conflicts,0,winner}', 'server', 'a deleted project does not come back');

-- ------------------------------------------------------------------ another user
select tests.authenticate_as('bob');
select is((select r ->> 'reason' from jsonb_array_elements(public.push_changes(
  '{"entries": {"created": [{"id": "a0000000-0000-4000-8000-000000000012", "facets": ["note"], "title": "mine now"}]}}', null,
  'bob-1') -> 'rejected') r), 'entry id is taken', 'bob cannot write alice''s entry by its id');
select is(public.push_changes('{"entries": {"deleted": ["a0000000-0000-4000-8000-000000000012"]}}', null, 'bob-2') - 'cursor',
  '{"applied": [], "conflicts": [], "rejected": []}'::jsonb, 'nor delete it: to him it does not exist');
select is(public.push_changes('{"entries": {"created": [{"id": "c0000000-0000-4000-8000-000000000001", "facets": ["note"],
  "entity_ids": ["a0000000-0000-4000-8000-000000000001"]}]}}', null, 'bob-3') #>> '{rejected,0,reason}',
  'entity_ids[0] is not one of your entities', 'nor link her tag');
select is(public.push_changes(current_setting('t.first_changes')::jsonb, null, 'desk-1') -> 'applied' -> 0 ->> 'op', 'created',
  'mutation ids are per user: alice''s desk-1 is not bob''s');
select tests.authenticate_as('alice');
select is((select title::text from public.entries where id = 'a0000000-0000-4000-8000-000000000012'), 'fine',
  'alice''s entry is as she left it');

-- ------------------------------------------------------------------ anon, bad input
select tests.clear_authentication();
select throws_ok($$ select public.push_changes('{}', null, 'anon-1') $$, '42501', null, 'anon cannot push');
select tests.authenticate_as('alice');
select throws_ok($$ select public.push_changes('{}', null, null) $$, '22023',
  'mutation_id is required: the id of this push, the same when it is retried', 'a push needs a mutation id');
select throws_ok($$ select public.push_changes('{"diary": {"created": []}}', null, 'bad-1') $$, '22023',
  'changes.diary is not a synced table: use entities, goals, projects, habit_definitions, tracker_definitions, entries, habit_instances, tracker_logs, workouts, meals, saved_views',
  'an unknown table is named');
select throws_ok($$ select public.push_changes('{"entries": {"created": [1]}}', null, 'bad-2') $$, '22023',
  'changes.entries.created[0] must be an object', 'a row that is not an object refuses the push');
select throws_ok($$ select public.push_changes(jsonb_build_object('entries', jsonb_build_object('deleted',
  (select jsonb_agg(gen_random_uuid()) from generate_series(1, 1001)))), null, 'bad-3') $$, '22023',
  'changes hold 1001 rows: at most 1,000 per push', 'at most 1,000 rows per push');
select throws_ok($$ select public.push_changes('{}', 'yesterday', 'bad-4') $$, '22023',
  'last_pulled_cursor is not a cursor from pull_changes or push_changes', 'a bad cursor is refused');

select * from finish();
rollback;
