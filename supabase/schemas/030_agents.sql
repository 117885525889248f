-- agents: personas and interpreters (OHM's orchestrator, bom_generator…; Somni's Jung and Freud).
-- owner_id null = built-in, visible to every signed-in user; otherwise private to its owner.
create table public.agents (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid default auth.uid() references auth.users (id) on delete cascade,
  name text not null
    constraint agents_name_check check (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  display_name text not null
    constraint agents_display_name_check
    check (char_length(display_name) >= 1 and char_length(display_name) <= 80 and display_name !~ '[[:cntrl:]]'),
  kind text not null default 'assistant'
    constraint agents_kind_check check (kind in ('assistant', 'interpreter')),
  icon text
    constraint agents_icon_check check (icon is null or char_length(icon) between 1 and 16),
  description text
    constraint agents_description_check check (description is null or char_length(description) <= 2000),
  default_model text
    constraint agents_default_model_check
    check (default_model is null or (char_length(default_model) >= 1 and char_length(default_model) <= 128
      and default_model !~ '[[:space:][:cntrl:]]')),
  prompt_name text
    constraint agents_prompt_name_check
    check (prompt_name is null or (char_length(prompt_name) >= 1 and char_length(prompt_name) <= 128
      and prompt_name !~ '[[:space:][:cntrl:]]')),
  metadata jsonb not null default '{}'
    constraint agents_metadata_check check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 16384),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- one built-in agent per name, and one per name for each owner
  constraint agents_owner_id_name_key unique nulls not distinct (owner_id, name)
);
comment on table public.agents is
  'Agents: personas and interpreters that write assistant messages. owner_id null = built-in, visible to all signed-in users.';
comment on column public.agents.name is 'Stable identifier (lowercase snake_case), what messages record as agent_name.';
comment on column public.agents.prompt_name is 'Name of the system prompt the agent runs with.';

alter table public.agents enable row level security;
revoke all on public.agents from anon, authenticated, service_role;
grant select on public.agents to authenticated;
grant insert (name, display_name, kind, icon, description, default_model, prompt_name, metadata)
  on public.agents to authenticated;
grant select, insert, update, delete on public.agents to service_role;

create policy agents_select_builtin_or_own on public.agents
  for select to authenticated
  using (owner_id is null or owner_id = (select auth.uid()));

create policy agents_insert_own on public.agents
  for insert to authenticated
  with check (owner_id = (select auth.uid()));

create trigger agents_100_set_updated_at
  before update on public.agents
  for each row execute function private.set_updated_at();

-- The built-in agents (reference data: db:diff carries changes of these rows into migrations).
insert into public.agents (owner_id, name, display_name, kind, icon, description, default_model, prompt_name) values
  (null, 'orchestrator', 'Orchestrator', 'assistant', '🎯',
   'Reads each request, picks the intent (chat, BOM, code, wiring) and routes it to the right agent.',
   'openai/gpt-4o-mini', 'orchestrator'),
  (null, 'conversational', 'Conversational', 'assistant', '💡',
   'Talks the idea through and maintains the project context, MVP and requirements documents.',
   'anthropic/claude-sonnet-4-5', 'conversational'),
  (null, 'bom_generator', 'BOM generator', 'assistant', '📦',
   'Produces the bill of materials: parts, quantities, prices, alternatives and compatibility warnings.',
   'openai/gpt-4o', 'bom_generator'),
  (null, 'code_generator', 'Code generator', 'assistant', '💻',
   'Writes firmware in success units: calibration script, minimal working code, full implementation.',
   'anthropic/claude-sonnet-4-5', 'code_generator'),
  (null, 'wiring_generator', 'Wiring generator', 'assistant', '🔌',
   'Writes step-by-step, pin-to-pin wiring instructions with voltages and wire colours.',
   'openai/gpt-4o', 'wiring_generator'),
  (null, 'jungian_interpreter', 'Jungian interpreter', 'interpreter', '🌗',
   'Interprets dreams through archetypes, the shadow and individuation, after Carl Jung.',
   'anthropic/claude-sonnet-4-5', 'dream_interpreter_jung'),
  (null, 'freudian_interpreter', 'Freudian interpreter', 'interpreter', '🛋️',
   'Interprets dreams as disguised wish fulfilment through condensation and displacement, after Sigmund Freud.',
   'anthropic/claude-sonnet-4-5', 'dream_interpreter_freud');

-- RPC: the agents the caller can use.
create function public.list_agents()
returns setof public.agents
language sql
stable
security invoker
set search_path = ''
as $$
  select a.* from public.agents a
  order by a.owner_id is not null, a.kind, a.name
$$;
grant execute on function public.list_agents() to authenticated;
comment on function public.list_agents() is
  'The agents the caller can use: the built-in ones, then their own. Returns setof agents '
  '(id, owner_id (null = built-in), name, display_name, kind assistant|interpreter, icon, description, '
  'default_model, prompt_name, metadata, created_at, updated_at). Anon is denied (401).';

-- RPC: a private agent of the caller's.
create function public.create_agent(
  name text,
  display_name text,
  kind text default 'assistant',
  icon text default null,
  description text default null,
  default_model text default null,
  prompt_name text default null,
  metadata jsonb default '{}'
)
returns public.agents
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  agent public.agents;
begin
  if create_agent.name is null or create_agent.name !~ '^[a-z][a-z0-9_]{0,63}$' then
    perform private.invalid_parameter('name must be lowercase snake_case of 1 to 64 characters, starting with a letter');
  end if;
  if create_agent.kind is null or create_agent.kind not in ('assistant', 'interpreter') then
    perform private.invalid_parameter('kind must be assistant or interpreter');
  end if;
  perform private.check_json_object(create_agent.metadata, 'metadata');
  insert into public.agents (name, display_name, kind, icon, description, default_model, prompt_name, metadata)
  values (
    create_agent.name,
    private.clean_label(create_agent.display_name, 'display_name', 80),
    create_agent.kind,
    private.clean_label(create_agent.icon, 'icon', 16, true),
    nullif(pg_catalog.btrim(create_agent.description), ''),
    private.clean_label(create_agent.default_model, 'default_model', 128, true),
    private.clean_label(create_agent.prompt_name, 'prompt_name', 128, true),
    coalesce(create_agent.metadata, '{}')
  )
  returning * into agent;
  return agent;
exception
  when unique_violation then
    raise exception '%', pg_catalog.format('you already have an agent named %L', create_agent.name)
      using errcode = '23505', hint = 'Agent names are unique per owner.';
  when not_null_violation then
    perform private.invalid_parameter('display_name is required');
  when check_violation then
    perform private.invalid_parameter(pg_catalog.format('invalid agent (%s)', sqlerrm));
end
$$;
grant execute on function public.create_agent(text, text, text, text, text, text, text, jsonb) to authenticated;
comment on function public.create_agent(text, text, text, text, text, text, text, jsonb) is
  'Creates a private agent owned by the caller and returns it (an agents row). name: lowercase snake_case, '
  'unique per owner; kind assistant|interpreter. Errors: 22023 (400) invalid argument; 23505 (409) the name is taken.';
