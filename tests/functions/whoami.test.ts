/**
 * whoami, called directly through its exported fetch (no functions runner): against a real stack
 * for the database side, the caller's Authorization forwarded to get_my_profile.
 */
import assert from "node:assert/strict";
import { signedInUser, startTestStack, testEngines } from "../e2e/_stack.ts";
import { readSupabaseEnv } from "../../functions/_shared/supabase.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

// The module reads its environment once, when loaded: load it (dynamically) without one.
Deno.env.delete("SUPABASE_URL");
Deno.env.delete("SUPABASE_ANON_KEY");
const handler = await import("../../functions/whoami/handler.ts");
const { makeWhoami } = handler;

Deno.test("whoami: without its environment it answers 500 at once, saying nothing more", async () => {
  const whoami = handler.default;
  const originalError = console.error;
  console.error = () => {};
  try {
    const res = await whoami.fetch(new Request("http://fn/whoami", { headers: { authorization: "Bearer x" } }));
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: "The function is not configured" });
  } finally {
    console.error = originalError;
  }
});

Deno.test("whoami: CORS preflight and methods", async () => {
  const whoami = makeWhoami({ url: "http://127.0.0.1:9", anonKey: "unused" });
  const preflight = await whoami.fetch(new Request("http://fn/whoami", { method: "OPTIONS" }));
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
  assert.match(preflight.headers.get("access-control-allow-headers")!, /apikey/);
  const put = await whoami.fetch(new Request("http://fn/whoami", { method: "PUT", headers: { authorization: "x" } }));
  assert.equal(put.status, 405);
  const missing = await whoami.fetch(new Request("http://fn/whoami"));
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("access-control-allow-origin"), "*");
});

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: whoami returns the caller's profile, and 401 for anon`,
    ...slow,
    async fn() {
      const stack = await startTestStack(kind);
      try {
        const user = await signedInUser(stack, "whoami", { display_name: "Direct Call" });
        const env: Record<string, string> = { SUPABASE_URL: stack.url, SUPABASE_ANON_KEY: stack.anonKey };
        const whoami = makeWhoami(readSupabaseEnv({ get: (name) => env[name] }));
        const res = await whoami.fetch(
          new Request("http://fn/whoami", { headers: { authorization: `Bearer ${user.session.access_token}` } }),
        );
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(body.profile.id, user.id);
        assert.equal(body.profile.display_name, "Direct Call");

        const anon = await whoami.fetch(
          new Request("http://fn/whoami", { method: "POST", headers: { authorization: `Bearer ${stack.anonKey}` } }),
        );
        assert.equal(anon.status, 401);
        assert.deepEqual(await anon.json(), { error: "Sign in first", code: "42501" });

        // a user whose profile is gone: the RPC's PT404 comes back as a 404
        await stack.engine.db.query("delete from public.profiles where id = $1", [user.id]);
        const gone = await whoami.fetch(
          new Request("http://fn/whoami", { headers: { authorization: `Bearer ${user.session.access_token}` } }),
        );
        assert.equal(gone.status, 404);
        assert.equal((await gone.json()).code, "PT404");
      } finally {
        await stack.stop();
      }
    },
  });
}
