-- Usage and cost: dated model prices, get_usage grouped by model, agent, chat and day, over the
-- chats the caller owns (the LLM tokens of messages in the usage ledger; 77_usage_ledger.sql tests
-- the other kinds). The messages here are written on a database connection (a trusted writer), so
-- their counts bill; 41_access_follows_membership.sql tests client-reported counts.
begin;
select plan(20);

select has_table('public', 'model_prices', 'model_prices exists');
select ok((select count(*) >= 8 and bool_and(source <> '' and observed_on is not null) from public.model_prices),
  'several models are priced, each with its source and the date it was observed');
select is((select array_agg(input_usd_per_million order by effective_from) from public.model_prices where model = 'openai/gpt-4o'),
  array[5.00, 2.50]::numeric[], 'a model''s price is dated: gpt-4o got cheaper');
select ok(not has_table_privilege('anon', 'public.model_prices', 'select'), 'anon cannot read prices');
select is_definer('private', 'get_usage', array['timestamp with time zone', 'timestamp with time zone', 'text', 'boolean', 'text[]'], 'get_usage aggregates as definer, filtering on the caller itself');
select function_privs_are('public', 'get_usage', array['timestamptz', 'timestamptz', 'text', 'boolean', 'text[]'], 'anon', array[]::text[]);

select tests.create_user('alice');
select tests.create_user('bob');
insert into public.chats (id, owner_id, title) values
  ('c6000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), 'Weather station'),
  ('c6000000-0000-4000-8000-000000000002', tests.get_user_id('alice'), 'Robot'),
  ('c6000000-0000-4000-8000-000000000003', tests.get_user_id('bob'), 'Bob''s');
insert into public.chat_members (chat_id, user_id, role) values
  ('c6000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'editor');
insert into public.messages (chat_id, role, content, agent_name, agent_model, input_tokens, output_tokens, author_id, created_at) values
  ('c6000000-0000-4000-8000-000000000001', 'user', 'question', null, null, null, null, tests.get_user_id('alice'), '2024-06-01 10:00:00+00'),
  ('c6000000-0000-4000-8000-000000000001', 'assistant', 'a', 'bom_generator', 'openai/gpt-4o', 1000000, 1000000, tests.get_user_id('alice'), '2024-06-01 10:00:01+00'),
  ('c6000000-0000-4000-8000-000000000001', 'assistant', 'b', 'bom_generator', 'openai/gpt-4o', 1000000, 1000000, tests.get_user_id('bob'), '2025-01-01 10:00:00+00'),
  ('c6000000-0000-4000-8000-000000000002', 'assistant', 'c', 'conversational', 'anthropic/claude-sonnet-4-5', 2000000, 0, tests.get_user_id('alice'), '2025-10-01 23:59:59+00'),
  ('c6000000-0000-4000-8000-000000000002', 'assistant', 'd', 'conversational', 'local/llama-3', 100, 100, tests.get_user_id('alice'), '2025-10-01 08:00:00+00'),
  ('c6000000-0000-4000-8000-000000000003', 'assistant', 'e', 'bom_generator', 'openai/gpt-4o', 1000000, 0, tests.get_user_id('bob'), '2025-01-01 10:00:00+00');

select tests.authenticate_as('alice');
select is(
  (select array_agg(row(group_key, messages, input_tokens, output_tokens, cost_usd, unpriced_messages)::text order by group_key)
   from public.get_usage(group_by => 'model')),
  array[
    row('anthropic/claude-sonnet-4-5', 1::bigint, 2000000::bigint, 0::bigint, 6.000000::numeric, 0::bigint)::text,
    row('local/llama-3', 1::bigint, 100::bigint, 100::bigint, 0.000000::numeric, 1::bigint)::text,
    row('openai/gpt-4o', 2::bigint, 2000000::bigint, 2000000::bigint, 32.500000::numeric, 0::bigint)::text],
  'by model: each message costed at its day''s price (20 at launch + 12.5 after the cut), unknown models counted apart');
select is((select sum(cost_usd) from public.get_usage(group_by => 'model')), 38.5::numeric,
  'messages written by an editor in alice''s chat are on alice''s bill; user messages without tokens cost nothing');
select is(
  (select array_agg(row(group_key, label, messages)::text order by group_key) from public.get_usage(group_by => 'agent')),
  array[row('bom_generator', 'bom_generator', 2::bigint)::text, row('conversational', 'conversational', 2::bigint)::text],
  'by agent');
select is(
  (select array_agg(row(group_key, label, cost_usd)::text order by label) from public.get_usage(group_by => 'chat')),
  array[row('c6000000-0000-4000-8000-000000000002', 'Robot', 6.000000::numeric)::text,
        row('c6000000-0000-4000-8000-000000000001', 'Weather station', 32.500000::numeric)::text],
  'by chat, labelled with the title');
select is(
  (select array_agg(row(group_key, messages)::text order by group_key) from public.get_usage(group_by => 'day')),
  array[row('2024-06-01', 1::bigint)::text, row('2025-01-01', 1::bigint)::text, row('2025-10-01', 2::bigint)::text],
  'by day (UTC)');
select is(
  (select array_agg(group_key order by group_key) from public.get_usage("from" => '2025-01-01', "to" => '2025-10-01 12:00:00+00', group_by => 'day')),
  array['2025-01-01', '2025-10-01'], 'from is inclusive');
select is(
  (select sum(messages)::int from public.get_usage("from" => '2025-01-01', "to" => '2025-10-01 12:00:00+00', group_by => 'day')),
  2, 'to is exclusive');
select is((select count(*)::int from public.get_usage()), 3, 'grouped by model by default');
select throws_ok($$ select * from public.get_usage(group_by => 'week') $$, '22023', 'group_by ''week'' is not one of agent, model, chat, day, month, kind');
select throws_ok($$ select * from public.get_usage("from" => '2026-01-01', "to" => '2025-01-01', group_by => 'day') $$, '22023',
  'from must be before to');
select tests.authenticate_as('bob');
select is((select array_agg(row(group_key, cost_usd)::text) from public.get_usage(group_by => 'chat')),
  array[row('c6000000-0000-4000-8000-000000000003', 2.500000::numeric)::text], 'bob''s usage is his own chats only');
select ok((select count(*) >= 8 from public.model_prices), 'users can read prices');
select throws_ok($$ insert into public.model_prices (model, effective_from, input_usd_per_million, output_usd_per_million, observed_on, source) values ('x', now(), 0, 0, now(), 'me') $$,
  '42501', null, 'but not change them');
select tests.clear_authentication();
select throws_ok($$ select * from public.get_usage(group_by => 'model') $$, '42501', null, 'anon has no usage');

select * from finish();
rollback;
