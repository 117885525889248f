-- Realtime for artifacts: a new version, and a renamed, hidden or shown artifact, are broadcast on
-- the chat's private topic chat:<chat_id> (195_realtime.sql). The payload is what a chat UI needs to
-- show or refresh the artifact, never the content (which get_artifact returns). Artifacts of a
-- project only have no chat topic and are not broadcast.

-- Security definer: broadcasting writes realtime.messages, which the writing user has no right to.
create function private.broadcast_artifact_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  artifact public.artifacts;
  new_row record;
begin
  select a.* into artifact from public.artifacts a where a.id = new.artifact_id;
  select r.* into new_row from (
    select new.id, new.artifact_id, artifact.chat_id, artifact.project_id, artifact.type, artifact.title,
      new.version_number, new.parent_version_id, new.reverted_from_version_id, new.change_summary,
      new.created_by_message_id, new.content_hash, new.file_path, new.created_by, new.created_at
  ) r;
  if artifact.chat_id is not null then
    perform realtime.broadcast_changes('chat:' || artifact.chat_id::text, tg_op, tg_op, tg_table_name, tg_table_schema,
      new_row, null);
  end if;
  return null;
end
$$;

create trigger artifact_versions_900_broadcast
  after insert on public.artifact_versions
  for each row execute function private.broadcast_artifact_version();

create function private.broadcast_artifact_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.broadcast_changes('chat:' || new.chat_id::text, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end
$$;

-- New versions move the counters too; the version's own broadcast tells that.
create trigger artifacts_900_broadcast_update
  after update on public.artifacts
  for each row
  when (new.chat_id is not null
    and (old.title is distinct from new.title or old.description is distinct from new.description
      or old.hidden_at is distinct from new.hidden_at))
  execute function private.broadcast_artifact_change();
