/**
 * whoami, the example thin function: called directly through its exported fetch, and through the
 * gateway as supabase-js calls it.
 */
import assert from "node:assert/strict";
import { signedInUser, startTestStack, testEngines } from "../e2e/_stack.ts";
import { readSupabaseEnv } from "../../functions/_shared/supabase.ts";
import { quiet } from "../helpers/console.ts";

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

for (const kind of testEngines()) {
  Deno.test({
    name:
      `${kind}: whoami returns the caller's profile (directly and through the gateway), 401 for anon, 404 without a profile`,
    ...slow,
    async fn() {
      const stack = await startTestStack(kind);
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
        assert.equal(invoked.data.profile.id, user.id);

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
      } finally {
        await stack.stop();
      }
    },
  });
}
