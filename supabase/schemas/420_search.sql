-- Search over the embeddings: search_entries (Insight's RPC: the caller's entries nearest a query
-- vector), similar_entries, match_document_chunks (RAG: the caller's documents plus an agent's
-- knowledge) and hybrid_search (reciprocal rank fusion of full-text and vector results over the
-- caller's entries, messages and document chunks).
--
-- Every vector search runs on one model's HNSW index: the ORDER BY is the index's expression (the
-- vector cast to the model's dimension), so it is built with format() from the model's registry
-- row, never from caller input. Filtered search keeps its recall with pgvector 0.8's iterative
-- index scans (hnsw.iterative_scan = relaxed_order, set for the function's duration only): when
-- the caller's filter rejects the first candidates, the scan goes on until it has match_count rows
-- (up to hnsw.max_scan_tuples), and the outer query puts them back in distance order. A search
-- within one user's vectors scans them exactly instead while they are at most 10,000
-- (private.scan_exactly): a user's slice of a shared index is too thin for the graph walk to find
-- its nearest with the recall the exact scan has, and reading 10,000 rows through the (user_id,
-- model, source_table) index costs what the user has, not what others have. bench/search.ts
-- measures both against the exact scan.

-- One entry found: search_entries and similar_entries.
create type public.entry_search_hit as (
  id uuid,
  title text,
  snippet text,
  facets text[],
  occurred_at timestamptz,
  similarity double precision
);
comment on type public.entry_search_hit is
  'An entry found by meaning: id, title, snippet (the first 200 characters of the body), facets, occurred_at, '
  'similarity (cosine similarity, 1 = same direction).';

-- The model a query vector belongs to: the one named (its dimensions must match), else the active
-- model, else the one enabled model with that many dimensions. Raises 22023 naming what is wrong.
create function private.search_model(query_embedding extensions.vector, model text)
returns public.embedding_models
language plpgsql
stable
set search_path = ''
as $$
declare
  dims integer;
  found_model public.embedding_models;
  matches integer;
begin
  if query_embedding is null then
    perform private.invalid_parameter('query_embedding is required');
  end if;
  dims := extensions.vector_dims(query_embedding);
  if model is not null then
    select m.* into found_model from public.embedding_models m where m.name = search_model.model;
    if not found then
      perform private.invalid_parameter(pg_catalog.format('model %L is not an embedding model', model),
        'See get_embedding_models().');
    end if;
    if found_model.dimensions <> dims then
      perform private.invalid_parameter(pg_catalog.format('query_embedding has %s dimensions; model %s takes %s', dims,
        found_model.name, found_model.dimensions), 'Embed the query with the same model as the content.');
    end if;
    return found_model;
  end if;
  select m.* into found_model from public.embedding_models m where m.active and m.dimensions = dims;
  if found then
    return found_model;
  end if;
  select count(*)::integer into matches from public.embedding_models m where m.enabled and m.dimensions = dims;
  if matches = 1 then
    select m.* into found_model from public.embedding_models m where m.enabled and m.dimensions = dims;
    return found_model;
  end if;
  if matches > 1 then
    perform private.invalid_parameter(pg_catalog.format(
      'query_embedding has %s dimensions, which several embedding models take: name one with model', dims),
      'See get_embedding_models().');
  end if;
  perform private.invalid_parameter(pg_catalog.format(
    'query_embedding has %s dimensions: no enabled embedding model takes that many (the active model %s takes %s)', dims,
    (select m.name from public.embedding_models m where m.active), (select m.dimensions from public.embedding_models m where m.active)),
    'Embed the query with the active model (see get_embedding_models), or name the model.');
  return null;
end
$$;
grant execute on function private.search_model(extensions.vector, text) to authenticated, service_role;

-- match_count: 1 to 200.
create function private.check_match_count(match_count integer, name text default 'match_count', max integer default 200)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if match_count is null or match_count < 1 or match_count > max then
    perform private.invalid_parameter(pg_catalog.format('%s must be between 1 and %s', name, max));
  end if;
end
$$;
grant execute on function private.check_match_count(integer, text, integer) to authenticated, service_role;

-- The ORDER BY of a vector search: through the model's HNSW index (the vector cast to its
-- dimension, as the index is built), or an exact scan (the plain column: no index applies).
create function private.vector_order(dimensions integer, exact boolean)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when exact then 'e.embedding operator(extensions.<=>) $1'
    else pg_catalog.format('e.embedding::extensions.vector(%s) operator(extensions.<=>) $1', dimensions) end
$$;
grant execute on function private.vector_order(integer, boolean) to authenticated, service_role;

-- Whether a user's vectors of a model and sources are few enough to scan exactly (recall 1, and
-- faster than walking the HNSW graph past every other user's vectors): up to 10,000, counted
-- through the (user_id, model, source_table) index without reading further.
-- (PL/pgSQL: its plan is cached per role, so a transaction that switches roles is not served a
-- plan with another role's policies, as a SQL function's could be on Postgres before 18.)
create function private.scan_exactly(user_id uuid, model text, sources text[])
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return (select count(*) <= 10000 from (
    select 1 from public.embeddings e
    where e.user_id = scan_exactly.user_id and e.model = scan_exactly.model and e.source_table = any (sources)
    limit 10001
  ) x);
end
$$;
grant execute on function private.scan_exactly(uuid, text, text[]) to authenticated, service_role;

-- RPC: Insight's search_entries, with its name and arguments.
create function public.search_entries(
  query_embedding extensions.vector,
  match_threshold double precision default 0.7,
  match_count integer default 10,
  p_user_id uuid default auth.uid(),
  model text default null
)
returns setof public.entry_search_hit
language plpgsql
stable
security invoker
set search_path = ''
set hnsw.iterative_scan = relaxed_order
set hnsw.ef_search = 100
as $$
declare
  me uuid := (select auth.uid());
  m public.embedding_models;
begin
  if me is null and not private.is_trusted_writer() then
    raise exception 'sign in to search your entries' using errcode = '42501';
  end if;
  if me is not null and p_user_id is distinct from me then
    raise exception 'p_user_id must be your own user id: search_entries searches the caller''s entries only'
      using errcode = '42501', hint = 'Leave p_user_id out.';
  end if;
  if p_user_id is null then
    perform private.invalid_parameter('p_user_id is required for the service role: whose entries to search');
  end if;
  if match_threshold is null or match_threshold < -1 or match_threshold > 1 then
    perform private.invalid_parameter('match_threshold must be a similarity between -1 and 1');
  end if;
  perform private.check_match_count(match_count);
  m := private.search_model(query_embedding, model);

  return query execute pg_catalog.format($q$
    with nearest as materialized (
      select e.source_id, %1$s as distance
      from public.embeddings e
      where e.model = %2$L and e.source_table = 'entries' and e.user_id = $2
      order by %1$s
      limit $3
    )
    select n.id, n.title::text, left(n.body_markdown, 200), n.facets::text[], n.occurred_at,
      1 - s.distance
    from nearest s
    join public.entries n on n.id = s.source_id and n.deleted_at is null
    where 1 - s.distance >= $4
    order by s.distance, n.id
  $q$, private.vector_order(m.dimensions, private.scan_exactly(p_user_id, m.name, array['entries'])), m.name)
  using query_embedding::extensions.vector, p_user_id, match_count, match_threshold;
end
$$;
grant execute on function public.search_entries(extensions.vector, double precision, integer, uuid, text)
  to authenticated, service_role;
comment on function public.search_entries(extensions.vector, double precision, integer, uuid, text) is
  'Insight''s semantic search: the caller''s entries (not deleted) nearest query_embedding, best first, as '
  'entry_search_hit rows (id, title, snippet, facets, occurred_at, similarity), at most match_count (1-200, default '
  '10) with a cosine similarity of at least match_threshold (-1..1, default 0.7). The model is the one named, else '
  'the active one when the vector has its dimensions, else the enabled model with that many. p_user_id defaults to '
  'the caller and may not name anyone else (the service role names the user). Errors: 22023 (400) a vector whose '
  'dimensions no model takes, or another model''s, bad threshold or count; 42501 (403) p_user_id of another user; '
  'anon is denied (401).';

-- RPC: the caller's entries nearest one of theirs.
create function public.similar_entries(entry_id uuid, match_count integer default 10, model text default null)
returns setof public.entry_search_hit
language plpgsql
stable
security invoker
set search_path = ''
set hnsw.iterative_scan = relaxed_order
set hnsw.ef_search = 100
as $$
declare
  me uuid := (select auth.uid());
  owner uuid;
  m public.embedding_models;
  v extensions.vector;
begin
  if me is null then
    raise exception 'sign in to search your entries' using errcode = '42501';
  end if;
  perform private.check_match_count(match_count);
  select e.user_id into owner from public.entries e where e.id = similar_entries.entry_id and e.deleted_at is null;
  if owner is null then
    perform private.not_found('entry');
  end if;
  if model is null then
    select x.* into m from public.embedding_models x where x.active;
  else
    select x.* into m from public.embedding_models x where x.name = similar_entries.model;
    if not found then
      perform private.invalid_parameter(pg_catalog.format('model %L is not an embedding model', model),
        'See get_embedding_models().');
    end if;
  end if;
  select e.embedding into v from public.embeddings e
  where e.source_table = 'entries' and e.source_id = similar_entries.entry_id and e.model = m.name and e.chunk_index = 0;
  if v is null then
    -- not embedded yet (the worker has it queued): nothing to compare with
    return;
  end if;

  return query execute pg_catalog.format($q$
    with nearest as materialized (
      select e.source_id, %1$s as distance
      from public.embeddings e
      where e.model = %2$L and e.source_table = 'entries' and e.user_id = $2 and e.source_id <> $3
      order by %1$s
      limit $4
    )
    select n.id, n.title::text, left(n.body_markdown, 200), n.facets::text[], n.occurred_at, 1 - s.distance
    from nearest s
    join public.entries n on n.id = s.source_id and n.deleted_at is null
    order by s.distance, n.id
  $q$, private.vector_order(m.dimensions, private.scan_exactly(me, m.name, array['entries'])), m.name)
  using v, me, entry_id, match_count;
end
$$;
grant execute on function public.similar_entries(uuid, integer, text) to authenticated;
comment on function public.similar_entries(uuid, integer, text) is
  'The caller''s other entries nearest an entry of theirs, best first, as entry_search_hit rows (at most match_count, '
  '1-200, default 10), by the active model''s vectors (or model''s). An entry not embedded yet has none (an empty '
  'result). Errors: PT404 (404) not the caller''s entry; 22023 (400) unknown model, bad count; anon is denied (401).';

-- One knowledge chunk found: match_document_chunks.
create type public.document_chunk_match as (
  id uuid,
  document_id uuid,
  document_title text,
  heading_path text[],
  content text,
  agent_id uuid,
  similarity double precision
);
comment on type public.document_chunk_match is
  'A document chunk found for RAG: the chunk (id, heading_path, content), its document (document_id, '
  'document_title), agent_id (set for an agent''s knowledge, null for the caller''s own document) and similarity.';

-- RPC: retrieval for an agent's answer.
create function public.match_document_chunks(
  query_embedding extensions.vector,
  match_count integer default 5,
  agent_id uuid default null,
  match_threshold double precision default null,
  model text default null
)
returns setof public.document_chunk_match
language plpgsql
stable
security invoker
set search_path = ''
set hnsw.iterative_scan = relaxed_order
-- chunks are a minority of a model's vectors (the graph holds entries and messages too): a wider
-- beam keeps the recall of a knowledge search at 0.95 and above (npm run bench -- search: 0.936 at 100)
set hnsw.ef_search = 200
as $$
declare
  me uuid := (select auth.uid());
  m public.embedding_models;
begin
  if me is null and not private.is_trusted_writer() then
    raise exception 'sign in to search documents' using errcode = '42501';
  end if;
  perform private.check_match_count(match_count);
  if match_threshold < -1 or match_threshold > 1 then
    perform private.invalid_parameter('match_threshold must be a similarity between -1 and 1');
  end if;
  if match_document_chunks.agent_id is not null
    and not exists (select 1 from public.agents a where a.id = match_document_chunks.agent_id) then
    perform private.not_found('agent', 'The agent does not exist or you cannot use it (see list_agents).');
  end if;
  if me is null and match_document_chunks.agent_id is null then
    perform private.invalid_parameter('agent_id is required for the service role: whose knowledge to search');
  end if;
  m := private.search_model(query_embedding, model);

  return query execute pg_catalog.format($q$
    with nearest as materialized (
      select e.source_id, e.embedding::extensions.vector(%1$s) operator(extensions.<=>) $1 as distance
      from public.embeddings e
      where e.model = %2$L and e.source_table = 'document_chunks'
        and (e.user_id = $2 or e.agent_id = $3)
      order by e.embedding::extensions.vector(%1$s) operator(extensions.<=>) $1
      limit $4
    )
    select c.id, c.document_id, d.title::text, c.heading_path, c.content, c.agent_id, 1 - s.distance
    from nearest s
    join public.document_chunks c on c.id = s.source_id
    join public.documents d on d.id = c.document_id
    where $5 is null or 1 - s.distance >= $5
    order by s.distance, c.id
  $q$, m.dimensions, m.name)
  using query_embedding::extensions.vector, me, match_document_chunks.agent_id, match_count, match_threshold;
end
$$;
grant execute on function public.match_document_chunks(extensions.vector, integer, uuid, double precision, text)
  to authenticated, service_role;
comment on function public.match_document_chunks(extensions.vector, integer, uuid, double precision, text) is
  'RAG retrieval: the document chunks nearest query_embedding among the caller''s own documents and, with agent_id, '
  'that agent''s knowledge (an agent the caller can use), best first, as document_chunk_match rows (id, '
  'document_id, document_title, heading_path, content, agent_id, similarity): at most match_count (1-200, default '
  '5), optionally with a similarity of at least match_threshold. The model as in search_entries. The service role '
  'searches an agent''s knowledge only (agent_id required). Errors: 22023 (400) a vector of the wrong dimensions, bad '
  'count or threshold; PT404 (404) an agent the caller cannot use; anon is denied (401).';

-- ---------------------------------------------------------------------------------------------
-- Hybrid search

-- Full-text documents of entries and chunks, as their GIN indexes store them (messages have their
-- content_search column).
create function private.entry_search_vector(title text, body_markdown text)
returns tsvector
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || left(coalesce(body_markdown, ''), 100000))
$$;
grant execute on function private.entry_search_vector(text, text) to authenticated, service_role;

create function private.chunk_search_vector(heading_path text[], content text)
returns tsvector
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.to_tsvector('english'::regconfig, pg_catalog.array_to_string(heading_path, ' ') || ' ' || content)
$$;
grant execute on function private.chunk_search_vector(text[], text) to authenticated, service_role;

create index entries_search_idx on public.entries using gin (private.entry_search_vector(title, body_markdown));
create index document_chunks_search_idx on public.document_chunks using gin (private.chunk_search_vector(heading_path, content));

-- The full-text side of hybrid_search: the caller's entries, messages of the chats they can read,
-- and their document chunks matching the query, ranked (ts_rank_cd), at most `limit` per source;
-- of each source the 1,000 most recent matches are ranked. Security definer for the reason of
-- private.search_messages: under RLS the text match (@@, not leakproof) cannot use the GIN
-- indexes, so every search would read all rows; this reads only the caller's own rows (and the
-- chats they own or are a member of), which it selects itself.
create function private.hybrid_full_text(terms tsquery, sources text[], page_size integer)
returns table (source text, id uuid, rank real)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  readable uuid[];
begin
  if me is null or pg_catalog.numnode(terms) = 0 then
    return;
  end if;
  if 'entries' = any (sources) then
    return query
    select 'entries', c.id, c.rank from (
      select n.id, pg_catalog.ts_rank_cd(private.entry_search_vector(n.title, n.body_markdown), terms) as rank
      from (
        select e.id, e.title, e.body_markdown from public.entries e
        where e.user_id = me and e.deleted_at is null and private.entry_search_vector(e.title, e.body_markdown) @@ terms
        order by e.occurred_at desc
        limit 1000
      ) n
      order by 2 desc, n.id
      limit page_size
    ) c;
  end if;
  if 'messages' = any (sources) then
    readable := array(
      select c.id from public.chats c where c.owner_id = me
      union all
      select cm.chat_id from public.chat_members cm where cm.user_id = me
    );
    return query
    select 'messages', c.id, c.rank from (
      select n.id, pg_catalog.ts_rank_cd(n.content_search, terms) as rank
      from (
        select m.id, m.content_search from public.messages m
        where m.content_search @@ terms and m.chat_id = any (readable)
          and m.role in ('user', 'assistant') and m.status = 'complete'
        order by m.created_at desc
        limit 1000
      ) n
      order by 2 desc, n.id
      limit page_size
    ) c;
  end if;
  if 'document_chunks' = any (sources) then
    return query
    select 'document_chunks', c.id, c.rank from (
      select n.id, pg_catalog.ts_rank_cd(private.chunk_search_vector(n.heading_path, n.content), terms) as rank
      from (
        select k.id, k.heading_path, k.content from public.document_chunks k
        where k.user_id = me and private.chunk_search_vector(k.heading_path, k.content) @@ terms
        order by k.created_at desc
        limit 1000
      ) n
      order by 2 desc, n.id
      limit page_size
    ) c;
  end if;
end
$$;
comment on function private.hybrid_full_text(tsquery, text[], integer) is
  'Full-text candidates of hybrid_search: the caller''s entries, readable messages and own document chunks matching '
  'terms, ranked, at most page_size per source.';
grant execute on function private.hybrid_full_text(tsquery, text[], integer) to authenticated;

-- One hybrid_search result.
create type public.hybrid_search_hit as (
  source text,
  id uuid,
  title text,
  snippet text,
  parent_id uuid,
  created_at timestamptz,
  full_text_rank integer,
  semantic_rank integer,
  score double precision
);
comment on type public.hybrid_search_hit is
  'A hybrid_search result: source (entries, messages, document_chunks), id, title (an entry''s title, a message''s '
  'chat title, a chunk''s document title), snippet (matches wrapped in **…** when the text matched), parent_id (the '
  'message''s chat, the chunk''s document), created_at (an entry''s occurred_at), full_text_rank and semantic_rank '
  '(1 = best; null where that side did not find it) and score (the reciprocal rank fusion).';

-- RPC: full-text and vector search fused by reciprocal rank.
create function public.hybrid_search(
  query_text text,
  query_embedding extensions.vector default null,
  sources text[] default null,
  match_count integer default 10,
  full_text_weight double precision default 1,
  semantic_weight double precision default 1,
  rrf_k integer default 50,
  model text default null
)
returns setof public.hybrid_search_hit
language plpgsql
stable
security invoker
set search_path = ''
set hnsw.iterative_scan = relaxed_order
set hnsw.ef_search = 100
as $$
declare
  me uuid := (select auth.uid());
  wanted text[] := coalesce(sources, array['entries', 'messages', 'document_chunks']);
  terms tsquery;
  m public.embedding_models;
  candidates integer;
  member_chats uuid[];
begin
  if me is null then
    raise exception 'sign in to search' using errcode = '42501';
  end if;
  if query_text is null or pg_catalog.btrim(query_text) = '' or char_length(query_text) > 1000 then
    perform private.invalid_parameter('query_text must be 1 to 1000 characters');
  end if;
  if cardinality(wanted) = 0 or cardinality(wanted) > 3 or array_position(wanted, null) is not null then
    perform private.invalid_parameter('sources must name one or more of entries, messages, document_chunks');
  end if;
  for i in 1 .. cardinality(wanted) loop
    if wanted[i] not in ('entries', 'messages', 'document_chunks') then
      perform private.invalid_parameter(pg_catalog.format('sources[%s] %L is not a source: use entries, messages or document_chunks',
        i - 1, wanted[i]));
    end if;
  end loop;
  perform private.check_match_count(match_count, 'match_count', 100);
  if full_text_weight is null or full_text_weight < 0 or semantic_weight is null or semantic_weight < 0 then
    perform private.invalid_parameter('full_text_weight and semantic_weight must be 0 or more');
  end if;
  if rrf_k is null or rrf_k < 1 or rrf_k > 1000 then
    perform private.invalid_parameter('rrf_k must be between 1 and 1000');
  end if;
  if query_embedding is not null then
    m := private.search_model(query_embedding, model);
  end if;
  terms := pg_catalog.websearch_to_tsquery('english'::regconfig, query_text);
  -- each side offers twice as many candidates as are asked for
  candidates := match_count * 2;
  member_chats := array(select private.member_chat_ids());

  return query execute pg_catalog.format($q$
    with full_text as (
      select f.source, f.id, row_number() over (order by f.rank desc, f.id)::integer as rank_ix
      from private.hybrid_full_text($1, $2, $3) f
      order by f.rank desc, f.id
      limit $3
    ),
    nearest as materialized (
      %s
    ),
    semantic as (
      select s.source, s.id, row_number() over (order by s.distance, s.id)::integer as rank_ix from nearest s
    ),
    fused as (
      select coalesce(t.source, s.source) as source, coalesce(t.id, s.id) as id, t.rank_ix as full_text_rank,
        s.rank_ix as semantic_rank,
        coalesce($6 / ($8 + t.rank_ix), 0.0) + coalesce($7 / ($8 + s.rank_ix), 0.0) as score
      from full_text t
      full join semantic s on s.source = t.source and s.id = t.id
      order by 5 desc, 2
      limit $9
    )
    select f.source, f.id, x.title, x.snippet, x.parent_id, x.created_at, f.full_text_rank, f.semantic_rank, f.score
    from fused f
    cross join lateral (
      select n.title::text as title, n.body_markdown::text as body, null::uuid as parent_id, n.occurred_at as created_at
      from public.entries n where f.source = 'entries' and n.id = f.id and n.deleted_at is null
      union all
      select c.title::text, m.content::text, m.chat_id, m.created_at
      from public.messages m join public.chats c on c.id = m.chat_id where f.source = 'messages' and m.id = f.id
      union all
      select d.title::text, k.content::text, k.document_id, k.created_at
      from public.document_chunks k join public.documents d on d.id = k.document_id
      where f.source = 'document_chunks' and k.id = f.id
    ) y
    cross join lateral (
      select y.title, y.parent_id, y.created_at,
        case when f.full_text_rank is not null then pg_catalog.ts_headline('english'::regconfig, left(y.body, 100000), $1,
            'StartSel=**, StopSel=**, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "')
          else left(y.body, 200) end as snippet
    ) x
    order by f.score desc, f.source, f.id
  $q$, case when m.name is null then
      'select null::text as source, null::uuid as id, null::double precision as distance where false'
    else pg_catalog.format($n$
      select e.source_table::text as source, e.source_id as id, %1$s as distance
      from public.embeddings e
      where e.model = %2$L and e.source_table = any ($2) and %3$s
      order by %1$s
      limit $3
    $n$, pg_catalog.replace(private.vector_order(m.dimensions,
      private.scan_exactly(me, m.name, wanted) and cardinality(member_chats) = 0), '$1', '$4'), m.name,
      case when cardinality(member_chats) = 0 then 'e.user_id = $5' else '(e.user_id = $5 or e.chat_id = any ($10))' end)
    end)
  using terms, wanted, candidates, query_embedding::extensions.vector, me, full_text_weight, semantic_weight,
    rrf_k::double precision, match_count, member_chats;
end
$$;
grant execute on function public.hybrid_search(text, extensions.vector, text[], integer, double precision,
  double precision, integer, text) to authenticated;
comment on function public.hybrid_search(text, extensions.vector, text[], integer, double precision, double precision,
  integer, text) is
  'Hybrid search over the caller''s entries, messages of the chats they can read, and their document chunks: '
  'full-text matches of query_text (web-search syntax, English stemming; 1-1000 characters) and, with '
  'query_embedding, the nearest vectors (model as in search_entries), fused by reciprocal rank: score = '
  'full_text_weight / (rrf_k + full-text rank) + semantic_weight / (rrf_k + semantic rank). sources: any of '
  'entries, messages, document_chunks (default all); match_count 1-100 (default 10); weights >= 0 (default 1); '
  'rrf_k 1-1000 (default 50). Returns hybrid_search_hit rows, best first: source, id, title, snippet, parent_id, '
  'created_at, full_text_rank, semantic_rank, score. Errors: 22023 (400) naming the argument (a vector of the '
  'wrong dimensions too); anon is denied (401).';
