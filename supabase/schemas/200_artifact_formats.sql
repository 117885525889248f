-- Structured artifact content: the JSON formats of bom, wiring and code artifacts, validated in the
-- database so that every writer (RPC, agent, service role) is held to the same rules, and the
-- voltage notation the compatibility warnings read. Errors are 22023 naming the JSON path of the
-- bad field, with 0-based indexes (content_json.components[2].quantity). The formats are described
-- in the comment on public.create_artifact_with_version; other keys are kept but not read, and a
-- JSON null counts as an absent optional field.

-- A voltage given as a JSON number of volts or a string: "3.3V", "5 V", "12VDC", "500mV", or a
-- range "3.3-5V", "3.3V-5V", "3.3 to 5 V", "3.3/5V" (a part that works at either). {min, max} in
-- volts, or null when absent or not a voltage.
create function private.parse_voltage(value jsonb)
returns numeric[]
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  m text[];
  low numeric;
  high numeric;
begin
  if value is null or jsonb_typeof(value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(value) = 'number' then
    low := value::numeric;
    if low < 0 or low >= 100000 then
      return null;
    end if;
    return array[trim_scale(low), trim_scale(low)];
  end if;
  if jsonb_typeof(value) <> 'string' or char_length(value #>> '{}') > 50 then
    return null;
  end if;
  m := regexp_match(lower(value #>> '{}'),
    '^\s*(\d+(?:\.\d+)?|\.\d+)\s*(mv|v)?(?:\s*dc)?\s*(?:(?:-|–|~|/|to)\s*(\d+(?:\.\d+)?|\.\d+)\s*(mv|v)?(?:\s*dc)?\s*)?$');
  if m is null then
    return null;
  end if;
  -- "3.3-5V": the unit of the upper bound applies to a bare lower bound
  low := m[1]::numeric / case coalesce(m[2], m[4], 'v') when 'mv' then 1000 else 1 end;
  high := coalesce(m[3]::numeric / case coalesce(m[4], 'v') when 'mv' then 1000 else 1 end, low);
  if greatest(low, high) >= 100000 then
    return null;
  end if;
  return array[trim_scale(least(low, high)), trim_scale(greatest(low, high))];
end
$$;
comment on function private.parse_voltage(jsonb) is
  'A voltage (JSON number of volts, or text like "3.3V", "500mV", "3.3-5V") as {min, max} volts; '
  'null if absent or not a voltage.';
grant execute on function private.parse_voltage(jsonb) to authenticated, service_role;

-- The top-level shape {"<key>": [objects]}: raises unless content_json is an object whose key is
-- an array of at most max_items objects.
create function private.check_json_list(content_json jsonb, key text, max_items integer, type text)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  bad integer;
begin
  if jsonb_typeof(content_json) is distinct from 'object' or jsonb_typeof(content_json -> key) is distinct from 'array' then
    perform private.invalid_parameter(
      pg_catalog.format('content_json must be a JSON object with a "%s" array for a %s artifact', key, type));
  end if;
  if jsonb_array_length(content_json -> key) > max_items then
    perform private.invalid_parameter(pg_catalog.format('content_json.%s must have at most %s items', key, max_items));
  end if;
  select e.ordinality - 1 into bad
  from jsonb_array_elements(content_json -> key) with ordinality e
  where jsonb_typeof(e.value) <> 'object'
  order by e.ordinality
  limit 1;
  if bad is not null then
    perform private.invalid_parameter(pg_catalog.format('content_json.%s[%s] must be a JSON object', key, bad));
  end if;
end
$$;
grant execute on function private.check_json_list(jsonb, text, integer, text) to authenticated, service_role;

-- The validators check every item in one query (CASE chains, cheapest test first, each voltage
-- string parsed once) rather than a loop of small function calls: several times faster on a
-- 200-part BOM. The first problem, in item order then field order, is the error.
create function private.validate_bom(content_json jsonb)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  problem text;
begin
  perform private.check_json_list(content_json, 'components', 2000, 'bom');
  -- (the items are read straight from the document each time: reading jsonb back from a
  -- materialised CTE costs several times more)
  with volts as materialized (
    -- each distinct voltage parsed once (offset 0 keeps the parse above the distinct)
    select x.value, private.parse_voltage(x.value) is not null as ok
    from (
      select distinct e.value -> 'voltage' as value
      from jsonb_array_elements(content_json -> 'components') e
      where jsonb_typeof(e.value -> 'voltage') in ('number', 'string')
      offset 0
    ) x
  ),
  currencies as materialized (
    -- each distinct currency checked once
    select x.code, private.is_currency_code(x.code) as ok
    from (select distinct e.value ->> 'currency' as code from jsonb_array_elements(content_json -> 'components') e offset 0) x
  )
  select pg_catalog.format('content_json.components[%s]%s', p.i, p.problem) into problem
  from (
    select c.i, coalesce(
      case
        when c.v -> 'name' is null or jsonb_typeof(c.v -> 'name') = 'null' then '.name is required'
        when jsonb_typeof(c.v -> 'name') <> 'string'
          then '.name must be a non-empty string of at most 200 characters'
        when char_length(c.v ->> 'name') > 200 or btrim(c.v ->> 'name') = ''
          then '.name must be a non-empty string of at most 200 characters'
      end,
      case
        when c.v -> 'quantity' is null or jsonb_typeof(c.v -> 'quantity') = 'null' then '.quantity is required'
        when jsonb_typeof(c.v -> 'quantity') <> 'number' then '.quantity must be an integer greater than 0'
        when (c.v -> 'quantity')::numeric <= 0 or (c.v -> 'quantity')::numeric <> trunc((c.v -> 'quantity')::numeric)
          then '.quantity must be an integer greater than 0'
        when (c.v -> 'quantity')::numeric > 1000000 then '.quantity must be at most 1000000'
      end,
      case
        when c.v -> 'unit_price' is null or jsonb_typeof(c.v -> 'unit_price') = 'null' then '.unit_price is required'
        when jsonb_typeof(c.v -> 'unit_price') <> 'number' then '.unit_price must be a number greater than or equal to 0'
        when (c.v -> 'unit_price')::numeric < 0 then '.unit_price must be a number greater than or equal to 0'
        when (c.v -> 'unit_price')::numeric >= 1e9 then '.unit_price must be below 1000000000'
      end,
      case
        when c.v -> 'currency' is null or jsonb_typeof(c.v -> 'currency') = 'null' then '.currency is required'
        when jsonb_typeof(c.v -> 'currency') <> 'string'
          or not exists (select 1 from currencies k where k.code = c.v ->> 'currency' and k.ok)
          then '.currency must be an ISO 4217 currency code such as "USD"'
      end,
      case
        when c.v -> 'part_number' is null or jsonb_typeof(c.v -> 'part_number') = 'null' then null
        when jsonb_typeof(c.v -> 'part_number') <> 'string'
          then '.part_number must be a string of at most 200 characters'
        when char_length(c.v ->> 'part_number') > 200
          then '.part_number must be a string of at most 200 characters'
      end,
      case
        when c.v -> 'manufacturer' is null or jsonb_typeof(c.v -> 'manufacturer') = 'null' then null
        when jsonb_typeof(c.v -> 'manufacturer') <> 'string'
          then '.manufacturer must be a string of at most 200 characters'
        when char_length(c.v ->> 'manufacturer') > 200
          then '.manufacturer must be a string of at most 200 characters'
      end,
      case
        when c.v -> 'interface_type' is null or jsonb_typeof(c.v -> 'interface_type') = 'null' then null
        when jsonb_typeof(c.v -> 'interface_type') <> 'string'
          then '.interface_type must be a string of at most 100 characters'
        when char_length(c.v ->> 'interface_type') > 100
          then '.interface_type must be a string of at most 100 characters'
      end,
      case
        when c.v -> 'supplier' is null or jsonb_typeof(c.v -> 'supplier') = 'null' then null
        when jsonb_typeof(c.v -> 'supplier') <> 'string'
          then '.supplier must be a string of at most 200 characters'
        when char_length(c.v ->> 'supplier') > 200
          then '.supplier must be a string of at most 200 characters'
      end,
      case
        when c.v -> 'voltage' is not null and jsonb_typeof(c.v -> 'voltage') <> 'null'
          and not exists (select 1 from volts where volts.value = c.v -> 'voltage' and volts.ok)
        then '.voltage must be a number of volts or a string such as "3.3V", "500mV" or "3.3-5V"'
      end,
      case
        when c.v -> 'current' is null or jsonb_typeof(c.v -> 'current') = 'null' then null
        when case jsonb_typeof(c.v -> 'current')
          when 'number' then (c.v -> 'current')::numeric >= 0
          when 'string' then char_length(c.v ->> 'current') between 1 and 50
          else false
        end then null
        else '.current must be a number of amperes or a string such as "500mA" (at most 50 characters)'
      end,
      case
        when c.v -> 'supplier_url' is null or jsonb_typeof(c.v -> 'supplier_url') = 'null' then null
        when jsonb_typeof(c.v -> 'supplier_url') = 'string' and char_length(c.v ->> 'supplier_url') <= 2048
          and (c.v ->> 'supplier_url') ~* '^https?://[^[:space:][:cntrl:]]+$' then null
        else '.supplier_url must be an http(s) URL of at most 2048 characters'
      end,
      case when jsonb_typeof(c.v -> 'specs') not in ('null', 'object') then '.specs must be a JSON object' end,
      case
        when c.v -> 'alternatives' is null or jsonb_typeof(c.v -> 'alternatives') = 'null' then null
        when jsonb_typeof(c.v -> 'alternatives') <> 'array' then '.alternatives must be an array of at most 50 items'
        when jsonb_array_length(c.v -> 'alternatives') > 50 then '.alternatives must be an array of at most 50 items'
      end
    ) as problem
    from (
      select e.ordinality - 1 as i, e.value as v
      from jsonb_array_elements(content_json -> 'components') with ordinality e
    ) c
  ) p
  where p.problem is not null
  order by p.i
  limit 1;
  if problem is not null then
    perform private.invalid_parameter(problem);
  end if;
end
$$;
comment on function private.validate_bom(jsonb) is
  'Raises 22023 naming the field unless content_json is a valid BOM: '
  '{"components": [{name, quantity, unit_price, currency, …}]}.';
grant execute on function private.validate_bom(jsonb) to authenticated, service_role;

create function private.validate_wiring(content_json jsonb)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  problem text;
begin
  perform private.check_json_list(content_json, 'steps', 5000, 'wiring');
  -- (the items are read straight from the document each time: reading jsonb back from a
  -- materialised CTE costs several times more)
  with volts as materialized (
    -- each distinct voltage parsed once (offset 0 keeps the parse above the distinct)
    select x.value, private.parse_voltage(x.value) is not null as ok
    from (
      select distinct e.value -> 'voltage' as value
      from jsonb_array_elements(content_json -> 'steps') e
      where jsonb_typeof(e.value -> 'voltage') in ('number', 'string')
      offset 0
    ) x
  )
  select pg_catalog.format('content_json.steps[%s]%s', p.i, p.problem) into problem
  from (
    select c.i, coalesce(
      case
        when c.v -> 'from_part' is null or jsonb_typeof(c.v -> 'from_part') = 'null' then '.from_part is required'
        when jsonb_typeof(c.v -> 'from_part') <> 'string'
          then '.from_part must be a non-empty string of at most 200 characters'
        when char_length(c.v ->> 'from_part') > 200 or btrim(c.v ->> 'from_part') = ''
          then '.from_part must be a non-empty string of at most 200 characters'
      end,
      case
        when c.v -> 'from_pin' is null or jsonb_typeof(c.v -> 'from_pin') = 'null' then '.from_pin is required'
        when jsonb_typeof(c.v -> 'from_pin') <> 'string'
          then '.from_pin must be a non-empty string of at most 100 characters'
        when char_length(c.v ->> 'from_pin') > 100 or btrim(c.v ->> 'from_pin') = ''
          then '.from_pin must be a non-empty string of at most 100 characters'
      end,
      case
        when c.v -> 'to_part' is null or jsonb_typeof(c.v -> 'to_part') = 'null' then '.to_part is required'
        when jsonb_typeof(c.v -> 'to_part') <> 'string'
          then '.to_part must be a non-empty string of at most 200 characters'
        when char_length(c.v ->> 'to_part') > 200 or btrim(c.v ->> 'to_part') = ''
          then '.to_part must be a non-empty string of at most 200 characters'
      end,
      case
        when c.v -> 'to_pin' is null or jsonb_typeof(c.v -> 'to_pin') = 'null' then '.to_pin is required'
        when jsonb_typeof(c.v -> 'to_pin') <> 'string'
          then '.to_pin must be a non-empty string of at most 100 characters'
        when char_length(c.v ->> 'to_pin') > 100 or btrim(c.v ->> 'to_pin') = ''
          then '.to_pin must be a non-empty string of at most 100 characters'
      end,
      case
        when c.v -> 'from_pin_type' is null or jsonb_typeof(c.v -> 'from_pin_type') = 'null' then null
        when jsonb_typeof(c.v -> 'from_pin_type') <> 'string'
          then '.from_pin_type must be a string of at most 50 characters'
        when char_length(c.v ->> 'from_pin_type') > 50
          then '.from_pin_type must be a string of at most 50 characters'
      end,
      case
        when c.v -> 'to_pin_type' is null or jsonb_typeof(c.v -> 'to_pin_type') = 'null' then null
        when jsonb_typeof(c.v -> 'to_pin_type') <> 'string'
          then '.to_pin_type must be a string of at most 50 characters'
        when char_length(c.v ->> 'to_pin_type') > 50
          then '.to_pin_type must be a string of at most 50 characters'
      end,
      case
        when c.v -> 'voltage' is not null and jsonb_typeof(c.v -> 'voltage') <> 'null'
          and not exists (select 1 from volts where volts.value = c.v -> 'voltage' and volts.ok)
        then '.voltage must be a number of volts or a string such as "3.3V", "500mV" or "3.3-5V"'
      end,
      case
        when c.v -> 'signal_type' is null or jsonb_typeof(c.v -> 'signal_type') = 'null' then null
        when jsonb_typeof(c.v -> 'signal_type') <> 'string' or lower(c.v ->> 'signal_type') not in ('power', 'ground',
          'digital', 'analog', 'pwm', 'i2c', 'spi', 'uart', 'one_wire', 'can', 'usb', 'other')
          then '.signal_type must be one of power, ground, digital, analog, pwm, i2c, spi, uart, one_wire, can, usb, other'
      end,
      case
        when c.v -> 'wire_color' is null or jsonb_typeof(c.v -> 'wire_color') = 'null' then null
        when jsonb_typeof(c.v -> 'wire_color') <> 'string'
          then '.wire_color must be a string of at most 30 characters'
        when char_length(c.v ->> 'wire_color') > 30
          then '.wire_color must be a string of at most 30 characters'
      end,
      case
        when c.v -> 'instruction' is null or jsonb_typeof(c.v -> 'instruction') = 'null' then null
        when jsonb_typeof(c.v -> 'instruction') <> 'string'
          then '.instruction must be a string of at most 4000 characters'
        when char_length(c.v ->> 'instruction') > 4000
          then '.instruction must be a string of at most 4000 characters'
      end,
      case
        when c.v -> 'warnings' is null or jsonb_typeof(c.v -> 'warnings') = 'null' then null
        when jsonb_typeof(c.v -> 'warnings') <> 'array'
          then '.warnings must be an array of at most 20 strings'
        when jsonb_array_length(c.v -> 'warnings') > 20
          then '.warnings must be an array of at most 20 strings'
        else (select pg_catalog.format('.warnings[%s] must be a non-empty string of at most 500 characters', x.o - 1)
          from jsonb_array_elements(c.v -> 'warnings') with ordinality x (e, o)
          where jsonb_typeof(x.e) <> 'string' or char_length(x.e #>> '{}') > 500 or btrim(x.e #>> '{}') = ''
          order by x.o limit 1)
      end
    ) as problem
    from (
      select e.ordinality - 1 as i, e.value as v
      from jsonb_array_elements(content_json -> 'steps') with ordinality e
    ) c
  ) p
  where p.problem is not null
  order by p.i
  limit 1;
  if problem is not null then
    perform private.invalid_parameter(problem);
  end if;
end
$$;
comment on function private.validate_wiring(jsonb) is
  'Raises 22023 naming the field unless content_json is valid wiring: {"steps": [{from_part, from_pin, to_part, to_pin, …}]}.';
grant execute on function private.validate_wiring(jsonb) to authenticated, service_role;

create function private.validate_code(content_json jsonb)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  problem text;
begin
  perform private.check_json_list(content_json, 'files', 200, 'code');
  -- (the items are read straight from the document each time: reading jsonb back from a
  -- materialised CTE costs several times more)
  select pg_catalog.format('content_json.files[%s]%s', p.i, p.problem) into problem
  from (
    select c.i, coalesce(
      case
        when c.v -> 'filename' is null or jsonb_typeof(c.v -> 'filename') = 'null' then '.filename is required'
        when jsonb_typeof(c.v -> 'filename') <> 'string'
          then '.filename must be a non-empty string of at most 255 characters'
        when char_length(c.v ->> 'filename') > 255 or btrim(c.v ->> 'filename') = ''
          then '.filename must be a non-empty string of at most 255 characters'
      end,
      case when (c.v ->> 'filename') ~ '(^/|\\|[[:cntrl:]]|(^|/)\.\.(/|$))'
        then '.filename must be a relative path without ".." or backslashes' end,
      case when c.nth > 1 then pg_catalog.format('.filename %s is repeated: file names must be unique', c.v -> 'filename') end,
      case
        when c.v -> 'language' is null or jsonb_typeof(c.v -> 'language') = 'null' then '.language is required'
        when jsonb_typeof(c.v -> 'language') <> 'string'
          then '.language must be a non-empty string of at most 50 characters'
        when char_length(c.v ->> 'language') > 50 or btrim(c.v ->> 'language') = ''
          then '.language must be a non-empty string of at most 50 characters'
      end,
      case
        when c.v -> 'platform' is null or jsonb_typeof(c.v -> 'platform') = 'null' then null
        when jsonb_typeof(c.v -> 'platform') <> 'string'
          then '.platform must be a string of at most 100 characters'
        when char_length(c.v ->> 'platform') > 100
          then '.platform must be a string of at most 100 characters'
      end,
      case
        when c.v -> 'content' is null or jsonb_typeof(c.v -> 'content') = 'null' then '.content is required'
        when jsonb_typeof(c.v -> 'content') <> 'string' then '.content must be a string of at most 1000000 characters'
        when char_length(c.v ->> 'content') > 1000000 then '.content must be a string of at most 1000000 characters'
      end,
      case
        when c.v -> 'unit' is null or jsonb_typeof(c.v -> 'unit') = 'null' then null
        when jsonb_typeof(c.v -> 'unit') <> 'number' or (c.v -> 'unit')::text not in ('1', '2', '3')
          then '.unit must be 1 (calibration), 2 (minimal) or 3 (full)'
      end,
      case
        when c.v -> 'required_libraries' is null or jsonb_typeof(c.v -> 'required_libraries') = 'null' then null
        when jsonb_typeof(c.v -> 'required_libraries') <> 'array'
          then '.required_libraries must be an array of at most 100 strings'
        when jsonb_array_length(c.v -> 'required_libraries') > 100
          then '.required_libraries must be an array of at most 100 strings'
        else (select pg_catalog.format('.required_libraries[%s] must be a non-empty string of at most 200 characters', x.o - 1)
          from jsonb_array_elements(c.v -> 'required_libraries') with ordinality x (e, o)
          where jsonb_typeof(x.e) <> 'string' or char_length(x.e #>> '{}') > 200 or btrim(x.e #>> '{}') = ''
          order by x.o limit 1)
      end,
      case when jsonb_typeof(c.v -> 'production_ready') not in ('null', 'boolean') then '.production_ready must be true or false' end
    ) as problem
    from (
      select e.ordinality - 1 as i, e.value as v,
      row_number() over (partition by e.value ->> 'filename' order by e.ordinality) as nth
      from jsonb_array_elements(content_json -> 'files') with ordinality e
    ) c
  ) p
  where p.problem is not null
  order by p.i
  limit 1;
  if problem is not null then
    perform private.invalid_parameter(problem);
  end if;
end
$$;
comment on function private.validate_code(jsonb) is
  'Raises 22023 naming the field unless content_json is valid code: {"files": [{filename, language, content, …}]}.';
grant execute on function private.validate_code(jsonb) to authenticated, service_role;
