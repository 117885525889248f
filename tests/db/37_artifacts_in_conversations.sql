-- Artifacts inside conversations: get_messages lists the versions each message created; a shared
-- chat carries them with their content, for the shared messages only (anon's only way to read
-- artifacts); new versions and artifact changes are broadcast on the chat's realtime topic.
begin;
select plan(19);

select tests.create_user('alice');
select tests.create_user('carol');
select tests.create_user('dave');
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'Weather')).id::text, true);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');
select set_config('t.m1', (public.append_message(current_setting('t.chat')::uuid, 'user', 'A BOM and wiring please')).id::text, true);
select set_config('t.m2', (public.append_message(current_setting('t.chat')::uuid, 'assistant', 'Here they are')).id::text, true);
select set_config('t.bom', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  '{"components": [{"name": "DHT22", "quantity": 1, "unit_price": 9.95, "currency": "USD"}]}', current_setting('t.m2')::uuid)
  -> 'artifact' ->> 'id'), true);
select set_config('t.wiring', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'wiring', 'Wiring', null,
  '{"steps": [{"from_part": "ESP32", "from_pin": "GPIO4", "to_part": "DHT22", "to_pin": "DATA"}]}', current_setting('t.m2')::uuid)
  -> 'artifact' ->> 'id'), true);
select set_config('t.m3', (public.append_message(current_setting('t.chat')::uuid, 'user', 'Use a BME280 instead')).id::text, true);
select set_config('t.m4', (public.append_message(current_setting('t.chat')::uuid, 'assistant', 'Done')).id::text, true);
select public.add_artifact_version(current_setting('t.bom')::uuid,
  content_json => '{"components": [{"name": "BME280", "quantity": 1, "unit_price": 7.5, "currency": "USD"}]}',
  change_summary => 'DHT22 → BME280', message_id => current_setting('t.m4')::uuid);

-- get_messages
select results_eq(
  format($$ select content, jsonb_array_length(artifact_versions) from public.get_messages(%L) $$, current_setting('t.chat')),
  $$ values ('A BOM and wiring please', 0), ('Here they are', 2), ('Use a BME280 instead', 0), ('Done', 1) $$,
  'get_messages lists, on each message, the artifact versions it created');
select is(
  (select artifact_versions from public.get_messages(current_setting('t.chat')::uuid) where id = current_setting('t.m2')::uuid),
  jsonb_build_array(
    jsonb_build_object('id', (select id from public.artifact_versions where artifact_id = current_setting('t.bom')::uuid and version_number = 1),
      'artifact_id', current_setting('t.bom'), 'type', 'bom', 'title', 'BOM', 'version_number', 1, 'change_summary', 'Created'),
    jsonb_build_object('id', (select id from public.artifact_versions where artifact_id = current_setting('t.wiring')::uuid),
      'artifact_id', current_setting('t.wiring'), 'type', 'wiring', 'title', 'Wiring', 'version_number', 1,
      'change_summary', 'Created')),
  'each with its id, artifact, type, title and version number, in creation order');
select is(
  (select artifact_versions -> 0 ->> 'version_number' from public.get_messages(current_setting('t.chat')::uuid)
   where id = current_setting('t.m4')::uuid), '2', 'the answer that changed the BOM lists version 2');
select is((select count(*)::int from public.get_messages(current_setting('t.chat')::uuid, "limit" => 2)), 2,
  'paging still works');
select tests.authenticate_as('carol');
select is((select jsonb_array_length(artifact_versions) from public.get_messages(current_setting('t.chat')::uuid)
  where id = current_setting('t.m2')::uuid), 2, 'a viewer sees them too');
select tests.authenticate_as('dave');
select throws_ok(format($$ select * from public.get_messages(%L) $$, current_setting('t.chat')), 'PT404', null,
  'a stranger gets nothing');
select tests.authenticate_as('alice');
select public.hide_artifact(current_setting('t.wiring')::uuid);
select is((select jsonb_array_length(artifact_versions) from public.get_messages(current_setting('t.chat')::uuid)
  where id = current_setting('t.m2')::uuid), 1, 'hidden artifacts are left out');
select public.unhide_artifact(current_setting('t.wiring')::uuid);

-- get_shared_chat: a share up to m2 shows version 1 only
select set_config('t.token', (public.share_chat(current_setting('t.chat')::uuid, up_to_message_id => current_setting('t.m2')::uuid)).token,
  true);
select set_config('t.token_all', (public.share_chat(current_setting('t.chat')::uuid)).token, true);
select tests.clear_authentication();
select set_config('t.shared', public.get_shared_chat(current_setting('t.token'))::text, true);
select results_eq(
  $$ select m ->> 'content', jsonb_array_length(m -> 'artifact_versions') from jsonb_array_elements(current_setting('t.shared')::jsonb -> 'messages') m $$,
  $$ values ('A BOM and wiring please', 0), ('Here they are', 2) $$,
  'anon reads the shared messages with the artifact versions they created');
select is(current_setting('t.shared')::jsonb -> 'messages' -> 1 -> 'artifact_versions' -> 0 -> 'content_json',
  '{"components": [{"name": "DHT22", "quantity": 1, "unit_price": 9.95, "currency": "USD"}]}'::jsonb,
  'with their content');
select is(current_setting('t.shared')::jsonb -> 'messages' -> 1 -> 'artifact_versions' -> 1 ->> 'type', 'wiring',
  'every version the message created');
select ok(strpos(current_setting('t.shared'), 'BME280') = 0, 'a version made after the snapshot is not shared');
select is((select count(*)::int from jsonb_array_elements(public.get_shared_chat(current_setting('t.token_all')) -> 'messages') m,
  jsonb_array_elements(m -> 'artifact_versions') v where v ->> 'content_json' like '%BME280%'), 1,
  'a share of the whole chat includes version 2, on the message that made it');
select throws_ok($$ select * from public.artifact_versions $$, '42501', null, 'anon still cannot read artifacts directly');
select throws_ok($$ select public.get_shared_chat('not-a-valid-token-at-all') $$, 'PT404', null,
  'nor through a wrong token');
select tests.authenticate_as('alice');
select public.hide_artifact(current_setting('t.bom')::uuid);
select tests.clear_authentication();
select is(jsonb_array_length(public.get_shared_chat(current_setting('t.token')) -> 'messages' -> 1 -> 'artifact_versions'), 1,
  'a hidden artifact leaves the share');

-- realtime
select tests.authenticate_as('alice');
select public.unhide_artifact(current_setting('t.bom')::uuid);
select public.add_artifact_version(current_setting('t.bom')::uuid,
  content_json => '{"components": [{"name": "BME280", "quantity": 2, "unit_price": 7.5, "currency": "USD"}]}');
select tests.authenticate_as_service_role();
select is((select count(*)::int from realtime.messages where topic = 'chat:' || current_setting('t.chat')
  and payload ->> 'table' = 'artifact_versions'), 4, 'each version was broadcast on the chat''s topic');
select results_eq(
  $$ select event, payload ->> 'operation', payload -> 'record' ->> 'type', (payload -> 'record' ->> 'version_number')::int,
       payload -> 'record' ->> 'title', payload -> 'record' ? 'content_json', private
     from realtime.messages where topic = 'chat:' || current_setting('t.chat') and payload ->> 'table' = 'artifact_versions'
     order by inserted_at desc, (payload -> 'record' ->> 'created_at') desc limit 1 $$,
  $$ values ('INSERT', 'INSERT', 'bom', 3, 'BOM', false, true) $$,
  'the broadcast names the artifact and version, without the content, on a private topic');
select is((select count(*)::int from realtime.messages where topic = 'chat:' || current_setting('t.chat')
  and payload ->> 'table' = 'artifacts' and payload ->> 'operation' = 'UPDATE'), 4,
  'hiding and showing artifacts is broadcast too');
select tests.authenticate_as('alice');
select public.create_artifact_with_version(null, (public.create_project('Solo')).id, 'mvp', 'Solo MVP', 'x', null, null);
select tests.authenticate_as_service_role();
select is((select count(*)::int from realtime.messages where payload -> 'record' ->> 'title' = 'Solo MVP'), 0,
  'an artifact outside chats has no chat topic to go to');

select * from finish();
rollback;
