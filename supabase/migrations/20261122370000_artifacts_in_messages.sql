-- Artifacts inline in conversations: each message returned by get_messages lists the artifact
-- versions it created, and a shared chat (get_shared_chat) carries, on each shared message, the
-- versions that message created with their content. That is the only way anonymous visitors read
-- artifacts: through a share whose branch includes the creating message. Hidden artifacts are left
-- out of both.

-- ---------------------------------------------------------------------------------------------
-- get_messages: its paging logic (conversations RPCs migration) moves to private unchanged, and the
-- public function, same arguments, returns its rows plus artifact_versions. The return type
-- changes, so the public function is created anew (with its grant and comment).
-- (It keeps its name: its body qualifies its arguments with it.)
alter function public.get_messages(uuid, uuid, bigint, bigint, integer) set schema private;
comment on function private.get_messages(uuid, uuid, bigint, bigint, integer) is
  'The page of messages behind public.get_messages (see its comment), as setof messages.';

create function public.get_messages(
  chat_id uuid,
  leaf_id uuid default null,
  before bigint default null,
  after bigint default null,
  "limit" integer default 50
)
returns table (
  id uuid,
  chat_id uuid,
  sequence_number bigint,
  parent_id uuid,
  depth integer,
  segment_start bigint,
  segment_ancestry bigint[],
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
  content_search tsvector,
  created_at timestamptz,
  updated_at timestamptz,
  artifact_versions jsonb
)
language sql
stable
security invoker
set search_path = ''
as $$
  select m.*, coalesce((
    select jsonb_agg(jsonb_build_object('id', v.id, 'artifact_id', v.artifact_id, 'type', a.type, 'title', a.title,
      'version_number', v.version_number, 'change_summary', v.change_summary) order by v.created_at, v.id)
    from public.artifact_versions v
    join public.artifacts a on a.id = v.artifact_id
    where v.created_by_message_id = m.id and a.hidden_at is null
  ), '[]'::jsonb)
  from private.get_messages($1, $2, $3, $4, $5) m
  order by m.sequence_number
$$;
grant execute on function public.get_messages(uuid, uuid, bigint, bigint, integer) to authenticated;
comment on function public.get_messages(uuid, uuid, bigint, bigint, integer) is
  'A page of the branch ending at leaf_id (default: the chat''s current leaf), oldest first: messages rows, each '
  'with artifact_versions, the versions of non-hidden artifacts the message created, as [{id, artifact_id, type, '
  'title, version_number, change_summary}] ([] for none; get_artifact returns the content). '
  'Without cursors: the latest "limit" (default 50, at most 1000). before = n: the latest messages with '
  'sequence_number < n (pass the first row''s sequence_number to page back); after = n: the earliest ones with '
  'sequence_number > n (pass the last row''s to page forward). depth tells a message''s position on the branch '
  '(depth > 1 on the first row means older messages exist). Cost does not grow with the chat''s length. '
  'Errors: PT404 (404) no such chat or no access; 22023 (400) bad limit or a leaf from another chat.';

-- ---------------------------------------------------------------------------------------------
-- get_shared_chat: the shared page as the conversations sharing migration builds it (token check,
-- snapshot branch, paging), with each message's artifact versions and their content added.
-- Security definer: anonymous visitors have no right on artifacts; what they get is bounded by the
-- messages the share shows, which private.get_shared_chat has already checked.
create function private.get_shared_chat_with_artifacts(token text, before bigint, after bigint, page_size integer)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  shared jsonb := private.get_shared_chat(get_shared_chat_with_artifacts.token, get_shared_chat_with_artifacts.before,
    get_shared_chat_with_artifacts.after, get_shared_chat_with_artifacts.page_size);
  shared_chat_id uuid := (shared -> 'chat' ->> 'id')::uuid;
begin
  return jsonb_set(shared, '{messages}', (
    select coalesce(jsonb_agg(m.value || jsonb_build_object('artifact_versions', coalesce((
      select jsonb_agg(jsonb_build_object('id', v.id, 'artifact_id', a.id, 'type', a.type, 'title', a.title,
        'description', a.description, 'version_number', v.version_number, 'change_summary', v.change_summary,
        'content', v.content, 'content_json', v.content_json, 'file_path', v.file_path, 'created_at', v.created_at)
        order by v.created_at, v.id)
      from public.artifact_versions v
      join public.artifacts a on a.id = v.artifact_id
      where v.created_by_message_id = (m.value ->> 'id')::uuid and a.chat_id = shared_chat_id and a.hidden_at is null
    ), '[]'::jsonb)) order by m.ordinality), '[]'::jsonb)
    from jsonb_array_elements(shared -> 'messages') with ordinality m
  ));
end
$$;
grant execute on function private.get_shared_chat_with_artifacts(text, bigint, bigint, integer) to anon, authenticated;

create or replace function public.get_shared_chat(token text, before bigint default null, after bigint default null, "limit" integer default 100)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.get_shared_chat_with_artifacts(get_shared_chat.token, get_shared_chat.before, get_shared_chat.after,
    get_shared_chat."limit")
$$;
comment on function public.get_shared_chat(text, bigint, bigint, integer) is
  'Reads a shared chat through its link token; callable without an account. Returns {chat: {id, title, phase, '
  'created_at, agent: {name, display_name, icon}, message_count}, share: {expires_at, up_to_message_id}, messages: '
  '[{id, sequence_number, depth, role, content, parts, agent_name, agent_model, intent, status, created_at, '
  'artifact_versions: [{id, artifact_id, type, title, description, version_number, change_summary, content, '
  'content_json, file_path, created_at}]}]}: the branch up to the snapshot point, from its start by default, each '
  'message with the versions of non-hidden artifacts it created (later versions are not shared); after = the last '
  'sequence_number read gives the next page, before = n the page ending before n; limit 1..1000 (default 100). '
  'Errors: PT404 (404) for an unknown, expired or revoked token alike; 22023 (400) bad limit.';
