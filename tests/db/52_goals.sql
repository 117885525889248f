-- goals: upsert_goal (create, replace, idempotent), a hierarchy that refuses cycles, list_goals;
-- links: link_entry_goal, upsert_entry(goal_ids, project_ids), link_project_goal /
-- unlink_project_goal, list_entries(goal_id); owner, stranger, anon.
begin;
select plan(36);

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('public.goals'::regclass, 'public.entry_goals'::regclass,
  'public.entry_projects'::regclass, 'public.project_goals'::regclass)), 'goals and their link tables have RLS');
select policies_are('public', 'goals', array['goals_select_own', 'goals_insert_own', 'goals_update_own']);
select policies_are('public', 'project_goals', array['project_goals_select_own', 'project_goals_insert_own',
  'project_goals_delete_own']);
select has_trigger('public', 'goals', 'goals_110_check_parent', 'a trigger guards the hierarchy');
select function_privs_are('public', 'upsert_goal', array['uuid', 'text', 'uuid', 'text', 'date'], 'anon', array[]::text[],
  'anon cannot call upsert_goal');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');

-- ------------------------------------------------------------------ upsert_goal
select set_config('t.health', (public.upsert_goal(title => '  Health  ', target_date => '2026-12-31')).id::text, true);
select results_eq(format('select title::text, status, parent_id, target_date from public.goals where id = %L', current_setting('t.health')),
  $$ values ('Health', 'active', null::uuid, '2026-12-31'::date) $$, 'a new goal: title trimmed, status active');
select set_config('t.run', (public.upsert_goal(title => 'Run a marathon', parent_id => current_setting('t.health')::uuid)).id::text, true);
select set_config('t.km', (public.upsert_goal(title => 'Run 30 km a week', parent_id => current_setting('t.run')::uuid)).id::text, true);
select is((public.upsert_goal(id => current_setting('t.run')::uuid, title => 'Run a marathon', parent_id => current_setting('t.health')::uuid,
  status => 'paused')).status, 'paused', 'upsert_goal by id replaces it');
select is((public.upsert_goal(id => current_setting('t.run')::uuid, title => 'Run a marathon',
  parent_id => current_setting('t.health')::uuid)).status, 'paused', 'an omitted status stays');
select set_config('t.ctid', (select ctid::text from public.goals where id = current_setting('t.run')::uuid), true);
select lives_ok(format($$ select public.upsert_goal(id => %L, title => 'Run a marathon', parent_id => %L) $$,
  current_setting('t.run'), current_setting('t.health')), 'a replay is fine');
select is((select ctid::text from public.goals where id = current_setting('t.run')::uuid), current_setting('t.ctid'),
  'and writes nothing');

-- cycles: a goal under itself, under its child, under its grandchild
select throws_ok(format($$ select public.upsert_goal(id => %L, title => 'Health', parent_id => %L) $$,
  current_setting('t.health'), current_setting('t.health')), '22023',
  'parent_id must be another goal: a goal cannot be its own parent', 'a goal under itself');
select throws_ok(format($$ select public.upsert_goal(id => %L, title => 'Health', parent_id => %L) $$,
  current_setting('t.health'), current_setting('t.run')), '22023',
  'parent_id would make a cycle: that goal is below this one', 'a goal under its child');
select throws_ok(format($$ select public.upsert_goal(id => %L, title => 'Health', parent_id => %L) $$,
  current_setting('t.health'), current_setting('t.km')), '22023',
  'parent_id would make a cycle: that goal is below this one', 'a goal under its grandchild');
select throws_ok(format($$ update public.goals set parent_id = %L where id = %L $$, current_setting('t.km'), current_setting('t.health')),
  '22023', 'parent_id would make a cycle: that goal is below this one', 'a direct update is refused too');
select is((select parent_id from public.goals where id = current_setting('t.health')::uuid), null, 'nothing was written');
select lives_ok(format($$ select public.upsert_goal(id => %L, title => 'Run 30 km a week', parent_id => %L) $$,
  current_setting('t.km'), current_setting('t.health')), 'moving a goal elsewhere in the tree is fine');
select throws_ok($$ select public.upsert_goal(title => 'x', parent_id => gen_random_uuid()) $$, 'PT404', 'parent goal not found',
  'an unknown parent');
select throws_ok($$ select public.upsert_goal(title => '') $$, '22023',
  'title must be 1 to 200 characters without control characters', 'a title is required');
select throws_ok($$ select public.upsert_goal(title => 'x', status => 'done') $$, '22023',
  'status ''done'' is not one of active, paused, completed, abandoned, archived', 'an unknown status');
select is((select count(*)::int from public.goals), 3, 'refused goals wrote nothing');

-- ------------------------------------------------------------------ links
select set_config('t.project', (public.create_project('Marathon plan')).id::text, true);
select set_config('t.e1', (public.upsert_entry(facets => array['note'], title => 'Long run',
  goal_ids => array[current_setting('t.run')::uuid], project_ids => array[current_setting('t.project')::uuid])) ->> 'id', true);
select results_eq(format($$ select r -> 'goal_ids', r -> 'project_ids' from public.get_entry(%L) r $$, current_setting('t.e1')),
  format($$ values (jsonb_build_array(%L::text), jsonb_build_array(%L::text)) $$, current_setting('t.run'), current_setting('t.project')),
  'upsert_entry links goals and projects');
select ok(public.link_entry_goal(current_setting('t.e1')::uuid, current_setting('t.health')::uuid), 'link_entry_goal links');
select ok(not public.link_entry_goal(current_setting('t.e1')::uuid, current_setting('t.health')::uuid), 'again: nothing to do');
select is(jsonb_array_length(public.get_entry(current_setting('t.e1')::uuid) -> 'goals'), 2, 'get_entry lists both goals');
select results_eq(format($$ select title::text from public.list_entries(goal_id => %L) $$, current_setting('t.health')),
  $$ values ('Long run') $$, 'list_entries by goal');
select ok(public.link_project_goal(current_setting('t.project')::uuid, current_setting('t.run')::uuid), 'link_project_goal links');
select results_eq($$ select title, project_ids, entry_count from public.list_goals() where title = 'Run a marathon' $$,
  format($$ values ('Run a marathon', array[%L::uuid], 1) $$, current_setting('t.project')),
  'list_goals shows the goal''s projects and entries');
select is((select count(*)::int from public.list_goals()), 3, 'list_goals lists every goal');
select ok(public.unlink_project_goal(current_setting('t.project')::uuid, current_setting('t.run')::uuid), 'unlink_project_goal unlinks');
select is((public.upsert_entry(id => current_setting('t.e1')::uuid, facets => array['note'], title => 'Long run', goal_ids => '{}'))
  -> 'goal_ids', '[]'::jsonb, 'an empty goal_ids removes the entry''s goals');

-- ------------------------------------------------------------------ another user, anon
select tests.authenticate_as('bob');
select is_empty($$ select * from public.list_goals() $$, 'bob lists none of alice''s goals');
select throws_ok(format($$ select public.upsert_goal(title => 'mine', parent_id => %L) $$, current_setting('t.health')),
  'PT404', 'parent goal not found', 'bob cannot put a goal under alice''s');
select throws_ok(format($$ select public.upsert_goal(id => %L, title => 'hacked') $$, current_setting('t.health')),
  'PT409', 'goal id is taken', 'nor overwrite hers');
select throws_ok(format($$ select public.link_entry_goal(%L, %L) $$, current_setting('t.e1'), current_setting('t.health')),
  'PT404', 'entry not found', 'nor link her entry and goal');
select throws_ok(format($$ select public.link_project_goal(%L, %L) $$, current_setting('t.project'), current_setting('t.health')),
  'PT404', 'project not found', 'nor her project');
select tests.clear_authentication();
select throws_ok($$ select * from public.list_goals() $$, '42501', null, 'anon cannot list goals');

select * from finish();
rollback;
