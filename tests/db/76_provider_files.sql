-- Provider file mappings (EX-AI): an attachment uploaded to a provider is recorded once per
-- provider file id; find_provider_file hands out the newest live mapping (counting its uses) and
-- nothing once it has expired, so the agent uploads again; owners and the service role only.
begin;
select plan(17);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.freeze_time('2026-03-01 12:00:00+00');
select tests.authenticate_as('alice');
insert into storage.objects (id, bucket_id, name, owner, metadata, version) values
  ('a2000000-0000-4000-8000-000000000001', 'attachments', tests.get_user_id('alice') || '/datasheet.pdf',
   tests.get_user_id('alice'), '{"size": 100, "mimetype": "application/pdf"}', 'f2000000-0000-4000-8000-000000000001');

select is((public.record_provider_upload('a2000000-0000-4000-8000-000000000001', 'moonshot', 'file-abc',
  expires_at => '2026-03-02 12:00:00+00')).provider_file_id, 'file-abc', 'an upload to a provider is recorded');
select is((public.record_provider_upload('a2000000-0000-4000-8000-000000000001', 'moonshot', 'file-abc',
  expires_at => '2026-03-09 12:00:00+00')).expires_at, '2026-03-02 12:00:00+00'::timestamptz,
  'recording the same provider file again returns the first record');
select is((select count(*)::int from public.provider_file_uploads), 1, 'once');
select is((select use_count from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'moonshot')), 1,
  'a live mapping is found and counted');
select is((select provider_file_id || ':' || use_count from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'moonshot')),
  'file-abc:2', 'each time');
select is_empty($$ select * from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'zhipu') $$,
  'none at another provider');
select tests.freeze_time('2026-03-02 12:00:00+00');
select is_empty($$ select * from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'moonshot') $$,
  'an expired mapping is not handed out: the agent uploads again');
select public.record_provider_upload('a2000000-0000-4000-8000-000000000001', 'moonshot', 'file-def');
select is((select provider_file_id from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'moonshot')),
  'file-def', 'the new upload (no expiry) is the live one');
select throws_ok($$ select public.record_provider_upload('a2000000-0000-4000-8000-000000000001', 'Moon Shot', 'x') $$,
  '22023', null, 'a bad provider name');
select throws_ok($$ select public.record_provider_upload('a2000000-0000-4000-8000-000000000001', 'moonshot', 'has space') $$,
  '22023', null, 'a bad provider file id');
select throws_ok($$ select public.record_provider_upload('a2000000-0000-4000-8000-000000000001', 'moonshot', 'file-x',
  expires_at => '2026-01-01') $$, '22023', 'expires_at must be after uploaded_at', 'an expiry in the past');

select tests.authenticate_as('bob');
select throws_ok($$ select * from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'moonshot') $$,
  'PT404', 'attachment not found', 'another user finds nothing');
select throws_ok($$ select public.record_provider_upload('a2000000-0000-4000-8000-000000000001', 'moonshot', 'file-bob') $$,
  'PT404', 'attachment not found', 'nor records for it');
select is_empty($$ select 1 from public.provider_file_uploads $$, 'nor reads the mappings');
select tests.clear_authentication();
select throws_ok($$ select * from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'moonshot') $$,
  '42501', null, 'anon is refused');
select tests.authenticate_as_service_role();
select is((select provider_file_id from public.find_provider_file('a2000000-0000-4000-8000-000000000001', 'moonshot')),
  'file-def', 'the service role (an agent server) finds any attachment''s mapping');
select throws_ok($$ select public.record_provider_upload(gen_random_uuid(), 'moonshot', 'file-def') $$,
  'PT404', 'attachment not found', 'an unknown attachment');

select * from finish();
rollback;
