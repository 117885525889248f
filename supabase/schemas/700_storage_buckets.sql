-- Storage buckets and who may write where. Buckets are rows of Supabase's storage.buckets, stated
-- here as they are pushed to a project (an upsert, so a bucket made from the dashboard first is
-- brought to these settings); the Storage API enforces their size limits and MIME allowlists.
-- Every object of a user lives under their own folder, <user_id>/…: a user reads and writes their
-- own folder of every bucket but interpreters (the service role's). Objects linked to a chat are
-- also readable by its members and through a share (policies in 710_attachments.sql).

-- reference data: db:diff carries changes of these rows into migrations (as this upsert)
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values
  ('attachments', 'attachments', false, 52428800, array['image/*', 'application/pdf', 'text/*']),
  ('generated', 'generated', false, 10485760, null),
  ('exports', 'exports', false, null, null),
  ('audio', 'audio', false, null, array['audio/*']),
  ('dream-images', 'dream-images', false, null, null),
  ('avatars', 'avatars', true, 2097152, array['image/*']),
  ('interpreters', 'interpreters', true, 2097152, array['image/*'])
on conflict (id) do update
set name = excluded.name, public = excluded.public, file_size_limit = excluded.file_size_limit,
  allowed_mime_types = excluded.allowed_mime_types;

-- The buckets whose uploads are attachments (registered, linkable, deleted through jobs): the
-- private ones. Avatars and interpreter images are profile and persona pictures, not attachments.
create function private.attachment_buckets()
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array['attachments', 'generated', 'exports', 'audio', 'dream-images']
$$;
comment on function private.attachment_buckets() is 'The buckets whose uploads are registered as attachments.';
grant execute on function private.attachment_buckets() to anon, authenticated, service_role;

-- A user's own folder: the first segment of the object's name is their id. Written out in each
-- policy (storage.foldername, as Supabase's examples), the user id read once per statement.
create policy objects_select_own_folder on storage.objects
  for select to authenticated
  using (
    bucket_id in ('attachments', 'generated', 'exports', 'audio', 'dream-images', 'avatars')
    and (storage.foldername(name))[1] = (select auth.uid()::text)
  );

create policy objects_insert_own_folder on storage.objects
  for insert to authenticated
  with check (
    bucket_id in ('attachments', 'generated', 'exports', 'audio', 'dream-images', 'avatars')
    and (storage.foldername(name))[1] = (select auth.uid()::text)
  );

create policy objects_update_own_folder on storage.objects
  for update to authenticated
  using (
    bucket_id in ('attachments', 'generated', 'exports', 'audio', 'dream-images', 'avatars')
    and (storage.foldername(name))[1] = (select auth.uid()::text)
  )
  with check (
    bucket_id in ('attachments', 'generated', 'exports', 'audio', 'dream-images', 'avatars')
    and (storage.foldername(name))[1] = (select auth.uid()::text)
  );

create policy objects_delete_own_folder on storage.objects
  for delete to authenticated
  using (
    bucket_id in ('attachments', 'generated', 'exports', 'audio', 'dream-images', 'avatars')
    and (storage.foldername(name))[1] = (select auth.uid()::text)
  );
