-- artifacts and their versions through the RPCs, for the chat's owner (alice), an editor (bob), a
-- viewer (carol), a stranger (dave) and anon: create_artifact_with_version, add_artifact_version
-- (expected_version, identical content), get_artifact, list_artifacts, list_artifact_versions,
-- update_artifact, hide_artifact/unhide_artifact, and the policies behind them.
begin;
select plan(96);

-- structure
select has_table('public', 'artifacts', 'artifacts exists');
select has_table('public', 'artifact_versions', 'artifact_versions exists');
select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.artifacts'::regclass,
  'public.artifact_versions'::regclass)), 'both have RLS');
select policies_are('public', 'artifacts', array['artifacts_select_reader', 'artifacts_insert_writer', 'artifacts_update_writer']);
select policies_are('public', 'artifact_versions', array['artifact_versions_select_reader', 'artifact_versions_insert_writer']);
select has_index('public', 'artifact_versions', 'artifact_versions_artifact_id_version_number_key',
  array['artifact_id', 'version_number'], 'versions are indexed by (artifact_id, version_number)');
select has_index('public', 'artifact_versions', 'artifact_versions_created_by_message_id_idx', array['created_by_message_id'],
  'versions are indexed by their creating message');
select has_index('public', 'artifacts', 'artifacts_chat_id_created_at_idx', array['chat_id', 'created_at'],
  'artifacts are indexed by chat');
select has_index('public', 'artifacts', 'artifacts_project_id_type_idx', array['project_id', 'type'],
  'artifacts are indexed by project');
select is_definer('private', 'has_role_on_artifact', 'has_role_on_artifact is a security definer helper');
select is_definer('private', 'artifact_versions_before_insert', 'the numbering trigger runs as definer');
select isnt_definer('public', 'create_artifact_with_version', 'create_artifact_with_version runs with the caller''s rights');
select isnt_definer('public', 'add_artifact_version', 'add_artifact_version runs with the caller''s rights');
select ok(not exists (
  select 1 from pg_proc p
  where p.pronamespace = 'public'::regnamespace
    and p.proname in ('create_artifact_with_version', 'add_artifact_version', 'get_artifact', 'list_artifacts',
      'list_artifact_versions', 'update_artifact', 'hide_artifact', 'unhide_artifact', 'revert_artifact',
      'diff_artifact_versions', 'export_bom_csv', 'create_project', 'update_project', 'list_projects', 'get_project',
      'delete_project')
    and has_function_privilege('anon', p.oid, 'execute')
), 'anon can execute none of the artifact and project RPCs');
select is((select array_agg(p.parameter_name::text order by p.ordinal_position)
  from information_schema.parameters p
  join information_schema.routines r on r.specific_name = p.specific_name
  where r.routine_schema = 'public' and r.routine_name = 'create_artifact_with_version' and p.parameter_mode = 'IN'),
  array['chat_id', 'project_id', 'type', 'title', 'content', 'content_json', 'message_id', 'description', 'change_summary'],
  'create_artifact_with_version keeps the source design''s argument order');

-- people and places
select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
select tests.authenticate_as('alice');
select set_config('t.project', (public.create_project('Weather station')).id::text, true);
select set_config('t.other_project', (public.create_project('Robot')).id::text, true);
select set_config('t.chat', (public.create_chat(title => 'Weather', project_id => current_setting('t.project')::uuid)).id::text,
  true);
select set_config('t.other_chat', (public.create_chat(title => 'Other')).id::text, true);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob'), 'editor');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');
select set_config('t.m1', (public.append_message(current_setting('t.chat')::uuid, 'user', 'Build a weather station')).id::text,
  true);
select set_config('t.m2', (public.append_message(current_setting('t.chat')::uuid, 'assistant', 'Here is the context')).id::text,
  true);
select set_config('t.other_m', (public.append_message(current_setting('t.other_chat')::uuid, 'user', 'Elsewhere')).id::text,
  true);

-- create_artifact_with_version: the owner
select set_config('t.created', public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'context',
  'Project context', 'An ESP32 weather station', null, current_setting('t.m2')::uuid, description => 'What we build')::text, true);
select set_config('t.a', current_setting('t.created')::jsonb -> 'artifact' ->> 'id', true);
select results_eq(
  $$ select (r ->> 'created')::boolean, r -> 'artifact' ->> 'type', r -> 'artifact' ->> 'title',
       (r -> 'artifact' ->> 'project_id')::uuid, (r -> 'artifact' ->> 'owner_id')::uuid,
       (r -> 'artifact' ->> 'current_version')::int, (r -> 'artifact' ->> 'total_versions')::int,
       (r -> 'version' ->> 'version_number')::int, r -> 'version' ->> 'parent_version_id',
       (r -> 'version' ->> 'created_by_message_id')::uuid, r -> 'version' ->> 'content_hash',
       (r -> 'version' ->> 'has_content')::boolean, r -> 'version' ? 'content'
     from (select current_setting('t.created')::jsonb as r) x $$,
  format($$ values (true, 'context', 'Project context', %L::uuid, %L::uuid, 1, 1, 1, null::text, %L::uuid,
    '157166521096324577f4048b962c28920423d5e67da95d6a4f2c36a3cbbbf108', true, false) $$,
    current_setting('t.project'), tests.get_user_id('alice'), current_setting('t.m2')),
  'create returns the artifact (in the chat''s project) and version 1 without its content; the hash is SHA-256 of [content, content_json, file_path]');
select is((select created_by_message_id from public.artifacts where id = current_setting('t.a')::uuid),
  current_setting('t.m2')::uuid, 'the artifact records the message that created it');
select results_eq(
  format($$ select r ->> 'created', r -> 'artifact' ->> 'id' from (select public.create_artifact_with_version(%L, null,
    'context', 'Project context', 'An ESP32 weather station', null, %L) as r) x $$, current_setting('t.chat'), current_setting('t.m2')),
  format($$ values ('false', %L) $$, current_setting('t.a')),
  'a retry with the same message, type, title and content returns the first artifact');
select is((select count(*)::int from public.artifacts where chat_id = current_setting('t.chat')::uuid), 1,
  'the retry wrote nothing');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'context', 'Project context', 'Different',
  null, %L) $$, current_setting('t.chat'), current_setting('t.m2')), '23505',
  'this message already created a context artifact titled ''Project context''',
  'the same message making a different artifact of that type and title is a conflict');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'context', 'C', 'x', null, %L) $$,
  current_setting('t.chat'), current_setting('t.other_m')), '22023', 'message_id is not a message of this chat',
  'message_id must be a message of the chat');
select throws_ok(format($$ select public.create_artifact_with_version(null, %L, 'context', 'C', 'x', null, %L) $$,
  current_setting('t.project'), current_setting('t.m1')), '22023', 'message_id needs chat_id: it names a message of that chat',
  'message_id needs a chat');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'essay', 'C', 'x', null, null) $$,
  current_setting('t.chat')), '22023', null, 'an unknown type is rejected');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'context', '  ', 'x', null, null) $$,
  current_setting('t.chat')), '22023', 'title must be 1 to 200 characters without control characters', 'a blank title is rejected');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'context', 'C', null, null, null) $$,
  current_setting('t.chat')), '22023', 'content, content_json or file_path is required', 'content is required');
select throws_ok($$ select public.create_artifact_with_version(null, null, 'context', 'C', 'x', null, null) $$, '22023',
  'chat_id or project_id is required', 'a chat or a project is required');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'context', 'C', 'x', '"text"', null) $$,
  current_setting('t.chat')), '22023', 'content_json must be a JSON object or array', 'content_json must be an object or array');
select throws_ok(format($$ select public.create_artifact_with_version(%L, %L, 'context', 'C', 'x', null, null) $$,
  current_setting('t.chat'), gen_random_uuid()), 'PT404', 'project not found', 'an unknown project is a 404');
select set_config('t.project_only', (public.create_artifact_with_version(null, current_setting('t.project')::uuid, 'budget',
  'Budget', null, '{"limit": 60}', null) -> 'artifact' ->> 'id'), true);
select is((select chat_id from public.artifacts where id = current_setting('t.project_only')::uuid), null,
  'an artifact can belong to a project only');
select is((select count(*)::int from public.artifacts where chat_id = current_setting('t.chat')::uuid), 1,
  'rejected creates wrote nothing');

-- create: editor, viewer, stranger, anon
select tests.authenticate_as('bob');
select set_config('t.b', (public.create_artifact_with_version(current_setting('t.chat')::uuid,
  current_setting('t.project')::uuid, 'mvp', 'MVP', e'# MVP\nTemperature on a display\n', null, null) -> 'artifact' ->> 'id'),
  true);
select results_eq(format($$ select owner_id, project_id from public.artifacts where id = %L $$, current_setting('t.b')),
  format($$ values (%L::uuid, %L::uuid) $$, tests.get_user_id('bob'), current_setting('t.project')),
  'an editor creates artifacts in the chat, for the chat''s project');
select throws_ok(format($$ select public.create_artifact_with_version(%L, %L, 'mvp', 'MVP 2', 'x', null, null) $$,
  current_setting('t.chat'), current_setting('t.other_project')), 'PT404', 'project not found',
  'an editor cannot file an artifact under another project of the owner');
select throws_ok(format($$ select public.create_artifact_with_version(null, %L, 'mvp', 'MVP 2', 'x', null, null) $$,
  current_setting('t.project')), 'PT404', 'project not found', 'an editor cannot create artifacts in the project alone');
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'mvp', 'Mine', 'x', null, null) $$,
  current_setting('t.chat')), '42501', 'you may read this chat but not create artifacts in it', 'a viewer cannot create artifacts');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'mvp', 'Mine', 'x', null, null) $$,
  current_setting('t.chat')), 'PT404', 'chat not found', 'a stranger cannot create artifacts (404)');
select tests.clear_authentication();
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'mvp', 'Mine', 'x', null, null) $$,
  current_setting('t.chat')), '42501', null, 'anon cannot create artifacts');

-- add_artifact_version: numbering, parent, expected_version, identical content
select tests.authenticate_as('bob');
select set_config('t.v2', public.add_artifact_version(current_setting('t.a')::uuid, content => 'An ESP32 weather station with BME280',
  change_summary => 'Sensor chosen', message_id => current_setting('t.m2')::uuid, expected_version => 1)::text, true);
select results_eq(
  $$ select (r ->> 'created')::boolean, (r -> 'version' ->> 'version_number')::int, (r -> 'artifact' ->> 'current_version')::int,
       (r -> 'artifact' ->> 'total_versions')::int, r -> 'version' ->> 'change_summary', (r -> 'version' ->> 'created_by')::uuid
     from (select current_setting('t.v2')::jsonb as r) x $$,
  format($$ values (true, 2, 2, 2, 'Sensor chosen', %L::uuid) $$, tests.get_user_id('bob')),
  'an editor adds version 2');
select is((select parent_version_id from public.artifact_versions where artifact_id = current_setting('t.a')::uuid
  and version_number = 2), (select id from public.artifact_versions where artifact_id = current_setting('t.a')::uuid
  and version_number = 1), 'its parent is version 1');
select is((select current_version_id from public.artifacts where id = current_setting('t.a')::uuid),
  (current_setting('t.v2')::jsonb -> 'version' ->> 'id')::uuid, 'the artifact points at its current version');
select tests.authenticate_as('alice');
select throws_ok(format($$ select public.add_artifact_version(%L, content => 'A stale edit', expected_version => 1) $$,
  current_setting('t.a')), 'PT409', 'artifact has changed: expected version 1 but the current version is 2',
  'a stale expected_version is a 409 conflict');
select results_eq(format($$ select current_version, total_versions from public.artifacts where id = %L $$, current_setting('t.a')),
  $$ values (2, 2) $$, 'the conflict changed nothing');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.a')::uuid), 2,
  'and wrote no version');
select results_eq(
  format($$ select r ->> 'created', r -> 'version' ->> 'version_number'
    from (select public.add_artifact_version(%L, content => 'An ESP32 weather station with BME280', expected_version => 2) as r) x $$,
    current_setting('t.a')),
  $$ values ('false', '2') $$, 'content identical to the current version writes nothing and says so');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.a')::uuid), 2,
  'no version was added');
select is((public.add_artifact_version(current_setting('t.a')::uuid, content => 'Third', expected_version => 2) -> 'version' ->> 'version_number')::int,
  3, 'with the right expected_version the owner adds version 3');
select throws_ok(format($$ select public.add_artifact_version(%L, content => 'x', expected_version => 0) $$, current_setting('t.a')),
  '22023', 'expected_version must be a version number (1 or more)', 'expected_version must be positive');
select throws_ok(format($$ select public.add_artifact_version(%L, content => 'x', message_id => %L) $$, current_setting('t.a'),
  current_setting('t.other_m')), '22023', 'message_id is not a message of the artifact''s chat',
  'message_id must be a message of the artifact''s chat');
select throws_ok(format($$ select public.add_artifact_version(%L) $$, current_setting('t.a')), '22023',
  'content, content_json or file_path is required', 'a version needs content');
select throws_ok(format($$ select public.add_artifact_version(%L, file_path => '../etc/passwd') $$, current_setting('t.a')),
  '22023', null, 'a file_path that is not a Storage path is rejected');
select throws_ok($$ select public.add_artifact_version(gen_random_uuid(), content => 'x') $$, 'PT404', 'artifact not found',
  'an unknown artifact is a 404');
select is((public.add_artifact_version(current_setting('t.a')::uuid, file_path => 'generated/diagram.png') -> 'version' ->> 'file_path'),
  'generated/diagram.png', 'a version may be a Storage file');
-- JSON content hashes by value, not by formatting
select set_config('t.j', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'overview', 'Overview',
  null, '{"b": [1, 2], "a": {"x": true}}', null) -> 'artifact' ->> 'id'), true);
select is((public.add_artifact_version(current_setting('t.j')::uuid, content_json => '{"a":{"x":true},"b":[1,2]}') ->> 'created'),
  'false', 'equal JSON in another key order or spacing is the same content');

-- add_artifact_version: viewer, stranger, anon
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.add_artifact_version(%L, content => 'viewer edit') $$, current_setting('t.a')), '42501',
  'you may read this artifact but not change it', 'a viewer cannot add versions');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.add_artifact_version(%L, content => 'stranger edit') $$, current_setting('t.a')),
  'PT404', 'artifact not found', 'a stranger cannot add versions (404)');
select tests.clear_authentication();
select throws_ok(format($$ select public.add_artifact_version(%L, content => 'anon edit') $$, current_setting('t.a')), '42501',
  null, 'anon cannot add versions');
select tests.authenticate_as('alice');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.a')::uuid), 4,
  'denied writes added nothing');

-- get_artifact
select results_eq(
  format($$ select (r -> 'version' ->> 'version_number')::int, r -> 'version' ->> 'file_path', r -> 'artifact' ->> 'title'
    from (select public.get_artifact(%L) as r) x $$, current_setting('t.a')),
  $$ values (4, 'generated/diagram.png', 'Project context') $$, 'get_artifact returns the current version by default');
select is((public.get_artifact(current_setting('t.a')::uuid, 1) -> 'version' ->> 'content'), 'An ESP32 weather station',
  'get_artifact returns an older version''s content');
select throws_ok(format($$ select public.get_artifact(%L, 99) $$, current_setting('t.a')), 'PT404', 'version 99 not found',
  'a missing version is a 404');
select tests.authenticate_as('carol');
select is((public.get_artifact(current_setting('t.a')::uuid, 2) -> 'version' ->> 'content'),
  'An ESP32 weather station with BME280', 'a viewer reads any version');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.project_only')), 'PT404', 'artifact not found',
  'a chat viewer cannot read an artifact of the project alone');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.a')), 'PT404', 'artifact not found',
  'a stranger cannot read it');
select tests.clear_authentication();
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.a')), '42501', null, 'anon cannot call get_artifact');

-- list_artifacts
select tests.authenticate_as('alice');
select results_eq(format($$ select title from public.list_artifacts(chat_id => %L) $$, current_setting('t.chat')),
  $$ values ('Project context'), ('MVP'), ('Overview') $$, 'list_artifacts lists a chat''s artifacts, oldest first');
select results_eq(format($$ select title from public.list_artifacts(project_id => %L) $$, current_setting('t.project')),
  $$ values ('Project context'), ('Budget'), ('MVP'), ('Overview') $$, 'and a project''s (made in its chat, or for it alone)');
select results_eq(format($$ select title from public.list_artifacts(chat_id => %L, type => 'mvp') $$, current_setting('t.chat')),
  $$ values ('MVP') $$, 'of one type');
select throws_ok($$ select * from public.list_artifacts() $$, '22023', 'chat_id or project_id is required',
  'list_artifacts needs a chat or a project');
select tests.authenticate_as('carol');
select is((select count(*)::int from public.list_artifacts(chat_id => current_setting('t.chat')::uuid)), 3,
  'a viewer lists the chat''s artifacts');
select tests.authenticate_as('dave');
select is_empty(format($$ select * from public.list_artifacts(chat_id => %L) $$, current_setting('t.chat')),
  'a stranger lists nothing');

-- list_artifact_versions
select tests.authenticate_as('carol');
select results_eq(
  format($$ select version_number, parent_version_number, change_summary from public.list_artifact_versions(%L) $$, current_setting('t.a')),
  $$ values (4, 3, null::text), (3, 2, null), (2, 1, 'Sensor chosen'), (1, null, 'Created') $$,
  'list_artifact_versions lists the history newest first with parents');
select is((select created_by_message_id from public.list_artifact_versions(current_setting('t.a')::uuid) where version_number = 2),
  current_setting('t.m2')::uuid, 'with the creating message');
select tests.authenticate_as('dave');
select throws_ok(format($$ select * from public.list_artifact_versions(%L) $$, current_setting('t.a')), 'PT404',
  'artifact not found', 'a stranger cannot list versions');

-- update_artifact
select tests.authenticate_as('bob');
select results_eq(format($$ select title, description from public.update_artifact(%L, title => 'Context', description => '') $$,
  current_setting('t.a')), $$ values ('Context', null::text) $$, 'an editor renames an artifact and clears its description');
select throws_ok(format($$ select public.update_artifact(%L, title => '') $$, current_setting('t.a')), '22023',
  'title must be 1 to 200 characters without control characters', 'an empty title is rejected');
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.update_artifact(%L, title => 'Viewer') $$, current_setting('t.a')), '42501',
  'you may read this artifact but not change it', 'a viewer cannot rename');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.update_artifact(%L, title => 'Stranger') $$, current_setting('t.a')), 'PT404',
  'artifact not found', 'a stranger cannot rename');

-- hide_artifact / unhide_artifact: the creator, or the owner of the chat or project
select tests.authenticate_as('bob');
select throws_ok(format($$ select public.hide_artifact(%L) $$, current_setting('t.a')), '42501',
  'you may read this artifact but not hide or show it', 'an editor cannot hide an artifact someone else created');
select isnt((public.hide_artifact(current_setting('t.b')::uuid)).hidden_at, null, 'the creator hides their artifact');
select results_eq(format($$ select title from public.list_artifacts(chat_id => %L) $$, current_setting('t.chat')),
  $$ values ('Context'), ('Overview') $$, 'lists leave hidden artifacts out');
select is((select count(*)::int from public.list_artifacts(chat_id => current_setting('t.chat')::uuid, include_hidden => true)), 3,
  'unless asked');
select is((public.get_artifact(current_setting('t.b')::uuid) -> 'artifact' ->> 'hidden_by')::uuid, tests.get_user_id('bob'),
  'a hidden artifact can still be opened, with who hid it');
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.unhide_artifact(%L) $$, current_setting('t.b')), '42501', null, 'a viewer cannot unhide');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.hide_artifact(%L) $$, current_setting('t.a')), 'PT404', 'artifact not found',
  'a stranger cannot hide');
select tests.authenticate_as('alice');
select is((public.unhide_artifact(current_setting('t.b')::uuid)).hidden_at, null, 'the chat''s owner unhides it');
select isnt((public.hide_artifact(current_setting('t.b')::uuid)).hidden_at, null, 'and may hide an editor''s artifact');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.b')::uuid), 1,
  'hiding keeps the versions');

-- the policies, directly
select tests.authenticate_as('carol');
select is((select count(*)::int from public.artifacts where chat_id = current_setting('t.chat')::uuid), 3,
  'a viewer selects the chat''s artifacts');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.a')::uuid), 4,
  'and their versions');
select throws_ok(format($$ insert into public.artifact_versions (artifact_id, content) values (%L, 'x') $$, current_setting('t.a')),
  '42501', null, 'a viewer cannot insert versions directly');
select tests.authenticate_as('dave');
select is_empty(format($$ select * from public.artifact_versions where artifact_id = %L $$, current_setting('t.a')),
  'a stranger selects no versions');
select throws_ok(format($$ insert into public.artifacts (chat_id, type, title) values (%L, 'mvp', 'x') $$, current_setting('t.chat')),
  '42501', null, 'a stranger cannot insert artifacts into the chat');
select tests.authenticate_as('bob');
select throws_ok(format($$ update public.artifacts set current_version = 1 where id = %L $$, current_setting('t.a')), '42501',
  null, 'counters are read-only');
select throws_ok(format($$ update public.artifacts set hidden_at = now() where id = %L $$, current_setting('t.a')), '42501',
  null, 'hidden_at is set through hide_artifact only');
select results_eq(
  format($$ insert into public.artifact_versions (artifact_id, content) values (%L, 'direct') returning version_number $$,
    current_setting('t.a')), $$ values (5) $$, 'a writer inserting a version directly is still numbered by the trigger');
select tests.clear_authentication();
select throws_ok($$ select * from public.artifacts $$, '42501', null, 'anon cannot read artifacts');
select throws_ok($$ select * from public.artifact_versions $$, '42501', null, 'anon cannot read versions');

select * from finish();
rollback;
