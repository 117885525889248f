-- Attachments: the buckets and their policies, uploads registered by the trigger on storage.objects
-- (owner, size, type, digest, category), the same content once per owner, links to chats, messages
-- and entries, who reads a linked object (members, share holders), processing by the service role
-- with its broadcast, and what get_messages, get_entry and get_shared_chat list. Uploads are rows
-- inserted into storage.objects as the Storage API inserts them (as the caller); Storage's own
-- settings (storage.allow_delete_query) are set where the Storage API would set them.
begin;
select plan(48);

-- ------------------------------------------------------------------ buckets and policies
select results_eq(
  $$ select id, public, file_size_limit, allowed_mime_types from storage.buckets order by id $$,
  $$ values ('attachments', false, 52428800::bigint, array['image/*', 'application/pdf', 'text/*']),
            ('audio', false, null::bigint, array['audio/*']),
            ('avatars', true, 2097152::bigint, array['image/*']),
            ('dream-images', false, null::bigint, null::text[]),
            ('exports', false, null::bigint, null::text[]),
            ('generated', false, 10485760::bigint, null::text[]),
            ('interpreters', true, 2097152::bigint, array['image/*']) $$,
  'the buckets, with their size limits and MIME allowlists');
select policies_are('storage', 'objects', array['objects_select_own_folder', 'objects_insert_own_folder',
  'objects_update_own_folder', 'objects_delete_own_folder', 'objects_select_linked']);
select is_definer('private', 'can_read_linked_object', array['text', 'text'], 'the linked-object check runs as definer');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select set_config('t.alice', tests.get_user_id('alice')::text, true);
select set_config('t.bob', tests.get_user_id('bob')::text, true);
select set_config('t.digest', repeat('ab', 32), true);

-- ------------------------------------------------------------------ registration
select tests.authenticate_as('alice');
insert into storage.objects (id, bucket_id, name, owner, owner_id, metadata, user_metadata, version) values
  ('a1000000-0000-4000-8000-000000000001', 'attachments', current_setting('t.alice') || '/chat/board.png',
   current_setting('t.alice')::uuid, current_setting('t.alice'),
   '{"size": 2048, "mimetype": "image/png", "eTag": "\"x\""}', jsonb_build_object('sha256', upper(current_setting('t.digest')), 'category', 'circuit_image'),
   'f1000000-0000-4000-8000-000000000001');
select results_eq(
  $$ select id, owner_id, bucket_id, path, file_name, size_bytes, mime_type, sha256, category, processing_status
     from public.attachments $$,
  $$ values ('a1000000-0000-4000-8000-000000000001'::uuid, current_setting('t.alice')::uuid, 'attachments',
             current_setting('t.alice') || '/chat/board.png', 'board.png', 2048::bigint, 'image/png',
             current_setting('t.digest'), 'circuit_image', 'pending') $$,
  'an upload is registered: owner, bucket, path, size, type, the digest the client gave (lower-cased), its category');
insert into storage.objects (id, bucket_id, name, owner, metadata, version) values
  ('a1000000-0000-4000-8000-000000000002', 'audio', current_setting('t.alice') || '/voice.m4a',
   current_setting('t.alice')::uuid, '{"size": 100, "mimetype": "audio/mp4"}', 'f1000000-0000-4000-8000-000000000002'),
  ('a1000000-0000-4000-8000-000000000003', 'attachments', current_setting('t.alice') || '/spec.pdf',
   current_setting('t.alice')::uuid, '{"size": 10, "mimetype": "application/pdf"}', 'f1000000-0000-4000-8000-000000000003'),
  ('a1000000-0000-4000-8000-000000000004', 'avatars', current_setting('t.alice') || '/me.png',
   current_setting('t.alice')::uuid, '{"size": 10, "mimetype": "image/png"}', 'f1000000-0000-4000-8000-000000000004');
select is((select array_agg(category order by path) from public.attachments where path like '%/voice.m4a' or path like '%/spec.pdf'),
  array['document', 'audio'], 'without a category asked for, the type decides it');
select is((select count(*)::int from public.attachments where bucket_id = 'avatars'), 0,
  'an avatar is not an attachment');

-- the same content again, elsewhere: the same attachment
insert into storage.objects (id, bucket_id, name, owner, metadata, user_metadata, version) values
  ('a1000000-0000-4000-8000-000000000005', 'attachments', current_setting('t.alice') || '/other/board-copy.png',
   current_setting('t.alice')::uuid, '{"size": 2048, "mimetype": "image/png"}',
   jsonb_build_object('sha256', current_setting('t.digest')), 'f1000000-0000-4000-8000-000000000005');
select is((select count(*)::int from public.attachments where sha256 = current_setting('t.digest')), 1,
  'the same content uploaded twice by one user is one attachment');
reset role;
select results_eq(
  $$ select bucket_id, object_name, reason, status, attachment_id from public.file_deletion_jobs $$,
  $$ values ('attachments', current_setting('t.alice') || '/other/board-copy.png', 'duplicate', 'pending',
             'a1000000-0000-4000-8000-000000000001'::uuid) $$,
  'the repeated upload is queued for the janitor (no SQL deletes it)');
select tests.authenticate_as('alice');
select is((public.link_attachment('a1000000-0000-4000-8000-000000000005', entry_id => ((public.upsert_entry(facets => array['note'], title => 'Board')) ->> 'id')::uuid)) ->> 'id',
  'a1000000-0000-4000-8000-000000000001', 'the repeated upload''s id names the first attachment');

-- bob's same content is his own attachment
select tests.authenticate_as('bob');
insert into storage.objects (id, bucket_id, name, owner, metadata, user_metadata, version) values
  ('b1000000-0000-4000-8000-000000000001', 'attachments', current_setting('t.bob') || '/board.png',
   current_setting('t.bob')::uuid, '{"size": 2048, "mimetype": "image/png"}',
   jsonb_build_object('sha256', current_setting('t.digest')), 'f2000000-0000-4000-8000-000000000001');
select is((select count(*)::int from public.attachments), 1, 'bob sees his attachment only');
select throws_ok(format($$ insert into storage.objects (bucket_id, name, owner, metadata, version)
  values ('attachments', %L, %L, '{}', 'x') $$, current_setting('t.alice') || '/intruder.png', current_setting('t.bob')),
  '42501', null, 'a user writes only under their own folder');
select throws_ok($$ insert into storage.objects (bucket_id, name, metadata, version) values ('interpreters', 'jung.png', '{}', 'x') $$,
  '42501', null, 'nor in the interpreters bucket');
select is_empty(format($$ select 1 from storage.objects where name like %L $$, current_setting('t.alice') || '/%'),
  'nor reads another user''s folder');
select throws_ok($$ select public.link_attachment('a1000000-0000-4000-8000-000000000001', entry_id => gen_random_uuid()) $$,
  'PT404', 'attachment not found', 'nor links another user''s attachment');

-- ------------------------------------------------------------------ links, members, strangers
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'Board review')).id::text, true);
select set_config('t.m1', (public.append_message(current_setting('t.chat')::uuid, 'user', 'see the photo')).id::text, true);
select is(jsonb_array_length(public.link_attachment('a1000000-0000-4000-8000-000000000001',
  message_id => current_setting('t.m1')::uuid) -> 'links'), 2, 'linked to a message (its chat implied), beside the entry');
select is(jsonb_array_length(public.link_attachment('a1000000-0000-4000-8000-000000000001',
  message_id => current_setting('t.m1')::uuid) -> 'links'), 2, 'linking again changes nothing');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob'), 'viewer');
select throws_ok($$ select public.link_attachment(gen_random_uuid()) $$, '22023', 'give chat_id, message_id or entry_id',
  'nothing to link to');
select throws_ok(format($$ select public.link_attachment('a1000000-0000-4000-8000-000000000003', chat_id => %L, message_id => gen_random_uuid()) $$,
  current_setting('t.chat')), '22023', 'message_id is not a message of chat_id', 'a message of another chat');

select tests.authenticate_as('bob');
select is((select array_agg(x ->> 'id') from public.list_attachments(chat_id => current_setting('t.chat')::uuid) x),
  array['a1000000-0000-4000-8000-000000000001'], 'a member lists the chat''s attachments');
select is((select count(*)::int from storage.objects where id = 'a1000000-0000-4000-8000-000000000001'), 1,
  'and reads the linked object');
select is_empty($$ select 1 from storage.objects where id = 'a1000000-0000-4000-8000-000000000003' $$,
  'but not the owner''s other files');
select throws_ok(format($$ select public.link_attachment('b1000000-0000-4000-8000-000000000001', chat_id => %L) $$,
  current_setting('t.chat')), '42501', null, 'a viewer links nothing to the chat');
select tests.authenticate_as('carol');
select is_empty($$ select 1 from storage.objects where id = 'a1000000-0000-4000-8000-000000000001' $$,
  'a stranger does not read it');
select throws_ok(format($$ select * from public.list_attachments(chat_id => %L) $$, current_setting('t.chat')),
  'PT404', 'chat not found', 'nor lists the chat''s attachments');
select tests.clear_authentication();
select is_empty($$ select 1 from storage.objects $$, 'anon reads nothing without a share');
select throws_ok($$ select * from public.list_attachments() $$, '42501', null, 'anon lists nothing');

-- ------------------------------------------------------------------ what the reads list
select tests.authenticate_as('alice');
select is((select m.attachments -> 0 ->> 'id' from public.get_messages(current_setting('t.chat')::uuid) m
  where m.id = current_setting('t.m1')::uuid), 'a1000000-0000-4000-8000-000000000001',
  'get_messages lists the message''s attachments');
select is((select m.attachments from public.get_messages(current_setting('t.chat')::uuid) m
  where m.id = current_setting('t.m1')::uuid) -> 0 ?& array['bucket_id', 'path', 'file_name', 'size_bytes',
  'mime_type', 'category', 'processing_status'], true, 'with where to download it from');
select set_config('t.plain', (public.create_chat(title => 'Plain')).id::text, true);
select public.append_message(current_setting('t.plain')::uuid, 'user', 'no files');
select is((select array_agg(m.attachments::text) from public.get_messages(current_setting('t.plain')::uuid) m),
  array['[]'], 'a chat without attachments: [] on the fast path');
select is((select jsonb_array_length(e -> 'attachments') from public.get_entry(
  (select l.entry_id from public.attachment_links l where l.entry_id is not null limit 1)) e), 1,
  'get_entry lists the entry''s attachments');

-- ------------------------------------------------------------------ shares
select set_config('t.share', (public.share_chat(current_setting('t.chat')::uuid)).token, true);
select set_config('t.m2', (public.append_message(current_setting('t.chat')::uuid, 'user', 'after the share')).id::text, true);
select public.link_attachment('a1000000-0000-4000-8000-000000000003', message_id => current_setting('t.m2')::uuid);
select is((select m -> 'attachments' -> 0 ->> 'id' from jsonb_array_elements(public.get_shared_chat(current_setting('t.share')) -> 'messages') m
  where m ->> 'id' = current_setting('t.m1')), 'a1000000-0000-4000-8000-000000000001', 'a shared chat lists its messages'' files');
select tests.clear_authentication();
select set_config('request.headers', jsonb_build_object('x-parley-share-token', current_setting('t.share'))::text, true);
select is((select count(*)::int from storage.objects where id = 'a1000000-0000-4000-8000-000000000001'), 1,
  'anon holding the share token reads a file of a shared message');
select is_empty($$ select 1 from storage.objects where id = 'a1000000-0000-4000-8000-000000000003' $$,
  'not one linked after the share''s snapshot');
select tests.authenticate_as('carol');
select is((select count(*)::int from storage.objects where id = 'a1000000-0000-4000-8000-000000000001'), 1,
  'a signed-in stranger holding the token too');
select set_config('request.headers', jsonb_build_object('x-parley-share-token', 'not-the-token-at-all')::text, true);
select is_empty($$ select 1 from storage.objects where id = 'a1000000-0000-4000-8000-000000000001' $$,
  'a wrong token reads nothing');
select tests.authenticate_as('alice');
select public.revoke_share(s.id) from public.chat_shares s where s.chat_id = current_setting('t.chat')::uuid;
select tests.clear_authentication();
select set_config('request.headers', jsonb_build_object('x-parley-share-token', current_setting('t.share'))::text, true);
select is_empty($$ select 1 from storage.objects where id = 'a1000000-0000-4000-8000-000000000001' $$,
  'a revoked share reads nothing');
select set_config('request.headers', '', true);

-- ------------------------------------------------------------------ processing and its broadcast
select tests.authenticate_as('alice');
select throws_ok($$ select public.set_attachment_processing('a1000000-0000-4000-8000-000000000001', 'done') $$,
  '42501', null, 'users do not set processing');
select tests.authenticate_as_service_role();
select is(public.set_attachment_processing('a1000000-0000-4000-8000-000000000001', 'processing') ->> 'processing_status',
  'processing', 'the service role moves processing on');
select is(public.set_attachment_processing('a1000000-0000-4000-8000-000000000001', 'done', '{"components": 12}')
  -> 'processing_result', '{"components": 12}'::jsonb, 'with its result');
select public.set_attachment_processing('a1000000-0000-4000-8000-000000000001', 'done', '{"components": 12}');
select throws_ok($$ select public.set_attachment_processing('a1000000-0000-4000-8000-000000000001', 'finished') $$,
  '22023', 'status ''finished'' is not one of pending, processing, done, failed', 'bad status');
select throws_ok($$ select public.set_attachment_processing(gen_random_uuid(), 'done') $$, 'PT404', 'attachment not found',
  'unknown attachment');
reset role;
select is(
  (select array_agg(payload -> 'record' ->> 'processing_status' order by inserted_at, payload -> 'record' ->> 'processing_status')
   from realtime.messages where topic = 'user:' || current_setting('t.alice') and payload ->> 'table' = 'attachments'
     and payload -> 'record' ->> 'id' = 'a1000000-0000-4000-8000-000000000001'),
  array['done', 'pending', 'processing'],
  'registration and each status change reach the owner on user:<id> (a replay does not)');
select ok((select bool_and(private and not (payload -> 'record' ? 'processing_result')) from realtime.messages
  where payload ->> 'table' = 'attachments'), 'privately, without the result');

-- ------------------------------------------------------------------ new content, moves, removal
select tests.authenticate_as('alice');
update storage.objects set version = 'f1000000-0000-4000-8000-000000000099', metadata = '{"size": 4096, "mimetype": "image/jpeg"}'
where id = 'a1000000-0000-4000-8000-000000000001';
select results_eq(
  $$ select size_bytes, mime_type, processing_status, processing_result from public.attachments where id = 'a1000000-0000-4000-8000-000000000001' $$,
  $$ values (4096::bigint, 'image/jpeg', 'pending', null::jsonb) $$,
  'new content at the same path: its size and type, processing again');
update storage.objects set name = current_setting('t.alice') || '/chat/renamed.jpg' where id = 'a1000000-0000-4000-8000-000000000001';
select is((select path from public.attachments where id = 'a1000000-0000-4000-8000-000000000001'),
  current_setting('t.alice') || '/chat/renamed.jpg', 'a move carries the attachment along');
select throws_ok($$ delete from storage.objects where id = 'a1000000-0000-4000-8000-000000000003' $$, '42501',
  'Direct deletion from storage tables is not allowed. Use the Storage API instead.', 'SQL cannot delete a Storage object');
select set_config('storage.allow_delete_query', 'true', true);
delete from storage.objects where id = 'a1000000-0000-4000-8000-000000000003';
select set_config('storage.allow_delete_query', 'false', true);
select is_empty($$ select 1 from public.attachments where id = 'a1000000-0000-4000-8000-000000000003' $$,
  'an object removed through the Storage API takes its attachment along');
select public.remove_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob'));
select tests.authenticate_as('bob');
select is_empty($$ select 1 from storage.objects where id = 'a1000000-0000-4000-8000-000000000001' $$,
  'bob no longer reads a file whose chat he was removed from');

select * from finish();
rollback;
