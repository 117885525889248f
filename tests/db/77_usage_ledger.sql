-- The usage ledger: events from messages (trusted and client-reported), model calls through the
-- generic trigger (prompt_runs, under their message when they made one), embedding tokens recorded
-- by a worker, transcriptions, voice sessions (idempotent start and end, stale ones ended by the
-- scheduler) and stored bytes; once per source; get_usage by kind and month; check_quota against
-- the profile's plan; who reads what.
begin;
select plan(39);

select has_table('public', 'usage_events', 'the ledger exists');
select ok(not has_table_privilege('authenticated', 'public.usage_events', 'insert'), 'users cannot write it');
select ok(not has_function_privilege('authenticated', 'private.record_usage(uuid, text, numeric, text, text, timestamptz, boolean, text, bigint, bigint, text, uuid)', 'execute'),
  'nor record usage');
select is((select count(*)::int from public.plan_limits where plan = 'free'), 5, 'the free plan limits every kind');

select tests.create_user('alice');
select tests.create_user('bob');
select set_config('t.alice', tests.get_user_id('alice')::text, true);
select tests.freeze_time('2026-02-10 12:00:00+00');

-- LLM tokens: a trusted message in January, one in February, a client-reported one
insert into public.chats (id, owner_id, title) values ('c7000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), 'Dreams');
insert into public.messages (id, chat_id, role, content, agent_name, agent_model, input_tokens, output_tokens, created_at) values
  ('e7000000-0000-4000-8000-000000000001', 'c7000000-0000-4000-8000-000000000001', 'assistant', 'a', 'jungian_interpreter', 'openai/gpt-4o', 1000000, 0, '2026-01-15 10:00:00+00'),
  ('e7000000-0000-4000-8000-000000000002', 'c7000000-0000-4000-8000-000000000001', 'assistant', 'b', 'jungian_interpreter', 'openai/gpt-4o', 0, 1000000, '2026-02-01 10:00:00+00');
select tests.authenticate_as('alice');
select public.append_message('c7000000-0000-4000-8000-000000000001', 'assistant', 'my own count', agent_model => 'openai/gpt-4o',
  input_tokens => 500, output_tokens => 500);
-- a server on a database connection: no role, no JWT
reset role;
select set_config('request.jwt.claims', '', true);
select results_eq($$ select kind, quantity, cost_usd, billed from public.usage_events where source_table = 'messages' order by occurred_at $$,
  $$ values ('llm_tokens', 1000000::numeric, 2.5::numeric, true), ('llm_tokens', 1000000::numeric, 10::numeric, true),
            ('llm_tokens', 1000::numeric, null::numeric, false) $$,
  'messages with token counts are recorded, costed at their day''s price; a user''s own report is not billed');

-- model calls through the generic trigger (what prompt_runs gets)
create table public.test_model_calls (id uuid primary key default gen_random_uuid(), user_id uuid, model text,
  input_tokens integer, output_tokens integer, created_at timestamptz default now(), message_id uuid, cost_usd numeric);
create trigger test_model_calls_740_record_usage after insert on public.test_model_calls for each row
  execute function private.record_llm_usage('user_id', 'model', 'input_tokens', 'output_tokens', 'created_at', 'message_id', '', 'cost_usd');
insert into public.test_model_calls (user_id, model, input_tokens, output_tokens, created_at, cost_usd) values
  (tests.get_user_id('alice'), 'anthropic/claude-haiku-4-5', 1000000, 1000000, '2026-02-02 00:00:00+00', null),
  (tests.get_user_id('alice'), 'local/mystery', 10, 10, '2026-02-02 00:00:00+00', 0.5);
insert into public.test_model_calls (user_id, model, input_tokens, output_tokens, message_id) values
  (tests.get_user_id('bob'), 'openai/gpt-4o', 7, 7, 'e7000000-0000-4000-8000-000000000002');
select results_eq($$ select model, cost_usd from public.usage_events where source_table = 'test_model_calls' order by model $$,
  $$ values ('anthropic/claude-haiku-4-5', 6::numeric), ('local/mystery', 0.5::numeric) $$,
  'model calls are recorded: priced from model_prices, else at the call''s own cost');
select is((select count(*)::int from public.usage_events where source_table = 'messages' and source_id = 'e7000000-0000-4000-8000-000000000002'),
  1, 'a call that made a message is that message''s usage: recorded once, billed to the chat''s owner');

-- embedding tokens, as the embedding worker records them
select is(private.record_usage(tests.get_user_id('alice'), 'embedding_tokens', 2000000, 'embedding_jobs', '42', '2026-02-03',
  model => 'openai/text-embedding-3-small') is not null, true, 'embedding tokens are recorded');
select is(private.record_usage(tests.get_user_id('alice'), 'embedding_tokens', 2000000, 'embedding_jobs', '42', '2026-02-03',
  model => 'openai/text-embedding-3-small'), null, 'once per source');
select throws_ok($$ select private.record_usage(tests.get_user_id('alice'), 'hugs', 1, 'x', '1') $$, '22023', null, 'a kind of usage');

-- transcriptions
select tests.authenticate_as('alice');
select set_config('t.dream', (public.create_dream(content => 'Flying')) ->> 'id', true);
select is((public.record_transcription(90, 'openai', 'whisper-1', request_id => 'r-1')).billed, false,
  'a user''s own transcription report is kept, not billed');
select tests.authenticate_as_service_role();
select is((public.record_transcription(120, 'openai', 'whisper-1', entry_id => current_setting('t.dream')::uuid, request_id => 'r-2')).user_id,
  tests.get_user_id('alice'), 'the service role''s bills the entry''s owner');
select is((public.record_transcription(999, 'openai', 'whisper-1', entry_id => current_setting('t.dream')::uuid, request_id => 'r-2')).seconds,
  120::numeric, 'the same request again is the same transcription');
select throws_ok($$ select public.record_transcription(10, 'openai', 'whisper-1') $$, '22023', null,
  'the service role names whose it is');
select tests.authenticate_as('bob');
select throws_ok(format($$ select public.record_transcription(10, 'openai', 'whisper-1', entry_id => %L) $$, current_setting('t.dream')),
  'PT404', 'entry not found', 'not for another user''s entry');
select throws_ok($$ select public.record_transcription(0, 'openai', 'whisper-1') $$, '22023', null, 'seconds must be positive');

-- voice sessions
select tests.authenticate_as('alice');
select set_config('t.voice', (public.start_voice_session('el-conv-1', agent_id => (select id from public.agents where name = 'jungian_interpreter'))).id::text, true);
select is((public.start_voice_session('el-conv-1')).id::text, current_setting('t.voice'), 'starting the same session again returns it');
select tests.freeze_time('2026-02-10 12:05:30+00');
select is((public.end_voice_session(current_setting('t.voice')::uuid)).seconds, 330.000, 'ending it measures its seconds');
select tests.freeze_time('2026-02-10 13:00:00+00');
select is((public.end_voice_session(provider_session_id => 'el-conv-1')).seconds, 330.000, 'ending it again changes nothing');
select throws_ok($$ select public.end_voice_session() $$, '22023', null, 'which session');
select tests.authenticate_as('bob');
select throws_ok(format($$ select public.end_voice_session(%L) $$, current_setting('t.voice')), 'PT404', 'voice session not found',
  'another user''s session');
select public.start_voice_session('el-forgotten');
select tests.freeze_time('2026-02-10 16:00:00+00');
select tests.authenticate_as_service_role();
select is(public.service_role_end_stale_voice_sessions(), 1, 'a session left open is ended by the scheduler');
select is((select seconds from public.voice_sessions where provider_session_id = 'el-forgotten'), 7200.000, 'billed two hours');
reset role;
select results_eq($$ select kind, quantity, billed from public.usage_events where source_table in ('transcriptions', 'voice_sessions')
  and user_id = current_setting('t.alice')::uuid order by kind, quantity $$,
  $$ values ('transcription_seconds', 90::numeric, false), ('transcription_seconds', 120::numeric, true),
            ('voice_seconds', 330::numeric, true) $$, 'transcriptions and voice sessions are in the ledger, once each');
select is((select cost_usd from public.usage_events where source_table = 'transcriptions' and billed), 0.012,
  'costed per minute (whisper-1: $0.006)');

-- stored bytes
select tests.authenticate_as('alice');
insert into storage.objects (id, bucket_id, name, owner, metadata, version) values
  ('a7000000-0000-4000-8000-000000000001', 'audio', current_setting('t.alice') || '/dream.m4a', current_setting('t.alice')::uuid,
   '{"size": 3000, "mimetype": "audio/mp4"}', 'f7000000-0000-4000-8000-000000000001');
update storage.objects set metadata = '{"size": 1000, "mimetype": "audio/mp4"}', version = 'f7000000-0000-4000-8000-000000000002'
where id = 'a7000000-0000-4000-8000-000000000001';
select is((select sum(quantity) from public.usage_events where kind = 'storage_bytes'), 1000::numeric,
  'stored bytes: an upload adds its size, new content the difference');

-- ------------------------------------------------------------------ get_usage
select results_eq(
  $$ select group_key, kind, source, quantity, events from public.get_usage(group_by => 'month') order by group_key, kind $$,
  $$ values ('2026-01', 'llm_tokens', 'billed', 1000000::numeric, 1::bigint),
            ('2026-02', 'embedding_tokens', 'billed', 2000000::numeric, 1::bigint),
            ('2026-02', 'llm_tokens', 'billed', 3000020::numeric, 3::bigint),
            ('2026-02', 'storage_bytes', 'billed', 1000::numeric, 2::bigint),
            ('2026-02', 'transcription_seconds', 'billed', 120::numeric, 1::bigint),
            ('2026-02', 'voice_seconds', 'billed', 330::numeric, 1::bigint) $$,
  'by month and kind: what bills');
select results_eq(
  $$ select group_key, source, quantity, cost_usd from public.get_usage(group_by => 'kind', kinds => array['llm_tokens'],
       include_client_reported => true) $$,
  $$ values ('llm_tokens', 'billed', 4000020::numeric, 19.000000::numeric), ('llm_tokens', 'client_reported', 1000::numeric, null::numeric) $$,
  'by kind, with the client-reported counts apart and uncosted');
select is((select messages from public.get_usage(group_by => 'kind', kinds => array['llm_tokens'])), 2::bigint,
  'messages counts the events from messages');
select results_eq(
  $$ select group_key, quantity from public.get_usage("from" => '2026-02-01', "to" => '2026-03-01', group_by => 'month',
       kinds => array['voice_seconds', 'transcription_seconds']) order by kind $$,
  $$ values ('2026-02', 120::numeric), ('2026-02', 330::numeric) $$, 'a range and some kinds');
select throws_ok($$ select * from public.get_usage(kinds => array['hugs']) $$, '22023', null, 'unknown kinds');

-- ------------------------------------------------------------------ check_quota
select results_eq($$ select plan, period, used, "limit", remaining from public.check_quota('voice_seconds') $$,
  $$ values ('free', 'month', 330::numeric, 1800::numeric, 1470::numeric) $$, 'the free plan''s voice minutes this month');
select results_eq($$ select used, remaining, period from public.check_quota('llm_tokens') $$,
  $$ values (3000020::numeric, 0::numeric, 'month') $$, 'over the limit: nothing remains');
select results_eq($$ select used, period, period_start from public.check_quota('storage_bytes') $$,
  $$ values (1000::numeric, 'total', null::timestamptz) $$, 'stored bytes count all time');
reset role;
update public.profiles set plan = 'pro' where id = current_setting('t.alice')::uuid;
select tests.authenticate_as('alice');
select is((select remaining from public.check_quota('llm_tokens')), 20000000 - 3000020::numeric, 'a pro user has more');
select throws_ok($$ select public.check_quota('hugs') $$, '22023', null, 'an unknown kind');
select throws_ok(format($$ select public.check_quota('llm_tokens', %L) $$, tests.get_user_id('bob')), '42501', null,
  'a user checks only their own quota');
select tests.authenticate_as('bob');
select is((select count(*)::int from public.usage_events where user_id <> tests.get_user_id('bob')), 0,
  'bob reads none of alice''s usage');
select tests.clear_authentication();
select throws_ok($$ select public.check_quota('llm_tokens') $$, '42501', null, 'anon has no quota');

select * from finish();
rollback;
