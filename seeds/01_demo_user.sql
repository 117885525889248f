-- Demo data for local development: one confirmed email user whose profile the on_auth_user_created
-- trigger creates. `npm start` prints this login. Applied to fresh local databases only.
-- email: demo@parley.local   password: parley-demo-password
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at
) values (
  '00000000-0000-0000-0000-000000000000', 'd0d0d0d0-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
  'demo@parley.local', extensions.crypt('parley-demo-password', extensions.gen_salt('bf', 10)), now(),
  '{"provider": "email", "providers": ["email"]}', '{"display_name": "Demo User"}', now(), now()
)
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
values (
  'd0d0d0d0-0000-4000-8000-000000000001', 'd0d0d0d0-0000-4000-8000-000000000001',
  '{"sub": "d0d0d0d0-0000-4000-8000-000000000001", "email": "demo@parley.local", "email_verified": true}',
  'email', now(), now()
)
on conflict (provider_id, provider) do nothing;
