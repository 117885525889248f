-- entities: normalised keys (trimmed, lower-cased, inner whitespace collapsed, accents kept), unique
-- per user and type; upsert_entities (a batch, idempotent), merge_entities (links move, a tombstone
-- remains), list_entities (prefix, then trigram); owner, stranger, anon.
begin;
select plan(35);

select ok((select relrowsecurity from pg_class where oid = 'public.entities'::regclass), 'entities has RLS');
select ok((select relrowsecurity from pg_class where oid = 'public.entry_entities'::regclass), 'entry_entities has RLS');
select policies_are('public', 'entities', array['entities_select_own', 'entities_insert_own', 'entities_update_own']);
select policies_are('public', 'entry_entities',
  array['entry_entities_select_own', 'entry_entities_insert_own', 'entry_entities_delete_own']);
select has_index('public', 'entities', 'entities_display_name_trgm_idx', 'display names have a trigram index');
select function_privs_are('public', 'upsert_entities', array['jsonb'], 'anon', array[]::text[], 'anon cannot upsert entities');

select is(private.entity_key('  Café   Olé  '), 'café olé', 'keys: trimmed, lower-cased, whitespace collapsed, accents kept');
select isnt(private.entity_key('Cafe Ole'), private.entity_key('Café Olé'), 'an accent makes another key');
select is(private.entity_key(E'Dr.\t\nMüller'), 'dr. müller', 'tabs and newlines are whitespace too');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');

-- ------------------------------------------------------------------ upsert_entities
select results_eq($$ select ordinal, type, key, display_name from public.upsert_entities('[
    {"type": "tag", "key": "  Running  "}, {"type": "person", "key": "Zoë  Saldaña", "display_name": "Zoë"},
    {"type": "place", "key": "Café Olé"}, {"type": "tag", "key": "running"}]') $$,
  $$ values (0, 'tag', 'running', 'Running'), (1, 'person', 'zoë saldaña', 'Zoë'), (2, 'place', 'café olé', 'Café Olé'),
    (3, 'tag', 'running', 'Running') $$,
  'upsert_entities returns an id per item, in order; the same key twice is one entity');
select is((select count(*)::int from public.entities), 3, 'three entities');
select set_config('t.running', (select id::text from public.entities where key = 'running'), true);
select set_config('t.ctid', (select string_agg(ctid::text, ',' order by id) from public.entities), true);
select results_eq($$ select id from public.upsert_entities('[{"type": "tag", "key": "RUNNING"}, {"type": "place", "key": "café  olé"}]') $$,
  $$ select id from public.entities where key in ('running', 'café olé') order by type = 'place' $$,
  'again, whatever the case and spacing: the same entities');
select is((select string_agg(ctid::text, ',' order by id) from public.entities), current_setting('t.ctid'),
  'an idempotent batch writes nothing');
select is((select u.display_name from public.upsert_entities('[{"type": "tag", "key": "running", "display_name": "Running 🏃"}]') u),
  'Running 🏃', 'a display name given changes it');
select is((select count(*)::int from public.upsert_entities('[{"type": "person", "key": "running"}]')), 1,
  'the same key of another type is another entity');
select is((select count(*)::int from public.entities), 4, 'four entities now');
select throws_ok($$ select public.upsert_entities('[{"type": "tag"}]') $$, '22023',
  'entities[0].key must be 1 to 200 characters (after trimming) without control characters', 'a key is required');
select throws_ok($$ select public.upsert_entities('{"type": "tag", "key": "x"}') $$, '22023',
  'entities must be an array of at most 100 {type, key, display_name?}', 'a batch is an array');
select throws_ok($$ select public.upsert_entities('[{"type": "tag", "key": "ok"}, {"type": "tag", "key": "x", "metadata": [1]}]') $$,
  '22023', 'entities[1].metadata must be a JSON object of at most 16 kB', 'metadata must be an object');
select is((select count(*)::int from public.entities), 4, 'refused batches wrote nothing');

-- ------------------------------------------------------------------ list_entities
select public.upsert_entities('[{"type": "tag", "key": "Runner''s knee"}, {"type": "tag", "key": "Rowing"},
  {"type": "tag", "key": "Swimming"}]');
select results_eq($$ select key from public.list_entities(type => 'tag', query => 'run') $$,
  $$ values ('running'), ('runner''s knee') $$, 'prefix matches of the key come first');
select results_eq($$ select key from public.list_entities(type => 'tag', query => 'swiming') $$,
  $$ values ('swimming') $$, 'then trigram matches of the display name (a typo still finds it)');
select results_eq($$ select key from public.list_entities(query => 'running') $$,
  $$ values ('running'), ('running'), ('runner''s knee') $$, 'without a type: all types');
select is((select count(*)::int from public.list_entities(type => 'tag')), 4, 'without a query: all of a type');
select throws_ok($$ select * from public.list_entities(type => 'mood') $$, '22023',
  'type ''mood'' is not one of tag, person, place, context, theme', 'an unknown type');

-- ------------------------------------------------------------------ merge_entities
select set_config('t.jog', (select id::text from public.upsert_entities('[{"type": "tag", "key": "Jogging"}]')), true);
select set_config('t.e1', (public.upsert_entry(facets => array['note'], title => 'a', entity_keys => '[{"type": "tag", "key": "jogging"}]')) ->> 'id', true);
select set_config('t.e2', (public.upsert_entry(facets => array['note'], title => 'b',
  entity_keys => '[{"type": "tag", "key": "jogging"}, {"type": "tag", "key": "running"}]')) ->> 'id', true);
select is((public.merge_entities(current_setting('t.jog')::uuid, current_setting('t.running')::uuid)).id,
  current_setting('t.running')::uuid, 'merge_entities returns the surviving entity');
select set_eq($$ select entry_id from public.entry_entities where entity_id = current_setting('t.running')::uuid $$,
  array[current_setting('t.e1')::uuid, current_setting('t.e2')::uuid], 'every link moved (an entry with both has one)');
select results_eq(format($$ select deleted_at is not null, merged_into_id from public.entities where id = %L $$, current_setting('t.jog')),
  format($$ values (true, %L::uuid) $$, current_setting('t.running')), 'the merged entity is a tombstone naming the survivor');
select isnt((select id from public.upsert_entities('[{"type": "tag", "key": "jogging"}]')), current_setting('t.jog')::uuid,
  'its key is free for a new entity');
select throws_ok(format($$ select public.merge_entities(%L, %L) $$, current_setting('t.running'),
  (select id from public.entities where type = 'person' and key = 'running')), '22023',
  'cannot merge a tag into a person: entities must have the same type', 'types must match');

-- ------------------------------------------------------------------ another user, anon
select tests.authenticate_as('bob');
select is_empty($$ select * from public.entities $$, 'bob reads none of alice''s entities');
select is_empty($$ select * from public.list_entities(query => 'run') $$, 'nor lists them');
select throws_ok(format($$ select public.merge_entities(%L, %L) $$, current_setting('t.running'),
  (select id from public.upsert_entities('[{"type": "tag", "key": "mine"}]'))), 'PT404', 'entity not found',
  'nor merges them into his');
select throws_ok(format($$ insert into public.entry_entities (entry_id, entity_id) values (%L, %L) $$, current_setting('t.e1'),
  (select id from public.entities where key = 'mine')), '42501', null, 'nor links his entity to her entry');
select tests.clear_authentication();
select throws_ok($$ select * from public.list_entities() $$, '42501', null, 'anon cannot list entities');

select * from finish();
rollback;
