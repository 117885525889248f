-- projects: create_project, update_project, list_projects, delete_project; owner-only RLS; a chat
-- belongs only to a project of its owner; deleting a project keeps its chats and the artifacts
-- they hold.
begin;
select plan(47);

-- structure
select has_table('public', 'projects', 'projects exists');
select ok((select relrowsecurity from pg_class where oid = 'public.projects'::regclass), 'projects has RLS');
select policies_are('public', 'projects',
  array['projects_select_owner', 'projects_insert_owner', 'projects_update_owner', 'projects_delete_owner']);
select fk_ok('public', 'chats', 'project_id', 'public', 'projects', 'id', 'chats.project_id references projects');
select is_definer('private', 'owns_project', 'owns_project is a security definer helper');
select function_privs_are('public', 'create_project', array['text', 'text', 'text', 'text', 'text', 'numeric', 'text', 'jsonb'],
  'anon', array[]::text[], 'anon cannot call create_project');
select function_privs_are('public', 'get_project', array['uuid'], 'anon', array[]::text[], 'anon cannot call get_project');
select function_privs_are('public', 'list_projects', array[]::text[], 'authenticated', array['EXECUTE'],
  'authenticated can call list_projects');

select tests.create_user('alice');
select tests.create_user('bob');

-- create_project
select tests.authenticate_as('alice');
select set_config('t.project', (public.create_project('  Weather station  ', description => 'ESP32 + sensors',
  category => 'iot', goal => 'Log temperature and humidity', location => 'Balcony', target_budget => 60,
  currency => 'EUR', metadata => '{"difficulty": "beginner"}')).id::text, true);
select results_eq(
  format('select name, owner_id, status, currency::text, target_budget, metadata from public.projects where id = %L',
    current_setting('t.project')),
  format($$ values ('Weather station', %L::uuid, 'draft', 'EUR', 60::numeric, '{"difficulty": "beginner"}'::jsonb) $$,
    tests.get_user_id('alice')),
  'create_project trims the name, defaults the status and keeps the fields');
select is((public.create_project('Minimal')).currency::text, 'USD', 'currency defaults to USD');
select throws_ok($$ select public.create_project(null) $$, '22023', 'name is required', 'name is required');
select throws_ok($$ select public.create_project('') $$, '22023',
  'name must be 1 to 200 characters without control characters', 'an empty name is rejected');
select throws_ok($$ select public.create_project('x', currency => 'usd') $$, '22023',
  'currency ''usd'' is not an ISO 4217 currency code', 'a lower-case currency is rejected');
select throws_ok($$ select public.create_project('x', currency => 'XYZ') $$, '22023',
  'currency ''XYZ'' is not an ISO 4217 currency code', 'an unknown currency is rejected');
select throws_ok($$ select public.create_project('x', target_budget => -1) $$, '22023',
  'target_budget must be a non-negative amount below 10^12', 'a negative budget is rejected');
select throws_ok($$ select public.create_project('x', metadata => '[]') $$, '22023',
  'metadata must be a JSON object of at most 16 kB', 'metadata must be an object');
select is((select count(*)::int from public.projects), 2, 'rejected creates wrote nothing');

-- update_project
select is((public.update_project(current_setting('t.project')::uuid, status => 'active', current_step => 'parts')).status,
  'active', 'update_project changes the status');
select results_eq(
  format($$ select name, goal, location, target_budget, metadata from public.update_project(%L, location => '',
    target_budget => 75, metadata => '{"difficulty": null, "tags": ["iot"]}') $$, current_setting('t.project')),
  $$ values ('Weather station', 'Log temperature and humidity', null::text, 75::numeric, '{"tags": ["iot"]}'::jsonb) $$,
  'omitted fields stay, an empty string clears, metadata merges');
select throws_ok(format($$ select public.update_project(%L, status => 'done') $$, current_setting('t.project')), '22023',
  'status ''done'' is not one of draft, active, completed, archived', 'an unknown status is rejected');
select throws_ok($$ select public.update_project(gen_random_uuid(), name => 'x') $$, 'PT404', 'project not found',
  'updating a missing project is a 404');

-- list_projects: own projects, most recently updated first
-- (one transaction: both have the same updated_at, so the order is not checked here)
select set_eq($$ select name from public.list_projects() $$, $$ values ('Weather station'), ('Minimal') $$,
  'list_projects lists the caller''s projects');

-- another user
select tests.authenticate_as('bob');
select is_empty($$ select * from public.list_projects() $$, 'bob lists none of alice''s projects');
select is_empty(format('select * from public.projects where id = %L', current_setting('t.project')),
  'bob cannot read alice''s project');
select throws_ok(format($$ select public.update_project(%L, name => 'mine') $$, current_setting('t.project')), 'PT404',
  'project not found', 'bob cannot update alice''s project');
select throws_ok(format($$ select public.get_project(%L) $$, current_setting('t.project')), 'PT404', 'project not found',
  'bob cannot get alice''s project');
select throws_ok(format($$ select public.delete_project(%L) $$, current_setting('t.project')), 'PT404', 'project not found',
  'bob cannot delete alice''s project');
-- a chat cannot be attached to someone else's project, directly or through create_chat
select throws_ok(format($$ insert into public.chats (title, project_id) values ('mine', %L) $$, current_setting('t.project')),
  'PT404', 'project not found', 'bob cannot attach his chat to alice''s project');
select throws_ok(format($$ select public.create_chat(title => 'mine', project_id => %L) $$, current_setting('t.project')),
  'PT404', 'project not found', 'nor through create_chat');
select lives_ok($$ insert into public.chats (title) values ('bob''s chat') $$, 'bob has his own chat');
select throws_ok(format($$ update public.chats set project_id = %L where title = 'bob''s chat' $$, current_setting('t.project')),
  'PT404', 'project not found', 'nor by moving his chat');

-- anon
select tests.clear_authentication();
select throws_ok($$ select public.create_project('x') $$, '42501', null, 'anon cannot create projects');
select throws_ok($$ select public.list_projects() $$, '42501', null, 'anon cannot list projects');
select throws_ok($$ select * from public.projects $$, '42501', null, 'anon cannot read projects');

-- chats of a project; deleting the project
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'Sensors', project_id => current_setting('t.project')::uuid)).id::text,
  true);
select is((select project_id from public.chats where id = current_setting('t.chat')::uuid), current_setting('t.project')::uuid,
  'alice attaches her chat to her project');
insert into public.chats (title, project_id) values ('Enclosure', current_setting('t.project')::uuid);
select is((select count(*)::int from public.chats where project_id = current_setting('t.project')::uuid), 2,
  'a project has many chats');
-- artifacts: one in the project's chat (so also the project's), one in the project only
select set_config('t.chat_artifact', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'context',
  'Context', 'An ESP32 weather station', null, null) -> 'artifact' ->> 'id'), true);
select set_config('t.project_artifact', (public.create_artifact_with_version(null, current_setting('t.project')::uuid, 'mvp',
  'MVP', 'Temperature on a display', null, null) -> 'artifact' ->> 'id'), true);
select is((select project_id from public.artifacts where id = current_setting('t.chat_artifact')::uuid),
  current_setting('t.project')::uuid, 'an artifact made in a project''s chat belongs to the project too');
select ok(public.delete_project(current_setting('t.project')::uuid), 'alice deletes her project');
select is((select count(*)::int from public.chats where title in ('Sensors', 'Enclosure') and project_id is null), 2,
  'its chats stay, unlinked');
select results_eq(
  format($$ select chat_id, project_id, current_version from public.artifacts where id = %L $$, current_setting('t.chat_artifact')),
  format($$ values (%L::uuid, null::uuid, 1) $$, current_setting('t.chat')),
  'an artifact that also belongs to a chat stays in the chat, with its versions');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.chat_artifact')::uuid), 1,
  'its version stays');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.artifacts where id = current_setting('t.project_artifact')::uuid), 0,
  'an artifact of the project only is deleted with it');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.project_artifact')::uuid), 0,
  'and its versions with it');

-- deleting a chat: its own artifacts go, those that also belong to a project stay with the project
select tests.authenticate_as('alice');
select set_config('t.project2', (public.create_project('Robot arm')).id::text, true);
select set_config('t.chat2', (public.create_chat(title => 'Arm', project_id => current_setting('t.project2')::uuid)).id::text,
  true);
select set_config('t.a_both', (public.create_artifact_with_version(current_setting('t.chat2')::uuid, null, 'prd', 'PRD',
  'Six axes', null, null) -> 'artifact' ->> 'id'), true);
select set_config('t.a_chat', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'overview',
  'Overview', 'Notes', null, null) -> 'artifact' ->> 'id'), true);
select ok(public.delete_chat(current_setting('t.chat2')::uuid), 'alice deletes a project chat');
select results_eq(
  format($$ select chat_id, project_id from public.artifacts where id = %L $$, current_setting('t.a_both')),
  format($$ values (null::uuid, %L::uuid) $$, current_setting('t.project2')),
  'its artifact stays with the project');
select ok(public.delete_chat(current_setting('t.chat')::uuid), 'alice deletes a chat without project');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.artifacts where id in (current_setting('t.a_chat')::uuid,
  current_setting('t.chat_artifact')::uuid)), 0, 'the chat''s own artifacts are deleted with it');

select * from finish();
rollback;
