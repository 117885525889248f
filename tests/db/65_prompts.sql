-- The prompt registry: prompts with immutable versions, variants by provider and tier, labels and
-- their history, rollback, protected labels (production: admins and the service role only), who
-- reads what (RLS), the seeded production prompts of the built-in agents, and bad input.
begin;
select plan(93);

-- ------------------------------------------------------------------ structure
select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.prompts'::regclass,
  'public.prompt_versions'::regclass, 'public.prompt_labels'::regclass, 'public.prompt_label_history'::regclass,
  'public.prompt_admins'::regclass)), 'registry tables have RLS');
select policies_are('public', 'prompts', array['prompts_select_registry_or_builtin', 'prompts_insert_registry',
  'prompts_update_registry']);
select policies_are('public', 'prompt_versions', array['prompt_versions_select_registry_or_production',
  'prompt_versions_insert_registry']);
select policies_are('public', 'prompt_labels', array['prompt_labels_select_registry_or_builtin',
  'prompt_labels_insert_mover', 'prompt_labels_update_mover']);
select has_trigger('public', 'prompt_versions', 'prompt_versions_100_refuse_change', 'versions have the immutability trigger');
select ok(not has_table_privilege(r.rolname, 'public.prompt_versions', 'UPDATE')
    and not has_table_privilege(r.rolname, 'public.prompt_versions', 'DELETE'),
  format('%s may not update or delete versions', r.rolname))
from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') order by r.rolname;
select ok(not has_table_privilege('anon', t, 'SELECT'), format('anon cannot read %s', t))
from unnest(array['public.prompts', 'public.prompt_versions', 'public.prompt_labels', 'public.prompt_label_history',
  'public.prompt_admins']) t;
select function_privs_are('public', 'get_prompt', array['text', 'text', 'integer', 'text', 'integer'], 'anon',
  array[]::text[], 'anon cannot call get_prompt');
select function_privs_are('public', 'service_role_set_prompt_admin', array['uuid', 'text'], 'authenticated',
  array[]::text[], 'users cannot name prompt admins');

-- ------------------------------------------------------------------ the seeded production prompts
select results_eq(
  $$ select a.name::text from public.agents a where a.owner_id is null
     and not exists (select 1 from public.prompt_labels l where l.prompt_name = a.prompt_name and l.label = 'production'
       and l.variant = 'base')
     order by 1 $$,
  $$ select null::text where false $$,
  'every built-in agent''s prompt has a production version');
select is((select array_agg(distinct v.model order by v.model) <@ (select array_agg(p.model) from public.model_prices p)
  from public.prompt_versions v), true, 'the seeded models all have prices');
select is((select count(*)::int from public.prompt_label_history where action = 'set' and from_version is null
  and prompt_name in (select prompt_name from public.agents where owner_id is null)), 7,
  'seeding the labels recorded their first moves');

select tests.create_user('alice');
select tests.create_user('eddie');
select tests.create_user('bob');

-- ------------------------------------------------------------------ admins
select tests.authenticate_as('alice');
select throws_ok($$ select public.create_prompt_version('support', 'Hi') $$, '42501',
  'only prompt admins and editors may change prompts', 'a plain user cannot create prompts');
select tests.authenticate_as_service_role();
select is(public.service_role_set_prompt_admin(tests.get_user_id('alice')) ->> 'role', 'admin', 'the service role names an admin');
select is(public.service_role_set_prompt_admin(tests.get_user_id('eddie'), 'editor') ->> 'role', 'editor', 'and an editor');
select throws_ok(format($$ select public.service_role_set_prompt_admin(%L, 'owner') $$, tests.get_user_id('bob')), '22023',
  'role must be editor, admin or null (to remove)', 'an unknown role is refused');
select throws_ok($$ select public.service_role_set_prompt_admin(gen_random_uuid(), 'admin') $$, 'PT404',
  'user not found', 'an unknown user is refused');

-- ------------------------------------------------------------------ versions
select tests.authenticate_as('alice');
select set_config('t.v1', public.create_prompt_version('support', E'Hello {{name}}.\nAbout {{ topic }}, {{name}}.',
  model => 'openai/gpt-4o-mini', params => '{"temperature": 0.2}', labels => '{staging}',
  commit_message => 'first', description => 'Support answers', tags => '{Support, ex-ai}')::text, true);
select is((current_setting('t.v1')::jsonb -> 'version' ->> 'version')::int, 1, 'the first version is 1');
select is(current_setting('t.v1')::jsonb -> 'version' -> 'variables', '["name", "topic"]'::jsonb,
  'its variables, in order, each once');
select is((current_setting('t.v1')::jsonb ->> 'created_prompt')::boolean, true, 'the prompt was created');
select is(current_setting('t.v1')::jsonb -> 'labels', '[{"label": "staging", "version": 1, "previous_version": null}]'::jsonb,
  'and staging points at it');
select results_eq($$ select description, tags from public.prompts where name = 'support' $$,
  $$ values ('Support answers', '{ex-ai,support}'::text[]) $$, 'description and tags (normalised)');
select is((public.create_prompt_version('support', E'Hello {{name}}.\nAbout {{ topic }}, {{name}}.',
  model => 'openai/gpt-4o-mini', params => '{"temperature": 0.2}') ->> 'created')::boolean, false,
  'the same template again creates nothing (a retry)');
select is((select count(*)::int from public.prompt_versions where prompt_name = 'support'), 1, 'still one version');
select is((public.create_prompt_version('support', E'Hello {{name}}.\nAbout {{topic}}, dear {{name}}.',
  model => 'openai/gpt-4o', labels => '{production}', commit_message => 'warmer') -> 'version' ->> 'version')::int, 2,
  'a new template is version 2');

-- get_prompt
select results_eq($$ select version, label, variant, model from public.get_prompt('support') $$,
  $$ values (2, 'production', 'base', 'openai/gpt-4o') $$, 'get_prompt: production by default');
select results_eq($$ select version, label from public.get_prompt('support', label => 'staging') $$,
  $$ values (1, 'staging') $$, 'a label');
select results_eq($$ select version, label from public.get_prompt('support', label => 'latest') $$,
  $$ values (2, 'latest') $$, 'latest is the newest version');
select results_eq($$ select version, label, template from public.get_prompt('support', version => 1) $$,
  $$ values (1, null::text, E'Hello {{name}}.\nAbout {{ topic }}, {{name}}.') $$, 'a version by number');
select throws_ok($$ select public.get_prompt('support', label => 'canary') $$, 'PT404', 'prompt support has no canary version',
  'a label that does not exist');
select throws_ok($$ select public.get_prompt('support', version => 9) $$, 'PT404', 'version 9 of prompt support not found',
  'a version that does not exist');
select throws_ok($$ select public.get_prompt('nope') $$, 'PT404', 'prompt nope has no production version', 'a prompt that does not exist');

-- variants: kimi, kimi tier 2
select is((public.create_prompt_version('support', 'Kimi {{name}}', provider => 'kimi', labels => '{production}')
  -> 'version' ->> 'variant'), 'kimi', 'a provider variant');
select is((public.create_prompt_version('support', 'Kimi tier 2 {{name}}', provider => 'kimi', tier => 2,
  labels => '{production}') -> 'version' ->> 'version')::int, 4, 'versions are numbered per prompt across variants');
select results_eq($$ select version, variant from public.get_prompt('support', provider => 'kimi', tier => 2) $$,
  $$ values (4, 'kimi/2') $$, 'the most specific variant: provider and tier');
select results_eq($$ select version, variant from public.get_prompt('support', provider => 'kimi', tier => 1) $$,
  $$ values (3, 'kimi') $$, 'then the provider');
select results_eq($$ select version, variant from public.get_prompt('support', provider => 'glm', tier => 2) $$,
  $$ values (2, 'base') $$, 'then base');
select results_eq($$ select version, variant from public.get_prompt('support', provider => 'kimi', tier => 1, label => 'latest') $$,
  $$ values (3, 'kimi') $$, 'latest of the most specific variant that has versions');
select results_eq($$ select version, variant from public.get_prompt('support', provider => 'glm', label => 'staging') $$,
  $$ values (1, 'base') $$, 'a label found only on base');

-- list and diff
select results_eq($$ select version, variant, labels from public.list_prompt_versions('support') $$,
  $$ values (4, 'kimi/2', '{latest,production}'::text[]), (3, 'kimi', '{latest,production}'::text[]),
    (2, 'base', '{latest,production}'::text[]), (1, 'base', '{staging}'::text[]) $$,
  'list_prompt_versions: newest first, with their labels and latest');
select results_eq($$ select d -> 'template' ->> 'lines_added', d -> 'template' ->> 'lines_removed', d -> 'model',
    d -> 'params' -> 'removed' -> 0 ->> 'path', (d ->> 'identical')::boolean
  from public.diff_prompt_versions('support', 1, 2) d $$,
  $$ values ('1', '1', '{"from": "openai/gpt-4o-mini", "to": "openai/gpt-4o"}'::jsonb, 'params.temperature', false) $$,
  'diff_prompt_versions: the template as a text diff, the model, the params');
select is(public.diff_prompt_versions('support', 2, 2) ->> 'identical', 'true', 'a version against itself is identical');

-- ------------------------------------------------------------------ labels, history, rollback
select results_eq($$ select (r ->> 'previous_version')::int, (r ->> 'moved')::boolean
  from public.set_prompt_label('support', 'production', 1) r $$, $$ values (2, true) $$, 'set_prompt_label moves production to 1');
select is(public.set_prompt_label('support', 'production', 1) ->> 'moved', 'false', 'moving it there again writes nothing');
select is((public.get_prompt('support')).version, 1, 'get_prompt follows the label');
select is((public.set_prompt_label('support', 'production', 2) ->> 'version')::int, 2, 'and back to 2');
select results_eq($$ select from_version, to_version, action from public.prompt_label_history
  where prompt_name = 'support' and label = 'production' and variant = 'base' order by id $$,
  $$ values (null::int, 2, 'set'), (2, 1, 'set'), (1, 2, 'set') $$, 'every move is in the history');
select is((public.rollback_prompt('support') ->> 'version')::int, 1, 'rollback_prompt: production goes back to 1');
select is((public.get_prompt('support')).version, 1, 'the next get_prompt uses it');
select is((public.rollback_prompt('support') ->> 'version')::int, 2, 'rolling back again goes one more move back');
select throws_ok($$ select public.rollback_prompt('support') $$, 'PT409',
  'the production label of prompt support has no earlier version to go back to', 'until there is nothing to undo');
select results_eq($$ select h.action, h.to_version, u.from_version, u.to_version from public.prompt_label_history h
  join public.prompt_label_history u on u.id = h.undoes_id where h.prompt_name = 'support' order by h.id $$,
  $$ values ('rollback', 1, 1, 2), ('rollback', 2, 2, 1) $$, 'rollbacks name the moves they undid');
select throws_ok($$ select public.rollback_prompt('support', provider => 'kimi', tier => 2) $$, 'PT409', null,
  'a variant''s first move cannot be rolled back');
select throws_ok($$ select public.rollback_prompt('support', 'canary') $$, 'PT404',
  'prompt support has no canary label for variant base', 'an unknown label');
select results_eq($$ select r ->> 'variant', (r ->> 'version')::int from public.set_prompt_label('support', 'staging', 4) r $$,
  $$ values ('kimi/2', 4) $$, 'a label of a variant''s version belongs to that variant');

-- ------------------------------------------------------------------ immutability
select throws_ok($$ update public.prompt_versions set template = 'changed' where prompt_name = 'support' $$, '42501', null,
  'an admin cannot update a version');
select tests.authenticate_as_service_role();
select throws_ok($$ update public.prompt_versions set template = 'changed' where prompt_name = 'support' $$, '42501', null,
  'nor can the service role');
select throws_ok($$ delete from public.prompt_versions where prompt_name = 'support' $$, '42501', null,
  'nor delete one');
reset role;
select throws_ok($$ update public.prompt_versions set template = 'changed' where prompt_name = 'support' $$, '42501',
  'prompt versions are immutable', 'the trigger stops the table owner too');
select throws_ok($$ delete from public.prompt_versions where prompt_name = 'support' and version = 1 $$, '42501',
  'prompt versions are immutable', 'also for deletes');

-- ------------------------------------------------------------------ protected labels: editors
select tests.authenticate_as('eddie');
select is((public.create_prompt_version('support', 'Editor draft {{name}}', labels => '{staging}') -> 'version' ->> 'version')::int,
  5, 'an editor creates versions and moves staging');
select throws_ok($$ select public.create_prompt_version('support', 'Editor final {{name}}', labels => '{production}') $$,
  '42501', 'only prompt admins may move the production label', 'but not production');
select is((select count(*)::int from public.prompt_versions where prompt_name = 'support'), 5, 'and nothing was written');
select throws_ok($$ select public.set_prompt_label('support', 'production', 5) $$, '42501',
  'only prompt admins may move the production label', 'set_prompt_label refuses it too');
select throws_ok($$ select public.rollback_prompt('support') $$, '42501', 'only prompt admins may move the production label',
  'so does rollback_prompt');
select results_eq($$ with u as (update public.prompt_labels set version = 5
  where prompt_name = 'support' and label = 'production' returning 1) select count(*)::int from u $$,
  $$ values (0) $$, 'and the table''s policy leaves production alone');
select is((public.set_prompt_label('support', 'canary', 5) ->> 'version')::int, 5, 'an editor makes custom labels');

-- ------------------------------------------------------------------ who reads what
select tests.authenticate_as('bob');
select results_eq($$ select name, version, label from public.get_prompt('bom_generator') $$,
  $$ values ('bom_generator', 1, 'production') $$, 'a user reads the production prompt of a built-in agent');
select throws_ok($$ select public.get_prompt('support') $$, 'PT404', 'prompt support has no production version',
  'but not other prompts');
select is((select count(*)::int from public.prompt_versions), 7, 'only the built-in agents'' production versions');
select is((select count(*)::int from public.prompt_labels where label <> 'production'), 0, 'and only their production labels');
select is_empty($$ select 1 from public.prompt_label_history $$, 'no label history');
select is_empty($$ select 1 from public.prompt_admins $$, 'nor who the admins are');
select throws_ok($$ select public.list_prompt_versions('support') $$, 'PT404', 'prompt not found',
  'list_prompt_versions of a prompt they cannot see');
select throws_ok($$ insert into public.prompt_versions (prompt_name, version, template) values ('bom_generator', 9, 'x') $$,
  '42501', null, 'a user cannot write versions');
select tests.authenticate_as('alice');
select is((select count(*)::int from public.prompt_admins), 1, 'an admin sees their own admin row only');
select tests.clear_authentication();
select throws_ok($$ select * from public.prompts $$, '42501', null, 'anon reads nothing');
select throws_ok($$ select public.get_prompt('bom_generator') $$, '42501', null, 'and cannot call get_prompt');

-- ------------------------------------------------------------------ bad input (nothing written)
select tests.authenticate_as('alice');
select throws_ok($$ select public.get_prompt('support', label => 'staging', version => 1) $$, '22023',
  'give label or version, not both', 'label and version');
select throws_ok($$ select public.get_prompt('support', tier => 7) $$, '22023', 'tier must be 0, 1, 2 or 3', 'a tier out of range');
select throws_ok($$ select public.create_prompt_version('Bad Name', 'x') $$, '22023',
  'name must be lowercase letters, digits, _, . or - (1 to 128 characters, starting with a letter)', 'a bad name');
select throws_ok($$ select public.create_prompt_version('support', '   ') $$, '22023',
  'template must be 1 to 100,000 characters, not blank', 'a blank template');
select throws_ok($$ select public.create_prompt_version('support', 'x', params => '[1]') $$, '22023',
  'params must be a JSON object of at most 16 kB', 'params not an object');
select throws_ok($$ select public.create_prompt_version('support', 'x', labels => '{latest}') $$, '22023',
  'latest is not a label to set: it always names the newest version', 'latest cannot be set');
select throws_ok($$ select public.set_prompt_label('support', 'Prod', 1) $$, '22023', null, 'a bad label');
select is((select count(*)::int from public.prompt_versions where prompt_name = 'support'), 5, 'refused calls wrote nothing');

-- ------------------------------------------------------------------ deleting a prompt takes its versions
reset role;
delete from public.prompts where name = 'support';
select is((select count(*)::int from public.prompt_versions where prompt_name = 'support'), 0,
  'deleting a prompt deletes its versions, labels and history');

select * from finish();
rollback;
