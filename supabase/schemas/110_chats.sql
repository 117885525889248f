-- chats: the conversation container; its uuid is the chat's URL id.
create table public.chats (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title private.title_text,
  agent_id uuid references public.agents (id) on delete set null,
  project_id uuid references public.projects (id) on delete set null,
  continuation_id private.token_200,
  phase private.snake_case_40,
  pinned boolean not null default false,
  archived boolean not null default false,
  metadata private.json_object_16k not null default '{}',
  expires_at timestamptz,
  ttl private.time_to_live,
  -- A fork's provenance: deleting the source chat nulls both (chats_125_clear_fork_message). The
  -- message has no foreign key, so that messages.chat_id is the one relationship between chats
  -- and messages: `select('*, messages(*)')` embeds a chat's messages without naming a key.
  forked_from_chat_id uuid references public.chats (id) on delete set null deferrable initially deferred,
  forked_from_message_id uuid,
  current_leaf_id uuid,
  last_sequence_number bigint not null default 0,
  message_count integer not null default 0,
  input_tokens bigint not null default 0,
  output_tokens bigint not null default 0,
  last_message_at timestamptz,
  last_activity_at timestamptz not null default now(),
  -- The minute of last_activity_at: what list_chats' index holds instead of last_activity_at, so
  -- that appending a message changes no indexed column of the chat row (within the minute) and its
  -- update is HOT. Kept by the message trigger: a generated column would be recomputed on every
  -- one of those updates.
  last_activity_minute timestamptz not null default date_bin(interval '1 minute', now(), timestamptz '2000-01-01 00:00:00+00'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Where the current leaf is (its parent, depth, segment, the depth of the segment's head, and
  -- whether it ends its segment), so that the usual append is one UPDATE of the chat. Written only
  -- by the placing trigger and set_current_leaf.
  current_leaf_parent_id uuid,
  current_leaf_depth integer not null default 0,
  current_leaf_segment_start bigint,
  current_leaf_head_depth integer,
  current_leaf_ends_segment boolean not null default false,
  -- A conversation about a journal entry (a dream): its foreign key and owner check are in
  -- 380_dreams.sql, after entries.
  entry_id uuid,
  constraint chats_owner_id_continuation_id_key unique (owner_id, continuation_id)
)
-- room on each page for the new versions of a chat row that every message writes (HOT updates)
with (fillfactor = 70);
comment on table public.chats is
  'Conversations. The uuid is the chat''s URL id. Counters and the current leaf are maintained by the message trigger.';
comment on column public.chats.continuation_id is 'EX-AI continuation id, unique per owner (record_conversation, get_chat_by_continuation).';
comment on column public.chats.phase is 'Where the conversation is in the app''s workflow (e.g. ideation, parts, assembly, code).';
comment on column public.chats.expires_at is 'When the chat expires; the scheduler purges expired chats every minute.';
comment on column public.chats.ttl is 'Sliding time to live: each record_conversation call sets expires_at to now + ttl.';
comment on column public.chats.forked_from_chat_id is 'Provenance of a fork: the source chat (null once it is deleted).';
comment on column public.chats.forked_from_message_id is
  'Provenance of a fork: the source message the copied branch ended at (null once the source chat is deleted).';
comment on column public.chats.current_leaf_id is
  'The message the visible branch ends at; new messages attach under it by default and become the new leaf.';
comment on column public.chats.last_sequence_number is 'Allocator of the per-chat gapless message sequence numbers.';
comment on column public.chats.input_tokens is
  'Sum of the input tokens the chat''s messages report, whoever reported them (get_usage bills only trusted counts).';
comment on column public.chats.output_tokens is
  'Sum of the output tokens the chat''s messages report, whoever reported them (get_usage bills only trusted counts).';
comment on column public.chats.last_activity_at is 'Last message, or creation: list_chats orders by it.';
comment on column public.chats.current_leaf_parent_id is 'Internal: the parent of the current leaf (cached place of the leaf).';
comment on column public.chats.current_leaf_depth is 'Internal: the depth of the current leaf, 0 without messages (cached place of the leaf).';
comment on column public.chats.current_leaf_segment_start is 'Internal: the segment of the current leaf (cached place of the leaf).';
comment on column public.chats.current_leaf_head_depth is
  'Internal: the depth of the first message of the current leaf''s segment (cached place of the leaf).';
comment on column public.chats.current_leaf_ends_segment is
  'Internal: whether the current leaf is the last message of its segment (cached place of the leaf).';
comment on column public.chats.entry_id is 'The journal entry (e.g. a dream) the chat is about, an entry of the chat''s owner.';

-- list_chats reads it in minute order and sorts within a minute (an incremental sort)
create index chats_owner_id_last_activity_minute_idx on public.chats (owner_id, last_activity_minute desc);
create index chats_agent_id_idx on public.chats (agent_id) where agent_id is not null;
create index chats_project_id_idx on public.chats (project_id) where project_id is not null;
create index chats_forked_from_chat_id_idx on public.chats (forked_from_chat_id) where forked_from_chat_id is not null;
create index chats_forked_from_message_id_idx on public.chats (forked_from_message_id) where forked_from_message_id is not null;

-- A fork's source message goes with its source chat: when deleting the chat nulls
-- forked_from_chat_id, the message id is cleared too.
create function private.chats_clear_fork_message()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.forked_from_message_id := null;
  return new;
end
$$;

create trigger chats_125_clear_fork_message
  before update of forked_from_chat_id on public.chats
  for each row when (new.forked_from_chat_id is null and old.forked_from_chat_id is not null)
  execute function private.chats_clear_fork_message();
create index chats_expires_at_idx on public.chats (expires_at) where expires_at is not null;
create index chats_entry_id_idx on public.chats (entry_id) where entry_id is not null;

-- Clients change chats through the RPCs; the grants are what those security invoker RPCs need,
-- column by column, so counters, provenance and the leaf stay read-only. The service role may
-- write every column but the current leaf's cached place (set_current_leaf moves the leaf).
alter table public.chats enable row level security;
revoke all on public.chats from anon, authenticated, service_role;
grant select on public.chats to authenticated;
grant insert (title, agent_id, project_id, continuation_id, phase, pinned, archived, metadata, expires_at, ttl, entry_id)
  on public.chats to authenticated;
grant update (title, agent_id, project_id, phase, pinned, archived, metadata, expires_at, ttl)
  on public.chats to authenticated;
grant delete on public.chats to authenticated;
grant select, delete on public.chats to service_role;
grant insert (id, owner_id, title, agent_id, project_id, continuation_id, phase, pinned, archived, metadata, expires_at,
  ttl, forked_from_chat_id, forked_from_message_id, last_sequence_number, message_count, input_tokens, output_tokens,
  last_message_at, last_activity_at, last_activity_minute, created_at, updated_at, entry_id)
  on public.chats to service_role;
grant update (id, owner_id, title, agent_id, project_id, continuation_id, phase, pinned, archived, metadata, expires_at,
  ttl, forked_from_chat_id, forked_from_message_id, last_sequence_number, message_count, input_tokens, output_tokens,
  last_message_at, last_activity_at, last_activity_minute, created_at, updated_at, entry_id)
  on public.chats to service_role;

-- Owner, or member: the membership set is computed once per statement (a hashed subplan), so a
-- scan over chats costs no function call per row.
create policy chats_select_reader on public.chats
  for select to authenticated
  using (owner_id = (select auth.uid()) or id in (select private.member_chat_ids()));

create policy chats_insert_own on public.chats
  for insert to authenticated
  with check (owner_id = (select auth.uid()));

create policy chats_update_owner on public.chats
  for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()));

create policy chats_delete_owner on public.chats
  for delete to authenticated
  using (owner_id = (select auth.uid()));

-- updated_at tracks the chat's settings, not every message (the counters have last_message_at)
create trigger chats_100_set_updated_at
  before update of title, agent_id, project_id, phase, pinned, archived, metadata, expires_at, ttl on public.chats
  for each row execute function private.set_updated_at();

-- A chat belongs only to a project of the chat's owner (otherwise anyone could attach a chat, and
-- through it artifacts, to someone else's project); once it holds artifacts (which belong to its
-- project) it cannot move to another, except that deleting its project unlinks it. Security
-- definer: the check must see the project whoever writes the chat row; it compares owners.
create function private.chats_check_project()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.project_id is not null and not exists (
    select 1 from public.projects p where p.id = new.project_id and p.owner_id = new.owner_id
  ) then
    perform private.not_found('project', 'A chat can only belong to a project of the chat''s owner.');
  end if;
  if tg_op = 'UPDATE' and new.project_id is distinct from old.project_id
    and exists (select 1 from public.artifacts a where a.chat_id = new.id)
    -- the project's deletion unlinks its chats (its row is gone by then)
    and (old.project_id is null or exists (select 1 from public.projects p where p.id = old.project_id)) then
    perform private.invalid_parameter('a chat with artifacts cannot move to another project',
      'Its artifacts belong to its project. Start a new chat in the other project.');
  end if;
  return new;
end
$$;

create trigger chats_110_check_project
  before insert or update of project_id on public.chats
  for each row execute function private.chats_check_project();

create function public.create_chat(
  title text default null,
  agent_id uuid default null,
  project_id uuid default null,
  continuation_id text default null,
  phase text default null,
  metadata jsonb default null,
  expires_at timestamptz default null,
  entry_id uuid default null
)
returns public.chats
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  chat public.chats;
  clock timestamptz := private.now();
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to create a chat' using errcode = '42501';
  end if;
  if create_chat.agent_id is not null
    and not exists (select 1 from public.agents a where a.id = create_chat.agent_id) then
    perform private.invalid_parameter('agent_id is not an agent you can use', 'See list_agents().');
  end if;
  if create_chat.continuation_id is not null
    and (pg_catalog.char_length(create_chat.continuation_id) not between 1 and 200 or create_chat.continuation_id ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter('continuation_id must be 1 to 200 characters without spaces');
  end if;
  if create_chat.phase is not null and create_chat.phase !~ '^[a-z][a-z0-9_]{0,39}$' then
    perform private.invalid_parameter('phase must be lowercase snake_case of 1 to 40 characters');
  end if;
  perform private.check_json_object(create_chat.metadata, 'metadata');
  if create_chat.expires_at is not null and create_chat.expires_at <= clock then
    perform private.invalid_parameter('expires_at must be in the future');
  end if;
  if create_chat.continuation_id is not null and create_chat.expires_at is not null
    and create_chat.expires_at - clock not between interval '1 minute' and interval '366 days' then
    perform private.invalid_parameter('a continuation chat must expire between 1 minute and 366 days from now');
  end if;

  insert into public.chats (title, agent_id, project_id, continuation_id, phase, metadata, expires_at, ttl, entry_id)
  values (
    private.clean_label(create_chat.title, 'title', 200, true),
    create_chat.agent_id,
    create_chat.project_id,
    create_chat.continuation_id,
    create_chat.phase,
    coalesce(create_chat.metadata, '{}'),
    create_chat.expires_at,
    -- a continuation chat keeps the lifetime it was created with as its sliding TTL
    case when create_chat.continuation_id is not null then create_chat.expires_at - clock end,
    create_chat.entry_id
  )
  returning * into chat;
  return chat;
exception
  when unique_violation then
    raise exception '%', pg_catalog.format('you already have a chat with continuation_id %L', create_chat.continuation_id)
      using errcode = '23505', hint = 'Use get_chat_by_continuation() to find it.';
end
$$;
grant execute on function public.create_chat(text, uuid, uuid, text, text, jsonb, timestamptz, uuid) to authenticated;
comment on function public.create_chat(text, uuid, uuid, text, text, jsonb, timestamptz, uuid) is
  'Creates a chat owned by the caller and returns it (a chats row; its id is the chat''s URL id). All arguments are '
  'optional: an untitled chat takes its title from its first user message. A continuation chat with expires_at '
  'keeps that lifetime as its sliding TTL. entry_id: a journal entry of the caller''s (e.g. a dream) the chat is '
  'about; get_entry lists its chats. Errors: 22023 (400) invalid argument or unknown agent; PT404 (404) project or '
  'entry not the caller''s; 23505 (409) continuation_id already used by the caller; anon is denied (401).';

create function public.update_chat(
  chat_id uuid,
  title text default null,
  phase text default null,
  pinned boolean default null,
  archived boolean default null,
  metadata jsonb default null,
  expires_at timestamptz default null
)
returns public.chats
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  chat public.chats;
begin
  if update_chat.phase is not null and update_chat.phase <> '' and update_chat.phase !~ '^[a-z][a-z0-9_]{0,39}$' then
    perform private.invalid_parameter('phase must be lowercase snake_case of 1 to 40 characters');
  end if;
  perform private.check_json_object(update_chat.metadata, 'metadata');
  if update_chat.expires_at is not null and update_chat.expires_at <> 'infinity' and update_chat.expires_at <= private.now() then
    perform private.invalid_parameter('expires_at must be in the future', 'Pass ''infinity'' to make the chat permanent.');
  end if;

  update public.chats c
  set title = case
        when update_chat.title is null then c.title
        else private.clean_label(update_chat.title, 'title', 200, true)
      end,
      phase = case when update_chat.phase is null then c.phase else nullif(update_chat.phase, '') end,
      pinned = coalesce(update_chat.pinned, c.pinned),
      archived = coalesce(update_chat.archived, c.archived),
      metadata = case
        when update_chat.metadata is null then c.metadata
        else (c.metadata || update_chat.metadata) - array(
          select s.key from pg_catalog.jsonb_each(update_chat.metadata) s where s.value = 'null'::jsonb)
      end,
      expires_at = case
        when update_chat.expires_at is null then c.expires_at
        when update_chat.expires_at = 'infinity' then null
        else update_chat.expires_at
      end,
      ttl = case when update_chat.expires_at = 'infinity' then null else c.ttl end
  where c.id = update_chat.chat_id and c.owner_id = (select auth.uid())
  returning c.* into chat;
  if not found then
    perform private.deny('chat', update_chat.chat_id, 'change its settings');
  end if;
  return chat;
exception
  when check_violation then
    if sqlerrm like '%json_object_16k%' then
      perform private.invalid_parameter('metadata must be a JSON object of at most 16 kB');
    end if;
    raise;
end
$$;
grant execute on function public.update_chat(uuid, text, text, boolean, boolean, jsonb, timestamptz) to authenticated;
comment on function public.update_chat(uuid, text, text, boolean, boolean, jsonb, timestamptz) is
  'Changes a chat''s settings (owner only) and returns the chat. Omitted (null) arguments leave fields unchanged; '
  'title or phase '''' clears it; metadata is merged (a null value removes a key); expires_at ''infinity'' makes '
  'the chat permanent. Errors: PT404 (404) no such chat; 42501 (403) not the owner; 22023 (400) invalid argument.';

create function public.delete_chat(chat_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  delete from public.chats c where c.id = delete_chat.chat_id and c.owner_id = (select auth.uid());
  if not found then
    perform private.deny('chat', delete_chat.chat_id, 'delete it');
  end if;
  return true;
end
$$;
grant execute on function public.delete_chat(uuid) to authenticated;
comment on function public.delete_chat(uuid) is
  'Deletes a chat with its messages, members and shares (owner only); returns true. '
  'Errors: PT404 (404) no such chat (also on a repeated call); 42501 (403) not the owner.';

-- RPC: newest activity first. The cursor is the last row's "<last_activity_at>,<id>" (or just a
-- time): ties on the time are broken by id, so no chat is skipped or repeated between pages.
create function public.list_chats(
  "limit" integer default 50,
  before text default null,
  include_archived boolean default false
)
returns setof public.chats
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  page_size integer := coalesce(list_chats."limit", 50);
  cursor_time timestamptz;
  cursor_minute timestamptz;
  cursor_id uuid;
  clock timestamptz := private.now();
begin
  if page_size not between 1 and 200 then
    perform private.invalid_parameter('limit must be between 1 and 200');
  end if;
  if list_chats.before is not null then
    begin
      cursor_time := pg_catalog.split_part(list_chats.before, ',', 1)::timestamptz;
      cursor_id := coalesce(nullif(pg_catalog.split_part(list_chats.before, ',', 2), '')::uuid,
        'ffffffff-ffff-ffff-ffff-ffffffffffff');
    exception
      when others then
        perform private.invalid_parameter('before must be a cursor "<last_activity_at>,<id>" from the previous page');
    end;
    cursor_minute := pg_catalog.date_bin(interval '1 minute', cursor_time, timestamptz '2000-01-01 00:00:00+00');
  else
    cursor_time := 'infinity';
    cursor_minute := 'infinity';
    cursor_id := 'ffffffff-ffff-ffff-ffff-ffffffffffff';
  end if;

  -- last_activity_minute is a monotonic function of last_activity_at, so ordering by both is
  -- ordering by last_activity_at; the index gives the minutes, an incremental sort the rest.
  return query
  select c.* from (
    (select o.* from public.chats o
     where o.owner_id = me
       and o.last_activity_minute <= cursor_minute
       and (o.last_activity_at, o.id) < (cursor_time, cursor_id)
       and (list_chats.include_archived or not o.archived)
       and (o.expires_at is null or o.expires_at > clock)
     order by o.last_activity_minute desc, o.last_activity_at desc, o.id desc
     limit page_size)
    union all
    (select s.* from public.chat_members m
     join public.chats s on s.id = m.chat_id
     where m.user_id = me
       and (s.last_activity_at, s.id) < (cursor_time, cursor_id)
       and (list_chats.include_archived or not s.archived)
       and (s.expires_at is null or s.expires_at > clock)
     order by s.last_activity_at desc, s.id desc
     limit page_size)
  ) c
  order by c.last_activity_at desc, c.id desc
  limit page_size;
end
$$;
grant execute on function public.list_chats(integer, text, boolean) to authenticated;
comment on function public.list_chats(integer, text, boolean) is
  'The caller''s chats (owned and shared with them as a member), newest activity first, without expired ones '
  'and, unless include_archived, without archived ones. Returns setof chats; limit 1..200 (default 50). '
  'Next page: before = the last row''s "<last_activity_at>,<id>". Errors: 22023 (400) bad limit or cursor.';
