/**
 * The executor that runs each RPC call in one transaction after the request's settings, on every
 * engine (PGlite's transaction(); native Postgres through postgres.js, one simple-protocol query):
 * quoting, transaction-local settings and role, the checked (`.single()`) path rolling back, errors
 * with Postgres's fields, statement timeouts (504, the connection reusable), lost connections and a
 * server that is down (503), a bounded pool under concurrent requests, large and non-ASCII values,
 * and functions that change between calls.
 */
import assert from "node:assert/strict";
import {
  type Executor,
  nativeExecutor,
  pgliteExecutor,
  quoteLiteral,
  type Statement,
} from "../../stack/gateway/executor.ts";
import { fromDatabaseError } from "../../stack/gateway/errors.ts";
import { type Engine, type EngineKind, startEngine } from "../../stack/db/engine.ts";
import { type Db, serverDb } from "../../stack/db/client.ts";
import { freePort } from "../../stack/paths.ts";
import { api, stackFixture, stackTest, stopStackAfterTests, testEngines } from "../e2e/_stack.ts";

/** Values that end a dollar quote, or a quote, or look like escapes. */
const AWKWARD = [
  "plain",
  "it's",
  "ends in $v",
  "has $v$ inside $v$",
  "$v$",
  "$v0$ $v1$ $$",
  "back\\slash \\' \\\\",
  "E'not an escape'",
  "'; drop table x; --",
  "é ü 日本 😀",
  "",
];

Deno.test("quoteLiteral writes what quote_literal writes; a NUL is refused as Postgres refuses it", () => {
  assert.equal(quoteLiteral("it's"), "'it''s'");
  assert.equal(quoteLiteral("ends in $v"), "'ends in $v'");
  assert.equal(quoteLiteral("a\\b'c"), "E'a\\\\b''c'");
  assert.throws(() => quoteLiteral("a\0b"), (e: { code?: string }) => e.code === "22021");
});

// ---------------------------------------------------------------- on every engine

const slow = { sanitizeOps: false, sanitizeResources: false };
const started = new Map<EngineKind, Promise<Engine>>();
const pools: Db[] = [];

function engine(kind: EngineKind): Promise<Engine> {
  let e = started.get(kind);
  if (!e) started.set(kind, e = startEngine(kind, { port: freePort() }));
  return e;
}

/** The executor the gateway uses on this engine (native: a pool of `max` connections of its own). */
function executorFor(e: Engine, max = 1): Executor {
  if (e.kind === "pglite") return pgliteExecutor(e.db);
  const pool = serverDb(e.url, { max, applicationName: "parley-executor-test" });
  pools.push(pool);
  return nativeExecutor(pool);
}

Deno.test.afterAll(async () => {
  for (const pool of pools) await pool.close().catch(() => {});
  for (const e of started.values()) await (await e.catch(() => null))?.stop();
});

/** One call with `$1`… as the executor's parameters (text). */
function call(sql: string, values: string[] = []): Statement {
  return { sql: (p) => sql.replace(/\$(\d+)/g, (_, i) => p(Number(i) - 1)), values };
}

function engineTest(name: string, fn: (e: Engine) => Promise<void>, only?: EngineKind) {
  for (const kind of testEngines()) {
    if (only && kind !== only) continue;
    Deno.test({ name: `${kind}: executor: ${name}`, ...slow, fn: async () => fn(await engine(kind)) });
  }
}

engineTest("awkward values round-trip as settings and as values, the role set last", async (e) => {
  const executor = executorFor(e);
  await e.db.exec("drop role if exists executor_api; create role executor_api nologin");
  for (const value of AWKWARD) {
    const [row] = await executor.run<{ setting: string; value: string; who: string }>(
      [["request.awkward", value], ["role", "executor_api"]],
      call("select current_setting('request.awkward') as setting, $1 as value, current_user::text as who", [value]),
    );
    assert.deepEqual(row, { setting: value, value, who: "executor_api" }, JSON.stringify(value));
  }
  const big = "ü".repeat(3 * 1024 * 1024); // 6 MB in UTF-8, in and out
  const [row] = await executor.run<{ len: number; same: boolean; back: string }>(
    [],
    call("select length($1) as len, $1 = repeat('ü', 3145728) as same, $1 as back", [big]),
  );
  assert.deepEqual([row.len, row.same, row.back === big], [big.length, true, true]);
  // a NUL cannot be in a text value: refused (22021, a 400), nothing is cut short
  const nul = await executor.run([], call("select $1 as v", ["a\0b"])).then(() => null, (err) => err);
  assert.equal(nul?.code, "22021");
  assert.equal(fromDatabaseError(nul, true).status, 400);
});

engineTest("settings and role are transaction-local: nothing of a request is left for the next", async (e) => {
  const executor = executorFor(e);
  await e.db.exec("drop role if exists executor_api; create role executor_api nologin");
  const [during] = await executor.run<{ x: string; u: string; t: string }>(
    [["statement_timeout", "1234ms"], ["request.x", "during"], ["role", "executor_api"]],
    call(
      "select current_setting('request.x') as x, current_user::text as u, current_setting('statement_timeout') as t",
    ),
  );
  assert.deepEqual(during, { x: "during", u: "executor_api", t: "1234ms" });
  const [after] = await executor.run<{ x: string | null; u: string; t: string }>(
    [],
    call(
      "select current_setting('request.x', true) as x, current_user::text as u, current_setting('statement_timeout') as t",
    ),
  );
  assert.ok(after.x === null || after.x === "", `request.x is gone (${after.x})`);
  assert.equal(after.u, "postgres");
  assert.equal(after.t, "0");
});

engineTest("the checked path: a failed check or an error rolls everything back; a passed one commits", async (e) => {
  await e.db.exec("drop table if exists public.executor_log; create table public.executor_log (v text)");
  const executor = executorFor(e);
  const insert = (v: string) => call("insert into public.executor_log values ($1) returning v", [v]);
  assert.deepEqual(await executor.run([], insert("kept"), () => {}), [{ v: "kept" }]);
  await assert.rejects(
    executor.run([], insert("checked"), () => {
      throw new Error("check failed");
    }),
    /check failed/,
  );
  await assert.rejects(
    executor.run([], call("insert into public.executor_log select 'half' union all select 1/0 || ''"), () => {}),
    (err: { code?: string }) => err.code === "22012",
  );
  await assert.rejects(
    executor.run([], call("insert into public.executor_log select 'half' union all select 1/0 || ''")),
    (err: { code?: string }) => err.code === "22012",
  );
  assert.deepEqual(await executor.run([], insert("also kept")), [{ v: "also kept" }]);
  const rows = await e.db.query<{ v: string }>("select v from public.executor_log order by v");
  assert.deepEqual(rows.map((r) => r.v), ["also kept", "kept"]);
});

engineTest("errors carry Postgres's fields and map to PostgREST's answers", async (e) => {
  await e.db.exec(`
    create or replace function public.executor_fail(x int) returns int language plpgsql as $$
    begin
      raise exception 'executor failure %', x using errcode = 'PT409', detail = 'some detail', hint = 'some hint';
    end $$;
  `);
  const executor = executorFor(e);
  const fail = (sql: string, values: string[] = []) => executor.run([], call(sql, values)).then(() => null, (x) => x);
  const raised = await fail("select public.executor_fail($1::int)", ["7"]);
  assert.deepEqual(
    [raised.code, raised.message, raised.detail, raised.hint],
    ["PT409", "executor failure 7", "some detail", "some hint"],
  );
  assert.match(raised.where, /PL\/pgSQL function executor_fail\(integer\)/);
  assert.deepEqual(fromDatabaseError(raised, true).status, 409);
  assert.deepEqual(fromDatabaseError(raised, true).body, {
    code: "PT409",
    details: "some detail",
    hint: "some hint",
    message: "executor failure 7",
  });
  assert.equal((await fail("select 1 +")).code, "42601");
  const bad = await fail("select $1::int", ["not a number"]);
  assert.equal(bad.code, "22P02");
  assert.equal(fromDatabaseError(bad, true).status, 400);
  const missing = await fail("select * from no_such_table");
  assert.equal(missing.code, "42P01");
  assert.equal(fromDatabaseError(missing, true).status, 404);
  // the errors rolled back their requests; the connection is idle and reusable
  assert.deepEqual(await executor.run([], call("select 41 + 1 as n")), [{ n: 42 }]);
});

engineTest(
  "a function created or replaced between calls (another result type too) is called as it is now",
  async (e) => {
    const executor = executorFor(e);
    await e.db.exec("drop function if exists public.executor_later(); drop function if exists public.executor_kind()");
    const later = call("select public.executor_later() as v");
    await assert.rejects(executor.run([], later), (err: { code?: string }) => err.code === "42883");
    await e.db.exec("create function public.executor_later() returns int language sql as $$ select 5 $$");
    assert.deepEqual(await executor.run([], later), [{ v: 5 }]);
    await e.db.exec("create function public.executor_kind() returns int language sql as $$ select 1 $$");
    const kind = call("select public.executor_kind() as v");
    assert.deepEqual(await executor.run([], kind), [{ v: 1 }]);
    await e.db.exec(`
    drop function public.executor_kind();
    create function public.executor_kind() returns text language sql as $$ select 'one' $$;
  `);
    assert.deepEqual(await executor.run([], kind), [{ v: "one" }]);
  },
);

// ---------------------------------------------------------------- native Postgres only

engineTest("a statement timeout is 57014 (504); the transaction is rolled back, the connection reused", async (e) => {
  await e.db.exec("drop table if exists public.executor_slow; create table public.executor_slow (v text)");
  const executor = executorFor(e, 1);
  const begun = performance.now();
  const timedOut = await executor.run(
    [["statement_timeout", "200ms"], ["request.x", "during"]],
    call("insert into public.executor_slow select 'slow' from pg_sleep(5)"),
  ).then(() => assert.fail("no timeout"), (err) => err);
  assert.equal(timedOut.code, "57014");
  assert.ok(performance.now() - begun < 4000);
  assert.equal(fromDatabaseError(timedOut, true).status, 504);
  // the checked path too
  await assert.rejects(
    executor.run([["statement_timeout", "1ms"]], call("select pg_sleep(1)"), () => {}),
    (err: { code?: string }) => err.code === "57014",
  );
  // the pool's one connection: nothing of the requests is left, and no transaction stayed open
  const [row] = await executor.run<{ t: string; x: string | null; tx: string; rows: string; pid: number }>(
    [],
    call(
      "select current_setting('statement_timeout') as t, current_setting('request.x', true) as x, " +
        "(select count(*) from pg_stat_activity where state like 'idle in transaction%')::text as tx, " +
        "(select count(*) from public.executor_slow)::text as rows",
    ),
  );
  assert.deepEqual([row.t, row.x ?? "", row.tx, row.rows], ["0", "", "0", "0"]);
}, "native");

engineTest("a lost connection fails only its request (503); the pool replaces it", async (e) => {
  const executor = executorFor(e, 2);
  const ours = () =>
    e.db.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = 'parley-executor-test' and pid <> pg_backend_pid()",
    );
  await Promise.all([1, 2].map((n) => executor.run([], call(`select ${n} as n`))));
  // terminated while idle: the next requests get new connections
  for (const { pid } of await ours()) await e.db.query("select pg_terminate_backend($1)", [pid]);
  await new Promise((r) => setTimeout(r, 100));
  const afterIdle = await Promise.all([1, 2, 3].map((n) => executor.run([], call(`select ${n} as n`))));
  assert.deepEqual(afterIdle, [[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]]);

  // terminated in the middle of a request: that request fails (503: postgres.js reports the FATAL
  // 57P01, or the closed connection when the close is read first), the next ones are served
  const sleeping = executor.run([], call("select pg_sleep(10)")).then(() => assert.fail("no error"), (err) => err);
  await new Promise((r) => setTimeout(r, 300));
  const [busy] = await e.db.query<{ pid: number }>(
    "select pid from pg_stat_activity where application_name = 'parley-executor-test' and state = 'active'",
  );
  await e.db.query("select pg_terminate_backend($1)", [busy.pid]);
  const err = await sleeping;
  assert.ok(["57P01", "CONNECTION_CLOSED"].includes(err.code), err.code);
  assert.equal(fromDatabaseError(err, true).status, 503);
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => executor.run([], call("select $1::int * 2 as n", [String(i)]))),
  );
  assert.deepEqual(results, Array.from({ length: 6 }, (_, i) => [{ n: i * 2 }]));
  const [{ count }] = await e.db.query<{ count: number }>(
    "select count(*)::int as count from pg_stat_activity where application_name = 'parley-executor-test'",
  );
  assert.ok(count <= 2, `at most 2 connections (${count})`);
}, "native");

engineTest("concurrent requests share a bounded pool, each with its own settings", async (e) => {
  const executor = executorFor(e, 3);
  const answers = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      executor.run<{ v: string; b: number }>(
        [["request.i", String(i)]],
        call("select current_setting('request.i') || ':' || $1 as v, pg_backend_pid() as b", [`é${i}`]),
      )),
  );
  answers.forEach(([row], i) => assert.equal(row.v, `${i}:é${i}`));
  assert.ok(new Set(answers.map(([row]) => row.b)).size <= 3, "at most 3 backends");
}, "native");

Deno.test("a server that is down: every waiting request fails with 503 PGRST000 instead of waiting", async () => {
  const pool = serverDb(`postgresql://postgres:postgres@127.0.0.1:${freePort()}/postgres?sslmode=disable`, { max: 2 });
  const executor = nativeExecutor(pool);
  try {
    const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => executor.run([], call("select 1"))));
    for (const a of attempts) {
      assert.equal(a.status, "rejected");
      const answer = fromDatabaseError((a as PromiseRejectedResult).reason, true);
      assert.equal(answer.status, 503);
      assert.equal(answer.body.code, "PGRST000");
    }
  } finally {
    await pool.close();
  }
});

// ---------------------------------------------------------------- through the gateway

if (testEngines().includes("native")) {
  const fixture = stackFixture("native", {
    setup: (s) =>
      s.engine.db.exec(`
        create function public.executor_sleep(seconds float8) returns int language sql volatile
          as $$ select 1 from (select pg_sleep(seconds)) s $$;
        create function public.executor_add(a int, b int) returns int language sql immutable as $$ select a + b $$;
        grant execute on function public.executor_sleep(float8), public.executor_add(int, int) to anon;
      `).then(() => {}),
  });
  stackTest(fixture, "gateway: a backend lost mid-request answers 503; the next requests are served", async (s) => {
    const sleeping = api(s, "/rest/v1/rpc/executor_sleep", { body: { seconds: 10 } });
    await new Promise((r) => setTimeout(r, 400));
    await s.engine.db.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'parley-gateway'",
    );
    const lost = await sleeping;
    assert.equal(lost.status, 503, lost.text);
    assert.ok(["57P01", "PGRST000"].includes((lost.body as { code: string }).code), lost.text);
    const after = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api(s, "/rest/v1/rpc/executor_add", { body: { a: i, b: 1 } })),
    );
    assert.deepEqual(after.map((r) => r.text), Array.from({ length: 20 }, (_, i) => String(i + 1)));
  });
  stopStackAfterTests(fixture);
}
