-- The local platform (sql/platform/) behaves like Supabase's: roles, auth helpers reading the JWT
-- claims, storage path helpers and RLS, realtime broadcasts, the publication.
begin;
select plan(37);

-- Roles
select has_role('anon');
select has_role('authenticated');
select has_role('service_role');
select has_role('authenticator');
select ok((select rolbypassrls from pg_roles where rolname = 'service_role'), 'service_role bypasses RLS');
select ok(not (select rolbypassrls from pg_roles where rolname = 'authenticated'), 'authenticated does not bypass RLS');
select ok((select rolcanlogin from pg_roles where rolname = 'authenticator'), 'authenticator can log in');
select ok(pg_has_role('authenticator', 'authenticated', 'member'), 'authenticator can become authenticated');
select has_schema('extensions');
select ok(has_schema_privilege('anon', 'extensions', 'usage'), 'anon may use the extensions schema');

-- auth.uid(), role(), email(), jwt() read request.jwt.claims as PostgREST sets it
select set_config('request.jwt.claims',
  '{"sub": "8b3c5a7e-3e6f-4a9e-9d55-3f1c2b8a9d01", "role": "authenticated", "email": "ada@example.com", "aud": "authenticated"}', true);
select is(auth.uid(), '8b3c5a7e-3e6f-4a9e-9d55-3f1c2b8a9d01'::uuid, 'auth.uid() is the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select is(auth.email(), 'ada@example.com', 'auth.email() is the email claim');
select is(auth.jwt() ->> 'aud', 'authenticated', 'auth.jwt() is every claim');
-- the legacy per-claim setting wins, as on Supabase
select set_config('request.jwt.claim.sub', '11111111-1111-4111-8111-111111111111', true);
select is(auth.uid(), '11111111-1111-4111-8111-111111111111'::uuid, 'request.jwt.claim.sub takes precedence');
select set_config('request.jwt.claim.sub', '', true);
select set_config('request.jwt.claims', '', true);
select is(auth.uid(), null, 'no claims: auth.uid() is null');
select is(auth.jwt(), null, 'no claims: auth.jwt() is null');
select ok(has_function_privilege('anon', 'auth.uid()', 'execute'), 'anon may call auth.uid()');

-- storage path helpers
select is(storage.foldername('user-1/chats/photo.png'), array['user-1', 'chats'], 'foldername: every segment but the file');
select is(storage.foldername('photo.png'), '{}'::text[], 'foldername of a bare file is empty');
select is(storage.filename('user-1/chats/photo.png'), 'photo.png', 'filename: the last segment');
select is(storage.extension('user-1/archive.tar.gz'), 'gz', 'extension: after the last dot');
select is(storage.extension('user-1/README'), 'README', 'extension of a name without a dot, as on Supabase');
select has_column('storage', 'buckets', 'public', 'buckets have a public flag');
select has_column('storage', 'buckets', 'file_size_limit', 'buckets have a size limit');
select has_column('storage', 'buckets', 'allowed_mime_types', 'buckets have allowed mime types');
select ok((select relrowsecurity from pg_class where oid = 'storage.objects'::regclass), 'storage.objects has RLS');

-- storage RLS: with no policy, the API roles see no object
insert into storage.buckets (id, name) values ('platform-test', 'platform-test');
insert into storage.objects (bucket_id, name) values ('platform-test', 'someone/file.txt');
set local role authenticated;
select is_empty($$ select * from storage.objects where bucket_id = 'platform-test' $$, 'objects are invisible without a policy');
reset role;
select is((select path_tokens from storage.objects where name = 'someone/file.txt'), array['someone', 'file.txt'], 'path_tokens split the name');

-- realtime.send stores the broadcast; broadcast_changes wraps a row change the way Supabase does
select realtime.send('{"hello": "world"}', 'greeting', 'room:1', true);
select is(
  (select payload ->> 'hello' from realtime.messages where topic = 'room:1' and event = 'greeting'),
  'world', 'realtime.send stores what would be broadcast');
select is(
  (select extension || '/' || private::text from realtime.messages where topic = 'room:1'),
  'broadcast/true', 'a private broadcast message');
select is(current_setting('realtime.topic', true), 'room:1', 'realtime.send sets realtime.topic like Supabase');
select is(realtime.topic(), 'room:1', 'realtime.topic() reads it');

create temp table platform_things (id int primary key, label text);
insert into platform_things values (1, 'one');
select realtime.broadcast_changes('things:1', 'INSERT', 'INSERT', 'platform_things', 'public',
  (select t from platform_things t where id = 1), null);
select is(
  (select payload - 'id' from realtime.messages where topic = 'things:1'),
  '{"operation": "INSERT", "table": "platform_things", "schema": "public", "record": {"id": 1, "label": "one"}, "old_record": null}'::jsonb,
  'broadcast_changes sends operation, table, schema, record and old_record');
select throws_ok(
  $$ select realtime.broadcast_changes('t', 'e', 'TRUNCATE', 'x', 'public', null::record, null::record) $$,
  'P0001', null, 'broadcast_changes rejects an unknown operation');
select ok((select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass), 'realtime.messages has RLS');
select ok(exists (select 1 from pg_publication where pubname = 'supabase_realtime'), 'the supabase_realtime publication exists');

select * from finish();
rollback;
