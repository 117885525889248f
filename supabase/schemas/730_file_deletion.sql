-- Deleting files. SQL never deletes a Storage object (Supabase refuses direct deletes from
-- storage.objects: the file would be left behind); it queues a file_deletion_jobs row, and the
-- files-janitor Edge Function removes the object through the Storage API, which deletes the row
-- and the file together. Jobs are queued when an attachment is deleted (delete_attachment, its
-- owner's deletion), when the chats and entries an attachment is linked to are all deleted, and for
-- uploads that repeated content their owner already had. A job names one object (its id and
-- version): if the object is gone when the job runs, the job is done without a call, and if its
-- content was replaced since, the job is cancelled, so a janitor run again after dying never deletes
-- anything twice, nor a new file at the same path.
create table public.file_deletion_jobs (
  id bigint generated always as identity primary key,
  bucket_id text not null,
  object_name text not null,
  object_id uuid not null,
  object_version text,
  -- what the object was (no foreign keys: the job outlives both)
  attachment_id uuid,
  owner_id uuid,
  -- a deleted entry's files wait, and come back with restore_entry
  entry_id uuid,
  reason text not null
    constraint file_deletion_jobs_reason_check
    check (reason in ('attachment_deleted', 'chat_deleted', 'entry_deleted', 'duplicate', 'owner_deleted')),
  status text not null default 'pending'
    constraint file_deletion_jobs_status_check check (status in ('pending', 'running', 'done', 'failed', 'cancelled')),
  -- how it ended: deleted, already_gone (done); replaced, still_linked, entry_restored (cancelled); gave_up (failed)
  result text,
  attempts integer not null default 0,
  not_before timestamptz not null default now(),
  lease_expires_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
comment on table public.file_deletion_jobs is
  'Storage objects to delete through the Storage API (by the files-janitor function): one open job per object, '
  'leased while it runs, retried with backoff, never deleting an object that was replaced since it was queued.';
comment on column public.file_deletion_jobs.not_before is 'When the job may run (a retry''s backoff, or an entry''s grace period).';
-- one open job per object: queuing again is a no-op (or brings a waiting job forward)
create unique index file_deletion_jobs_object_id_open_key on public.file_deletion_jobs (object_id)
  where status in ('pending', 'running');
-- the claim: open jobs by when they may run
create index file_deletion_jobs_open_idx on public.file_deletion_jobs (not_before)
  where status in ('pending', 'running');
create index file_deletion_jobs_entry_id_idx on public.file_deletion_jobs (entry_id) where entry_id is not null;

alter table public.file_deletion_jobs enable row level security;
revoke all on public.file_deletion_jobs from anon, authenticated, service_role;
grant select, update on public.file_deletion_jobs to service_role;

create trigger file_deletion_jobs_100_set_updated_at
  before update on public.file_deletion_jobs
  for each row execute function private.set_updated_at();

-- Queues the deletion of one object, from not_before on. An open job for the object already: kept,
-- brought forward when this one is due earlier (it then takes this one's reason and entry). Security
-- definer: called by triggers of tables whose writers have no right on the queue.
create function private.queue_file_deletion(
  bucket_id text, object_name text, object_id uuid, object_version text, attachment_id uuid, owner_id uuid,
  reason text, entry_id uuid, not_before timestamptz
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  insert into public.file_deletion_jobs as j (bucket_id, object_name, object_id, object_version, attachment_id, owner_id,
    reason, entry_id, not_before)
  values (queue_file_deletion.bucket_id, queue_file_deletion.object_name, queue_file_deletion.object_id,
    queue_file_deletion.object_version, queue_file_deletion.attachment_id, queue_file_deletion.owner_id,
    queue_file_deletion.reason, queue_file_deletion.entry_id, queue_file_deletion.not_before)
  on conflict (object_id) where status in ('pending', 'running') do update
  set not_before = excluded.not_before, reason = excluded.reason, entry_id = excluded.entry_id
  where j.status = 'pending' and excluded.not_before < j.not_before;
end
$$;
comment on function private.queue_file_deletion(text, text, uuid, text, uuid, uuid, text, uuid, timestamptz) is
  'Queues the deletion of a Storage object for the files janitor (one open job per object).';

-- attachments: a deleted attachment's object is queued (unless the object is what is being deleted:
-- removed through the Storage API). Its owner's deletion says so. Security definer: see
-- queue_file_deletion.
create function private.attachments_queue_deletion()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from storage.objects o where o.id = old.object_id) then
    perform private.queue_file_deletion(old.bucket_id, old.path, old.object_id, old.object_version, old.id, old.owner_id,
      case when exists (select 1 from auth.users u where u.id = old.owner_id) then 'attachment_deleted'
        else 'owner_deleted' end,
      null, private.now());
  end if;
  return null;
end
$$;

create trigger attachments_730_queue_deletion
  after delete on public.attachments
  for each row execute function private.attachments_queue_deletion();

-- attachment_links: links go only with their chat, message or entry (there is no unlinking); an
-- attachment whose last link went with a deleted chat is deleted (its object queued, reason
-- chat_deleted). One statement deleting a chat's links deletes them at once. Security definer: the
-- chat's owner deletes attachments of other members linked to it, which they have no right on.
create function private.attachment_links_delete_orphans()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  gone record;
begin
  for gone in
    select a.id, a.bucket_id, a.path, a.object_id, a.object_version, a.owner_id
    from public.attachments a
    where a.id in (select o.attachment_id from old_links o where o.chat_id is not null)
      and not exists (select 1 from public.attachment_links l where l.attachment_id = a.id)
    for update of a
  loop
    if exists (select 1 from storage.objects o where o.id = gone.object_id) then
      perform private.queue_file_deletion(gone.bucket_id, gone.path, gone.object_id, gone.object_version, gone.id,
        gone.owner_id, 'chat_deleted', null, private.now());
    end if;
    delete from public.attachments a where a.id = gone.id;
  end loop;
  return null;
end
$$;

create trigger attachment_links_730_delete_orphans
  after delete on public.attachment_links
  referencing old table as old_links
  for each statement execute function private.attachment_links_delete_orphans();

-- How long a deleted entry's files wait for restore_entry before the janitor deletes them.
create function private.entry_file_retention()
returns interval
language sql
immutable
set search_path = ''
as $$
  select interval '30 days'
$$;

-- entries: moving an entry to the trash queues the files linked to it and to nothing else alive (no
-- chat, no other entry not deleted), due after the retention period; restoring it cancels them.
-- Security definer: see queue_file_deletion.
create function private.entries_queue_files()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  file record;
begin
  if new.deleted_at is not null then
    for file in
      select a.id, a.bucket_id, a.path, a.object_id, a.object_version, a.owner_id
      from public.attachment_links l
      join public.attachments a on a.id = l.attachment_id
      where l.entry_id = new.id
        and not exists (
          select 1 from public.attachment_links o
          left join public.entries e on e.id = o.entry_id
          where o.attachment_id = a.id and o.id <> l.id and (o.chat_id is not null or e.deleted_at is null))
    loop
      perform private.queue_file_deletion(file.bucket_id, file.path, file.object_id, file.object_version, file.id,
        file.owner_id, 'entry_deleted', new.id, new.deleted_at + private.entry_file_retention());
    end loop;
  else
    update public.file_deletion_jobs j
    set status = 'cancelled', result = 'entry_restored', finished_at = private.now()
    where j.entry_id = new.id and j.status = 'pending' and j.reason = 'entry_deleted';
  end if;
  return null;
end
$$;

create trigger entries_730_queue_files
  after update of deleted_at on public.entries
  for each row when (new.deleted_at is distinct from old.deleted_at)
  execute function private.entries_queue_files();

-- ---------------------------------------------------------------- the janitor's RPCs

-- How many times a job is tried before it is given up (status failed).
create function private.file_deletion_max_attempts()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 8
$$;
grant execute on function private.file_deletion_max_attempts() to service_role;

create function public.service_role_claim_file_deletions(max_jobs integer default 100, lease_seconds integer default 300)
returns table (job_id bigint, bucket_id text, object_name text, attempts integer)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  clock timestamptz := private.now();
  job record;
  object record;
begin
  if max_jobs is null or max_jobs not between 1 and 1000 then
    perform private.invalid_parameter('max_jobs must be between 1 and 1000');
  end if;
  if lease_seconds is null or lease_seconds not between 1 and 3600 then
    perform private.invalid_parameter('lease_seconds must be between 1 and 3600');
  end if;
  for job in
    select j.* from public.file_deletion_jobs j
    where j.status in ('pending', 'running')
      and j.not_before <= clock
      and (j.status = 'pending' or j.lease_expires_at <= clock)
    order by j.not_before, j.id
    limit max_jobs
    for update skip locked
  loop
    select o.bucket_id, o.name, o.version into object from storage.objects o where o.id = job.object_id;
    if not found then
      -- deleted already (by an earlier run that died before saying so, or by its owner)
      update public.file_deletion_jobs j set status = 'done', result = 'already_gone', lease_expires_at = null,
        finished_at = clock where j.id = job.id;
    elsif object.version is distinct from job.object_version then
      update public.file_deletion_jobs j set status = 'cancelled', result = 'replaced', lease_expires_at = null,
        finished_at = clock where j.id = job.id;
    elsif job.reason = 'entry_deleted' and exists (
      select 1 from public.attachment_links l
      left join public.entries e on e.id = l.entry_id
      where l.attachment_id = job.attachment_id and (l.chat_id is not null or e.deleted_at is null)) then
      update public.file_deletion_jobs j set status = 'cancelled', result = 'still_linked', lease_expires_at = null,
        finished_at = clock where j.id = job.id;
    elsif job.attempts >= private.file_deletion_max_attempts() then
      update public.file_deletion_jobs j set status = 'failed', result = 'gave_up', lease_expires_at = null,
        finished_at = clock where j.id = job.id;
    else
      update public.file_deletion_jobs j
      set status = 'running', attempts = j.attempts + 1, lease_expires_at = clock + pg_catalog.make_interval(secs => lease_seconds),
        bucket_id = object.bucket_id, object_name = object.name
      where j.id = job.id;
      job_id := job.id;
      bucket_id := object.bucket_id;
      object_name := object.name;
      attempts := job.attempts + 1;
      return next;
    end if;
  end loop;
end
$$;
grant execute on function public.service_role_claim_file_deletions(integer, integer) to service_role;
comment on function public.service_role_claim_file_deletions(integer, integer) is
  'Service role only (the files-janitor function): claims up to max_jobs (1..1000, default 100) due deletion jobs '
  'for lease_seconds (1..3600, default 300; a job whose lease ran out is claimed again) and returns {job_id, '
  'bucket_id, object_name, attempts} for each object to remove through the Storage API, then to report with '
  'service_role_finish_file_deletions. Jobs that need no call are settled on the way: the object is gone (done), '
  'its content was replaced since (cancelled), a deleted entry''s file is linked again (cancelled), or tried too '
  'often (failed). Concurrent janitors never get the same job. Errors: 22023 (400) bad max_jobs or lease_seconds.';

create function public.service_role_finish_file_deletions(job_ids bigint[], error text default null)
returns table (job_id bigint, status text, not_before timestamptz)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  clock timestamptz := private.now();
  job record;
  failure text;
begin
  if job_ids is null or pg_catalog.cardinality(job_ids) > 1000 then
    perform private.invalid_parameter('job_ids must be an array of at most 1000 job ids');
  end if;
  for job in
    select j.* from public.file_deletion_jobs j
    where j.id = any (job_ids) and j.status = 'running'
    order by j.id
    for update
  loop
    failure := service_role_finish_file_deletions.error;
    if failure is null and exists (select 1 from storage.objects o where o.id = job.object_id and o.version is not distinct from job.object_version) then
      failure := 'the object still exists after its removal';
    end if;
    if failure is null then
      update public.file_deletion_jobs j set status = 'done', result = 'deleted', lease_expires_at = null,
        last_error = null, finished_at = clock
      where j.id = job.id
      returning j.id, j.status, j.not_before into job_id, status, not_before;
    elsif job.attempts >= private.file_deletion_max_attempts() then
      update public.file_deletion_jobs j set status = 'failed', result = 'gave_up', lease_expires_at = null,
        last_error = pg_catalog.left(failure, 2000), finished_at = clock
      where j.id = job.id
      returning j.id, j.status, j.not_before into job_id, status, not_before;
    else
      -- backoff: 30 s, 1, 2, 4… minutes, at most an hour
      update public.file_deletion_jobs j set status = 'pending', lease_expires_at = null,
        last_error = pg_catalog.left(failure, 2000),
        not_before = clock + least(interval '30 seconds' * power(2, job.attempts - 1), interval '1 hour')
      where j.id = job.id
      returning j.id, j.status, j.not_before into job_id, status, not_before;
    end if;
    return next;
  end loop;
end
$$;
grant execute on function public.service_role_finish_file_deletions(bigint[], text) to service_role;
comment on function public.service_role_finish_file_deletions(bigint[], text) is
  'Service role only (the files-janitor function): reports the removal of claimed (running) jobs'' objects: with '
  'error null each job is done, if its object is really gone; with an error (or an object still there) each is '
  'retried after a backoff of 30 s doubling per attempt (at most an hour), or failed after 8 attempts. Jobs not '
  'running are left alone, so a report sent twice changes nothing. Returns {job_id, status, not_before} for each '
  'job it changed. Errors: 22023 (400) more than 1000 ids.';

create function public.service_role_find_orphaned_files("limit" integer default 1000)
returns table (kind text, bucket_id text, object_name text, object_id uuid, attachment_id uuid, size_bytes bigint,
  created_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if service_role_find_orphaned_files."limit" is null or service_role_find_orphaned_files."limit" not between 1 and 10000 then
    perform private.invalid_parameter('limit must be between 1 and 10000');
  end if;
  return query
  (select 'object_without_attachment'::text, o.bucket_id, o.name, o.id, null::uuid,
    private.storage_object_size(o.metadata), o.created_at
  from storage.objects o
  where o.bucket_id = any (private.attachment_buckets())
    and not exists (select 1 from public.attachments a where a.object_id = o.id)
    and not exists (select 1 from private.attachment_aliases x where x.object_id = o.id)
    and not exists (select 1 from public.file_deletion_jobs j where j.object_id = o.id and j.status in ('pending', 'running'))
  order by o.created_at, o.id
  limit service_role_find_orphaned_files."limit")
  union all
  (select 'attachment_without_object'::text, a.bucket_id, a.path, a.object_id, a.id, a.size_bytes, a.created_at
  from public.attachments a
  where not exists (select 1 from storage.objects o where o.id = a.object_id)
  order by a.created_at, a.id
  limit service_role_find_orphaned_files."limit");
end
$$;
grant execute on function public.service_role_find_orphaned_files(integer) to service_role;
comment on function public.service_role_find_orphaned_files(integer) is
  'Service role only: Storage objects of the attachment buckets with no attachment (not an alias, not queued for '
  'deletion) and attachments whose object is gone, oldest first, at most "limit" (1..10000, default 1000) of each. '
  'Rows {kind (object_without_attachment | attachment_without_object), bucket_id, object_name, object_id, '
  'attachment_id, size_bytes, created_at}. Errors: 22023 (400) bad limit.';

-- The scheduled job: the files-janitor function called (private.invoke_edge_function) when a
-- deletion is due, and nothing sent otherwise. Returns pg_net's request id, or null.
create function private.run_files_janitor_schedule()
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  clock timestamptz := private.now();
begin
  if not exists (
    select 1 from public.file_deletion_jobs j
    where j.status in ('pending', 'running') and j.not_before <= clock
      and (j.status = 'pending' or j.lease_expires_at <= clock)
  ) then
    return null;
  end if;
  return private.invoke_edge_function('files-janitor');
end
$$;
comment on function private.run_files_janitor_schedule() is
  'Scheduled every minute: calls the files-janitor function when a file deletion is due; returns the request id or null.';

insert into private.scheduled_jobs (name, schedule, command, description) values
  ('parley-files-janitor', '* * * * *', 'select private.run_files_janitor_schedule()',
   'Calls the files-janitor function (net.http_post) when Storage objects are due for deletion.');
