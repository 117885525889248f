-- The append path, and the latest page, made cheaper without changing what they do. Measured by
-- counting the instructions one call costs the server (callgrind; the same call repeated in one
-- session, warm caches; see bench/conversations.ts for throughput and latency): append_message
-- about 2.0 M before, 1.34 M after; get_messages (latest page) 1.07 M before, 0.9 M after. What an
-- append paid for, and what changed:
--   * the placing trigger ran four statements (lock the chat, read the parent, find the end of the
--     parent's segment, update the chat): the chat row now caches where its current leaf is, so the
--     usual append (under the current leaf) is one UPDATE that locks the chat, takes the number,
--     moves the leaf and returns the new message's place;
--   * the policies looked the chat up for its owner, in the insert check and again (RETURNING) in
--     the select policy: a message now carries its chat's owner (chat_owner_id);
--   * the broadcast of a new message ran in an AFTER trigger of its own (a second PL/pgSQL trigger
--     call, the row queued and fetched again, 0.07 M): the placing trigger now calls
--     realtime.broadcast_changes itself, with the same payload. Updates keep their AFTER trigger;
--   * append_message validated every argument (0.12 M) and looked the chat up (0.11 M) before
--     inserting, although the table's domains, check constraint and policies apply the very same
--     rules: it now inserts in a block (a subtransaction costs less than those) and works out the
--     cause, to answer with its own errors, only when they refuse.
-- What remains per append, largest first: the statement the client sends (parsed and planned each
-- time) and the commit, realtime.broadcast_changes (a row of realtime.messages written inside two
-- subtransactions, and the message turned into JSON: about 0.23 M), the search vector (to_tsvector)
-- and its GIN index, the check constraint (read and prepared again for every statement) and the
-- domains, five btree indexes, the policies' checks and the chat's foreign key.

-- ---------------------------------------------------------------------------------------------
-- Where the current leaf is, on the chat row: its parent, depth and segment, the depth of the
-- segment's head, and whether the leaf is the last message of its segment (then a message under it
-- continues the segment; otherwise it starts a new one). Kept with current_leaf_id by the placing
-- trigger and set_current_leaf, the only writers of the leaf: neither clients nor the service role
-- may write these columns. get_messages reads the latest page's place from them too.
alter table public.chats
  add column current_leaf_parent_id uuid,
  add column current_leaf_depth integer not null default 0,
  add column current_leaf_segment_start bigint,
  add column current_leaf_head_depth integer,
  add column current_leaf_ends_segment boolean not null default false;
comment on column public.chats.current_leaf_parent_id is 'Internal: the parent of the current leaf (cached place of the leaf).';
comment on column public.chats.current_leaf_depth is 'Internal: the depth of the current leaf, 0 without messages (cached place of the leaf).';
comment on column public.chats.current_leaf_segment_start is 'Internal: the segment of the current leaf (cached place of the leaf).';
comment on column public.chats.current_leaf_head_depth is
  'Internal: the depth of the first message of the current leaf''s segment (cached place of the leaf).';
comment on column public.chats.current_leaf_ends_segment is
  'Internal: whether the current leaf is the last message of its segment (cached place of the leaf).';

update public.chats c
set current_leaf_parent_id = l.parent_id,
    current_leaf_depth = l.depth,
    current_leaf_segment_start = l.segment_start,
    current_leaf_head_depth = h.depth,
    current_leaf_ends_segment = not exists (
      select 1 from public.messages n
      where n.chat_id = l.chat_id and n.segment_start = l.segment_start and n.sequence_number > l.sequence_number)
from public.messages l
join public.messages h on h.chat_id = l.chat_id and h.sequence_number = l.segment_start
where l.id = c.current_leaf_id;

-- The service role keeps every right on chats but writing the leaf and its cached place (a leaf
-- moved behind the cache's back would misplace the next message); set_current_leaf moves it.
revoke insert, update on public.chats from service_role;
grant insert (id, owner_id, title, agent_id, project_id, continuation_id, phase, pinned, archived, metadata, expires_at,
  ttl, forked_from_chat_id, forked_from_message_id, last_sequence_number, message_count, input_tokens, output_tokens,
  last_message_at, last_activity_at, last_activity_minute, created_at, updated_at)
  on public.chats to service_role;
grant update (id, owner_id, title, agent_id, project_id, continuation_id, phase, pinned, archived, metadata, expires_at,
  ttl, forked_from_chat_id, forked_from_message_id, last_sequence_number, message_count, input_tokens, output_tokens,
  last_message_at, last_activity_at, last_activity_minute, created_at, updated_at)
  on public.chats to service_role;

-- ---------------------------------------------------------------------------------------------
-- Every message carries the owner of its chat, so that the messages policies decide the owner's
-- case by comparing a column of the row instead of looking the chat up. The lookup, "exists (select
-- 1 from chats c where c.id = messages.chat_id and c.owner_id = auth.uid())", was planned as a hash
-- of ALL the caller's chats (each through the chats policy), built for every statement: on the
-- latest page of a 10k-message chat it cost about twice the page's own index scan, and it grows
-- with the number of chats the reader has, which a page's cost must not. It ran on every append
-- too, in the insert check and (for RETURNING) in the select policy.
-- The copy cannot drift: the placing trigger sets it from the chat row it locks, whoever inserts
-- and whatever they pass; clients cannot write it (no column grant); a change of a chat's owner is
-- carried to its messages. Members are unchanged: the set of their chats, computed once per
-- statement. No index on chat_owner_id: every hot path reads messages by chat or by id, and a scan
-- over all the messages a user can read is no slower than it was with the lookup.
alter table public.messages add column chat_owner_id uuid;
update public.messages m set chat_owner_id = c.owner_id from public.chats c where c.id = m.chat_id;
alter table public.messages alter column chat_owner_id set not null;
comment on column public.messages.chat_owner_id is
  'Internal: the owner of the message''s chat (set by the placing trigger), what the policies compare with the caller.';

alter policy messages_select_reader on public.messages
  using (
    chat_owner_id = (select auth.uid())
    or chat_id in (select private.member_chat_ids())
  );

-- the owner: a comparison; an editor: can_write_chat (which looks up the membership)
alter policy messages_insert_writer on public.messages
  with check (
    author_id = (select auth.uid())
    and (chat_owner_id = (select auth.uid()) or private.can_write_chat(chat_id))
  );

-- Security definer: a chat's owner has no right to update messages. Fires only when an UPDATE
-- sets owner_id, which no client may do (the service role may).
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

-- ---------------------------------------------------------------------------------------------
-- A message as clients see it, in Realtime payloads and (20261122540000) as the message RPCs
-- return it: the row without its search vector, the branch storage columns (segment_start,
-- segment_ancestry) and chat_owner_id, which the policies use. It replaces private.message_change,
-- the broadcast payload type of 20261122090000, which had the same columns.
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
  updated_at timestamptz
);
comment on type public.chat_message is
  'A message as clients see it: Realtime payloads of messages, and what append_message and edit_message return '
  '(get_messages rows have these columns and artifact_versions).';

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
    m.author_id, m.created_at, m.updated_at)::public.chat_message;
end
$$;
grant execute on function private.chat_message(public.messages) to authenticated;
comment on function private.chat_message(public.messages) is
  'A messages row as public.chat_message (Realtime payloads, and what the message RPCs return).';

-- ---------------------------------------------------------------------------------------------
-- The placing trigger (see the schema migration for what it guarantees; unchanged). The usual
-- append is one UPDATE of the chat: it waits for the chat's other appenders (the row lock), and its
-- SET reads the newest row once it has the lock, so number, parent and place come from the same
-- version of the chat. Any other parent (a regeneration, an edit, a copy) locks the chat first and
-- then looks at the parent, as before.
-- It also broadcasts the new message (realtime.broadcast_changes, payload as before: the row
-- without its search vector and internal columns). A BEFORE trigger broadcasts before the row is
-- checked and stored, which is safe because the broadcast is a row of realtime.messages in the
-- same transaction: if the insert fails, it is rolled back with it. It must stay the last BEFORE
-- INSERT trigger on messages (a later one could change the row after it was broadcast).
create or replace function private.messages_before_insert()
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
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you cannot see it.';
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
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you cannot see it.';
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

  perform realtime.broadcast_changes('chat:' || new.chat_id::text, tg_op, tg_op, tg_table_name, tg_table_schema,
    private.chat_message(new), null::public.chat_message);
  return new;
end
$$;

-- inserts are broadcast by the placing trigger; updates still here (the trigger is for updates
-- only now), with the same payload type
create or replace function private.broadcast_message_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.broadcast_changes('chat:' || new.chat_id::text, tg_op, tg_op, tg_table_name, tg_table_schema,
    private.chat_message(new), private.chat_message(old));
  return null;
end
$$;
drop trigger messages_900_broadcast on public.messages;
create trigger messages_900_broadcast
  after update on public.messages
  for each row execute function private.broadcast_message_change();
drop type private.message_change;

-- ---------------------------------------------------------------------------------------------
-- set_current_leaf also sets the leaf's cached place. It locks the chat before reading where the
-- message is, so that an append in flight (which may extend that message's segment) has committed
-- by then and is seen.
create or replace function private.set_current_leaf(chat_id uuid, message_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  leaf record;
begin
  if not private.can_write_chat(set_current_leaf.chat_id) then
    perform private.deny_chat(set_current_leaf.chat_id, 'write to it');
  end if;
  perform from public.chats c where c.id = set_current_leaf.chat_id for no key update;
  select m.parent_id, m.depth, m.segment_start, h.depth as head_depth,
    -- the segment's last message (written so, not as "no later one exists": see the placing trigger)
    m.sequence_number = (
      select t.sequence_number from public.messages t
      where t.chat_id = m.chat_id and t.segment_start = m.segment_start
      order by t.sequence_number desc
      limit 1) as ends_segment
    into leaf
  from public.messages m
  join public.messages h on h.chat_id = m.chat_id and h.sequence_number = m.segment_start
  where m.id = set_current_leaf.message_id and m.chat_id = set_current_leaf.chat_id;
  if not found then
    perform private.invalid_parameter('message_id is not a message of this chat');
  end if;
  update public.chats c
  set current_leaf_id = set_current_leaf.message_id,
      current_leaf_parent_id = leaf.parent_id,
      current_leaf_depth = leaf.depth,
      current_leaf_segment_start = leaf.segment_start,
      current_leaf_head_depth = leaf.head_depth,
      current_leaf_ends_segment = leaf.ends_segment
  where c.id = set_current_leaf.chat_id;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- append_message inserts first. Its arguments become columns whose domains and check constraint
-- hold exactly the rules private.check_message states, the insert policy admits exactly the
-- chat's owner and editors, and the placing trigger refuses a chat that does not exist; so the
-- checks made up front (about a tenth of an append) are made only when the insert fails, to turn
-- the table's error into the one the API promises, in the same order as before: invalid input
-- (22023) first, then no such chat (PT404) or not allowed to write (42501). A failed insert changes
-- nothing: the block's subtransaction takes the row, the chat's counters and the broadcast back.
create or replace function public.append_message(
  chat_id uuid,
  role text,
  content text,
  parent_id uuid default null,
  parts jsonb default null,
  agent_name text default null,
  agent_model text default null,
  intent text default null,
  input_tokens integer default null,
  output_tokens integer default null,
  latency_ms integer default null,
  status text default null,
  metadata jsonb default null,
  client_message_id text default null
)
returns public.messages
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  message public.messages;
  checked boolean;
begin
  if append_message.client_message_id is not null then
    -- A retry: the message is already there.
    select m.* into message from public.messages m
    where m.chat_id = append_message.chat_id and m.client_message_id = append_message.client_message_id;
    if found then
      return message;
    end if;
  end if;
  begin
    insert into public.messages (chat_id, parent_id, role, content, parts, agent_name, agent_model, intent,
      input_tokens, output_tokens, latency_ms, status, metadata, client_message_id)
    values (append_message.chat_id, coalesce(append_message.parent_id, '00000000-0000-0000-0000-000000000000'),
      append_message.role, append_message.content, append_message.parts, append_message.agent_name,
      append_message.agent_model, append_message.intent, append_message.input_tokens, append_message.output_tokens,
      append_message.latency_ms, coalesce(append_message.status, 'complete'), coalesce(append_message.metadata, '{}'),
      append_message.client_message_id)
    returning * into message;
  exception
    when unique_violation then
      -- A concurrent retry committed it first (only client_message_id can collide). Leaving the
      -- block undid our insert and the sequence number it took, so the numbering stays gapless.
      select m.* into message from public.messages m
      where m.chat_id = append_message.chat_id and m.client_message_id = append_message.client_message_id;
      if not found then
        raise;
      end if;
    when check_violation or not_null_violation or insufficient_privilege or invalid_parameter_value
      or sqlstate 'PT404' then
      checked := private.check_message(append_message.role, append_message.content, append_message.parts,
        append_message.agent_name, append_message.agent_model, append_message.intent, append_message.input_tokens,
        append_message.output_tokens, append_message.latency_ms, append_message.status, append_message.metadata,
        append_message.client_message_id);
      if not exists (select 1 from public.chats c where c.id = append_message.chat_id and c.owner_id = (select auth.uid()))
        and not private.can_write_chat(append_message.chat_id) then
        perform private.deny_chat(append_message.chat_id, 'write to it');
      end if;
      -- a writer's own mistake (e.g. a parent from another chat)
      raise;
  end;
  return message;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- get_messages reads the current leaf's place from the chat row: the usual call (the latest page of
-- the current branch) is one lookup of the chat and one range scan, where it looked up the leaf and
-- its segment's head as well. And it only looks for artifact versions in chats that have artifacts:
-- a version is always made by a message of its artifact's chat (the versions trigger checks it, and
-- an artifact never changes chats), so a chat without artifacts has none to show, which one probe of
-- the artifacts' chat index tells (it saves the versions query's executor setup, a tenth of a page).
create or replace function public.get_messages(
  chat_id uuid,
  leaf_id uuid default null,
  before bigint default null,
  after bigint default null,
  "limit" integer default 50
)
returns setof public.message_with_artifacts
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  page_size integer := coalesce(get_messages."limit", 50);
  leaf uuid;
  -- the leaf's segment, and a number from the leaf's on, below the next message of that segment
  segment bigint;
  upper_bound bigint;
  leaf_depth integer;
  -- the depth and ancestry of the segment's head
  head_depth integer;
  head_ancestry bigint[];
  ends_segment boolean;
  has_artifacts boolean := true;
  latest_in_segment boolean;
begin
  if page_size not between 1 and 1000 then
    perform private.invalid_parameter('limit must be between 1 and 1000');
  end if;
  if get_messages.leaf_id is null then
    -- the usual call: the chat row has the current leaf's place
    select c.current_leaf_id, c.current_leaf_segment_start, c.last_sequence_number, c.current_leaf_depth,
      c.current_leaf_head_depth, c.current_leaf_ends_segment,
      exists (select 1 from public.artifacts a where a.chat_id = c.id)
      into leaf, segment, upper_bound, leaf_depth, head_depth, ends_segment, has_artifacts
    from public.chats c
    where c.id = get_messages.chat_id;
    if not found then
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you are not a member of it.';
    end if;
    if leaf is null then
      return;
    end if;
    if not ends_segment then
      -- the leaf was moved to a message with later ones in its segment: the page ends at it
      select l.sequence_number into upper_bound from public.messages l where l.id = leaf;
    end if;
  else
    select l.id, l.segment_start, l.sequence_number, l.depth, h.depth, h.segment_ancestry
      into leaf, segment, upper_bound, leaf_depth, head_depth, head_ancestry
    from public.messages l
    join public.messages h on h.chat_id = l.chat_id and h.sequence_number = l.segment_start
    where l.id = get_messages.leaf_id and l.chat_id = get_messages.chat_id;
    if not found then
      if not private.can_read_chat(get_messages.chat_id) then
        raise exception 'chat not found' using errcode = 'PT404',
          hint = 'The chat does not exist or you are not a member of it.';
      end if;
      perform private.invalid_parameter('leaf_id is not a message of this chat');
    end if;
  end if;

  -- The latest page lies within the leaf's own segment when that segment holds a page (its
  -- messages are a chain, so depth counts them): one index range scan.
  latest_in_segment := get_messages.before is null and get_messages.after is null
    and leaf_depth - head_depth + 1 >= page_size;
  if latest_in_segment and not has_artifacts then
    return query
    select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.segment_start, p.segment_ancestry, p.role::text,
      p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
      p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
      p.client_message_id::text, p.author_id, p.content_search, p.created_at, p.updated_at, '[]'::jsonb
    from (
      select m.* from public.messages m
      where m.chat_id = get_messages.chat_id and m.segment_start = segment
        and m.sequence_number <= upper_bound
      order by m.sequence_number desc
      limit page_size
    ) p
    order by p.sequence_number;
    return;
  end if;

  -- Otherwise the page is read segment by segment (private.branch_page; when the latest page lies in
  -- the leaf's segment, that is the one range), with its messages' artifact versions.
  if not latest_in_segment and head_ancestry is null then
    select h.segment_ancestry into head_ancestry
    from public.messages h
    where h.chat_id = get_messages.chat_id and h.sequence_number = segment;
  end if;
  return query
  with page as (
    select b.* from private.branch_page(get_messages.chat_id,
      case when latest_in_segment then array[segment, upper_bound] else head_ancestry || array[segment, upper_bound] end,
      get_messages.before, get_messages.after, page_size) b
  ),
  versions as (
    select v.created_by_message_id as message_id,
      pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', v.id, 'artifact_id', v.artifact_id, 'type', a.type,
        'title', a.title, 'version_number', v.version_number, 'change_summary', v.change_summary)
        order by v.created_at, v.id) as list
    from public.artifact_versions v
    join public.artifacts a on a.id = v.artifact_id
    where has_artifacts and v.created_by_message_id = any (array(select p.id from page p)) and a.hidden_at is null
    group by v.created_by_message_id
  )
  select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.segment_start, p.segment_ancestry, p.role::text,
    p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
    p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
    p.client_message_id::text, p.author_id, p.content_search, p.created_at, p.updated_at,
    coalesce(x.list, '[]'::jsonb)
  from page p
  left join versions x on x.message_id = p.id
  order by p.sequence_number;
end
$$;
