-- Who may do what in a chat: its owner does everything, members read (viewer) or also write
-- (editor). The RLS helper of chats, messages, members and shares, defined before those tables, in
-- basejump's style (has_role_on_account). Security definer, so that policies on chats, messages and
-- chat_members consult both tables without recursing through each other's policies; it only answers
-- yes or no about the calling user. PL/pgSQL rather than SQL: policies call it once per row, and
-- PL/pgSQL keeps its plans for the session while a non-inlined SQL function is planned again in
-- every statement.
create function private.has_role_on_chat(chat_id uuid, role text default null)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if has_role_on_chat.role is not null and has_role_on_chat.role not in ('owner', 'editor', 'viewer') then
    perform private.invalid_parameter(
      pg_catalog.format('role %L is not one of owner, editor, viewer', has_role_on_chat.role));
  end if;
  return exists (
    select 1 from public.chats c
    where c.id = has_role_on_chat.chat_id and c.owner_id = (select auth.uid())
  ) or (coalesce(has_role_on_chat.role, 'viewer') <> 'owner' and exists (
    select 1 from public.chat_members m
    where m.chat_id = has_role_on_chat.chat_id and m.user_id = (select auth.uid())
      and (m.role = 'editor' or coalesce(has_role_on_chat.role, 'viewer') = 'viewer')
  ));
end
$$;
comment on function private.has_role_on_chat(uuid, text) is
  'Whether the calling user has at least the role on the chat: owner (its owner), editor (the owner or an editor), '
  'viewer or null (the owner or any member).';
grant execute on function private.has_role_on_chat(uuid, text) to authenticated, service_role;

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

-- The error for a chat or an artifact the caller cannot use for what they asked: PT404 when they
-- cannot even read it (the answer for one that does not exist, so ids reveal nothing), 42501 when
-- they can read it but the operation needs more.
create function private.deny(kind text, id uuid, needed text)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  readable boolean := (select auth.uid()) is not null and case kind
    when 'chat' then private.has_role_on_chat(deny.id)
    when 'artifact' then private.has_role_on_artifact(deny.id)
  end;
begin
  if not readable then
    perform private.not_found(kind);
  end if;
  raise exception '%', pg_catalog.format('you may read this %s but not %s', kind, needed) using errcode = '42501',
    hint = case
      when needed in ('write to it', 'create artifacts in it') then 'Ask its owner to make you an editor.'
      when kind = 'artifact' and needed = 'change it' then 'Only the chat''s owner and editors, or the project''s owner, can.'
      when kind = 'artifact' then 'Only the artifact''s creator, or the owner of its chat or project, can.'
      else 'Only the chat''s owner can do this.'
    end;
end
$$;
comment on function private.deny(text, uuid, text) is
  'Raises what a caller gets for a chat or artifact (kind) they cannot use for what they asked (needed): PT404 when '
  'they cannot read it, else 42501 naming what they may not do.';
grant execute on function private.deny(text, uuid, text) to authenticated, service_role;
