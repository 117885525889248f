-- Realtime for the journal: changes of a user's entries and dreams (details, images,
-- interpretation versions) are broadcast on the private topic user:<user_id>, which only that
-- user may join (a policy on realtime.messages). Payloads have the shape of
-- realtime.broadcast_changes ({record, old_record, operation, table, schema}); an entry's record
-- leaves out its body (up to 1,000,000 characters) and says its length: get_entry has the rest.
-- entries, dream_details and dream_images are also in the supabase_realtime publication for
-- postgres_changes subscribers (whose rows Realtime filters through the tables' own RLS).

-- Sends one change to user:<user_id>. Security definer: broadcasting writes realtime.messages,
-- which the writing user has no right to; callers are the triggers below only.
create function private.broadcast_user_change(user_id uuid, operation text, table_name text, record jsonb, old_record jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object('record', record, 'old_record', old_record, 'operation', operation, 'table', table_name,
      'schema', 'public'),
    operation, 'user:' || user_id::text, true);
end
$$;
comment on function private.broadcast_user_change(uuid, text, text, jsonb, jsonb) is
  'Broadcasts a change of one of the user''s rows on their private topic user:<user_id>.';

-- An entry's change: the row without its body, with the body's length. Security definer, for the
-- same reason as broadcast_user_change; written out rather than through it, because every entry
-- write runs it (one settings switch instead of two).
create function private.broadcast_entry_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'record', to_jsonb(new) - 'body_markdown' || jsonb_build_object('body_length', coalesce(char_length(new.body_markdown), 0)),
      'old_record', case when tg_op = 'UPDATE' then
        to_jsonb(old) - 'body_markdown' || jsonb_build_object('body_length', coalesce(char_length(old.body_markdown), 0)) end,
      'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema),
    tg_op, 'user:' || new.user_id::text, true);
  return null;
end
$$;

create trigger entries_900_broadcast
  after insert or update on public.entries
  for each row execute function private.broadcast_entry_change();

-- dream_details, dream_images: the row as it is (security definer: see broadcast_user_change)
create function private.broadcast_dream_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.broadcast_user_change(new.user_id, tg_op, tg_table_name, to_jsonb(new),
    case when tg_op = 'UPDATE' then to_jsonb(old) end);
  return null;
end
$$;

create trigger dream_details_900_broadcast
  after insert or update on public.dream_details
  for each row execute function private.broadcast_dream_change();

create trigger dream_images_900_broadcast
  after insert or update on public.dream_images
  for each row execute function private.broadcast_dream_change();

-- A new version of an entry's artifact (an interpretation): the version without its content, with
-- the entry it is about. Versions of chat and project artifacts go to the chat's topic instead
-- (250_artifact_realtime.sql); this one reads the artifact by primary key and sends nothing for them.
-- Security definer: see broadcast_user_change.
create function private.broadcast_entry_artifact_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  artifact public.artifacts;
begin
  select a.* into artifact from public.artifacts a where a.id = new.artifact_id;
  if artifact.entry_id is not null then
    perform private.broadcast_user_change(artifact.owner_id, tg_op, tg_table_name,
      jsonb_build_object('id', new.id, 'artifact_id', new.artifact_id, 'entry_id', artifact.entry_id,
        'type', artifact.type, 'title', artifact.title, 'version_number', new.version_number,
        'change_summary', new.change_summary, 'content_hash', new.content_hash, 'created_by', new.created_by,
        'created_at', new.created_at),
      null);
  end if;
  return null;
end
$$;

create trigger artifact_versions_910_broadcast_entry
  after insert on public.artifact_versions
  for each row execute function private.broadcast_entry_artifact_version();

-- Whether the caller may receive broadcasts on a topic: user:<id> for that user alone.
create policy messages_select_own_user_topic on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select realtime.topic()) = 'user:' || (select auth.uid())::text
  );

alter publication supabase_realtime add table public.entries, public.dream_details, public.dream_images;
