-- Journal realtime: entry and dream changes (details, images, interpretation versions) are
-- broadcast on the private topic user:<user_id>, without the entry's body; only that user may
-- receive them; entries, dream_details and dream_images are in the supabase_realtime publication.
begin;
select plan(17);

select ok((select count(*) = 3 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public'
  and tablename in ('entries', 'dream_details', 'dream_images')), 'entries and dreams are in the supabase_realtime publication');
select is_definer('private', 'broadcast_user_change', 'broadcasting runs as definer');

select tests.create_user('alice');
select tests.create_user('bob');
select set_config('t.topic', 'user:' || tests.get_user_id('alice'), true);
select tests.authenticate_as('alice');
select set_config('t.e', (public.upsert_entry(facets => array['note'], title => 'Live', body_markdown => 'secret body')) ->> 'id', true);
select public.upsert_entry(id => current_setting('t.e')::uuid, facets => array['note'], title => 'Live!', body_markdown => 'secret body');
-- a replay writes nothing, so it broadcasts nothing
select public.upsert_entry(id => current_setting('t.e')::uuid, facets => array['note'], title => 'Live!', body_markdown => 'secret body');
select set_config('t.d', (public.create_dream(content => 'Flying', audio_path => 'audio/' || tests.get_user_id('alice') || '/f.m4a')) ->> 'id', true);
select public.save_interpretation(current_setting('t.d')::uuid, (select id from public.agents where name = 'jungian_interpreter'), 'Freedom.');
select tests.authenticate_as_service_role();
select public.set_dream_transcription(current_setting('t.d')::uuid, 'processing');

reset role;
create temp view user_broadcasts as
  select event, payload ->> 'table' as tbl, payload -> 'record' as record, payload -> 'old_record' as old_record, private
  from realtime.messages where topic = current_setting('t.topic') and extension = 'broadcast';
grant select on user_broadcasts to public;
select results_eq($$ select event, record ->> 'title' from user_broadcasts where tbl = 'entries' and record ->> 'id' = current_setting('t.e')
  order by record ->> 'updated_at', event $$, $$ values ('INSERT', 'Live'), ('UPDATE', 'Live!') $$,
  'an entry''s insert and update are broadcast on user:<id>; a replay is not');
select ok((select bool_and(not (record ? 'body_markdown') and (record -> 'body_length')::int = 11) from user_broadcasts where tbl = 'entries'
  and record ->> 'id' = current_setting('t.e')), 'without the body, with its length');
select is((select old_record ->> 'title' from user_broadcasts where tbl = 'entries' and event = 'UPDATE'
  and record ->> 'id' = current_setting('t.e')), 'Live', 'an update carries the old row');
select ok((select bool_and(private) from user_broadcasts), 'on a private channel');
select is((select count(*)::int from user_broadcasts where tbl = 'dream_details'), 2, 'the dream''s details: created, then its transcription');
select is((select record ->> 'version_number' from user_broadcasts where tbl = 'artifact_versions'), '1',
  'a new interpretation version is broadcast to the dreamer');
select is((select count(*)::int from realtime.messages where topic like 'chat:%'), 0, 'entry artifacts have no chat topic');

-- who receives user:<id>
select tests.authenticate_as('alice');
select set_config('realtime.topic', current_setting('t.topic'), true);
select ok((select count(*) > 0 from realtime.messages), 'alice receives her topic');
select is((select count(*)::int from realtime.messages where topic <> current_setting('t.topic')), 0, 'and only it');
select tests.authenticate_as('bob');
select set_config('realtime.topic', current_setting('t.topic'), true);
select is((select count(*)::int from realtime.messages), 0, 'bob receives nothing on alice''s topic');
select set_config('realtime.topic', 'user:' || tests.get_user_id('bob'), true);
select is((select count(*)::int from realtime.messages where topic = current_setting('t.topic')), 0,
  'nor through his own topic');
select set_config('realtime.topic', 'user:' || upper(tests.get_user_id('alice')::text), true);
select is((select count(*)::int from realtime.messages), 0, 'nor with another spelling of her id');
select tests.clear_authentication();
select set_config('realtime.topic', current_setting('t.topic'), true);
select is((select count(*)::int from realtime.messages), 0, 'anon receives nothing');
select tests.authenticate_as_service_role();
select ok((select count(*) > 0 from realtime.messages where topic = current_setting('t.topic')), 'the service role reads everything');

-- bob's own changes go to his own topic only
select tests.authenticate_as('bob');
select public.upsert_entry(facets => array['note'], title => 'Bob''s');
reset role;
select is((select count(*)::int from user_broadcasts where record ->> 'title' = 'Bob''s'), 0, 'bob''s entry is not on alice''s topic');

select * from finish();
rollback;
