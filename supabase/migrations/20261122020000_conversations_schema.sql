-- Conversations core schema: agents, chats, branching messages, chat members, the RLS helpers
-- every conversation feature authorizes with, and the trigger that gives each message its place
-- (gapless per-chat sequence number, parent, branch segment) atomically.

-- ---------------------------------------------------------------------------------------------
-- agents: personas and interpreters (OHM's orchestrator/bom_generator…, Somni's Jung/Freud).
-- owner_id null = built-in and visible to every signed-in user; otherwise private to its owner.
create table public.agents (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid default auth.uid() references auth.users (id) on delete cascade,
  name text not null
    constraint agents_name_check check (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  display_name text not null
    constraint agents_display_name_check
    check (char_length(display_name) between 1 and 80 and display_name !~ '[[:cntrl:]]'),
  kind text not null default 'assistant'
    constraint agents_kind_check check (kind in ('assistant', 'interpreter')),
  icon text
    constraint agents_icon_check check (icon is null or char_length(icon) between 1 and 16),
  description text
    constraint agents_description_check check (description is null or char_length(description) <= 2000),
  default_model text
    constraint agents_default_model_check
    check (default_model is null or (char_length(default_model) between 1 and 128 and default_model !~ '[[:space:][:cntrl:]]')),
  prompt_name text
    constraint agents_prompt_name_check
    check (prompt_name is null or (char_length(prompt_name) between 1 and 128 and prompt_name !~ '[[:space:][:cntrl:]]')),
  metadata jsonb not null default '{}'
    constraint agents_metadata_check check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 16384),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- one built-in agent per name, and one per name for each owner
  constraint agents_owner_id_name_key unique nulls not distinct (owner_id, name)
);
comment on table public.agents is
  'Agents: personas and interpreters that write assistant messages. owner_id null = built-in, visible to all signed-in users.';
comment on column public.agents.name is 'Stable identifier (lowercase snake_case), what messages record as agent_name.';
comment on column public.agents.prompt_name is 'Name of the system prompt the agent runs with.';

alter table public.agents enable row level security;
revoke all on public.agents from anon, authenticated, service_role;
grant select on public.agents to authenticated;
grant insert (name, display_name, kind, icon, description, default_model, prompt_name, metadata)
  on public.agents to authenticated;
grant select, insert, update, delete on public.agents to service_role;

create policy agents_select_builtin_or_own on public.agents
  for select to authenticated
  using (owner_id is null or owner_id = (select auth.uid()));

create policy agents_insert_own on public.agents
  for insert to authenticated
  with check (owner_id = (select auth.uid()));

create trigger agents_100_set_updated_at
  before update on public.agents
  for each row execute function private.set_updated_at();

insert into public.agents (owner_id, name, display_name, kind, icon, description, default_model, prompt_name) values
  (null, 'orchestrator', 'Orchestrator', 'assistant', '🎯',
   'Reads each request, picks the intent (chat, BOM, code, wiring) and routes it to the right agent.',
   'openai/gpt-4o-mini', 'orchestrator'),
  (null, 'conversational', 'Conversational', 'assistant', '💡',
   'Talks the idea through and maintains the project context, MVP and requirements documents.',
   'anthropic/claude-sonnet-4-5', 'conversational'),
  (null, 'bom_generator', 'BOM generator', 'assistant', '📦',
   'Produces the bill of materials: parts, quantities, prices, alternatives and compatibility warnings.',
   'openai/gpt-4o', 'bom_generator'),
  (null, 'code_generator', 'Code generator', 'assistant', '💻',
   'Writes firmware in success units: calibration script, minimal working code, full implementation.',
   'anthropic/claude-sonnet-4-5', 'code_generator'),
  (null, 'wiring_generator', 'Wiring generator', 'assistant', '🔌',
   'Writes step-by-step, pin-to-pin wiring instructions with voltages and wire colours.',
   'openai/gpt-4o', 'wiring_generator'),
  (null, 'jungian_interpreter', 'Jungian interpreter', 'interpreter', '🌗',
   'Interprets dreams through archetypes, the shadow and individuation, after Carl Jung.',
   'anthropic/claude-sonnet-4-5', 'dream_interpreter_jung'),
  (null, 'freudian_interpreter', 'Freudian interpreter', 'interpreter', '🛋️',
   'Interprets dreams as disguised wish fulfilment through condensation and displacement, after Sigmund Freud.',
   'anthropic/claude-sonnet-4-5', 'dream_interpreter_freud');

-- ---------------------------------------------------------------------------------------------
-- chats: the conversation container; its uuid is the chat's URL id.
create table public.chats (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text
    constraint chats_title_check check (title is null or (char_length(title) between 1 and 200 and title !~ '[[:cntrl:]]')),
  agent_id uuid references public.agents (id) on delete set null,
  -- the artifacts migration adds the foreign key to projects
  project_id uuid,
  continuation_id text
    constraint chats_continuation_id_check
    check (continuation_id is null or (char_length(continuation_id) between 1 and 200 and continuation_id !~ '[[:space:][:cntrl:]]')),
  phase text
    constraint chats_phase_check check (phase is null or phase ~ '^[a-z][a-z0-9_]{0,39}$'),
  pinned boolean not null default false,
  archived boolean not null default false,
  metadata jsonb not null default '{}'
    constraint chats_metadata_check check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 16384),
  expires_at timestamptz,
  ttl interval
    constraint chats_ttl_check check (ttl is null or (ttl >= interval '1 minute' and ttl <= interval '366 days')),
  -- Deferred checks: deleting a source chat nulls both provenance columns of its forks through
  -- two separate actions, and each must not trip over the other's half-done state.
  forked_from_chat_id uuid references public.chats (id) on delete set null deferrable initially deferred,
  forked_from_message_id uuid,
  current_leaf_id uuid,
  last_sequence_number bigint not null default 0,
  message_count integer not null default 0,
  input_tokens bigint not null default 0,
  output_tokens bigint not null default 0,
  last_message_at timestamptz,
  last_activity_at timestamptz not null default now(),
  -- The minute of last_activity_at: what list_chats' index holds instead of last_activity_at
  -- itself, so that appending a message changes no indexed column of the chat row (within the
  -- same minute) and its update is HOT: no new index entries, no index bloat on busy chats.
  -- (Kept by the message trigger rather than as a generated column, which would be recomputed,
  -- expression and all, on every one of those updates.)
  last_activity_minute timestamptz not null default date_bin(interval '1 minute', now(), timestamptz '2000-01-01 00:00:00+00'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
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
comment on column public.chats.forked_from_message_id is 'Provenance of a fork: the source message the copied branch ended at.';
comment on column public.chats.current_leaf_id is
  'The message the visible branch ends at; new messages attach under it by default and become the new leaf.';
comment on column public.chats.last_sequence_number is 'Allocator of the per-chat gapless message sequence numbers.';
comment on column public.chats.input_tokens is 'Sum of the input tokens of the chat''s messages.';
comment on column public.chats.output_tokens is 'Sum of the output tokens of the chat''s messages.';
comment on column public.chats.last_activity_at is 'Last message, or creation: list_chats orders by it.';

-- list_chats reads it in minute order and sorts within a minute (an incremental sort)
create index chats_owner_id_last_activity_minute_idx on public.chats (owner_id, last_activity_minute desc);
create index chats_agent_id_idx on public.chats (agent_id) where agent_id is not null;
create index chats_project_id_idx on public.chats (project_id) where project_id is not null;
create index chats_forked_from_chat_id_idx on public.chats (forked_from_chat_id) where forked_from_chat_id is not null;
create index chats_forked_from_message_id_idx on public.chats (forked_from_message_id) where forked_from_message_id is not null;
create index chats_expires_at_idx on public.chats (expires_at) where expires_at is not null;

-- ---------------------------------------------------------------------------------------------
-- messages: a tree per chat (edits and regenerations make siblings), stored so that any branch
-- is a handful of index ranges:
--   * a segment is a run of messages where each one's parent is the previous one; a message
--     continues its parent's segment when the parent is that segment's last message, otherwise
--     (a sibling, i.e. an edit or a regeneration) it starts a new segment;
--   * segment_start is the sequence number of the segment's first message (its head);
--   * the head stores segment_ancestry: flattened [segment_start, last sequence number] pairs,
--     root first, of the segments above it on its branch.
-- The branch ending at a message m is then: segment m.segment_start up to m.sequence_number,
-- plus each (start, last) pair of its head's ancestry; paging it costs index range scans whose
-- number depends on the branch points along that branch, never on the chat's length.
create table public.messages (
  id uuid primary key default gen_random_uuid(),
  chat_id uuid not null references public.chats (id) on delete cascade,
  sequence_number bigint not null,
  -- The nil uuid (the default) stands for "the chat's current leaf" and is resolved by the
  -- trigger; an explicit null makes a root message. No foreign key: the placing trigger checks
  -- that the parent exists in the same chat, parent_id is never updated, and messages are only
  -- ever deleted together with their chat; a foreign key would cost a lookup on every insert and
  -- an index on parent_id that every insert maintains.
  parent_id uuid default '00000000-0000-0000-0000-000000000000',
  depth integer not null,
  segment_start bigint not null,
  segment_ancestry bigint[],
  role text not null
    constraint messages_role_check check (role in ('system', 'user', 'assistant', 'tool')),
  content text not null default ''
    constraint messages_content_length_check check (char_length(content) <= 200000),
  parts jsonb
    constraint messages_parts_check check (parts is null or (jsonb_typeof(parts) = 'array' and pg_column_size(parts) <= 1048576)),
  agent_name text
    constraint messages_agent_name_check check (agent_name is null or (char_length(agent_name) between 1 and 64 and agent_name !~ '[[:cntrl:]]')),
  agent_model text
    constraint messages_agent_model_check
    check (agent_model is null or (char_length(agent_model) between 1 and 128 and agent_model !~ '[[:space:][:cntrl:]]')),
  intent text
    constraint messages_intent_check check (intent is null or (char_length(intent) between 1 and 64 and intent !~ '[[:space:][:cntrl:]]')),
  input_tokens integer constraint messages_input_tokens_check check (input_tokens >= 0),
  output_tokens integer constraint messages_output_tokens_check check (output_tokens >= 0),
  latency_ms integer constraint messages_latency_ms_check check (latency_ms >= 0),
  status text not null default 'complete'
    constraint messages_status_check check (status in ('pending', 'streaming', 'complete', 'error', 'cancelled')),
  metadata jsonb not null default '{}'
    constraint messages_metadata_check check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 16384),
  client_message_id text
    constraint messages_client_message_id_check
    check (client_message_id is null or (char_length(client_message_id) between 1 and 200 and client_message_id !~ '[[:space:][:cntrl:]]')),
  -- who wrote it (the signed-in caller); no foreign key, so deleting a user never has to scan
  -- every chat they wrote in
  author_id uuid default auth.uid(),
  -- full-text search over the first 100,000 characters
  content_search tsvector generated always as (to_tsvector('english'::regconfig, left(content, 100000))) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- a message needs something to say, unless it is a placeholder being generated
  constraint messages_content_check check (content ~ '[^[:space:]]' or parts is not null or status in ('pending', 'streaming')),
  constraint messages_segment_check check ((sequence_number = segment_start) = (segment_ancestry is not null)),
  constraint messages_chat_id_sequence_number_key unique (chat_id, sequence_number)
);
comment on table public.messages is
  'Messages: a tree per chat (edits and regenerations are siblings). sequence_number is per chat, gapless, in creation order.';
comment on column public.messages.sequence_number is 'Per-chat, 1, 2, 3… without gaps, assigned atomically on insert.';
comment on column public.messages.parent_id is 'The message this one answers or follows; null for a root. Omitted: the chat''s current leaf.';
comment on column public.messages.depth is 'Position on its branch: 1 for a root, parent''s depth + 1 otherwise.';
comment on column public.messages.segment_start is 'Internal: sequence number of the first message of this message''s segment (see the table comment in the migration).';
comment on column public.messages.segment_ancestry is 'Internal, set on segment heads only: [start, last] pairs of the segments above, root first.';
comment on column public.messages.content is 'Text of the message, at most 200,000 characters (search indexes the first 100,000).';
comment on column public.messages.parts is 'Structured parts (tool calls, images, citations…): a JSON array of at most 1 MB.';
comment on column public.messages.client_message_id is 'Client''s idempotency key, unique per chat: the same key again returns the same message.';

create index messages_chat_id_segment_start_sequence_number_idx
  on public.messages (chat_id, segment_start, sequence_number);
-- Segment heads only (roots, edits, regenerations: a small share of messages): their parents.
-- With the segment index this finds the children of any message (get_message_siblings).
create index messages_chat_id_parent_id_heads_idx on public.messages (chat_id, parent_id)
  where segment_ancestry is not null;
create unique index messages_chat_id_client_message_id_key
  on public.messages (chat_id, client_message_id) where client_message_id is not null;
create index messages_content_search_idx on public.messages using gin (content_search);

alter table public.chats
  add constraint chats_forked_from_message_id_fkey
  foreign key (forked_from_message_id) references public.messages (id) on delete set null deferrable initially deferred;

-- ---------------------------------------------------------------------------------------------
-- chat_members: people the owner shares the chat with. viewer reads; editor reads and writes.
create table public.chat_members (
  chat_id uuid not null references public.chats (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null
    constraint chat_members_role_check check (role in ('viewer', 'editor')),
  added_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (chat_id, user_id)
);
comment on table public.chat_members is 'Members of a chat besides its owner: viewers read it, editors also write messages.';
create index chat_members_user_id_idx on public.chat_members (user_id);

create trigger chat_members_100_set_updated_at
  before update on public.chat_members
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- RLS helpers. Security definer so that policies on chats, messages and chat_members can consult
-- both tables without recursing through each other's policies; they only answer yes or no about
-- the calling user. PL/pgSQL rather than SQL: policies call them once per row, and PL/pgSQL keeps
-- its plans for the session while a non-inlined SQL function is parsed and planned again in
-- every statement that calls it.
create function private.is_chat_owner(chat_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.chats c
    where c.id = is_chat_owner.chat_id and c.owner_id = (select auth.uid())
  );
end
$$;
comment on function private.is_chat_owner(uuid) is 'Whether the calling user owns the chat.';
grant execute on function private.is_chat_owner(uuid) to authenticated;

create function private.can_read_chat(chat_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.chats c
    where c.id = can_read_chat.chat_id and c.owner_id = (select auth.uid())
  ) or exists (
    select 1 from public.chat_members m
    where m.chat_id = can_read_chat.chat_id and m.user_id = (select auth.uid())
  );
end
$$;
comment on function private.can_read_chat(uuid) is 'Whether the calling user may read the chat: its owner or any member.';
grant execute on function private.can_read_chat(uuid) to authenticated;

create function private.can_write_chat(chat_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.chats c
    where c.id = can_write_chat.chat_id and c.owner_id = (select auth.uid())
  ) or exists (
    select 1 from public.chat_members m
    where m.chat_id = can_write_chat.chat_id and m.user_id = (select auth.uid()) and m.role = 'editor'
  );
end
$$;
comment on function private.can_write_chat(uuid) is 'Whether the calling user may write messages in the chat: its owner or an editor.';
grant execute on function private.can_write_chat(uuid) to authenticated;

-- The chats the caller is a member of (not owner). Used by the chats policy as a set computed
-- once per statement, so scanning chats never calls a function per row.
create function private.member_chat_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.chat_id from public.chat_members m where m.user_id = (select auth.uid())
$$;
comment on function private.member_chat_ids() is 'The ids of the chats the calling user is a member of.';
grant execute on function private.member_chat_ids() to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies. Clients change chats and messages through the RPCs; the grants below are
-- what those security invoker RPCs need, column by column, so counters, provenance and the
-- positions of messages stay read-only.
alter table public.chats enable row level security;
revoke all on public.chats from anon, authenticated, service_role;
grant select on public.chats to authenticated;
grant insert (title, agent_id, project_id, continuation_id, phase, pinned, archived, metadata, expires_at, ttl)
  on public.chats to authenticated;
grant update (title, agent_id, project_id, phase, pinned, archived, metadata, expires_at, ttl)
  on public.chats to authenticated;
grant delete on public.chats to authenticated;
grant select, insert, update, delete on public.chats to service_role;

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

alter table public.messages enable row level security;
revoke all on public.messages from anon, authenticated, service_role;
grant select on public.messages to authenticated;
grant insert (chat_id, parent_id, role, content, parts, agent_name, agent_model, intent, input_tokens, output_tokens,
  latency_ms, status, metadata, client_message_id)
  on public.messages to authenticated;
grant select, insert, update, delete on public.messages to service_role;

-- The owner's case is an index probe (or a hash of the owner's chats), with no function call;
-- only messages of chats the caller does not own go through can_read_chat. A page of messages
-- therefore costs a few microseconds per row instead of a security definer call per row.
create policy messages_select_reader on public.messages
  for select to authenticated
  using (
    exists (select 1 from public.chats c where c.id = messages.chat_id and c.owner_id = (select auth.uid()))
    or private.can_read_chat(chat_id)
  );

create policy messages_insert_writer on public.messages
  for insert to authenticated
  with check (
    author_id = (select auth.uid())
    and (
      exists (select 1 from public.chats c where c.id = messages.chat_id and c.owner_id = (select auth.uid()))
      or private.can_write_chat(chat_id)
    )
  );

create trigger messages_100_set_updated_at
  before update on public.messages
  for each row execute function private.set_updated_at();

alter table public.chat_members enable row level security;
revoke all on public.chat_members from anon, authenticated, service_role;
grant select on public.chat_members to authenticated;
grant insert (chat_id, user_id, role) on public.chat_members to authenticated;
grant update (role) on public.chat_members to authenticated;
grant delete on public.chat_members to authenticated;
grant select, insert, update, delete on public.chat_members to service_role;

create policy chat_members_select_reader on public.chat_members
  for select to authenticated
  using (private.can_read_chat(chat_id));

create policy chat_members_insert_owner on public.chat_members
  for insert to authenticated
  with check (private.is_chat_owner(chat_id) and user_id <> (select auth.uid()));

create policy chat_members_update_owner on public.chat_members
  for update to authenticated
  using (private.is_chat_owner(chat_id))
  with check (private.is_chat_owner(chat_id));

-- the owner removes anyone; a member may leave
create policy chat_members_delete_owner_or_self on public.chat_members
  for delete to authenticated
  using (private.is_chat_owner(chat_id) or user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- A short title from the first user message: whitespace collapsed, cut at a word boundary.
create function private.title_from_content(content text)
returns text
language sql
immutable
set search_path = ''
as $$
  with cleaned as (
    select btrim(regexp_replace(content, '[[:space:][:cntrl:]]+', ' ', 'g')) as text
  )
  select case
    when text = '' then null
    when char_length(text) <= 80 then text
    -- the longest run of whole words that fits in 79 characters (a word ending at character 79
    -- is whole when character 80 is a space)
    else coalesce(nullif(substring(left(text, 80) from '^(.*\S)\s'), ''), left(text, 79)) || '…'
  end
  from cleaned
$$;

-- Places every new message, whoever inserts it (append_message, edit_message, forks, batches):
-- locks the chat row (so appenders of the same chat serialize, and only they), resolves the
-- parent (default: the current leaf), takes the next sequence number from the chat's counter,
-- works out the branch segment, and updates the chat's counters, leaf, activity and title.
-- Security definer: editors write messages but may not update the chat row themselves.
create function private.messages_before_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  leaf_id uuid;
  untitled boolean;
  parent record;
  head_ancestry bigint[];
  continues_segment boolean;
  next_number bigint;
begin
  select c.current_leaf_id, c.title is null into leaf_id, untitled
  from public.chats c
  where c.id = new.chat_id
  for no key update;
  if not found then
    raise exception 'chat not found' using errcode = 'PT404',
      hint = 'The chat does not exist or you cannot see it.';
  end if;

  if new.parent_id = '00000000-0000-0000-0000-000000000000' then
    new.parent_id := leaf_id;
  end if;

  if new.parent_id is not null then
    select m.chat_id, m.sequence_number, m.segment_start, m.depth into parent
    from public.messages m
    where m.id = new.parent_id;
    if not found or parent.chat_id <> new.chat_id then
      perform private.invalid_parameter('parent_id is not a message of this chat');
    end if;
    -- the parent is the last message of its segment: this message continues it. (Written as
    -- "the segment's last message" rather than "not exists a later one": a generic plan of the
    -- latter may pick a sequential scan that stops at the first match, and there is none.)
    continues_segment := parent.sequence_number = (
      select m.sequence_number from public.messages m
      where m.chat_id = new.chat_id and m.segment_start = parent.segment_start
      order by m.sequence_number desc
      limit 1
    );
    if not continues_segment then
      select m.segment_ancestry into head_ancestry
      from public.messages m
      where m.chat_id = new.chat_id and m.sequence_number = parent.segment_start;
    end if;
  end if;

  -- No indexed column changes here (see last_activity_minute), so this update is HOT.
  update public.chats c
  set last_sequence_number = c.last_sequence_number + 1,
      message_count = c.message_count + 1,
      current_leaf_id = new.id,
      input_tokens = c.input_tokens + coalesce(new.input_tokens, 0),
      output_tokens = c.output_tokens + coalesce(new.output_tokens, 0),
      last_message_at = now(),
      last_activity_at = now(),
      last_activity_minute = date_bin(interval '1 minute', now(), timestamptz '2000-01-01 00:00:00+00')
  where c.id = new.chat_id
  returning c.last_sequence_number into next_number;
  if untitled and new.role = 'user' then
    update public.chats c set title = private.title_from_content(new.content) where c.id = new.chat_id;
  end if;

  new.sequence_number := next_number;
  if new.parent_id is null then
    new.depth := 1;
    new.segment_start := next_number;
    new.segment_ancestry := '{}';
  elsif continues_segment then
    new.depth := parent.depth + 1;
    new.segment_start := parent.segment_start;
    new.segment_ancestry := null;
  else
    new.depth := parent.depth + 1;
    new.segment_start := next_number;
    new.segment_ancestry := head_ancestry || array[parent.segment_start, parent.sequence_number];
  end if;
  return new;
end
$$;

create trigger messages_100_place
  before insert on public.messages
  for each row execute function private.messages_before_insert();
