-- Realtime: inserts and updates of messages and chats are broadcast to the private topic
-- chat:<chat_id>, which a policy on realtime.messages opens to those who can read the chat. The
-- tables are also in the supabase_realtime publication for postgres_changes subscribers (whose
-- rows Realtime filters through the tables' own RLS). New messages are broadcast by the placing
-- trigger (130_messages.sql).

-- Security definer: broadcasting writes realtime.messages, which the writing user has no right to.
create function private.broadcast_message_change()
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

create trigger messages_900_broadcast
  after update on public.messages
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

-- A new message updates its chat's counters and leaf too; its own broadcast tells that, so only
-- the other updates of a chat are broadcast: settings, the title a first message gives it, a
-- switch of the current leaf. (A small WHEN clause on purpose: Postgres prepares it again for
-- every statement that updates a chat, i.e. on every append.)
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
  return private.has_role_on_chat(substr(topic, 6)::uuid);
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
