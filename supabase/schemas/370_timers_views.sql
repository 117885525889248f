-- Timers (at most one running per label; stopping one writes an event entry with its duration),
-- saved views (named queries of the client's) and links from calendar events of external
-- providers to entries.

create table public.timers (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  label private.title_text not null,
  entry_id uuid references public.entries (id) on delete set null,
  started_at timestamptz not null,
  stopped_at timestamptz,
  result_entry_id uuid references public.entries (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint timers_stopped_at_check check (stopped_at >= started_at)
);
comment on table public.timers is 'Time tracking: a running timer has no stopped_at; stopping it writes an event entry (result_entry_id).';
comment on column public.timers.entry_id is 'The entry the time is for (a task, a project note), if any.';
comment on column public.timers.result_entry_id is 'The event entry stop_timer wrote, with the tracked time as starts_at..ends_at.';

-- at most one running timer per label
create unique index timers_user_id_label_running_key on public.timers (user_id, label) where stopped_at is null;
create index timers_user_id_started_at_idx on public.timers (user_id, started_at);
create index timers_entry_id_idx on public.timers (entry_id) where entry_id is not null;
create index timers_result_entry_id_idx on public.timers (result_entry_id) where result_entry_id is not null;

alter table public.timers enable row level security;
revoke all on public.timers from anon, authenticated, service_role;
grant select on public.timers to authenticated;
grant insert (label, entry_id, started_at) on public.timers to authenticated;
grant update (stopped_at, result_entry_id) on public.timers to authenticated;
grant select, insert, update, delete on public.timers to service_role;

create policy timers_select_own on public.timers
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy timers_insert_own on public.timers
  for insert to authenticated
  with check (user_id = (select auth.uid()) and (entry_id is null or private.owns_entry(entry_id)));

create policy timers_update_own on public.timers
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and (result_entry_id is null or private.owns_entry(result_entry_id)));

create trigger timers_100_set_updated_at
  before update on public.timers
  for each row execute function private.set_updated_at();

create function public.start_timer(label text default null, entry_id uuid default null)
returns public.timers
language plpgsql
volatile
security invoker
set search_path = ''
as $$
-- the conflict target names columns that are also argument names
#variable_conflict use_column
declare
  clean_label text := pg_catalog.btrim(start_timer.label);
  timer public.timers;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to start timers' using errcode = '42501';
  end if;
  if clean_label is null or char_length(clean_label) not between 1 and 200 or clean_label ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('label must be 1 to 200 characters without control characters');
  end if;
  if start_timer.entry_id is not null and not private.owns_entry(start_timer.entry_id) then
    perform private.not_found('entry');
  end if;
  insert into public.timers (label, entry_id, started_at)
  values (clean_label, start_timer.entry_id, private.now())
  on conflict (user_id, label) where stopped_at is null do nothing
  returning * into timer;
  if not found then
    raise exception '%', pg_catalog.format('a timer labelled %L is already running', clean_label) using errcode = '23505',
      hint = 'Stop it first (stop_timer), or use another label.';
  end if;
  return timer;
end
$$;
grant execute on function public.start_timer(text, uuid) to authenticated;
comment on function public.start_timer(text, uuid) is
  'Starts a timer of the caller''s now and returns the timers row. label: 1-200 characters; at most one timer per '
  'label runs at a time. entry_id: the caller''s entry the time is for (optional). Errors: 22023 (400) bad label; '
  '23505 (409) a timer with that label is running; PT404 (404) entry not the caller''s; anon is denied (401).';

create function public.stop_timer(timer_id uuid)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  timer public.timers;
  entry public.entries;
  stopped timestamptz := private.now();
  seconds bigint;
begin
  select t.* into timer from public.timers t where t.id = stop_timer.timer_id for no key update;
  if not found then
    perform private.not_found('timer');
  end if;
  if timer.stopped_at is not null then
    -- stopped already: the same answer again
    select e.* into entry from public.entries e where e.id = timer.result_entry_id;
    return jsonb_build_object('timer', to_jsonb(timer), 'entry', to_jsonb(entry),
      'duration_seconds', floor(extract(epoch from timer.stopped_at - timer.started_at))::bigint);
  end if;
  stopped := greatest(stopped, timer.started_at);
  seconds := floor(extract(epoch from stopped - timer.started_at))::bigint;
  entry := private.insert_entry(array['event'], timer.label,
    pg_catalog.format('Tracked %s.', private.duration_text(seconds)), timer.started_at, timer.started_at, stopped,
    jsonb_build_object('timer', jsonb_build_object('id', timer.id, 'duration_seconds', seconds, 'entry_id', timer.entry_id)));
  update public.timers t set stopped_at = stopped, result_entry_id = entry.id where t.id = timer.id
  returning * into timer;
  return jsonb_build_object('timer', to_jsonb(timer), 'entry', to_jsonb(entry), 'duration_seconds', seconds);
end
$$;
grant execute on function public.stop_timer(uuid) to authenticated;
comment on function public.stop_timer(uuid) is
  'Stops a running timer of the caller''s and writes its event entry (facets [event], title the label, starts_at '
  'and ends_at the tracked time, frontmatter.timer {id, duration_seconds, entry_id}); returns {timer, entry, '
  'duration_seconds}. Stopping a stopped timer returns the same result and writes nothing. Errors: PT404 (404) not '
  'the caller''s timer; anon is denied (401).';

-- "1 h 23 min", "5 min 3 s", "42 s".
create function private.duration_text(seconds bigint)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when seconds >= 3600 then (seconds / 3600) || ' h ' || (seconds % 3600 / 60) || ' min'
    when seconds >= 60 then (seconds / 60) || ' min ' || (seconds % 60) || ' s'
    else seconds || ' s'
  end
$$;
grant execute on function private.duration_text(bigint) to authenticated;

create function public.list_timers(running_only boolean default true)
returns setof public.timers
language sql
stable
security invoker
set search_path = ''
as $$
  select t.* from public.timers t
  where t.user_id = (select auth.uid()) and (not list_timers.running_only or t.stopped_at is null)
  order by t.started_at desc, t.id desc
  limit 200
$$;
grant execute on function public.list_timers(boolean) to authenticated;
comment on function public.list_timers(boolean) is
  'The caller''s timers (timers rows), latest started first: the running ones, or with running_only false the last '
  '200. Anon is denied (401).';

-- ---------------------------------------------------------------------------------------------
-- Saved views: named queries of the client's (filters, sort, layout), one per name.
create table public.saved_views (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id private.token_200,
  name private.title_text not null,
  query private.json_object_16k not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.saved_views is 'Named queries and dashboard layouts of the user''s clients, one per name while not deleted.';
comment on column public.saved_views.query is 'What the client saved (filters, sort, layout): a JSON object of at most 16 kB.';

create unique index saved_views_user_id_name_key on public.saved_views (user_id, name) where deleted_at is null;
create unique index saved_views_user_id_client_id_key on public.saved_views (user_id, client_id) where client_id is not null;

alter table public.saved_views enable row level security;
revoke all on public.saved_views from anon, authenticated, service_role;
grant select on public.saved_views to authenticated;
grant insert (id, client_id, name, query) on public.saved_views to authenticated;
grant update (name, query, deleted_at) on public.saved_views to authenticated;
grant select, insert, update, delete on public.saved_views to service_role;

create policy saved_views_select_own on public.saved_views
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy saved_views_insert_own on public.saved_views
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy saved_views_update_own on public.saved_views
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger saved_views_100_set_updated_at
  before update on public.saved_views
  for each row execute function private.set_updated_at();

create function public.save_view(name text default null, query jsonb default null)
returns public.saved_views
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  clean_name text := pg_catalog.btrim(save_view.name);
  saved public.saved_views;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to save views' using errcode = '42501';
  end if;
  if clean_name is null or char_length(clean_name) not between 1 and 200 or clean_name ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('name must be 1 to 200 characters without control characters');
  end if;
  if save_view.query is null or jsonb_typeof(save_view.query) <> 'object' or pg_column_size(save_view.query) > 16384 then
    perform private.invalid_parameter('query must be a JSON object of at most 16 kB');
  end if;
  insert into public.saved_views (name, query) values (clean_name, save_view.query)
  on conflict (user_id, name) where deleted_at is null do update set query = excluded.query
  where saved_views.query is distinct from excluded.query
  returning * into saved;
  if not found then
    select v.* into saved from public.saved_views v
    where v.user_id = (select auth.uid()) and v.name = clean_name and v.deleted_at is null;
  end if;
  return saved;
end
$$;
grant execute on function public.save_view(text, jsonb) to authenticated;
comment on function public.save_view(text, jsonb) is
  'Saves a named view of the caller''s (name 1-200 characters; query a JSON object <= 16 kB): a new name creates '
  'it, a known one replaces its query (the same query again writes nothing). Returns the saved_views row. Errors: '
  '22023 (400) naming the field; anon is denied (401).';

create function public.list_views()
returns setof public.saved_views
language sql
stable
security invoker
set search_path = ''
as $$
  select v.* from public.saved_views v
  where v.user_id = (select auth.uid()) and v.deleted_at is null
  order by v.name, v.id
$$;
grant execute on function public.list_views() to authenticated;
comment on function public.list_views() is
  'The caller''s saved views (saved_views rows, deleted ones left out), by name. Anon is denied (401).';

create function public.delete_view(view_id uuid)
returns public.saved_views
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  saved public.saved_views;
begin
  update public.saved_views v set deleted_at = private.now()
  where v.id = delete_view.view_id and v.deleted_at is null
  returning v.* into saved;
  if not found then
    select v.* into saved from public.saved_views v where v.id = delete_view.view_id;
    if not found then
      perform private.not_found('view');
    end if;
  end if;
  return saved;
end
$$;
grant execute on function public.delete_view(uuid) to authenticated;
comment on function public.delete_view(uuid) is
  'Deletes a saved view of the caller''s (a tombstone, deleted_at; its name is free again) and returns the row. '
  'Deleting it again changes nothing. Errors: PT404 (404) not the caller''s view; anon is denied (401).';

-- ---------------------------------------------------------------------------------------------
-- External calendar events (Google, Outlook, CalDAV…) and the entries they became.
create table public.external_event_links (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  provider private.snake_case_40 not null,
  external_id private.token_200 not null,
  entry_id uuid not null references public.entries (id) on delete cascade,
  etag text
    constraint external_event_links_etag_check check (char_length(etag) <= 512),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint external_event_links_user_id_provider_external_id_key unique (user_id, provider, external_id)
);
comment on table public.external_event_links is
  'Which entry an event of an external calendar became: unique per user, provider and external id.';
comment on column public.external_event_links.etag is 'The provider''s version tag of the event when it was last synced.';

create index external_event_links_entry_id_idx on public.external_event_links (entry_id);

alter table public.external_event_links enable row level security;
revoke all on public.external_event_links from anon, authenticated, service_role;
grant select, delete on public.external_event_links to authenticated;
grant insert (provider, external_id, entry_id, etag) on public.external_event_links to authenticated;
grant update (entry_id, etag) on public.external_event_links to authenticated;
grant select, insert, update, delete on public.external_event_links to service_role;

create policy external_event_links_select_own on public.external_event_links
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy external_event_links_insert_own on public.external_event_links
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_entry(entry_id));

create policy external_event_links_update_own on public.external_event_links
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and private.owns_entry(entry_id));

create policy external_event_links_delete_own on public.external_event_links
  for delete to authenticated
  using (user_id = (select auth.uid()));

create trigger external_event_links_100_set_updated_at
  before update on public.external_event_links
  for each row execute function private.set_updated_at();

create function public.link_external_event(
  provider text default null,
  external_id text default null,
  entry_id uuid default null,
  etag text default null
)
returns public.external_event_links
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  link public.external_event_links;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in to link events' using errcode = '42501';
  end if;
  if link_external_event.provider is null or link_external_event.provider !~ '^[a-z][a-z0-9_]{0,39}$' then
    perform private.invalid_parameter('provider must be lowercase snake_case of 1 to 40 characters (e.g. google)');
  end if;
  if link_external_event.external_id is null then
    perform private.invalid_parameter('external_id is required');
  end if;
  perform private.check_token(link_external_event.external_id, 'external_id', 200);
  if char_length(link_external_event.etag) > 512 then
    perform private.invalid_parameter('etag must be at most 512 characters');
  end if;
  if link_external_event.entry_id is null or not private.owns_entry(link_external_event.entry_id) then
    perform private.not_found('entry');
  end if;
  insert into public.external_event_links (provider, external_id, entry_id, etag)
  values (link_external_event.provider, link_external_event.external_id, link_external_event.entry_id,
    link_external_event.etag)
  on conflict (user_id, provider, external_id) do update set entry_id = excluded.entry_id, etag = excluded.etag
  where (external_event_links.entry_id, external_event_links.etag) is distinct from (excluded.entry_id, excluded.etag)
  returning * into link;
  if not found then
    select l.* into link from public.external_event_links l
    where l.user_id = (select auth.uid()) and l.provider = link_external_event.provider
      and l.external_id = link_external_event.external_id;
  end if;
  return link;
end
$$;
grant execute on function public.link_external_event(text, text, uuid, text) to authenticated;
comment on function public.link_external_event(text, text, uuid, text) is
  'Records that an event of an external calendar (provider, external_id) is one of the caller''s entries, or '
  'moves the link to another entry; returns the external_event_links row. The same call again writes nothing. '
  'Errors: 22023 (400) naming the field; PT404 (404) entry not the caller''s; anon is denied (401).';
