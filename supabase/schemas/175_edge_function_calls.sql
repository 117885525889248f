-- Scheduled jobs call Edge Functions: net.http_post (pg_net) to <project_url>/functions/v1/<name>
-- with the service role key, both read from Vault (the secrets project_url and service_role_key,
-- set once per project: README, "Deploying"). The embedding schedule wakes the embed worker with
-- it, and the files janitor runs through it. The call is queued by pg_net and made after the
-- transaction commits; its answer lands in net._http_response.

-- pg_net is enabled with pg_cron, where the jobs are scheduled (170_continuations.sql).

-- Calls an Edge Function as the service role; returns pg_net's request id, or null (with a
-- warning) when the Vault secrets are not set.
create function private.invoke_edge_function(name text, body jsonb default '{}', timeout_milliseconds integer default 120000)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  url text;
  key text;
begin
  if invoke_edge_function.name !~ '^[a-z][a-z0-9_-]{0,62}$' then
    perform private.invalid_parameter(pg_catalog.format('%L is not a function name', invoke_edge_function.name));
  end if;
  select s.decrypted_secret into url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into key from vault.decrypted_secrets s where s.name = 'service_role_key';
  if url is null or key is null then
    raise warning 'the Vault secrets project_url and service_role_key are not set: the % function cannot be called',
      invoke_edge_function.name;
    return null;
  end if;
  return net.http_post(
    url => pg_catalog.rtrim(url, '/') || '/functions/v1/' || invoke_edge_function.name,
    body => coalesce(invoke_edge_function.body, '{}'),
    headers => jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || key),
    timeout_milliseconds => invoke_edge_function.timeout_milliseconds
  );
end
$$;
comment on function private.invoke_edge_function(text, jsonb, integer) is
  'Calls the Edge Function name with a JSON body as the service role (net.http_post; project_url and '
  'service_role_key from Vault); returns the request id, or null when the secrets are not set.';
