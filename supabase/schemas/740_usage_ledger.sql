-- The usage ledger: one usage_events row per billable fact (LLM tokens of a message or a model call,
-- embedding tokens, transcription seconds, voice-session seconds, stored bytes), written by triggers
-- of the tables that hold the facts (messages, storage.objects, transcriptions, voice_sessions, and
-- prompt_runs and the embedding queue through private.record_usage), once per source, costed at the
-- price in effect on its day. Only trusted writers' facts bill (the service role, a server on a
-- database connection); what a user reports from their own session is kept as client-reported.
-- get_usage reads it; check_quota compares it with the limits of the user's plan.

-- ---------------------------------------------------------------- plans and prices

create table public.plans (
  plan text primary key
    constraint plans_plan_check check (plan ~ '^[a-z][a-z0-9_]{0,39}$'),
  display_name text not null
    constraint plans_display_name_check check (char_length(display_name) >= 1 and char_length(display_name) <= 80)
);
comment on table public.plans is 'Subscription plans; a profile''s plan sets the limits check_quota applies.';

create table public.plan_limits (
  plan text not null references public.plans (plan) on delete cascade,
  kind text not null
    constraint plan_limits_kind_check
    check (kind in ('llm_tokens', 'embedding_tokens', 'transcription_seconds', 'voice_seconds', 'storage_bytes')),
  -- null: unlimited
  quantity numeric
    constraint plan_limits_quantity_check check (quantity >= 0),
  -- month: used per calendar month (UTC); total: used all time (stored bytes)
  period text not null
    constraint plan_limits_period_check check (period in ('month', 'total')),
  primary key (plan, kind)
);
comment on table public.plan_limits is
  'How much of each kind of usage a plan allows: per calendar month (UTC), or in total (stored bytes); null quantity '
  'is unlimited.';

alter table public.plans enable row level security;
revoke all on public.plans from anon, authenticated, service_role;
grant select on public.plans to authenticated;
grant select, insert, update, delete on public.plans to service_role;
create policy plans_select_all on public.plans for select to authenticated using (true);

alter table public.plan_limits enable row level security;
revoke all on public.plan_limits from anon, authenticated, service_role;
grant select on public.plan_limits to authenticated;
grant select, insert, update, delete on public.plan_limits to service_role;
create policy plan_limits_select_all on public.plan_limits for select to authenticated using (true);

-- reference data: db:diff carries changes of these rows into migrations
insert into public.plans (plan, display_name) values
  ('free', 'Free'),
  ('pro', 'Pro');

insert into public.plan_limits (plan, kind, quantity, period) values
  ('free', 'llm_tokens', 1000000, 'month'),
  ('free', 'embedding_tokens', 10000000, 'month'),
  ('free', 'transcription_seconds', 3600, 'month'),
  ('free', 'voice_seconds', 1800, 'month'),
  ('free', 'storage_bytes', 1073741824, 'total'),
  ('pro', 'llm_tokens', 20000000, 'month'),
  ('pro', 'embedding_tokens', 200000000, 'month'),
  ('pro', 'transcription_seconds', 36000, 'month'),
  ('pro', 'voice_seconds', 36000, 'month'),
  ('pro', 'storage_bytes', 107374182400, 'total');

alter table public.profiles
  add constraint profiles_plan_fkey foreign key (plan) references public.plans (plan);

-- Prices of usage other than LLM tokens (model_prices has those): per million embedding tokens, per
-- minute of transcription or voice. A price holds from effective_from until the model's next row.
create table public.usage_prices (
  kind text not null
    constraint usage_prices_kind_check check (kind in ('embedding_tokens', 'transcription_seconds', 'voice_seconds')),
  model text not null
    constraint usage_prices_model_check
    check (char_length(model) >= 1 and char_length(model) <= 128 and model !~ '[[:space:][:cntrl:]]'),
  effective_from date not null,
  usd_per_unit numeric(14, 6) not null
    constraint usage_prices_usd_per_unit_check check (usd_per_unit >= 0),
  unit text not null
    constraint usage_prices_unit_check check (unit in ('million_tokens', 'minute')),
  observed_on date not null,
  source text not null
    constraint usage_prices_source_check check (char_length(source) >= 1 and char_length(source) <= 500),
  primary key (kind, model, effective_from)
);
comment on table public.usage_prices is
  'List prices of embedding tokens (per million) and transcription or voice time (per minute), by provider/model, '
  'effective from a date; observed_on and source say where and when the fact was taken.';

alter table public.usage_prices enable row level security;
revoke all on public.usage_prices from anon, authenticated, service_role;
grant select on public.usage_prices to authenticated;
grant select, insert, update, delete on public.usage_prices to service_role;
create policy usage_prices_select_all on public.usage_prices for select to authenticated using (true);

-- Standard list prices as the provider published them (reference data: db:diff carries changes).
insert into public.usage_prices (kind, model, effective_from, usd_per_unit, unit, observed_on, source) values
  ('embedding_tokens', 'openai/text-embedding-3-small', '2024-01-25', 0.02, 'million_tokens', '2024-01-25',
   'OpenAI API pricing (openai.com/api/pricing), text-embedding-3-small launch'),
  ('embedding_tokens', 'openai/text-embedding-3-large', '2024-01-25', 0.13, 'million_tokens', '2024-01-25',
   'OpenAI API pricing (openai.com/api/pricing), text-embedding-3-large launch'),
  ('transcription_seconds', 'openai/whisper-1', '2023-03-01', 0.006, 'minute', '2023-03-01',
   'OpenAI API pricing (openai.com/api/pricing), Whisper API launch'),
  ('transcription_seconds', 'openai/gpt-4o-transcribe', '2025-03-20', 0.006, 'minute', '2025-03-20',
   'OpenAI API pricing (openai.com/api/pricing), gpt-4o-transcribe launch, estimated cost per minute'),
  ('transcription_seconds', 'openai/gpt-4o-mini-transcribe', '2025-03-20', 0.003, 'minute', '2025-03-20',
   'OpenAI API pricing (openai.com/api/pricing), gpt-4o-mini-transcribe launch, estimated cost per minute');

-- ---------------------------------------------------------------- the ledger

create table public.usage_events (
  id bigint generated always as identity primary key,
  -- who pays: the chat's owner for a chat's messages, the file's owner for its bytes
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null
    constraint usage_events_kind_check
    check (kind in ('llm_tokens', 'embedding_tokens', 'transcription_seconds', 'voice_seconds', 'storage_bytes')),
  -- tokens (LLM: input + output), seconds, or bytes (negative when a file is deleted or shrinks)
  quantity numeric not null,
  input_tokens bigint,
  output_tokens bigint,
  -- USD at the price in effect on occurred_at's day (UTC); null when unpriced or not billed
  cost_usd numeric,
  -- reported by a trusted writer (billed), or by a user's own session (client-reported, never billed)
  billed boolean not null,
  -- provider/model (model_prices, usage_prices)
  model text,
  agent_name text,
  chat_id uuid,
  -- the fact it records: a row of source_table (once per source and kind)
  source_table text not null,
  source_id text not null,
  occurred_at timestamptz not null,
  created_at timestamptz not null default now(),
  constraint usage_events_source_key unique (source_table, source_id, kind)
);
comment on table public.usage_events is
  'The usage ledger: LLM tokens (messages, model calls), embedding tokens, transcription and voice seconds, stored '
  'bytes, each once per source, costed where a price is known. Written by triggers, read by get_usage and check_quota.';
comment on column public.usage_events.billed is
  'Reported by a trusted writer (the service role, a server on a database connection) and billed; false: reported '
  'from a user''s own session, kept but never billed.';
-- get_usage and check_quota: a user's events of some kinds over a time range, read from the index alone
create index usage_events_user_id_kind_occurred_at_idx on public.usage_events (user_id, kind, occurred_at)
  include (billed, quantity, input_tokens, output_tokens, cost_usd, source_table);

alter table public.usage_events enable row level security;
revoke all on public.usage_events from anon, authenticated, service_role;
grant select on public.usage_events to authenticated;
grant select on public.usage_events to service_role;

create policy usage_events_select_own on public.usage_events
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Records one usage fact in the ledger, once per (source_table, source_id, kind): a second call for
-- the same source records nothing. The cost is computed here: LLM tokens at model_prices, other kinds
-- at usage_prices, on occurred_at's day (UTC); unbilled facts and unknown prices have none. billed
-- defaults to whether the current writer is trusted. Returns the event's id, or null when the source
-- was recorded already or the user no longer exists. Security definer: the ledger is written by
-- triggers and workers only (execute is granted to the service role and to no user).
create function private.record_usage(
  user_id uuid,
  kind text,
  quantity numeric,
  source_table text,
  source_id text,
  occurred_at timestamptz default null,
  billed boolean default null,
  model text default null,
  input_tokens bigint default null,
  output_tokens bigint default null,
  agent_name text default null,
  chat_id uuid default null
)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  at timestamptz := coalesce(record_usage.occurred_at, private.now());
  day date := (coalesce(record_usage.occurred_at, private.now()) at time zone 'UTC')::date;
  trusted boolean := coalesce(record_usage.billed, private.is_trusted_writer());
  cost numeric;
  recorded bigint;
begin
  if record_usage.kind is null or record_usage.kind not in ('llm_tokens', 'embedding_tokens', 'transcription_seconds',
    'voice_seconds', 'storage_bytes') then
    perform private.invalid_parameter(pg_catalog.format('kind %L is not a kind of usage', record_usage.kind));
  end if;
  if record_usage.quantity is null or record_usage.source_table is null or record_usage.source_id is null then
    perform private.invalid_parameter('quantity, source_table and source_id are required');
  end if;
  if record_usage.user_id is null or not exists (select 1 from auth.users u where u.id = record_usage.user_id) then
    return null;
  end if;
  if trusted and record_usage.model is not null then
    if record_usage.kind = 'llm_tokens' then
      select (coalesce(record_usage.input_tokens, 0) * p.input_usd_per_million
        + coalesce(record_usage.output_tokens, 0) * p.output_usd_per_million) / 1000000
        into cost
      from public.model_prices p
      where p.model = record_usage.model and p.effective_from <= day
      order by p.effective_from desc
      limit 1;
    elsif record_usage.kind <> 'storage_bytes' then
      select record_usage.quantity * p.usd_per_unit / case p.unit when 'million_tokens' then 1000000 else 60 end
        into cost
      from public.usage_prices p
      where p.kind = record_usage.kind and p.model = record_usage.model and p.effective_from <= day
      order by p.effective_from desc
      limit 1;
    end if;
  end if;
  insert into public.usage_events (user_id, kind, quantity, input_tokens, output_tokens, cost_usd, billed, model,
    agent_name, chat_id, source_table, source_id, occurred_at)
  values (record_usage.user_id, record_usage.kind, record_usage.quantity, record_usage.input_tokens,
    record_usage.output_tokens, cost, trusted, record_usage.model, record_usage.agent_name, record_usage.chat_id,
    record_usage.source_table, record_usage.source_id, at)
  on conflict on constraint usage_events_source_key do nothing
  returning id into recorded;
  return recorded;
end
$$;
comment on function private.record_usage(uuid, text, numeric, text, text, timestamptz, boolean, text, bigint, bigint, text, uuid) is
  'Records a usage fact in the ledger once per (source_table, source_id, kind), costed at the day''s price: user_id, '
  'kind (llm_tokens, embedding_tokens, transcription_seconds, voice_seconds, storage_bytes), quantity (tokens, '
  'seconds, bytes), the source row, occurred_at (default now), billed (default: whether the writer is trusted), '
  'model (provider/model, as model_prices and usage_prices name it), input and output tokens, agent name, chat. '
  'Returns the event id, or null when already recorded or the user is gone. For triggers and workers: the '
  'embedding queue records embedding_tokens with it.';
grant execute on function private.record_usage(uuid, text, numeric, text, text, timestamptz, boolean, text, bigint, bigint, text, uuid)
  to service_role;

-- messages: the token counts a message reports, billed to the chat's owner when a trusted writer
-- reported them. Security definer: the writer has no right on the ledger.
create function private.messages_record_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.record_usage(new.chat_owner_id, 'llm_tokens',
    coalesce(new.input_tokens::bigint, 0) + coalesce(new.output_tokens::bigint, 0), 'messages', new.id::text,
    new.created_at, new.usage_source::text = 'service', new.agent_model::text, new.input_tokens::bigint,
    new.output_tokens::bigint, new.agent_name::text, new.chat_id);
  return null;
end
$$;

-- on insert, and when an answer begun empty is finished with its counts (service_role_finish_reply
-- sets usage_source); once per message either way
create trigger messages_740_record_usage
  after insert or update of usage_source on public.messages
  for each row when (new.usage_source is not null)
  execute function private.messages_record_usage();

-- A generic AFTER INSERT trigger for tables of model calls (prompt_runs): records each row's LLM
-- tokens, configured by the trigger's arguments, the names of the row's columns:
--   0 user who pays, 1 model (provider/model), 2 input tokens, 3 output tokens, 4 when,
--   5 (optional, '' for none) the message the call produced, 6 (optional) agent name,
--   7 (optional) the row's own cost in USD, used when model_prices has no price for the model.
-- A call that produced a message is recorded under that message (source messages), so the message's
-- own counts and the call's are one fact: whichever is written first is recorded; the chat's owner
-- pays. A call for an answer still being written (pending or streaming) is not recorded: the
-- answer's counts, the turn's total, are recorded when it is finished. Billed when a trusted writer
-- inserts the row. prompt_runs_740_record_usage (below) is how a table uses it.
-- Security definer: see messages_record_usage.
create function private.record_llm_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  item jsonb := pg_catalog.to_jsonb(new);
  payer uuid := (item ->> tg_argv[0])::uuid;
  model text := item ->> tg_argv[1];
  input_tokens bigint := (item ->> tg_argv[2])::bigint;
  output_tokens bigint := (item ->> tg_argv[3])::bigint;
  at timestamptz := coalesce((item ->> tg_argv[4])::timestamptz, private.now());
  message_id uuid := nullif(item ->> nullif(tg_argv[5], ''), '')::uuid;
  agent text := item ->> nullif(tg_argv[6], '');
  own_cost numeric := (item ->> nullif(tg_argv[7], ''))::numeric;
  chat uuid;
  status text;
  source_table text := tg_table_name;
  source_id text := item ->> 'id';
  recorded bigint;
begin
  if input_tokens is null and output_tokens is null then
    return null;
  end if;
  if message_id is not null then
    source_table := 'messages';
    source_id := message_id::text;
    select m.chat_owner_id, m.chat_id, m.status::text into payer, chat, status from public.messages m where m.id = message_id;
    if status in ('pending', 'streaming') then
      return null;
    end if;
    payer := coalesce(payer, (item ->> tg_argv[0])::uuid);
  end if;
  recorded := private.record_usage(payer, 'llm_tokens', coalesce(input_tokens, 0) + coalesce(output_tokens, 0),
    source_table, source_id, at, private.is_trusted_writer(), model, input_tokens, output_tokens, agent, chat);
  if recorded is not null and own_cost is not null then
    update public.usage_events e set cost_usd = own_cost
    where e.id = recorded and e.billed and e.cost_usd is null;
  end if;
  return null;
end
$$;
comment on function private.record_llm_usage() is
  'Generic trigger recording the LLM tokens of a row of model calls (prompt_runs) in the usage ledger; its '
  'arguments name the columns: user, model, input tokens, output tokens, time, and optionally message id, agent name, '
  'cost. A call that produced a message is recorded as that message (once that message is finished).';

create trigger prompt_runs_740_record_usage
  after insert on public.prompt_runs
  for each row execute function private.record_llm_usage('user_id', 'model', 'input_tokens', 'output_tokens',
    'started_at', 'message_id', 'agent_name', 'cost_usd');

-- storage.objects: the bytes a user stores, as changes (a new object adds its size, new content the
-- difference, a removal takes its size away), so their sum is what they store now. Security
-- definer: see messages_record_usage.
create function private.objects_record_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  payer uuid;
begin
  if tg_op = 'INSERT' then
    perform private.record_usage(private.storage_object_owner(new.owner, new.name), 'storage_bytes',
      private.storage_object_size(new.metadata), 'storage.objects', new.id::text || ':' || coalesce(new.version, ''),
      private.now(), true);
  elsif tg_op = 'UPDATE' then
    payer := private.storage_object_owner(new.owner, new.name);
    if private.storage_object_size(new.metadata) <> private.storage_object_size(old.metadata) then
      perform private.record_usage(payer, 'storage_bytes',
        private.storage_object_size(new.metadata) - private.storage_object_size(old.metadata), 'storage.objects',
        new.id::text || ':' || coalesce(new.version, ''), private.now(), true);
    end if;
  else
    perform private.record_usage(private.storage_object_owner(old.owner, old.name), 'storage_bytes',
      -private.storage_object_size(old.metadata), 'storage.objects',
      old.id::text || ':' || coalesce(old.version, '') || ':deleted', private.now(), true);
  end if;
  return null;
end
$$;

create trigger objects_740_record_usage
  after insert or delete on storage.objects
  for each row execute function private.objects_record_usage();

create trigger objects_740_record_usage_update
  after update on storage.objects
  for each row when (new.version is distinct from old.version)
  execute function private.objects_record_usage();

-- ---------------------------------------------------------------- reading it

create function private.get_usage("from" timestamptz, "to" timestamptz, group_by text, include_client_reported boolean,
  kinds text[])
returns table (
  group_key text,
  label text,
  source text,
  messages bigint,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  unpriced_messages bigint,
  kind text,
  quantity numeric,
  events bigint,
  unpriced_events bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  wanted text[] := coalesce(get_usage.kinds,
    array['llm_tokens', 'embedding_tokens', 'transcription_seconds', 'voice_seconds', 'storage_bytes']);
begin
  if me is null then
    raise exception 'sign in to see usage' using errcode = '42501';
  end if;
  if group_by is null or group_by not in ('agent', 'model', 'chat', 'day', 'month', 'kind') then
    perform private.invalid_parameter(
      pg_catalog.format('group_by %L is not one of agent, model, chat, day, month, kind', group_by));
  end if;
  if not wanted <@ array['llm_tokens', 'embedding_tokens', 'transcription_seconds', 'voice_seconds', 'storage_bytes']
    or pg_catalog.cardinality(wanted) = 0 then
    perform private.invalid_parameter('kinds must list kinds of usage: llm_tokens, embedding_tokens, '
      'transcription_seconds, voice_seconds, storage_bytes');
  end if;
  if "from" is not null and "to" is not null and "from" >= "to" then
    perform private.invalid_parameter('from must be before to');
  end if;

  return query
  with used as (
    select
      case group_by
        when 'agent' then coalesce(e.agent_name, '')
        when 'model' then coalesce(e.model, '')
        when 'chat' then coalesce(e.chat_id::text, '')
        when 'day' then pg_catalog.to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD')
        when 'month' then pg_catalog.to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM')
        else e.kind
      end as key,
      e.kind as usage_kind,
      e.billed,
      pg_catalog.count(*) as n,
      pg_catalog.count(*) filter (where e.source_table = 'messages') as n_messages,
      pg_catalog.count(*) filter (where e.cost_usd is null) as n_unpriced,
      pg_catalog.count(*) filter (where e.cost_usd is null and e.source_table = 'messages') as n_unpriced_messages,
      pg_catalog.sum(e.quantity) as total,
      pg_catalog.sum(coalesce(e.input_tokens, 0))::bigint as input_total,
      pg_catalog.sum(coalesce(e.output_tokens, 0))::bigint as output_total,
      pg_catalog.sum(e.cost_usd) as cost
    from public.usage_events e
    where e.user_id = me
      and e.kind = any (wanted)
      and e.occurred_at >= coalesce("from", '-infinity')
      and e.occurred_at < coalesce("to", 'infinity')
      and (include_client_reported or e.billed)
    group by 1, 2, 3
  )
  select u.key,
    case
      when group_by = 'chat' and u.key = '' then '(none)'
      when group_by = 'chat' then coalesce((select coalesce(c.title::text, '(untitled)') from public.chats c
        where c.id = u.key::uuid), '(deleted chat)')
      when group_by in ('agent', 'model') then coalesce(nullif(u.key, ''), '(none)')
      else u.key
    end,
    case when u.billed then 'billed' else 'client_reported' end,
    u.n_messages, u.input_total, u.output_total,
    case when u.billed then coalesce(u.cost, 0)::numeric(14, 6) end,
    case when u.billed then u.n_unpriced_messages end,
    u.usage_kind, u.total, u.n,
    case when u.billed then u.n_unpriced end
  from used u
  order by u.key, u.usage_kind, u.billed desc;
end
$$;
grant execute on function private.get_usage(timestamptz, timestamptz, text, boolean, text[]) to authenticated;

create function public.get_usage(
  "from" timestamptz default null,
  "to" timestamptz default null,
  group_by text default 'model',
  include_client_reported boolean default false,
  kinds text[] default null
)
returns table (
  group_key text,
  label text,
  source text,
  messages bigint,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  unpriced_messages bigint,
  kind text,
  quantity numeric,
  events bigint,
  unpriced_events bigint
)
language sql
stable
security invoker
set search_path = ''
as $$
  select u.* from private.get_usage(get_usage."from", get_usage."to", get_usage.group_by,
    coalesce(get_usage.include_client_reported, false), get_usage.kinds) u
$$;
grant execute on function public.get_usage(timestamptz, timestamptz, text, boolean, text[]) to authenticated;
comment on function public.get_usage(timestamptz, timestamptz, text, boolean, text[]) is
  'The caller''s usage from the ledger over [from, to) (default: all time): LLM tokens of the chats they own '
  '(whoever wrote in them: the owner pays) and of model calls, embedding tokens, transcription and voice seconds, '
  'and stored bytes (changes: uploads add, deletions subtract), of the kinds listed (default all), grouped by '
  'agent, model, chat, day or month (UTC) or kind. Only facts reported by trusted writers (the service role: agent '
  'functions, workers) bill; what a user reported from their own session is left out, or listed in rows of its own '
  'with include_client_reported. One row per group, kind and source: group_key (agent name, model, chat id, '
  'YYYY-MM-DD, YYYY-MM or kind; '''' for none), label (readable name, chat title), source (billed | '
  'client_reported), messages (LLM events from messages), input_tokens, output_tokens, cost_usd (billed rows: at '
  'the prices in effect on each event''s day; null for client_reported), unpriced_messages (billed message events '
  'whose model has no known price, not in cost_usd), kind, quantity (tokens, seconds or bytes), events, '
  'unpriced_events. Errors: 22023 (400) bad group_by, kinds or range; anon is denied (401).';

-- What check_quota answers.
create type public.quota as (
  kind text,
  plan text,
  period text,
  used numeric,
  "limit" numeric,
  remaining numeric,
  period_start timestamptz,
  period_end timestamptz
);
comment on type public.quota is
  'A user''s use of one kind against their plan''s limit: used, limit and remaining (null: unlimited), over the '
  'period (this calendar month, UTC, or all time).';

create function public.check_quota(kind text, user_id uuid default null)
returns public.quota
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  who uuid := (select auth.uid());
  result public.quota;
  month_start timestamptz := pg_catalog.date_trunc('month', private.now() at time zone 'UTC') at time zone 'UTC';
begin
  if check_quota.user_id is not null then
    if not private.is_service_role() then
      raise exception 'only the service role checks another user''s quota' using errcode = '42501';
    end if;
    who := check_quota.user_id;
  end if;
  if who is null then
    raise exception 'sign in to check your quota' using errcode = '42501';
  end if;
  if check_quota.kind is null or check_quota.kind not in ('llm_tokens', 'embedding_tokens', 'transcription_seconds',
    'voice_seconds', 'storage_bytes') then
    perform private.invalid_parameter(pg_catalog.format('kind %L is not one of llm_tokens, embedding_tokens, '
      'transcription_seconds, voice_seconds, storage_bytes', check_quota.kind));
  end if;
  result.kind := check_quota.kind;
  select coalesce(p.plan, 'free') into result.plan from public.profiles p where p.id = who;
  if not found then
    perform private.not_found('profile');
  end if;
  select l.period, l.quantity into result.period, result."limit"
  from public.plan_limits l where l.plan = result.plan and l.kind = check_quota.kind;
  result.period := coalesce(result.period, 'month');
  if result.period = 'month' then
    result.period_start := month_start;
    result.period_end := (month_start at time zone 'UTC' + interval '1 month') at time zone 'UTC';
  end if;
  select coalesce(pg_catalog.sum(e.quantity), 0) into result.used
  from public.usage_events e
  where e.user_id = who and e.kind = check_quota.kind and e.billed
    and e.occurred_at >= coalesce(result.period_start, '-infinity')
    and e.occurred_at < coalesce(result.period_end, 'infinity');
  result.remaining := greatest(result."limit" - result.used, 0);
  return result;
end
$$;
grant execute on function public.check_quota(text, uuid) to authenticated, service_role;
comment on function public.check_quota(text, uuid) is
  'The caller''s use of one kind of usage (llm_tokens, embedding_tokens, transcription_seconds, voice_seconds, '
  'storage_bytes) against the limit of their plan (profiles.plan, limits in plan_limits): {kind, plan, period '
  '(month: this calendar month, UTC; total: all time, for stored bytes), used (billed usage), limit and remaining '
  '(null: unlimited; remaining never below 0), period_start, period_end}. The service role may pass user_id. '
  'Errors: 22023 (400) unknown kind; PT404 (404) no profile; 42501 anon (401), user_id from a user (403).';
