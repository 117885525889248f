/**
 * whoami, the example thin function: called directly through its exported fetch, and through the
 * gateway as supabase-js calls it (run with its own deno.json). On the same stack, a probe function
 * streaming with the shared SSE helper through the gateway: the client's disconnect reaches the
 * function, and its work still runs to the end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { signedInUser, startTestStack, testEngines } from "../e2e/_stack.ts";
import { readSupabaseEnv } from "../../functions/_shared/supabase.ts";
import { quiet } from "../helpers/console.ts";
import { readSse } from "../helpers/sse.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

// The module reads its environment once, when loaded: load it (dynamically) without one.
for (const name of ["SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"]) Deno.env.delete(name);
const handler = await import("../../functions/whoami/handler.ts");
const { makeWhoami } = handler;

Deno.test("whoami: without its environment it answers 500 at once, saying nothing more", async () => {
  const { value: res, logged } = await quiet(() =>
    handler.default.fetch(new Request("http://fn/whoami", { headers: { authorization: "Bearer x" } }))
  );
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: "The function is not configured" });
  assert.match(logged.join("\n"), /missing environment: SUPABASE_URL/);
});

Deno.test("whoami: CORS preflight, methods, and 401 without Authorization", async () => {
  const whoami = makeWhoami({ url: "http://127.0.0.1:9", anonKey: "unused", serviceRoleKey: "unused" });
  const preflight = await whoami.fetch(new Request("http://fn/whoami", { method: "OPTIONS" }));
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
  assert.match(preflight.headers.get("access-control-allow-headers")!, /apikey/);
  await preflight.body?.cancel();
  const put = await whoami.fetch(new Request("http://fn/whoami", { method: "PUT", headers: { authorization: "x" } }));
  assert.equal(put.status, 405);
  assert.equal(put.headers.get("allow"), "GET, POST, OPTIONS");
  await put.body?.cancel();
  const missing = await whoami.fetch(new Request("http://fn/whoami"));
  assert.equal(missing.status, 401);
  assert.deepEqual(await missing.json(), { error: "Missing Authorization header" });
  assert.equal(missing.headers.get("access-control-allow-origin"), "*");
});

/** A function that streams ten events, 50 ms apart, with the shared SSE helper; GET …/status tells how it went. */
const SSE_PROBE = `
import { sseResponse } from "${new URL("../../functions/_shared/sse.ts", import.meta.url).href}";
const state = { steps: 0, sent: 0, disconnected: false, finished: false };
Deno.serve((req) => {
  if (new URL(req.url).pathname.endsWith("/status")) return Response.json(state);
  return sseResponse(async (sse) => {
    for (let step = 0; step < 10; step++) {
      if (sse.send("delta", { step })) state.sent++;
      state.steps = step + 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    state.disconnected = sse.disconnected;
    state.finished = true;
  }, { keepAliveMs: 0 });
});
`;

for (const kind of testEngines()) {
  Deno.test({
    name:
      `${kind}: whoami returns the caller's profile (directly and through the gateway), 401 for anon, 404 without a profile`,
    ...slow,
    async fn() {
      const functionsDir = await Deno.makeTempDir({ prefix: "parley-functions-" });
      await Deno.mkdir(join(functionsDir, "sse-probe"));
      await Deno.writeTextFile(join(functionsDir, "sse-probe", "index.ts"), SSE_PROBE);
      // whoami keeps its configured entry point (functions/whoami/index.ts, with its own deno.json)
      const stack = await startTestStack(kind, { gateway: { functionsDir } });
      try {
        const user = await signedInUser(stack, "whoami", { display_name: "Direct Call" });
        const env: Record<string, string> = {
          SUPABASE_URL: stack.url,
          SUPABASE_ANON_KEY: stack.anonKey,
          SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
        };
        const whoami = makeWhoami(readSupabaseEnv({ get: (name) => env[name] }));
        const bearer = { authorization: `Bearer ${user.session.access_token}` };
        const res = await whoami.fetch(new Request("http://fn/whoami", { headers: bearer }));
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(body.profile.id, user.id);
        assert.equal(body.profile.display_name, "Direct Call");

        const invoked = await user.supabase.functions.invoke("whoami");
        assert.equal(invoked.error, null, String(invoked.error));
        assert.equal(invoked.data.profile.id, user.id, "the gateway runs it with functions/whoami/deno.json");

        const anon = await whoami.fetch(
          new Request("http://fn/whoami", { method: "POST", headers: { authorization: `Bearer ${stack.anonKey}` } }),
        );
        assert.equal(anon.status, 401);
        assert.deepEqual(await anon.json(), { error: "Sign in first", code: "42501" });

        // a user whose profile is gone: the RPC's PT404 comes back as a 404
        await stack.engine.db.query("delete from public.profiles where id = $1", [user.id]);
        const gone = await whoami.fetch(new Request("http://fn/whoami", { headers: bearer }));
        assert.equal(gone.status, 404);
        assert.equal((await gone.json()).code, "PT404");

        // SSE through the gateway: read one event, hang up; the function notices and finishes its work
        const client = new AbortController();
        const stream = await fetch(`${stack.url}/functions/v1/sse-probe`, { headers: bearer, signal: client.signal });
        assert.equal(stream.status, 200);
        assert.equal(stream.headers.get("content-type"), "text/event-stream; charset=utf-8");
        const first = await readSse(stream.body!)[Symbol.asyncIterator]().next();
        assert.equal(first.value?.type === "event" && first.value.json().step, 0);
        client.abort();
        let state = { steps: 0, sent: 0, disconnected: false, finished: false };
        for (let i = 0; i < 100 && !state.finished; i++) {
          await new Promise((r) => setTimeout(r, 50));
          state = await (await fetch(`${stack.url}/functions/v1/sse-probe/status`, { headers: bearer })).json();
        }
        assert.equal(state.finished, true, JSON.stringify(state));
        assert.equal(state.steps, 10);
        assert.equal(state.disconnected, true);
        assert.ok(state.sent < 10, `${state.sent} events written after the client left`);
      } finally {
        await stack.stop();
        await Deno.remove(functionsDir, { recursive: true });
      }
    },
  });
}
