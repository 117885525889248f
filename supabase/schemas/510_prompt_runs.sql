-- Prompt performance (EX-AI's prompt_performance): one prompt_runs row per model call, written by
-- the service role (the agent functions, agent servers), priced from model_prices at the run's
-- date; get_prompt_performance and compare_prompt_versions compute success rates, latency
-- percentiles, tokens and cost per version in SQL. Prompt admins and editors read them; users do
-- not (their usage is get_usage's).

create table public.prompt_runs (
  -- given by the writer: recording a run again (a retry) writes nothing
  id uuid primary key default gen_random_uuid(),
  prompt_name text not null,
  prompt_version integer not null,
  agent_name private.short_text,
  -- what the call was for; kept when those are deleted (the statistics stay)
  chat_id uuid references public.chats (id) on delete set null,
  -- the assistant message the call produced or helped produce (no foreign key, like
  -- messages.parent_id: messages are deleted only with their chat, whose id is cleared here)
  message_id uuid,
  entry_id uuid references public.entries (id) on delete set null,
  -- whose request it was (who is billed: the chat's or the entry's owner)
  user_id uuid references auth.users (id) on delete set null,
  model private.token_128 not null,
  started_at timestamptz not null,
  latency_ms private.count not null,
  ttft_ms private.count,
  input_tokens private.count not null default 0,
  output_tokens private.count not null default 0,
  -- set by the pricing trigger from model_prices (null: the model has no known price)
  cost_usd numeric(14, 8),
  success boolean not null,
  error_class private.snake_case_40,
  error_message text
    constraint prompt_runs_error_message_check check (error_message is null or char_length(error_message) <= 1000),
  metadata private.json_object_16k not null default '{}',
  created_at timestamptz not null default now(),
  constraint prompt_runs_prompt_version_fkey foreign key (prompt_name, prompt_version)
    references public.prompt_versions (prompt_name, version) on delete cascade,
  constraint prompt_runs_error_class_check check (success = (error_class is null))
);
comment on table public.prompt_runs is
  'One row per model call: which prompt version, for which agent, chat, message or entry, the model, latency, time '
  'to first token, tokens, cost (from model_prices at the run''s date), success and error class. Written by the '
  'service role; read by prompt admins (get_prompt_performance).';
comment on column public.prompt_runs.latency_ms is 'From sending the request to the end of the answer (or the failure).';
comment on column public.prompt_runs.ttft_ms is 'Time to the first streamed token; null for calls that did not stream.';
comment on column public.prompt_runs.cost_usd is 'Priced by the database from model_prices in effect on the run''s day (UTC); null: no known price.';
comment on column public.prompt_runs.error_class is
  'Why the call failed: rate_limited, timeout, provider_error, rejected, cut_stream, invalid_output, internal…; null on success.';

-- get_prompt_performance: one index-only range scan per version (the columns it aggregates are
-- included), whatever other prompts have run
create index prompt_runs_prompt_name_prompt_version_started_at_idx
  on public.prompt_runs (prompt_name, prompt_version, started_at)
  include (latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd, success);
create index prompt_runs_chat_id_idx on public.prompt_runs (chat_id) where chat_id is not null;
create index prompt_runs_entry_id_idx on public.prompt_runs (entry_id) where entry_id is not null;
create index prompt_runs_user_id_started_at_idx on public.prompt_runs (user_id, started_at) where user_id is not null;
create index prompt_runs_message_id_idx on public.prompt_runs (message_id) where message_id is not null;

alter table public.prompt_runs enable row level security;
revoke all on public.prompt_runs from anon, authenticated, service_role;
grant select on public.prompt_runs to authenticated;
grant select, insert, delete on public.prompt_runs to service_role;

create policy prompt_runs_select_registry on public.prompt_runs
  for select to authenticated
  using ((select private.prompt_role()) is not null);

-- The price of a run: its tokens at the model's list price in effect on the run's day (UTC), as
-- get_usage prices messages; null when the model has no price. Whoever writes the row.
create function private.prompt_runs_price()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  select (new.input_tokens * p.input_usd_per_million + new.output_tokens * p.output_usd_per_million) / 1000000
    into new.cost_usd
  from public.model_prices p
  where p.model = new.model and p.effective_from <= (new.started_at at time zone 'UTC')::date
  order by p.effective_from desc
  limit 1;
  if not found then
    new.cost_usd := null;
  end if;
  return new;
end
$$;

create trigger prompt_runs_100_price
  before insert on public.prompt_runs
  for each row execute function private.prompt_runs_price();

-- RPC: records model calls; a run already recorded (same id) is skipped.
create function public.service_role_record_prompt_runs(runs jsonb)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  item record;
  n integer;
  field text;
begin
  if runs is null or pg_catalog.jsonb_typeof(runs) <> 'array' or pg_catalog.jsonb_array_length(runs) > 1000 then
    perform private.invalid_parameter('runs must be a JSON array of at most 1000 runs');
  end if;
  -- Validate every run before writing any, naming the element and field.
  for item in
    select e.value as v, e.ordinality - 1 as i from pg_catalog.jsonb_array_elements(runs) with ordinality e
  loop
    if pg_catalog.jsonb_typeof(item.v) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('runs[%s] must be a JSON object', item.i));
    end if;
    foreach field in array array['id', 'prompt_name', 'prompt_version', 'model', 'started_at', 'latency_ms', 'success'] loop
      if pg_catalog.jsonb_typeof(item.v -> field) is null or item.v -> field = 'null' then
        perform private.invalid_parameter(pg_catalog.format('runs[%s].%s is required', item.i, field));
      end if;
    end loop;
    begin
      perform (item.v ->> 'id')::uuid, (item.v ->> 'chat_id')::uuid, (item.v ->> 'message_id')::uuid,
        (item.v ->> 'entry_id')::uuid, (item.v ->> 'user_id')::uuid, (item.v ->> 'started_at')::timestamptz,
        (item.v ->> 'prompt_version')::integer, (item.v ->> 'latency_ms')::integer, (item.v ->> 'ttft_ms')::integer,
        (item.v ->> 'input_tokens')::integer, (item.v ->> 'output_tokens')::integer, (item.v ->> 'success')::boolean;
    exception
      when invalid_text_representation or numeric_value_out_of_range or datetime_field_overflow
        or invalid_datetime_format then
        perform private.invalid_parameter(pg_catalog.format('runs[%s]: %s', item.i, sqlerrm),
          'ids are uuids, started_at a timestamp, tokens and milliseconds integers, success a boolean.');
    end;
    if (item.v ->> 'success')::boolean = (item.v ? 'error_class' and item.v -> 'error_class' <> 'null') then
      perform private.invalid_parameter(pg_catalog.format(
        'runs[%s].error_class is required for a failed run and must be absent for a successful one', item.i));
    end if;
    if not exists (
      select 1 from public.prompt_versions v
      where v.prompt_name = item.v ->> 'prompt_name' and v.version = (item.v ->> 'prompt_version')::integer
    ) then
      perform private.invalid_parameter(pg_catalog.format('runs[%s]: version %s of prompt %s does not exist', item.i,
        item.v ->> 'prompt_version', item.v ->> 'prompt_name'));
    end if;
  end loop;

  begin
    insert into public.prompt_runs (id, prompt_name, prompt_version, agent_name, chat_id, message_id, entry_id, user_id,
      model, started_at, latency_ms, ttft_ms, input_tokens, output_tokens, success, error_class, error_message, metadata)
    select r.id, r.prompt_name, r.prompt_version, r.agent_name, r.chat_id, r.message_id, r.entry_id,
      -- who is billed: the one given, else the chat's or the entry's owner
      coalesce(r.user_id, (select c.owner_id from public.chats c where c.id = r.chat_id),
        (select e.user_id from public.entries e where e.id = r.entry_id)),
      r.model, r.started_at, r.latency_ms, r.ttft_ms, coalesce(r.input_tokens, 0), coalesce(r.output_tokens, 0),
      r.success, r.error_class, left(r.error_message, 1000), coalesce(r.metadata, '{}')
    from pg_catalog.jsonb_to_recordset(runs) as r(id uuid, prompt_name text, prompt_version integer, agent_name text,
      chat_id uuid, message_id uuid, entry_id uuid, user_id uuid, model text, started_at timestamptz,
      latency_ms integer, ttft_ms integer, input_tokens integer, output_tokens integer, success boolean,
      error_class text, error_message text, metadata jsonb)
    on conflict (id) do nothing;
    get diagnostics n = row_count;
  exception
    when check_violation or not_null_violation then
      perform private.invalid_parameter(pg_catalog.format('invalid run: %s', sqlerrm),
        'agent_name 1-64 characters; model 1-128 without spaces; latency, ttft and tokens >= 0; error_class '
        'snake_case; metadata an object of at most 16 kB.');
    when foreign_key_violation then
      perform private.invalid_parameter(pg_catalog.format('invalid run: %s', sqlerrm),
        'chat_id, entry_id and user_id must exist.');
  end;
  return n;
end
$$;
grant execute on function public.service_role_record_prompt_runs(jsonb) to service_role;
comment on function public.service_role_record_prompt_runs(jsonb) is
  'Service role only (agent functions and servers): records model calls. runs: a JSON array (at most 1000) of {id '
  '(uuid, chosen by the caller: the same run again is skipped), prompt_name, prompt_version, agent_name?, chat_id?, '
  'message_id?, entry_id?, user_id? (default: the chat''s or the entry''s owner), model, started_at, latency_ms, '
  'ttft_ms?, input_tokens?, output_tokens?, success, error_class? (required exactly when success is false), '
  'error_message?, metadata?}. The cost is computed from model_prices at started_at''s date. Returns how many runs '
  'were new. Errors: 22023 (400) naming the run and field (nothing is written).';

-- One version's statistics over [from, to): runs, successes, latency and time-to-first-token
-- percentiles (over successful runs), average tokens and cost. Security invoker: prompt_runs' policy
-- decides who sees runs. One index-only range scan (the index includes what is aggregated); each
-- percentile pair is one sort (percentile_cont of an array); work_mem is raised so that sorting a
-- version's latencies (about 24 bytes a run) stays in memory up to about a million runs.
create function private.prompt_run_stats(prompt_name text, version integer, "from" timestamptz, "to" timestamptz)
returns table (
  runs bigint,
  successes bigint,
  success_rate numeric,
  p50_latency_ms double precision,
  p95_latency_ms double precision,
  p50_ttft_ms double precision,
  p95_ttft_ms double precision,
  avg_input_tokens numeric,
  avg_output_tokens numeric,
  avg_cost_usd numeric,
  total_cost_usd numeric,
  unpriced_runs bigint,
  first_run_at timestamptz,
  last_run_at timestamptz
)
language sql
stable
set search_path = ''
set work_mem = '32MB'
as $$
  select s.runs, s.successes, pg_catalog.round(s.successes::numeric / nullif(s.runs, 0), 4),
    s.latency[1], s.latency[2], s.ttft[1], s.ttft[2], s.avg_input_tokens, s.avg_output_tokens, s.avg_cost_usd,
    s.total_cost_usd, s.unpriced_runs, s.first_run_at, s.last_run_at
  from (
    select pg_catalog.count(*) as runs, pg_catalog.count(*) filter (where r.success) as successes,
      pg_catalog.percentile_cont(array[0.5, 0.95]) within group (order by r.latency_ms::integer)
        filter (where r.success) as latency,
      pg_catalog.percentile_cont(array[0.5, 0.95]) within group (order by r.ttft_ms::integer)
        filter (where r.success) as ttft,
      pg_catalog.round(pg_catalog.avg(r.input_tokens::integer), 2) as avg_input_tokens,
      pg_catalog.round(pg_catalog.avg(r.output_tokens::integer), 2) as avg_output_tokens,
      pg_catalog.round(pg_catalog.avg(r.cost_usd), 8) as avg_cost_usd, pg_catalog.sum(r.cost_usd) as total_cost_usd,
      pg_catalog.count(*) filter (where r.cost_usd is null and (r.input_tokens::integer > 0 or r.output_tokens::integer > 0))
        as unpriced_runs,
      pg_catalog.min(r.started_at) as first_run_at, pg_catalog.max(r.started_at) as last_run_at
    from public.prompt_runs r
    where r.prompt_name = prompt_run_stats.prompt_name and r.prompt_version = prompt_run_stats.version
      and r.started_at >= coalesce(prompt_run_stats."from", '-infinity')
      and r.started_at < coalesce(prompt_run_stats."to", 'infinity')
  ) s
$$;
grant execute on function private.prompt_run_stats(text, integer, timestamptz, timestamptz) to authenticated, service_role;

-- Who may read prompt performance: the service role, prompt admins and editors.
create function private.check_prompt_reader(name text, "from" timestamptz, "to" timestamptz)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if private.prompt_role() is null then
    raise exception 'only prompt admins and editors may read prompt performance' using errcode = '42501',
      hint = 'The service role names them (service_role_set_prompt_admin).';
  end if;
  if "from" is not null and "to" is not null and "from" >= "to" then
    perform private.invalid_parameter('from must be before to');
  end if;
  if not exists (select 1 from public.prompts p where p.name = check_prompt_reader.name) then
    perform private.not_found('prompt');
  end if;
end
$$;
grant execute on function private.check_prompt_reader(text, timestamptz, timestamptz) to authenticated, service_role;

create function public.get_prompt_performance(name text, "from" timestamptz default null, "to" timestamptz default null)
returns table (
  version integer,
  variant text,
  model text,
  labels text[],
  runs bigint,
  successes bigint,
  success_rate numeric,
  p50_latency_ms double precision,
  p95_latency_ms double precision,
  p50_ttft_ms double precision,
  p95_ttft_ms double precision,
  avg_input_tokens numeric,
  avg_output_tokens numeric,
  avg_cost_usd numeric,
  total_cost_usd numeric,
  unpriced_runs bigint,
  first_run_at timestamptz,
  last_run_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform private.check_prompt_reader(get_prompt_performance.name, get_prompt_performance."from",
    get_prompt_performance."to");
  return query
  select v.version, v.variant, v.model,
    array(select l.label from public.prompt_labels l where l.prompt_name = v.prompt_name and l.version = v.version
      order by l.label),
    s.*
  from public.prompt_versions v
  cross join lateral private.prompt_run_stats(v.prompt_name, v.version, get_prompt_performance."from",
    get_prompt_performance."to") s
  where v.prompt_name = get_prompt_performance.name
  order by v.version;
end
$$;
grant execute on function public.get_prompt_performance(text, timestamptz, timestamptz) to authenticated, service_role;
comment on function public.get_prompt_performance(text, timestamptz, timestamptz) is
  'Prompt admins and editors, the service role: how each version of a prompt performed over runs started in [from, '
  'to) (default: all time), computed in SQL. One row per version, oldest first: version, variant, model, labels, '
  'runs, successes, success_rate (0-1, null without runs), p50_latency_ms and p95_latency_ms, p50_ttft_ms and '
  'p95_ttft_ms (percentile_cont over successful runs; time to first token of streamed calls), avg_input_tokens, '
  'avg_output_tokens, avg_cost_usd, total_cost_usd, unpriced_runs (a model without a price), first_run_at, '
  'last_run_at. Errors: 22023 (400) from not before to; PT404 (404) no such prompt; 42501 (403) not a prompt admin '
  'or editor; anon is denied (401).';

create function public.compare_prompt_versions(
  name text,
  a integer,
  b integer,
  "from" timestamptz default null,
  "to" timestamptz default null
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  va public.prompt_versions;
  vb public.prompt_versions;
  sa jsonb;
  sb jsonb;
  template_diff jsonb;
  metric text;
  difference jsonb := '{}';
begin
  perform private.check_prompt_reader(compare_prompt_versions.name, compare_prompt_versions."from",
    compare_prompt_versions."to");
  if compare_prompt_versions.a is null or compare_prompt_versions.b is null then
    perform private.invalid_parameter('a and b (version numbers) are required');
  end if;
  select v.* into va from public.prompt_versions v
  where v.prompt_name = compare_prompt_versions.name and v.version = compare_prompt_versions.a;
  select v.* into vb from public.prompt_versions v
  where v.prompt_name = compare_prompt_versions.name and v.version = compare_prompt_versions.b;
  if va.id is null or vb.id is null then
    raise exception '%', pg_catalog.format('version %s of prompt %s not found',
      case when va.id is null then compare_prompt_versions.a else compare_prompt_versions.b end,
      compare_prompt_versions.name) using errcode = 'PT404', hint = 'list_prompt_versions lists the versions.';
  end if;
  select pg_catalog.to_jsonb(s) into sa
  from private.prompt_run_stats(va.prompt_name, va.version, compare_prompt_versions."from", compare_prompt_versions."to") s;
  select pg_catalog.to_jsonb(s) into sb
  from private.prompt_run_stats(vb.prompt_name, vb.version, compare_prompt_versions."from", compare_prompt_versions."to") s;
  foreach metric in array array['runs', 'success_rate', 'p50_latency_ms', 'p95_latency_ms', 'p50_ttft_ms',
    'p95_ttft_ms', 'avg_input_tokens', 'avg_output_tokens', 'avg_cost_usd'] loop
    difference := difference || pg_catalog.jsonb_build_object(metric,
      case when pg_catalog.jsonb_typeof(sa -> metric) = 'number' and pg_catalog.jsonb_typeof(sb -> metric) = 'number'
        then pg_catalog.to_jsonb((sb ->> metric)::numeric - (sa ->> metric)::numeric) end);
  end loop;
  if va.template <> vb.template then
    template_diff := private.diff_text(va.template, vb.template);
  end if;
  return pg_catalog.jsonb_build_object(
    'name', compare_prompt_versions.name,
    'a', pg_catalog.jsonb_build_object('version', va.version, 'variant', va.variant, 'model', va.model) || sa,
    'b', pg_catalog.jsonb_build_object('version', vb.version, 'variant', vb.variant, 'model', vb.model) || sb,
    'difference', difference,
    'changes', pg_catalog.jsonb_build_object(
      'template_lines_added', coalesce((template_diff ->> 'lines_added')::integer, 0),
      'template_lines_removed', coalesce((template_diff ->> 'lines_removed')::integer, 0),
      'model', case when va.model is distinct from vb.model
        then pg_catalog.jsonb_build_object('from', va.model, 'to', vb.model) end,
      'params_changed', va.params <> vb.params,
      'variant', case when va.variant <> vb.variant
        then pg_catalog.jsonb_build_object('from', va.variant, 'to', vb.variant) end));
end
$$;
grant execute on function public.compare_prompt_versions(text, integer, integer, timestamptz, timestamptz)
  to authenticated, service_role;
comment on function public.compare_prompt_versions(text, integer, integer, timestamptz, timestamptz) is
  'Prompt admins and editors, the service role: the performance of versions a and b of a prompt over runs started '
  'in [from, to) side by side, and the difference (b minus a). Returns {name, a: {version, variant, model, runs, '
  'successes, success_rate, p50_latency_ms, p95_latency_ms, p50_ttft_ms, p95_ttft_ms, avg_input_tokens, '
  'avg_output_tokens, avg_cost_usd, total_cost_usd, unpriced_runs, first_run_at, last_run_at}, b: {same}, '
  'difference: {runs, success_rate, p50_latency_ms, p95_latency_ms, p50_ttft_ms, p95_ttft_ms, avg_input_tokens, '
  'avg_output_tokens, avg_cost_usd} (null where either side has none), changes: {template_lines_added, '
  'template_lines_removed, model: {from, to} or null, params_changed, variant: {from, to} or null}}. Errors: 22023 '
  '(400); PT404 (404) no such prompt or version; 42501 (403) not a prompt admin or editor; anon is denied (401).';
