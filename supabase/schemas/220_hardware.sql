-- The hardware projection (OHM's parts, connections, code_files): each version of a project's bom,
-- wiring or code artifact is materialised into rows keyed by that version, so every version stays
-- queryable, and get_project assembles a project's current parts, wiring and code with rollups and
-- compatibility warnings computed in SQL. Only the trigger on artifact_versions writes these rows;
-- like the versions they come from, they never change.
create table public.parts (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  artifact_id uuid not null,
  artifact_version_id uuid not null references public.artifact_versions (id) on delete cascade,
  position integer not null,
  name text not null,
  part_number text,
  manufacturer text,
  quantity integer not null,
  unit_price numeric not null,
  currency char(3) not null,
  line_total numeric generated always as (quantity * unit_price) stored,
  voltage text,
  voltage_min numeric,
  voltage_max numeric,
  current text,
  interface_type text,
  supplier text,
  supplier_url text,
  specs jsonb,
  alternatives jsonb,
  created_at timestamptz not null default now(),
  constraint parts_artifact_version_id_position_key unique (artifact_version_id, position)
);
comment on table public.parts is
  'BOM components materialised from each version of a project''s bom artifacts (content_json.components[position]).';
comment on column public.parts.voltage is 'The rated voltage as the BOM gives it; voltage_min/voltage_max are it in volts.';

create table public.connections (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  artifact_id uuid not null,
  artifact_version_id uuid not null references public.artifact_versions (id) on delete cascade,
  step_number integer not null,
  from_part text not null,
  from_pin text not null,
  from_pin_type text,
  to_part text not null,
  to_pin text not null,
  to_pin_type text,
  voltage text,
  voltage_min numeric,
  voltage_max numeric,
  signal_type text,
  wire_color text,
  instruction text,
  warnings text[] not null default '{}',
  created_at timestamptz not null default now(),
  constraint connections_artifact_version_id_step_number_key unique (artifact_version_id, step_number)
);
comment on table public.connections is
  'Wiring steps materialised from each version of a project''s wiring artifacts; step_number = position + 1.';

create table public.code_files (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  artifact_id uuid not null,
  artifact_version_id uuid not null references public.artifact_versions (id) on delete cascade,
  position integer not null,
  filename text not null,
  language text not null,
  platform text,
  content text not null,
  unit smallint
    constraint code_files_unit_check check (unit between 1 and 3),
  required_libraries text[] not null default '{}',
  production_ready boolean not null default false,
  created_at timestamptz not null default now(),
  constraint code_files_artifact_version_id_position_key unique (artifact_version_id, position)
);
comment on table public.code_files is
  'Firmware files materialised from each version of a project''s code artifacts. unit: 1 calibration, 2 minimal, 3 full.';

-- deleting a project cascades through these
create index parts_project_id_idx on public.parts (project_id);
create index connections_project_id_idx on public.connections (project_id);
create index code_files_project_id_idx on public.code_files (project_id);

-- Read-only projections: readers of the artifact (or the project's owner) select; only the trigger
-- writes. The owner's case comes first, one hashed lookup in the caller's projects computed once
-- per statement (get_project reads hundreds of rows of one project); the per-row helper runs only
-- for everyone else.
alter table public.parts enable row level security;
alter table public.connections enable row level security;
alter table public.code_files enable row level security;
revoke all on public.parts, public.connections, public.code_files from anon, authenticated, service_role;
grant select on public.parts, public.connections, public.code_files to authenticated, service_role;

create policy parts_select_reader on public.parts
  for select to authenticated
  using (project_id in (select p.id from public.projects p where p.owner_id = (select auth.uid()))
    or private.has_role_on_artifact(artifact_id));

create policy connections_select_reader on public.connections
  for select to authenticated
  using (project_id in (select p.id from public.projects p where p.owner_id = (select auth.uid()))
    or private.has_role_on_artifact(artifact_id));

create policy code_files_select_reader on public.code_files
  for select to authenticated
  using (project_id in (select p.id from public.projects p where p.owner_id = (select auth.uid()))
    or private.has_role_on_artifact(artifact_id));

-- The text of an optional JSON string field (null when absent or JSON null).
create function private.json_text(value jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when jsonb_typeof(value) in ('string', 'number', 'boolean') then value #>> '{}' end
$$;
grant execute on function private.json_text(jsonb) to authenticated, service_role;

-- Materialises a new version of a project's bom, wiring or code artifact (validated by the
-- before-insert trigger). Security definer: nobody may write these tables.
create function private.artifact_versions_materialise()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  artifact record;
begin
  select a.type, a.project_id into artifact from public.artifacts a where a.id = new.artifact_id;
  if artifact.project_id is null or new.content_json is null then
    return null;
  end if;
  -- Fields come out of each item with jsonb_to_record (strings unquoted, JSON null as NULL; the
  -- content was validated before), and each distinct voltage is parsed once.
  case artifact.type
    when 'bom' then
      with volts as materialized (
        select x.value, private.parse_voltage(x.value) as range
        from (select distinct e.value -> 'voltage' as value from jsonb_array_elements(new.content_json -> 'components') e
              offset 0) x
      )
      insert into public.parts (project_id, artifact_id, artifact_version_id, position, name, part_number, manufacturer,
        quantity, unit_price, currency, voltage, voltage_min, voltage_max, current, interface_type, supplier, supplier_url,
        specs, alternatives)
      select artifact.project_id, new.artifact_id, new.id, e.ordinality - 1, btrim(r.name), nullif(btrim(r.part_number), ''),
        r.manufacturer, r.quantity::integer, r.unit_price, r.currency, r.voltage #>> '{}', v.range[1], v.range[2],
        r.current #>> '{}', r.interface_type, r.supplier, r.supplier_url,
        case when jsonb_typeof(r.specs) = 'object' then r.specs end,
        case when jsonb_typeof(r.alternatives) = 'array' then r.alternatives end
      from jsonb_array_elements(new.content_json -> 'components') with ordinality e
      cross join lateral jsonb_to_record(e.value) as r (name text, part_number text, manufacturer text, quantity numeric,
        unit_price numeric, currency text, voltage jsonb, current jsonb, interface_type text, supplier text, supplier_url text,
        specs jsonb, alternatives jsonb)
      left join volts v on v.value = e.value -> 'voltage';
    when 'wiring' then
      with volts as materialized (
        select x.value, private.parse_voltage(x.value) as range
        from (select distinct e.value -> 'voltage' as value from jsonb_array_elements(new.content_json -> 'steps') e
              offset 0) x
      )
      insert into public.connections (project_id, artifact_id, artifact_version_id, step_number, from_part, from_pin,
        from_pin_type, to_part, to_pin, to_pin_type, voltage, voltage_min, voltage_max, signal_type, wire_color,
        instruction, warnings)
      select artifact.project_id, new.artifact_id, new.id, e.ordinality, btrim(r.from_part), btrim(r.from_pin),
        r.from_pin_type, btrim(r.to_part), btrim(r.to_pin), r.to_pin_type, r.voltage #>> '{}', v.range[1], v.range[2],
        lower(r.signal_type), r.wire_color, r.instruction,
        case when jsonb_typeof(r.warnings) = 'array' then array(select jsonb_array_elements_text(r.warnings)) else '{}' end
      from jsonb_array_elements(new.content_json -> 'steps') with ordinality e
      cross join lateral jsonb_to_record(e.value) as r (from_part text, from_pin text, from_pin_type text, to_part text,
        to_pin text, to_pin_type text, voltage jsonb, signal_type text, wire_color text, instruction text, warnings jsonb)
      left join volts v on v.value = e.value -> 'voltage';
    when 'code' then
      insert into public.code_files (project_id, artifact_id, artifact_version_id, position, filename, language, platform,
        content, unit, required_libraries, production_ready)
      select artifact.project_id, new.artifact_id, new.id, e.ordinality - 1, r.filename, r.language, r.platform, r.content,
        r.unit, case when jsonb_typeof(r.required_libraries) = 'array'
          then array(select jsonb_array_elements_text(r.required_libraries)) else '{}' end,
        coalesce(r.production_ready, false)
      from jsonb_array_elements(new.content_json -> 'files') with ordinality e
      cross join lateral jsonb_to_record(e.value) as r (filename text, language text, platform text, content text,
        unit smallint, required_libraries jsonb, production_ready boolean);
    else
      null;
  end case;
  return null;
end
$$;

create trigger artifact_versions_200_materialise
  after insert on public.artifact_versions
  for each row execute function private.artifact_versions_materialise();

-- A voltage range for people: "3.3 V", "3.3-5 V".
create function private.format_voltage(low numeric, high numeric)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when low is null then null
    when low = high then trim_scale(low)::text || ' V'
    else trim_scale(low)::text || '-' || trim_scale(high)::text || ' V'
  end
$$;
grant execute on function private.format_voltage(numeric, numeric) to authenticated, service_role;

create function public.get_project(project_id uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  project public.projects;
  result jsonb;
begin
  select p.* into project from public.projects p where p.id = get_project.project_id;
  if not found then
    perform private.not_found('project');
  end if;

  with sources as materialized (
    select a.id, a.type, a.title, a.current_version, a.current_version_id, a.created_at
    from public.artifacts a
    where a.project_id = project.id and a.type in ('bom', 'wiring', 'code') and a.hidden_at is null
      and a.current_version_id is not null
  ),
  bom as materialized (
    select p.*, s.created_at as source_created_at
    from sources s
    join public.parts p on p.artifact_version_id = s.current_version_id
    where s.type = 'bom'
  ),
  wiring as materialized (
    select c.*, s.created_at as source_created_at
    from sources s
    join public.connections c on c.artifact_version_id = s.current_version_id
    where s.type = 'wiring'
  ),
  code as (
    select f.*, s.created_at as source_created_at
    from sources s
    join public.code_files f on f.artifact_version_id = s.current_version_id
    where s.type = 'code'
  ),
  -- each BOM part under its name and its part number (case-insensitive; the first one wins), as
  -- one JSON object: looking a wire's parts up in it costs the same whatever the planner knows
  part_map as materialized (
    select coalesce(jsonb_object_agg(k.key, jsonb_build_object('name', k.name, 'min', k.voltage_min, 'max', k.voltage_max)),
      '{}') as m
    from (
      select distinct on (k.key) k.key, b.name, b.voltage_min, b.voltage_max
      from bom b
      cross join lateral (values (lower(btrim(b.name))), (lower(btrim(b.part_number)))) k (key)
      where k.key is not null
      order by k.key, b.source_created_at, b.artifact_id, b.position
    ) k
  ),
  steps as materialized (
    select w.step_number, w.artifact_id, w.from_part, w.to_part, w.signal_type, w.voltage_min, w.voltage_max,
      l.fp ->> 'name' as from_name, (l.fp ->> 'min')::numeric as from_min, (l.fp ->> 'max')::numeric as from_max,
      l.tp ->> 'name' as to_name, (l.tp ->> 'min')::numeric as to_min, (l.tp ->> 'max')::numeric as to_max,
      w.source_created_at
    from wiring w
    cross join part_map pm
    cross join lateral (select pm.m -> lower(w.from_part) as fp, pm.m -> lower(w.to_part) as tp) l
  ),
  totals as (
    select coalesce(sum(b.quantity), 0) as part_count, count(*) as line_count,
      coalesce(sum(b.line_total) filter (where b.currency = project.currency), 0) as total_cost
    from bom b
  ),
  warnings as (
    -- a wire names a part that is not in the BOM
    select 1 as rank, s.source_created_at, s.artifact_id, s.step_number, jsonb_build_object(
      'kind', 'unknown_part', 'step_number', s.step_number, 'artifact_id', s.artifact_id, 'part', e.part, 'end', e.side,
      'message', pg_catalog.format('Step %s: %s is not in the bill of materials', s.step_number, e.part)) as warning
    from steps s
    cross join lateral (values ('from', s.from_part, s.from_name), ('to', s.to_part, s.to_name)) e (side, part, name)
    where e.name is null
    union all
    -- a signal between parts rated for voltages that do not overlap
    select 2, s.source_created_at, s.artifact_id, s.step_number, jsonb_build_object(
      'kind', 'voltage_mismatch', 'step_number', s.step_number, 'artifact_id', s.artifact_id,
      'from_part', s.from_name, 'from_voltage', private.format_voltage(s.from_min, s.from_max),
      'to_part', s.to_name, 'to_voltage', private.format_voltage(s.to_min, s.to_max),
      'message', pg_catalog.format('Step %s: %s (%s) and %s (%s) have different logic voltages; add a level shifter',
        s.step_number, s.from_name, private.format_voltage(s.from_min, s.from_max), s.to_name,
        private.format_voltage(s.to_min, s.to_max)))
    from steps s
    where s.signal_type not in ('power', 'ground') and s.from_min is not null and s.to_min is not null
      and (s.from_max < s.to_min or s.to_max < s.from_min)
    union all
    -- a supply outside the rated voltage of the part it powers (the wire's voltage, or else the
    -- supplying part's)
    select 3, s.source_created_at, s.artifact_id, s.step_number, jsonb_build_object(
      'kind', 'supply_voltage_mismatch', 'step_number', s.step_number, 'artifact_id', s.artifact_id,
      'part', s.to_name, 'rated_voltage', private.format_voltage(s.to_min, s.to_max),
      'supply_voltage', private.format_voltage(coalesce(s.voltage_min, s.from_min), coalesce(s.voltage_max, s.from_max)),
      'message', pg_catalog.format('Step %s: %s is rated %s but is powered with %s', s.step_number, s.to_name,
        private.format_voltage(s.to_min, s.to_max),
        private.format_voltage(coalesce(s.voltage_min, s.from_min), coalesce(s.voltage_max, s.from_max))))
    from steps s
    where s.signal_type = 'power' and s.to_min is not null and coalesce(s.voltage_min, s.from_min) is not null
      and (coalesce(s.voltage_min, s.from_min) < s.to_min or coalesce(s.voltage_max, s.from_max) > s.to_max)
    union all
    -- parts priced in another currency are left out of the total
    select 4, b.source_created_at, b.artifact_id, b.position, jsonb_build_object(
      'kind', 'currency_mismatch', 'artifact_id', b.artifact_id, 'position', b.position, 'part', b.name,
      'currency', b.currency, 'project_currency', project.currency,
      'message', pg_catalog.format('%s is priced in %s, not %s: it is left out of the total cost', b.name, b.currency,
        project.currency))
    from bom b
    where b.currency <> project.currency
    union all
    select 5, null, null, null, jsonb_build_object(
      'kind', 'over_budget', 'total_cost', t.total_cost, 'target_budget', project.target_budget,
      'currency', project.currency, 'over_by', t.total_cost - project.target_budget,
      'message', pg_catalog.format('The parts cost %s %s, %s over the budget of %s %s', t.total_cost, project.currency,
        t.total_cost - project.target_budget, project.target_budget, project.currency))
    from totals t
    where t.total_cost > project.target_budget
  )
  select jsonb_build_object(
    'project', to_jsonb(project),
    'sources', (
      select coalesce(jsonb_agg(jsonb_build_object('artifact_id', s.id, 'type', s.type, 'title', s.title,
        'version_number', s.current_version, 'version_id', s.current_version_id) order by s.type, s.created_at, s.id), '[]')
      from sources s),
    'parts', (
      select coalesce(jsonb_agg(to_jsonb(b) - 'source_created_at' - 'project_id' - 'created_at'
        order by b.source_created_at, b.artifact_id, b.position), '[]')
      from bom b),
    'connections', (
      select coalesce(jsonb_agg(to_jsonb(w) - 'source_created_at' - 'project_id' - 'created_at'
        order by w.source_created_at, w.artifact_id, w.step_number), '[]')
      from wiring w),
    'code_files', (
      select coalesce(jsonb_agg(to_jsonb(f) - 'source_created_at' - 'project_id' - 'created_at'
        order by f.source_created_at, f.artifact_id, f.position), '[]')
      from code f),
    'rollups', (
      select jsonb_build_object(
        'part_count', t.part_count, 'line_count', t.line_count, 'total_cost', t.total_cost, 'currency', project.currency,
        'target_budget', project.target_budget, 'budget_remaining', project.target_budget - t.total_cost,
        'connection_count', (select count(*) from wiring), 'code_file_count', (select count(*) from code))
      from totals t),
    'warnings', (
      select coalesce(jsonb_agg(w.warning order by w.rank, w.source_created_at, w.artifact_id, w.step_number,
        w.warning ->> 'end'), '[]')
      from warnings w)
  ) into result;
  return result;
end
$$;
grant execute on function public.get_project(uuid) to authenticated;
comment on function public.get_project(uuid) is
  'A project (owner only) with its current hardware, from the current versions of its non-hidden bom, wiring and code '
  'artifacts: {"project": <projects row>, "sources": [{artifact_id, type, title, version_number, version_id}], '
  '"parts": [parts rows: artifact_id, artifact_version_id, position, name, part_number, manufacturer, quantity, '
  'unit_price, currency, line_total, voltage, voltage_min, voltage_max, current, interface_type, supplier, '
  'supplier_url, specs, alternatives], "connections": [connections rows in step order: step_number, from_part, '
  'from_pin, from_pin_type, to_part, to_pin, to_pin_type, voltage, voltage_min, voltage_max, signal_type, wire_color, '
  'instruction, warnings], "code_files": [code_files rows: filename, language, platform, content, unit, '
  'required_libraries, production_ready], "rollups": {part_count (units), line_count, total_cost (parts in the '
  'project''s currency), currency, target_budget, budget_remaining, connection_count, code_file_count}, "warnings": '
  '[{kind, message, …}]}. Warning kinds: unknown_part (a wire names a part that is not in the BOM by name or part '
  'number, case-insensitive; step_number, part, end), voltage_mismatch (a signal wire, i.e. not power or ground, '
  'between parts whose rated voltages do not overlap; from_part, from_voltage, to_part, to_voltage), '
  'supply_voltage_mismatch (a power wire whose voltage, or else the supplying part''s, is outside the rated voltage '
  'of the part it powers; part, rated_voltage, supply_voltage), currency_mismatch (a part priced in another '
  'currency, left out of total_cost), over_budget (total_cost above target_budget; over_by). '
  'Errors: PT404 (404) when the project is not the caller''s; anon is denied (401).';
