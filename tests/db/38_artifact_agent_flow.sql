-- The agent-like flow end to end in SQL, as the BOM generator would drive it through the RPCs:
-- BOM v1 with a DHT22 → v2 replacing it with a BME280 → diff → revert to v1 → revert the revert →
-- get_project shows the BME280 build and warns that the wiring powers it with 5 V.
begin;
select plan(13);

select tests.create_user('maker');
select tests.authenticate_as('maker');
select set_config('t.project', (public.create_project('ESP32 weather station', category => 'iot', target_budget => 50,
  currency => 'USD')).id::text, true);
select set_config('t.chat', (public.create_chat(title => 'Weather station', project_id => current_setting('t.project')::uuid)).id::text,
  true);

-- turn 1: the BOM and the wiring
select public.append_message(current_setting('t.chat')::uuid, 'user', 'Create a BOM for an ESP32 weather station');
select set_config('t.answer1', (public.append_message(current_setting('t.chat')::uuid, 'assistant', 'Here is the BOM and wiring.',
  agent_name => 'bom_generator', agent_model => 'openai/gpt-4o', intent => 'BOM')).id::text, true);
select set_config('t.bom', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom',
  'Weather station BOM', null, $${"components": [
    {"name": "ESP32-DevKitC", "part_number": "ESP32-DEVKITC-32E", "manufacturer": "Espressif", "quantity": 1,
     "unit_price": 12.99, "currency": "USD", "voltage": "3.3V", "interface_type": "USB"},
    {"name": "DHT22", "manufacturer": "Aosong", "quantity": 1, "unit_price": 9.95, "currency": "USD", "voltage": "3.3-5V",
     "interface_type": "one_wire", "alternatives": [{"name": "BME280", "unit_price": 7.99}]},
    {"name": "SSD1306 OLED", "quantity": 1, "unit_price": 6.5, "currency": "USD", "voltage": "3.3V", "interface_type": "I2C"}]}$$,
  current_setting('t.answer1')::uuid, description => 'Parts for the first prototype') -> 'artifact' ->> 'id'), true);
select set_config('t.wiring', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'wiring',
  'Weather station wiring', null, $${"steps": [
    {"from_part": "ESP32-DevKitC", "from_pin": "3V3", "to_part": "DHT22", "to_pin": "VCC", "signal_type": "power", "voltage": 3.3, "wire_color": "red"},
    {"from_part": "ESP32-DevKitC", "from_pin": "GPIO4", "to_part": "DHT22", "to_pin": "DATA", "signal_type": "digital", "wire_color": "yellow"},
    {"from_part": "ESP32-DevKitC", "from_pin": "GPIO21", "to_part": "SSD1306 OLED", "to_pin": "SDA", "signal_type": "i2c", "wire_color": "blue"}]}$$,
  current_setting('t.answer1')::uuid) -> 'artifact' ->> 'id'), true);
select is((public.get_project(current_setting('t.project')::uuid) -> 'warnings'), '[]'::jsonb, 'version 1 has no warnings');

-- turn 2: "replace the DHT22 with a BME280"
select public.append_message(current_setting('t.chat')::uuid, 'user', 'Replace the DHT22 with a BME280');
select set_config('t.answer2', (public.append_message(current_setting('t.chat')::uuid, 'assistant', 'Swapped in a BME280.',
  agent_name => 'bom_generator', intent => 'BOM')).id::text, true);
select is((public.add_artifact_version(current_setting('t.bom')::uuid, content_json => $${"components": [
    {"name": "ESP32-DevKitC", "part_number": "ESP32-DEVKITC-32E", "manufacturer": "Espressif", "quantity": 1,
     "unit_price": 12.99, "currency": "USD", "voltage": "3.3V", "interface_type": "USB"},
    {"name": "BME280", "manufacturer": "Bosch", "quantity": 1, "unit_price": 7.99, "currency": "USD", "voltage": "3.3V",
     "interface_type": "I2C"},
    {"name": "SSD1306 OLED", "quantity": 1, "unit_price": 6.5, "currency": "USD", "voltage": "3.3V", "interface_type": "I2C"}]}$$,
  change_summary => 'Replaced DHT22 with BME280 for better accuracy', message_id => current_setting('t.answer2')::uuid,
  expected_version => 1) -> 'version' ->> 'version_number')::int, 2, 'the BOM generator writes version 2 on top of version 1');
select public.add_artifact_version(current_setting('t.wiring')::uuid, content_json => $${"steps": [
    {"from_part": "ESP32-DevKitC", "from_pin": "5V", "to_part": "BME280", "to_pin": "VIN", "signal_type": "power", "voltage": "5V", "wire_color": "red"},
    {"from_part": "ESP32-DevKitC", "from_pin": "GPIO21", "to_part": "BME280", "to_pin": "SDA", "signal_type": "i2c", "wire_color": "blue"},
    {"from_part": "ESP32-DevKitC", "from_pin": "GPIO21", "to_part": "SSD1306 OLED", "to_pin": "SDA", "signal_type": "i2c", "wire_color": "blue"}]}$$,
  change_summary => 'BME280 on I2C', message_id => current_setting('t.answer2')::uuid, expected_version => 1);

-- diff
select set_config('t.diff', (public.diff_artifact_versions(current_setting('t.bom')::uuid, 1, 2) -> 'bom')::text, true);
select results_eq(
  $$ select 'removed', p ->> 'name' from jsonb_array_elements(current_setting('t.diff')::jsonb -> 'removed') p
     union all select 'added', p ->> 'name' from jsonb_array_elements(current_setting('t.diff')::jsonb -> 'added') p $$,
  $$ values ('removed', 'DHT22'), ('added', 'BME280') $$, 'the diff shows DHT22 removed and BME280 added');
select is((current_setting('t.diff')::jsonb ->> 'cost_delta')::numeric, -1.96, 'and saves 1.96 USD');
select is((current_setting('t.diff')::jsonb ->> 'unchanged_count')::int, 2, 'the ESP32 and the display are unchanged');

-- "go back to the DHT22" … "no, keep the BME280"
select is((public.revert_artifact(current_setting('t.bom')::uuid, 1, message_id => current_setting('t.answer2')::uuid)
  -> 'version' ->> 'version_number')::int, 3, 'reverting to version 1 makes version 3');
select results_eq(
  format($$ select p ->> 'name' from jsonb_array_elements(public.get_project(%L) -> 'parts') p $$, current_setting('t.project')),
  $$ values ('ESP32-DevKitC'), ('DHT22'), ('SSD1306 OLED') $$, 'the project has the DHT22 again');
select is((public.revert_artifact(current_setting('t.bom')::uuid, 2) -> 'version' ->> 'version_number')::int, 4,
  'reverting the revert makes version 4');
select is((public.diff_artifact_versions(current_setting('t.bom')::uuid, 2, 4) ->> 'identical')::boolean, true,
  'version 4 is version 2 again');

-- the project now
select set_config('t.p', public.get_project(current_setting('t.project')::uuid)::text, true);
select results_eq(
  $$ select p ->> 'name', p ->> 'voltage' from jsonb_array_elements(current_setting('t.p')::jsonb -> 'parts') p $$,
  $$ values ('ESP32-DevKitC', '3.3V'), ('BME280', '3.3V'), ('SSD1306 OLED', '3.3V') $$,
  'get_project shows the BME280 build');
select is(current_setting('t.p')::jsonb -> 'rollups',
  '{"part_count": 3, "line_count": 3, "total_cost": 27.48, "currency": "USD", "target_budget": 50, "budget_remaining": 22.52,
    "connection_count": 3, "code_file_count": 0}'::jsonb, 'with its cost and budget');
select results_eq(
  $$ select w ->> 'kind', w ->> 'message' from jsonb_array_elements(current_setting('t.p')::jsonb -> 'warnings') w $$,
  $$ values ('supply_voltage_mismatch', 'Step 1: BME280 is rated 3.3 V but is powered with 5 V') $$,
  'and warns that the wiring powers the 3.3 V sensor with 5 V');
select results_eq(
  format($$ select m.content, v ->> 'title', (v ->> 'version_number')::int
    from public.get_messages(%L) m, jsonb_array_elements(m.artifact_versions) v $$, current_setting('t.chat')),
  $$ values ('Here is the BOM and wiring.', 'Weather station BOM', 1), ('Here is the BOM and wiring.', 'Weather station wiring', 1),
            ('Swapped in a BME280.', 'Weather station BOM', 2), ('Swapped in a BME280.', 'Weather station wiring', 2),
            ('Swapped in a BME280.', 'Weather station BOM', 3) $$,
  'the chat shows each answer with the versions it made');

select * from finish();
rollback;
