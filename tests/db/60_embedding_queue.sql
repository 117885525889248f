-- embedding queue: the embedding texts and their hashes, the generic triggers (unchanged text
-- enqueues nothing, a burst of edits leaves one pending job, undoing an edit leaves none, linked
-- entities and titles re-enqueue, deletion drops vectors), claims with leases and skip locked, lease
-- expiry, completion keyed by the lease (lease lost, superseded), backoff, the dead state and
-- requeue, the status, wrong dimensions, and who may call what.
begin;
select plan(58);

-- a 3-dimensional test model, active; the seeded local model disabled so that jobs are this one's
select is((public.service_role_register_embedding_model('test-3d', 'openai', 'test-3d', 3)).name, 'test-3d',
  'a model registers (the postgres connection is trusted)');
select is((public.service_role_update_embedding_model('test-3d', active => true)).active, true, 'and is activated');
select is((public.service_role_update_embedding_model('use-lite', enabled => false)).enabled, false,
  'the local model is disabled');
select ok(exists (select 1 from pg_indexes where indexname = 'embeddings_test_3d_hnsw_idx'
  and indexdef like '%vector(3)%' and indexdef like '%WHERE (model = ''test-3d''::text)%'), 'with its own partial HNSW index');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.freeze_time('2026-03-01 12:00:00+00');

create temp table t (k text primary key, v text);
grant all on t to authenticated, service_role;
create function pg_temp.jobs(src text, sid uuid, st text default 'pending')
returns integer language sql as $$
  select count(*)::integer from private.embedding_jobs j where j.source_table = src and j.source_id = sid and j.state = st
$$;

-- ------------------------------------------------------------------ texts, hashes, triggers
select tests.authenticate_as('alice');
insert into t select 'entry', (public.upsert_entry(facets => array['note'], title => 'Run',
  body_markdown => 'Sore knee after a jog', entity_keys => '[{"type": "tag", "key": "health"},
  {"type": "person", "key": "sam", "display_name": "Sam"}, {"type": "context", "key": "park"}]')) ->> 'id';
reset role;
select is((select d.content from private.embedding_documents('entries', array[(select v::uuid from t where k = 'entry')]) d),
  E'Run\nSore knee after a jog\nTags: health\nContexts: park\nPeople: Sam',
  'an entry''s text: title, body, then Tags:, Contexts: and People: from its entities');
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 1, 'a new entry enqueues one job');
select is((select j.content_hash from private.embedding_jobs j where j.source_id = (select v::uuid from t where k = 'entry')),
  encode(sha256(convert_to(E'Run\nSore knee after a jog\nTags: health\nContexts: park\nPeople: Sam', 'UTF8')), 'hex'),
  'its hash is the SHA-256 of the text, links included (they were added after the entry row)');

select tests.authenticate_as('alice');
select public.upsert_entry(id => (select v::uuid from t where k = 'entry'), facets => array['note'], title => 'Run',
  body_markdown => 'Sore knee after a jog' || n) from generate_series(1, 5) n;
reset role;
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 1, 'a burst of edits leaves one pending job');

-- the worker embeds it
select tests.authenticate_as_service_role();
insert into t select 'claim', to_jsonb(c)::text from public.service_role_claim_embedding_jobs('test-3d') c;
select is((select (v::jsonb ->> 'content') from t where k = 'claim'),
  E'Run\nSore knee after a jog5\nTags: health\nContexts: park\nPeople: Sam', 'the claim carries the text as it is now');
select is((select count(*)::integer from public.service_role_complete_embedding_jobs(jsonb_build_array(jsonb_build_object(
  'job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'claim'),
  'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'claim'),
  'content_hash', (select v::jsonb ->> 'content_hash' from t where k = 'claim'),
  'embedding', '[1, 0, 0]'::jsonb, 'tokens', 12))) r where r.status = 'written'), 1, 'completion writes the vector');
reset role;
select results_eq($$ select e.user_id, e.embedding::text, e.content_hash from public.embeddings e
  where e.source_id = (select v::uuid from t where k = 'entry') $$,
  $$ select tests.get_user_id('alice'), '[1,0,0]',
    encode(sha256(convert_to(E'Run\nSore knee after a jog5\nTags: health\nContexts: park\nPeople: Sam', 'UTF8')), 'hex') $$,
  'the vector belongs to the entry''s owner, with the hash of the embedded text');
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry'), 'done'), 1, 'the job is done');
select results_eq($$ select u.user_id, u.quantity, u.model, u.billed, u.source_id from public.usage_events u
  where u.kind = 'embedding_tokens' and u.source_table = 'embedding_jobs' $$,
  $$ values (tests.get_user_id('alice'), 12::numeric, 'openai/test-3d', true,
    (select v::jsonb ->> 'job_id' from t where k = 'claim')) $$,
  'the provider''s tokens are the owner''s embedding_tokens usage, once for the job');

select tests.authenticate_as('alice');
select public.upsert_entry(id => (select v::uuid from t where k = 'entry'), facets => array['note'], title => 'Run',
  body_markdown => 'Sore knee after a jog5', status => 'done');
reset role;
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 0,
  'a change that leaves the text the same (a status) enqueues nothing');
update public.entries set body_markdown = 'Sore knee after a jog5' where id = (select v::uuid from t where k = 'entry');
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 0, 'nor does writing the same body again');
update public.entries set body_markdown = 'Something else' where id = (select v::uuid from t where k = 'entry');
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 1, 'a new body enqueues');
update public.entries set body_markdown = 'Sore knee after a jog5' where id = (select v::uuid from t where k = 'entry');
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 0,
  'undoing the edit leaves nothing to do: the vector has that text');

-- linked entities are part of the text
select tests.authenticate_as('alice');
select public.upsert_entities('[{"type": "person", "key": "sam", "display_name": "Samuel"}]');
reset role;
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 1, 'renaming a linked person re-enqueues the entry');
delete from private.embedding_jobs where source_id = (select v::uuid from t where k = 'entry') and state = 'pending';
select tests.authenticate_as('alice');
select public.upsert_entry(id => (select v::uuid from t where k = 'entry'), facets => array['note'], title => 'Run',
  body_markdown => 'Sore knee after a jog5', entity_keys => '[]');
reset role;
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 1, 'so does unlinking its entities');

-- deletion
select tests.authenticate_as('alice');
select public.delete_entry((select v::uuid from t where k = 'entry'));
reset role;
select is((select count(*)::integer from public.embeddings where source_id = (select v::uuid from t where k = 'entry')), 0,
  'a deleted entry loses its vector');
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 0, 'and its waiting job');
select tests.authenticate_as('alice');
select public.restore_entry((select v::uuid from t where k = 'entry'));
reset role;
select is(pg_temp.jobs('entries', (select v::uuid from t where k = 'entry')), 1, 'a restored entry is enqueued again');

-- the other sources
select tests.authenticate_as('alice');
insert into t select 'chat', (public.create_chat(title => 'Knees')).id;
insert into t select 'msg', (public.append_message((select v::uuid from t where k = 'chat'), 'user', 'My knee hurts')).id;
insert into t select 'sys', (public.append_message((select v::uuid from t where k = 'chat'), 'system', 'Be kind')).id;
insert into t select 'doc', public.ingest_document('Running guide', E'# Warm up\n\nStretch first.\n\n# Cool down\n\nWalk.') -> 'document' ->> 'id';
reset role;
select is((select d.content from private.embedding_documents('messages', array[(select v::uuid from t where k = 'msg')]) d),
  E'Knees\nMy knee hurts', 'a message''s text: its chat''s title, then the message');
select is(pg_temp.jobs('messages', (select v::uuid from t where k = 'msg')) + pg_temp.jobs('messages', (select v::uuid from t where k = 'sys')), 1,
  'a user''s message is enqueued, a system message is not');
select is((select count(*)::integer from private.embedding_jobs j join public.document_chunks c on c.id = j.source_id
  where c.document_id = (select v::uuid from t where k = 'doc') and j.state = 'pending'), 2, 'each chunk of a document is enqueued');
select is((select d.content from public.document_chunks c, private.embedding_documents('document_chunks', array[c.id]) d
  where c.document_id = (select v::uuid from t where k = 'doc') and c.chunk_index = 1),
  E'Running guide\nCool down\nWalk.', 'a chunk''s text: its document''s title, heading path, content');
update public.themes set description = description || ' Also hills.' where name = 'falling';
select is(pg_temp.jobs('themes', (select id from public.themes where name = 'falling')), 1, 'a theme''s new description is enqueued');
update public.chats set title = 'Knee pain' where id = (select v::uuid from t where k = 'chat');
select is((select j.content_hash from private.embedding_jobs j where j.source_id = (select v::uuid from t where k = 'msg') and j.state = 'pending'),
  encode(sha256(convert_to(E'Knee pain\nMy knee hurts', 'UTF8')), 'hex'), 'a chat''s new title updates its messages'' jobs');

-- ------------------------------------------------------------------ claims, leases, backoff, dead
delete from private.embedding_jobs;
insert into private.embedding_jobs (source_table, source_id, model) values ('messages', (select v::uuid from t where k = 'msg'), 'test-3d');
select tests.authenticate_as_service_role();
delete from t where k = 'claim';
insert into t select 'claim', to_jsonb(c)::text from public.service_role_claim_embedding_jobs('test-3d', lease_seconds => 60) c;
select is((select (v::jsonb ->> 'attempts')::integer from t where k = 'claim'), 1, 'a claim counts an attempt');
select is_empty($$ select * from public.service_role_claim_embedding_jobs('test-3d') $$, 'a running job is not claimed again');
select tests.freeze_time('2026-03-01 12:01:01+00');
select results_eq($$ select c.attempts, c.lease_token::text <> (select v::jsonb ->> 'lease_token' from t where k = 'claim')
  from public.service_role_claim_embedding_jobs('test-3d', lease_seconds => 60) c $$,
  $$ values (2, true) $$, 'once its lease expired it is claimable again, with a new lease token');
select results_eq($$ select status from public.service_role_complete_embedding_jobs(jsonb_build_array(jsonb_build_object(
  'job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'claim'),
  'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'claim'),
  'content_hash', (select v::jsonb ->> 'content_hash' from t where k = 'claim'), 'embedding', '[0, 1, 0]'::jsonb))) $$,
  $$ values ('lease_lost') $$, 'the first worker, whose lease expired, completes nothing');
reset role;
select is((select count(*)::integer from public.embeddings where source_id = (select v::uuid from t where k = 'msg')), 0,
  'and writes no vector');
select results_eq($$ select j.state, j.attempts from private.embedding_jobs j where j.source_id = (select v::uuid from t where k = 'msg') $$,
  $$ values ('running', 2) $$, 'the job stays with the second worker');

select tests.authenticate_as_service_role();
delete from t where k = 'claim';
select tests.freeze_time('2026-03-01 12:02:10+00');
insert into t select 'claim', to_jsonb(c)::text from public.service_role_claim_embedding_jobs('test-3d', lease_seconds => 60) c;
select results_eq($$ select status, available_at >= '2026-03-01 12:02:28+00' and available_at <= '2026-03-01 12:02:54+00'
  from public.service_role_fail_embedding_jobs(jsonb_build_array(jsonb_build_object(
  'job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'claim'),
  'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'claim'), 'error', 'provider 500', 'retryable', true))) $$,
  $$ values ('retry', true) $$, 'a failure of the third attempt waits 40 s (±10%) before the next');
select is_empty($$ select * from public.service_role_claim_embedding_jobs('test-3d') $$, 'it is not claimed during its backoff');
select tests.freeze_time('2026-03-01 12:03:00+00');
delete from t where k = 'claim';
insert into t select 'claim', to_jsonb(c)::text from public.service_role_claim_embedding_jobs('test-3d') c;
select is((select (v::jsonb ->> 'attempts')::integer from t where k = 'claim'), 4, 'after it, it is claimed again');
select results_eq($$ select status from public.service_role_fail_embedding_jobs(jsonb_build_array(jsonb_build_object(
  'job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'claim'),
  'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'claim'), 'error', 'expected 3 dimensions, got 2',
  'retryable', false))) $$, $$ values ('dead') $$, 'a failure that retrying cannot fix is dead at once');
reset role;
select results_eq($$ select state, last_error from private.embedding_jobs where source_id = (select v::uuid from t where k = 'msg') $$,
  $$ values ('dead', 'expected 3 dimensions, got 2') $$, 'with its last error');
select tests.authenticate_as_service_role();
select is(public.requeue_dead_embedding_jobs(), 1, 'requeue_dead_embedding_jobs puts it back');
reset role;
select results_eq($$ select state, attempts from private.embedding_jobs where source_id = (select v::uuid from t where k = 'msg') $$,
  $$ values ('pending', 0) $$, 'pending, attempts reset');
update private.embedding_jobs set attempts = 4 where source_id = (select v::uuid from t where k = 'msg');
select tests.authenticate_as_service_role();
delete from t where k = 'claim';
insert into t select 'claim', to_jsonb(c)::text from public.service_role_claim_embedding_jobs('test-3d') c;
select results_eq($$ select status from public.service_role_fail_embedding_jobs(jsonb_build_array(jsonb_build_object(
  'job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'claim'),
  'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'claim'), 'error', 'timeout'))) $$,
  $$ values ('dead') $$, 'after max_attempts (5) a retryable failure is dead too');

-- wrong dimensions are refused, nothing written
select public.requeue_dead_embedding_jobs();
delete from t where k = 'claim';
insert into t select 'claim', to_jsonb(c)::text from public.service_role_claim_embedding_jobs('test-3d') c;
select throws_ok(format($$ select * from public.service_role_complete_embedding_jobs('[{"job_id": %s, "lease_token": "%s",
  "content_hash": "%s", "embedding": [1, 2]}]') $$, (select v::jsonb ->> 'job_id' from t where k = 'claim'),
  (select v::jsonb ->> 'lease_token' from t where k = 'claim'), (select v::jsonb ->> 'content_hash' from t where k = 'claim')),
  '22023', 'results[0].embedding has 2 dimensions; its model takes 3', 'a vector of the wrong dimensions is refused, naming it');
select throws_ok($$ select * from public.service_role_complete_embedding_jobs('[{"job_id": "x"}]') $$, '22023', null,
  'a malformed result is refused');
select throws_ok(format($$ select * from public.service_role_complete_embedding_jobs('[{"job_id": %s, "lease_token": "%s",
  "content_hash": "%s", "embedding": [1, 2, 3], "tokens": -1}]') $$, (select v::jsonb ->> 'job_id' from t where k = 'claim'),
  (select v::jsonb ->> 'lease_token' from t where k = 'claim'), (select v::jsonb ->> 'content_hash' from t where k = 'claim')),
  '22023', 'results[0].tokens must be a whole number of tokens (0 to 99999999)', 'a negative token count is refused');

-- superseded: an older job finishing last does not overwrite a newer text's vector
reset role;
update public.messages set content = 'My knee hurts a lot' where id = (select v::uuid from t where k = 'msg');
select tests.authenticate_as_service_role();
insert into t select 'newer', to_jsonb(c)::text from public.service_role_claim_embedding_jobs('test-3d') c;
select results_eq($$ select status from public.service_role_complete_embedding_jobs(jsonb_build_array(
  jsonb_build_object('job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'newer'),
    'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'newer'),
    'content_hash', (select v::jsonb ->> 'content_hash' from t where k = 'newer'), 'embedding', '[0, 0, 1]'::jsonb))) $$,
  $$ values ('written') $$, 'the newer job writes its vector');
select results_eq($$ select status from public.service_role_complete_embedding_jobs(jsonb_build_array(
  jsonb_build_object('job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'claim'),
    'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'claim'),
    'content_hash', (select v::jsonb ->> 'content_hash' from t where k = 'claim'), 'embedding', '[0, 1, 0]'::jsonb))) $$,
  $$ values ('superseded') $$, 'the older one, finishing last, is superseded');
reset role;
select is((select embedding::text from public.embeddings where source_id = (select v::uuid from t where k = 'msg')), '[0,0,1]',
  'the vector is the newer text''s');
select tests.authenticate_as_service_role();
select results_eq($$ select status from public.service_role_complete_embedding_jobs(jsonb_build_array(
  jsonb_build_object('job_id', (select (v::jsonb ->> 'job_id')::bigint from t where k = 'newer'),
    'lease_token', (select v::jsonb ->> 'lease_token' from t where k = 'newer'),
    'content_hash', (select v::jsonb ->> 'content_hash' from t where k = 'newer'), 'embedding', '[1, 1, 1]'::jsonb))) $$,
  $$ values ('lease_lost') $$, 'completing a finished job again writes nothing (a retried call)');

-- the status
select ok((select (m -> 'jobs' ->> 'done')::integer >= 2 and m ? 'oldest_pending_seconds' and m ->> 'name' = 'test-3d'
  from jsonb_array_elements(public.get_embedding_status() -> 'models') m where m ->> 'name' = 'test-3d'),
  'get_embedding_status counts jobs by state per model');

-- ------------------------------------------------------------------ two models side by side
reset role;
select public.service_role_update_embedding_model('use-lite', enabled => true);
select tests.authenticate_as('alice');
insert into t select 'two', (public.upsert_entry(facets => array['note'], title => 'Two models')) ->> 'id';
reset role;
select is((select array_agg(model order by model) from private.embedding_jobs where source_id = (select v::uuid from t where k = 'two')),
  array['test-3d', 'use-lite'], 'with two models enabled, a new entry gets a job for each');
select tests.authenticate_as_service_role();
select count(*) from public.service_role_complete_embedding_jobs((
  select jsonb_agg(jsonb_build_object('job_id', c.job_id, 'lease_token', c.lease_token, 'content_hash', c.content_hash,
    'embedding', case when c.model = 'test-3d' then '[0, 1, 1]'::jsonb else to_jsonb(array_fill(0.5, array[512])) end))
  from (select * from public.service_role_claim_embedding_jobs('test-3d') union all
        select * from public.service_role_claim_embedding_jobs('use-lite')) c));
select results_eq($$ select model, extensions.vector_dims(embedding) from public.embeddings
  where source_id = (select v::uuid from t where k = 'two') order by model $$,
  $$ values ('test-3d', 3), ('use-lite', 512) $$, 'and holds a vector of each model, side by side');

-- ------------------------------------------------------------------ who may call what
select tests.authenticate_as('alice');
select throws_ok($$ select * from public.service_role_claim_embedding_jobs('test-3d') $$, '42501', null,
  'a user cannot claim jobs');
select throws_ok($$ select public.get_embedding_status() $$, '42501', null, 'nor read the status');
select throws_ok($$ select public.requeue_dead_embedding_jobs() $$, '42501', null, 'nor requeue');
select throws_ok($$ select public.service_role_register_embedding_model('x', 'openai', 'x', 3) $$, '42501', null,
  'nor register models');
select throws_ok($$ select count(*) from private.embedding_jobs $$, '42501', null, 'nor read the queue');
select tests.clear_authentication();
select throws_ok($$ select * from public.service_role_complete_embedding_jobs('[]') $$, '42501', null, 'anon neither');

select * from finish();
rollback;
