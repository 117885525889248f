-- The hardware projection: versions of a project's bom, wiring and code artifacts materialise
-- parts, connections and code_files (older versions stay queryable); get_project assembles the
-- current ones with rollups and compatibility warnings computed in SQL; the policies on the rows.
begin;
select plan(35);

select policies_are('public', 'parts', array['parts_select_reader']);
select policies_are('public', 'connections', array['connections_select_reader']);
select policies_are('public', 'code_files', array['code_files_select_reader']);
select has_index('public', 'parts', 'parts_artifact_version_id_position_key', array['artifact_version_id', '"position"'],
  'parts are indexed by version');
select has_index('public', 'connections', 'connections_artifact_version_id_step_number_key',
  array['artifact_version_id', 'step_number'], 'connections are indexed by version');
select has_index('public', 'code_files', 'code_files_artifact_version_id_position_key', array['artifact_version_id', '"position"'],
  'code files are indexed by version');
select ok(not has_table_privilege('authenticated', 'public.parts', 'INSERT')
  and not has_table_privilege('service_role', 'public.parts', 'INSERT')
  and not has_any_column_privilege('authenticated', 'public.connections', 'UPDATE'),
  'nobody writes the projection but the trigger');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
select tests.authenticate_as('alice');
select set_config('t.project', (public.create_project('Weather station', target_budget => 15, currency => 'USD')).id::text, true);
select set_config('t.chat', (public.create_chat(title => 'Weather', project_id => current_setting('t.project')::uuid)).id::text,
  true);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('bob'), 'editor');
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');

select set_config('t.bom', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  $${"components": [
    {"name": "ESP32-DevKitC", "part_number": "ESP32-DEVKITC-32E", "quantity": 1, "unit_price": 12.5, "currency": "USD",
     "voltage": "3.3V"},
    {"name": "DHT22", "quantity": 1, "unit_price": 9.95, "currency": "USD", "voltage": "3.3-5V"}]}$$, null)
  -> 'artifact' ->> 'id'), true);
select set_config('t.bom_v1', (select current_version_id::text from public.artifacts where id = current_setting('t.bom')::uuid),
  true);
select results_eq(
  format($$ select position, name, part_number, quantity, unit_price, currency::text, line_total, voltage_min, voltage_max
    from public.parts where artifact_version_id = %L order by position $$, current_setting('t.bom_v1')),
  $$ values (0, 'ESP32-DevKitC', 'ESP32-DEVKITC-32E', 1, 12.5, 'USD', 12.5, 3.3, 3.3),
            (1, 'DHT22', null, 1, 9.95, 'USD', 9.95, 3.3, 5) $$,
  'a BOM version materialises its parts, with line totals and voltages in volts');

-- version 2 (an editor writes it): the parts of version 1 stay queryable
select tests.authenticate_as('bob');
select public.add_artifact_version(current_setting('t.bom')::uuid, content_json => $${"components": [
    {"name": "ESP32-DevKitC", "part_number": "ESP32-DEVKITC-32E", "quantity": 1, "unit_price": 12.5, "currency": "USD",
     "voltage": "3.3V"},
    {"name": "BME280 breakout", "quantity": 1, "unit_price": 7.5, "currency": "USD", "voltage": "3.3V", "interface_type": "I2C"},
    {"name": "Arduino Uno", "quantity": 1, "unit_price": 20, "currency": "EUR", "voltage": 5},
    {"name": "Resistor 4.7k", "quantity": 2, "unit_price": 0.10, "currency": "USD"}]}$$, change_summary => 'BME280');
select is((select count(*)::int from public.parts where artifact_id = current_setting('t.bom')::uuid), 6,
  'version 2 adds its own parts; version 1''s stay');
select is((select count(*)::int from public.parts where artifact_version_id = current_setting('t.bom_v1')::uuid), 2,
  'version 1''s parts are unchanged');

select set_config('t.wiring', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'wiring', 'Wiring', null,
  $${"steps": [
    {"from_part": "ESP32-DevKitC", "from_pin": "3V3", "to_part": "BME280 breakout", "to_pin": "VIN", "signal_type": "power",
     "voltage": 3.3, "wire_color": "red"},
    {"from_part": "Arduino Uno", "from_pin": "5V", "to_part": "BME280 breakout", "to_pin": "VIN", "signal_type": "power",
     "voltage": "5V"},
    {"from_part": "Arduino Uno", "from_pin": "D2", "to_part": "esp32-devkitc-32e", "to_pin": "GPIO4", "signal_type": "Digital"},
    {"from_part": "ESP32-DevKitC", "from_pin": "GND", "to_part": "Breadboard", "to_pin": "GND rail", "signal_type": "ground"},
    {"from_part": "ESP32-DevKitC", "from_pin": "GPIO21", "to_part": "BME280 breakout", "to_pin": "SDA", "signal_type": "i2c",
     "warnings": ["Add a 4.7k pull-up"], "instruction": "SDA to GPIO21"}]}$$, null) -> 'artifact' ->> 'id'), true);
select results_eq(
  format($$ select step_number, from_part, to_part, signal_type, voltage_min, wire_color, warnings
    from public.connections where artifact_id = %L order by step_number $$, current_setting('t.wiring')),
  $$ values (1, 'ESP32-DevKitC', 'BME280 breakout', 'power', 3.3, 'red', '{}'::text[]),
            (2, 'Arduino Uno', 'BME280 breakout', 'power', 5, null, '{}'),
            (3, 'Arduino Uno', 'esp32-devkitc-32e', 'digital', null, null, '{}'),
            (4, 'ESP32-DevKitC', 'Breadboard', 'ground', null, null, '{}'),
            (5, 'ESP32-DevKitC', 'BME280 breakout', 'i2c', null, null, '{"Add a 4.7k pull-up"}') $$,
  'a wiring version materialises its steps in order (step_number = position + 1)');

select set_config('t.code', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'code', 'Firmware', null,
  $${"files": [
    {"filename": "calibrate.ino", "language": "arduino", "platform": "esp32", "content": "// calibrate", "unit": 1},
    {"filename": "main.ino", "language": "arduino", "platform": "esp32", "content": "// main", "unit": 3,
     "required_libraries": ["Adafruit BME280", "Wire"], "production_ready": true}]}$$, null) -> 'artifact' ->> 'id'), true);
select results_eq(
  format($$ select position, filename, unit::int, required_libraries, production_ready from public.code_files where artifact_id = %L
    order by position $$, current_setting('t.code')),
  $$ values (0, 'calibrate.ino', 1, '{}'::text[], false), (1, 'main.ino', 3, '{"Adafruit BME280", "Wire"}', true) $$,
  'a code version materialises its files');

-- artifacts outside projects, and other types, materialise nothing
select set_config('t.loose_chat', (public.create_chat(title => 'No project')).id::text, true);
select set_config('t.loose_bom', (public.create_artifact_with_version(current_setting('t.loose_chat')::uuid, null, 'bom', 'Loose',
  null, '{"components": [{"name": "LED", "quantity": 3, "unit_price": 0.2, "currency": "USD"}]}', null) -> 'artifact' ->> 'id'),
  true);
select is((select count(*)::int from public.parts where artifact_id = current_setting('t.loose_bom')::uuid), 0,
  'a BOM outside any project materialises no parts');

-- get_project: the current versions only
select tests.authenticate_as('alice');
select set_config('t.p', public.get_project(current_setting('t.project')::uuid)::text, true);
select results_eq(
  $$ select p ->> 'name' from jsonb_array_elements(current_setting('t.p')::jsonb -> 'parts') p $$,
  $$ values ('ESP32-DevKitC'), ('BME280 breakout'), ('Arduino Uno'), ('Resistor 4.7k') $$,
  'get_project lists the parts of the current BOM version, in order');
select is(jsonb_array_length(current_setting('t.p')::jsonb -> 'connections'), 5, 'with the current wiring steps');
select results_eq(
  $$ select f ->> 'filename', f ->> 'content' from jsonb_array_elements(current_setting('t.p')::jsonb -> 'code_files') f $$,
  $$ values ('calibrate.ino', '// calibrate'), ('main.ino', '// main') $$, 'and the current code files with their content');
select is(current_setting('t.p')::jsonb -> 'rollups',
  '{"part_count": 5, "line_count": 4, "total_cost": 20.20, "currency": "USD", "target_budget": 15, "budget_remaining": -5.20,
    "connection_count": 5, "code_file_count": 2}'::jsonb,
  'rollups: units, lines, total in the project''s currency, budget remaining, connections, files');
select results_eq(
  $$ select w ->> 'kind', w ->> 'message' from jsonb_array_elements(current_setting('t.p')::jsonb -> 'warnings') w $$,
  $$ values
    ('unknown_part', 'Step 4: Breadboard is not in the bill of materials'),
    ('voltage_mismatch', 'Step 3: Arduino Uno (5 V) and ESP32-DevKitC (3.3 V) have different logic voltages; add a level shifter'),
    ('supply_voltage_mismatch', 'Step 2: BME280 breakout is rated 3.3 V but is powered with 5 V'),
    ('currency_mismatch', 'Arduino Uno is priced in EUR, not USD: it is left out of the total cost'),
    ('over_budget', 'The parts cost 20.20 USD, 5.20 over the budget of 15 USD') $$,
  'warnings: unknown part, signal voltage mismatch (matched by part number too), supply voltage, currency, budget');
select is((select w from jsonb_array_elements(current_setting('t.p')::jsonb -> 'warnings') w where w ->> 'kind' = 'voltage_mismatch'),
  jsonb_build_object('kind', 'voltage_mismatch', 'step_number', 3, 'artifact_id', current_setting('t.wiring'),
    'from_part', 'Arduino Uno', 'from_voltage', '5 V', 'to_part', 'ESP32-DevKitC', 'to_voltage', '3.3 V',
    'message', 'Step 3: Arduino Uno (5 V) and ESP32-DevKitC (3.3 V) have different logic voltages; add a level shifter'),
  'a warning carries its details');
select results_eq(
  $$ select s ->> 'type', (s ->> 'version_number')::int from jsonb_array_elements(current_setting('t.p')::jsonb -> 'sources') s $$,
  $$ values ('bom', 2), ('code', 1), ('wiring', 1) $$, 'sources name the versions the lists come from');
select is(current_setting('t.p')::jsonb -> 'project' ->> 'name', 'Weather station', 'and the project itself');

-- fixing the wiring clears its warnings; a hidden BOM leaves the project
select public.add_artifact_version(current_setting('t.wiring')::uuid, content_json => $${"steps": [
    {"from_part": "ESP32-DevKitC", "from_pin": "3V3", "to_part": "BME280 breakout", "to_pin": "VIN", "signal_type": "power",
     "voltage": 3.3}]}$$);
select results_eq(
  format($$ select w ->> 'kind' from jsonb_array_elements(public.get_project(%L) -> 'warnings') w $$, current_setting('t.project')),
  $$ values ('currency_mismatch'), ('over_budget') $$, 'the current wiring version is the one checked');
select public.update_project(current_setting('t.project')::uuid, target_budget => 100);
select is((select count(*)::int from jsonb_array_elements(public.get_project(current_setting('t.project')::uuid) -> 'warnings') w
  where w ->> 'kind' = 'over_budget'), 0, 'within budget, no budget warning');
select public.hide_artifact(current_setting('t.bom')::uuid);
select set_config('t.p', public.get_project(current_setting('t.project')::uuid)::text, true);
select is(jsonb_array_length(current_setting('t.p')::jsonb -> 'parts'), 0, 'a hidden BOM''s parts leave the project');
select results_eq(
  $$ select w ->> 'message' from jsonb_array_elements(current_setting('t.p')::jsonb -> 'warnings') w $$,
  $$ values ('Step 1: ESP32-DevKitC is not in the bill of materials'), ('Step 1: BME280 breakout is not in the bill of materials') $$,
  'and the wiring now names parts that are not in any BOM');
select is((current_setting('t.p')::jsonb -> 'rollups' ->> 'total_cost')::numeric, 0::numeric, 'the total is 0 without a BOM');
select public.unhide_artifact(current_setting('t.bom')::uuid);

-- who reads the rows
select tests.authenticate_as('carol');
select is((select count(*)::int from public.parts where artifact_id = current_setting('t.bom')::uuid), 6,
  'a viewer of the project''s chat reads the parts of every version');
select is((select count(*)::int from public.connections where artifact_id = current_setting('t.wiring')::uuid), 6,
  'and the connections');
select throws_ok(format($$ select public.get_project(%L) $$, current_setting('t.project')), 'PT404', 'project not found',
  'get_project is for the project''s owner');
select tests.authenticate_as('bob');
select throws_ok(format($$ select public.get_project(%L) $$, current_setting('t.project')), 'PT404', 'project not found',
  'editors of its chats included');
select tests.authenticate_as('dave');
select is_empty(format($$ select * from public.parts where artifact_id = %L $$, current_setting('t.bom')),
  'a stranger reads no parts');
select is_empty(format($$ select * from public.code_files where project_id = %L $$, current_setting('t.project')),
  'nor code files');
select tests.clear_authentication();
select throws_ok($$ select * from public.parts $$, '42501', null, 'anon cannot read parts');
select throws_ok($$ select * from public.connections $$, '42501', null, 'anon cannot read connections');
select throws_ok(format($$ select public.get_project(%L) $$, current_setting('t.project')), '42501', null,
  'anon cannot call get_project');

select * from finish();
rollback;
