-- Offline-first sync: what pull_changes (610_sync_pull.sql) and push_changes (620_sync_push.sql)
-- stand on. Insight's apps write locally first, push an outbox and pull what changed since their
-- last pull. The tables they sync are listed by private.sync_tables(), in the order pulls and
-- pushes go through them (what a row refers to comes before it).
--
-- Commit-safe change tracking. Every synced row carries the id of the transaction that created it
-- (created_xid) and of the one that last wrote it (updated_xid), as xid8 (64 bits: no wraparound),
-- taken with pg_current_xact_id() (always the top-level transaction, also inside savepoints). A
-- cursor holds a snapshot (pg_current_snapshot(): xmin:xmax:in-progress xids); a pull returns the
-- rows whose updated_xid that snapshot does not see, read under a newer snapshot that does. A
-- transaction still running at pull time is in the new snapshot's in-progress list, so its rows
-- come in a later pull whenever it commits, whatever its start time or its rows' updated_at: the
-- weak spot of `updated_at >= since`. An index on (user, updated_xid, id) per table makes a pull
-- cost what changed, not what exists.
--
-- The columns are added here rather than in each table's file: they are the sync mechanism's, and
-- one place states them for every synced table.

-- The synced tables, in dependency order: a pull pages through them in this order and a push
-- applies them in it (entities, goals and projects before the entries that link to them; habits
-- and trackers before their logs; entries before the workouts and meals that are events).
create function private.sync_tables()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select array['entities', 'goals', 'projects', 'habit_definitions', 'tracker_definitions', 'entries',
    'habit_instances', 'tracker_logs', 'workouts', 'meals', 'saved_views']::text[]
$$;
comment on function private.sync_tables() is 'The tables pull_changes and push_changes sync, in dependency order.';
grant execute on function private.sync_tables() to authenticated, service_role;

-- BEFORE UPDATE on every synced table: the row's last writer. (Inserts take both xids from the
-- columns' default.)
create function private.stamp_updated_xid()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_xid := pg_catalog.pg_current_xact_id();
  return new;
end
$$;
comment on function private.stamp_updated_xid() is
  'Trigger: sets updated_xid to the writing (top-level) transaction, which pull_changes'' cursors compare.';

alter table public.entities
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.goals
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.projects
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.habit_definitions
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.tracker_definitions
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.entries
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.habit_instances
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.tracker_logs
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.workouts
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.meals
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();
alter table public.saved_views
  add column created_xid xid8 not null default pg_current_xact_id(),
  add column updated_xid xid8 not null default pg_current_xact_id();

comment on column public.entries.updated_xid is
  'The transaction that last wrote the row (pull_changes returns rows whose updated_xid its cursor does not see).';
comment on column public.entries.created_xid is 'The transaction that created the row (created vs updated in pull_changes).';

-- pull_changes' keyset, one per table: the user's rows by last writer
create index entities_user_id_updated_xid_id_idx on public.entities (user_id, updated_xid, id);
create index goals_user_id_updated_xid_id_idx on public.goals (user_id, updated_xid, id);
create index projects_owner_id_updated_xid_id_idx on public.projects (owner_id, updated_xid, id);
create index habit_definitions_user_id_updated_xid_id_idx on public.habit_definitions (user_id, updated_xid, id);
create index tracker_definitions_user_id_updated_xid_id_idx on public.tracker_definitions (user_id, updated_xid, id);
create index entries_user_id_updated_xid_id_idx on public.entries (user_id, updated_xid, id);
create index habit_instances_user_id_updated_xid_id_idx on public.habit_instances (user_id, updated_xid, id);
create index tracker_logs_user_id_updated_xid_id_idx on public.tracker_logs (user_id, updated_xid, id);
create index workouts_user_id_updated_xid_id_idx on public.workouts (user_id, updated_xid, id);
create index meals_user_id_updated_xid_id_idx on public.meals (user_id, updated_xid, id);
create index saved_views_user_id_updated_xid_id_idx on public.saved_views (user_id, updated_xid, id);

create trigger entities_105_stamp_updated_xid before update on public.entities
  for each row execute function private.stamp_updated_xid();
create trigger goals_105_stamp_updated_xid before update on public.goals
  for each row execute function private.stamp_updated_xid();
create trigger projects_105_stamp_updated_xid before update on public.projects
  for each row execute function private.stamp_updated_xid();
create trigger habit_definitions_105_stamp_updated_xid before update on public.habit_definitions
  for each row execute function private.stamp_updated_xid();
create trigger tracker_definitions_105_stamp_updated_xid before update on public.tracker_definitions
  for each row execute function private.stamp_updated_xid();
create trigger entries_105_stamp_updated_xid before update on public.entries
  for each row execute function private.stamp_updated_xid();
create trigger habit_instances_105_stamp_updated_xid before update on public.habit_instances
  for each row execute function private.stamp_updated_xid();
create trigger tracker_logs_105_stamp_updated_xid before update on public.tracker_logs
  for each row execute function private.stamp_updated_xid();
create trigger workouts_105_stamp_updated_xid before update on public.workouts
  for each row execute function private.stamp_updated_xid();
create trigger meals_105_stamp_updated_xid before update on public.meals
  for each row execute function private.stamp_updated_xid();
create trigger saved_views_105_stamp_updated_xid before update on public.saved_views
  for each row execute function private.stamp_updated_xid();

-- ---------------------------------------------------------------------------------------------
-- Tombstones of hard deletes. Every synced table but projects deletes with a deleted_at tombstone.
-- A project is deleted for real (delete_project: its chats are unlinked, its project-only
-- artifacts, parts, wiring and code go with it, as the hardware domain expects), so its deletion
-- is recorded here, with the deleting transaction: pulls report it as a deleted id, and a later
-- update of that project from an offline client loses to it (delete wins).
create table public.sync_tombstones (
  user_id uuid not null references auth.users (id) on delete cascade,
  table_name text not null
    constraint sync_tombstones_table_name_check check (table_name = any (private.sync_tables())),
  row_id uuid not null,
  deleted_xid xid8 not null default pg_current_xact_id(),
  deleted_at timestamptz not null default now(),
  constraint sync_tombstones_pkey primary key (user_id, table_name, row_id)
);
comment on table public.sync_tombstones is
  'Rows of synced tables deleted for real (projects): pull_changes reports them as deleted ids.';

create index sync_tombstones_user_id_table_name_deleted_xid_idx
  on public.sync_tombstones (user_id, table_name, deleted_xid, row_id);

alter table public.sync_tombstones enable row level security;
revoke all on public.sync_tombstones from anon, authenticated, service_role;
grant select on public.sync_tombstones to authenticated;
grant select, insert, update, delete on public.sync_tombstones to service_role;

create policy sync_tombstones_select_own on public.sync_tombstones
  for select to authenticated
  using (user_id = (select auth.uid()));

-- AFTER DELETE (statement, transition table): a tombstone per deleted project, except when its
-- owner is being deleted too (the account's cascade). Security definer: it reads auth.users, which
-- the deleting user cannot; it writes only tombstones of the rows the statement deleted, whose
-- deletion the caller's rights (projects' policies) already allowed.
create function private.record_project_tombstones()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.sync_tombstones (user_id, table_name, row_id)
  select d.owner_id, 'projects', d.id from deleted d
  where exists (select 1 from auth.users u where u.id = d.owner_id)
  on conflict do nothing;
  return null;
end
$$;
comment on function private.record_project_tombstones() is
  'Trigger: records deleted projects in sync_tombstones, so sync clients learn of the deletion.';

create trigger projects_900_record_tombstones
  after delete on public.projects
  referencing old table as deleted
  for each statement execute function private.record_project_tombstones();

-- BEFORE DELETE of a project: its entries lose the link (entry_projects cascades), so they have
-- changed for sync clients; marked here, while the links are still there.
create function private.touch_project_entries()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform private.touch_entries(array(select l.entry_id from public.entry_projects l where l.project_id = old.id));
  return old;
end
$$;
comment on function private.touch_project_entries() is
  'Trigger: marks the entries linked to a project being deleted as changed (their project_ids change).';

create trigger projects_110_touch_entries
  before delete on public.projects
  for each row execute function private.touch_project_entries();

-- ---------------------------------------------------------------------------------------------
-- Id aliases: when a client's new row turns out to be one the server has (the tag "Running" two
-- devices created, a row found by its client id), the client's id becomes an alias of the
-- server's. push_changes answers with the mapping and resolves the alias in later pushes (an entry
-- that still links the client's tag id, pushed before the client learnt the mapping).
create table public.sync_aliases (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  table_name text not null
    constraint sync_aliases_table_name_check check (table_name = any (private.sync_tables())),
  alias_id uuid not null,
  row_id uuid not null,
  created_at timestamptz not null default now(),
  constraint sync_aliases_pkey primary key (user_id, table_name, alias_id)
);
comment on table public.sync_aliases is
  'Ids a client gave rows the server already had (same entity key, client id…): alias_id stands for row_id.';

alter table public.sync_aliases enable row level security;
revoke all on public.sync_aliases from anon, authenticated, service_role;
grant select on public.sync_aliases to authenticated;
grant insert (table_name, alias_id, row_id) on public.sync_aliases to authenticated;
grant select, insert, update, delete on public.sync_aliases to service_role;

create policy sync_aliases_select_own on public.sync_aliases
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy sync_aliases_insert_own on public.sync_aliases
  for insert to authenticated
  with check (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Pushes, kept by mutation id: the first answer, returned again for a replay (which writes
-- nothing), and a hash of the changes, so that a mutation id reused for other changes is refused.
create table public.sync_mutations (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  mutation_id private.token_200 not null,
  changes_hash text not null,
  answer jsonb not null,
  created_at timestamptz not null default now(),
  constraint sync_mutations_pkey primary key (user_id, mutation_id)
);
comment on table public.sync_mutations is
  'push_changes'' answers by mutation id: a replay of a push gets the first answer and writes nothing. Kept 30 days.';

create index sync_mutations_created_at_idx on public.sync_mutations (created_at);

alter table public.sync_mutations enable row level security;
revoke all on public.sync_mutations from anon, authenticated, service_role;
grant select on public.sync_mutations to authenticated;
grant insert (mutation_id, changes_hash, answer) on public.sync_mutations to authenticated;
grant select, insert, update, delete on public.sync_mutations to service_role;

create policy sync_mutations_select_own on public.sync_mutations
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy sync_mutations_insert_own on public.sync_mutations
  for insert to authenticated
  with check (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- The conflict log: a pushed change to a row that changed on the server after the client's last
-- pull, with both versions and which one won.
create table public.sync_conflicts (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  mutation_id text not null,
  table_name text not null,
  row_id uuid not null,
  winner text not null
    constraint sync_conflicts_winner_check check (winner in ('client', 'server')),
  reason text not null,
  server_row jsonb,
  client_row jsonb,
  created_at timestamptz not null default now()
);
comment on table public.sync_conflicts is
  'Conflicts push_changes resolved: the server''s version, the client''s, the winner (last write on server time; a '
  'delete wins over an update) and why. Read with list_sync_conflicts.';
comment on column public.sync_conflicts.server_row is 'The row as the server had it before the push (null: deleted).';
comment on column public.sync_conflicts.client_row is 'The change the client pushed (null: a delete).';

create index sync_conflicts_user_id_id_idx on public.sync_conflicts (user_id, id desc);

alter table public.sync_conflicts enable row level security;
revoke all on public.sync_conflicts from anon, authenticated, service_role;
grant select on public.sync_conflicts to authenticated;
grant insert (mutation_id, table_name, row_id, winner, reason, server_row, client_row) on public.sync_conflicts
  to authenticated;
grant select, insert, update, delete on public.sync_conflicts to service_role;

create policy sync_conflicts_select_own on public.sync_conflicts
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy sync_conflicts_insert_own on public.sync_conflicts
  for insert to authenticated
  with check (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Cursors. Opaque to clients: "s1/<low>/<seen>/<high>/<position>".
--   low       the snapshot of the last complete pull (what the client has);
--   seen      transactions whose rows the client has although low does not see them: its own
--             pushes since that pull (push_changes answers with the rows it wrote);
--   high      while paging: the snapshot the pages are read up to ('' when complete);
--   position  while paging: the last row returned, "<table index>,<updated_xid>,<id>".
-- A row is new to the client when low does not see its updated_xid and seen does not hold it.

-- The parts of a cursor; raises 22023 for anything pull_changes or push_changes did not make, and
-- for a cursor ahead of this database (one from another database, or from before a restore).
create function private.sync_parse_cursor(
  cursor text,
  name text,
  out low pg_snapshot,
  out seen xid8[],
  out high pg_snapshot,
  out pos_table integer,
  out pos_xid xid8,
  out pos_id uuid
)
language plpgsql
stable
set search_path = ''
as $$
declare
  parts text[];
  -- the first xid not yet running (this transaction's own counts: a pull may see its own rows)
  now_xmax xid8 := greatest(pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()),
    (coalesce(pg_catalog.pg_current_xact_id_if_assigned()::text::bigint, 0) + 1)::text::xid8);
begin
  if cursor is null then
    -- nothing seen yet: the first pull
    low := '1:1:'::pg_snapshot;
    seen := '{}';
    return;
  end if;
  begin
    parts := pg_catalog.string_to_array(cursor, '/');
    if parts[1] <> 's1' or cardinality(parts) <> 5 then
      raise exception 'bad cursor';
    end if;
    low := parts[2]::pg_snapshot;
    seen := coalesce(pg_catalog.string_to_array(nullif(parts[3], ''), ',')::xid8[], '{}');
    high := nullif(parts[4], '')::pg_snapshot;
    if parts[5] <> '' then
      pos_table := pg_catalog.split_part(parts[5], ',', 1)::integer;
      pos_xid := pg_catalog.split_part(parts[5], ',', 2)::xid8;
      pos_id := pg_catalog.split_part(parts[5], ',', 3)::uuid;
      if high is null or pos_table not between 1 and cardinality(private.sync_tables()) then
        raise exception 'bad position';
      end if;
    end if;
  exception when others then
    perform private.invalid_parameter(pg_catalog.format('%s is not a cursor from pull_changes or push_changes', name),
      'Pass the cursor of the last answer as it is, or none to pull from scratch.');
  end;
  if pg_catalog.pg_snapshot_xmax(coalesce(high, low)) > now_xmax
    or exists (select 1 from unnest(seen) s where s >= now_xmax) then
    perform private.invalid_parameter(pg_catalog.format('%s is ahead of this database', name),
      'The cursor comes from another database or from before a restore: pull from scratch (no cursor).');
  end if;
end
$$;
comment on function private.sync_parse_cursor(text, text) is
  'The parts of a sync cursor (low snapshot, seen xids, high snapshot and position while paging); 22023 when it is not one.';
grant execute on function private.sync_parse_cursor(text, text) to authenticated;

create function private.sync_cursor(
  low pg_snapshot,
  seen xid8[],
  high pg_snapshot default null,
  pos_table integer default null,
  pos_xid xid8 default null,
  pos_id uuid default null
)
returns text
language sql
immutable
set search_path = ''
as $$
  select pg_catalog.concat_ws('/', 's1', low::text,
    coalesce(pg_catalog.array_to_string(array(select distinct s from unnest(seen) s order by s), ','), ''),
    coalesce(high::text, ''),
    case when pos_table is not null then pg_catalog.concat_ws(',', pos_table, pos_xid, pos_id) else '' end)
$$;
comment on function private.sync_cursor(pg_snapshot, xid8[], pg_snapshot, integer, xid8, uuid) is
  'A sync cursor from its parts (see private.sync_parse_cursor).';
grant execute on function private.sync_cursor(pg_snapshot, xid8[], pg_snapshot, integer, xid8, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Rows as a client stores them: the table's columns without the owner and the sync bookkeeping;
-- an entry with its entity, goal and project ids, a workout with its rows, a meal with its items.
-- PL/pgSQL, so that a pull of a thousand rows plans their queries once, not once per row (a SQL
-- function with its own search_path is never inlined, and plans its body at every call).
create function private.sync_entry_row(entry public.entries)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return to_jsonb(entry) - '{user_id,created_xid,updated_xid}'::text[] || jsonb_build_object(
    'entity_ids', coalesce((select jsonb_agg(l.entity_id order by l.entity_id)
      from public.entry_entities l where l.entry_id = entry.id), '[]'),
    'goal_ids', coalesce((select jsonb_agg(l.goal_id order by l.goal_id)
      from public.entry_goals l where l.entry_id = entry.id), '[]'),
    'project_ids', coalesce((select jsonb_agg(l.project_id order by l.project_id)
      from public.entry_projects l where l.entry_id = entry.id), '[]'));
end
$$;
grant execute on function private.sync_entry_row(public.entries) to authenticated;

create function private.sync_workout_row(workout public.workouts)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return to_jsonb(workout) - '{user_id,created_xid,updated_xid}'::text[] || jsonb_build_object(
    'rows', coalesce((select jsonb_agg(to_jsonb(r) - '{user_id,workout_id}'::text[] order by r.position)
      from public.workout_rows r where r.workout_id = workout.id), '[]'));
end
$$;
grant execute on function private.sync_workout_row(public.workouts) to authenticated;

create function private.sync_meal_row(meal public.meals)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return to_jsonb(meal) - '{user_id,created_xid,updated_xid}'::text[] || jsonb_build_object(
    'items', coalesce((select jsonb_agg(to_jsonb(i) - '{user_id,meal_id}'::text[] order by i.position)
      from public.meal_items i where i.meal_id = meal.id), '[]'));
end
$$;
grant execute on function private.sync_meal_row(public.meals) to authenticated;

-- Any synced row by table and id, as a client stores it (null when the caller has no such row).
create function private.sync_row(table_name text, row_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  drop_keys constant text[] := '{user_id,owner_id,created_xid,updated_xid}';
  result jsonb;
begin
  case table_name
    when 'entries' then
      select private.sync_entry_row(e) into result from public.entries e where e.id = row_id;
    when 'workouts' then
      select private.sync_workout_row(w) into result from public.workouts w where w.id = row_id;
    when 'meals' then
      select private.sync_meal_row(m) into result from public.meals m where m.id = row_id;
    when 'entities' then
      select to_jsonb(x) - drop_keys into result from public.entities x where x.id = row_id;
    when 'goals' then
      select to_jsonb(x) - drop_keys into result from public.goals x where x.id = row_id;
    when 'projects' then
      select to_jsonb(x) - drop_keys into result from public.projects x where x.id = row_id;
    when 'habit_definitions' then
      select to_jsonb(x) - drop_keys into result from public.habit_definitions x where x.id = row_id;
    when 'tracker_definitions' then
      select to_jsonb(x) - drop_keys into result from public.tracker_definitions x where x.id = row_id;
    when 'habit_instances' then
      select to_jsonb(x) - drop_keys into result from public.habit_instances x where x.id = row_id;
    when 'tracker_logs' then
      select to_jsonb(x) - drop_keys into result from public.tracker_logs x where x.id = row_id;
    when 'saved_views' then
      select to_jsonb(x) - drop_keys into result from public.saved_views x where x.id = row_id;
  end case;
  return result;
end
$$;
comment on function private.sync_row(text, uuid) is 'A synced row of the caller''s as pull_changes returns it, or null.';
grant execute on function private.sync_row(text, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Retention: answers of pushes older than 30 days go (a client retries within minutes or days; its
-- dead letter takes over after five failures).
create function public.service_role_purge_sync_mutations()
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  purged integer;
begin
  delete from public.sync_mutations m
  where m.created_at < private.now() - interval '30 days'
    and m.ctid = any (array(select x.ctid from public.sync_mutations x
      where x.created_at < private.now() - interval '30 days' order by x.created_at limit 10000));
  get diagnostics purged = row_count;
  return purged;
end
$$;
grant execute on function public.service_role_purge_sync_mutations() to service_role;
comment on function public.service_role_purge_sync_mutations() is
  'Service role only (scheduled daily): deletes up to 10,000 push answers older than 30 days; returns how many.';

insert into private.scheduled_jobs (name, schedule, command, description) values
  ('parley-purge-sync-mutations', '17 3 * * *', 'select public.service_role_purge_sync_mutations()',
   'Deletes push_changes answers older than 30 days.');
