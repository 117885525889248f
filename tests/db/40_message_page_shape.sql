-- A page of get_messages carries what a client uses (the columns its comment lists), on both of
-- its paths (a chat without artifacts, and one with them), and never the search vector, the branch
-- storage columns or the owner column the policies use; append_message and edit_message return
-- the same columns (one type, public.chat_message), artifact_versions and attachments not looked up.
begin;
select plan(6);

select tests.create_user('alice');
select tests.authenticate_as('alice');
select set_config('t.plain', (public.create_chat(title => 'Plain')).id::text, true);
select public.append_message(current_setting('t.plain')::uuid, 'user', 'hello there');
select public.append_message(current_setting('t.plain')::uuid, 'assistant', 'general kenobi');
select set_config('t.rich', (public.create_chat(title => 'With a BOM')).id::text, true);
select set_config('t.m', (public.append_message(current_setting('t.rich')::uuid, 'assistant', 'a BOM')).id::text, true);
select public.create_artifact_with_version(current_setting('t.rich')::uuid, null, 'bom', 'BOM', null,
  '{"components": [{"name": "DHT22", "quantity": 1, "unit_price": 9.95, "currency": "USD"}]}', current_setting('t.m')::uuid);

create temp table expected_keys on commit drop as
select array['agent_model', 'agent_name', 'artifact_versions', 'attachments', 'author_id', 'chat_id', 'client_message_id', 'content',
  'created_at', 'depth', 'id', 'input_tokens', 'intent', 'latency_ms', 'metadata', 'output_tokens', 'parent_id',
  'parts', 'role', 'sequence_number', 'status', 'updated_at'] as keys;

select is(
  (select array_agg(k order by k) from jsonb_object_keys(
    (select to_jsonb(m) from public.get_messages(current_setting('t.plain')::uuid) m limit 1)) k),
  (select keys from expected_keys),
  'a chat without artifacts: the documented columns, nothing else');
select is(
  (select array_agg(k order by k) from jsonb_object_keys(
    (select to_jsonb(m) from public.get_messages(current_setting('t.rich')::uuid) m limit 1)) k),
  (select keys from expected_keys),
  'a chat with artifacts: the same columns');
select is(
  (select array_agg(k order by k) from jsonb_object_keys(
    (select to_jsonb(m) from public.get_messages(current_setting('t.plain')::uuid, before => 2) m limit 1)) k),
  (select keys from expected_keys),
  'a page before a cursor: the same columns');
select is(
  (select jsonb_agg(jsonb_build_object('content', m.content, 'depth', m.depth) order by m.sequence_number)
   from public.get_messages(current_setting('t.plain')::uuid) m),
  '[{"content": "hello there", "depth": 1}, {"content": "general kenobi", "depth": 2}]'::jsonb,
  'and the page itself is unchanged');
select is(
  (select array_agg(k order by k) from jsonb_object_keys(
    (select to_jsonb(m) from public.append_message(current_setting('t.plain')::uuid, 'user', 'and again') m)) k),
  (select keys from expected_keys),
  'append_message returns the same columns');
select is(
  (select array_agg(k order by k) from jsonb_object_keys(
    (select to_jsonb(m) from public.edit_message(current_setting('t.m')::uuid, 'a better BOM') m)) k),
  (select keys from expected_keys),
  'and so does edit_message');
select * from finish();
rollback;
