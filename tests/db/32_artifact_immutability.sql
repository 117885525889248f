-- Artifact versions are immutable: no role may update or delete them (the service role included),
-- a trigger stops the table owner and superusers too, and the only delete is the cascade from
-- deleting the artifact. Writers that bypass the RPCs still get numbering, hashing and validation.
begin;
select plan(27);

select has_trigger('public', 'artifact_versions', 'artifact_versions_100_refuse_change', 'the immutability trigger exists');
select has_trigger('public', 'artifact_versions', 'artifact_versions_100_place', 'the numbering trigger exists');
select ok(not has_any_column_privilege(r.rolname, 'public.artifact_versions', 'UPDATE'),
  format('%s has no UPDATE right on artifact_versions', r.rolname))
from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') order by r.rolname;
select ok(not has_table_privilege(r.rolname, 'public.artifact_versions', 'DELETE')
    and not has_table_privilege(r.rolname, 'public.artifact_versions', 'TRUNCATE'),
  format('%s has no DELETE or TRUNCATE right on artifact_versions', r.rolname))
from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') order by r.rolname;

select tests.create_user('alice');
select tests.authenticate_as('alice');
select set_config('t.project', (public.create_project('Weather station')).id::text, true);
select set_config('t.chat', (public.create_chat(title => 'Weather', project_id => current_setting('t.project')::uuid)).id::text,
  true);
select set_config('t.a', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'bom', 'BOM', null,
  '{"components": [{"name": "ESP32", "quantity": 1, "unit_price": 9.5, "currency": "USD"}]}', null) -> 'artifact' ->> 'id'), true);
select public.add_artifact_version(current_setting('t.a')::uuid,
  content_json => '{"components": [{"name": "ESP32", "quantity": 2, "unit_price": 9.5, "currency": "USD"}]}');
select set_config('t.v1', (select id::text from public.artifact_versions where artifact_id = current_setting('t.a')::uuid
  and version_number = 1), true);

-- the owner of the chat
select throws_ok(format($$ update public.artifact_versions set change_summary = 'rewritten' where id = %L $$, current_setting('t.v1')),
  '42501', null, 'the artifact''s owner cannot update a version');
select throws_ok(format($$ delete from public.artifact_versions where id = %L $$, current_setting('t.v1')), '42501', null,
  'nor delete one');

-- the service role
select tests.authenticate_as_service_role();
select throws_ok(format($$ update public.artifact_versions set content_json = '{}' where id = %L $$, current_setting('t.v1')),
  '42501', null, 'the service role cannot update a version');
select throws_ok(format($$ delete from public.artifact_versions where id = %L $$, current_setting('t.v1')), '42501', null,
  'nor delete one');
-- it writes through the same trigger: numbered, hashed, validated
select results_eq(
  format($$ insert into public.artifact_versions (artifact_id, content_json, created_by)
    values (%L, '{"components": [{"name": "ESP32", "quantity": 3, "unit_price": 9.5, "currency": "USD"}]}', %L)
    returning version_number, parent_version_id is not null, content_hash = private.artifact_content_hash(null, content_json, null) $$,
    current_setting('t.a'), tests.get_user_id('alice')),
  $$ values (3, true, true) $$, 'a service-role insert is numbered current + 1, parented and hashed');
select throws_ok(format($$ insert into public.artifact_versions (artifact_id, content_json)
    values (%L, '{"components": [{"name": "ESP32", "quantity": -1, "unit_price": 9.5, "currency": "USD"}]}') $$, current_setting('t.a')),
  '22023', 'content_json.components[0].quantity must be an integer greater than 0',
  'and validated like any other');
select throws_ok(format($$ insert into public.artifact_versions (artifact_id, content_json, reverted_from_version_id)
    values (%L, '{"components": []}', gen_random_uuid()) $$, current_setting('t.a')), '22023',
  'reverted_from_version_id is not a version of this artifact', 'a revert must name a version of the same artifact');
select results_eq(format($$ select current_version, total_versions from public.artifacts where id = %L $$, current_setting('t.a')),
  $$ values (3, 3) $$, 'the artifact''s counters follow');

-- the table owner / a superuser
reset role;
select throws_ok(format($$ update public.artifact_versions set change_summary = 'rewritten' where id = %L $$, current_setting('t.v1')),
  '42501', 'artifact versions are immutable', 'a superuser cannot update a version');
select throws_ok(format($$ update public.artifact_versions set version_number = 7 where artifact_id = %L $$, current_setting('t.a')),
  '42501', 'artifact versions are immutable', 'nor renumber them');
select throws_ok(format($$ delete from public.artifact_versions where id = %L $$, current_setting('t.v1')), '42501',
  'artifact versions are immutable', 'nor delete one while its artifact exists');
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.a')::uuid), 3,
  'all versions are still there');
select is((select change_summary from public.artifact_versions where id = current_setting('t.v1')::uuid), 'Created',
  'unchanged');
select is((select count(*)::int from public.parts p join public.artifact_versions v on v.id = p.artifact_version_id
  where v.artifact_id = current_setting('t.a')::uuid), 3, 'each version materialised its parts');

-- deleting the artifact deletes its versions and what they materialised
select tests.authenticate_as_service_role();
select lives_ok(format($$ delete from public.artifacts where id = %L $$, current_setting('t.a')),
  'the service role deletes the artifact');
reset role;
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.a')::uuid), 0,
  'its versions went with it (the cascade is the one delete allowed)');
select is((select count(*)::int from public.parts where artifact_id = current_setting('t.a')::uuid), 0,
  'and their parts');

-- a superuser deleting an artifact cascades too
select tests.authenticate_as('alice');
select set_config('t.b', (public.create_artifact_with_version(current_setting('t.chat')::uuid, null, 'prd', 'PRD', 'v1', null, null)
  -> 'artifact' ->> 'id'), true);
select public.add_artifact_version(current_setting('t.b')::uuid, content => 'v2');
reset role;
delete from public.artifacts where id = current_setting('t.b')::uuid;
select is((select count(*)::int from public.artifact_versions where artifact_id = current_setting('t.b')::uuid), 0,
  'a superuser deleting an artifact deletes its versions');
select tests.authenticate_as('alice');
select throws_ok(format($$ delete from public.artifacts where chat_id = %L $$, current_setting('t.chat')), '42501', null,
  'users cannot delete artifacts (they hide them)');

select * from finish();
rollback;
