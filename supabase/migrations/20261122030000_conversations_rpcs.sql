-- Conversations RPCs: agents, chats, messages and branches, members. Security invoker (RLS
-- authorizes) except set_current_leaf, whose reason is given where it is defined.

-- ---------------------------------------------------------------------------------------------
-- Shared checks

-- Raises the error a caller gets for a chat they cannot use: PT404 when they cannot even read it
-- (the same answer as for a chat that does not exist, so ids reveal nothing), 42501 when they can
-- read it but the operation needs more.
create function private.deny_chat(chat_id uuid, needed text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if (select auth.uid()) is null or not private.can_read_chat(deny_chat.chat_id) then
    raise exception 'chat not found' using errcode = 'PT404',
      hint = 'The chat does not exist or you are not a member of it.';
  end if;
  raise exception '%', pg_catalog.format('you may read this chat but not %s', needed) using errcode = '42501',
    hint = case needed
      when 'write to it' then 'Ask its owner to make you an editor.'
      else 'Only the chat''s owner can do this.'
    end;
end
$$;
grant execute on function private.deny_chat(uuid, text) to authenticated;

-- Validates a single-line label: trimmed, 1..max characters, no control characters.
-- Returns the trimmed value (null stays null, '' becomes null when empty_is_null).
create function private.clean_label(value text, name text, max_length integer, empty_is_null boolean default false)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  cleaned text := pg_catalog.btrim(value);
begin
  if cleaned is null then
    return null;
  end if;
  if cleaned = '' and empty_is_null then
    return null;
  end if;
  if pg_catalog.char_length(cleaned) not between 1 and max_length or cleaned ~ '[[:cntrl:]]' then
    perform private.invalid_parameter(
      pg_catalog.format('%s must be 1 to %s characters without control characters', name, max_length));
  end if;
  return cleaned;
end
$$;
grant execute on function private.clean_label(text, text, integer, boolean) to authenticated, service_role;

-- Validates a JSON object argument of at most 16 kB.
create function private.check_json_object(value jsonb, name text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if value is not null and (pg_catalog.jsonb_typeof(value) <> 'object' or pg_catalog.pg_column_size(value) > 16384) then
    perform private.invalid_parameter(pg_catalog.format('%s must be a JSON object of at most 16 kB', name));
  end if;
end
$$;
grant execute on function private.check_json_object(jsonb, text) to authenticated, service_role;

-- Validates everything a message carries. One place for append_message, edit_message and
-- record_conversation, so every path rejects the same input with the same words.
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
returns void
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
  perform private.check_json_object(metadata, 'metadata');
  if client_message_id is not null
    and (pg_catalog.char_length(client_message_id) not between 1 and 200 or client_message_id ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter('client_message_id must be 1 to 200 characters without spaces');
  end if;
end
$$;
grant execute on function private.check_message(text, text, jsonb, text, text, text, integer, integer, integer, text, jsonb, text)
  to authenticated, service_role;

-- The branch that ends at a message, as flattened [segment_start, last sequence number] pairs,
-- root first (see the messages table in the schema migration). Two index lookups.
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

-- ---------------------------------------------------------------------------------------------
-- Agents

create function public.list_agents()
returns setof public.agents
language sql
stable
security invoker
set search_path = ''
as $$
  select a.* from public.agents a
  order by a.owner_id is not null, a.kind, a.name
$$;
grant execute on function public.list_agents() to authenticated;
comment on function public.list_agents() is
  'The agents the caller can use: the built-in ones, then their own. Returns setof agents '
  '(id, owner_id (null = built-in), name, display_name, kind assistant|interpreter, icon, description, '
  'default_model, prompt_name, metadata, created_at, updated_at). Anon is denied (401).';

create function public.create_agent(
  name text,
  display_name text,
  kind text default 'assistant',
  icon text default null,
  description text default null,
  default_model text default null,
  prompt_name text default null,
  metadata jsonb default '{}'
)
returns public.agents
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  agent public.agents;
begin
  if create_agent.name is null or create_agent.name !~ '^[a-z][a-z0-9_]{0,63}$' then
    perform private.invalid_parameter('name must be lowercase snake_case of 1 to 64 characters, starting with a letter');
  end if;
  if create_agent.kind is null or create_agent.kind not in ('assistant', 'interpreter') then
    perform private.invalid_parameter('kind must be assistant or interpreter');
  end if;
  perform private.check_json_object(create_agent.metadata, 'metadata');
  insert into public.agents (name, display_name, kind, icon, description, default_model, prompt_name, metadata)
  values (
    create_agent.name,
    private.clean_label(create_agent.display_name, 'display_name', 80),
    create_agent.kind,
    private.clean_label(create_agent.icon, 'icon', 16, true),
    nullif(pg_catalog.btrim(create_agent.description), ''),
    private.clean_label(create_agent.default_model, 'default_model', 128, true),
    private.clean_label(create_agent.prompt_name, 'prompt_name', 128, true),
    coalesce(create_agent.metadata, '{}')
  )
  returning * into agent;
  return agent;
exception
  when unique_violation then
    raise exception '%', pg_catalog.format('you already have an agent named %L', create_agent.name)
      using errcode = '23505', hint = 'Agent names are unique per owner.';
  when not_null_violation then
    perform private.invalid_parameter('display_name is required');
  when check_violation then
    perform private.invalid_parameter(pg_catalog.format('invalid agent (%s)', sqlerrm));
end
$$;
grant execute on function public.create_agent(text, text, text, text, text, text, text, jsonb) to authenticated;
comment on function public.create_agent(text, text, text, text, text, text, text, jsonb) is
  'Creates a private agent owned by the caller and returns it (an agents row). name: lowercase snake_case, '
  'unique per owner; kind assistant|interpreter. Errors: 22023 (400) invalid argument; 23505 (409) the name is taken.';

-- ---------------------------------------------------------------------------------------------
-- Chats

create function public.create_chat(
  title text default null,
  agent_id uuid default null,
  project_id uuid default null,
  continuation_id text default null,
  phase text default null,
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

  insert into public.chats (title, agent_id, project_id, continuation_id, phase, metadata, expires_at, ttl)
  values (
    private.clean_label(create_chat.title, 'title', 200, true),
    create_chat.agent_id,
    create_chat.project_id,
    create_chat.continuation_id,
    create_chat.phase,
    coalesce(create_chat.metadata, '{}'),
    create_chat.expires_at,
    -- a continuation chat keeps the lifetime it was created with as its sliding TTL
    case when create_chat.continuation_id is not null then create_chat.expires_at - clock end
  )
  returning * into chat;
  return chat;
exception
  when unique_violation then
    raise exception '%', pg_catalog.format('you already have a chat with continuation_id %L', create_chat.continuation_id)
      using errcode = '23505', hint = 'Use get_chat_by_continuation() to find it.';
end
$$;
grant execute on function public.create_chat(text, uuid, uuid, text, text, jsonb, timestamptz) to authenticated;
comment on function public.create_chat(text, uuid, uuid, text, text, jsonb, timestamptz) is
  'Creates a chat owned by the caller and returns it (a chats row; its id is the chat''s URL id). All arguments are '
  'optional: an untitled chat takes its title from its first user message. A continuation chat with expires_at '
  'keeps that lifetime as its sliding TTL. Errors: 22023 (400) invalid argument or unknown agent; '
  '23505 (409) continuation_id already used by the caller; anon is denied (401).';

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
    perform private.deny_chat(update_chat.chat_id, 'change its settings');
  end if;
  return chat;
exception
  when check_violation then
    if sqlerrm like '%chats_metadata_check%' then
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
    perform private.deny_chat(delete_chat.chat_id, 'delete it');
  end if;
  return true;
end
$$;
grant execute on function public.delete_chat(uuid) to authenticated;
comment on function public.delete_chat(uuid) is
  'Deletes a chat with its messages, members and shares (owner only); returns true. '
  'Errors: PT404 (404) no such chat (also on a repeated call); 42501 (403) not the owner.';

-- Newest activity first. The cursor is the last row's "<last_activity_at>,<id>" (or just a time):
-- ties on the timestamp are broken by id, so no chat is skipped or repeated between pages.
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

-- ---------------------------------------------------------------------------------------------
-- Messages

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
returns public.messages
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  message public.messages;
begin
  perform private.check_message(append_message.role, append_message.content, append_message.parts,
    append_message.agent_name, append_message.agent_model, append_message.intent, append_message.input_tokens,
    append_message.output_tokens, append_message.latency_ms, append_message.status, append_message.metadata,
    append_message.client_message_id);
  -- (the owner's case first: an index probe, no security definer call)
  if not exists (select 1 from public.chats c where c.id = append_message.chat_id and c.owner_id = (select auth.uid()))
    and not private.can_write_chat(append_message.chat_id) then
    perform private.deny_chat(append_message.chat_id, 'write to it');
  end if;

  if append_message.client_message_id is null then
    insert into public.messages (chat_id, parent_id, role, content, parts, agent_name, agent_model, intent,
      input_tokens, output_tokens, latency_ms, status, metadata)
    values (append_message.chat_id, coalesce(append_message.parent_id, '00000000-0000-0000-0000-000000000000'),
      append_message.role, append_message.content, append_message.parts, append_message.agent_name,
      append_message.agent_model, append_message.intent, append_message.input_tokens, append_message.output_tokens,
      append_message.latency_ms, coalesce(append_message.status, 'complete'), coalesce(append_message.metadata, '{}'))
    returning * into message;
    return message;
  end if;

  -- A retry: the message is already there.
  select m.* into message from public.messages m
  where m.chat_id = append_message.chat_id and m.client_message_id = append_message.client_message_id;
  if found then
    return message;
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
      -- A concurrent retry committed it first. Leaving this block undid our insert and the
      -- sequence number it took, so the chat's numbering stays gapless.
      select m.* into message from public.messages m
      where m.chat_id = append_message.chat_id and m.client_message_id = append_message.client_message_id;
  end;
  return message;
end
$$;
grant execute on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text)
  to authenticated;
comment on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text) is
  'Appends a message (owner or editor) and returns it (a messages row with its sequence_number: per chat, '
  'gapless, 1, 2, 3…). role: system|user|assistant|tool; content at most 200,000 characters, not empty unless '
  'status is pending/streaming or parts are given; parts a JSON array (≤ 1 MB); tokens and latency ≥ 0; '
  'status pending|streaming|complete|error|cancelled (default complete). parent_id defaults to the chat''s current '
  'leaf; the new message becomes the current leaf (a parent that already has children makes a new branch, as a '
  'regeneration does). The first user message titles an untitled chat. The same client_message_id again returns '
  'the same message and writes nothing. Errors: PT404 (404) no such chat; 42501 (403) viewer; 22023 (400) invalid argument.';

create function public.edit_message(message_id uuid, content text, client_message_id text default null)
returns public.messages
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  original public.messages;
  message public.messages;
begin
  select m.* into original from public.messages m where m.id = edit_message.message_id;
  if not found then
    raise exception 'message not found' using errcode = 'PT404',
      hint = 'The message does not exist or you are not a member of its chat.';
  end if;
  perform private.check_message(original.role, edit_message.content, null, original.agent_name,
    original.agent_model, original.intent, null, null, null, 'complete', null, edit_message.client_message_id);
  if not private.can_write_chat(original.chat_id) then
    perform private.deny_chat(original.chat_id, 'write to it');
  end if;
  if edit_message.client_message_id is not null then
    select m.* into message from public.messages m
    where m.chat_id = original.chat_id and m.client_message_id = edit_message.client_message_id;
    if found then
      return message;
    end if;
  end if;

  insert into public.messages (chat_id, parent_id, role, content, agent_name, agent_model, intent, metadata,
    client_message_id)
  values (original.chat_id, original.parent_id, original.role, edit_message.content, original.agent_name,
    original.agent_model, original.intent, pg_catalog.jsonb_build_object('edited_from', original.id),
    edit_message.client_message_id)
  returning * into message;
  return message;
exception
  when unique_violation then
    select m.* into message from public.messages m
    where m.chat_id = original.chat_id and m.client_message_id = edit_message.client_message_id;
    return message;
end
$$;
grant execute on function public.edit_message(uuid, text, text) to authenticated;
comment on function public.edit_message(uuid, text, text) is
  'Edits a message the ChatGPT way (owner or editor): adds a sibling with the same parent and role and the new '
  'content, makes it the current leaf and returns it (a messages row; metadata.edited_from names the original). '
  'The original and its branch stay intact (get_message_siblings, set_current_leaf). Optional client_message_id '
  'makes a retry return the same sibling. Errors: PT404 (404) no such message; 42501 (403) viewer; '
  '22023 (400) empty or oversized content.';

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
    raise exception 'message not found' using errcode = 'PT404',
      hint = 'The message does not exist or you are not a member of its chat.';
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
    s.role, s.content, s.status, s.agent_name, s.agent_model, s.created_at
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

-- Security definer: the current leaf is a column of the chat row, which editors may not update;
-- this checks that the caller may write to the chat and changes only that column.
create function private.set_current_leaf(chat_id uuid, message_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if not private.can_write_chat(set_current_leaf.chat_id) then
    perform private.deny_chat(set_current_leaf.chat_id, 'write to it');
  end if;
  if not exists (
    select 1 from public.messages m
    where m.id = set_current_leaf.message_id and m.chat_id = set_current_leaf.chat_id
  ) then
    perform private.invalid_parameter('message_id is not a message of this chat');
  end if;
  update public.chats c
  set current_leaf_id = set_current_leaf.message_id
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

-- One page of a branch given as ranges (private.branch_ranges), read as a few index range scans,
-- one per segment the page touches. With neither cursor: the latest page_size messages; before:
-- the latest ones older than that sequence number; after: the oldest ones newer than it (and older
-- than before, when both are given). Returned oldest first. Security invoker: it reads with the
-- rights of whoever calls it (RLS for the API roles; the share and fork functions call it as
-- definer after their own checks).
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

create function public.get_messages(
  chat_id uuid,
  leaf_id uuid default null,
  before bigint default null,
  after bigint default null,
  "limit" integer default 50
)
returns setof public.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  page_size integer := coalesce(get_messages."limit", 50);
  leaf uuid := get_messages.leaf_id;
  ranges bigint[];
begin
  if page_size not between 1 and 1000 then
    perform private.invalid_parameter('limit must be between 1 and 1000');
  end if;
  if leaf is null then
    select c.current_leaf_id into leaf from public.chats c where c.id = get_messages.chat_id;
    if not found then
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you are not a member of it.';
    end if;
    if leaf is null then
      return;
    end if;
  end if;

  select private.branch_ranges(m.id) into ranges
  from public.messages m
  where m.id = leaf and m.chat_id = get_messages.chat_id;
  if ranges is null then
    if not private.can_read_chat(get_messages.chat_id) then
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you are not a member of it.';
    end if;
    perform private.invalid_parameter('leaf_id is not a message of this chat');
  end if;
  return query
  select p.* from private.branch_page(get_messages.chat_id, ranges, get_messages.before, get_messages.after, page_size) p;
end
$$;
grant execute on function public.get_messages(uuid, uuid, bigint, bigint, integer) to authenticated;
comment on function public.get_messages(uuid, uuid, bigint, bigint, integer) is
  'A page of the branch ending at leaf_id (default: the chat''s current leaf), oldest first, as setof messages. '
  'Without cursors: the latest "limit" (default 50, at most 1000). before = n: the latest messages with '
  'sequence_number < n (pass the first row''s sequence_number to page back); after = n: the earliest ones with '
  'sequence_number > n (pass the last row''s to page forward). depth tells a message''s position on the branch '
  '(depth > 1 on the first row means older messages exist). Cost does not grow with the chat''s length. '
  'Errors: PT404 (404) no such chat or no access; 22023 (400) bad limit or a leaf from another chat.';

-- ---------------------------------------------------------------------------------------------
-- Members

create function public.add_chat_member(chat_id uuid, user_id uuid, role text)
returns public.chat_members
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  member public.chat_members;
begin
  if add_chat_member.role is null or add_chat_member.role not in ('viewer', 'editor') then
    perform private.invalid_parameter(pg_catalog.format('role %L is not one of viewer, editor', add_chat_member.role));
  end if;
  if not private.is_chat_owner(add_chat_member.chat_id) then
    perform private.deny_chat(add_chat_member.chat_id, 'manage its members');
  end if;
  if add_chat_member.user_id is null or add_chat_member.user_id = (select auth.uid()) then
    perform private.invalid_parameter('user_id must be another user: the owner already has every right');
  end if;
  insert into public.chat_members as m (chat_id, user_id, role)
  values (add_chat_member.chat_id, add_chat_member.user_id, add_chat_member.role)
  on conflict on constraint chat_members_pkey do update set role = excluded.role
    where m.role is distinct from excluded.role
  returning m.* into member;
  if not found then
    -- already a member with this role: nothing to change
    select m.* into member from public.chat_members m
    where m.chat_id = add_chat_member.chat_id and m.user_id = add_chat_member.user_id;
  end if;
  return member;
exception
  when foreign_key_violation then
    raise exception 'user not found' using errcode = 'PT404', hint = 'user_id must be the id of an existing user.';
end
$$;
grant execute on function public.add_chat_member(uuid, uuid, text) to authenticated;
comment on function public.add_chat_member(uuid, uuid, text) is
  'Adds a member to a chat, or changes their role (owner only); returns the chat_members row. role: viewer (reads) '
  'or editor (reads, appends and edits messages). Repeating the call changes nothing. Errors: PT404 (404) no such '
  'chat or user; 42501 (403) not the owner; 22023 (400) bad role or the owner themself.';

create function public.remove_chat_member(chat_id uuid, user_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  if not private.is_chat_owner(remove_chat_member.chat_id)
    and remove_chat_member.user_id is distinct from (select auth.uid()) then
    perform private.deny_chat(remove_chat_member.chat_id, 'manage its members');
  end if;
  delete from public.chat_members m
  where m.chat_id = remove_chat_member.chat_id and m.user_id = remove_chat_member.user_id;
  return found;
end
$$;
grant execute on function public.remove_chat_member(uuid, uuid) to authenticated;
comment on function public.remove_chat_member(uuid, uuid) is
  'Removes a member from a chat: the owner removes anyone, a member may remove themself (leave). Returns whether '
  'a membership was removed (false when there was none, so a retry is harmless). Errors: PT404 (404) no such chat; '
  '42501 (403) removing someone else without being the owner.';
