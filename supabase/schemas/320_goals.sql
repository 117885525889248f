-- Goals: a hierarchy per user (parent_id) that never has a cycle. Entries and hardware projects
-- (public.projects) link to goals.

create table public.goals (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  parent_id uuid references public.goals (id) on delete set null,
  title private.title_text not null,
  status text not null default 'active'
    constraint goals_status_check check (status in ('active', 'paused', 'completed', 'abandoned', 'archived')),
  target_date date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint goals_parent_id_check check (parent_id <> id)
);
comment on table public.goals is 'A user''s goals, in a hierarchy without cycles (parent_id). Entries and projects link to them.';
comment on column public.goals.status is 'active, paused, completed, abandoned or archived.';
comment on column public.goals.deleted_at is 'Tombstone, for sync clients.';

create index goals_user_id_created_at_idx on public.goals (user_id, created_at, id);
create index goals_parent_id_idx on public.goals (parent_id) where parent_id is not null;
create unique index goals_user_id_client_id_key on public.goals (user_id, client_id) where client_id is not null;

alter table public.goals enable row level security;
revoke all on public.goals from anon, authenticated, service_role;
grant select on public.goals to authenticated;
grant insert (id, client_id, parent_id, title, status, target_date) on public.goals to authenticated;
grant update (client_id, parent_id, title, status, target_date, deleted_at) on public.goals to authenticated;
grant select, insert, update, delete on public.goals to service_role;

create policy goals_select_own on public.goals
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy goals_insert_own on public.goals
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy goals_update_own on public.goals
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger goals_100_set_updated_at
  before update on public.goals
  for each row execute function private.set_updated_at();

-- A goal's parent is a goal of the same user that is not the goal itself nor below it. Race-safe:
-- the writers of one user's hierarchy take a transaction lock first, so two moves that would make
-- a cycle together (A under B, B under A) run one after the other, and the second one's walk up
-- the hierarchy (a new statement, a new snapshot) sees the first.
create function private.goals_check_parent()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  cycle boolean;
  levels integer;
begin
  if new.parent_id is null then
    return new;
  end if;
  if new.parent_id = new.id then
    perform private.invalid_parameter('parent_id must be another goal: a goal cannot be its own parent');
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('parley.goals:' || new.user_id::text, 0));
  if not exists (select 1 from public.goals g where g.id = new.parent_id and g.user_id = new.user_id) then
    perform private.not_found('parent goal', 'parent_id must be one of your goals.');
  end if;
  with recursive up (id, parent_id, level) as (
    select g.id, g.parent_id, 1 from public.goals g where g.id = new.parent_id
    union all
    select g.id, g.parent_id, up.level + 1 from public.goals g join up on g.id = up.parent_id where up.level <= 100
  )
  select coalesce(bool_or(up.id = new.id), false), max(up.level) into cycle, levels from up;
  if cycle then
    perform private.invalid_parameter('parent_id would make a cycle: that goal is below this one',
      'Move the other goal first, or choose a parent outside this goal''s subtree.');
  end if;
  if levels > 100 then
    perform private.invalid_parameter('parent_id would make the hierarchy deeper than 100 levels');
  end if;
  return new;
end
$$;

create trigger goals_110_check_parent
  before insert or update of parent_id on public.goals
  for each row execute function private.goals_check_parent();

-- RLS helper (security definer, as private.owns_entry): whether the caller owns the goal.
create function private.owns_goal(goal_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.goals g where g.id = owns_goal.goal_id and g.user_id = (select auth.uid()));
end
$$;
comment on function private.owns_goal(uuid) is 'Whether the calling user owns the goal.';
grant execute on function private.owns_goal(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Links: entry ↔ goal, entry ↔ project, project ↔ goal. Both ends are the caller's: the insert
-- policies read the ends under their own policies (as entry_entities' do).
create table public.entry_goals (
  entry_id uuid not null references public.entries (id) on delete cascade,
  goal_id uuid not null references public.goals (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  created_at timestamptz not null default now(),
  constraint entry_goals_pkey primary key (entry_id, goal_id)
);
comment on table public.entry_goals is 'Which goals an entry serves.';
create index entry_goals_goal_id_idx on public.entry_goals (goal_id);
create index entry_goals_user_id_idx on public.entry_goals (user_id);

alter table public.entry_goals enable row level security;
revoke all on public.entry_goals from anon, authenticated, service_role;
grant select, delete on public.entry_goals to authenticated;
grant insert (entry_id, goal_id) on public.entry_goals to authenticated;
grant select, insert, update, delete on public.entry_goals to service_role;

create policy entry_goals_select_own on public.entry_goals
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy entry_goals_insert_own on public.entry_goals
  for insert to authenticated
  with check (user_id = (select auth.uid())
    and exists (select 1 from public.entries e where e.id = entry_id)
    and exists (select 1 from public.goals g where g.id = goal_id));

create policy entry_goals_delete_own on public.entry_goals
  for delete to authenticated
  using (user_id = (select auth.uid()));

create table public.entry_projects (
  entry_id uuid not null references public.entries (id) on delete cascade,
  project_id uuid not null references public.projects (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  created_at timestamptz not null default now(),
  constraint entry_projects_pkey primary key (entry_id, project_id)
);
comment on table public.entry_projects is 'Which of the user''s projects an entry belongs to.';
create index entry_projects_project_id_idx on public.entry_projects (project_id);
create index entry_projects_user_id_idx on public.entry_projects (user_id);

alter table public.entry_projects enable row level security;
revoke all on public.entry_projects from anon, authenticated, service_role;
grant select, delete on public.entry_projects to authenticated;
grant insert (entry_id, project_id) on public.entry_projects to authenticated;
grant select, insert, update, delete on public.entry_projects to service_role;

create policy entry_projects_select_own on public.entry_projects
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy entry_projects_insert_own on public.entry_projects
  for insert to authenticated
  with check (user_id = (select auth.uid())
    and exists (select 1 from public.entries e where e.id = entry_id)
    and exists (select 1 from public.projects p where p.id = project_id));

create policy entry_projects_delete_own on public.entry_projects
  for delete to authenticated
  using (user_id = (select auth.uid()));

create table public.project_goals (
  project_id uuid not null references public.projects (id) on delete cascade,
  goal_id uuid not null references public.goals (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  created_at timestamptz not null default now(),
  constraint project_goals_pkey primary key (project_id, goal_id)
);
comment on table public.project_goals is 'Which goals a project (public.projects) serves.';
create index project_goals_goal_id_idx on public.project_goals (goal_id);
create index project_goals_user_id_idx on public.project_goals (user_id);

alter table public.project_goals enable row level security;
revoke all on public.project_goals from anon, authenticated, service_role;
grant select, delete on public.project_goals to authenticated;
grant insert (project_id, goal_id) on public.project_goals to authenticated;
grant select, insert, update, delete on public.project_goals to service_role;

create policy project_goals_select_own on public.project_goals
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy project_goals_insert_own on public.project_goals
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_project(project_id) and private.owns_goal(goal_id));

create policy project_goals_delete_own on public.project_goals
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- RPCs

-- Creates or replaces a goal of the caller's (by id).
create function public.upsert_goal(
  id uuid default null,
  title text default null,
  parent_id uuid default null,
  status text default null,
  target_date date default null
)
returns public.goals
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  me uuid := (select auth.uid());
  clean_title text := pg_catalog.btrim(upsert_goal.title);
  goal public.goals;
begin
  if me is null then
    raise exception 'sign in to write goals' using errcode = '42501';
  end if;
  if clean_title is null or char_length(clean_title) not between 1 and 200 or clean_title ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('title must be 1 to 200 characters without control characters');
  end if;
  if upsert_goal.status is not null
    and upsert_goal.status not in ('active', 'paused', 'completed', 'abandoned', 'archived') then
    perform private.invalid_parameter(pg_catalog.format(
      'status %L is not one of active, paused, completed, abandoned, archived', upsert_goal.status));
  end if;

  if upsert_goal.id is not null then
    select g.* into goal from public.goals g where g.id = upsert_goal.id for no key update;
  end if;
  if goal.id is null then
    insert into public.goals (id, title, parent_id, status, target_date)
    values (coalesce(upsert_goal.id, gen_random_uuid()), clean_title, upsert_goal.parent_id,
      coalesce(upsert_goal.status, 'active'), upsert_goal.target_date)
    on conflict (id) do nothing
    returning * into goal;
    if goal.id is null then
      raise exception 'goal id is taken' using errcode = 'PT409',
        hint = 'Another goal has this id. Leave id out to create a goal.';
    end if;
    return goal;
  end if;
  -- a replay of the goal as it is writes nothing
  update public.goals g
  set title = clean_title, parent_id = upsert_goal.parent_id, status = coalesce(upsert_goal.status, g.status),
      target_date = upsert_goal.target_date
  where g.id = goal.id
    and (g.title::text, g.parent_id, g.status, g.target_date)
      is distinct from (clean_title, upsert_goal.parent_id, coalesce(upsert_goal.status, g.status), upsert_goal.target_date)
  returning * into goal;
  if not found then
    select g.* into goal from public.goals g where g.id = upsert_goal.id;
  end if;
  return goal;
end
$$;
grant execute on function public.upsert_goal(uuid, text, uuid, text, date) to authenticated;
comment on function public.upsert_goal(uuid, text, uuid, text, date) is
  'Creates a goal of the caller''s, or replaces it when id names one: title (1-200 characters), parent_id (one of '
  'the caller''s goals, not this goal nor one below it; null: a top-level goal), status (active, paused, completed, '
  'abandoned, archived; omitted: active for a new goal, unchanged otherwise), target_date. Returns the goals row. A '
  'replay that changes nothing writes nothing. Errors: 22023 (400) naming the field, or a parent that would make a '
  'cycle; PT404 (404) parent not found; PT409 (409) id used by another user''s goal; anon is denied (401).';

create function public.list_goals()
returns table (
  id uuid,
  parent_id uuid,
  title text,
  status text,
  target_date date,
  client_id text,
  created_at timestamptz,
  updated_at timestamptz,
  project_ids uuid[],
  entry_count integer
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query
  select g.id, g.parent_id, g.title::text, g.status, g.target_date, g.client_id::text, g.created_at, g.updated_at,
    coalesce((select array_agg(p.project_id order by p.created_at) from public.project_goals p where p.goal_id = g.id), '{}'),
    (select count(*)::integer from public.entry_goals l join public.entries e on e.id = l.entry_id
     where l.goal_id = g.id and e.deleted_at is null)
  from public.goals g
  where g.user_id = (select auth.uid()) and g.deleted_at is null
  order by g.created_at, g.id;
end
$$;
grant execute on function public.list_goals() to authenticated;
comment on function public.list_goals() is
  'The caller''s goals (not deleted), oldest first: id, parent_id (build the tree with it), title, status, '
  'target_date, client_id, created_at, updated_at, project_ids (linked projects), entry_count (linked entries not '
  'deleted). Anon is denied (401).';

-- Links an entry of the caller's to a goal of theirs (again: nothing written).
create function public.link_entry_goal(entry_id uuid, goal_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  linked integer;
begin
  if not private.owns_entry(link_entry_goal.entry_id) then
    perform private.not_found('entry');
  end if;
  if not private.owns_goal(link_entry_goal.goal_id) then
    perform private.not_found('goal');
  end if;
  insert into public.entry_goals (entry_id, goal_id) values (link_entry_goal.entry_id, link_entry_goal.goal_id)
  on conflict do nothing;
  get diagnostics linked = row_count;
  if linked > 0 then
    perform private.touch_entries(array[link_entry_goal.entry_id]);
  end if;
  return linked > 0;
end
$$;
grant execute on function public.link_entry_goal(uuid, uuid) to authenticated;
comment on function public.link_entry_goal(uuid, uuid) is
  'Links an entry of the caller''s to one of their goals; returns true, or false when they were already linked '
  '(nothing written). upsert_entry(goal_ids) replaces an entry''s goals. Errors: PT404 (404) entry or goal not the '
  'caller''s; anon is denied (401).';

create function public.link_project_goal(project_id uuid, goal_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  linked integer;
begin
  if not private.owns_project(link_project_goal.project_id) then
    perform private.not_found('project');
  end if;
  if not private.owns_goal(link_project_goal.goal_id) then
    perform private.not_found('goal');
  end if;
  insert into public.project_goals (project_id, goal_id) values (link_project_goal.project_id, link_project_goal.goal_id)
  on conflict do nothing;
  get diagnostics linked = row_count;
  return linked > 0;
end
$$;
grant execute on function public.link_project_goal(uuid, uuid) to authenticated;
comment on function public.link_project_goal(uuid, uuid) is
  'Links one of the caller''s projects (public.projects) to one of their goals; returns true, or false when they '
  'were already linked. Errors: PT404 (404) project or goal not the caller''s; anon is denied (401).';

create function public.unlink_project_goal(project_id uuid, goal_id uuid)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  unlinked integer;
begin
  delete from public.project_goals l
  where l.project_id = unlink_project_goal.project_id and l.goal_id = unlink_project_goal.goal_id;
  get diagnostics unlinked = row_count;
  return unlinked > 0;
end
$$;
grant execute on function public.unlink_project_goal(uuid, uuid) to authenticated;
comment on function public.unlink_project_goal(uuid, uuid) is
  'Removes the link between a project and a goal of the caller''s; returns whether there was one. Anon is denied (401).';
