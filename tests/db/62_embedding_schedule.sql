-- embedding models and the schedule: the seeded registry, registering (index, idempotency, bad
-- input), activating; the backfill (content with no current vector, in steps, passes), the worker
-- woken through net.http_post with the URL and key from Vault, the scheduled job; the local net and
-- vault stand-ins have pg_net's and Vault's signatures.
begin;
select plan(30);

-- ------------------------------------------------------------------ the registry
select results_eq($$ select name, provider, dimensions, enabled, active from public.embedding_models order by name $$,
  $$ values ('gte-small', 'supabase-ai', 384, false, false), ('text-embedding-3-small', 'openai', 1536, false, false),
    ('use-lite', 'local', 512, true, true) $$, 'three seeded models; the local one is enabled and active');
select ok((select count(*) = 3 from pg_indexes where tablename = 'embeddings' and indexname like 'embeddings\_%\_hnsw\_idx'),
  'each seeded model has its HNSW index');
select tests.create_user('alice');
select tests.authenticate_as('alice');
select results_eq($$ select name from public.get_embedding_models() limit 1 $$, $$ values ('use-lite') $$,
  'get_embedding_models: the active model first');
select tests.clear_authentication();
select throws_ok($$ select * from public.get_embedding_models() $$, '42501', null, 'anon cannot list models');
select tests.authenticate_as_service_role();
select throws_ok($$ select public.service_role_register_embedding_model('big', 'openai', 'text-embedding-3-large', 3072) $$, '22023',
  'dimensions must be between 1 and 2000 (the most an HNSW index of vectors takes)', 'more than 2000 dimensions are refused');
select throws_ok($$ select public.service_role_register_embedding_model('Bad Name', 'openai', 'x', 8) $$, '22023', null,
  'a bad name is refused');
select throws_ok($$ select public.service_role_register_embedding_model('x', 'cohere', 'x', 8) $$, '22023',
  'provider must be openai, supabase-ai or local', 'an unknown provider is refused');
select is((public.service_role_register_embedding_model('bge-m3', 'openai', 'bge-m3', 1024, batch_size => 16)).batch_size, 16,
  'the service role registers a model');
select is((public.service_role_register_embedding_model('bge-m3', 'openai', 'bge-m3', 1024, batch_size => 32)).batch_size, 32,
  'registering it again updates its settings');
select throws_ok($$ select public.service_role_register_embedding_model('bge-m3', 'openai', 'bge-m3', 768) $$, 'PT409', null,
  'the same name with other dimensions is refused');
select throws_ok($$ select public.service_role_update_embedding_model('use-lite', active => false) $$, '22023', null,
  'the active model cannot be deactivated without another');
select throws_ok($$ select public.service_role_update_embedding_model('use-lite', enabled => false) $$, '22023', null,
  'nor disabled');
select is((public.service_role_update_embedding_model('bge-m3', active => true)).enabled, true, 'activating a model enables it');
select results_eq($$ select name from public.embedding_models where active $$, $$ values ('bge-m3') $$, 'one active model');
select public.service_role_update_embedding_model('use-lite', active => true);
select public.service_role_update_embedding_model('bge-m3', enabled => false);
reset role;

-- ------------------------------------------------------------------ backfill
select tests.authenticate_as('alice');
select public.upsert_entry(facets => array['note'], title => 'Entry ' || n) from generate_series(1, 5) n;
reset role;
-- as if they had been written before the pipeline existed
delete from private.embedding_jobs;
insert into public.embeddings (source_table, source_id, model, user_id, content_hash, embedding, job_id)
select 'entries', e.id, 'use-lite', e.user_id, private.embedding_hash(d.content), array_fill(0.1, array[512])::extensions.vector, 0
from public.entries e cross join lateral private.embedding_documents('entries', array[e.id]) d
where e.title = 'Entry 1';
select tests.freeze_time('2026-03-01 12:00:00+00');
select is(private.backfill_embeddings(2) ->> 'complete', 'false', 'a backfill step sweeps a bounded number of rows per source');
select is((select count(*)::integer from private.embedding_jobs where source_table = 'themes'), 2,
  'themes written before the triggers existed are found');
select is(private.backfill_embeddings(1000) ->> 'complete', 'true', 'further steps finish the pass');
select is((select count(*)::integer from private.embedding_jobs where source_table = 'entries'), 4,
  'entries without a current vector are enqueued, the one with a current vector is not');
select is((select count(*)::integer from private.embedding_jobs where source_table = 'themes'), (select count(*)::integer from public.themes),
  'every theme is enqueued');
delete from private.embedding_jobs;
select is((private.backfill_embeddings(1000) ->> 'enqueued')::integer, 0, 'a finished pass is not repeated within a day');
select tests.freeze_time('2026-03-02 12:00:01+00');
select ok((private.backfill_embeddings(1000) ->> 'enqueued')::integer > 0, 'a day later a new pass starts');
delete from private.embedding_jobs;
select tests.authenticate_as_service_role();
select ok((public.service_role_backfill_embeddings(100000, true) ->> 'enqueued')::integer > 0,
  'service_role_backfill_embeddings(restart) sweeps everything now');
reset role;

-- ------------------------------------------------------------------ waking the worker
delete from vault.secrets where name in ('project_url', 'service_role_key');
select is(private.wake_embedding_worker(), null, 'without the Vault secrets nothing is sent');
select vault.create_secret('http://127.0.0.1:54321/', 'project_url');
select vault.create_secret('service-key', 'service_role_key');
select ok(private.wake_embedding_worker() is not null, 'with them, claimable jobs wake the worker');
select results_eq($$ select method, url, headers ->> 'Authorization', convert_from(body, 'UTF8')::jsonb
  from net.http_request_queue order by id desc limit 1 $$,
  $$ values ('POST', 'http://127.0.0.1:54321/functions/v1/embed', 'Bearer service-key', '{}'::jsonb) $$,
  'net.http_post to the embed function with the service key, read from Vault');
delete from private.embedding_jobs;
select is(private.wake_embedding_worker(), null, 'nothing claimable: nothing sent');
select ok((select count(*) = 1 from private.scheduled_jobs where name = 'parley-embeddings' and schedule = '10 seconds'
  and command = 'select private.run_embedding_schedule()'), 'the schedule runs every 10 seconds');

-- ------------------------------------------------------------------ the local stand-ins
select function_returns('net', 'http_post', array['text', 'jsonb', 'jsonb', 'jsonb', 'integer'], 'bigint',
  'net.http_post(url, body, params, headers, timeout_milliseconds) returns a request id, as pg_net''s');
select is((select (net._http_collect_response(net.http_get('http://127.0.0.1:1/x', '{"a": "b c"}'))).status::text), 'PENDING',
  'a request is pending until the worker performs it');
select is((select url from net.http_request_queue order by id desc limit 1), 'http://127.0.0.1:1/x?a=b%20c',
  'params are appended to the URL, encoded');

select * from finish();
rollback;
