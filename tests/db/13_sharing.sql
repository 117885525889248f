-- Sharing and forking: share_chat, list_shares, revoke_share, get_shared_chat (also for anon),
-- fork_chat from a readable chat or through a share token.
begin;
select plan(65);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
insert into public.chats (id, owner_id, title, metadata, agent_id) values
  ('c3000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), 'Weather station', '{"secret": "owner notes"}',
   (select id from public.agents where name = 'conversational' and owner_id is null)),
  ('c3000000-0000-4000-8000-000000000002', tests.get_user_id('alice'), 'Empty', '{}', null);
insert into public.chat_members (chat_id, user_id, role) values
  ('c3000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'editor'),
  ('c3000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer');

select has_table('public', 'chat_shares', 'chat_shares exists');
select policies_are('public', 'chat_shares', array['chat_shares_select_owner', 'chat_shares_insert_owner', 'chat_shares_update_owner']);
select is_definer('private', 'get_shared_chat', array['text', 'bigint', 'bigint', 'integer'], 'reading through a token runs as definer');
select is_definer('private', 'fork_chat', array['uuid', 'text', 'uuid'], 'forking runs as definer');
select isnt_definer('public', 'get_shared_chat', array['text', 'bigint', 'bigint', 'integer'], 'the public wrapper does not');
select function_privs_are('public', 'get_shared_chat', array['text', 'bigint', 'bigint', 'integer'], 'anon', array['EXECUTE'],
  'anon may read a shared chat');
select function_privs_are('public', 'fork_chat', array['uuid', 'text', 'uuid'], 'anon', array[]::text[], 'anon cannot fork');
select function_privs_are('public', 'share_chat', array['uuid', 'timestamptz', 'uuid'], 'anon', array[]::text[]);
select ok(not has_column_privilege('authenticated', 'public.chat_shares', 'token_hash', 'select'), 'token hashes are not readable');

-- a conversation with a regenerated answer: u1 a1 (a1' current)
select tests.authenticate_as('alice');
select public.append_message('c3000000-0000-4000-8000-000000000001', 'user', 'How do I read a BME280?');
select public.append_message('c3000000-0000-4000-8000-000000000001', 'assistant', 'Over I2C.', agent_name => 'conversational',
  input_tokens => 10, output_tokens => 20, metadata => '{"trace": "internal"}');
select public.append_message('c3000000-0000-4000-8000-000000000001', 'assistant', 'Over I2C or SPI.',
  parent_id => (select id from public.messages where chat_id = 'c3000000-0000-4000-8000-000000000001' and sequence_number = 1));
reset role;
create temp table source_messages as
  select sequence_number, id from public.messages where chat_id = 'c3000000-0000-4000-8000-000000000001';
grant select, insert on source_messages to public;
create function pg_temp.msg(seq bigint) returns uuid language sql stable
  as $$ select id from source_messages where sequence_number = seq $$;
grant execute on function pg_temp.msg(bigint) to public;
select tests.authenticate_as('alice');

-- ------------------------------------------------------------------ share_chat
create temp table shares (name text primary key, share_id uuid, token text);
grant select, insert on shares to public;
insert into shares select 'main', s.share_id, s.token from public.share_chat('c3000000-0000-4000-8000-000000000001') s;
select ok((select token ~ '^[A-Za-z0-9_-]{32}$' from shares where name = 'main'), 'the token is 32 URL-safe characters (192 bits)');
select is((select up_to_message_id from public.list_shares('c3000000-0000-4000-8000-000000000001')), pg_temp.msg(3),
  'the snapshot point is the current leaf');
reset role;
select is((select token_hash from public.chat_shares where id = (select share_id from shares where name = 'main')),
  (select extensions.digest(token, 'sha256') from shares where name = 'main'), 'only the SHA-256 of the token is stored');
select is((select count(*)::int from public.chat_shares s, shares t where position(t.token in s::text) > 0), 0,
  'the token itself is stored nowhere');
select tests.authenticate_as('alice');
insert into shares select 'first', s.share_id, s.token
  from public.share_chat('c3000000-0000-4000-8000-000000000001', up_to_message_id => pg_temp.msg(1)) s;
insert into shares select 'soon', s.share_id, s.token
  from public.share_chat('c3000000-0000-4000-8000-000000000001', expires_at => now() + interval '1 hour') s;
insert into shares select 'revoked', s.share_id, s.token from public.share_chat('c3000000-0000-4000-8000-000000000001') s;
select is((select count(*)::int from public.list_shares('c3000000-0000-4000-8000-000000000001') where active), 4, 'four active shares');
select throws_ok($$ select public.share_chat('c3000000-0000-4000-8000-000000000001', expires_at => now() - interval '1 minute') $$,
  '22023', 'expires_at must be in the future');
select throws_ok($$ select public.share_chat('c3000000-0000-4000-8000-000000000002') $$, '22023', 'the chat has no messages to share');
select throws_ok(format('select public.share_chat(%L, up_to_message_id => %L)', 'c3000000-0000-4000-8000-000000000002', pg_temp.msg(1)),
  '22023', 'up_to_message_id is not a message of this chat');
select tests.authenticate_as('bob');
select throws_ok($$ select public.share_chat('c3000000-0000-4000-8000-000000000001') $$, '42501',
  'you may read this chat but not share it', 'an editor cannot share');
select throws_ok($$ select * from public.list_shares('c3000000-0000-4000-8000-000000000001') $$, '42501', null,
  'nor list the shares');
select is_empty($$ select id from public.chat_shares $$, 'nor see them');
select throws_ok(format('select public.revoke_share(%L)', (select share_id from shares where name = 'main')), 'PT404', 'share not found',
  'nor revoke one');
select tests.authenticate_as('dave');
select throws_ok($$ select public.share_chat('c3000000-0000-4000-8000-000000000001') $$, 'PT404', 'chat not found');
select throws_ok($$ select * from public.list_shares('c3000000-0000-4000-8000-000000000001') $$, 'PT404', 'chat not found');
select tests.clear_authentication();
select throws_ok($$ select public.share_chat('c3000000-0000-4000-8000-000000000001') $$, '42501', null, 'anon cannot share');

-- ------------------------------------------------------------------ get_shared_chat
select tests.authenticate_as('alice');
select public.append_message('c3000000-0000-4000-8000-000000000001', 'user', 'Written after sharing');
insert into source_messages select sequence_number, id from public.messages
  where chat_id = 'c3000000-0000-4000-8000-000000000001' and sequence_number = 4;
select is(public.revoke_share((select share_id from shares where name = 'revoked')), true, 'the owner revokes a share');
select is(public.revoke_share((select share_id from shares where name = 'revoked')), true, 'revoking again is harmless');
select is((select active from public.list_shares('c3000000-0000-4000-8000-000000000001') where share_id = (select share_id from shares where name = 'revoked')),
  false, 'the revoked share is listed as inactive');
select tests.clear_authentication();
select is((select public.get_shared_chat(token) -> 'chat' ->> 'title' from shares where name = 'main'), 'Weather station',
  'anon reads a shared chat');
select is((select jsonb_path_query_array(public.get_shared_chat(token), '$.messages[*].content') from shares where name = 'main'),
  '["How do I read a BME280?", "Over I2C or SPI."]'::jsonb, 'the branch up to the snapshot point, not other branches or later messages');
select is((select (public.get_shared_chat(token) -> 'chat' ->> 'message_count')::int from shares where name = 'main'), 2,
  'with the number of messages it holds');
select is((select public.get_shared_chat(token) -> 'chat' -> 'agent' ->> 'name' from shares where name = 'main'), 'conversational',
  'and the agent''s name and icon');
select is((select array(select jsonb_object_keys(public.get_shared_chat(token) -> 'chat')) from shares where name = 'main'),
  array['id', 'agent', 'phase', 'title', 'created_at', 'message_count'], 'no owner or metadata in the shared chat');
select ok((select not (public.get_shared_chat(token) -> 'messages' -> 0 ?| array['metadata', 'input_tokens', 'author_id', 'client_message_id'])
  from shares where name = 'main'), 'no metadata, tokens, authors or client ids in the shared messages');
select is((select jsonb_path_query_array(public.get_shared_chat(token), '$.messages[*].content') from shares where name = 'first'),
  '["How do I read a BME280?"]'::jsonb, 'an explicit snapshot point');
select is((select jsonb_path_query_array(public.get_shared_chat(token, "limit" => 1), '$.messages[*].sequence_number') from shares where name = 'main'),
  '[1]'::jsonb, 'a page from the start');
select is((select jsonb_path_query_array(public.get_shared_chat(token, after => 1), '$.messages[*].sequence_number') from shares where name = 'main'),
  '[3]'::jsonb, 'the next page');
select throws_ok((select format('select public.get_shared_chat(%L)', token) from shares where name = 'revoked'), 'PT404',
  'shared chat not found', 'a revoked token is not found');
select throws_ok($$ select public.get_shared_chat('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') $$, 'PT404', 'shared chat not found',
  'an unknown token is not found, with the same error');
select throws_ok($$ select public.get_shared_chat('short') $$, 'PT404', 'shared chat not found', 'so is a malformed one');
select throws_ok($$ select public.get_shared_chat(null) $$, 'PT404', 'shared chat not found', 'and a missing one');
select throws_ok((select format('select public.get_shared_chat(%L, "limit" => 0)', token) from shares where name = 'main'), '22023',
  'limit must be between 1 and 1000');
select tests.freeze_time(now() + interval '2 hours');
select throws_ok((select format('select public.get_shared_chat(%L)', token) from shares where name = 'soon'), 'PT404',
  'shared chat not found', 'an expired token is not found, with the same error');
select lives_ok((select format('select public.get_shared_chat(%L)', token) from shares where name = 'main'),
  'a share without expiry still works');
select tests.unfreeze_time();
select tests.authenticate_as('dave');
select is((select public.get_shared_chat(token) -> 'chat' ->> 'title' from shares where name = 'soon'), 'Weather station',
  'a signed-in stranger reads it through the token too');
select is_empty($$ select * from public.chats where id = 'c3000000-0000-4000-8000-000000000001' $$,
  'without getting any right on the chat itself');

-- ------------------------------------------------------------------ fork_chat
select tests.authenticate_as('carol');
create temp table forks (name text primary key, chat_id uuid);
grant select, insert on forks to public;
insert into forks select 'carol', id from public.fork_chat(chat_id => 'c3000000-0000-4000-8000-000000000001');
select is((select row(owner_id, title, forked_from_chat_id, forked_from_message_id = pg_temp.msg(4), message_count, metadata ->> 'secret')::text
  from public.chats where id = (select chat_id from forks where name = 'carol')),
  row(tests.get_user_id('carol'), 'Weather station', 'c3000000-0000-4000-8000-000000000001'::uuid, true, 3, 'owner notes')::text,
  'a viewer forks the chat: hers now, with provenance and the current branch');
select is((select array_agg(row(sequence_number, depth, content, input_tokens, author_id)::text) from public.get_messages((select chat_id from forks where name = 'carol'))),
  array[row(1::bigint, 1, 'How do I read a BME280?', null::int, null::uuid)::text, row(2::bigint, 2, 'Over I2C or SPI.', null::int, null::uuid)::text,
    row(3::bigint, 3, 'Written after sharing', null::int, null::uuid)::text],
  'the branch is copied, renumbered, without token counts or authors');
select is((select sequence_number from public.append_message((select chat_id from forks where name = 'carol'), 'user', 'My own follow-up')),
  4::bigint, 'the fork is writable by its owner');
select is((select count(*)::int from public.get_message_siblings(pg_temp.msg(2))), 2, 'the source is untouched');
insert into forks select 'carol-early', id from public.fork_chat(chat_id => 'c3000000-0000-4000-8000-000000000001', up_to_message_id => pg_temp.msg(2));
select is((select array_agg(content) from public.get_messages((select chat_id from forks where name = 'carol-early'))),
  array['How do I read a BME280?', 'Over I2C.'], 'forking at another branch''s message copies that branch');
select throws_ok($$ select public.fork_chat() $$, '22023', 'pass either chat_id or token');
select throws_ok((select format('select public.fork_chat(chat_id => %L, token => %L)', 'c3000000-0000-4000-8000-000000000001', token) from shares where name = 'main'),
  '22023', 'pass either chat_id or token');
select throws_ok(format('select public.fork_chat(chat_id => %L, up_to_message_id => %L)', (select chat_id from forks where name = 'carol'), pg_temp.msg(1)),
  '22023', 'up_to_message_id is not a message of this chat');
select throws_ok($$ select public.fork_chat(chat_id => 'c3000000-0000-4000-8000-000000000002') $$, 'PT404', 'chat not found',
  'a chat one cannot read cannot be forked');
select tests.authenticate_as('dave');
select throws_ok($$ select public.fork_chat(chat_id => 'c3000000-0000-4000-8000-000000000001') $$, 'PT404', 'chat not found');
insert into forks select 'dave', id from public.fork_chat(token => (select token from shares where name = 'main'));
select is((select row(owner_id, forked_from_chat_id, metadata, message_count)::text from public.chats where id = (select chat_id from forks where name = 'dave')),
  row(tests.get_user_id('dave'), 'c3000000-0000-4000-8000-000000000001'::uuid, '{}'::jsonb, 2)::text,
  'a stranger forks through a share link: the shared branch, no metadata');
select is((select array_agg(metadata) from public.get_messages((select chat_id from forks where name = 'dave'))),
  array['{}'::jsonb, '{}'::jsonb], 'nor message metadata');
insert into forks select 'dave-first', id from public.fork_chat(token => (select token from shares where name = 'main'), up_to_message_id => pg_temp.msg(1));
select is((select message_count from public.chats where id = (select chat_id from forks where name = 'dave-first')), 1,
  'up to a message on the shared branch');
select throws_ok((select format('select public.fork_chat(token => %L, up_to_message_id => %L)', token, pg_temp.msg(4)) from shares where name = 'main'),
  '22023', 'up_to_message_id is not part of the shared conversation', 'not past the snapshot point');
select throws_ok((select format('select public.fork_chat(token => %L, up_to_message_id => %L)', token, pg_temp.msg(2)) from shares where name = 'main'),
  '22023', 'up_to_message_id is not part of the shared conversation', 'nor on another branch');
select throws_ok((select format('select public.fork_chat(token => %L)', token) from shares where name = 'revoked'), 'PT404',
  'shared chat not found', 'not through a revoked link');
insert into forks select 'dave-again', id from public.fork_chat(chat_id => (select chat_id from forks where name = 'dave'));
select is((select forked_from_chat_id from public.chats where id = (select chat_id from forks where name = 'dave-again')),
  (select chat_id from forks where name = 'dave'), 'a fork of a fork points at its own source');
select tests.clear_authentication();
select throws_ok((select format('select public.fork_chat(token => %L)', token) from shares where name = 'main'), '42501', null,
  'anon cannot fork');

-- deleting the source keeps forks, without the dangling provenance
reset role;
delete from public.chats where id = 'c3000000-0000-4000-8000-000000000001';
select is((select row(forked_from_chat_id, forked_from_message_id, message_count)::text from public.chats where id = (select chat_id from forks where name = 'dave')),
  row(null::uuid, null::uuid, 2)::text, 'a fork outlives its source');
select is((select count(*)::int from public.chat_shares), 0, 'the source''s shares went with it');

select * from finish();
rollback;
