-- sync: projects' deletions for synced clients (delete_project keeps deleting the project, its
-- project-only artifacts and its links, and records a tombstone; entries linked to it change; an
-- account's deletion leaves no tombstone behind), the sync tables under RLS (a user reads only
-- their own mutations, conflicts, tombstones and aliases), and the retention of push answers.
begin;
select set_config('t.before', 's1/' || pg_current_snapshot()::text || '///', true);
select plan(19);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select set_config('t.project', (public.create_project(name => 'Rover')).id::text, true);
select set_config('t.chat', (public.create_chat(title => 'About the rover', project_id => current_setting('t.project')::uuid)).id::text, true);
select set_config('t.entry', public.upsert_entry(facets => '{note}', title => 'Wheels',
  project_ids => array[current_setting('t.project')::uuid]) ->> 'id', true);
select set_config('t.ctid', (select ctid::text from public.entries where id = current_setting('t.entry')::uuid), true);

-- ------------------------------------------------------------------ delete_project
select is(public.delete_project(current_setting('t.project')::uuid), true, 'delete_project deletes the project');
select ok(not exists (select 1 from public.projects where id = current_setting('t.project')::uuid),
  'for real, as before (the hardware domain''s parts, wiring and code go with it)');
select is((select project_id from public.chats where id = current_setting('t.chat')::uuid), null, 'its chat stays, unlinked');
select is((select user_id::text || '/' || table_name from public.sync_tombstones where row_id = current_setting('t.project')::uuid),
  tests.get_user_id('alice')::text || '/projects', 'a tombstone records the deletion for sync clients');
select isnt((select ctid::text from public.entries where id = current_setting('t.entry')::uuid), current_setting('t.ctid'),
  'the entry that linked it is marked changed (its project_ids changed)');
select is(public.pull_changes(current_setting('t.before'), '{projects}') #> '{changes,projects,deleted}',
  jsonb_build_array(current_setting('t.project')), 'pulls report it as deleted');

-- the service role deleting a project: a tombstone too
select set_config('t.p2', (public.create_project(name => 'Kite')).id::text, true);
select tests.authenticate_as_service_role();
delete from public.projects where id = current_setting('t.p2')::uuid;
select is((select count(*)::int from public.sync_tombstones where row_id = current_setting('t.p2')::uuid), 1,
  'any deletion of a project leaves a tombstone');

-- an account deleted with its projects: no error, nothing left
select tests.authenticate_as('bob');
select set_config('t.p3', (public.create_project(name => 'Boat')).id::text, true);
select public.push_changes('{"projects": {"created": [{"id": "f7400000-0000-4000-8000-000000000001", "name": "Sail"}]}}', null, 'bob-1')
  is not null;
select set_config('role', 'postgres', true);
delete from auth.users where id = tests.get_user_id('bob');
select is((select count(*)::int from public.sync_tombstones t where t.row_id in (current_setting('t.p3')::uuid,
  'f7400000-0000-4000-8000-000000000001')) + (select count(*)::int from public.sync_mutations m
  where m.mutation_id = 'bob-1'), 0, 'deleting an account deletes its projects without tombstones, and its answers');

-- ------------------------------------------------------------------ RLS of the sync tables
select tests.create_user('carol');
select tests.authenticate_as('carol');
select public.push_changes('{"entities": {"created": [{"id": "f7400000-0000-4000-8000-000000000002", "type": "tag", "key": "Sail"}]}}',
  null, 'carol-1') is not null;
select tests.authenticate_as('alice');
select public.push_changes('{"entities": {"created": [{"id": "f7400000-0000-4000-8000-000000000003", "type": "tag", "key": "kite"},
  {"id": "f7400000-0000-4000-8000-000000000004", "type": "tag", "key": "KITE"}]}}', null, 'alice-1') is not null;
select is((select count(*)::int from public.sync_aliases), 1, 'alice reads her alias');
select is((select array_agg(mutation_id::text order by mutation_id) from public.sync_mutations), array['alice-1'],
  'and only her own push answers');
select is((select count(*)::int from public.sync_tombstones), 2, 'and her own tombstones');
select tests.authenticate_as('carol');
select is((select count(*)::int from public.sync_aliases) + (select count(*)::int from public.sync_tombstones), 0,
  'carol reads none of alice''s aliases and tombstones');
select is((select array_agg(mutation_id::text) from public.sync_mutations), array['carol-1'], 'nor her answers');
select throws_ok($$ insert into public.sync_tombstones (user_id, table_name, row_id) values (auth.uid(), 'projects', gen_random_uuid()) $$,
  '42501', null, 'clients cannot write tombstones');
select throws_ok($$ update public.sync_mutations set answer = '{}' $$, '42501', null, 'nor rewrite push answers');
select throws_ok($$ insert into public.sync_mutations (user_id, mutation_id, changes_hash, answer)
  values (tests.get_user_id('alice'), 'forged', 'x', '{}') $$, '42501', null, 'nor store answers for someone else');

-- ------------------------------------------------------------------ retention
select function_privs_are('public', 'service_role_purge_sync_mutations', array[]::text[], 'authenticated', array[]::text[],
  'users cannot purge answers');
select tests.authenticate_as_service_role();
update public.sync_mutations set created_at = now() - interval '31 days' where mutation_id = 'alice-1';
select is(public.service_role_purge_sync_mutations(), 1, 'the service role purges answers older than 30 days');
select is((select array_agg(mutation_id::text) from public.sync_mutations), array['carol-1'], 'and keeps the recent ones');

select * from finish();
rollback;
