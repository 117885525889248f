-- Entities: a user's tags, people, places, contexts and themes, unique per user, type and
-- normalised key (trimmed, lower-cased, inner whitespace collapsed, accents kept), linked to
-- entries through entry_entities. Merging one into another leaves a tombstone that names the
-- survivor (merged_into_id), so offline clients can follow.

-- trigram matching of display names (list_entities)
create extension if not exists pg_trgm with schema extensions;

create domain private.entity_type as text
  check (value in ('tag', 'person', 'place', 'context', 'theme'));
comment on domain private.entity_type is 'tag, person, place, context or theme.';
grant usage on type private.entity_type to authenticated, service_role;

-- The normalised key: whitespace runs become one space, ends trimmed, lower-cased; accents kept
-- ("  Café   Olé " and "café olé" are one key, "cafe ole" another).
create function private.entity_key(raw text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.lower(pg_catalog.btrim(pg_catalog.regexp_replace(raw, '[[:space:]]+', ' ', 'g')))
$$;
comment on function private.entity_key(text) is
  'An entity''s normalised key: whitespace runs collapsed to one space, trimmed, lower-cased, accents kept.';
grant execute on function private.entity_key(text) to authenticated, service_role;

create table public.entities (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  type private.entity_type not null,
  key text not null
    constraint entities_key_check check (char_length(key) >= 1 and char_length(key) <= 200 and key = private.entity_key(key)),
  display_name private.title_text not null,
  metadata private.json_object_16k not null default '{}',
  merged_into_id uuid references public.entities (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.entities is
  'A user''s tags, people, places, contexts and themes: unique per user, type and normalised key while not deleted.';
comment on column public.entities.key is 'Normalised key (private.entity_key): trimmed, lower-cased, whitespace collapsed, accents kept.';
comment on column public.entities.display_name is 'The name as the user writes it (1 to 200 characters).';
comment on column public.entities.merged_into_id is 'Set when merge_entities merged this entity into another (then deleted_at is set too).';
comment on column public.entities.deleted_at is 'Tombstone (a merged entity); its key is free for a new entity.';

create unique index entities_user_id_type_key_key on public.entities (user_id, type, key) where deleted_at is null;
create unique index entities_user_id_client_id_key on public.entities (user_id, client_id) where client_id is not null;
create index entities_display_name_trgm_idx on public.entities using gin (display_name extensions.gin_trgm_ops);
create index entities_merged_into_id_idx on public.entities (merged_into_id) where merged_into_id is not null;

alter table public.entities enable row level security;
revoke all on public.entities from anon, authenticated, service_role;
grant select on public.entities to authenticated;
grant insert (id, client_id, type, key, display_name, metadata) on public.entities to authenticated;
grant update (display_name, metadata, merged_into_id, deleted_at) on public.entities to authenticated;
grant select, insert, update, delete on public.entities to service_role;

create policy entities_select_own on public.entities
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy entities_insert_own on public.entities
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy entities_update_own on public.entities
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger entities_100_set_updated_at
  before update on public.entities
  for each row execute function private.set_updated_at();

-- RLS helper (security definer, as private.owns_entry): whether the caller owns the entity.
create function private.owns_entity(entity_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.entities e where e.id = owns_entity.entity_id and e.user_id = (select auth.uid())
  );
end
$$;
comment on function private.owns_entity(uuid) is 'Whether the calling user owns the entity.';
grant execute on function private.owns_entity(uuid) to authenticated;

create table public.entry_entities (
  entry_id uuid not null references public.entries (id) on delete cascade,
  entity_id uuid not null references public.entities (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  created_at timestamptz not null default now(),
  constraint entry_entities_pkey primary key (entry_id, entity_id)
);
comment on table public.entry_entities is 'Which entities an entry mentions (its tags, people, places, contexts, themes).';

-- an entity's entries (list_entries(entity_id), merge_entities), and the user's links (the policy column)
create index entry_entities_entity_id_idx on public.entry_entities (entity_id);
create index entry_entities_user_id_idx on public.entry_entities (user_id);

alter table public.entry_entities enable row level security;
revoke all on public.entry_entities from anon, authenticated, service_role;
grant select, delete on public.entry_entities to authenticated;
grant insert (entry_id, entity_id) on public.entry_entities to authenticated;
grant select, insert, update, delete on public.entry_entities to service_role;

create policy entry_entities_select_own on public.entry_entities
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Both ends must be the caller's (a foreign key alone would let anyone link anyone's entity). The
-- subqueries read entries and entities under their own policies, so they find only the caller's
-- rows: an index probe each, cheaper than a helper call on the hot path (upsert_entry).
create policy entry_entities_insert_own on public.entry_entities
  for insert to authenticated
  with check (user_id = (select auth.uid())
    and exists (select 1 from public.entries e where e.id = entry_id)
    and exists (select 1 from public.entities x where x.id = entity_id));

create policy entry_entities_delete_own on public.entry_entities
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- The items of an entities argument ([{type, key, display_name?, metadata?}]), checked: 22023
-- naming the element (e.g. entity_keys[1].type). At most 100.
create function private.check_entity_items(items jsonb, name text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  item jsonb;
  i integer := 0;
  key text;
begin
  if items is null or jsonb_typeof(items) <> 'array' or jsonb_array_length(items) > 100 then
    perform private.invalid_parameter(pg_catalog.format('%s must be an array of at most 100 {type, key, display_name?}',
      name));
  end if;
  for item in select value from jsonb_array_elements(items) loop
    if jsonb_typeof(item) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('%s[%s] must be an object {type, key, display_name?}', name, i));
    end if;
    if (item ->> 'type') is null or (item ->> 'type') not in ('tag', 'person', 'place', 'context', 'theme') then
      perform private.invalid_parameter(pg_catalog.format('%s[%s].type %L is not one of tag, person, place, context, theme',
        name, i, item ->> 'type'));
    end if;
    key := private.entity_key(item ->> 'key');
    if jsonb_typeof(item -> 'key') is distinct from 'string' or char_length(key) not between 1 and 200 or key ~ '[[:cntrl:]]' then
      perform private.invalid_parameter(pg_catalog.format(
        '%s[%s].key must be 1 to 200 characters (after trimming) without control characters', name, i));
    end if;
    if item ? 'display_name' and jsonb_typeof(item -> 'display_name') <> 'null' and (
      jsonb_typeof(item -> 'display_name') <> 'string'
      or char_length(pg_catalog.btrim(item ->> 'display_name')) not between 1 and 200 or (item ->> 'display_name') ~ '[[:cntrl:]]') then
      perform private.invalid_parameter(pg_catalog.format(
        '%s[%s].display_name must be 1 to 200 characters without control characters', name, i));
    end if;
    if item ? 'metadata' and jsonb_typeof(item -> 'metadata') <> 'null' and (jsonb_typeof(item -> 'metadata') <> 'object'
      or pg_column_size(item -> 'metadata') > 16384) then
      perform private.invalid_parameter(pg_catalog.format('%s[%s].metadata must be a JSON object of at most 16 kB', name, i));
    end if;
    i := i + 1;
  end loop;
end
$$;
grant execute on function private.check_entity_items(jsonb, text) to authenticated;

-- The items of a checked entities argument as rows: ordinal (0-based index), type, normalised key, the
-- display name given (or null), the key as written (whitespace collapsed), the metadata given.
create function private.entity_items(items jsonb)
returns table (ordinal integer, type text, key text, display_name text, written_key text, metadata jsonb)
language sql
immutable
set search_path = ''
as $$
  select (x.n - 1)::integer, x.item ->> 'type', private.entity_key(x.item ->> 'key'),
    nullif(pg_catalog.btrim(x.item ->> 'display_name'), ''),
    pg_catalog.btrim(pg_catalog.regexp_replace(x.item ->> 'key', '[[:space:]]+', ' ', 'g')),
    nullif(x.item -> 'metadata', 'null'::jsonb)
  from pg_catalog.jsonb_array_elements(items) with ordinality x(item, n)
$$;
grant execute on function private.entity_items(jsonb) to authenticated;

-- Upserts checked entity items for the caller and returns each item's entity id, in order. A new
-- entity takes the display name given, else the key as written; an existing one gets the display
-- name and metadata given when they differ, and is otherwise not written. Race-safe: a concurrent
-- creator of the same key wins (the insert waits for it and does nothing) and the next statement,
-- with a new snapshot, reads its row.
create function private.upsert_entity_items(items jsonb)
returns table (ordinal integer, entity_id uuid)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  me uuid := auth.uid();
begin
  insert into public.entities (type, key, display_name, metadata)
  select distinct on (w.type, w.key) w.type, w.key, coalesce(w.display_name, w.written_key), coalesce(w.metadata, '{}')
  from private.entity_items(items) w
  where not exists (
    select 1 from public.entities e where e.user_id = me and e.type = w.type and e.key = w.key and e.deleted_at is null)
  order by w.type, w.key, w.ordinal
  on conflict (user_id, type, key) where deleted_at is null do nothing;

  -- the last item of a key says its display name and metadata
  update public.entities e
  set display_name = coalesce(w.display_name, e.display_name), metadata = coalesce(w.metadata, e.metadata)
  from (select distinct on (v.type, v.key) v.* from private.entity_items(items) v
        where v.display_name is not null or v.metadata is not null
        order by v.type, v.key, v.ordinal desc) w
  where e.user_id = me and e.type = w.type and e.key = w.key and e.deleted_at is null
    and (e.display_name::text, e.metadata::jsonb)
      is distinct from (coalesce(w.display_name, e.display_name), coalesce(w.metadata, e.metadata));

  return query
  select w.ordinal, e.id from private.entity_items(items) w
  join public.entities e on e.user_id = me and e.type = w.type and e.key = w.key and e.deleted_at is null
  order by w.ordinal;
end
$$;
grant execute on function private.upsert_entity_items(jsonb) to authenticated;

-- RPC: a batch of entities, created or updated by (type, normalised key).
create function public.upsert_entities(entities jsonb)
returns table (ordinal integer, id uuid, type text, key text, display_name text)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  ids uuid[];
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to write entities' using errcode = '42501';
  end if;
  perform private.check_entity_items(upsert_entities.entities, 'entities');
  -- the ids first: a statement that joined entities with the upsert would not see the rows the
  -- upsert makes (its snapshot is older)
  select coalesce(array_agg(u.entity_id order by u.ordinal), '{}') into ids
  from private.upsert_entity_items(upsert_entities.entities) u;
  return query
  select (x.n - 1)::integer, e.id, e.type::text, e.key, e.display_name::text
  from unnest(ids) with ordinality x(entity_id, n)
  join public.entities e on e.id = x.entity_id
  order by x.n;
end
$$;
grant execute on function public.upsert_entities(jsonb) to authenticated;
comment on function public.upsert_entities(jsonb) is
  'Creates or updates the caller''s entities by (type, normalised key) and returns one row per item, in order: '
  'ordinal (the item''s 0-based index), id, type, key, display_name. entities: an array of at most 100 {type (tag, person, place, '
  'context, theme), key (1-200 characters; trimmed, lower-cased, whitespace collapsed, accents kept), display_name? '
  '(default: the key as written), metadata? (object <= 16 kB)}. Idempotent: an item that changes nothing writes '
  'nothing. Errors: 22023 (400) naming the element (e.g. entities[1].type); anon is denied (401).';

-- RPC: merges an entity into another of the caller's: every link moves, the merged one is deleted
-- (a tombstone with merged_into_id).
create function public.merge_entities(from_id uuid, into_id uuid)
returns public.entities
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  source public.entities;
  target public.entities;
  moved uuid[];
begin
  if merge_entities.from_id is null or merge_entities.into_id is null then
    perform private.invalid_parameter('from_id and into_id are required');
  end if;
  if merge_entities.from_id = merge_entities.into_id then
    perform private.invalid_parameter('from_id and into_id must be different entities');
  end if;
  -- both rows locked in a fixed order, so two merges of the same pair cannot deadlock
  perform 1 from public.entities e where e.id in (merge_entities.from_id, merge_entities.into_id)
  order by e.id for no key update;
  select e.* into source from public.entities e where e.id = merge_entities.from_id and e.deleted_at is null;
  select e.* into target from public.entities e where e.id = merge_entities.into_id and e.deleted_at is null;
  if source.id is null or target.id is null then
    perform private.not_found('entity', 'Both entities must be the caller''s and not deleted (merged).');
  end if;
  if source.type <> target.type then
    perform private.invalid_parameter(pg_catalog.format('cannot merge a %s into a %s: entities must have the same type',
      source.type, target.type));
  end if;

  insert into public.entry_entities (entry_id, entity_id)
  select l.entry_id, target.id from public.entry_entities l
  where l.user_id = me and l.entity_id = source.id
  on conflict do nothing;
  with gone as (
    delete from public.entry_entities l where l.user_id = me and l.entity_id = source.id returning l.entry_id
  )
  select coalesce(array_agg(g.entry_id), '{}') into moved from gone g;
  -- the entries whose links changed have changed (sync clients pull them again)
  perform private.touch_entries(moved);
  update public.entities e set deleted_at = private.now(), merged_into_id = target.id where e.id = source.id;
  update public.entities e set merged_into_id = target.id where e.merged_into_id = source.id and e.user_id = me;
  return target;
end
$$;
grant execute on function public.merge_entities(uuid, uuid) to authenticated;
comment on function public.merge_entities(uuid, uuid) is
  'Merges entity from_id into into_id (both the caller''s, same type): every entry linked to from_id is linked to '
  'into_id, and from_id becomes a tombstone (deleted_at, merged_into_id = into_id; its key is free again). Returns '
  'the surviving entities row. Errors: 22023 (400) same id or different types; PT404 (404) either entity is not '
  'the caller''s or is already merged; anon is denied (401).';

-- RPC: the caller's entities by type and name: prefix matches of the normalised key first, then
-- trigram matches of the display name (most similar first).
create function public.list_entities(type text default null, query text default null, "limit" integer default 50)
returns setof public.entities
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  page_size integer := coalesce(list_entities."limit", 50);
  q text := private.entity_key(list_entities.query);
begin
  if page_size not between 1 and 500 then
    perform private.invalid_parameter('limit must be between 1 and 500');
  end if;
  if list_entities.type is not null and list_entities.type not in ('tag', 'person', 'place', 'context', 'theme') then
    perform private.invalid_parameter(pg_catalog.format('type %L is not one of tag, person, place, context, theme',
      list_entities.type));
  end if;
  if char_length(q) > 200 then
    perform private.invalid_parameter('query must be at most 200 characters');
  end if;
  if q is null or q = '' then
    return query
    select e.* from public.entities e
    where e.user_id = me and e.deleted_at is null and (list_entities.type is null or e.type = list_entities.type)
    order by e.type, e.key
    limit page_size;
    return;
  end if;
  return query
  select e.* from public.entities e
  cross join lateral (
    select starts_with(e.key, q) as prefix,
      greatest(extensions.similarity(e.display_name, q), extensions.word_similarity(q, e.display_name)) as score
  ) m
  where e.user_id = me and e.deleted_at is null and (list_entities.type is null or e.type = list_entities.type)
    and (m.prefix or m.score >= 0.3)
  order by m.prefix desc, case when m.prefix then char_length(e.key) end, m.score desc, e.key
  limit page_size;
end
$$;
grant execute on function public.list_entities(text, text, integer) to authenticated;
comment on function public.list_entities(text, text, integer) is
  'The caller''s entities (entities rows, merged ones left out), optionally of one type. Without query: by type and '
  'key. With query: those whose normalised key starts with it first (shortest key first), then those whose display '
  'name is similar (pg_trgm similarity or word similarity >= 0.3), most similar first. limit 1..500 (default 50). Errors: 22023 '
  '(400) unknown type or bad limit; anon is denied (401).';
