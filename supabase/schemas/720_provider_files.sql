-- Provider file mappings (EX-AI): an attachment uploaded to an LLM provider's file store (OpenAI,
-- Moonshot, Zhipu…) has a provider file id, often with an expiry. An agent asks find_provider_file
-- before uploading: a live mapping is reused (and counted), an expired one means upload again and
-- record_provider_upload the new id.
create table public.provider_file_uploads (
  id uuid primary key default gen_random_uuid(),
  attachment_id uuid not null references public.attachments (id) on delete cascade,
  provider private.token_64 not null,
  provider_file_id private.token_200 not null,
  uploaded_at timestamptz not null default now(),
  -- null: the provider keeps the file until it is deleted
  expires_at timestamptz,
  use_count integer not null default 0
    constraint provider_file_uploads_use_count_check check (use_count >= 0),
  last_used_at timestamptz,
  created_by uuid default auth.uid(),
  constraint provider_file_uploads_expires_at_check check (expires_at > uploaded_at),
  constraint provider_file_uploads_provider_provider_file_id_key unique (provider, provider_file_id)
);
comment on table public.provider_file_uploads is
  'An attachment uploaded to an LLM provider: the provider''s file id, when it was uploaded, when it expires and how '
  'often it was reused.';
comment on column public.provider_file_uploads.use_count is 'How many times find_provider_file handed this mapping out.';
-- find_provider_file: the newest mappings of an attachment at a provider
create index provider_file_uploads_attachment_id_provider_uploaded_at_idx
  on public.provider_file_uploads (attachment_id, provider, uploaded_at desc);

alter table public.provider_file_uploads enable row level security;
revoke all on public.provider_file_uploads from anon, authenticated, service_role;
grant select on public.provider_file_uploads to authenticated;
grant insert (attachment_id, provider, provider_file_id, uploaded_at, expires_at) on public.provider_file_uploads to authenticated;
grant update (use_count, last_used_at) on public.provider_file_uploads to authenticated;
grant select, insert, update, delete on public.provider_file_uploads to service_role;

-- the attachment's owner (an agent acting for them) and the service role
create policy provider_file_uploads_select_owner on public.provider_file_uploads
  for select to authenticated
  using (private.owns_attachment(attachment_id));

create policy provider_file_uploads_insert_owner on public.provider_file_uploads
  for insert to authenticated
  with check (private.owns_attachment(attachment_id) and created_by = (select auth.uid()));

create policy provider_file_uploads_update_owner on public.provider_file_uploads
  for update to authenticated
  using (private.owns_attachment(attachment_id))
  with check (private.owns_attachment(attachment_id));

create function public.record_provider_upload(
  attachment_id uuid,
  provider text,
  provider_file_id text,
  expires_at timestamptz default null,
  uploaded_at timestamptz default null
)
returns public.provider_file_uploads
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  target uuid := private.resolve_attachment_id(record_provider_upload.attachment_id);
  uploaded timestamptz := coalesce(record_provider_upload.uploaded_at, private.now());
  mapping public.provider_file_uploads;
begin
  if (select auth.uid()) is null and not private.is_service_role() then
    raise exception 'sign in to record provider uploads' using errcode = '42501';
  end if;
  if record_provider_upload.provider is null or record_provider_upload.provider !~ '^[a-z0-9][a-z0-9._-]{0,63}$' then
    perform private.invalid_parameter('provider must be a lowercase name such as openai or moonshot (1 to 64 characters)');
  end if;
  if record_provider_upload.provider_file_id is null
    or pg_catalog.char_length(record_provider_upload.provider_file_id) not between 1 and 200
    or record_provider_upload.provider_file_id ~ '[[:space:][:cntrl:]]' then
    perform private.invalid_parameter('provider_file_id must be 1 to 200 characters without spaces');
  end if;
  if uploaded > private.now() + interval '5 minutes' then
    perform private.invalid_parameter('uploaded_at must not be in the future');
  end if;
  if record_provider_upload.expires_at is not null and record_provider_upload.expires_at <= uploaded then
    perform private.invalid_parameter('expires_at must be after uploaded_at');
  end if;
  if not exists (select 1 from public.attachments a where a.id = target
    and (a.owner_id = (select auth.uid()) or private.is_service_role())) then
    perform private.not_found('attachment', 'The attachment does not exist or is not yours.');
  end if;

  insert into public.provider_file_uploads (attachment_id, provider, provider_file_id, uploaded_at, expires_at)
  values (target, record_provider_upload.provider, record_provider_upload.provider_file_id, uploaded,
    record_provider_upload.expires_at)
  on conflict on constraint provider_file_uploads_provider_provider_file_id_key do nothing
  returning * into mapping;
  if not found then
    -- a replay: the mapping as it was recorded (a provider's file id names one file)
    select p.* into mapping from public.provider_file_uploads p
    where p.provider = record_provider_upload.provider and p.provider_file_id = record_provider_upload.provider_file_id;
    if mapping.attachment_id is distinct from target then
      raise exception 'provider file % is recorded for another attachment', record_provider_upload.provider_file_id
        using errcode = '23505';
    end if;
  end if;
  return mapping;
end
$$;
grant execute on function public.record_provider_upload(uuid, text, text, timestamptz, timestamptz) to authenticated, service_role;
comment on function public.record_provider_upload(uuid, text, text, timestamptz, timestamptz) is
  'Records that an attachment of the caller''s (the service role: any) was uploaded to a provider as '
  'provider_file_id, uploaded at uploaded_at (default now) and expiring at expires_at (null: never). Recording the '
  'same provider file again returns the first record. Returns the provider_file_uploads row. Errors: 22023 (400) '
  'bad provider, id or times; PT404 (404) no such attachment or not the caller''s; 23505 (409) the provider file '
  'id is recorded for another attachment; anon is denied (401).';

create function public.find_provider_file(attachment_id uuid, provider text)
returns setof public.provider_file_uploads
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  target uuid := private.resolve_attachment_id(find_provider_file.attachment_id);
  clock timestamptz := private.now();
  live uuid;
begin
  if (select auth.uid()) is null and not private.is_service_role() then
    raise exception 'sign in to find provider files' using errcode = '42501';
  end if;
  if find_provider_file.provider is null then
    perform private.invalid_parameter('provider is required');
  end if;
  if not exists (select 1 from public.attachments a where a.id = target
    and (a.owner_id = (select auth.uid()) or private.is_service_role())) then
    perform private.not_found('attachment', 'The attachment does not exist or is not yours.');
  end if;
  select p.id into live from public.provider_file_uploads p
  where p.attachment_id = target and p.provider = find_provider_file.provider
    and (p.expires_at is null or p.expires_at > clock)
  order by p.uploaded_at desc
  limit 1;
  if live is null then
    return;
  end if;
  return query
  update public.provider_file_uploads p
  set use_count = p.use_count + 1, last_used_at = clock
  where p.id = live
  returning p.*;
end
$$;
grant execute on function public.find_provider_file(uuid, text) to authenticated, service_role;
comment on function public.find_provider_file(uuid, text) is
  'The live mapping of an attachment of the caller''s (the service role: any) at a provider: the newest one not '
  'expired, its use_count raised by one; none (an empty result: use supabase-js .maybeSingle()) when there is none '
  'or all expired, and the agent uploads again. Errors: 22023 (400) no provider; PT404 (404) no such attachment '
  'or not the caller''s; anon is denied (401).';
