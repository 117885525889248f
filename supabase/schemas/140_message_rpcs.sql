-- Messages and branches: append, edit, the versions of a message, switching branch, paging.
-- Security invoker (RLS authorizes), except private.set_current_leaf.

-- Everything a message carries, checked in one place for append_message, edit_message and
-- record_conversation, so every path refuses the same input with the same words. Returns true (or
-- raises) so that callers can assign it: a PL/pgSQL assignment is a simple expression, where
-- PERFORM would start an executor.
create function private.check_message(
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
  client_message_id text
)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
  if role is null or role not in ('system', 'user', 'assistant', 'tool') then
    perform private.invalid_parameter(pg_catalog.format('role %L is not one of system, user, assistant, tool', role));
  end if;
  if status is not null and status not in ('pending', 'streaming', 'complete', 'error', 'cancelled') then
    perform private.invalid_parameter(
      pg_catalog.format('status %L is not one of pending, streaming, complete, error, cancelled', status));
  end if;
  if content is null then
    perform private.invalid_parameter('content is required');
  end if;
  if pg_catalog.char_length(content) > 200000 then
    perform private.invalid_parameter('content must be at most 200,000 characters',
      'Split the text over several messages or attach it as a file.');
  end if;
  if content !~ '[^[:space:]]' and parts is null and coalesce(status, 'complete') not in ('pending', 'streaming') then
    perform private.invalid_parameter('content must not be empty',
      'Only a pending or streaming placeholder, or a message with parts, may have empty content.');
  end if;
  if parts is not null and (pg_catalog.jsonb_typeof(parts) <> 'array' or pg_catalog.pg_column_size(parts) > 1048576) then
    perform private.invalid_parameter('parts must be a JSON array of at most 1 MB');
  end if;
  if agent_name is not null and (pg_catalog.char_length(agent_name) not between 1 and 64 or agent_name ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('agent_name must be 1 to 64 characters without control characters');
  end if;
  if agent_model is not null and (pg_catalog.char_length(agent_model) not between 1 and 128 or agent_model ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter('agent_model must be 1 to 128 characters without spaces');
  end if;
  if intent is not null and (pg_catalog.char_length(intent) not between 1 and 64 or intent ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter('intent must be 1 to 64 characters without spaces');
  end if;
  if input_tokens < 0 or output_tokens < 0 then
    perform private.invalid_parameter('input_tokens and output_tokens must not be negative');
  end if;
  if latency_ms < 0 then
    perform private.invalid_parameter('latency_ms must not be negative');
  end if;
  if metadata is not null and (pg_catalog.jsonb_typeof(metadata) <> 'object' or pg_catalog.pg_column_size(metadata) > 16384) then
    perform private.invalid_parameter('metadata must be a JSON object of at most 16 kB');
  end if;
  if client_message_id is not null
    and (pg_catalog.char_length(client_message_id) not between 1 and 200 or client_message_id ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter('client_message_id must be 1 to 200 characters without spaces');
  end if;
  return true;
end
$$;
grant execute on function private.check_message(text, text, jsonb, text, text, text, integer, integer, integer, text, jsonb, text)
  to authenticated, service_role;

-- The branch that ends at a message, as flattened [segment_start, last sequence number] pairs,
-- root first (see the messages table). Two index lookups.
create function private.branch_ranges(leaf_id uuid)
returns bigint[]
language plpgsql
stable
set search_path = ''
as $$
declare
  leaf record;
  ancestry bigint[];
begin
  select m.chat_id, m.segment_start, m.sequence_number into leaf from public.messages m where m.id = branch_ranges.leaf_id;
  if not found then
    return null;
  end if;
  select h.segment_ancestry into ancestry
  from public.messages h
  where h.chat_id = leaf.chat_id and h.sequence_number = leaf.segment_start;
  return ancestry || array[leaf.segment_start, leaf.sequence_number];
end
$$;
grant execute on function private.branch_ranges(uuid) to authenticated, service_role;

-- Whether the message at (segment_start, sequence_number) lies on the branch given by ranges.
create function private.on_branch(ranges bigint[], segment_start bigint, sequence_number bigint)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select exists (
    select 1 from pg_catalog.generate_subscripts(ranges, 1) i
    where i % 2 = 1 and ranges[i] = on_branch.segment_start and on_branch.sequence_number <= ranges[i + 1]
  )
$$;
grant execute on function private.on_branch(bigint[], bigint, bigint) to authenticated, service_role;

-- One page of a branch given as ranges, read as one index range scan per segment it touches. With
-- neither cursor: the latest page_size messages; before: the latest ones older than that sequence
-- number; after: the oldest ones newer than it (and older than before). Oldest first. Security
-- invoker: RLS for the API roles; the share and fork functions call it as definer after their own
-- checks.
create function private.branch_page(chat_id uuid, ranges bigint[], before bigint, after bigint, page_size integer)
returns setof public.messages
language plpgsql
stable
set search_path = ''
as $$
declare
  segments integer := coalesce(pg_catalog.array_length(ranges, 1), 0) / 2;
  page public.messages[] := '{}';
  chunk public.messages[];
  segment bigint;
  upper_bound bigint;
  remaining integer := page_size;
begin
  if branch_page.after is null then
    -- newest first, segment by segment from the leaf up
    for i in reverse segments..1 loop
      segment := ranges[2 * i - 1];
      upper_bound := least(ranges[2 * i], coalesce(branch_page.before - 1, ranges[2 * i]));
      continue when upper_bound < segment;
      chunk := array(
        select m from public.messages m
        where m.chat_id = branch_page.chat_id and m.segment_start = segment
          and m.sequence_number <= upper_bound
        order by m.sequence_number desc
        limit remaining);
      page := page || chunk;
      remaining := remaining - coalesce(pg_catalog.array_length(chunk, 1), 0);
      exit when remaining = 0;
    end loop;
  else
    -- oldest first, from the root down
    for i in 1..segments loop
      segment := ranges[2 * i - 1];
      upper_bound := least(ranges[2 * i], coalesce(branch_page.before - 1, ranges[2 * i]));
      continue when upper_bound <= branch_page.after;
      chunk := array(
        select m from public.messages m
        where m.chat_id = branch_page.chat_id and m.segment_start = segment
          and m.sequence_number > branch_page.after and m.sequence_number <= upper_bound
        order by m.sequence_number
        limit remaining);
      page := page || chunk;
      remaining := remaining - coalesce(pg_catalog.array_length(chunk, 1), 0);
      exit when remaining = 0;
    end loop;
  end if;
  return query select p.* from pg_catalog.unnest(page) p order by p.sequence_number;
end
$$;
grant execute on function private.branch_page(uuid, bigint[], bigint, bigint, integer) to authenticated;

-- RPC: inserts first. The table's domains, check constraint, insert policy and placing trigger
-- state exactly the rules check_message and the access checks state, so those run only when the
-- insert fails, to answer with the API's own errors in the API's order: 22023, then PT404 or
-- 42501. A failed insert changes nothing (the block's subtransaction takes it all back).
create function public.append_message(
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
returns public.chat_message
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
    -- A retry: the message is already there (for a writer: a reader who may not write is refused,
    -- as the insert would refuse them).
    select m.* into message from public.messages m
    where m.chat_id = append_message.chat_id and m.client_message_id = append_message.client_message_id;
    if found then
      if not (private.is_service_role() or private.has_role_on_chat(append_message.chat_id, 'editor')) then
        perform private.deny('chat', append_message.chat_id, 'write to it');
      end if;
      return private.chat_message(message);
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
      if not (private.is_service_role() or private.has_role_on_chat(append_message.chat_id, 'editor')) then
        perform private.deny('chat', append_message.chat_id, 'write to it');
      end if;
      -- a writer's own mistake (e.g. a parent from another chat)
      raise;
  end;
  return private.chat_message(message);
end
$$;
grant execute on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text)
  to authenticated, service_role;
comment on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text) is
  'Appends a message (owner or editor, or the service role) and returns it: id, chat_id, sequence_number (per chat, '
  'gapless, 1, 2, 3…), parent_id, depth, role, content, parts, agent_name, agent_model, intent, input_tokens, '
  'output_tokens, latency_ms, status, metadata, client_message_id, author_id, created_at, updated_at. role: '
  'system|user|assistant|tool; content at most 200,000 characters, not empty unless status is pending/streaming or '
  'parts are given; parts a JSON array (≤ 1 MB); tokens and latency ≥ 0; status pending|streaming|complete|error|'
  'cancelled (default complete). parent_id defaults to the chat''s current leaf; the new message becomes the current '
  'leaf (a parent that already has children makes a new branch, as a regeneration does). The first user message '
  'titles an untitled chat. The same client_message_id again returns the same message and writes nothing. Token '
  'counts from a user''s session are stored as client-reported and not billed (get_usage); the service role''s are '
  'billed. Errors: PT404 (404) no such chat; 42501 (403) viewer; 22023 (400) invalid argument.';

-- RPC: an edit is a sibling with the new content, made the current leaf.
create function public.edit_message(message_id uuid, content text, client_message_id text default null)
returns public.chat_message
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  original public.messages;
  message public.messages;
  checked boolean;
begin
  select m.* into original from public.messages m where m.id = edit_message.message_id;
  if not found then
    perform private.not_found('message');
  end if;
  checked := private.check_message(original.role, edit_message.content, null, original.agent_name,
    original.agent_model, original.intent, null, null, null, 'complete', null, edit_message.client_message_id);
  if not private.has_role_on_chat(original.chat_id, 'editor') then
    perform private.deny('chat', original.chat_id, 'write to it');
  end if;
  if edit_message.client_message_id is not null then
    select m.* into message from public.messages m
    where m.chat_id = original.chat_id and m.client_message_id = edit_message.client_message_id;
    if found then
      return private.chat_message(message);
    end if;
  end if;

  insert into public.messages (chat_id, parent_id, role, content, agent_name, agent_model, intent, metadata,
    client_message_id)
  values (original.chat_id, original.parent_id, original.role, edit_message.content, original.agent_name,
    original.agent_model, original.intent, pg_catalog.jsonb_build_object('edited_from', original.id),
    edit_message.client_message_id)
  returning * into message;
  return private.chat_message(message);
exception
  when unique_violation then
    select m.* into message from public.messages m
    where m.chat_id = original.chat_id and m.client_message_id = edit_message.client_message_id;
    return private.chat_message(message);
end
$$;
grant execute on function public.edit_message(uuid, text, text) to authenticated;
comment on function public.edit_message(uuid, text, text) is
  'Edits a message the ChatGPT way (owner or editor): adds a sibling with the same parent and role and the new '
  'content, makes it the current leaf and returns it (as append_message does; metadata.edited_from names the '
  'original). The original and its branch stay intact (get_message_siblings, set_current_leaf). Optional '
  'client_message_id makes a retry return the same sibling. Errors: PT404 (404) no such message; 42501 (403) '
  'viewer; 22023 (400) empty or oversized content.';

create function public.get_message_siblings(message_id uuid)
returns table (
  id uuid,
  sequence_number bigint,
  sibling_index integer,
  sibling_count integer,
  on_current_branch boolean,
  leaf_id uuid,
  role text,
  content text,
  status text,
  agent_name text,
  agent_model text,
  created_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  original public.messages;
  current_ranges bigint[];
begin
  select m.* into original from public.messages m where m.id = get_message_siblings.message_id;
  if not found then
    perform private.not_found('message');
  end if;
  current_ranges := private.branch_ranges((select c.current_leaf_id from public.chats c where c.id = original.chat_id));

  return query
  select s.id, s.sequence_number,
    (pg_catalog.row_number() over (order by s.sequence_number))::integer,
    (pg_catalog.count(*) over ())::integer,
    coalesce(private.on_branch(current_ranges, s.segment_start, s.sequence_number), false),
    (select t.id from public.messages t
     where t.chat_id = s.chat_id and t.segment_start = s.segment_start
     order by t.sequence_number desc limit 1),
    s.role::text, s.content::text, s.status::text, s.agent_name::text, s.agent_model::text, s.created_at
  from public.messages s
  where s.id in (
    -- the children of the parent: segment heads under it (every root is a head)…
    select h.id from public.messages h
    where h.chat_id = original.chat_id and h.segment_ancestry is not null
      and (h.parent_id = original.parent_id or (original.parent_id is null and h.parent_id is null))
    union all
    -- …and the message continuing the parent's own segment, if any
    (select n.id from public.messages n
     join public.messages p on p.id = original.parent_id
     where n.chat_id = p.chat_id and n.segment_start = p.segment_start and n.sequence_number > p.sequence_number
     order by n.sequence_number
     limit 1)
  )
  order by s.sequence_number;
end
$$;
grant execute on function public.get_message_siblings(uuid) to authenticated;
comment on function public.get_message_siblings(uuid) is
  'The versions of a message: it and its siblings (same parent), oldest first, as rows (id, sequence_number, '
  'sibling_index 1…n, sibling_count, on_current_branch, leaf_id, role, content, status, agent_name, agent_model, '
  'created_at). leaf_id is where that version''s own line of messages ends: pass it to set_current_leaf to switch '
  'to that version. Errors: PT404 (404) no such message or no access.';

-- Security definer: the current leaf (and its cached place) are columns of the chat row, which
-- editors may not update; this checks that the caller may write to the chat and changes only
-- those. It locks the chat before reading where the message is, so an append in flight (which may
-- extend that message's segment) has committed by then.
create function private.set_current_leaf(chat_id uuid, message_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  leaf record;
begin
  if not private.has_role_on_chat(set_current_leaf.chat_id, 'editor') then
    perform private.deny('chat', set_current_leaf.chat_id, 'write to it');
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
grant execute on function private.set_current_leaf(uuid, uuid) to authenticated;

create function public.set_current_leaf(chat_id uuid, message_id uuid)
returns public.chats
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  chat public.chats;
begin
  perform private.set_current_leaf(set_current_leaf.chat_id, set_current_leaf.message_id);
  select c.* into chat from public.chats c where c.id = set_current_leaf.chat_id;
  return chat;
end
$$;
grant execute on function public.set_current_leaf(uuid, uuid) to authenticated;
comment on function public.set_current_leaf(uuid, uuid) is
  'Makes message_id the chat''s current leaf (owner or editor): get_messages then shows the branch ending there and '
  'append_message continues from it. Returns the chat. Errors: PT404 (404) no such chat; 42501 (403) viewer; '
  '22023 (400) the message is not in this chat.';

-- RPC: the usual call (the latest page of the current branch) reads the leaf's place from the chat
-- row and is one range scan; it looks for artifact versions only in chats that have artifacts (a
-- version is always made by a message of its artifact's chat), and for attachments only in chats
-- with files linked to messages.
create function public.get_messages(
  chat_id uuid,
  leaf_id uuid default null,
  before bigint default null,
  after bigint default null,
  "limit" integer default 50
)
returns setof public.chat_message
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
  has_attachments boolean := true;
  latest_in_segment boolean;
begin
  if page_size not between 1 and 1000 then
    perform private.invalid_parameter('limit must be between 1 and 1000');
  end if;
  if get_messages.leaf_id is null then
    -- the usual call: the chat row has the current leaf's place
    select c.current_leaf_id, c.current_leaf_segment_start, c.last_sequence_number, c.current_leaf_depth,
      c.current_leaf_head_depth, c.current_leaf_ends_segment,
      exists (select 1 from public.artifacts a where a.chat_id = c.id),
      exists (select 1 from public.attachment_links l where l.chat_id = c.id and l.message_id is not null)
      into leaf, segment, upper_bound, leaf_depth, head_depth, ends_segment, has_artifacts, has_attachments
    from public.chats c
    where c.id = get_messages.chat_id;
    if not found then
      perform private.not_found('chat');
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
      if not private.has_role_on_chat(get_messages.chat_id) then
        perform private.not_found('chat');
      end if;
      perform private.invalid_parameter('leaf_id is not a message of this chat');
    end if;
  end if;

  -- The latest page lies within the leaf's own segment when that segment holds a page (its
  -- messages are a chain, so depth counts them): one index range scan.
  latest_in_segment := get_messages.before is null and get_messages.after is null
    and leaf_depth - head_depth + 1 >= page_size;
  if latest_in_segment and not has_artifacts and not has_attachments then
    return query
    select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.role::text,
      p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
      p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
      p.client_message_id::text, p.author_id, p.created_at, p.updated_at, '[]'::jsonb, '[]'::jsonb
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
  -- the leaf's segment, that is the one range), with its messages' artifact versions and attachments.
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
  ),
  files as (
    select f.message_id, f.attachments as list
    from private.chat_message_attachments(get_messages.chat_id, array(select p.id from page p)) f
    where has_attachments
  )
  select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.role::text,
    p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
    p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
    p.client_message_id::text, p.author_id, p.created_at, p.updated_at,
    coalesce(x.list, '[]'::jsonb), coalesce(y.list, '[]'::jsonb)
  from page p
  left join versions x on x.message_id = p.id
  left join files y on y.message_id = p.id
  order by p.sequence_number;
end
$$;
grant execute on function public.get_messages(uuid, uuid, bigint, bigint, integer) to authenticated;
comment on function public.get_messages(uuid, uuid, bigint, bigint, integer) is
  'A page of the branch ending at leaf_id (default: the chat''s current leaf), oldest first. Each row: id, chat_id, '
  'sequence_number, parent_id, depth, role, content, parts, agent_name, agent_model, intent, input_tokens, '
  'output_tokens, latency_ms, status, metadata, client_message_id, author_id, created_at, updated_at, and '
  'artifact_versions, the versions of non-hidden artifacts the message created, as [{id, artifact_id, type, '
  'title, version_number, change_summary}] ([] for none; get_artifact returns the content), and attachments, the '
  'files linked to the message, as [{id, bucket_id, path, file_name, size_bytes, mime_type, category, '
  'processing_status}] ([] for none; download them from Storage by bucket and path). '
  'Without cursors: the latest "limit" (default 50, at most 1000). before = n: the latest messages with '
  'sequence_number < n (pass the first row''s sequence_number to page back); after = n: the earliest ones with '
  'sequence_number > n (pass the last row''s to page forward). depth tells a message''s position on the branch '
  '(depth > 1 on the first row means older messages exist). Cost does not grow with the chat''s length. '
  'Errors: PT404 (404) no such chat or no access; 22023 (400) bad limit or a leaf from another chat.';
