-- Chats and agents: the schema's shape and privileges, list_agents/create_agent, and
-- create_chat/update_chat/delete_chat/list_chats for the owner, an editor, a viewer, a stranger
-- and anon, with bad input rejected without a trace.
begin;
select plan(86);

-- ------------------------------------------------------------------ structure
select has_table('public', 'agents', 'agents exists');
select has_table('public', 'chats', 'chats exists');
select has_table('public', 'messages', 'messages exists');
select has_table('public', 'chat_members', 'chat_members exists');
select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.agents'::regclass, 'public.chats'::regclass,
  'public.messages'::regclass, 'public.chat_members'::regclass)), 'RLS is on for agents, chats, messages, chat_members');
select policies_are('public', 'agents', array['agents_select_builtin_or_own', 'agents_insert_own']);
select policies_are('public', 'chats', array['chats_select_reader', 'chats_insert_own', 'chats_update_owner', 'chats_delete_owner']);
select policies_are('public', 'messages', array['messages_select_reader', 'messages_insert_writer']);
select policies_are('public', 'chat_members',
  array['chat_members_select_reader', 'chat_members_insert_owner', 'chat_members_update_owner', 'chat_members_delete_owner_or_self']);
select is_definer('private', 'has_role_on_chat', array['uuid', 'text'], 'has_role_on_chat runs as definer');
select ok(not exists (select 1 from pg_proc where pronamespace = 'private'::regnamespace
  and proname in ('can_read_chat', 'can_write_chat', 'is_chat_owner')), 'one chat access helper, not three');
select throws_ok($$ select private.has_role_on_chat(gen_random_uuid(), 'admin') $$, '22023', null, 'an unknown role is refused');
select is_definer('private', 'messages_before_insert', 'the message placing trigger runs as definer');
select function_returns('private', 'has_role_on_chat', array['uuid', 'text'], 'boolean');
select function_privs_are('private', 'has_role_on_chat', array['uuid', 'text'], 'anon', array[]::text[], 'anon cannot call has_role_on_chat');
select function_privs_are('private', 'has_role_on_chat', array['uuid', 'text'], 'authenticated', array['EXECUTE'], 'policies may call has_role_on_chat');
select ok(not has_table_privilege('anon', 'public.chats', 'select'), 'anon cannot read chats');
select ok(not has_table_privilege('anon', 'public.messages', 'select'), 'anon cannot read messages');
select ok(not has_column_privilege('authenticated', 'public.chats', 'last_sequence_number', 'update')
  and not has_column_privilege('authenticated', 'public.chats', 'owner_id', 'update')
  and not has_column_privilege('authenticated', 'public.chats', 'current_leaf_id', 'update')
  and not has_column_privilege('authenticated', 'public.chats', 'forked_from_chat_id', 'insert'),
  'counters, owner, leaf and provenance are read-only for users');
select ok(not has_table_privilege('authenticated', 'public.messages', 'update')
  and not has_table_privilege('authenticated', 'public.messages', 'delete')
  and not has_column_privilege('authenticated', 'public.messages', 'sequence_number', 'insert')
  and not has_column_privilege('authenticated', 'public.messages', 'author_id', 'insert'),
  'users cannot choose sequence numbers or authors, nor change or delete messages');
select function_privs_are('public', 'create_chat', array['text', 'uuid', 'uuid', 'text', 'text', 'jsonb', 'timestamptz', 'uuid'],
  'anon', array[]::text[], 'anon cannot call create_chat');
select function_privs_are('public', 'list_chats', array['integer', 'text', 'boolean'], 'authenticated', array['EXECUTE']);
select function_privs_are('public', 'list_agents', array[]::text[], 'anon', array[]::text[], 'anon cannot list agents');

-- ------------------------------------------------------------------ people
select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');

-- ------------------------------------------------------------------ agents
select tests.authenticate_as('dave');
select is((select name from public.create_agent('my_oracle', 'My Oracle', 'interpreter', '🔮')), 'my_oracle',
  'a user creates a private agent');
select throws_ok($$ select public.create_agent('my_oracle', 'Again') $$, '23505',
  'you already have an agent named ''my_oracle''', 'agent names are unique per owner');
select throws_ok($$ select public.create_agent('Bad Name', 'x') $$, '22023', null, 'agent names are snake_case');
select throws_ok($$ select public.create_agent('ok_name', 'x', 'wizard') $$, '22023', 'kind must be assistant or interpreter');
select set_config('t.oracle', (select id::text from public.agents where name = 'my_oracle'), true);
select tests.authenticate_as('alice');
select is((select array_agg(name::text order by name) from public.list_agents()),
  array['bom_generator', 'code_generator', 'conversational', 'freudian_interpreter', 'jungian_interpreter', 'orchestrator', 'wiring_generator'],
  'alice sees the seven built-in agents and not dave''s private one');
select is((select count(*)::int from public.list_agents() where kind = 'interpreter'), 2, 'two dream interpreters are built in');
select is((select name from public.create_agent('orchestrator', 'My own orchestrator')), 'orchestrator',
  'a private agent may share a built-in agent''s name');
select is((select count(*)::int from public.list_agents() where name = 'orchestrator'), 2, 'both appear, built-in first');
select is((select owner_id from public.list_agents() limit 1), null, 'built-in agents come first');

-- ------------------------------------------------------------------ create_chat
select is((select owner_id from public.create_chat()), tests.get_user_id('alice'), 'create_chat: the caller owns the chat');
select is((select row(title, message_count, last_sequence_number, pinned, archived, metadata)::text from public.create_chat()),
  row(null::text, 0, 0::bigint, false, false, '{}'::jsonb)::text, 'a new chat is untitled, empty, unpinned');
select is(
  (select row(title, phase, metadata, agent_id is not null)::text
   from public.create_chat(title => '  Weather station  ', phase => 'ideation', metadata => '{"board": "esp32"}',
     agent_id => (select id from public.agents where name = 'conversational' and owner_id is null))),
  row('Weather station', 'ideation', '{"board": "esp32"}'::jsonb, true)::text,
  'title is trimmed; phase, metadata and agent are kept');
select is((select ttl::interval from public.create_chat(continuation_id => 'cont-1', expires_at => now() + interval '2 hours')),
  interval '2 hours', 'a continuation chat keeps its lifetime as its TTL');
select throws_ok($$ select public.create_chat(continuation_id => 'cont-1') $$, '23505',
  'you already have a chat with continuation_id ''cont-1''', 'continuation ids are unique per owner');
select throws_ok(format('select public.create_chat(agent_id => %L)', current_setting('t.oracle')),
  '22023', 'agent_id is not an agent you can use', 'another user''s private agent cannot be used');
select throws_ok($$ select public.create_chat(phase => 'Not A Phase') $$, '22023', null, 'phase must be snake_case');
select throws_ok($$ select public.create_chat(metadata => '[1]') $$, '22023', 'metadata must be a JSON object of at most 16 kB');
select throws_ok($$ select public.create_chat(expires_at => now() - interval '1 second') $$, '22023', 'expires_at must be in the future');
select throws_ok($$ select public.create_chat(title => repeat('x', 201)) $$, '22023',
  'title must be 1 to 200 characters without control characters');
select tests.clear_authentication();
select throws_ok($$ select public.create_chat(title => 'anon') $$, '42501', null, 'anon cannot create a chat');
select throws_ok($$ select * from public.list_agents() $$, '42501', null, 'anon cannot list agents');
select throws_ok($$ select public.create_agent('anon_agent', 'Anon') $$, '42501', null, 'anon cannot create an agent');
select tests.authenticate_as('alice');
select is((select count(*)::int from public.chats), 4, 'rejected calls created nothing');

-- a fixed set of chats for the rest: alice owns 'main', bob edits it, carol views it
reset role;
insert into public.chats (id, owner_id, title) values
  ('c0000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), 'Main');
insert into public.chat_members (chat_id, user_id, role) values
  ('c0000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'editor'),
  ('c0000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer');

-- ------------------------------------------------------------------ update_chat
select tests.authenticate_as('alice');
select is((select row(title, phase, pinned)::text from public.update_chat('c0000000-0000-4000-8000-000000000001',
  title => 'Main chat', phase => 'parts', pinned => true)), row('Main chat', 'parts', true)::text, 'the owner updates settings');
select is((select row(title, phase, pinned)::text from public.update_chat('c0000000-0000-4000-8000-000000000001', archived => true)),
  row('Main chat', 'parts', true)::text, 'omitted arguments leave fields unchanged');
select is((select metadata::jsonb from public.update_chat('c0000000-0000-4000-8000-000000000001', metadata => '{"a": 1, "b": 2}')),
  '{"a": 1, "b": 2}'::jsonb, 'metadata is saved');
select is((select metadata::jsonb from public.update_chat('c0000000-0000-4000-8000-000000000001', metadata => '{"a": null, "c": 3}')),
  '{"b": 2, "c": 3}'::jsonb, 'metadata merges; a null value removes a key');
select is((select row(title, phase)::text from public.update_chat('c0000000-0000-4000-8000-000000000001', title => '', phase => '')),
  row(null::text, null::text)::text, 'an empty title or phase clears it');
select is((select expires_at from public.update_chat('c0000000-0000-4000-8000-000000000001', expires_at => 'infinity')), null,
  'expires_at infinity makes a chat permanent');
select ok((select updated_at >= created_at from public.chats where id = 'c0000000-0000-4000-8000-000000000001'), 'updated_at is kept');
select throws_ok($$ select public.update_chat('c0000000-0000-4000-8000-000000000001', phase => 'Bad!') $$, '22023', null,
  'a bad phase is rejected');
select throws_ok($$ select public.update_chat('c0000000-0000-4000-8000-000000000001', expires_at => now() - interval '1 hour') $$,
  '22023', 'expires_at must be in the future');
select throws_ok($$ select public.update_chat('c0000000-0000-4000-8000-0000000000ff', title => 'x') $$, 'PT404', 'chat not found',
  'an unknown chat is not found');
select tests.authenticate_as('bob');
select throws_ok($$ select public.update_chat('c0000000-0000-4000-8000-000000000001', title => 'bob was here') $$, '42501',
  'you may read this chat but not change its settings', 'an editor cannot change the chat''s settings');
select tests.authenticate_as('carol');
select throws_ok($$ select public.update_chat('c0000000-0000-4000-8000-000000000001', pinned => false) $$, '42501', null,
  'a viewer cannot either');
select tests.authenticate_as('dave');
select throws_ok($$ select public.update_chat('c0000000-0000-4000-8000-000000000001', title => 'x') $$, 'PT404', 'chat not found',
  'to a stranger the chat does not exist');
update public.chats set title = 'direct' where id = 'c0000000-0000-4000-8000-000000000001';
select tests.clear_authentication();
select throws_ok($$ select public.update_chat('c0000000-0000-4000-8000-000000000001', title => 'x') $$, '42501', null,
  'anon cannot call update_chat');
select tests.authenticate_as('alice');
select is((select title from public.chats where id = 'c0000000-0000-4000-8000-000000000001'), null,
  'none of the denied updates reached the chat');

-- ------------------------------------------------------------------ reading chats directly (RLS)
select is((select count(*)::int from public.chats where id = 'c0000000-0000-4000-8000-000000000001'), 1, 'the owner reads the chat');
select tests.authenticate_as('carol');
select is((select count(*)::int from public.chats where id = 'c0000000-0000-4000-8000-000000000001'), 1, 'a viewer reads it');
select tests.authenticate_as('dave');
select is_empty($$ select * from public.chats where id = 'c0000000-0000-4000-8000-000000000001' $$, 'a stranger does not');
select throws_ok($$ insert into public.chats (title, owner_id) values ('stolen', tests.get_user_id('alice')) $$, '42501', null,
  'nobody creates a chat for someone else');

-- ------------------------------------------------------------------ list_chats
select tests.authenticate_as('alice');
select is((select count(*)::int from public.list_chats()), 4, 'alice lists her chats without the archived one');
select is((select count(*)::int from public.list_chats(include_archived => true)), 5, 'include_archived adds it');
reset role;
-- distinct activity times, and a tie, to check the order and the cursor
update public.chats set last_activity_at = '2026-01-01 10:00:00+00', last_activity_minute = '2026-01-01 10:00:00+00'
  where owner_id = tests.get_user_id('alice');
update public.chats set last_activity_at = '2026-01-02 09:00:30+00', last_activity_minute = '2026-01-02 09:00:00+00', archived = false
  where id = 'c0000000-0000-4000-8000-000000000001';
insert into public.chats (id, owner_id, title, last_activity_at, last_activity_minute, expires_at) values
  ('c0000000-0000-4000-8000-000000000002', tests.get_user_id('alice'), 'Recent', '2026-01-02 09:00:40+00', '2026-01-02 09:00:00+00', null),
  ('c0000000-0000-4000-8000-000000000003', tests.get_user_id('alice'), 'Expired', '2026-01-03 00:00:00+00', '2026-01-03 00:00:00+00', now() - interval '1 minute'),
  ('c0000000-0000-4000-8000-000000000004', tests.get_user_id('dave'), 'Dave''s', '2026-01-04 00:00:00+00', '2026-01-04 00:00:00+00', null);
select tests.authenticate_as('alice');
select is((select array_agg(title::text) from (select title from public.list_chats() limit 2) page),
  array['Recent', null], 'newest activity first (seconds within the same minute count), expired chats left out');
select is((select count(*)::int from public.list_chats("limit" => 2)), 2, 'limit caps the page');
select is(
  (select count(*)::int from public.list_chats(before => (
    select last_activity_at::text || ',' || id::text from public.list_chats("limit" => 3) offset 2))),
  3, 'the cursor of the third row leaves the three after it');
select is(
  (select array[count(*), count(distinct id)]::int[] from (
    select id from public.list_chats("limit" => 3)
    union all
    select id from public.list_chats(before => (
      select last_activity_at::text || ',' || id::text from public.list_chats("limit" => 3) offset 2))) pages),
  array[6, 6], 'two pages cover every chat exactly once, ties included');
select throws_ok($$ select * from public.list_chats("limit" => 0) $$, '22023', 'limit must be between 1 and 200');
select throws_ok($$ select * from public.list_chats(before => 'yesterday-ish') $$, '22023', null, 'a malformed cursor is rejected');
select tests.authenticate_as('bob');
select is((select array_agg(title::text) from public.list_chats()), array[null::text], 'a member lists the chats shared with them');
select tests.authenticate_as('dave');
select is((select array_agg(title::text) from public.list_chats()), array['Dave''s'], 'a stranger lists only their own');
select tests.clear_authentication();
select throws_ok($$ select * from public.list_chats() $$, '42501', null, 'anon cannot list chats');

-- ------------------------------------------------------------------ delete_chat
select tests.authenticate_as('bob');
select throws_ok($$ select public.delete_chat('c0000000-0000-4000-8000-000000000001') $$, '42501',
  'you may read this chat but not delete it', 'an editor cannot delete the chat');
select tests.authenticate_as('dave');
select throws_ok($$ select public.delete_chat('c0000000-0000-4000-8000-000000000001') $$, 'PT404', 'chat not found');
delete from public.chats where id = 'c0000000-0000-4000-8000-000000000001';
select tests.clear_authentication();
select throws_ok($$ select public.delete_chat('c0000000-0000-4000-8000-000000000001') $$, '42501', null, 'anon cannot delete');
select tests.authenticate_as('alice');
select is((select count(*)::int from public.chats where id = 'c0000000-0000-4000-8000-000000000001'), 1, 'the chat survived them all');
select is(public.delete_chat('c0000000-0000-4000-8000-000000000001'), true, 'the owner deletes it');
select is_empty($$ select * from public.chats where id = 'c0000000-0000-4000-8000-000000000001' $$, 'it is gone');
select is((select count(*)::int from public.chat_members where chat_id = 'c0000000-0000-4000-8000-000000000001'), 0,
  'with its members');
select throws_ok($$ select public.delete_chat('c0000000-0000-4000-8000-000000000001') $$, 'PT404', 'chat not found',
  'deleting again says not found');

-- ------------------------------------------------------------------ a user's deletion takes their chats
reset role;
delete from auth.users where id = tests.get_user_id('dave');
select is((select count(*)::int from public.chats where id = 'c0000000-0000-4000-8000-000000000004'), 0, 'deleting a user deletes their chats');
select is((select count(*)::int from public.agents where name = 'my_oracle'), 0, 'and their private agents');

select * from finish();
rollback;
