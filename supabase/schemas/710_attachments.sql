-- Attachments: every upload to an attachment bucket (private.attachment_buckets()) is registered by a
-- trigger on storage.objects as an attachments row (owner, bucket, path, size, MIME type, the
-- SHA-256 the client gave in the upload's metadata, category), linked to chats, messages and entries
-- with link_attachment, processed by the service role (set_attachment_processing, broadcast to the
-- owner on user:<owner_id>). The same content (SHA-256) uploaded again by its owner is the same
-- attachment: the second object is an alias of the first and is deleted by the files janitor.
-- Objects linked to a chat are readable by the chat's members, and through a share that includes
-- the message they are linked to.

-- The user an object belongs to: the user whose folder it is in (<user_id>/…), else its owner;
-- null when neither is a user (the service role's files). Security definer: it looks the user up in
-- auth.users, which the caller cannot read.
create function private.storage_object_owner(owner uuid, name text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  folder text := pg_catalog.split_part(storage_object_owner.name, '/', 1);
  candidate uuid;
begin
  if folder ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    candidate := folder::uuid;
  else
    candidate := storage_object_owner.owner;
  end if;
  if candidate is null or not exists (select 1 from auth.users u where u.id = candidate) then
    return null;
  end if;
  return candidate;
end
$$;
comment on function private.storage_object_owner(uuid, text) is
  'The user a Storage object belongs to: the user of its folder (<user_id>/…), else its owner; null for neither.';

-- The size Storage recorded in an object's metadata (bytes), 0 when it says none.
create function private.storage_object_size(metadata jsonb)
returns bigint
language sql
immutable
set search_path = ''
as $$
  select case
    when metadata ->> 'size' ~ '^[0-9]{1,18}$' then (metadata ->> 'size')::bigint
    when metadata ->> 'contentLength' ~ '^[0-9]{1,18}$' then (metadata ->> 'contentLength')::bigint
    else 0
  end
$$;
grant execute on function private.storage_object_size(jsonb) to service_role;

-- An attachment's category: the one the client asked for in the upload's metadata when it is one,
-- else by MIME type.
create function private.attachment_category(mime_type text, requested text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when requested in ('circuit_image', 'datasheet', 'reference_image', 'audio', 'document', 'other') then requested
    when mime_type like 'audio/%' then 'audio'
    when mime_type like 'image/%' then 'reference_image'
    when mime_type = 'application/pdf' or mime_type like 'text/%' or mime_type in ('application/json',
      'application/msword', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document') then 'document'
    else 'other'
  end
$$;

create table public.attachments (
  -- the id of the Storage object that brought it (what supabase-js's upload() returns as data.id)
  id uuid primary key,
  owner_id uuid not null references auth.users (id) on delete cascade,
  bucket_id text not null,
  path text not null,
  -- the Storage object whose content it is (no foreign key: storage is Supabase's schema)
  object_id uuid not null,
  object_version text,
  file_name text not null,
  size_bytes bigint not null
    constraint attachments_size_bytes_check check (size_bytes >= 0),
  mime_type text not null
    constraint attachments_mime_type_check check (char_length(mime_type) >= 1 and char_length(mime_type) <= 255),
  sha256 text
    constraint attachments_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
  category text not null
    constraint attachments_category_check
    check (category in ('circuit_image', 'datasheet', 'reference_image', 'audio', 'document', 'other')),
  processing_status text not null default 'pending'
    constraint attachments_processing_status_check
    check (processing_status in ('pending', 'processing', 'done', 'failed')),
  processing_result jsonb
    constraint attachments_processing_result_check
    check (jsonb_typeof(processing_result) = 'object' and pg_column_size(processing_result) <= 65536),
  processed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint attachments_bucket_id_path_key unique (bucket_id, path)
);
comment on table public.attachments is
  'Uploaded files (Storage objects of the attachment buckets), registered by a trigger on storage.objects: owner, '
  'bucket, path, size, MIME type, SHA-256 (when the client gave it as metadata.sha256), category and processing.';
comment on column public.attachments.id is 'The id of the Storage object that brought the content (upload()''s data.id).';
comment on column public.attachments.sha256 is
  'SHA-256 (hex) of the content, when the uploader gave it in the upload''s metadata; one attachment per owner and digest.';
comment on column public.attachments.processing_status is 'pending → processing → done | failed, moved by the service role.';

create unique index attachments_object_id_key on public.attachments (object_id);
create unique index attachments_owner_id_sha256_key on public.attachments (owner_id, sha256) where sha256 is not null;
create index attachments_owner_id_created_at_id_idx on public.attachments (owner_id, created_at desc, id desc);

-- Uploads whose content their owner already had (same SHA-256): object → the attachment it repeats.
-- The files janitor deletes such objects; link_attachment and the other RPCs take their id too.
create table private.attachment_aliases (
  object_id uuid primary key,
  attachment_id uuid not null references public.attachments (id) on delete cascade,
  created_at timestamptz not null default now()
);
comment on table private.attachment_aliases is
  'Objects whose content their owner had uploaded already: they stand for that attachment until the janitor deletes them.';
create index attachment_aliases_attachment_id_idx on private.attachment_aliases (attachment_id);
revoke all on private.attachment_aliases from anon, authenticated, service_role;
-- the service role's orphan search reads it
grant select on private.attachment_aliases to service_role;

create table public.attachment_links (
  id uuid primary key default gen_random_uuid(),
  attachment_id uuid not null references public.attachments (id) on delete cascade,
  chat_id uuid references public.chats (id) on delete cascade,
  message_id uuid references public.messages (id) on delete cascade,
  entry_id uuid references public.entries (id) on delete cascade,
  linked_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  -- a link is to a chat (and maybe one of its messages) or to an entry
  constraint attachment_links_target_check check ((chat_id is null) <> (entry_id is null)),
  constraint attachment_links_message_check check (message_id is null or chat_id is not null)
);
comment on table public.attachment_links is 'Where an attachment is used: a chat (and maybe one of its messages) or a journal entry.';
create unique index attachment_links_attachment_id_chat_id_message_id_key
  on public.attachment_links (attachment_id, chat_id, message_id) nulls not distinct where chat_id is not null;
create unique index attachment_links_attachment_id_entry_id_key
  on public.attachment_links (attachment_id, entry_id) where entry_id is not null;
create index attachment_links_chat_id_message_id_idx on public.attachment_links (chat_id, message_id) where chat_id is not null;
create index attachment_links_message_id_idx on public.attachment_links (message_id) where message_id is not null;
create index attachment_links_entry_id_idx on public.attachment_links (entry_id) where entry_id is not null;

-- Whether the calling user owns the attachment. Security definer: the links' policies ask it
-- without going through the attachments' policies (which ask about links).
create function private.owns_attachment(attachment_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.attachments a
    where a.id = owns_attachment.attachment_id and a.owner_id = (select auth.uid())
  );
end
$$;
comment on function private.owns_attachment(uuid) is 'Whether the calling user owns the attachment.';
grant execute on function private.owns_attachment(uuid) to authenticated;

-- Whether the calling user reads a chat the attachment is linked to. Security definer: see
-- owns_attachment.
create function private.reads_attachment_chat(attachment_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select auth.uid()) is not null and exists (
    select 1 from public.attachment_links l
    where l.attachment_id = reads_attachment_chat.attachment_id and l.chat_id is not null
      and private.has_role_on_chat(l.chat_id)
  );
end
$$;
comment on function private.reads_attachment_chat(uuid) is 'Whether the calling user reads a chat the attachment is linked to.';
grant execute on function private.reads_attachment_chat(uuid) to authenticated;

-- The attachment an id names: an attachment's own id, or the id of an object that repeated its
-- content (an alias). Security definer: aliases are internal; the caller's rights are checked by
-- whatever reads the attachment next.
create function private.resolve_attachment_id(id uuid)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((select a.attachment_id from private.attachment_aliases a where a.object_id = resolve_attachment_id.id),
    resolve_attachment_id.id);
end
$$;
comment on function private.resolve_attachment_id(uuid) is
  'The attachment an id names: its own id, or that of an upload that repeated its content.';
grant execute on function private.resolve_attachment_id(uuid) to authenticated, service_role;

alter table public.attachments enable row level security;
revoke all on public.attachments from anon, authenticated, service_role;
grant select, delete on public.attachments to authenticated;
grant select, update, delete on public.attachments to service_role;

create policy attachments_select_reader on public.attachments
  for select to authenticated
  using (owner_id = (select auth.uid()) or private.reads_attachment_chat(id));

create policy attachments_delete_owner on public.attachments
  for delete to authenticated
  using (owner_id = (select auth.uid()));

alter table public.attachment_links enable row level security;
revoke all on public.attachment_links from anon, authenticated, service_role;
grant select on public.attachment_links to authenticated;
grant insert (attachment_id, chat_id, message_id, entry_id) on public.attachment_links to authenticated;
grant select, insert, delete on public.attachment_links to service_role;

create policy attachment_links_select_reader on public.attachment_links
  for select to authenticated
  using (
    (chat_id is not null and private.has_role_on_chat(chat_id))
    or (entry_id is not null and private.owns_entry(entry_id))
    or private.owns_attachment(attachment_id)
  );

-- the attachment's owner, to a chat they write in or an entry of theirs
create policy attachment_links_insert_owner on public.attachment_links
  for insert to authenticated
  with check (
    linked_by = (select auth.uid())
    and private.owns_attachment(attachment_id)
    and ((chat_id is not null and private.has_role_on_chat(chat_id, 'editor'))
      or (entry_id is not null and private.owns_entry(entry_id)))
  );

create trigger attachments_100_set_updated_at
  before update on public.attachments
  for each row execute function private.set_updated_at();

-- Every writer's link is consistent: a message's link names the message's chat (filled in when
-- omitted), an entry's link an entry of the attachment's owner. Security definer: it reads the
-- message and the entry whoever links.
create function private.attachment_links_check()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  message_chat uuid;
begin
  if new.message_id is not null then
    select m.chat_id into message_chat from public.messages m where m.id = new.message_id;
    if new.chat_id is null then
      new.chat_id := message_chat;
    elsif new.chat_id is distinct from message_chat then
      perform private.invalid_parameter('message_id is not a message of chat_id');
    end if;
  end if;
  if new.entry_id is not null and not exists (
    select 1 from public.entries e join public.attachments a on a.id = new.attachment_id
    where e.id = new.entry_id and e.user_id = a.owner_id
  ) then
    perform private.not_found('entry', 'An attachment is linked only to entries of its owner.');
  end if;
  return new;
end
$$;

create trigger attachment_links_100_check
  before insert on public.attachment_links
  for each row execute function private.attachment_links_check();

-- An attachment as RPCs return it.
create function private.attachment_json(a public.attachments)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('id', a.id, 'owner_id', a.owner_id, 'bucket_id', a.bucket_id, 'path', a.path,
    'file_name', a.file_name, 'size_bytes', a.size_bytes, 'mime_type', a.mime_type, 'sha256', a.sha256,
    'category', a.category, 'processing_status', a.processing_status, 'processing_result', a.processing_result,
    'processed_at', a.processed_at, 'created_at', a.created_at, 'updated_at', a.updated_at)
$$;
grant execute on function private.attachment_json(public.attachments) to authenticated, service_role;

-- ---------------------------------------------------------------- registration

-- Registers an object of an attachment bucket (a new upload, or one whose content was replaced
-- and that has no attachment yet): a new attachment, or, when its owner already has this content
-- (same SHA-256) elsewhere, an alias of that attachment whose object the janitor deletes.
create function private.register_attachment(object storage.objects)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid := private.storage_object_owner(object.owner, object.name);
  digest text := pg_catalog.lower(object.user_metadata ->> 'sha256');
  mime text := coalesce(nullif(object.metadata ->> 'mimetype', ''), 'application/octet-stream');
  registered uuid;
  existing public.attachments;
begin
  if owner is null then
    return;
  end if;
  if digest !~ '^[0-9a-f]{64}$' then
    digest := null;
  end if;
  insert into public.attachments (id, owner_id, bucket_id, path, object_id, object_version, file_name, size_bytes,
    mime_type, sha256, category)
  values (object.id, owner, object.bucket_id, object.name, object.id, object.version,
    pg_catalog.left(storage.filename(object.name), 1024), private.storage_object_size(object.metadata),
    pg_catalog.left(mime, 255), digest, private.attachment_category(mime, object.user_metadata ->> 'category'))
  on conflict do nothing
  returning id into registered;
  if registered is not null then
    return;
  end if;
  -- another row has this path (a leftover) or this content (the owner's earlier upload)
  select a.* into existing from public.attachments a
  where (a.bucket_id = object.bucket_id and a.path = object.name) or (a.owner_id = owner and a.sha256 = digest)
  order by (a.bucket_id = object.bucket_id and a.path = object.name) desc
  limit 1;
  if existing.bucket_id = object.bucket_id and existing.path = object.name then
    update public.attachments a
    set object_id = object.id, object_version = object.version, size_bytes = private.storage_object_size(object.metadata),
      mime_type = pg_catalog.left(mime, 255),
      sha256 = case when digest is null or exists (select 1 from public.attachments o
        where o.owner_id = a.owner_id and o.sha256 = digest and o.id <> a.id) then null else digest end,
      processing_status = 'pending', processing_result = null, processed_at = null
    where a.id = existing.id;
  elsif existing.id is not null then
    insert into private.attachment_aliases (object_id, attachment_id) values (object.id, existing.id)
    on conflict do nothing;
    perform private.queue_file_deletion(object.bucket_id, object.name, object.id, object.version, existing.id, owner,
      'duplicate', null, private.now());
  end if;
end
$$;

-- storage.objects: a new object of an attachment bucket is registered. Security definer: the
-- uploader has no right to write attachments.
create function private.objects_register_attachment()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.register_attachment(new);
  return null;
end
$$;

create trigger objects_710_register_attachment
  after insert on storage.objects
  for each row when (new.bucket_id = any (private.attachment_buckets()))
  execute function private.objects_register_attachment();

-- storage.objects: a move carries the attachment to the new path; new content (a new version, an
-- upsert) updates its size, type and digest and makes it pending again. Security definer: see
-- objects_register_attachment.
create function private.objects_update_attachment()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  digest text := pg_catalog.lower(new.user_metadata ->> 'sha256');
  mime text := coalesce(nullif(new.metadata ->> 'mimetype', ''), 'application/octet-stream');
begin
  if digest !~ '^[0-9a-f]{64}$' then
    digest := null;
  end if;
  if new.bucket_id is distinct from old.bucket_id or new.name is distinct from old.name then
    update public.attachments a
    set bucket_id = new.bucket_id, path = new.name, file_name = pg_catalog.left(storage.filename(new.name), 1024)
    where a.object_id = new.id;
  end if;
  if new.version is distinct from old.version then
    update public.attachments a
    set object_version = new.version, size_bytes = private.storage_object_size(new.metadata),
      mime_type = pg_catalog.left(mime, 255),
      sha256 = case when digest is null or exists (select 1 from public.attachments o
        where o.owner_id = a.owner_id and o.sha256 = digest and o.id <> a.id) then null else digest end,
      category = private.attachment_category(mime, new.user_metadata ->> 'category'),
      processing_status = 'pending', processing_result = null, processed_at = null
    where a.object_id = new.id;
    if not found and new.bucket_id = any (private.attachment_buckets())
      and not exists (select 1 from private.attachment_aliases x where x.object_id = new.id) then
      perform private.register_attachment(new);
    end if;
  end if;
  return null;
end
$$;

create trigger objects_710_update_attachment
  after update on storage.objects
  for each row when (new.version is distinct from old.version or new.name is distinct from old.name
    or new.bucket_id is distinct from old.bucket_id)
  execute function private.objects_update_attachment();

-- storage.objects: an object removed through the Storage API takes its attachment (and its links)
-- with it, or its alias. Security definer: see objects_register_attachment.
create function private.objects_remove_attachment()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.attachments a where a.object_id = old.id;
  delete from private.attachment_aliases x where x.object_id = old.id;
  return null;
end
$$;

create trigger objects_710_remove_attachment
  after delete on storage.objects
  for each row execute function private.objects_remove_attachment();

-- ---------------------------------------------------------------- reading Storage objects

-- Whether the caller may read a Storage object because it is an attachment linked to a chat:
-- as a reader of the chat, or (signed in or not) holding a share link of the chat, sent as the
-- request header x-parley-share-token, whose snapshot includes the message the attachment is
-- linked to (linked before the link was made). The policy objects_select_linked asks it. Security
-- definer: the caller may have no right on the attachment, the chat or the share; it answers only
-- yes or no.
create function private.can_read_linked_object(bucket_id text, name text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  token text;
  share public.chat_shares;
  ranges bigint[];
begin
  if (select auth.uid()) is not null and exists (
    select 1 from public.attachments a
    join public.attachment_links l on l.attachment_id = a.id
    where a.bucket_id = can_read_linked_object.bucket_id and a.path = can_read_linked_object.name
      and l.chat_id is not null and private.has_role_on_chat(l.chat_id)
  ) then
    return true;
  end if;
  begin
    token := nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-parley-share-token';
  exception
    when others then
      return false;
  end;
  if token is null then
    return false;
  end if;
  share := private.find_active_share(token);
  if share.id is null then
    return false;
  end if;
  ranges := private.branch_ranges(share.up_to_message_id);
  return exists (
    select 1 from public.attachments a
    join public.attachment_links l on l.attachment_id = a.id
    join public.messages m on m.id = l.message_id
    where a.bucket_id = can_read_linked_object.bucket_id and a.path = can_read_linked_object.name
      and l.chat_id = share.chat_id and l.created_at <= share.created_at
      and private.on_branch(ranges, m.segment_start, m.sequence_number)
  );
end
$$;
comment on function private.can_read_linked_object(text, text) is
  'Whether the caller may read a Storage object linked to a chat: a reader of the chat, or the holder of a share '
  'link (header x-parley-share-token) whose snapshot includes the message it is linked to.';
grant execute on function private.can_read_linked_object(text, text) to anon, authenticated;

create policy objects_select_linked on storage.objects
  for select to anon, authenticated
  using (
    bucket_id in ('attachments', 'generated', 'exports', 'audio', 'dream-images')
    and private.can_read_linked_object(bucket_id, name)
  );

-- ---------------------------------------------------------------- what get_messages and get_entry show

-- The attachments linked to messages of a chat, by message: [{id, bucket_id, path, file_name,
-- size_bytes, mime_type, category, processing_status}], oldest link first. Security definer: it
-- checks once that the caller reads the chat (get_messages has read the chat row), instead of
-- asking the policies of links and attachments per row.
create function private.chat_message_attachments(chat_id uuid, message_ids uuid[])
returns table (message_id uuid, attachments jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not (private.has_role_on_chat(chat_message_attachments.chat_id) or private.is_trusted_writer()) then
    return;
  end if;
  return query
  select l.message_id, pg_catalog.jsonb_agg(private.attachment_brief(a) order by l.created_at, l.id)
  from public.attachment_links l
  join public.attachments a on a.id = l.attachment_id
  where l.chat_id = chat_message_attachments.chat_id and l.message_id = any (chat_message_attachments.message_ids)
  group by l.message_id;
end
$$;
comment on function private.chat_message_attachments(uuid, uuid[]) is
  'The attachments linked to the given messages of a chat the caller reads, by message.';
grant execute on function private.chat_message_attachments(uuid, uuid[]) to authenticated, service_role;

-- An attachment in a message or entry listing.
create function private.attachment_brief(a public.attachments)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('id', a.id, 'bucket_id', a.bucket_id, 'path', a.path, 'file_name', a.file_name,
    'size_bytes', a.size_bytes, 'mime_type', a.mime_type, 'category', a.category,
    'processing_status', a.processing_status)
$$;
grant execute on function private.attachment_brief(public.attachments) to anon, authenticated, service_role;

-- ---------------------------------------------------------------- RPCs

create function public.link_attachment(
  attachment_id uuid,
  chat_id uuid default null,
  message_id uuid default null,
  entry_id uuid default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  service boolean := private.is_service_role();
  target uuid := private.resolve_attachment_id(link_attachment.attachment_id);
  attachment public.attachments;
  chat uuid := link_attachment.chat_id;
begin
  if me is null and not service then
    raise exception 'sign in to link attachments' using errcode = '42501';
  end if;
  if link_attachment.attachment_id is null then
    perform private.invalid_parameter('attachment_id is required');
  end if;
  if chat is null and link_attachment.message_id is null and link_attachment.entry_id is null then
    perform private.invalid_parameter('give chat_id, message_id or entry_id');
  end if;
  select a.* into attachment from public.attachments a where a.id = target;
  if not found or (not service and attachment.owner_id <> me) then
    perform private.not_found('attachment', 'The attachment does not exist or is not yours.');
  end if;
  if link_attachment.message_id is not null then
    select m.chat_id into chat from public.messages m
    where m.id = link_attachment.message_id and (link_attachment.chat_id is null or m.chat_id = link_attachment.chat_id);
    if not found then
      if link_attachment.chat_id is not null and (service or private.has_role_on_chat(link_attachment.chat_id)) then
        perform private.invalid_parameter('message_id is not a message of chat_id');
      end if;
      perform private.not_found('message');
    end if;
  end if;
  if chat is not null then
    if not service and not private.has_role_on_chat(chat, 'editor') then
      perform private.deny('chat', chat, 'write to it');
    end if;
    if service and not exists (select 1 from public.chats c where c.id = chat) then
      perform private.not_found('chat');
    end if;
    insert into public.attachment_links (attachment_id, chat_id, message_id)
    values (target, chat, link_attachment.message_id)
    on conflict do nothing;
  end if;
  if link_attachment.entry_id is not null then
    if not exists (select 1 from public.entries e where e.id = link_attachment.entry_id and e.user_id = attachment.owner_id) then
      perform private.not_found('entry');
    end if;
    insert into public.attachment_links (attachment_id, entry_id)
    values (target, link_attachment.entry_id)
    on conflict do nothing;
  end if;
  return private.attachment_json(attachment) || pg_catalog.jsonb_build_object('links', coalesce((
    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('chat_id', l.chat_id, 'message_id', l.message_id,
      'entry_id', l.entry_id, 'created_at', l.created_at) order by l.created_at, l.id)
    from public.attachment_links l where l.attachment_id = target), '[]'));
end
$$;
grant execute on function public.link_attachment(uuid, uuid, uuid, uuid) to authenticated, service_role;
comment on function public.link_attachment(uuid, uuid, uuid, uuid) is
  'Links an attachment of the caller''s (attachment_id: the id upload() returned; the id of an upload that repeated '
  'an earlier one''s content names that one) to a chat the caller writes in (chat_id), one of its messages '
  '(message_id; its chat is implied) and/or a journal entry of the caller''s (entry_id). Linking again changes '
  'nothing. The chat''s readers can then read the file, and a share including the message shows it. The service '
  'role links any attachment. Returns the attachment {id, owner_id, bucket_id, path, file_name, size_bytes, '
  'mime_type, sha256, category, processing_status, processing_result, processed_at, created_at, updated_at, links: '
  '[{chat_id, message_id, entry_id, created_at}]}. Errors: 22023 (400) nothing to link to, or a message of another '
  'chat; PT404 (404) attachment, chat, message or entry not found or not yours; 42501 (403) a viewer of the chat.';

create function public.list_attachments(
  chat_id uuid default null,
  entry_id uuid default null,
  "limit" integer default 100,
  before text default null
)
returns setof jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  page_size integer := coalesce(list_attachments."limit", 100);
  cursor_time timestamptz := 'infinity';
  cursor_id uuid := 'ffffffff-ffff-ffff-ffff-ffffffffffff';
begin
  if (select auth.uid()) is null and not private.is_service_role() then
    raise exception 'sign in to list attachments' using errcode = '42501';
  end if;
  if page_size not between 1 and 1000 then
    perform private.invalid_parameter('limit must be between 1 and 1000');
  end if;
  if list_attachments.chat_id is not null and list_attachments.entry_id is not null then
    perform private.invalid_parameter('give chat_id or entry_id, not both');
  end if;
  if list_attachments.before is not null then
    begin
      cursor_time := pg_catalog.split_part(list_attachments.before, ',', 1)::timestamptz;
      cursor_id := coalesce(nullif(pg_catalog.split_part(list_attachments.before, ',', 2), '')::uuid, cursor_id);
    exception
      when others then
        perform private.invalid_parameter('before must be a cursor "<created_at>,<id>" from the previous page');
    end;
  end if;

  if list_attachments.chat_id is not null then
    if not exists (select 1 from public.chats c where c.id = list_attachments.chat_id) then
      perform private.not_found('chat');
    end if;
    return query
    select private.attachment_json(a) || pg_catalog.jsonb_build_object('links', (
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('chat_id', l.chat_id, 'message_id', l.message_id,
        'entry_id', l.entry_id, 'created_at', l.created_at) order by l.created_at, l.id)
      from public.attachment_links l where l.attachment_id = a.id and l.chat_id = list_attachments.chat_id))
    from public.attachments a
    where a.id in (select l.attachment_id from public.attachment_links l where l.chat_id = list_attachments.chat_id)
      and (a.created_at, a.id) < (cursor_time, cursor_id)
    order by a.created_at desc, a.id desc
    limit page_size;
  elsif list_attachments.entry_id is not null then
    if not exists (select 1 from public.entries e where e.id = list_attachments.entry_id) then
      perform private.not_found('entry');
    end if;
    return query
    select private.attachment_json(a) || pg_catalog.jsonb_build_object('links', (
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('chat_id', l.chat_id, 'message_id', l.message_id,
        'entry_id', l.entry_id, 'created_at', l.created_at) order by l.created_at, l.id)
      from public.attachment_links l where l.attachment_id = a.id and l.entry_id = list_attachments.entry_id))
    from public.attachments a
    where a.id in (select l.attachment_id from public.attachment_links l where l.entry_id = list_attachments.entry_id)
      and (a.created_at, a.id) < (cursor_time, cursor_id)
    order by a.created_at desc, a.id desc
    limit page_size;
  else
    return query
    select private.attachment_json(a) || pg_catalog.jsonb_build_object('links', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('chat_id', l.chat_id, 'message_id', l.message_id,
        'entry_id', l.entry_id, 'created_at', l.created_at) order by l.created_at, l.id)
      from public.attachment_links l where l.attachment_id = a.id), '[]'))
    from public.attachments a
    where a.owner_id = (select auth.uid())
      and (a.created_at, a.id) < (cursor_time, cursor_id)
    order by a.created_at desc, a.id desc
    limit page_size;
  end if;
end
$$;
grant execute on function public.list_attachments(uuid, uuid, integer, text) to authenticated, service_role;
comment on function public.list_attachments(uuid, uuid, integer, text) is
  'Attachments, newest first, each as link_attachment returns it with its links: those linked to chat_id (a chat '
  'the caller reads; its links there), to entry_id (an entry of the caller''s), or else the caller''s own. '
  'limit 1..1000 (default 100); next page: before = the last row''s "<created_at>,<id>". Errors: PT404 (404) '
  'chat or entry not found or not the caller''s; 22023 (400) both chat_id and entry_id, bad limit or cursor; anon '
  'is denied (401).';

create function public.set_attachment_processing(attachment_id uuid, status text, result jsonb default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  target uuid := private.resolve_attachment_id(set_attachment_processing.attachment_id);
  attachment public.attachments;
begin
  if set_attachment_processing.status is null
    or set_attachment_processing.status not in ('pending', 'processing', 'done', 'failed') then
    perform private.invalid_parameter(pg_catalog.format('status %L is not one of pending, processing, done, failed',
      set_attachment_processing.status));
  end if;
  if set_attachment_processing.result is not null and (pg_catalog.jsonb_typeof(set_attachment_processing.result) <> 'object'
    or pg_catalog.pg_column_size(set_attachment_processing.result) > 65536) then
    perform private.invalid_parameter('result must be a JSON object of at most 64 kB');
  end if;
  update public.attachments a
  set processing_status = set_attachment_processing.status,
    processing_result = case
      when set_attachment_processing.result is not null then set_attachment_processing.result
      when set_attachment_processing.status in ('pending', 'processing') then null
      else a.processing_result
    end,
    processed_at = case when set_attachment_processing.status in ('done', 'failed') then private.now() end
  where a.id = target
    and (a.processing_status is distinct from set_attachment_processing.status
      or (set_attachment_processing.result is not null and a.processing_result is distinct from set_attachment_processing.result))
  returning a.* into attachment;
  if not found then
    -- nothing to change (a replay), or no such attachment
    select a.* into attachment from public.attachments a where a.id = target;
    if not found then
      perform private.not_found('attachment');
    end if;
  end if;
  return private.attachment_json(attachment);
end
$$;
grant execute on function public.set_attachment_processing(uuid, text, jsonb) to service_role;
comment on function public.set_attachment_processing(uuid, text, jsonb) is
  'Service role only (the workers that process uploads): sets an attachment''s processing status (pending, '
  'processing, done, failed) and result (a JSON object of at most 64 kB; moving back to pending or processing '
  'clears it unless one is given); done and failed set processed_at. The same status and result again change '
  'nothing. The owner gets the change on user:<owner_id>. Returns the attachment as link_attachment does (without '
  'links). Errors: 22023 (400) bad status or result; PT404 (404) no such attachment.';

create function public.delete_attachment(attachment_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  target uuid := private.resolve_attachment_id(delete_attachment.attachment_id);
begin
  if (select auth.uid()) is null and not private.is_service_role() then
    raise exception 'sign in to delete attachments' using errcode = '42501';
  end if;
  delete from public.attachments a
  where a.id = target and (a.owner_id = (select auth.uid()) or private.is_service_role());
  if not found then
    perform private.not_found('attachment', 'The attachment does not exist or is not yours.');
  end if;
  return true;
end
$$;
grant execute on function public.delete_attachment(uuid) to authenticated, service_role;
comment on function public.delete_attachment(uuid) is
  'Deletes an attachment of the caller''s (the service role: any) with its links and provider mappings, and queues '
  'its Storage object for the files janitor (SQL never deletes Storage objects): it is gone from chats and entries '
  'at once, its file soon after. Returns true. Errors: PT404 (404) no such attachment or not the caller''s (also on '
  'a repeated call); anon is denied (401).';

-- ---------------------------------------------------------------- realtime

-- An attachment's registration and every change of its processing status are sent to its owner
-- on user:<owner_id> (without the processing result: list_attachments has it).
create function private.broadcast_attachment_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.broadcast_user_change(new.owner_id, tg_op, tg_table_name,
    private.attachment_json(new) - 'processing_result',
    case when tg_op = 'UPDATE' then private.attachment_json(old) - 'processing_result' end);
  return null;
end
$$;

create trigger attachments_900_broadcast_insert
  after insert on public.attachments
  for each row execute function private.broadcast_attachment_change();

create trigger attachments_900_broadcast_status
  after update of processing_status on public.attachments
  for each row when (new.processing_status is distinct from old.processing_status)
  execute function private.broadcast_attachment_change();
