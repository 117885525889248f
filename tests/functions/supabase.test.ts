/**
 * functions/_shared/supabase.ts and env.ts: the environment read once (a missing variable is a
 * 500 at once, naming nothing to callers), the user client forwarding the caller's Authorization
 * (a request without one is a 401), the service client with the service key, and the clients'
 * typing by the generated Database. Against a stand-in server that records what it receives; the
 * database side (RLS as the caller) is in whoami.test.ts and postgrest.test.ts.
 */
import assert from "node:assert/strict";
import { ConfigError, requireEnv } from "../../functions/_shared/env.ts";
import { errorResponse, HttpError } from "../../functions/_shared/errors.ts";
import {
  authorization,
  type Client,
  readSupabaseEnv,
  type RpcArgs,
  type RpcReturns,
  serviceClient,
  userClient,
} from "../../functions/_shared/supabase.ts";
import { quiet } from "../helpers/console.ts";

const source = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("supabase: the environment is SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY", () => {
  assert.deepEqual(
    readSupabaseEnv(
      source({ SUPABASE_URL: "http://api", SUPABASE_ANON_KEY: "anon", SUPABASE_SERVICE_ROLE_KEY: "svc" }),
    ),
    { url: "http://api", anonKey: "anon", serviceRoleKey: "svc" },
  );
  const missing = readSupabaseEnv(source({ SUPABASE_URL: "http://api", SUPABASE_SERVICE_ROLE_KEY: "" }));
  assert.ok(missing instanceof ConfigError);
  assert.deepEqual(missing.missing, ["SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"]);
});

Deno.test("supabase: a missing variable answers 500 'not configured'; the log names it, the caller learns nothing more", async () => {
  const env = readSupabaseEnv(source({}));
  const { value: res, logged } = await quiet(() => {
    try {
      requireEnv(env);
      return null;
    } catch (e) {
      return errorResponse(e);
    }
  });
  assert.ok(res);
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: "The function is not configured" });
  assert.match(logged.join("\n"), /SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY/);
  const ok = { url: "u", anonKey: "a", serviceRoleKey: "s" };
  assert.equal(requireEnv(ok), ok);
});

/** A stand-in for the API gateway: records each request's path and headers, answers an RPC with {}. */
function recorder() {
  const seen: { path: string; headers: Headers }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    seen.push({ path: new URL(req.url).pathname, headers: req.headers });
    return Response.json({ id: "u1" });
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}

Deno.test("supabase: the user client sends the caller's Authorization with the anon key; the service client its key", async () => {
  const api = recorder();
  try {
    const env = { url: api.url, anonKey: "anon-key", serviceRoleKey: "service-key" };
    const req = new Request("http://fn/x", { headers: { Authorization: "Bearer user-jwt" } });
    const { data, error } = await userClient(env, req).rpc("get_my_profile");
    assert.equal(error, null);
    assert.deepEqual(data, { id: "u1" });
    assert.equal(api.seen[0].path, "/rest/v1/rpc/get_my_profile");
    assert.equal(api.seen[0].headers.get("authorization"), "Bearer user-jwt");
    assert.equal(api.seen[0].headers.get("apikey"), "anon-key");

    await userClient(env, "Bearer given").rpc("get_my_profile");
    assert.equal(api.seen[1].headers.get("authorization"), "Bearer given");

    await serviceClient(env).rpc("service_role_purge_expired_chats");
    assert.equal(api.seen[2].path, "/rest/v1/rpc/service_role_purge_expired_chats");
    assert.equal(api.seen[2].headers.get("authorization"), "Bearer service-key");
    assert.equal(api.seen[2].headers.get("apikey"), "service-key");
  } finally {
    await api.stop();
  }
});

Deno.test("supabase: a request without Authorization is a 401 before anything is called", () => {
  const env = { url: "http://127.0.0.1:9", anonKey: "a", serviceRoleKey: "s" };
  for (
    const attempt of [
      () => userClient(env, new Request("http://fn/x")),
      () => authorization(new Request("http://fn/x")),
    ]
  ) {
    assert.throws(
      attempt,
      (e) => e instanceof HttpError && e.status === 401 && e.message === "Missing Authorization header",
    );
  }
  assert.equal(authorization(new Request("http://fn/x", { headers: { authorization: "Bearer t" } })), "Bearer t");
});

Deno.test("supabase: clients are typed by the generated Database", () => {
  // compile-time checks: deno test type-checks this file
  const check = (client: Client) => {
    // @ts-expect-error: not a public function
    client.rpc("no_such_function");
    // @ts-expect-error: update_my_profile has no argument `nickname`
    client.rpc("update_my_profile", { nickname: "x" });
    return client.rpc("update_my_profile", { display_name: "x" });
  };
  const args: RpcArgs<"get_messages"> = { chat_id: "00000000-0000-0000-0000-000000000000" };
  const profile = (p: RpcReturns<"get_my_profile">) => p.display_name;
  assert.equal(typeof check, "function");
  assert.equal(typeof profile, "function");
  assert.ok(args.chat_id);
});
