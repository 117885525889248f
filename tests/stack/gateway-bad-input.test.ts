/**
 * Bad input on every engine: nothing a client sends crashes the gateway or leaves a transaction
 * open. Oversized bodies (413), invalid UTF-8 (400), wrong content types (415), odd paths, methods,
 * tokens and JSON, clients that vanish mid-body; on native Postgres, a statement that runs past the
 * role's statement_timeout ends with a 504 and the gateway keeps serving concurrent requests.
 * (PGlite cannot interrupt a running statement: see README.md, Gateway.)
 */
import assert from "node:assert/strict";
import { api, stackFixture, stackTest, stopStackAfterTests, testEngines, type TestStack } from "../e2e/_stack.ts";

const FIXTURES = `
create function public.bad_add(a int, b int default 0) returns int language sql immutable as $$ select a + b $$;
create function public.bad_text(t text) returns text language sql immutable as $$ select t $$;
create function public.bad_json(j jsonb) returns int language sql immutable as $$ select pg_column_size(j) $$;
create function public.bad_sleep(seconds float8) returns int language sql volatile
  as $$ select 1 from (select pg_sleep(seconds)) s $$;
grant execute on function public.bad_add(int, int), public.bad_text(text), public.bad_json(jsonb),
  public.bad_sleep(float8) to anon, authenticated;
`;

type PgrstBody = { code: string; message: string };

/** The gateway is healthy and no request left a transaction open. */
async function assertHealthy(s: TestStack): Promise<void> {
  const ok = await api(s, "/rest/v1/rpc/bad_add", { body: { a: 1, b: 1 } });
  assert.equal(ok.text, "2", "the gateway still answers");
  if (s.engine.kind === "native") {
    const rows = await s.engine.db.query<{ state: string; query: string }>(
      `select state, query from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid()
         and (state like 'idle in transaction%' or (state = 'active' and query like '%bad\\_%'))`,
    );
    assert.deepEqual(rows, [], "no connection is left inside a transaction or running a request");
  } else {
    // PGlite has one backend: were a transaction left open, a savepoint would be accepted
    await assert.rejects(
      s.engine.db.exec("savepoint parley_probe"),
      (e: { code?: string }) => e.code === "25P01",
      "no transaction is left open on PGlite's backend",
    );
  }
}

for (const kind of testEngines()) {
  const fixture = stackFixture(kind, {
    setup: (s) => s.engine.db.exec(FIXTURES).then(() => {}),
  });
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(fixture, `bad input: ${name}`, fn);

  test("oversized bodies are refused with 413, declared or streamed", async (s) => {
    const huge = `{"t": "${"x".repeat(9 * 1024 * 1024)}"}`;
    const declared = await api(s, "/rest/v1/rpc/bad_text", {
      body: huge,
      headers: { "content-type": "application/json" },
    });
    assert.equal(declared.status, 413);
    assert.equal((declared.body as PgrstBody).code, "PGRST413");
    assert.deepEqual(Object.keys(declared.body as object).sort(), ["code", "details", "hint", "message"]);

    const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
    let sent = 0;
    const streamed = await fetch(`${s.url}/rest/v1/rpc/bad_text`, {
      method: "POST",
      headers: { apikey: s.anonKey, "content-type": "application/json" },
      body: new ReadableStream({
        pull(controller) {
          if (sent++ === 0) controller.enqueue(new TextEncoder().encode('{"t": "'));
          else if (sent < 12) controller.enqueue(chunk);
          else controller.close();
        },
      }),
    });
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();

    const auth = await api(s, "/auth/v1/signup", {
      body: { email: "big@example.test", password: "x".repeat(100_000) },
    });
    assert.equal(auth.status, 413);
    await assertHealthy(s);
  });

  test("invalid UTF-8 is refused with 400", async (s) => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"t": "'),
      0xff,
      0xfe,
      0xc3,
      ...new TextEncoder().encode('"}'),
    ]);
    const rest = await fetch(`${s.url}/rest/v1/rpc/bad_text`, {
      method: "POST",
      headers: { apikey: s.anonKey, "content-type": "application/json" },
      body: bytes,
    });
    assert.equal(rest.status, 400);
    const body = await rest.json();
    assert.equal(body.code, "PGRST102");
    assert.match(body.details, /UTF-8/);
    const auth = await fetch(`${s.url}/auth/v1/signup`, {
      method: "POST",
      headers: { apikey: s.anonKey, "content-type": "application/json" },
      body: bytes,
    });
    assert.equal(auth.status, 400);
    assert.equal((await auth.json()).error_code, "bad_json");
    await assertHealthy(s);
  });

  test("wrong content types are refused with 415, unavailable media types with 406", async (s) => {
    for (const type of ["text/xml", "application/octet-stream", "text/plain", "application/json; charset=latin1"]) {
      const res = await api(s, "/rest/v1/rpc/bad_text", { body: '{"t": "x"}', headers: { "content-type": type } });
      assert.equal(res.status, 415, type);
      assert.equal((res.body as PgrstBody).code, "PGRST107");
    }
    const accept = await api(s, "/rest/v1/rpc/bad_add", { body: { a: 1 }, headers: { accept: "text/csv" } });
    assert.equal(accept.status, 406);
    assert.equal((accept.body as PgrstBody).code, "PGRST107");
    await assertHealthy(s);
  });

  test("malformed or hostile JSON, paths, methods, query strings and tokens get 4xx answers", async (s) => {
    const json = (body: string) =>
      api(s, "/rest/v1/rpc/bad_add", { body, headers: { "content-type": "application/json" } });
    for (const body of ['{"a": 1,', "{a: 1}", '{"a": 1}}', "nul", "\u0000"]) {
      const res = await json(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((res.body as PgrstBody).code, "PGRST102");
    }
    assert.equal((await json('{"a": 1e400}')).status, 400, "a number out of range for the parameter");
    assert.equal((await json('{"a": 2147483648}')).status, 400);
    assert.equal((await json('{"a": [1, 2]}')).status, 400);
    assert.equal((await json("[1, 2]")).status, 404, "an array is not named arguments");
    const nul = await api(s, "/rest/v1/rpc/bad_text", { body: { t: "nul \u0000 inside" } });
    assert.equal(nul.status, 400, "Postgres text cannot hold NUL: a clean 400");
    await assertHealthy(s);
  });

  test("deeply nested JSON is refused with 400 before the database sees it, and the stack keeps serving", async (s) => {
    const nested = (depth: number) => `{"j": ${"[".repeat(depth)}${"]".repeat(depth)}}`;
    // 10,000 levels in 20 KB once broke PGlite's backend; 50,000, and many of them in a row
    for (const depth of [10_000, 50_000, 10_000, 10_000, 10_000, 200]) {
      const res = await api(s, "/rest/v1/rpc/bad_json", {
        body: nested(depth),
        headers: { "content-type": "application/json" },
      });
      assert.equal(res.status, 400, `depth ${depth}`);
      assert.equal((res.body as PgrstBody).code, "PGRST102");
      assert.match((res.body as { details: string }).details, /nests deeper than 128 levels/);
    }
    // the limit counts structure, not brackets inside strings
    const brackets = await api(s, "/rest/v1/rpc/bad_text", { body: { t: "[".repeat(20_000) } });
    assert.equal(brackets.status, 200);
    const fine = await api(s, "/rest/v1/rpc/bad_json", {
      body: nested(127),
      headers: { "content-type": "application/json" },
    });
    assert.equal(fine.status, 200, "127 levels under the object are within the limit");
    const signup = await api(s, "/auth/v1/signup", {
      body: `{"email": "deep@example.com", "password": "long enough password", "data": ${nested(10_000)}}`,
      headers: { "content-type": "application/json" },
    });
    assert.equal(signup.status, 400);
    assert.equal((signup.body as { error_code: string }).error_code, "bad_json");
    await assertHealthy(s);
  });

  test("hostile paths, methods, query strings and tokens get 4xx answers", async (s) => {
    for (
      const path of [
        "/rest/v1/rpc/%E0%A4%A",
        "/rest/v1/rpc/%00",
        `/rest/v1/rpc/${"f".repeat(5000)}`,
        "/rest/v1/rpc/bad_add/extra",
        "/rest/v1/rpc/",
        "/rest/v1/",
        "/rest/v1/rpc/%C3%A9t%C3%A9",
      ]
    ) {
      const res = await api(s, path, { body: { a: 1 } });
      assert.equal(res.status, 404, path);
    }
    assert.equal((await api(s, "/nowhere", { body: {} })).status, 404);
    for (const method of ["PATCH", "DELETE", "PUT"]) {
      assert.equal((await api(s, "/rest/v1/rpc/bad_add", { method, body: { a: 1 } })).status, 405, method);
    }
    const get = await api(s, "/rest/v1/rpc/bad_add?a=1&limit=x");
    assert.equal(get.status, 400);
    assert.equal((await api(s, "/rest/v1/rpc/bad_add?a=1&select=a,b")).status, 400);
    assert.equal((await api(s, "/rest/v1/rpc/bad_add?b=eq.1", { body: { a: 1 } })).status, 400, "filters");
    for (const token of ["", "x".repeat(60_000), "a.b.c", "Basic dXNlcjpwYXNz"]) {
      const res = await api(s, "/rest/v1/rpc/bad_add", {
        body: { a: 1 },
        headers: { authorization: `Bearer ${token}` },
      });
      assert.ok([200, 401].includes(res.status), `token ${token.slice(0, 20)}: ${res.status}`);
    }
    await assertHealthy(s);
  });

  test("a client that disappears mid-body leaves nothing behind", async (s) => {
    for (const path of ["/rest/v1/rpc/bad_text", "/auth/v1/signup", "/functions/v1/whoami"]) {
      const abort = new AbortController();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"t": "half'));
          setTimeout(() => abort.abort(), 50);
        },
      });
      await fetch(`${s.url}${path}`, {
        method: "POST",
        headers: { apikey: s.anonKey, authorization: `Bearer ${s.anonKey}`, "content-type": "application/json" },
        body,
        signal: abort.signal,
      }).then((r) => r.body?.cancel(), () => {});
    }
    await new Promise((r) => setTimeout(r, 200));
    await assertHealthy(s);
  });

  if (kind === "native") {
    test("a statement past the role's statement_timeout ends with 504; nothing stays open; others proceed", async (s) => {
      const started = performance.now();
      const [slow, ...others] = await Promise.all([
        // anon's statement_timeout is 3s (sql/platform): this would sleep 30s
        api(s, "/rest/v1/rpc/bad_sleep", { body: { seconds: 30 } }),
        ...Array.from({ length: 20 }, (_, i) => api(s, "/rest/v1/rpc/bad_add", { body: { a: i, b: 1 } })),
      ]);
      assert.ok(performance.now() - started < 25_000, "the statement was cut off, not waited for");
      assert.equal(slow.status, 504, slow.text);
      const body = slow.body as PgrstBody;
      assert.equal(body.code, "57014");
      assert.match(body.message, /statement timeout/);
      assert.deepEqual(others.map((r) => r.text), Array.from({ length: 20 }, (_, i) => String(i + 1)));
      await assertHealthy(s);

      // afterwards, many concurrent requests, successes and failures mixed, all answered correctly
      const burst = await Promise.all(
        Array.from(
          { length: 60 },
          (_, i) =>
            i % 3 === 0
              ? api(s, "/rest/v1/rpc/bad_add", { body: { a: "x" } })
              : api(s, "/rest/v1/rpc/bad_add", { body: { a: i } }),
        ),
      );
      burst.forEach((r, i) => assert.equal(r.status, i % 3 === 0 ? 400 : 200, `request ${i}`));
      await assertHealthy(s);
    });
  }

  stopStackAfterTests(fixture);
}
