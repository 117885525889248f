-- Who may do what in a chat: its owner does everything, members read (viewer) or also write
-- (editor). The RLS helpers of chats, messages, members and shares, defined before those tables.
-- Security definer, so that policies on chats, messages and chat_members consult both tables
-- without recursing through each other's policies; they only answer yes or no about the calling
-- user. PL/pgSQL rather than SQL: policies call them once per row, and PL/pgSQL keeps its plans
-- for the session while a non-inlined SQL function is planned again in every statement.
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

-- The chats the caller is a member of (not owner): the chats policy uses it as a set computed
-- once per statement, so scanning chats never calls a function per row.
create function private.member_chat_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query select m.chat_id from public.chat_members m where m.user_id = (select auth.uid());
end
$$;
comment on function private.member_chat_ids() is 'The ids of the chats the calling user is a member of.';
grant execute on function private.member_chat_ids() to authenticated;

-- The error for a chat the caller cannot use: PT404 when they cannot even read it (the answer for
-- a chat that does not exist, so ids reveal nothing), 42501 when the operation needs more.
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
