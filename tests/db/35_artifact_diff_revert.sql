-- diff_artifact_versions (text hunks, JSON paths, BOM parts with costs, file paths) and
-- revert_artifact (a revert appends a version; a revert of a revert works), against known values.
begin;
select plan(42);

select tests.create_user('alice');
select tests.create_user('carol');
select tests.create_user('dave');
select tests.authenticate_as('alice');
select set_config('t.chat', (public.create_chat(title => 'Weather')).id::text, true);
select public.add_chat_member(current_setting('t.chat')::uuid, tests.get_user_id('carol'), 'viewer');

-- text
select set_config('t.prd', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'prd', 'PRD',
  e'# Weather station\nMeasure temperature\nShow it on an OLED\nLog every minute\n', null, null) -> 'artifact' ->> 'id'), true);
select public.add_artifact_version(current_setting('t.prd')::uuid,
  content => e'# Weather station\nMeasure temperature and humidity\nShow it on an OLED\nLog every minute\nSend to the cloud\n');
select set_config('t.d', public.diff_artifact_versions(current_setting('t.prd')::uuid, 1, 2)::text, true);
select is(current_setting('t.d')::jsonb -> 'content' ->> 'unified',
  e'@@ -1,4 +1,5 @@\n # Weather station\n-Measure temperature\n+Measure temperature and humidity\n Show it on an OLED\n Log every minute\n+Send to the cloud\n',
  'a text diff is a unified diff');
select is(current_setting('t.d')::jsonb -> 'content' -> 'hunks',
  '[{"from_start": 1, "from_count": 4, "to_start": 1, "to_count": 5, "header": "@@ -1,4 +1,5 @@",
     "lines": [" # Weather station", "-Measure temperature", "+Measure temperature and humidity", " Show it on an OLED",
               " Log every minute", "+Send to the cloud"]}]'::jsonb,
  'with structured hunks');
select results_eq(
  $$ select (d ->> 'type'), (d ->> 'from_version')::int, (d ->> 'to_version')::int, (d ->> 'identical')::boolean,
       (d -> 'content' ->> 'lines_added')::int, (d -> 'content' ->> 'lines_removed')::int,
       (d -> 'content' ->> 'approximate')::boolean, d -> 'content_json', d -> 'bom', d -> 'file_path'
     from (select current_setting('t.d')::jsonb as d) x $$,
  $$ values ('prd', 1, 2, false, 2, 1, false, 'null'::jsonb, 'null'::jsonb, 'null'::jsonb) $$,
  'counts, and no JSON, BOM or file sections for a text change');
select results_eq(
  format($$ select (d -> 'content' ->> 'lines_added')::int, (d -> 'content' ->> 'lines_removed')::int
    from (select public.diff_artifact_versions(%L, 2, 1) as d) x $$, current_setting('t.prd')),
  $$ values (1, 2) $$, 'versions can be compared in either order');
select results_eq(
  format($$ select (d ->> 'identical')::boolean, d -> 'content' from (select public.diff_artifact_versions(%L, 2, 2) as d) x $$,
    current_setting('t.prd')),
  $$ values (true, 'null'::jsonb) $$, 'a version compared with itself is identical');
select is(private.diff_text(e'one\ntwo', e'one\ntwo\n') ->> 'unified',
  e'@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of file\n+two\n', 'a missing final newline is a change, marked as in git');
select is(private.diff_text(e'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n', e'a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\nL\nm\n') ->> 'unified',
  e'@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n@@ -9,5 +9,5 @@\n i\n j\n k\n-l\n+L\n m\n',
  'changes more than six lines apart make separate hunks with three lines of context');
select is(private.diff_text('', e'x\ny\n') ->> 'unified', e'@@ -0,0 +1,2 @@\n+x\n+y\n', 'from nothing');
select is(private.diff_text(e'the\nquick\nbrown\nfox\njumps\nover\nthe\nlazy\ndog\n',
  e'the\nslow\nbrown\ncat\njumps\nthe\nlazy\nsleepy\ndog\n') ->> 'lines_removed', '3', 'the diff is a shortest one (3 removed)');
select results_eq(
  $$ select (d ->> 'approximate')::boolean, (d ->> 'lines_added')::int, (d ->> 'lines_removed')::int, jsonb_array_length(d -> 'hunks')
     from (select private.diff_text(
       (select string_agg(case when i % 10 = 0 then 'x' || i else 'l' || i end, e'\n') from generate_series(1, 3000) i),
       (select string_agg(case when i % 10 = 0 then 'y' || i else 'l' || i end, e'\n') from generate_series(1, 3000) i)) as d) x $$,
  $$ values (true, 300, 300, 300) $$,
  'past the step budget the diff is anchored on unique lines, still exact here, and says approximate');

-- JSON
select set_config('t.ov', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'overview', 'Overview', null,
  '{"goal": "log weather", "sensors": ["DHT22"], "power": {"source": "USB", "volts": 5}}', null) -> 'artifact' ->> 'id'), true);
select public.add_artifact_version(current_setting('t.ov')::uuid,
  content_json => '{"goal": "log weather", "sensors": ["BME280", "LDR"], "power": {"source": "USB"}, "enclosure": "IP65"}');
select is(public.diff_artifact_versions(current_setting('t.ov')::uuid, 1, 2) -> 'content_json',
  '{"added": [{"path": "content_json.enclosure", "value": "IP65"}, {"path": "content_json.sensors[1]", "value": "LDR"}],
    "removed": [{"path": "content_json.power.volts", "value": 5}],
    "changed": [{"path": "content_json.sensors[0]", "old": "DHT22", "new": "BME280"}]}'::jsonb,
  'a JSON diff lists added, removed and changed leaf paths');
select is(private.diff_json('{"a": {"b": 1}, "c": []}', '{"a": {}, "c": [true], "odd key": null}'),
  '{"added": [{"path": "content_json.c[0]", "value": true}, {"path": "content_json[\"odd key\"]", "value": null}],
    "removed": [{"path": "content_json.a.b", "value": 1}], "changed": []}'::jsonb,
  'emptied containers show as removals; odd keys are quoted; null is a value');

-- BOM
select set_config('t.bom', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  $${"components": [
    {"name": "ESP32-DevKitC", "part_number": "ESP32-DEVKITC-32E", "quantity": 1, "unit_price": 12.5, "currency": "USD"},
    {"name": "DHT22", "quantity": 1, "unit_price": 9.95, "currency": "USD"},
    {"name": "OLED 0.96in", "quantity": 1, "unit_price": 6.5, "currency": "USD"}]}$$, null) -> 'artifact' ->> 'id'), true);
select public.add_artifact_version(current_setting('t.bom')::uuid, content_json => $${"components": [
    {"name": "ESP32 DevKitC v4", "part_number": "esp32-devkitc-32e", "quantity": 2, "unit_price": 12.5, "currency": "USD"},
    {"name": "BME280", "quantity": 1, "unit_price": 7.5, "currency": "USD"},
    {"name": "oled 0.96in", "quantity": 1, "unit_price": 6.0, "currency": "USD"}], "notes": "cheaper display"}$$);
select set_config('t.d', (public.diff_artifact_versions(current_setting('t.bom')::uuid, 1, 2) -> 'bom')::text, true);
select results_eq(
  $$ select p ->> 'name', (p ->> 'cost')::numeric from jsonb_array_elements(current_setting('t.d')::jsonb -> 'added') p $$,
  $$ values ('BME280', 7.5) $$, 'BOM diff: BME280 added, with its cost');
select results_eq(
  $$ select p ->> 'name', (p ->> 'cost')::numeric from jsonb_array_elements(current_setting('t.d')::jsonb -> 'removed') p $$,
  $$ values ('DHT22', 9.95) $$, 'DHT22 removed, with its cost');
select is(current_setting('t.d')::jsonb -> 'changed',
  '[{"name": "ESP32 DevKitC v4", "part_number": "esp32-devkitc-32e", "old_position": 0, "new_position": 0,
     "changes": [{"field": "name", "old": "ESP32-DevKitC", "new": "ESP32 DevKitC v4"},
                 {"field": "part_number", "old": "ESP32-DEVKITC-32E", "new": "esp32-devkitc-32e"},
                 {"field": "quantity", "old": 1, "new": 2}],
     "old_cost": 12.5, "old_currency": "USD", "new_cost": 25.0, "new_currency": "USD", "cost_delta": 12.5},
    {"name": "oled 0.96in", "part_number": null, "old_position": 2, "new_position": 2,
     "changes": [{"field": "name", "old": "OLED 0.96in", "new": "oled 0.96in"},
                 {"field": "unit_price", "old": 6.5, "new": 6.0}],
     "old_cost": 6.5, "old_currency": "USD", "new_cost": 6.0, "new_currency": "USD", "cost_delta": -0.5}]'::jsonb,
  'changed parts (matched by part number, else name, case-insensitively) list each field old → new and the cost delta');
select is(current_setting('t.d')::jsonb -> 'totals',
  '[{"currency": "USD", "old_total": 28.95, "new_total": 38.5, "delta": 9.55}]'::jsonb, 'totals per currency');
select is((current_setting('t.d')::jsonb ->> 'cost_delta')::numeric, 9.55, 'and the cost delta');
select is(current_setting('t.d')::jsonb -> 'other',
  '{"added": [{"path": "content_json.notes", "value": "cheaper display"}], "removed": [], "changed": []}'::jsonb,
  'keys besides components are diffed as JSON');
select is((current_setting('t.d')::jsonb ->> 'unchanged_count')::int, 0, 'no part unchanged');
select is(private.diff_bom(
  '{"components": [{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD"}, {"name": "R", "quantity": 2, "unit_price": 1, "currency": "EUR"}]}',
  '{"components": [{"name": "R", "quantity": 1, "unit_price": 1, "currency": "USD"}, {"name": "R", "quantity": 3, "unit_price": 1, "currency": "EUR"}]}')
  - 'other',
  '{"added": [], "removed": [], "unchanged_count": 1, "cost_delta": null,
    "changed": [{"name": "R", "part_number": null, "old_position": 1, "new_position": 1,
      "changes": [{"field": "quantity", "old": 2, "new": 3}], "old_cost": 2, "old_currency": "EUR", "new_cost": 3,
      "new_currency": "EUR", "cost_delta": 1}],
    "totals": [{"currency": "EUR", "old_total": 2, "new_total": 3, "delta": 1}, {"currency": "USD", "old_total": 1, "new_total": 1, "delta": 0}]}'::jsonb,
  'duplicates match in order; several currencies give totals per currency and no single cost delta');

-- file paths
select set_config('t.fig', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'circuit_diagram',
  'Schematic', 'Rev A', null, null) -> 'artifact' ->> 'id'), true);
select public.add_artifact_version(current_setting('t.fig')::uuid, content => 'Rev A', file_path => 'generated/schematic-b.png');
select is(public.diff_artifact_versions(current_setting('t.fig')::uuid, 1, 2) -> 'file_path',
  '{"from": null, "to": "generated/schematic-b.png"}'::jsonb, 'a file change is reported as from → to');

-- errors and access
select throws_ok(format($$ select public.diff_artifact_versions(%L, 1, 9) $$, current_setting('t.prd')), 'PT404',
  'version 9 not found', 'a missing version is a 404');
select throws_ok(format($$ select public.diff_artifact_versions(%L, null, 2) $$, current_setting('t.prd')), '22023',
  'from_version and to_version are required', 'both versions are required');
select tests.authenticate_as('carol');
select is((public.diff_artifact_versions(current_setting('t.prd')::uuid, 1, 2) -> 'content' ->> 'lines_added')::int, 2,
  'a viewer compares versions');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.diff_artifact_versions(%L, 1, 2) $$, current_setting('t.prd')), 'PT404',
  'artifact not found', 'a stranger cannot');
select tests.clear_authentication();
select throws_ok(format($$ select public.diff_artifact_versions(%L, 1, 2) $$, current_setting('t.prd')), '42501', null,
  'nor anon');

-- revert
select tests.authenticate_as('alice');
select set_config('t.r', public.revert_artifact(current_setting('t.prd')::uuid, 1)::text, true);
select results_eq(
  $$ select (r ->> 'created')::boolean, (r -> 'version' ->> 'version_number')::int, r -> 'version' ->> 'change_summary',
       (r -> 'version' ->> 'reverted_from_version_id')::uuid, (r -> 'artifact' ->> 'current_version')::int
     from (select current_setting('t.r')::jsonb as r) x $$,
  format($$ values (true, 3, 'Revert to version 1', %L::uuid, 3) $$,
    (select id from public.artifact_versions where artifact_id = current_setting('t.prd')::uuid and version_number = 1)),
  'reverting to version 1 appends version 3, naming its source');
select is(public.get_artifact(current_setting('t.prd')::uuid) -> 'version' ->> 'content',
  e'# Weather station\nMeasure temperature\nShow it on an OLED\nLog every minute\n', 'with version 1''s content');
select is((public.diff_artifact_versions(current_setting('t.prd')::uuid, 1, 3) ->> 'identical')::boolean, true,
  'version 3 is identical to version 1');
select is(public.diff_artifact_versions(current_setting('t.prd')::uuid, 2, 3) -> 'content' ->> 'unified',
  e'@@ -1,5 +1,4 @@\n # Weather station\n-Measure temperature and humidity\n+Measure temperature\n Show it on an OLED\n Log every minute\n-Send to the cloud\n',
  'and undoes version 2');
select is((public.revert_artifact(current_setting('t.prd')::uuid, 2, change_summary => 'Back to the cloud version')
  -> 'version' ->> 'version_number')::int, 4, 'a revert of the revert appends version 4');
select is((public.diff_artifact_versions(current_setting('t.prd')::uuid, 2, 4) ->> 'identical')::boolean, true,
  'version 4 has version 2''s content');
select results_eq(format($$ select version_number, change_summary from public.list_artifact_versions(%L) $$, current_setting('t.prd')),
  $$ values (4, 'Back to the cloud version'), (3, 'Revert to version 1'), (2, null), (1, 'Created') $$,
  'history is kept whole');
select is(public.revert_artifact(current_setting('t.prd')::uuid, 4) ->> 'created', 'false',
  'reverting to the content it already has writes nothing');
select is((public.revert_artifact(current_setting('t.bom')::uuid, 1) -> 'artifact' ->> 'current_version')::int, 3,
  'a BOM reverts too');
select is((public.diff_artifact_versions(current_setting('t.bom')::uuid, 2, 3) -> 'bom' ->> 'cost_delta')::numeric, -9.55,
  'and the diff shows the cost going back');
select throws_ok(format($$ select public.revert_artifact(%L, 9) $$, current_setting('t.prd')), 'PT404', 'version 9 not found',
  'reverting to a missing version is a 404');
select throws_ok(format($$ select public.revert_artifact(%L, null) $$, current_setting('t.prd')), '22023',
  'to_version is required', 'to_version is required');
select tests.authenticate_as('carol');
select throws_ok(format($$ select public.revert_artifact(%L, 1) $$, current_setting('t.prd')), '42501',
  'you may read this artifact but not change it', 'a viewer cannot revert');
select tests.authenticate_as('dave');
select throws_ok(format($$ select public.revert_artifact(%L, 1) $$, current_setting('t.prd')), 'PT404', 'artifact not found',
  'a stranger cannot revert');
select tests.clear_authentication();
select throws_ok(format($$ select public.revert_artifact(%L, 1) $$, current_setting('t.prd')), '42501', null, 'nor anon');
select tests.authenticate_as('alice');
select is((select current_version from public.artifacts where id = current_setting('t.prd')::uuid), 4,
  'denied reverts changed nothing');

select * from finish();
rollback;
