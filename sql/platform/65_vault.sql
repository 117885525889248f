-- Local platform: a stand-in of Supabase Vault (https://github.com/supabase/vault) with its SQL
-- surface: vault.secrets, the vault.decrypted_secrets view, vault.create_secret and
-- vault.update_secret, as scheduled SQL reads them (the embedding schedule reads project_url and
-- service_role_key). Supabase encrypts secrets with a key outside the database; locally they are
-- only base64-encoded: the local stack's own URL and key are all it holds (npm start writes them).
-- Applied to local engines only (never pushed: a project has Vault).

create schema if not exists vault;
revoke all on schema vault from public;
grant usage on schema vault to postgres;

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;

create or replace view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret,
  convert_from(decode(s.secret, 'base64'), 'utf8') as decrypted_secret,
  s.key_id, s.nonce, s.created_at, s.updated_at
from vault.secrets s;

create or replace function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  secret_id uuid;
begin
  insert into vault.secrets (secret, name, description)
  values (encode(convert_to(new_secret, 'utf8'), 'base64'), new_name, coalesce(new_description, ''))
  returning id into secret_id;
  return secret_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
)
returns void
language plpgsql
set search_path = ''
as $$
begin
  update vault.secrets s
  set secret = case when new_secret is null then s.secret else encode(convert_to(new_secret, 'utf8'), 'base64') end,
      name = coalesce(new_name, s.name),
      description = coalesce(new_description, s.description),
      updated_at = now()
  where s.id = secret_id;
end
$$;

revoke all on all tables in schema vault from public, anon, authenticated, service_role;
revoke all on all functions in schema vault from public, anon, authenticated, service_role;
grant select, insert, update, delete on all tables in schema vault to postgres;
grant execute on all functions in schema vault to postgres;
