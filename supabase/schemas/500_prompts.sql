-- The prompt registry (EX-AI's system prompts with versions and rollback): named prompts whose
-- templates live in immutable, numbered versions; variants of a prompt by provider (kimi, glm,
-- base…) and tier (0-3); labels (production, staging, any other) that point at versions and move,
-- every move kept in a history; latest, never stored, is always a variant's newest version. Agents
-- name their prompt (agents.prompt_name) and the agent functions read it with get_prompt before
-- every model call.
--
-- Who may do what:
--   * the service role (and servers on a database connection) and prompt admins (prompt_admins,
--     role admin) do everything; prompt editors (role editor) create versions and move every label
--     but the protected one, production;
--   * signed-in users read only what the built-in agents run: the production versions of the
--     prompts those agents name (so an app can show what an agent is told). The agent functions
--     read prompts with the service role; nothing else needs more;
--   * anon reads nothing.
--
-- A variant is a provider and a tier (null: every tier); its key, variant, is the provider, then
-- "/tier" when there is one: base, kimi, kimi/2. get_prompt resolves the most specific variant
-- that exists for what it is asked (provider/tier, provider, base/tier, base). Versions are
-- numbered per prompt across its variants (1, 2, 3…), so a version number names one version.

create table public.prompt_admins (
  user_id uuid primary key references auth.users (id) on delete cascade,
  role text not null default 'admin'
    constraint prompt_admins_role_check check (role in ('editor', 'admin')),
  granted_at timestamptz not null default now()
);
comment on table public.prompt_admins is
  'Users the prompt registry names: admins manage prompts and move every label; editors create versions and move '
  'labels other than production. Managed by the service role (service_role_set_prompt_admin).';

alter table public.prompt_admins enable row level security;
revoke all on public.prompt_admins from anon, authenticated, service_role;
grant select on public.prompt_admins to authenticated;
grant select, insert, update, delete on public.prompt_admins to service_role;

create policy prompt_admins_select_own on public.prompt_admins
  for select to authenticated
  using (user_id = (select auth.uid()));

-- What the caller may do in the registry: admin (the service role, a server on a database
-- connection, or a user named admin), editor, or null. Security invoker: a user reads their own
-- prompt_admins row under its policy. Policies call it once per statement ((select …)).
create function private.prompt_role()
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  if private.is_trusted_writer() then
    return 'admin';
  end if;
  return (select a.role from public.prompt_admins a where a.user_id = (select auth.uid()));
end
$$;
comment on function private.prompt_role() is
  'The caller''s role in the prompt registry: admin (the service role, a database connection, or a user named '
  'admin in prompt_admins), editor, or null.';
grant execute on function private.prompt_role() to authenticated, service_role;

-- Labels only admins may move. One for now: production, what every agent call reads.
create function private.is_protected_prompt_label(label text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select label = 'production'
$$;
comment on function private.is_protected_prompt_label(text) is
  'Whether only prompt admins (and the service role) may move the label: production.';
grant execute on function private.is_protected_prompt_label(text) to authenticated, service_role;

-- Whether the caller may move a label: admins any, editors all but the protected ones.
create function private.can_move_prompt_label(label text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
declare
  role text := private.prompt_role();
begin
  return role = 'admin' or (role = 'editor' and not private.is_protected_prompt_label(label));
end
$$;
comment on function private.can_move_prompt_label(text) is
  'Whether the caller may move the label: prompt admins (and the service role) any, editors all but production.';
grant execute on function private.can_move_prompt_label(text) to authenticated, service_role;

-- The error for a caller who may not write to the registry (or move that label).
create function private.deny_prompt_write(label text default null)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if label is not null and private.prompt_role() = 'editor' then
    raise exception '%', pg_catalog.format('only prompt admins may move the %s label', label) using errcode = '42501',
      hint = 'Prompt editors move other labels (staging, custom ones); ask a prompt admin to promote a version.';
  end if;
  raise exception 'only prompt admins and editors may change prompts' using errcode = '42501',
    hint = 'The service role names them (service_role_set_prompt_admin).';
end
$$;
grant execute on function private.deny_prompt_write(text) to authenticated, service_role;

create table public.prompts (
  name text primary key
    constraint prompts_name_check check (name ~ '^[a-z][a-z0-9_.-]{0,127}$'),
  description text
    constraint prompts_description_check check (description is null or char_length(description) <= 2000),
  tags text[] not null default '{}'
    constraint prompts_tags_check check (cardinality(tags) <= 20),
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.prompts is
  'Named prompts (one per agent or tool), with description and tags; their templates are in prompt_versions.';
comment on column public.prompts.name is 'Stable identifier (lowercase, 1-128 characters), what agents.prompt_name names.';

alter table public.prompts enable row level security;
revoke all on public.prompts from anon, authenticated, service_role;
grant select on public.prompts to authenticated;
grant insert (name, description, tags) on public.prompts to authenticated;
grant update (description, tags) on public.prompts to authenticated;
grant select, insert, update, delete on public.prompts to service_role;

-- the agents subquery finds the few built-in agents by agents_owner_id_name_key (owner_id null)
create policy prompts_select_registry_or_builtin on public.prompts
  for select to authenticated
  using (
    (select private.prompt_role()) is not null
    or exists (select 1 from public.agents a where a.owner_id is null and a.prompt_name = prompts.name)
  );

create policy prompts_insert_registry on public.prompts
  for insert to authenticated
  with check ((select private.prompt_role()) is not null);

create policy prompts_update_registry on public.prompts
  for update to authenticated
  using ((select private.prompt_role()) is not null)
  with check ((select private.prompt_role()) is not null);

create trigger prompts_100_set_updated_at
  before update on public.prompts
  for each row execute function private.set_updated_at();

-- The {{variables}} of a template, in order of first appearance, each once ({{ name }} with
-- spaces too). Immutable: the generated column of prompt_versions calls it.
create function private.prompt_template_variables(template text)
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(v.name order by v.first), '{}')
  from (
    select m.match[1] as name, pg_catalog.min(m.n) as first
    from pg_catalog.regexp_matches(template, '\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}', 'g') with ordinality m(match, n)
    group by m.match[1]
  ) v
$$;
comment on function private.prompt_template_variables(text) is
  'The {{variables}} of a template, in order of first appearance, each once.';
grant execute on function private.prompt_template_variables(text) to authenticated, service_role;

create table public.prompt_versions (
  id uuid primary key default gen_random_uuid(),
  prompt_name text not null references public.prompts (name) on delete cascade,
  version integer not null
    constraint prompt_versions_version_check check (version >= 1),
  provider text not null default 'base'
    constraint prompt_versions_provider_check check (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
  tier smallint
    constraint prompt_versions_tier_check check (tier >= 0 and tier <= 3),
  -- base, kimi, kimi/2: what labels and get_prompt match variants by
  variant text not null generated always as (provider || coalesce('/' || tier::text, '')) stored,
  template text not null
    constraint prompt_versions_template_check check (char_length(template) >= 1 and char_length(template) <= 100000),
  variables text[] not null generated always as (private.prompt_template_variables(template)) stored,
  model text
    constraint prompt_versions_model_check
    check (model is null or (char_length(model) >= 1 and char_length(model) <= 128 and model !~ '[[:space:][:cntrl:]]')),
  params jsonb not null default '{}'
    constraint prompt_versions_params_check check (jsonb_typeof(params) = 'object' and pg_column_size(params) <= 16384),
  commit_message text
    constraint prompt_versions_commit_message_check check (commit_message is null or char_length(commit_message) <= 2000),
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  constraint prompt_versions_prompt_name_version_key unique (prompt_name, version)
);
comment on table public.prompt_versions is
  'Immutable versions of prompts: numbered 1, 2, 3… per prompt across its variants (provider, tier). Never updated; '
  'deleted only with their prompt.';
comment on column public.prompt_versions.tier is 'EX-AI''s tier, 0 to 3; null: the variant serves every tier.';
comment on column public.prompt_versions.variant is 'The variant''s key: the provider, then /tier when there is one (base, kimi, kimi/2).';
comment on column public.prompt_versions.template is 'The prompt text with {{variables}}, which the agent functions fill in.';
comment on column public.prompt_versions.variables is 'The template''s {{variables}}, in order of first appearance.';
comment on column public.prompt_versions.model is 'The model to call (e.g. openai/gpt-4o); null: the function''s default (OPENAI_DEFAULT_MODEL).';
comment on column public.prompt_versions.params is
  'Model parameters (temperature, max_tokens, top_p…) and agent settings (context_tokens: the context budget).';

-- a variant's newest version (latest)
create index prompt_versions_prompt_name_variant_version_idx on public.prompt_versions (prompt_name, variant, version desc);

alter table public.prompt_versions enable row level security;
revoke all on public.prompt_versions from anon, authenticated, service_role;
grant select on public.prompt_versions to authenticated;
grant insert (prompt_name, version, provider, tier, template, model, params, commit_message)
  on public.prompt_versions to authenticated;
grant select on public.prompt_versions to service_role;
grant insert (prompt_name, version, provider, tier, template, model, params, commit_message, created_by)
  on public.prompt_versions to service_role;

create policy prompt_versions_insert_registry on public.prompt_versions
  for insert to authenticated
  with check ((select private.prompt_role()) is not null);

-- Versions are immutable: no role has UPDATE or DELETE, and this trigger stops the table's owner
-- and superusers too. The one delete allowed is the cascade from deleting the prompt.
create function private.prompt_versions_refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from public.prompts p where p.name = old.prompt_name) then
    return old;
  end if;
  raise exception 'prompt versions are immutable' using errcode = '42501',
    hint = case tg_op when 'UPDATE' then 'Create a new version (create_prompt_version) and move the label to it.'
      else 'Move the labels away from it; a version is deleted only with its prompt.' end;
end
$$;

create trigger prompt_versions_100_refuse_change
  before update or delete on public.prompt_versions
  for each row execute function private.prompt_versions_refuse_change();

create table public.prompt_labels (
  prompt_name text not null references public.prompts (name) on delete cascade,
  label text not null
    constraint prompt_labels_label_check check (label ~ '^[a-z][a-z0-9_-]{0,39}$' and label <> 'latest'),
  provider text not null default 'base',
  tier smallint,
  variant text not null generated always as (provider || coalesce('/' || tier::text, '')) stored,
  version integer not null,
  moved_by uuid default auth.uid(),
  moved_at timestamptz not null default now(),
  constraint prompt_labels_pkey primary key (prompt_name, label, variant),
  constraint prompt_labels_version_fkey foreign key (prompt_name, version)
    references public.prompt_versions (prompt_name, version) on delete cascade
);
comment on table public.prompt_labels is
  'Where each label of a prompt variant points (production, staging, custom ones); moved by set_prompt_label, '
  'create_prompt_version and rollback_prompt, every move kept in prompt_label_history. latest is not stored: it is '
  'always the newest version.';
comment on column public.prompt_labels.version is 'The version the label points at (a version of this variant).';

-- the production labels a version has (the versions policy)
create index prompt_labels_prompt_name_version_idx on public.prompt_labels (prompt_name, version);

alter table public.prompt_labels enable row level security;
revoke all on public.prompt_labels from anon, authenticated, service_role;
grant select on public.prompt_labels to authenticated;
grant insert (prompt_name, label, provider, tier, version) on public.prompt_labels to authenticated;
grant update (version) on public.prompt_labels to authenticated;
grant select, insert, update, delete on public.prompt_labels to service_role;

-- (a policy of prompt_versions, stated here because it reads prompt_labels)
create policy prompt_versions_select_registry_or_production on public.prompt_versions
  for select to authenticated
  using (
    (select private.prompt_role()) is not null
    or exists (
      select 1 from public.prompt_labels l
      where l.prompt_name = prompt_versions.prompt_name and l.label = 'production'
        and l.version = prompt_versions.version
    )
  );

create policy prompt_labels_select_registry_or_builtin on public.prompt_labels
  for select to authenticated
  using (
    (select private.prompt_role()) is not null
    or (label = 'production'
      and exists (select 1 from public.agents a where a.owner_id is null and a.prompt_name = prompt_labels.prompt_name))
  );

create policy prompt_labels_insert_mover on public.prompt_labels
  for insert to authenticated
  with check (private.can_move_prompt_label(label));

create policy prompt_labels_update_mover on public.prompt_labels
  for update to authenticated
  using (private.can_move_prompt_label(label))
  with check (private.can_move_prompt_label(label));

-- A label points at a version of its own variant; the mover and time are the database's.
create function private.prompt_labels_before_write()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- (new.variant is not computed yet: generated columns are computed after BEFORE triggers)
  if not exists (
    select 1 from public.prompt_versions v
    where v.prompt_name = new.prompt_name and v.version = new.version and v.provider = new.provider
      and v.tier is not distinct from new.tier
  ) then
    perform private.invalid_parameter(pg_catalog.format('version %s of prompt %s is not a version of variant %s',
      new.version, new.prompt_name, new.provider || coalesce('/' || new.tier::text, '')));
  end if;
  if tg_op = 'UPDATE'
    and (new.prompt_name, new.label, new.provider, new.tier) is distinct from (old.prompt_name, old.label, old.provider, old.tier) then
    perform private.invalid_parameter('a label cannot change its prompt, name or variant');
  end if;
  new.moved_by := auth.uid();
  new.moved_at := pg_catalog.now();
  return new;
end
$$;

create trigger prompt_labels_100_check
  before insert or update on public.prompt_labels
  for each row execute function private.prompt_labels_before_write();

create table public.prompt_label_history (
  id bigint generated always as identity primary key,
  prompt_name text not null references public.prompts (name) on delete cascade,
  label text not null,
  variant text not null,
  from_version integer,
  to_version integer not null,
  action text not null
    constraint prompt_label_history_action_check check (action in ('set', 'rollback')),
  -- for a rollback: the move it undid (a set, undone at most once)
  undoes_id bigint references public.prompt_label_history (id) on delete cascade,
  moved_by uuid,
  moved_at timestamptz not null default now(),
  constraint prompt_label_history_undoes_id_key unique (undoes_id)
);
comment on table public.prompt_label_history is
  'Every move of a prompt label, oldest first (id): set (create_prompt_version, set_prompt_label) or rollback '
  '(rollback_prompt, undoing the set named by undoes_id). Written by a trigger on prompt_labels; append-only.';
comment on column public.prompt_label_history.from_version is 'Where the label pointed before (null: it was new).';

create index prompt_label_history_prompt_name_label_variant_id_idx
  on public.prompt_label_history (prompt_name, label, variant, id desc);

alter table public.prompt_label_history enable row level security;
revoke all on public.prompt_label_history from anon, authenticated, service_role;
grant select on public.prompt_label_history to authenticated, service_role;

create policy prompt_label_history_select_registry on public.prompt_label_history
  for select to authenticated
  using ((select private.prompt_role()) is not null);

-- Records every move of a label. Security definer: nobody may write the history directly, it is
-- only ever what the labels did. rollback_prompt names the move it undoes in the
-- transaction-local setting parley.prompt_label_undoes.
create function private.prompt_labels_record_move()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  undoes bigint := nullif(pg_catalog.current_setting('parley.prompt_label_undoes', true), '')::bigint;
begin
  if tg_op = 'UPDATE' and new.version = old.version then
    return null;
  end if;
  insert into public.prompt_label_history (prompt_name, label, variant, from_version, to_version, action, undoes_id,
    moved_by)
  values (new.prompt_name, new.label, new.variant, case when tg_op = 'UPDATE' then old.version end, new.version,
    case when undoes is null then 'set' else 'rollback' end, undoes, auth.uid());
  return null;
end
$$;

create trigger prompt_labels_900_record_move
  after insert or update of version on public.prompt_labels
  for each row execute function private.prompt_labels_record_move();

-- What get_prompt returns.
create type public.prompt_template as (
  name text,
  version integer,
  version_id uuid,
  variant text,
  provider text,
  tier smallint,
  label text,
  template text,
  variables text[],
  model text,
  params jsonb,
  created_at timestamptz
);
comment on type public.prompt_template is
  'A prompt version as get_prompt resolves it: the template, its {{variables}}, model and params, which variant and '
  'label (null when asked by version) it came from.';

-- The variants to try for a provider and tier, most specific first: provider/tier, provider,
-- base/tier, base.
create function private.prompt_variants(provider text, tier integer)
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  p text := coalesce(provider, 'base');
begin
  if p !~ '^[a-z][a-z0-9_-]{0,31}$' then
    perform private.invalid_parameter('provider must be lowercase letters, digits, _ or - (1 to 32 characters)');
  end if;
  if tier is not null and (tier < 0 or tier > 3) then
    perform private.invalid_parameter('tier must be 0, 1, 2 or 3');
  end if;
  if p = 'base' then
    return case when tier is null then array['base'] else array['base/' || tier, 'base'] end;
  end if;
  return case when tier is null then array[p, 'base'] else array[p || '/' || tier, p, 'base/' || tier, 'base'] end;
end
$$;
grant execute on function private.prompt_variants(text, integer) to authenticated, service_role;

-- RPC: the hot path of every agent call. PL/pgSQL, so its few statements are planned once per
-- session: a label is one scan of at most four rows of the labels' primary key plus the version by
-- its key; latest is one backward index probe per candidate variant; a version, one probe.
create function public.get_prompt(
  name text,
  label text default null,
  version integer default null,
  provider text default null,
  tier integer default null
)
returns public.prompt_template
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  result public.prompt_template;
  variants text[];
  wanted text := coalesce(get_prompt.label, 'production');
begin
  if get_prompt.name is null then
    perform private.invalid_parameter('name is required');
  end if;
  if get_prompt.version is not null then
    if get_prompt.label is not null then
      perform private.invalid_parameter('give label or version, not both');
    end if;
    select v.prompt_name, v.version, v.id, v.variant, v.provider, v.tier, null, v.template, v.variables, v.model,
      v.params, v.created_at
      into result
    from public.prompt_versions v
    where v.prompt_name = get_prompt.name and v.version = get_prompt.version;
  else
    variants := private.prompt_variants(get_prompt.provider, get_prompt.tier);
    if wanted = 'latest' then
      for i in 1..pg_catalog.array_length(variants, 1) loop
        select v.prompt_name, v.version, v.id, v.variant, v.provider, v.tier, 'latest', v.template, v.variables,
          v.model, v.params, v.created_at
          into result
        from public.prompt_versions v
        where v.prompt_name = get_prompt.name and v.variant = variants[i]
        order by v.version desc
        limit 1;
        exit when result.version_id is not null;
      end loop;
    else
      select v.prompt_name, v.version, v.id, v.variant, v.provider, v.tier, l.label, v.template, v.variables, v.model,
        v.params, v.created_at
        into result
      from public.prompt_labels l
      join public.prompt_versions v on v.prompt_name = l.prompt_name and v.version = l.version
      where l.prompt_name = get_prompt.name and l.label = wanted and l.variant = any (variants)
      order by pg_catalog.array_position(variants, l.variant)
      limit 1;
    end if;
  end if;
  if result.version_id is null then
    raise exception '%', case
        when get_prompt.version is not null
          then pg_catalog.format('version %s of prompt %s not found', get_prompt.version, get_prompt.name)
        else pg_catalog.format('prompt %s has no %s version', get_prompt.name, wanted)
      end
      using errcode = 'PT404', hint = 'list_prompt_versions lists the versions and their labels (prompt admins).';
  end if;
  return result;
end
$$;
grant execute on function public.get_prompt(text, text, integer, text, integer) to authenticated, service_role;
comment on function public.get_prompt(text, text, integer, text, integer) is
  'The prompt version an agent call uses: by label (default production; latest is the newest version), or by '
  'version number. provider (default base) and tier (0-3) pick the variant: the most specific one that has the '
  'label (provider/tier, provider, base/tier, base). Returns {name, version, version_id, variant, provider, tier, '
  'label, template, variables (the {{variables}} to fill in), model, params, created_at}. Signed-in users see only '
  'the production versions of the built-in agents'' prompts; the service role and prompt admins see every version. '
  'Errors: 22023 (400) label and version both given, bad provider or tier; PT404 (404) no such prompt, label or '
  'version (or not visible); anon is denied (401).';

-- Labels given to create_prompt_version, checked: an array of distinct label names, not latest.
create function private.check_prompt_labels(labels text[])
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  label text;
begin
  if labels is null then
    return '{}';
  end if;
  if cardinality(labels) > 20 then
    perform private.invalid_parameter('labels must name at most 20 labels');
  end if;
  foreach label in array labels loop
    if label is null or label !~ '^[a-z][a-z0-9_-]{0,39}$' then
      perform private.invalid_parameter(pg_catalog.format(
        'label %L must be lowercase letters, digits, _ or - (1 to 40 characters, starting with a letter)', label));
    end if;
    if label = 'latest' then
      perform private.invalid_parameter('latest is not a label to set: it always names the newest version');
    end if;
  end loop;
  if (select count(distinct l) from pg_catalog.unnest(labels) l) <> cardinality(labels) then
    perform private.invalid_parameter('labels must not repeat a label');
  end if;
  return labels;
end
$$;
grant execute on function private.check_prompt_labels(text[]) to authenticated, service_role;

-- Points a label of a version's variant at it (insert or move); the trigger records the move.
-- Returns the version the label pointed at before (null when it was new).
create function private.point_prompt_label(name text, label text, target public.prompt_versions)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  previous integer;
begin
  if not private.can_move_prompt_label(label) then
    perform private.deny_prompt_write(label);
  end if;
  select l.version into previous from public.prompt_labels l
  where l.prompt_name = point_prompt_label.name and l.label = point_prompt_label.label and l.variant = target.variant
  for update;
  if not found then
    insert into public.prompt_labels (prompt_name, label, provider, tier, version)
    values (point_prompt_label.name, point_prompt_label.label, target.provider, target.tier, target.version)
    on conflict on constraint prompt_labels_pkey do nothing;
    if found then
      return null;
    end if;
    -- a concurrent first move won: move it on from there
    select l.version into previous from public.prompt_labels l
    where l.prompt_name = point_prompt_label.name and l.label = point_prompt_label.label and l.variant = target.variant
    for update;
  end if;
  if previous <> target.version then
    update public.prompt_labels l set version = target.version
    where l.prompt_name = point_prompt_label.name and l.label = point_prompt_label.label and l.variant = target.variant;
  end if;
  return previous;
end
$$;
grant execute on function private.point_prompt_label(text, text, public.prompt_versions) to authenticated, service_role;

-- RPC: a new version of a prompt (and the prompt itself on first use), with labels moved to it.
create function public.create_prompt_version(
  name text,
  template text,
  model text default null,
  params jsonb default null,
  labels text[] default null,
  commit_message text default null,
  provider text default null,
  tier integer default null,
  description text default null,
  tags text[] default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  variant_key text;
  wanted_labels text[] := private.check_prompt_labels(create_prompt_version.labels);
  clean_model text := nullif(pg_catalog.btrim(create_prompt_version.model), '');
  clean_params jsonb := coalesce(create_prompt_version.params, '{}');
  clean_tags text[];
  prompt public.prompts;
  created_prompt boolean := false;
  newest public.prompt_versions;
  result public.prompt_versions;
  label text;
  moved jsonb := '[]';
  previous integer;
begin
  if private.prompt_role() is null then
    perform private.deny_prompt_write();
  end if;
  if create_prompt_version.name is null or create_prompt_version.name !~ '^[a-z][a-z0-9_.-]{0,127}$' then
    perform private.invalid_parameter(
      'name must be lowercase letters, digits, _, . or - (1 to 128 characters, starting with a letter)');
  end if;
  if create_prompt_version.template is null or pg_catalog.char_length(create_prompt_version.template) not between 1 and 100000
    or create_prompt_version.template !~ '[^[:space:]]' then
    perform private.invalid_parameter('template must be 1 to 100,000 characters, not blank');
  end if;
  if clean_model is not null and (pg_catalog.char_length(clean_model) > 128 or clean_model ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter('model must be 1 to 128 characters without spaces');
  end if;
  perform private.check_json_object(clean_params, 'params');
  if pg_catalog.char_length(create_prompt_version.commit_message) > 2000 then
    perform private.invalid_parameter('commit_message must be at most 2,000 characters');
  end if;
  variant_key := (private.prompt_variants(create_prompt_version.provider, create_prompt_version.tier))[1];
  if pg_catalog.char_length(create_prompt_version.description) > 2000 then
    perform private.invalid_parameter('description must be at most 2,000 characters');
  end if;
  if create_prompt_version.tags is not null then
    if cardinality(create_prompt_version.tags) > 20 or exists (
      select 1 from pg_catalog.unnest(create_prompt_version.tags) t
      where t is null or pg_catalog.btrim(t) !~ '^[[:alnum:]][[:alnum:] _./:-]{0,39}$'
    ) then
      perform private.invalid_parameter('tags must be at most 20 tags of 1 to 40 letters, digits, spaces, _ . / : or -');
    end if;
    clean_tags := array(select distinct pg_catalog.lower(pg_catalog.btrim(t)) from pg_catalog.unnest(create_prompt_version.tags) t order by 1);
  end if;
  foreach label in array wanted_labels loop
    if not private.can_move_prompt_label(label) then
      perform private.deny_prompt_write(label);
    end if;
  end loop;

  -- The prompt, locked: versions of one prompt are numbered one after the other.
  select p.* into prompt from public.prompts p where p.name = create_prompt_version.name for no key update;
  if not found then
    insert into public.prompts (name, description, tags)
    values (create_prompt_version.name, nullif(pg_catalog.btrim(create_prompt_version.description), ''),
      coalesce(clean_tags, '{}'))
    on conflict on constraint prompts_pkey do nothing;
    created_prompt := found;
    select p.* into prompt from public.prompts p where p.name = create_prompt_version.name for no key update;
  end if;
  if not created_prompt and (create_prompt_version.description is not null or clean_tags is not null) then
    update public.prompts p
    set description = case when create_prompt_version.description is null then p.description
          else nullif(pg_catalog.btrim(create_prompt_version.description), '') end,
        tags = coalesce(clean_tags, p.tags)
    where p.name = prompt.name;
  end if;

  -- The same template, model and params as the variant's newest version: that version (a retry).
  select v.* into newest from public.prompt_versions v
  where v.prompt_name = prompt.name and v.variant = variant_key
  order by v.version desc
  limit 1;
  if found and newest.template = create_prompt_version.template and newest.model is not distinct from clean_model
    and newest.params = clean_params then
    result := newest;
  else
    insert into public.prompt_versions (prompt_name, version, provider, tier, template, model, params, commit_message)
    values (prompt.name,
      coalesce((select v.version from public.prompt_versions v where v.prompt_name = prompt.name
        order by v.version desc limit 1), 0) + 1,
      coalesce(create_prompt_version.provider, 'base'), create_prompt_version.tier, create_prompt_version.template,
      clean_model, clean_params, nullif(pg_catalog.btrim(create_prompt_version.commit_message), ''))
    returning * into result;
  end if;

  foreach label in array wanted_labels loop
    previous := private.point_prompt_label(prompt.name, label, result);
    moved := moved || pg_catalog.jsonb_build_object('label', label, 'version', result.version,
      'previous_version', previous);
  end loop;
  return pg_catalog.jsonb_build_object(
    'created', result.id is distinct from newest.id,
    'created_prompt', created_prompt,
    'version', pg_catalog.to_jsonb(result),
    'labels', moved);
end
$$;
grant execute on function public.create_prompt_version(text, text, text, jsonb, text[], text, text, integer, text, text[])
  to authenticated, service_role;
comment on function public.create_prompt_version(text, text, text, jsonb, text[], text, text, integer, text, text[]) is
  'Prompt admins and editors, the service role: adds a version to a prompt (creating the prompt on first use) and '
  'moves the labels given to it. name: lowercase, 1-128 characters; template: the text with {{variables}} (1-100,000 '
  'characters); model (e.g. openai/gpt-4o; null: the function''s default); params: a JSON object (temperature, '
  'max_tokens… and context_tokens, the agent''s context budget); labels: e.g. {staging} or {production} (production '
  'only by admins and the service role; latest is never set: it is always the newest version); provider (default '
  'base) and tier (0-3, default none) make the version a variant''s; description and tags (at most 20) update the '
  'prompt when given. Versions are numbered 1, 2, 3… per prompt. The same template, model and params as the '
  'variant''s newest version creates nothing (a retry) but still moves the labels. Returns {created, created_prompt, '
  'version: <prompt_versions row>, labels: [{label, version, previous_version}]}. Errors: 22023 (400) naming the '
  'argument; 42501 (403) not a prompt admin or editor, or an editor moving production; anon is denied (401).';

-- RPC: moves a label to a version.
create function public.set_prompt_label(name text, label text, version integer)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  target public.prompt_versions;
  previous integer;
begin
  if private.prompt_role() is null then
    perform private.deny_prompt_write();
  end if;
  perform private.check_prompt_labels(array[set_prompt_label.label]);
  if set_prompt_label.version is null then
    perform private.invalid_parameter('version is required');
  end if;
  select v.* into target from public.prompt_versions v
  where v.prompt_name = set_prompt_label.name and v.version = set_prompt_label.version;
  if not found then
    raise exception '%', pg_catalog.format('version %s of prompt %s not found', set_prompt_label.version,
      set_prompt_label.name) using errcode = 'PT404', hint = 'list_prompt_versions lists the versions.';
  end if;
  previous := private.point_prompt_label(target.prompt_name, set_prompt_label.label, target);
  return pg_catalog.jsonb_build_object('name', target.prompt_name, 'label', set_prompt_label.label, 'variant',
    target.variant, 'version', target.version, 'previous_version', previous,
    'moved', previous is distinct from target.version);
end
$$;
grant execute on function public.set_prompt_label(text, text, integer) to authenticated, service_role;
comment on function public.set_prompt_label(text, text, integer) is
  'Prompt admins and editors, the service role: points the label (e.g. production, staging, a custom one) of the '
  'version''s variant at that version; the move is kept in the label history (rollback_prompt undoes it). Returns '
  '{name, label, variant, version, previous_version (null: a new label), moved (false when it already pointed '
  'there: nothing is written)}. production is moved only by prompt admins and the service role. Errors: 22023 (400) '
  'bad label (latest cannot be set); PT404 (404) no such version; 42501 (403) not allowed; anon is denied (401).';

-- RPC: moves a label back to where it pointed before its latest move that is not undone yet.
create function public.rollback_prompt(
  name text,
  label text default 'production',
  provider text default null,
  tier integer default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  wanted text := coalesce(rollback_prompt.label, 'production');
  variant_key text := (private.prompt_variants(rollback_prompt.provider, rollback_prompt.tier))[1];
  current_version integer;
  undone public.prompt_label_history;
begin
  if private.prompt_role() is null then
    perform private.deny_prompt_write();
  end if;
  perform private.check_prompt_labels(array[wanted]);
  if not private.can_move_prompt_label(wanted) then
    perform private.deny_prompt_write(wanted);
  end if;
  select l.version into current_version from public.prompt_labels l
  where l.prompt_name = rollback_prompt.name and l.label = wanted and l.variant = variant_key
  for update;
  if not found then
    raise exception '%', pg_catalog.format('prompt %s has no %s label for variant %s', rollback_prompt.name, wanted,
      variant_key) using errcode = 'PT404', hint = 'list_prompt_versions shows the labels of each version.';
  end if;
  -- the latest move that set the label and has not been undone
  select h.* into undone from public.prompt_label_history h
  where h.prompt_name = rollback_prompt.name and h.label = wanted and h.variant = variant_key and h.action = 'set'
    and not exists (select 1 from public.prompt_label_history u where u.undoes_id = h.id)
  order by h.id desc
  limit 1;
  if undone.id is null or undone.from_version is null then
    raise exception '%', pg_catalog.format('the %s label of prompt %s has no earlier version to go back to', wanted,
      rollback_prompt.name) using errcode = 'PT409', hint = 'set_prompt_label points it at any version.';
  end if;
  perform pg_catalog.set_config('parley.prompt_label_undoes', undone.id::text, true);
  update public.prompt_labels l set version = undone.from_version
  where l.prompt_name = rollback_prompt.name and l.label = wanted and l.variant = variant_key;
  perform pg_catalog.set_config('parley.prompt_label_undoes', '', true);
  return pg_catalog.jsonb_build_object('name', rollback_prompt.name, 'label', wanted, 'variant', variant_key,
    'version', undone.from_version, 'previous_version', current_version, 'moved', true);
end
$$;
grant execute on function public.rollback_prompt(text, text, text, integer) to authenticated, service_role;
comment on function public.rollback_prompt(text, text, text, integer) is
  'Prompt admins (editors for labels other than production), the service role: moves the label (default production) '
  'of the variant (provider default base, tier) back to the version it pointed at before its latest move that has '
  'not been undone: rolling back twice goes two moves back. Recorded in the label history as a rollback. Returns '
  '{name, label, variant, version (now), previous_version, moved}. Errors: PT404 (404) no such label; PT409 (409) no '
  'earlier version to go back to; 42501 (403) not allowed; anon is denied (401).';

-- RPC: the versions of a prompt, newest first.
create function public.list_prompt_versions(name text)
returns table (
  version integer,
  version_id uuid,
  variant text,
  provider text,
  tier smallint,
  model text,
  params jsonb,
  variables text[],
  commit_message text,
  labels text[],
  created_by uuid,
  created_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not exists (select 1 from public.prompts p where p.name = list_prompt_versions.name) then
    perform private.not_found('prompt', 'The prompt does not exist or you cannot see it.');
  end if;
  return query
  select v.version, v.id, v.variant, v.provider, v.tier, v.model, v.params, v.variables, v.commit_message,
    array(
      select l.label from public.prompt_labels l
      where l.prompt_name = v.prompt_name and l.version = v.version
      union all
      select 'latest' where v.version = (
        select n.version from public.prompt_versions n
        where n.prompt_name = v.prompt_name and n.variant = v.variant order by n.version desc limit 1)
      order by 1),
    v.created_by, v.created_at
  from public.prompt_versions v
  where v.prompt_name = list_prompt_versions.name
  order by v.version desc;
end
$$;
grant execute on function public.list_prompt_versions(text) to authenticated, service_role;
comment on function public.list_prompt_versions(text) is
  'The versions of a prompt, newest first, without their templates (get_prompt(name, version => n) returns one): '
  'version, version_id, variant, provider, tier, model, params, variables, commit_message, labels (those pointing '
  'at it, and latest for a variant''s newest), created_by, created_at. Signed-in users see only the production '
  'versions of the built-in agents'' prompts. Errors: PT404 (404) no such prompt (or not visible); anon is denied (401).';

-- RPC: what changed between two versions: the template as the artifacts' text diff, model, params.
create function public.diff_prompt_versions(name text, from_version integer, to_version integer)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  old_v public.prompt_versions;
  new_v public.prompt_versions;
begin
  if diff_prompt_versions.from_version is null or diff_prompt_versions.to_version is null then
    perform private.invalid_parameter('from_version and to_version are required');
  end if;
  select v.* into old_v from public.prompt_versions v
  where v.prompt_name = diff_prompt_versions.name and v.version = diff_prompt_versions.from_version;
  select v.* into new_v from public.prompt_versions v
  where v.prompt_name = diff_prompt_versions.name and v.version = diff_prompt_versions.to_version;
  if old_v.id is null or new_v.id is null then
    raise exception '%', pg_catalog.format('version %s of prompt %s not found',
      case when old_v.id is null then diff_prompt_versions.from_version else diff_prompt_versions.to_version end,
      diff_prompt_versions.name) using errcode = 'PT404', hint = 'list_prompt_versions lists the versions.';
  end if;
  return pg_catalog.jsonb_build_object(
    'name', diff_prompt_versions.name,
    'from_version', old_v.version,
    'to_version', new_v.version,
    'identical', old_v.template = new_v.template and old_v.model is not distinct from new_v.model
      and old_v.params = new_v.params and old_v.variant = new_v.variant,
    'template', case when old_v.template <> new_v.template then private.diff_text(old_v.template, new_v.template) end,
    'variables', case when old_v.variables <> new_v.variables then pg_catalog.jsonb_build_object(
      'added', array(select x from pg_catalog.unnest(new_v.variables) x except select y from pg_catalog.unnest(old_v.variables) y order by 1),
      'removed', array(select x from pg_catalog.unnest(old_v.variables) x except select y from pg_catalog.unnest(new_v.variables) y order by 1)) end,
    'model', case when old_v.model is distinct from new_v.model
      then pg_catalog.jsonb_build_object('from', old_v.model, 'to', new_v.model) end,
    'params', case when old_v.params <> new_v.params then private.diff_json(old_v.params, new_v.params, 'params') end,
    'variant', case when old_v.variant <> new_v.variant
      then pg_catalog.jsonb_build_object('from', old_v.variant, 'to', new_v.variant) end);
end
$$;
grant execute on function public.diff_prompt_versions(text, integer, integer) to authenticated, service_role;
comment on function public.diff_prompt_versions(text, integer, integer) is
  'Compares two versions of a prompt (either order): {name, from_version, to_version, identical, template, '
  'variables, model, params, variant}; a section is null when that part did not change. template is the artifacts'' '
  'text diff ({hunks, unified, lines_added, lines_removed, approximate}, see diff_artifact_versions); variables '
  '{added, removed}; model and variant {from, to}; params the JSON leaf diff {added, removed, changed} with paths '
  'such as params.temperature. Errors: 22023 (400); PT404 (404) no such version (or not visible); anon is denied (401).';

-- RPC: names a user as prompt admin or editor, or removes them.
create function public.service_role_set_prompt_admin(user_id uuid, role text default 'admin')
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  row public.prompt_admins;
begin
  if service_role_set_prompt_admin.user_id is null then
    perform private.invalid_parameter('user_id is required');
  end if;
  if service_role_set_prompt_admin.role is null then
    delete from public.prompt_admins a where a.user_id = service_role_set_prompt_admin.user_id;
    return pg_catalog.jsonb_build_object('user_id', service_role_set_prompt_admin.user_id, 'role', null);
  end if;
  if service_role_set_prompt_admin.role not in ('editor', 'admin') then
    perform private.invalid_parameter('role must be editor, admin or null (to remove)');
  end if;
  insert into public.prompt_admins (user_id, role)
  values (service_role_set_prompt_admin.user_id, service_role_set_prompt_admin.role)
  on conflict (user_id) do update set role = excluded.role
  returning * into row;
  return pg_catalog.to_jsonb(row);
exception
  when foreign_key_violation then
    perform private.not_found('user', 'No user has this id.');
end
$$;
grant execute on function public.service_role_set_prompt_admin(uuid, text) to service_role;
comment on function public.service_role_set_prompt_admin(uuid, text) is
  'Service role only: names a user prompt admin (role admin: everything, production included) or editor (versions '
  'and labels other than production); role null removes them. Returns {user_id, role, granted_at}. '
  'Errors: 22023 (400) bad role; PT404 (404) no such user.';

-- The production prompts of the built-in agents (reference data: db:diff carries changes of these
-- rows into migrations). Their versions are immutable: a change is a new version in a new row,
-- and a move of the production label.
insert into public.prompts (name, description, tags) values
  ('orchestrator', 'Routes each hardware-project request to the agent that should answer it.', '{ohm,routing}'),
  ('conversational', 'Talks the project through and keeps its context, MVP and requirements documents.', '{ohm,chat}'),
  ('bom_generator', 'Writes the bill of materials as a bom artifact.', '{ohm,artifact,bom}'),
  ('code_generator', 'Writes firmware in three success units as a code artifact.', '{ohm,artifact,code}'),
  ('wiring_generator', 'Writes pin-to-pin wiring steps as a wiring artifact.', '{ohm,artifact,wiring}'),
  ('dream_interpreter_jung', 'Interprets dreams after Carl Jung and names their themes.', '{somni,dreams}'),
  ('dream_interpreter_freud', 'Interprets dreams after Sigmund Freud and names their themes.', '{somni,dreams}');

insert into public.prompt_versions (prompt_name, version, template, model, params, commit_message) values
  ('orchestrator', 1,
   'You are the orchestrator of a hardware assistant. Read the user''s latest message in the context of the '
   || E'conversation and decide which agent answers it.\n\nAgents:\n{{agents}}\n\n'
   || 'Answer with JSON only: {"intent": one of chat, bom, code, wiring; "agent": the name of the agent; '
   || '"reason": one short sentence}. Pick bom_generator for parts lists, prices and part swaps, wiring_generator for '
   || 'connections and pinouts, code_generator for firmware, and conversational for everything else.',
   'openai/gpt-4o-mini', '{"temperature": 0, "max_tokens": 200, "context_tokens": 1500}',
   'The orchestrator''s routing prompt'),
  ('conversational', 1,
   'You are {{agent_name}}, the conversational agent of a hardware assistant. Today is {{date}}. Project: '
   || E'{{project}}.\n\nHelp the user shape their idea: ask what matters, explain trade-offs plainly, and keep the '
   || 'project''s documents current. When the idea is clear enough, write or update a context, mvp or prd artifact '
   || 'with the create_artifact or update_artifact tool (update_artifact needs the artifact''s id and its current '
   || 'version). Keep answers short.',
   'anthropic/claude-sonnet-4-5', '{"temperature": 0.7, "max_tokens": 1500, "context_tokens": 8000}',
   'The conversational agent''s prompt'),
  ('bom_generator', 1,
   'You are {{agent_name}}, the bill-of-materials agent of a hardware assistant. Today is {{date}}. Project: '
   || E'{{project}}.\n\nWrite the parts list as a bom artifact: call create_artifact with type bom and content_json '
   || '{"components": [{"name", "quantity" (integer > 0), "unit_price" (>= 0), "currency" (ISO 4217), and where known '
   || '"part_number", "manufacturer", "voltage", "interface_type", "supplier", "supplier_url"}]}. When the chat '
   || 'already has a BOM, change it with update_artifact (artifact_id, expected_version = its current version, the '
   || 'whole new content_json, a change_summary). If a tool answers with an error, fix the arguments and call it '
   || 'again. Then say in two or three sentences what you chose and why.',
   'openai/gpt-4o', '{"temperature": 0.2, "max_tokens": 4000, "context_tokens": 8000}',
   'The BOM agent''s prompt'),
  ('code_generator', 1,
   'You are {{agent_name}}, the firmware agent of a hardware assistant. Today is {{date}}. Project: {{project}}.'
   || E'\n\nWrite firmware in three success units (1 calibration, 2 minimal working code, 3 full implementation) as '
   || 'a code artifact: create_artifact with type code and content_json {"files": [{"filename", "language", '
   || '"content", "platform", "unit", "required_libraries", "production_ready"}]}, or update_artifact for an '
   || 'existing one (artifact_id, expected_version, the whole new content_json). Use the parts of the BOM and the '
   || 'pins of the wiring. Then explain briefly how to flash and test it.',
   'anthropic/claude-sonnet-4-5', '{"temperature": 0.2, "max_tokens": 8000, "context_tokens": 12000}',
   'The firmware agent''s prompt'),
  ('wiring_generator', 1,
   'You are {{agent_name}}, the wiring agent of a hardware assistant. Today is {{date}}. Project: {{project}}.'
   || E'\n\nWrite step-by-step, pin-to-pin wiring for the parts of the BOM as a wiring artifact: create_artifact '
   || 'with type wiring and content_json {"steps": [{"from_part", "from_pin", "to_part", "to_pin", "voltage", '
   || '"signal_type", "wire_color", "instruction", "warnings"}]} in assembly order (power runs from the supply to '
   || 'the part it powers), or update_artifact for an existing one. Warn about voltage mismatches.',
   'openai/gpt-4o', '{"temperature": 0.2, "max_tokens": 4000, "context_tokens": 8000}',
   'The wiring agent''s prompt'),
  ('dream_interpreter_jung', 1,
   'You are a Jungian dream interpreter. Read the dream through archetypes (the shadow, the anima and animus, the '
   || 'self, the persona), compensation and individuation; relate its images to the dreamer''s waking life without '
   || E'certainty, as possibilities. Write the interpretation in markdown, 150 to 400 words.\n\nThen name the dream''s '
   || 'themes from this catalogue only, each with a confidence from 0 to 1: {{themes}}.'
   || E'\n\nAnswer with JSON only: {"interpretation": markdown text, "summary": one sentence, "themes": '
   || '[{"theme": a name from the catalogue, "confidence": 0..1}]}.',
   'anthropic/claude-sonnet-4-5', '{"temperature": 0.7, "max_tokens": 2000}',
   'The Jungian interpreter''s prompt'),
  ('dream_interpreter_freud', 1,
   'You are a Freudian dream interpreter. Read the dream as disguised wish fulfilment: look for the latent content '
   || 'behind the manifest one, condensation, displacement and symbolisation, and day residues; offer readings, not '
   || E'verdicts. Write the interpretation in markdown, 150 to 400 words.\n\nThen name the dream''s themes from this '
   || 'catalogue only, each with a confidence from 0 to 1: {{themes}}.'
   || E'\n\nAnswer with JSON only: {"interpretation": markdown text, "summary": one sentence, "themes": '
   || '[{"theme": a name from the catalogue, "confidence": 0..1}]}.',
   'anthropic/claude-sonnet-4-5', '{"temperature": 0.7, "max_tokens": 2000}',
   'The Freudian interpreter''s prompt');

insert into public.prompt_labels (prompt_name, label, version) values
  ('orchestrator', 'production', 1),
  ('conversational', 'production', 1),
  ('bom_generator', 'production', 1),
  ('code_generator', 'production', 1),
  ('wiring_generator', 'production', 1),
  ('dream_interpreter_jung', 'production', 1),
  ('dream_interpreter_freud', 'production', 1);
