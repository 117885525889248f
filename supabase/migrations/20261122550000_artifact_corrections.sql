-- Two corrections to the artifacts migrations, behaviour unchanged:
-- * private.validate_code began with a CTE of parsed voltages copied from the wiring validator and
--   never read (code files have no voltage): the same function without it.
-- * diff_artifact_versions' comment still described the first text diff (one replacement past
--   500,000 steps); it describes the one private.diff_text implements.

create or replace function private.validate_code(content_json jsonb)
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

comment on function public.diff_artifact_versions(uuid, integer, integer) is
  'Compares two versions of an artifact (either order), computed in the database. Returns {artifact_id, type, '
  'from_version, to_version, from_version_id, to_version_id, identical (same content_hash), content, content_json, '
  'bom, file_path}; a section is null when that part of the content did not change. content (text): {hunks: '
  '[{from_start, from_count, to_start, to_count, header ("@@ -a,b +c,d @@"), lines (" context", "-old", "+new")}], '
  'lines_added, lines_removed, approximate, unified (the hunks as one unified-diff text)}; Myers diff after trimming '
  'the common prefix and suffix, within 200,000 steps; past that, anchored on lines unique to both texts (each stretch '
  'between anchors within 20,000 steps, else one replacement), and approximate is true. content_json (types other than bom): {added: [{path, value}], removed: [{path, value}], '
  'changed: [{path, old, new}]} over leaf paths such as content_json.steps[3].voltage (arrays compared by position). '
  'bom: components matched by part_number (case-insensitive) where both have one, else by name (case-insensitive): '
  '{added: [{position, name, part_number, quantity, unit_price, currency, cost, component}], removed: [same], '
  'changed: [{name, part_number, old_position, new_position, changes: [{field, old, new}], old_cost, old_currency, '
  'new_cost, new_currency, cost_delta}], unchanged_count, totals: [{currency, old_total, new_total, delta}], '
  'cost_delta (null when several currencies), other (diff of the keys besides components)}; cost = quantity × '
  'unit_price. file_path: {from, to}. Errors: 22023 (400); PT404 (404) artifact or version not found or not '
  'readable; anon is denied (401).';
