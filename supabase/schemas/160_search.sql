-- Full-text search over the messages of every chat the caller can read: web-search syntax,
-- ranked, with a highlighted snippet, served by the GIN index on messages.content_search.

-- One search result.
create type public.message_search_hit as (
  chat_id uuid,
  chat_title text,
  message_id uuid,
  sequence_number bigint,
  role text,
  snippet text,
  rank real,
  created_at timestamptz
);
comment on type public.message_search_hit is 'A search_messages result: where the message is, a highlighted snippet, its rank.';

-- Security definer because of how RLS and indexes interact: under RLS a condition may drive an
-- index scan only when its operator is leakproof, and the text-search match (@@) is not, so as the
-- caller every search would read every message. This applies the authorization itself instead: it
-- reads only messages of chats the caller owns or is a member of (and of chat_id only if readable).
create function private.search_messages(query text, chat_id uuid, page_size integer)
returns setof public.message_search_hit
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  terms tsquery;
  readable uuid[];
begin
  if me is null then
    raise exception 'sign in to search' using errcode = '42501';
  end if;
  if search_messages.query is null or pg_catalog.btrim(search_messages.query) = ''
    or pg_catalog.char_length(search_messages.query) > 500 then
    perform private.invalid_parameter('query must be 1 to 500 characters');
  end if;
  if page_size is null or page_size not between 1 and 100 then
    perform private.invalid_parameter('limit must be between 1 and 100');
  end if;
  if search_messages.chat_id is not null and not private.has_role_on_chat(search_messages.chat_id) then
    perform private.not_found('chat');
  end if;
  terms := pg_catalog.websearch_to_tsquery('english'::regconfig, search_messages.query);
  if pg_catalog.numnode(terms) = 0 then
    -- only stop words ("the", "and"…): nothing can match
    return;
  end if;

  -- The chats to search, as one array: the match is then one GIN scan ANDed with one scan of
  -- the chat index (a join would probe the GIN index once per chat).
  readable := array(
    select c.id from public.chats c
    where c.owner_id = me and (search_messages.chat_id is null or c.id = search_messages.chat_id)
    union all
    select cm.chat_id from public.chat_members cm
    where cm.user_id = me and (search_messages.chat_id is null or cm.chat_id = search_messages.chat_id)
  );

  return query
  -- Ranking reads each match's search vector, so it is bounded: the 1,000 most recent matches
  -- are ranked (a very common word would otherwise rank every message that has it).
  with candidates as (
    select m.id
    from public.messages m
    where m.content_search @@ terms
      and m.chat_id = any (readable)
    order by m.created_at desc
    limit 1000
  ),
  hits as (
    select m.id, m.chat_id, m.sequence_number, m.role, m.content, m.created_at,
      pg_catalog.ts_rank(m.content_search, terms) as rank
    from candidates c
    join public.messages m on m.id = c.id
    order by rank desc, m.created_at desc, m.id
    limit page_size
  )
  select h.chat_id, c.title::text, h.id, h.sequence_number, h.role::text,
    pg_catalog.ts_headline('english'::regconfig, pg_catalog.left(h.content, 100000), terms,
      'StartSel=**, StopSel=**, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'),
    h.rank, h.created_at
  from hits h
  join public.chats c on c.id = h.chat_id
  order by h.rank desc, h.created_at desc, h.id;
end
$$;
grant execute on function private.search_messages(text, uuid, integer) to authenticated;

create function public.search_messages(query text, chat_id uuid default null, "limit" integer default 20)
returns setof public.message_search_hit
language sql
stable
security invoker
set search_path = ''
as $$
  select s.* from private.search_messages(search_messages.query, search_messages.chat_id, search_messages."limit") s
$$;
grant execute on function public.search_messages(text, uuid, integer) to authenticated;
comment on function public.search_messages(text, uuid, integer) is
  'Searches the messages of every chat the caller owns or is a member of (or of chat_id only), with web-search '
  'syntax ("exact phrase", or, -excluded; English stemming). Returns up to limit (1..100, default 20) rows, best '
  'first: chat_id, chat_title, message_id, sequence_number, role, snippet (matches wrapped in **…**), rank, '
  'created_at. Messages on every branch are searched; the 1,000 most recent matches are ranked. Errors: 22023 (400) empty or over-long query, bad limit; '
  'PT404 (404) chat_id not readable; anon is denied (401).';
