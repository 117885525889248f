-- append_message and edit_message return the message as a client sees it (public.chat_message,
-- 20261122520000: the columns of a get_messages row but artifact_versions, as Realtime payloads
-- carry it), not the table's row: no search vector (a tsvector turned into text on every append),
-- no branch storage columns (segment_start, segment_ancestry) and no chat_owner_id, which the
-- policies use. Their arguments, behaviour and errors are unchanged; the return type changes, so
-- both are dropped and created again with their grants and comments.

drop function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text);
drop function public.edit_message(uuid, text, text);

-- As in 20261122520000_append_path.sql, returning public.chat_message.
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
      if not private.can_write_chat(append_message.chat_id) then
        perform private.deny_chat(append_message.chat_id, 'write to it');
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
      if not private.can_write_chat(append_message.chat_id) then
        perform private.deny_chat(append_message.chat_id, 'write to it');
      end if;
      -- a writer's own mistake (e.g. a parent from another chat)
      raise;
  end;
  return private.chat_message(message);
end
$$;
grant execute on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text)
  to authenticated;
comment on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text) is
  'Appends a message (owner or editor) and returns it: id, chat_id, sequence_number (per chat, gapless, 1, 2, 3…), '
  'parent_id, depth, role, content, parts, agent_name, agent_model, intent, input_tokens, output_tokens, latency_ms, '
  'status, metadata, client_message_id, author_id, created_at, updated_at. role: system|user|assistant|tool; '
  'content at most 200,000 characters, not empty unless '
  'status is pending/streaming or parts are given; parts a JSON array (≤ 1 MB); tokens and latency ≥ 0; '
  'status pending|streaming|complete|error|cancelled (default complete). parent_id defaults to the chat''s current '
  'leaf; the new message becomes the current leaf (a parent that already has children makes a new branch, as a '
  'regeneration does). The first user message titles an untitled chat. The same client_message_id again returns '
  'the same message and writes nothing. Errors: PT404 (404) no such chat; 42501 (403) viewer; 22023 (400) invalid argument.';

-- As in 20261122030000_conversations_rpcs.sql, returning public.chat_message.
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
    raise exception 'message not found' using errcode = 'PT404',
      hint = 'The message does not exist or you are not a member of its chat.';
  end if;
  checked := private.check_message(original.role, edit_message.content, null, original.agent_name,
    original.agent_model, original.intent, null, null, null, 'complete', null, edit_message.client_message_id);
  if not private.can_write_chat(original.chat_id) then
    perform private.deny_chat(original.chat_id, 'write to it');
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
