-- profiles: one per auth.users row, made by the on_auth_user_created trigger.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text
    constraint profiles_display_name_check
    check (display_name is null or (char_length(display_name) >= 1 and char_length(display_name) <= 80
      and display_name !~ '[[:cntrl:]]' and display_name = btrim(display_name))),
  avatar_url text
    constraint profiles_avatar_url_check
    check (avatar_url is null or (char_length(avatar_url) <= 2048 and avatar_url ~ '^https?://[^[:space:]]+$')),
  timezone text not null default 'UTC'
    constraint profiles_timezone_check
    check (char_length(timezone) between 1 and 64),
  settings jsonb not null default '{}'
    constraint profiles_settings_check
    check (jsonb_typeof(settings) = 'object' and pg_column_size(settings) <= 16384),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- the user's plan, null for the free plan: the limits check_quota applies (its foreign key is in
  -- 740_usage_ledger.sql)
  plan text
);
comment on table public.profiles is 'One profile per user: display name, avatar, time zone and client settings.';
comment on column public.profiles.plan is
  'The user''s plan (public.plans; null: free), set by the service role: the limits check_quota applies.';
comment on column public.profiles.settings is 'Client settings, a JSON object of at most 16 kB.';

alter table public.profiles enable row level security;
revoke all on public.profiles from anon, authenticated, service_role;
grant select on public.profiles to authenticated;
grant update (display_name, avatar_url, timezone, settings) on public.profiles to authenticated;
grant select, insert, update, delete on public.profiles to service_role;

create policy profiles_select_own on public.profiles
  for select to authenticated
  using (id = (select auth.uid()));

create policy profiles_update_own on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create trigger profiles_100_set_updated_at
  before update on public.profiles
  for each row execute function private.set_updated_at();

-- Creates the profile of a new user. Security definer: the user has no rights on profiles yet
-- (the insert runs in Supabase Auth's transaction, as its admin role).
create function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name, avatar_url)
  values (
    new.id,
    nullif(left(btrim(regexp_replace(coalesce(new.raw_user_meta_data ->> 'display_name', new.raw_user_meta_data ->> 'full_name', ''), '[[:cntrl:]]', '', 'g')), 80), ''),
    case
      when new.raw_user_meta_data ->> 'avatar_url' ~ '^https?://[^[:space:]]+$'
        and char_length(new.raw_user_meta_data ->> 'avatar_url') <= 2048
      then new.raw_user_meta_data ->> 'avatar_url'
    end
  )
  on conflict (id) do nothing;
  return new;
end
$$;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_user();

-- RPC: the caller's profile.
create function public.get_my_profile()
returns public.profiles
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  profile public.profiles;
begin
  select p.* into profile from public.profiles p where p.id = (select auth.uid());
  if not found then
    perform private.not_found('profile');
  end if;
  return profile;
end
$$;
grant execute on function public.get_my_profile() to authenticated;
comment on function public.get_my_profile() is
  'The signed-in user''s profile. Errors: PT404 (404) when there is none; anon is denied (401).';

-- RPC: updates the caller's profile. A null argument leaves its field unchanged; an empty
-- avatar_url removes the avatar; settings are merged, a key given as null is removed.
create function public.update_my_profile(
  display_name text default null,
  avatar_url text default null,
  timezone text default null,
  settings jsonb default null
)
returns public.profiles
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  profile public.profiles;
  new_name text := btrim(update_my_profile.display_name);
begin
  if new_name is not null and (char_length(new_name) not between 1 and 80 or new_name ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('display_name must be 1 to 80 characters without control characters');
  end if;
  if update_my_profile.avatar_url is not null and update_my_profile.avatar_url <> ''
    and (char_length(update_my_profile.avatar_url) > 2048 or update_my_profile.avatar_url !~ '^https?://[^[:space:]]+$') then
    perform private.invalid_parameter('avatar_url must be an http(s) URL of at most 2048 characters');
  end if;
  if update_my_profile.timezone is not null
    and not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = update_my_profile.timezone) then
    perform private.invalid_parameter(
      pg_catalog.format('timezone %L is not a known time zone', update_my_profile.timezone),
      'Use an IANA time zone name such as Europe/Paris.');
  end if;
  if update_my_profile.settings is not null and jsonb_typeof(update_my_profile.settings) <> 'object' then
    perform private.invalid_parameter('settings must be a JSON object');
  end if;

  update public.profiles p
  set display_name = coalesce(new_name, p.display_name),
      avatar_url = case
        when update_my_profile.avatar_url is null then p.avatar_url
        else nullif(update_my_profile.avatar_url, '')
      end,
      timezone = coalesce(update_my_profile.timezone, p.timezone),
      settings = case
        when update_my_profile.settings is null then p.settings
        else (p.settings || update_my_profile.settings) - array(
          select s.key from jsonb_each(update_my_profile.settings) s where s.value = 'null'::jsonb)
      end
  where p.id = (select auth.uid())
  returning p.* into profile;

  if not found then
    perform private.not_found('profile');
  end if;
  return profile;
exception
  when check_violation then
    if sqlerrm like '%profiles_settings_check%' then
      perform private.invalid_parameter('settings must be a JSON object of at most 16 kB');
    end if;
    raise;
end
$$;
grant execute on function public.update_my_profile(text, text, text, jsonb) to authenticated;
comment on function public.update_my_profile(text, text, text, jsonb) is
  'Updates the signed-in user''s profile and returns it. Omitted arguments leave fields unchanged; '
  'avatar_url '''' removes the avatar; settings are merged (a null value removes a key). '
  'Errors: 22023 (400) naming the invalid field; anon is denied (401).';
