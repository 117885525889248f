-- dreams: create_dream (details, audio, replays), update_dream, set_dream_transcription (service
-- role only, in order), dream images, the themes catalogue and set_entry_themes (confidence 0..1),
-- interpretations (one versioned artifact per entry and interpreter, by the user or the service
-- role), chats about an entry (create_chat(entry_id)), get_entry of a dream; owner, stranger,
-- anon, service role.
begin;
select plan(68);

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.dream_details'::regclass,
  'public.dream_images'::regclass, 'public.themes'::regclass, 'public.entry_themes'::regclass,
  'public.entry_interpretations'::regclass)), 'dream tables have RLS');
select policies_are('public', 'themes', array['themes_select_everyone']);
select policies_are('public', 'dream_details', array['dream_details_select_own', 'dream_details_insert_own',
  'dream_details_update_own']);
select function_privs_are('public', 'set_dream_transcription', array['uuid', 'text', 'text', 'text'], 'authenticated',
  array[]::text[], 'users cannot move transcriptions');
select function_privs_are('public', 'set_dream_transcription', array['uuid', 'text', 'text', 'text'], 'service_role',
  array['EXECUTE'], 'the service role can');
select function_privs_are('public', 'create_dream', array['text', 'text', 'date', 'text', 'text', 'boolean', 'text'], 'anon',
  array[]::text[], 'anon cannot record dreams');
select ok((select count(*) >= 30 from public.themes), 'the theme catalogue is seeded');
select ok((select bool_and(description <> '') from public.themes), 'every theme has a description');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select public.update_my_profile(timezone => 'Europe/Paris');
select tests.freeze_time('2026-03-10 06:30+00');

-- ------------------------------------------------------------------ create_dream
select set_config('t.d', (public.create_dream(title => 'The flooded house', content => 'Water rose through every room.',
  audio_path => 'audio/' || tests.get_user_id('alice') || '/2026-03-10.m4a', client_id => 'somni-1', mood => 'anxious')) ->> 'id', true);
select results_eq(format($$ select r -> 'facets', r ->> 'title', r ->> 'body_markdown', r -> 'dream' ->> 'dreamt_on',
  r -> 'dream' ->> 'transcription_status', (r -> 'dream' ->> 'lucid')::boolean, r -> 'dream' ->> 'mood', r -> 'images',
  r -> 'interpretations' from public.get_entry(%L) r $$, current_setting('t.d')),
  $$ values ('["dream"]'::jsonb, 'The flooded house', 'Water rose through every room.', '2026-03-10', 'pending', false, 'anxious',
    '[]'::jsonb, '[]'::jsonb) $$,
  'create_dream: a dream entry with its details; audio makes the transcription pending');
select is(public.create_dream(title => 'other', client_id => 'somni-1') ->> 'id', current_setting('t.d'),
  'a replay by client id returns the same dream');
select is((select count(*)::int from public.dream_details), 1, 'and writes nothing');
select set_config('t.old', (public.create_dream(content => 'A quiet train.', dreamt_on => '2026-03-01', lucid => true)) ->> 'id', true);
select results_eq(format($$ select occurred_at, (select transcription_status from public.dream_details where entry_id = e.id)
  from public.entries e where id = %L $$, current_setting('t.old')),
  $$ values ('2026-03-01 06:00+00'::timestamptz, null::text) $$,
  'an earlier night is placed at 07:00 local that morning; no audio, no transcription');
select throws_ok($$ select public.create_dream(content => 'x', audio_path => 'audio/someone-else/x.m4a') $$, '22023',
  'audio_path must be a Storage path in your folder: <bucket>/<your user id>/<name>', 'audio must be in the user''s folder');
select throws_ok($$ select public.create_dream(content => 'x', dreamt_on => '2026-03-11') $$, '22023',
  'dreamt_on 2026-03-11 is in the future: today is 2026-03-10 in Europe/Paris', 'a future night');
select throws_ok($$ select public.create_dream(content => 'x', mood => 'Very Sad') $$, '22023',
  'mood must be lowercase snake_case of 1 to 40 characters (e.g. anxious)', 'a bad mood');
select is((select count(*)::int from public.dream_details), 2, 'refused dreams wrote nothing');
select is((public.update_dream(current_setting('t.d')::uuid, lucid => true, mood => '')) -> 'dream' ->> 'mood', null,
  'update_dream changes details ('''' clears the mood)');

-- ------------------------------------------------------------------ transcription: service role only, in order
select throws_ok(format($$ select public.set_dream_transcription(%L, 'done', 'text') $$, current_setting('t.d')), '42501', null,
  'the dreamer cannot set the transcription');
select throws_ok(format($$ update public.dream_details set transcription_status = 'done' where entry_id = %L $$,
  current_setting('t.d')), '42501', null, 'nor write its status directly');
select tests.authenticate_as_service_role();
select throws_ok(format($$ select public.set_dream_transcription(%L, 'done', 'text') $$, current_setting('t.d')), '22023',
  'status cannot go from pending to done', 'pending cannot jump to done');
select is((public.set_dream_transcription(current_setting('t.d')::uuid, 'processing')).transcription_status, 'processing',
  'pending → processing');
select throws_ok(format($$ select public.set_dream_transcription(%L, 'done') $$, current_setting('t.d')), '22023',
  'transcript is required when status is done', 'done needs the transcript');
select is((public.set_dream_transcription(current_setting('t.d')::uuid, 'failed', error => 'decoder')).transcription_error, 'decoder',
  'processing → failed keeps the error');
select is((public.set_dream_transcription(current_setting('t.d')::uuid, 'processing')).transcription_error, null,
  'failed → processing retries');
select is((public.set_dream_transcription(current_setting('t.d')::uuid, 'done', 'I was in my house and water rose.')).transcript,
  'I was in my house and water rose.', 'processing → done with the transcript');
select set_config('t.ctid', (select ctid::text from public.dream_details where entry_id = current_setting('t.d')::uuid), true);
select is((public.set_dream_transcription(current_setting('t.d')::uuid, 'done', 'I was in my house and water rose.')).transcription_status,
  'done', 'the same call again is a replay');
select is((select ctid::text from public.dream_details where entry_id = current_setting('t.d')::uuid), current_setting('t.ctid'),
  'and writes nothing');
select is((select body_markdown::text from public.entries where id = current_setting('t.d')::uuid), 'Water rose through every room.',
  'a dream with text keeps its text');
select tests.authenticate_as('alice');
select is(public.create_dream(audio_path => 'audio/' || tests.get_user_id('alice') || '/b.m4a') ->> 'body_markdown', null,
  'a dream recorded by voice only has no text yet');
select tests.authenticate_as_service_role();
select public.set_dream_transcription(entry_id, 'processing') from public.dream_details where audio_path like '%/b.m4a';
select public.set_dream_transcription(entry_id, 'done', 'Flying over the city.') from public.dream_details where audio_path like '%/b.m4a';
select is((select e.body_markdown::text from public.entries e join public.dream_details d on d.entry_id = e.id where d.audio_path like '%/b.m4a'),
  'Flying over the city.', 'its transcript becomes its text');
select throws_ok($$ select public.set_dream_transcription(gen_random_uuid(), 'processing') $$, 'PT404', 'dream recording not found',
  'an unknown dream');

-- ------------------------------------------------------------------ images
select tests.authenticate_as('alice');
select set_config('t.img', (public.request_dream_image(current_setting('t.d')::uuid, 'A house full of water, watercolour')).id::text, true);
select throws_ok(format($$ select public.set_dream_image(%L, 'done', 'dream-images/x/y.png') $$, current_setting('t.img')), '42501', null,
  'the dreamer cannot complete an image');
select tests.authenticate_as_service_role();
select is((public.set_dream_image(current_setting('t.img')::uuid, 'generating')).status, 'generating', 'the worker starts it');
select throws_ok(format($$ select public.set_dream_image(%L, 'done', 'dream-images/someone/y.png') $$, current_setting('t.img')), '22023',
  'storage_path must be a Storage path in your folder: <bucket>/<your user id>/<name>', 'an image goes in the owner''s folder');
select is((public.set_dream_image(current_setting('t.img')::uuid, 'done',
  'dream-images/' || tests.get_user_id('alice') || '/flood.png')).status, 'done', 'and completes it');

-- ------------------------------------------------------------------ themes
select tests.authenticate_as('alice');
select is((select count(*)::int from public.list_themes()), (select count(*)::int from public.themes), 'list_themes lists the catalogue');
select results_eq(format($$ select r -> 'changed', jsonb_array_length(r -> 'themes') from public.set_entry_themes(%L,
  '[{"theme": "water", "confidence": 0.9}, {"theme": "House", "confidence": 0.6}]') r $$, current_setting('t.d')),
  $$ values ('true'::jsonb, 2) $$, 'set_entry_themes sets themes (names case-insensitively)');
select is((public.set_entry_themes(current_setting('t.d')::uuid, '[{"theme": "water", "confidence": 0.9}]')) -> 'changed', 'false'::jsonb,
  'the same again changes nothing');
select is(jsonb_array_length(public.set_entry_themes(current_setting('t.d')::uuid, '[{"theme": "water", "confidence": 0.8}]', true) -> 'themes'),
  1, 'replace removes the themes not listed');
select throws_ok(format($$ select public.set_entry_themes(%L, '[{"theme": "falling", "confidence": 1.5}]') $$, current_setting('t.d')),
  '22023', 'themes[0].confidence must be a number from 0 to 1', 'confidence 1.5');
select throws_ok(format($$ select public.set_entry_themes(%L, '[{"theme": "water", "confidence": 0.5}, {"theme": "unicorns", "confidence": 0.5}]') $$,
  current_setting('t.d')), '22023', 'themes[1].theme ''unicorns'' is not a theme', 'an unknown theme');
select results_eq(format($$ select x.theme, (x.confidence)::numeric from public.get_entry(%L) r,
  jsonb_to_recordset(r -> 'themes') x(theme text, confidence numeric) $$, current_setting('t.d')),
  $$ values ('water', 0.8) $$, 'refused calls changed nothing; get_entry shows the themes');

-- ------------------------------------------------------------------ interpretations
select set_config('t.jung', (select id::text from public.agents where name = 'jungian_interpreter'), true);
select set_config('t.freud', (select id::text from public.agents where name = 'freudian_interpreter'), true);
select set_config('t.i1', public.save_interpretation(current_setting('t.d')::uuid, current_setting('t.jung')::uuid,
  'Water is the unconscious rising.')::text, true);
select results_eq($$ select r -> 'created', r -> 'artifact' ->> 'type', r -> 'artifact' ->> 'title', (r -> 'artifact' ->> 'entry_id'),
  (r -> 'artifact' ->> 'chat_id'), (r -> 'version' -> 'version_number')::int, r -> 'version' ->> 'change_summary'
  from (select current_setting('t.i1')::jsonb r) x $$,
  format($$ values ('true'::jsonb, 'interpretation', 'Jungian interpreter interpretation', %L, null::text, 1, 'Created') $$,
    current_setting('t.d')),
  'save_interpretation: an interpretation artifact linked to the entry, version 1');
select set_config('t.art', current_setting('t.i1')::jsonb -> 'artifact' ->> 'id', true);
select is((public.save_interpretation(current_setting('t.d')::uuid, current_setting('t.jung')::uuid,
  'Water is the unconscious rising; the house is the self.', change_summary => 'Deeper', expected_version => 1)) -> 'version' -> 'version_number',
  '2'::jsonb, 'the same interpreter again adds a version to its artifact');
select is((public.save_interpretation(current_setting('t.d')::uuid, current_setting('t.jung')::uuid,
  'Water is the unconscious rising; the house is the self.')) -> 'created', 'false'::jsonb, 'the same text again writes nothing');
select throws_ok(format($$ select public.save_interpretation(%L, %L, 'stale', expected_version => 1) $$, current_setting('t.d'),
  current_setting('t.jung')), 'PT409', 'artifact has changed: expected version 1 but the current version is 2', 'a stale version');
select is((public.add_artifact_version(current_setting('t.art')::uuid, 'Edited by hand.')) -> 'version' -> 'version_number', '3'::jsonb,
  'the owner may version it with the artifact RPCs too');
select is((select count(*)::int from public.list_artifact_versions(current_setting('t.art')::uuid)), 3, 'its history');
select throws_ok(format($$ select public.save_interpretation(%L, (select id from public.agents where name = 'conversational'), 'x') $$,
  current_setting('t.d')), '22023', 'agent_id is not an interpreter agent you can use', 'only interpreters interpret');
select throws_ok(format($$ select public.save_interpretation(%L, %L) $$, current_setting('t.d'), current_setting('t.jung')), '22023',
  'content, content_json or file_path is required', 'an interpretation needs content');
-- the service role writes for an interpreter (the interpret function)
select tests.authenticate_as_service_role();
select is((public.save_interpretation(current_setting('t.d')::uuid, current_setting('t.freud')::uuid,
  'A wish, disguised as a flood.')) -> 'artifact' ->> 'owner_id', tests.get_user_id('alice')::text,
  'the service role writes a second interpreter''s, owned by the dreamer');
select tests.authenticate_as('alice');
select results_eq(format($$ select x.agent_name, x.current_version from public.get_entry(%L) r,
  jsonb_to_recordset(r -> 'interpretations') x(agent_name text, current_version int) $$, current_setting('t.d')),
  $$ values ('freudian_interpreter', 1), ('jungian_interpreter', 3) $$, 'get_entry lists each interpreter''s current version');

-- ------------------------------------------------------------------ a chat about the dream
select set_config('t.chat', (public.create_chat(title => 'About the flood', agent_id => current_setting('t.jung')::uuid,
  entry_id => current_setting('t.d')::uuid)).id::text, true);
select results_eq(format($$ select x.id, x.title from public.get_entry(%L) r, jsonb_to_recordset(r -> 'chats') x(id uuid, title text) $$,
  current_setting('t.d')), format($$ values (%L::uuid, 'About the flood') $$, current_setting('t.chat')),
  'create_chat(entry_id) links the chat; get_entry lists it');

-- ------------------------------------------------------------------ get_entry of a dream
select results_eq(format($$ select r -> 'dream' ->> 'transcription_status', jsonb_array_length(r -> 'images'),
  r -> 'images' -> 0 ->> 'status', jsonb_array_length(r -> 'themes'), jsonb_array_length(r -> 'interpretations'),
  jsonb_array_length(r -> 'chats') from public.get_entry(%L) r $$, current_setting('t.d')),
  $$ values ('done', 1, 'done', 1, 2, 1) $$, 'get_entry of a dream: details, images, themes, interpretations, chats');

-- ------------------------------------------------------------------ another user
select tests.authenticate_as('bob');
select is_empty($$ select * from public.dream_details $$, 'bob reads none of alice''s dream details');
select is_empty($$ select * from public.entry_themes $$, 'nor her themes');
select is_empty(format($$ select * from public.artifacts where id = %L $$, current_setting('t.art')), 'nor her interpretations');
select is_empty(format($$ select * from public.artifact_versions where artifact_id = %L $$, current_setting('t.art')),
  'nor their versions');
select throws_ok(format($$ select public.get_artifact(%L) $$, current_setting('t.art')), 'PT404', 'artifact not found',
  'get_artifact refuses him');
select throws_ok(format($$ select public.add_artifact_version(%L, 'mine') $$, current_setting('t.art')), 'PT404', 'artifact not found',
  'he cannot version it');
select throws_ok(format($$ select public.save_interpretation(%L, %L, 'mine') $$, current_setting('t.d'), current_setting('t.jung')),
  'PT404', 'entry not found', 'nor interpret her dream');
select throws_ok(format($$ select public.set_entry_themes(%L, '[{"theme": "water", "confidence": 0.1}]') $$, current_setting('t.d')),
  'PT404', 'entry not found', 'nor set its themes');
select throws_ok(format($$ select public.create_chat(title => 'nosy', entry_id => %L) $$, current_setting('t.d')), 'PT404',
  'entry not found', 'nor open a chat about it');
select throws_ok(format($$ insert into public.artifacts (entry_id, type, title) values (%L, 'interpretation', 'mine') $$,
  current_setting('t.d')), 'PT404', 'entry not found', 'nor attach an artifact to it directly');
select throws_ok(format($$ select public.request_dream_image(%L, 'x') $$, current_setting('t.d')), 'PT404', 'dream not found',
  'nor ask for its images');

-- ------------------------------------------------------------------ anon
select tests.clear_authentication();
select ok((select count(*) > 0 from public.themes), 'anon reads the theme catalogue');
select throws_ok($$ select * from public.dream_details $$, '42501', null, 'but no dream');
select throws_ok($$ select public.create_dream(content => 'x') $$, '42501', null, 'and records none');

select * from finish();
rollback;
