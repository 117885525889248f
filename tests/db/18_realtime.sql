-- Realtime: message and chat changes are broadcast to chat:<id>; only readers of the chat may
-- receive them; the tables are in the supabase_realtime publication.
begin;
select plan(20);

select policies_are('realtime', 'messages', array['messages_select_chat_reader', 'messages_select_own_user_topic'],
  'one policy admits chat readers to chat topics, one each user to their own user topic (59_journal_realtime.sql)');
select ok(exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'),
  'messages are in the supabase_realtime publication');
select ok(exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'chats'),
  'chats are too');
select is_definer('private', 'broadcast_message_change', 'broadcasting runs as definer');

select tests.create_user('alice');
select tests.create_user('carol');
select tests.create_user('dave');
select tests.authenticate_as('alice');
select set_config('t.chat', (select id::text from public.create_chat(title => 'Live')), true);
select set_config('t.topic', 'chat:' || current_setting('t.chat'), true);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');
select public.append_message(current_setting('t.chat')::uuid, 'user', 'hello realtime');
select set_config('t.dave_chat', (select id::text from public.create_chat(title => 'Dave''s')), true) from (select tests.authenticate_as('dave')) a;
select tests.authenticate_as('alice');
select public.update_chat(current_setting('t.chat')::uuid, title => 'Live!');

reset role;
create temp view broadcasts as
  select event, payload ->> 'table' as tbl, payload -> 'record' as record, payload -> 'old_record' as old_record, private
  from realtime.messages where topic = current_setting('t.topic') and extension = 'broadcast';
grant select on broadcasts to public;
select is((select count(*)::int from broadcasts where tbl = 'chats' and event = 'INSERT'), 1, 'creating the chat is broadcast');
select is((select record ->> 'content' from broadcasts where tbl = 'messages' and event = 'INSERT'), 'hello realtime',
  'a new message is broadcast on chat:<id> with its row');
select ok((select bool_and(private) from broadcasts), 'on a private channel');
select ok((select not (record ? 'content_search') and not (record ? 'segment_ancestry') from broadcasts where tbl = 'messages'),
  'without the search vector or internal branch columns');
select is((select array_agg(record ->> 'title') from broadcasts where tbl = 'chats' and event = 'UPDATE'), array['Live!'],
  'a settings change is broadcast; the counter updates of an append are not (the message says it)');
select tests.authenticate_as('alice');
select public.append_message(current_setting('t.chat')::uuid, 'assistant', 'second');
select public.set_current_leaf(current_setting('t.chat')::uuid,
  (select id from public.messages where chat_id = current_setting('t.chat')::uuid and sequence_number = 1));
reset role;
select is((select count(*)::int from broadcasts where tbl = 'chats' and event = 'UPDATE'), 2, 'moving the current leaf is broadcast');
update public.messages set status = 'error' where chat_id = current_setting('t.chat')::uuid and sequence_number = 2;
select is((select row(record ->> 'status', old_record ->> 'status')::text from broadcasts where tbl = 'messages' and event = 'UPDATE'),
  row('error', 'complete')::text, 'a message update is broadcast with the old row');

-- who receives chat:<id>: Realtime sets realtime.topic and checks the policy
select tests.authenticate_as('alice');
select set_config('realtime.topic', current_setting('t.topic'), true);
select ok((select count(*) > 0 from realtime.messages where topic = current_setting('t.topic')), 'the owner receives the chat''s broadcasts');
select tests.authenticate_as('carol');
select set_config('realtime.topic', current_setting('t.topic'), true);
select ok((select count(*) > 0 from realtime.messages where topic = current_setting('t.topic')), 'a viewer does too');
select is((select count(*)::int from realtime.messages where topic <> current_setting('t.topic')), 0, 'only on that topic');
select tests.authenticate_as('dave');
select set_config('realtime.topic', current_setting('t.topic'), true);
select is((select count(*)::int from realtime.messages), 0, 'a stranger receives nothing on that topic');
select set_config('realtime.topic', 'chat:' || current_setting('t.dave_chat'), true);
select is((select count(*)::int from realtime.messages where topic = 'chat:' || current_setting('t.dave_chat')), 1,
  'but does on his own chat''s topic');
select is((select count(*)::int from realtime.messages where topic = current_setting('t.topic')), 0, 'and still nothing of alice''s');
select set_config('realtime.topic', 'chat:not-a-uuid', true);
select is((select count(*)::int from realtime.messages), 0, 'a malformed topic admits nobody (and is no error)');
select set_config('realtime.topic', 'room:lobby', true);
select is((select count(*)::int from realtime.messages), 0, 'nor does another kind of topic');
select tests.clear_authentication();
select set_config('realtime.topic', current_setting('t.topic'), true);
select is((select count(*)::int from realtime.messages), 0, 'anon receives nothing');

select * from finish();
rollback;
