-- Access follows membership: the chat's owner (alice), an editor (bob), a viewer (carol), a removed
-- editor (erin), a removed viewer (fay), a stranger (dave) and anon, for artifacts of a chat and its
-- project: removal ends every right (whatever the removed member created), an artifact belongs to
-- its chat's project and to no other, deleting a chat deletes what it held for everyone, and only
-- trusted writers' token counts bill.
begin;
select plan(70);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
select tests.create_user('erin');
select tests.create_user('fay');

select tests.authenticate_as('bob');
select set_config('t.bobs_project', (public.create_project('Bob''s bench')).id::text, true);

select tests.authenticate_as('alice');
select set_config('t.project', (public.create_project('Weather station')).id::text, true);
select set_config('t.other_project', (public.create_project('Robot')).id::text, true);
select set_config('t.chat', (public.create_chat(title => 'Weather', project_id => current_setting('t.project')::uuid)).id::text,
  true);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob'), 'editor');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('erin'), 'editor');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('fay'), 'viewer');
select set_config('t.m1', (public.append_message(current_setting('t.chat')::uuid, 'user', 'Build a weather station')).id::text,
  true);

-- ---------------------------------------------------------------------------------------------
-- 2. An artifact belongs to its chat's project, and to no other.
select tests.authenticate_as('bob');
select throws_ok(format($$ select public.create_artifact_with_version(%L, %L, 'context', 'Mine now', 'x', null, null) $$,
  current_setting('t.chat'), current_setting('t.bobs_project')), '22023', 'project_id must be the chat''s own project',
  'an editor cannot file an artifact of the owner''s chat under a project of his own');
select throws_ok(format($$ insert into public.artifacts (chat_id, project_id, type, title) values (%L, %L, 'context', 'Mine') $$,
  current_setting('t.chat'), current_setting('t.bobs_project')), '22023', null,
  'nor by writing the row himself');
select throws_ok(format($$ select public.create_artifact_with_version(%L, %L, 'context', 'Robot notes', 'x', null, null) $$,
  current_setting('t.chat'), current_setting('t.other_project')), 'PT404', 'project not found',
  'another project of the owner''s is not his to see (404)');
select is((public.create_artifact_with_version(current_setting('t.chat')::uuid, current_setting('t.project')::uuid, 'context',
  'Context', 'An ESP32 weather station', null, current_setting('t.m1')::uuid) -> 'artifact' ->> 'project_id')::uuid,
  current_setting('t.project')::uuid, 'naming the chat''s own project is fine');
select tests.authenticate_as('alice');
select throws_ok(format($$ select public.create_artifact_with_version(%L, %L, 'context', 'Elsewhere', 'x', null, null) $$,
  current_setting('t.chat'), current_setting('t.other_project')), '22023', 'project_id must be the chat''s own project',
  'the owner cannot file a chat''s artifact under another of her projects either');
select tests.authenticate_as_service_role();
select throws_ok(format($$ insert into public.artifacts (owner_id, chat_id, project_id, type, title) values (%L, %L, %L, 'context', 'X') $$,
  tests.get_user_id('bob'), current_setting('t.chat'), current_setting('t.bobs_project')), '22023',
  'an artifact of a chat belongs to the chat''s project', 'the table refuses it from any writer, the service role too');
select is((select project_id from public.artifacts where chat_id = current_setting('t.chat')::uuid and title = 'Context'),
  current_setting('t.project')::uuid, 'the artifact is in the chat''s project');
select is((select count(*)::int from public.artifacts where chat_id = current_setting('t.chat')::uuid), 1,
  'the refused creates wrote nothing');

-- Even a row filed under another project (as the table no longer allows) gives that project's
-- owner no access: a chat's artifact is read and written by the chat's people only.
select tests.clear_authentication();
reset role;
set local session_replication_role = replica;
insert into public.artifacts (id, owner_id, chat_id, project_id, type, title)
values ('a9000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), current_setting('t.chat')::uuid,
  current_setting('t.bobs_project')::uuid, 'context', 'Misfiled');
set local session_replication_role = origin;
insert into public.artifact_versions (artifact_id, content) values ('a9000000-0000-4000-8000-000000000001', 'secret plans');

-- ---------------------------------------------------------------------------------------------
-- 1. Removing a collaborator removes all of their access.
select tests.authenticate_as('erin');
select set_config('t.erins', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  '{"components": [{"name": "ESP32-DevKitC", "quantity": 1, "unit_price": 12.5, "currency": "USD"}]}', null)
  -> 'artifact' ->> 'id'), true);
select is((select count(*)::int from public.parts where artifact_id = current_setting('t.erins')::uuid), 1,
  'an editor''s BOM in the project''s chat is materialised, and she reads its parts');
select tests.authenticate_as('fay');
select is((public.get_artifact(current_setting('t.erins')::uuid) -> 'version' ->> 'version_number')::int, 1,
  'a viewer reads it while a member');

select tests.authenticate_as('alice');
select ok(public.remove_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('erin')), 'alice removes erin');
select ok(public.remove_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('fay')), 'and fay');
select is((public.add_artifact_version(current_setting('t.erins')::uuid, content_json =>
  '{"components": [{"name": "ESP32-DevKitC", "quantity": 2, "unit_price": 12.5, "currency": "USD"}]}') -> 'version'
  ->> 'version_number')::int, 2, 'alice writes version 2 of erin''s BOM');

select tests.authenticate_as('erin');
select is_empty(format($$ select 1 from public.artifacts where id = %L $$, current_setting('t.erins')),
  'removed editor: her own artifact is gone from her view');
select is_empty(format($$ select 1 from public.artifact_versions where artifact_id = %L $$, current_setting('t.erins')),
  'removed editor: its versions, the owner''s later one included');
select is_empty(format($$ select 1 from public.parts where artifact_id = %L $$, current_setting('t.erins')),
  'removed editor: its materialised parts');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.erins')), 'PT404', 'artifact not found',
  'removed editor: get_artifact is a 404');
select throws_ok(format($$ select * from public.list_artifact_versions(%L) $$, current_setting('t.erins')), 'PT404', null,
  'removed editor: list_artifact_versions is a 404');
select is_empty(format($$ select * from public.list_artifacts(chat_id => %L) $$, current_setting('t.chat')),
  'removed editor: list_artifacts shows nothing');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => '{"components": []}') $$,
  current_setting('t.erins')), 'PT404', 'artifact not found', 'removed editor: cannot add versions');
select throws_ok(format($$ select public.revert_artifact(%L, 1) $$, current_setting('t.erins')), 'PT404', null,
  'removed editor: cannot revert');
select throws_ok(format($$ select public.update_artifact(%L, title => 'Renamed') $$, current_setting('t.erins')), 'PT404',
  'artifact not found', 'removed editor: cannot rename');
select throws_ok(format($$ select public.hide_artifact(%L) $$, current_setting('t.erins')), 'PT404', 'artifact not found',
  'removed editor: cannot hide what she created');
select throws_ok(format($$ select public.unhide_artifact(%L) $$, current_setting('t.erins')), 'PT404', 'artifact not found',
  'removed editor: cannot unhide it');
select throws_ok(format($$ select public.export_bom_csv(%L) $$, current_setting('t.erins')), 'PT404', null,
  'removed editor: cannot export it');
select throws_ok(format($$ select public.diff_artifact_versions(%L, 1, 2) $$, current_setting('t.erins')), 'PT404', null,
  'removed editor: cannot diff it');
select throws_ok(format($$ select public.get_project(%L) $$, current_setting('t.project')), 'PT404', null,
  'removed editor: get_project of the chat''s project is a 404');
select throws_ok(format($$ select * from public.get_messages(%L) $$, current_setting('t.chat')), 'PT404', null,
  'removed editor: the chat itself is a 404');
select throws_ok(format($$ select public.create_artifact_with_version(%L, null, 'context', 'Again', 'x', null, null) $$,
  current_setting('t.chat')), 'PT404', 'chat not found', 'removed editor: cannot create artifacts');
select throws_ok(format($$ select public.append_message(%L, 'user', 'still here?') $$, current_setting('t.chat')), 'PT404',
  null, 'removed editor: cannot write messages');

select tests.authenticate_as('fay');
select is_empty(format($$ select 1 from public.artifacts where chat_id = %L $$, current_setting('t.chat')),
  'removed viewer: sees no artifact of the chat');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.erins')), 'PT404', 'artifact not found',
  'removed viewer: get_artifact is a 404');
select throws_ok(format($$ select public.hide_artifact(%L) $$, current_setting('t.erins')), 'PT404', 'artifact not found',
  'removed viewer: cannot hide');

select tests.authenticate_as('bob');
select is((public.get_artifact(current_setting('t.erins')::uuid) -> 'version' ->> 'version_number')::int, 2,
  'a remaining editor still reads it');
select is((public.get_project(current_setting('t.bobs_project')::uuid) -> 'sources'), '[]'::jsonb,
  'and his get_project shows nothing of alice''s');
select tests.authenticate_as('alice');
select ok(public.remove_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob')), 'alice removes bob too');
select tests.authenticate_as('bob');
select is_empty(format($$ select 1 from public.artifacts where chat_id = %L $$, current_setting('t.chat')),
  'removed bob reads no artifact of the chat, including the one he created');
select is_empty($$ select 1 from public.artifacts where id = 'a9000000-0000-4000-8000-000000000001' $$,
  'a misfiled artifact of the owner''s chat is not readable through the removed editor''s project');
select throws_ok($$ select public.add_artifact_version('a9000000-0000-4000-8000-000000000001', content => 'mine') $$,
  'PT404', 'artifact not found', 'nor writable through it');
select throws_ok($$ select public.hide_artifact((select id from public.artifacts where title = 'Context')) $$, 'PT404',
  null, 'and cannot even name them to hide them');
select tests.authenticate_as('carol');
select is((select count(*)::int from public.artifacts where chat_id = current_setting('t.chat')::uuid), 3,
  'the remaining viewer reads the chat''s artifacts');
select throws_ok(format($$ select public.hide_artifact(%L) $$, current_setting('t.erins')), '42501', null,
  'but a viewer may not hide them (403)');
select tests.authenticate_as('dave');
select is_empty(format($$ select 1 from public.artifacts where chat_id = %L $$, current_setting('t.chat')),
  'a stranger sees nothing');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.erins')), 'PT404', null,
  'a stranger gets a 404');
select tests.clear_authentication();
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.erins')), '42501', null,
  'anon is denied');
select tests.authenticate_as('alice');
select is((select hidden_at is null from public.hide_artifact(current_setting('t.erins')::uuid)), false,
  'the chat''s owner hides an artifact an editor created');

-- ---------------------------------------------------------------------------------------------
-- 3. Deleting a chat deletes what it held, for everyone.
select set_config('t.loose_chat', (public.create_chat(title => 'Loose ideas')).id::text, true);
select public.add_chat_member(current_setting('t.loose_chat')::uuid, tests.get_user_id('carol'), 'editor');
select tests.authenticate_as('carol');
select set_config('t.loose', (public.create_artifact_with_version(current_setting('t.loose_chat')::uuid, null, 'prd', 'PRD',
  'Idea', null, null) -> 'artifact' ->> 'id'), true);
select tests.authenticate_as('alice');
select throws_ok(format($$ update public.chats set project_id = %L where id = %L $$, current_setting('t.other_project'),
  current_setting('t.loose_chat')), '22023', 'a chat with artifacts cannot move to another project',
  'a chat that holds artifacts cannot move into a project (its artifacts would change hands)');
select ok(public.delete_chat(current_setting('t.loose_chat')::uuid), 'alice deletes a chat without project');
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.loose')), 'PT404', null,
  'its editor''s artifact is gone for her');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.artifacts where id = current_setting('t.loose')::uuid), 0,
  'and gone from the database, versions with it');
select is((select count(*)::int from public.artifacts where id = 'a9000000-0000-4000-8000-000000000001'), 1,
  '(the misfiled artifact is still there before its chat goes)');

select tests.authenticate_as('alice');
select ok(public.delete_chat(current_setting('t.chat')::uuid), 'alice deletes the project''s chat');
select results_eq(format($$ select chat_id, project_id from public.artifacts where id = %L $$, current_setting('t.erins')),
  format($$ values (null::uuid, %L::uuid) $$, current_setting('t.project')),
  'an artifact of the chat owner''s project outlives the chat, as the project''s');
select is((public.get_artifact(current_setting('t.erins')::uuid) -> 'version' ->> 'version_number')::int, 2,
  'the project''s owner reads it');
select ok(exists (select 1 from public.parts where artifact_id = current_setting('t.erins')::uuid),
  'and its parts');
select tests.authenticate_as('erin');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.erins')), 'PT404', null,
  'its creator, a former editor, does not');
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.erins')), 'PT404', null,
  'nor does the chat''s last viewer');
select is_empty(format($$ select 1 from public.parts where artifact_id = %L $$, current_setting('t.erins')),
  'nor its parts');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.artifacts where id = 'a9000000-0000-4000-8000-000000000001'), 0,
  'an artifact filed under another person''s project is deleted with its chat');

-- ---------------------------------------------------------------------------------------------
-- 4. Usage that bills comes from trusted writers.
select tests.authenticate_as('alice');
select set_config('t.usage_chat', (public.create_chat(title => 'Usage')).id::text, true);
select public.add_chat_member(current_setting('t.usage_chat')::uuid, tests.get_user_id('bob'), 'editor');
select public.add_chat_member(current_setting('t.usage_chat')::uuid, tests.get_user_id('carol'), 'viewer');
select tests.authenticate_as('bob');
select is((public.append_message(current_setting('t.usage_chat')::uuid, 'assistant', 'expensive', agent_model => 'openai/gpt-4o',
  input_tokens => 2000000000, output_tokens => 2000000000)).input_tokens, 2000000000,
  'an editor may report token counts (kept on the message)');
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.append_message(%L, 'assistant', 'x', input_tokens => 5) $$,
  current_setting('t.usage_chat')), '42501', null, 'a viewer cannot append at all');
select tests.authenticate_as('erin');
select throws_ok(format($$ select public.append_message(%L, 'assistant', 'x', input_tokens => 5) $$,
  current_setting('t.usage_chat')), 'PT404', null, 'nor a stranger');
select tests.authenticate_as('alice');
select public.append_message(current_setting('t.usage_chat')::uuid, 'assistant', 'my own count', agent_model => 'openai/gpt-4o',
  input_tokens => 1000000, output_tokens => 0);
select tests.authenticate_as_service_role();
select is((public.append_message(current_setting('t.usage_chat')::uuid, 'assistant', 'from the agent function',
  agent_model => 'openai/gpt-4o', input_tokens => 1000000, output_tokens => 1000000)).author_id, null,
  'the service role appends to any chat (an agent function)');
select is((select array_agg(usage_source::text order by sequence_number) from public.messages
  where chat_id = current_setting('t.usage_chat')::uuid), array['client', 'client', 'service'],
  'counts from users'' sessions are client-reported, the service role''s are trusted');
select tests.authenticate_as('bob');
select throws_ok(format($$ insert into public.messages (chat_id, role, content, input_tokens, usage_source) values (%L, 'assistant', 'x', 1, 'service') $$,
  current_setting('t.usage_chat')), '42501', null, 'no user may claim a trusted source');
select tests.authenticate_as('alice');
select results_eq(
  $$ select group_key, source, messages, input_tokens, output_tokens, cost_usd from public.get_usage(group_by => 'model') $$,
  $$ values ('openai/gpt-4o', 'billed', 1::bigint, 1000000::bigint, 1000000::bigint, 12.500000::numeric) $$,
  'the owner is billed for the trusted counts only: not the editor''s $20,000 nor her own unverified report');
select results_eq(
  $$ select group_key, source, messages, input_tokens, cost_usd from public.get_usage(group_by => 'model', include_client_reported => true) $$,
  $$ values ('openai/gpt-4o', 'billed', 1::bigint, 1000000::bigint, 12.500000::numeric),
            ('openai/gpt-4o', 'client_reported', 2::bigint, 2001000000::bigint, null::numeric) $$,
  'asked for, the client-reported counts are listed apart, labelled, without a cost');
select tests.authenticate_as('bob');
select is_empty($$ select * from public.get_usage(group_by => 'chat', include_client_reported => true) $$,
  'the editor''s counts are in no bill of his (he owns no chat with usage)');
select tests.authenticate_as('dave');
select is_empty($$ select * from public.get_usage(group_by => 'model', include_client_reported => true) $$,
  'a stranger sees no usage of alice''s');
select tests.clear_authentication();
select throws_ok($$ select * from public.get_usage() $$, '42501', null, 'anon has no usage');

select * from finish();
rollback;
