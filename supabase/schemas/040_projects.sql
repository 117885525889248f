-- Hardware projects (OHM): what a user is building, its goal and budget. A project has many chats
-- and the artifacts they produce; its BOM, wiring and code are materialised from artifact versions
-- (220_hardware.sql).

-- ISO 4217: the active currency codes (no funds, metals or test codes). BOM prices and project
-- budgets are in one of these.
create function private.is_currency_code(code text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select code = any ('{AED,AFN,ALL,AMD,ANG,AOA,ARS,AUD,AWG,AZN,BAM,BBD,BDT,BGN,BHD,BIF,BMD,BND,BOB,BRL,BSD,BTN,
    BWP,BYN,BZD,CAD,CDF,CHF,CLP,CNY,COP,CRC,CUC,CUP,CVE,CZK,DJF,DKK,DOP,DZD,EGP,ERN,ETB,EUR,FJD,FKP,GBP,GEL,GHS,
    GIP,GMD,GNF,GTQ,GYD,HKD,HNL,HTG,HUF,IDR,ILS,INR,IQD,IRR,ISK,JMD,JOD,JPY,KES,KGS,KHR,KMF,KPW,KRW,KWD,KYD,KZT,
    LAK,LBP,LKR,LRD,LSL,LYD,MAD,MDL,MGA,MKD,MMK,MNT,MOP,MRU,MUR,MVR,MWK,MXN,MYR,MZN,NAD,NGN,NIO,NOK,NPR,NZD,OMR,
    PAB,PEN,PGK,PHP,PKR,PLN,PYG,QAR,RON,RSD,RUB,RWF,SAR,SBD,SCR,SDG,SEK,SGD,SHP,SLE,SLL,SOS,SRD,SSP,STN,SVC,SYP,
    SZL,THB,TJS,TMT,TND,TOP,TRY,TTD,TWD,TZS,UAH,UGX,USD,UYU,UZS,VED,VES,VND,VUV,WST,XAF,XCD,XCG,XOF,XPF,YER,ZAR,
    ZMW,ZWG,ZWL}'::text[])
$$;
comment on function private.is_currency_code(text) is 'Whether code is an active ISO 4217 currency code (upper case).';
grant execute on function private.is_currency_code(text) to authenticated, service_role;

create table public.projects (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null
    constraint projects_name_check
    check (char_length(name) >= 1 and char_length(name) <= 200 and name !~ '[[:cntrl:]]' and name = btrim(name)),
  description text
    constraint projects_description_check check (description is null or char_length(description) <= 10000),
  category text
    constraint projects_category_check
    check (category is null or (char_length(category) >= 1 and char_length(category) <= 80 and category !~ '[[:cntrl:]]')),
  goal text
    constraint projects_goal_check check (goal is null or char_length(goal) <= 4000),
  location text
    constraint projects_location_check
    check (location is null or (char_length(location) >= 1 and char_length(location) <= 200 and location !~ '[[:cntrl:]]')),
  target_budget numeric
    constraint projects_target_budget_check check (target_budget is null or (target_budget >= 0 and target_budget < 1e12)),
  currency char(3) not null default 'USD'
    constraint projects_currency_check check (private.is_currency_code(currency)),
  status text not null default 'draft'
    constraint projects_status_check check (status in ('draft', 'active', 'completed', 'archived')),
  current_step text
    constraint projects_current_step_check check (current_step is null or current_step ~ '^[a-z][a-z0-9_]{0,39}$'),
  metadata jsonb not null default '{}'
    constraint projects_metadata_check check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 16384),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  client_id private.token_200
);
comment on table public.projects is
  'Hardware projects: goal, location, budget and status. A project has many chats; its BOM parts, wiring connections '
  'and code files come from the current versions of its bom, wiring and code artifacts (get_project).';
comment on column public.projects.target_budget is 'Budget for the parts, in currency; get_project compares the BOM total with it.';
comment on column public.projects.currency is 'ISO 4217 code of target_budget; BOM parts priced in another currency are left out of the total.';
comment on column public.projects.current_step is 'Where the project is in the app''s workflow (e.g. ideation, parts, assembly, code).';
comment on column public.projects.client_id is 'The id a sync client gave the project (unique per owner); see push_changes.';

create index projects_owner_id_updated_at_idx on public.projects (owner_id, updated_at desc, id desc);
create unique index projects_owner_id_client_id_key on public.projects (owner_id, client_id) where client_id is not null;

alter table public.projects enable row level security;
revoke all on public.projects from anon, authenticated, service_role;
grant select on public.projects to authenticated;
grant insert (id, client_id, name, description, category, goal, location, target_budget, currency, status, current_step,
  metadata) on public.projects to authenticated;
grant update (name, description, category, goal, location, target_budget, currency, status, current_step, metadata)
  on public.projects to authenticated;
grant delete on public.projects to authenticated;
grant select, insert, update, delete on public.projects to service_role;

create policy projects_select_owner on public.projects
  for select to authenticated
  using (owner_id = (select auth.uid()));

create policy projects_insert_owner on public.projects
  for insert to authenticated
  with check (owner_id = (select auth.uid()));

create policy projects_update_owner on public.projects
  for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()));

create policy projects_delete_owner on public.projects
  for delete to authenticated
  using (owner_id = (select auth.uid()));

create trigger projects_100_set_updated_at
  before update on public.projects
  for each row execute function private.set_updated_at();

-- RLS helper: whether the calling user owns the project. Security definer like the chat helpers,
-- so other tables' policies can ask without going through projects' own policies; PL/pgSQL so its
-- query keeps its plan for the session.
create function private.owns_project(project_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.projects p
    where p.id = owns_project.project_id and p.owner_id = auth.uid()
  );
end
$$;
comment on function private.owns_project(uuid) is 'Whether the calling user owns the project.';
grant execute on function private.owns_project(uuid) to authenticated;

-- The project fields create_project and update_project share: raises 22023 naming the field.
create function private.check_project_fields(
  name text, description text, category text, goal text, location text, target_budget numeric, currency text,
  status text, current_step text, metadata jsonb
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if name is not null and (char_length(btrim(name)) not between 1 and 200 or name ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('name must be 1 to 200 characters without control characters');
  end if;
  if char_length(description) > 10000 then
    perform private.invalid_parameter('description must be at most 10,000 characters');
  end if;
  -- '' is allowed: update_project clears the field with it
  if category is not null and (char_length(btrim(category)) > 80 or category ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('category must be at most 80 characters without control characters');
  end if;
  if char_length(goal) > 4000 then
    perform private.invalid_parameter('goal must be at most 4,000 characters');
  end if;
  if location is not null and (char_length(btrim(location)) > 200 or location ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('location must be at most 200 characters without control characters');
  end if;
  if target_budget < 0 or target_budget >= 1e12 then
    perform private.invalid_parameter('target_budget must be a non-negative amount below 10^12');
  end if;
  if currency is not null and not private.is_currency_code(currency) then
    perform private.invalid_parameter(pg_catalog.format('currency %L is not an ISO 4217 currency code', currency),
      'Use an upper-case code such as USD, EUR or GBP.');
  end if;
  if status is not null and status not in ('draft', 'active', 'completed', 'archived') then
    perform private.invalid_parameter(
      pg_catalog.format('status %L is not one of draft, active, completed, archived', status));
  end if;
  if current_step is not null and current_step !~ '^[a-z][a-z0-9_]{0,39}$' then
    perform private.invalid_parameter('current_step must be a lowercase identifier of at most 40 characters');
  end if;
  if metadata is not null and (jsonb_typeof(metadata) <> 'object' or pg_column_size(metadata) > 16384) then
    perform private.invalid_parameter('metadata must be a JSON object of at most 16 kB');
  end if;
end
$$;
grant execute on function private.check_project_fields(text, text, text, text, text, numeric, text, text, text, jsonb)
  to authenticated;

create function public.create_project(
  name text,
  description text default null,
  category text default null,
  goal text default null,
  location text default null,
  target_budget numeric default null,
  currency text default null,
  metadata jsonb default null
)
returns public.projects
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  project public.projects;
begin
  if create_project.name is null then
    perform private.invalid_parameter('name is required');
  end if;
  perform private.check_project_fields(create_project.name, create_project.description, create_project.category,
    create_project.goal, create_project.location, create_project.target_budget, create_project.currency, null, null,
    create_project.metadata);
  insert into public.projects (name, description, category, goal, location, target_budget, currency, metadata)
  values (
    btrim(create_project.name), create_project.description, nullif(btrim(create_project.category), ''),
    create_project.goal, nullif(btrim(create_project.location), ''), create_project.target_budget,
    coalesce(create_project.currency, 'USD'), coalesce(create_project.metadata, '{}')
  )
  returning * into project;
  return project;
end
$$;
grant execute on function public.create_project(text, text, text, text, text, numeric, text, jsonb) to authenticated;
comment on function public.create_project(text, text, text, text, text, numeric, text, jsonb) is
  'Creates a hardware project owned by the caller and returns it (a projects row, status draft). name: 1-200 '
  'characters; target_budget: an amount >= 0 in currency (ISO 4217, default USD); metadata: a JSON object <= 16 kB. '
  'Link chats to it with create_chat/update_chat (project_id). Errors: 22023 (400) naming the invalid field; '
  'anon is denied (401).';

-- RPC: null arguments leave fields unchanged.
create function public.update_project(
  project_id uuid,
  name text default null,
  description text default null,
  category text default null,
  goal text default null,
  location text default null,
  target_budget numeric default null,
  currency text default null,
  status text default null,
  current_step text default null,
  metadata jsonb default null
)
returns public.projects
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  project public.projects;
begin
  perform private.check_project_fields(update_project.name, update_project.description, update_project.category,
    update_project.goal, update_project.location, update_project.target_budget, update_project.currency,
    update_project.status, update_project.current_step, update_project.metadata);
  -- An empty string clears an optional text field; metadata is merged (a null value removes a key).
  update public.projects p
  set name = coalesce(btrim(update_project.name), p.name),
      description = case when update_project.description is null then p.description
        else nullif(update_project.description, '') end,
      category = case when update_project.category is null then p.category
        else nullif(btrim(update_project.category), '') end,
      goal = case when update_project.goal is null then p.goal else nullif(update_project.goal, '') end,
      location = case when update_project.location is null then p.location
        else nullif(btrim(update_project.location), '') end,
      target_budget = coalesce(update_project.target_budget, p.target_budget),
      currency = coalesce(update_project.currency, p.currency),
      status = coalesce(update_project.status, p.status),
      current_step = coalesce(update_project.current_step, p.current_step),
      metadata = case when update_project.metadata is null then p.metadata
        else (p.metadata || update_project.metadata) - array(
          select s.key from jsonb_each(update_project.metadata) s where s.value = 'null'::jsonb) end
  where p.id = update_project.project_id
  returning p.* into project;
  if not found then
    perform private.not_found('project');
  end if;
  return project;
exception
  when check_violation then
    if sqlerrm like '%projects_metadata_check%' then
      perform private.invalid_parameter('metadata must be a JSON object of at most 16 kB');
    end if;
    raise;
end
$$;
grant execute on function public.update_project(uuid, text, text, text, text, text, numeric, text, text, text, jsonb)
  to authenticated;
comment on function public.update_project(uuid, text, text, text, text, text, numeric, text, text, text, jsonb) is
  'Changes a project (owner only) and returns it (a projects row). Omitted (null) arguments leave fields unchanged; '
  'an empty string clears description, category, goal or location; metadata is merged (a null value removes a key). status: '
  'draft, active, completed or archived. Errors: PT404 (404) when the project is not the caller''s; 22023 (400) '
  'naming the invalid field; anon is denied (401).';

create function public.list_projects()
returns setof public.projects
language sql
stable
security invoker
set search_path = ''
as $$
  select p.* from public.projects p
  where p.owner_id = (select auth.uid())
  order by p.updated_at desc, p.id desc
$$;
grant execute on function public.list_projects() to authenticated;
comment on function public.list_projects() is
  'The caller''s projects (projects rows), most recently updated first. Anon is denied (401).';

create function public.delete_project(project_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  delete from public.projects p where p.id = delete_project.project_id;
  if not found then
    perform private.not_found('project');
  end if;
  return true;
end
$$;
grant execute on function public.delete_project(uuid) to authenticated;
comment on function public.delete_project(uuid) is
  'Deletes a project (owner only) and returns true. Its chats stay (unlinked); artifacts that belong only to the '
  'project are deleted with their versions, artifacts that also belong to a chat stay in the chat. Sync clients '
  'see the deletion (a tombstone in sync_tombstones: pull_changes reports the id as deleted). '
  'Errors: PT404 (404) when the project is not the caller''s; anon is denied (401).';
