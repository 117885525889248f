-- Embeddings: one table for the vectors of every source (entries, messages, document chunks,
-- themes) and every model. The vector column has no fixed dimension; each model has a partial HNSW
-- index on the vector cast to its dimension (`where model = …`), so models of different sizes live
-- side by side and each search uses one model's index. Written only by the embed worker through
-- service_role_complete_embedding_jobs; read under RLS by the search RPCs (security invoker).

create domain private.embedding_source as text
  check (value in ('entries', 'messages', 'document_chunks', 'themes'));
comment on domain private.embedding_source is 'What an embedding is of: entries, messages, document_chunks or themes.';
grant usage on type private.embedding_source to authenticated, service_role;

create table public.embeddings (
  id bigint generated always as identity primary key,
  source_table private.embedding_source not null,
  source_id uuid not null,
  chunk_index integer not null default 0
    constraint embeddings_chunk_index_check check (chunk_index >= 0),
  model text not null references public.embedding_models (name) on delete cascade,
  -- who may read it: the owner of the content (a user's entry, document chunk, or the owner of a
  -- message's chat); null for public content (themes, agents' knowledge)
  user_id uuid references auth.users (id) on delete cascade,
  -- a message's chat (its members read its messages' vectors too)
  chat_id uuid,
  -- an agent's knowledge (document chunks of the agent's documents)
  agent_id uuid,
  content_hash text not null
    constraint embeddings_content_hash_check check (content_hash ~ '^[0-9a-f]{64}$'),
  embedding extensions.vector not null,
  -- the job that wrote it: a vector is only ever replaced by a later job's (see the queue)
  job_id bigint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint embeddings_source_key unique (source_table, source_id, model, chunk_index)
);
comment on table public.embeddings is
  'Vectors of entries, messages, document chunks and themes, one per source, chunk and model (several models side '
  'by side). content_hash is the SHA-256 of the text that was embedded: a vector is current when it matches the '
  'source''s text now. Written by the embed worker (service role); read under RLS by the search RPCs.';
comment on column public.embeddings.chunk_index is
  'The piece of the source (0: every source is embedded whole today; document chunks are cut by ingest_document).';
comment on column public.embeddings.user_id is 'Who owns the content (a message: its chat''s owner); null for public content.';
comment on column public.embeddings.content_hash is 'SHA-256 (hex) of the embedded text (see private.embedding_documents).';
comment on column public.embeddings.job_id is 'The embedding job that wrote the vector; an earlier job never overwrites a later one''s.';

-- One HNSW index per model (cosine distance), on the vector cast to the model's dimension; the
-- seeded models' here, those registered later by service_role_register_embedding_model.
create index embeddings_use_lite_hnsw_idx on public.embeddings
  using hnsw ((embedding::extensions.vector(512)) extensions.vector_cosine_ops) where model = 'use-lite';
create index embeddings_text_embedding_3_small_hnsw_idx on public.embeddings
  using hnsw ((embedding::extensions.vector(1536)) extensions.vector_cosine_ops) where model = 'text-embedding-3-small';
create index embeddings_gte_small_hnsw_idx on public.embeddings
  using hnsw ((embedding::extensions.vector(384)) extensions.vector_cosine_ops) where model = 'gte-small';
-- a user's vectors of a model (the policy column; the exact scan the planner picks for a user with
-- few vectors; similar_entries), a chat's, an agent's knowledge
create index embeddings_user_id_model_source_table_idx on public.embeddings (user_id, model, source_table);
create index embeddings_chat_id_idx on public.embeddings (chat_id) where chat_id is not null;
create index embeddings_agent_id_idx on public.embeddings (agent_id) where agent_id is not null;
create index embeddings_model_idx on public.embeddings (model);

alter table public.embeddings enable row level security;
revoke all on public.embeddings from anon, authenticated, service_role;
grant select on public.embeddings to authenticated;
grant select, delete on public.embeddings to service_role;

-- A signed-in user reads the vectors of what they can read: their own content, their chats'
-- messages (as a member too), the knowledge of the agents they can use, and the public themes.
create policy embeddings_select_readable on public.embeddings
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or (user_id is null and agent_id is null and chat_id is null)
    or agent_id in (select a.id from public.agents a)
    or chat_id in (select private.member_chat_ids())
  );

create trigger embeddings_100_set_updated_at
  before update on public.embeddings
  for each row execute function private.set_updated_at();
