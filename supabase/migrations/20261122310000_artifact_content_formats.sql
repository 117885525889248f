-- Structured artifact content: the JSON formats of bom, wiring and code artifacts, validated in
-- the database so that every writer (RPC, agent, service role) is held to the same rules, and the
-- voltage notation the compatibility warnings read. Errors are 22023 naming the JSON path of the
-- bad field, with 0-based array indexes (content_json.components[2].quantity).
--
-- bom:    {"components": [{"name": text, "quantity": integer > 0, "unit_price": number >= 0,
--          "currency": ISO 4217 code, optional "part_number", "manufacturer", "voltage" (number of
--          volts, or text such as "3.3V", "5 V", "3.3-5V", "500mV"), "current" (number of amperes or
--          text such as "500mA"), "interface_type", "supplier", "supplier_url" (http/https), "specs"
--          (object), "alternatives" (array)}]}
-- wiring: {"steps": [{"from_part", "from_pin", "to_part", "to_pin": text, optional "from_pin_type",
--          "to_pin_type" (text), "voltage" (as above), "signal_type" (power, ground, digital,
--          analog, pwm, i2c, spi, uart, one_wire, can, usb, other), "wire_color", "instruction"
--          (text), "warnings" ([text])}]} in assembly order: step number = position + 1. A power
--          step runs from the supply (from_part) to the part it powers (to_part).
-- code:   {"files": [{"filename" (relative path, unique), "language", "content": text, optional
--          "platform" (text), "unit" (1 calibration, 2 minimal, 3 full), "required_libraries"
--          ([text]), "production_ready" (boolean)}]}
-- Other keys are kept as they are (agents may add their own) but are not read. A JSON null counts
-- as an absent optional field.

-- Parses a voltage given as a JSON number of volts or a string: "3.3V", "5 V", "12VDC", "500mV",
-- or a range "3.3-5V", "3.3V-5V", "3.3 to 5 V", "3.3/5V" (a part that works at either). Returns
-- {min, max} in volts, or null when the value is absent or not a voltage.
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
  'A voltage (JSON number of volts, or text like "3.3V", "500mV", "3.3-5V") as {min, max} volts; null if absent or not a voltage.';
grant execute on function private.parse_voltage(jsonb) to authenticated, service_role;

-- Small checks shared by the validators: each raises 22023 with "<path> must …".
create function private.check_json_text(value jsonb, path text, max_length integer, required boolean)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  if value is null or jsonb_typeof(value) = 'null' then
    if required then
      perform private.invalid_parameter(pg_catalog.format('%s is required', path));
    end if;
    return;
  end if;
  if jsonb_typeof(value) <> 'string' then
    perform private.invalid_parameter(pg_catalog.format('%s must be a %sstring of at most %s characters', path,
      case when required then 'non-empty ' else '' end, max_length));
  end if;
  if char_length(value #>> '{}') > max_length or (required and btrim(value #>> '{}') = '') then
    perform private.invalid_parameter(pg_catalog.format('%s must be a %sstring of at most %s characters', path,
      case when required then 'non-empty ' else '' end, max_length));
  end if;
end
$$;
grant execute on function private.check_json_text(jsonb, text, integer, boolean) to authenticated, service_role;

create function private.check_json_text_array(value jsonb, path text, max_items integer, max_length integer)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  item record;
begin
  if value is null or jsonb_typeof(value) = 'null' then
    return;
  end if;
  if jsonb_typeof(value) <> 'array' then
    perform private.invalid_parameter(
      pg_catalog.format('%s must be an array of at most %s strings', path, max_items));
  end if;
  if jsonb_array_length(value) > max_items then
    perform private.invalid_parameter(
      pg_catalog.format('%s must be an array of at most %s strings', path, max_items));
  end if;
  for item in select e.value, e.ordinality - 1 as i from jsonb_array_elements(value) with ordinality e loop
    perform private.check_json_text(item.value, pg_catalog.format('%s[%s]', path, item.i), max_length, true);
  end loop;
end
$$;
grant execute on function private.check_json_text_array(jsonb, text, integer, integer) to authenticated, service_role;

create function private.check_json_voltage(value jsonb, path text)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  if value is not null and jsonb_typeof(value) <> 'null' and private.parse_voltage(value) is null then
    perform private.invalid_parameter(
      pg_catalog.format('%s must be a number of volts or a string such as "3.3V", "500mV" or "3.3-5V"', path));
  end if;
end
$$;
grant execute on function private.check_json_voltage(jsonb, text) to authenticated, service_role;

-- The top-level shape {"<key>": [objects]}: returns nothing, raises unless content_json is an
-- object whose key is an array of at most max_items objects.
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

-- ---------------------------------------------------------------------------------------------
create function private.validate_bom(content_json jsonb)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  c record;
  path text;
  v jsonb;
begin
  perform private.check_json_list(content_json, 'components', 2000, 'bom');
  for c in
    select e.value, e.ordinality - 1 as i from jsonb_array_elements(content_json -> 'components') with ordinality e
  loop
    path := pg_catalog.format('content_json.components[%s]', c.i);
    perform private.check_json_text(c.value -> 'name', path || '.name', 200, true);

    v := c.value -> 'quantity';
    if v is null or jsonb_typeof(v) = 'null' then
      perform private.invalid_parameter(path || '.quantity is required');
    end if;
    if jsonb_typeof(v) <> 'number' then
      perform private.invalid_parameter(path || '.quantity must be an integer greater than 0');
    end if;
    if v::numeric <= 0 or v::numeric <> trunc(v::numeric) then
      perform private.invalid_parameter(path || '.quantity must be an integer greater than 0');
    end if;
    if v::numeric > 1000000 then
      perform private.invalid_parameter(path || '.quantity must be at most 1000000');
    end if;

    v := c.value -> 'unit_price';
    if v is null or jsonb_typeof(v) = 'null' then
      perform private.invalid_parameter(path || '.unit_price is required');
    end if;
    if jsonb_typeof(v) <> 'number' then
      perform private.invalid_parameter(path || '.unit_price must be a number greater than or equal to 0');
    end if;
    if v::numeric < 0 then
      perform private.invalid_parameter(path || '.unit_price must be a number greater than or equal to 0');
    end if;
    if v::numeric >= 1e9 then
      perform private.invalid_parameter(path || '.unit_price must be below 1000000000');
    end if;

    v := c.value -> 'currency';
    if v is null or jsonb_typeof(v) = 'null' then
      perform private.invalid_parameter(path || '.currency is required');
    end if;
    if jsonb_typeof(v) <> 'string' or not private.is_currency_code(v #>> '{}') then
      perform private.invalid_parameter(path || '.currency must be an ISO 4217 currency code such as "USD"');
    end if;

    perform private.check_json_text(c.value -> 'part_number', path || '.part_number', 200, false);
    perform private.check_json_text(c.value -> 'manufacturer', path || '.manufacturer', 200, false);
    perform private.check_json_text(c.value -> 'interface_type', path || '.interface_type', 100, false);
    perform private.check_json_text(c.value -> 'supplier', path || '.supplier', 200, false);
    perform private.check_json_voltage(c.value -> 'voltage', path || '.voltage');

    v := c.value -> 'current';
    if v is not null and jsonb_typeof(v) <> 'null' and not (case jsonb_typeof(v)
      when 'number' then v::numeric >= 0
      when 'string' then char_length(v #>> '{}') between 1 and 50
      else false
    end) then
      perform private.invalid_parameter(
        path || '.current must be a number of amperes or a string such as "500mA" (at most 50 characters)');
    end if;

    v := c.value -> 'supplier_url';
    if v is not null and jsonb_typeof(v) <> 'null' and not (case jsonb_typeof(v)
      when 'string' then char_length(v #>> '{}') <= 2048 and (v #>> '{}') ~* '^https?://[^[:space:][:cntrl:]]+$'
      else false
    end) then
      perform private.invalid_parameter(path || '.supplier_url must be an http(s) URL of at most 2048 characters');
    end if;

    v := c.value -> 'specs';
    if v is not null and jsonb_typeof(v) not in ('null', 'object') then
      perform private.invalid_parameter(path || '.specs must be a JSON object');
    end if;

    v := c.value -> 'alternatives';
    if v is not null and jsonb_typeof(v) <> 'null' and not (case jsonb_typeof(v)
      when 'array' then jsonb_array_length(v) <= 50
      else false
    end) then
      perform private.invalid_parameter(path || '.alternatives must be an array of at most 50 items');
    end if;
  end loop;
end
$$;
comment on function private.validate_bom(jsonb) is
  'Raises 22023 naming the field unless content_json is a valid BOM: {"components": [{name, quantity, unit_price, currency, …}]}.';
grant execute on function private.validate_bom(jsonb) to authenticated, service_role;

create function private.validate_wiring(content_json jsonb)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  s record;
  path text;
  v jsonb;
begin
  perform private.check_json_list(content_json, 'steps', 5000, 'wiring');
  for s in
    select e.value, e.ordinality - 1 as i from jsonb_array_elements(content_json -> 'steps') with ordinality e
  loop
    path := pg_catalog.format('content_json.steps[%s]', s.i);
    perform private.check_json_text(s.value -> 'from_part', path || '.from_part', 200, true);
    perform private.check_json_text(s.value -> 'from_pin', path || '.from_pin', 100, true);
    perform private.check_json_text(s.value -> 'to_part', path || '.to_part', 200, true);
    perform private.check_json_text(s.value -> 'to_pin', path || '.to_pin', 100, true);
    perform private.check_json_text(s.value -> 'from_pin_type', path || '.from_pin_type', 50, false);
    perform private.check_json_text(s.value -> 'to_pin_type', path || '.to_pin_type', 50, false);
    perform private.check_json_voltage(s.value -> 'voltage', path || '.voltage');
    v := s.value -> 'signal_type';
    if v is not null and jsonb_typeof(v) <> 'null' and (jsonb_typeof(v) <> 'string' or lower(v #>> '{}') not in (
      'power', 'ground', 'digital', 'analog', 'pwm', 'i2c', 'spi', 'uart', 'one_wire', 'can', 'usb', 'other'
    )) then
      perform private.invalid_parameter(path || '.signal_type must be one of power, ground, digital, analog, pwm, i2c, '
        'spi, uart, one_wire, can, usb, other');
    end if;
    perform private.check_json_text(s.value -> 'wire_color', path || '.wire_color', 30, false);
    perform private.check_json_text(s.value -> 'instruction', path || '.instruction', 4000, false);
    perform private.check_json_text_array(s.value -> 'warnings', path || '.warnings', 20, 500);
  end loop;
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
  f record;
  path text;
  v jsonb;
  seen text[] := '{}';
begin
  perform private.check_json_list(content_json, 'files', 200, 'code');
  for f in
    select e.value, e.ordinality - 1 as i from jsonb_array_elements(content_json -> 'files') with ordinality e
  loop
    path := pg_catalog.format('content_json.files[%s]', f.i);
    perform private.check_json_text(f.value -> 'filename', path || '.filename', 255, true);
    if (f.value ->> 'filename') ~ '(^/|\\|[[:cntrl:]]|(^|/)\.\.(/|$))' then
      perform private.invalid_parameter(path || '.filename must be a relative path without ".." or backslashes');
    end if;
    if (f.value ->> 'filename') = any (seen) then
      perform private.invalid_parameter(pg_catalog.format('%s.filename %s is repeated: file names must be unique', path,
        f.value -> 'filename'));
    end if;
    seen := seen || (f.value ->> 'filename');
    perform private.check_json_text(f.value -> 'language', path || '.language', 50, true);
    perform private.check_json_text(f.value -> 'platform', path || '.platform', 100, false);
    v := f.value -> 'content';
    if v is null or jsonb_typeof(v) = 'null' then
      perform private.invalid_parameter(path || '.content is required');
    end if;
    if jsonb_typeof(v) <> 'string' then
      perform private.invalid_parameter(path || '.content must be a string of at most 1000000 characters');
    end if;
    if char_length(v #>> '{}') > 1000000 then
      perform private.invalid_parameter(path || '.content must be a string of at most 1000000 characters');
    end if;
    v := f.value -> 'unit';
    if v is not null and jsonb_typeof(v) <> 'null' and (jsonb_typeof(v) <> 'number' or v::text not in ('1', '2', '3')) then
      perform private.invalid_parameter(path || '.unit must be 1 (calibration), 2 (minimal) or 3 (full)');
    end if;
    perform private.check_json_text_array(f.value -> 'required_libraries', path || '.required_libraries', 100, 200);
    v := f.value -> 'production_ready';
    if v is not null and jsonb_typeof(v) not in ('null', 'boolean') then
      perform private.invalid_parameter(path || '.production_ready must be true or false');
    end if;
  end loop;
end
$$;
comment on function private.validate_code(jsonb) is
  'Raises 22023 naming the field unless content_json is valid code: {"files": [{filename, language, content, …}]}.';
grant execute on function private.validate_code(jsonb) to authenticated, service_role;
