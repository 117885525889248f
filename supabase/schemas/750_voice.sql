-- Voice and transcription (Somni): voice conversations with a provider (ElevenLabs) are sessions
-- with a start and an end, their seconds billed when they end; transcriptions of recordings are
-- recorded with their seconds. Both feed the usage ledger (740_usage_ledger.sql) by triggers.

create table public.voice_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  provider private.token_64 not null default 'elevenlabs',
  provider_session_id private.token_200 not null,
  agent_id uuid references public.agents (id) on delete set null,
  chat_id uuid references public.chats (id) on delete set null,
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  -- how long it lasted, as measured here (end - start) or as the provider reported it to the service role
  seconds numeric(12, 3)
    constraint voice_sessions_seconds_check check (seconds >= 0),
  ended_by text
    constraint voice_sessions_ended_by_check check (ended_by in ('user', 'service', 'timeout')),
  metadata private.json_object_16k not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint voice_sessions_ended_check check ((ended_at is null) = (seconds is null) and (ended_at is null) = (ended_by is null)),
  constraint voice_sessions_ended_at_check check (ended_at >= started_at),
  constraint voice_sessions_user_id_provider_provider_session_id_key unique (user_id, provider, provider_session_id)
);
comment on table public.voice_sessions is
  'Voice conversations at a provider (ElevenLabs): start, end and seconds, billed to the user when they end.';
comment on column public.voice_sessions.seconds is
  'How long it lasted: measured here (end - start), or as the provider reported it to the service role.';
create index voice_sessions_user_id_started_at_idx on public.voice_sessions (user_id, started_at desc);
-- service_role_end_stale_voice_sessions: the sessions still open
create index voice_sessions_open_started_at_idx on public.voice_sessions (started_at) where ended_at is null;
create index voice_sessions_agent_id_idx on public.voice_sessions (agent_id) where agent_id is not null;
create index voice_sessions_chat_id_idx on public.voice_sessions (chat_id) where chat_id is not null;

alter table public.voice_sessions enable row level security;
revoke all on public.voice_sessions from anon, authenticated, service_role;
grant select on public.voice_sessions to authenticated;
grant insert (user_id, provider, provider_session_id, agent_id, chat_id, started_at, metadata) on public.voice_sessions to authenticated;
grant update (ended_at, seconds, ended_by) on public.voice_sessions to authenticated;
grant select, insert, update on public.voice_sessions to service_role;

create policy voice_sessions_select_own on public.voice_sessions
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy voice_sessions_insert_own on public.voice_sessions
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy voice_sessions_update_own on public.voice_sessions
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger voice_sessions_100_set_updated_at
  before update on public.voice_sessions
  for each row execute function private.set_updated_at();

-- A session's seconds go to the ledger when it ends. They are measured by the server (or reported
-- by the service role), so they always bill. Security definer: the user has no right on the ledger.
create function private.voice_sessions_record_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.record_usage(new.user_id, 'voice_seconds', new.seconds, 'voice_sessions', new.id::text, new.ended_at,
    true, new.provider::text || '/conversational', null, null,
    (select a.name::text from public.agents a where a.id = new.agent_id), new.chat_id);
  return null;
end
$$;

create trigger voice_sessions_740_record_usage
  after update of ended_at on public.voice_sessions
  for each row when (old.ended_at is null and new.ended_at is not null)
  execute function private.voice_sessions_record_usage();

create function public.start_voice_session(
  provider_session_id text,
  provider text default 'elevenlabs',
  agent_id uuid default null,
  chat_id uuid default null,
  metadata jsonb default null,
  user_id uuid default null
)
returns public.voice_sessions
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  who uuid := (select auth.uid());
  session public.voice_sessions;
begin
  if start_voice_session.user_id is not null then
    if not private.is_service_role() then
      raise exception 'only the service role starts a session for another user' using errcode = '42501';
    end if;
    who := start_voice_session.user_id;
  end if;
  if who is null then
    raise exception 'sign in to start a voice session' using errcode = '42501';
  end if;
  if start_voice_session.provider_session_id is null
    or pg_catalog.char_length(start_voice_session.provider_session_id) not between 1 and 200
    or start_voice_session.provider_session_id ~ '[[:space:][:cntrl:]]' then
    perform private.invalid_parameter('provider_session_id must be 1 to 200 characters without spaces');
  end if;
  if start_voice_session.provider is null or start_voice_session.provider !~ '^[a-z0-9][a-z0-9._-]{0,63}$' then
    perform private.invalid_parameter('provider must be a lowercase name such as elevenlabs (1 to 64 characters)');
  end if;
  perform private.check_json_object(start_voice_session.metadata, 'metadata');
  if start_voice_session.agent_id is not null
    and not exists (select 1 from public.agents a where a.id = start_voice_session.agent_id) then
    perform private.invalid_parameter('agent_id is not an agent you can use', 'See list_agents().');
  end if;
  if start_voice_session.chat_id is not null and not (
    exists (select 1 from public.chats c where c.id = start_voice_session.chat_id)
    and (start_voice_session.user_id is null or exists (select 1 from public.chats c
      where c.id = start_voice_session.chat_id and c.owner_id = who))) then
    perform private.not_found('chat');
  end if;

  insert into public.voice_sessions (user_id, provider, provider_session_id, agent_id, chat_id, started_at, metadata)
  values (who, start_voice_session.provider, start_voice_session.provider_session_id, start_voice_session.agent_id,
    start_voice_session.chat_id, private.now(), coalesce(start_voice_session.metadata, '{}'))
  on conflict on constraint voice_sessions_user_id_provider_provider_session_id_key do nothing
  returning * into session;
  if not found then
    -- started already: the session as it is
    select s.* into session from public.voice_sessions s
    where s.user_id = who and s.provider = start_voice_session.provider
      and s.provider_session_id = start_voice_session.provider_session_id;
  end if;
  return session;
end
$$;
grant execute on function public.start_voice_session(text, text, uuid, uuid, jsonb, uuid) to authenticated, service_role;
comment on function public.start_voice_session(text, text, uuid, uuid, jsonb, uuid) is
  'Starts a voice session of the caller''s with a provider (default elevenlabs), under the provider''s session id, '
  'optionally with an agent and a chat the caller reads; starting the same provider session again returns it as it '
  'is. The service role starts one for user_id. Returns the voice_sessions row. Errors: 22023 (400) bad id, '
  'provider, metadata or agent; PT404 (404) chat; anon is denied (401).';

create function public.end_voice_session(
  voice_session_id uuid default null,
  provider_session_id text default null,
  provider text default 'elevenlabs',
  seconds numeric default null
)
returns public.voice_sessions
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  service boolean := private.is_service_role();
  clock timestamptz := private.now();
  session public.voice_sessions;
  found_count integer;
begin
  if (select auth.uid()) is null and not service then
    raise exception 'sign in to end a voice session' using errcode = '42501';
  end if;
  if (end_voice_session.voice_session_id is null) = (end_voice_session.provider_session_id is null) then
    perform private.invalid_parameter('give voice_session_id or provider_session_id');
  end if;
  if end_voice_session.seconds is not null and (end_voice_session.seconds < 0 or end_voice_session.seconds > 86400) then
    perform private.invalid_parameter('seconds must be between 0 and 86400');
  end if;
  if end_voice_session.voice_session_id is not null then
    select s.* into session from public.voice_sessions s where s.id = end_voice_session.voice_session_id for update;
  else
    select pg_catalog.count(*) into found_count from public.voice_sessions s
    where s.provider = end_voice_session.provider and s.provider_session_id = end_voice_session.provider_session_id
      and (service or s.user_id = (select auth.uid()));
    if found_count > 1 then
      perform private.invalid_parameter('several users have a session with this provider_session_id: give voice_session_id');
    end if;
    select s.* into session from public.voice_sessions s
    where s.provider = end_voice_session.provider and s.provider_session_id = end_voice_session.provider_session_id
      and (service or s.user_id = (select auth.uid()))
    for update;
  end if;
  if session.id is null then
    perform private.not_found('voice session');
  end if;
  if session.ended_at is not null then
    -- ended already: nothing changes, nothing is billed twice
    return session;
  end if;
  update public.voice_sessions s
  set ended_at = greatest(clock, s.started_at),
    -- the provider's figure from the service role; otherwise the time measured here
    seconds = case when service and end_voice_session.seconds is not null then end_voice_session.seconds
      else pg_catalog.round(extract(epoch from greatest(clock, s.started_at) - s.started_at), 3) end,
    ended_by = case when service then 'service' else 'user' end
  where s.id = session.id
  returning s.* into session;
  return session;
end
$$;
grant execute on function public.end_voice_session(uuid, text, text, numeric) to authenticated, service_role;
comment on function public.end_voice_session(uuid, text, text, numeric) is
  'Ends a voice session of the caller''s (the service role: anyone''s), named by voice_session_id or by provider and '
  'provider_session_id, and bills its seconds: the time measured from its start, or the seconds the service role '
  'reports from the provider. Ending it again changes and bills nothing. Returns the voice_sessions row. Errors: '
  '22023 (400) neither or both ids, bad seconds, an ambiguous provider id; PT404 (404) no such session; anon is '
  'denied (401).';

-- RPC: ends sessions left open (the app never said they ended) at their start plus max_age, billed
-- for max_age: the scheduler runs it every minute.
create function public.service_role_end_stale_voice_sessions(max_age interval default interval '2 hours')
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  ended integer;
begin
  if max_age is null or max_age < interval '1 minute' then
    perform private.invalid_parameter('max_age must be at least a minute');
  end if;
  update public.voice_sessions s
  set ended_at = s.started_at + max_age, seconds = extract(epoch from max_age), ended_by = 'timeout'
  where s.ended_at is null and s.started_at < private.now() - max_age;
  get diagnostics ended = row_count;
  return ended;
end
$$;
grant execute on function public.service_role_end_stale_voice_sessions(interval) to service_role;
comment on function public.service_role_end_stale_voice_sessions(interval) is
  'Service role only (scheduled every minute): ends the voice sessions still open max_age (default 2 hours) after '
  'they started, at start + max_age, billed for max_age; returns how many. Errors: 22023 (400) max_age under a minute.';

-- ---------------------------------------------------------------- transcriptions

create table public.transcriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  entry_id uuid references public.entries (id) on delete set null,
  seconds numeric(12, 3) not null
    constraint transcriptions_seconds_check check (seconds > 0 and seconds <= 86400),
  provider private.token_64 not null,
  model private.token_128 not null,
  -- the caller's idempotency key: the same key again is the same transcription
  request_id private.token_200,
  -- recorded by a trusted writer (billed) or from the user's own session (not billed)
  billed boolean not null,
  created_at timestamptz not null default now(),
  constraint transcriptions_user_id_request_id_key unique (user_id, request_id)
);
comment on table public.transcriptions is 'Transcriptions of recordings (a dream''s audio…) and their seconds, for billing.';
create index transcriptions_user_id_created_at_idx on public.transcriptions (user_id, created_at desc);
create index transcriptions_entry_id_idx on public.transcriptions (entry_id) where entry_id is not null;

alter table public.transcriptions enable row level security;
revoke all on public.transcriptions from anon, authenticated, service_role;
grant select on public.transcriptions to authenticated;
grant select, insert on public.transcriptions to service_role;

create policy transcriptions_select_own on public.transcriptions
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A transcription's seconds go to the ledger. Security definer: see voice_sessions_record_usage.
create function private.transcriptions_record_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.record_usage(new.user_id, 'transcription_seconds', new.seconds, 'transcriptions', new.id::text,
    new.created_at, new.billed, new.provider::text || '/' || new.model::text);
  return null;
end
$$;

create trigger transcriptions_740_record_usage
  after insert on public.transcriptions
  for each row execute function private.transcriptions_record_usage();

-- RPC: security definer, because a user's own report is stored (unbilled) in a table they cannot
-- write; it checks who the caller is and what they may name (their own entry; a user only for the
-- service role).
create function public.record_transcription(
  seconds numeric,
  provider text,
  model text,
  entry_id uuid default null,
  request_id text default null,
  user_id uuid default null
)
returns public.transcriptions
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  service boolean := private.is_service_role();
  who uuid;
  transcription public.transcriptions;
begin
  if me is null and not service then
    raise exception 'sign in to record a transcription' using errcode = '42501';
  end if;
  if record_transcription.user_id is not null and not service then
    raise exception 'only the service role records a transcription for another user' using errcode = '42501';
  end if;
  if record_transcription.seconds is null or record_transcription.seconds <= 0 or record_transcription.seconds > 86400 then
    perform private.invalid_parameter('seconds must be greater than 0 and at most 86400');
  end if;
  if record_transcription.provider is null or record_transcription.provider !~ '^[a-z0-9][a-z0-9._-]{0,63}$' then
    perform private.invalid_parameter('provider must be a lowercase name such as openai (1 to 64 characters)');
  end if;
  if record_transcription.model is null or pg_catalog.char_length(record_transcription.model) not between 1 and 128
    or record_transcription.model ~ '[[:space:][:cntrl:]]' then
    perform private.invalid_parameter('model must be 1 to 128 characters without spaces');
  end if;
  if record_transcription.request_id is not null and (pg_catalog.char_length(record_transcription.request_id) not between 1 and 200
    or record_transcription.request_id ~ '[[:space:][:cntrl:]]') then
    perform private.invalid_parameter('request_id must be 1 to 200 characters without spaces');
  end if;
  who := coalesce(record_transcription.user_id, me);
  if record_transcription.entry_id is not null then
    select e.user_id into who from public.entries e
    where e.id = record_transcription.entry_id and (who is null or e.user_id = who);
    if not found then
      perform private.not_found('entry');
    end if;
  end if;
  if who is null then
    perform private.invalid_parameter('user_id or entry_id is required when the service role records a transcription');
  end if;
  if not exists (select 1 from auth.users u where u.id = who) then
    perform private.not_found('user');
  end if;

  insert into public.transcriptions (user_id, entry_id, seconds, provider, model, request_id, billed, created_at)
  values (who, record_transcription.entry_id, record_transcription.seconds, record_transcription.provider,
    record_transcription.model, record_transcription.request_id, service or (me is null and private.is_trusted_writer()),
    private.now())
  on conflict on constraint transcriptions_user_id_request_id_key do nothing
  returning * into transcription;
  if not found then
    select t.* into transcription from public.transcriptions t
    where t.user_id = who and t.request_id = record_transcription.request_id;
  end if;
  return transcription;
end
$$;
grant execute on function public.record_transcription(numeric, text, text, uuid, text, uuid) to authenticated, service_role;
comment on function public.record_transcription(numeric, text, text, uuid, text, uuid) is
  'Records a transcription of seconds (0 < seconds <= 86400) by provider and model (e.g. openai, whisper-1), for a '
  'journal entry of the caller''s (entry_id) or none. The service role''s records bill the entry''s owner (or '
  'user_id); a user''s own are kept, client-reported, and never billed. request_id makes it idempotent: the same '
  'key again returns the first record. Returns the transcriptions row. Errors: 22023 (400) bad seconds, provider, '
  'model or request_id, or no user for the service role; PT404 (404) entry not the caller''s; 42501 anon (401) or '
  'user_id from a user (403).';
