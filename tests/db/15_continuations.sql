-- EX-AI continuation conversations: record_conversation (idempotent batches, sliding TTL),
-- get_chat_by_continuation, and the purge of expired chats with its schedule.
begin;
select plan(38);

select tests.create_user('agent');
select tests.create_user('bob');

select function_privs_are('public', 'record_conversation', array['text', 'jsonb', 'text', 'text', 'integer'], 'anon', array[]::text[]);
select function_privs_are('public', 'service_role_purge_expired_chats', array[]::text[], 'authenticated', array[]::text[],
  'users cannot purge');
select function_privs_are('public', 'service_role_purge_expired_chats', array[]::text[], 'service_role', array['EXECUTE'],
  'the service role can');
select is((select schedule from private.scheduled_jobs where name = 'parley-purge-expired-chats'), '* * * * *',
  'the purge is scheduled every minute');
-- (cron.job is only named inside a branch that runs where it exists)
create function pg_temp.cron_holds(job text, cron_schedule text) returns boolean language plpgsql as $$
begin
  if to_regnamespace('cron') is null then
    return true;
  end if;
  return exists (select 1 from cron.job j where j.jobname = job and j.schedule = cron_schedule);
end
$$;
select ok(pg_temp.cron_holds('parley-purge-expired-chats', '* * * * *'), 'where pg_cron exists, it holds the same job');

select tests.freeze_time('2026-11-22 12:00:00+00');
select tests.authenticate_as('agent');
select is(
  (select row(created, inserted, skipped, message_count, expires_at)::text from public.record_conversation('cont-abc',
    '[{"client_message_id": "m1", "role": "user", "content": "Review this diff"},
      {"client_message_id": "m2", "role": "assistant", "content": "Looks good", "agent_model": "zhipu/glm-4.6", "input_tokens": 900, "output_tokens": 40}]',
    title => 'Code review', agent_name => 'code_generator')),
  row(true, 2, 0, 2, '2026-11-22 15:00:00+00'::timestamptz)::text,
  'the first call creates the chat, records both messages, expires in 3 hours');
select is(
  (select row(title, ttl, continuation_id, agent_id = (select id from public.agents where name = 'code_generator' and owner_id is null))::text
   from public.get_chat_by_continuation('cont-abc')),
  row('Code review', interval '3 hours', 'cont-abc', true)::text, 'get_chat_by_continuation finds it, with its title, TTL and agent');
select is(
  (select array_agg(row(sequence_number, depth, role, agent_name, client_message_id)::text)
   from public.get_messages((select id from public.get_chat_by_continuation('cont-abc')))),
  array[row(1::bigint, 1, 'user', null::text, 'm1')::text, row(2::bigint, 2, 'assistant', 'code_generator', 'm2')::text],
  'in order, one under the other; assistant messages take the agent''s name');
select is(
  (select row(created, inserted, skipped, message_count)::text from public.record_conversation('cont-abc',
    '[{"client_message_id": "m1", "role": "user", "content": "Review this diff"},
      {"client_message_id": "m2", "role": "assistant", "content": "Looks good"}]')),
  row(false, 0, 2, 2)::text, 'replaying the batch writes nothing');
select tests.freeze_time('2026-11-22 13:00:00+00');
select is(
  (select row(created, inserted, skipped, message_count, expires_at)::text from public.record_conversation('cont-abc',
    '[{"client_message_id": "m2", "role": "assistant", "content": "Looks good"},
      {"client_message_id": "m3", "role": "user", "content": "And the tests?"}]')),
  row(false, 1, 1, 3, '2026-11-22 16:00:00+00'::timestamptz)::text, 'a partial replay writes only the new message and slides the expiry');
select is((select expires_at from public.record_conversation('cont-abc', '[]', ttl_seconds => 600)), '2026-11-22 13:10:00+00'::timestamptz,
  'ttl_seconds changes the TTL');
select is((select ttl from public.get_chat_by_continuation('cont-abc')), interval '10 minutes', 'and keeps it');

-- bad input writes nothing
select throws_ok($$ select public.record_conversation('cont-abc', '[{"role": "user", "content": "x"}]') $$, '22023',
  'messages[0].client_message_id is required');
select throws_ok($$ select public.record_conversation('cont-abc', '[{"client_message_id": "a", "role": "user", "content": "ok"}, {"client_message_id": "b", "role": "robot", "content": "x"}]') $$,
  '22023', 'messages[1]: role ''robot'' is not one of system, user, assistant, tool');
select throws_ok($$ select public.record_conversation('cont-abc', '[{"client_message_id": "a", "role": "user", "content": ""}]') $$,
  '22023', 'messages[0]: content must not be empty');
select throws_ok($$ select public.record_conversation('cont-abc', '[{"client_message_id": "a", "role": "assistant", "content": "x", "output_tokens": -3}]') $$,
  '22023', 'messages[0]: input_tokens and output_tokens must not be negative');
select throws_ok($$ select public.record_conversation('cont-abc', '[{"client_message_id": "a", "role": "assistant", "content": "x", "output_tokens": "many"}]') $$,
  '22023', null, 'non-numeric tokens are rejected');
select throws_ok($$ select public.record_conversation('cont-abc', '[{"client_message_id": "a", "role": "user", "content": "x"}, {"client_message_id": "a", "role": "user", "content": "y"}]') $$,
  '22023', 'client_message_id must be unique within messages');
select throws_ok($$ select public.record_conversation('cont-abc', '{"role": "user"}') $$, '22023', 'messages must be a JSON array');
select throws_ok($$ select public.record_conversation('cont-abc', '["text"]') $$, '22023', 'messages[0] must be a JSON object');
select throws_ok($$ select public.record_conversation('cont-abc', (select jsonb_agg(jsonb_build_object('client_message_id', i, 'role', 'user', 'content', 'x')) from generate_series(1, 1001) i)) $$,
  '22023', 'messages must hold at most 1000 messages per call');
select throws_ok($$ select public.record_conversation('has space', '[]') $$, '22023', 'continuation_id must be 1 to 200 characters without spaces');
select throws_ok($$ select public.record_conversation('cont-new', '[]', ttl_seconds => 5) $$, '22023',
  'ttl_seconds must be between 60 (1 minute) and 31622400 (366 days)');
select is((select message_count from public.get_chat_by_continuation('cont-abc')), 3, 'the rejected batches wrote nothing');
select is((select count(*)::int from public.chats where continuation_id = 'cont-new'), 0, 'and created no chat');

-- continuation ids belong to their owner
select tests.authenticate_as('bob');
select throws_ok($$ select public.get_chat_by_continuation('cont-abc') $$, 'PT404', 'conversation not found',
  'another user does not see the agent''s conversation');
select is((select row(created, message_count)::text from public.record_conversation('cont-abc', '[{"client_message_id": "m1", "role": "user", "content": "mine"}]')),
  row(true, 1)::text, 'the same continuation id is a different conversation for another user');
select tests.clear_authentication();
select throws_ok($$ select public.record_conversation('cont-abc', '[]') $$, '42501', null, 'anon cannot record');
select throws_ok($$ select public.get_chat_by_continuation('cont-abc') $$, '42501', null, 'nor look up');

-- expiry
select tests.authenticate_as('agent');
select set_config('t.old_chat', (select id::text from public.get_chat_by_continuation('cont-abc')), true);
select tests.freeze_time('2026-11-22 13:20:00+00');
select throws_ok($$ select public.get_chat_by_continuation('cont-abc') $$, 'PT404', 'conversation not found',
  'an expired conversation is not found, even before it is purged');
select is((select count(*)::int from public.list_chats()), 0, 'nor listed');
select is((select row(created, message_count, chat_id <> current_setting('t.old_chat')::uuid)::text
  from public.record_conversation('cont-abc', '[{"client_message_id": "m1", "role": "user", "content": "again"}]')),
  row(true, 1, true)::text, 'recording into an expired conversation starts a new one');
select is((select count(*)::int from public.chats where id = current_setting('t.old_chat')::uuid), 0, 'the expired one is gone');
select throws_ok($$ select public.service_role_purge_expired_chats() $$, '42501', null, 'a user cannot run the purge');

reset role;
insert into public.chats (owner_id, continuation_id, expires_at) values
  (tests.get_user_id('bob'), 'old-1', '2026-11-22 13:00:00+00'),
  (tests.get_user_id('bob'), 'old-2', '2026-11-22 13:19:00+00'),
  (tests.get_user_id('bob'), 'later', '2026-11-22 14:00:00+00');
select tests.authenticate_as_service_role();
select is(public.service_role_purge_expired_chats(), 2, 'the purge deletes the expired chats');
select is((select array_agg(continuation_id order by continuation_id) from public.chats where owner_id in (tests.get_user_id('bob'), tests.get_user_id('agent'))),
  array['cont-abc', 'cont-abc', 'later'], 'and leaves the others');
select is(public.service_role_purge_expired_chats(), 0, 'running it again finds nothing');
select tests.freeze_time('2026-11-22 16:00:00+00');
select is(public.service_role_purge_expired_chats(), 2, 'later, the rest expire too');
select tests.unfreeze_time();

select * from finish();
rollback;
