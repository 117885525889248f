-- Chat members: add_chat_member / remove_chat_member, and what each role may do.
begin;
select plan(35);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('carol');
select tests.create_user('dave');
insert into public.chats (id, owner_id, title) values ('c2000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), 'Team');

select function_privs_are('public', 'add_chat_member', array['uuid', 'uuid', 'text'], 'anon', array[]::text[]);
select function_privs_are('public', 'remove_chat_member', array['uuid', 'uuid'], 'authenticated', array['EXECUTE']);

-- adding
select tests.authenticate_as('alice');
select is(
  (select row(user_id, role, added_by)::text from public.add_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'viewer')),
  row(tests.get_user_id('bob'), 'viewer', tests.get_user_id('alice'))::text, 'the owner adds a viewer');
select tests.authenticate_as('bob');
select is((select title from public.chats where id = 'c2000000-0000-4000-8000-000000000001'), 'Team', 'the viewer reads the chat');
select throws_ok($$ select public.append_message('c2000000-0000-4000-8000-000000000001', 'user', 'hi') $$, '42501', null,
  'a viewer cannot write');
select throws_ok(format('select public.add_chat_member(%L, %L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer'),
  '42501', 'you may read this chat but not manage its members', 'a member cannot add members');
select throws_ok(format('insert into public.chat_members (chat_id, user_id, role) values (%L, %L, %L)',
  'c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'editor'), '42501', null, 'not even directly');
update public.chat_members set role = 'editor' where user_id = tests.get_user_id('bob');
select tests.authenticate_as('alice');
select is((select role from public.chat_members where user_id = tests.get_user_id('bob')), 'viewer', 'a member cannot promote themself');
select is((select role from public.add_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'editor')), 'editor',
  'adding again changes the role');
select is((select role from public.add_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('bob'), 'editor')), 'editor',
  'and repeating it changes nothing');
select is((select count(*)::int from public.chat_members where chat_id = 'c2000000-0000-4000-8000-000000000001'), 1, 'bob is a member once');
select tests.authenticate_as('bob');
select is((select sequence_number from public.append_message('c2000000-0000-4000-8000-000000000001', 'user', 'hi')), 1::bigint,
  'an editor writes');
select throws_ok($$ select public.delete_chat('c2000000-0000-4000-8000-000000000001') $$, '42501', null, 'but cannot delete the chat');

-- bad input
select tests.authenticate_as('alice');
select throws_ok(format('select public.add_chat_member(%L, %L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'owner'),
  '22023', 'role ''owner'' is not one of viewer, editor');
select throws_ok(format('select public.add_chat_member(%L, %L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('alice'), 'editor'),
  '22023', 'user_id must be another user: the owner already has every right');
select throws_ok(format('select public.add_chat_member(%L, %L, %L)', 'c2000000-0000-4000-8000-000000000001', gen_random_uuid(), 'viewer'),
  'PT404', 'user not found');
select throws_ok(format('select public.add_chat_member(%L, %L, %L)', 'c2000000-0000-4000-8000-0000000000ff', tests.get_user_id('carol'), 'viewer'),
  'PT404', 'chat not found');
select tests.authenticate_as('dave');
select throws_ok(format('select public.add_chat_member(%L, %L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('dave'), 'editor'),
  'PT404', 'chat not found', 'a stranger cannot add themself');
select is_empty($$ select * from public.chat_members $$, 'a stranger sees no memberships');
select tests.clear_authentication();
select throws_ok(format('select public.add_chat_member(%L, %L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer'),
  '42501', null, 'anon cannot add members');
select tests.authenticate_as('alice');
select is((select count(*)::int from public.chat_members), 1, 'the rejected calls added nobody');

-- who sees whom
select public.add_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol'), 'viewer');
select tests.authenticate_as('carol');
select is((select count(*)::int from public.chat_members where chat_id = 'c2000000-0000-4000-8000-000000000001'), 2,
  'members see each other');

-- removing
select tests.authenticate_as('bob');
select throws_ok(format('select public.remove_chat_member(%L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol')),
  '42501', 'you may read this chat but not manage its members', 'a member cannot remove another');
select is(public.remove_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('bob')), true, 'a member may leave');
select throws_ok($$ select * from public.get_messages('c2000000-0000-4000-8000-000000000001') $$, 'PT404', 'chat not found',
  'and then cannot read the chat');
select throws_ok($$ select public.append_message('c2000000-0000-4000-8000-000000000001', 'user', 'still here?') $$, 'PT404', null,
  'nor write to it');
select is(public.remove_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('bob')), false,
  'leaving again is harmless');
select tests.authenticate_as('dave');
select throws_ok(format('select public.remove_chat_member(%L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol')),
  'PT404', 'chat not found');
select tests.clear_authentication();
select throws_ok(format('select public.remove_chat_member(%L, %L)', 'c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol')),
  '42501', null, 'anon cannot remove members');
select tests.authenticate_as('alice');
select is(public.remove_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol')), true, 'the owner removes a member');
select is(public.remove_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('carol')), false,
  'removing again returns false');
select is((select count(*)::int from public.chat_members), 0, 'nobody is left');

-- deleting a member's account removes the membership
select public.add_chat_member('c2000000-0000-4000-8000-000000000001', tests.get_user_id('dave'), 'editor');
reset role;
delete from auth.users where id = tests.get_user_id('dave');
select is((select count(*)::int from public.chat_members), 0, 'a deleted user''s memberships go with them');
select is((select count(*)::int from public.messages where chat_id = 'c2000000-0000-4000-8000-000000000001'), 1,
  'the chat and its messages stay');
select is((select author_id from public.messages where chat_id = 'c2000000-0000-4000-8000-000000000001'), tests.get_user_id('bob'),
  'a message remembers its author');

select * from finish();
rollback;
