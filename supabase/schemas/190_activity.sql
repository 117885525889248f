-- activity_log: an append-only record of what happened to chats (created, forked, deleted, shared,
-- share revoked, member added, role changed, member removed), written by triggers and readable by
-- the chat's owner. Nothing updates or deletes an entry except the deletion of its owner.
create table public.activity_log (
  id bigint generated always as identity primary key,
  -- the chat's owner when it happened: who may read the entry
  owner_id uuid not null references auth.users (id) on delete cascade,
  -- no foreign key: the history outlives the chat
  chat_id uuid,
  -- who did it; null when the system did (e.g. the purge of expired chats)
  actor_id uuid,
  event_type text not null
    constraint activity_log_event_type_check check (event_type in (
      'chat_created', 'chat_forked', 'chat_deleted', 'chat_shared', 'share_revoked',
      'member_added', 'member_role_changed', 'member_removed')),
  event_data jsonb not null default '{}',
  created_at timestamptz not null default now()
);
comment on table public.activity_log is
  'Append-only history of chat events, written by triggers, readable by the chat''s owner.';
create index activity_log_owner_id_id_idx on public.activity_log (owner_id, id desc);
create index activity_log_chat_id_id_idx on public.activity_log (chat_id, id desc);

alter table public.activity_log enable row level security;
revoke all on public.activity_log from anon, authenticated, service_role;
grant select on public.activity_log to authenticated, service_role;

create policy activity_log_select_owner on public.activity_log
  for select to authenticated
  using (owner_id = (select auth.uid()));

-- Writes one entry. Security definer: nobody may insert into the log directly.
create function private.log_activity(owner_id uuid, chat_id uuid, event_type text, event_data jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  -- the owner is being deleted (a cascade from auth.users): there is nobody left to read it
  if not exists (select 1 from auth.users u where u.id = log_activity.owner_id) then
    return;
  end if;
  insert into public.activity_log (owner_id, chat_id, actor_id, event_type, event_data)
  values (log_activity.owner_id, log_activity.chat_id, (select auth.uid()), log_activity.event_type,
    coalesce(log_activity.event_data, '{}'));
end
$$;

-- Logs a chat created, forked or deleted (security definer, as every logging trigger: see above).
create function private.log_chat_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.forked_from_chat_id is not null then
      perform private.log_activity(new.owner_id, new.id, 'chat_forked', pg_catalog.jsonb_build_object(
        'source_chat_id', new.forked_from_chat_id, 'source_message_id', new.forked_from_message_id));
    else
      perform private.log_activity(new.owner_id, new.id, 'chat_created', pg_catalog.jsonb_build_object(
        'title', new.title, 'continuation_id', new.continuation_id));
    end if;
    return new;
  end if;
  perform private.log_activity(old.owner_id, old.id, 'chat_deleted', pg_catalog.jsonb_build_object(
    'title', old.title, 'message_count', old.message_count,
    'expired', old.expires_at is not null and old.expires_at <= private.now()));
  return old;
end
$$;

create trigger chats_900_log_activity
  after insert or delete on public.chats
  for each row execute function private.log_chat_activity();

-- Logs a share link made or revoked.
create function private.log_share_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid := (select c.owner_id from public.chats c where c.id = new.chat_id);
begin
  if tg_op = 'INSERT' then
    perform private.log_activity(owner, new.chat_id, 'chat_shared', pg_catalog.jsonb_build_object(
      'share_id', new.id, 'up_to_message_id', new.up_to_message_id, 'expires_at', new.expires_at));
  elsif old.revoked_at is null and new.revoked_at is not null then
    perform private.log_activity(owner, new.chat_id, 'share_revoked', pg_catalog.jsonb_build_object('share_id', new.id));
  end if;
  return new;
end
$$;

create trigger chat_shares_900_log_activity
  after insert or update of revoked_at on public.chat_shares
  for each row execute function private.log_share_activity();

-- Logs a member added, removed or given another role; nothing when the chat itself is being
-- deleted (its deletion is the entry).
create function private.log_member_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  member public.chat_members := case when tg_op = 'DELETE' then old else new end;
  owner uuid := (select c.owner_id from public.chats c where c.id = member.chat_id);
begin
  -- the chat itself is being deleted: its deletion is the entry
  if owner is null then
    return null;
  end if;
  if tg_op = 'INSERT' then
    perform private.log_activity(owner, new.chat_id, 'member_added',
      pg_catalog.jsonb_build_object('user_id', new.user_id, 'role', new.role));
  elsif tg_op = 'UPDATE' then
    if new.role is distinct from old.role then
      perform private.log_activity(owner, new.chat_id, 'member_role_changed',
        pg_catalog.jsonb_build_object('user_id', new.user_id, 'role', new.role, 'previous_role', old.role));
    end if;
  else
    perform private.log_activity(owner, old.chat_id, 'member_removed',
      pg_catalog.jsonb_build_object('user_id', old.user_id, 'role', old.role));
  end if;
  return null;
end
$$;

create trigger chat_members_900_log_activity
  after insert or update of role or delete on public.chat_members
  for each row execute function private.log_member_activity();
