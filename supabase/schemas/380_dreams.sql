-- Dreams (Somni). A dream is an entry with the dream facet plus its dream_details: the night it
-- was dreamt, lucidity, mood, the audio recording and its transcription, which only the service
-- role moves (pending → processing → done | failed). Dreams have generated images, themes from a
-- global catalogue (with a confidence), conversations (chats linked to the entry) and
-- interpretations: artifacts of type interpretation linked to the entry, one per interpreter
-- agent, versioned like every artifact.

-- A Storage path of the caller's: bucket id, "/", then an object name in the user's own folder
-- (<user id>/…), as Storage policies require.
create function private.check_user_storage_path(path text, name text, user_id uuid)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if path is not null and (char_length(path) not between 3 and 1024 or path !~ '^[a-z0-9][a-z0-9_-]*/[^/]'
    or path ~ '[[:cntrl:]\\]' or path ~ '(^|/)\.\.?(/|$)'
    or pg_catalog.split_part(path, '/', 2) <> user_id::text or pg_catalog.split_part(path, '/', 3) = '') then
    perform private.invalid_parameter(pg_catalog.format(
      '%s must be a Storage path in your folder: <bucket>/<your user id>/<name>', name));
  end if;
end
$$;
grant execute on function private.check_user_storage_path(text, text, uuid) to authenticated, service_role;

create table public.dream_details (
  entry_id uuid primary key references public.entries (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  dreamt_on date not null,
  lucid boolean not null default false,
  mood private.snake_case_40,
  audio_path text
    constraint dream_details_audio_path_check check (char_length(audio_path) >= 3 and char_length(audio_path) <= 1024),
  transcription_status text
    constraint dream_details_transcription_status_check
    check (transcription_status in ('pending', 'processing', 'done', 'failed')),
  transcript text
    constraint dream_details_transcript_check check (char_length(transcript) <= 1000000),
  transcription_error text
    constraint dream_details_transcription_error_check check (char_length(transcription_error) <= 2000),
  transcribed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint dream_details_transcription_check check ((audio_path is null) = (transcription_status is null))
);
comment on table public.dream_details is
  'What a dream entry has beyond the entry: the night, lucidity, mood, and its audio and transcription.';
comment on column public.dream_details.dreamt_on is 'The local date of the night the dream was dreamt (the morning after it).';
comment on column public.dream_details.mood is 'The dream''s mood, lowercase snake_case (e.g. anxious, joyful, neutral).';
comment on column public.dream_details.audio_path is 'The recording in Storage: <bucket>/<user id>/<name>.';
comment on column public.dream_details.transcription_status is
  'pending → processing → done | failed (failed → processing to retry); moved by the service role only '
  '(set_dream_transcription). Null without audio.';

create index dream_details_user_id_dreamt_on_idx on public.dream_details (user_id, dreamt_on);
create index dream_details_transcription_status_idx on public.dream_details (transcription_status, created_at)
  where transcription_status in ('pending', 'processing');

alter table public.dream_details enable row level security;
revoke all on public.dream_details from anon, authenticated, service_role;
grant select on public.dream_details to authenticated;
grant insert (entry_id, dreamt_on, lucid, mood, audio_path, transcription_status) on public.dream_details to authenticated;
grant update (dreamt_on, lucid, mood) on public.dream_details to authenticated;
grant select, insert, update, delete on public.dream_details to service_role;

create policy dream_details_select_own on public.dream_details
  for select to authenticated
  using (user_id = (select auth.uid()));

-- a new dream's transcription starts pending; only the service role moves it on
create policy dream_details_insert_own on public.dream_details
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_entry(entry_id)
    and (transcription_status is null or transcription_status = 'pending'));

create policy dream_details_update_own on public.dream_details
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create trigger dream_details_100_set_updated_at
  before update on public.dream_details
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Images generated for a dream (by an image model, through the service role).
create table public.dream_images (
  id uuid primary key default gen_random_uuid(),
  entry_id uuid not null references public.entries (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  prompt text not null
    constraint dream_images_prompt_check check (char_length(prompt) >= 1 and char_length(prompt) <= 4000),
  storage_path text
    constraint dream_images_storage_path_check check (char_length(storage_path) >= 3 and char_length(storage_path) <= 1024),
  status text not null default 'pending'
    constraint dream_images_status_check check (status in ('pending', 'generating', 'done', 'failed')),
  error text
    constraint dream_images_error_check check (char_length(error) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint dream_images_done_check check (status <> 'done' or storage_path is not null)
);
comment on table public.dream_images is
  'Images generated for a dream: the prompt, where the image is in Storage, and the generation status '
  '(pending → generating → done | failed, moved by the service role).';

create index dream_images_entry_id_idx on public.dream_images (entry_id, created_at);
create index dream_images_user_id_idx on public.dream_images (user_id);

alter table public.dream_images enable row level security;
revoke all on public.dream_images from anon, authenticated, service_role;
grant select on public.dream_images to authenticated;
grant insert (entry_id, prompt) on public.dream_images to authenticated;
grant select, insert, update, delete on public.dream_images to service_role;

create policy dream_images_select_own on public.dream_images
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy dream_images_insert_own on public.dream_images
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_entry(entry_id) and status = 'pending');

create trigger dream_images_100_set_updated_at
  before update on public.dream_images
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Themes: a global catalogue everyone may read; entries carry themes with a confidence.
create table public.themes (
  id uuid primary key default gen_random_uuid(),
  name text not null
    constraint themes_name_check check (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  display_name text not null
    constraint themes_display_name_check
    check (char_length(display_name) >= 1 and char_length(display_name) <= 80 and display_name !~ '[[:cntrl:]]'),
  description text not null
    constraint themes_description_check check (char_length(description) >= 1 and char_length(description) <= 2000),
  category text not null
    constraint themes_category_check check (category ~ '^[a-z][a-z0-9_]{0,39}$'),
  created_at timestamptz not null default now(),
  constraint themes_name_key unique (name)
);
comment on table public.themes is 'The catalogue of dream themes (reference data, readable by everyone): name, description, category.';
comment on column public.themes.name is 'Stable identifier (lowercase snake_case), what set_entry_themes takes.';

alter table public.themes enable row level security;
revoke all on public.themes from anon, authenticated, service_role;
grant select on public.themes to anon, authenticated;
grant select, insert, update, delete on public.themes to service_role;

create policy themes_select_everyone on public.themes
  for select to anon, authenticated
  using (true);

-- The catalogue (reference data: db:diff carries changes of these rows into migrations).
insert into public.themes (name, display_name, description, category) values
  ('falling', 'Falling', 'Falling from a height or without ground below: loss of control, insecurity, letting go.', 'body'),
  ('flying', 'Flying', 'Flying or floating: freedom, escape, a sense of power or of rising above a situation.', 'body'),
  ('being_chased', 'Being chased', 'Pursued by a person, animal or presence: avoidance of a fear or a conflict.', 'threat'),
  ('teeth', 'Teeth falling out', 'Teeth crumbling or falling out: worry about appearance, ageing, loss or powerlessness.', 'body'),
  ('nakedness', 'Nakedness in public', 'Being naked or underdressed in front of others: exposure, shame, vulnerability.', 'social'),
  ('exam', 'Exam or test', 'Sitting an exam unprepared or late: being judged, performance anxiety.', 'social'),
  ('being_late', 'Being late', 'Missing a train, a flight or an appointment: pressure, missed chances.', 'social'),
  ('lost', 'Being lost', 'Lost in a city, a building or a forest: uncertainty about one''s direction.', 'place'),
  ('trapped', 'Trapped', 'Locked in, stuck or unable to move: constraint, helplessness, sleep paralysis.', 'threat'),
  ('water', 'Water', 'Seas, floods, rain or swimming: emotions, the unconscious, cleansing or being overwhelmed.', 'nature'),
  ('fire', 'Fire', 'Fire or burning: passion, anger, destruction or transformation.', 'nature'),
  ('storm', 'Storm', 'Storms, wind or natural disaster: turmoil and forces beyond one''s control.', 'nature'),
  ('animals', 'Animals', 'Animals, wild or tame: instincts and traits one recognises or fears.', 'nature'),
  ('snakes', 'Snakes', 'Snakes: hidden threat, temptation, or healing and renewal.', 'nature'),
  ('death', 'Death', 'Dying or someone''s death: an ending, change, grief, or fear of loss.', 'life'),
  ('birth', 'Birth and pregnancy', 'Pregnancy, birth or a baby: new beginnings, creativity, responsibility.', 'life'),
  ('wedding', 'Wedding', 'A wedding or commitment: union, transition, expectations of others.', 'life'),
  ('house', 'House and rooms', 'A house, often with unknown rooms: the self, its hidden parts and possibilities.', 'place'),
  ('childhood_home', 'Childhood home', 'The home one grew up in: the past, family patterns, nostalgia.', 'place'),
  ('school', 'School', 'Classrooms, teachers, old classmates: learning, judgement, unresolved past.', 'place'),
  ('work', 'Work', 'The workplace, colleagues or tasks: duty, stress, ambition, recognition.', 'social'),
  ('travel', 'Journey and vehicles', 'Cars, trains, planes or roads: the course of one''s life and who is driving it.', 'place'),
  ('family', 'Family', 'Parents, siblings, children: bonds, roles and conflicts in the family.', 'relationships'),
  ('ex_partner', 'Former partner', 'An ex-partner: unfinished feelings, comparison, lessons of a past relationship.', 'relationships'),
  ('romance', 'Romance', 'Love, attraction or intimacy: desire, connection, longing.', 'relationships'),
  ('conflict', 'Conflict', 'Arguments, fights or war: inner tension or a dispute in waking life.', 'threat'),
  ('stranger', 'Stranger or shadow figure', 'An unknown person or dark figure: unacknowledged parts of oneself (the shadow).', 'threat'),
  ('deceased', 'Visit from the deceased', 'Meeting someone who has died: grief, guidance, unfinished words.', 'life'),
  ('money', 'Money', 'Finding, losing or lacking money: self-worth, security, value.', 'life'),
  ('food', 'Food and eating', 'Meals, hunger or feasts: needs, nourishment, appetite for life.', 'body'),
  ('illness', 'Illness and injury', 'Being ill or hurt: vulnerability, neglected needs, healing.', 'body'),
  ('technology', 'Broken technology', 'Phones that do not dial, screens that fail: trouble communicating or reaching someone.', 'social'),
  ('transformation', 'Transformation', 'Changing shape, age or identity: growth and change under way.', 'life'),
  ('light_darkness', 'Light and darkness', 'Bright light or deep darkness: insight and the unknown.', 'nature'),
  ('lucidity', 'Lucid awareness', 'Knowing that one is dreaming, and sometimes steering the dream.', 'mind'),
  ('recurring', 'Recurring dream', 'A dream that returns: a theme the dreamer has not yet resolved.', 'mind');

create function public.list_themes()
returns setof public.themes
language sql
stable
security invoker
set search_path = ''
as $$
  select t.* from public.themes t order by t.category, t.name
$$;
grant execute on function public.list_themes() to authenticated;
comment on function public.list_themes() is
  'The theme catalogue (themes rows: id, name, display_name, description, category), by category and name. The '
  'themes table is readable by everyone; this RPC needs a signed-in user (anon is denied, 401).';

create table public.entry_themes (
  entry_id uuid not null references public.entries (id) on delete cascade,
  theme_id uuid not null references public.themes (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  confidence numeric not null
    constraint entry_themes_confidence_check check (confidence >= 0 and confidence <= 1),
  source private.short_text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint entry_themes_pkey primary key (entry_id, theme_id)
);
comment on table public.entry_themes is 'The themes of an entry (a dream), each with a confidence from 0 to 1 and who found it.';
comment on column public.entry_themes.source is 'Who set it: user, or the agent that found it (e.g. jungian_interpreter).';

create index entry_themes_theme_id_idx on public.entry_themes (theme_id);
create index entry_themes_user_id_idx on public.entry_themes (user_id);

alter table public.entry_themes enable row level security;
revoke all on public.entry_themes from anon, authenticated, service_role;
grant select, delete on public.entry_themes to authenticated;
grant insert (entry_id, theme_id, user_id, confidence, source) on public.entry_themes to authenticated;
grant update (confidence, source) on public.entry_themes to authenticated;
grant select, insert, update, delete on public.entry_themes to service_role;

create policy entry_themes_select_own on public.entry_themes
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy entry_themes_insert_own on public.entry_themes
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_entry(entry_id));

create policy entry_themes_update_own on public.entry_themes
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy entry_themes_delete_own on public.entry_themes
  for delete to authenticated
  using (user_id = (select auth.uid()));

create trigger entry_themes_100_set_updated_at
  before update on public.entry_themes
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Interpretations: one artifact (type interpretation, linked to the entry) per entry and
-- interpreter agent; its versions are the interpretation's history.

-- An artifact may belong to an entry instead of a chat or project (210_artifacts.sql states the
-- column and the rules); its entry is here, after entries.
alter table public.artifacts
  add constraint artifacts_entry_id_fkey foreign key (entry_id) references public.entries (id) on delete cascade;

-- An entry's artifact belongs to the entry's owner, whoever writes the row (the service role
-- included): the policies on artifacts compare owner_id for entry artifacts. Security definer: it
-- compares owners and reveals nothing else.
create function private.artifacts_check_entry()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.entries e where e.id = new.entry_id and e.user_id = new.owner_id) then
    perform private.not_found('entry', 'An artifact of an entry belongs to the entry''s owner.');
  end if;
  return new;
end
$$;

create trigger artifacts_095_check_entry
  before insert or update of entry_id, owner_id on public.artifacts
  for each row
  when (new.entry_id is not null)
  execute function private.artifacts_check_entry();

create table public.entry_interpretations (
  entry_id uuid not null references public.entries (id) on delete cascade,
  agent_id uuid not null references public.agents (id) on delete cascade,
  artifact_id uuid not null references public.artifacts (id) on delete cascade,
  user_id uuid not null default auth.uid(),
  created_at timestamptz not null default now(),
  constraint entry_interpretations_pkey primary key (entry_id, agent_id),
  constraint entry_interpretations_artifact_id_key unique (artifact_id)
);
comment on table public.entry_interpretations is
  'Which artifact holds each interpreter agent''s interpretation of an entry (one per entry and agent).';

create index entry_interpretations_agent_id_idx on public.entry_interpretations (agent_id);
create index entry_interpretations_user_id_idx on public.entry_interpretations (user_id);

alter table public.entry_interpretations enable row level security;
revoke all on public.entry_interpretations from anon, authenticated, service_role;
grant select on public.entry_interpretations to authenticated;
grant insert (entry_id, agent_id, artifact_id, user_id) on public.entry_interpretations to authenticated;
grant select, insert, update, delete on public.entry_interpretations to service_role;

create policy entry_interpretations_select_own on public.entry_interpretations
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy entry_interpretations_insert_own on public.entry_interpretations
  for insert to authenticated
  with check (user_id = (select auth.uid()) and private.owns_entry(entry_id));

-- ---------------------------------------------------------------------------------------------
-- A conversation about an entry: chats.entry_id (110_chats.sql), only to an entry of the chat's
-- owner. Security definer: the check must see the entry whoever writes the chat row; it compares
-- owners and reveals nothing else.
alter table public.chats
  add constraint chats_entry_id_fkey foreign key (entry_id) references public.entries (id) on delete set null;

create function private.chats_check_entry()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.entry_id is not null and not exists (
    select 1 from public.entries e where e.id = new.entry_id and e.user_id = new.owner_id
  ) then
    perform private.not_found('entry', 'A chat can only be about an entry of the chat''s owner.');
  end if;
  return new;
end
$$;

create trigger chats_115_check_entry
  before insert or update of entry_id on public.chats
  for each row
  when (new.entry_id is not null)
  execute function private.chats_check_entry();

-- ---------------------------------------------------------------------------------------------
-- What get_entry adds for themes and dreams (private.entry_details, 330_entry_rpcs.sql).
create function private.entry_dream_details(entry public.entries)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  details public.dream_details;
begin
  select d.* into details from public.dream_details d where d.entry_id = entry.id;
  return jsonb_build_object(
    'themes', coalesce((
      select jsonb_agg(jsonb_build_object('theme', t.name, 'display_name', t.display_name, 'confidence', x.confidence,
        'source', x.source) order by x.confidence desc, t.name)
      from public.entry_themes x join public.themes t on t.id = x.theme_id where x.entry_id = entry.id), '[]'),
    'dream', case when details.entry_id is not null then
      to_jsonb(details) - 'entry_id' - 'user_id' - 'created_at' end,
    'images', coalesce((
      select jsonb_agg(jsonb_build_object('id', i.id, 'prompt', i.prompt, 'storage_path', i.storage_path,
        'status', i.status, 'error', i.error, 'created_at', i.created_at) order by i.created_at, i.id)
      from public.dream_images i where i.entry_id = entry.id), '[]'),
    'interpretations', coalesce((
      select jsonb_agg(jsonb_build_object('artifact_id', a.id, 'agent_id', x.agent_id, 'agent_name', g.name,
        'title', a.title, 'current_version', a.current_version, 'content', v.content, 'content_json', v.content_json,
        'updated_at', a.updated_at) order by g.name, x.agent_id)
      from public.entry_interpretations x
      join public.artifacts a on a.id = x.artifact_id
      left join public.artifact_versions v on v.id = a.current_version_id
      left join public.agents g on g.id = x.agent_id
      where x.entry_id = entry.id), '[]'));
end
$$;
grant execute on function private.entry_dream_details(public.entries) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPCs

-- The morning a dream is recorded for: now for today's dream, 07:00 local time of an earlier
-- date, so that list_entries shows older dreams in their place.
create function private.dream_occurred_at(dreamt_on date, zone text)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select case when dreamt_on >= private.local_today(zone) then private.now()
    else (dreamt_on + time '07:00') at time zone zone end
$$;
grant execute on function private.dream_occurred_at(date, text) to authenticated;

create function public.create_dream(
  title text default null,
  content text default null,
  dreamt_on date default null,
  audio_path text default null,
  client_id text default null,
  lucid boolean default null,
  mood text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  zone text;
  night date;
  clean_title text := nullif(pg_catalog.btrim(create_dream.title), '');
  clean_mood text := nullif(create_dream.mood, '');
  entry public.entries;
begin
  if me is null then
    raise exception 'sign in to record dreams' using errcode = '42501';
  end if;
  perform private.check_entry_fields(clean_title, create_dream.content, null, null, null, null);
  perform private.check_token(create_dream.client_id, 'client_id', 200);
  perform private.check_user_storage_path(create_dream.audio_path, 'audio_path', me);
  if clean_mood is not null and clean_mood !~ '^[a-z][a-z0-9_]{0,39}$' then
    perform private.invalid_parameter('mood must be lowercase snake_case of 1 to 40 characters (e.g. anxious)');
  end if;
  zone := private.user_timezone(me);
  night := coalesce(create_dream.dreamt_on, private.local_today(zone));
  if night > private.local_today(zone) then
    perform private.invalid_parameter(pg_catalog.format('dreamt_on %s is in the future: today is %s in %s', night,
      private.local_today(zone), zone));
  end if;

  if create_dream.client_id is not null then
    select e.* into entry from public.entries e
    where e.user_id = me and e.client_id = create_dream.client_id and e.source_app is null;
    if found then
      return private.entry_details(entry); -- a replay
    end if;
  end if;
  entry := private.insert_entry(array['dream'], clean_title, create_dream.content,
    private.dream_occurred_at(night, zone), null, null, '{}', create_dream.client_id, null);
  insert into public.dream_details (entry_id, dreamt_on, lucid, mood, audio_path, transcription_status)
  values (entry.id, night, coalesce(create_dream.lucid, false), clean_mood, create_dream.audio_path,
    case when create_dream.audio_path is not null then 'pending' end);
  return private.entry_details(entry);
end
$$;
grant execute on function public.create_dream(text, text, date, text, text, boolean, text) to authenticated;
comment on function public.create_dream(text, text, date, text, text, boolean, text) is
  'Records a dream of the caller''s: an entry with the dream facet (title, body_markdown = content) and its dream '
  'details; returns it as get_entry does. dreamt_on: the local date of the night (default today in the user''s time '
  'zone; not in the future); audio_path: the recording, <bucket>/<your user id>/<name> in Storage, whose '
  'transcription then starts pending; lucid (default false); mood (snake_case). client_id (optional): a replay '
  'returns the dream the first call made and writes nothing. Errors: 22023 (400) naming the field; anon is denied (401).';

create function public.update_dream(
  entry_id uuid,
  dreamt_on date default null,
  lucid boolean default null,
  mood text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  details public.dream_details;
  entry public.entries;
  clean_mood text := update_dream.mood;
begin
  if clean_mood <> '' and clean_mood !~ '^[a-z][a-z0-9_]{0,39}$' then
    perform private.invalid_parameter('mood must be lowercase snake_case of 1 to 40 characters (e.g. anxious)');
  end if;
  select d.* into details from public.dream_details d where d.entry_id = update_dream.entry_id;
  if not found then
    perform private.not_found('dream', 'The entry is not a dream of yours.');
  end if;
  if update_dream.dreamt_on > private.local_today(private.user_timezone(details.user_id)) then
    perform private.invalid_parameter('dreamt_on must not be in the future');
  end if;
  update public.dream_details d
  set dreamt_on = coalesce(update_dream.dreamt_on, d.dreamt_on), lucid = coalesce(update_dream.lucid, d.lucid),
      mood = case when clean_mood is null then d.mood else nullif(clean_mood, '') end
  where d.entry_id = details.entry_id
    and (d.dreamt_on, d.lucid, d.mood::text) is distinct from (coalesce(update_dream.dreamt_on, d.dreamt_on),
      coalesce(update_dream.lucid, d.lucid), case when clean_mood is null then d.mood else nullif(clean_mood, '') end);
  select e.* into entry from public.entries e where e.id = details.entry_id;
  return private.entry_details(entry);
end
$$;
grant execute on function public.update_dream(uuid, date, boolean, text) to authenticated;
comment on function public.update_dream(uuid, date, boolean, text) is
  'Changes a dream''s details (the caller''s): dreamt_on (not in the future), lucid, mood ('''' clears it); omitted '
  'arguments leave them unchanged. Returns the dream as get_entry does. Title and text change with upsert_entry. '
  'Errors: 22023 (400) naming the field; PT404 (404) not a dream of the caller''s; anon is denied (401).';

-- RPC (service role): moves a dream's transcription along pending → processing → done | failed
-- (and failed → processing, to retry). Done needs the transcript, which becomes the dream's text
-- when it has none yet.
create function public.set_dream_transcription(
  entry_id uuid,
  status text,
  transcript text default null,
  error text default null
)
returns public.dream_details
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  details public.dream_details;
  clean_transcript text := nullif(pg_catalog.btrim(set_dream_transcription.transcript), '');
  clean_error text := nullif(pg_catalog.btrim(set_dream_transcription.error), '');
begin
  if set_dream_transcription.status is null
    or set_dream_transcription.status not in ('pending', 'processing', 'done', 'failed') then
    perform private.invalid_parameter(pg_catalog.format('status %L is not one of pending, processing, done, failed',
      set_dream_transcription.status));
  end if;
  if set_dream_transcription.status = 'done' and clean_transcript is null then
    perform private.invalid_parameter('transcript is required when status is done');
  end if;
  if char_length(clean_transcript) > 1000000 then
    perform private.invalid_parameter('transcript must be at most 1,000,000 characters');
  end if;
  if char_length(clean_error) > 2000 then
    perform private.invalid_parameter('error must be at most 2,000 characters');
  end if;
  select d.* into details from public.dream_details d where d.entry_id = set_dream_transcription.entry_id for no key update;
  if not found or details.transcription_status is null then
    perform private.not_found('dream recording', 'The entry is not a dream with audio.');
  end if;
  if details.transcription_status = set_dream_transcription.status then
    if details.transcription_status = 'done' and details.transcript is distinct from clean_transcript then
      perform private.invalid_parameter('the transcription is done already, with another transcript');
    end if;
    return details; -- a replay
  end if;
  if not (details.transcription_status, set_dream_transcription.status) in (('pending', 'processing'),
    ('pending', 'failed'), ('processing', 'done'), ('processing', 'failed'), ('failed', 'processing')) then
    perform private.invalid_parameter(pg_catalog.format('status cannot go from %s to %s',
      details.transcription_status, set_dream_transcription.status),
      'Transcriptions go pending → processing → done or failed; failed → processing retries.');
  end if;
  update public.dream_details d
  set transcription_status = set_dream_transcription.status,
      transcript = case when set_dream_transcription.status = 'done' then clean_transcript else d.transcript end,
      transcription_error = case when set_dream_transcription.status = 'failed' then clean_error end,
      transcribed_at = case when set_dream_transcription.status = 'done' then private.now() else d.transcribed_at end
  where d.entry_id = details.entry_id
  returning d.* into details;
  if set_dream_transcription.status = 'done' then
    update public.entries e set body_markdown = clean_transcript
    where e.id = details.entry_id and coalesce(e.body_markdown, '') = '';
  end if;
  return details;
end
$$;
grant execute on function public.set_dream_transcription(uuid, text, text, text) to service_role;
comment on function public.set_dream_transcription(uuid, text, text, text) is
  'Service role only (the transcription worker): moves a dream''s transcription pending → processing → done | failed '
  '(failed → processing retries) and returns the dream_details row. done requires the transcript (<= 1,000,000 '
  'characters), which also becomes the entry''s body_markdown when that is empty; failed keeps error (<= 2,000 '
  'characters). The same status again is a replay and writes nothing. Errors: 22023 (400) unknown status, a move '
  'the order forbids, a missing transcript; PT404 (404) not a dream with audio. Users and anon are denied.';

create function public.request_dream_image(entry_id uuid, prompt text)
returns public.dream_images
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  clean_prompt text := pg_catalog.btrim(request_dream_image.prompt);
  image public.dream_images;
begin
  if clean_prompt is null or char_length(clean_prompt) not between 1 and 4000 then
    perform private.invalid_parameter('prompt must be 1 to 4,000 characters');
  end if;
  if not exists (select 1 from public.dream_details d where d.entry_id = request_dream_image.entry_id) then
    perform private.not_found('dream', 'The entry is not a dream of yours.');
  end if;
  insert into public.dream_images (entry_id, prompt) values (request_dream_image.entry_id, clean_prompt)
  returning * into image;
  return image;
end
$$;
grant execute on function public.request_dream_image(uuid, text) to authenticated;
comment on function public.request_dream_image(uuid, text) is
  'Asks for an image of a dream of the caller''s: a dream_images row with the prompt (1-4,000 characters), status '
  'pending, for the image worker (service role, set_dream_image). Errors: 22023 (400) bad prompt; PT404 (404) not a '
  'dream of the caller''s; anon is denied (401).';

create function public.set_dream_image(
  image_id uuid,
  status text,
  storage_path text default null,
  error text default null
)
returns public.dream_images
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  image public.dream_images;
begin
  if set_dream_image.status is null or set_dream_image.status not in ('pending', 'generating', 'done', 'failed') then
    perform private.invalid_parameter(pg_catalog.format('status %L is not one of pending, generating, done, failed',
      set_dream_image.status));
  end if;
  select i.* into image from public.dream_images i where i.id = set_dream_image.image_id for no key update;
  if not found then
    perform private.not_found('image');
  end if;
  if set_dream_image.status = 'done' then
    perform private.check_user_storage_path(set_dream_image.storage_path, 'storage_path', image.user_id);
    if set_dream_image.storage_path is null then
      perform private.invalid_parameter('storage_path is required when status is done');
    end if;
  end if;
  if char_length(set_dream_image.error) > 2000 then
    perform private.invalid_parameter('error must be at most 2,000 characters');
  end if;
  if image.status = set_dream_image.status then
    return image;
  end if;
  if not (image.status, set_dream_image.status) in (('pending', 'generating'), ('pending', 'failed'),
    ('generating', 'done'), ('generating', 'failed'), ('failed', 'generating')) then
    perform private.invalid_parameter(pg_catalog.format('status cannot go from %s to %s', image.status,
      set_dream_image.status), 'Images go pending → generating → done or failed; failed → generating retries.');
  end if;
  update public.dream_images i
  set status = set_dream_image.status,
      storage_path = case when set_dream_image.status = 'done' then set_dream_image.storage_path else i.storage_path end,
      error = case when set_dream_image.status = 'failed' then nullif(pg_catalog.btrim(set_dream_image.error), '') end
  where i.id = image.id
  returning i.* into image;
  return image;
end
$$;
grant execute on function public.set_dream_image(uuid, text, text, text) to service_role;
comment on function public.set_dream_image(uuid, text, text, text) is
  'Service role only (the image worker): moves a dream image pending → generating → done | failed (failed → '
  'generating retries) and returns the dream_images row; done requires storage_path (<bucket>/<owner id>/<name>), '
  'failed keeps error. The same status again writes nothing. Errors: 22023 (400); PT404 (404) no such image.';

-- RPC: sets themes of an entry with a confidence; with replace, the entry's other themes go.
create function public.set_entry_themes(entry_id uuid, themes jsonb, replace boolean default false)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  entry public.entries;
  item jsonb;
  i integer := 0;
  theme_ids uuid[] := '{}';
  confidences numeric[] := '{}';
  sources text[] := '{}';
  found_id uuid;
  changed integer := 0;
  n integer;
begin
  if set_entry_themes.themes is null or jsonb_typeof(set_entry_themes.themes) <> 'array'
    or jsonb_array_length(set_entry_themes.themes) > 100 then
    perform private.invalid_parameter('themes must be an array of at most 100 {theme, confidence}');
  end if;
  for item in select value from jsonb_array_elements(set_entry_themes.themes) loop
    if jsonb_typeof(item) <> 'object' then
      perform private.invalid_parameter(pg_catalog.format('themes[%s] must be an object {theme, confidence}', i));
    end if;
    select t.id into found_id from public.themes t where t.name = lower(pg_catalog.btrim(item ->> 'theme'));
    if found_id is null then
      perform private.invalid_parameter(pg_catalog.format('themes[%s].theme %L is not a theme', i, item ->> 'theme'),
        'See list_themes().');
    end if;
    if jsonb_typeof(item -> 'confidence') is distinct from 'number' or (item ->> 'confidence')::numeric not between 0 and 1 then
      perform private.invalid_parameter(pg_catalog.format('themes[%s].confidence must be a number from 0 to 1', i));
    end if;
    if item ? 'source' and jsonb_typeof(item -> 'source') <> 'null' and (jsonb_typeof(item -> 'source') <> 'string'
      or char_length(item ->> 'source') not between 1 and 64 or (item ->> 'source') ~ '[[:cntrl:]]') then
      perform private.invalid_parameter(pg_catalog.format('themes[%s].source must be 1 to 64 characters', i));
    end if;
    if found_id = any (theme_ids) then
      perform private.invalid_parameter(pg_catalog.format('themes[%s].theme %L is given twice', i, item ->> 'theme'));
    end if;
    theme_ids := theme_ids || found_id;
    confidences := confidences || (item ->> 'confidence')::numeric;
    sources := sources || coalesce(item ->> 'source', case when (select auth.uid()) is null then null else 'user' end);
    i := i + 1;
  end loop;

  select e.* into entry from public.entries e where e.id = set_entry_themes.entry_id for no key update;
  if not found then
    perform private.not_found('entry');
  end if;
  if set_entry_themes.replace then
    delete from public.entry_themes x where x.entry_id = entry.id and x.theme_id <> all (theme_ids);
    get diagnostics n = row_count;
    changed := changed + n;
  end if;
  insert into public.entry_themes (entry_id, theme_id, user_id, confidence, source)
  select entry.id, g.theme_id, entry.user_id, g.confidence, g.source
  from unnest(theme_ids, confidences, sources) g(theme_id, confidence, source)
  on conflict (entry_id, theme_id) do update set confidence = excluded.confidence, source = excluded.source
  where (entry_themes.confidence, entry_themes.source) is distinct from (excluded.confidence, excluded.source);
  get diagnostics n = row_count;
  changed := changed + n;
  if changed > 0 then
    -- the entry has changed (its broadcast tells the owner's clients)
    perform private.touch_entries(array[entry.id]);
  end if;
  return jsonb_build_object('changed', changed > 0, 'themes', private.entry_dream_details(entry) -> 'themes');
end
$$;
grant execute on function public.set_entry_themes(uuid, jsonb, boolean) to authenticated, service_role;
comment on function public.set_entry_themes(uuid, jsonb, boolean) is
  'Sets themes of an entry of the caller''s (or, for the service role, of anyone''s) and returns {changed, themes: '
  '[{theme, display_name, confidence, source}]}. themes: an array of at most 100 {theme (a name from list_themes), '
  'confidence (0 to 1), source? (who found it: default user; an agent name when an interpreter sets it)}; a theme '
  'already on the entry takes the new confidence. replace (default false): the entry''s themes not listed are '
  'removed. The same call again writes nothing. Errors: 22023 (400) naming the element (e.g. themes[0].confidence '
  'must be a number from 0 to 1, an unknown theme); PT404 (404) not the caller''s entry; anon is denied (401).';

-- RPC: an interpreter agent's interpretation of an entry, versioned: the first call makes the
-- artifact (type interpretation, linked to the entry, titled after the agent), later calls add
-- versions. The versioning is the artifacts' own (private.write_artifact_version: expected_version,
-- unchanged content writes nothing), not a copy of it.
create function public.save_interpretation(
  entry_id uuid,
  agent_id uuid,
  content text default null,
  content_json jsonb default null,
  change_summary text default null,
  expected_version integer default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  entry public.entries;
  agent public.agents;
  target_id uuid;
  first_version boolean := false;
begin
  if save_interpretation.expected_version < 0 then
    perform private.invalid_parameter('expected_version must be a version number (0 for a first interpretation)');
  end if;
  perform private.validate_artifact_content('interpretation', save_interpretation.content,
    save_interpretation.content_json, null);
  select e.* into entry from public.entries e where e.id = save_interpretation.entry_id;
  if not found then
    perform private.not_found('entry');
  end if;
  select a.* into agent from public.agents a where a.id = save_interpretation.agent_id;
  if not found or agent.kind <> 'interpreter' then
    perform private.invalid_parameter('agent_id is not an interpreter agent you can use',
      'See list_agents(): interpreters have kind interpreter.');
  end if;

  -- one artifact per entry and agent, even when two first calls race
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'parley.interpretation:' || entry.id::text || ':' || agent.id::text, 0));
  select x.artifact_id into target_id from public.entry_interpretations x
  where x.entry_id = entry.id and x.agent_id = agent.id;
  if target_id is null then
    if save_interpretation.expected_version > 0 then
      raise exception '%', pg_catalog.format('the interpretation has changed: expected version %s but there is none yet',
        save_interpretation.expected_version) using errcode = 'PT409',
        hint = 'Save it with expected_version 0 (or none) to create it.';
    end if;
    if me is null then
      -- the service role writes for the entry's owner
      insert into public.artifacts (entry_id, owner_id, type, title)
      values (entry.id, entry.user_id, 'interpretation', agent.display_name || ' interpretation')
      returning id into target_id;
    else
      insert into public.artifacts (entry_id, type, title)
      values (entry.id, 'interpretation', agent.display_name || ' interpretation')
      returning id into target_id;
    end if;
    insert into public.entry_interpretations (entry_id, agent_id, artifact_id, user_id)
    values (entry.id, agent.id, target_id, entry.user_id);
    first_version := true;
  end if;
  return private.write_artifact_version(target_id, save_interpretation.content, save_interpretation.content_json, null,
    coalesce(nullif(pg_catalog.btrim(save_interpretation.change_summary), ''), case when first_version then 'Created' end),
    null, case when not first_version then save_interpretation.expected_version end, null);
end
$$;
grant execute on function public.save_interpretation(uuid, uuid, text, jsonb, text, integer) to authenticated, service_role;
comment on function public.save_interpretation(uuid, uuid, text, jsonb, text, integer) is
  'Writes an interpreter agent''s interpretation of an entry (the caller''s; the service role may write for any '
  'entry): the first call creates the artifact (type interpretation, entry_id set, titled "<agent> interpretation", '
  'owned by the entry''s owner) with version 1, later calls add versions to it. Returns {created, artifact, '
  'version} as add_artifact_version does; content identical to the current version writes nothing (created false). '
  'agent_id: an interpreter agent (kind interpreter) the caller can use; content (<= 1,000,000 characters) and/or '
  'content_json; expected_version: the version the text was based on (0: none yet), stale → PT409. The artifact''s '
  'history, diffs and reverts are the artifact RPCs'' (list_artifact_versions, diff_artifact_versions, '
  'revert_artifact, add_artifact_version). Errors: 22023 (400) naming the field or a non-interpreter agent; '
  'PT404 (404) not the caller''s entry; PT409 (409) stale expected_version; anon is denied (401).';
