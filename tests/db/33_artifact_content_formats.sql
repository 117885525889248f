-- The bom, wiring and code formats are validated in the database: bad content is a 22023 whose
-- message names the field (0-based JSON path), and writes nothing. Voltages parse as documented.
begin;
select plan(45);

select tests.create_user('alice');
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'Formats')).id::text, true);
select set_config('t.bom', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  $${"components": [{"name": "ESP32-DevKitC", "part_number": "ESP32-DEVKITC-32E", "manufacturer": "Espressif",
    "quantity": 1, "unit_price": 9.99, "currency": "USD", "voltage": "3.3V", "current": "500mA", "interface_type": "USB",
    "supplier": "DigiKey", "supplier_url": "https://www.digikey.com/p/1965-ESP32", "specs": {"flash_mb": 4},
    "alternatives": [{"name": "ESP32-S3"}], "notes": "agents may add keys"}]}$$, null) -> 'artifact' ->> 'id'), true);
select set_config('t.wiring', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'wiring', 'Wiring',
  null, $${"steps": [{"from_part": "ESP32", "from_pin": "3V3", "from_pin_type": "power", "to_part": "BME280",
    "to_pin": "VIN", "to_pin_type": "power", "voltage": 3.3, "signal_type": "power", "wire_color": "red",
    "warnings": ["Never connect to 5V"], "instruction": "Connect 3V3 to VIN"}]}$$, null) -> 'artifact' ->> 'id'), true);
select set_config('t.code', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'code', 'Firmware', null,
  $${"files": [{"filename": "src/main.cpp", "language": "cpp", "platform": "esp32", "content": "void setup() {}",
    "unit": 1, "required_libraries": ["Adafruit BME280"], "production_ready": false}]}$$, null) -> 'artifact' ->> 'id'), true);
select ok(current_setting('t.bom') <> '' and current_setting('t.wiring') <> '' and current_setting('t.code') <> '',
  'valid bom, wiring and code content is accepted (extra keys are kept)');

-- the structured types need content_json in their format
select throws_ok(format($$ select public.add_artifact_version(%L, content => 'just text') $$, current_setting('t.bom')), '22023',
  'content_json is required for a bom artifact', 'a bom needs content_json');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => '[]') $$, current_setting('t.bom')), '22023',
  'content_json must be a JSON object with a "components" array for a bom artifact', 'a bom is an object with components');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => '{"components": {}}') $$, current_setting('t.bom')),
  '22023', 'content_json must be a JSON object with a "components" array for a bom artifact', 'components must be an array');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => '{"steps": 1}') $$, current_setting('t.wiring')),
  '22023', 'content_json must be a JSON object with a "steps" array for a wiring artifact', 'steps must be an array');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => '{}') $$, current_setting('t.code')),
  '22023', 'content_json must be a JSON object with a "files" array for a code artifact', 'code needs files');

-- bom, field by field
create temporary table bom_cases (component jsonb, message text, description text) on commit drop;
insert into bom_cases values
  ('"ESP32"', 'content_json.components[1] must be a JSON object', 'a component is an object'),
  ('{"quantity": 1, "unit_price": 1, "currency": "USD"}', 'content_json.components[1].name is required', 'name is required'),
  ('{"name": "  ", "quantity": 1, "unit_price": 1, "currency": "USD"}',
    'content_json.components[1].name must be a non-empty string of at most 200 characters', 'name must not be blank'),
  ('{"name": 42, "quantity": 1, "unit_price": 1, "currency": "USD"}',
    'content_json.components[1].name must be a non-empty string of at most 200 characters', 'name must be a string'),
  ('{"name": "R", "unit_price": 1, "currency": "USD"}', 'content_json.components[1].quantity is required', 'quantity is required'),
  ('{"name": "R", "quantity": 0, "unit_price": 1, "currency": "USD"}',
    'content_json.components[1].quantity must be an integer greater than 0', 'quantity 0 is rejected'),
  ('{"name": "R", "quantity": 2.5, "unit_price": 1, "currency": "USD"}',
    'content_json.components[1].quantity must be an integer greater than 0', 'a fractional quantity is rejected'),
  ('{"name": "R", "quantity": "2", "unit_price": 1, "currency": "USD"}',
    'content_json.components[1].quantity must be an integer greater than 0', 'a quantity in a string is rejected'),
  ('{"name": "R", "quantity": 1, "currency": "USD"}', 'content_json.components[1].unit_price is required', 'unit_price is required'),
  ('{"name": "R", "quantity": 1, "unit_price": -0.01, "currency": "USD"}',
    'content_json.components[1].unit_price must be a number greater than or equal to 0', 'a negative price is rejected'),
  ('{"name": "R", "quantity": 1, "unit_price": "cheap", "currency": "USD"}',
    'content_json.components[1].unit_price must be a number greater than or equal to 0', 'a price must be a number'),
  ('{"name": "R", "quantity": 1, "unit_price": 1}', 'content_json.components[1].currency is required', 'currency is required'),
  ('{"name": "R", "quantity": 1, "unit_price": 1, "currency": "dollars"}',
    'content_json.components[1].currency must be an ISO 4217 currency code such as "USD"', 'currency must be ISO 4217'),
  ('{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD", "voltage": "high"}',
    'content_json.components[1].voltage must be a number of volts or a string such as "3.3V", "500mV" or "3.3-5V"',
    'an unreadable voltage is rejected'),
  ('{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD", "supplier_url": "ftp://x.example/r"}',
    'content_json.components[1].supplier_url must be an http(s) URL of at most 2048 characters', 'supplier_url must be http(s)'),
  ('{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD", "specs": [1]}',
    'content_json.components[1].specs must be a JSON object', 'specs must be an object'),
  ('{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD", "alternatives": "none"}',
    'content_json.components[1].alternatives must be an array of at most 50 items', 'alternatives must be an array'),
  ('{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD", "part_number": 7}',
    'content_json.components[1].part_number must be a string of at most 200 characters', 'part_number must be a string'),
  ('{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD", "current": true}',
    'content_json.components[1].current must be a number of amperes or a string such as "500mA" (at most 50 characters)',
    'current must be a number or a string');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => jsonb_build_object('components',
    jsonb_build_array('{"name": "ok", "quantity": 1, "unit_price": 1, "currency": "USD"}'::jsonb, %L::jsonb))) $$,
    current_setting('t.bom'), c.component), '22023', c.message, 'bom: ' || c.description)
from bom_cases c;

-- wiring, field by field
create temporary table wiring_cases (step jsonb, message text, description text) on commit drop;
insert into wiring_cases values
  ('{"from_pin": "D1", "to_part": "B", "to_pin": "SDA"}', 'content_json.steps[1].from_part is required', 'from_part is required'),
  ('{"from_part": "A", "to_part": "B", "to_pin": "SDA"}', 'content_json.steps[1].from_pin is required', 'from_pin is required'),
  ('{"from_part": "A", "from_pin": "D1", "to_pin": "SDA"}', 'content_json.steps[1].to_part is required', 'to_part is required'),
  ('{"from_part": "A", "from_pin": "D1", "to_part": "B", "to_pin": ""}',
    'content_json.steps[1].to_pin must be a non-empty string of at most 100 characters', 'to_pin must not be empty'),
  ('{"from_part": "A", "from_pin": "D1", "to_part": "B", "to_pin": "SDA", "signal_type": "magic"}',
    'content_json.steps[1].signal_type must be one of power, ground, digital, analog, pwm, i2c, spi, uart, one_wire, can, usb, other',
    'an unknown signal type is rejected'),
  ('{"from_part": "A", "from_pin": "D1", "to_part": "B", "to_pin": "SDA", "voltage": "lots"}',
    'content_json.steps[1].voltage must be a number of volts or a string such as "3.3V", "500mV" or "3.3-5V"',
    'an unreadable voltage is rejected'),
  ('{"from_part": "A", "from_pin": "D1", "to_part": "B", "to_pin": "SDA", "warnings": "careful"}',
    'content_json.steps[1].warnings must be an array of at most 20 strings', 'warnings must be an array'),
  ('{"from_part": "A", "from_pin": "D1", "to_part": "B", "to_pin": "SDA", "warnings": ["ok", 3]}',
    'content_json.steps[1].warnings[1] must be a non-empty string of at most 500 characters', 'each warning is a string'),
  ('{"from_part": "A", "from_pin": "D1", "to_part": "B", "to_pin": "SDA", "wire_color": ["red"]}',
    'content_json.steps[1].wire_color must be a string of at most 30 characters', 'wire_color must be a string');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => jsonb_build_object('steps',
    jsonb_build_array('{"from_part": "A", "from_pin": "D1", "to_part": "B", "to_pin": "SDA"}'::jsonb, %L::jsonb))) $$,
    current_setting('t.wiring'), c.step), '22023', c.message, 'wiring: ' || c.description)
from wiring_cases c;

-- code, field by field
create temporary table code_cases (file jsonb, message text, description text) on commit drop;
insert into code_cases values
  ('{"language": "cpp", "content": "x"}', 'content_json.files[1].filename is required', 'filename is required'),
  ('{"filename": "../secrets.h", "language": "cpp", "content": "x"}',
    'content_json.files[1].filename must be a relative path without ".." or backslashes', 'filename cannot climb out'),
  ('{"filename": "/etc/x.h", "language": "cpp", "content": "x"}',
    'content_json.files[1].filename must be a relative path without ".." or backslashes', 'filename must be relative'),
  ('{"filename": "main.cpp", "language": "cpp", "content": "x"}',
    'content_json.files[1].filename "main.cpp" is repeated: file names must be unique', 'file names are unique'),
  ('{"filename": "b.cpp", "content": "x"}', 'content_json.files[1].language is required', 'language is required'),
  ('{"filename": "b.cpp", "language": "cpp"}', 'content_json.files[1].content is required', 'content is required'),
  ('{"filename": "b.cpp", "language": "cpp", "content": "x", "unit": 4}',
    'content_json.files[1].unit must be 1 (calibration), 2 (minimal) or 3 (full)', 'unit is 1, 2 or 3'),
  ('{"filename": "b.cpp", "language": "cpp", "content": "x", "required_libraries": ["Wire", ""]}',
    'content_json.files[1].required_libraries[1] must be a non-empty string of at most 200 characters',
    'each library is a non-empty string'),
  ('{"filename": "b.cpp", "language": "cpp", "content": "x", "production_ready": "yes"}',
    'content_json.files[1].production_ready must be true or false', 'production_ready is a boolean');
select throws_ok(format($$ select public.add_artifact_version(%L, content_json => jsonb_build_object('files',
    jsonb_build_array('{"filename": "main.cpp", "language": "cpp", "content": "x"}'::jsonb, %L::jsonb))) $$,
    current_setting('t.code'), c.file), '22023', c.message, 'code: ' || c.description)
from code_cases c;

select results_eq($$ select current_version from public.artifacts where chat_id = current_setting('t.chat')::uuid order by created_at $$,
  $$ values (1), (1), (1) $$, 'no rejected content was written');

-- voltages
select results_eq(
  $$ select private.parse_voltage(v) from (values ('3.3'::jsonb), ('"3.3V"'), ('"5 V"'), ('"12VDC"'), ('"500mV"'),
       ('"3.3-5V"'), ('"3.3V - 5V"'), ('"3.3 to 5 v"'), ('"5/3.3V"'), ('"high"'), ('"-5V"'), ('null'), ('true')) t (v) $$,
  $$ values (array[3.3, 3.3]::numeric[]), (array[3.3, 3.3]), (array[5, 5]), (array[12, 12]), (array[0.5, 0.5]),
       (array[3.3, 5]), (array[3.3, 5]), (array[3.3, 5]), (array[3.3, 5]), (null), (null), (null), (null) $$,
  'voltages parse to {min, max} volts; ranges in either order; anything else is not a voltage');

select * from finish();
rollback;
