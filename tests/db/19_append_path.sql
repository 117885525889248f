-- The append path's internals keep the contract: the chat row's cached place of its current leaf
-- always matches the leaf (after appends, regenerations, edits, branch switches, forks and batches),
-- a message under a leaf moved into the middle of a segment starts a branch, get_messages reads the
-- branch of such a leaf, every message carries its chat's owner, a refused append answers with the
-- errors of the API in their order and leaves nothing behind (not even a broadcast).
begin;
select plan(42);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
insert into public.chats (id, owner_id) values
  ('c9000000-0000-4000-8000-000000000001', tests.get_user_id('alice')),
  ('c9000000-0000-4000-8000-000000000002', tests.get_user_id('alice')),
  ('c9000000-0000-4000-8000-000000000003', tests.get_user_id('dave'));
insert into public.chat_members (chat_id, user_id, role) values
  ('c9000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'editor'),
  ('c9000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer');

-- Chats whose cached leaf place differs from the place of their leaf (none, ever).
create function pg_temp.misplaced_leaves() returns bigint language sql stable as $$
  select count(*) from public.chats c
  left join public.messages l on l.id = c.current_leaf_id
  left join public.messages h on h.chat_id = l.chat_id and h.sequence_number = l.segment_start
  where (c.current_leaf_id is null and (c.current_leaf_depth, c.current_leaf_ends_segment) is distinct from (0, false))
    or (c.current_leaf_id is not null and (c.current_leaf_parent_id, c.current_leaf_depth, c.current_leaf_segment_start,
      c.current_leaf_head_depth, c.current_leaf_ends_segment) is distinct from (l.parent_id, l.depth, l.segment_start, h.depth,
      not exists (select 1 from public.messages n
                  where n.chat_id = l.chat_id and n.segment_start = l.segment_start and n.sequence_number > l.sequence_number)))
$$;
create function pg_temp.msg(seq bigint) returns uuid language sql stable
  as $$ select id from public.messages where chat_id = 'c9000000-0000-4000-8000-000000000001' and sequence_number = seq $$;
create function pg_temp.branch(lim integer default 50, leaf uuid default null) returns text language sql stable
  as $$ select string_agg(content, ' ' order by sequence_number)
        from public.get_messages('c9000000-0000-4000-8000-000000000001', leaf, "limit" => lim) $$;
grant execute on function pg_temp.misplaced_leaves(), pg_temp.msg(bigint), pg_temp.branch(integer, uuid) to public;

select is(pg_temp.misplaced_leaves(), 0::bigint, 'a chat without messages has no leaf place');

-- ------------------------------------------------------------------ a line, then a branch from its middle
select tests.authenticate_as('alice');
select public.append_message('c9000000-0000-4000-8000-000000000002', 'user', 'elsewhere');
select public.append_message('c9000000-0000-4000-8000-000000000001', case when n % 2 = 1 then 'user' else 'assistant' end, 'm' || n)
from generate_series(1, 6) n;
select is(pg_temp.branch(), 'm1 m2 m3 m4 m5 m6', 'six messages in a line');
select is(pg_temp.misplaced_leaves(), 0::bigint, 'the leaf place follows each append');
select is((select current_leaf_id from public.set_current_leaf('c9000000-0000-4000-8000-000000000001', pg_temp.msg(3))),
  pg_temp.msg(3), 'the leaf moves to the middle of the line');
select is(pg_temp.misplaced_leaves(), 0::bigint, 'and its place with it (not the end of its segment)');
select is(pg_temp.branch(), 'm1 m2 m3', 'get_messages: the branch ends at the moved leaf');
select is(pg_temp.branch(2), 'm2 m3', 'also when the page lies within its segment');
select is(
  (select row(sequence_number, parent_id = pg_temp.msg(3), depth)::text
   from public.append_message('c9000000-0000-4000-8000-000000000001', 'assistant', 'b4')),
  row(7::bigint, true, 4)::text, 'the next append goes under it');
select is((select segment_start from public.messages where id = pg_temp.msg(7)), 7::bigint,
  'as the head of a new segment');
select is(pg_temp.misplaced_leaves(), 0::bigint, 'whose place the chat now caches');
select is((select sequence_number from public.append_message('c9000000-0000-4000-8000-000000000001', 'user', 'b5')), 8::bigint,
  'the branch goes on');
select is((select row(parent_id = pg_temp.msg(7), segment_start)::text from public.messages where id = pg_temp.msg(8)),
  row(true, 7::bigint)::text, 'continuing the new segment');
select is(pg_temp.branch(), 'm1 m2 m3 b4 b5', 'get_messages: the new branch');
select is(pg_temp.branch(3), 'm3 b4 b5', 'a page across the branch point');
select is(pg_temp.branch(50, pg_temp.msg(6)), 'm1 m2 m3 m4 m5 m6', 'the old line is intact');
select is((select array_agg(sequence_number order by sequence_number) from public.get_message_siblings(pg_temp.msg(7))),
  array[4::bigint, 7::bigint], 'm4 and b4 are siblings');

-- regenerate, edit, explicit parents
select is((select row(sequence_number, parent_id = pg_temp.msg(7))::text
  from public.append_message('c9000000-0000-4000-8000-000000000001', 'user', 'b5 again', parent_id => pg_temp.msg(7))),
  row(9::bigint, true)::text, 'a regeneration under b4');
select is(pg_temp.misplaced_leaves(), 0::bigint, 'leaf place after a regeneration');
select is((select row(sequence_number, parent_id = pg_temp.msg(9))::text
  from public.append_message('c9000000-0000-4000-8000-000000000001', 'assistant', 'b6', parent_id => pg_temp.msg(9))),
  row(10::bigint, true)::text, 'an explicit parent that is the current leaf');
select is((select segment_start from public.messages where id = pg_temp.msg(10)), 9::bigint, 'continues its segment');
select public.edit_message(pg_temp.msg(1), 'm1 edited');
select is(pg_temp.misplaced_leaves(), 0::bigint, 'leaf place after an edit of the root');
select is(pg_temp.branch(), 'm1 edited', 'the edit is a new root');
select public.append_message('c9000000-0000-4000-8000-000000000001', 'assistant', 'e2');
select is(pg_temp.branch(), 'm1 edited e2', 'the conversation goes on under the edit');

-- an editor's append, a fork, a batch
select tests.authenticate_as('bob');
select set_config('t.by_bob', (select id::text from public.append_message('c9000000-0000-4000-8000-000000000001', 'user', 'by bob')), true);
select is((select row(author_id, chat_owner_id)::text from public.messages where id = current_setting('t.by_bob')::uuid),
  row(tests.get_user_id('bob'), tests.get_user_id('alice'))::text, 'an editor''s message carries the chat''s owner, not its author');
select set_config('t.fork', (select id::text from public.fork_chat('c9000000-0000-4000-8000-000000000001')), true);
select is((select count(*)::int from public.messages where chat_id = current_setting('t.fork')::uuid and chat_owner_id = tests.get_user_id('bob')),
  3, 'a fork''s copies carry the forker as owner');
select tests.authenticate_as('alice');
select public.record_conversation('cont-19', '[{"client_message_id": "a", "role": "user", "content": "one"},
  {"client_message_id": "b", "role": "assistant", "content": "two"}]');
select is(pg_temp.misplaced_leaves(), 0::bigint, 'leaf places after an editor''s append, a fork and a batch');
select is((select count(*)::int from public.messages m join public.chats c on c.id = m.chat_id where m.chat_owner_id <> c.owner_id),
  0, 'every message carries the owner of its chat');

-- ------------------------------------------------------------------ refused appends
select set_config('t.count', (select message_count::text from public.chats where id = 'c9000000-0000-4000-8000-000000000001'), true);
reset role;
select set_config('t.broadcasts', (select count(*)::text from realtime.messages
  where topic = 'chat:c9000000-0000-4000-8000-000000000001'), true);
select tests.authenticate_as('dave');
select throws_ok(format('select public.append_message(%L, %L, %L, parent_id => %L)', 'c9000000-0000-4000-8000-000000000001', 'user',
  'x', (select id from public.messages where chat_id = 'c9000000-0000-4000-8000-000000000002' limit 1)),
  'PT404', 'chat not found', 'to a stranger the chat does not exist, whatever the parent');
select throws_ok($$ select public.append_message('c9000000-0000-4000-8000-000000000001', 'wizard', 'x') $$, '22023',
  'role ''wizard'' is not one of system, user, assistant, tool', 'invalid input is still reported first');
select throws_ok($$ select public.append_message('c9000000-0000-4000-8000-000000000001', 'user', ' ') $$, '22023',
  'content must not be empty', 'also when the table''s check constraint is what refused it');
select tests.authenticate_as('carol');
select throws_ok(format('select public.append_message(%L, %L, %L, parent_id => %L)', 'c9000000-0000-4000-8000-000000000001', 'user',
  'x', pg_temp.msg(2)), '42501', 'you may read this chat but not write to it', 'a viewer may not, whatever the parent');
select tests.authenticate_as('alice');
select throws_ok($$ select public.append_message('c9000000-0000-4000-8000-000000000003', 'user', 'x') $$, 'PT404', 'chat not found',
  'nor may an owner write to another''s chat');
select throws_ok($$ select public.append_message('c9000000-0000-4000-8000-000000000001', 'user', 'x', agent_name => '') $$, '22023',
  'agent_name must be 1 to 64 characters without control characters', 'a domain''s rule, in the API''s words');
select throws_ok($$ select public.append_message('c9000000-0000-4000-8000-000000000001', 'user', 'x', client_message_id => 'has space') $$,
  '22023', 'client_message_id must be 1 to 200 characters without spaces');
select is((select message_count from public.chats where id = 'c9000000-0000-4000-8000-000000000001'),
  current_setting('t.count')::integer, 'refused appends took no number');
select is(pg_temp.misplaced_leaves(), 0::bigint, 'and left the leaf place alone');
reset role;
select is((select count(*) from realtime.messages where topic = 'chat:c9000000-0000-4000-8000-000000000001'),
  current_setting('t.broadcasts')::bigint, 'and broadcast nothing');
select is((select count(*)::int from realtime.messages
  where topic = 'chat:c9000000-0000-4000-8000-000000000003' and payload ->> 'table' = 'messages'), 0,
  'not even on the chat they were refused');

-- a broadcast carries the stored row
select tests.authenticate_as('alice');
select set_config('t.last', (select id::text from public.append_message('c9000000-0000-4000-8000-000000000001', 'user', 'last')), true);
reset role;
select is(
  (select payload -> 'record' from realtime.messages
   where topic = 'chat:c9000000-0000-4000-8000-000000000001' and payload -> 'record' ->> 'id' = current_setting('t.last')),
  (select to_jsonb(r) from (select m.id, m.chat_id, m.sequence_number, m.parent_id, m.depth, m.role, m.content, m.parts,
     m.agent_name, m.agent_model, m.intent, m.input_tokens, m.output_tokens, m.latency_ms, m.status, m.metadata,
     m.client_message_id, m.author_id, m.created_at, m.updated_at, null::jsonb as artifact_versions,
     null::jsonb as attachments
   from public.messages m where m.id = current_setting('t.last')::uuid) r),
  'a new message is broadcast with the row as stored (number, parent and depth included; artifact versions and '
  'attachments not looked up)');

-- ------------------------------------------------------------------ who may write the leaf and the owner
select ok(not has_column_privilege('service_role', 'public.chats', 'current_leaf_id', 'update')
  and not has_column_privilege('service_role', 'public.chats', 'current_leaf_depth', 'update')
  and not has_column_privilege('service_role', 'public.chats', 'current_leaf_id', 'insert')
  and has_column_privilege('service_role', 'public.chats', 'title', 'update'),
  'the service role may change a chat but not move its leaf behind its cached place');
select ok(not has_column_privilege('authenticated', 'public.messages', 'chat_owner_id', 'insert'),
  'nobody sets a message''s owner');
update public.chats set owner_id = tests.get_user_id('dave') where id = 'c9000000-0000-4000-8000-000000000002';
select is((select count(*)::int from public.messages where chat_id = 'c9000000-0000-4000-8000-000000000002'
  and chat_owner_id <> tests.get_user_id('dave')), 0, 'a chat that changes owner carries its messages along');

select * from finish();
rollback;
