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
  -- that the parent is in the same chat, parent_id never changes, and messages are deleted only
  -- with their chat; a foreign key would cost a lookup and an index entry on every insert.
  parent_id uuid default '00000000-0000-0000-0000-000000000000',
  depth integer not null,
  segment_start bigint not null,
  segment_ancestry bigint[],
  role private.message_role not null,
  content private.message_content not null default '',
  parts private.json_array_1m,
  agent_name private.short_text,
  agent_model private.token_128,
  intent private.token_64,
  input_tokens private.count,
  output_tokens private.count,
  latency_ms private.count,
  status private.message_status not null default 'complete',
  metadata private.json_object_16k not null default '{}',
  client_message_id private.token_200,
  -- who wrote it (the signed-in caller); no foreign key, so deleting a user never has to scan
  -- every chat they wrote in
  author_id uuid default auth.uid(),
  -- full-text search over the first 100,000 characters
  content_search tsvector generated always as (to_tsvector('english'::regconfig, left(content, 100000))) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The chat's owner, copied by the placing trigger, so that the policies decide the owner's case
  -- by comparing a column instead of looking the chat up (a lookup that grows with the number of
  -- chats the reader has). Clients cannot write it; chats_130_carry_owner follows owner changes.
  chat_owner_id uuid not null,
  -- who reported the token counts (the placing trigger sets it): see usage_source in 05_domains
  usage_source private.usage_source,
  -- a message needs something to say, unless it is a placeholder being generated
  constraint messages_content_check check (content ~ '[^[:space:]]' or parts is not null or status in ('pending', 'streaming')),
  constraint messages_chat_id_sequence_number_key unique (chat_id, sequence_number)
);
comment on table public.messages is
  'Messages: a tree per chat (edits and regenerations are siblings). sequence_number is per chat, gapless, in creation order.';
comment on column public.messages.sequence_number is 'Per-chat, 1, 2, 3… without gaps, assigned atomically on insert.';
comment on column public.messages.parent_id is 'The message this one answers or follows; null for a root. Omitted: the chat''s current leaf.';
comment on column public.messages.depth is 'Position on its branch: 1 for a root, parent''s depth + 1 otherwise.';
comment on column public.messages.segment_start is 'Internal: sequence number of the first message of this message''s segment (see the table comment in the migration).';
comment on column public.messages.segment_ancestry is
  'Internal, set on segment heads only (exactly the rows whose sequence_number = segment_start): [start, last] pairs of the segments above, root first.';
comment on column public.messages.content is 'Text of the message, at most 200,000 characters (search indexes the first 100,000).';
comment on column public.messages.usage_source is
  'Who reported input_tokens/output_tokens (set by the placing trigger): service (the service role or a server on '
  'a database connection; billed by get_usage) or client (a user''s session; kept, not billed). Null without counts.';
comment on column public.messages.parts is 'Structured parts (tool calls, images, citations…): a JSON array of at most 1 MB.';
comment on column public.messages.client_message_id is 'Client''s idempotency key, unique per chat: the same key again returns the same message.';
comment on column public.messages.chat_owner_id is
  'Internal: the owner of the message''s chat (set by the placing trigger), what the policies compare with the caller.';

create index messages_chat_id_segment_start_sequence_number_idx
  on public.messages (chat_id, segment_start, sequence_number);
-- Segment heads only (roots, edits, regenerations: a small share of messages): their parents.
-- With the segment index this finds the children of any message (get_message_siblings).
create index messages_chat_id_parent_id_heads_idx on public.messages (chat_id, parent_id)
  where segment_ancestry is not null;
create unique index messages_chat_id_client_message_id_key
  on public.messages (chat_id, client_message_id) where client_message_id is not null;
create index messages_content_search_idx on public.messages using gin (content_search);

-- Clients write messages through the RPCs; these are the columns those need, so positions,
-- counters and chat_owner_id stay read-only.
alter table public.messages enable row level security;
revoke all on public.messages from anon, authenticated, service_role;
grant select on public.messages to authenticated;
grant insert (chat_id, parent_id, role, content, parts, agent_name, agent_model, intent, input_tokens, output_tokens,
  latency_ms, status, metadata, client_message_id)
  on public.messages to authenticated;
grant select, insert, update, delete on public.messages to service_role;

-- The same rule as has_role_on_chat, with no function call per row: the owner's case compares a
-- column, the member's case is a hash of their chats built once per statement.
create policy messages_select_reader on public.messages
  for select to authenticated
  using (
    chat_owner_id = (select auth.uid())
    or chat_id in (select private.member_chat_ids())
  );

-- the owner: a comparison; an editor: has_role_on_chat (which looks up the membership)
create policy messages_insert_writer on public.messages
  for insert to authenticated
  with check (
    author_id = (select auth.uid())
    and (chat_owner_id = (select auth.uid()) or private.has_role_on_chat(chat_id, 'editor'))
  );

create trigger messages_100_set_updated_at
  before update on public.messages
  for each row execute function private.set_updated_at();

-- A message as clients see it, the one definition of it: get_messages rows, what append_message and
-- edit_message return, Realtime payloads. The row without its search vector, its branch storage
-- columns, chat_owner_id and usage_source, plus the artifact versions the message created and the
-- files linked to it.
create type public.chat_message as (
  id uuid,
  chat_id uuid,
  sequence_number bigint,
  parent_id uuid,
  depth integer,
  role text,
  content text,
  parts jsonb,
  agent_name text,
  agent_model text,
  intent text,
  input_tokens integer,
  output_tokens integer,
  latency_ms integer,
  status text,
  metadata jsonb,
  client_message_id text,
  author_id uuid,
  created_at timestamptz,
  updated_at timestamptz,
  artifact_versions jsonb,
  attachments jsonb
);
comment on type public.chat_message is
  'A message as clients see it: get_messages rows, what append_message and edit_message return, Realtime payloads. '
  'artifact_versions: the versions of non-hidden artifacts the message created; attachments: the files linked to '
  'it; both as get_messages lists them, null where they are not looked up (append_message, edit_message, Realtime).';

-- PL/pgSQL rather than SQL: a SQL function with a search_path setting is not inlined, and would be
-- planned again in every transaction that calls it; this one is compiled once per session.
create function private.chat_message(m public.messages)
returns public.chat_message
language plpgsql
immutable
set search_path = ''
as $$
begin
  return row(m.id, m.chat_id, m.sequence_number, m.parent_id, m.depth, m.role, m.content, m.parts, m.agent_name,
    m.agent_model, m.intent, m.input_tokens, m.output_tokens, m.latency_ms, m.status, m.metadata, m.client_message_id,
    m.author_id, m.created_at, m.updated_at, null, null)::public.chat_message;
end
$$;
grant execute on function private.chat_message(public.messages) to authenticated, service_role;
comment on function private.chat_message(public.messages) is
  'A messages row as public.chat_message, artifact_versions and attachments null (Realtime payloads, append_message, '
  'edit_message).';

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

-- Places every new message, whoever inserts it (append_message, edit_message, forks, batches): the
-- next sequence number from the chat's counter, the parent (default: the current leaf), the branch
-- segment, and the chat's counters, leaf, activity and title. The usual append (under the current
-- leaf) is one UPDATE of the chat, whose row lock serializes the chat's appenders; any other parent
-- locks the chat first, then looks at the parent. It also broadcasts the new message: safe before
-- the row is stored, as the broadcast is a row written in the same transaction; it must stay the
-- last BEFORE INSERT trigger. Security definer: editors write messages but not the chat row.
create function private.messages_before_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  chat record;
  parent record;
  -- a new message continuing its parent's segment has that segment's head; otherwise it is a head
  segment_head_depth integer;
begin
  if new.parent_id = '00000000-0000-0000-0000-000000000000' then
    -- Under the current leaf. The SET expressions read the row before the update: the new leaf's
    -- place is computed from the old leaf's, and RETURNING gives the new message its own.
    update public.chats c
    set last_sequence_number = c.last_sequence_number + 1,
        message_count = c.message_count + 1,
        current_leaf_id = new.id,
        current_leaf_parent_id = c.current_leaf_id,
        current_leaf_depth = c.current_leaf_depth + 1,
        current_leaf_segment_start = case when c.current_leaf_ends_segment then c.current_leaf_segment_start
          else c.last_sequence_number + 1 end,
        current_leaf_head_depth = case when c.current_leaf_ends_segment then c.current_leaf_head_depth
          else c.current_leaf_depth + 1 end,
        current_leaf_ends_segment = true,
        input_tokens = c.input_tokens + coalesce(new.input_tokens::integer, 0),
        output_tokens = c.output_tokens + coalesce(new.output_tokens::integer, 0),
        last_message_at = now(),
        last_activity_at = now(),
        last_activity_minute = date_bin(interval '1 minute', now(), timestamptz '2000-01-01 00:00:00+00')
    where c.id = new.chat_id
    returning c.owner_id, c.title is null as untitled, c.last_sequence_number, c.current_leaf_parent_id,
      c.current_leaf_depth, c.current_leaf_segment_start
      into chat;
    if not found then
      perform private.not_found('chat');
    end if;
    new.sequence_number := chat.last_sequence_number;
    new.parent_id := chat.current_leaf_parent_id;
    new.depth := chat.current_leaf_depth;
    new.segment_start := chat.current_leaf_segment_start;
    if new.parent_id is null then
      new.segment_ancestry := '{}';
    elsif new.segment_start = new.sequence_number then
      -- the leaf had been moved (set_current_leaf) to a message with a later one in its segment:
      -- this one starts a new segment, under the parent's
      new.segment_ancestry := private.branch_ranges(new.parent_id);
    else
      new.segment_ancestry := null;
    end if;
  else
    select c.owner_id, c.title is null as untitled, c.last_sequence_number + 1 as next_number into chat
    from public.chats c
    where c.id = new.chat_id
    for no key update;
    if not found then
      perform private.not_found('chat');
    end if;
    new.sequence_number := chat.next_number;
    segment_head_depth := null;
    if new.parent_id is null then
      new.depth := 1;
      new.segment_start := new.sequence_number;
      new.segment_ancestry := '{}';
    else
      -- the parent continues its segment when it is the segment's last message (written as "the
      -- segment's last message": a generic plan of "no later one exists" may scan and find none)
      select p.chat_id, p.sequence_number, p.segment_start, p.depth, h.depth as head_depth,
        h.segment_ancestry as head_ancestry,
        p.sequence_number = (
          select t.sequence_number from public.messages t
          where t.chat_id = p.chat_id and t.segment_start = p.segment_start
          order by t.sequence_number desc
          limit 1) as ends_segment
        into parent
      from public.messages p
      join public.messages h on h.chat_id = p.chat_id and h.sequence_number = p.segment_start
      where p.id = new.parent_id;
      if not found or parent.chat_id <> new.chat_id then
        perform private.invalid_parameter('parent_id is not a message of this chat');
      end if;
      new.depth := parent.depth + 1;
      if parent.ends_segment then
        new.segment_start := parent.segment_start;
        new.segment_ancestry := null;
        segment_head_depth := parent.head_depth;
      else
        new.segment_start := new.sequence_number;
        new.segment_ancestry := parent.head_ancestry || array[parent.segment_start, parent.sequence_number];
      end if;
    end if;
    update public.chats c
    set last_sequence_number = new.sequence_number,
        message_count = c.message_count + 1,
        current_leaf_id = new.id,
        current_leaf_parent_id = new.parent_id,
        current_leaf_depth = new.depth,
        current_leaf_segment_start = new.segment_start,
        current_leaf_head_depth = coalesce(segment_head_depth, new.depth),
        current_leaf_ends_segment = true,
        input_tokens = c.input_tokens + coalesce(new.input_tokens::integer, 0),
        output_tokens = c.output_tokens + coalesce(new.output_tokens::integer, 0),
        last_message_at = now(),
        last_activity_at = now(),
        last_activity_minute = date_bin(interval '1 minute', now(), timestamptz '2000-01-01 00:00:00+00')
    where c.id = new.chat_id;
  end if;

  if chat.untitled and new.role = 'user' then
    update public.chats c set title = private.title_from_content(new.content) where c.id = new.chat_id;
  end if;
  new.chat_owner_id := chat.owner_id;
  -- Token counts bill only when a trusted writer (the service role, or a server on a database
  -- connection) reports them; the same counts from a user's session are kept as client-reported.
  new.usage_source := case
    when new.input_tokens is null and new.output_tokens is null then null
    when private.is_trusted_writer() then 'service'
    else 'client'
  end;

  perform realtime.broadcast_changes('chat:' || new.chat_id::text, tg_op, tg_op, tg_table_name, tg_table_schema,
    private.chat_message(new), null::public.chat_message);
  return new;
end
$$;

create trigger messages_100_place
  before insert on public.messages
  for each row execute function private.messages_before_insert();

-- Carries a change of a chat's owner to its messages' chat_owner_id. Security definer: a chat's
-- owner has no right to update messages. Only the service role may change owner_id.
create function private.chats_carry_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.owner_id is distinct from old.owner_id then
    update public.messages m set chat_owner_id = new.owner_id where m.chat_id = new.id;
  end if;
  return null;
end
$$;

create trigger chats_130_carry_owner
  after update of owner_id on public.chats
  for each row execute function private.chats_carry_owner();
