-- Prompt performance: runs recorded by the service role (priced from model_prices at the run's
-- date, idempotent by id, validated), get_prompt_performance's percentiles, rates, tokens and costs
-- per version (with a time window), compare_prompt_versions' difference, and who may read them.
begin;
select plan(31);

select ok((select relrowsecurity from pg_class where oid = 'public.prompt_runs'::regclass), 'prompt_runs has RLS');
select policies_are('public', 'prompt_runs', array['prompt_runs_select_registry']);
select function_privs_are('public', 'service_role_record_prompt_runs', array['jsonb'], 'authenticated', array[]::text[],
  'users cannot record runs');
select function_privs_are('public', 'get_prompt_performance', array['text', 'timestamptz', 'timestamptz'], 'anon',
  array[]::text[], 'anon cannot read performance');
select ok(not has_table_privilege('authenticated', 'public.prompt_runs', 'INSERT'), 'users cannot insert runs');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('bob');
select set_config('t.chat', (public.create_chat(title => 'Weather station')).id::text, true);

select tests.authenticate_as_service_role();
select public.service_role_set_prompt_admin(tests.get_user_id('alice'), 'editor');
select public.create_prompt_version('router', 'Route {{x}}', model => 'openai/gpt-4o', labels => '{production}');
select public.create_prompt_version('router', 'Route better {{x}}', model => 'openai/gpt-4o-mini');

-- version 1: ten runs on 2024-06-01 (gpt-4o at $5/$15), latencies 100..1000 ms, one failure
select is(public.service_role_record_prompt_runs((
  select jsonb_agg(jsonb_build_object('id', md5('r1-' || i)::uuid, 'prompt_name', 'router', 'prompt_version', 1,
    'agent_name', 'orchestrator', 'chat_id', current_setting('t.chat'), 'model', 'openai/gpt-4o',
    'started_at', '2024-06-01 12:00+00'::timestamptz + i * interval '1 minute', 'latency_ms', i * 100,
    'ttft_ms', i * 10, 'input_tokens', 1000, 'output_tokens', 100, 'success', i <> 10)
    || case when i = 10 then '{"error_class": "timeout", "error_message": "no answer in 60 s"}'::jsonb else '{}' end)
  from generate_series(1, 10) i)), 10, 'ten runs recorded');
select is(public.service_role_record_prompt_runs((
  select jsonb_agg(jsonb_build_object('id', md5('r1-' || i)::uuid, 'prompt_name', 'router', 'prompt_version', 1,
    'model', 'openai/gpt-4o', 'started_at', '2024-06-01', 'latency_ms', 1, 'success', true))
  from generate_series(1, 3) i)), 0, 'recording them again (same ids) writes nothing');
select results_eq($$ select cost_usd, user_id from public.prompt_runs where id = md5('r1-1')::uuid $$,
  $$ values (0.0065::numeric(14, 8), tests.get_user_id('bob')) $$,
  'the cost is the price on the run''s day (1000 × $5 + 100 × $15 per million); the chat''s owner is billed');
select results_eq($$ select user_id, quantity::int, cost_usd, billed, occurred_at from public.usage_events
  where source_table = 'prompt_runs' and source_id = md5('r1-1')::uuid::text $$,
  $$ values (tests.get_user_id('bob'), 1100, 0.0065::numeric, true, '2024-06-01 12:01+00'::timestamptz) $$,
  'a run of no message is a fact in the usage ledger of the one billed, at its price and time');
-- version 2 (gpt-4o-mini) and a run of version 1 on 2024-11-01, after gpt-4o's price change; an unpriced model
select is(public.service_role_record_prompt_runs(jsonb_build_array(
  jsonb_build_object('id', md5('r2-1')::uuid, 'prompt_name', 'router', 'prompt_version', 2, 'model', 'openai/gpt-4o-mini',
    'started_at', '2024-11-01', 'latency_ms', 50, 'input_tokens', 1000, 'output_tokens', 100, 'success', true),
  jsonb_build_object('id', md5('r2-2')::uuid, 'prompt_name', 'router', 'prompt_version', 2, 'model', 'openai/gpt-4o-mini',
    'started_at', '2024-11-01', 'latency_ms', 150, 'input_tokens', 3000, 'output_tokens', 300, 'success', true),
  jsonb_build_object('id', md5('r1-late')::uuid, 'prompt_name', 'router', 'prompt_version', 1, 'model', 'openai/gpt-4o',
    'started_at', '2024-11-01', 'latency_ms', 2000, 'input_tokens', 1000, 'output_tokens', 100, 'success', true),
  jsonb_build_object('id', md5('r2-local')::uuid, 'prompt_name', 'router', 'prompt_version', 2, 'model', 'local/llama',
    'started_at', '2024-11-01', 'latency_ms', 10, 'input_tokens', 10, 'output_tokens', 10, 'success', true))), 4,
  'more runs');
select results_eq($$ select cost_usd from public.prompt_runs where id in (md5('r1-late')::uuid, md5('r2-local')::uuid)
  order by model desc $$,
  $$ values (0.0035::numeric(14, 8)), (null) $$, 'gpt-4o after its price change; a model without a price has no cost');

-- bad input: nothing written
select throws_ok($$ select public.service_role_record_prompt_runs('[{"id": "not-a-uuid", "prompt_name": "router",
  "prompt_version": 1, "model": "m", "started_at": "2024-01-01", "latency_ms": 1, "success": true}]') $$, '22023', null,
  'an id that is not a uuid');
select throws_ok($$ select public.service_role_record_prompt_runs('[{"id": "6f1c1ad4-0a8b-4c1e-9a2f-000000000001",
  "prompt_name": "router", "prompt_version": 1, "model": "m", "started_at": "2024-01-01", "success": true}]') $$, '22023',
  'runs[0].latency_ms is required', 'a missing field is named');
select throws_ok($$ select public.service_role_record_prompt_runs('[{"id": "6f1c1ad4-0a8b-4c1e-9a2f-000000000001",
  "prompt_name": "router", "prompt_version": 1, "model": "m", "started_at": "2024-01-01", "latency_ms": 1,
  "success": false}]') $$, '22023',
  'runs[0].error_class is required for a failed run and must be absent for a successful one', 'a failure needs its class');
select throws_ok($$ select public.service_role_record_prompt_runs('[{"id": "6f1c1ad4-0a8b-4c1e-9a2f-000000000001",
  "prompt_name": "router", "prompt_version": 7, "model": "m", "started_at": "2024-01-01", "latency_ms": 1,
  "success": true}]') $$, '22023', 'runs[0]: version 7 of prompt router does not exist', 'an unknown version');
select throws_ok($$ select public.service_role_record_prompt_runs('[{"id": "6f1c1ad4-0a8b-4c1e-9a2f-000000000001",
  "prompt_name": "router", "prompt_version": 1, "model": "m", "started_at": "2024-01-01", "latency_ms": -5,
  "success": true}]') $$, '22023', null, 'a negative latency');
select is((select count(*)::int from public.prompt_runs), 14, 'refused batches wrote nothing');

-- ------------------------------------------------------------------ get_prompt_performance
select results_eq(
  $$ select version, runs, successes, success_rate, p50_latency_ms, round(p95_latency_ms::numeric, 3), p50_ttft_ms,
       avg_input_tokens,
       total_cost_usd, unpriced_runs, labels
     from public.get_prompt_performance('router') $$,
  $$ values (1, 11::bigint, 10::bigint, 0.9091::numeric, 550::float8, 1505.000, 50::float8, 1000.00::numeric,
       0.0685::numeric, 0::bigint, '{production}'::text[]),
     (2, 3::bigint, 3::bigint, 1.0000::numeric, 50::float8, 140.000, null::float8, 1336.67::numeric,
       0.00084::numeric, 1::bigint, '{}'::text[]) $$,
  'per version: runs, success rate, latency percentiles over successes, tokens, cost, unpriced runs');
select results_eq(
  $$ select version, runs, p50_latency_ms from public.get_prompt_performance('router', '2024-06-01', '2024-07-01') $$,
  $$ values (1, 10::bigint, 500::float8), (2, 0::bigint, null::float8) $$,
  'a time window; a version without runs in it has a row of nothing');
select results_eq(
  $$ select (c -> 'difference' ->> 'runs')::int, (c -> 'difference' ->> 'p50_latency_ms')::numeric,
       (c -> 'difference' ->> 'success_rate')::numeric, c -> 'changes' -> 'model', (c -> 'changes' ->> 'template_lines_added')::int
     from public.compare_prompt_versions('router', 1, 2) c $$,
  $$ values (-8, -500::numeric, 0.0909::numeric, '{"from": "openai/gpt-4o", "to": "openai/gpt-4o-mini"}'::jsonb, 1) $$,
  'compare_prompt_versions: b minus a, and what changed');
select is(public.compare_prompt_versions('router', 1, 2, '2024-06-01', '2024-07-01') -> 'difference' ->> 'p50_latency_ms', null,
  'a difference is null where a side has no runs');
select throws_ok($$ select public.compare_prompt_versions('router', 1, 9) $$, 'PT404', 'version 9 of prompt router not found',
  'an unknown version');
select throws_ok($$ select * from public.get_prompt_performance('router', '2024-07-01', '2024-06-01') $$, '22023',
  'from must be before to', 'a reversed window');
select throws_ok($$ select * from public.get_prompt_performance('nope') $$, 'PT404', 'prompt not found', 'an unknown prompt');

-- ------------------------------------------------------------------ who reads
select tests.authenticate_as('alice');
select is((select count(*)::int from public.get_prompt_performance('router')), 2, 'a prompt editor reads performance');
select is((select count(*)::int from public.prompt_runs), 14, 'and the runs');
select tests.authenticate_as('bob');
select throws_ok($$ select * from public.get_prompt_performance('router') $$, '42501',
  'only prompt admins and editors may read prompt performance', 'a user does not');
select is_empty($$ select 1 from public.prompt_runs $$, 'nor sees runs, even of their own chat');
select throws_ok($$ select public.compare_prompt_versions('router', 1, 2) $$, '42501', null, 'nor compares');
select tests.clear_authentication();
select throws_ok($$ select * from public.prompt_runs $$, '42501', null, 'anon reads nothing');

-- deleting the chat keeps the runs (for the statistics) without it
reset role;
delete from public.chats where id = current_setting('t.chat')::uuid;
select is((select count(*)::int from public.prompt_runs where chat_id is null), 14, 'runs outlive their chat');

select * from finish();
rollback;
