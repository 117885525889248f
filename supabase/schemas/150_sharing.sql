-- Sharing and forking: share links whose random tokens are stored only as SHA-256 hashes, with
-- expiry, revocation and a snapshot point; reading a shared chat without an account; forking a
-- chat (one the caller can read, or through a share link) into a new chat of the caller's.
create table public.chat_shares (
  id uuid primary key default gen_random_uuid(),
  chat_id uuid not null references public.chats (id) on delete cascade,
  -- SHA-256 of the token; the token itself is shown once by share_chat and never stored
  token_hash bytea not null
    constraint chat_shares_token_hash_check check (octet_length(token_hash) = 32),
  -- the snapshot point: the shared branch ends here, whatever is written after
  up_to_message_id uuid not null references public.messages (id) on delete cascade,
  created_by uuid default auth.uid(),
  expires_at timestamptz,
  revoked_at timestamptz,
  -- clock time, compared with artifact versions' (also clock time): a version written earlier in
  -- the same transaction as the share is part of it
  created_at timestamptz not null default clock_timestamp(),
  constraint chat_shares_token_hash_key unique (token_hash)
);
comment on table public.chat_shares is
  'Share links of chats: token stored as its SHA-256 hash only, snapshot point, expiry, revocation.';
comment on column public.chat_shares.up_to_message_id is 'Snapshot point: the shared branch ends at this message.';
create index chat_shares_chat_id_idx on public.chat_shares (chat_id);
create index chat_shares_up_to_message_id_idx on public.chat_shares (up_to_message_id);

alter table public.chat_shares enable row level security;
revoke all on public.chat_shares from anon, authenticated, service_role;
-- token_hash is not readable through the API: nobody needs it back
grant select (id, chat_id, up_to_message_id, created_by, expires_at, revoked_at, created_at)
  on public.chat_shares to authenticated;
grant insert (chat_id, token_hash, up_to_message_id, expires_at) on public.chat_shares to authenticated;
grant update (revoked_at) on public.chat_shares to authenticated;
grant select, insert, update, delete on public.chat_shares to service_role;

create policy chat_shares_select_owner on public.chat_shares
  for select to authenticated
  using (private.has_role_on_chat(chat_id, 'owner'));

create policy chat_shares_insert_owner on public.chat_shares
  for insert to authenticated
  with check (private.has_role_on_chat(chat_id, 'owner') and created_by = (select auth.uid()));

create policy chat_shares_update_owner on public.chat_shares
  for update to authenticated
  using (private.has_role_on_chat(chat_id, 'owner'))
  with check (private.has_role_on_chat(chat_id, 'owner'));

-- What share_chat returns: the token is in it once and nowhere else.
create type public.chat_share_token as (
  share_id uuid,
  token text,
  chat_id uuid,
  up_to_message_id uuid,
  expires_at timestamptz
);
comment on type public.chat_share_token is 'A new share link: its id and its token (shown this once only).';

create function public.share_chat(chat_id uuid, expires_at timestamptz default null, up_to_message_id uuid default null)
returns public.chat_share_token
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  result public.chat_share_token;
  snapshot uuid := share_chat.up_to_message_id;
begin
  if not private.has_role_on_chat(share_chat.chat_id, 'owner') then
    perform private.deny('chat', share_chat.chat_id, 'share it');
  end if;
  if share_chat.expires_at is not null and share_chat.expires_at <= private.now() then
    perform private.invalid_parameter('expires_at must be in the future');
  end if;
  if snapshot is null then
    select c.current_leaf_id into snapshot from public.chats c where c.id = share_chat.chat_id;
    if snapshot is null then
      perform private.invalid_parameter('the chat has no messages to share');
    end if;
  elsif not exists (select 1 from public.messages m where m.id = snapshot and m.chat_id = share_chat.chat_id) then
    perform private.invalid_parameter('up_to_message_id is not a message of this chat');
  end if;

  -- 192 random bits, URL-safe base64 without padding (32 characters)
  result.token := pg_catalog.translate(pg_catalog.encode(extensions.gen_random_bytes(24), 'base64'), '+/', '-_');
  result.chat_id := share_chat.chat_id;
  result.up_to_message_id := snapshot;
  result.expires_at := share_chat.expires_at;
  insert into public.chat_shares (chat_id, token_hash, up_to_message_id, expires_at)
  values (share_chat.chat_id, extensions.digest(result.token, 'sha256'), snapshot, share_chat.expires_at)
  returning id into result.share_id;
  return result;
end
$$;
grant execute on function public.share_chat(uuid, timestamptz, uuid) to authenticated;
comment on function public.share_chat(uuid, timestamptz, uuid) is
  'Creates a share link of a chat (owner only) and returns {share_id, token, chat_id, up_to_message_id, expires_at}. '
  'The token (192 random bits, URL-safe) is shown this once: only its SHA-256 hash is stored. The link shows the '
  'branch ending at up_to_message_id (default: the current leaf now), never what is written later. '
  'Errors: PT404 (404) no such chat; 42501 (403) not the owner; 22023 (400) past expiry, empty chat, foreign message.';

create function public.revoke_share(share_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  update public.chat_shares s
  set revoked_at = coalesce(s.revoked_at, pg_catalog.now())
  where s.id = revoke_share.share_id;
  if not found then
    perform private.not_found('share', 'The share does not exist or you do not own its chat.');
  end if;
  return true;
end
$$;
grant execute on function public.revoke_share(uuid) to authenticated;
comment on function public.revoke_share(uuid) is
  'Revokes a share link (owner of the chat only): its token stops working at once. Returns true, also when it was '
  'already revoked. Errors: PT404 (404) no such share or not the owner.';

create function public.list_shares(chat_id uuid)
returns table (
  share_id uuid,
  up_to_message_id uuid,
  created_by uuid,
  created_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz,
  active boolean
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not private.has_role_on_chat(list_shares.chat_id, 'owner') then
    perform private.deny('chat', list_shares.chat_id, 'see its share links');
  end if;
  return query
  select s.id, s.up_to_message_id, s.created_by, s.created_at, s.expires_at, s.revoked_at,
    s.revoked_at is null and (s.expires_at is null or s.expires_at > private.now())
  from public.chat_shares s
  where s.chat_id = list_shares.chat_id
  order by s.created_at desc, s.id;
end
$$;
grant execute on function public.list_shares(uuid) to authenticated;
comment on function public.list_shares(uuid) is
  'The share links of a chat (owner only), newest first: share_id, up_to_message_id, created_by, created_at, '
  'expires_at, revoked_at, active (neither revoked nor expired). Tokens are never returned. '
  'Errors: PT404 (404) no such chat; 42501 (403) not the owner.';

-- The active share a token opens, or nothing: unknown, malformed, expired and revoked tokens are
-- indistinguishable. One probe of the unique index on the hash.
create function private.find_active_share(token text)
returns public.chat_shares
language sql
stable
security definer
set search_path = ''
as $$
  select s.* from public.chat_shares s
  where find_active_share.token is not null
    and pg_catalog.char_length(find_active_share.token) between 16 and 256
    and s.token_hash = extensions.digest(find_active_share.token, 'sha256')
    and s.revoked_at is null
    and (s.expires_at is null or s.expires_at > private.now())
$$;

-- Security definer: whoever holds a valid token reads the shared branch without any right on the
-- chat. The token is the whole check; only the snapshot branch and presentation fields are
-- returned (no owner, metadata, tokens or costs).
create function private.get_shared_chat(token text, before bigint, after bigint, page_size integer)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  share public.chat_shares;
  ranges bigint[];
  chat jsonb;
  messages jsonb;
begin
  if page_size is null or page_size not between 1 and 1000 then
    perform private.invalid_parameter('limit must be between 1 and 1000');
  end if;
  share := private.find_active_share(get_shared_chat.token);
  if share.id is null then
    perform private.not_found('shared chat');
  end if;
  ranges := private.branch_ranges(share.up_to_message_id);

  select pg_catalog.jsonb_build_object(
      'id', c.id, 'title', c.title, 'phase', c.phase, 'created_at', c.created_at,
      'agent', (select pg_catalog.jsonb_build_object('name', a.name, 'display_name', a.display_name, 'icon', a.icon)
                from public.agents a where a.id = c.agent_id),
      'message_count', (select m.depth from public.messages m where m.id = share.up_to_message_id))
    into chat
  from public.chats c where c.id = share.chat_id;

  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
      'id', p.id, 'sequence_number', p.sequence_number, 'depth', p.depth, 'role', p.role, 'content', p.content,
      'parts', p.parts, 'agent_name', p.agent_name, 'agent_model', p.agent_model, 'intent', p.intent,
      'status', p.status, 'created_at', p.created_at) order by p.sequence_number), '[]')
    into messages
  from private.branch_page(share.chat_id, ranges, get_shared_chat.before,
    case when get_shared_chat.before is null then coalesce(get_shared_chat.after, 0) else get_shared_chat.after end,
    page_size) p;

  return pg_catalog.jsonb_build_object(
    'chat', chat,
    'share', pg_catalog.jsonb_build_object('expires_at', share.expires_at, 'up_to_message_id', share.up_to_message_id),
    'messages', messages);
end
$$;
grant execute on function private.get_shared_chat(text, bigint, bigint, integer) to anon, authenticated;

-- The shared page with, on each message, the versions of non-hidden artifacts it created and the
-- files linked to it, as they were when the link was made. Security definer: anonymous visitors
-- have no right on artifacts or attachments; what they get is bounded by the messages
-- private.get_shared_chat has checked.
create function private.get_shared_chat_with_artifacts(token text, before bigint, after bigint, page_size integer)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  -- private.get_shared_chat checks the token (unknown, expired and revoked alike are PT404)
  shared jsonb := private.get_shared_chat(get_shared_chat_with_artifacts.token, get_shared_chat_with_artifacts.before,
    get_shared_chat_with_artifacts.after, get_shared_chat_with_artifacts.page_size);
  shared_chat_id uuid := (shared -> 'chat' ->> 'id')::uuid;
  shared_at timestamptz;
begin
  select s.created_at into shared_at
  from public.chat_shares s
  where s.token_hash = extensions.digest(get_shared_chat_with_artifacts.token, 'sha256');

  return jsonb_set(shared, '{messages}', (
    select coalesce(jsonb_agg(m.value || jsonb_build_object('artifact_versions', coalesce((
      select jsonb_agg(jsonb_build_object('id', v.id, 'artifact_id', a.id, 'type', a.type, 'title', a.title,
        'description', a.description, 'version_number', v.version_number, 'change_summary', v.change_summary,
        'content', v.content, 'content_json', v.content_json, 'file_path', v.file_path, 'created_at', v.created_at)
        order by v.created_at, v.id)
      from public.artifact_versions v
      join public.artifacts a on a.id = v.artifact_id
      where v.created_by_message_id = (m.value ->> 'id')::uuid and a.chat_id = shared_chat_id and a.hidden_at is null
        and v.created_at <= shared_at
    ), '[]'::jsonb), 'attachments', coalesce((
      select jsonb_agg(private.attachment_brief(f) order by l.created_at, l.id)
      from public.attachment_links l
      join public.attachments f on f.id = l.attachment_id
      where l.message_id = (m.value ->> 'id')::uuid and l.chat_id = shared_chat_id and l.created_at <= shared_at
    ), '[]'::jsonb)) order by m.ordinality), '[]'::jsonb)
    from jsonb_array_elements(shared -> 'messages') with ordinality m
  ));
end
$$;
grant execute on function private.get_shared_chat_with_artifacts(text, bigint, bigint, integer) to anon, authenticated;
comment on function private.get_shared_chat_with_artifacts(text, bigint, bigint, integer) is
  'get_shared_chat''s answer with, on each message, the versions of non-hidden artifacts it created and the files '
  'linked to it, as they were when the link was made.';

create function public.get_shared_chat(token text, before bigint default null, after bigint default null, "limit" integer default 100)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.get_shared_chat_with_artifacts(get_shared_chat.token, get_shared_chat.before, get_shared_chat.after,
    get_shared_chat."limit")
$$;
grant execute on function public.get_shared_chat(text, bigint, bigint, integer) to anon, authenticated;
comment on function public.get_shared_chat(text, bigint, bigint, integer) is
  'Reads a shared chat through its link token; callable without an account. Returns {chat: {id, title, phase, '
  'created_at, agent: {name, display_name, icon}, message_count}, share: {expires_at, up_to_message_id}, messages: '
  '[{id, sequence_number, depth, role, content, parts, agent_name, agent_model, intent, status, created_at, '
  'artifact_versions: [{id, artifact_id, type, title, description, version_number, change_summary, content, '
  'content_json, file_path, created_at}], attachments: [{id, bucket_id, path, file_name, size_bytes, mime_type, '
  'category, processing_status}]}]}: the branch up to the snapshot point, from its start by default, each message '
  'with the versions of non-hidden artifacts it created and the files linked to it (later ones are not shared; '
  'download a file from Storage sending the token as the header x-parley-share-token); after = the last '
  'sequence_number read gives the next page, before = n the page ending before n; limit 1..1000 (default 100). '
  'Errors: PT404 (404) for an unknown, expired or revoked token alike; 22023 (400) bad limit.';

-- Security definer: forking through a share link copies a chat the caller has no right on. The
-- caller must be signed in and hold a valid token or be able to read the chat; only the branch
-- they could read is copied, into a chat they own.
create function private.fork_chat(chat_id uuid, token text, up_to_message_id uuid)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  source public.chats;
  share public.chat_shares;
  up_to public.messages;
  new_chat_id uuid;
begin
  if me is null then
    raise exception 'sign in to fork a chat' using errcode = '42501';
  end if;
  if (fork_chat.chat_id is null) = (fork_chat.token is null) then
    perform private.invalid_parameter('pass either chat_id or token');
  end if;

  if fork_chat.token is not null then
    share := private.find_active_share(fork_chat.token);
    if share.id is null then
      perform private.not_found('shared chat');
    end if;
    select c.* into source from public.chats c where c.id = share.chat_id;
    select m.* into up_to from public.messages m
    where m.id = coalesce(fork_chat.up_to_message_id, share.up_to_message_id) and m.chat_id = source.id;
    if up_to.id is null
      or not private.on_branch(private.branch_ranges(share.up_to_message_id), up_to.segment_start, up_to.sequence_number) then
      perform private.invalid_parameter('up_to_message_id is not part of the shared conversation');
    end if;
  else
    if not private.has_role_on_chat(fork_chat.chat_id) then
      perform private.not_found('chat');
    end if;
    select c.* into source from public.chats c where c.id = fork_chat.chat_id;
    select m.* into up_to from public.messages m
    where m.id = coalesce(fork_chat.up_to_message_id, source.current_leaf_id) and m.chat_id = source.id;
    if up_to.id is null then
      if fork_chat.up_to_message_id is null then
        perform private.invalid_parameter('the chat has no messages to fork');
      end if;
      perform private.invalid_parameter('up_to_message_id is not a message of this chat');
    end if;
  end if;

  insert into public.chats (owner_id, title, agent_id, phase, metadata, forked_from_chat_id, forked_from_message_id)
  values (
    me,
    source.title,
    -- keep the agent only if the new owner may use it
    (select a.id from public.agents a where a.id = source.agent_id and (a.owner_id is null or a.owner_id = me)),
    source.phase,
    -- a share link exposes no metadata, so a fork through one copies none
    case when fork_chat.token is null then source.metadata else '{}' end,
    source.id,
    up_to.id
  )
  returning id into new_chat_id;

  -- The branch, root first: each copy's parent defaults to the new chat's current leaf, i.e. the
  -- previous copy, so the fork is the one straight branch. Tokens, latency and client ids are not
  -- copied: the fork did not cost anything, and usage stays with the original.
  insert into public.messages (chat_id, role, content, parts, agent_name, agent_model, intent, status, metadata,
    author_id)
  select new_chat_id, p.role, p.content, p.parts, p.agent_name, p.agent_model, p.intent, p.status,
    case when fork_chat.token is null then p.metadata else '{}' end, null
  from private.branch_page(source.id, private.branch_ranges(up_to.id), null, 0, 2147483647) p
  order by p.sequence_number;

  return new_chat_id;
end
$$;
grant execute on function private.fork_chat(uuid, text, uuid) to authenticated;

create function public.fork_chat(chat_id uuid default null, token text default null, up_to_message_id uuid default null)
returns public.chats
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  new_chat_id uuid := private.fork_chat(fork_chat.chat_id, fork_chat.token, fork_chat.up_to_message_id);
  chat public.chats;
begin
  select c.* into chat from public.chats c where c.id = new_chat_id;
  return chat;
end
$$;
grant execute on function public.fork_chat(uuid, text, uuid) to authenticated;
comment on function public.fork_chat(uuid, text, uuid) is
  'Copies a branch into a new chat owned by the caller and returns the new chat (a chats row with '
  'forked_from_chat_id and forked_from_message_id as provenance). Pass chat_id (a chat the caller can read; the '
  'branch ends at up_to_message_id, default the current leaf) or token (a valid share link; up_to_message_id must '
  'lie on the shared branch, default its snapshot point). Token counts are not copied. Errors: PT404 (404) no such '
  'chat or share; 22023 (400) both or neither of chat_id/token, a message off the branch; anon is denied (401).';
