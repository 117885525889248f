-- Helpers of bench/conversations.ts: a throwaway schema that builds the data set with set-based
-- SQL (no RPC calls; the message trigger is bypassed, so the rows carry their places themselves)
-- and times statements inside the database.
create schema bench;
grant usage on schema bench to authenticated;

-- 5,000 message texts of 6 to 30 words from a vocabulary of 3,200: made-up words, with 200
-- hardware words spread among them so that those occur in about 1% to 5% of the messages, as
-- topic words do in real conversations. Draws are skewed (roughly Zipfian).
create table bench.words (rank integer primary key, word text not null);
insert into bench.words (rank, word)
select k, case
  when k % 16 = 0 and k / 16 <= array_length(d.words, 1) then d.words[k / 16]
  else s.syllables[1 + k % 20] || s.syllables[1 + (k / 20) % 20] || s.syllables[1 + (k / 400) % 20]
end
from generate_series(1, 3200) k,
lateral (select array['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'shi', 'pa', 'de', 'gu', 'zo', 'fe', 'bri', 'tol',
  'mar', 'sen', 'qui', 'dax', 'pel'] as syllables) s,
lateral (select array[
  'sensor', 'board', 'voltage', 'wire', 'power', 'pin', 'code', 'temperature', 'library', 'esp32',
  'connect', 'ground', 'resistor', 'display', 'battery', 'current', 'humidity', 'data', 'loop', 'serial', 'i2c',
  'address', 'module', 'led', 'button', 'supply', 'capacitor', 'motor', 'driver', 'spi', 'clock', 'firmware',
  'upload', 'arduino', 'raspberry', 'pressure', 'solar', 'panel', 'charge', 'controller', 'relay', 'switch',
  'breadboard', 'solder', 'header', 'jumper', 'regulator', 'diode', 'transistor', 'mosfet', 'pwm', 'analog',
  'digital', 'interrupt', 'timer', 'sleep', 'wifi', 'bluetooth', 'antenna', 'enclosure', 'weather', 'station',
  'garden', 'irrigation', 'valve', 'pump', 'soil', 'moisture', 'light', 'lux', 'camera', 'servo', 'stepper',
  'encoder', 'gps', 'accelerometer', 'gyroscope', 'magnetometer', 'altitude', 'calibration', 'offset', 'noise',
  'filter', 'average', 'sample', 'rate', 'buffer', 'memory', 'flash', 'eeprom', 'partition', 'ota', 'update',
  'server', 'mqtt', 'broker', 'topic', 'json', 'payload', 'dashboard', 'graph', 'alert', 'threshold', 'log',
  'error', 'warning', 'fix', 'try', 'check', 'measure', 'multimeter', 'oscilloscope', 'signal', 'frequency',
  'bandwidth', 'pullup', 'pulldown', 'level', 'shifter', 'logic', 'bus', 'uart', 'baud', 'parity', 'packet',
  'checksum', 'protocol', 'register', 'datasheet', 'footprint', 'schematic', 'pcb', 'trace', 'via', 'copper',
  'heat', 'sink', 'thermal', 'fuse', 'polarity', 'reverse', 'protection', 'budget', 'price', 'supplier',
  'alternative', 'cheaper', 'quality', 'bom', 'parts', 'list', 'wiring', 'diagram', 'step', 'instructions',
  'unit', 'test', 'minimal', 'working', 'example', 'full', 'implementation', 'feature', 'project', 'idea',
  'plan', 'requirements', 'context', 'mvp', 'prototype', 'version', 'improve', 'explain', 'problem', 'works',
  'better', 'need', 'use', 'should', 'how', 'why', 'what', 'want', 'fast', 'slow', 'cheap', 'small', 'large',
  'outdoor', 'indoor', 'waterproof', 'mount', 'case', 'screw', 'cable', 'connector', 'usb', 'charger'
] as words) d;

create table bench.texts (text_no integer primary key, content text not null);
insert into bench.texts (text_no, content)
select t.n, (
  select string_agg(w.word, ' ' order by x.k)
  from (select k, 1 + floor(power(random(), 2.2) * 3200)::int as r from generate_series(1, 6 + (t.n * 7) % 25) k) x
  join bench.words w on w.rank = least(x.r, 3200)
)
from generate_series(0, 4999) t(n);

-- deterministic ids, so parents can be named before they are inserted
create function bench.message_id(chat_id uuid, n bigint) returns uuid language sql immutable
  as $$ select md5(chat_id::text || ':' || n)::uuid $$;
create function bench.text_for(n bigint) returns text language sql stable
  as $$ select content from bench.texts where texts.text_no = (text_for.n * 7919) % 5000 $$;
create function bench.chat_id(i integer) returns uuid language sql immutable
  as $$ select ('c0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid $$;

-- One big chat of 10,045 messages: a current branch of 10 runs of 1,000 messages, each run after
-- the first being a regeneration, plus the 9 abandoned tails (5 messages each) left behind.
-- Block b >= 1 starts at base = 1000 + (b - 1) * 1005: its 5 abandoned messages continue the
-- previous run's segment, then its run is a new segment under the previous run's last message.
create function bench.insert_big_chat(i integer) returns void language sql as $$
  with layout as (
    select n, case when n <= 1000 then 0 else (n - 1001) / 1005 + 1 end as b from generate_series(1::bigint, 10045) n
  ), placed as (
    select n, b, case when b = 0 then 0 else 1000 + (b - 1) * 1005 end as base from layout
  ), cols as (
    select n, b, base,
      case when b = 0 then n when n - base <= 5 then 1000 * b + (n - base) else 1000 * b + (n - base - 5) end as depth,
      case when b = 0 then 1 when n - base <= 5 then (case when b = 1 then 1 else base - 999 end) else base + 6 end as segment_start,
      case when n = 1 then null when b = 0 then n - 1 when n - base in (1, 6) then base else n - 1 end as parent_seq
    from placed
  )
  insert into public.messages (id, chat_id, sequence_number, parent_id, depth, segment_start, segment_ancestry, role, content,
    agent_name, agent_model, input_tokens, output_tokens, latency_ms, author_id, created_at, chat_owner_id)
  select bench.message_id(bench.chat_id(i), n), bench.chat_id(i), n,
    case when parent_seq is not null then bench.message_id(bench.chat_id(i), parent_seq) end,
    depth, segment_start,
    case when n = segment_start then
      array(select unnest(array[case when k = 0 then 1 else 1000 + (k - 1) * 1005 + 6 end, 1000 + k * 1005]::bigint[])
            from generate_series(0, b - 1) k)
    end,
    case when depth % 2 = 1 then 'user' else 'assistant' end, t.content,
    case when depth % 2 = 0 then (array['orchestrator', 'conversational', 'bom_generator', 'code_generator', 'wiring_generator'])[1 + n % 5] end,
    case when depth % 2 = 0 then (array['openai/gpt-4o', 'anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini', 'zhipu/glm-4.6'])[1 + n % 4] end,
    case when depth % 2 = 0 then 200 + (n * 37) % 3000 end,
    case when depth % 2 = 0 then 50 + (n * 53) % 900 end,
    case when depth % 2 = 0 then 400 + (n * 97) % 9000 end,
    'b0000000-0000-4000-8000-000000000001', now() - interval '60 days' + n * interval '1 minute',
    'b0000000-0000-4000-8000-000000000001'
  from cols join bench.texts t on t.text_no = (cols.n * 7919 + i) % 5000
$$;

-- Chats from..to, each a straight line of per_chat messages.
create function bench.insert_linear_chats(from_chat integer, to_chat integer, per_chat integer) returns void language sql as $$
  insert into public.messages (id, chat_id, sequence_number, parent_id, depth, segment_start, segment_ancestry, role, content,
    agent_name, agent_model, input_tokens, output_tokens, latency_ms, created_at, chat_owner_id)
  select bench.message_id(c.id, n), c.id, n, case when n > 1 then bench.message_id(c.id, n - 1) end, n, 1,
    case when n = 1 then '{}'::bigint[] end,
    case when n % 2 = 1 then 'user' else 'assistant' end, t.content,
    case when n % 2 = 0 then (array['orchestrator', 'conversational', 'bom_generator', 'code_generator', 'wiring_generator'])[1 + (i + n) % 5] end,
    case when n % 2 = 0 then (array['openai/gpt-4o', 'anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini', 'zhipu/glm-4.6'])[1 + (i + n) % 4] end,
    case when n % 2 = 0 then 200 + (n * 37) % 3000 end,
    case when n % 2 = 0 then 50 + (n * 53) % 900 end,
    case when n % 2 = 0 then 400 + (n * 97) % 9000 end,
    now() - interval '90 days' + i * interval '7 minutes' + n * interval '30 seconds', c.owner_id
  from generate_series(from_chat, to_chat) i
  cross join lateral (select ch.id, ch.owner_id from public.chats ch where ch.id = bench.chat_id(i)) c
  cross join generate_series(1::bigint, per_chat) n
  join bench.texts t on t.text_no = (n * 7919 + i) % 5000
$$;

-- The cached place of each chat's current leaf, or of one chat's (see the append path migration).
create function bench.place_leaves(chat uuid default null) returns void language sql as $$
  update public.chats c
  set current_leaf_parent_id = l.parent_id, current_leaf_depth = l.depth, current_leaf_segment_start = l.segment_start,
    current_leaf_head_depth = h.depth,
    current_leaf_ends_segment = not exists (
      select 1 from public.messages n
      where n.chat_id = l.chat_id and n.segment_start = l.segment_start and n.sequence_number > l.sequence_number)
  from public.messages l
  join public.messages h on h.chat_id = l.chat_id and h.sequence_number = l.segment_start
  where l.id = c.current_leaf_id and (place_leaves.chat is null or c.id = place_leaves.chat)
$$;

-- The chats' counters and leaves (with the leaf's place), as the trigger would have kept them.
create function bench.finish_chats() returns void language sql as $$
  update public.chats c
  set last_sequence_number = a.n, message_count = a.n, input_tokens = a.input_tokens, output_tokens = a.output_tokens,
    current_leaf_id = bench.message_id(c.id, a.n), last_message_at = a.last, last_activity_at = a.last,
    last_activity_minute = date_bin(interval '1 minute', a.last, timestamptz '2000-01-01 00:00:00+00'),
    title = coalesce(c.title, 'Chat')
  from (
    select chat_id, count(*)::int as n, coalesce(sum(input_tokens), 0) as input_tokens,
      coalesce(sum(output_tokens), 0) as output_tokens, max(created_at) as last
    from public.messages group by chat_id
  ) a
  where a.chat_id = c.id;
  select bench.place_leaves();
$$;

-- The anti-pattern some peers use: one JSON document per chat, rewritten on each append.
create table bench.chat_documents (id uuid primary key, doc jsonb not null, updated_at timestamptz not null default now());

-- Milliseconds of each of n executions of a statement, measured in the database.
create function bench.time_query(query text, n integer) returns float8[] language plpgsql as $$
declare
  started timestamptz;
  samples float8[] := '{}';
begin
  for i in 1..n loop
    started := clock_timestamp();
    execute query;
    samples := samples || extract(epoch from clock_timestamp() - started)::float8 * 1000;
  end loop;
  return samples;
end
$$;
grant execute on function bench.time_query(text, integer) to authenticated;
