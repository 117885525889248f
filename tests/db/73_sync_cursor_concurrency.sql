-- sync: the cursor under concurrent transactions (native Postgres, through dblink: two other
-- sessions write and commit while this one pulls; PGlite has one backend and no dblink, so this
-- file skips there). A transaction that began and wrote before a pull but commits after it comes
-- in the next pull; nothing is returned twice; a row changed again while a window is paged comes
-- in the next window with its last version; two pushes with one mutation id at once apply once.
-- The other sessions' rows are committed: the user they belong to is deleted at the end.
begin;
select plan(16);

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'dblink') then
    create extension if not exists dblink with schema extensions;
  end if;
end
$$;

create function pg_temp.concurrency()
returns setof text
language plpgsql
as $fn$
declare
  conninfo text := format('host=127.0.0.1 port=%s dbname=%s user=postgres password=postgres',
    current_setting('port'), current_database());
  who text := 'sync73_' || replace(gen_random_uuid()::text, '-', '');
  as_user text;
  early uuid;
  late uuid;
  writer_xid text;
  p jsonb;
  c0 text;
  c1 text;
  c2 text;
  c3 text;
  ids text[];
  answer1 jsonb;
  answer2 jsonb;
  pages jsonb[] := '{}';
  page_cursor text;
begin
  if not exists (select 1 from pg_extension where extname = 'dblink') then
    return next skip('dblink is not available on this engine (PGlite): concurrency is tested on native Postgres', 16);
    return;
  end if;
  perform extensions.dblink_connect('w1', conninfo);
  perform extensions.dblink_connect('w2', conninfo);
  -- a user committed by another session, so that every session sees them
  perform * from extensions.dblink('w1', format('select tests.create_user(%L)', who)) as t(id uuid);
  as_user := format('select tests.authenticate_as(%L)', who);

  -- a first pull: nothing yet
  perform tests.authenticate_as(who);
  c0 := public.pull_changes() ->> 'cursor';
  perform set_config('role', 'postgres', true);

  -- w1 begins, writes, and stays open across the next pull
  perform extensions.dblink_exec('w1', 'begin');
  perform * from extensions.dblink('w1', as_user) as t(x text);
  select t.id into early from extensions.dblink('w1',
    $q$ select (public.upsert_entry(facets => '{note}', title => 'written before the pull, committed after') ->> 'id')::uuid $q$)
    as t(id uuid);
  select t.x into writer_xid from extensions.dblink('w1', 'select pg_current_xact_id()::text') as t(x text);

  perform tests.authenticate_as(who);
  p := public.pull_changes(c0);
  c1 := p ->> 'cursor';
  return next is(p #> '{changes,entries,created}', '[]'::jsonb, 'a pull while the writer is open does not see its row');
  return next ok(not pg_visible_in_snapshot(writer_xid::xid8, split_part(c1, '/', 2)::pg_snapshot),
    'the cursor''s snapshot does not see the open writer (running)');
  perform set_config('role', 'postgres', true);

  -- w2 writes and commits after the pull; w1 still open
  perform extensions.dblink_exec('w2', 'begin');
  perform * from extensions.dblink('w2', as_user) as t(x text);
  select t.id into late from extensions.dblink('w2',
    $q$ select (public.upsert_entry(facets => '{note}', title => 'committed after the pull') ->> 'id')::uuid $q$) as t(id uuid);
  perform extensions.dblink_exec('w2', 'commit');

  perform tests.authenticate_as(who);
  p := public.pull_changes(c1);
  c2 := p ->> 'cursor';
  return next is(p #> '{changes,entries,created}' -> 0 ->> 'id', late::text, 'the next pull has the row committed after it');
  return next is(jsonb_array_length(p #> '{changes,entries,created}'), 1, 'and not yet the open writer''s');
  perform set_config('role', 'postgres', true);

  -- w1 commits: its row is older than the cursor's snapshot, and still comes
  perform extensions.dblink_exec('w1', 'commit');
  perform tests.authenticate_as(who);
  p := public.pull_changes(c2);
  c3 := p ->> 'cursor';
  return next is(p #> '{changes,entries,created}' -> 0 ->> 'id', early::text,
    'a row written before a pull and committed after it comes in the next pull (not skipped)');
  return next is(jsonb_array_length(p #> '{changes,entries,created}'), 1, 'alone: the other row is not repeated');
  p := public.pull_changes(c3);
  return next is(p #> '{changes,entries}', '{"created": [], "updated": [], "deleted": []}'::jsonb,
    'then nothing: no row is repeated');
  return next is(public.pull_changes(p ->> 'cursor') #> '{changes,entries}', '{"created": [], "updated": [], "deleted": []}'::jsonb,
    'and nothing again');
  c3 := p ->> 'cursor';
  perform set_config('role', 'postgres', true);

  -- an update by another session: an update, not a creation
  perform extensions.dblink_exec('w2', format('begin; %s; select public.upsert_entry(id => %L, facets => %L, title => %L); commit',
    as_user, early, '{note}', 'edited on another device'));
  perform tests.authenticate_as(who);
  p := public.pull_changes(c3);
  return next is(jsonb_build_array(jsonb_array_length(p #> '{changes,entries,created}'), p #>> '{changes,entries,updated,0,title}'),
    '[0, "edited on another device"]'::jsonb, 'a row changed by another transaction comes as updated, with its new version');
  c3 := p ->> 'cursor';
  perform set_config('role', 'postgres', true);

  -- paging while others commit: a row changed again during the window comes in the next window
  perform extensions.dblink_exec('w2', format(
    'begin; %s; select public.upsert_entry(facets => %L, title => t) from unnest(array[%L, %L, %L]) t; commit',
    as_user, '{note}', 'page a', 'page b', 'page c'));
  perform tests.authenticate_as(who);
  p := public.pull_changes(c3, null, 1);
  pages := pages || p;
  return next is(p ->> 'has_more', 'true', 'a window of three rows in pages of one');
  page_cursor := p ->> 'cursor';
  perform set_config('role', 'postgres', true);
  -- meanwhile: all three are edited again and committed
  perform extensions.dblink_exec('w2', format(
    'begin; %s; select public.upsert_entry(id => e.id, facets => %L, title => e.title || %L) from public.entries e where e.title like %L; commit',
    as_user, '{note}', ' (again)', 'page _'));
  perform tests.authenticate_as(who);
  for i in 1 .. 10 loop
    p := public.pull_changes(page_cursor, null, 1);
    pages := pages || p;
    page_cursor := p ->> 'cursor';
    exit when not (p ->> 'has_more')::boolean;
  end loop;
  p := public.pull_changes(page_cursor);
  select array_agg(x ->> 'title' order by x ->> 'title') into ids
  from unnest(pages || p) a, jsonb_array_elements(a #> '{changes,entries,created}' || (a #> '{changes,entries,updated}')) x;
  -- the first page had one of them (which one depends on ids); the others were changed before
  -- their pages: the window ends without them, and the next one has all three last versions
  return next is(cardinality(array(select x from unnest(ids) x where x not like '%(again)')) = 1
    and ids @> array['page a (again)', 'page b (again)', 'page c (again)'] and cardinality(ids) = 4, true,
    'rows edited while a window is paged are not lost: the next window has their last versions');
  return next is(public.pull_changes(p ->> 'cursor') #> '{changes,entries}', '{"created": [], "updated": [], "deleted": []}'::jsonb,
    'and nothing is repeated after');
  perform set_config('role', 'postgres', true);

  -- two pushes with one mutation id at once: the second waits for the first and returns its answer
  perform extensions.dblink_exec('w1', 'begin');
  perform * from extensions.dblink('w1', as_user) as t(x text);
  select t.a into answer1 from extensions.dblink('w1', $q$ select public.push_changes(
    '{"entries": {"created": [{"id": "e7300000-0000-4000-8000-000000000001", "facets": ["note"], "title": "once"}]}}', null, 'race-1') $q$)
    as t(a jsonb);
  perform extensions.dblink_exec('w2', 'begin');
  perform * from extensions.dblink('w2', as_user) as t(x text);
  perform extensions.dblink_send_query('w2', $q$ select public.push_changes(
    '{"entries": {"created": [{"id": "e7300000-0000-4000-8000-000000000001", "facets": ["note"], "title": "once"}]}}', null, 'race-1') $q$);
  perform pg_sleep(0.3);
  return next is(extensions.dblink_is_busy('w2'), 1, 'the replay waits while the first push is open');
  perform extensions.dblink_exec('w1', 'commit');
  select t.a into answer2 from extensions.dblink_get_result('w2') as t(a jsonb);
  perform * from extensions.dblink_get_result('w2') as t(a jsonb);
  perform extensions.dblink_exec('w2', 'commit');
  return next is(answer2, answer1, 'then returns the first answer');
  return next is((select n from extensions.dblink('w1', $q$ select count(*)::int from public.entries
    where id = 'e7300000-0000-4000-8000-000000000001' $q$) as t(n integer)), 1, 'the row was written once');
  return next is((select n from extensions.dblink('w1', format($q$ select count(*)::int from public.sync_mutations m
    join auth.users u on u.id = m.user_id where m.mutation_id = 'race-1' and u.raw_user_meta_data ->> 'test_identifier' = %L $q$,
    who)) as t(n integer)), 1, 'and the answer stored once');

  -- clean up what the other sessions committed
  perform extensions.dblink_exec('w1', format('delete from auth.users where id = tests.get_user_id(%L)', who));
  perform extensions.dblink_disconnect('w1');
  perform extensions.dblink_disconnect('w2');
end
$fn$;

select * from pg_temp.concurrency();

select * from finish();
rollback;
