-- The entry RPCs that join entries with their entities, goals and projects: upsert_entry,
-- get_entry, list_entries. (add_entry_segments, delete_entry and restore_entry are in
-- 300_entries.sql; the dream parts of get_entry in 380_dreams.sql.)

-- An entry as upsert_entry returns it: the row, its entities, goal ids and project ids.
create function private.entry_with_links(entry public.entries)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return to_jsonb(entry) || jsonb_build_object(
    'entities', coalesce((
      select jsonb_agg(jsonb_build_object('id', e.id, 'type', e.type, 'key', e.key, 'display_name', e.display_name)
        order by e.type, e.key)
      from public.entry_entities l join public.entities e on e.id = l.entity_id
      where l.entry_id = entry.id), '[]'),
    'goal_ids', coalesce((select jsonb_agg(l.goal_id order by l.goal_id) from public.entry_goals l where l.entry_id = entry.id), '[]'),
    'project_ids', coalesce((
      select jsonb_agg(l.project_id order by l.project_id) from public.entry_projects l where l.entry_id = entry.id), '[]'));
end
$$;
grant execute on function private.entry_with_links(public.entries) to authenticated, service_role;

-- Replaces an entry's links of one kind with exactly `wanted` (the caller's checked ids); returns
-- whether anything changed. Links already there are not written again.
create function private.replace_entry_links(entry_id uuid, kind text, wanted uuid[], is_new boolean)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  removed integer := 0;
  added integer := 0;
begin
  if kind = 'entity' then
    if not is_new then
      delete from public.entry_entities l
      where l.entry_id = replace_entry_links.entry_id and l.entity_id <> all (wanted);
      get diagnostics removed = row_count;
    end if;
    insert into public.entry_entities (entry_id, entity_id)
    select replace_entry_links.entry_id, w.id from unnest(wanted) w(id)
    on conflict do nothing;
    get diagnostics added = row_count;
  elsif kind = 'goal' then
    if not is_new then
      delete from public.entry_goals l where l.entry_id = replace_entry_links.entry_id and l.goal_id <> all (wanted);
      get diagnostics removed = row_count;
    end if;
    insert into public.entry_goals (entry_id, goal_id)
    select replace_entry_links.entry_id, w.id from unnest(wanted) w(id)
    on conflict do nothing;
    get diagnostics added = row_count;
  else
    if not is_new then
      delete from public.entry_projects l where l.entry_id = replace_entry_links.entry_id and l.project_id <> all (wanted);
      get diagnostics removed = row_count;
    end if;
    insert into public.entry_projects (entry_id, project_id)
    select replace_entry_links.entry_id, w.id from unnest(wanted) w(id)
    on conflict do nothing;
    get diagnostics added = row_count;
  end if;
  return removed + added > 0;
end
$$;
grant execute on function private.replace_entry_links(uuid, text, uuid[], boolean) to authenticated;

-- The hot path of the journal: checks are written out here rather than called (each call of a
-- helper with its own search_path costs a settings switch), entity keys that all exist already are
-- resolved by one query, and a new entry's links and answer are written without reading back.
create function public.upsert_entry(
  id uuid default null,
  client_id text default null,
  source_app text default null,
  facets text[] default null,
  title text default null,
  body_markdown text default null,
  occurred_at timestamptz default null,
  starts_at timestamptz default null,
  ends_at timestamptz default null,
  due_at timestamptz default null,
  status text default null,
  frontmatter jsonb default null,
  entity_keys jsonb default null,
  goal_ids uuid[] default null,
  project_ids uuid[] default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  me uuid := auth.uid();
  allowed constant text[] := array['note', 'task', 'event', 'dream', 'workout', 'meal', 'habit_def', 'journal'];
  clean_facets text[];
  clean_title text := nullif(pg_catalog.btrim(upsert_entry.title), '');
  clean_status text := nullif(upsert_entry.status, '');
  clean_frontmatter jsonb := coalesce(upsert_entry.frontmatter, '{}');
  clean_goal_ids uuid[];
  clean_project_ids uuid[];
  entity_ids uuid[];
  entities jsonb := '[]';
  keys_ready boolean;
  key_types text[];
  key_names text[];
  key_displays text[];
  key_metadata jsonb[];
  entry public.entries;
  by_client public.entries;
  changed_entry public.entries;
  is_new boolean := false;
  links_changed boolean := false;
begin
  if me is null then
    raise exception 'sign in to write entries' using errcode = '42501';
  end if;
  -- everything is checked before anything is written (the helpers raise the precise errors)
  if upsert_entry.facets is null or cardinality(upsert_entry.facets) = 0 or not (upsert_entry.facets <@ allowed)
    or array_position(upsert_entry.facets, null) is not null then
    perform private.normalize_facets(upsert_entry.facets);
  end if;
  clean_facets := array(select a.f from unnest(allowed) with ordinality a(f, n) where a.f = any (upsert_entry.facets)
    order by a.n);
  if upsert_entry.client_id is not null
    and (char_length(upsert_entry.client_id) not between 1 and 200 or upsert_entry.client_id ~ '[[:space:][:cntrl:]]') then
    perform private.check_token(upsert_entry.client_id, 'client_id', 200);
  end if;
  if upsert_entry.source_app is not null then
    perform private.check_token(upsert_entry.source_app, 'source_app', 64);
    if upsert_entry.client_id is null then
      perform private.invalid_parameter('source_app needs client_id: together they name the client''s copy of the entry');
    end if;
  end if;
  if char_length(clean_title) > 500 or clean_title ~ '[[:cntrl:]]' or char_length(upsert_entry.body_markdown) > 1000000
    or upsert_entry.ends_at < upsert_entry.starts_at or clean_status !~ '^[a-z][a-z0-9_]{0,39}$'
    or jsonb_typeof(clean_frontmatter) <> 'object' or pg_column_size(clean_frontmatter) > 65536 then
    perform private.check_entry_fields(clean_title, upsert_entry.body_markdown, upsert_entry.starts_at,
      upsert_entry.ends_at, clean_status, clean_frontmatter);
  end if;
  if upsert_entry.entity_keys is not null then
    -- items that are all valid and name existing entities unchanged resolve with two small queries
    if jsonb_typeof(upsert_entry.entity_keys) = 'array' and jsonb_array_length(upsert_entry.entity_keys) <= 100 then
      select coalesce(bool_and(i.valid), true), coalesce(array_agg(i.type), '{}'), coalesce(array_agg(i.key), '{}'),
        coalesce(array_agg(i.display_name), '{}'), coalesce(array_agg(i.metadata), '{}')
      into keys_ready, key_types, key_names, key_displays, key_metadata
      from (
        select k.type, k.key, k.display_name, k.metadata,
          k.type in ('tag', 'person', 'place', 'context', 'theme') and char_length(k.key) between 1 and 200
            and k.key !~ '[[:cntrl:]]' and k.key_type = 'string'
            and (k.display_name is null or (char_length(k.display_name) between 1 and 200 and k.display_name !~ '[[:cntrl:]]'))
            and coalesce(jsonb_typeof(x.item -> 'display_name'), 'null') in ('null', 'string')
            and coalesce(jsonb_typeof(k.metadata), 'object') = 'object' and coalesce(pg_column_size(k.metadata), 0) <= 16384
            as valid
        from jsonb_array_elements(upsert_entry.entity_keys) x(item)
        cross join lateral (
          select x.item ->> 'type' as type, jsonb_typeof(x.item -> 'key') as key_type,
            lower(btrim(regexp_replace(x.item ->> 'key', '[[:space:]]+', ' ', 'g'))) as key,
            btrim(x.item ->> 'display_name') as display_name, nullif(x.item -> 'metadata', 'null'::jsonb) as metadata
          where jsonb_typeof(x.item) = 'object'
        ) k
      ) i;
      keys_ready := keys_ready and cardinality(key_types) = jsonb_array_length(upsert_entry.entity_keys);
    else
      keys_ready := false;
    end if;
    if keys_ready then
      select count(*) = cardinality(key_types), array_agg(distinct e.id) into keys_ready, entity_ids
      from unnest(key_types, key_names, key_displays, key_metadata) u(type, key, display_name, metadata)
      join public.entities e on e.user_id = me and e.type = u.type and e.key = u.key and e.deleted_at is null
      where (u.display_name is null or e.display_name = u.display_name) and (u.metadata is null or e.metadata = u.metadata);
      if keys_ready then
        select coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'type', e.type, 'key', e.key, 'display_name', e.display_name)
          order by e.type, e.key), '[]') into entities
        from public.entities e where e.id = any (entity_ids);
      end if;
    end if;
    if not keys_ready then
      -- a bad item (named by the check), a new key or a new display name: the general path
      perform private.check_entity_items(upsert_entry.entity_keys, 'entity_keys');
      select coalesce(array_agg(distinct u.entity_id), '{}') into entity_ids
      from private.upsert_entity_items(upsert_entry.entity_keys) u;
      entities := null;
    end if;
    entity_ids := coalesce(entity_ids, '{}');
  end if;
  if upsert_entry.goal_ids is not null then
    clean_goal_ids := array(select distinct g.id from unnest(upsert_entry.goal_ids) g(id) order by g.id);
    if cardinality(clean_goal_ids) > 100 or array_position(clean_goal_ids, null) is not null
      or (select count(*) from public.goals g where g.id = any (clean_goal_ids) and g.user_id = me) < cardinality(clean_goal_ids) then
      perform private.invalid_parameter('goal_ids must name at most 100 goals of yours', 'See list_goals().');
    end if;
  end if;
  if upsert_entry.project_ids is not null then
    clean_project_ids := array(select distinct p.id from unnest(upsert_entry.project_ids) p(id) order by p.id);
    if cardinality(clean_project_ids) > 100 or array_position(clean_project_ids, null) is not null
      or (select count(*) from public.projects p where p.id = any (clean_project_ids) and p.owner_id = me)
        < cardinality(clean_project_ids) then
      perform private.invalid_parameter('project_ids must name at most 100 projects of yours', 'See list_projects().');
    end if;
  end if;

  -- the entry: by id, else by the client's id (which must not name another entry)
  if upsert_entry.id is not null then
    select e.* into entry from public.entries e where e.id = upsert_entry.id for no key update;
  end if;
  if upsert_entry.client_id is not null then
    select e.* into by_client from public.entries e
    where e.user_id = me and e.client_id = upsert_entry.client_id and e.source_app is not distinct from upsert_entry.source_app
    for no key update;
    if by_client.id is not null and upsert_entry.id is not null and by_client.id <> upsert_entry.id then
      raise exception 'client_id names another entry' using errcode = 'PT409',
        hint = 'An entry has one client id per source app; this one belongs to a different entry.';
    end if;
    if entry.id is null then
      entry := by_client;
    end if;
  end if;

  if entry.id is null then
    insert into public.entries (id, client_id, source_app, facets, title, body_markdown, occurred_at, starts_at, ends_at,
      due_at, status, frontmatter)
    values (coalesce(upsert_entry.id, gen_random_uuid()), upsert_entry.client_id, upsert_entry.source_app, clean_facets,
      clean_title, upsert_entry.body_markdown, coalesce(upsert_entry.occurred_at, private.now()), upsert_entry.starts_at,
      upsert_entry.ends_at, upsert_entry.due_at, clean_status, clean_frontmatter)
    on conflict do nothing
    returning * into entry;
    if entry.id is null then
      -- a concurrent upsert of the same client id won: update what it made
      if upsert_entry.client_id is not null then
        select e.* into entry from public.entries e
        where e.user_id = me and e.client_id = upsert_entry.client_id
          and e.source_app is not distinct from upsert_entry.source_app
          and (upsert_entry.id is null or e.id = upsert_entry.id)
        for no key update;
      end if;
      if entry.id is null then
        raise exception 'entry id is taken' using errcode = 'PT409',
          hint = 'Another entry has this id. Leave id out to create an entry.';
      end if;
    else
      is_new := true;
    end if;
  end if;

  if is_new then
    -- a new entry's links: nothing to replace, and its answer needs no reading back
    if cardinality(entity_ids) > 0 then
      insert into public.entry_entities (entry_id, entity_id) select entry.id, x.id from unnest(entity_ids) x(id);
    end if;
    if cardinality(clean_goal_ids) > 0 then
      insert into public.entry_goals (entry_id, goal_id) select entry.id, x.id from unnest(clean_goal_ids) x(id);
    end if;
    if cardinality(clean_project_ids) > 0 then
      insert into public.entry_projects (entry_id, project_id) select entry.id, x.id from unnest(clean_project_ids) x(id);
    end if;
    if entities is not null then
      return to_jsonb(entry) || jsonb_build_object(
        'entities', coalesce((select jsonb_agg(x.e order by x.e ->> 'type', x.e ->> 'key') from jsonb_array_elements(entities) x(e)), '[]'),
        'goal_ids', to_jsonb(coalesce(clean_goal_ids, '{}')), 'project_ids', to_jsonb(coalesce(clean_project_ids, '{}')));
    end if;
    return private.entry_with_links(entry);
  end if;

  -- the entry as given; a replay that changes nothing writes nothing (updated_at stays)
  update public.entries e
  set client_id = coalesce(upsert_entry.client_id, e.client_id),
      source_app = case when upsert_entry.client_id is null then e.source_app else upsert_entry.source_app end,
      facets = clean_facets, title = clean_title, body_markdown = upsert_entry.body_markdown,
      occurred_at = coalesce(upsert_entry.occurred_at, e.occurred_at), starts_at = upsert_entry.starts_at,
      ends_at = upsert_entry.ends_at, due_at = upsert_entry.due_at, status = clean_status,
      frontmatter = clean_frontmatter
  where e.id = entry.id
    and (e.client_id::text, e.source_app::text, e.facets::text[], e.title::text, e.body_markdown::text, e.occurred_at,
      e.starts_at, e.ends_at, e.due_at, e.status::text, e.frontmatter::jsonb)
    is distinct from (coalesce(upsert_entry.client_id, e.client_id),
      case when upsert_entry.client_id is null then e.source_app else upsert_entry.source_app end, clean_facets,
      clean_title, upsert_entry.body_markdown, coalesce(upsert_entry.occurred_at, e.occurred_at),
      upsert_entry.starts_at, upsert_entry.ends_at, upsert_entry.due_at, clean_status, clean_frontmatter)
  returning * into changed_entry;
  if found then
    entry := changed_entry;
    links_changed := true; -- stamped already
  end if;

  -- links: given lists replace the entry's links of that kind; omitted ones stay
  if upsert_entry.entity_keys is not null and private.replace_entry_links(entry.id, 'entity', entity_ids, false)
    and not links_changed then
    links_changed := true;
    perform private.touch_entries(array[entry.id]);
  end if;
  if upsert_entry.goal_ids is not null and private.replace_entry_links(entry.id, 'goal', clean_goal_ids, false)
    and not links_changed then
    links_changed := true;
    perform private.touch_entries(array[entry.id]);
  end if;
  if upsert_entry.project_ids is not null and private.replace_entry_links(entry.id, 'project', clean_project_ids, false)
    and not links_changed then
    links_changed := true;
    perform private.touch_entries(array[entry.id]);
  end if;
  if links_changed then
    select e.* into entry from public.entries e where e.id = entry.id;
  end if;
  return private.entry_with_links(entry);
end
$$;
grant execute on function public.upsert_entry(uuid, text, text, text[], text, text, timestamptz, timestamptz, timestamptz,
  timestamptz, text, jsonb, jsonb, uuid[], uuid[]) to authenticated;
comment on function public.upsert_entry(uuid, text, text, text[], text, text, timestamptz, timestamptz, timestamptz,
  timestamptz, text, jsonb, jsonb, uuid[], uuid[]) is
  'Creates or replaces an entry of the caller''s and returns it: the entries row plus entities [{id, type, key, '
  'display_name}], goal_ids and project_ids. The entry is found by id, else by (client_id, source_app), else created '
  '(with id when given: clients may make their own uuids). The fields are the entry as given: facets (required; one '
  'or more of note, task, event, dream, workout, meal, habit_def, journal; stored without duplicates in that order), '
  'title (<= 500 characters), body_markdown (<= 1,000,000 characters), starts_at <= ends_at, due_at, status '
  '(snake_case), frontmatter (object <= 64 kB): omitted ones are null (frontmatter {}), except occurred_at (default '
  'now; kept on update) and client_id/source_app (kept on update). entity_keys [{type, key, display_name?}] are '
  'upserted (see upsert_entities) and, like goal_ids and project_ids (the caller''s), replace the entry''s links of '
  'that kind; omitted lists leave the links as they are. A replay that changes nothing writes nothing (updated_at, '
  'always server time, stays); a deleted entry stays deleted (restore_entry). Errors: 22023 (400) naming the field '
  '(e.g. facets[1] ''diary'' is not a facet); PT409 (409) id or client_id belongs to another entry; anon is denied (401).';

-- What get_entry adds to an entry: its entities, segments, goals, projects, themes, attachments,
-- chats, workouts, meals and, for a dream, its details, images and interpretations.
create function private.entry_details(entry public.entries)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return private.entry_with_links(entry) || jsonb_build_object(
    'segments', coalesce((
      select jsonb_agg(jsonb_build_object('id', s.id, 'position', s.position, 'kind', s.kind, 'content', s.content,
        'recorded_at', s.recorded_at, 'offset_ms', s.offset_ms, 'duration_ms', s.duration_ms, 'client_id', s.client_id)
        order by s.position)
      from public.entry_segments s where s.entry_id = entry.id), '[]'),
    'goals', coalesce((
      select jsonb_agg(jsonb_build_object('id', g.id, 'title', g.title, 'status', g.status, 'parent_id', g.parent_id)
        order by g.title, g.id)
      from public.entry_goals l join public.goals g on g.id = l.goal_id where l.entry_id = entry.id), '[]'),
    'projects', coalesce((
      select jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'status', p.status) order by p.name, p.id)
      from public.entry_projects l join public.projects p on p.id = l.project_id where l.entry_id = entry.id), '[]'),
    'attachments', coalesce((
      select jsonb_agg(private.attachment_brief(a) order by l.created_at, l.id)
      from public.attachment_links l join public.attachments a on a.id = l.attachment_id
      where l.entry_id = entry.id), '[]'),
    'chats', coalesce((
      select jsonb_agg(jsonb_build_object('id', c.id, 'title', c.title, 'agent_id', c.agent_id,
        'last_message_at', c.last_message_at, 'created_at', c.created_at) order by c.created_at, c.id)
      from public.chats c where c.entry_id = entry.id), '[]'),
    'workouts', coalesce((
      select jsonb_agg(to_jsonb(w) || jsonb_build_object('rows', coalesce((
          select jsonb_agg(to_jsonb(r) - 'user_id' - 'workout_id' order by r.position)
          from public.workout_rows r where r.workout_id = w.id), '[]')) order by w.started_at, w.id)
      from public.workouts w where w.entry_id = entry.id and w.deleted_at is null), '[]'),
    'meals', coalesce((
      select jsonb_agg(to_jsonb(m) || jsonb_build_object('items', coalesce((
          select jsonb_agg(to_jsonb(i) - 'user_id' - 'meal_id' order by i.position)
          from public.meal_items i where i.meal_id = m.id), '[]')) order by m.eaten_at, m.id)
      from public.meals m where m.entry_id = entry.id and m.deleted_at is null), '[]'))
    || private.entry_dream_details(entry);
end
$$;
grant execute on function private.entry_details(public.entries) to authenticated, service_role;

create function public.get_entry(entry_id uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  entry public.entries;
begin
  select e.* into entry from public.entries e where e.id = get_entry.entry_id;
  if not found then
    perform private.not_found('entry');
  end if;
  return private.entry_details(entry);
end
$$;
grant execute on function public.get_entry(uuid) to authenticated, service_role;
comment on function public.get_entry(uuid) is
  'An entry of the caller''s (deleted ones too: see deleted_at) with everything linked to it: the entries row plus '
  'entities [{id, type, key, display_name}], goal_ids, project_ids, segments [{id, position, kind, content, '
  'recorded_at, offset_ms, duration_ms, client_id}], goals [{id, title, status, parent_id}], projects [{id, name, '
  'status}], themes [{theme, display_name, confidence, source}], attachments linked to it [{id, bucket_id, path, '
  'file_name, size_bytes, mime_type, category, processing_status}], chats about it [{id, title, agent_id, last_message_at, created_at}], workouts '
  '(with rows), meals (with items), and for a dream: dream {dreamt_on, lucid, mood, audio_path, '
  'transcription_status, transcript, transcription_error, transcribed_at}, images [{id, prompt, storage_path, '
  'status, error, created_at}] and interpretations [{artifact_id, agent_id, agent_name, title, current_version, '
  'content, content_json, updated_at}] (dream null and the others [] otherwise). The service role may read any '
  'entry. Errors: PT404 (404) not the caller''s entry; anon is denied (401).';

-- RPC: the caller's entries, newest first, keyset-paginated on (occurred_at, id).
create function public.list_entries(
  facet text default null,
  entity_id uuid default null,
  goal_id uuid default null,
  "from" timestamptz default null,
  "to" timestamptz default null,
  include_deleted boolean default false,
  "limit" integer default 50,
  before text default null
)
returns setof public.entries
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  page_size integer := coalesce(list_entries."limit", 50);
  cursor_time timestamptz := 'infinity';
  cursor_id uuid := 'ffffffff-ffff-ffff-ffff-ffffffffffff';
  low timestamptz := coalesce(list_entries."from", '-infinity');
  high timestamptz := coalesce(list_entries."to", 'infinity');
  with_deleted boolean := coalesce(list_entries.include_deleted, false);
begin
  if page_size not between 1 and 200 then
    perform private.invalid_parameter('limit must be between 1 and 200');
  end if;
  if list_entries.facet is not null and not (list_entries.facet = any (private.entry_facet_names())) then
    perform private.invalid_parameter(pg_catalog.format('facet %L is not a facet: use %s', list_entries.facet,
      pg_catalog.array_to_string(private.entry_facet_names(), ', ')));
  end if;
  if list_entries.before is not null then
    begin
      cursor_time := pg_catalog.split_part(list_entries.before, ',', 1)::timestamptz;
      cursor_id := coalesce(nullif(pg_catalog.split_part(list_entries.before, ',', 2), '')::uuid, cursor_id);
    exception
      when others then
        perform private.invalid_parameter('before must be a cursor "<occurred_at>,<id>" from the previous page');
    end;
  end if;

  if list_entries.entity_id is not null then
    return query
    select e.* from public.entry_entities l join public.entries e on e.id = l.entry_id
    where l.entity_id = list_entries.entity_id and e.user_id = me
      and (e.occurred_at, e.id) < (cursor_time, cursor_id) and e.occurred_at >= low and e.occurred_at < high
      and (with_deleted or e.deleted_at is null)
      and (list_entries.facet is null or e.facets @> array[list_entries.facet])
      and (list_entries.goal_id is null
        or exists (select 1 from public.entry_goals g where g.entry_id = e.id and g.goal_id = list_entries.goal_id))
    order by e.occurred_at desc, e.id desc
    limit page_size;
  elsif list_entries.goal_id is not null then
    return query
    select e.* from public.entry_goals l join public.entries e on e.id = l.entry_id
    where l.goal_id = list_entries.goal_id and e.user_id = me
      and (e.occurred_at, e.id) < (cursor_time, cursor_id) and e.occurred_at >= low and e.occurred_at < high
      and (with_deleted or e.deleted_at is null)
      and (list_entries.facet is null or e.facets @> array[list_entries.facet])
    order by e.occurred_at desc, e.id desc
    limit page_size;
  elsif list_entries.facet is not null then
    return query
    select e.* from public.entries e
    where e.user_id = me and e.facets @> array[list_entries.facet]
      and (e.occurred_at, e.id) < (cursor_time, cursor_id) and e.occurred_at >= low and e.occurred_at < high
      and (with_deleted or e.deleted_at is null)
    order by e.occurred_at desc, e.id desc
    limit page_size;
  else
    return query
    select e.* from public.entries e
    where e.user_id = me
      and (e.occurred_at, e.id) < (cursor_time, cursor_id) and e.occurred_at >= low and e.occurred_at < high
      and (with_deleted or e.deleted_at is null)
    order by e.occurred_at desc, e.id desc
    limit page_size;
  end if;
end
$$;
grant execute on function public.list_entries(text, uuid, uuid, timestamptz, timestamptz, boolean, integer, text)
  to authenticated;
comment on function public.list_entries(text, uuid, uuid, timestamptz, timestamptz, boolean, integer, text) is
  'A page of the caller''s entries (entries rows), newest occurred_at first (ties by id), optionally with a facet, '
  'linked to an entity or a goal, with occurred_at in [from, to); deleted ones only with include_deleted. limit '
  '1..200 (default 50). Next page: before = the last row''s "<occurred_at>,<id>". Links and details: get_entry. '
  'Errors: 22023 (400) unknown facet, bad limit or cursor; anon is denied (401).';
