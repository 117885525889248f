-- Exporting a bill of materials as CSV (RFC 4180), for spreadsheets and suppliers' upload forms.

-- One CSV field: quoted when it holds a comma, a double quote, CR or LF, with quotes doubled. Text a
-- spreadsheet would run as a formula (OWASP, CSV injection: starting with =, +, -, @, tab or CR) gets
-- a leading single quote and is quoted.
create function private.csv_field(value text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when value is null then ''
    when value ~ '^[=+@\t\r-]' then '"''' || replace(value, '"', '""') || '"'
    when value ~ '[",\r\n]' then '"' || replace(value, '"', '""') || '"'
    else value
  end
$$;
grant execute on function private.csv_field(text) to authenticated;
comment on function private.csv_field(text) is
  'One CSV text field: formula-like text (starting with =, +, -, @, tab, CR) gets a leading '' and quotes; a field '
  'with a comma, a double quote, CR or LF is quoted, quotes doubled.';

-- A JSON value as a CSV field: a number as itself (a number stays a number), text as csv_field.
create function private.csv_value(value jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when jsonb_typeof(value) = 'number' then value::text else private.csv_field(private.json_text(value)) end
$$;
comment on function private.csv_value(jsonb) is 'A JSON value as a CSV field: numbers as they are, anything else as csv_field.';
grant execute on function private.csv_value(jsonb) to authenticated;

create function public.export_bom_csv(artifact_id uuid, version integer default null)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  artifact public.artifacts;
  doc jsonb;
  header constant text[] := array['item', 'name', 'part_number', 'manufacturer', 'quantity', 'unit_price', 'currency',
    'line_total', 'voltage', 'current', 'interface_type', 'supplier', 'supplier_url'];
  csv text;
begin
  select a.* into artifact from public.artifacts a where a.id = export_bom_csv.artifact_id;
  if not found then
    perform private.not_found('artifact');
  end if;
  if artifact.type <> 'bom' then
    perform private.invalid_parameter(pg_catalog.format('artifact is a %s, not a bom: only a BOM exports as CSV', artifact.type));
  end if;
  select v.content_json into doc from public.artifact_versions v
  where v.artifact_id = artifact.id and v.version_number = coalesce(export_bom_csv.version, artifact.current_version);
  if not found then
    raise exception '%', pg_catalog.format('version %s not found', export_bom_csv.version) using errcode = 'PT404',
      hint = pg_catalog.format('The artifact has versions 1 to %s.', artifact.current_version);
  end if;

  select array_to_string(header, ',') || e'\r\n' || coalesce(string_agg(
    array_to_string(array[
      e.ordinality::text,
      private.csv_value(e.value -> 'name'),
      private.csv_value(e.value -> 'part_number'),
      private.csv_value(e.value -> 'manufacturer'),
      private.csv_value(e.value -> 'quantity'),
      private.csv_value(e.value -> 'unit_price'),
      private.csv_value(e.value -> 'currency'),
      ((e.value ->> 'quantity')::numeric * (e.value ->> 'unit_price')::numeric)::text,
      private.csv_value(e.value -> 'voltage'),
      private.csv_value(e.value -> 'current'),
      private.csv_value(e.value -> 'interface_type'),
      private.csv_value(e.value -> 'supplier'),
      private.csv_value(e.value -> 'supplier_url')
    ], ',') || e'\r\n', '' order by e.ordinality), '')
  into csv
  from jsonb_array_elements(doc -> 'components') with ordinality e;
  return csv;
end
$$;
grant execute on function public.export_bom_csv(uuid, integer) to authenticated;
comment on function public.export_bom_csv(uuid, integer) is
  'A BOM version (default: the current one) as RFC 4180 CSV text: a header row item,name,part_number,manufacturer,'
  'quantity,unit_price,currency,line_total,voltage,current,interface_type,supplier,supplier_url, then one row per '
  'component in BOM order (item from 1, line_total = quantity × unit_price); every line ends with CRLF; fields '
  'holding a comma, a double quote, CR or LF are quoted, with quotes doubled. Text that a spreadsheet would run as a '
  'formula (starting with =, +, -, @, tab or CR) is neutralised with a leading single quote, and quoted (OWASP''s '
  'CSV injection advice); JSON numbers are written as numbers. Errors: 22023 (400) not a bom; PT404 (404) artifact '
  'or version not found or not readable; anon is denied (401).';
