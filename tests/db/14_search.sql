-- search_messages: web-search syntax, stemming, snippets and ranks, only over chats the caller can
-- read, served by the GIN index.
begin;
select plan(26);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
insert into public.chats (id, owner_id, title) values
  ('c4000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), 'Weather station'),
  ('c4000000-0000-4000-8000-000000000002', tests.get_user_id('bob'), 'Bob''s robot');
insert into public.chat_members (chat_id, user_id, role) values
  ('c4000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer');

select is_definer('private', 'search_messages', array['text', 'uuid', 'integer'],
  'search runs as definer (the @@ operator is not leakproof, so under RLS the GIN index could not be used)');
select function_privs_are('public', 'search_messages', array['text', 'uuid', 'integer'], 'anon', array[]::text[]);
select has_index('public', 'messages', 'messages_content_search_idx', 'content_search has a GIN index');

select tests.authenticate_as('alice');
select public.append_message('c4000000-0000-4000-8000-000000000001', 'user', 'Which temperature sensor should I use outdoors?');
select public.append_message('c4000000-0000-4000-8000-000000000001', 'assistant',
  'The BME280 sensor measures temperature, humidity and pressure over I2C. Mount it in a radiation shield, away from the solar panel.');
select public.append_message('c4000000-0000-4000-8000-000000000001', 'user', 'What soldering iron temperature for the headers?');
select tests.authenticate_as('bob');
select public.append_message('c4000000-0000-4000-8000-000000000002', 'user', 'My robot needs a distance sensor.');

select tests.authenticate_as('alice');
select is((select count(*)::int from public.search_messages('sensor')), 2, 'alice finds her two messages about sensors');
select is((select array_agg(distinct chat_id) from public.search_messages('sensor')), array['c4000000-0000-4000-8000-000000000001'::uuid],
  'and nothing from bob''s chat');
select is((select chat_title from public.search_messages('sensor') limit 1), 'Weather station', 'each hit names its chat');
select ok((select bool_and(snippet like '%**sensor**%') from public.search_messages('sensor')), 'snippets highlight the match');
select ok((select bool_and(rank > 0) from public.search_messages('sensor')), 'hits are ranked');
select is((select array_agg(sequence_number) from public.search_messages('temperature sensor')), array[1, 2]::bigint[],
  'all words must match; best first');
select is((select count(*)::int from public.search_messages('sensors')), 2, 'English stemming: sensors finds sensor');
select is((select sequence_number from public.search_messages('"solar panel"')), 2::bigint, 'a quoted phrase');
select is((select count(*)::int from public.search_messages('"panel solar"')), 0, 'must appear in that order');
select is((select array_agg(sequence_number order by sequence_number) from public.search_messages('temperature -i2c')), array[1, 3]::bigint[],
  'a minus excludes');
select is((select count(*)::int from public.search_messages('humidity or soldering')), 2, 'or widens');
select is((select count(*)::int from public.search_messages('sensor', "limit" => 1)), 1, 'limit caps the hits');
select is((select count(*)::int from public.search_messages('sensor', chat_id => 'c4000000-0000-4000-8000-000000000001')), 2,
  'search within one chat');
select is((select count(*)::int from public.search_messages('the and of')), 0, 'stop words alone match nothing');
select throws_ok($$ select * from public.search_messages('sensor', chat_id => 'c4000000-0000-4000-8000-000000000002') $$,
  'PT404', 'chat not found', 'a chat one cannot read cannot be searched');
select throws_ok($$ select * from public.search_messages('   ') $$, '22023', 'query must be 1 to 500 characters');
select throws_ok($$ select * from public.search_messages(repeat('a', 501)) $$, '22023', 'query must be 1 to 500 characters');
select throws_ok($$ select * from public.search_messages('sensor', "limit" => 0) $$, '22023', 'limit must be between 1 and 100');

select tests.authenticate_as('carol');
select is((select count(*)::int from public.search_messages('sensor')), 2, 'a viewer searches the chats shared with them');
select tests.authenticate_as('bob');
select is((select array_agg(content_chat) from (select chat_title as content_chat from public.search_messages('sensor')) s),
  array['Bob''s robot'], 'bob finds only his own');
select tests.authenticate_as('dave');
select is((select count(*)::int from public.search_messages('sensor')), 0, 'a stranger finds nothing');
select tests.clear_authentication();
select throws_ok($$ select * from public.search_messages('sensor') $$, '42501', null, 'anon cannot search');

-- the match is index-backed: with sequential scans priced out, the plan of the search's filter
-- uses the GIN index (a table this small would otherwise be scanned)
reset role;
set local enable_seqscan = off;
create function pg_temp.plan_of(query text) returns text language plpgsql as $$
declare
  line record;
  plan text := '';
begin
  for line in execute 'explain ' || query loop
    plan := plan || line."QUERY PLAN" || E'\n';
  end loop;
  return plan;
end
$$;
select matches(
  pg_temp.plan_of($$
    select m.id from public.messages m where m.content_search @@ websearch_to_tsquery('english', 'sensor')$$),
  'messages_content_search_idx', 'the match can use the GIN index');

select * from finish();
rollback;
