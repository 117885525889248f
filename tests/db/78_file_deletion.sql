-- Deleting files: SQL queues file_deletion_jobs and never deletes a Storage object; the janitor's
-- claim leases jobs (settling those that need no call), its report finishes them or retries them
-- with backoff; a chat's deletion queues the files linked only to it, an entry's deletion queues
-- its files after a grace period that restore_entry cancels; orphans are found.
begin;
select plan(36);

select has_table('public', 'file_deletion_jobs', 'the queue exists');
select ok(not has_table_privilege('authenticated', 'public.file_deletion_jobs', 'select'), 'users cannot read the queue');
select function_privs_are('public', 'service_role_claim_file_deletions', array['integer', 'integer'], 'authenticated', array[]::text[]);
select function_privs_are('public', 'service_role_finish_file_deletions', array['bigint[]', 'text'], 'authenticated', array[]::text[]);
select function_privs_are('public', 'service_role_find_orphaned_files', array['integer'], 'authenticated', array[]::text[]);

select tests.create_user('alice');
select tests.create_user('bob');
select set_config('t.alice', tests.get_user_id('alice')::text, true);
select tests.freeze_time('2026-05-01 10:00:00+00');

-- what the Storage API does on removal, as the service role (what the janitor calls)
create function pg_temp.storage_remove(object uuid) returns void language sql as $$
  select set_config('storage.allow_delete_query', 'true', true);
  delete from storage.objects where id = object;
  select set_config('storage.allow_delete_query', 'false', true);
$$;
grant execute on function pg_temp.storage_remove(uuid) to public;

select tests.authenticate_as('alice');
insert into storage.objects (id, bucket_id, name, owner, metadata, version)
select ('a3000000-0000-4000-8000-00000000000' || n)::uuid, 'attachments', current_setting('t.alice') || '/f' || n || '.txt',
  current_setting('t.alice')::uuid, '{"size": 10, "mimetype": "text/plain"}', 'f3000000-0000-4000-8000-00000000000' || n
from generate_series(1, 6) n;

-- ------------------------------------------------------------------ delete_attachment queues
select ok(public.delete_attachment('a3000000-0000-4000-8000-000000000001'), 'an attachment is deleted');
select is_empty($$ select 1 from public.attachments where id = 'a3000000-0000-4000-8000-000000000001' $$, 'at once');
select is((select count(*)::int from storage.objects where id = 'a3000000-0000-4000-8000-000000000001'), 1,
  'its object stays until the janitor removes it');
select throws_ok($$ select public.delete_attachment('a3000000-0000-4000-8000-000000000001') $$, 'PT404',
  'attachment not found', 'deleting it again: not found');
select tests.authenticate_as('bob');
select throws_ok($$ select public.delete_attachment('a3000000-0000-4000-8000-000000000002') $$, 'PT404',
  'attachment not found', 'another user cannot delete it');
select tests.authenticate_as_service_role();
select results_eq($$ select bucket_id, object_name, reason, status, attempts from public.file_deletion_jobs $$,
  $$ values ('attachments', current_setting('t.alice') || '/f1.txt', 'attachment_deleted', 'pending', 0) $$,
  'the object is queued, once');

-- ------------------------------------------------------------------ the schedule calls the janitor
reset role;
delete from vault.secrets where name in ('project_url', 'service_role_key');
select vault.create_secret('http://127.0.0.1:54321', 'project_url');
select vault.create_secret('service-key', 'service_role_key');
select ok(private.run_files_janitor_schedule() is not null, 'a due deletion: the scheduled job calls the janitor');
select results_eq($$ select method, url, headers ->> 'Authorization' from net.http_request_queue order by id desc limit 1 $$,
  $$ values ('POST', 'http://127.0.0.1:54321/functions/v1/files-janitor', 'Bearer service-key') $$,
  'net.http_post to the files-janitor function with the service key from Vault');
select is((select command from private.scheduled_jobs where name = 'parley-files-janitor'),
  'select private.run_files_janitor_schedule()', 'every minute');
select tests.authenticate_as_service_role();

-- ------------------------------------------------------------------ claim, finish, retry
select results_eq($$ select object_name, attempts from public.service_role_claim_file_deletions(10, 60) $$,
  $$ values (current_setting('t.alice') || '/f1.txt', 1) $$, 'the janitor claims it');
select is_empty($$ select * from public.service_role_claim_file_deletions(10, 60) $$, 'a claimed job is leased to it');
select results_eq($$ select status from public.service_role_finish_file_deletions(
  array(select id from public.file_deletion_jobs), 'Storage answered 503') $$, $$ values ('pending') $$,
  'a failed removal is retried later');
select is((select not_before from public.file_deletion_jobs), '2026-05-01 10:00:30+00'::timestamptz, 'after 30 seconds');
select is_empty($$ select * from public.service_role_claim_file_deletions(10, 60) $$, 'not before');
select tests.freeze_time('2026-05-01 10:00:31+00');
select results_eq($$ select attempts from public.service_role_claim_file_deletions(10, 60) $$, $$ values (2) $$, 'then again');
select results_eq($$ select status from public.service_role_finish_file_deletions(array(select id from public.file_deletion_jobs)) $$,
  $$ values ('pending') $$, 'reported done while the object is still there: retried');
select tests.freeze_time('2026-05-01 10:05:00+00');
select public.service_role_claim_file_deletions(10, 60);
select pg_temp.storage_remove('a3000000-0000-4000-8000-000000000001');
select results_eq($$ select status from public.service_role_finish_file_deletions(array(select id from public.file_deletion_jobs)) $$,
  $$ values ('done') $$, 'removed through the Storage API, then reported: done');
select is_empty($$ select * from public.service_role_finish_file_deletions(array(select id from public.file_deletion_jobs)) $$,
  'a second report changes nothing');
reset role;
select is(private.run_files_janitor_schedule(), null, 'nothing due: no call');
select tests.authenticate_as_service_role();

-- a janitor that died after removing the object: the lease runs out, the claim settles it
select tests.authenticate_as('alice');
select public.delete_attachment('a3000000-0000-4000-8000-000000000002');
select tests.authenticate_as_service_role();
select public.service_role_claim_file_deletions(10, 60);
select pg_temp.storage_remove('a3000000-0000-4000-8000-000000000002');
select tests.freeze_time('2026-05-01 10:06:01+00');
select is_empty($$ select * from public.service_role_claim_file_deletions(10, 60) $$,
  'after its lease, a job whose object is gone is not handed out again');
select results_eq($$ select status, result from public.file_deletion_jobs where object_name like '%/f2.txt' $$,
  $$ values ('done', 'already_gone') $$, 'it is done without another removal');
-- new content at the path since it was queued: cancelled, the new file kept
select tests.authenticate_as('alice');
select public.delete_attachment('a3000000-0000-4000-8000-000000000003');
update storage.objects set version = 'f3000000-0000-4000-8000-000000000099', metadata = '{"size": 5}'
where id = 'a3000000-0000-4000-8000-000000000003';
select tests.authenticate_as_service_role();
select is_empty($$ select * from public.service_role_claim_file_deletions(10, 60) $$, 'a replaced object is not removed');
select is((select result from public.file_deletion_jobs where object_name like '%/f3.txt'), 'replaced', 'its job is cancelled');

-- ------------------------------------------------------------------ chats and entries
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'One')).id::text, true);
select set_config('t.other', (public.create_chat(title => 'Two')).id::text, true);
select public.link_attachment('a3000000-0000-4000-8000-000000000004', chat_id => current_setting('t.chat')::uuid);
select public.link_attachment('a3000000-0000-4000-8000-000000000005', chat_id => current_setting('t.chat')::uuid);
select public.link_attachment('a3000000-0000-4000-8000-000000000005', chat_id => current_setting('t.other')::uuid);
select public.delete_chat(current_setting('t.chat')::uuid);
select is((select array_agg(id order by id) from public.attachments where id in ('a3000000-0000-4000-8000-000000000004',
  'a3000000-0000-4000-8000-000000000005')), array['a3000000-0000-4000-8000-000000000005'::uuid],
  'deleting a chat deletes the attachments linked to it alone');
select tests.authenticate_as_service_role();
select results_eq($$ select reason from public.file_deletion_jobs where object_name like '%/f4.txt' $$,
  $$ values ('chat_deleted') $$, 'and queues their files');
select is_empty($$ select 1 from public.file_deletion_jobs where object_name like '%/f5.txt' $$,
  'a file still used by another chat stays');

select tests.authenticate_as('alice');
select set_config('t.entry', (public.upsert_entry(facets => array['note'], title => 'Trip')) ->> 'id', true);
select public.link_attachment('a3000000-0000-4000-8000-000000000006', entry_id => current_setting('t.entry')::uuid);
select public.delete_entry(current_setting('t.entry')::uuid);
select tests.authenticate_as_service_role();
select results_eq($$ select reason, status, not_before from public.file_deletion_jobs where object_name like '%/f6.txt' $$,
  $$ values ('entry_deleted', 'pending', '2026-05-31 10:06:01+00'::timestamptz) $$,
  'deleting an entry queues its files after 30 days');
select tests.authenticate_as('alice');
select public.restore_entry(current_setting('t.entry')::uuid);
select tests.authenticate_as_service_role();
select results_eq($$ select status, result from public.file_deletion_jobs where object_name like '%/f6.txt' $$,
  $$ values ('cancelled', 'entry_restored') $$, 'restoring it cancels them');
select tests.authenticate_as('alice');
select public.delete_entry(current_setting('t.entry')::uuid);
select tests.freeze_time('2026-06-01 00:00:00+00');
select tests.authenticate_as_service_role();
select results_eq($$ select object_name from public.service_role_claim_file_deletions(10, 60) order by 1 $$,
  $$ values (current_setting('t.alice') || '/f4.txt'), (current_setting('t.alice') || '/f6.txt') $$,
  'once the 30 days are over the janitor removes them (with the deleted chat''s file)');

-- ------------------------------------------------------------------ orphans
reset role;
insert into storage.objects (bucket_id, name, owner, metadata, version) values
  ('exports', 'nobody/loose.csv', null, '{"size": 3}', 'f3000000-0000-4000-8000-000000000077');
set local session_replication_role = replica;
delete from storage.objects where id = 'a3000000-0000-4000-8000-000000000005';
set local session_replication_role = origin;
select tests.authenticate_as_service_role();
select results_eq($$ select kind, object_name from public.service_role_find_orphaned_files() order by kind $$,
  $$ values ('attachment_without_object', current_setting('t.alice') || '/f5.txt'),
            ('object_without_attachment', 'nobody/loose.csv') $$,
  'orphans: an object nobody''s attachment is, an attachment whose object is gone (not the queued ones)');
select throws_ok($$ select * from public.service_role_find_orphaned_files(0) $$, '22023', null, 'bad limit');

select * from finish();
rollback;
