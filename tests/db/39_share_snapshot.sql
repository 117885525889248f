-- A share link is a snapshot, also of artifacts: a version written after the link was made is not
-- shown through it, even when it is attributed to a message the link shares; a link made later
-- shows it.
begin;
select plan(3);

select tests.create_user('alice');
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'Snapshot')).id::text, true);
select set_config('t.m1', (public.append_message(current_setting('t.chat')::uuid, 'user', 'A BOM please')).id::text, true);
select set_config('t.m2', (public.append_message(current_setting('t.chat')::uuid, 'assistant', 'Here it is')).id::text, true);
select set_config('t.bom', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  '{"components": [{"name": "DHT22", "quantity": 1, "unit_price": 9.95, "currency": "USD"}]}', current_setting('t.m2')::uuid)
  -> 'artifact' ->> 'id'), true);
select set_config('t.before', (public.share_chat(current_setting('t.chat')::uuid)).token, true);
-- a canvas-style edit of the artifact shown under the shared answer
select public.add_artifact_version(current_setting('t.bom')::uuid,
  content_json => '{"components": [{"name": "BME280", "quantity": 1, "unit_price": 7.5, "currency": "USD"}]}',
  message_id => current_setting('t.m2')::uuid);
select set_config('t.after', (public.share_chat(current_setting('t.chat')::uuid)).token, true);

select tests.clear_authentication();
select is(
  (select jsonb_agg(v -> 'version_number') from jsonb_array_elements(public.get_shared_chat(current_setting('t.before')) -> 'messages') m,
    jsonb_array_elements(m -> 'artifact_versions') v),
  '[1]'::jsonb, 'the earlier link shows the version that existed when it was made');
select ok(strpos(public.get_shared_chat(current_setting('t.before'))::text, 'BME280') = 0,
  'and not the content written after it');
select is(
  (select jsonb_agg(v -> 'version_number' order by (v ->> 'version_number')::int)
   from jsonb_array_elements(public.get_shared_chat(current_setting('t.after')) -> 'messages') m,
    jsonb_array_elements(m -> 'artifact_versions') v),
  '[1, 2]'::jsonb, 'a link made after the edit shows both versions');
select * from finish();
rollback;
