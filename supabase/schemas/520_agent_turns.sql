-- Agent turns: how the agent functions (functions/chat) store an assistant's answer. A turn
-- begins with a placeholder (status streaming) under the user's message, so that the artifacts
-- the agent writes can name the message that made them and clients see that an answer is coming;
-- it finishes with one call that writes the answer (complete, or error with its reason: a half
-- answer is never stored as complete), the billed token counts and the turn's prompt runs. Both
-- are the service role's: token counts it writes bill the chat's owner (usage_source service).

-- RPC: the placeholder of the answer to a message, or the one that exists.
create function public.service_role_begin_reply(
  chat_id uuid,
  parent_id uuid,
  agent_name text default null,
  agent_model text default null,
  intent text default null,
  metadata jsonb default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  reply_key text := 'reply:' || service_role_begin_reply.parent_id::text;
  parent public.messages;
  existing public.messages;
  message public.chat_message;
  chat jsonb;
begin
  if service_role_begin_reply.chat_id is null or service_role_begin_reply.parent_id is null then
    perform private.invalid_parameter('chat_id and parent_id are required');
  end if;
  select m.* into parent from public.messages m where m.id = service_role_begin_reply.parent_id;
  if not found or parent.chat_id <> service_role_begin_reply.chat_id then
    perform private.invalid_parameter('parent_id is not a message of this chat');
  end if;
  -- What the turn needs of the chat: its title, its own agent, its project (for the agent's prompt)
  -- and its artifacts (the agent's context). The caller has just written to the chat as the user, so
  -- all of it is theirs to read.
  select pg_catalog.jsonb_build_object('id', c.id, 'title', c.title,
      'agent', case when a.id is not null then pg_catalog.jsonb_build_object('id', a.id, 'owner_id', a.owner_id,
        'name', a.name, 'display_name', a.display_name, 'kind', a.kind, 'description', a.description,
        'prompt_name', a.prompt_name) end,
      'project', case when p.id is not null then pg_catalog.jsonb_build_object('id', p.id, 'name', p.name,
        'description', p.description, 'category', p.category, 'goal', p.goal, 'target_budget', p.target_budget,
        'currency', p.currency) end,
      'artifacts', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', x.id, 'type', x.type, 'title', x.title,
          'current_version', x.current_version, 'updated_at', x.updated_at) order by x.updated_at desc, x.id)
        from (
          select r.id, r.type, r.title, r.current_version, r.updated_at from public.artifacts r
          where r.chat_id = c.id and r.hidden_at is null
          order by r.updated_at desc, r.id
          limit 50
        ) x), '[]'))
    into chat
  from public.chats c
  left join public.agents a on a.id = c.agent_id
  left join public.projects p on p.id = c.project_id
  where c.id = service_role_begin_reply.chat_id;
  -- The answer is keyed by its parent (client_message_id reply:<parent id>), so the same message
  -- sent again (a retried request, a replayed client_message_id) finds the answer under way or done
  -- instead of running the agents again.
  select m.* into existing from public.messages m
  where m.chat_id = service_role_begin_reply.chat_id and m.client_message_id = reply_key;
  if found then
    message := private.chat_message(existing);
    if message.role <> 'assistant' then
      perform private.invalid_parameter(pg_catalog.format('%s is taken by a %s message of this chat', reply_key,
        message.role), 'client_message_id values starting with reply: are the agents''.');
    end if;
    return pg_catalog.jsonb_build_object('created', false, 'message', message, 'chat', chat);
  end if;
  message := public.append_message(service_role_begin_reply.chat_id, 'assistant', '', service_role_begin_reply.parent_id,
    agent_name => service_role_begin_reply.agent_name, agent_model => service_role_begin_reply.agent_model,
    intent => service_role_begin_reply.intent, status => 'streaming', metadata => service_role_begin_reply.metadata,
    client_message_id => reply_key);
  if message.role <> 'assistant' then
    perform private.invalid_parameter(pg_catalog.format('%s is taken by a %s message of this chat', reply_key,
      message.role), 'client_message_id values starting with reply: are the agents''.');
  end if;
  -- made by this call, or by a concurrent one that got there first (append_message returns theirs,
  -- whose row has their transaction's time)
  return pg_catalog.jsonb_build_object('created', message.created_at = pg_catalog.now(), 'message', message, 'chat', chat);
end
$$;
grant execute on function public.service_role_begin_reply(uuid, uuid, text, text, text, jsonb) to service_role;
comment on function public.service_role_begin_reply(uuid, uuid, text, text, text, jsonb) is
  'Service role only (the chat function): the placeholder of the assistant''s answer to parent_id, an assistant '
  'message with status streaming and empty content under it (client_message_id reply:<parent_id>), created once: '
  'calling again returns the same message, under way or finished. Returns {created, message: <chat_message>, chat: '
  '{id, title, agent: {id, owner_id, name, display_name, kind, description, prompt_name} or null (the chat''s own '
  'agent), project: {id, name, description, category, goal, target_budget, currency} or null, artifacts: [{id, type, '
  'title, current_version, updated_at}] (the 50 last changed, not hidden)}}. '
  'Errors: 22023 (400) parent_id not a message of the chat; PT404 (404) no such chat.';

-- RPC: the answer, finished.
create function public.service_role_finish_reply(
  message_id uuid,
  content text,
  status text default 'complete',
  agent_name text default null,
  agent_model text default null,
  intent text default null,
  input_tokens integer default null,
  output_tokens integer default null,
  latency_ms integer default null,
  parts jsonb default null,
  metadata jsonb default null,
  runs jsonb default null
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
  recorded integer;
  cost numeric;
begin
  checked := private.check_message('assistant', coalesce(service_role_finish_reply.content, ''),
    service_role_finish_reply.parts, service_role_finish_reply.agent_name, service_role_finish_reply.agent_model,
    service_role_finish_reply.intent, service_role_finish_reply.input_tokens, service_role_finish_reply.output_tokens,
    service_role_finish_reply.latency_ms, service_role_finish_reply.status, service_role_finish_reply.metadata, null);
  if service_role_finish_reply.status is null or service_role_finish_reply.status not in ('complete', 'error', 'cancelled') then
    perform private.invalid_parameter('status must be complete, error or cancelled');
  end if;
  select m.* into message from public.messages m where m.id = service_role_finish_reply.message_id for update;
  if not found then
    perform private.not_found('message');
  end if;
  if message.role <> 'assistant' then
    perform private.invalid_parameter('message_id is not an assistant message');
  end if;
  if message.status not in ('pending', 'streaming') then
    -- finished already (a retried call): as it is
    return private.chat_message(message);
  end if;

  if pg_catalog.jsonb_typeof(service_role_finish_reply.runs) = 'array' and pg_catalog.jsonb_array_length(service_role_finish_reply.runs) > 0 then
    recorded := public.service_role_record_prompt_runs((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('chat_id', message.chat_id, 'message_id', message.id,
        'user_id', message.chat_owner_id) || e.value order by e.ordinality)
      from pg_catalog.jsonb_array_elements(service_role_finish_reply.runs) with ordinality e));
    select pg_catalog.sum(r.cost_usd) into cost from public.prompt_runs r where r.message_id = message.id;
  elsif service_role_finish_reply.runs is not null and pg_catalog.jsonb_typeof(service_role_finish_reply.runs) <> 'array' then
    perform private.invalid_parameter('runs must be a JSON array');
  end if;

  update public.messages m
  set content = coalesce(service_role_finish_reply.content, ''),
      status = service_role_finish_reply.status,
      parts = coalesce(service_role_finish_reply.parts, m.parts),
      agent_name = coalesce(service_role_finish_reply.agent_name, m.agent_name),
      agent_model = coalesce(service_role_finish_reply.agent_model, m.agent_model),
      intent = coalesce(service_role_finish_reply.intent, m.intent),
      input_tokens = service_role_finish_reply.input_tokens,
      output_tokens = service_role_finish_reply.output_tokens,
      latency_ms = service_role_finish_reply.latency_ms,
      -- trusted counts: the service role (or a server on a database connection) reports them
      usage_source = case
        when service_role_finish_reply.input_tokens is null and service_role_finish_reply.output_tokens is null then null
        when private.is_trusted_writer() then 'service'
        else 'client'
      end,
      metadata = m.metadata || coalesce(service_role_finish_reply.metadata, '{}')
        || case when cost is not null then pg_catalog.jsonb_build_object('cost_usd', cost) else '{}' end
  where m.id = message.id
  returning m.* into message;
  -- the chat's counters, as an append with these counts would have moved them
  if coalesce(service_role_finish_reply.input_tokens, 0) + coalesce(service_role_finish_reply.output_tokens, 0) > 0 then
    update public.chats c
    set input_tokens = c.input_tokens + coalesce(service_role_finish_reply.input_tokens, 0),
        output_tokens = c.output_tokens + coalesce(service_role_finish_reply.output_tokens, 0)
    where c.id = message.chat_id;
  end if;
  return private.chat_message(message);
exception
  when check_violation then
    perform private.invalid_parameter(pg_catalog.format('invalid answer: %s', sqlerrm),
      'An answer needs content or parts.');
end
$$;
grant execute on function public.service_role_finish_reply(uuid, text, text, text, text, text, integer, integer, integer,
  jsonb, jsonb, jsonb) to service_role;
comment on function public.service_role_finish_reply(uuid, text, text, text, text, text, integer, integer, integer, jsonb, jsonb, jsonb) is
  'Service role only (the chat function): finishes an answer begun by service_role_begin_reply, once: content, '
  'status complete, error (what went wrong in metadata.error and parts; a partial text stays as content, never as '
  'complete) or cancelled, agent, model, intent, token counts (billed: usage_source service, added to the chat''s '
  'counters), latency, parts, metadata (merged) and runs, the turn''s model calls (as '
  'service_role_record_prompt_runs takes them; chat_id, message_id and user_id default to the message''s), whose '
  'summed cost becomes metadata.cost_usd. An answer already finished is returned as it is and nothing is written. '
  'Returns the message (chat_message). Errors: 22023 (400) invalid argument; PT404 (404) no such message.';
