-- A page of messages carries what a client uses, not how the table stores it: get_messages no
-- longer returns the search vector (content_search: the largest column of a page after the content,
-- and one tsvector turned into text per message) nor the branch storage columns (segment_start,
-- segment_ancestry). A client navigates branches with id, parent_id, depth and sequence_number, as
-- the realtime payload and get_shared_chat already have it.

drop function public.get_messages(uuid, uuid, bigint, bigint, integer);
drop type public.message_with_artifacts;

-- Created anew rather than altered: a composite type keeps dropped attributes as empty slots, and
-- every row a function returns would be converted to that layout.
create type public.message_with_artifacts as (
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
  updated_at timestamptz,
  artifact_versions jsonb
);
comment on type public.message_with_artifacts is
  'A get_messages row: the message''s columns and artifact_versions, the versions of non-hidden artifacts it created.';

create function public.get_messages(
  chat_id uuid,
  leaf_id uuid default null,
  before bigint default null,
  after bigint default null,
  "limit" integer default 50
)
returns setof public.message_with_artifacts
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  page_size integer := coalesce(get_messages."limit", 50);
  leaf uuid;
  -- the leaf's segment, and a number from the leaf's on, below the next message of that segment
  segment bigint;
  upper_bound bigint;
  leaf_depth integer;
  -- the depth and ancestry of the segment's head
  head_depth integer;
  head_ancestry bigint[];
  ends_segment boolean;
  has_artifacts boolean := true;
  latest_in_segment boolean;
begin
  if page_size not between 1 and 1000 then
    perform private.invalid_parameter('limit must be between 1 and 1000');
  end if;
  if get_messages.leaf_id is null then
    -- the usual call: the chat row has the current leaf's place
    select c.current_leaf_id, c.current_leaf_segment_start, c.last_sequence_number, c.current_leaf_depth,
      c.current_leaf_head_depth, c.current_leaf_ends_segment,
      exists (select 1 from public.artifacts a where a.chat_id = c.id)
      into leaf, segment, upper_bound, leaf_depth, head_depth, ends_segment, has_artifacts
    from public.chats c
    where c.id = get_messages.chat_id;
    if not found then
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you are not a member of it.';
    end if;
    if leaf is null then
      return;
    end if;
    if not ends_segment then
      -- the leaf was moved to a message with later ones in its segment: the page ends at it
      select l.sequence_number into upper_bound from public.messages l where l.id = leaf;
    end if;
  else
    select l.id, l.segment_start, l.sequence_number, l.depth, h.depth, h.segment_ancestry
      into leaf, segment, upper_bound, leaf_depth, head_depth, head_ancestry
    from public.messages l
    join public.messages h on h.chat_id = l.chat_id and h.sequence_number = l.segment_start
    where l.id = get_messages.leaf_id and l.chat_id = get_messages.chat_id;
    if not found then
      if not private.can_read_chat(get_messages.chat_id) then
        raise exception 'chat not found' using errcode = 'PT404',
          hint = 'The chat does not exist or you are not a member of it.';
      end if;
      perform private.invalid_parameter('leaf_id is not a message of this chat');
    end if;
  end if;

  -- The latest page lies within the leaf's own segment when that segment holds a page (its
  -- messages are a chain, so depth counts them): one index range scan.
  latest_in_segment := get_messages.before is null and get_messages.after is null
    and leaf_depth - head_depth + 1 >= page_size;
  if latest_in_segment and not has_artifacts then
    return query
    select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.role::text,
      p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
      p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
      p.client_message_id::text, p.author_id, p.created_at, p.updated_at, '[]'::jsonb
    from (
      select m.* from public.messages m
      where m.chat_id = get_messages.chat_id and m.segment_start = segment
        and m.sequence_number <= upper_bound
      order by m.sequence_number desc
      limit page_size
    ) p
    order by p.sequence_number;
    return;
  end if;

  -- Otherwise the page is read segment by segment (private.branch_page; when the latest page lies in
  -- the leaf's segment, that is the one range), with its messages' artifact versions.
  if not latest_in_segment and head_ancestry is null then
    select h.segment_ancestry into head_ancestry
    from public.messages h
    where h.chat_id = get_messages.chat_id and h.sequence_number = segment;
  end if;
  return query
  with page as (
    select b.* from private.branch_page(get_messages.chat_id,
      case when latest_in_segment then array[segment, upper_bound] else head_ancestry || array[segment, upper_bound] end,
      get_messages.before, get_messages.after, page_size) b
  ),
  versions as (
    select v.created_by_message_id as message_id,
      pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', v.id, 'artifact_id', v.artifact_id, 'type', a.type,
        'title', a.title, 'version_number', v.version_number, 'change_summary', v.change_summary)
        order by v.created_at, v.id) as list
    from public.artifact_versions v
    join public.artifacts a on a.id = v.artifact_id
    where has_artifacts and v.created_by_message_id = any (array(select p.id from page p)) and a.hidden_at is null
    group by v.created_by_message_id
  )
  select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.role::text,
    p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
    p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
    p.client_message_id::text, p.author_id, p.created_at, p.updated_at,
    coalesce(x.list, '[]'::jsonb)
  from page p
  left join versions x on x.message_id = p.id
  order by p.sequence_number;
end
$$;
grant execute on function public.get_messages(uuid, uuid, bigint, bigint, integer) to authenticated;
comment on function public.get_messages(uuid, uuid, bigint, bigint, integer) is
  'A page of the branch ending at leaf_id (default: the chat''s current leaf), oldest first. Each row: id, chat_id, '
  'sequence_number, parent_id, depth, role, content, parts, agent_name, agent_model, intent, input_tokens, '
  'output_tokens, latency_ms, status, metadata, client_message_id, author_id, created_at, updated_at, and '
  'artifact_versions, the versions of non-hidden artifacts the message created, as [{id, artifact_id, type, '
  'title, version_number, change_summary}] ([] for none; get_artifact returns the content). '
  'Without cursors: the latest "limit" (default 50, at most 1000). before = n: the latest messages with '
  'sequence_number < n (pass the first row''s sequence_number to page back); after = n: the earliest ones with '
  'sequence_number > n (pass the last row''s to page forward). depth tells a message''s position on the branch '
  '(depth > 1 on the first row means older messages exist). Cost does not grow with the chat''s length. '
  'Errors: PT404 (404) no such chat or no access; 22023 (400) bad limit or a leaf from another chat.';
