-- Journal entries (Insight's entries, Somni's dreams): one table, each entry carrying one or more
-- facets (a task scheduled as an event has both). Every row a client syncs has its client's id
-- (unique per user and source app), a server-assigned updated_at and a deleted_at tombstone.
-- Entities, goals and the entry RPCs that join them follow in 310-330; dreams in 380.

-- Value rules as domains (compiled once per session; see 010_domains.sql).
create domain private.entry_facets as text[]
  check (cardinality(value) >= 1 and cardinality(value) <= 8 and array_position(value, null) is null
    and value <@ array['note', 'task', 'event', 'dream', 'workout', 'meal', 'habit_def', 'journal']::text[]);
comment on domain private.entry_facets is
  'One to eight facets of note, task, event, dream, workout, meal, habit_def, journal.';
create domain private.entry_title as text
  check (char_length(value) >= 1 and char_length(value) <= 500 and value !~ '[[:cntrl:]]');
comment on domain private.entry_title is '1 to 500 characters, no control characters.';
create domain private.markdown_1m as text
  check (char_length(value) <= 1000000);
comment on domain private.markdown_1m is 'Markdown text of at most 1,000,000 characters.';
create domain private.json_object_64k as jsonb
  check (jsonb_typeof(value) = 'object' and pg_column_size(value) <= 65536);
comment on domain private.json_object_64k is 'A JSON object of at most 64 kB.';
grant usage on type private.entry_facets, private.entry_title, private.markdown_1m, private.json_object_64k
  to authenticated, service_role;

-- The facets, in their canonical order (what entries store: sorted this way, without duplicates).
create function private.entry_facet_names()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select array['note', 'task', 'event', 'dream', 'workout', 'meal', 'habit_def', 'journal']::text[]
$$;
grant execute on function private.entry_facet_names() to authenticated, service_role;

-- The user's time zone (profiles.timezone, UTC without a profile): what local dates, habit days
-- and tracker buckets are computed in.
create function private.user_timezone(user_id uuid)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  zone text;
begin
  select p.timezone into zone from public.profiles p where p.id = user_timezone.user_id;
  return coalesce(zone, 'UTC');
end
$$;
comment on function private.user_timezone(uuid) is 'The user''s IANA time zone from their profile (UTC when unknown).';
grant execute on function private.user_timezone(uuid) to authenticated, service_role;

-- Today's date in a time zone, by Parley's clock (private.now(), which tests freeze).
create function private.local_today(zone text)
returns date
language sql
stable
set search_path = ''
as $$
  select (private.now() at time zone zone)::date
$$;
grant execute on function private.local_today(text) to authenticated, service_role;

-- A client id argument (client_id, source_app): 1 to 200 (64) characters, no spaces or control
-- characters; raises 22023 naming the field.
create function private.check_token(value text, name text, max_length integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if value is not null and (char_length(value) not between 1 and max_length or value ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter(
      pg_catalog.format('%s must be 1 to %s characters without spaces or control characters', name, max_length));
  end if;
end
$$;
grant execute on function private.check_token(text, text, integer) to authenticated, service_role;

create table public.entries (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  source_app private.token_64,
  facets private.entry_facets not null,
  title private.entry_title,
  body_markdown private.markdown_1m,
  occurred_at timestamptz not null default now(),
  starts_at timestamptz,
  ends_at timestamptz,
  due_at timestamptz,
  status private.snake_case_40,
  frontmatter private.json_object_64k not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint entries_ends_at_check check (ends_at >= starts_at)
);
comment on table public.entries is
  'Journal entries: notes, tasks, events, dreams, workouts, meals, habit definitions, journal pages. An entry has '
  'one or more facets; links to entities, goals and projects are in entry_entities, entry_goals, entry_projects.';
comment on column public.entries.client_id is
  'The id the client gave the entry (Insight''s local id, formerly frontmatter.legacyId); unique per user and source_app.';
comment on column public.entries.source_app is 'The client that wrote the entry (e.g. desktop, mobile, somni).';
comment on column public.entries.facets is 'What the entry is: note, task, event, dream, workout, meal, habit_def, journal (one or more).';
comment on column public.entries.occurred_at is 'When the entry happened; list_entries orders by it, newest first.';
comment on column public.entries.status is 'A task''s or event''s state, lowercase snake_case (e.g. todo, done, cancelled).';
comment on column public.entries.frontmatter is 'Client fields without a column of their own: a JSON object of at most 64 kB.';
comment on column public.entries.updated_at is 'Server time of the last change (set by the database, never by clients).';
comment on column public.entries.deleted_at is 'Tombstone: set by delete_entry, cleared by restore_entry.';

-- list_entries' keyset: newest first per user
create index entries_user_id_occurred_at_id_idx on public.entries (user_id, occurred_at desc, id desc);
-- a client id is unique per user and source app (null source_app counts as one app)
create unique index entries_user_id_source_app_client_id_key
  on public.entries (user_id, source_app, client_id) nulls not distinct where client_id is not null;
-- list_entries(facet): the entries with a facet
create index entries_facets_idx on public.entries using gin (facets);

-- Clients write through the RPCs (security invoker); these grants are what those need. user_id,
-- created_at and updated_at are the server's.
alter table public.entries enable row level security;
revoke all on public.entries from anon, authenticated, service_role;
grant select on public.entries to authenticated;
grant insert (id, client_id, source_app, facets, title, body_markdown, occurred_at, starts_at, ends_at, due_at, status,
  frontmatter) on public.entries to authenticated;
grant update (client_id, source_app, facets, title, body_markdown, occurred_at, starts_at, ends_at, due_at, status,
  frontmatter, deleted_at) on public.entries to authenticated;
grant select, insert, update, delete on public.entries to service_role;

create policy entries_select_own on public.entries
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy entries_insert_own on public.entries
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy entries_update_own on public.entries
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger entries_100_set_updated_at
  before update on public.entries
  for each row execute function private.set_updated_at();

-- RLS helper: whether the calling user owns the entry (deleted or not). Security definer, so the
-- policies of tables that link to entries ask without going through entries' own policies.
create function private.owns_entry(entry_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.entries e where e.id = owns_entry.entry_id and e.user_id = (select auth.uid())
  );
end
$$;
comment on function private.owns_entry(uuid) is 'Whether the calling user owns the entry.';
grant execute on function private.owns_entry(uuid) to authenticated;

-- Facets as entries store them: known, without duplicates, in canonical order. Raises 22023 naming
-- the offending element (0-based), e.g. facets[1] 'diary' is not a facet.
create function private.normalize_facets(facets text[], name text default 'facets')
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  allowed text[] := private.entry_facet_names();
begin
  if facets is null or cardinality(facets) = 0 then
    perform private.invalid_parameter(pg_catalog.format('%s is required: one or more of %s', name,
      pg_catalog.array_to_string(allowed, ', ')));
  end if;
  for i in 1 .. cardinality(facets) loop
    if facets[i] is null or not (facets[i] = any (allowed)) then
      perform private.invalid_parameter(pg_catalog.format('%s[%s] %L is not a facet: use %s', name, i - 1, facets[i],
        pg_catalog.array_to_string(allowed, ', ')));
    end if;
  end loop;
  return array(select a.f from unnest(allowed) with ordinality a(f, n) where a.f = any (facets) order by a.n);
end
$$;
grant execute on function private.normalize_facets(text[], text) to authenticated, service_role;

-- The scalar fields of an entry, checked before anything is written: 22023 naming the field.
create function private.check_entry_fields(
  title text, body_markdown text, starts_at timestamptz, ends_at timestamptz, status text, frontmatter jsonb
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if title is not null and (char_length(title) not between 1 and 500 or title ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('title must be 1 to 500 characters without control characters');
  end if;
  if char_length(body_markdown) > 1000000 then
    perform private.invalid_parameter('body_markdown must be at most 1,000,000 characters',
      'Split the text into several entries, or attach it as a file.');
  end if;
  if ends_at < starts_at then
    perform private.invalid_parameter('ends_at must not be before starts_at');
  end if;
  if status is not null and status !~ '^[a-z][a-z0-9_]{0,39}$' then
    perform private.invalid_parameter('status must be lowercase snake_case of 1 to 40 characters (e.g. todo, done)');
  end if;
  if frontmatter is not null and (jsonb_typeof(frontmatter) <> 'object' or pg_column_size(frontmatter) > 65536) then
    perform private.invalid_parameter('frontmatter must be a JSON object of at most 64 kB');
  end if;
end
$$;
grant execute on function private.check_entry_fields(text, text, timestamptz, timestamptz, text, jsonb)
  to authenticated, service_role;

-- Writes a new entry of the caller's (the entries the journal RPCs make: a workout's, a meal's, a
-- timer's, a dream's). Fields are assumed checked.
create function private.insert_entry(
  facets text[],
  title text,
  body_markdown text,
  occurred_at timestamptz,
  starts_at timestamptz default null,
  ends_at timestamptz default null,
  frontmatter jsonb default '{}',
  client_id text default null,
  source_app text default null
)
returns public.entries
language plpgsql
volatile
set search_path = ''
as $$
declare
  entry public.entries;
begin
  insert into public.entries (facets, title, body_markdown, occurred_at, starts_at, ends_at, frontmatter, client_id,
    source_app)
  values (insert_entry.facets, insert_entry.title, insert_entry.body_markdown, insert_entry.occurred_at,
    insert_entry.starts_at, insert_entry.ends_at, coalesce(insert_entry.frontmatter, '{}'), insert_entry.client_id,
    insert_entry.source_app)
  returning * into entry;
  return entry;
end
$$;
grant execute on function private.insert_entry(text[], text, text, timestamptz, timestamptz, timestamptz, jsonb, text, text)
  to authenticated;

-- Adds facets to an entry of the caller's (a workout or meal logged on an existing entry). Writes
-- nothing when it has them already.
create function private.add_entry_facets(entry_id uuid, facets text[])
returns public.entries
language plpgsql
volatile
set search_path = ''
as $$
declare
  entry public.entries;
begin
  update public.entries e
  set facets = private.normalize_facets(e.facets || add_entry_facets.facets)
  where e.id = add_entry_facets.entry_id and not (e.facets @> add_entry_facets.facets)
  returning e.* into entry;
  if not found then
    select e.* into entry from public.entries e where e.id = add_entry_facets.entry_id;
    if not found then
      perform private.not_found('entry');
    end if;
  end if;
  return entry;
end
$$;
grant execute on function private.add_entry_facets(uuid, text[]) to authenticated;

-- Marks entries as changed when only their links changed (entities, goals, projects): a no-op
-- assignment, so that the updated_at trigger stamps them and sync clients pull them again.
create function private.touch_entries(entry_ids uuid[])
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if cardinality(entry_ids) > 0 then
    update public.entries e set facets = e.facets where e.id = any (entry_ids);
  end if;
end
$$;
grant execute on function private.touch_entries(uuid[]) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Segments: timestamped pieces of an entry (a voice transcript's utterances, captures appended
-- over a day), in order.
create table public.entry_segments (
  id uuid primary key default gen_random_uuid(),
  entry_id uuid not null references public.entries (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  position integer not null
    constraint entry_segments_position_check check (position >= 1),
  kind private.snake_case_40 not null default 'text',
  content text not null
    constraint entry_segments_content_check check (char_length(content) <= 100000),
  recorded_at timestamptz,
  offset_ms bigint
    constraint entry_segments_offset_ms_check check (offset_ms >= 0),
  duration_ms bigint
    constraint entry_segments_duration_ms_check check (duration_ms >= 0),
  client_id private.token_200,
  created_at timestamptz not null default now(),
  constraint entry_segments_entry_id_position_key unique (entry_id, position)
);
comment on table public.entry_segments is
  'Timestamped pieces of an entry in order (e.g. a voice transcript''s utterances): add_entry_segments appends them.';
comment on column public.entry_segments.kind is 'What the piece is, lowercase snake_case: text (default), transcript, capture…';
comment on column public.entry_segments.recorded_at is 'Wall-clock time of the piece, when known.';
comment on column public.entry_segments.offset_ms is 'Offset of the piece in the entry''s recording, in milliseconds.';
comment on column public.entry_segments.client_id is 'The client''s id of the piece, unique per entry: a replay adds nothing.';

create unique index entry_segments_entry_id_client_id_key on public.entry_segments (entry_id, client_id)
  where client_id is not null;
create index entry_segments_user_id_idx on public.entry_segments (user_id);

alter table public.entry_segments enable row level security;
revoke all on public.entry_segments from anon, authenticated, service_role;
grant select on public.entry_segments to authenticated;
grant insert (entry_id, position, kind, content, recorded_at, offset_ms, duration_ms, client_id) on public.entry_segments
  to authenticated;
grant select, insert, update, delete on public.entry_segments to service_role;

create policy entry_segments_select_own on public.entry_segments
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy entry_segments_insert_own on public.entry_segments
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_entry(entry_id));

-- RPC: appends segments to an entry of the caller's.
create function public.add_entry_segments(entry_id uuid, segments jsonb)
returns setof public.entry_segments
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  entry public.entries;
  item jsonb;
  i integer := 0;
  next_position integer;
begin
  if add_entry_segments.segments is null or jsonb_typeof(add_entry_segments.segments) <> 'array'
    or jsonb_array_length(add_entry_segments.segments) not between 1 and 1000 then
    perform private.invalid_parameter('segments must be an array of 1 to 1000 segments');
  end if;
  for item in select value from jsonb_array_elements(add_entry_segments.segments) loop
    if jsonb_typeof(item) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('segments[%s] must be an object', i));
    elsif jsonb_typeof(item -> 'content') is distinct from 'string' or char_length(item ->> 'content') > 100000 then
      perform private.invalid_parameter(pg_catalog.format('segments[%s].content must be text of at most 100,000 characters', i));
    elsif item ? 'kind' and (item ->> 'kind') !~ '^[a-z][a-z0-9_]{0,39}$' then
      perform private.invalid_parameter(pg_catalog.format('segments[%s].kind must be lowercase snake_case', i));
    elsif item ? 'offset_ms' and (jsonb_typeof(item -> 'offset_ms') <> 'number' or (item ->> 'offset_ms')::numeric < 0
      or (item ->> 'offset_ms')::numeric <> trunc((item ->> 'offset_ms')::numeric)) then
      perform private.invalid_parameter(pg_catalog.format('segments[%s].offset_ms must be a whole number >= 0', i));
    elsif item ? 'duration_ms' and (jsonb_typeof(item -> 'duration_ms') <> 'number' or (item ->> 'duration_ms')::numeric < 0
      or (item ->> 'duration_ms')::numeric <> trunc((item ->> 'duration_ms')::numeric)) then
      perform private.invalid_parameter(pg_catalog.format('segments[%s].duration_ms must be a whole number >= 0', i));
    elsif item ? 'client_id' and ((item ->> 'client_id') is null or char_length(item ->> 'client_id') not between 1 and 200
      or (item ->> 'client_id') ~ '[[:space:][:cntrl:]]') then
      perform private.invalid_parameter(pg_catalog.format('segments[%s].client_id must be 1 to 200 characters without spaces', i));
    end if;
    if item ? 'at' then
      begin
        perform (item ->> 'at')::timestamptz;
      exception when others then
        perform private.invalid_parameter(pg_catalog.format('segments[%s].at must be a timestamp', i));
      end;
    end if;
    i := i + 1;
  end loop;

  -- the entry's row lock orders concurrent appends
  select e.* into entry from public.entries e where e.id = add_entry_segments.entry_id for no key update;
  if not found then
    perform private.not_found('entry');
  end if;
  select coalesce(max(s.position), 0) into next_position from public.entry_segments s where s.entry_id = entry.id;

  return query
  with given as (
    select x.n, x.item from jsonb_array_elements(add_entry_segments.segments) with ordinality x(item, n)
  ),
  fresh as (
    -- a segment whose client id the entry has (or that repeats one earlier in this call) is a replay
    select g.n, g.item, row_number() over (order by g.n) as k from given g
    where (g.item ->> 'client_id') is null
      or (not exists (select 1 from public.entry_segments s where s.entry_id = entry.id and s.client_id = g.item ->> 'client_id')
        and not exists (select 1 from given h where h.n < g.n and h.item ->> 'client_id' = g.item ->> 'client_id'))
  )
  insert into public.entry_segments (entry_id, position, kind, content, recorded_at, offset_ms, duration_ms, client_id)
  select entry.id, next_position + f.k::integer, coalesce(f.item ->> 'kind', 'text'), f.item ->> 'content',
    (f.item ->> 'at')::timestamptz, (f.item ->> 'offset_ms')::bigint, (f.item ->> 'duration_ms')::bigint,
    f.item ->> 'client_id'
  from fresh f
  order by f.n
  returning *;
end
$$;
grant execute on function public.add_entry_segments(uuid, jsonb) to authenticated;
comment on function public.add_entry_segments(uuid, jsonb) is
  'Appends segments to an entry of the caller''s and returns the new entry_segments rows (position numbered on from '
  'the entry''s last). segments: an array of 1 to 1000 objects {content (text <= 100,000 characters), kind? '
  '(snake_case, default text), at? (timestamp, stored as recorded_at), offset_ms?, duration_ms? (whole numbers >= 0), client_id?}. A segment '
  'whose client_id the entry already has is a replay and is skipped. Errors: 22023 (400) naming the field (e.g. '
  'segments[2].content); PT404 (404) the entry is not the caller''s; anon is denied (401).';

-- RPC: moves an entry to the trash (a tombstone that sync clients see as a deletion).
create function public.delete_entry(entry_id uuid)
returns public.entries
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  entry public.entries;
begin
  update public.entries e set deleted_at = private.now()
  where e.id = delete_entry.entry_id and e.deleted_at is null
  returning e.* into entry;
  if not found then
    -- already deleted: nothing to write
    select e.* into entry from public.entries e where e.id = delete_entry.entry_id;
    if not found then
      perform private.not_found('entry');
    end if;
  end if;
  return entry;
end
$$;
grant execute on function public.delete_entry(uuid) to authenticated;
comment on function public.delete_entry(uuid) is
  'Deletes an entry of the caller''s by setting its tombstone deleted_at (its links stay; restore_entry undoes it) '
  'and returns the entries row. Deleting a deleted entry changes nothing. Errors: PT404 (404) not the caller''s '
  'entry; anon is denied (401).';

create function public.restore_entry(entry_id uuid)
returns public.entries
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  entry public.entries;
begin
  update public.entries e set deleted_at = null
  where e.id = restore_entry.entry_id and e.deleted_at is not null
  returning e.* into entry;
  if not found then
    select e.* into entry from public.entries e where e.id = restore_entry.entry_id;
    if not found then
      perform private.not_found('entry');
    end if;
  end if;
  return entry;
end
$$;
grant execute on function public.restore_entry(uuid) to authenticated;
comment on function public.restore_entry(uuid) is
  'Brings a deleted entry of the caller''s back (clears deleted_at) and returns the entries row. Restoring an entry '
  'that is not deleted changes nothing. Errors: PT404 (404) not the caller''s entry; anon is denied (401).';
