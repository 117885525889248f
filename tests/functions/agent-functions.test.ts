/**
 * The chat and interpret functions called directly (their exported fetch): the frame every request
 * gets before anything is written. Without OPENAI_API_KEY they answer 503 naming it; without their
 * Supabase environment, 500; other methods 405; CORS preflights; no Authorization, 401. (What they
 * do with a provider and a database is in tests/e2e/agents-chat.test.ts and agents-interpret.test.ts.)
 */
import assert from "node:assert/strict";
import { makeChat } from "../../functions/chat/handler.ts";
import { makeInterpret } from "../../functions/interpret/handler.ts";
import { ConfigError } from "../../functions/_shared/env.ts";
import { quiet } from "../helpers/console.ts";

// an address nothing listens on: any database call would fail, so none may happen
const supabase = { url: "http://127.0.0.1:9", anonKey: "anon", serviceRoleKey: "service" };
const noKey = { apiKey: null, baseURL: "http://127.0.0.1:9/v1", defaultModel: null };
const withKey = { apiKey: "sk-test", baseURL: "http://127.0.0.1:9/v1", defaultModel: null };

const functions = {
  chat: (o: Parameters<typeof makeChat>[0]) => makeChat(o),
  interpret: (o: Parameters<typeof makeInterpret>[0]) => makeInterpret(o),
};
const bodies = {
  chat: { chat_id: crypto.randomUUID(), content: "hello" },
  interpret: { entry_id: crypto.randomUUID(), interpreter: "jungian_interpreter" },
};

for (const [name, make] of Object.entries(functions)) {
  const post = (body: unknown, headers: Record<string, string> = { authorization: "Bearer user-jwt" }) =>
    new Request(`http://fn/${name}`, { method: "POST", headers, body: JSON.stringify(body) });
  const body = bodies[name as keyof typeof bodies];

  Deno.test(`${name}: without OPENAI_API_KEY, a 503 naming it, before anything is read or written`, async () => {
    const fn = make({ supabase, openai: noKey });
    const res = await fn.fetch(post(body));
    assert.equal(res.status, 503);
    const answer = await res.json();
    assert.equal(answer.code, "PROVIDER_NOT_CONFIGURED");
    assert.match(answer.error, /OPENAI_API_KEY/);
  });

  Deno.test(`${name}: without its Supabase environment, a 500 at once`, async () => {
    const fn = make({ supabase: new ConfigError(["SUPABASE_URL"]), openai: withKey });
    const { value: res, logged } = await quiet(() => fn.fetch(post(body)));
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: "The function is not configured" });
    assert.match(logged.join("\n"), /missing environment: SUPABASE_URL/);
  });

  Deno.test(`${name}: POST only, CORS preflights, a 401 without Authorization`, async () => {
    const fn = make({ supabase, openai: withKey });
    const get = await fn.fetch(new Request(`http://fn/${name}`, { headers: { authorization: "Bearer x" } }));
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST, OPTIONS");
    await get.body?.cancel();
    const preflight = await fn.fetch(new Request(`http://fn/${name}`, { method: "OPTIONS" }));
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    await preflight.body?.cancel();
    const anonymous = await fn.fetch(post(body, {}));
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), { error: "Missing Authorization header" });
  });

  Deno.test(`${name}: a body that does not fit is a 400 naming the fields`, async () => {
    const fn = make({ supabase, openai: withKey });
    const res = await fn.fetch(post({ unexpected: true }));
    assert.equal(res.status, 400);
    const answer = await res.json();
    assert.equal(answer.code, "INVALID_REQUEST");
    assert.ok(answer.issues.length >= 2, JSON.stringify(answer));
  });
}
