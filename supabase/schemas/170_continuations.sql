-- EX-AI continuation conversations: an agent server records each exchange under its continuation
-- id in one idempotent call, the chat expires after a sliding TTL, and a job scheduled every minute
-- purges expired chats (pg_cron where present; the stack's scheduler elsewhere).

-- What record_conversation returns.
create type public.recorded_conversation as (
  chat_id uuid,
  created boolean,
  inserted integer,
  skipped integer,
  message_count integer,
  expires_at timestamptz
);
comment on type public.recorded_conversation is 'Result of record_conversation: the chat and what this call wrote.';

create function public.record_conversation(
  continuation_id text,
  messages jsonb,
  title text default null,
  agent_name text default null,
  ttl_seconds integer default null
)
returns public.recorded_conversation
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  clock timestamptz := private.now();
  result public.recorded_conversation;
  chat public.chats;
  item record;
  checked boolean;
  batch_size integer;
  new_ttl interval := case when record_conversation.ttl_seconds is not null then pg_catalog.make_interval(secs => record_conversation.ttl_seconds) end;
begin
  if me is null then
    raise exception 'sign in to record a conversation' using errcode = '42501';
  end if;
  if record_conversation.continuation_id is null
    or pg_catalog.char_length(record_conversation.continuation_id) not between 1 and 200
    or record_conversation.continuation_id ~ '[[:space:][:cntrl:]]' then
    perform private.invalid_parameter('continuation_id must be 1 to 200 characters without spaces');
  end if;
  if record_conversation.ttl_seconds is not null and record_conversation.ttl_seconds not between 60 and 31622400 then
    perform private.invalid_parameter('ttl_seconds must be between 60 (1 minute) and 31622400 (366 days)');
  end if;
  if record_conversation.agent_name is not null
    and (pg_catalog.char_length(record_conversation.agent_name) not between 1 and 64 or record_conversation.agent_name ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('agent_name must be 1 to 64 characters without control characters');
  end if;
  if record_conversation.messages is null or pg_catalog.jsonb_typeof(record_conversation.messages) <> 'array' then
    perform private.invalid_parameter('messages must be a JSON array');
  end if;
  batch_size := pg_catalog.jsonb_array_length(record_conversation.messages);
  if batch_size > 1000 then
    perform private.invalid_parameter('messages must hold at most 1000 messages per call');
  end if;

  -- Validate the whole batch before writing anything.
  for item in
    select e.value as v, e.ordinality as n
    from pg_catalog.jsonb_array_elements(record_conversation.messages) with ordinality e
  loop
    if pg_catalog.jsonb_typeof(item.v) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('messages[%s] must be a JSON object', item.n - 1));
    end if;
    if item.v ->> 'client_message_id' is null then
      perform private.invalid_parameter(pg_catalog.format('messages[%s].client_message_id is required', item.n - 1),
        'Give every message a stable id so that replaying the batch writes nothing twice.');
    end if;
    begin
      checked := private.check_message(item.v ->> 'role', item.v ->> 'content', item.v -> 'parts', item.v ->> 'agent_name',
        item.v ->> 'agent_model', item.v ->> 'intent', (item.v ->> 'input_tokens')::integer,
        (item.v ->> 'output_tokens')::integer, (item.v ->> 'latency_ms')::integer, item.v ->> 'status',
        item.v -> 'metadata', item.v ->> 'client_message_id');
    exception
      when invalid_parameter_value or invalid_text_representation or numeric_value_out_of_range then
        perform private.invalid_parameter(pg_catalog.format('messages[%s]: %s', item.n - 1, sqlerrm));
    end;
  end loop;
  if (select pg_catalog.count(distinct e.value ->> 'client_message_id')
      from pg_catalog.jsonb_array_elements(record_conversation.messages) e) <> batch_size then
    perform private.invalid_parameter('client_message_id must be unique within messages');
  end if;

  -- The chat, locked: concurrent calls for one conversation run one after the other, so a replay
  -- racing the original sees its messages and skips them.
  select c.* into chat from public.chats c
  where c.owner_id = me and c.continuation_id = record_conversation.continuation_id
  for no key update;
  if found and chat.expires_at is not null and chat.expires_at <= clock then
    -- expired but not purged yet: it is gone for its users, so start over
    delete from public.chats c where c.id = chat.id;
    chat := null;
  end if;
  result.created := chat.id is null;
  if chat.id is null then
    insert into public.chats (title, agent_id, continuation_id, expires_at, ttl)
    values (
      private.clean_label(record_conversation.title, 'title', 200, true),
      (select a.id from public.agents a where a.name = record_conversation.agent_name
       order by a.owner_id nulls last limit 1),
      record_conversation.continuation_id,
      clock + coalesce(new_ttl, interval '3 hours'),
      coalesce(new_ttl, interval '3 hours')
    )
    on conflict on constraint chats_owner_id_continuation_id_key do nothing
    returning * into chat;
    if chat.id is null then
      -- a concurrent first call created it: use theirs
      result.created := false;
      select c.* into chat from public.chats c
      where c.owner_id = me and c.continuation_id = record_conversation.continuation_id
      for no key update;
    end if;
  end if;
  if not private.has_role_on_chat(chat.id, 'editor') then
    perform private.deny('chat', chat.id, 'write to it');
  end if;

  -- Appended in order, each under the previous one; messages already recorded are skipped.
  insert into public.messages (chat_id, role, content, parts, agent_name, agent_model, intent, input_tokens,
    output_tokens, latency_ms, status, metadata, client_message_id)
  select chat.id, e.value ->> 'role', e.value ->> 'content', e.value -> 'parts',
    coalesce(e.value ->> 'agent_name', case when e.value ->> 'role' = 'assistant' then record_conversation.agent_name end),
    e.value ->> 'agent_model', e.value ->> 'intent', (e.value ->> 'input_tokens')::integer,
    (e.value ->> 'output_tokens')::integer, (e.value ->> 'latency_ms')::integer,
    coalesce(e.value ->> 'status', 'complete'), coalesce(e.value -> 'metadata', '{}'), e.value ->> 'client_message_id'
  from pg_catalog.jsonb_array_elements(record_conversation.messages) with ordinality e
  where not exists (
    select 1 from public.messages m
    where m.chat_id = chat.id and m.client_message_id = e.value ->> 'client_message_id'
  )
  order by e.ordinality;
  get diagnostics result.inserted = row_count;
  result.skipped := batch_size - result.inserted;

  -- every call slides the expiry forward by the chat's TTL
  update public.chats c
  set ttl = coalesce(new_ttl, c.ttl),
      expires_at = case when coalesce(new_ttl, c.ttl) is not null then clock + coalesce(new_ttl, c.ttl) else c.expires_at end,
      title = coalesce(c.title, private.clean_label(record_conversation.title, 'title', 200, true))
  where c.id = chat.id
  returning c.id, c.message_count, c.expires_at into result.chat_id, result.message_count, result.expires_at;
  return result;
end
$$;
grant execute on function public.record_conversation(text, jsonb, text, text, integer) to authenticated;
comment on function public.record_conversation(text, jsonb, text, text, integer) is
  'Records an EX-AI conversation turn in one call: creates the caller''s chat for continuation_id on first use '
  '(TTL ttl_seconds, default 3 hours), appends messages (a JSON array, at most 1000, of {client_message_id, role, '
  'content, parts?, agent_name?, agent_model?, intent?, input_tokens?, output_tokens?, latency_ms?, status?, '
  'metadata?}) in order, skipping those already recorded, and slides expires_at to now + TTL. Replaying a batch '
  'writes no message twice. An expired chat is replaced by a new one. Returns {chat_id, created, inserted, skipped, '
  'message_count, expires_at}. Errors: 22023 (400) invalid argument or message (nothing is written); anon is denied (401).';

create function public.get_chat_by_continuation(continuation_id text)
returns public.chats
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  chat public.chats;
begin
  select c.* into chat from public.chats c
  where c.owner_id = (select auth.uid())
    and c.continuation_id = get_chat_by_continuation.continuation_id
    and (c.expires_at is null or c.expires_at > private.now());
  if not found then
    perform private.not_found('conversation', 'No conversation with this continuation_id, or it has expired.');
  end if;
  return chat;
end
$$;
grant execute on function public.get_chat_by_continuation(text) to authenticated;
comment on function public.get_chat_by_continuation(text) is
  'The caller''s chat recorded under continuation_id (a chats row; read its messages with get_messages). '
  'Errors: PT404 (404) unknown or expired.';

-- RPC: deletes expired chats (with their messages, members and shares), at most 1000 per call,
-- oldest expiry first, skipping chats another transaction is writing to (a record_conversation
-- call may be sliding their expiry).
create function public.service_role_purge_expired_chats()
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  purged integer;
begin
  with expired as (
    select c.id from public.chats c
    where c.expires_at <= private.now()
    order by c.expires_at
    limit 1000
    for update skip locked
  )
  delete from public.chats c using expired e where c.id = e.id;
  get diagnostics purged = row_count;
  return purged;
end
$$;
grant execute on function public.service_role_purge_expired_chats() to service_role;
comment on function public.service_role_purge_expired_chats() is
  'Service role only (the scheduler runs it every minute): deletes up to 1000 expired chats with everything in '
  'them and returns how many.';

-- Scheduled jobs. The list is a table so that both schedulers run the same SQL: pg_cron where the
-- extension exists (Supabase, the native engine), the stack's scheduler (stack/db/scheduler.ts)
-- elsewhere (PGlite).
create table private.scheduled_jobs (
  name text primary key
    constraint scheduled_jobs_name_check check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
  schedule text not null
    constraint scheduled_jobs_schedule_check
    check (schedule ~ '^\S+ \S+ \S+ \S+ \S+$' or schedule ~ '^([1-9]|[1-5][0-9]) seconds?$'),
  command text not null,
  description text
);
comment on table private.scheduled_jobs is
  'Jobs to run on a cron schedule, or every N seconds (''10 seconds'', 1 to 59, as pg_cron 1.5+ takes it): by pg_cron '
  'where it exists (every minute on pg_cron before 1.5, which has no seconds), else by the stack''s scheduler.';
alter table private.scheduled_jobs enable row level security;
revoke all on private.scheduled_jobs from anon, authenticated, service_role;

-- reference data: db:diff carries changes of these rows into migrations
insert into private.scheduled_jobs (name, schedule, command, description) values
  ('parley-purge-expired-chats', '* * * * *', 'select public.service_role_purge_expired_chats()',
   'Deletes expired continuation chats.'),
  ('parley-end-stale-voice-sessions', '* * * * *', 'select public.service_role_end_stale_voice_sessions()',
   'Ends voice sessions left open for two hours (750_voice.sql).');

-- db:diff: after changes to private.scheduled_jobs
-- Schedules the jobs with pg_cron where it is installed (or can be, in cron.database_name). pg_cron
-- before 1.5 (Debian bookworm's 1.4) has no 'N seconds' schedules: those jobs run every minute there.
-- Jobs call Edge Functions through pg_net (175_edge_function_calls.sql): enabled where the project
-- has it (the local stack has a stand-in of its schema, sql/platform/60_net.sql).
do $$
declare
  job record;
  has_seconds boolean;
begin
  if to_regnamespace('net') is null and exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net;
  end if;
  if to_regnamespace('cron') is null
    and exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron')
    and pg_catalog.current_setting('cron.database_name', true) = pg_catalog.current_database() then
    create extension if not exists pg_cron with schema pg_catalog;
  end if;
  if to_regnamespace('cron') is not null then
    select pg_catalog.string_to_array(pg_catalog.split_part(e.extversion, '-', 1), '.')::int[] >= array[1, 5]
      into has_seconds
    from pg_catalog.pg_extension e where e.extname = 'pg_cron';
    for job in select j.name, j.schedule, j.command from private.scheduled_jobs j loop
      perform cron.schedule(job.name,
        case when job.schedule ~ 'seconds?$' and not has_seconds then '* * * * *' else job.schedule end, job.command);
    end loop;
  end if;
end
$$;
