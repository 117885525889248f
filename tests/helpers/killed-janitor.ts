/**
 * A files-janitor run that dies halfway: run as its own process by tests/functions/files-janitor.test.ts
 * with SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY set. It kills itself (SIGKILL, no
 * cleanup) right after the Storage API has answered its first removal, before it reports the jobs:
 * the worst moment, objects gone and their jobs still leased to it.
 */
import { makeFilesJanitor } from "../../functions/files-janitor/handler.ts";
import { readSupabaseEnv } from "../../functions/_shared/supabase.ts";

const realFetch = globalThis.fetch;
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
  const res = await realFetch(input, init);
  const request = input instanceof Request ? input : null;
  const url = request ? request.url : String(input);
  const method = init?.method ?? request?.method ?? "GET";
  if (method === "DELETE" && url.includes("/storage/v1/object/")) {
    await res.arrayBuffer();
    Deno.kill(Deno.pid, "SIGKILL");
  }
  return res;
};

const env = readSupabaseEnv();
if (env instanceof Error) throw env;
await makeFilesJanitor(env).fetch(
  new Request("http://functions/files-janitor", {
    method: "POST",
    headers: { authorization: `Bearer ${env.serviceRoleKey}`, "content-type": "application/json" },
    body: JSON.stringify({ lease_seconds: 60 }),
  }),
);
console.log("not killed");
