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

alter table public.chat_members enable row level security;
revoke all on public.chat_members from anon, authenticated, service_role;
grant select on public.chat_members to authenticated;
grant insert (chat_id, user_id, role) on public.chat_members to authenticated;
grant update (role) on public.chat_members to authenticated;
grant delete on public.chat_members to authenticated;
grant select, insert, update, delete on public.chat_members to service_role;

create policy chat_members_select_reader on public.chat_members
  for select to authenticated
  using (private.has_role_on_chat(chat_id));

create policy chat_members_insert_owner on public.chat_members
  for insert to authenticated
  with check (private.has_role_on_chat(chat_id, 'owner') and user_id <> (select auth.uid()));

create policy chat_members_update_owner on public.chat_members
  for update to authenticated
  using (private.has_role_on_chat(chat_id, 'owner'))
  with check (private.has_role_on_chat(chat_id, 'owner'));

-- the owner removes anyone; a member may leave
create policy chat_members_delete_owner_or_self on public.chat_members
  for delete to authenticated
  using (private.has_role_on_chat(chat_id, 'owner') or user_id = (select auth.uid()));

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
  if not private.has_role_on_chat(add_chat_member.chat_id, 'owner') then
    perform private.deny('chat', add_chat_member.chat_id, 'manage its members');
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
    perform private.not_found('user', 'user_id must be the id of an existing user.');
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
  if not private.has_role_on_chat(remove_chat_member.chat_id, 'owner')
    and remove_chat_member.user_id is distinct from (select auth.uid()) then
    perform private.deny('chat', remove_chat_member.chat_id, 'manage its members');
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
