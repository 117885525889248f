-- Knowledge base: markdown documents cut into chunks for retrieval (RAG). A user's document is
-- theirs alone; a document of an agent (a persona), written by the service role, is that persona's
-- knowledge, readable by every signed-in user who can use the agent (all of them, for a built-in
-- agent). Chunks get their embeddings in the embeddings table (405_embeddings.sql); nothing here
-- holds a vector.

create table public.documents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade,
  agent_id uuid references public.agents (id) on delete cascade,
  title private.entry_title not null,
  source_url text
    constraint documents_source_url_check
    check (char_length(source_url) <= 2048 and source_url ~ '^https?://[^[:space:]]+$'),
  content_markdown text not null
    constraint documents_content_markdown_check
    check (char_length(content_markdown) >= 1 and char_length(content_markdown) <= 2000000),
  content_hash text not null
    constraint documents_content_hash_check check (content_hash ~ '^[0-9a-f]{64}$'),
  metadata private.json_object_16k not null default '{}',
  chunk_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- a user's own document, or an agent's knowledge
  constraint documents_owner_check check ((user_id is null) <> (agent_id is null))
);
comment on table public.documents is
  'Knowledge documents (markdown) cut into document_chunks: a user''s own (user_id), or an agent''s knowledge '
  '(agent_id, written by the service role, readable by everyone who can use the agent).';
comment on column public.documents.content_hash is 'SHA-256 (hex) of content_markdown: the same content again writes nothing.';
comment on column public.documents.source_url is 'Where the document comes from; ingesting the same URL again replaces its content.';

-- one document per owner and source URL; without a URL, one per owner and content
create unique index documents_owner_source_url_key on public.documents ((coalesce(user_id, agent_id)), source_url)
  where source_url is not null;
create unique index documents_owner_content_hash_key on public.documents ((coalesce(user_id, agent_id)), content_hash)
  where source_url is null;
create index documents_user_id_created_at_idx on public.documents (user_id, created_at) where user_id is not null;
create index documents_agent_id_created_at_idx on public.documents (agent_id, created_at) where agent_id is not null;

-- Clients write their own documents through ingest_document (security invoker).
alter table public.documents enable row level security;
revoke all on public.documents from anon, authenticated, service_role;
grant select, delete on public.documents to authenticated;
-- (user_id and agent_id too: the insert policy holds them to the caller and none)
grant insert (user_id, agent_id, title, source_url, content_markdown, content_hash, metadata, chunk_count)
  on public.documents to authenticated;
grant update (title, content_markdown, content_hash, metadata, chunk_count) on public.documents to authenticated;
grant select, insert, update, delete on public.documents to service_role;

-- A user reads their own documents and the knowledge of the agents they can use (agents' own
-- policy decides which: the built-in ones and their own), computed once per statement.
create policy documents_select_own_or_agent on public.documents
  for select to authenticated
  using (user_id = (select auth.uid()) or agent_id in (select a.id from public.agents a));

create policy documents_insert_own on public.documents
  for insert to authenticated
  with check (user_id = (select auth.uid()) and agent_id is null);

create policy documents_update_own on public.documents
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and agent_id is null);

create policy documents_delete_own on public.documents
  for delete to authenticated
  using (user_id = (select auth.uid()));

create trigger documents_100_set_updated_at
  before update on public.documents
  for each row execute function private.set_updated_at();

-- RLS helper (security definer, as private.owns_entry): whether the caller owns the document.
create function private.owns_document(document_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.documents d where d.id = owns_document.document_id and d.user_id = (select auth.uid())
  );
end
$$;
comment on function private.owns_document(uuid) is 'Whether the calling user owns the document (their own, not an agent''s).';
grant execute on function private.owns_document(uuid) to authenticated;

create table public.document_chunks (
  id uuid primary key default gen_random_uuid(),
  document_id uuid not null references public.documents (id) on delete cascade,
  -- the document's owner, copied so that the policies need no lookup
  user_id uuid,
  agent_id uuid,
  chunk_index integer not null
    constraint document_chunks_chunk_index_check check (chunk_index >= 0),
  heading_path text[] not null default '{}',
  content text not null
    constraint document_chunks_content_check check (char_length(content) >= 1 and char_length(content) <= 4000),
  created_at timestamptz not null default now(),
  constraint document_chunks_document_id_chunk_index_key unique (document_id, chunk_index)
);
comment on table public.document_chunks is
  'A document cut for retrieval, in order: each chunk with the path of headings above it (e.g. {Guide, Setup}).';
comment on column public.document_chunks.heading_path is 'The headings the chunk is under, outermost first.';

create index document_chunks_user_id_idx on public.document_chunks (user_id) where user_id is not null;
create index document_chunks_agent_id_idx on public.document_chunks (agent_id) where agent_id is not null;

alter table public.document_chunks enable row level security;
revoke all on public.document_chunks from anon, authenticated, service_role;
grant select, delete on public.document_chunks to authenticated;
grant insert (document_id, user_id, agent_id, chunk_index, heading_path, content) on public.document_chunks to authenticated;
grant select, insert, update, delete on public.document_chunks to service_role;

create policy document_chunks_select_own_or_agent on public.document_chunks
  for select to authenticated
  using (user_id = (select auth.uid()) or agent_id in (select a.id from public.agents a));

create policy document_chunks_insert_own on public.document_chunks
  for insert to authenticated
  with check (user_id = (select auth.uid()) and agent_id is null and private.owns_document(document_id));

-- chunks are replaced with their document's content (ingest_document deletes them as the owner)
create policy document_chunks_delete_own on public.document_chunks
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Chunking

-- Cuts markdown into chunks of at most max_chars characters, on headings and paragraphs:
--   * a heading (#..######, outside code fences) ends the chunk before it and sets the heading path
--     of the chunks after it (the headings above, outermost first);
--   * paragraphs (separated by blank lines; a fenced code block is one paragraph) are packed into a
--     chunk while they fit; the next chunk of the same section starts with the last `overlap`
--     characters of the previous one (cut at a word boundary), so that a sentence cut in two is
--     whole in one of them;
--   * a paragraph longer than a chunk is cut at word boundaries into pieces that overlap the same
--     way (a word longer than a chunk is cut).
-- Returns the chunks in order (chunk_index from 0) with their heading paths.
create function private.chunk_markdown(markdown text, max_chars integer default 1200, overlap integer default 200)
returns table (chunk_index integer, heading_path text[], content text)
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_variable
declare
  lines text[] := pg_catalog.string_to_array(pg_catalog.replace(chunk_markdown.markdown, E'\r\n', E'\n'), E'\n');
  line text;
  fence text := null;            -- the opening fence while inside a code block
  paragraph text := '';          -- the paragraph being read
  chunk text := '';              -- the chunk being filled
  levels integer[] := '{}';      -- the heading stack: levels and titles
  titles text[] := '{}';
  level integer;
  title text;
  n integer := 0;
  words text[];
  word text;
  piece text;
  tail text;
begin
  if max_chars < 100 or overlap < 0 or overlap >= max_chars / 2 then
    raise exception 'chunk_markdown: max_chars >= 100 and 0 <= overlap < max_chars / 2' using errcode = '22023';
  end if;
  for i in 1 .. coalesce(cardinality(lines), 0) + 1 loop
    line := lines[i]; -- null once past the end: flushes what is left
    -- a paragraph ends at a blank line, a heading, a fence opening, and the end of the text
    if line is not null and fence is not null then
      paragraph := paragraph || E'\n' || line;
      if pg_catalog.btrim(line) like fence || '%' and pg_catalog.btrim(line) ~ '^(```+|~~~+)\s*$' then
        fence := null;
      end if;
      continue;
    end if;
    if line is not null and line ~ '^\s{0,3}(```+|~~~+)' and paragraph = '' then
      fence := substring(pg_catalog.btrim(line) from '^(```+|~~~+)');
      paragraph := line;
      continue;
    end if;
    if line is null or line ~ '^\s*$' or line ~ '^\s{0,3}#{1,6}(\s|$)' or line ~ '^\s{0,3}(```+|~~~+)' then
      -- the paragraph read so far goes into the chunk
      if paragraph <> '' then
        if char_length(paragraph) > max_chars then
          -- too long for any chunk: the current chunk ends, the paragraph is cut in overlapping pieces
          if chunk <> '' then
            chunk_index := n; heading_path := titles; content := chunk; return next; n := n + 1;
            tail := private.chunk_tail(chunk, overlap);
          else
            tail := '';
          end if;
          words := pg_catalog.regexp_split_to_array(paragraph, '\s+');
          piece := tail;
          foreach word in array words loop
            while char_length(word) > max_chars - overlap loop
              -- a word longer than a chunk: cut it
              if piece <> '' then
                chunk_index := n; heading_path := titles; content := piece; return next; n := n + 1;
                piece := '';
              end if;
              chunk_index := n; heading_path := titles; content := left(word, max_chars - overlap); return next; n := n + 1;
              word := substr(word, max_chars - overlap + 1);
            end loop;
            if word = '' then
              continue;
            end if;
            if piece = '' then
              piece := word;
            elsif char_length(piece) + 1 + char_length(word) <= max_chars then
              piece := piece || ' ' || word;
            else
              chunk_index := n; heading_path := titles; content := piece; return next; n := n + 1;
              tail := private.chunk_tail(piece, overlap);
              piece := case when tail = '' then word else tail || ' ' || word end;
            end if;
          end loop;
          chunk := piece;
        elsif chunk = '' then
          chunk := paragraph;
        elsif char_length(chunk) + 2 + char_length(paragraph) <= max_chars then
          chunk := chunk || E'\n\n' || paragraph;
        else
          chunk_index := n; heading_path := titles; content := chunk; return next; n := n + 1;
          tail := private.chunk_tail(chunk, overlap);
          chunk := case when tail <> '' and char_length(tail) + 2 + char_length(paragraph) <= max_chars
            then tail || E'\n\n' || paragraph else paragraph end;
        end if;
        paragraph := '';
      end if;
      if line is not null and line ~ '^\s{0,3}#{1,6}(\s|$)' then
        -- a heading: the chunk ends, the heading path changes
        if chunk <> '' then
          chunk_index := n; heading_path := titles; content := chunk; return next; n := n + 1;
          chunk := '';
        end if;
        level := char_length(substring(line from '^\s{0,3}(#{1,6})'));
        title := pg_catalog.btrim(pg_catalog.regexp_replace(pg_catalog.regexp_replace(line, '^\s{0,3}#{1,6}', ''),
          '\s+#+\s*$', ''));
        while cardinality(levels) > 0 and levels[cardinality(levels)] >= level loop
          levels := levels[1:cardinality(levels) - 1];
          titles := titles[1:cardinality(titles) - 1];
        end loop;
        if title <> '' then
          levels := levels || level;
          titles := titles || left(title, 500);
        end if;
      elsif line is not null and line ~ '^\s{0,3}(```+|~~~+)' then
        fence := substring(pg_catalog.btrim(line) from '^(```+|~~~+)');
        paragraph := line;
      end if;
      continue;
    end if;
    paragraph := case when paragraph = '' then line else paragraph || E'\n' || line end;
  end loop;
  if chunk <> '' then
    chunk_index := n; heading_path := titles; content := chunk; return next;
  end if;
end
$$;
grant execute on function private.chunk_markdown(text, integer, integer) to authenticated, service_role;

-- The last `size` characters of a chunk, starting at a word (what the next chunk repeats).
create function private.chunk_tail(chunk text, size integer)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when size <= 0 then ''
    when char_length(chunk) <= size then chunk
    else pg_catalog.ltrim(coalesce(substring(right(chunk, size) from '\s(.*)$'), right(chunk, size)))
  end
$$;
grant execute on function private.chunk_tail(text, integer) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPCs

-- A document as the RPCs return it: without its content (the chunks have it).
create function private.document_summary(document public.documents)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select to_jsonb(document) - 'content_markdown'
    || jsonb_build_object('char_count', char_length(document.content_markdown))
$$;
grant execute on function private.document_summary(public.documents) to authenticated, service_role;

create function public.ingest_document(
  title text default null,
  content_markdown text default null,
  source_url text default null,
  agent_id uuid default null,
  metadata jsonb default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  me uuid := (select auth.uid());
  owner uuid;
  clean_title text := pg_catalog.btrim(ingest_document.title);
  clean_metadata jsonb := coalesce(ingest_document.metadata, '{}');
  hash text;
  document public.documents;
  created boolean := false;
  changed boolean := false;
begin
  if me is null and (select auth.role()) is distinct from 'service_role' then
    raise exception 'sign in to ingest documents' using errcode = '42501';
  end if;
  if me is not null and ingest_document.agent_id is not null then
    raise exception 'only the service role writes an agent''s knowledge' using errcode = '42501',
      hint = 'Leave agent_id out: your document is yours alone.';
  end if;
  if me is null and ingest_document.agent_id is null then
    perform private.invalid_parameter('agent_id is required: the service role writes agents'' knowledge');
  end if;
  if clean_title is null or char_length(clean_title) not between 1 and 500 or clean_title ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('title must be 1 to 500 characters without control characters');
  end if;
  if ingest_document.content_markdown is null or ingest_document.content_markdown !~ '[^[:space:]]' then
    perform private.invalid_parameter('content_markdown is required');
  end if;
  if char_length(ingest_document.content_markdown) > 2000000 then
    perform private.invalid_parameter('content_markdown must be at most 2,000,000 characters',
      'Split the document into several.');
  end if;
  if ingest_document.source_url is not null and (char_length(ingest_document.source_url) > 2048
    or ingest_document.source_url !~ '^https?://[^[:space:]]+$') then
    perform private.invalid_parameter('source_url must be an http(s) URL of at most 2048 characters');
  end if;
  perform private.check_json_object(clean_metadata, 'metadata');
  if ingest_document.agent_id is not null and not exists (select 1 from public.agents a where a.id = ingest_document.agent_id) then
    perform private.invalid_parameter('agent_id is not an agent', 'See list_agents().');
  end if;
  owner := coalesce(me, ingest_document.agent_id);
  hash := encode(sha256(convert_to(ingest_document.content_markdown, 'UTF8')), 'hex');

  -- the document this replaces: the same source URL, or else the same content
  select d.* into document from public.documents d
  where coalesce(d.user_id, d.agent_id) = owner
    and case when ingest_document.source_url is not null then d.source_url = ingest_document.source_url
      else d.source_url is null and d.content_hash = hash end
  for no key update;
  if document.id is null then
    insert into public.documents (user_id, agent_id, title, source_url, content_markdown, content_hash, metadata)
    values (me, ingest_document.agent_id, clean_title, ingest_document.source_url, ingest_document.content_markdown, hash,
      clean_metadata)
    on conflict do nothing
    returning * into document;
    if document.id is null then
      raise exception 'the same document is being ingested by another request' using errcode = 'PT409',
        hint = 'Retry: the retry finds the document the other request wrote.';
    end if;
    created := true;
  elsif document.content_hash = hash then
    -- the same content: nothing is written, unless the title or metadata changed
    update public.documents d set title = clean_title, metadata = clean_metadata
    where d.id = document.id and (d.title::text, d.metadata::jsonb) is distinct from (clean_title, clean_metadata);
    select d.* into document from public.documents d where d.id = document.id;
  else
    update public.documents d
    set title = clean_title, content_markdown = ingest_document.content_markdown, content_hash = hash,
        metadata = clean_metadata
    where d.id = document.id
    returning d.* into document;
    delete from public.document_chunks c where c.document_id = document.id;
    changed := true;
  end if;

  if created or changed then
    insert into public.document_chunks (document_id, user_id, agent_id, chunk_index, heading_path, content)
    select document.id, document.user_id, document.agent_id, c.chunk_index, c.heading_path, c.content
    from private.chunk_markdown(document.content_markdown) c;
    update public.documents d set chunk_count = (select count(*) from public.document_chunks c where c.document_id = d.id)
    where d.id = document.id
    returning d.* into document;
  end if;

  return jsonb_build_object('created', created, 'changed', created or changed, 'document', private.document_summary(document),
    'chunks', coalesce((
      select jsonb_agg(jsonb_build_object('id', c.id, 'chunk_index', c.chunk_index, 'heading_path', c.heading_path,
        'content', c.content) order by c.chunk_index)
      from public.document_chunks c where c.document_id = document.id), '[]'));
end
$$;
grant execute on function public.ingest_document(text, text, text, uuid, jsonb) to authenticated, service_role;
comment on function public.ingest_document(text, text, text, uuid, jsonb) is
  'Stores a markdown document and its chunks; returns {created, changed, document (without its content, with '
  'char_count and chunk_count), chunks: [{id, chunk_index, heading_path, content}]}. A signed-in user''s document is '
  'theirs alone (agent_id not allowed); the service role writes an agent''s knowledge (agent_id required), which every '
  'user who can use the agent reads. Chunks: cut on headings and paragraphs, at most 1,200 characters, the next chunk '
  'of a section repeating the last 200 characters of the one before, each with its heading path. The same content '
  'again (same owner, and same source_url or, without one, the same content hash) writes nothing (changed false; a '
  'new title or metadata is saved); new content for a known source_url replaces the document''s chunks. title: 1-500 '
  'characters; content_markdown: up to 2,000,000 characters; source_url: http(s); metadata: an object <= 16 kB. '
  'Errors: 22023 (400) naming the field; 42501 (403) agent_id from a user; anon is denied (401).';

create function public.list_documents(agent_id uuid default null)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return coalesce((
    select jsonb_agg(private.document_summary(d) order by d.created_at desc, d.id desc)
    from public.documents d
    where case when list_documents.agent_id is null then d.user_id = (select auth.uid())
      else d.agent_id = list_documents.agent_id end), '[]');
end
$$;
grant execute on function public.list_documents(uuid) to authenticated, service_role;
comment on function public.list_documents(uuid) is
  'Documents without their content, newest first, as a JSON array: the caller''s own, or with agent_id that agent''s '
  'knowledge (when the caller can use the agent; the service role sees any agent''s). Each: {id, user_id, agent_id, '
  'title, source_url, content_hash, metadata, chunk_count, char_count, created_at, updated_at}. Anon is denied (401).';

create function public.delete_document(document_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  delete from public.documents d where d.id = delete_document.document_id;
  if not found then
    perform private.not_found('document', 'The document does not exist or is not yours (agents'' knowledge is deleted by the service role).');
  end if;
  return true;
end
$$;
grant execute on function public.delete_document(uuid) to authenticated, service_role;
comment on function public.delete_document(uuid) is
  'Deletes a document with its chunks and returns true: the caller''s own; the service role deletes any (agents'' '
  'knowledge). Errors: PT404 (404) not the caller''s document (an agent''s too); anon is denied (401).';
