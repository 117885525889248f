-- Access follows membership. An attacker's review of conversations and artifacts found that access
-- outlived membership and that billing trusted what users report. What changes:
--   * An artifact belongs to its chat's project and to no other: creating one in a chat with any
--     other project_id is refused, and a chat that holds artifacts cannot move to another project.
--     Access to a chat's artifact follows the chat alone (its readers read, its writers write);
--     owning a project grants access only to the project's own artifacts (those without a chat).
--   * Hiding and unhiding need write access now: the artifact's creator keeps the right only while
--     they may still write to its chat.
--   * Deleting a chat deletes its artifacts, unless they belong to the chat owner's project (then
--     they stay as that project's artifacts, readable by its owner only).
--   * Token counts carry who reported them (messages.usage_source): the service role and servers
--     on a database connection are trusted and billed; a user's session is client-reported, kept
--     but not billed. get_usage bills the trusted counts and, when asked, lists the others apart.
--     append_message may be called by the service role (agent functions, EX-AI servers).
--   * export_bom_csv neutralises cells a spreadsheet would read as a formula.

-- ---------------------------------------------------------------------------------------------
-- Artifact access: the chat decides for a chat's artifact; the project's owner for the project's own.
create or replace function private.can_read_artifact_scope(chat_id uuid, project_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if chat_id is not null then
    return private.can_read_chat(chat_id);
  end if;
  return project_id is not null and private.owns_project(project_id);
end
$$;
comment on function private.can_read_artifact_scope(uuid, uuid) is
  'Whether the calling user may read what belongs to the chat (its owner or a member) or, without a chat, to the '
  'project (its owner).';

create or replace function private.can_write_artifact_scope(chat_id uuid, project_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if chat_id is not null then
    return private.can_write_chat(chat_id);
  end if;
  return project_id is not null and private.owns_project(project_id);
end
$$;
comment on function private.can_write_artifact_scope(uuid, uuid) is
  'Whether the calling user may write what belongs to the chat (its owner or an editor) or, without a chat, to the '
  'project (its owner).';

create or replace function private.can_create_artifact(chat_id uuid, project_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if chat_id is not null then
    return private.can_write_chat(chat_id) and project_id is not distinct from (
      select c.project_id from public.chats c where c.id = can_create_artifact.chat_id);
  end if;
  return project_id is not null and private.owns_project(project_id);
end
$$;
comment on function private.can_create_artifact(uuid, uuid) is
  'Whether the calling user may create an artifact in the chat (a writer; the artifact then belongs to the chat''s '
  'project and no other) or, without a chat, in the project (its owner).';

-- Security definer: only some writers may hide (the creator while still a writer, the owner of the
-- chat or project), which a policy on the whole row cannot express; checked here explicitly.
create or replace function private.set_artifact_hidden(artifact_id uuid, hidden boolean)
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
    or not private.can_write_artifact_scope(artifact.chat_id, artifact.project_id)
    or not (artifact.owner_id = (select auth.uid()) or private.is_chat_owner(artifact.chat_id)
      or private.owns_project(artifact.project_id)) then
    perform private.deny_artifact(set_artifact_hidden.artifact_id, 'hide or show it');
  end if;
  update public.artifacts a
  set hidden_at = case when set_artifact_hidden.hidden then coalesce(a.hidden_at, now()) end,
      hidden_by = case when set_artifact_hidden.hidden then coalesce(a.hidden_by, (select auth.uid())) end
  where a.id = artifact.id
  returning a.* into artifact;
  return artifact;
end
$$;

comment on function public.hide_artifact(uuid) is
  'Soft-deletes an artifact (its creator while they may still write to its chat, or the owner of its chat or '
  'project): sets hidden_at and returns the artifacts row. Versions are kept; list_artifacts and get_project leave it '
  'out; unhide_artifact undoes it. Repeating it changes nothing. Errors: PT404 (404); 42501 (403) for other readers; '
  'anon is denied (401).';

-- A chat belongs to at most one project of its owner; once it holds artifacts (which belong to the
-- chat's project) it cannot move to another, except that deleting its project unlinks it.
-- Security definer: the check must see the project whoever writes the chat row (the service role,
-- the purge job); it compares owners and reveals nothing else.
create or replace function private.chats_check_project()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.project_id is not null and not exists (
    select 1 from public.projects p where p.id = new.project_id and p.owner_id = new.owner_id
  ) then
    raise exception 'project not found' using errcode = 'PT404',
      hint = 'A chat can only belong to a project of the chat''s owner.';
  end if;
  if tg_op = 'UPDATE' and new.project_id is distinct from old.project_id
    and exists (select 1 from public.artifacts a where a.chat_id = new.id)
    -- the project's deletion unlinks its chats (its row is gone by then)
    and (old.project_id is null or exists (select 1 from public.projects p where p.id = old.project_id)) then
    perform private.invalid_parameter('a chat with artifacts cannot move to another project',
      'Its artifacts belong to its project. Start a new chat in the other project.');
  end if;
  return new;
end
$$;

-- Deleting a chat deletes its artifacts but those of the chat owner's project (the chat's own
-- project), which stay with that project; deleting a project deletes its artifacts that belong to
-- no chat (the others stay in their chats, unlinked by the foreign key). Security definer: the
-- chat's owner deletes the chat but has no delete right on artifacts (and editors' artifacts go too).
create or replace function private.delete_orphaned_artifacts()
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

-- Artifacts filed under another project than their chat's (possible before this migration) move
-- to the chat's project; rows materialised for the other project go with the move.
delete from public.parts x using public.artifacts a, public.chats c
where x.artifact_id = a.id and a.chat_id = c.id and a.project_id is distinct from c.project_id;
delete from public.connections x using public.artifacts a, public.chats c
where x.artifact_id = a.id and a.chat_id = c.id and a.project_id is distinct from c.project_id;
delete from public.code_files x using public.artifacts a, public.chats c
where x.artifact_id = a.id and a.chat_id = c.id and a.project_id is distinct from c.project_id;
update public.artifacts a set project_id = c.project_id
from public.chats c
where a.chat_id = c.id and a.project_id is distinct from c.project_id;

-- create_artifact_with_version: as before, with the project rule above.
create or replace function public.create_artifact_with_version(
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
    if not found or not private.can_write_artifact_scope(chat.id, null) then
      perform private.deny_chat_artifacts(create_artifact_with_version.chat_id);
    end if;
    -- An artifact made in a chat belongs to the chat's project, and to no other: a project given
    -- here must be that one (an editor may not file the owner's work under a project of theirs).
    if target_project_id is distinct from chat.project_id and target_project_id is not null then
      if private.owns_project(target_project_id) then
        perform private.invalid_parameter('project_id must be the chat''s own project',
          'An artifact made in a chat belongs to the chat''s project: leave project_id out.');
      end if;
      raise exception 'project not found' using errcode = 'PT404',
        hint = 'An artifact made in a chat belongs to the chat''s project: leave project_id out.';
    end if;
    target_project_id := chat.project_id;
  elsif not private.owns_project(target_project_id) then
    raise exception 'project not found' using errcode = 'PT404', hint = 'The project does not exist or is not yours.';
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

-- ---------------------------------------------------------------------------------------------
-- Who reported a message's token counts.
create domain private.usage_source as text
  check (value in ('service', 'client'));
comment on domain private.usage_source is 'service: reported by a trusted writer and billed; client: reported by a user, not billed.';

alter table public.messages add column usage_source private.usage_source;
comment on column public.messages.usage_source is
  'Who reported input_tokens/output_tokens (set by the placing trigger): service (the service role or a server on '
  'a database connection; billed by get_usage) or client (a user''s session; kept, not billed). Null without counts.';
update public.messages m set usage_source = 'service'
where m.input_tokens is not null or m.output_tokens is not null;
comment on column public.chats.input_tokens is
  'Sum of the input tokens the chat''s messages report, whoever reported them (get_usage bills only trusted counts).';
comment on column public.chats.output_tokens is
  'Sum of the output tokens the chat''s messages report, whoever reported them (get_usage bills only trusted counts).';

-- Whether the current writer is trusted with billing facts: not a user's session (the API roles
-- anon and authenticated, by the role in force and by the JWT's claim). The service role and
-- direct database connections (servers, migrations, tests) are.
create function private.is_trusted_writer()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return pg_catalog.current_setting('role') not in ('anon', 'authenticated')
    and coalesce(auth.role(), '') not in ('anon', 'authenticated');
end
$$;
comment on function private.is_trusted_writer() is
  'Whether the current writer is trusted with billing facts: the service role or a direct database connection, '
  'not a user''s session (anon, authenticated).';
grant execute on function private.is_trusted_writer() to anon, authenticated, service_role;

-- Whether the request runs as the service role (its JWT and the role in force).
create function private.is_service_role()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return pg_catalog.current_setting('role') = 'service_role' and auth.role() = 'service_role';
end
$$;
comment on function private.is_service_role() is 'Whether the request runs as the service role.';
grant execute on function private.is_service_role() to anon, authenticated, service_role;

-- The placing trigger (unchanged but for usage_source).
create or replace function private.messages_before_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  chat record;
  parent record;
  -- a new message continuing its parent's segment has that segment's head; otherwise it is a head
  segment_head_depth integer;
begin
  if new.parent_id = '00000000-0000-0000-0000-000000000000' then
    -- Under the current leaf. The SET expressions read the row before the update: the new leaf's
    -- place is computed from the old leaf's, and RETURNING gives the new message its own.
    update public.chats c
    set last_sequence_number = c.last_sequence_number + 1,
        message_count = c.message_count + 1,
        current_leaf_id = new.id,
        current_leaf_parent_id = c.current_leaf_id,
        current_leaf_depth = c.current_leaf_depth + 1,
        current_leaf_segment_start = case when c.current_leaf_ends_segment then c.current_leaf_segment_start
          else c.last_sequence_number + 1 end,
        current_leaf_head_depth = case when c.current_leaf_ends_segment then c.current_leaf_head_depth
          else c.current_leaf_depth + 1 end,
        current_leaf_ends_segment = true,
        input_tokens = c.input_tokens + coalesce(new.input_tokens::integer, 0),
        output_tokens = c.output_tokens + coalesce(new.output_tokens::integer, 0),
        last_message_at = now(),
        last_activity_at = now(),
        last_activity_minute = date_bin(interval '1 minute', now(), timestamptz '2000-01-01 00:00:00+00')
    where c.id = new.chat_id
    returning c.owner_id, c.title is null as untitled, c.last_sequence_number, c.current_leaf_parent_id,
      c.current_leaf_depth, c.current_leaf_segment_start
      into chat;
    if not found then
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you cannot see it.';
    end if;
    new.sequence_number := chat.last_sequence_number;
    new.parent_id := chat.current_leaf_parent_id;
    new.depth := chat.current_leaf_depth;
    new.segment_start := chat.current_leaf_segment_start;
    if new.parent_id is null then
      new.segment_ancestry := '{}';
    elsif new.segment_start = new.sequence_number then
      -- the leaf had been moved (set_current_leaf) to a message with a later one in its segment:
      -- this one starts a new segment, under the parent's
      new.segment_ancestry := private.branch_ranges(new.parent_id);
    else
      new.segment_ancestry := null;
    end if;
  else
    select c.owner_id, c.title is null as untitled, c.last_sequence_number + 1 as next_number into chat
    from public.chats c
    where c.id = new.chat_id
    for no key update;
    if not found then
      raise exception 'chat not found' using errcode = 'PT404',
        hint = 'The chat does not exist or you cannot see it.';
    end if;
    new.sequence_number := chat.next_number;
    segment_head_depth := null;
    if new.parent_id is null then
      new.depth := 1;
      new.segment_start := new.sequence_number;
      new.segment_ancestry := '{}';
    else
      -- the parent continues its segment when it is the segment's last message (written as "the
      -- segment's last message": a generic plan of "no later one exists" may scan and find none)
      select p.chat_id, p.sequence_number, p.segment_start, p.depth, h.depth as head_depth,
        h.segment_ancestry as head_ancestry,
        p.sequence_number = (
          select t.sequence_number from public.messages t
          where t.chat_id = p.chat_id and t.segment_start = p.segment_start
          order by t.sequence_number desc
          limit 1) as ends_segment
        into parent
      from public.messages p
      join public.messages h on h.chat_id = p.chat_id and h.sequence_number = p.segment_start
      where p.id = new.parent_id;
      if not found or parent.chat_id <> new.chat_id then
        perform private.invalid_parameter('parent_id is not a message of this chat');
      end if;
      new.depth := parent.depth + 1;
      if parent.ends_segment then
        new.segment_start := parent.segment_start;
        new.segment_ancestry := null;
        segment_head_depth := parent.head_depth;
      else
        new.segment_start := new.sequence_number;
        new.segment_ancestry := parent.head_ancestry || array[parent.segment_start, parent.sequence_number];
      end if;
    end if;
    update public.chats c
    set last_sequence_number = new.sequence_number,
        message_count = c.message_count + 1,
        current_leaf_id = new.id,
        current_leaf_parent_id = new.parent_id,
        current_leaf_depth = new.depth,
        current_leaf_segment_start = new.segment_start,
        current_leaf_head_depth = coalesce(segment_head_depth, new.depth),
        current_leaf_ends_segment = true,
        input_tokens = c.input_tokens + coalesce(new.input_tokens::integer, 0),
        output_tokens = c.output_tokens + coalesce(new.output_tokens::integer, 0),
        last_message_at = now(),
        last_activity_at = now(),
        last_activity_minute = date_bin(interval '1 minute', now(), timestamptz '2000-01-01 00:00:00+00')
    where c.id = new.chat_id;
  end if;

  if chat.untitled and new.role = 'user' then
    update public.chats c set title = private.title_from_content(new.content) where c.id = new.chat_id;
  end if;
  new.chat_owner_id := chat.owner_id;
  -- Token counts bill only when a trusted writer (the service role, or a server on a database
  -- connection) reports them; the same counts from a user's session are kept as client-reported.
  new.usage_source := case
    when new.input_tokens is null and new.output_tokens is null then null
    when private.is_trusted_writer() then 'service'
    else 'client'
  end;

  perform realtime.broadcast_changes('chat:' || new.chat_id::text, tg_op, tg_op, tg_table_name, tg_table_schema,
    private.chat_message(new), null::public.chat_message);
  return new;
end
$$;

-- append_message (unchanged but that the service role may write to any chat).
create or replace function public.append_message(
  chat_id uuid,
  role text,
  content text,
  parent_id uuid default null,
  parts jsonb default null,
  agent_name text default null,
  agent_model text default null,
  intent text default null,
  input_tokens integer default null,
  output_tokens integer default null,
  latency_ms integer default null,
  status text default null,
  metadata jsonb default null,
  client_message_id text default null
)
returns public.chat_message
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  message public.messages;
  checked boolean;
begin
  if append_message.client_message_id is not null then
    -- A retry: the message is already there (for a writer: a reader who may not write is refused,
    -- as the insert would refuse them).
    select m.* into message from public.messages m
    where m.chat_id = append_message.chat_id and m.client_message_id = append_message.client_message_id;
    if found then
      if not (private.is_service_role() or private.can_write_chat(append_message.chat_id)) then
        perform private.deny_chat(append_message.chat_id, 'write to it');
      end if;
      return private.chat_message(message);
    end if;
  end if;
  begin
    insert into public.messages (chat_id, parent_id, role, content, parts, agent_name, agent_model, intent,
      input_tokens, output_tokens, latency_ms, status, metadata, client_message_id)
    values (append_message.chat_id, coalesce(append_message.parent_id, '00000000-0000-0000-0000-000000000000'),
      append_message.role, append_message.content, append_message.parts, append_message.agent_name,
      append_message.agent_model, append_message.intent, append_message.input_tokens, append_message.output_tokens,
      append_message.latency_ms, coalesce(append_message.status, 'complete'), coalesce(append_message.metadata, '{}'),
      append_message.client_message_id)
    returning * into message;
  exception
    when unique_violation then
      -- A concurrent retry committed it first (only client_message_id can collide). Leaving the
      -- block undid our insert and the sequence number it took, so the numbering stays gapless.
      select m.* into message from public.messages m
      where m.chat_id = append_message.chat_id and m.client_message_id = append_message.client_message_id;
      if not found then
        raise;
      end if;
    when check_violation or not_null_violation or insufficient_privilege or invalid_parameter_value
      or sqlstate 'PT404' then
      checked := private.check_message(append_message.role, append_message.content, append_message.parts,
        append_message.agent_name, append_message.agent_model, append_message.intent, append_message.input_tokens,
        append_message.output_tokens, append_message.latency_ms, append_message.status, append_message.metadata,
        append_message.client_message_id);
      if not (private.is_service_role() or private.can_write_chat(append_message.chat_id)) then
        perform private.deny_chat(append_message.chat_id, 'write to it');
      end if;
      -- a writer's own mistake (e.g. a parent from another chat)
      raise;
  end;
  return private.chat_message(message);
end
$$;

-- The service role appends too (agent functions, agent servers with the service key): it may write
-- to any chat, and the token counts it reports are billed.
grant execute on function private.chat_message(public.messages), private.can_write_chat(uuid),
  private.can_read_chat(uuid), private.deny_chat(uuid, text) to service_role;
grant execute on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text)
  to service_role;
comment on function public.append_message(uuid, text, text, uuid, jsonb, text, text, text, integer, integer, integer, text, jsonb, text) is
  'Appends a message (owner or editor, or the service role) and returns it: id, chat_id, sequence_number (per chat, '
  'gapless, 1, 2, 3…), parent_id, depth, role, content, parts, agent_name, agent_model, intent, input_tokens, '
  'output_tokens, latency_ms, status, metadata, client_message_id, author_id, created_at, updated_at. role: '
  'system|user|assistant|tool; content at most 200,000 characters, not empty unless status is pending/streaming or '
  'parts are given; parts a JSON array (≤ 1 MB); tokens and latency ≥ 0; status pending|streaming|complete|error|'
  'cancelled (default complete). parent_id defaults to the chat''s current leaf; the new message becomes the current '
  'leaf (a parent that already has children makes a new branch, as a regeneration does). The first user message '
  'titles an untitled chat. The same client_message_id again returns the same message and writes nothing. Token '
  'counts from a user''s session are stored as client-reported and not billed (get_usage); the service role''s are '
  'billed. Errors: PT404 (404) no such chat; 42501 (403) viewer; 22023 (400) invalid argument.';

-- ---------------------------------------------------------------------------------------------
-- get_usage: what bills is what trusted writers reported; client-reported counts on request, apart.
drop function public.get_usage(timestamptz, timestamptz, text);
drop function private.get_usage(timestamptz, timestamptz, text);

-- Security definer for cost, not access: as the caller, RLS would call the chat-access check once
-- per message row, which dominates an aggregate over a whole account. This function filters on
-- owner_id = the caller itself, which is exactly what the policies would allow for owned chats.
create function private.get_usage("from" timestamptz, "to" timestamptz, group_by text, include_client_reported boolean)
returns table (
  group_key text,
  label text,
  source text,
  messages bigint,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  unpriced_messages bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  if me is null then
    raise exception 'sign in to see usage' using errcode = '42501';
  end if;
  if group_by is null or group_by not in ('agent', 'model', 'chat', 'day') then
    perform private.invalid_parameter(pg_catalog.format('group_by %L is not one of agent, model, chat, day', group_by));
  end if;
  if "from" is not null and "to" is not null and "from" >= "to" then
    perform private.invalid_parameter('from must be before to');
  end if;

  return query
  with used as (
    select
      case group_by
        when 'agent' then coalesce(m.agent_name::text, '')
        when 'model' then coalesce(m.agent_model::text, '')
        when 'chat' then c.id::text
        else pg_catalog.to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD')
      end as key,
      case group_by
        when 'agent' then coalesce(m.agent_name::text, '(none)')
        when 'model' then coalesce(m.agent_model::text, '(none)')
        when 'chat' then coalesce(c.title::text, '(untitled)')
        else pg_catalog.to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD')
      end as label,
      m.usage_source::text = 'service' as billed,
      m.agent_model::text as model,
      (m.created_at at time zone 'UTC')::date as day,
      pg_catalog.count(*) as n,
      pg_catalog.sum(coalesce(m.input_tokens::integer, 0))::bigint as input_tokens,
      pg_catalog.sum(coalesce(m.output_tokens::integer, 0))::bigint as output_tokens
    from public.chats c
    join public.messages m on m.chat_id = c.id
    where c.owner_id = me
      and m.usage_source is not null
      and (include_client_reported or m.usage_source::text = 'service')
      and m.created_at >= coalesce("from", '-infinity')
      and m.created_at < coalesce("to", 'infinity')
    group by 1, 2, 3, 4, 5
  )
  select u.key, pg_catalog.min(u.label), case when u.billed then 'billed' else 'client_reported' end,
    pg_catalog.sum(u.n)::bigint, pg_catalog.sum(u.input_tokens)::bigint, pg_catalog.sum(u.output_tokens)::bigint,
    case when u.billed then coalesce(pg_catalog.sum((u.input_tokens * p.input_usd_per_million
      + u.output_tokens * p.output_usd_per_million) / 1000000), 0)::numeric(14, 6) end,
    case when u.billed then coalesce(pg_catalog.sum(u.n) filter (where p.model is null), 0)::bigint end
  from used u
  left join lateral (
    select mp.model, mp.input_usd_per_million, mp.output_usd_per_million
    from public.model_prices mp
    where mp.model = u.model and mp.effective_from <= u.day
    order by mp.effective_from desc
    limit 1
  ) p on true
  group by u.key, u.billed
  order by u.key, u.billed desc;
end
$$;
grant execute on function private.get_usage(timestamptz, timestamptz, text, boolean) to authenticated;

create function public.get_usage(
  "from" timestamptz default null,
  "to" timestamptz default null,
  group_by text default 'model',
  include_client_reported boolean default false
)
returns table (
  group_key text,
  label text,
  source text,
  messages bigint,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  unpriced_messages bigint
)
language sql
stable
security invoker
set search_path = ''
as $$
  select u.* from private.get_usage(get_usage."from", get_usage."to", get_usage.group_by,
    coalesce(get_usage.include_client_reported, false)) u
$$;
grant execute on function public.get_usage(timestamptz, timestamptz, text, boolean) to authenticated;
comment on function public.get_usage(timestamptz, timestamptz, text, boolean) is
  'Token usage and cost of the chats the caller owns, over messages written in [from, to) (default: all time) that '
  'carry token counts, grouped by agent, model, chat or day (UTC). Only counts reported by trusted writers (the '
  'service role: agent functions and servers) bill; counts a user reported themselves (append_message from a '
  'user''s session) are left out, or listed in rows of their own with include_client_reported. One row per group '
  'and source: group_key (agent name, model, chat id or YYYY-MM-DD; '''' for none), label (readable name or chat '
  'title), source (billed | client_reported), messages, input_tokens, output_tokens, cost_usd (billed rows: at the '
  'model_prices price in effect on each message''s day; null for client_reported), unpriced_messages (billed rows: '
  'model without a known price, not in cost_usd). Errors: 22023 (400) bad group_by or range; anon is denied (401).';

-- ---------------------------------------------------------------------------------------------
-- CSV cells a spreadsheet would run as a formula (OWASP, CSV injection): a text cell starting with
-- =, +, -, @, tab or carriage return gets a leading single quote and is quoted.
create or replace function private.csv_field(value text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when value is null then ''
    when value ~ '^[=+@\t\r-]' then '"''' || replace(value, '"', '""') || '"'
    when value ~ '[",\r\n]' then '"' || replace(value, '"', '""') || '"'
    else value
  end
$$;
comment on function private.csv_field(text) is
  'One CSV text field: formula-like text (starting with =, +, -, @, tab, CR) gets a leading '' and quotes; a field '
  'with a comma, a double quote, CR or LF is quoted, quotes doubled.';

-- A JSON value as a CSV field: a number as itself (a number stays a number), text as csv_field.
create function private.csv_value(value jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when jsonb_typeof(value) = 'number' then value::text else private.csv_field(private.json_text(value)) end
$$;
comment on function private.csv_value(jsonb) is 'A JSON value as a CSV field: numbers as they are, anything else as csv_field.';
grant execute on function private.csv_value(jsonb) to authenticated;

create or replace function public.export_bom_csv(artifact_id uuid, version integer default null)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  artifact public.artifacts;
  doc jsonb;
  header constant text[] := array['item', 'name', 'part_number', 'manufacturer', 'quantity', 'unit_price', 'currency',
    'line_total', 'voltage', 'current', 'interface_type', 'supplier', 'supplier_url'];
  csv text;
begin
  select a.* into artifact from public.artifacts a where a.id = export_bom_csv.artifact_id;
  if not found then
    raise exception 'artifact not found' using errcode = 'PT404', hint = 'The artifact does not exist or you cannot see it.';
  end if;
  if artifact.type <> 'bom' then
    perform private.invalid_parameter(pg_catalog.format('artifact is a %s, not a bom: only a BOM exports as CSV', artifact.type));
  end if;
  select v.content_json into doc from public.artifact_versions v
  where v.artifact_id = artifact.id and v.version_number = coalesce(export_bom_csv.version, artifact.current_version);
  if not found then
    raise exception '%', pg_catalog.format('version %s not found', export_bom_csv.version) using errcode = 'PT404',
      hint = pg_catalog.format('The artifact has versions 1 to %s.', artifact.current_version);
  end if;

  select array_to_string(header, ',') || e'\r\n' || coalesce(string_agg(
    array_to_string(array[
      e.ordinality::text,
      private.csv_value(e.value -> 'name'),
      private.csv_value(e.value -> 'part_number'),
      private.csv_value(e.value -> 'manufacturer'),
      private.csv_value(e.value -> 'quantity'),
      private.csv_value(e.value -> 'unit_price'),
      private.csv_value(e.value -> 'currency'),
      ((e.value ->> 'quantity')::numeric * (e.value ->> 'unit_price')::numeric)::text,
      private.csv_value(e.value -> 'voltage'),
      private.csv_value(e.value -> 'current'),
      private.csv_value(e.value -> 'interface_type'),
      private.csv_value(e.value -> 'supplier'),
      private.csv_value(e.value -> 'supplier_url')
    ], ',') || e'\r\n', '' order by e.ordinality), '')
  into csv
  from jsonb_array_elements(doc -> 'components') with ordinality e;
  return csv;
end
$$;
comment on function public.export_bom_csv(uuid, integer) is
  'A BOM version (default: the current one) as RFC 4180 CSV text: a header row item,name,part_number,manufacturer,'
  'quantity,unit_price,currency,line_total,voltage,current,interface_type,supplier,supplier_url, then one row per '
  'component in BOM order (item from 1, line_total = quantity × unit_price); every line ends with CRLF; fields '
  'holding a comma, a double quote, CR or LF are quoted, with quotes doubled. Text that a spreadsheet would run as a '
  'formula (starting with =, +, -, @, tab or CR) is neutralised with a leading single quote, and quoted (OWASP''s '
  'CSV injection advice); JSON numbers are written as numbers. Errors: 22023 (400) not a bom; PT404 (404) artifact '
  'or version not found or not readable; anon is denied (401).';

-- (after the realignment above, so that the rows it corrects are not refused)
create trigger artifacts_090_check_project
  before insert or update of chat_id, project_id on public.artifacts
  for each row execute function private.artifacts_check_project();
