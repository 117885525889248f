-- get_messages in one PL/pgSQL function, its artifact versions read in one statement per page.
--
-- Since the artifacts migration, public.get_messages was a SQL function adding each message's
-- artifact versions around the paging function (PL/pgSQL), now private.get_messages. Measured on
-- the latest page of a long chat (bench/conversations.ts, and the instructions one call costs the
-- server, counted with callgrind: 2.0 M before, 1.2 M after this migration):
--   * a SQL function that cannot be inlined (and one with "set search_path" never is) parses and
--     plans its body on every call on Postgres 15 and 17: about a quarter of the call. PL/pgSQL
--     keeps its plans for the session. A PL/pgSQL function cannot have a result column named like
--     an argument (chat_id), so the rows are now of a named composite type with the same columns:
--     the same JSON to clients (generated types: a CompositeTypes entry instead of an inline row);
--   * each message's versions were a correlated subquery, run once per message of the page, each
--     run paying for the join and both tables' policies: another quarter. They are now one index
--     scan for the whole page (created_by_message_id = any (the page's ids)), grouped by message.
-- Same arguments, rows, order, errors and rights; still security invoker, so the caller's RLS
-- decides what is read.

drop function public.get_messages(uuid, uuid, bigint, bigint, integer);
drop function private.get_messages(uuid, uuid, bigint, bigint, integer);

create type public.message_with_artifacts as (
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
  -- the leaf (its segment, number, depth) and the head of its segment (depth, ancestry)
  place record;
begin
  if page_size not between 1 and 1000 then
    perform private.invalid_parameter('limit must be between 1 and 1000');
  end if;
  if get_messages.leaf_id is null then
    -- one statement for the usual call: the chat, its current leaf, the leaf's segment head
    select c.current_leaf_id as id, l.segment_start, l.sequence_number, l.depth, h.depth as head_depth,
      h.segment_ancestry as head_ancestry
      into place
    from public.chats c
    left join public.messages l on l.id = c.current_leaf_id
    left join public.messages h on h.chat_id = l.chat_id and h.sequence_number = l.segment_start
    where c.id = get_messages.chat_id;
    if not found then
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you are not a member of it.';
    end if;
    if place.id is null then
      return;
    end if;
  else
    select l.id, l.segment_start, l.sequence_number, l.depth, h.depth as head_depth, h.segment_ancestry as head_ancestry
      into place
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
  -- messages are a chain, so depth counts them): one index range scan. Otherwise the branch is
  -- read segment by segment (private.branch_page).
  if get_messages.before is null and get_messages.after is null and place.depth - place.head_depth + 1 >= page_size then
    return query
    with page as (
      select m.* from public.messages m
      where m.chat_id = get_messages.chat_id and m.segment_start = place.segment_start
        and m.sequence_number <= place.sequence_number
      order by m.sequence_number desc
      limit page_size
    ),
    versions as (
      select v.created_by_message_id as message_id,
        pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', v.id, 'artifact_id', v.artifact_id, 'type', a.type,
          'title', a.title, 'version_number', v.version_number, 'change_summary', v.change_summary)
          order by v.created_at, v.id) as list
      from public.artifact_versions v
      join public.artifacts a on a.id = v.artifact_id
      where v.created_by_message_id = any (array(select p.id from page p)) and a.hidden_at is null
      group by v.created_by_message_id
    )
    select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.segment_start, p.segment_ancestry, p.role::text,
      p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
      p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
      p.client_message_id::text, p.author_id, p.content_search, p.created_at, p.updated_at,
      coalesce(x.list, '[]'::jsonb)
    from page p
    left join versions x on x.message_id = p.id
    order by p.sequence_number;
    return;
  end if;

  return query
  with page as (
    select b.* from private.branch_page(get_messages.chat_id,
      place.head_ancestry || array[place.segment_start, place.sequence_number],
      get_messages.before, get_messages.after, page_size) b
  ),
  versions as (
    select v.created_by_message_id as message_id,
      pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', v.id, 'artifact_id', v.artifact_id, 'type', a.type,
        'title', a.title, 'version_number', v.version_number, 'change_summary', v.change_summary)
        order by v.created_at, v.id) as list
    from public.artifact_versions v
    join public.artifacts a on a.id = v.artifact_id
    where v.created_by_message_id = any (array(select p.id from page p)) and a.hidden_at is null
    group by v.created_by_message_id
  )
  select p.id, p.chat_id, p.sequence_number, p.parent_id, p.depth, p.segment_start, p.segment_ancestry, p.role::text,
    p.content::text, p.parts::jsonb, p.agent_name::text, p.agent_model::text, p.intent::text,
    p.input_tokens::integer, p.output_tokens::integer, p.latency_ms::integer, p.status::text, p.metadata::jsonb,
    p.client_message_id::text, p.author_id, p.content_search, p.created_at, p.updated_at,
    coalesce(x.list, '[]'::jsonb)
  from page p
  left join versions x on x.message_id = p.id
  order by p.sequence_number;
end
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
