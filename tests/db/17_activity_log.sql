-- activity_log: written by triggers for chat created/forked/deleted, shared/revoked, member
-- added/changed/removed; readable by the chat's owner only; append-only.
begin;
select plan(24);

select has_table('public', 'activity_log', 'activity_log exists');
select policies_are('public', 'activity_log', array['activity_log_select_owner']);
select table_privs_are('public', 'activity_log', 'authenticated', array['SELECT'], 'users may only read the log');
select table_privs_are('public', 'activity_log', 'service_role', array['SELECT'], 'not even the service role may change it');
select table_privs_are('public', 'activity_log', 'anon', array[]::text[], 'anon has no access');
select is_definer('private', 'log_activity', array['uuid', 'uuid', 'text', 'jsonb'], 'entries are written as definer');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');

select tests.authenticate_as('alice');
select set_config('t.chat', (select id::text from public.create_chat(title => 'Logged')), true);
select public.append_message(current_setting('t.chat')::uuid, 'user', 'hello');
select set_config('t.share', (select share_id::text from public.share_chat(current_setting('t.chat')::uuid)), true);
select public.revoke_share(current_setting('t.share')::uuid);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob'), 'viewer');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob'), 'editor');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');
select public.remove_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'));
select tests.authenticate_as('bob');
select set_config('t.fork', (select id::text from public.fork_chat(chat_id => current_setting('t.chat')::uuid)), true);

select tests.authenticate_as('alice');
select is(
  (select array_agg(event_type order by id) from public.activity_log where chat_id = current_setting('t.chat')::uuid),
  array['chat_created', 'chat_shared', 'share_revoked', 'member_added', 'member_role_changed', 'member_added', 'member_removed'],
  'every event on alice''s chat is logged, in order');
select is((select actor_id from public.activity_log where event_type = 'chat_created'), tests.get_user_id('alice'), 'with who did it');
select is((select event_data from public.activity_log where event_type = 'member_role_changed'),
  jsonb_build_object('user_id', tests.get_user_id('bob'), 'role', 'editor', 'previous_role', 'viewer'), 'and what changed');
select is((select event_data ->> 'share_id' from public.activity_log where event_type = 'chat_shared'), current_setting('t.share'),
  'a share names the share, never its token');
select is((select count(*)::int from public.activity_log where owner_id <> tests.get_user_id('alice')), 0,
  'alice reads only her own chats'' entries');
select is_empty($$ select * from public.activity_log where event_type = 'chat_forked' $$, 'not bob''s fork of her chat');
select throws_ok($$ update public.activity_log set event_type = 'chat_created' $$, '42501', null, 'entries cannot be changed');
select throws_ok($$ delete from public.activity_log $$, '42501', null, 'nor deleted');
select throws_ok(format('insert into public.activity_log (owner_id, event_type) values (%L, %L)', tests.get_user_id('alice'), 'chat_created'),
  '42501', null, 'nor forged');

select tests.authenticate_as('bob');
select is(
  (select row(event_type, event_data ->> 'source_chat_id')::text from public.activity_log where chat_id = current_setting('t.fork')::uuid),
  row('chat_forked', current_setting('t.chat'))::text, 'the fork is logged for its owner, with its source');
select is((select count(*)::int from public.activity_log where chat_id = current_setting('t.chat')::uuid), 0,
  'a member does not read the owner''s log');

select tests.authenticate_as('alice');
select public.delete_chat(current_setting('t.chat')::uuid);
select is((select event_data ->> 'title' from public.activity_log where event_type = 'chat_deleted'), 'Logged',
  'deleting the chat is logged');
select is((select count(*)::int from public.activity_log where chat_id = current_setting('t.chat')::uuid), 8,
  'and the history outlives the chat');
select is((select count(*)::int from public.activity_log where chat_id = current_setting('t.chat')::uuid and event_type = 'member_removed'), 1,
  'the cascade of members does not flood the log');

-- the purge is logged without an actor
select set_config('t.temp', (select id::text from public.create_chat(continuation_id => 'temp', expires_at => now() + interval '1 hour')), true);
select tests.freeze_time(now() + interval '2 hours');
select tests.authenticate_as_service_role();
select public.service_role_purge_expired_chats();
select tests.authenticate_as('alice');
select is((select row(actor_id, event_data ->> 'expired')::text from public.activity_log where chat_id = current_setting('t.temp')::uuid and event_type = 'chat_deleted'),
  row(null::uuid, 'true')::text, 'a purged chat is logged as expired, done by nobody');

select tests.clear_authentication();
select throws_ok($$ select * from public.activity_log $$, '42501', null, 'anon cannot read the log');

reset role;
select set_config('t.alice', tests.get_user_id('alice')::text, true);
delete from auth.users where id = current_setting('t.alice')::uuid;
select is((select count(*)::int from public.activity_log where owner_id = current_setting('t.alice')::uuid), 0,
  'deleting a user deletes their log');
select is((select count(*)::int from public.activity_log where owner_id = tests.get_user_id('bob')), 1, 'others'' logs stay');

select * from finish();
rollback;
