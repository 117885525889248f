-- A share link is a snapshot: get_shared_chat showed every version created by a shared message,
-- including versions written after the link was made (an edit attributed to an already-shared
-- message). Only versions that existed when the link was made are shared now.

-- Shares and artifact versions are ordered by the moment they were written, not by the start of
-- their transactions: a version written earlier in the same transaction as the share is included.
alter table public.chat_shares alter column created_at set default clock_timestamp();

create or replace function private.get_shared_chat_with_artifacts(token text, before bigint, after bigint, page_size integer)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  -- private.get_shared_chat checks the token (unknown, expired and revoked alike are PT404)
  shared jsonb := private.get_shared_chat(get_shared_chat_with_artifacts.token, get_shared_chat_with_artifacts.before,
    get_shared_chat_with_artifacts.after, get_shared_chat_with_artifacts.page_size);
  shared_chat_id uuid := (shared -> 'chat' ->> 'id')::uuid;
  shared_at timestamptz;
begin
  select s.created_at into shared_at
  from public.chat_shares s
  where s.token_hash = extensions.digest(get_shared_chat_with_artifacts.token, 'sha256');

  return jsonb_set(shared, '{messages}', (
    select coalesce(jsonb_agg(m.value || jsonb_build_object('artifact_versions', coalesce((
      select jsonb_agg(jsonb_build_object('id', v.id, 'artifact_id', a.id, 'type', a.type, 'title', a.title,
        'description', a.description, 'version_number', v.version_number, 'change_summary', v.change_summary,
        'content', v.content, 'content_json', v.content_json, 'file_path', v.file_path, 'created_at', v.created_at)
        order by v.created_at, v.id)
      from public.artifact_versions v
      join public.artifacts a on a.id = v.artifact_id
      where v.created_by_message_id = (m.value ->> 'id')::uuid and a.chat_id = shared_chat_id and a.hidden_at is null
        and v.created_at <= shared_at
    ), '[]'::jsonb)) order by m.ordinality), '[]'::jsonb)
    from jsonb_array_elements(shared -> 'messages') with ordinality m
  ));
end
$$;
comment on function private.get_shared_chat_with_artifacts(text, bigint, bigint, integer) is
  'get_shared_chat''s answer with, on each message, the versions of non-hidden artifacts it created that existed when '
  'the link was made.';
