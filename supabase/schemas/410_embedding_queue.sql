-- The embedding queue: content changes enqueue jobs in the database, the embed worker (an Edge
-- Function, service role) claims them in batches per model, embeds their texts with one provider
-- call per batch, and writes the vectors; a scheduled backfill catches anything missed and wakes
-- the worker over HTTP (pg_net, the URL and key read from Vault).
--
--   * Texts. private.embedding_documents(source, ids) states each source's embedding text: an
--     entry's title, body, then Tags:, Contexts: and People: from its entities (Insight's rule); a
--     message's chat title and content; a document chunk's document title, heading path and
--     content; a theme's name and description. Cut at 8,000 characters, then at the model's
--     max_input_chars when claimed. The SHA-256 of the text is the content hash.
--   * Enqueueing. Generic triggers (source and columns as arguments) call enqueue_embeddings: for
--     each enabled model, a source whose current vector has the same hash gets no job; otherwise
--     one pending job per source and model (a unique index), so a burst of edits leaves one job.
--     A source with nothing to embed (deleted, emptied, a message being generated) loses its
--     vectors. Triggers never do HTTP.
--   * Jobs. pending → running (claimed: a lease and a lease token; attempts + 1) → done, or back to
--     pending with exponential backoff after a failure, or dead after max_attempts (last_error
--     kept) until requeue_dead_embedding_jobs. available_at is when a pending job may be claimed,
--     or when a running job's lease expires (then it is claimable again). Claims take
--     `for update skip locked`.
--   * Completion is one transaction per batch keyed by (job id, lease token): a worker that lost
--     its lease (killed, too slow) writes nothing, a retried completion writes nothing twice, and a
--     vector is only ever replaced by a later job's (embeddings.job_id), so an old job finishing
--     last cannot overwrite a newer text's vector.

create table private.embedding_jobs (
  id bigint generated always as identity primary key,
  source_table private.embedding_source not null,
  source_id uuid not null,
  chunk_index integer not null default 0,
  model text not null references public.embedding_models (name) on delete cascade,
  state text not null default 'pending'
    constraint embedding_jobs_state_check check (state in ('pending', 'running', 'done', 'dead')),
  -- the text's hash when enqueued (the worker gets the text and hash of the moment it claims)
  content_hash text,
  attempts integer not null default 0,
  max_attempts integer not null default 5
    constraint embedding_jobs_max_attempts_check check (max_attempts >= 1 and max_attempts <= 100),
  -- pending: when it may be claimed (after a backoff); running: when its lease expires
  available_at timestamptz not null default private.now(),
  lease_token uuid,
  claimed_at timestamptz,
  last_error text,
  created_at timestamptz not null default private.now(),
  updated_at timestamptz not null default private.now(),
  completed_at timestamptz
);
comment on table private.embedding_jobs is
  'Embedding jobs, one pending per source and model: pending (available_at: when claimable), running (available_at: '
  'lease expiry; lease_token names the claim), done, dead (attempts exhausted; last_error). See 410_embedding_queue.sql.';

-- one waiting job per source and model: a burst of edits updates it
create unique index embedding_jobs_pending_key on private.embedding_jobs (source_table, source_id, chunk_index, model)
  where state = 'pending';
-- the claim: per model, by when claimable (pending after backoff, running after lease expiry)
create index embedding_jobs_model_available_at_idx on private.embedding_jobs (model, available_at, id)
  where state in ('pending', 'running');
-- running jobs of a source (whether a job may still write an older text's vector)
create index embedding_jobs_running_idx on private.embedding_jobs (source_table, source_id, model) where state = 'running';
create index embedding_jobs_dead_idx on private.embedding_jobs (model) where state = 'dead';
create index embedding_jobs_completed_at_idx on private.embedding_jobs (completed_at) where state = 'done';
alter table private.embedding_jobs enable row level security;
revoke all on private.embedding_jobs from anon, authenticated, service_role;

-- Where the backfill's sweep of each source is: it walks a source by id, a bounded number of rows
-- per run, enqueueing what has no current vector, and starts a new pass a day after the last
-- (at once when a model is enabled).
create table private.embedding_backfill (
  source_table private.embedding_source primary key,
  cursor_id uuid,
  pass_started_at timestamptz,
  pass_completed_at timestamptz
);
comment on table private.embedding_backfill is
  'The backfill''s sweep per source: the last id swept in the current pass (null: not started), and when the pass '
  'started and the last one completed.';
alter table private.embedding_backfill enable row level security;
revoke all on private.embedding_backfill from anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Texts

-- The SHA-256 of a text, in hex: an embedding's content_hash.
create function private.embedding_hash(content text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(content, 'UTF8')), 'hex')
$$;
grant execute on function private.embedding_hash(text) to authenticated, service_role;

-- The embedding texts of sources of one kind, with who may read them: a row per id that has
-- something to embed (a deleted entry, a message being generated, a system or tool message, an
-- empty text: none). Each text is cut at 8,000 characters.
create function private.embedding_documents(source text, ids uuid[])
returns table (source_id uuid, user_id uuid, chat_id uuid, agent_id uuid, content text)
language plpgsql
stable
set search_path = ''
as $$
begin
  if coalesce(cardinality(ids), 0) = 0 then
    return;
  end if;
  if source = 'entries' then
    -- Insight's rule: title, body, then the linked tags, contexts and people
    return query
    select e.id, e.user_id, null::uuid, null::uuid, x.content
    from public.entries e
    left join lateral (
      select pg_catalog.string_agg(n.display_name, ', ' order by n.display_name) filter (where n.type = 'tag') as tags,
        pg_catalog.string_agg(n.display_name, ', ' order by n.display_name) filter (where n.type = 'context') as contexts,
        pg_catalog.string_agg(n.display_name, ', ' order by n.display_name) filter (where n.type = 'person') as people
      from public.entry_entities l
      join public.entities n on n.id = l.entity_id
      where l.entry_id = e.id and n.type in ('tag', 'context', 'person') and n.deleted_at is null
    ) t on true
    cross join lateral (
      select nullif(left(pg_catalog.btrim(pg_catalog.concat_ws(E'\n', e.title, e.body_markdown, 'Tags: ' || t.tags,
        'Contexts: ' || t.contexts, 'People: ' || t.people)), 8000), '') as content
    ) x
    where e.id = any (ids) and e.deleted_at is null and x.content is not null;
  elsif source = 'messages' then
    -- the chat's title, then the message; only finished messages of the user and the assistant
    return query
    select m.id, m.chat_owner_id, m.chat_id, null::uuid,
      left(pg_catalog.btrim(pg_catalog.concat_ws(E'\n', c.title, m.content)), 8000)
    from public.messages m
    join public.chats c on c.id = m.chat_id
    where m.id = any (ids) and m.role in ('user', 'assistant') and m.status = 'complete' and m.content ~ '[^[:space:]]';
  elsif source = 'document_chunks' then
    -- the document's title, the heading path, the chunk
    return query
    select c.id, c.user_id, null::uuid, c.agent_id,
      left(pg_catalog.btrim(pg_catalog.concat_ws(E'\n', d.title,
        nullif(pg_catalog.array_to_string(c.heading_path, ' > '), ''), c.content)), 8000)
    from public.document_chunks c
    join public.documents d on d.id = c.document_id
    where c.id = any (ids);
  elsif source = 'themes' then
    return query
    select t.id, null::uuid, null::uuid, null::uuid, left(t.display_name || E'\n' || t.description, 8000)
    from public.themes t
    where t.id = any (ids);
  else
    raise exception 'unknown embedding source %', source using errcode = '22023';
  end if;
end
$$;
comment on function private.embedding_documents(text, uuid[]) is
  'The embedding text of each source id of a kind (entries, messages, document_chunks, themes) that has one, with '
  'its readers (user_id, chat_id, agent_id).';

-- ---------------------------------------------------------------------------------------------
-- Enqueueing

-- For each source id and enabled model: a pending job unless the current vector has the text's
-- hash (and no job is running that could still replace it); no jobs and no vectors for ids with
-- nothing to embed. Returns the number of jobs enqueued or updated. Security definer: it is called
-- by triggers fired by users' writes and reads and writes the queue and every user's vectors,
-- which no user may touch; it only acts on the ids it is given, whose texts it reads itself.
create function private.enqueue_embeddings(source text, ids uuid[])
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  doc_ids uuid[];
  doc_hashes text[];
  enqueued integer;
begin
  if coalesce(cardinality(ids), 0) = 0 or not exists (select 1 from public.embedding_models m where m.enabled) then
    return 0;
  end if;
  select coalesce(array_agg(d.source_id), '{}'), coalesce(array_agg(private.embedding_hash(d.content)), '{}')
  into doc_ids, doc_hashes
  from private.embedding_documents(source, ids) d;

  with docs as (
    select u.id, u.hash from unnest(doc_ids, doc_hashes) u(id, hash)
  ),
  wanted as (
    select d.id, m.name as model, d.hash
    from docs d
    cross join public.embedding_models m
    where m.enabled
      and (not exists (
          select 1 from public.embeddings e
          where e.source_table = source and e.source_id = d.id and e.model = m.name and e.chunk_index = 0
            and e.content_hash = d.hash)
        or exists (
          select 1 from private.embedding_jobs r
          where r.source_table = source and r.source_id = d.id and r.model = m.name and r.state = 'running'))
  )
  insert into private.embedding_jobs as j (source_table, source_id, model, content_hash)
  select source, w.id, w.model, w.hash from wanted w
  on conflict (source_table, source_id, chunk_index, model) where state = 'pending'
  do update set content_hash = excluded.content_hash, updated_at = private.now()
  where j.content_hash is distinct from excluded.content_hash;
  get diagnostics enqueued = row_count;

  -- back to the text the current vector has (an edit undone), with nothing running: nothing to do
  delete from private.embedding_jobs j
  using unnest(doc_ids, doc_hashes) u(id, hash)
  where j.state = 'pending' and j.source_table = source and j.source_id = u.id and j.chunk_index = 0
    and exists (select 1 from public.embeddings e where e.source_table = source and e.source_id = u.id
      and e.model = j.model and e.chunk_index = 0 and e.content_hash = u.hash)
    and not exists (select 1 from private.embedding_jobs r where r.source_table = source and r.source_id = u.id
      and r.model = j.model and r.state = 'running');

  -- nothing to embed any more (deleted, emptied): no vectors, no waiting jobs
  if cardinality(doc_ids) < cardinality(ids) then
    delete from public.embeddings e
    where e.source_table = source and e.source_id = any (ids) and e.source_id <> all (doc_ids);
    delete from private.embedding_jobs j
    where j.state = 'pending' and j.source_table = source and j.source_id = any (ids) and j.source_id <> all (doc_ids);
  end if;
  return enqueued;
end
$$;
comment on function private.enqueue_embeddings(text, uuid[]) is
  'Enqueues embedding jobs for these sources (one pending job per source and enabled model, none where the current '
  'vector has the text''s hash) and drops the vectors and jobs of those with nothing to embed; returns the jobs '
  'enqueued or updated.';

-- Generic trigger: enqueues the rows a statement inserted, updated or deleted.
--   tg_argv[0]: the source (entries, messages, document_chunks, themes);
--   tg_argv[1…]: for row-level UPDATE triggers, the columns the text depends on: when none of them
--   changed, nothing is done (the `update of` list only says which columns were assigned).
-- Statement-level INSERT and DELETE triggers pass their transition table as new_rows / old_rows.
-- Security definer: deleting the vectors of deleted rows (DELETE) reaches every user's vectors,
-- which no user may touch; it only acts on the rows of the statement.
create function private.queue_embeddings()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  source text := tg_argv[0];
  old_row jsonb;
  new_row jsonb;
  changed boolean := tg_nargs <= 1;
  ids uuid[];
begin
  if tg_level = 'ROW' then
    if tg_op = 'UPDATE' and not changed then
      old_row := to_jsonb(old);
      new_row := to_jsonb(new);
      for i in 1 .. tg_nargs - 1 loop
        if old_row -> tg_argv[i] is distinct from new_row -> tg_argv[i] then
          changed := true;
          exit;
        end if;
      end loop;
    end if;
    if changed or tg_op = 'INSERT' then
      perform private.enqueue_embeddings(source, array[(to_jsonb(new) ->> 'id')::uuid]);
    end if;
    return null;
  end if;
  if tg_op = 'INSERT' then
    execute 'select coalesce(array_agg(n.id), ''{}'') from new_rows n' into ids;
    perform private.enqueue_embeddings(source, ids);
  elsif tg_op = 'DELETE' then
    execute 'select coalesce(array_agg(o.id), ''{}'') from old_rows o' into ids;
    delete from public.embeddings e where e.source_table = source and e.source_id = any (ids);
    delete from private.embedding_jobs j where j.state = 'pending' and j.source_table = source and j.source_id = any (ids);
  end if;
  return null;
end
$$;
comment on function private.queue_embeddings() is
  'Generic trigger of the embedding queue: tg_argv[0] the source, tg_argv[1…] the columns its text depends on '
  '(row-level UPDATE: nothing happens unless one changed). Statement-level INSERT (new_rows) enqueues, DELETE '
  '(old_rows) drops the vectors.';

create trigger entries_400_queue_embeddings_insert
  after insert on public.entries
  referencing new table as new_rows
  for each statement execute function private.queue_embeddings('entries');
create trigger entries_400_queue_embeddings_update
  after update of title, body_markdown, deleted_at on public.entries
  for each row execute function private.queue_embeddings('entries', 'title', 'body_markdown', 'deleted_at');
create trigger entries_400_queue_embeddings_delete
  after delete on public.entries
  referencing old table as old_rows
  for each statement execute function private.queue_embeddings('entries');

create trigger messages_400_queue_embeddings_insert
  after insert on public.messages
  referencing new table as new_rows
  for each statement execute function private.queue_embeddings('messages');
create trigger messages_400_queue_embeddings_update
  after update of content, status on public.messages
  for each row execute function private.queue_embeddings('messages', 'content', 'status');
create trigger messages_400_queue_embeddings_delete
  after delete on public.messages
  referencing old table as old_rows
  for each statement execute function private.queue_embeddings('messages');

create trigger document_chunks_400_queue_embeddings_insert
  after insert on public.document_chunks
  referencing new table as new_rows
  for each statement execute function private.queue_embeddings('document_chunks');
create trigger document_chunks_400_queue_embeddings_update
  after update of heading_path, content on public.document_chunks
  for each row execute function private.queue_embeddings('document_chunks', 'heading_path', 'content');
create trigger document_chunks_400_queue_embeddings_delete
  after delete on public.document_chunks
  referencing old table as old_rows
  for each statement execute function private.queue_embeddings('document_chunks');

create trigger themes_400_queue_embeddings_insert
  after insert on public.themes
  referencing new table as new_rows
  for each statement execute function private.queue_embeddings('themes');
create trigger themes_400_queue_embeddings_update
  after update of display_name, description on public.themes
  for each row execute function private.queue_embeddings('themes', 'display_name', 'description');
create trigger themes_400_queue_embeddings_delete
  after delete on public.themes
  referencing old table as old_rows
  for each statement execute function private.queue_embeddings('themes');

-- What other tables put into the texts: an entry's entities (links added or removed, a renamed
-- entity), a message's chat title, a chunk's document title. Each re-enqueues the sources whose
-- text includes it (their hashes decide whether anything changed). Security definer as
-- enqueue_embeddings, for the same reason; it acts only on the rows of the statement.
create function private.queue_embeddings_of_related()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  ids uuid[];
begin
  if tg_table_name = 'entry_entities' then
    if tg_op = 'INSERT' then
      execute 'select coalesce(array_agg(distinct n.entry_id), ''{}'') from new_rows n' into ids;
    else
      execute 'select coalesce(array_agg(distinct o.entry_id), ''{}'') from old_rows o' into ids;
    end if;
    perform private.enqueue_embeddings('entries', ids);
  elsif tg_table_name = 'entities' then
    if old.display_name is distinct from new.display_name and new.type in ('tag', 'context', 'person') then
      ids := array(select l.entry_id from public.entry_entities l where l.entity_id = new.id);
      perform private.enqueue_embeddings('entries', ids);
    end if;
  elsif tg_table_name = 'chats' then
    if old.title is distinct from new.title then
      ids := array(select m.id from public.messages m where m.chat_id = new.id);
      perform private.enqueue_embeddings('messages', ids);
    end if;
  elsif tg_table_name = 'documents' then
    if old.title is distinct from new.title then
      ids := array(select c.id from public.document_chunks c where c.document_id = new.id);
      perform private.enqueue_embeddings('document_chunks', ids);
    end if;
  end if;
  return null;
end
$$;
comment on function private.queue_embeddings_of_related() is
  'Trigger: re-enqueues the entries, messages or chunks whose embedding text includes the changed row (entry '
  'links, an entity''s name, a chat''s title, a document''s title).';

create trigger entry_entities_400_queue_embeddings_insert
  after insert on public.entry_entities
  referencing new table as new_rows
  for each statement execute function private.queue_embeddings_of_related();
create trigger entry_entities_400_queue_embeddings_delete
  after delete on public.entry_entities
  referencing old table as old_rows
  for each statement execute function private.queue_embeddings_of_related();
create trigger entities_400_queue_embeddings
  after update of display_name on public.entities
  for each row execute function private.queue_embeddings_of_related();
create trigger chats_400_queue_embeddings
  after update of title on public.chats
  for each row execute function private.queue_embeddings_of_related();
create trigger documents_400_queue_embeddings
  after update of title on public.documents
  for each row execute function private.queue_embeddings_of_related();

-- ---------------------------------------------------------------------------------------------
-- The worker's RPCs (service role)

-- One claimed job as the worker gets it.
create type public.embedding_job_claim as (
  job_id bigint,
  lease_token uuid,
  source_table text,
  source_id uuid,
  chunk_index integer,
  model text,
  content text,
  content_hash text,
  unchanged boolean,
  attempts integer
);
comment on type public.embedding_job_claim is
  'A claimed embedding job: its id and lease token (what completion and failure name), the source, the text to '
  'embed (cut at the model''s max_input_chars; null: nothing to embed any more) and its hash, whether the current '
  'vector has that hash already (nothing to embed), and the attempts so far (this one included).';

-- RPC (service role): claims up to batch_size jobs of a model. Security definer: the queue is
-- private; the caller is checked first.
create function public.service_role_claim_embedding_jobs(model text, batch_size integer default null,
  lease_seconds integer default 120)
returns setof public.embedding_job_claim
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  m public.embedding_models;
  now_ timestamptz := private.now();
begin
  perform private.require_service_role('service_role_claim_embedding_jobs');
  select x.* into m from public.embedding_models x where x.name = service_role_claim_embedding_jobs.model;
  if not found then
    perform private.not_found('embedding model', 'See get_embedding_models().');
  end if;
  if batch_size is not null and batch_size not between 1 and 2048 then
    perform private.invalid_parameter('batch_size must be between 1 and 2048');
  end if;
  if lease_seconds is null or lease_seconds not between 1 and 3600 then
    perform private.invalid_parameter('lease_seconds must be between 1 and 3600');
  end if;

  return query
  with picked as (
    select j.id from private.embedding_jobs j
    where j.model = m.name and j.state in ('pending', 'running') and j.available_at <= now_
    order by j.available_at, j.id
    limit coalesce(batch_size, m.batch_size)
    for update skip locked
  ),
  claimed as (
    update private.embedding_jobs j
    set state = 'running', lease_token = gen_random_uuid(), attempts = j.attempts + 1,
        available_at = now_ + pg_catalog.make_interval(secs => lease_seconds), claimed_at = now_, updated_at = now_
    from picked p
    where j.id = p.id
    returning j.id, j.lease_token, j.source_table, j.source_id, j.chunk_index, j.attempts
  ),
  -- the texts now, one call per kind of source
  docs as (
    select s.source, d.source_id, left(d.content, m.max_input_chars) as content
    from unnest(array['entries', 'messages', 'document_chunks', 'themes']) s(source)
    cross join lateral private.embedding_documents(s.source,
      array(select c.source_id from claimed c where c.source_table = s.source)) d
  )
  select c.id, c.lease_token, c.source_table::text, c.source_id, c.chunk_index, m.name, d.content,
    private.embedding_hash(d.content), coalesce(e.content_hash = private.embedding_hash(d.content), false), c.attempts
  from claimed c
  left join docs d on d.source = c.source_table and d.source_id = c.source_id
  left join public.embeddings e on e.source_table = c.source_table and e.source_id = c.source_id and e.model = m.name
    and e.chunk_index = c.chunk_index
  order by c.id;
end
$$;
grant execute on function public.service_role_claim_embedding_jobs(text, integer, integer) to service_role;
comment on function public.service_role_claim_embedding_jobs(text, integer, integer) is
  'Service role only (the embed worker): claims up to batch_size (default the model''s) jobs of a model that are '
  'pending and due, or running with an expired lease, with for update skip locked; each gets a new lease token, a '
  'lease of lease_seconds (1-3600, default 120) and one more attempt. Returns embedding_job_claim rows: job_id, '
  'lease_token, source_table, source_id, chunk_index, model, content (the text now, cut at the model''s '
  'max_input_chars; null when there is nothing to embed any more), content_hash, unchanged (the current vector has '
  'this text already), attempts. Errors: PT404 (404) unknown model; 22023 (400) batch_size, lease_seconds; 42501 '
  'from a user''s session.';

-- RPC (service role): finishes claimed jobs, writing their vectors, in one transaction. Security
-- definer: it writes the private queue and every user's vectors; the caller is checked first, and
-- each job only by the holder of its lease.
create function public.service_role_complete_embedding_jobs(results jsonb)
returns table (job_id bigint, status text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  item jsonb;
  i integer := 0;
  job private.embedding_jobs;
  dims integer;
  v extensions.vector;
  holders bigint[] := '{}';
  now_ timestamptz := private.now();
begin
  perform private.require_service_role('service_role_complete_embedding_jobs');
  if results is null or jsonb_typeof(results) <> 'array' or jsonb_array_length(results) > 2048 then
    perform private.invalid_parameter('results must be an array of at most 2048 results');
  end if;
  -- the shape of every result first: nothing is written when one is wrong
  for item in select x.value from jsonb_array_elements(results) x loop
    if jsonb_typeof(item) <> 'object' or jsonb_typeof(item -> 'job_id') is distinct from 'number'
      or jsonb_typeof(item -> 'lease_token') is distinct from 'string'
      or (item ->> 'lease_token') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
      perform private.invalid_parameter(pg_catalog.format('results[%s] must be {job_id, lease_token, embedding?, content_hash?, tokens?}', i));
    end if;
    if coalesce(jsonb_typeof(item -> 'embedding'), 'null') not in ('null', 'array') then
      perform private.invalid_parameter(pg_catalog.format('results[%s].embedding must be an array of numbers or null', i));
    end if;
    if jsonb_typeof(item -> 'embedding') = 'array' and coalesce(item ->> 'content_hash', '') !~ '^[0-9a-f]{64}$' then
      perform private.invalid_parameter(pg_catalog.format('results[%s].content_hash must be the claimed text''s SHA-256 (hex)', i));
    end if;
    if item ? 'tokens' and (jsonb_typeof(item -> 'tokens') is distinct from 'number'
      or (item ->> 'tokens') !~ '^[0-9]{1,8}$') then
      perform private.invalid_parameter(pg_catalog.format('results[%s].tokens must be a whole number of tokens (0 to 99999999)', i));
    end if;
    i := i + 1;
  end loop;

  -- the jobs, locked in id order (two completions never deadlock); only the lease holder's count
  for job in
    select j.* from private.embedding_jobs j
    where j.id in (select (x.value ->> 'job_id')::bigint from jsonb_array_elements(results) x)
    order by j.id
    for update
  loop
    if job.state = 'running' and exists (select 1 from jsonb_array_elements(results) x
      where (x.value ->> 'job_id')::bigint = job.id and (x.value ->> 'lease_token')::uuid = job.lease_token) then
      holders := holders || job.id;
    end if;
  end loop;

  -- vectors of the model's dimension, numbers only (JSON has no NaN)
  i := 0;
  for item in select x.value from jsonb_array_elements(results) x loop
    if jsonb_typeof(item -> 'embedding') = 'array' and (item ->> 'job_id')::bigint = any (holders) then
      select m.dimensions into dims from private.embedding_jobs j join public.embedding_models m on m.name = j.model
      where j.id = (item ->> 'job_id')::bigint;
      if jsonb_array_length(item -> 'embedding') <> dims then
        perform private.invalid_parameter(pg_catalog.format(
          'results[%s].embedding has %s dimensions; its model takes %s', i, jsonb_array_length(item -> 'embedding'), dims),
          'Check the model''s dimensions (get_embedding_models) and what the provider returns.');
      end if;
      begin
        v := (item ->> 'embedding')::extensions.vector;
      exception when others then
        perform private.invalid_parameter(pg_catalog.format('results[%s].embedding must be an array of finite numbers', i));
      end;
    end if;
    i := i + 1;
  end loop;

  return query
  with given as (
    select (x.value ->> 'job_id')::bigint as id, x.value -> 'embedding' as embedding, x.value ->> 'content_hash' as hash
    from jsonb_array_elements(results) x
  ),
  held as (
    select j.id, j.source_table, j.source_id, j.chunk_index, j.model, g.embedding, g.hash
    from private.embedding_jobs j join given g on g.id = j.id
    where j.id = any (holders)
  ),
  docs as (
    -- the readers of what is written, one call per kind of source
    select h.id, d.user_id, d.chat_id, d.agent_id
    from unnest(array['entries', 'messages', 'document_chunks', 'themes']) s(source)
    cross join lateral private.embedding_documents(s.source, array(select h.source_id from held h
      where h.source_table = s.source and jsonb_typeof(h.embedding) = 'array')) d
    join held h on h.source_table = s.source and h.source_id = d.source_id and jsonb_typeof(h.embedding) = 'array'
  ),
  written as (
    insert into public.embeddings as e (source_table, source_id, chunk_index, model, user_id, chat_id, agent_id,
      content_hash, embedding, job_id)
    -- two jobs of one source in a batch (a lease expired and a newer job was claimed too): the later one's
    select distinct on (h.source_table, h.source_id, h.model, h.chunk_index)
      h.source_table, h.source_id, h.chunk_index, h.model, d.user_id, d.chat_id, d.agent_id, h.hash,
      (h.embedding #>> '{}')::extensions.vector, h.id
    from held h join docs d on d.id = h.id
    order by h.source_table, h.source_id, h.model, h.chunk_index, h.id desc
    on conflict (source_table, source_id, model, chunk_index) do update
    set content_hash = excluded.content_hash, embedding = excluded.embedding, job_id = excluded.job_id,
        user_id = excluded.user_id, chat_id = excluded.chat_id, agent_id = excluded.agent_id
    where e.job_id <= excluded.job_id
    returning e.job_id
  ),
  finished as (
    update private.embedding_jobs j
    set state = 'done', lease_token = null, completed_at = now_, updated_at = now_, last_error = null,
        available_at = now_
    from held h
    where j.id = h.id
    returning j.id
  )
  select g.id,
    case
      when not (g.id = any (holders)) then 'lease_lost'
      when h.embedding is null or jsonb_typeof(h.embedding) <> 'array' then 'done'
      when not exists (select 1 from docs d where d.id = g.id) then 'gone'
      when exists (select 1 from written w where w.job_id = g.id) then 'written'
      else 'superseded'
    end
  from given g
  left join held h on h.id = g.id
  where g.id in (select f.id from finished f) or not (g.id = any (holders));

  -- the provider's tokens of each vector written, in the usage ledger of the user it belongs to (once
  -- per job; public knowledge has no user and is not recorded)
  perform private.record_usage(e.user_id, 'embedding_tokens', (x.value ->> 'tokens')::numeric, 'embedding_jobs',
    j.id::text, now_, true, m.provider || '/' || m.provider_model)
  from jsonb_array_elements(results) x
  join private.embedding_jobs j on j.id = (x.value ->> 'job_id')::bigint
  join public.embeddings e on e.source_table = j.source_table and e.source_id = j.source_id and e.model = j.model
    and e.chunk_index = j.chunk_index and e.job_id = j.id
  join public.embedding_models m on m.name = j.model
  where j.id = any (holders) and jsonb_typeof(x.value -> 'tokens') = 'number' and e.user_id is not null;
end
$$;
grant execute on function public.service_role_complete_embedding_jobs(jsonb) to service_role;
comment on function public.service_role_complete_embedding_jobs(jsonb) is
  'Service role only (the embed worker): finishes claimed jobs in one transaction. results: an array of at most 2048 '
  '{job_id, lease_token, embedding?: number[] (the model''s dimensions), content_hash? (required with an embedding: '
  'the claimed text''s), tokens? (the provider''s input tokens for this text: recorded as embedding_tokens usage of '
  'the vector''s user, once per job, priced at usage_prices for provider/model)}. A job counts only with its current lease token while '
  'running: a job whose lease was lost '
  '(it expired and another worker claimed it, or it was finished already) writes nothing. Returns (job_id, status) '
  'per result: written (the vector is stored), done (no embedding given: unchanged, or nothing to embed), gone (the '
  'source has nothing to embed any more: no vector), superseded (a later job wrote a newer text''s vector), '
  'lease_lost. Errors: 22023 (400) naming the result and field, e.g. a vector of the wrong dimensions (nothing is '
  'written); 42501 from a user''s session.';

-- The wait before retrying a job that failed for the attempts-th time: 10 s doubling per attempt
-- up to an hour, give or take 10% so that jobs that failed together do not retry together.
create function private.embedding_backoff(attempts integer)
returns interval
language sql
volatile
set search_path = ''
as $$
  select pg_catalog.make_interval(secs => least(3600, 10 * power(2, greatest(attempts, 1) - 1))
    * (0.9 + 0.2 * pg_catalog.random()))
$$;

-- RPC (service role): records failed jobs: back to pending after a backoff, or dead. Security
-- definer: the queue is private; the caller is checked first, and each job only by its lease holder.
create function public.service_role_fail_embedding_jobs(failures jsonb)
returns table (job_id bigint, status text, available_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  item jsonb;
  i integer := 0;
  job private.embedding_jobs;
  retry boolean;
  message text;
  now_ timestamptz := private.now();
begin
  perform private.require_service_role('service_role_fail_embedding_jobs');
  if failures is null or jsonb_typeof(failures) <> 'array' or jsonb_array_length(failures) > 2048 then
    perform private.invalid_parameter('failures must be an array of at most 2048 failures');
  end if;
  for item in select x.value from jsonb_array_elements(failures) x loop
    if jsonb_typeof(item) <> 'object' or jsonb_typeof(item -> 'job_id') is distinct from 'number'
      or jsonb_typeof(item -> 'lease_token') is distinct from 'string'
      or (item ->> 'lease_token') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
      or jsonb_typeof(item -> 'error') is distinct from 'string'
      or coalesce(jsonb_typeof(item -> 'retryable'), 'boolean') <> 'boolean' then
      perform private.invalid_parameter(pg_catalog.format('failures[%s] must be {job_id, lease_token, error, retryable?}', i));
    end if;
    i := i + 1;
  end loop;

  for item in
    select x.value from jsonb_array_elements(failures) x order by (x.value ->> 'job_id')::bigint
  loop
    select j.* into job from private.embedding_jobs j where j.id = (item ->> 'job_id')::bigint for update;
    job_id := (item ->> 'job_id')::bigint;
    if job.id is null or job.state <> 'running' or job.lease_token <> (item ->> 'lease_token')::uuid then
      status := 'lease_lost';
      available_at := null;
      return next;
      continue;
    end if;
    message := left(item ->> 'error', 2000);
    retry := coalesce((item ->> 'retryable')::boolean, true) and job.attempts < job.max_attempts;
    if not retry then
      update private.embedding_jobs j
      set state = 'dead', lease_token = null, last_error = message, available_at = now_, updated_at = now_
      where j.id = job.id;
      status := 'dead';
      available_at := null;
    elsif exists (select 1 from private.embedding_jobs p where p.state = 'pending' and p.source_table = job.source_table
      and p.source_id = job.source_id and p.chunk_index = job.chunk_index and p.model = job.model) then
      -- a newer job for the same text waits already: it is the retry
      update private.embedding_jobs j
      set state = 'done', lease_token = null, last_error = 'superseded after a failure: ' || message,
          completed_at = now_, updated_at = now_, available_at = now_
      where j.id = job.id;
      status := 'superseded';
      available_at := null;
    else
      update private.embedding_jobs j
      set state = 'pending', lease_token = null, last_error = message,
          available_at = now_ + private.embedding_backoff(job.attempts), updated_at = now_
      where j.id = job.id
      returning j.available_at into available_at;
      status := 'retry';
    end if;
    return next;
  end loop;
end
$$;
grant execute on function public.service_role_fail_embedding_jobs(jsonb) to service_role;
comment on function public.service_role_fail_embedding_jobs(jsonb) is
  'Service role only (the embed worker): records claimed jobs that failed. failures: an array of at most 2048 '
  '{job_id, lease_token, error (text), retryable? (default true)}. A retryable failure with attempts left goes back '
  'to pending after a backoff of 10 s doubling per attempt up to an hour (±10%); otherwise the job is dead with the '
  'error as last_error. Returns (job_id, status, available_at) per failure: retry (with when), dead, superseded (a '
  'newer job for the source waits already), lease_lost (not the current lease holder: nothing changed). Errors: '
  '22023 (400) naming the failure; 42501 from a user''s session.';

-- RPC (service role): dead jobs back to pending.
create function public.requeue_dead_embedding_jobs(model text default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  superseded integer;
  requeued integer;
begin
  perform private.require_service_role('requeue_dead_embedding_jobs');
  if model is not null and not exists (select 1 from public.embedding_models m where m.name = requeue_dead_embedding_jobs.model) then
    perform private.not_found('embedding model', 'See get_embedding_models().');
  end if;
  -- a dead job whose source waits in a newer pending job is covered by it
  delete from private.embedding_jobs d
  where d.state = 'dead' and (requeue_dead_embedding_jobs.model is null or d.model = requeue_dead_embedding_jobs.model)
    and exists (select 1 from private.embedding_jobs p where p.state = 'pending' and p.source_table = d.source_table
      and p.source_id = d.source_id and p.chunk_index = d.chunk_index and p.model = d.model);
  get diagnostics superseded = row_count;
  update private.embedding_jobs d
  set state = 'pending', attempts = 0, available_at = private.now(), updated_at = private.now()
  where d.state = 'dead' and (requeue_dead_embedding_jobs.model is null or d.model = requeue_dead_embedding_jobs.model)
    and d.id = (select min(x.id) from private.embedding_jobs x where x.state = 'dead' and x.source_table = d.source_table
      and x.source_id = d.source_id and x.chunk_index = d.chunk_index and x.model = d.model);
  get diagnostics requeued = row_count;
  -- dead duplicates of a requeued source (it died twice) are dropped
  delete from private.embedding_jobs d
  where d.state = 'dead' and (requeue_dead_embedding_jobs.model is null or d.model = requeue_dead_embedding_jobs.model);
  return requeued + superseded;
end
$$;
grant execute on function public.requeue_dead_embedding_jobs(text) to service_role;
comment on function public.requeue_dead_embedding_jobs(text) is
  'Service role only: puts the dead embedding jobs (of one model, or all) back to pending with their attempts reset '
  '(last_error kept until they succeed); returns how many sources will be tried again. Errors: PT404 (404) unknown '
  'model; 42501 from a user''s session.';

-- RPC (service role): the pipeline at a glance.
create function public.get_embedding_status()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  now_ timestamptz := private.now();
begin
  perform private.require_service_role('get_embedding_status');
  return jsonb_build_object(
    'models', coalesce((
      select jsonb_agg(jsonb_build_object('name', m.name, 'provider', m.provider, 'dimensions', m.dimensions,
        'enabled', m.enabled, 'active', m.active,
        'vectors', (select count(*) from public.embeddings e where e.model = m.name),
        'jobs', jsonb_build_object(
          'pending', (select count(*) from private.embedding_jobs j where j.model = m.name and j.state = 'pending'),
          'running', (select count(*) from private.embedding_jobs j where j.model = m.name and j.state = 'running'),
          'done', (select count(*) from private.embedding_jobs j where j.model = m.name and j.state = 'done'),
          'dead', (select count(*) from private.embedding_jobs j where j.model = m.name and j.state = 'dead'),
          'claimable', (select count(*) from private.embedding_jobs j where j.model = m.name
            and j.state in ('pending', 'running') and j.available_at <= now_)),
        'oldest_pending_seconds', (select round(extract(epoch from now_ - min(j.created_at))::numeric, 1)
          from private.embedding_jobs j where j.model = m.name and j.state = 'pending'),
        'last_error', (select j.last_error from private.embedding_jobs j where j.model = m.name
          and j.state in ('pending', 'dead') and j.last_error is not null order by j.updated_at desc limit 1))
        order by m.active desc, m.enabled desc, m.name)
      from public.embedding_models m), '[]'),
    'backfill', coalesce((
      select jsonb_agg(jsonb_build_object('source', b.source_table, 'in_pass', b.cursor_id is not null,
        'pass_started_at', b.pass_started_at, 'pass_completed_at', b.pass_completed_at) order by b.source_table)
      from private.embedding_backfill b), '[]'));
end
$$;
grant execute on function public.get_embedding_status() to service_role;
comment on function public.get_embedding_status() is
  'Service role only: {models: [{name, provider, dimensions, enabled, active, vectors, jobs: {pending, running, '
  'done, dead, claimable}, oldest_pending_seconds (age of the oldest pending job, null when none), last_error}], '
  'backfill: [{source, in_pass, pass_started_at, pass_completed_at}]}. Done jobs are kept a day. Errors: 42501 from '
  'a user''s session.';

-- ---------------------------------------------------------------------------------------------
-- Backfill and schedule

-- One step of the backfill: for each source whose pass is due (none completed yet, the last
-- completed more than a day ago, or one under way), the next max_rows rows by id are enqueued
-- where they have no current vector for an enabled model. Returns {enqueued, complete} (complete:
-- every source's pass has finished).
create function private.backfill_embeddings(max_rows integer default 2000, restart boolean default false)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  b private.embedding_backfill;
  ids uuid[];
  enqueued integer := 0;
  complete boolean := true;
  now_ timestamptz := private.now();
begin
  insert into private.embedding_backfill (source_table)
  select s from unnest(array['entries', 'messages', 'document_chunks', 'themes']) s
  on conflict do nothing;
  if restart then
    update private.embedding_backfill x set cursor_id = null, pass_started_at = null, pass_completed_at = null;
  end if;
  if not exists (select 1 from public.embedding_models m where m.enabled) then
    return jsonb_build_object('enqueued', 0, 'complete', true);
  end if;
  for b in select x.* from private.embedding_backfill x order by x.source_table for update loop
    if b.cursor_id is null and b.pass_completed_at > now_ - interval '1 day' then
      continue;
    end if;
    execute pg_catalog.format('select coalesce(array_agg(s.id order by s.id), ''{}'') from (select t.id from public.%I t '
      'where $1 is null or t.id > $1 order by t.id limit $2) s', b.source_table)
    into ids using b.cursor_id, max_rows;
    enqueued := enqueued + private.enqueue_embeddings(b.source_table, ids);
    if cardinality(ids) < max_rows then
      update private.embedding_backfill x
      set cursor_id = null, pass_completed_at = now_, pass_started_at = coalesce(x.pass_started_at, now_)
      where x.source_table = b.source_table;
    else
      update private.embedding_backfill x
      set cursor_id = ids[cardinality(ids)], pass_started_at = coalesce(x.pass_started_at, now_)
      where x.source_table = b.source_table;
      complete := false;
    end if;
  end loop;
  return jsonb_build_object('enqueued', enqueued, 'complete', complete);
end
$$;
comment on function private.backfill_embeddings(integer, boolean) is
  'One step of the embedding backfill (at most max_rows rows per source); restart starts a new pass of every source. '
  'Returns {enqueued, complete}.';

-- Wakes the embed worker over HTTP when jobs are claimable (private.invoke_edge_function: pg_net,
-- the URL and service role key from Vault). Returns pg_net's request id, null when nothing was sent.
create function private.wake_embedding_worker()
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.embedding_models m
    where m.enabled and exists (select 1 from private.embedding_jobs j where j.model = m.name
      and j.state in ('pending', 'running') and j.available_at <= private.now())
  ) then
    return null;
  end if;
  return private.invoke_edge_function('embed');
end
$$;
comment on function private.wake_embedding_worker() is
  'Calls the embed function (net.http_post, URL and service key from Vault: project_url, service_role_key) when '
  'embedding jobs are claimable; returns the request id or null.';

-- The scheduled job: a backfill step, done jobs older than a day purged, the worker woken.
create function private.run_embedding_schedule()
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
begin
  perform private.backfill_embeddings();
  delete from private.embedding_jobs j
  where j.id in (select x.id from private.embedding_jobs x where x.state = 'done'
    and x.completed_at < private.now() - interval '1 day' limit 10000);
  return private.wake_embedding_worker();
end
$$;
comment on function private.run_embedding_schedule() is
  'Scheduled every 10 seconds (every minute on pg_cron before 1.5): a backfill step, purge of done jobs older than '
  'a day, and the worker woken when jobs are claimable.';

insert into private.scheduled_jobs (name, schedule, command, description) values
  ('parley-embeddings', '10 seconds', 'select private.run_embedding_schedule()',
   'Embedding backfill step, and the embed worker woken (net.http_post) when jobs are claimable.');

-- RPC (service role): a backfill step on demand (npm run embed:backfill calls it until complete).
create function public.service_role_backfill_embeddings(max_rows integer default 2000, restart boolean default false)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.require_service_role('service_role_backfill_embeddings');
  if max_rows is null or max_rows not between 1 and 100000 then
    perform private.invalid_parameter('max_rows must be between 1 and 100000');
  end if;
  return private.backfill_embeddings(max_rows, coalesce(restart, false));
end
$$;
grant execute on function public.service_role_backfill_embeddings(integer, boolean) to service_role;
comment on function public.service_role_backfill_embeddings(integer, boolean) is
  'Service role only: one backfill step (the scheduler runs them too): enqueues, for up to max_rows (1-100000) rows '
  'per source, what has no current vector for an enabled model. restart starts a new pass over everything now. '
  'Returns {enqueued, complete} (complete: every source has been swept). Errors: 22023 (400) max_rows; 42501 from '
  'a user''s session.';
