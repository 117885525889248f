/**
 * /rest/v1/rpc through the real supabase-js and raw HTTP, on every engine: PostgREST's RPC semantics
 * (arguments, defaults, overloads, GET/POST, result shapes, Prefer and Accept), the request settings
 * SQL sees, authorization (anon, another user), PostgREST's error mapping, and the schema cache.
 * The SQL the tests need is created here, in the test database, as the postgres superuser.
 */
import assert from "node:assert/strict";
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
import { statusForSqlState } from "../../stack/gateway/errors.ts";

const FIXTURES = `
create schema e2e;
grant usage on schema e2e to anon, authenticated;
create table e2e.items (id int primary key, note text);
create table e2e.children (id int primary key, item_id int not null references e2e.items (id));
grant select, insert, update, delete on e2e.items, e2e.children to anon, authenticated;

create function public.e2e_add(a int, b int default 10) returns int language sql immutable as $$ select a + b $$;
create function public.e2e_text(t text) returns text language sql immutable as $$ select t $$;
create function public.e2e_null() returns text language sql stable as $$ select null::text $$;
create function public.e2e_item(item_id int) returns e2e.items language sql stable
  as $$ select i from e2e.items i where i.id = item_id $$;
create function public.e2e_items(min_id int default 0) returns setof e2e.items language sql stable
  as $$ select * from e2e.items where id >= min_id order by id $$;
create function public.e2e_numbers(n int) returns setof int language sql immutable
  as $$ select generate_series(1, n) $$;
create function public.e2e_table(n int) returns table (k int, label text) language sql immutable
  as $$ select g, 'n' || g from generate_series(1, n) g $$;
create function public.e2e_void() returns void language plpgsql volatile as $$ begin end $$;
create function public.e2e_insert_item(id int, note text default null) returns e2e.items language sql volatile
  as $$ insert into e2e.items values (id, note) returning * $$;
create function public.e2e_insert_child(id int, item_id int) returns void language sql volatile
  as $$ insert into e2e.children values (id, item_id) $$;
create function public.e2e_insert_two(a int, b int) returns setof e2e.items language sql volatile
  as $$ insert into e2e.items values (a, 'two'), (b, 'two') returning * $$;
create function public.e2e_insert_then_fail(id int) returns void language plpgsql volatile as $$
begin
  insert into e2e.items values (id, 'doomed');
  raise exception 'it failed after writing';
end $$;
create function public.e2e_raise(code text, message text default 'boom') returns void language plpgsql as $$
begin
  raise exception using errcode = code, message = message, detail = 'the detail', hint = 'the hint';
end $$;
create function public.e2e_raise_plain() returns void language plpgsql as $$ begin raise exception 'plain'; end $$;
create function public.e2e_divide(a int, b int) returns int language sql immutable as $$ select a / b $$;
create function public.e2e_pgrst_error() returns void language plpgsql as $$
begin
  raise sqlstate 'PGRST' using
    message = '{"code":"123","message":"custom message","details":"custom details","hint":"custom hint"}',
    detail = '{"status":418,"headers":{"X-Custom":"yes"}}';
end $$;
create function public.e2e_secret() returns int language sql immutable as $$ select 42 $$;
create function public.e2e_context() returns json language sql stable as $$
  select json_build_object(
    'role', current_user,
    'claims', nullif(current_setting('request.jwt.claims', true), '')::json,
    'method', current_setting('request.method', true),
    'path', current_setting('request.path', true),
    'headers', nullif(current_setting('request.headers', true), '')::json,
    'cookies', nullif(current_setting('request.cookies', true), '')::json,
    'statement_timeout', current_setting('statement_timeout'),
    'search_path', current_setting('search_path'),
    'read_only', current_setting('transaction_read_only'),
    'uid', auth.uid())
$$;
create function public.e2e_over(a int) returns text language sql immutable as $$ select 'int a' $$;
create function public.e2e_over(b text) returns text language sql immutable as $$ select 'text b' $$;
create function public.e2e_amb(x int default 1) returns int language sql immutable as $$ select x $$;
create function public.e2e_amb(y text default 'two') returns text language sql immutable as $$ select y $$;
create function public.e2e_body(jsonb) returns jsonb language sql immutable as $$ select $1 $$;
create function public.e2e_sum(variadic nums int[]) returns int language sql immutable
  as $$ select sum(n)::int from unnest(nums) n $$;
create function public.e2e_echo(j jsonb, t text, ts timestamptz, arr int[], big numeric) returns json
  language sql immutable as $$ select json_build_object('j', j, 't', t, 'ts', ts, 'arr', arr, 'big', big) $$;
create function public.e2e_profile_of(user_id uuid) returns setof public.profiles language sql stable
  as $$ select * from public.profiles where id = user_id $$;
create function private.e2e_hidden() returns int language sql immutable as $$ select 1 $$;

do $$
declare f regprocedure;
begin
  for f in select p.oid::regprocedure from pg_proc p
           where p.proname like 'e2e\\_%' and p.proname <> 'e2e_secret'
  loop
    execute format('grant execute on function %s to anon, authenticated', f);
  end loop;
end $$;
`;

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

async function token(stack: TestStack, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await signJwt({ iat: now, exp: now + 600, ...claims }, await hmacKey(stack.jwtSecret));
}

const authenticated = (stack: TestStack) =>
  token(stack, { sub: crypto.randomUUID(), role: "authenticated", aud: "authenticated" });

function pgrstBody(body: unknown): { code: string; message: string; details: unknown; hint: unknown } {
  assert.ok(body && typeof body === "object", `expected a PostgREST error body, got ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body).sort(), ["code", "details", "hint", "message"]);
  return body as { code: string; message: string; details: unknown; hint: unknown };
}

Deno.test("PostgREST's status for each SQLSTATE", () => {
  const cases: [string, boolean, number][] = [
    ["42501", false, 401],
    ["42501", true, 403],
    ["P0001", true, 400],
    ["23505", true, 409],
    ["23503", true, 409],
    ["23514", true, 400],
    ["22023", true, 400],
    ["22P02", true, 400],
    ["PT404", true, 404],
    ["PT418", true, 418],
    ["PT999", true, 500],
    ["42883", true, 404],
    ["25006", true, 405],
    ["57014", true, 504],
    ["53300", true, 503],
    ["40001", true, 500],
    ["P0002", true, 500],
    ["XX000", true, 500],
  ];
  for (const [code, authed, status] of cases) assert.equal(statusForSqlState(code, authed), status, code);
});

for (const kind of testEngines()) {
  const fixture = stackFixture(kind, { setup: (s) => s.engine.db.exec(FIXTURES).then(() => {}) });
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(fixture, `rpc: ${name}`, fn);

  test("anon cannot call get_my_profile: 401 with PostgREST's body (42501)", async (s) => {
    const { data, error, status } = await client(s).rpc("get_my_profile");
    assert.equal(data, null);
    assert.equal(status, 401);
    assert.equal(error?.code, "42501");
    const raw = await api(s, "/rest/v1/rpc/get_my_profile", { method: "POST", body: {} });
    assert.equal(raw.status, 401);
    assert.match(pgrstBody(raw.body).message, /permission denied for function get_my_profile/);
  });

  test("a signed-in user reads and updates their profile through supabase-js", async (s) => {
    const alice = await signedInUser(s, "alice", { display_name: "Alice" });
    const read = await alice.supabase.rpc("get_my_profile");
    assert.equal(read.error, null);
    assert.equal(read.data.id, alice.id);
    assert.equal(read.data.display_name, "Alice");
    assert.equal(read.data.timezone, "UTC");

    const updated = await alice.supabase.rpc("update_my_profile", {
      display_name: "Alice A.",
      timezone: "Europe/Paris",
      settings: { theme: "dark", size: 3 },
    });
    assert.equal(updated.error, null);
    assert.equal(updated.data.display_name, "Alice A.");
    assert.equal(updated.data.timezone, "Europe/Paris");
    assert.deepEqual(updated.data.settings, { theme: "dark", size: 3 });

    const bad = await alice.supabase.rpc("update_my_profile", { timezone: "Mars/Olympus_Mons" });
    assert.equal(bad.status, 400);
    assert.equal(bad.error?.code, "22023");
    assert.match(bad.error!.message, /not a known time zone/);
    assert.equal(bad.error?.hint, "Use an IANA time zone name such as Europe/Paris.");
    const after = await alice.supabase.rpc("get_my_profile");
    assert.equal(after.data.timezone, "Europe/Paris", "a refused update changes nothing");
  });

  test("another user's data is unreachable", async (s) => {
    const alice = await signedInUser(s, "alice", { display_name: "Alice" });
    const bob = await signedInUser(s, "bob", { display_name: "Bob" });
    const mine = await bob.supabase.rpc("get_my_profile");
    assert.equal(mine.data.id, bob.id);
    const theirs = await bob.supabase.rpc("e2e_profile_of", { user_id: alice.id });
    assert.equal(theirs.error, null);
    assert.deepEqual(theirs.data, [], "row level security hides Alice's profile from Bob");
    const own = await alice.supabase.rpc("e2e_profile_of", { user_id: alice.id });
    assert.equal(own.data.length, 1);
    await bob.supabase.rpc("update_my_profile", { display_name: "Mallory" });
    assert.equal((await alice.supabase.rpc("get_my_profile")).data.display_name, "Alice");
  });

  test("SQL sees PostgREST's request settings: role, claims, method, path, headers, timeouts", async (s) => {
    const alice = await signedInUser(s, "ctx");
    const post = await api(s, "/rest/v1/rpc/e2e_context", {
      method: "POST",
      body: {},
      token: alice.session.access_token,
      headers: { "X-Test-Header": "Hello", cookie: "a=1; b=two" },
    });
    assert.equal(post.status, 200);
    const ctx = post.body as Loose;
    assert.equal(ctx.role, "authenticated");
    assert.equal(ctx.uid, alice.id);
    assert.equal(ctx.claims.sub, alice.id);
    assert.equal(ctx.claims.role, "authenticated");
    assert.equal(ctx.claims.email, alice.email);
    assert.equal(ctx.method, "POST");
    assert.equal(ctx.path, "/rpc/e2e_context");
    assert.equal(ctx.headers["x-test-header"], "Hello", "header names are lowercased");
    assert.equal(ctx.headers.authorization, `Bearer ${alice.session.access_token}`);
    assert.deepEqual(ctx.cookies, { a: "1", b: "two" });
    assert.equal(ctx.statement_timeout, "8s", "the authenticated role's settings apply");
    assert.equal(ctx.search_path, '"public", "extensions"');
    assert.equal(ctx.read_only, "off");

    const get = await api(s, "/rest/v1/rpc/e2e_context");
    const anon = get.body as Loose;
    assert.equal(anon.role, "anon");
    assert.equal(anon.uid, null);
    assert.equal(anon.claims.role, "anon");
    assert.equal(anon.method, "GET");
    assert.equal(anon.statement_timeout, "3s");
    assert.equal(anon.read_only, "on", "GET runs read-only");

    // nothing leaks to the next request or to the gateway's own connection
    const [after] = await s.engine.db.query<{ role: string; claims: string | null }>(
      "select current_user as role, nullif(current_setting('request.jwt.claims', true), '') as claims",
    );
    assert.deepEqual(after, { role: "postgres", claims: null });
  });

  test("results: scalar, null, composite, set of rows, table, set of scalars, void", async (s) => {
    const t = await authenticated(s);
    await api(s, "/rest/v1/rpc/e2e_insert_item", { body: { id: 1, note: "one" }, token: t });
    await api(s, "/rest/v1/rpc/e2e_insert_item", { body: { id: 2 }, token: t });

    const scalar = await api(s, "/rest/v1/rpc/e2e_add", { body: { a: 1, b: 2 }, token: t });
    assert.equal(scalar.status, 200);
    assert.equal(scalar.text, "3");
    assert.match(scalar.headers.get("content-type")!, /^application\/json/);
    assert.equal((await api(s, "/rest/v1/rpc/e2e_text", { body: { t: 'say "hi"' } })).text, '"say \\"hi\\""');
    assert.equal((await api(s, "/rest/v1/rpc/e2e_null", { body: {} })).text, "null");

    const composite = await api(s, "/rest/v1/rpc/e2e_item", { body: { item_id: 1 }, token: t });
    assert.deepEqual(composite.body, { id: 1, note: "one" });

    const rows = await api(s, "/rest/v1/rpc/e2e_items", { body: {}, token: t });
    assert.deepEqual(rows.body, [{ id: 1, note: "one" }, { id: 2, note: null }]);
    assert.equal(rows.headers.get("content-range"), "0-1/*");

    const table = await api(s, "/rest/v1/rpc/e2e_table", { body: { n: 2 } });
    assert.deepEqual(table.body, [{ k: 1, label: "n1" }, { k: 2, label: "n2" }]);
    assert.deepEqual((await api(s, "/rest/v1/rpc/e2e_numbers", { body: { n: 3 } })).body, [1, 2, 3]);
    const none = await api(s, "/rest/v1/rpc/e2e_numbers", { body: { n: 0 } });
    assert.deepEqual(none.body, []);
    assert.equal(none.headers.get("content-range"), "*/*");

    const nothing = await api(s, "/rest/v1/rpc/e2e_void", { body: {} });
    assert.equal(nothing.status, 204);
    assert.equal(nothing.text, "");

    // the same through supabase-js
    const sb = client(s);
    assert.equal((await sb.rpc("e2e_add", { a: 40 })).data, 50, "a default applies to an omitted argument");
    assert.deepEqual((await sb.rpc("e2e_numbers", { n: 2 })).data, [1, 2]);
    const v = await sb.rpc("e2e_void");
    assert.equal(v.error, null);
    assert.equal(v.status, 204);
  });

  test("an argument and a header ending in $v, or holding $v$, quotes or backslashes, reach SQL unchanged", async (s) => {
    for (const value of ["ends in $v", "has $v$ and $v0$ inside", "$v$", "it's \\ E'x' $$", "é 😀"]) {
      const text = await api(s, "/rest/v1/rpc/e2e_text", { body: { t: value } });
      assert.deepEqual([text.status, text.body], [200, value], value);
      if (!/^[\x20-\x7e]*$/.test(value)) continue; // header values are ASCII
      const context = await api(s, "/rest/v1/rpc/e2e_context", { body: {}, headers: { "x-awkward": value } });
      assert.equal(context.status, 200, context.text);
      assert.equal((context.body as { headers: Record<string, string> }).headers["x-awkward"], value);
    }
  });

  test("arguments are converted as PostgREST converts JSON (json_to_record)", async (s) => {
    const echo = await api(s, "/rest/v1/rpc/e2e_echo", {
      body: '{"j": {"nested": [1, {"two": 2}]}, "t": {"an": "object"}, "ts": "2024-02-29T12:00:00Z", ' +
        '"arr": [1, 2, 3], "big": 12345678901234567890.123456789}',
      headers: { "content-type": "application/json" },
    });
    assert.equal(echo.status, 200, echo.text);
    // the numeric arrives with every digit: the JSON text itself reaches Postgres
    assert.match(echo.text, /"big" : 12345678901234567890\.123456789/);
    const out = echo.body as Record<string, unknown>;
    assert.deepEqual(out.j, { nested: [1, { two: 2 }] });
    assert.equal(out.t, '{"an": "object"}', "a text parameter gets the JSON text as sent");
    assert.equal(out.ts, "2024-02-29T12:00:00+00:00");
    assert.deepEqual(out.arr, [1, 2, 3]);

    assert.equal((await api(s, "/rest/v1/rpc/e2e_sum", { body: { nums: [1, 2, 3] } })).text, "6", "variadic");
    const body = await api(s, "/rest/v1/rpc/e2e_body", { body: [1, "two", { three: 3 }] });
    assert.deepEqual(body.body, [1, "two", { three: 3 }], "a single unnamed jsonb parameter gets the whole body");
    const notNamed = await api(s, "/rest/v1/rpc/e2e_items", { body: [1] });
    assert.equal(notNamed.status, 404, "an array is not named arguments, even for a function with defaults only");
    const form = await api(s, "/rest/v1/rpc/e2e_add", {
      body: "a=1&b=5",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.text, "6");
  });

  test("GET and HEAD call stable and immutable functions with query-string arguments; volatile ones 405", async (s) => {
    const get = await api(s, "/rest/v1/rpc/e2e_add?a=2&b=3");
    assert.equal(get.status, 200);
    assert.equal(get.text, "5");
    assert.deepEqual((await api(s, "/rest/v1/rpc/e2e_numbers?n=2")).body, [1, 2]);
    const sb = client(s);
    assert.deepEqual((await sb.rpc("e2e_numbers", { n: 3 }, { get: true })).data, [1, 2, 3]);
    const head = await fetch(`${s.url}/rest/v1/rpc/e2e_add?a=1`, { method: "HEAD", headers: { apikey: s.anonKey } });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");

    const volatile = await api(s, "/rest/v1/rpc/e2e_insert_item?id=99");
    assert.equal(volatile.status, 405);
    assert.equal(pgrstBody(volatile.body).code, "PGRST101");
    assert.deepEqual(
      await s.engine.db.query("select id from e2e.items where id = 99"),
      [],
      "the volatile function did not run",
    );
    const put = await api(s, "/rest/v1/rpc/e2e_add", { method: "PUT", body: { a: 1 } });
    assert.equal(put.status, 405);
  });

  test("overloads are resolved by argument names; an ambiguous call answers 300 PGRST203", async (s) => {
    assert.equal((await api(s, "/rest/v1/rpc/e2e_over", { body: { a: 1 } })).text, '"int a"');
    assert.equal((await api(s, "/rest/v1/rpc/e2e_over", { body: { b: "x" } })).text, '"text b"');
    assert.equal((await api(s, "/rest/v1/rpc/e2e_amb", { body: { y: "seven" } })).text, '"seven"');
    const ambiguous = await api(s, "/rest/v1/rpc/e2e_amb", { body: {} });
    assert.equal(ambiguous.status, 300);
    assert.equal(pgrstBody(ambiguous.body).code, "PGRST203");
    const wrong = await api(s, "/rest/v1/rpc/e2e_over", { body: { c: 1 } });
    assert.equal(wrong.status, 404);
    const err = pgrstBody(wrong.body);
    assert.equal(err.code, "PGRST202");
    assert.equal(err.message, "Could not find the function public.e2e_over(c) in the schema cache");
    assert.equal(err.hint, null, "PostgREST's fuzzy search finds no overload close to (c)");
    const near = pgrstBody((await api(s, "/rest/v1/rpc/e2e_over", { body: { aa: 1 } })).body);
    assert.equal(near.hint, "Perhaps you meant to call the function public.e2e_over(a)");
  });

  test("Prefer: return=minimal answers 204 and the call still commits", async (s) => {
    const t = await authenticated(s);
    const res = await api(s, "/rest/v1/rpc/e2e_insert_item", {
      body: { id: 10, note: "minimal" },
      token: t,
      headers: { prefer: "return=minimal" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
    assert.equal(res.headers.get("preference-applied"), "return=minimal");
    assert.deepEqual(await s.engine.db.query("select note from e2e.items where id = 10"), [{ note: "minimal" }]);
  });

  test("a single object: exactly one row, else 406 PGRST116 and the call's writes roll back", async (s) => {
    const t = await authenticated(s);
    const one = await api(s, "/rest/v1/rpc/e2e_numbers", {
      body: { n: 1 },
      headers: { accept: "application/vnd.pgrst.object+json" },
    });
    assert.equal(one.status, 200);
    assert.equal(one.text, "1");
    assert.match(one.headers.get("content-type")!, /^application\/vnd\.pgrst\.object\+json/);

    const two = await api(s, "/rest/v1/rpc/e2e_insert_two", {
      body: { a: 20, b: 21 },
      token: t,
      headers: { accept: "application/vnd.pgrst.object+json" },
    });
    assert.equal(two.status, 406);
    const err = pgrstBody(two.body);
    assert.equal(err.code, "PGRST116");
    assert.equal(err.details, "The result contains 2 rows");
    assert.deepEqual(await s.engine.db.query("select id from e2e.items where id in (20, 21)"), []);

    const sb = client(s);
    const single = await sb.rpc("e2e_table", { n: 1 }).single();
    assert.deepEqual(single.data, { k: 1, label: "n1" });
    const notSingle = await sb.rpc("e2e_table", { n: 3 }).single();
    assert.equal(notSingle.error?.code, "PGRST116");
    assert.equal((await sb.rpc("e2e_table", { n: 0 }).maybeSingle()).data, null);
  });

  test("count=exact, limit and offset on set results; nulls=stripped", async (s) => {
    const res = await api(s, "/rest/v1/rpc/e2e_numbers?limit=2&offset=1", {
      body: { n: 5 },
      headers: { prefer: "count=exact" },
    });
    assert.deepEqual(res.body, [2, 3]);
    assert.equal(res.headers.get("content-range"), "1-2/5");
    assert.equal(res.headers.get("preference-applied"), "count=exact");
    const { data, count } = await client(s).rpc("e2e_numbers", { n: 4 }, { count: "exact" });
    assert.deepEqual(data, [1, 2, 3, 4]);
    assert.equal(count, 4);
    const stripped = await client(s).rpc("e2e_item", { item_id: -1 }).stripNulls();
    assert.equal(stripped.error, null);
    assert.deepEqual(stripped.data, {});
  });

  test("error mapping: SQL errors become PostgREST errors with their statuses", async (s) => {
    const t = await authenticated(s);
    const call = (fn: string, body: Record<string, unknown>, tok: string | undefined = t) =>
      api(s, `/rest/v1/rpc/${fn}`, { body, token: tok });
    await call("e2e_insert_item", { id: 30 });

    const cases: [string, Record<string, unknown>, number, string][] = [
      ["e2e_raise_plain", {}, 400, "P0001"],
      ["e2e_insert_item", { id: 30 }, 409, "23505"],
      ["e2e_insert_child", { id: 1, item_id: 999 }, 409, "23503"],
      ["e2e_add", { a: "not a number" }, 400, "22P02"],
      ["e2e_divide", { a: 1, b: 0 }, 400, "22012"],
      ["e2e_raise", { code: "22023", message: "bad parameter" }, 400, "22023"],
      ["e2e_raise", { code: "PT418", message: "teapot" }, 418, "PT418"],
      ["e2e_raise", { code: "PT409", message: "conflict" }, 409, "PT409"],
      ["e2e_raise", { code: "42501", message: "not yours" }, 403, "42501"],
      ["e2e_secret", {}, 403, "42501"],
    ];
    for (const [fn, body, status, code] of cases) {
      const res = await call(fn, body);
      assert.equal(res.status, status, `${fn} ${JSON.stringify(body)}: ${res.text}`);
      assert.equal(pgrstBody(res.body).code, code, `${fn} ${JSON.stringify(body)}`);
    }
    const raised = pgrstBody((await call("e2e_raise", { code: "PT404", message: "gone" })).body);
    assert.deepEqual(raised, { code: "PT404", details: "the detail", hint: "the hint", message: "gone" });

    const anon = await api(s, "/rest/v1/rpc/e2e_secret", { body: {} });
    assert.equal(anon.status, 401, "42501 for anon is 401");

    const custom = await call("e2e_pgrst_error", {});
    assert.equal(custom.status, 418);
    assert.equal(custom.headers.get("x-custom"), "yes");
    assert.deepEqual(custom.body, {
      code: "123",
      details: "custom details",
      hint: "custom hint",
      message: "custom message",
    });

    // a write followed by an error leaves nothing behind
    const failed = await call("e2e_insert_then_fail", { id: 31 });
    assert.equal(failed.status, 400);
    assert.deepEqual(await s.engine.db.query("select id from e2e.items where id = 31"), []);
  });

  test("error mapping: unknown function, malformed JSON, bad and expired JWTs, API keys", async (s) => {
    const unknown = await api(s, "/rest/v1/rpc/e2e_no_such_function", { body: {} });
    assert.equal(unknown.status, 404);
    assert.equal(pgrstBody(unknown.body).code, "PGRST202");
    const sbUnknown = await client(s).rpc("e2e_no_such_function");
    assert.equal(sbUnknown.error?.code, "PGRST202");

    const malformed = await api(s, "/rest/v1/rpc/e2e_add", {
      body: '{"a": 1,',
      headers: { "content-type": "application/json" },
    });
    assert.equal(malformed.status, 400);
    assert.equal(pgrstBody(malformed.body).code, "PGRST102");

    const good = await authenticated(s);
    const [head, body] = good.split(".");
    const otherKey = await hmacKey("a-completely-different-secret-of-enough-length");
    const forged = await signJwt({ sub: crypto.randomUUID(), role: "service_role", exp: 2e9 }, otherKey);
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${body}.`;
    for (
      const [label, bad] of [
        ["wrong signature", forged],
        ["tampered payload", `${head}.${btoa(JSON.stringify({ role: "service_role" })).replace(/=+$/, "")}.x`],
        ["not a JWT", "not-a-jwt"],
        ["alg none", none],
      ]
    ) {
      const res = await api(s, "/rest/v1/rpc/e2e_add", { body: { a: 1 }, token: bad });
      assert.equal(res.status, 401, `${label}: ${res.text}`);
      assert.equal(pgrstBody(res.body).code, "PGRST301", label);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);
    }
    const expired = await token(s, { role: "authenticated", sub: crypto.randomUUID(), exp: 1_000_000 });
    const late = await api(s, "/rest/v1/rpc/e2e_add", { body: { a: 1 }, token: expired });
    assert.equal(late.status, 401);
    assert.deepEqual(pgrstBody(late.body), { code: "PGRST303", details: null, hint: null, message: "JWT expired" });
    const viaClient = await client(s, s.anonKey).rpc("e2e_add", { a: 1 }, {}).setHeader(
      "Authorization",
      `Bearer ${expired}`,
    );
    assert.equal(viaClient.status, 401);

    const superuser = await token(s, { role: "postgres" });
    const escalate = await api(s, "/rest/v1/rpc/e2e_add", { body: { a: 1 }, token: superuser });
    assert.equal(escalate.status, 403, "a JWT cannot switch to a role the API roles do not include");

    const noKey = await api(s, "/rest/v1/rpc/e2e_add", { body: { a: 1 }, apikey: null });
    assert.equal(noKey.status, 401);
    assert.match((noKey.body as { message: string }).message, /No API key found/);
    const wrongKey = await api(s, "/rest/v1/rpc/e2e_add", { body: { a: 1 }, apikey: forged });
    assert.equal(wrongKey.status, 401);
    assert.match((wrongKey.body as { message: string }).message, /Invalid API key/);

    const service = await api(s, "/rest/v1/rpc/e2e_secret", { body: {}, apikey: s.serviceRoleKey });
    assert.equal(service.status, 403, "service_role has no EXECUTE either: grants decide");
  });

  test("only functions in public are callable", async (s) => {
    const dotted = await api(s, "/rest/v1/rpc/private.e2e_hidden", { body: {} });
    assert.equal(dotted.status, 404);
    const profile = await api(s, "/rest/v1/rpc/e2e_hidden", {
      body: {},
      headers: { "content-profile": "private" },
    });
    assert.equal(profile.status, 406);
    assert.equal(pgrstBody(profile.body).code, "PGRST106");
    assert.equal((await api(s, "/rest/v1/rpc/now", { body: {} })).status, 404, "pg_catalog is not exposed");
    // tables are served too, under the same grants and RLS: anon has no SELECT on profiles
    const table = await client(s).from("profiles").select();
    assert.equal(table.status, 401);
    assert.equal(table.error?.code, "42501");
  });

  test("the schema cache follows the database: new functions, NOTIFY pgrst, changed signatures", async (s) => {
    await s.engine.db.exec(`
      create function public.e2e_late(n int) returns int language sql immutable as $$ select n * 2 $$;
      grant execute on function public.e2e_late(int) to anon;
    `);
    assert.equal((await api(s, "/rest/v1/rpc/e2e_late", { body: { n: 21 } })).text, "42", "found by a refresh on miss");

    // replaced with other arguments: the stale entry fails in Postgres, the cache reloads
    await s.engine.db.exec(`
      drop function public.e2e_late(int);
      create function public.e2e_late(m int) returns int language sql immutable as $$ select m * 3 $$;
      grant execute on function public.e2e_late(int) to anon;
    `);
    const stale = await api(s, "/rest/v1/rpc/e2e_late", { body: { n: 1 } });
    assert.equal(stale.status, 404);
    assert.equal(pgrstBody(stale.body).code, "PGRST202");
    assert.equal((await api(s, "/rest/v1/rpc/e2e_late", { body: { m: 2 } })).text, "6");

    // a change the cache cannot notice by itself (volatility), announced with NOTIFY
    await s.engine.db.exec(`
      create or replace function public.e2e_late(m int) returns int language sql volatile as $$ select m * 3 $$;
    `);
    assert.equal((await api(s, "/rest/v1/rpc/e2e_late?m=1")).status, 200, "still cached as immutable");
    const version = s.gateway.catalog.version;
    await s.engine.db.exec(`notify pgrst, 'reload schema'`);
    for (let i = 0; i < 100 && s.gateway.catalog.version === version; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(s.gateway.catalog.version > version, "NOTIFY pgrst reloaded the schema cache");
    assert.equal((await api(s, "/rest/v1/rpc/e2e_late?m=1")).status, 405, "now known to be volatile");
  });

  stopStackAfterTests(fixture);
}
