-- push_changes: a client's outbox, applied in one transaction, idempotent by mutation id.
--
-- For each row, in private.sync_tables() order (creates and updates of a table, then its deletes):
--   * the row is found by id (or an alias of it), else by the client's id, else by its natural key
--     (an entity's type and normalised key, a habit's day, a saved view's name): a "created" row
--     that exists is an update, and the client's id becomes an alias of the server's;
--   * a row deleted on the server stays deleted: the change is a conflict the server wins (delete
--     wins over update), whenever the delete happened;
--   * a row that changed on the server after the client's last pull (its updated_xid unseen by
--     last_pulled_cursor) is a conflict: on server time the pushed change is the last write, so it
--     wins (a pushed delete wins anyway); both versions go to sync_conflicts;
--   * a row that fails validation is rejected alone with the reason (each row runs in its own
--     subtransaction), the others go on; "deleted" for a row that does not exist is ignored.
-- The answer lists every row the push wrote as stored (also rows it changed indirectly, such as
-- entries whose tag it deleted), so its cursor can count the push's own transaction as seen: the
-- next pull does not send the client its own writes again, and the next push does not take them
-- for conflicts.

-- Typed fields of a pushed row: null when absent or JSON null; 22023 naming the field otherwise.
create function private.sync_uuid(item jsonb, field text)
returns uuid
language plpgsql
immutable
set search_path = ''
as $$
begin
  if jsonb_typeof(item -> field) is null or jsonb_typeof(item -> field) = 'null' then
    return null;
  end if;
  if jsonb_typeof(item -> field) = 'string' and (item ->> field) ~* '^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$' then
    return (item ->> field)::uuid;
  end if;
  perform private.invalid_parameter(pg_catalog.format('%s must be a uuid', field));
  return null;
end
$$;
grant execute on function private.sync_uuid(jsonb, text) to authenticated;

create function private.sync_text(item jsonb, field text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if jsonb_typeof(item -> field) is null or jsonb_typeof(item -> field) = 'null' then
    return null;
  end if;
  if jsonb_typeof(item -> field) <> 'string' then
    perform private.invalid_parameter(pg_catalog.format('%s must be text', field));
  end if;
  return item ->> field;
end
$$;
grant execute on function private.sync_text(jsonb, text) to authenticated;

create function private.sync_timestamptz(item jsonb, field text)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
begin
  if jsonb_typeof(item -> field) is null or jsonb_typeof(item -> field) = 'null' then
    return null;
  end if;
  begin
    if jsonb_typeof(item -> field) <> 'string' then
      raise exception 'not text';
    end if;
    return (item ->> field)::timestamptz;
  exception when others then
    perform private.invalid_parameter(pg_catalog.format('%s must be a timestamp (ISO 8601)', field));
  end;
  return null;
end
$$;
grant execute on function private.sync_timestamptz(jsonb, text) to authenticated;

create function private.sync_date(item jsonb, field text)
returns date
language plpgsql
stable
set search_path = ''
as $$
begin
  if jsonb_typeof(item -> field) is null or jsonb_typeof(item -> field) = 'null' then
    return null;
  end if;
  begin
    if jsonb_typeof(item -> field) <> 'string' or (item ->> field) !~ '^\d{4}-\d{2}-\d{2}$' then
      raise exception 'not a date';
    end if;
    return (item ->> field)::date;
  exception when others then
    perform private.invalid_parameter(pg_catalog.format('%s must be a date (YYYY-MM-DD)', field));
  end;
  return null;
end
$$;
grant execute on function private.sync_date(jsonb, text) to authenticated;

create function private.sync_number(item jsonb, field text)
returns numeric
language plpgsql
immutable
set search_path = ''
as $$
begin
  if jsonb_typeof(item -> field) is null or jsonb_typeof(item -> field) = 'null' then
    return null;
  end if;
  if jsonb_typeof(item -> field) <> 'number' then
    perform private.invalid_parameter(pg_catalog.format('%s must be a number', field));
  end if;
  return (item ->> field)::numeric;
end
$$;
grant execute on function private.sync_number(jsonb, text) to authenticated;

-- An array of uuids (null when absent).
create function private.sync_uuids(item jsonb, field text)
returns uuid[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  result uuid[] := '{}';
begin
  if jsonb_typeof(item -> field) is null or jsonb_typeof(item -> field) = 'null' then
    return null;
  end if;
  if jsonb_typeof(item -> field) <> 'array' or jsonb_array_length(item -> field) > 100 then
    perform private.invalid_parameter(pg_catalog.format('%s must be an array of at most 100 uuids', field));
  end if;
  for i in 0 .. jsonb_array_length(item -> field) - 1 loop
    result := result || private.sync_uuid(jsonb_build_object(pg_catalog.format('%s[%s]', field, i), item -> field -> i),
      pg_catalog.format('%s[%s]', field, i));
  end loop;
  return result;
end
$$;
grant execute on function private.sync_uuids(jsonb, text) to authenticated;

-- Whether a client whose cursor is (low, seen) has this version of a row.
create function private.sync_seen(xid xid8, low pg_snapshot, seen xid8[])
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
  return pg_catalog.pg_visible_in_snapshot(xid, low) or xid = any (seen);
end
$$;
grant execute on function private.sync_seen(xid8, pg_snapshot, xid8[]) to authenticated;

-- The row an id stands for: itself, or the row it is an alias of; for entities, the survivor of
-- merges (merged_into_id).
create function private.sync_resolve(table_name text, row_id uuid)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  target uuid;
begin
  if row_id is null then
    return null;
  end if;
  select a.row_id into target from public.sync_aliases a
  where a.user_id = (select auth.uid()) and a.table_name = sync_resolve.table_name and a.alias_id = sync_resolve.row_id;
  target := coalesce(target, row_id);
  if table_name = 'entities' then
    for i in 1 .. 20 loop
      exit when not exists (select 1 from public.entities e where e.id = target and e.merged_into_id is not null);
      select e.merged_into_id into target from public.entities e where e.id = target;
    end loop;
  end if;
  return target;
end
$$;
grant execute on function private.sync_resolve(text, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Finding the row a pushed change is about, locked: by id (or alias), else by client id, else by
-- natural key. Returns its id (null: none), whether it is deleted and its last writer.
create function private.sync_locate(
  table_name text,
  item jsonb,
  row_id uuid,
  out found_id uuid,
  out deleted boolean,
  out updated_xid xid8
)
language plpgsql
volatile
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  client text := private.sync_text(item, 'client_id');
  wanted uuid := private.sync_resolve(table_name, row_id);
begin
  case table_name
  when 'entries' then
    select e.id, e.deleted_at is not null, e.updated_xid into found_id, deleted, updated_xid
    from public.entries e where e.id = wanted for update;
    if found_id is null and client is not null then
      select e.id, e.deleted_at is not null, e.updated_xid into found_id, deleted, updated_xid
      from public.entries e
      where e.user_id = me and e.client_id = client and e.source_app is not distinct from private.sync_text(item, 'source_app')
      for update;
    end if;
  when 'entities' then
    select e.id, e.deleted_at is not null, e.updated_xid into found_id, deleted, updated_xid
    from public.entities e where e.id = wanted for update;
    if found_id is null and client is not null then
      select e.id, e.deleted_at is not null, e.updated_xid into found_id, deleted, updated_xid
      from public.entities e where e.user_id = me and e.client_id = client for update;
    end if;
    if found_id is null then
      -- two devices' "Running" tags are one entity
      select e.id, false, e.updated_xid into found_id, deleted, updated_xid
      from public.entities e
      where e.user_id = me and e.type = (item ->> 'type') and e.key = private.entity_key(item ->> 'key')
        and e.deleted_at is null
      for update;
    end if;
  when 'goals' then
    select g.id, g.deleted_at is not null, g.updated_xid into found_id, deleted, updated_xid
    from public.goals g where g.id = wanted for update;
    if found_id is null and client is not null then
      select g.id, g.deleted_at is not null, g.updated_xid into found_id, deleted, updated_xid
      from public.goals g where g.user_id = me and g.client_id = client for update;
    end if;
  when 'projects' then
    select p.id, false, p.updated_xid into found_id, deleted, updated_xid
    from public.projects p where p.id = wanted for update;
    if found_id is null and client is not null then
      select p.id, false, p.updated_xid into found_id, deleted, updated_xid
      from public.projects p where p.owner_id = me and p.client_id = client for update;
    end if;
    if found_id is null and exists (
      select 1 from public.sync_tombstones t where t.user_id = me and t.table_name = 'projects' and t.row_id = wanted) then
      found_id := wanted;
      deleted := true;
    end if;
  when 'habit_definitions' then
    select h.id, h.deleted_at is not null, h.updated_xid into found_id, deleted, updated_xid
    from public.habit_definitions h where h.id = wanted for update;
    if found_id is null and client is not null then
      select h.id, h.deleted_at is not null, h.updated_xid into found_id, deleted, updated_xid
      from public.habit_definitions h where h.user_id = me and h.client_id = client for update;
    end if;
  when 'tracker_definitions' then
    select t.id, t.deleted_at is not null, t.updated_xid into found_id, deleted, updated_xid
    from public.tracker_definitions t where t.id = wanted for update;
    if found_id is null and client is not null then
      select t.id, t.deleted_at is not null, t.updated_xid into found_id, deleted, updated_xid
      from public.tracker_definitions t where t.user_id = me and t.client_id = client for update;
    end if;
  when 'habit_instances' then
    select i.id, i.deleted_at is not null, i.updated_xid into found_id, deleted, updated_xid
    from public.habit_instances i where i.id = wanted for update;
    if found_id is null and client is not null then
      select i.id, i.deleted_at is not null, i.updated_xid into found_id, deleted, updated_xid
      from public.habit_instances i where i.user_id = me and i.client_id = client for update;
    end if;
    if found_id is null then
      -- one log per habit and day: another device's log of that day is this one
      select i.id, i.deleted_at is not null, i.updated_xid into found_id, deleted, updated_xid
      from public.habit_instances i
      where i.habit_id = private.sync_resolve('habit_definitions', private.sync_uuid(item, 'habit_id'))
        and i.local_date = private.sync_date(item, 'local_date')
      for update;
    end if;
  when 'tracker_logs' then
    select l.id, l.deleted_at is not null, l.updated_xid into found_id, deleted, updated_xid
    from public.tracker_logs l where l.id = wanted for update;
    if found_id is null and client is not null then
      select l.id, l.deleted_at is not null, l.updated_xid into found_id, deleted, updated_xid
      from public.tracker_logs l where l.user_id = me and l.client_id = client for update;
    end if;
  when 'workouts' then
    select w.id, w.deleted_at is not null, w.updated_xid into found_id, deleted, updated_xid
    from public.workouts w where w.id = wanted for update;
    if found_id is null and client is not null then
      select w.id, w.deleted_at is not null, w.updated_xid into found_id, deleted, updated_xid
      from public.workouts w where w.user_id = me and w.client_id = client for update;
    end if;
  when 'meals' then
    select m.id, m.deleted_at is not null, m.updated_xid into found_id, deleted, updated_xid
    from public.meals m where m.id = wanted for update;
    if found_id is null and client is not null then
      select m.id, m.deleted_at is not null, m.updated_xid into found_id, deleted, updated_xid
      from public.meals m where m.user_id = me and m.client_id = client for update;
    end if;
  when 'saved_views' then
    select v.id, v.deleted_at is not null, v.updated_xid into found_id, deleted, updated_xid
    from public.saved_views v where v.id = wanted for update;
    if found_id is null and client is not null then
      select v.id, v.deleted_at is not null, v.updated_xid into found_id, deleted, updated_xid
      from public.saved_views v where v.user_id = me and v.client_id = client for update;
    end if;
    if found_id is null then
      -- one live view per name
      select v.id, false, v.updated_xid into found_id, deleted, updated_xid
      from public.saved_views v where v.user_id = me and v.name = pg_catalog.btrim(item ->> 'name') and v.deleted_at is null
      for update;
    end if;
  end case;
end
$$;
grant execute on function private.sync_locate(text, jsonb, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Writing a pushed row: the table's fields checked with the journal's own rules (22023 naming the
-- field), then inserted (is_new) or updated when different. Returns whether anything was written.
-- Rows state the whole object, as the journal's upserts do: an omitted optional field is null; an
-- omitted field that cannot be null keeps its value (a new row takes its default).
create function private.sync_write(table_name text, item jsonb, row_id uuid, is_new boolean)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  me uuid := (select auth.uid());
  v_client text := private.sync_text(item, 'client_id');
  written_key text;
  entity_key text;
  entity_type text;
  v_display text;
  v_meta jsonb;
  v_title text;
  v_status text;
  v_schedule jsonb;
  v_target numeric;
  v_kind text;
  v_unit text;
  v_parent uuid;
  v_ref uuid;
  v_day date;
  v_amount numeric;
  v_note text;
  v_started timestamptz;
  v_ended timestamptz;
  parsed jsonb := '[]';
  v_ids uuid[];
  v_keys jsonb;
  goal_list uuid[];
  project_list uuid[];
  before_version tid;
  wrote boolean := false;
  changed_children boolean;
begin
  perform private.check_token(v_client, 'client_id', 200);
  case table_name
  when 'entities' then
    entity_type := private.sync_text(item, 'type');
    if entity_type is null or entity_type not in ('tag', 'person', 'place', 'context', 'theme') then
      perform private.invalid_parameter(pg_catalog.format('type %L is not one of tag, person, place, context, theme',
        entity_type));
    end if;
    written_key := pg_catalog.btrim(pg_catalog.regexp_replace(private.sync_text(item, 'key'), '[[:space:]]+', ' ', 'g'));
    entity_key := private.entity_key(written_key);
    if entity_key is null or char_length(entity_key) not between 1 and 200 or entity_key ~ '[[:cntrl:]]' then
      perform private.invalid_parameter('key must be 1 to 200 characters (after trimming) without control characters');
    end if;
    -- as upsert_entities: a new entity is named as its key was written; an existing one keeps its
    -- name and metadata unless the row gives them
    v_display := private.clean_label(private.sync_text(item, 'display_name'), 'display_name', 200);
    v_meta := nullif(item -> 'metadata', 'null'::jsonb);
    perform private.check_json_object(v_meta, 'metadata');
    if is_new then
      insert into public.entities (id, client_id, type, key, display_name, metadata)
      values (row_id, v_client, entity_type, entity_key, coalesce(v_display, written_key), coalesce(v_meta, '{}'));
      return true;
    end if;
    if exists (select 1 from public.entities e where e.id = row_id and (e.type, e.key) <> (entity_type, entity_key)) then
      perform private.invalid_parameter('type and key of an entity cannot change',
        'Create another entity (or merge_entities) instead.');
    end if;
    update public.entities e set display_name = coalesce(v_display, e.display_name), metadata = coalesce(v_meta, e.metadata)
    where e.id = row_id
      and (e.display_name::text, e.metadata::jsonb) is distinct from (coalesce(v_display, e.display_name), coalesce(v_meta, e.metadata));
    return found;

  when 'goals' then
    v_title := private.clean_label(private.sync_text(item, 'title'), 'title', 200);
    if v_title is null then
      perform private.invalid_parameter('title is required');
    end if;
    v_status := private.sync_text(item, 'status');
    if v_status is not null and v_status not in ('active', 'paused', 'completed', 'abandoned', 'archived') then
      perform private.invalid_parameter(pg_catalog.format(
        'status %L is not one of active, paused, completed, abandoned, archived', v_status));
    end if;
    v_parent := private.sync_resolve('goals', private.sync_uuid(item, 'parent_id'));
    v_day := private.sync_date(item, 'target_date');
    if is_new then
      insert into public.goals (id, client_id, parent_id, title, status, target_date)
      values (row_id, v_client, v_parent, v_title, coalesce(v_status, 'active'), v_day);
      return true;
    end if;
    update public.goals g
    set client_id = coalesce(v_client, g.client_id), parent_id = v_parent, title = v_title,
        status = coalesce(v_status, g.status), target_date = v_day
    where g.id = row_id
      and (g.client_id::text, g.parent_id, g.title::text, g.status, g.target_date)
        is distinct from (coalesce(v_client, g.client_id), v_parent, v_title, coalesce(v_status, g.status), v_day);
    return found;

  when 'projects' then
    perform private.check_project_fields(private.sync_text(item, 'name'), private.sync_text(item, 'description'),
      private.sync_text(item, 'category'), private.sync_text(item, 'goal'), private.sync_text(item, 'location'),
      private.sync_number(item, 'target_budget'), private.sync_text(item, 'currency'), private.sync_text(item, 'status'),
      private.sync_text(item, 'current_step'), nullif(item -> 'metadata', 'null'::jsonb));
    if private.sync_text(item, 'name') is null then
      perform private.invalid_parameter('name is required');
    end if;
    if is_new then
      insert into public.projects (id, client_id, name, description, category, goal, location, target_budget, currency,
        status, current_step, metadata)
      values (row_id, v_client, pg_catalog.btrim(item ->> 'name'), nullif(item ->> 'description', ''),
        nullif(pg_catalog.btrim(item ->> 'category'), ''), nullif(item ->> 'goal', ''),
        nullif(pg_catalog.btrim(item ->> 'location'), ''), private.sync_number(item, 'target_budget'),
        coalesce(item ->> 'currency', 'USD'), coalesce(item ->> 'status', 'draft'), item ->> 'current_step',
        coalesce(nullif(item -> 'metadata', 'null'::jsonb), '{}'));
      return true;
    end if;
    update public.projects p
    set name = pg_catalog.btrim(item ->> 'name'), description = nullif(item ->> 'description', ''),
        category = nullif(pg_catalog.btrim(item ->> 'category'), ''), goal = nullif(item ->> 'goal', ''),
        location = nullif(pg_catalog.btrim(item ->> 'location'), ''), target_budget = private.sync_number(item, 'target_budget'),
        currency = coalesce(item ->> 'currency', p.currency), status = coalesce(item ->> 'status', p.status),
        current_step = item ->> 'current_step', metadata = coalesce(nullif(item -> 'metadata', 'null'::jsonb), p.metadata)
    where p.id = row_id
      and (p.name, p.description, p.category, p.goal, p.location, p.target_budget, p.currency::text, p.status,
        p.current_step, p.metadata)
      is distinct from (pg_catalog.btrim(item ->> 'name'), nullif(item ->> 'description', ''),
        nullif(pg_catalog.btrim(item ->> 'category'), ''), nullif(item ->> 'goal', ''),
        nullif(pg_catalog.btrim(item ->> 'location'), ''), private.sync_number(item, 'target_budget'),
        coalesce(item ->> 'currency', p.currency::text), coalesce(item ->> 'status', p.status), item ->> 'current_step',
        coalesce(nullif(item -> 'metadata', 'null'::jsonb), p.metadata));
    return found;

  when 'habit_definitions' then
    v_title := private.clean_label(private.sync_text(item, 'name'), 'name', 200);
    if v_title is null then
      perform private.invalid_parameter('name is required');
    end if;
    v_schedule := private.normalize_habit_schedule(nullif(item -> 'schedule', 'null'::jsonb));
    v_target := private.sync_number(item, 'target');
    if v_target <= 0 or v_target > 1000000000 then
      perform private.invalid_parameter('target must be a number greater than 0 (at most 10^9)');
    end if;
    if is_new then
      insert into public.habit_definitions (id, client_id, name, schedule, target)
      values (row_id, v_client, v_title, v_schedule, coalesce(v_target, 1));
      return true;
    end if;
    update public.habit_definitions h
    set client_id = coalesce(v_client, h.client_id), name = v_title, schedule = v_schedule,
        target = coalesce(v_target, h.target)
    where h.id = row_id
      and (h.client_id::text, h.name::text, h.schedule, h.target)
        is distinct from (coalesce(v_client, h.client_id), v_title, v_schedule, coalesce(v_target, h.target));
    return found;

  when 'tracker_definitions' then
    v_title := private.clean_label(private.sync_text(item, 'name'), 'name', 200);
    if v_title is null then
      perform private.invalid_parameter('name is required');
    end if;
    v_unit := private.clean_label(private.sync_text(item, 'unit'), 'unit', 64, true);
    v_kind := private.sync_text(item, 'kind');
    if v_kind is not null and v_kind not in ('numeric', 'boolean', 'scale') then
      perform private.invalid_parameter(pg_catalog.format('kind %L is not one of numeric, boolean, scale', v_kind));
    end if;
    if is_new then
      if v_kind is null then
        perform private.invalid_parameter('kind is required: numeric, boolean or scale');
      end if;
      insert into public.tracker_definitions (id, client_id, name, unit, kind) values (row_id, v_client, v_title, v_unit, v_kind);
      return true;
    end if;
    update public.tracker_definitions t
    set client_id = coalesce(v_client, t.client_id), name = v_title, unit = v_unit,
        kind = coalesce(v_kind, t.kind)
    where t.id = row_id
      and (t.client_id::text, t.name::text, t.unit::text, t.kind)
        is distinct from (coalesce(v_client, t.client_id), v_title, v_unit, coalesce(v_kind, t.kind));
    return found;

  when 'entries' then
    -- upsert_entry does the work (checks, client ids, links); linked ids are resolved first: an
    -- alias or a merged entity stands for its survivor, a deleted entity, goal or project is
    -- dropped (delete wins), an id that was never the caller's is refused
    v_ids := private.sync_uuids(item, 'entity_ids');
    if v_ids is not null then
      for i in 1 .. cardinality(v_ids) loop
        v_ref := private.sync_resolve('entities', v_ids[i]);
        if not exists (select 1 from public.entities e where e.id = v_ref) then
          perform private.invalid_parameter(pg_catalog.format('entity_ids[%s] is not one of your entities', i - 1));
        end if;
        v_ids[i] := v_ref;
      end loop;
      select coalesce(jsonb_agg(jsonb_build_object('type', e.type, 'key', e.key)), '[]') into v_keys
      from public.entities e where e.id = any (v_ids) and e.deleted_at is null;
    end if;
    goal_list := array(select private.sync_resolve('goals', g) from unnest(private.sync_uuids(item, 'goal_ids')) g
      where not exists (select 1 from public.goals x where x.id = private.sync_resolve('goals', g) and x.deleted_at is not null));
    project_list := array(select private.sync_resolve('projects', p) from unnest(private.sync_uuids(item, 'project_ids')) p
      where not exists (select 1 from public.sync_tombstones t
        where t.user_id = me and t.table_name = 'projects' and t.row_id = private.sync_resolve('projects', p)));
    -- whether upsert_entry wrote: a rewritten row is a new row version (another ctid)
    if not is_new then
      select e.ctid into before_version from public.entries e where e.id = row_id;
    end if;
    perform public.upsert_entry(
      id => row_id, client_id => v_client, source_app => private.sync_text(item, 'source_app'),
      facets => case when jsonb_typeof(item -> 'facets') = 'array'
        then array(select jsonb_array_elements_text(item -> 'facets')) end,
      title => private.sync_text(item, 'title'), body_markdown => private.sync_text(item, 'body_markdown'),
      occurred_at => private.sync_timestamptz(item, 'occurred_at'), starts_at => private.sync_timestamptz(item, 'starts_at'),
      ends_at => private.sync_timestamptz(item, 'ends_at'), due_at => private.sync_timestamptz(item, 'due_at'),
      status => private.sync_text(item, 'status'), frontmatter => nullif(item -> 'frontmatter', 'null'::jsonb),
      entity_keys => v_keys,
      goal_ids => case when jsonb_typeof(item -> 'goal_ids') = 'array' then goal_list end,
      project_ids => case when jsonb_typeof(item -> 'project_ids') = 'array' then project_list end);
    return is_new or (select e.ctid from public.entries e where e.id = row_id) is distinct from before_version;

  when 'habit_instances' then
    v_ref := private.sync_resolve('habit_definitions', private.sync_uuid(item, 'habit_id'));
    v_day := private.sync_date(item, 'local_date');
    if v_ref is null or not exists (select 1 from public.habit_definitions h where h.id = v_ref) then
      perform private.invalid_parameter('habit_id must be one of your habits');
    end if;
    if v_day is null then
      perform private.invalid_parameter('local_date is required');
    end if;
    v_amount := private.sync_number(item, 'value');
    if v_amount < 0 or v_amount > 1000000000 then
      perform private.invalid_parameter('value must be a number >= 0 (at most 10^9)');
    end if;
    v_note := nullif(pg_catalog.btrim(private.sync_text(item, 'note')), '');
    if char_length(v_note) > 2000 then
      perform private.invalid_parameter('note must be at most 2,000 characters');
    end if;
    if is_new then
      insert into public.habit_instances (id, habit_id, local_date, value, note, client_id)
      values (row_id, v_ref, v_day, coalesce(v_amount, (select h.target from public.habit_definitions h where h.id = v_ref)),
        v_note, v_client);
      return true;
    end if;
    if exists (select 1 from public.habit_instances i where i.id = row_id and (i.habit_id, i.local_date) <> (v_ref, v_day)) then
      perform private.invalid_parameter('habit_id and local_date of a habit log cannot change');
    end if;
    -- a deleted day logged again comes back (as log_habit does)
    update public.habit_instances i set value = coalesce(v_amount, i.value), note = v_note, deleted_at = null
    where i.id = row_id
      and (i.value, i.note, i.deleted_at) is distinct from (coalesce(v_amount, i.value), v_note, null::timestamptz);
    return found;

  when 'tracker_logs' then
    v_ref := private.sync_resolve('tracker_definitions', private.sync_uuid(item, 'tracker_id'));
    select t.kind into v_kind from public.tracker_definitions t where t.id = v_ref;
    if v_kind is null then
      perform private.invalid_parameter('tracker_id must be one of your trackers');
    end if;
    v_amount := private.sync_number(item, 'value');
    perform private.check_tracker_value(v_kind, v_amount);
    v_note := nullif(pg_catalog.btrim(private.sync_text(item, 'note')), '');
    if char_length(v_note) > 2000 then
      perform private.invalid_parameter('note must be at most 2,000 characters');
    end if;
    v_started := private.sync_timestamptz(item, 'recorded_at');
    if is_new then
      insert into public.tracker_logs (id, tracker_id, value, recorded_at, note, client_id)
      values (row_id, v_ref, v_amount, coalesce(v_started, private.now()), v_note, v_client);
      return true;
    end if;
    if exists (select 1 from public.tracker_logs l where l.id = row_id and l.tracker_id <> v_ref) then
      perform private.invalid_parameter('tracker_id of a tracker log cannot change');
    end if;
    update public.tracker_logs l
    set value = v_amount, recorded_at = coalesce(v_started, l.recorded_at), note = v_note
    where l.id = row_id
      and (l.value, l.recorded_at, l.note) is distinct from (v_amount, coalesce(v_started, l.recorded_at), v_note);
    return found;

  when 'workouts', 'meals' then
    v_ref := private.sync_resolve('entries', private.sync_uuid(item, 'entry_id'));
    if v_ref is not null and not exists (select 1 from public.entries e where e.id = v_ref) then
      perform private.invalid_parameter('entry_id must be one of your entries');
    end if;
    if table_name = 'workouts' then
      v_kind := private.clean_label(private.sync_text(item, 'kind'), 'kind', 64);
      v_started := private.sync_timestamptz(item, 'started_at');
      v_ended := private.sync_timestamptz(item, 'ended_at');
      if v_kind is null or v_started is null then
        perform private.invalid_parameter(case when v_kind is null then 'kind is required' else 'started_at is required' end);
      end if;
      if v_ended < v_started then
        perform private.invalid_parameter('ended_at must not be before started_at');
      end if;
      if jsonb_typeof(item -> 'rows') is distinct from 'array' or jsonb_array_length(item -> 'rows') > 200 then
        perform private.invalid_parameter('rows must be an array of at most 200 {exercise, sets?, reps?, weight?, duration?, distance?}');
      end if;
      for i in 0 .. jsonb_array_length(item -> 'rows') - 1 loop
        parsed := parsed || jsonb_build_array(private.check_workout_row(item -> 'rows' -> i, pg_catalog.format('rows[%s]', i)));
      end loop;
      if is_new then
        insert into public.workouts (id, client_id, entry_id, kind, started_at, ended_at)
        values (row_id, v_client, v_ref, v_kind, v_started, v_ended);
      else
        update public.workouts w set entry_id = v_ref, kind = v_kind, started_at = v_started, ended_at = v_ended
        where w.id = row_id
          and (w.entry_id, w.kind::text, w.started_at, w.ended_at) is distinct from (v_ref, v_kind, v_started, v_ended);
        wrote := found;
      end if;
      changed_children := is_new or parsed is distinct from coalesce((
        select jsonb_agg(to_jsonb(r) - '{user_id,workout_id,position}'::text[] order by r.position)
        from public.workout_rows r where r.workout_id = row_id), '[]');
      if changed_children then
        delete from public.workout_rows r where r.workout_id = row_id;
        insert into public.workout_rows (workout_id, position, exercise, sets, reps, weight, duration, distance, notes)
        select row_id, x.n::integer, x.r ->> 'exercise', (x.r ->> 'sets')::integer, (x.r ->> 'reps')::integer,
          (x.r ->> 'weight')::numeric, (x.r ->> 'duration')::numeric, (x.r ->> 'distance')::numeric, x.r ->> 'notes'
        from jsonb_array_elements(parsed) with ordinality x(r, n);
        if not is_new and not wrote then
          update public.workouts w set kind = w.kind where w.id = row_id;
        end if;
      end if;
      return is_new or wrote or changed_children;
    end if;
    v_kind := private.sync_text(item, 'meal_type');
    v_started := private.sync_timestamptz(item, 'eaten_at');
    if v_kind is null or v_kind not in ('breakfast', 'lunch', 'dinner', 'snack', 'drink', 'other') then
      perform private.invalid_parameter(pg_catalog.format(
        'meal_type %L is not one of breakfast, lunch, dinner, snack, drink, other', v_kind));
    end if;
    if v_started is null then
      perform private.invalid_parameter('eaten_at is required');
    end if;
    if jsonb_typeof(item -> 'items') is distinct from 'array' or jsonb_array_length(item -> 'items') > 200 then
      perform private.invalid_parameter('items must be an array of at most 200 {name, quantity?, v_unit?, calories?, protein?, carbs?, fat?}');
    end if;
    for i in 0 .. jsonb_array_length(item -> 'items') - 1 loop
      parsed := parsed || jsonb_build_array(private.check_meal_item(item -> 'items' -> i, pg_catalog.format('items[%s]', i)));
    end loop;
    if is_new then
      insert into public.meals (id, client_id, entry_id, meal_type, eaten_at) values (row_id, v_client, v_ref, v_kind, v_started);
    else
      update public.meals m set entry_id = v_ref, meal_type = v_kind, eaten_at = v_started
      where m.id = row_id and (m.entry_id, m.meal_type, m.eaten_at) is distinct from (v_ref, v_kind, v_started);
      wrote := found;
    end if;
    changed_children := is_new or parsed is distinct from coalesce((
      select jsonb_agg(to_jsonb(x) - '{user_id,meal_id,position}'::text[] order by x.position)
      from public.meal_items x where x.meal_id = row_id), '[]');
    if changed_children then
      delete from public.meal_items x where x.meal_id = row_id;
      insert into public.meal_items (meal_id, position, name, quantity, unit, calories, protein, carbs, fat)
      select row_id, x.n::integer, x.r ->> 'name', (x.r ->> 'quantity')::numeric, x.r ->> 'unit',
        (x.r ->> 'calories')::numeric, (x.r ->> 'protein')::numeric, (x.r ->> 'carbs')::numeric, (x.r ->> 'fat')::numeric
      from jsonb_array_elements(parsed) with ordinality x(r, n);
      if not is_new and not wrote then
        update public.meals m set meal_type = m.meal_type where m.id = row_id;
      end if;
    end if;
    return is_new or wrote or changed_children;

  when 'saved_views' then
    v_title := private.clean_label(private.sync_text(item, 'name'), 'name', 200);
    v_meta := nullif(item -> 'query', 'null'::jsonb);
    if v_title is null then
      perform private.invalid_parameter('name is required');
    end if;
    if v_meta is null or jsonb_typeof(v_meta) <> 'object' or pg_column_size(v_meta) > 16384 then
      perform private.invalid_parameter('query must be a JSON object of at most 16 kB');
    end if;
    if is_new then
      insert into public.saved_views (id, client_id, name, query) values (row_id, v_client, v_title, v_meta);
      return true;
    end if;
    update public.saved_views v set name = v_title, query = v_meta
    where v.id = row_id and (v.name::text, v.query::jsonb) is distinct from (v_title, v_meta);
    return found;
  end case;
  return wrote;
end
$$;
grant execute on function private.sync_write(text, jsonb, uuid, boolean) to authenticated;

-- Deleting a row a client deleted: a tombstone (deleted_at), or for a project the project itself
-- (as delete_project: its tombstone is recorded by projects_900_record_tombstones). A deleted
-- entity's links go, and its entries are marked changed (as merge_entities does); so do a deleted
-- project's.
create function private.sync_tombstone(table_name text, row_id uuid)
returns uuid[]
language plpgsql
volatile
set search_path = ''
as $$
declare
  unlinked uuid[] := '{}';
begin
  case table_name
  when 'entries' then
    update public.entries x set deleted_at = private.now() where x.id = row_id;
  when 'entities' then
    update public.entities x set deleted_at = private.now() where x.id = row_id;
    with gone as (delete from public.entry_entities l where l.entity_id = row_id returning l.entry_id)
    select coalesce(array_agg(g.entry_id), '{}') into unlinked from gone g;
    perform private.touch_entries(unlinked);
  when 'goals' then
    update public.goals x set deleted_at = private.now() where x.id = row_id;
  when 'projects' then
    -- projects_110_touch_entries marks its entries changed
    unlinked := array(select l.entry_id from public.entry_projects l where l.project_id = row_id);
    delete from public.projects x where x.id = row_id;
  when 'habit_definitions' then
    update public.habit_definitions x set deleted_at = private.now() where x.id = row_id;
  when 'tracker_definitions' then
    update public.tracker_definitions x set deleted_at = private.now() where x.id = row_id;
  when 'habit_instances' then
    update public.habit_instances x set deleted_at = private.now() where x.id = row_id;
  when 'tracker_logs' then
    update public.tracker_logs x set deleted_at = private.now() where x.id = row_id;
  when 'workouts' then
    update public.workouts x set deleted_at = private.now() where x.id = row_id;
  when 'meals' then
    update public.meals x set deleted_at = private.now() where x.id = row_id;
  when 'saved_views' then
    update public.saved_views x set deleted_at = private.now() where x.id = row_id;
  end case;
  return unlinked;
end
$$;
comment on function private.sync_tombstone(text, uuid) is
  'Deletes a synced row as push_changes does; returns the entries it changed on the way (their links).';
grant execute on function private.sync_tombstone(text, uuid) to authenticated;

-- Synced rows of the caller's by table and ids, as pull_changes returns them (deleted ones too,
-- with their deleted_at), in one query per table: what push_changes answers with.
create function private.sync_rows(table_name text, ids uuid[])
returns table (id uuid, "row" jsonb)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  drop_keys constant text[] := '{user_id,owner_id,created_xid,updated_xid}';
  links_entities jsonb;
  links_goals jsonb;
  links_projects jsonb;
  children jsonb;
begin
  case table_name
  when 'entries' then
    select coalesce(jsonb_object_agg(g.entry_id, g.ids), '{}') into links_entities from (
      select l.entry_id, jsonb_agg(l.entity_id order by l.entity_id) as ids from public.entry_entities l
      where l.entry_id = any (sync_rows.ids) group by l.entry_id) g;
    select coalesce(jsonb_object_agg(g.entry_id, g.ids), '{}') into links_goals from (
      select l.entry_id, jsonb_agg(l.goal_id order by l.goal_id) as ids from public.entry_goals l
      where l.entry_id = any (sync_rows.ids) group by l.entry_id) g;
    select coalesce(jsonb_object_agg(g.entry_id, g.ids), '{}') into links_projects from (
      select l.entry_id, jsonb_agg(l.project_id order by l.project_id) as ids from public.entry_projects l
      where l.entry_id = any (sync_rows.ids) group by l.entry_id) g;
    return query
    select x.id, to_jsonb(x) - drop_keys || jsonb_build_object(
      'entity_ids', coalesce(links_entities -> x.id::text, '[]'), 'goal_ids', coalesce(links_goals -> x.id::text, '[]'),
      'project_ids', coalesce(links_projects -> x.id::text, '[]'))
    from public.entries x where x.id = any (sync_rows.ids);
  when 'workouts' then
    select coalesce(jsonb_object_agg(g.workout_id, g.items), '{}') into children from (
      select r.workout_id, jsonb_agg(to_jsonb(r) - '{user_id,workout_id}'::text[] order by r.position) as items
      from public.workout_rows r where r.workout_id = any (sync_rows.ids) group by r.workout_id) g;
    return query
    select x.id, to_jsonb(x) - drop_keys || jsonb_build_object('rows', coalesce(children -> x.id::text, '[]'))
    from public.workouts x where x.id = any (sync_rows.ids);
  when 'meals' then
    select coalesce(jsonb_object_agg(g.meal_id, g.items), '{}') into children from (
      select i.meal_id, jsonb_agg(to_jsonb(i) - '{user_id,meal_id}'::text[] order by i.position) as items
      from public.meal_items i where i.meal_id = any (sync_rows.ids) group by i.meal_id) g;
    return query
    select x.id, to_jsonb(x) - drop_keys || jsonb_build_object('items', coalesce(children -> x.id::text, '[]'))
    from public.meals x where x.id = any (sync_rows.ids);
  when 'entities' then
    return query select x.id, to_jsonb(x) - drop_keys from public.entities x where x.id = any (sync_rows.ids);
  when 'goals' then
    return query select x.id, to_jsonb(x) - drop_keys from public.goals x where x.id = any (sync_rows.ids);
  when 'projects' then
    return query select x.id, to_jsonb(x) - drop_keys from public.projects x where x.id = any (sync_rows.ids);
  when 'habit_definitions' then
    return query select x.id, to_jsonb(x) - drop_keys from public.habit_definitions x where x.id = any (sync_rows.ids);
  when 'tracker_definitions' then
    return query select x.id, to_jsonb(x) - drop_keys from public.tracker_definitions x where x.id = any (sync_rows.ids);
  when 'habit_instances' then
    return query select x.id, to_jsonb(x) - drop_keys from public.habit_instances x where x.id = any (sync_rows.ids);
  when 'tracker_logs' then
    return query select x.id, to_jsonb(x) - drop_keys from public.tracker_logs x where x.id = any (sync_rows.ids);
  when 'saved_views' then
    return query select x.id, to_jsonb(x) - drop_keys from public.saved_views x where x.id = any (sync_rows.ids);
  end case;
end
$$;
comment on function private.sync_rows(text, uuid[]) is
  'Synced rows of the caller''s by table and ids, as pull_changes returns them (one query per table).';
grant execute on function private.sync_rows(text, uuid[]) to authenticated;

-- Records a conflict and returns the answer's entry for it.
create function private.sync_conflict(
  mutation_id text,
  table_name text,
  row_id uuid,
  winner text,
  op text,
  reason text,
  server_row jsonb,
  client_row jsonb,
  mapped_from uuid
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
  insert into public.sync_conflicts (mutation_id, table_name, row_id, winner, reason, server_row, client_row)
  values (mutation_id, table_name, row_id, winner, reason, server_row, client_row);
  return jsonb_strip_nulls(jsonb_build_object('kind', 'conflict', 'table', table_name, 'id', row_id, 'winner', winner,
    'op', op, 'reason', reason, 'mapped_from', mapped_from));
end
$$;
grant execute on function private.sync_conflict(text, text, uuid, text, text, text, jsonb, jsonb, uuid) to authenticated;

-- One pushed created/updated row: found, decided (see the top of this file), written. Returns
-- {kind: applied|conflict, table, id, op, winner?, reason?, mapped_from?}; raises for a row to
-- reject.
create function private.sync_push_upsert(
  mutation_id text,
  table_name text,
  item jsonb,
  low pg_snapshot,
  seen xid8[],
  written text[]
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  item_id uuid := private.sync_uuid(item, 'id');
  located record;
  mapped uuid;
  before jsonb;
  wrote boolean;
begin
  located := private.sync_locate(table_name, item, item_id);
  if located.found_id is null then
    item_id := coalesce(item_id, gen_random_uuid());
    perform private.sync_write(table_name, item, item_id, true);
    return jsonb_build_object('kind', 'applied', 'table', table_name, 'id', item_id, 'op', 'created');
  end if;
  if item_id is not null and item_id <> located.found_id
    and private.sync_resolve(table_name, item_id) <> located.found_id then
    -- the client's new row is one the server has: its id stands for the server's from now on
    mapped := item_id;
    insert into public.sync_aliases (table_name, alias_id, row_id) values (table_name, item_id, located.found_id)
    on conflict do nothing;
  end if;
  if located.deleted and not (table_name = 'habit_instances' and mapped is not null) then
    -- delete wins over update (a day logged again on another device is a new log of it: below)
    return private.sync_conflict(mutation_id, table_name, located.found_id, 'server', 'deleted',
      'deleted on the server: a delete wins over an update', null, item, mapped);
  end if;
  if not private.sync_seen(located.updated_xid, low, seen) and not ((table_name || ':' || located.found_id) = any (written)) then
    before := private.sync_row(table_name, located.found_id);
  end if;
  wrote := private.sync_write(table_name, item, located.found_id, false);
  if wrote and before is not null and not located.deleted then
    return private.sync_conflict(mutation_id, table_name, located.found_id, 'client', 'updated',
      'changed on the server since the last pull: the last write wins', before, item, mapped);
  end if;
  return jsonb_strip_nulls(jsonb_build_object('kind', 'applied', 'table', table_name, 'id', located.found_id,
    'op', 'updated', 'mapped_from', mapped));
end
$$;
grant execute on function private.sync_push_upsert(text, text, jsonb, pg_snapshot, xid8[], text[]) to authenticated;

-- One pushed delete: ignored when the row does not exist or is deleted already; a conflict (that
-- the delete wins) when the row changed on the server since the last pull. The answer's entry
-- carries `touched`: entries the delete changed (their links).
create function private.sync_push_delete(
  mutation_id text,
  table_name text,
  item jsonb,
  low pg_snapshot,
  seen xid8[],
  written text[]
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  item_id uuid := private.sync_uuid(item, 'id');
  located record;
  before jsonb;
  touched uuid[];
begin
  if item_id is null then
    perform private.invalid_parameter('a deleted id must be a uuid');
  end if;
  -- by id (or alias) only: a client deletes rows it knows
  located := private.sync_locate(table_name, jsonb_build_object('id', item_id), item_id);
  if located.found_id is null or located.deleted then
    return null;
  end if;
  if not private.sync_seen(located.updated_xid, low, seen) and not ((table_name || ':' || located.found_id) = any (written)) then
    before := private.sync_row(table_name, located.found_id);
  end if;
  touched := private.sync_tombstone(table_name, located.found_id);
  if before is not null then
    return private.sync_conflict(mutation_id, table_name, located.found_id, 'client', 'deleted',
      'changed on the server since the last pull: a delete wins over an update', before, null, null)
      || jsonb_build_object('touched', touched);
  end if;
  return jsonb_build_object('kind', 'applied', 'table', table_name, 'id', located.found_id, 'op', 'deleted',
    'touched', touched);
end
$$;
grant execute on function private.sync_push_delete(text, text, jsonb, pg_snapshot, xid8[], text[]) to authenticated;

-- Every synced row of the caller's a transaction wrote (deleted: a tombstone), through the
-- (user, updated_xid) indexes.
create function private.sync_written_by(me uuid, writer xid8)
returns table (table_name text, row_id uuid, deleted boolean)
language sql
stable
set search_path = ''
as $$
  select 'entities', x.id, x.deleted_at is not null from public.entities x where x.user_id = me and x.updated_xid = writer
  union all
  select 'goals', x.id, x.deleted_at is not null from public.goals x where x.user_id = me and x.updated_xid = writer
  union all
  select 'projects', x.id, false from public.projects x where x.owner_id = me and x.updated_xid = writer
  union all
  select 'projects', t.row_id, true from public.sync_tombstones t
  where t.user_id = me and t.table_name = 'projects' and t.deleted_xid = writer
  union all
  select 'habit_definitions', x.id, x.deleted_at is not null from public.habit_definitions x
  where x.user_id = me and x.updated_xid = writer
  union all
  select 'tracker_definitions', x.id, x.deleted_at is not null from public.tracker_definitions x
  where x.user_id = me and x.updated_xid = writer
  union all
  select 'entries', x.id, x.deleted_at is not null from public.entries x where x.user_id = me and x.updated_xid = writer
  union all
  select 'habit_instances', x.id, x.deleted_at is not null from public.habit_instances x
  where x.user_id = me and x.updated_xid = writer
  union all
  select 'tracker_logs', x.id, x.deleted_at is not null from public.tracker_logs x
  where x.user_id = me and x.updated_xid = writer
  union all
  select 'workouts', x.id, x.deleted_at is not null from public.workouts x where x.user_id = me and x.updated_xid = writer
  union all
  select 'meals', x.id, x.deleted_at is not null from public.meals x where x.user_id = me and x.updated_xid = writer
  union all
  select 'saved_views', x.id, x.deleted_at is not null from public.saved_views x
  where x.user_id = me and x.updated_xid = writer
$$;
grant execute on function private.sync_written_by(uuid, xid8) to authenticated;

-- The changes argument: {<synced table>: {created?: [objects], updated?: [objects], deleted?: [ids]}},
-- at most 1,000 rows. 22023 naming what is wrong (the whole push is refused: it is malformed, not a
-- row that fails validation).
create function private.sync_check_changes(changes jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  t text;
  k text;
  total integer := 0;
begin
  if changes is null or jsonb_typeof(changes) <> 'object' then
    perform private.invalid_parameter('changes must be an object {<table>: {created, updated, deleted}}');
  end if;
  for t in select jsonb_object_keys(changes) loop
    if not (t = any (private.sync_tables())) then
      perform private.invalid_parameter(pg_catalog.format('changes.%s is not a synced table: use %s', t,
        pg_catalog.array_to_string(private.sync_tables(), ', ')));
    end if;
    if jsonb_typeof(changes -> t) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('changes.%s must be an object {created, updated, deleted}', t));
    end if;
    for k in select jsonb_object_keys(changes -> t) loop
      if k not in ('created', 'updated', 'deleted') or jsonb_typeof(changes -> t -> k) <> 'array' then
        perform private.invalid_parameter(pg_catalog.format(
          'changes.%s.%s is not one of the arrays created, updated, deleted', t, k));
      end if;
      total := total + jsonb_array_length(changes -> t -> k);
      for i in 0 .. jsonb_array_length(changes -> t -> k) - 1 loop
        if k = 'deleted' and jsonb_typeof(changes -> t -> k -> i) <> 'string' then
          perform private.invalid_parameter(pg_catalog.format('changes.%s.deleted[%s] must be an id', t, i));
        elsif k <> 'deleted' and jsonb_typeof(changes -> t -> k -> i) <> 'object' then
          perform private.invalid_parameter(pg_catalog.format('changes.%s.%s[%s] must be an object', t, k, i));
        end if;
      end loop;
    end loop;
  end loop;
  if total > 1000 then
    perform private.invalid_parameter(pg_catalog.format('changes hold %s rows: at most 1,000 per push', total),
      'Push the outbox in several calls, each with its own mutation_id.');
  end if;
end
$$;
grant execute on function private.sync_check_changes(jsonb) to authenticated;

create function public.push_changes(
  changes jsonb default null,
  last_pulled_cursor text default null,
  mutation_id text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  hash text;
  first record;
  c record;
  written text[] := '{}';
  outcomes jsonb[] := '{}';
  rejected jsonb := '[]';
  outcome jsonb;
  t text;
  op text;
  item jsonb;
  items jsonb;
  writer xid8;
  answer jsonb;
  state text;
  message text;
  detail text;
  violated text;
  list jsonb[];
  first_row integer;
  last_row integer;
  chunk_outcomes jsonb[];
  chunk_written text[];
  chunk_ok boolean;
begin
  if me is null then
    raise exception 'sign in to push changes' using errcode = '42501';
  end if;
  if push_changes.mutation_id is null then
    perform private.invalid_parameter('mutation_id is required: the id of this push, the same when it is retried');
  end if;
  perform private.check_token(push_changes.mutation_id, 'mutation_id', 200);
  perform private.sync_check_changes(push_changes.changes);
  c := private.sync_parse_cursor(push_changes.last_pulled_cursor, 'last_pulled_cursor');
  hash := md5(push_changes.changes::text);

  -- one push per mutation id at a time: a concurrent replay waits here, then finds the answer
  perform pg_advisory_xact_lock(hashtextextended('parley.sync:' || me::text || ':' || push_changes.mutation_id, 0));
  select m.changes_hash, m.answer into first from public.sync_mutations m
  where m.user_id = me and m.mutation_id = push_changes.mutation_id;
  if found then
    if first.changes_hash <> hash then
      raise exception 'mutation_id was used for other changes' using errcode = 'PT409',
        hint = 'A retry sends the same changes with the same mutation_id; new changes need a new mutation_id.';
    end if;
    return first.answer;
  end if;

  foreach t in array private.sync_tables() loop
    continue when not (push_changes.changes ? t);
    foreach op in array array['created', 'updated', 'deleted'] loop
      items := coalesce(push_changes.changes -> t -> op, '[]');
      continue when jsonb_array_length(items) = 0;
      if t = 'goals' and op <> 'deleted' then
        -- a parent before the goals under it
        with recursive given as (
          select x.item, x.n, x.item ->> 'id' as id, x.item ->> 'parent_id' as parent
          from jsonb_array_elements(items) with ordinality x(item, n)
        ), depth as (
          select g.id, 0 as level from given g where g.parent is null or not exists (select 1 from given p where p.id = g.parent)
          union all
          select g.id, d.level + 1 from given g join depth d on g.parent = d.id where d.level < 100
        )
        select jsonb_agg(g.item order by coalesce((select max(d.level) from depth d where d.id = g.id), 1000), g.n)
        into items from given g;
      end if;
      -- rows go in chunks of 50, each chunk in one subtransaction; when a row of a chunk fails, the
      -- chunk is rolled back and its rows run again one at a time, each in its own subtransaction,
      -- so that a bad row is rejected alone. (A clean push of 500 rows takes 10 subtransactions,
      -- not 500: more than 64 in one transaction would overflow its subtransaction cache and slow
      -- every other session's snapshots while it runs.)
      list := array(select x.value from jsonb_array_elements(items) x);
      first_row := 1;
      while first_row <= cardinality(list) loop
        last_row := least(first_row + 49, cardinality(list));
        chunk_outcomes := '{}';
        chunk_written := written;
        chunk_ok := true;
        begin
          for k in first_row .. last_row loop
            item := case when op = 'deleted' then jsonb_build_object('id', list[k]) else list[k] end;
            if op = 'deleted' then
              outcome := private.sync_push_delete(push_changes.mutation_id, t, item, c.low, c.seen, chunk_written);
            else
              outcome := private.sync_push_upsert(push_changes.mutation_id, t, item, c.low, c.seen, chunk_written);
            end if;
            if outcome is not null then
              -- what this push wrote is not its own conflict later on
              chunk_written := chunk_written || (t || ':' || (outcome ->> 'id'))
                || array(select 'entries:' || x from jsonb_array_elements_text(coalesce(outcome -> 'touched', '[]')) x);
              chunk_outcomes := chunk_outcomes || (outcome - 'touched');
            end if;
          end loop;
        exception when others then
          get stacked diagnostics state = returned_sqlstate;
          -- what is not about a row (deadlock, serialization, resources, cancel) fails the push
          if left(state, 2) in ('40', '53', '54', '55', '57', '58', 'XX') then
            raise;
          end if;
          chunk_ok := false;
        end;
        if chunk_ok then
          outcomes := outcomes || chunk_outcomes;
          written := chunk_written;
          first_row := last_row + 1;
          continue;
        end if;
        for k in first_row .. last_row loop
          item := case when op = 'deleted' then jsonb_build_object('id', list[k]) else list[k] end;
          -- a unique violation (a concurrent push made the same natural key) is tried once more,
          -- to find that row
          for attempt in 1 .. 2 loop
            begin
              if op = 'deleted' then
                outcome := private.sync_push_delete(push_changes.mutation_id, t, item, c.low, c.seen, written);
              else
                outcome := private.sync_push_upsert(push_changes.mutation_id, t, item, c.low, c.seen, written);
              end if;
              if outcome is not null then
                written := written || (t || ':' || (outcome ->> 'id'))
                  || array(select 'entries:' || x from jsonb_array_elements_text(coalesce(outcome -> 'touched', '[]')) x);
                outcomes := outcomes || (outcome - 'touched');
              end if;
              exit;
            exception when others then
              get stacked diagnostics state = returned_sqlstate, message = message_text, detail = pg_exception_detail,
                violated = constraint_name;
              if left(state, 2) in ('40', '53', '54', '55', '57', '58', 'XX') then
                raise;
              end if;
              continue when state = '23505' and attempt = 1;
              rejected := rejected || jsonb_build_object('table', t, 'id', item -> 'id', 'op', op, 'code', state,
                'reason', case
                  when state = '23505' and violated like '%\_pkey' then 'id is taken: another row has it'
                  when state = '23505' then message || coalesce(' (' || nullif(detail, '') || ')', '')
                  else message end,
                'row', private.sync_row(t, private.sync_resolve(t, case
                  when jsonb_typeof(item -> 'id') = 'string' and (item ->> 'id') ~* '^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$'
                  then (item ->> 'id')::uuid end)));
              exit;
            end;
          end loop;
        end loop;
        first_row := last_row + 1;
      end loop;
    end loop;
  end loop;

  -- every row this push wrote, as stored now: its own rows and the entries it changed on the way,
  -- read in one query per table
  writer := pg_current_xact_id();
  with outcome_list as (
    select o.value as o, o.value ->> 'table' as table_name, (o.value ->> 'id')::uuid as row_id
    from unnest(outcomes) o(value)
  ),
  touched as (
    select distinct split_part(w, ':', 1) as table_name, split_part(w, ':', 2)::uuid as row_id
    from unnest(written) w
    where not exists (select 1 from outcome_list o where o.table_name || ':' || o.row_id = w)
  ),
  wanted as (
    select o.table_name, o.row_id from outcome_list o where o.o ->> 'op' <> 'deleted'
    union
    select t.table_name, t.row_id from touched t
  ),
  stored as (
    select w.table_name, r.id, r."row"
    from (select x.table_name, array_agg(x.row_id) as ids from wanted x group by x.table_name) w
    cross join lateral private.sync_rows(w.table_name, w.ids) r
  ),
  applied as (
    select o.o || jsonb_build_object('row', case when o.o ->> 'op' <> 'deleted' then s."row" end) as a
    from outcome_list o left join stored s on s.table_name = o.table_name and s.id = o.row_id
    where o.o ->> 'kind' = 'applied'
    union all
    -- (an entry changed on the way may be a deleted one: then it is reported deleted)
    select jsonb_build_object('table', t.table_name, 'id', t.row_id,
      'op', case when s."row" ->> 'deleted_at' is null then 'updated' else 'deleted' end,
      'row', case when s."row" ->> 'deleted_at' is null then s."row" end)
    from touched t left join stored s on s.table_name = t.table_name and s.id = t.row_id
  )
  select jsonb_build_object(
    'applied', coalesce((select jsonb_agg(jsonb_strip_nulls(a.a - 'kind') || jsonb_build_object('row', a.a -> 'row'))
      from applied a), '[]'),
    'conflicts', coalesce((
      select jsonb_agg(o.o - 'kind' || jsonb_build_object('row', case when o.o ->> 'op' <> 'deleted' then s."row" end))
      from outcome_list o left join stored s on s.table_name = o.table_name and s.id = o.row_id
      where o.o ->> 'kind' = 'conflict'), '[]'),
    'rejected', rejected,
    -- the push's transaction counts as seen when the answer holds every synced row it wrote (always,
    -- unless something else wrote in the same transaction): the client pulls none of them again
    'cursor', private.sync_cursor(c.low,
      case when cardinality(c.seen) < 256 and not exists (
          select 1 from private.sync_written_by(me, writer) w
          where not ((w.table_name || ':' || w.row_id) = any (written)))
        then c.seen || writer else c.seen end,
      c.high, c.pos_table, c.pos_xid, c.pos_id))
  into answer;

  insert into public.sync_mutations (mutation_id, changes_hash, answer) values (push_changes.mutation_id, hash, answer);
  return answer;
end
$$;
grant execute on function public.push_changes(jsonb, text, text) to authenticated;
comment on function public.push_changes(jsonb, text, text) is
  'Applies a client''s changes in one transaction: changes {<table>: {created: [rows], updated: [rows], deleted: '
  '[ids]}} (the tables and row shapes of pull_changes; at most 1,000 rows), last_pulled_cursor (the cursor of the '
  'client''s last pull or push), mutation_id (required; the same for a retry: it returns the first answer and writes '
  'nothing, also when two arrive at once). A created row that exists is an update; rows are found by id, else by '
  'client_id, else by natural key (an entity''s type and normalised key: two devices'' "Running" tags are one '
  'entity; a habit''s day; a view''s name), and the client''s id then maps to the server''s (mapped_from). A deleted '
  'row that does not exist is ignored. A row changed on the server since last_pulled_cursor is a conflict, resolved '
  'last-write-wins on server time (the push wins) except that a delete wins over an update, and logged in '
  'sync_conflicts with both versions. A row that fails validation is rejected alone with the reason. Returns '
  '{applied: [{table, id, op (created, updated, deleted), row, mapped_from?}] (every row the push wrote, as stored), '
  'conflicts: [{table, id, winner (client, server), op, reason, row (the winning row; null when deleted), '
  'mapped_from?}], rejected: [{table, id, op, code, reason, row (the server''s row or null)}], cursor (use it as the '
  'next last_pulled_cursor and pull cursor: the push''s own writes count as seen)}. Errors: 22023 (400) malformed '
  'changes, missing mutation_id or a bad cursor; PT409 (409) mutation_id reused for other changes; anon is denied (401).';

-- RPC: the caller's conflict log, newest first.
create function public.list_sync_conflicts("limit" integer default 50, before bigint default null)
returns setof public.sync_conflicts
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if coalesce(list_sync_conflicts."limit", 50) not between 1 and 200 then
    perform private.invalid_parameter('limit must be between 1 and 200');
  end if;
  return query
  select x.* from public.sync_conflicts x
  where x.user_id = (select auth.uid()) and (list_sync_conflicts.before is null or x.id < list_sync_conflicts.before)
  order by x.id desc
  limit coalesce(list_sync_conflicts."limit", 50);
end
$$;
grant execute on function public.list_sync_conflicts(integer, bigint) to authenticated;
comment on function public.list_sync_conflicts(integer, bigint) is
  'The conflicts push_changes resolved for the caller (sync_conflicts rows: table_name, row_id, winner, reason, '
  'server_row, client_row, mutation_id, created_at), newest first; limit 1..200 (default 50); next page: before = the '
  'last id. Errors: 22023 (400) bad limit; anon is denied (401).';
