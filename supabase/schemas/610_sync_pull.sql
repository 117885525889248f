-- pull_changes: what changed since a cursor, in WatermelonDB's shape. See 600_sync.sql for the
-- cursor. A pull reads, table by table in private.sync_tables() order, the caller's rows whose
-- updated_xid the cursor has not seen and its snapshot `high` sees, by (updated_xid, id) through
-- each table's (user, updated_xid, id) index, `limit` rows at a time. The first page of a window
-- takes `high` = the current snapshot; the pages after it keep that `high` and a position, so a row
-- committed meanwhile is left for the next window rather than slipping in behind the position. The
-- last page's cursor makes `high` the new `low`: everything committed before it has been returned,
-- everything still running (its xids are in `high`'s in-progress list) comes later.

-- One table's changed rows after a position: (updated_xid, id, kind, row) in keyset order, at most
-- lim. kind: created (the client cannot have it), updated, or deleted (row null). On a first pull
-- (initial) tombstones are left out: the client has nothing to delete. Stable, so every query runs
-- under the calling statement's snapshot (the one pull_changes reports as `high`).
create function private.sync_pull_table(
  table_name text,
  me uuid,
  low pg_snapshot,
  seen xid8[],
  high pg_snapshot,
  initial boolean,
  after_xid xid8,
  after_id uuid,
  lim integer
)
returns table (xid xid8, id uuid, kind text, "row" jsonb)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  drop_keys constant text[] := '{user_id,owner_id,created_xid,updated_xid,ordinality}';
  page_entries public.entries[];
  page_workouts public.workouts[];
  page_meals public.meals[];
  ids uuid[];
  entity_links jsonb;
  goal_links jsonb;
  project_links jsonb;
  children jsonb;
begin
  -- each branch is the same query over its table (static, so its plan is kept for the session)
  case table_name
  when 'entities' then
    return query
    select x.updated_xid, x.id,
      case when x.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when x.deleted_at is null then to_jsonb(x) - drop_keys end
    from public.entities x
    where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
      and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
      and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
    order by x.updated_xid, x.id
    limit lim;
  when 'goals' then
    return query
    select x.updated_xid, x.id,
      case when x.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when x.deleted_at is null then to_jsonb(x) - drop_keys end
    from public.goals x
    where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
      and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
      and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
    order by x.updated_xid, x.id
    limit lim;
  when 'projects' then
    -- live projects, and the tombstones of deleted ones (600_sync.sql)
    return query
    select u.xid, u.id, u.kind, u."row" from (
      (select x.updated_xid as xid, x.id,
        case when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
          else 'updated' end as kind,
        to_jsonb(x) - drop_keys as "row"
      from public.projects x
      where x.owner_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
        and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
        and pg_visible_in_snapshot(x.updated_xid, high)
      order by x.updated_xid, x.id
      limit lim)
      union all
      (select t.deleted_xid, t.row_id, 'deleted', null::jsonb
      from public.sync_tombstones t
      where t.user_id = me and t.table_name = 'projects' and not initial
        and (t.deleted_xid, t.row_id) > (after_xid, after_id)
        and not (pg_visible_in_snapshot(t.deleted_xid, low) or t.deleted_xid = any (seen))
        and pg_visible_in_snapshot(t.deleted_xid, high)
      order by t.deleted_xid, t.row_id
      limit lim)
    ) u
    order by u.xid, u.id
    limit lim;
  when 'habit_definitions' then
    return query
    select x.updated_xid, x.id,
      case when x.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when x.deleted_at is null then to_jsonb(x) - drop_keys end
    from public.habit_definitions x
    where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
      and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
      and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
    order by x.updated_xid, x.id
    limit lim;
  when 'tracker_definitions' then
    return query
    select x.updated_xid, x.id,
      case when x.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when x.deleted_at is null then to_jsonb(x) - drop_keys end
    from public.tracker_definitions x
    where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
      and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
      and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
    order by x.updated_xid, x.id
    limit lim;
  when 'entries' then
    -- the page first, then the links of all its entries in one query per link table (not three per
    -- row), each through its primary key
    page_entries := array(
      select x from public.entries x
      where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
        and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
        and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
      order by x.updated_xid, x.id
      limit lim);
    ids := array(select e.id from unnest(page_entries) e where e.deleted_at is null);
    select coalesce(jsonb_object_agg(g.entry_id, g.ids), '{}') into entity_links from (
      select l.entry_id, jsonb_agg(l.entity_id order by l.entity_id) as ids from public.entry_entities l
      where l.entry_id = any (ids) group by l.entry_id) g;
    select coalesce(jsonb_object_agg(g.entry_id, g.ids), '{}') into goal_links from (
      select l.entry_id, jsonb_agg(l.goal_id order by l.goal_id) as ids from public.entry_goals l
      where l.entry_id = any (ids) group by l.entry_id) g;
    select coalesce(jsonb_object_agg(g.entry_id, g.ids), '{}') into project_links from (
      select l.entry_id, jsonb_agg(l.project_id order by l.project_id) as ids from public.entry_projects l
      where l.entry_id = any (ids) group by l.entry_id) g;
    return query
    select p.updated_xid, p.id,
      case when p.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(p.created_xid, low) or p.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when p.deleted_at is null then to_jsonb(p) - drop_keys || jsonb_build_object(
        'entity_ids', coalesce(entity_links -> p.id::text, '[]'), 'goal_ids', coalesce(goal_links -> p.id::text, '[]'),
        'project_ids', coalesce(project_links -> p.id::text, '[]')) end
    from unnest(page_entries) with ordinality p
    order by p.ordinality;
  when 'habit_instances' then
    return query
    select x.updated_xid, x.id,
      case when x.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when x.deleted_at is null then to_jsonb(x) - drop_keys end
    from public.habit_instances x
    where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
      and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
      and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
    order by x.updated_xid, x.id
    limit lim;
  when 'tracker_logs' then
    return query
    select x.updated_xid, x.id,
      case when x.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when x.deleted_at is null then to_jsonb(x) - drop_keys end
    from public.tracker_logs x
    where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
      and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
      and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
    order by x.updated_xid, x.id
    limit lim;
  when 'workouts' then
    page_workouts := array(
      select x from public.workouts x
      where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
        and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
        and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
      order by x.updated_xid, x.id
      limit lim);
    ids := array(select w.id from unnest(page_workouts) w where w.deleted_at is null);
    select coalesce(jsonb_object_agg(g.workout_id, g.items), '{}') into children from (
      select r.workout_id, jsonb_agg(to_jsonb(r) - '{user_id,workout_id}'::text[] order by r.position) as items
      from public.workout_rows r where r.workout_id = any (ids) group by r.workout_id) g;
    return query
    select p.updated_xid, p.id,
      case when p.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(p.created_xid, low) or p.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when p.deleted_at is null then to_jsonb(p) - drop_keys
        || jsonb_build_object('rows', coalesce(children -> p.id::text, '[]')) end
    from unnest(page_workouts) with ordinality p
    order by p.ordinality;
  when 'meals' then
    page_meals := array(
      select x from public.meals x
      where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
        and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
        and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
      order by x.updated_xid, x.id
      limit lim);
    ids := array(select m.id from unnest(page_meals) m where m.deleted_at is null);
    select coalesce(jsonb_object_agg(g.meal_id, g.items), '{}') into children from (
      select i.meal_id, jsonb_agg(to_jsonb(i) - '{user_id,meal_id}'::text[] order by i.position) as items
      from public.meal_items i where i.meal_id = any (ids) group by i.meal_id) g;
    return query
    select p.updated_xid, p.id,
      case when p.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(p.created_xid, low) or p.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when p.deleted_at is null then to_jsonb(p) - drop_keys
        || jsonb_build_object('items', coalesce(children -> p.id::text, '[]')) end
    from unnest(page_meals) with ordinality p
    order by p.ordinality;
  when 'saved_views' then
    return query
    select x.updated_xid, x.id,
      case when x.deleted_at is not null then 'deleted'
        when initial or not (pg_visible_in_snapshot(x.created_xid, low) or x.created_xid = any (seen)) then 'created'
        else 'updated' end,
      case when x.deleted_at is null then to_jsonb(x) - drop_keys end
    from public.saved_views x
    where x.user_id = me and (x.updated_xid, x.id) > (after_xid, after_id)
      and not (pg_visible_in_snapshot(x.updated_xid, low) or x.updated_xid = any (seen))
      and pg_visible_in_snapshot(x.updated_xid, high) and not (initial and x.deleted_at is not null)
    order by x.updated_xid, x.id
    limit lim;
  end case;
end
$$;
comment on function private.sync_pull_table(text, uuid, pg_snapshot, xid8[], pg_snapshot, boolean, xid8, uuid, integer) is
  'One table''s rows changed between a cursor''s low snapshot (and seen xids) and high, after a keyset position.';
grant execute on function private.sync_pull_table(text, uuid, pg_snapshot, xid8[], pg_snapshot, boolean, xid8, uuid,
  integer) to authenticated;

-- The tables argument of pull_changes: known synced tables (22023 naming an unknown one), in
-- private.sync_tables() order; null: all.
create function private.sync_check_tables(tables text[])
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  known text[] := private.sync_tables();
begin
  if tables is null then
    return known;
  end if;
  for i in 1 .. coalesce(cardinality(tables), 0) loop
    if tables[i] is null or not (tables[i] = any (known)) then
      perform private.invalid_parameter(pg_catalog.format('tables[%s] %L is not a synced table: use %s', i - 1, tables[i],
        pg_catalog.array_to_string(known, ', ')));
    end if;
  end loop;
  return array(select k.t from unnest(known) with ordinality k(t, n) where k.t = any (tables) order by k.n);
end
$$;
grant execute on function private.sync_check_tables(text[]) to authenticated;

create function public.pull_changes(cursor text default null, tables text[] default null, "limit" integer default 500)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  page_size integer := coalesce(pull_changes."limit", 500);
  wanted text[];
  all_tables constant text[] := private.sync_tables();
  c record;
  initial boolean;
  high pg_snapshot;
  -- rows the calling transaction wrote itself are visible to it but not in its snapshot
  mine xid8 := pg_current_xact_id_if_assigned();
  changes jsonb := '{}';
  got integer := 0;
  has_more boolean := false;
  last_table integer;
  last_xid xid8;
  last_id uuid;
  t text;
  t_index integer;
  after_xid xid8;
  after_id uuid;
  created jsonb;
  updated jsonb;
  deleted jsonb;
  xids xid8[];
  row_ids uuid[];
  n integer;
begin
  if me is null then
    raise exception 'sign in to pull changes' using errcode = '42501';
  end if;
  if page_size not between 1 and 5000 then
    perform private.invalid_parameter('limit must be between 1 and 5000');
  end if;
  wanted := private.sync_check_tables(pull_changes.tables);
  c := private.sync_parse_cursor(pull_changes.cursor, 'cursor');
  initial := pull_changes.cursor is null or (c.low::text = '1:1:' and c.seen = '{}');
  -- a new window reads up to the current snapshot; a window being paged keeps its own
  high := coalesce(c.high, pg_current_snapshot());
  if c.high is null and mine is not null and not pg_visible_in_snapshot(mine, high) then
    -- treated as part of high: returned now, seen afterwards
    high := (pg_snapshot_xmin(high)::text || ':' || greatest(pg_snapshot_xmax(high), (mine::text::bigint + 1)::text::xid8)::text || ':'
      || coalesce(array_to_string(array(
        select x from pg_snapshot_xip(high) x
        union
        select x::text::xid8 from generate_series(pg_snapshot_xmax(high)::text::bigint, mine::text::bigint - 1) x
        order by 1), ','), ''))::pg_snapshot;
  end if;

  foreach t in array wanted loop
    changes := changes || jsonb_build_object(t, jsonb_build_object('created', '[]'::jsonb, 'updated', '[]'::jsonb,
      'deleted', '[]'::jsonb));
    t_index := array_position(all_tables, t);
    continue when c.pos_table is not null and t_index < c.pos_table;
    continue when has_more;
    if c.pos_table = t_index then
      after_xid := c.pos_xid;
      after_id := c.pos_id;
    else
      -- every row the cursor has not seen has updated_xid >= low's xmin
      after_xid := pg_snapshot_xmin(c.low);
      after_id := '00000000-0000-0000-0000-000000000000';
    end if;
    -- one more row than fits tells whether there is more; the rows come in keyset order
    select count(*)::integer,
      coalesce(jsonb_agg(p."row") filter (where p.kind = 'created' and p.n <= page_size - got), '[]'),
      coalesce(jsonb_agg(p."row") filter (where p.kind = 'updated' and p.n <= page_size - got), '[]'),
      coalesce(jsonb_agg(p.id) filter (where p.kind = 'deleted' and p.n <= page_size - got), '[]'),
      array_agg(p.xid), array_agg(p.id)
    into n, created, updated, deleted, xids, row_ids
    from (
      select r.*, row_number() over () as n
      from private.sync_pull_table(t, me, c.low, c.seen, high, initial, after_xid, after_id, page_size - got + 1) r
    ) p;
    if got + n > page_size then
      has_more := true;
      n := page_size - got;
    end if;
    if n > 0 then
      changes := jsonb_set(changes, array[t], jsonb_build_object('created', created, 'updated', updated, 'deleted', deleted));
      got := got + n;
      last_table := t_index;
      last_xid := xids[n];
      last_id := row_ids[n];
    end if;
  end loop;

  return jsonb_build_object(
    'changes', changes,
    'cursor', case
      when has_more then private.sync_cursor(c.low, c.seen, high, last_table, last_xid, last_id)
      -- the window is done: high becomes low; own pushes it does not see stay seen
      else private.sync_cursor(high, array(select s from unnest(c.seen) s where not pg_visible_in_snapshot(s, high)))
    end,
    'has_more', has_more);
end
$$;
grant execute on function public.pull_changes(text, text[], integer) to authenticated;
comment on function public.pull_changes(text, text[], integer) is
  'What changed in the caller''s synced rows since cursor (none: everything), in WatermelonDB''s shape: {changes: '
  '{<table>: {created: [rows], updated: [rows], deleted: [ids]}}, cursor, has_more}. Tables (default all, in this '
  'order): entities, goals, projects, habit_definitions, tracker_definitions, entries (with entity_ids, goal_ids, '
  'project_ids), habit_instances, tracker_logs, workouts (with rows), meals (with items), saved_views; each row is the '
  'table''s columns (client_id included) without the owner and sync bookkeeping. limit: 1..5000 rows per page '
  '(default 500); has_more: call again with the cursor returned. The cursor is commit-safe: it is built on '
  'transaction snapshots, not clocks, so a row committed after a pull (even by a transaction that began before it) '
  'comes in the next pull, and a row is returned again only when it changes again. A first pull (no cursor) leaves '
  'deleted rows out. Errors: 22023 (400) unknown table, bad limit, or a cursor that pull_changes/push_changes did not '
  'make (or one from another database); anon is denied (401).';
