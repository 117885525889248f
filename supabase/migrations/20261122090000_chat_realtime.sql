-- Realtime: inserts and updates of messages and chats are broadcast to the private topic
-- chat:<chat_id>; a policy on realtime.messages lets only those who can read the chat receive them.
-- The tables are also in the supabase_realtime publication for postgres_changes subscribers
-- (whose rows Realtime filters through the tables' own RLS).

-- What a message broadcast carries: the row without the search vector and the internal branch
-- columns. (A type, so the trigger builds it with a plain assignment instead of a query.)
create type private.message_change as (
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

-- Security definer: broadcasting writes realtime.messages, which the writing user has no right to.
create function private.broadcast_message_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  new_row private.message_change;
  old_row private.message_change;
begin
  new_row := row(new.id, new.chat_id, new.sequence_number, new.parent_id, new.depth, new.role, new.content, new.parts,
    new.agent_name, new.agent_model, new.intent, new.input_tokens, new.output_tokens, new.latency_ms, new.status,
    new.metadata, new.client_message_id, new.author_id, new.created_at, new.updated_at);
  if tg_op = 'UPDATE' then
    old_row := row(old.id, old.chat_id, old.sequence_number, old.parent_id, old.depth, old.role, old.content, old.parts,
      old.agent_name, old.agent_model, old.intent, old.input_tokens, old.output_tokens, old.latency_ms, old.status,
      old.metadata, old.client_message_id, old.author_id, old.created_at, old.updated_at);
  end if;
  perform realtime.broadcast_changes('chat:' || new.chat_id::text, tg_op, tg_op, tg_table_name, tg_table_schema,
    new_row, old_row);
  return null;
end
$$;

create trigger messages_900_broadcast
  after insert or update on public.messages
  for each row execute function private.broadcast_message_change();

create function private.broadcast_chat_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.broadcast_changes('chat:' || new.id::text, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end
$$;

create trigger chats_900_broadcast_insert
  after insert on public.chats
  for each row execute function private.broadcast_chat_change();

-- A new message updates its chat's counters and leaf too; that is already told by the message's
-- own broadcast, so only the other updates of a chat are broadcast: settings, the title a first
-- message gives it, a switch of the current leaf. (A small WHEN clause on purpose: Postgres
-- prepares it again for every statement that updates a chat, i.e. on every append.)
create trigger chats_900_broadcast_update
  after update on public.chats
  for each row
  when (old.last_sequence_number = new.last_sequence_number)
  execute function private.broadcast_chat_change();

-- Whether the caller may receive broadcasts on a topic: chat:<id> for readers of that chat.
create function private.can_read_chat_topic(topic text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  if topic is null or topic !~ '^chat:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return false;
  end if;
  return private.can_read_chat(substr(topic, 6)::uuid);
end
$$;
grant execute on function private.can_read_chat_topic(text) to authenticated;

-- Realtime sets realtime.topic to the channel a client joins and checks it against this policy;
-- only broadcasts of that very topic are admitted.
create policy messages_select_chat_reader on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select private.can_read_chat_topic((select realtime.topic())))
  );

alter publication supabase_realtime add table public.chats, public.messages;
