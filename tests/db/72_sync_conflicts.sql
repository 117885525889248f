-- sync: conflict rules. A row changed on the server after the client's last pull is a conflict:
-- the pushed change wins (last write on server time), a delete wins over an update either way, and
-- both versions go to sync_conflicts; a cursor that has seen the change makes no conflict; merged
-- and deleted entities in an entry's links; list_sync_conflicts; another user and anon.
-- "Changed after the last pull" is judged on transaction ids: here the server's changes are made in
-- this test's transaction, and the client's cursor is one taken before it wrote anything (so it has
-- not seen them) or one from a pull made after them (so it has).
begin;
select set_config('t.before', 's1/' || pg_current_snapshot()::text || '///', true);
select plan(26);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select tests.freeze_time('2026-03-01 09:00+00');
select set_config('t.e1', public.upsert_entry(facets => '{note}', title => 'server', client_id => 'c-1') ->> 'id', true);
select set_config('t.e2', public.upsert_entry(facets => '{note}', title => 'two') ->> 'id', true);
select set_config('t.e3', public.upsert_entry(facets => '{note}', title => 'three') ->> 'id', true);

-- ------------------------------------------------------------------ update vs update
select set_config('t.a', public.push_changes(jsonb_build_object('entries', jsonb_build_object('updated', jsonb_build_array(
  jsonb_build_object('id', current_setting('t.e1'), 'facets', '["note"]'::jsonb, 'title', 'phone')))),
  current_setting('t.before'), 'phone-1')::text, true);
select is((current_setting('t.a')::jsonb #> '{conflicts,0}') - 'row'::text, jsonb_build_object('table', 'entries',
  'id', current_setting('t.e1'), 'winner', 'client', 'op', 'updated',
  'reason', 'changed on the server since the last pull: the last write wins'),
  'an update of a row changed since the last pull is a conflict; on server time the push is the last write and wins');
select is(current_setting('t.a')::jsonb #>> '{conflicts,0,row,title}', 'phone', 'the answer carries the winning row');
select is(current_setting('t.a')::jsonb -> 'applied', '[]'::jsonb, 'a conflict is reported once, not as applied too');
select is((select title::text from public.entries where id = current_setting('t.e1')::uuid), 'phone', 'the push is written');
select is((select jsonb_build_array(winner, server_row ->> 'title', client_row ->> 'title', mutation_id, table_name)
  from public.sync_conflicts where row_id = current_setting('t.e1')::uuid),
  '["client", "server", "phone", "phone-1", "entries"]'::jsonb, 'sync_conflicts keeps both versions');
select ok((select not (server_row ? 'user_id') and server_row ? 'entity_ids' from public.sync_conflicts
  where row_id = current_setting('t.e1')::uuid), 'the server''s version as a client stores it');

-- a client that has pulled the change: no conflict
select set_config('t.pulled', public.pull_changes() ->> 'cursor', true);
select is(public.push_changes(jsonb_build_object('entries', jsonb_build_object('updated', jsonb_build_array(
  jsonb_build_object('id', current_setting('t.e1'), 'facets', '["note"]'::jsonb, 'title', 'phone again')))),
  current_setting('t.pulled'), 'phone-2') -> 'conflicts', '[]'::jsonb, 'a change the client has pulled is no conflict');
-- the same content as the server's: nothing written, no conflict
select is(public.push_changes(jsonb_build_object('entries', jsonb_build_object('updated', jsonb_build_array(
  jsonb_build_object('id', current_setting('t.e2'), 'facets', '["note"]'::jsonb, 'title', 'two')))),
  current_setting('t.before'), 'phone-3') #>> '{applied,0,op}', 'updated',
  'pushing what the server has already writes nothing and is no conflict');
select is((select count(*)::int from public.sync_conflicts), 1, 'still one conflict logged');

-- ------------------------------------------------------------------ delete wins
select public.delete_entry(current_setting('t.e2')::uuid);
select set_config('t.b', public.push_changes(jsonb_build_object('entries', jsonb_build_object('updated', jsonb_build_array(
  jsonb_build_object('id', current_setting('t.e2'), 'facets', '["note"]'::jsonb, 'title', 'edited offline')))),
  current_setting('t.before'), 'phone-4')::text, true);
select is(current_setting('t.b')::jsonb #> '{conflicts,0}', jsonb_build_object('table', 'entries',
  'id', current_setting('t.e2'), 'winner', 'server', 'op', 'deleted',
  'reason', 'deleted on the server: a delete wins over an update', 'row', null),
  'an update of a row deleted on the server loses: delete wins');
select is((select title::text || '/' || (deleted_at is not null) from public.entries where id = current_setting('t.e2')::uuid),
  'two/true', 'the row stays deleted and unchanged');
select is((select coalesce(server_row::text, 'null') || '/' || (client_row ->> 'title') from public.sync_conflicts
  where mutation_id = 'phone-4'), 'null/edited offline', 'logged: the server''s version is the deletion');

select set_config('t.c', public.push_changes(jsonb_build_object('entries', jsonb_build_object('deleted',
  jsonb_build_array(current_setting('t.e3')))), current_setting('t.before'), 'phone-5')::text, true);
select is(current_setting('t.c')::jsonb #> '{conflicts,0}', jsonb_build_object('table', 'entries',
  'id', current_setting('t.e3'), 'winner', 'client', 'op', 'deleted',
  'reason', 'changed on the server since the last pull: a delete wins over an update', 'row', null),
  'a delete of a row updated on the server since the last pull wins');
select is((select deleted_at is not null from public.entries where id = current_setting('t.e3')::uuid), true,
  'the row is deleted');
select is((select (server_row ->> 'title') || '/' || coalesce(client_row::text, 'null') from public.sync_conflicts
  where mutation_id = 'phone-5'), 'three/null', 'logged with the server''s update and the client''s delete');
select is(public.push_changes(jsonb_build_object('entries', jsonb_build_object('deleted',
  jsonb_build_array(current_setting('t.e3')))), current_setting('t.before'), 'phone-6') - 'cursor',
  '{"applied": [], "conflicts": [], "rejected": []}'::jsonb, 'deleting a deleted row again is ignored');

-- ------------------------------------------------------------------ links to merged and deleted entities
select set_config('t.run', (select id::text from public.upsert_entities('[{"type": "tag", "key": "run"}]')), true);
select set_config('t.running', (select id::text from public.upsert_entities('[{"type": "tag", "key": "running"}]')), true);
select set_config('t.old', (select id::text from public.upsert_entities('[{"type": "tag", "key": "old"}]')), true);
select public.merge_entities(current_setting('t.run')::uuid, current_setting('t.running')::uuid);
select public.push_changes(('{"entities": {"deleted": ["' || current_setting('t.old') || '"]}}')::jsonb,
  public.pull_changes() ->> 'cursor', 'desk-1') is not null;
select is(public.push_changes(jsonb_build_object('entries', jsonb_build_object('created', jsonb_build_array(
  jsonb_build_object('id', 'd0000000-0000-4000-8000-000000000001', 'facets', '["note"]'::jsonb,
    'entity_ids', jsonb_build_array(current_setting('t.run'), current_setting('t.old')))))), null, 'phone-7')
  #> '{applied,0,row,entity_ids}', jsonb_build_array(current_setting('t.running')),
  'an entry pushed with a merged tag links the survivor; a deleted tag is dropped (delete wins)');

-- ------------------------------------------------------------------ a replay keeps its conflicts
select set_config('t.n', (select count(*)::text from public.sync_conflicts), true);
select is(public.push_changes(jsonb_build_object('entries', jsonb_build_object('updated', jsonb_build_array(
  jsonb_build_object('id', current_setting('t.e1'), 'facets', '["note"]'::jsonb, 'title', 'phone')))),
  current_setting('t.before'), 'phone-1'), current_setting('t.a')::jsonb, 'a replay returns the conflict as first answered');
select is((select count(*)::text from public.sync_conflicts), current_setting('t.n'), 'and logs nothing more');

-- ------------------------------------------------------------------ list_sync_conflicts
select is((select array_agg(mutation_id order by id desc) from public.sync_conflicts), 
  (select array_agg(c.mutation_id) from public.list_sync_conflicts() c), 'list_sync_conflicts: the log, newest first');
select is((select count(*)::int from public.list_sync_conflicts("limit" => 1)), 1, 'limit pages it');
select is((select count(*)::int from public.list_sync_conflicts(before => (select max(id) from public.sync_conflicts))), 2,
  'before pages on');
select throws_ok($$ select public.list_sync_conflicts("limit" => 0) $$, '22023', 'limit must be between 1 and 200',
  'a bad limit is refused');
select tests.authenticate_as('bob');
select is((select count(*)::int from public.list_sync_conflicts()), 0, 'another user sees none of them');
select is((select count(*)::int from public.sync_conflicts), 0, 'not even reading the table');
select tests.clear_authentication();
select throws_ok($$ select public.list_sync_conflicts() $$, '42501', null, 'anon cannot list conflicts');

select * from finish();
rollback;
