-- Value rules of chats and messages, as domains rather than table check constraints: a table's
-- checks are re-read and re-planned by every statement that writes a row, a domain's are compiled
-- once per session. Appending a message writes a message and updates its chat: the hottest path.
-- (Written as >= and <= rather than between: that is the form the schema diff gives back, and the
-- drift check compares the stored expressions.)
create domain private.short_text as text
  check (char_length(value) >= 1 and char_length(value) <= 64 and value !~ '[[:cntrl:]]');
comment on domain private.short_text is '1 to 64 characters, no control characters.';
create domain private.title_text as text
  check (char_length(value) >= 1 and char_length(value) <= 200 and value !~ '[[:cntrl:]]');
comment on domain private.title_text is '1 to 200 characters, no control characters.';
create domain private.token_64 as text
  check (char_length(value) >= 1 and char_length(value) <= 64 and value !~ '[[:space:][:cntrl:]]');
comment on domain private.token_64 is '1 to 64 characters, no spaces or control characters.';
create domain private.token_128 as text
  check (char_length(value) >= 1 and char_length(value) <= 128 and value !~ '[[:space:][:cntrl:]]');
comment on domain private.token_128 is '1 to 128 characters, no spaces or control characters.';
create domain private.token_200 as text
  check (char_length(value) >= 1 and char_length(value) <= 200 and value !~ '[[:space:][:cntrl:]]');
comment on domain private.token_200 is '1 to 200 characters, no spaces or control characters.';
create domain private.snake_case_40 as text
  check (value ~ '^[a-z][a-z0-9_]{0,39}$');
comment on domain private.snake_case_40 is 'Lowercase snake_case, 1 to 40 characters, starting with a letter.';
create domain private.json_object_16k as jsonb
  check (jsonb_typeof(value) = 'object' and pg_column_size(value) <= 16384);
comment on domain private.json_object_16k is 'A JSON object of at most 16 kB.';
create domain private.json_array_1m as jsonb
  check (jsonb_typeof(value) = 'array' and pg_column_size(value) <= 1048576);
comment on domain private.json_array_1m is 'A JSON array of at most 1 MB.';
create domain private.count as integer
  check (value >= 0);
comment on domain private.count is 'A non-negative integer.';
create domain private.message_role as text
  check (value in ('system', 'user', 'assistant', 'tool'));
comment on domain private.message_role is 'Who speaks: system, user, assistant or tool.';
create domain private.message_status as text
  check (value in ('pending', 'streaming', 'complete', 'error', 'cancelled'));
comment on domain private.message_status is 'Where a message is in its life: pending, streaming, complete, error, cancelled.';
create domain private.message_content as text
  check (char_length(value) <= 200000);
comment on domain private.message_content is 'Message text of at most 200,000 characters.';
create domain private.time_to_live as interval
  check (value >= interval '1 minute' and value <= interval '366 days');
comment on domain private.time_to_live is 'Between 1 minute and 366 days.';
grant usage on type private.short_text, private.title_text, private.token_64, private.token_128, private.token_200,
  private.snake_case_40, private.json_object_16k, private.json_array_1m, private.count, private.message_role,
  private.message_status, private.message_content, private.time_to_live
  to anon, authenticated, service_role;
create domain private.usage_source as text
  check (value in ('service', 'client'));
comment on domain private.usage_source is 'service: reported by a trusted writer and billed; client: reported by a user, not billed.';
