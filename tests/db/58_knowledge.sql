-- knowledge: chunking (headings and paragraphs, heading paths, bounded size, overlap, code
-- fences), ingest_document (idempotent by content, replaced by source URL), a user's document is
-- private, an agent's knowledge (service role) is read by every user; list_documents,
-- delete_document; owner, stranger, anon, service role.
begin;
select plan(34);

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.documents'::regclass,
  'public.document_chunks'::regclass)), 'knowledge tables have RLS');
select policies_are('public', 'documents', array['documents_select_own_or_agent', 'documents_insert_own', 'documents_update_own',
  'documents_delete_own']);
select hasnt_column('public', 'document_chunks', 'embedding', 'no vectors here: they are in public.embeddings');
select function_privs_are('public', 'ingest_document', array['text', 'text', 'text', 'uuid', 'jsonb'], 'anon', array[]::text[],
  'anon cannot ingest');

-- ------------------------------------------------------------------ chunking
create temp table md (doc text);
insert into md values (E'# Guide\n\nIntro paragraph.\n\n## Setup\n\nInstall it.\n\n```sh\n# not a heading\nnpm install\n```\n\n### Linux\n\nUse apt.\n\n## Usage\n\nRun it. ##\n');
select results_eq($$ select chunk_index, heading_path, content from private.chunk_markdown((select doc from md)) $$,
  $$ values (0, array['Guide'], 'Intro paragraph.'), (1, array['Guide', 'Setup'], E'Install it.\n\n```sh\n# not a heading\nnpm install\n```'),
    (2, array['Guide', 'Setup', 'Linux'], 'Use apt.'), (3, array['Guide', 'Usage'], 'Run it. ##') $$,
  'chunks follow headings (a # inside a code fence is code), each with its heading path');
truncate md;
insert into md select string_agg(format('Paragraph %s: %s', i, repeat('word ', 40)), E'\n\n') from generate_series(1, 30) i;
select ok((select bool_and(char_length(content) <= 1200) from private.chunk_markdown((select doc from md))), 'chunks are at most 1,200 characters');
select ok((select count(*) between 5 and 12 from private.chunk_markdown((select doc from md))), 'paragraphs are packed together');
select ok((select bool_and(position(right(a.content, 40) in b.content) > 0) from private.chunk_markdown((select doc from md)) a
  join private.chunk_markdown((select doc from md)) b on b.chunk_index = a.chunk_index + 1),
  'each chunk repeats the end of the previous one (overlap)');
truncate md;
insert into md values (repeat('longword ', 600));
select ok((select bool_and(char_length(content) <= 1200) and count(*) >= 5 from private.chunk_markdown((select doc from md))),
  'a paragraph longer than a chunk is cut at words');
select ok((select bool_and(content ~ '^longword') from private.chunk_markdown((select doc from md))), 'never inside a word');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');

-- ------------------------------------------------------------------ ingest_document
select set_config('t.r', public.ingest_document('Sleep notes', E'# Sleep\n\nDreams happen in REM sleep.\n\n## Lucid dreams\n\nReality checks help.',
  metadata => '{"lang": "en"}')::text, true);
select results_eq($$ select r -> 'created', (r -> 'document' -> 'chunk_count')::int, r -> 'document' ? 'content_markdown',
  r -> 'chunks' -> 1 -> 'heading_path' from (select current_setting('t.r')::jsonb r) x $$,
  $$ values ('true'::jsonb, 2, false, '["Sleep", "Lucid dreams"]'::jsonb) $$,
  'ingest_document stores the document and returns it without content, with its chunks');
select set_config('t.doc', current_setting('t.r')::jsonb -> 'document' ->> 'id', true);
select set_config('t.ctid', (select string_agg(ctid::text, ',') from public.document_chunks), true);
select results_eq($$ select r -> 'created', r -> 'changed', r -> 'document' ->> 'id' from public.ingest_document('Sleep notes',
  E'# Sleep\n\nDreams happen in REM sleep.\n\n## Lucid dreams\n\nReality checks help.', metadata => '{"lang": "en"}') r $$,
  format($$ values ('false'::jsonb, 'false'::jsonb, %L) $$, current_setting('t.doc')), 'the same content again: the same document');
select is((select string_agg(ctid::text, ',') from public.document_chunks), current_setting('t.ctid'), 'and nothing written');
select is((select count(*)::int from public.documents), 1, 'one document');
-- a source URL: new content replaces the chunks
select set_config('t.url', (public.ingest_document('Guide', E'# A\n\nOne.', source_url => 'https://example.com/guide')) -> 'document' ->> 'id', true);
select results_eq($$ select r -> 'created', r -> 'changed', r -> 'document' ->> 'id', jsonb_array_length(r -> 'chunks')
  from public.ingest_document('Guide v2', E'# A\n\nOne.\n\n# B\n\nTwo.', source_url => 'https://example.com/guide') r $$,
  format($$ values ('false'::jsonb, 'true'::jsonb, %L, 2) $$, current_setting('t.url')),
  'new content at a known source URL replaces the document''s chunks');
select is((select count(*)::int from public.document_chunks where document_id = current_setting('t.url')::uuid), 2, 'the old chunks are gone');
select throws_ok($$ select public.ingest_document('x', '   ') $$, '22023', 'content_markdown is required', 'content is required');
select throws_ok($$ select public.ingest_document('x', 'y', source_url => 'ftp://x') $$, '22023',
  'source_url must be an http(s) URL of at most 2048 characters', 'a bad URL');
select throws_ok($$ select public.ingest_document('x', repeat('y', 2000001)) $$, '22023',
  'content_markdown must be at most 2,000,000 characters', 'too long');
select throws_ok(format($$ select public.ingest_document('x', 'y', agent_id => %L) $$,
  (select id from public.agents where name = 'jungian_interpreter')), '42501', 'only the service role writes an agent''s knowledge',
  'a user cannot write an agent''s knowledge');
select is((select count(*)::int from public.documents), 2, 'refused documents wrote nothing');

-- ------------------------------------------------------------------ agent knowledge
select tests.authenticate_as_service_role();
select set_config('t.jung_doc', (public.ingest_document('Archetypes', E'# Archetypes\n\nThe shadow is what we do not see in ourselves.',
  agent_id => (select id from public.agents where name = 'jungian_interpreter'))) -> 'document' ->> 'id', true);
select throws_ok($$ select public.ingest_document('x', 'y') $$, '22023', 'agent_id is required: the service role writes agents'' knowledge',
  'the service role writes only agents'' knowledge');
select tests.authenticate_as('bob');
select is((select count(*)::int from public.document_chunks where document_id = current_setting('t.jung_doc')::uuid), 1,
  'every user reads a built-in agent''s knowledge');
select is(jsonb_array_length(public.list_documents((select id from public.agents where name = 'jungian_interpreter'))), 1,
  'list_documents(agent_id) lists it');
select is_empty(format($$ select * from public.documents where id = %L $$, current_setting('t.doc')), 'bob cannot read alice''s document');
select is_empty(format($$ select * from public.document_chunks where document_id = %L $$, current_setting('t.doc')), 'nor its chunks');
select is(public.list_documents(), '[]'::jsonb, 'his own list is empty');
select throws_ok(format($$ select public.delete_document(%L) $$, current_setting('t.doc')), 'PT404', 'document not found',
  'he cannot delete her document');
select throws_ok(format($$ select public.delete_document(%L) $$, current_setting('t.jung_doc')), 'PT404', 'document not found',
  'nor an agent''s');

select tests.authenticate_as('alice');
select is(jsonb_array_length(public.list_documents()), 2, 'alice lists her two documents');
select ok(public.delete_document(current_setting('t.doc')::uuid), 'and deletes one');
select is((select count(*)::int from public.document_chunks where document_id = current_setting('t.doc')::uuid), 0, 'with its chunks');

select tests.clear_authentication();
select throws_ok($$ select * from public.document_chunks $$, '42501', null, 'anon reads no knowledge');
select tests.authenticate_as_service_role();
select ok(public.delete_document(current_setting('t.jung_doc')::uuid), 'the service role deletes an agent''s document');

select * from finish();
rollback;
