-- profiles: made for every new user, readable and updatable only by their owner, through
-- get_my_profile() and update_my_profile().
begin;
select plan(39);

-- structure
select has_table('public', 'profiles', 'profiles exists');
select ok((select relrowsecurity from pg_class where oid = 'public.profiles'::regclass), 'profiles has RLS');
select policies_are('public', 'profiles', array['profiles_select_own', 'profiles_update_own']);
select has_trigger('auth', 'users', 'on_auth_user_created', 'users get a profile by trigger');
select is_definer('private', 'handle_new_user', 'the trigger function runs as definer');
select function_privs_are('public', 'get_my_profile', array[]::text[], 'anon', array[]::text[], 'anon cannot call get_my_profile');
select function_privs_are('public', 'get_my_profile', array[]::text[], 'authenticated', array['EXECUTE'], 'authenticated can call get_my_profile');
select function_privs_are('public', 'update_my_profile', array['text', 'text', 'text', 'jsonb'], 'anon', array[]::text[], 'anon cannot call update_my_profile');
select schema_privs_are('private', 'anon', array['USAGE'], 'anon may only use private (for helpers)');
select function_privs_are('private', 'handle_new_user', array[]::text[], 'authenticated', array[]::text[], 'authenticated cannot call the trigger function');

-- the trigger
select tests.create_user('alice', metadata => '{"display_name": "Alice A.", "avatar_url": "https://example.com/a.png"}');
select tests.create_user('bob');
select is((select count(*)::int from public.profiles where id in (tests.get_user_id('alice'), tests.get_user_id('bob'))), 2, 'each new user has a profile');
select is((select display_name from public.profiles where id = tests.get_user_id('alice')), 'Alice A.', 'display_name comes from the sign-up metadata');
select is((select avatar_url from public.profiles where id = tests.get_user_id('alice')), 'https://example.com/a.png', 'avatar_url comes from the sign-up metadata');
select is((select timezone from public.profiles where id = tests.get_user_id('bob')), 'UTC', 'timezone defaults to UTC');

-- get_my_profile
select tests.authenticate_as('alice');
select is((select id from public.get_my_profile()), tests.get_user_id('alice'), 'get_my_profile returns the caller''s profile');
select is((select count(*)::int from public.profiles), 1, 'a user sees only their own profile row');

-- update_my_profile: happy path
select is((select display_name from public.update_my_profile(display_name => '  Ada  ')), 'Ada', 'display_name is trimmed and saved');
select is((select timezone from public.update_my_profile(timezone => 'Europe/Paris')), 'Europe/Paris', 'timezone is saved');
select is((select display_name from public.update_my_profile(timezone => 'Asia/Tokyo')), 'Ada', 'omitted arguments leave fields unchanged');
select is((select settings from public.update_my_profile(settings => '{"theme": "dark", "lang": "fr"}')), '{"theme": "dark", "lang": "fr"}'::jsonb, 'settings are saved');
select is((select settings from public.update_my_profile(settings => '{"lang": null, "font": "serif"}')), '{"theme": "dark", "font": "serif"}'::jsonb, 'settings merge; a null value removes a key');
select is((select avatar_url from public.update_my_profile(avatar_url => '')), null, 'an empty avatar_url removes the avatar');
select ok((select updated_at >= created_at from public.get_my_profile()), 'updated_at is maintained');

-- update_my_profile: bad input is a 22023 naming the field, and changes nothing
select throws_ok($$ select public.update_my_profile(display_name => '') $$, '22023', 'display_name must be 1 to 80 characters without control characters', 'empty display_name is rejected');
select throws_ok($$ select public.update_my_profile(display_name => repeat('x', 81)) $$, '22023', null, 'an 81-character display_name is rejected');
select throws_ok($$ select public.update_my_profile(display_name => e'a\tb') $$, '22023', null, 'control characters are rejected');
select throws_ok($$ select public.update_my_profile(avatar_url => 'javascript:alert(1)') $$, '22023', 'avatar_url must be an http(s) URL of at most 2048 characters', 'a non-http avatar_url is rejected');
select throws_ok($$ select public.update_my_profile(timezone => 'Mars/Olympus') $$, '22023', 'timezone ''Mars/Olympus'' is not a known time zone', 'an unknown timezone is rejected');
select throws_ok($$ select public.update_my_profile(settings => '[1, 2]') $$, '22023', 'settings must be a JSON object', 'settings must be an object');
select throws_ok($$ select public.update_my_profile(settings => jsonb_build_object('big', repeat('x', 20000))) $$, '22023', 'settings must be a JSON object of at most 16 kB', 'oversized settings are rejected');
select is((select display_name || '/' || timezone from public.get_my_profile()), 'Ada/Asia/Tokyo', 'rejected updates changed nothing');

-- another user cannot read or change alice's profile, even directly
select tests.authenticate_as('bob');
select is((select id from public.get_my_profile()), tests.get_user_id('bob'), 'bob gets his own profile');
select is_empty(format('select * from public.profiles where id = %L', tests.get_user_id('alice')), 'bob cannot see alice''s profile');
update public.profiles set display_name = 'hacked' where id = tests.get_user_id('alice');
select throws_ok(format('update public.profiles set id = %L where id = %L', tests.get_user_id('alice'), tests.get_user_id('bob')), '42501', null, 'bob cannot change the id column');
select tests.authenticate_as('alice');
select is((select display_name from public.get_my_profile()), 'Ada', 'bob''s update did not reach alice''s profile');

-- anon: no access at all
select tests.clear_authentication();
select throws_ok($$ select public.get_my_profile() $$, '42501', null, 'anon cannot call get_my_profile');
select throws_ok($$ select public.update_my_profile(display_name => 'x') $$, '42501', null, 'anon cannot call update_my_profile');
select throws_ok($$ select * from public.profiles $$, '42501', null, 'anon cannot read profiles');

-- service role reads every profile
select tests.authenticate_as_service_role();
select ok((select count(*) from public.profiles) >= 2, 'the service role sees every profile');

select * from finish();
rollback;
