-- entries: upsert_entry (by id and by client id, idempotent replays, links), get_entry,
-- list_entries (keyset pages, filters), delete_entry / restore_entry, add_entry_segments; owner,
-- stranger, anon and service role; bad input named and nothing written.
begin;
select plan(78);

-- structure
select has_table('public', 'entries', 'entries exists');
select ok((select relrowsecurity from pg_class where oid = 'public.entries'::regclass), 'entries has RLS');
select ok((select relrowsecurity from pg_class where oid = 'public.entry_segments'::regclass), 'entry_segments has RLS');
select policies_are('public', 'entries', array['entries_select_own', 'entries_insert_own', 'entries_update_own']);
select policies_are('public', 'entry_segments', array['entry_segments_select_own', 'entry_segments_insert_own']);
select has_index('public', 'entries', 'entries_user_id_occurred_at_id_idx', 'list_entries has its keyset index');
select has_index('public', 'entries', 'entries_user_id_source_app_client_id_key', 'client ids are unique per user and app');
select ok(not has_column_privilege('authenticated', 'public.entries', 'updated_at', 'update')
  and not has_column_privilege('authenticated', 'public.entries', 'user_id', 'insert')
  and not has_table_privilege('authenticated', 'public.entries', 'delete'),
  'clients cannot write updated_at or user_id, nor delete entries (tombstones)');
select function_privs_are('public', 'upsert_entry', array['uuid', 'text', 'text', 'text[]', 'text', 'text', 'timestamptz',
  'timestamptz', 'timestamptz', 'timestamptz', 'text', 'jsonb', 'jsonb', 'uuid[]', 'uuid[]'], 'anon', array[]::text[],
  'anon cannot call upsert_entry');
select function_privs_are('public', 'list_entries', array['text', 'uuid', 'uuid', 'timestamptz', 'timestamptz', 'boolean',
  'integer', 'text'], 'anon', array[]::text[], 'anon cannot call list_entries');
select function_privs_are('public', 'get_entry', array['uuid'], 'service_role', array['EXECUTE'],
  'the service role may read entries');

select tests.create_user('alice');
select tests.create_user('bob');

-- ------------------------------------------------------------------ upsert_entry: create
select tests.authenticate_as('alice');
select tests.freeze_time('2026-03-01 09:00+00');
select set_config('t.e1', (public.upsert_entry(facets => array['task', 'event', 'task'], title => '  Dentist  ',
  body_markdown => 'Bring the **forms**.', client_id => 'local-1', source_app => 'desktop',
  starts_at => '2026-03-02 10:00+00', ends_at => '2026-03-02 11:00+00', status => 'todo',
  frontmatter => '{"priority": 2}', entity_keys => '[{"type": "person", "key": "  Dr.   Müller "},
    {"type": "tag", "key": "Health"}, {"type": "place", "key": "Clinic", "display_name": "City Clinic"}]')) ->> 'id', true);
select results_eq(
  format('select facets::text[], title::text, status::text, client_id::text, source_app::text, occurred_at, user_id from public.entries where id = %L',
    current_setting('t.e1')),
  format($$ values (array['task', 'event']::text[], 'Dentist', 'todo', 'local-1', 'desktop', '2026-03-01 09:00+00'::timestamptz, %L::uuid) $$,
    tests.get_user_id('alice')),
  'upsert_entry creates the entry: facets without duplicates in canonical order, title trimmed, occurred_at now');
select set_eq(
  format($$ select e.type::text || ':' || e.key || ':' || e.display_name from public.entry_entities l
    join public.entities e on e.id = l.entity_id where l.entry_id = %L $$, current_setting('t.e1')),
  array['person:dr. müller:Dr. Müller', 'tag:health:Health', 'place:clinic:City Clinic'],
  'its entity keys are upserted (normalised keys, accents kept, display names as written) and linked');
select tests.freeze_time('2026-03-01 09:01+00');
select is(jsonb_array_length(public.upsert_entry(facets => array['note'], title => 'x') -> 'entities'), 0,
  'an entry without entity keys has none');

-- the same client id again: that entry, not a new one; nothing written when nothing changed
select set_config('t.ctid', (select ctid::text from public.entries where id = current_setting('t.e1')::uuid), true);
select set_config('t.count', (select count(*)::text from public.entries), true);
select is(public.upsert_entry(facets => array['event', 'task'], title => 'Dentist', body_markdown => 'Bring the **forms**.',
  client_id => 'local-1', source_app => 'desktop', starts_at => '2026-03-02 10:00+00', ends_at => '2026-03-02 11:00+00',
  status => 'todo', frontmatter => '{"priority": 2}', entity_keys => '[{"type": "tag", "key": "health"},
    {"type": "person", "key": "dr. müller"}, {"type": "place", "key": "clinic"}]') ->> 'id',
  current_setting('t.e1'), 'a replay by client id returns the same entry');
select is((select ctid::text from public.entries where id = current_setting('t.e1')::uuid), current_setting('t.ctid'),
  'and writes nothing: the row was not updated (updated_at stays)');
select is((select count(*)::text from public.entries), current_setting('t.count'), 'no entry was added');
select is((select count(*)::int from public.entities where user_id = tests.get_user_id('alice')), 3,
  'nor any entity (keys match whatever their case)');
select is((select count(*)::int from public.entries where client_id = 'local-1'), 1, 'one entry per client id');
-- the same client id from another app is another entry
select tests.freeze_time('2026-03-01 09:02+00');
select isnt(public.upsert_entry(facets => array['note'], client_id => 'local-1', source_app => 'mobile') ->> 'id',
  current_setting('t.e1'), 'a client id is unique per source app: mobile''s local-1 is another entry');

-- an update by id: the entry as given; links given replace, omitted stay
select results_eq(
  format($$ select (r ->> 'title'), (r ->> 'status'), (r ->> 'body_markdown'), jsonb_array_length(r -> 'entities'),
    (r ->> 'occurred_at')::timestamptz from public.upsert_entry(id => %L, facets => array['task'], title => 'Dentist (moved)',
    entity_keys => '[{"type": "tag", "key": "health"}]') r $$, current_setting('t.e1')),
  $$ values ('Dentist (moved)', null::text, null::text, 1, '2026-03-01 09:00+00'::timestamptz) $$,
  'an update by id replaces the fields (omitted ones null), keeps occurred_at, replaces the given links');
select is((select client_id::text from public.entries where id = current_setting('t.e1')::uuid), 'local-1',
  'and keeps its client id');
select set_config('t.ctid', (select ctid::text from public.entries where id = current_setting('t.e1')::uuid), true);
select is(jsonb_array_length(public.upsert_entry(id => current_setting('t.e1')::uuid, facets => array['task'],
  title => 'Dentist (moved)') -> 'entities'), 1, 'omitted entity keys leave the links as they are');
select is((select ctid::text from public.entries where id = current_setting('t.e1')::uuid), current_setting('t.ctid'),
  'and that replay wrote nothing');
-- a client-made uuid
select tests.freeze_time('2026-03-01 09:03+00');
select is(public.upsert_entry(id => 'aaaaaaaa-0000-4000-8000-000000000001', facets => array['journal'], title => 'Mine') ->> 'id',
  'aaaaaaaa-0000-4000-8000-000000000001', 'a client may give its own uuid');

-- ------------------------------------------------------------------ bad input: named, nothing written
select set_config('t.count', (select count(*)::text from public.entries), true);
select throws_ok($$ select public.upsert_entry(facets => array['note', 'diary']) $$, '22023',
  'facets[1] ''diary'' is not a facet: use note, task, event, dream, workout, meal, habit_def, journal', 'an unknown facet');
select throws_ok($$ select public.upsert_entry(title => 'no facets') $$, '22023',
  'facets is required: one or more of note, task, event, dream, workout, meal, habit_def, journal', 'facets are required');
select throws_ok($$ select public.upsert_entry(facets => array['note'], body_markdown => repeat('x', 10 * 1024 * 1024)) $$,
  '22023', 'body_markdown must be at most 1,000,000 characters', 'a 10 MB body');
select throws_ok($$ select public.upsert_entry(facets => array['event'], starts_at => '2026-01-02', ends_at => '2026-01-01') $$,
  '22023', 'ends_at must not be before starts_at', 'an event ending before it starts');
select throws_ok($$ select public.upsert_entry(facets => array['task'], status => 'In Progress') $$, '22023',
  'status must be lowercase snake_case of 1 to 40 characters (e.g. todo, done)', 'a bad status');
select throws_ok($$ select public.upsert_entry(facets => array['note'], frontmatter => '[1]') $$, '22023',
  'frontmatter must be a JSON object of at most 64 kB', 'frontmatter must be an object');
select throws_ok($$ select public.upsert_entry(facets => array['note'], entity_keys => '[{"type": "tag", "key": "ok"}, {"type": "mood", "key": "x"}]') $$,
  '22023', 'entity_keys[1].type ''mood'' is not one of tag, person, place, context, theme', 'an unknown entity type');
select throws_ok($$ select public.upsert_entry(facets => array['note'], entity_keys => '[{"type": "tag", "key": "   "}]') $$,
  '22023', 'entity_keys[0].key must be 1 to 200 characters (after trimming) without control characters', 'an empty entity key');
select throws_ok($$ select public.upsert_entry(facets => array['note'], client_id => 'has space') $$, '22023',
  'client_id must be 1 to 200 characters without spaces or control characters', 'a bad client id');
select throws_ok($$ select public.upsert_entry(facets => array['note'], goal_ids => array[gen_random_uuid()]) $$, '22023',
  'goal_ids must name at most 100 goals of yours', 'an unknown goal');
select throws_ok(format($$ select public.upsert_entry(id => gen_random_uuid(), facets => array['note'], client_id => 'local-1',
  source_app => 'desktop') $$), 'PT409', 'client_id names another entry', 'a client id that belongs to another entry');
select is((select count(*)::text from public.entries), current_setting('t.count'), 'refused upserts wrote nothing');
select is((select count(*)::int from public.entities where user_id = tests.get_user_id('alice')), 3, 'nor entities');

-- ------------------------------------------------------------------ get_entry
select results_eq(
  format($$ select r ->> 'title', r -> 'attachments', jsonb_typeof(r -> 'segments'), jsonb_typeof(r -> 'goals'),
    jsonb_typeof(r -> 'projects'), jsonb_typeof(r -> 'themes'), r -> 'dream', jsonb_array_length(r -> 'entities')
    from public.get_entry(%L) r $$, current_setting('t.e1')),
  $$ values ('Dentist (moved)', '[]'::jsonb, 'array', 'array', 'array', 'array', 'null'::jsonb, 1) $$,
  'get_entry: the entry with its links, segments, goals, projects, themes; attachments [] until files land; no dream');
select throws_ok($$ select public.get_entry(gen_random_uuid()) $$, 'PT404', 'entry not found', 'an unknown entry is a 404');

-- ------------------------------------------------------------------ segments
select results_eq(
  format($$ select position, kind::text, content, offset_ms from public.add_entry_segments(%L,
    '[{"content": "first", "kind": "transcript", "offset_ms": 0, "client_id": "s1"}, {"content": "second", "offset_ms": 1500, "client_id": "s2"}]')
    order by position $$, current_setting('t.e1')),
  $$ values (1, 'transcript', 'first', 0::bigint), (2, 'text', 'second', 1500::bigint) $$,
  'add_entry_segments appends numbered segments');
select results_eq(
  format($$ select position, content from public.add_entry_segments(%L,
    '[{"content": "second", "client_id": "s2"}, {"content": "third", "at": "2026-03-01T09:05:00Z"}]') $$, current_setting('t.e1')),
  $$ values (3, 'third') $$, 'a replayed segment (same client id) is skipped');
select is(jsonb_array_length(public.get_entry(current_setting('t.e1')::uuid) -> 'segments'), 3, 'get_entry lists the segments');
select throws_ok(format($$ select public.add_entry_segments(%L, '[{"kind": "text"}]') $$, current_setting('t.e1')), '22023',
  'segments[0].content must be text of at most 100,000 characters', 'a segment needs content');

-- ------------------------------------------------------------------ list_entries
-- 5 more entries an hour apart (occurred_at given), one of them an event
select public.upsert_entry(facets => array[case when i = 3 then 'event' else 'note' end], title => 'n' || i,
  occurred_at => timestamptz '2026-02-01 00:00+00' + i * interval '1 hour')
from generate_series(1, 5) i;
select results_eq($$ select title::text from public.list_entries("limit" => 4) $$,
  $$ values ('Mine'), (null), ('x'), ('Dentist (moved)') $$, 'list_entries: newest first');
select set_config('t.page1_last', (select occurred_at::text || ',' || id from public.list_entries("limit" => 5)
  offset 4 limit 1), true);
select results_eq(format($$ select title::text from public.list_entries("limit" => 3, before => %L) $$, current_setting('t.page1_last')),
  $$ values ('n4'), ('n3'), ('n2') $$, 'the next page starts after the cursor');
select results_eq($$ select title::text from public.list_entries(facet => 'event') $$,
  $$ values ('n3') $$, 'by facet');
select results_eq($$ select title::text from public.list_entries(facet => 'task') $$,
  $$ values ('Dentist (moved)') $$, 'by another facet');
select results_eq(format($$ select title::text from public.list_entries(entity_id => %L) $$,
  (select id from public.entities where key = 'health')), $$ values ('Dentist (moved)') $$, 'by entity');
select results_eq($$ select title::text from public.list_entries("from" => '2026-02-01 02:00+00', "to" => '2026-02-01 04:00+00') $$,
  $$ values ('n3'), ('n2') $$, 'by time: [from, to)');
select throws_ok($$ select * from public.list_entries(facet => 'diary') $$, '22023',
  'facet ''diary'' is not a facet: use note, task, event, dream, workout, meal, habit_def, journal', 'an unknown facet');
select throws_ok($$ select * from public.list_entries(before => 'yesterday-ish') $$, '22023',
  'before must be a cursor "<occurred_at>,<id>" from the previous page', 'a bad cursor');
select throws_ok($$ select * from public.list_entries("limit" => 0) $$, '22023', 'limit must be between 1 and 200', 'a bad limit');

-- ------------------------------------------------------------------ delete and restore
select isnt((public.delete_entry(current_setting('t.e1')::uuid)).deleted_at, null, 'delete_entry leaves a tombstone');
select set_config('t.ctid', (select ctid::text from public.entries where id = current_setting('t.e1')::uuid), true);
select isnt((public.delete_entry(current_setting('t.e1')::uuid)).deleted_at, null, 'deleting again is no error');
select is((select ctid::text from public.entries where id = current_setting('t.e1')::uuid), current_setting('t.ctid'),
  'and writes nothing');
select is((select count(*)::int from public.list_entries() where id = current_setting('t.e1')::uuid), 0,
  'a deleted entry leaves the list');
select is((select count(*)::int from public.list_entries(include_deleted => true) where id = current_setting('t.e1')::uuid), 1,
  'unless deleted ones are asked for');
select is((public.upsert_entry(id => current_setting('t.e1')::uuid, facets => array['task'], title => 'still deleted')) ->> 'deleted_at'
  is not null, true, 'an upsert of a deleted entry leaves it deleted');
select is((public.restore_entry(current_setting('t.e1')::uuid)).deleted_at, null, 'restore_entry brings it back');
select throws_ok($$ select public.delete_entry(gen_random_uuid()) $$, 'PT404', 'entry not found', 'deleting an unknown entry');

-- a new entry whose keys all exist (the fast path) answers like get_entry
select set_config('t.fast', public.upsert_entry(facets => array['note'], title => 'fast',
  entity_keys => '[{"type": "tag", "key": "HEALTH"}, {"type": "place", "key": "clinic"}, {"type": "tag", "key": "health"}]')::text, true);
select is(current_setting('t.fast')::jsonb -> 'entities', public.get_entry((current_setting('t.fast')::jsonb ->> 'id')::uuid) -> 'entities',
  'a new entry with known keys returns its entities as get_entry does (a key given twice is one link)');

-- ------------------------------------------------------------------ another user
select tests.authenticate_as('bob');
select is_empty($$ select * from public.entries $$, 'bob reads none of alice''s entries');
select is_empty($$ select * from public.entry_segments $$, 'nor their segments');
select is_empty($$ select * from public.list_entries() $$, 'list_entries lists only his own');
select throws_ok(format($$ select public.get_entry(%L) $$, current_setting('t.e1')), 'PT404', 'entry not found',
  'bob cannot get alice''s entry');
select throws_ok(format($$ select public.upsert_entry(id => %L, facets => array['note'], title => 'mine now') $$,
  current_setting('t.e1')), 'PT409', 'entry id is taken', 'nor overwrite it by id (the id is taken)');
select is(public.upsert_entry(facets => array['note'], client_id => 'local-1', source_app => 'desktop') ->> 'user_id',
  tests.get_user_id('bob')::text, 'client ids are per user: bob''s local-1 is his own entry');
select throws_ok(format($$ select public.delete_entry(%L) $$, current_setting('t.e1')), 'PT404', 'entry not found',
  'bob cannot delete alice''s entry');
select throws_ok(format($$ select public.add_entry_segments(%L, '[{"content": "x"}]') $$, current_setting('t.e1')), 'PT404',
  'entry not found', 'nor add segments to it');
select is_empty(format($$ update public.entries set title = 'hacked' where id = %L returning 1 $$, current_setting('t.e1')),
  'a direct update of another''s entry changes nothing');
select throws_ok(format($$ insert into public.entry_segments (entry_id, position, content) values (%L, 9, 'x') $$,
  current_setting('t.e1')), '42501', null, 'nor can he insert a segment into it directly');

-- ------------------------------------------------------------------ anon
select tests.clear_authentication();
select throws_ok($$ select public.upsert_entry(facets => array['note']) $$, '42501', null, 'anon cannot upsert entries');
select throws_ok($$ select * from public.list_entries() $$, '42501', null, 'anon cannot list entries');
select throws_ok(format($$ select public.get_entry(%L) $$, current_setting('t.e1')), '42501', null, 'anon cannot get entries');
select throws_ok($$ select * from public.entries $$, '42501', null, 'anon cannot read the table');

-- ------------------------------------------------------------------ service role
select tests.authenticate_as_service_role();
select is(public.get_entry(current_setting('t.e1')::uuid) ->> 'title', 'still deleted', 'the service role reads any entry');
select throws_ok($$ select public.upsert_entry(facets => array['note']) $$, '42501', null,
  'the service role cannot upsert entries (it acts for no user)');

select * from finish();
rollback;
