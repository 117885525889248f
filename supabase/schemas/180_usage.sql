-- Usage and cost: dated model prices, and usage of the caller's chats by agent, model, chat or day.

-- List prices per million tokens. A price holds from effective_from until the model's next row,
-- so a message is costed at the price of the day it was written.
create table public.model_prices (
  model text not null
    constraint model_prices_model_check
    check (char_length(model) >= 1 and char_length(model) <= 128 and model !~ '[[:space:][:cntrl:]]'),
  effective_from date not null,
  input_usd_per_million numeric(12, 4) not null
    constraint model_prices_input_check check (input_usd_per_million >= 0),
  output_usd_per_million numeric(12, 4) not null
    constraint model_prices_output_check check (output_usd_per_million >= 0),
  observed_on date not null,
  source text not null
    constraint model_prices_source_check check (char_length(source) between 1 and 500),
  primary key (model, effective_from)
);
comment on table public.model_prices is
  'Model list prices in USD per million input and output tokens, effective from a date; observed_on and source '
  'say where and when the fact was taken. agent_model on messages is matched against model.';

alter table public.model_prices enable row level security;
revoke all on public.model_prices from anon, authenticated, service_role;
grant select on public.model_prices to authenticated;
grant select, insert, update, delete on public.model_prices to service_role;

create policy model_prices_select_all on public.model_prices
  for select to authenticated
  using (true);

-- Standard (non-batch, uncached) list prices as each provider published them when the model or
-- the price change was announced. Reference data: db:diff carries changes of these rows into
-- migrations.
insert into public.model_prices (model, effective_from, input_usd_per_million, output_usd_per_million, observed_on, source) values
  ('openai/gpt-4o', '2024-05-13', 5.00, 15.00, '2024-05-13',
   'OpenAI API pricing (openai.com/api/pricing), GPT-4o launch price'),
  ('openai/gpt-4o', '2024-10-02', 2.50, 10.00, '2024-10-02',
   'OpenAI API pricing: gpt-4o alias moved to gpt-4o-2024-08-06 at the lower price'),
  ('openai/gpt-4o-mini', '2024-07-18', 0.15, 0.60, '2024-07-18',
   'OpenAI API pricing (openai.com/api/pricing), GPT-4o mini launch'),
  ('openai/gpt-4.1', '2025-04-14', 2.00, 8.00, '2025-04-14',
   'OpenAI API pricing (openai.com/api/pricing), GPT-4.1 launch'),
  ('openai/gpt-5', '2025-08-07', 1.25, 10.00, '2025-08-07',
   'OpenAI API pricing (openai.com/api/pricing), GPT-5 launch'),
  ('anthropic/claude-sonnet-4-5', '2025-09-29', 3.00, 15.00, '2025-09-29',
   'Anthropic pricing (anthropic.com/pricing), Claude Sonnet 4.5 launch'),
  ('anthropic/claude-haiku-4-5', '2025-10-15', 1.00, 5.00, '2025-10-15',
   'Anthropic pricing (anthropic.com/pricing), Claude Haiku 4.5 launch'),
  ('anthropic/claude-opus-4-5', '2025-11-24', 5.00, 25.00, '2025-11-24',
   'Anthropic pricing (anthropic.com/pricing), Claude Opus 4.5 launch'),
  ('zhipu/glm-4.6', '2025-09-30', 0.60, 2.20, '2025-09-30',
   'Z.ai API pricing (docs.z.ai), GLM-4.6 launch');

-- Usage of the chats the caller owns (whoever wrote in them: the owner pays), counting messages
-- that carry token counts. Security definer for cost, not access: as the caller, RLS would check
-- access once per message row; this filters on owner_id = the caller, exactly what the policies
-- allow for owned chats.
create function private.get_usage("from" timestamptz, "to" timestamptz, group_by text, include_client_reported boolean)
returns table (
  group_key text,
  label text,
  source text,
  messages bigint,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  unpriced_messages bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  if me is null then
    raise exception 'sign in to see usage' using errcode = '42501';
  end if;
  if group_by is null or group_by not in ('agent', 'model', 'chat', 'day') then
    perform private.invalid_parameter(pg_catalog.format('group_by %L is not one of agent, model, chat, day', group_by));
  end if;
  if "from" is not null and "to" is not null and "from" >= "to" then
    perform private.invalid_parameter('from must be before to');
  end if;

  return query
  with used as (
    select
      case group_by
        when 'agent' then coalesce(m.agent_name::text, '')
        when 'model' then coalesce(m.agent_model::text, '')
        when 'chat' then c.id::text
        else pg_catalog.to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD')
      end as key,
      case group_by
        when 'agent' then coalesce(m.agent_name::text, '(none)')
        when 'model' then coalesce(m.agent_model::text, '(none)')
        when 'chat' then coalesce(c.title::text, '(untitled)')
        else pg_catalog.to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD')
      end as label,
      m.usage_source::text = 'service' as billed,
      m.agent_model::text as model,
      (m.created_at at time zone 'UTC')::date as day,
      pg_catalog.count(*) as n,
      pg_catalog.sum(coalesce(m.input_tokens::integer, 0))::bigint as input_tokens,
      pg_catalog.sum(coalesce(m.output_tokens::integer, 0))::bigint as output_tokens
    from public.chats c
    join public.messages m on m.chat_id = c.id
    where c.owner_id = me
      and m.usage_source is not null
      and (include_client_reported or m.usage_source::text = 'service')
      and m.created_at >= coalesce("from", '-infinity')
      and m.created_at < coalesce("to", 'infinity')
    group by 1, 2, 3, 4, 5
  )
  select u.key, pg_catalog.min(u.label), case when u.billed then 'billed' else 'client_reported' end,
    pg_catalog.sum(u.n)::bigint, pg_catalog.sum(u.input_tokens)::bigint, pg_catalog.sum(u.output_tokens)::bigint,
    case when u.billed then coalesce(pg_catalog.sum((u.input_tokens * p.input_usd_per_million
      + u.output_tokens * p.output_usd_per_million) / 1000000), 0)::numeric(14, 6) end,
    case when u.billed then coalesce(pg_catalog.sum(u.n) filter (where p.model is null), 0)::bigint end
  from used u
  left join lateral (
    select mp.model, mp.input_usd_per_million, mp.output_usd_per_million
    from public.model_prices mp
    where mp.model = u.model and mp.effective_from <= u.day
    order by mp.effective_from desc
    limit 1
  ) p on true
  group by u.key, u.billed
  order by u.key, u.billed desc;
end
$$;
grant execute on function private.get_usage(timestamptz, timestamptz, text, boolean) to authenticated;

create function public.get_usage(
  "from" timestamptz default null,
  "to" timestamptz default null,
  group_by text default 'model',
  include_client_reported boolean default false
)
returns table (
  group_key text,
  label text,
  source text,
  messages bigint,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  unpriced_messages bigint
)
language sql
stable
security invoker
set search_path = ''
as $$
  select u.* from private.get_usage(get_usage."from", get_usage."to", get_usage.group_by,
    coalesce(get_usage.include_client_reported, false)) u
$$;
grant execute on function public.get_usage(timestamptz, timestamptz, text, boolean) to authenticated;
comment on function public.get_usage(timestamptz, timestamptz, text, boolean) is
  'Token usage and cost of the chats the caller owns, over messages written in [from, to) (default: all time) that '
  'carry token counts, grouped by agent, model, chat or day (UTC). Only counts reported by trusted writers (the '
  'service role: agent functions and servers) bill; counts a user reported themselves (append_message from a '
  'user''s session) are left out, or listed in rows of their own with include_client_reported. One row per group '
  'and source: group_key (agent name, model, chat id or YYYY-MM-DD; '''' for none), label (readable name or chat '
  'title), source (billed | client_reported), messages, input_tokens, output_tokens, cost_usd (billed rows: at the '
  'model_prices price in effect on each message''s day; null for client_reported), unpriced_messages (billed rows: '
  'model without a known price, not in cost_usd). Errors: 22023 (400) bad group_by or range; anon is denied (401).';
