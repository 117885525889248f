-- Messages: append_message (sequence numbers, counters, title, idempotency), edit_message,
-- get_message_siblings, set_current_leaf and get_messages (branches, keyset pages), for the owner,
-- an editor, a viewer, a stranger and anon; bad input writes nothing.
begin;
select plan(94);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
insert into public.chats (id, owner_id) values
  ('c1000000-0000-4000-8000-000000000001', tests.get_user_id('alice')),
  ('c1000000-0000-4000-8000-000000000002', tests.get_user_id('alice')),
  ('c1000000-0000-4000-8000-000000000003', tests.get_user_id('alice')),
  ('c1000000-0000-4000-8000-000000000009', tests.get_user_id('dave'));
insert into public.chat_members (chat_id, user_id, role) values
  ('c1000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'editor'),
  ('c1000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer');

select function_privs_are('public', 'append_message',
  array['uuid', 'text', 'text', 'uuid', 'jsonb', 'text', 'text', 'text', 'integer', 'integer', 'integer', 'text', 'jsonb', 'text'],
  'anon', array[]::text[], 'anon cannot call append_message');
select function_privs_are('public', 'get_messages', array['uuid', 'uuid', 'bigint', 'bigint', 'integer'],
  'authenticated', array['EXECUTE']);
select is_definer('private', 'set_current_leaf', array['uuid', 'uuid'], 'set_current_leaf changes the leaf as definer');
select isnt_definer('public', 'append_message', array['uuid', 'text', 'text', 'uuid', 'jsonb', 'text', 'text', 'text', 'integer', 'integer', 'integer', 'text', 'jsonb', 'text'],
  'append_message runs as the caller');

-- ------------------------------------------------------------------ append_message
select tests.authenticate_as('alice');
select is(
  (select row(sequence_number, depth, parent_id, role, author_id, status)::text
   from public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'Build me an ESP32 weather station with an e-paper display, a BME280 sensor and a solar panel')),
  row(1::bigint, 1, null::uuid, 'user', tests.get_user_id('alice'), 'complete')::text,
  'the first message is number 1, a root, written by the caller');
select is((select title from public.chats where id = 'c1000000-0000-4000-8000-000000000001'),
  'Build me an ESP32 weather station with an e-paper display, a BME280 sensor and…',
  'the first user message titles the untitled chat, cut at a word');
select is(
  (select row(sequence_number, depth, parent_id = (select id from public.messages where sequence_number = 1 and chat_id = 'c1000000-0000-4000-8000-000000000001'), agent_name, agent_model, intent, input_tokens, output_tokens, latency_ms)::text
   from public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', 'Here is a plan.', agent_name => 'conversational',
     agent_model => 'anthropic/claude-sonnet-4-5', intent => 'CHAT', input_tokens => 120, output_tokens => 340, latency_ms => 2100)),
  row(2::bigint, 2, true, 'conversational', 'anthropic/claude-sonnet-4-5', 'CHAT', 120, 340, 2100)::text,
  'the next message is number 2, under the current leaf, with its agent, model, intent, tokens and latency');
select is(
  (select row(message_count, last_sequence_number, input_tokens, output_tokens, last_message_at is not null,
     current_leaf_id = (select id from public.messages where sequence_number = 2 and chat_id = c.id))::text
   from public.chats c where id = 'c1000000-0000-4000-8000-000000000001'),
  row(2, 2::bigint, 120::bigint, 340::bigint, true, true)::text, 'the chat''s counters, token totals, activity and leaf follow');
select tests.authenticate_as('bob');
select is((select row(sequence_number, author_id)::text from public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'Add a rain gauge')),
  row(3::bigint, tests.get_user_id('bob'))::text, 'an editor appends');
select is((select title from public.chats where id = 'c1000000-0000-4000-8000-000000000001'),
  'Build me an ESP32 weather station with an e-paper display, a BME280 sensor and…', 'a later user message keeps the title');
select tests.authenticate_as('carol');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'hi') $$, '42501',
  'you may read this chat but not write to it', 'a viewer cannot append');
select throws_ok($$ insert into public.messages (chat_id, role, content) values ('c1000000-0000-4000-8000-000000000001', 'user', 'sneaky') $$,
  '42501', null, 'nor insert directly');
select tests.authenticate_as('dave');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'hi') $$, 'PT404', 'chat not found',
  'to a stranger the chat does not exist');
select tests.clear_authentication();
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'hi') $$, '42501', null,
  'anon cannot append');
select tests.authenticate_as('alice');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-0000000000ff', 'user', 'hi') $$, 'PT404', 'chat not found',
  'an unknown chat is not found');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'wizard', 'hi') $$, '22023',
  'role ''wizard'' is not one of system, user, assistant, tool');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', '   ') $$, '22023',
  'content must not be empty');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', null) $$, '22023', 'content is required');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', repeat('x', 200001)) $$, '22023',
  'content must be at most 200,000 characters');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', 'x', input_tokens => -1) $$,
  '22023', 'input_tokens and output_tokens must not be negative');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', 'x', latency_ms => -5) $$,
  '22023', 'latency_ms must not be negative');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', 'x', status => 'done') $$,
  '22023', 'status ''done'' is not one of pending, streaming, complete, error, cancelled');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', 'x', parts => '{"a": 1}') $$,
  '22023', 'parts must be a JSON array of at most 1 MB');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', 'x', metadata => '"s"') $$,
  '22023', 'metadata must be a JSON object of at most 16 kB');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', 'x', agent_model => 'has space') $$,
  '22023', 'agent_model must be 1 to 128 characters without spaces');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'x', client_message_id => '') $$,
  '22023', 'client_message_id must be 1 to 200 characters without spaces');
select throws_ok(
  $$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'x',
       parent_id => (select public.append_message('c1000000-0000-4000-8000-000000000002', 'user', 'elsewhere')).id) $$,
  '22023', 'parent_id is not a message of this chat', 'a parent from another chat is rejected');
select is(
  (select row(message_count, last_sequence_number)::text from public.chats where id = 'c1000000-0000-4000-8000-000000000001'),
  row(3, 3::bigint)::text, 'every rejected append wrote nothing and took no number');
select is((select count(*)::int from public.messages where chat_id = 'c1000000-0000-4000-8000-000000000002'), 0,
  'the statement that failed was undone whole');
select is((select row(content, status)::text from public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', '', status => 'pending')),
  row('', 'pending')::text, 'a pending placeholder may be empty');
select is((select content from public.append_message('c1000000-0000-4000-8000-000000000001', 'tool', '', parts => '[{"type": "tool_result"}]')),
  '', 'a message with parts may have empty content');
select lives_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'assistant', repeat('long ', 40000)) $$,
  '200,000 characters are accepted');

-- idempotency
select is((select sequence_number from public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'once', client_message_id => 'k-1')),
  7::bigint, 'a message with a client id is appended');
select is(
  (select row(sequence_number, content)::text from public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'once again', client_message_id => 'k-1')),
  row(7::bigint, 'once')::text, 'the same client id returns the same message, unchanged');
select is((select row(message_count, last_sequence_number)::text from public.chats where id = 'c1000000-0000-4000-8000-000000000001'),
  row(7, 7::bigint)::text, 'and writes nothing');
select is((select sequence_number from public.append_message('c1000000-0000-4000-8000-000000000002', 'user', 'once', client_message_id => 'k-1')),
  1::bigint, 'client ids are per chat');
select tests.authenticate_as('bob');
select is((select sequence_number from public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'retried by bob', client_message_id => 'k-1')),
  7::bigint, 'whoever retries, the key finds the message');
select tests.authenticate_as('carol');
select throws_ok($$ select public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'once', client_message_id => 'k-1') $$,
  '42501', 'you may read this chat but not write to it', 'a viewer''s "retry" of an existing key is refused too');
select tests.authenticate_as('bob');
select is((select sequence_number from public.append_message('c1000000-0000-4000-8000-000000000001', 'user', 'direct')),
  8::bigint, 'numbering continues without a gap');
select throws_ok($$ insert into public.messages (chat_id, role, content, sequence_number) values ('c1000000-0000-4000-8000-000000000001', 'user', 'x', 1) $$,
  '42501', null, 'nobody picks their own sequence number');

-- ------------------------------------------------------------------ branches: regenerate, edit, switch
-- chat 3: u1, a1, u2, a2
select tests.authenticate_as('alice');
select public.append_message('c1000000-0000-4000-8000-000000000003', 'user', 'u1');
select public.append_message('c1000000-0000-4000-8000-000000000003', 'assistant', 'a1');
select public.append_message('c1000000-0000-4000-8000-000000000003', 'user', 'u2');
select public.append_message('c1000000-0000-4000-8000-000000000003', 'assistant', 'a2');
create function pg_temp.msg(seq bigint) returns uuid language sql stable
  as $$ select id from public.messages where chat_id = 'c1000000-0000-4000-8000-000000000003' and sequence_number = seq $$;
create function pg_temp.branch(leaf uuid default null) returns text language sql stable
  as $$ select string_agg(content, ' ' order by sequence_number) from public.get_messages('c1000000-0000-4000-8000-000000000003', leaf) $$;
grant execute on function pg_temp.msg(bigint), pg_temp.branch(uuid) to public;
select is(pg_temp.branch(), 'u1 a1 u2 a2', 'get_messages: the branch to the current leaf, in order');
-- regenerate a2: an append under u2
select is((select sequence_number from public.append_message('c1000000-0000-4000-8000-000000000003', 'assistant', 'a2 take two', parent_id => pg_temp.msg(3))),
  5::bigint, 'a regeneration is an append under the user message');
select is(pg_temp.branch(), 'u1 a1 u2 a2 take two', 'the new answer is on the current branch');
select is(pg_temp.branch(pg_temp.msg(4)), 'u1 a1 u2 a2', 'the old answer''s branch is intact');
select is(
  (select array_agg(row(sequence_number, sibling_index, sibling_count, on_current_branch)::text order by sequence_number)
   from public.get_message_siblings(pg_temp.msg(4))),
  array[row(4::bigint, 1, 2, false)::text, row(5::bigint, 2, 2, true)::text], 'the two answers are siblings; the new one is current');
-- edit u2
select is(
  (select row(sequence_number, role, parent_id = pg_temp.msg(2), metadata ->> 'edited_from' = pg_temp.msg(3)::text)::text
   from public.edit_message(pg_temp.msg(3), 'u2 edited')),
  row(6::bigint, 'user', true, true)::text, 'edit_message adds a sibling with the same parent and role');
select is(pg_temp.branch(), 'u1 a1 u2 edited', 'the edit becomes the current leaf');
select public.append_message('c1000000-0000-4000-8000-000000000003', 'assistant', 'a3');
select is(pg_temp.branch(), 'u1 a1 u2 edited a3', 'the conversation goes on under the edit');
select is(pg_temp.branch(pg_temp.msg(5)), 'u1 a1 u2 a2 take two', 'the branch before the edit is intact');
select is(
  (select array_agg(row(sequence_number, on_current_branch, leaf_id = pg_temp.msg(case sequence_number when 3 then 4 else 7 end))::text order by sequence_number)
   from public.get_message_siblings(pg_temp.msg(6))),
  array[row(3::bigint, false, true)::text, row(6::bigint, true, true)::text],
  'siblings of the edit: the original (its line ends at a2) and the edit (current, ends at a3)');
select is((select current_leaf_id from public.set_current_leaf('c1000000-0000-4000-8000-000000000003', pg_temp.msg(5))), pg_temp.msg(5),
  'set_current_leaf switches branches');
select is(pg_temp.branch(), 'u1 a1 u2 a2 take two', 'get_messages follows it');
select is((select row(sequence_number, parent_id = pg_temp.msg(5))::text from public.append_message('c1000000-0000-4000-8000-000000000003', 'user', 'u3')),
  row(8::bigint, true)::text, 'and the next append continues from it');
select is((select row(sequence_number, parent_id)::text from public.edit_message(pg_temp.msg(1), 'u1 rewritten')),
  row(9::bigint, null::uuid)::text, 'editing the first message makes a second root');
select is(pg_temp.branch(), 'u1 rewritten', 'whose branch starts over');
select is((select count(*)::int from public.get_message_siblings(pg_temp.msg(1))), 2, 'the roots are siblings');
select is((select sequence_number from public.edit_message(pg_temp.msg(1), 'again', client_message_id => 'edit-1')), 10::bigint,
  'an edit with a client id');
select is((select sequence_number from public.edit_message(pg_temp.msg(1), 'again', client_message_id => 'edit-1')), 10::bigint,
  'retried, returns the same sibling');
select throws_ok(format('select public.edit_message(%L, %L)', pg_temp.msg(2), ' '), '22023', 'content must not be empty');
select throws_ok(format('select public.set_current_leaf(%L, %L)', 'c1000000-0000-4000-8000-000000000003',
  (select id from public.messages where chat_id = 'c1000000-0000-4000-8000-000000000002' limit 1)),
  '22023', 'message_id is not a message of this chat');
select set_config('t.m2', pg_temp.msg(2)::text, true);
select set_config('t.m1', (select id::text from public.messages where chat_id = 'c1000000-0000-4000-8000-000000000001' and sequence_number = 1), true);
select tests.authenticate_as('bob');
select is((select sequence_number from public.edit_message(current_setting('t.m1')::uuid, 'edited by bob')), 9::bigint,
  'an editor edits');
select is((select current_leaf_id from public.set_current_leaf('c1000000-0000-4000-8000-000000000001', current_setting('t.m1')::uuid)),
  current_setting('t.m1')::uuid, 'an editor switches the leaf');
select tests.authenticate_as('carol');
select throws_ok(format('select public.edit_message(%L, %L)', current_setting('t.m1'), 'x'), '42501',
  'you may read this chat but not write to it', 'a viewer cannot edit');
select throws_ok(format('select public.set_current_leaf(%L, %L)', 'c1000000-0000-4000-8000-000000000001', current_setting('t.m1')),
  '42501', null, 'nor switch the leaf');
select is((select count(*)::int from public.get_message_siblings(current_setting('t.m1')::uuid)), 2, 'a viewer sees the versions');
select tests.authenticate_as('dave');
select throws_ok(format('select public.edit_message(%L, %L)', current_setting('t.m2'), 'x'), 'PT404', 'message not found');
select throws_ok(format('select * from public.get_message_siblings(%L)', current_setting('t.m2')), 'PT404', 'message not found');
select throws_ok(format('select public.set_current_leaf(%L, %L)', 'c1000000-0000-4000-8000-000000000003', current_setting('t.m2')),
  'PT404', 'chat not found');
select tests.clear_authentication();
select throws_ok(format('select public.edit_message(%L, %L)', current_setting('t.m2'), 'x'), '42501', null, 'anon cannot edit');
select throws_ok(format('select * from public.get_message_siblings(%L)', current_setting('t.m2')), '42501', null,
  'nor list versions');
select throws_ok(format('select public.set_current_leaf(%L, %L)', 'c1000000-0000-4000-8000-000000000003', current_setting('t.m2')),
  '42501', null, 'nor switch branches');

-- ------------------------------------------------------------------ get_messages: keyset pages
reset role;
insert into public.chats (id, owner_id) values ('c1000000-0000-4000-8000-000000000004', tests.get_user_id('alice'));
select tests.authenticate_as('alice');
select count(public.append_message('c1000000-0000-4000-8000-000000000004', 'user', 'm' || i)) from generate_series(1, 120) i;
create function pg_temp.page(before bigint default null, after bigint default null, size integer default 50, leaf uuid default null)
returns int8range language sql stable
as $$
  select int8range(min(sequence_number), max(sequence_number), '[]')
  from public.get_messages('c1000000-0000-4000-8000-000000000004', leaf, before, after, size)
$$;
create function pg_temp.page_seqs(before bigint default null, after bigint default null, size integer default 50)
returns bigint[] language sql stable
as $$ select array_agg(sequence_number) from public.get_messages('c1000000-0000-4000-8000-000000000004', null, before, after, size) $$;
grant execute on function pg_temp.page(bigint, bigint, integer, uuid), pg_temp.page_seqs(bigint, bigint, integer) to public;
select is(pg_temp.page(), int8range(71, 120, '[]'), 'by default the latest 50');
select is((select array_agg(sequence_number) = array(select generate_series(71::bigint, 120)) from public.get_messages('c1000000-0000-4000-8000-000000000004')),
  true, 'in order, oldest first, no gaps');
select is((select depth from public.get_messages('c1000000-0000-4000-8000-000000000004') limit 1), 71,
  'depth tells that 70 older messages exist');
select is(pg_temp.page(before => 71), int8range(21, 70, '[]'), 'before pages back');
select is(pg_temp.page(before => 21), int8range(1, 20, '[]'), 'down to the first message');
select is(pg_temp.page_seqs(before => 1), null, 'and then nothing');
select is(pg_temp.page(after => 100, size => 10), int8range(101, 110, '[]'), 'after pages forward');
select is(pg_temp.page(after => 115), int8range(116, 120, '[]'), 'to the leaf');
select is(pg_temp.page_seqs(after => 10, before => 15), array[11, 12, 13, 14]::bigint[], 'after and before together bound a range');
-- a regeneration at message 60 and ten messages on that branch
select public.append_message('c1000000-0000-4000-8000-000000000004', 'assistant', 'r',
  parent_id => (select id from public.messages where chat_id = 'c1000000-0000-4000-8000-000000000004' and sequence_number = 60));
select count(public.append_message('c1000000-0000-4000-8000-000000000004', 'user', 'b' || i)) from generate_series(1, 10) i;
select is(pg_temp.page_seqs(), array(select generate_series(22::bigint, 60) union all select generate_series(121::bigint, 131)),
  'across a branch point, the latest 50 of the branch: 22..60 then 121..131');
select is(pg_temp.page_seqs(before => 22), array(select generate_series(1::bigint, 21)), 'then the 21 before');
select is(pg_temp.page_seqs(after => 55, size => 10), array[56, 57, 58, 59, 60, 121, 122, 123, 124, 125]::bigint[],
  'forward across the branch point');
select is(pg_temp.page(leaf => (select id from public.messages where chat_id = 'c1000000-0000-4000-8000-000000000004' and sequence_number = 120)),
  int8range(71, 120, '[]'), 'leaf_id reads the other branch');
select throws_ok($$ select * from public.get_messages('c1000000-0000-4000-8000-000000000004', "limit" => 0) $$, '22023',
  'limit must be between 1 and 1000');
select throws_ok($$ select * from public.get_messages('c1000000-0000-4000-8000-000000000004', "limit" => 1001) $$, '22023',
  'limit must be between 1 and 1000');
select throws_ok(format('select * from public.get_messages(%L, %L)', 'c1000000-0000-4000-8000-000000000004', pg_temp.msg(1)),
  '22023', 'leaf_id is not a message of this chat');
select throws_ok($$ select * from public.get_messages('c1000000-0000-4000-8000-0000000000ff') $$, 'PT404', 'chat not found');
select is_empty($$ select * from public.get_messages('c1000000-0000-4000-8000-000000000002', "limit" => 1) where false $$,
  'an empty page is fine');
select tests.authenticate_as('carol');
select is((select array_agg(content::text) from public.get_messages('c1000000-0000-4000-8000-000000000001')), 
  array['Build me an ESP32 weather station with an e-paper display, a BME280 sensor and a solar panel'],
  'a viewer reads the branch bob switched back to');
select tests.authenticate_as('dave');
select throws_ok($$ select * from public.get_messages('c1000000-0000-4000-8000-000000000001') $$, 'PT404', 'chat not found',
  'a stranger cannot');
select throws_ok(format('select * from public.get_messages(%L, %L)', 'c1000000-0000-4000-8000-000000000001', current_setting('t.m1')),
  'PT404', 'chat not found', 'not even with a leaf id');
select is_empty($$ select * from public.messages where chat_id = 'c1000000-0000-4000-8000-000000000001' $$,
  'nor read the table directly');
select tests.clear_authentication();
select throws_ok($$ select * from public.get_messages('c1000000-0000-4000-8000-000000000001') $$, '42501', null, 'anon cannot read');

select * from finish();
rollback;
