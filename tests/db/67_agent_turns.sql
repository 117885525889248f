-- Agent turns: the chat function's placeholder answer (service_role_begin_reply: once per user
-- message, the same one again when asked again) and its finish (service_role_finish_reply: once,
-- billed counts, chat counters, prompt runs and their cost, an error kept as an error), artifacts
-- linked to the answer while it streams; users cannot call either.
begin;
select plan(27);

select function_privs_are('public', 'service_role_begin_reply', array['uuid', 'uuid', 'text', 'text', 'text', 'jsonb'],
  'authenticated', array[]::text[], 'users cannot begin replies');
select function_privs_are('public', 'service_role_finish_reply',
  array['uuid', 'text', 'text', 'text', 'text', 'text', 'integer', 'integer', 'integer', 'jsonb', 'jsonb', 'jsonb'],
  'authenticated', array[]::text[], 'nor finish them');
select function_privs_are('public', 'service_role_begin_reply', array['uuid', 'uuid', 'text', 'text', 'text', 'jsonb'],
  'service_role', array['EXECUTE'], 'the service role can');

select tests.create_user('alice');
select tests.authenticate_as('alice');
select set_config('t.project', (public.create_project('Weather station')).id::text, true);
select set_config('t.chat', (public.create_chat(project_id => current_setting('t.project')::uuid)).id::text, true);
select set_config('t.other', (public.create_chat(title => 'Other')).id::text, true);
select set_config('t.q', (public.append_message(current_setting('t.chat')::uuid, 'user', 'A weather station with an ESP32',
  client_message_id => 'c-1')).id::text, true);

select tests.authenticate_as_service_role();
select set_config('t.r', public.service_role_begin_reply(current_setting('t.chat')::uuid, current_setting('t.q')::uuid,
  'bom_generator', 'openai/gpt-4o', 'bom')::text, true);
select is((current_setting('t.r')::jsonb ->> 'created')::boolean, true, 'begin_reply: a placeholder');
select is(current_setting('t.r')::jsonb -> 'chat' -> 'project' ->> 'name', 'Weather station',
  'with what the agent''s prompt tells of the chat: its project');
select results_eq(format($$ select role::text, status::text, content::text, parent_id, agent_name::text, client_message_id::text
  from public.messages where id = %L $$, current_setting('t.r')::jsonb -> 'message' ->> 'id'),
  format($$ values ('assistant', 'streaming', '', %L::uuid, 'bom_generator', %L) $$, current_setting('t.q'),
    'reply:' || current_setting('t.q')),
  'an assistant message, streaming, empty, under the user''s message, keyed by it');
select results_eq(format($$ select (r ->> 'created')::boolean, r -> 'message' ->> 'id'
  from public.service_role_begin_reply(%L, %L) r $$, current_setting('t.chat'), current_setting('t.q')),
  format($$ values (false, %L) $$, current_setting('t.r')::jsonb -> 'message' ->> 'id'),
  'asked again: the same placeholder, not a second one');
select is((select count(*)::int from public.messages where chat_id = current_setting('t.chat')::uuid), 2, 'two messages');
select throws_ok(format($$ select public.service_role_begin_reply(%L, %L) $$, current_setting('t.other'), current_setting('t.q')),
  '22023', 'parent_id is not a message of this chat', 'a parent from another chat');

-- the agent writes an artifact linked to the answer while it streams (as the user, as the chat function does)
select set_config('t.m', current_setting('t.r')::jsonb -> 'message' ->> 'id', true);
select tests.authenticate_as('alice');
select is(public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'Weather station BOM', null,
  '{"components": [{"name": "ESP32", "quantity": 1, "unit_price": 6.5, "currency": "USD"}]}',
  current_setting('t.m')::uuid) -> 'version' ->> 'created_by_message_id', current_setting('t.m'),
  'an artifact version names the placeholder as the message that made it');
select results_eq(format($$ select status from public.get_messages(%L) order by sequence_number desc limit 1 $$,
  current_setting('t.chat')), $$ values ('streaming') $$, 'the user sees the answer under way');

select tests.authenticate_as_service_role();
select is(public.service_role_begin_reply(current_setting('t.chat')::uuid, current_setting('t.q')::uuid) -> 'chat'
  -> 'artifacts' -> 0 ->> 'title', 'Weather station BOM', 'begin_reply lists the chat''s artifacts for the agent''s context');

-- finish
select public.create_prompt_version('bom_generator', 'BOM v2 {{project}}', model => 'openai/gpt-4o');
select set_config('t.done', to_jsonb(public.service_role_finish_reply(current_setting('t.m')::uuid,
  'Here is your BOM.', 'complete', 'bom_generator', 'openai/gpt-4o', 'bom', 1200, 300, 2500,
  '[{"type": "tool_call", "name": "create_artifact", "status": "ok"}]', '{"ttft_ms": 400}',
  jsonb_build_array(
    jsonb_build_object('id', gen_random_uuid(), 'prompt_name', 'orchestrator', 'prompt_version', 1, 'agent_name',
      'orchestrator', 'model', 'openai/gpt-4o-mini', 'started_at', now(), 'latency_ms', 300, 'input_tokens', 200,
      'output_tokens', 20, 'success', true),
    jsonb_build_object('id', gen_random_uuid(), 'prompt_name', 'bom_generator', 'prompt_version', 1, 'agent_name',
      'bom_generator', 'model', 'openai/gpt-4o', 'started_at', now(), 'latency_ms', 2200, 'ttft_ms', 400,
      'input_tokens', 1000, 'output_tokens', 280, 'success', true))))::text, true);
select results_eq(format($$ select status::text, content::text, input_tokens::int, output_tokens::int, latency_ms::int,
    usage_source::text, metadata ->> 'ttft_ms', (metadata ->> 'cost_usd')::numeric
  from public.messages where id = %L $$, current_setting('t.m')),
  $$ values ('complete', 'Here is your BOM.', 1200, 300, 2500, 'service', '400',
    (200 * 0.15 + 20 * 0.60 + 1000 * 2.50 + 280 * 10.00) / 1000000) $$,
  'finish_reply: the answer, billed counts, latency, and the turn''s cost from its runs');
select results_eq(format($$ select count(*)::int, count(*) filter (where chat_id = %L and user_id = %L)::int
  from public.prompt_runs where message_id = %L $$, current_setting('t.chat'), tests.get_user_id('alice'), current_setting('t.m')),
  $$ values (2, 2) $$, 'one prompt run per model call, tied to the message, its chat and the chat''s owner');
select results_eq(format($$ select input_tokens::int, output_tokens::int from public.chats where id = %L $$, current_setting('t.chat')),
  $$ values (1200, 300) $$, 'the chat''s counters');
select is(to_jsonb(public.service_role_finish_reply(current_setting('t.m')::uuid, 'Another text', 'complete',
  input_tokens => 5)) ->> 'content', 'Here is your BOM.', 'finishing again returns the answer as it was');
select is((select input_tokens::int from public.chats where id = current_setting('t.chat')::uuid), 1200, 'and counts nothing twice');
select tests.authenticate_as('alice');
select results_eq($$ select source, messages::int, input_tokens::int, output_tokens::int from public.get_usage(group_by => 'agent') $$,
  $$ values ('billed', 1, 1200::int, 300::int) $$, 'the owner''s usage bills it');
reset role;
select results_eq(format($$ select source_table, quantity::int, input_tokens::int, output_tokens::int, billed, user_id
  from public.usage_events where kind = 'llm_tokens' and (source_id = %L or source_table = 'prompt_runs') $$, current_setting('t.m')),
  $$ values ('messages', 1500, 1200, 300, true, tests.get_user_id('alice')) $$,
  'the ledger: one fact for the turn, the finished answer''s counts (its model calls are not counted again)');
select tests.authenticate_as('alice');
select results_eq(format($$ select artifact_versions -> 0 ->> 'title' from public.get_messages(%L) where id = %L $$,
  current_setting('t.chat'), current_setting('t.m')), $$ values ('Weather station BOM') $$,
  'get_messages shows the artifact version the answer made');

-- a failed turn: an error with its reason, never complete
select tests.authenticate_as('alice');
select set_config('t.q2', (public.append_message(current_setting('t.chat')::uuid, 'user', 'Swap the DHT22')).id::text, true);
select tests.authenticate_as_service_role();
select set_config('t.m2', public.service_role_begin_reply(current_setting('t.chat')::uuid, current_setting('t.q2')::uuid)
  -> 'message' ->> 'id', true);
select throws_ok(format($$ select public.service_role_finish_reply(%L, '', 'error') $$, current_setting('t.m2')), '22023',
  'content must not be empty', 'an error needs its reason (content or parts)');
select throws_ok(format($$ select public.service_role_finish_reply(%L, 'x', 'streaming') $$, current_setting('t.m2')), '22023',
  'status must be complete, error or cancelled', 'finishing as streaming');
select results_eq(format($$ select status, content, parts -> 0 ->> 'code' from public.service_role_finish_reply(%L, 'The BME2',
  'error', parts => '[{"type": "error", "code": "PROVIDER_ERROR", "message": "The model provider failed"}]',
  metadata => '{"error": {"code": "PROVIDER_ERROR"}}', runs => jsonb_build_array(jsonb_build_object('id', gen_random_uuid(),
  'prompt_name', 'bom_generator', 'prompt_version', 1, 'model', 'openai/gpt-4o', 'started_at', now(), 'latency_ms', 900,
  'success', false, 'error_class', 'cut_stream'))) $$, current_setting('t.m2')),
  $$ values ('error', 'The BME2', 'PROVIDER_ERROR') $$, 'an error keeps the partial text, its reason and the failed run');
select results_eq(format($$ select success, error_class::text from public.prompt_runs where message_id = %L $$, current_setting('t.m2')),
  $$ values (false, 'cut_stream') $$, 'the failed run is recorded');
select throws_ok($$ select public.service_role_finish_reply(gen_random_uuid(), 'x') $$, 'PT404', 'message not found',
  'an unknown message');
select throws_ok(format($$ select public.service_role_finish_reply(%L, 'x') $$, current_setting('t.q2')), '22023',
  'message_id is not an assistant message', 'the user''s message');

-- a user cannot take the agents' keys for their own messages
select tests.authenticate_as('alice');
select set_config('t.q3', (public.append_message(current_setting('t.chat')::uuid, 'user', 'Hello')).id::text, true);
select public.append_message(current_setting('t.chat')::uuid, 'user', 'squatting', client_message_id => 'reply:' || current_setting('t.q3'));
select tests.authenticate_as_service_role();
select throws_ok(format($$ select public.service_role_begin_reply(%L, %L) $$, current_setting('t.chat'), current_setting('t.q3')),
  '22023', null, 'a reply key taken by a user message is refused, not answered from');

select * from finish();
rollback;
