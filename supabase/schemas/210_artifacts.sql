-- Artifacts with git-style immutable versions (OHM's create_artifact_with_version; Somni's
-- interpretations). An artifact belongs to a chat (and then to the chat's project, and no other), to
-- a project alone, or to a journal entry (an interpretation, 380_dreams.sql); each change is a new version
-- whose parent is the previous one, numbered 1, 2, 3… per artifact. A version never changes and is
-- never deleted, except with its artifact; a revert appends a version with an old one's content.
--
-- Access follows the chat for a chat's artifact: its readers (owner, members) read the artifact, its
-- versions and the rows materialised from them, its owner and editors write; a project's own
-- artifacts (without a chat) are its owner's, an entry's artifact its entry's owner's alone (read
-- and write). Anonymous visitors read artifacts only through a chat share (get_shared_chat).
create table public.artifacts (
  id uuid primary key default gen_random_uuid(),
  -- Deleting the chat (or project) deletes the artifacts that belong to nothing else and unlinks
  -- the others (triggers below, then these foreign keys).
  chat_id uuid references public.chats (id) on delete set null,
  project_id uuid references public.projects (id) on delete set null,
  -- the creator; no foreign key, like messages.author_id: deleting a user never scans artifacts
  -- they made in other people's chats
  owner_id uuid not null default auth.uid(),
  type text not null
    constraint artifacts_type_check check (type in ('context', 'mvp', 'prd', 'bom', 'code', 'wiring',
      'circuit_diagram', 'budget', 'datasheet_analysis', 'overview', 'interpretation')),
  title text not null
    constraint artifacts_title_check
    check (char_length(title) >= 1 and char_length(title) <= 200 and title !~ '[[:cntrl:]]' and title = btrim(title)),
  description text
    constraint artifacts_description_check check (description is null or char_length(description) <= 2000),
  current_version integer not null default 0,
  total_versions integer not null default 0,
  -- the current version's id, kept by the version trigger (no foreign key: versions are deleted
  -- only with their artifact, and a key here would make each of those deletes scan artifacts)
  current_version_id uuid,
  created_by_message_id uuid,
  hidden_at timestamptz,
  hidden_by uuid,
  -- clock time, so artifacts made in one transaction still list in the order they were made
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default now(),
  -- the journal entry an artifact belongs to instead of a chat or project (its foreign key and
  -- the trigger that makes owner_id the entry's owner are in 380_dreams.sql, after entries)
  entry_id uuid,
  constraint artifacts_scope_check check (
    (entry_id is null and (chat_id is not null or project_id is not null))
    or (entry_id is not null and chat_id is null and project_id is null))
);
comment on table public.artifacts is
  'Artifacts: documents, BOMs, code, wiring, diagrams… produced in a chat and/or for a project, with immutable '
  'versions in artifact_versions. current_version is always the latest version (a revert appends a version).';
comment on column public.artifacts.owner_id is 'The user who created the artifact.';
comment on column public.artifacts.current_version is 'Number of the current (latest) version; 0 only while version 1 is being written.';
comment on column public.artifacts.created_by_message_id is 'The message whose answer created the artifact (a message of chat_id).';
comment on column public.artifacts.entry_id is
  'The journal entry the artifact belongs to (an interpretation of a dream), instead of a chat or project.';
comment on column public.artifacts.hidden_at is 'Soft delete: set by hide_artifact, cleared by unhide_artifact. Lists leave hidden artifacts out.';

create index artifacts_chat_id_created_at_idx on public.artifacts (chat_id, created_at) where chat_id is not null;
create index artifacts_project_id_type_idx on public.artifacts (project_id, type) where project_id is not null;
create index artifacts_entry_id_idx on public.artifacts (entry_id) where entry_id is not null;
-- a retried create_artifact_with_version finds what the first attempt made
create unique index artifacts_created_by_message_id_type_title_key
  on public.artifacts (created_by_message_id, type, title) where created_by_message_id is not null;

-- An artifact of a chat belongs to the chat's project, whoever writes the row (the service role
-- included): an insert without project_id takes the chat's, one naming another is refused. An
-- update may only clear it (deleting the project does). Security definer: the chat may be one the
-- writer cannot read (the service role's rows are checked all the same).
create function private.artifacts_check_project()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  chat_project_id uuid;
begin
  if new.chat_id is null or (tg_op = 'UPDATE' and new.project_id is null) then
    return new;
  end if;
  select c.project_id into chat_project_id from public.chats c where c.id = new.chat_id;
  if tg_op = 'INSERT' and new.project_id is null then
    new.project_id := chat_project_id;
  elsif new.project_id is distinct from chat_project_id then
    perform private.invalid_parameter('an artifact of a chat belongs to the chat''s project',
      'Leave project_id out: it is the chat''s.');
  end if;
  return new;
end
$$;

create trigger artifacts_090_check_project
  before insert or update of chat_id, project_id on public.artifacts
  for each row execute function private.artifacts_check_project();

create trigger artifacts_100_set_updated_at
  before update on public.artifacts
  for each row execute function private.set_updated_at();

create table public.artifact_versions (
  id uuid primary key default gen_random_uuid(),
  artifact_id uuid not null references public.artifacts (id) on delete cascade,
  version_number integer not null,
  -- parent and revert source are versions of the same artifact, set by the trigger; no foreign
  -- keys, so deleting an artifact's versions never has to look for referencing rows
  parent_version_id uuid,
  reverted_from_version_id uuid,
  content text
    constraint artifact_versions_content_check check (content is null or char_length(content) <= 1000000),
  content_json jsonb
    constraint artifact_versions_content_json_check
    check (content_json is null or jsonb_typeof(content_json) in ('object', 'array')),
  file_path text
    constraint artifact_versions_file_path_check
    check (file_path is null or (char_length(file_path) >= 3 and char_length(file_path) <= 1024
      and file_path ~ '^[a-z0-9][a-z0-9_-]*/[^/]' and file_path !~ '[[:cntrl:]\\]' and file_path !~ '(^|/)\.\.?(/|$)')),
  content_hash text not null
    constraint artifact_versions_content_hash_check check (content_hash ~ '^[0-9a-f]{64}$'),
  change_summary text
    constraint artifact_versions_change_summary_check check (change_summary is null or char_length(change_summary) <= 2000),
  created_by_message_id uuid,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  constraint artifact_versions_content_present_check check (content is not null or content_json is not null or file_path is not null),
  constraint artifact_versions_artifact_id_version_number_key unique (artifact_id, version_number)
);
comment on table public.artifact_versions is
  'Immutable versions of artifacts: numbered 1, 2, 3… per artifact, each the child of the previous one. Never updated; '
  'deleted only with their artifact.';
comment on column public.artifact_versions.content is 'Text content (markdown, code…), at most 1,000,000 characters.';
comment on column public.artifact_versions.content_json is
  'Structured content; bom, wiring and code artifacts require it in their format (see create_artifact_with_version).';
comment on column public.artifact_versions.file_path is
  'A Storage object holding the content (images, PDFs): bucket id, then the object name, e.g. generated/<user id>/diagram.png.';
comment on column public.artifact_versions.content_hash is
  'SHA-256 (hex) of the jsonb text of [content, content_json, file_path]: equal hashes mean equal content.';
comment on column public.artifact_versions.reverted_from_version_id is 'For a revert: the version whose content this one restores.';
comment on column public.artifact_versions.created_by_message_id is 'The message whose answer made this version (a message of the artifact''s chat).';

create index artifact_versions_created_by_message_id_idx
  on public.artifact_versions (created_by_message_id) where created_by_message_id is not null;

-- RLS helpers, like the chat's (30_chat_access.sql): the chat decides for a chat's artifact (its
-- readers read, its owner and editors write), the project's owner for the project's own.
create function private.has_role_on_artifact_scope(chat_id uuid, project_id uuid, role text default null)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if chat_id is not null then
    return private.has_role_on_chat(chat_id, role);
  end if;
  return project_id is not null and private.owns_project(project_id);
end
$$;
comment on function private.has_role_on_artifact_scope(uuid, uuid, text) is
  'Whether the calling user has at least the role (as has_role_on_chat) on what belongs to the chat or, without a '
  'chat, owns the project.';
grant execute on function private.has_role_on_artifact_scope(uuid, uuid, text) to authenticated;

create function private.has_role_on_artifact(artifact_id uuid, role text default null)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  scope record;
begin
  select a.chat_id, a.project_id, a.entry_id, a.owner_id into scope from public.artifacts a
  where a.id = has_role_on_artifact.artifact_id;
  return found and (private.has_role_on_artifact_scope(scope.chat_id, scope.project_id, role)
    or (scope.entry_id is not null and scope.owner_id = (select auth.uid())));
end
$$;
comment on function private.has_role_on_artifact(uuid, text) is
  'Whether the calling user has at least the role on the artifact: viewer or null reads, editor writes (see '
  'has_role_on_artifact_scope); an entry''s artifact is its owner''s.';
grant execute on function private.has_role_on_artifact(uuid, text) to authenticated;

-- Where a new artifact may be created: in a chat the caller writes to (it then belongs to the
-- chat's project, and no other), or in a project the caller owns.
create function private.can_create_artifact(chat_id uuid, project_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if chat_id is not null then
    return private.has_role_on_chat(chat_id, 'editor') and project_id is not distinct from (
      select c.project_id from public.chats c where c.id = can_create_artifact.chat_id);
  end if;
  return project_id is not null and private.owns_project(project_id);
end
$$;
comment on function private.can_create_artifact(uuid, uuid) is
  'Whether the calling user may create an artifact in the chat (a writer; the artifact then belongs to the chat''s '
  'project and no other) or, without a chat, in the project (its owner).';
grant execute on function private.can_create_artifact(uuid, uuid) to authenticated;

-- Clients write through the RPCs; these grants are what those security invoker RPCs need.
-- Version numbers, parents, hashes and the artifact's counters are set by triggers and stay
-- read-only. Nobody (service_role included) may update or delete versions.
alter table public.artifacts enable row level security;
revoke all on public.artifacts from anon, authenticated, service_role;
grant select on public.artifacts to authenticated;
grant insert (chat_id, project_id, type, title, description, created_by_message_id, entry_id) on public.artifacts
  to authenticated;
grant update (title, description) on public.artifacts to authenticated;
grant select, insert, delete on public.artifacts to service_role;
grant update (title, description, hidden_at, hidden_by) on public.artifacts to service_role;

-- An entry's artifact is its owner's (owner_id is the entry's owner: a trigger in 380_dreams.sql
-- holds every writer to that).
create policy artifacts_select_reader on public.artifacts
  for select to authenticated
  using (private.has_role_on_artifact_scope(chat_id, project_id)
    or (entry_id is not null and owner_id = (select auth.uid())));

create policy artifacts_insert_writer on public.artifacts
  for insert to authenticated
  with check (owner_id = (select auth.uid()) and (private.can_create_artifact(chat_id, project_id) or entry_id is not null));

create policy artifacts_update_writer on public.artifacts
  for update to authenticated
  using (private.has_role_on_artifact_scope(chat_id, project_id, 'editor')
    or (entry_id is not null and owner_id = (select auth.uid())))
  with check (private.has_role_on_artifact_scope(chat_id, project_id, 'editor')
    or (entry_id is not null and owner_id = (select auth.uid())));

alter table public.artifact_versions enable row level security;
revoke all on public.artifact_versions from anon, authenticated, service_role;
grant select on public.artifact_versions to authenticated;
grant insert (artifact_id, content, content_json, file_path, change_summary, created_by_message_id, reverted_from_version_id)
  on public.artifact_versions to authenticated;
grant select on public.artifact_versions to service_role;
grant insert (artifact_id, content, content_json, file_path, change_summary, created_by_message_id, reverted_from_version_id,
  created_by) on public.artifact_versions to service_role;

create policy artifact_versions_select_reader on public.artifact_versions
  for select to authenticated
  using (private.has_role_on_artifact(artifact_id));

create policy artifact_versions_insert_writer on public.artifact_versions
  for insert to authenticated
  with check (created_by = (select auth.uid()) and private.has_role_on_artifact(artifact_id, 'editor'));

-- The content hash: SHA-256 of the jsonb text of [content, content_json, file_path]. jsonb's text
-- is canonical (keys sorted, whitespace normalised), so equal JSON hashes equally whatever its
-- formatting, and the array keeps null and "" apart.
create function private.artifact_content_hash(content text, content_json jsonb, file_path text)
returns text
language sql
stable
parallel safe
set search_path = ''
as $$
  select encode(sha256(convert_to(jsonb_build_array(content, content_json, file_path)::text, 'UTF8')), 'hex')
$$;
comment on function private.artifact_content_hash(text, jsonb, text) is
  'SHA-256 (hex) of the jsonb text of [content, content_json, file_path].';
grant execute on function private.artifact_content_hash(text, jsonb, text) to authenticated, service_role;

-- Content for an artifact type: sizes, and the bom, wiring and code formats (which require
-- content_json). Raises 22023 naming the field.
create function private.validate_artifact_content(type text, content text, content_json jsonb, file_path text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if content is null and content_json is null and file_path is null then
    perform private.invalid_parameter('content, content_json or file_path is required');
  end if;
  if char_length(content) > 1000000 then
    perform private.invalid_parameter('content must be at most 1,000,000 characters',
      'Store larger content in Storage and give its file_path.');
  end if;
  if content_json is not null and jsonb_typeof(content_json) not in ('object', 'array') then
    perform private.invalid_parameter('content_json must be a JSON object or array');
  end if;
  if pg_column_size(content_json) > 4194304 then
    perform private.invalid_parameter('content_json must be at most 4 MB',
      'Store larger content in Storage and give its file_path.');
  end if;
  if file_path is not null and (char_length(file_path) not between 3 and 1024
    or file_path !~ '^[a-z0-9][a-z0-9_-]*/[^/]' or file_path ~ '[[:cntrl:]\\]' or file_path ~ '(^|/)\.\.?(/|$)') then
    perform private.invalid_parameter('file_path must be a Storage path: bucket id, "/", object name (no "." or ".." segments)');
  end if;
  if type in ('bom', 'wiring', 'code') and content_json is null then
    perform private.invalid_parameter(pg_catalog.format('content_json is required for a %s artifact', type),
      'See the formats in the comment on create_artifact_with_version.');
  end if;
  if type in ('bom', 'wiring', 'code') then
    perform private.validate_content_json(type, content_json);
  end if;
end
$$;
grant execute on function private.validate_artifact_content(text, text, jsonb, text) to authenticated, service_role;

-- Places every new version, whoever inserts it: locks the artifact (its writers serialize, nobody
-- else waits), numbers the version current + 1 under the current one, validates and hashes the
-- content, and moves the artifact's counters, reading only by primary key: the cost does not
-- depend on how many versions exist. Security definer: writers may not update the counters.
create function private.artifact_versions_before_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  artifact public.artifacts;
begin
  select a.* into artifact from public.artifacts a where a.id = new.artifact_id for no key update;
  if not found then
    perform private.not_found('artifact');
  end if;
  perform private.validate_artifact_content(artifact.type, new.content, new.content_json, new.file_path);
  if new.change_summary is not null and char_length(new.change_summary) > 2000 then
    perform private.invalid_parameter('change_summary must be at most 2,000 characters');
  end if;
  if new.created_by_message_id is not null and not exists (
    select 1 from public.messages m where m.id = new.created_by_message_id and m.chat_id = artifact.chat_id
  ) then
    perform private.invalid_parameter('message_id is not a message of the artifact''s chat');
  end if;
  if new.reverted_from_version_id is not null and not exists (
    select 1 from public.artifact_versions v where v.id = new.reverted_from_version_id and v.artifact_id = artifact.id
  ) then
    perform private.invalid_parameter('reverted_from_version_id is not a version of this artifact');
  end if;

  new.version_number := artifact.current_version + 1;
  new.parent_version_id := artifact.current_version_id;
  new.content_hash := private.artifact_content_hash(new.content, new.content_json, new.file_path);
  new.created_at := clock_timestamp();

  update public.artifacts a
  set current_version = new.version_number,
      total_versions = a.total_versions + 1,
      current_version_id = new.id
  where a.id = artifact.id;
  return new;
end
$$;

create trigger artifact_versions_100_place
  before insert on public.artifact_versions
  for each row execute function private.artifact_versions_before_insert();

-- Versions are immutable: no role has UPDATE or DELETE, and this trigger stops the table's owner
-- and superusers too. The one delete allowed is the cascade from deleting the artifact.
create function private.artifact_versions_refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from public.artifacts a where a.id = old.artifact_id) then
    return old;
  end if;
  raise exception 'artifact versions are immutable' using errcode = '42501',
    hint = case tg_op when 'UPDATE' then 'Add a new version (add_artifact_version, revert_artifact) instead.'
      else 'Hide the artifact (hide_artifact), or delete the artifact itself.' end;
end
$$;

create trigger artifact_versions_100_refuse_change
  before update or delete on public.artifact_versions
  for each row execute function private.artifact_versions_refuse_change();

-- Deleting a chat deletes its artifacts but those of its own project (the chat owner's), which stay
-- with the project; deleting a project deletes its artifacts that belong to no chat (the foreign
-- keys unlink the others). Security definer: the chat's owner has no delete right on artifacts.
create function private.delete_orphaned_artifacts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'chats' then
    delete from public.artifacts a
    where a.chat_id = old.id and (a.project_id is null or a.project_id is distinct from old.project_id);
  else
    delete from public.artifacts a where a.project_id = old.id and a.chat_id is null;
  end if;
  return old;
end
$$;

create trigger chats_120_delete_artifacts
  before delete on public.chats
  for each row execute function private.delete_orphaned_artifacts();

create trigger projects_120_delete_artifacts
  before delete on public.projects
  for each row execute function private.delete_orphaned_artifacts();

-- What RPCs return for a version: the row without its content.
create function private.artifact_version_summary(version public.artifact_versions)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select to_jsonb(version) - 'content' - 'content_json'
    || jsonb_build_object('has_content', version.content is not null, 'has_content_json', version.content_json is not null)
$$;
grant execute on function private.artifact_version_summary(public.artifact_versions) to authenticated, service_role;

-- Appends a version as the calling user (RLS applies): the common path of the write RPCs. Locks
-- the artifact, checks expected_version (PT409 when stale), and writes nothing when the content
-- hashes like the current version's. Returns {created, artifact, version}.
create function private.write_artifact_version(
  artifact_id uuid,
  content text,
  content_json jsonb,
  file_path text,
  change_summary text,
  message_id uuid,
  expected_version integer,
  reverted_from_version_id uuid
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  artifact public.artifacts;
  current_hash text;
  version public.artifact_versions;
begin
  -- FOR NO KEY UPDATE: the same lock the version trigger takes (writers serialize on the artifact)
  -- without blocking inserts that only reference it. Under RLS it also requires write access.
  select a.* into artifact from public.artifacts a where a.id = write_artifact_version.artifact_id for no key update;
  if not found then
    perform private.deny('artifact', write_artifact_version.artifact_id, 'change it');
  end if;
  if write_artifact_version.expected_version is not null and artifact.current_version <> write_artifact_version.expected_version then
    raise exception '%', pg_catalog.format('artifact has changed: expected version %s but the current version is %s',
      write_artifact_version.expected_version, artifact.current_version)
      using errcode = 'PT409', hint = 'Load the current version, apply your change to it, and try again.';
  end if;
  if artifact.current_version_id is not null then
    select v.content_hash into current_hash from public.artifact_versions v where v.id = artifact.current_version_id;
    if current_hash = private.artifact_content_hash(write_artifact_version.content, write_artifact_version.content_json,
      write_artifact_version.file_path) then
      select v.* into version from public.artifact_versions v where v.id = artifact.current_version_id;
      return jsonb_build_object('created', false, 'artifact', to_jsonb(artifact),
        'version', private.artifact_version_summary(version));
    end if;
  end if;

  insert into public.artifact_versions (artifact_id, content, content_json, file_path, change_summary, created_by_message_id,
    reverted_from_version_id)
  values (artifact.id, write_artifact_version.content, write_artifact_version.content_json, write_artifact_version.file_path,
    nullif(btrim(write_artifact_version.change_summary), ''), write_artifact_version.message_id,
    write_artifact_version.reverted_from_version_id)
  returning * into version;

  select a.* into artifact from public.artifacts a where a.id = artifact.id;
  return jsonb_build_object('created', true, 'artifact', to_jsonb(artifact),
    'version', private.artifact_version_summary(version));
end
$$;
-- (the service role too: save_interpretation writes an interpreter's version for the entry's owner)
grant execute on function private.write_artifact_version(uuid, text, jsonb, text, text, uuid, integer, uuid)
  to authenticated, service_role;

create function public.create_artifact_with_version(
  chat_id uuid,
  project_id uuid,
  type text,
  title text,
  content text,
  content_json jsonb,
  message_id uuid,
  description text default null,
  change_summary text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
-- the conflict target below names columns that are also argument names
#variable_conflict use_column
declare
  chat public.chats;
  target_project_id uuid := create_artifact_with_version.project_id;
  clean_title text := btrim(create_artifact_with_version.title);
  existing public.artifacts;
  first_version public.artifact_versions;
  artifact public.artifacts;
begin
  if create_artifact_with_version.type is null or create_artifact_with_version.type not in ('context', 'mvp', 'prd',
    'bom', 'code', 'wiring', 'circuit_diagram', 'budget', 'datasheet_analysis', 'overview', 'interpretation') then
    perform private.invalid_parameter(pg_catalog.format('type %L is not one of context, mvp, prd, bom, code, wiring, '
      'circuit_diagram, budget, datasheet_analysis, overview, interpretation', create_artifact_with_version.type));
  end if;
  if clean_title is null or char_length(clean_title) not between 1 and 200 or clean_title ~ '[[:cntrl:]]' then
    perform private.invalid_parameter('title must be 1 to 200 characters without control characters');
  end if;
  if char_length(create_artifact_with_version.description) > 2000 then
    perform private.invalid_parameter('description must be at most 2,000 characters');
  end if;
  if create_artifact_with_version.chat_id is null and create_artifact_with_version.project_id is null then
    perform private.invalid_parameter('chat_id or project_id is required');
  end if;
  if create_artifact_with_version.message_id is not null and create_artifact_with_version.chat_id is null then
    perform private.invalid_parameter('message_id needs chat_id: it names a message of that chat');
  end if;
  perform private.validate_artifact_content(create_artifact_with_version.type, create_artifact_with_version.content,
    create_artifact_with_version.content_json, null);

  if create_artifact_with_version.chat_id is not null then
    select c.* into chat from public.chats c where c.id = create_artifact_with_version.chat_id;
    if not found or not private.has_role_on_artifact_scope(chat.id, null, 'editor') then
      perform private.deny('chat', create_artifact_with_version.chat_id, 'create artifacts in it');
    end if;
    -- An artifact made in a chat belongs to the chat's project, and to no other: a project given
    -- here must be that one (an editor may not file the owner's work under a project of theirs).
    if target_project_id is distinct from chat.project_id and target_project_id is not null then
      if private.owns_project(target_project_id) then
        perform private.invalid_parameter('project_id must be the chat''s own project',
          'An artifact made in a chat belongs to the chat''s project: leave project_id out.');
      end if;
      perform private.not_found('project', 'An artifact made in a chat belongs to the chat''s project: leave project_id out.');
    end if;
    target_project_id := chat.project_id;
  elsif not private.owns_project(target_project_id) then
    perform private.not_found('project');
  end if;
  if create_artifact_with_version.message_id is not null and not exists (
    select 1 from public.messages m
    where m.id = create_artifact_with_version.message_id and m.chat_id = create_artifact_with_version.chat_id
  ) then
    perform private.invalid_parameter('message_id is not a message of this chat');
  end if;

  -- A retry (same message, type and title), even a concurrent one, finds what the first attempt made:
  -- the insert then does nothing (after waiting for that attempt to commit).
  insert into public.artifacts (chat_id, project_id, type, title, description, created_by_message_id)
  values (create_artifact_with_version.chat_id, target_project_id, create_artifact_with_version.type, clean_title,
    nullif(btrim(create_artifact_with_version.description), ''), create_artifact_with_version.message_id)
  on conflict (created_by_message_id, type, title) where created_by_message_id is not null do nothing
  returning * into artifact;
  if not found then
    select a.* into existing from public.artifacts a
    where a.created_by_message_id = create_artifact_with_version.message_id
      and a.type = create_artifact_with_version.type and a.title = clean_title;
    select v.* into first_version from public.artifact_versions v where v.artifact_id = existing.id and v.version_number = 1;
    if first_version.content_hash = private.artifact_content_hash(create_artifact_with_version.content,
      create_artifact_with_version.content_json, null) then
      return jsonb_build_object('created', false, 'artifact', to_jsonb(existing),
        'version', private.artifact_version_summary(first_version));
    end if;
    raise exception 'this message already created a % artifact titled %', create_artifact_with_version.type,
      pg_catalog.quote_literal(clean_title)
      using errcode = '23505', hint = 'Add a version to it with add_artifact_version, or choose another title.';
  end if;

  return private.write_artifact_version(artifact.id, create_artifact_with_version.content,
    create_artifact_with_version.content_json, null, coalesce(create_artifact_with_version.change_summary, 'Created'),
    create_artifact_with_version.message_id, null, null);
end
$$;
grant execute on function public.create_artifact_with_version(uuid, uuid, text, text, text, jsonb, uuid, text, text)
  to authenticated;
comment on function public.create_artifact_with_version(uuid, uuid, text, text, text, jsonb, uuid, text, text) is
  'Creates an artifact and its version 1 atomically; returns {"created": bool, "artifact": <artifacts row>, "version": '
  '<artifact_versions row without content and content_json, plus has_content and has_content_json>}. '
  'chat_id: the caller must be the chat''s owner or an editor, and the artifact belongs to the chat''s project (a '
  'project_id, if given, must be that project); without chat_id, project_id: the caller must own the project. '
  'type: context, mvp, prd, bom, code, wiring, circuit_diagram, budget, datasheet_analysis, overview or '
  'interpretation. title: 1-200 characters. content (text, <= 1,000,000 characters) and/or content_json (object or '
  'array, <= 4 MB); bom, wiring and code require content_json in these formats (0-based paths in errors): '
  'bom {"components": [{"name", "quantity" (integer > 0), "unit_price" (>= 0), "currency" (ISO 4217), optional '
  '"part_number", "manufacturer", "voltage" (volts: a number, or "3.3V", "500mV", "3.3-5V"), "current", '
  '"interface_type", "supplier", "supplier_url" (http/https), "specs" (object), "alternatives" (array)}]}; '
  'wiring {"steps": [{"from_part", "from_pin", "to_part", "to_pin", optional "from_pin_type", "to_pin_type", '
  '"voltage", "signal_type" (power, ground, digital, analog, pwm, i2c, spi, uart, one_wire, can, usb, other), '
  '"wire_color", "instruction", "warnings" ([text])}]} in assembly order (a power step runs from the supply to the '
  'part it powers); code {"files": [{"filename" (relative, unique), "language", "content", optional "platform", '
  '"unit" (1 calibration, 2 minimal, 3 full), "required_libraries" ([text]), "production_ready" (boolean)}]}. '
  'message_id: the chat''s message that made it; retrying with the same message, type, title and content returns '
  'the first result with created false. Errors: 22023 (400) naming the invalid field (e.g. '
  'content_json.components[2].quantity must be an integer greater than 0); PT404 (404) chat or project not found; '
  '42501 (403) a viewer; 23505 (409) the message already made a different artifact of that type and title; '
  'anon is denied (401).';

create function public.add_artifact_version(
  artifact_id uuid,
  content text default null,
  content_json jsonb default null,
  file_path text default null,
  change_summary text default null,
  message_id uuid default null,
  expected_version integer default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  if add_artifact_version.artifact_id is null then
    perform private.invalid_parameter('artifact_id is required');
  end if;
  if add_artifact_version.expected_version < 1 then
    perform private.invalid_parameter('expected_version must be a version number (1 or more)');
  end if;
  return private.write_artifact_version(add_artifact_version.artifact_id, add_artifact_version.content,
    add_artifact_version.content_json, add_artifact_version.file_path, add_artifact_version.change_summary,
    add_artifact_version.message_id, add_artifact_version.expected_version, null);
end
$$;
grant execute on function public.add_artifact_version(uuid, text, jsonb, text, text, uuid, integer) to authenticated;
comment on function public.add_artifact_version(uuid, text, jsonb, text, text, uuid, integer) is
  'Adds a version to an artifact (chat owner or editor, or project owner): its number is current + 1 and its parent '
  'the current version. Returns {"created": bool, "artifact": <artifacts row>, "version": <version without content>}. '
  'content / content_json / file_path as in create_artifact_with_version (at least one; file_path: bucket id, "/", '
  'object name). expected_version: the version the change was based on; when the artifact has moved on it is a '
  'PT409 (409) conflict and nothing is written. Content identical to the current version''s (same content_hash) '
  'writes nothing and returns the current version with created false. message_id: a message of the artifact''s chat. '
  'Errors: 22023 (400) naming the invalid field; PT404 (404) not found; 42501 (403) read-only access; '
  'PT409 (409) stale expected_version; anon is denied (401).';

create function public.revert_artifact(
  artifact_id uuid,
  to_version integer,
  change_summary text default null,
  message_id uuid default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  source public.artifact_versions;
begin
  if revert_artifact.to_version is null then
    perform private.invalid_parameter('to_version is required');
  end if;
  select v.* into source from public.artifact_versions v
  where v.artifact_id = revert_artifact.artifact_id and v.version_number = revert_artifact.to_version;
  if not found then
    if private.has_role_on_artifact(revert_artifact.artifact_id) then
      raise exception '%', pg_catalog.format('version %s not found', revert_artifact.to_version) using errcode = 'PT404',
        hint = 'list_artifact_versions lists the versions.';
    end if;
    perform private.deny('artifact', revert_artifact.artifact_id, 'change it');
  end if;
  return private.write_artifact_version(source.artifact_id, source.content, source.content_json, source.file_path,
    coalesce(revert_artifact.change_summary, pg_catalog.format('Revert to version %s', source.version_number)),
    revert_artifact.message_id, null, source.id);
end
$$;
grant execute on function public.revert_artifact(uuid, integer, text, uuid) to authenticated;
comment on function public.revert_artifact(uuid, integer, text, uuid) is
  'Makes a new version whose content is that of version to_version (history is never rewritten; a revert can be '
  'reverted). change_summary defaults to "Revert to version N"; reverted_from_version_id names the source. Returns '
  '{"created", "artifact", "version"} like add_artifact_version (created false when the current content already is '
  'that version''s). Errors: PT404 (404) artifact or version not found; 42501 (403) read-only access; anon is denied (401).';

create function public.get_artifact(artifact_id uuid, version integer default null)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  artifact public.artifacts;
  found_version public.artifact_versions;
begin
  select a.* into artifact from public.artifacts a where a.id = get_artifact.artifact_id;
  if not found then
    perform private.not_found('artifact');
  end if;
  select v.* into found_version from public.artifact_versions v
  where v.artifact_id = artifact.id and v.version_number = coalesce(get_artifact.version, artifact.current_version);
  if not found then
    raise exception '%', pg_catalog.format('version %s not found', get_artifact.version) using errcode = 'PT404',
      hint = pg_catalog.format('The artifact has versions 1 to %s.', artifact.current_version);
  end if;
  return jsonb_build_object('artifact', to_jsonb(artifact), 'version', to_jsonb(found_version));
end
$$;
grant execute on function public.get_artifact(uuid, integer) to authenticated;
comment on function public.get_artifact(uuid, integer) is
  'An artifact with the full content of one version (default: the current one): {"artifact": <artifacts row>, '
  '"version": <artifact_versions row with content, content_json, file_path>}. Hidden artifacts are returned too '
  '(hidden_at set). Errors: PT404 (404) artifact or version not found or not readable; anon is denied (401).';

create function public.list_artifacts(
  chat_id uuid default null,
  project_id uuid default null,
  type text default null,
  include_hidden boolean default false
)
returns setof public.artifacts
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if list_artifacts.chat_id is null and list_artifacts.project_id is null then
    perform private.invalid_parameter('chat_id or project_id is required');
  end if;
  return query
  select a.* from public.artifacts a
  where (list_artifacts.chat_id is null or a.chat_id = list_artifacts.chat_id)
    and (list_artifacts.project_id is null or a.project_id = list_artifacts.project_id)
    and (list_artifacts.type is null or a.type = list_artifacts.type)
    and (list_artifacts.include_hidden or a.hidden_at is null)
  order by a.created_at, a.id;
end
$$;
grant execute on function public.list_artifacts(uuid, uuid, text, boolean) to authenticated;
comment on function public.list_artifacts(uuid, uuid, text, boolean) is
  'The artifacts (artifacts rows, oldest first) of a chat and/or a project the caller can read, optionally of one '
  'type; hidden ones only with include_hidden. An unreadable chat or project lists nothing. '
  'Errors: 22023 (400) without chat_id and project_id; anon is denied (401).';

create function public.list_artifact_versions(artifact_id uuid)
returns table (
  id uuid,
  version_number integer,
  change_summary text,
  parent_version_id uuid,
  parent_version_number integer,
  reverted_from_version_id uuid,
  created_by_message_id uuid,
  content_hash text,
  created_by uuid,
  created_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not exists (select 1 from public.artifacts a where a.id = list_artifact_versions.artifact_id) then
    perform private.not_found('artifact');
  end if;
  -- the parent is always the previous version (versions are appended under the artifact's lock)
  return query
  select v.id, v.version_number, v.change_summary, v.parent_version_id,
    case when v.parent_version_id is not null then v.version_number - 1 end,
    v.reverted_from_version_id, v.created_by_message_id, v.content_hash, v.created_by, v.created_at
  from public.artifact_versions v
  where v.artifact_id = list_artifact_versions.artifact_id
  order by v.version_number desc;
end
$$;
grant execute on function public.list_artifact_versions(uuid) to authenticated;
comment on function public.list_artifact_versions(uuid) is
  'The history of an artifact, newest first, without content: id, version_number, change_summary, parent_version_id '
  'and parent_version_number, reverted_from_version_id, created_by_message_id, content_hash, created_by, created_at. '
  'Page with limit/offset or range on the result. Errors: PT404 (404) not found or not readable; anon is denied (401).';

create function public.update_artifact(artifact_id uuid, title text default null, description text default null)
returns public.artifacts
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  artifact public.artifacts;
  clean_title text := btrim(update_artifact.title);
begin
  if clean_title is not null and (char_length(clean_title) not between 1 and 200 or clean_title ~ '[[:cntrl:]]') then
    perform private.invalid_parameter('title must be 1 to 200 characters without control characters');
  end if;
  if char_length(update_artifact.description) > 2000 then
    perform private.invalid_parameter('description must be at most 2,000 characters');
  end if;
  update public.artifacts a
  set title = coalesce(clean_title, a.title),
      description = case when update_artifact.description is null then a.description
        else nullif(btrim(update_artifact.description), '') end
  where a.id = update_artifact.artifact_id
  returning a.* into artifact;
  if not found then
    perform private.deny('artifact', update_artifact.artifact_id, 'change it');
  end if;
  return artifact;
end
$$;
grant execute on function public.update_artifact(uuid, text, text) to authenticated;
comment on function public.update_artifact(uuid, text, text) is
  'Renames an artifact or changes its description (chat owner or editor, or project owner); returns the artifacts '
  'row. Omitted arguments leave fields unchanged; description '''' clears it. Content changes are versions '
  '(add_artifact_version). Errors: 22023 (400); PT404 (404); 42501 (403) read-only access; anon is denied (401).';

-- Hides or shows an artifact. Security definer: only some writers may (the creator while still a
-- writer, the chat's or the project's owner), which a policy on the whole row cannot express.
create function private.set_artifact_hidden(artifact_id uuid, hidden boolean)
returns public.artifacts
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  artifact public.artifacts;
begin
  select a.* into artifact from public.artifacts a where a.id = set_artifact_hidden.artifact_id for no key update;
  if not found or (select auth.uid()) is null
    or not private.has_role_on_artifact(artifact.id, 'editor')
    or not (artifact.owner_id = (select auth.uid()) or private.has_role_on_chat(artifact.chat_id, 'owner')
      or private.owns_project(artifact.project_id)) then
    perform private.deny('artifact', set_artifact_hidden.artifact_id, 'hide or show it');
  end if;
  update public.artifacts a
  set hidden_at = case when set_artifact_hidden.hidden then coalesce(a.hidden_at, now()) end,
      hidden_by = case when set_artifact_hidden.hidden then coalesce(a.hidden_by, (select auth.uid())) end
  where a.id = artifact.id
  returning a.* into artifact;
  return artifact;
end
$$;
grant execute on function private.set_artifact_hidden(uuid, boolean) to authenticated;

create function public.hide_artifact(artifact_id uuid)
returns public.artifacts
language sql
volatile
security invoker
set search_path = ''
as $$
  select * from private.set_artifact_hidden(hide_artifact.artifact_id, true)
$$;
grant execute on function public.hide_artifact(uuid) to authenticated;
comment on function public.hide_artifact(uuid) is
  'Soft-deletes an artifact (its creator while they may still write to its chat, or the owner of its chat or '
  'project): sets hidden_at and returns the artifacts row. Versions are kept; list_artifacts and get_project leave it '
  'out; unhide_artifact undoes it. Repeating it changes nothing. Errors: PT404 (404); 42501 (403) for other readers; '
  'anon is denied (401).';

create function public.unhide_artifact(artifact_id uuid)
returns public.artifacts
language sql
volatile
security invoker
set search_path = ''
as $$
  select * from private.set_artifact_hidden(unhide_artifact.artifact_id, false)
$$;
grant execute on function public.unhide_artifact(uuid) to authenticated;
comment on function public.unhide_artifact(uuid) is
  'Shows a hidden artifact again (same people as hide_artifact) and returns the artifacts row. '
  'Errors: PT404 (404); 42501 (403); anon is denied (401).';
