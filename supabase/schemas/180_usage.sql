-- Model prices: dated list prices per million tokens, what the usage ledger costs LLM tokens at.

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

-- get_usage, over the usage ledger, is in 740_usage_ledger.sql.
