-- search: search_entries (own entries only, p_user_id refused, the model by dimension or name, wrong
-- dimensions refused), similar_entries, match_document_chunks (own documents plus an agent's
-- knowledge), hybrid_search (full-text and vector ranks fused, members' chats, sources), the
-- embeddings' RLS; another user's content never appears; anon is denied.
begin;
select plan(37);

select public.service_role_register_embedding_model('test-3d', 'openai', 'test-3d', 3);
select public.service_role_update_embedding_model('test-3d', active => true);
select public.service_role_update_embedding_model('use-lite', enabled => false);

select tests.create_user('alice');
select tests.create_user('bob');
create temp table t (k text primary key, id uuid);
grant all on t to authenticated, service_role;

select tests.authenticate_as('alice');
insert into t select 'a_knee', ((public.upsert_entry(facets => array['note'], title => 'Knee',
  body_markdown => 'Sore knee after a jog in the park')) ->> 'id')::uuid;
insert into t select 'a_bread', ((public.upsert_entry(facets => array['note'], title => 'Bread',
  body_markdown => 'Baked sourdough bread')) ->> 'id')::uuid;
insert into t select 'a_shin', ((public.upsert_entry(facets => array['note'], title => 'Shins',
  body_markdown => 'Shin splints after running')) ->> 'id')::uuid;
insert into t select 'a_chat', (public.create_chat(title => 'Training')).id;
insert into t select 'a_msg', (public.append_message((select id from t where k = 'a_chat'), 'user', 'How do I rest a sore knee?')).id;
insert into t select 'a_doc', (public.ingest_document('Knee care', E'# Rest\n\nIce the knee after running.') -> 'document' ->> 'id')::uuid;
select tests.authenticate_as('bob');
insert into t select 'b_knee', ((public.upsert_entry(facets => array['note'], title => 'Knee',
  body_markdown => 'My knee hurt after running')) ->> 'id')::uuid;
insert into t select 'b_chat', (public.create_chat(title => 'Bob''s knees')).id;
insert into t select 'b_msg', (public.append_message((select id from t where k = 'b_chat'), 'user', 'knee rehab exercises')).id;
insert into t select 'b_doc', (public.ingest_document('Bob''s knee notes', E'# Knee\n\nKnee braces help running.') -> 'document' ->> 'id')::uuid;
select tests.authenticate_as_service_role();
insert into t select 'agent_doc', ((select public.ingest_document('Sports medicine', E'# Knees\n\nRunner''s knee is common.',
  agent_id => (select id from public.agents where name = 'conversational' and owner_id is null))) -> 'document' ->> 'id')::uuid;
reset role;

-- vectors as the worker would write them (test-3d): knee-like things point along x
insert into public.embeddings (source_table, source_id, model, user_id, chat_id, agent_id, content_hash, embedding, job_id)
select x.src, x.sid, 'test-3d', x.uid, x.cid, x.aid, repeat('0', 64), x.v::extensions.vector, 0
from (values
  ('entries', (select id from t where k = 'a_knee'), tests.get_user_id('alice'), null::uuid, null::uuid, '[1, 0.1, 0]'),
  ('entries', (select id from t where k = 'a_bread'), tests.get_user_id('alice'), null, null, '[0, 0, 1]'),
  ('entries', (select id from t where k = 'a_shin'), tests.get_user_id('alice'), null, null, '[0.8, 0.5, 0]'),
  ('messages', (select id from t where k = 'a_msg'), tests.get_user_id('alice'), (select id from t where k = 'a_chat'), null, '[0.9, 0.2, 0.1]'),
  ('entries', (select id from t where k = 'b_knee'), tests.get_user_id('bob'), null, null, '[1, 0, 0]'),
  ('messages', (select id from t where k = 'b_msg'), tests.get_user_id('bob'), (select id from t where k = 'b_chat'), null, '[1, 0, 0]')
) x(src, sid, uid, cid, aid, v);
insert into public.embeddings (source_table, source_id, model, user_id, chat_id, agent_id, content_hash, embedding, job_id)
select 'document_chunks', c.id, 'test-3d', c.user_id, null, c.agent_id, repeat('0', 64), '[1, 0, 0.3]', 0
from public.document_chunks c;

-- ------------------------------------------------------------------ search_entries
select tests.authenticate_as('alice');
select results_eq($$ select id from public.search_entries('[1, 0, 0]', 0.5) $$,
  $$ values ((select id from t where k = 'a_knee')), ((select id from t where k = 'a_shin')) $$,
  'search_entries: the caller''s entries nearest the vector, best first, above the threshold');
select ok((select bool_and(similarity > 0.99) from public.search_entries('[1, 0, 0]', 0.99)), 'similarity is the cosine similarity');
select is((select count(*)::integer from public.search_entries('[1, 0, 0]', -1, 10)), 3, 'a threshold of -1 returns every entry of the caller');
select is((select count(*)::integer from public.search_entries('[1, 0, 0]', -1, 10) where id = (select id from t where k = 'b_knee')), 0,
  'never another user''s entry (bob''s knee entry is nearer)');
select is((select count(*)::integer from public.search_entries('[1, 0, 0]', -1, 1)), 1, 'match_count bounds the result');
select is((select count(*)::integer from public.search_entries('[1, 0, 0]', 0.5, 10, tests.get_user_id('alice'))), 2,
  'p_user_id may name the caller');
select throws_ok(format($$ select * from public.search_entries('[1, 0, 0]', 0.5, 10, %L) $$, tests.get_user_id('bob')), '42501',
  'p_user_id must be your own user id: search_entries searches the caller''s entries only', 'p_user_id of another user is refused');
select throws_ok($$ select * from public.search_entries('[1, 0]') $$, '22023',
  'query_embedding has 2 dimensions: no enabled embedding model takes that many (the active model test-3d takes 3)',
  'a vector of the wrong dimensions is refused with a clear error');
select throws_ok($$ select * from public.search_entries('[1, 0, 0]', model => 'use-lite') $$, '22023',
  'query_embedding has 3 dimensions; model use-lite takes 512', 'a vector of another model''s size is refused');
select throws_ok($$ select * from public.search_entries('[1, 0, 0]', model => 'nope') $$, '22023',
  'model ''nope'' is not an embedding model', 'an unknown model is refused');
select throws_ok($$ select * from public.search_entries('[1, 0, 0]', 2) $$, '22023', null, 'a threshold above 1 is refused');
select throws_ok($$ select * from public.search_entries('[1, 0, 0]', 0.5, 0) $$, '22023', 'match_count must be between 1 and 200',
  'a count of 0 is refused');
select public.delete_entry((select id from t where k = 'a_shin'));
select is((select count(*)::integer from public.search_entries('[1, 0, 0]', -1, 10)), 2, 'a deleted entry is not found');
select public.restore_entry((select id from t where k = 'a_shin'));
reset role;
-- (restoring enqueued it again; its vector comes back with the worker)
insert into public.embeddings (source_table, source_id, model, user_id, content_hash, embedding, job_id)
values ('entries', (select id from t where k = 'a_shin'), 'test-3d', tests.get_user_id('alice'), repeat('0', 64), '[0.8, 0.5, 0]', 0);

select tests.authenticate_as_service_role();
select is((select count(*)::integer from public.search_entries('[1, 0, 0]', -1, 10, tests.get_user_id('bob'))), 1,
  'the service role searches the user it names');
select throws_ok($$ select * from public.search_entries('[1, 0, 0]', 0.5, 10, null) $$, '22023', null,
  'the service role must name the user');

-- ------------------------------------------------------------------ similar_entries
select tests.authenticate_as('alice');
select results_eq($$ select id from public.similar_entries((select id from t where k = 'a_knee')) $$,
  $$ values ((select id from t where k = 'a_shin')), ((select id from t where k = 'a_bread')) $$,
  'similar_entries: the caller''s other entries, nearest first');
select throws_ok($$ select * from public.similar_entries((select id from t where k = 'b_knee')) $$, 'PT404', 'entry not found',
  'another user''s entry is not found');
select is_empty($$ select * from public.similar_entries((select id from t where k = 'a_knee'), 10, 'use-lite') $$,
  'an entry without a vector of that model has no similar entries');

-- ------------------------------------------------------------------ match_document_chunks
select results_eq($$ select document_id, agent_id is null from public.match_document_chunks('[1, 0, 0]', 5) $$,
  $$ values ((select id from t where k = 'a_doc'), true) $$, 'match_document_chunks: the caller''s own documents');
select is((select count(*)::integer from public.match_document_chunks('[1, 0, 0]', 5,
  (select id from public.agents where name = 'conversational' and owner_id is null))), 2,
  'plus the knowledge of an agent the caller can use');
select is((select count(*)::integer from public.match_document_chunks('[1, 0, 0]', 5,
  (select id from public.agents where name = 'conversational' and owner_id is null)) where document_id = (select id from t where k = 'b_doc')), 0,
  'never another user''s document');
select throws_ok($$ select * from public.match_document_chunks('[1, 0, 0]', 5, gen_random_uuid()) $$, 'PT404', 'agent not found',
  'an unknown agent is not found');
select throws_ok($$ select * from public.match_document_chunks('[1, 0, 0, 0]') $$, '22023', null, 'wrong dimensions are refused');

-- ------------------------------------------------------------------ hybrid_search
select results_eq($$ select source, id, full_text_rank is not null, semantic_rank is not null
  from public.hybrid_search('knee', '[1, 0, 0]') order by score desc, source, id limit 1 $$,
  $$ values ('entries', (select id from t where k = 'a_knee'), true, true) $$,
  'hybrid_search: an entry found by text and by meaning comes first');
select is((select count(*)::integer from public.hybrid_search('knee', '[1, 0, 0]', match_count => 20)
  where id in (select id from t where k like 'b\_%')), 0, 'never another user''s entry, message or document');
select is((select array_agg(distinct source order by source) from public.hybrid_search('knee', '[1, 0, 0]', match_count => 20)),
  array['document_chunks', 'entries', 'messages'], 'entries, messages and document chunks are searched');
select ok((select bool_and(full_text_rank is null) from public.hybrid_search('knee', '[1, 0, 0]', match_count => 20)
  where id = (select id from t where k = 'a_shin')), 'a hit found by meaning only has no full-text rank');
select is((select snippet from public.hybrid_search('sourdough') where id = (select id from t where k = 'a_bread')),
  'Baked **sourdough** bread', 'without a vector, full text alone; the snippet marks the match');
select is((select title from public.hybrid_search('rest', '[1, 0, 0]', array['messages'])), 'Training',
  'a message''s title is its chat''s');
select is((select count(*)::integer from public.hybrid_search('knee', '[1, 0, 0]', array['entries'], 20) where source <> 'entries'), 0,
  'sources limit the search');
select throws_ok($$ select * from public.hybrid_search('knee', sources => array['entries', 'people']) $$, '22023',
  'sources[1] ''people'' is not a source: use entries, messages or document_chunks', 'an unknown source is refused');
select throws_ok($$ select * from public.hybrid_search('') $$, '22023', 'query_text must be 1 to 1000 characters',
  'an empty query is refused');
select throws_ok($$ select * from public.hybrid_search('knee', '[1, 0]') $$, '22023', null, 'a vector of the wrong size is refused');
-- a member of bob's chat finds its messages, by text and by meaning
reset role;
insert into public.chat_members (chat_id, user_id, role) values ((select id from t where k = 'b_chat'), tests.get_user_id('alice'), 'viewer');
select tests.authenticate_as('alice');
select results_eq($$ select full_text_rank is not null, semantic_rank is not null from public.hybrid_search('rehab', '[1, 0, 0]', array['messages'])
  where id = (select id from t where k = 'b_msg') $$, $$ values (true, true) $$,
  'a member of a chat finds its messages (full text and vectors)');

-- ------------------------------------------------------------------ the embeddings table
select is((select count(*)::integer from public.embeddings where user_id = tests.get_user_id('bob') and chat_id is null), 0,
  'a user reads none of another user''s vectors');
select tests.clear_authentication();
select throws_ok($$ select * from public.search_entries('[1, 0, 0]') $$, '42501', null, 'anon cannot search entries');
select throws_ok($$ select * from public.hybrid_search('knee') $$, '42501', null, 'nor hybrid search');

select * from finish();
rollback;
