/**
 * /functions/v1 on every engine: the real whoami function through supabase-js (caller's JWT
 * forwarded to the RPC), verify_jwt, CORS preflights, the environment Supabase provides, request
 * and response streaming (Server-Sent Events unbuffered), boot failures and crashed workers. Test
 * functions are written to a temporary functions folder the gateway is pointed at.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FunctionsHttpError } from "@supabase/supabase-js";
import {
  api,
  client,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
  type TestStack,
} from "../e2e/_stack.ts";
import { hmacKey, signJwt } from "../../stack/gateway/jwt.ts";

const FUNCTIONS: Record<string, string> = {
  // what a function sees of its environment and request
  "env/index.ts": `
Deno.serve(async (req) => {
  const url = new URL(req.url);
  return Response.json({
    url: Deno.env.get("SUPABASE_URL"),
    anonKey: Deno.env.get("SUPABASE_ANON_KEY"),
    serviceRoleKey: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
    dbUrl: Deno.env.get("SUPABASE_DB_URL"),
    secret: Deno.env.get("MY_SECRET") ?? null,
    leaked: Deno.env.get("PARLEY_GATEWAY_TEST_LEAK") ?? null,
    path: url.pathname,
    search: url.search,
    method: req.method,
    authorization: req.headers.get("authorization"),
  });
});`,
  // echoes the request body as it streams in
  "echo/index.ts": `
Deno.serve((req) => new Response(req.body, { headers: { "content-type": "application/octet-stream" } }));`,
  // Server-Sent Events: the second event waits until /sse/release is called
  "sse/index.ts": `
let release = () => {};
const released = new Promise((r) => release = r);
Deno.serve((req) => {
  if (new URL(req.url).pathname.endsWith("/release")) {
    release();
    return new Response("released");
  }
  const enc = new TextEncoder();
  const body = new ReadableStream({
    async start(controller) {
      controller.enqueue(enc.encode("event: tick\\ndata: first\\n\\n"));
      await released;
      controller.enqueue(enc.encode("event: tick\\ndata: second\\n\\n"));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
});`,
  // a module exporting default { fetch } (no Deno.serve) is served too
  "plain/index.ts": `export default { fetch: () => new Response("plain ok") };`,
  // fails while loading
  "broken/index.ts": `throw new Error("broken at boot");`,
  // dies while handling a request; the next request gets a new worker
  "fragile/index.ts": `
let served = 0;
Deno.serve((req) => {
  if (new URL(req.url).searchParams.has("die")) Deno.exit(3);
  return Response.json({ served: ++served, pid: Deno.pid });
});`,
  ".env": "MY_SECRET=from-dotenv\n",
};

const functionsDir = Deno.makeTempDirSync({ prefix: "parley-functions-" });
// hooks run last-registered first: this one after the stacks have stopped
Deno.test.afterAll(() => Deno.remove(functionsDir, { recursive: true }));
for (const [path, text] of Object.entries(FUNCTIONS)) {
  Deno.mkdirSync(join(functionsDir, path, ".."), { recursive: true });
  Deno.writeTextFileSync(join(functionsDir, path), text);
}
// the gateway's own environment must not reach functions
Deno.env.set("PARLEY_GATEWAY_TEST_LEAK", "leaked");

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

for (const kind of testEngines()) {
  const fixture = stackFixture(kind, {
    gateway: { functionsDir, maxBodyBytes: 4 * 1024 * 1024, watchFunctions: true },
    config: (c) => {
      c.functions.sse = { verifyJwt: false };
      c.functions.plain = { verifyJwt: false };
    },
  });
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(fixture, `functions: ${name}`, fn);

  test("whoami returns the caller's profile through supabase-js", async (s) => {
    const u = await signedInUser(s, "whoami", { display_name: "Who Am I" });
    const { data, error, response } = await u.supabase.functions.invoke("whoami");
    assert.equal(error, null);
    assert.equal(data.profile.id, u.id);
    assert.equal(data.profile.display_name, "Who Am I");
    assert.equal(response?.headers.get("access-control-allow-origin"), "*");

    const other = await signedInUser(s, "other");
    const theirs = await other.supabase.functions.invoke("whoami");
    assert.equal(theirs.data.profile.id, other.id, "each caller sees only their own profile");
  });

  test("whoami with the anon key reaches the function, which answers 401", async (s) => {
    const { data, error } = await client(s).functions.invoke("whoami");
    assert.equal(data, null);
    assert.ok(error instanceof FunctionsHttpError);
    assert.equal(error.context.status, 401);
    assert.deepEqual(await error.context.json(), { error: "Sign in first", code: "42501" });
  });

  test("verify_jwt: a missing, invalid or expired JWT is refused before the function runs", async (s) => {
    const missing = await api(s, "/functions/v1/whoami", { apikey: null });
    assert.equal(missing.status, 401);
    assert.equal((missing.body as { code: string }).code, "UNAUTHORIZED_NO_AUTH_HEADER");
    const forged = await signJwt({ role: "authenticated", sub: crypto.randomUUID() }, await hmacKey("x".repeat(40)));
    const invalid = await api(s, "/functions/v1/whoami", { apikey: null, token: forged });
    assert.equal(invalid.status, 401);
    assert.equal((invalid.body as { code: string }).code, "UNAUTHORIZED_INVALID_JWT");
    const expired = await signJwt({ role: "anon", exp: 1_000_000 }, await hmacKey(s.jwtSecret));
    assert.equal((await api(s, "/functions/v1/whoami", { apikey: null, token: expired })).status, 401);
    // verify_jwt = false: no token needed
    assert.equal((await api(s, "/functions/v1/plain", { apikey: null })).text, "plain ok");
  });

  test("CORS preflights reach the function, without a JWT", async (s) => {
    const res = await fetch(`${s.url}/functions/v1/whoami`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" },
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.match(res.headers.get("access-control-allow-headers")!, /authorization/);
  });

  test("functions get Supabase's environment and the request as sent", async (s) => {
    const res = await api(s, "/functions/v1/env/sub/path?x=1&y=two", {
      method: "PUT",
      body: "hello",
      apikey: null,
      headers: bearer(s.anonKey),
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      url: s.url,
      anonKey: s.anonKey,
      serviceRoleKey: s.serviceRoleKey,
      dbUrl: s.dbUrl,
      secret: "from-dotenv",
      leaked: null,
      path: "/env/sub/path",
      search: "?x=1&y=two",
      method: "PUT",
      authorization: `Bearer ${s.anonKey}`,
    });
  });

  test("request bodies stream through; oversized ones are refused with 413", async (s) => {
    const bytes = crypto.getRandomValues(new Uint8Array(65536));
    const big = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i += bytes.length) big.set(bytes.subarray(0, big.length - i), i);
    const echoed = await fetch(`${s.url}/functions/v1/echo`, { method: "POST", headers: bearer(s.anonKey), body: big });
    assert.equal(echoed.status, 200);
    assert.deepEqual(new Uint8Array(await echoed.arrayBuffer()), big);

    const tooBig = await fetch(`${s.url}/functions/v1/echo`, {
      method: "POST",
      headers: bearer(s.anonKey),
      body: new Uint8Array(5 * 1024 * 1024),
    });
    assert.equal(tooBig.status, 413);
    await tooBig.body?.cancel();
    // streamed without a Content-Length: cut off once past the limit
    const chunks = 6;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ >= chunks) return controller.close();
        controller.enqueue(new Uint8Array(1024 * 1024));
      },
    });
    let pulled = 0;
    const streamed = await fetch(`${s.url}/functions/v1/echo`, {
      method: "POST",
      headers: bearer(s.anonKey),
      body: stream,
    });
    // the worker may have started answering before the limit was hit; it never gets the whole body
    if (streamed.status === 200) {
      const got = await streamed.arrayBuffer().then((b) => b.byteLength, () => -1);
      assert.ok(got < chunks * 1024 * 1024, `received ${got} bytes`);
    } else {
      assert.equal(streamed.status, 413);
      await streamed.body?.cancel();
    }
    assert.equal((await api(s, "/functions/v1/plain", { apikey: null })).text, "plain ok");
  });

  test("Server-Sent Events pass through unbuffered", async (s) => {
    const res = await fetch(`${s.url}/functions/v1/sse`, { headers: { accept: "text/event-stream" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("data: first\n\n")) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the stream ended before the first event");
      text += value;
    }
    assert.ok(!text.includes("second"), "the second event is not sent before the release");
    // the function is still holding its response open; the first event is here already
    assert.equal(await (await fetch(`${s.url}/functions/v1/sse/release`)).text(), "released");
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.equal(text, "event: tick\ndata: first\n\nevent: tick\ndata: second\n\n");
  });

  test("a function that fails to boot answers 503; one that crashes is restarted", async (s) => {
    const broken = await api(s, "/functions/v1/broken", { apikey: null, headers: bearer(s.anonKey) });
    assert.equal(broken.status, 503);
    assert.equal((broken.body as { code: string }).code, "BOOT_ERROR");

    const first = await api(s, "/functions/v1/fragile", { apikey: null, headers: bearer(s.anonKey) });
    assert.equal(first.status, 200);
    const died = await api(s, "/functions/v1/fragile?die", { apikey: null, headers: bearer(s.anonKey) });
    assert.equal(died.status, 502);
    let again = await api(s, "/functions/v1/fragile", { apikey: null, headers: bearer(s.anonKey) });
    for (let i = 0; i < 20 && again.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await api(s, "/functions/v1/fragile", { apikey: null, headers: bearer(s.anonKey) });
    }
    assert.equal(again.status, 200);
    const pids = [(first.body as { pid: number }).pid, (again.body as { pid: number }).pid];
    assert.notEqual(pids[0], pids[1], "a new worker process");
    assert.equal((again.body as { served: number }).served, 1);

    const unknown = await api(s, "/functions/v1/no-such-function", { apikey: null, headers: bearer(s.anonKey) });
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { code: string }).code, "NOT_FOUND");
    assert.equal((await api(s, "/functions/v1/_shared", { apikey: null, headers: bearer(s.anonKey) })).status, 404);
  });

  test("a function whose files change is restarted with the new code", async (s) => {
    const dir = join(functionsDir, `reload-${kind}`);
    await Deno.mkdir(dir, { recursive: true });
    const write = (version: string) =>
      Deno.writeTextFile(join(dir, "index.ts"), `Deno.serve(() => new Response("${version}"));\n`);
    await write("v1");
    const get = () => api(s, `/functions/v1/reload-${kind}`, { apikey: null, headers: bearer(s.anonKey) });
    assert.equal((await get()).text, "v1");
    await write("v2");
    let text = (await get()).text;
    // a restart under a loaded machine can take a while: wait up to 30 s for the new code
    for (let i = 0; i < 300 && text !== "v2"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = (await get()).text;
    }
    assert.equal(text, "v2");
  });

  stopStackAfterTests(fixture);
}
