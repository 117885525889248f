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

-- The field rules of the three formats, and the one validator that applies them. A rule is one
-- check of one field, in position order: its kind (below), whether the field is required, and the
-- kind's parameters (nonblank; max: the longest string or the largest number; max_items; json_type
-- and choices of a choice; message where it is not derived). Every item meets every rule in one
-- query, a cross join with a CASE over the kind (numbered: comparing integers is cheap), each value
-- read once or twice, each distinct voltage parsed once and each currency checked once: several
-- times faster than a loop of small function calls. The first problem, in item order then rule
-- order, is the error.
create function private.validate_content_json(type text, content_json jsonb)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  kinds constant text[] := '{text,count,amount,currency,voltage,current,url,type,array,texts,choice,path,unique}';
  key text := case validate_content_json.type when 'bom' then 'components' when 'wiring' then 'steps'
    when 'code' then 'files' end;
  problem text;
begin
  perform private.check_json_list(content_json, key,
    case validate_content_json.type when 'bom' then 2000 when 'wiring' then 5000 else 200 end, validate_content_json.type);
  with rules as materialized (
    select r.*, pg_catalog.array_position(kinds, r.kind) as k
    from (values
      ('bom', 1, 'name', 'text', true, true, 200, null, null, null::text[], null::text),
      ('bom', 2, 'quantity', 'count', true, null, 1000000, null, null, null, null),
      ('bom', 3, 'unit_price', 'amount', true, null, 1000000000, null, null, null, null),
      ('bom', 4, 'currency', 'currency', true, null, null, null, null, null, null),
      ('bom', 5, 'part_number', 'text', false, false, 200, null, null, null, null),
      ('bom', 6, 'manufacturer', 'text', false, false, 200, null, null, null, null),
      ('bom', 7, 'interface_type', 'text', false, false, 100, null, null, null, null),
      ('bom', 8, 'supplier', 'text', false, false, 200, null, null, null, null),
      ('bom', 9, 'voltage', 'voltage', false, null, null, null, null, null, null),
      ('bom', 10, 'current', 'current', false, null, 50, null, null, null, null),
      ('bom', 11, 'supplier_url', 'url', false, null, 2048, null, null, null, null),
      ('bom', 12, 'specs', 'type', false, null, null, null, 'object', null, ' must be a JSON object'),
      ('bom', 13, 'alternatives', 'array', false, null, null, 50, null, null, null),
      ('wiring', 1, 'from_part', 'text', true, true, 200, null, null, null, null),
      ('wiring', 2, 'from_pin', 'text', true, true, 100, null, null, null, null),
      ('wiring', 3, 'to_part', 'text', true, true, 200, null, null, null, null),
      ('wiring', 4, 'to_pin', 'text', true, true, 100, null, null, null, null),
      ('wiring', 5, 'from_pin_type', 'text', false, false, 50, null, null, null, null),
      ('wiring', 6, 'to_pin_type', 'text', false, false, 50, null, null, null, null),
      ('wiring', 7, 'voltage', 'voltage', false, null, null, null, null, null, null),
      ('wiring', 8, 'signal_type', 'choice', false, null, null, null, 'string',
        '{power,ground,digital,analog,pwm,i2c,spi,uart,one_wire,can,usb,other}', null),
      ('wiring', 9, 'wire_color', 'text', false, false, 30, null, null, null, null),
      ('wiring', 10, 'instruction', 'text', false, false, 4000, null, null, null, null),
      ('wiring', 11, 'warnings', 'texts', false, null, 500, 20, null, null, null),
      ('code', 1, 'filename', 'text', true, true, 255, null, null, null, null),
      ('code', 2, 'filename', 'path', false, null, null, null, null, null,
        ' must be a relative path without ".." or backslashes'),
      ('code', 3, 'filename', 'unique', false, null, null, null, null, null, ' %s is repeated: file names must be unique'),
      ('code', 4, 'language', 'text', true, true, 50, null, null, null, null),
      ('code', 5, 'platform', 'text', false, false, 100, null, null, null, null),
      ('code', 6, 'content', 'text', true, false, 1000000, null, null, null, null),
      ('code', 7, 'unit', 'choice', false, null, null, null, 'number', '{1,2,3}',
        ' must be 1 (calibration), 2 (minimal) or 3 (full)'),
      ('code', 8, 'required_libraries', 'texts', false, null, 200, 100, null, null, null),
      ('code', 9, 'production_ready', 'type', false, null, null, null, 'boolean', null, ' must be true or false')
    ) r (type, position, field, kind, required, nonblank, max, max_items, json_type, choices, message)
    where r.type = validate_content_json.type
  ),
  items as materialized (
    select e.ordinality - 1 as i, e.value as v
    from pg_catalog.jsonb_array_elements(content_json -> key) with ordinality e
  ),
  -- each distinct voltage parsed once (offset 0 keeps the parse above the distinct)
  volts as materialized (
    select x.value, private.parse_voltage(x.value) is not null as ok
    from (select distinct c.v -> u.field as value from items c join rules u on u.kind = 'voltage'
          where pg_catalog.jsonb_typeof(c.v -> u.field) in ('number', 'string') offset 0) x
  ),
  -- each distinct currency checked once
  currencies as materialized (
    select x.code, private.is_currency_code(x.code) as ok
    from (select distinct c.v ->> u.field as code from items c join rules u on u.kind = 'currency' offset 0) x
  ),
  -- the items whose value of a unique field an earlier item has
  repeated as materialized (
    select d.i, d.field
    from (select c.i, u.field, pg_catalog.row_number() over (partition by u.field, c.v ->> u.field order by c.i) as nth
          from items c join rules u on u.kind = 'unique') d
    where d.nth > 1
  )
  select pg_catalog.format('content_json.%s[%s].%s%s', key, p.i, p.field, p.problem) into problem
  from (
    select c.i, r.position, r.field, case r.k
      -- text: a string of at most max characters, not blank when nonblank
      when 1 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then case when r.required then ' is required' end
        when 'string' then case when (pg_catalog.octet_length(c.v ->> r.field) > r.max
              and pg_catalog.char_length(c.v ->> r.field) > r.max)
            or (r.nonblank and pg_catalog.btrim(c.v ->> r.field) = '')
          then pg_catalog.format(' must be a %sstring of at most %s characters',
            case when r.nonblank then 'non-empty ' else '' end, r.max) end
        else pg_catalog.format(' must be a %sstring of at most %s characters',
          case when r.nonblank then 'non-empty ' else '' end, r.max)
        end
      -- count: an integer from 1 to max
      when 2 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then case when r.required then ' is required' end
        when 'number' then case
          when (c.v -> r.field)::numeric <= 0 or (c.v -> r.field)::numeric <> pg_catalog.trunc((c.v -> r.field)::numeric)
            then ' must be an integer greater than 0'
          when (c.v -> r.field)::numeric > r.max then ' must be at most ' || r.max end
        else ' must be an integer greater than 0'
        end
      -- amount: a number from 0 to below max
      when 3 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then case when r.required then ' is required' end
        when 'number' then case
          when (c.v -> r.field)::numeric < 0 then ' must be a number greater than or equal to 0'
          when (c.v -> r.field)::numeric >= r.max then ' must be below ' || r.max end
        else ' must be a number greater than or equal to 0'
        end
      -- currency: an ISO 4217 code
      when 4 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then case when r.required then ' is required' end
        when 'string' then case when (c.v ->> r.field) not in (select k.code from currencies k where k.ok)
          then ' must be an ISO 4217 currency code such as "USD"' end
        else ' must be an ISO 4217 currency code such as "USD"'
        end
      -- voltage: volts: a number, or text parse_voltage reads
      when 5 then case when coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null') <> 'null'
          and (c.v -> r.field) not in (select volts.value from volts where volts.ok)
        then ' must be a number of volts or a string such as "3.3V", "500mV" or "3.3-5V"' end
      -- current: amperes: a number >= 0, or text of 1 to max characters
      when 6 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then null
        when 'number' then case when (c.v -> r.field)::numeric < 0
          then ' must be a number of amperes or a string such as "500mA" (at most ' || r.max || ' characters)' end
        when 'string' then case when pg_catalog.char_length(c.v ->> r.field) not between 1 and r.max
          then ' must be a number of amperes or a string such as "500mA" (at most ' || r.max || ' characters)' end
        else ' must be a number of amperes or a string such as "500mA" (at most ' || r.max || ' characters)'
        end
      -- url: an http(s) URL of at most max characters
      when 7 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then null
        when 'string' then case when pg_catalog.char_length(c.v ->> r.field) > r.max
            or (c.v ->> r.field) !~* '^https?://[^[:space:][:cntrl:]]+$'
          then ' must be an http(s) URL of at most ' || r.max || ' characters' end
        else ' must be an http(s) URL of at most ' || r.max || ' characters'
        end
      -- type: of json_type
      when 8 then case when pg_catalog.jsonb_typeof(c.v -> r.field) not in ('null', r.json_type) then r.message end
      -- array: an array of at most max_items
      when 9 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then null
        when 'array' then case when pg_catalog.jsonb_array_length(c.v -> r.field) > r.max_items
          then ' must be an array of at most ' || r.max_items || ' items' end
        else ' must be an array of at most ' || r.max_items || ' items'
        end
      -- texts: an array of at most max_items strings of 1 to max characters
      when 10 then case coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null')
        when 'null' then null
        when 'array' then case
          when pg_catalog.jsonb_array_length(c.v -> r.field) > r.max_items
            then ' must be an array of at most ' || r.max_items || ' strings'
          else (select pg_catalog.format('[%s] must be a non-empty string of at most %s characters', x.o - 1, r.max)
            from pg_catalog.jsonb_array_elements(c.v -> r.field) with ordinality x (e, o)
            where pg_catalog.jsonb_typeof(x.e) <> 'string' or pg_catalog.char_length(x.e #>> '{}') > r.max
              or pg_catalog.btrim(x.e #>> '{}') = ''
            order by x.o limit 1) end
        else ' must be an array of at most ' || r.max_items || ' strings'
        end
      -- choice: one of choices, as json_type (strings in any case)
      when 11 then case
        when coalesce(pg_catalog.jsonb_typeof(c.v -> r.field), 'null') = 'null' then null
        when pg_catalog.jsonb_typeof(c.v -> r.field) <> r.json_type or pg_catalog.lower(c.v ->> r.field) <> all (r.choices)
          then coalesce(r.message, ' must be one of ' || pg_catalog.array_to_string(r.choices, ', ')) end
      -- path: a relative path without .. or backslashes
      when 12 then case when (c.v ->> r.field) ~ '(^/|\\|[[:cntrl:]]|(^|/)\.\.(/|$))' then r.message end
      -- unique: no earlier item has the same value
      when 13 then case when (c.i, r.field) in (select d.i, d.field from repeated d)
        then pg_catalog.format(r.message, c.v -> r.field) end
      end as problem
    from items c
    cross join rules r
  ) p
  where p.problem is not null
  order by p.i, p.position
  limit 1;
  if problem is not null then
    perform private.invalid_parameter(problem);
  end if;
end
$$;
comment on function private.validate_content_json(text, jsonb) is
  'Raises 22023 naming the field unless content_json is valid for a bom ({"components": [{name, quantity, '
  'unit_price, currency, …}]}), wiring ({"steps": [{from_part, from_pin, to_part, to_pin, …}]}) or code '
  '({"files": [{filename, language, content, …}]}) artifact.';
grant execute on function private.validate_content_json(text, jsonb) to authenticated, service_role;
