/**
 * The gateway's own Postgres wire-protocol client (stack/gateway/pg-wire.ts) and the executor on it:
 * authentication (SCRAM-SHA-256, md5, password, trust), errors shaped as postgres.js shapes them,
 * statement timeouts, lost connections and recovery, bounded pools under concurrent requests,
 * prepared statements that fail to parse or go stale, and the gateway answering 504/503 through
 * it. Database tests run on native Postgres (when PARLEY_TEST_ENGINES includes it).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  PgConnectionError,
  type PgWireConfig,
  PgWireConnection,
  PgWireError,
  PgWirePool,
  saslprep,
  Scram,
  wireConfig,
} from "../../stack/gateway/pg-wire.ts";
import { literal, quoteIdent, type Statement, wireExecutor } from "../../stack/gateway/executor.ts";
import { fromDatabaseError } from "../../stack/gateway/errors.ts";
import { type Engine, startEngine } from "../../stack/db/engine.ts";
import { freePort } from "../../stack/paths.ts";
import { api, stackFixture, stackTest, stopStackAfterTests, testEngines } from "../e2e/_stack.ts";

// ---------------------------------------------------------------- without a database

Deno.test("literal quoting: no value can end its quote", () => {
  for (const value of ["plain", "it's", "$v$", "$v$ $v0$ $v1$", "\\", "'; drop table x; --"]) {
    const quoted = literal(value);
    const tag = /^\$v\d*\$/.exec(quoted)![0];
    assert.ok(quoted.endsWith(tag));
    assert.equal(quoted.slice(tag.length, -tag.length), value);
    assert.ok(!value.includes(tag));
  }
  assert.equal(quoteIdent('we"ird'), '"we""ird"');
});

Deno.test("wire: SCRAM-SHA-256 follows RFC 7677's example exchange", async () => {
  const scram = new Scram("pencil", "rOprNGfwEbeRWgbNEkqO", "user");
  assert.equal(scram.clientFirst(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  const final = await scram.clientFinal(
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  );
  assert.equal(
    final,
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  await scram.verifyServer("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  await assert.rejects(scram.verifyServer("v=AAAA"), (e: PgConnectionError) => e.code === "CONNECTION_AUTH");
  // a server nonce that does not extend ours is refused
  await assert.rejects(
    new Scram("pencil", "abc").clientFinal("r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
    (e: PgConnectionError) => e.code === "CONNECTION_AUTH",
  );
});

Deno.test("wire: SASLprep of passwords as Postgres does it", () => {
  assert.equal(saslprep("plain ascii"), "plain ascii");
  assert.equal(saslprep("I\u00ADX"), "IX", "soft hyphen mapped to nothing");
  assert.equal(saslprep("a\u00A0b"), "a b", "non-ASCII space mapped to space");
  assert.equal(saslprep("\u2168"), "IX", "NFKC");
  assert.equal(saslprep("\u00e9\u0007"), "\u00e9\u0007", "prohibited character: the password as given");
});

Deno.test("wire: connection settings from a URL; TLS or unix sockets are left to postgres.js", () => {
  assert.deepEqual(wireConfig("postgresql://postgres:p%40ss@127.0.0.1:5433/db?sslmode=disable", "app"), {
    hostname: "127.0.0.1",
    port: 5433,
    user: "postgres",
    password: "p@ss",
    database: "db",
    applicationName: "app",
  });
  assert.equal(wireConfig("postgres://u@[::1]/")?.hostname, "::1");
  assert.equal(wireConfig("postgres://u@localhost/")?.database, "u", "the database defaults to the user");
  assert.equal(wireConfig("postgres://u@localhost/")?.port, 5432);
  assert.equal(wireConfig("postgres://u@localhost/db?sslmode=require"), null);
  assert.equal(wireConfig("postgres://u@localhost/db?sslmode=prefer"), null);
  assert.equal(wireConfig("postgres://u@/db?host=/var/run/postgresql"), null);
  assert.equal(wireConfig("mysql://u@localhost/db"), null);
  assert.equal(wireConfig("not a url"), null);
});

// ---------------------------------------------------------------- native Postgres

const native = testEngines().includes("native");
const slow = { sanitizeOps: false, sanitizeResources: false };

let engineStarted: Promise<Engine> | null = null;
const engine = () => engineStarted ??= startEngine("native", { port: freePort() });

function nativeTest(name: string, fn: (e: Engine, config: PgWireConfig) => Promise<void>) {
  Deno.test({
    name: `native: wire: ${name}`,
    ignore: !native,
    ...slow,
    fn: async () => {
      const e = await engine();
      await fn(e, wireConfig(e.url, "parley-wire-test")!);
    },
  });
}

/** One settings-free call through the executor's pipeline. */
function call(sql: string, values: string[] = []): Statement {
  return { sql: (p) => sql.replace(/\$(\d+)/g, (_, i) => p(Number(i) - 1)), values };
}

/** Rules put before the cluster's own pg_hba.conf lines, then the configuration reloaded. */
async function prependHba(e: Engine, lines: string[]): Promise<void> {
  const [{ file, text }] = await e.db.query<{ file: string; text: string }>(
    "select current_setting('hba_file') as file, pg_read_file(current_setting('hba_file')) as text",
  );
  const all = [...lines, ...text.split("\n").filter((l) => !lines.includes(l))];
  // one row per line, written by the server (which owns the file)
  await e.db.exec(
    `copy (select unnest(array[${all.map((l) => `$l$${l}$l$`).join(", ")}]::text[])) to '${
      file.replaceAll("'", "''")
    }'`,
  );
  await e.db.query("select pg_reload_conf()");
  await new Promise((r) => setTimeout(r, 300));
}

nativeTest("SCRAM-SHA-256, md5, password and trust authentication; a wrong password is 28P01", async (e, config) => {
  await e.db.exec(`
    drop role if exists wire_md5, wire_clear, wire_trust, wire_scram;
    set password_encryption = 'md5';
    create role wire_md5 login password 'md5-secret';
    set password_encryption = 'scram-sha-256';
    create role wire_clear login password 'clear-secret';
    create role wire_trust login;
    create role wire_scram login password 'scram-s\u00e9cret';
    reset password_encryption;
  `);
  await prependHba(e, [
    "host all wire_md5 127.0.0.1/32 md5",
    "host all wire_clear 127.0.0.1/32 password",
    "host all wire_trust 127.0.0.1/32 trust",
  ]);
  const whoami = async (c: PgWireConfig) => {
    const conn = await PgWireConnection.connect(c);
    try {
      const r = await conn.query("select current_user as u, current_setting('application_name') as app");
      return r.results[0][0];
    } finally {
      await conn.close();
    }
  };
  assert.deepEqual(await whoami(config), ["postgres", "parley-wire-test"], "SCRAM (the cluster's default)");
  assert.deepEqual(await whoami({ ...config, user: "wire_scram", password: "scram-s\u00e9cret" }), [
    "wire_scram",
    "parley-wire-test",
  ]);
  assert.deepEqual(await whoami({ ...config, user: "wire_md5", password: "md5-secret" }), [
    "wire_md5",
    "parley-wire-test",
  ]);
  assert.deepEqual(await whoami({ ...config, user: "wire_clear", password: "clear-secret" }), [
    "wire_clear",
    "parley-wire-test",
  ]);
  assert.deepEqual(await whoami({ ...config, user: "wire_trust", password: "" }), ["wire_trust", "parley-wire-test"]);
  for (const user of ["postgres", "wire_md5", "wire_clear"]) {
    await assert.rejects(
      PgWireConnection.connect({ ...config, user, password: "wrong" }),
      (err: PgWireError) => err instanceof PgWireError && err.code === "28P01",
      user,
    );
  }
  await assert.rejects(
    PgWireConnection.connect({ ...config, database: "no_such_database" }),
    (err: PgWireError) => err.code === "3D000",
  );
  await assert.rejects(
    PgWireConnection.connect({ ...config, port: freePort() }),
    (err: PgConnectionError) => err.code === "CONNECTION_REFUSED",
  );
});

nativeTest("errors carry the fields postgres.js gives them, and map to the same API errors", async (e, config) => {
  await e.db.exec(`
    create or replace function public.wire_fail(x int) returns int language plpgsql as $$
    begin
      raise exception 'wire failure %', x using errcode = 'PT409', detail = 'some detail', hint = 'some hint';
    end $$;
  `);
  const pool = new PgWirePool(config, 2);
  const sql = postgres(e.url, { max: 1, onnotice: () => {} });
  const executor = wireExecutor(pool, e.db);
  try {
    for (
      const [text, values] of [
        ["select public.wire_fail($1::int)", ["7"]],
        ["select 1 +", []],
        ["select $1::int", ["not a number"]],
        ["select * from no_such_table", []],
      ] as [string, string[]][]
    ) {
      // the same SQL text both ways (the executor types parameters as text), so positions match
      const statement = call(text, values);
      const viaWire = await executor.run([], statement).then(() => assert.fail("no error"), (err) => err);
      const viaPostgresJs = await sql.unsafe(statement.sql((i) => `$${i + 1}::text`), values).then(
        () => assert.fail("no error"),
        (err) => err,
      );
      assert.ok(viaWire instanceof PgWireError);
      const wireFields = viaWire as unknown as Record<string, unknown>;
      for (const field of ["code", "message", "detail", "hint", "where", "position", "severity", "routine"]) {
        assert.equal(wireFields[field], viaPostgresJs[field], `${text}: ${field}`);
      }
      assert.deepEqual(fromDatabaseError(viaWire, true), fromDatabaseError(viaPostgresJs, true));
    }
    // the error rolled back the request's transaction; the connections are idle and reusable
    assert.deepEqual(await executor.run([], call("select 41 + 1 as n")), [{ n: 42 }]);
    assert.ok(pool.size <= 2);
  } finally {
    await sql.end();
    await pool.close();
  }
});

nativeTest(
  "settings are transaction-local; a statement timeout is 57014 and the connection stays usable",
  async (e, config) => {
    const pool = new PgWirePool(config, 1);
    const executor = wireExecutor(pool, e.db);
    try {
      const started = performance.now();
      const timedOut = await executor.run(
        [["statement_timeout", "200ms"], ["request.x", "during"]],
        call("select pg_sleep(5)"),
      ).then(() => assert.fail("no timeout"), (err) => err);
      assert.equal(timedOut.code, "57014");
      assert.ok(performance.now() - started < 4000);
      assert.equal(fromDatabaseError(timedOut, true).status, 504);
      // same (only) connection: nothing of the request is left
      const [row] = await executor.run<{ t: string; x: string | null; tx: string }>(
        [],
        call(
          "select current_setting('statement_timeout') as t, current_setting('request.x', true) as x, " +
            "(select count(*) from pg_stat_activity where state like 'idle in transaction%')::text as tx",
        ),
      );
      assert.equal(row.t, "0");
      assert.ok(row.x === null || row.x === "", `request.x is gone (${row.x})`);
      assert.equal(row.tx, "0");
      // the role is set last and applies to the call; it is reset afterwards
      await e.db.exec("drop role if exists wire_api; create role wire_api nologin");
      const [as] = await executor.run<{ u: string }>([["role", "wire_api"]], call("select current_user as u"));
      assert.equal(as.u, "wire_api");
      const [after] = await executor.run<{ u: string }>([], call("select current_user as u"));
      assert.equal(after.u, "postgres");
      assert.equal(pool.size, 1);
    } finally {
      await pool.close();
    }
  },
);

nativeTest("a lost connection fails only its request; the pool replaces it", async (e, config) => {
  const pool = new PgWirePool(config, 2);
  const executor = wireExecutor(pool, e.db);
  const ours = () =>
    e.db.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = 'parley-wire-test' and pid <> pg_backend_pid()",
    );
  try {
    assert.deepEqual(await executor.run([], call("select 1 as n")), [{ n: 1 }]);
    // terminated while idle: noticed at once, the next request gets a new connection
    for (const { pid } of await ours()) await e.db.query("select pg_terminate_backend($1)", [pid]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await executor.run([], call("select 2 as n")), [{ n: 2 }]);

    // terminated in the middle of a request: that request fails with 57P01 (503), others go on
    const sleeping = executor.run([], call("select pg_sleep(10)")).then(() => assert.fail("no error"), (err) => err);
    await new Promise((r) => setTimeout(r, 300));
    const [busy] = await e.db.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = 'parley-wire-test' and query like '%pg_sleep%'",
    );
    await e.db.query("select pg_terminate_backend($1)", [busy.pid]);
    const err = await sleeping;
    assert.equal(err.code, "57P01");
    assert.equal(fromDatabaseError(err, true).status, 503);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => executor.run([], call("select $1::int * 2 as n", [String(i)]))),
    );
    assert.deepEqual(results, Array.from({ length: 6 }, (_, i) => [{ n: i * 2 }]));
    assert.ok(pool.size <= 2);

    // a connection closed under a request (as when the network goes) is a 503 PGRST000
    const conn = await pool.acquire();
    const pending = conn.query("select pg_sleep(10)");
    conn.close();
    const lost = await pending.then(() => assert.fail("no error"), (err) => err);
    assert.ok(lost instanceof PgConnectionError);
    assert.equal(fromDatabaseError(lost, true).status, 503);
    assert.equal(fromDatabaseError(lost, true).body.code, "PGRST000");
    pool.release(conn, false);
    assert.deepEqual(await executor.run([], call("select 3 as n")), [{ n: 3 }]);
  } finally {
    await pool.close();
  }
});

nativeTest("concurrent requests share a bounded pool; large and non-ASCII values round-trip", async (e, config) => {
  const pool = new PgWirePool(config, 3);
  const executor = wireExecutor(pool, e.db);
  try {
    const n = 60;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        executor.run<{ v: string; b: number }>(
          [["request.i", String(i)]],
          call("select current_setting('request.i') || ':' || $1 as v, pg_backend_pid() as b", [`é${i}`]),
        )),
    );
    answers.forEach(([row], i) => assert.equal(row.v, `${i}:é${i}`));
    assert.ok(new Set(answers.map(([row]) => row.b)).size <= 3, "at most 3 backends");
    assert.ok(pool.size <= 3);

    const big = "ü".repeat(3 * 1024 * 1024); // 6 MB in UTF-8, in and out
    const [row] = await executor.run<{ len: number; same: boolean; back: string }>(
      [],
      call("select length($1) as len, $1 = repeat('ü', 3145728) as same, $1 as back", [big]),
    );
    assert.equal(row.len, big.length);
    assert.equal(row.same, true);
    assert.equal(row.back, big);

    // a NUL cannot be in a text value: Postgres refuses it (22021), nothing is cut short
    await assert.rejects(
      executor.run([], call("select $1 as v", ["a\0b"])),
      (err: PgWireError) => err.code === "22021",
    );
    assert.deepEqual(await executor.run([], call("select 'ok' as v")), [{ v: "ok" }]);
  } finally {
    await pool.close();
  }
});

nativeTest(
  "prepared statements: a failed parse is not remembered; a changed result type is prepared again",
  async (e, config) => {
    const pool = new PgWirePool(config, 1);
    const executor = wireExecutor(pool, e.db);
    try {
      await e.db.exec("drop function if exists public.wire_later(); drop function if exists public.wire_kind()");
      const later = call("select public.wire_later() as v");
      await assert.rejects(executor.run([], later), (err: PgWireError) => err.code === "42883");
      await e.db.exec("create function public.wire_later() returns int language sql as $$ select 5 $$");
      assert.deepEqual(await executor.run([], later), [{ v: 5 }], "parsed again once the function exists");

      await e.db.exec("create function public.wire_kind() returns int language sql as $$ select 1 $$");
      const kind = call("select public.wire_kind() as v");
      assert.deepEqual(await executor.run([], kind), [{ v: 1 }]);
      await e.db.exec(`
      drop function public.wire_kind();
      create function public.wire_kind() returns text language sql as $$ select 'one' $$;
    `);
      assert.deepEqual(await executor.run([], kind), [{ v: "one" }], "cached plan replaced, not a 0A000");
    } finally {
      await pool.close();
    }
  },
);

nativeTest("the explicit-transaction path: a failed check or error rolls everything back", async (e, config) => {
  await e.db.exec("drop table if exists public.wire_log; create table public.wire_log (v text)");
  const pool = new PgWirePool(config, 1);
  const executor = wireExecutor(pool, e.db);
  const insert = (v: string) => call("insert into public.wire_log values ($1) returning v", [v]);
  try {
    assert.deepEqual(await executor.run([], insert("kept"), () => {}), [{ v: "kept" }]);
    await assert.rejects(
      executor.run([], insert("checked"), () => {
        throw new Error("check failed");
      }),
      /check failed/,
    );
    await assert.rejects(
      executor.run([["statement_timeout", "1ms"]], call("select pg_sleep(1)"), () => {}),
      (err: PgWireError) => err.code === "57014",
    );
    await assert.rejects(
      executor.run([], call("insert into public.wire_log select 'half' union all select 1/0 || ''"), () => {}),
      (err: PgWireError) => err.code === "22012",
    );
    assert.deepEqual(await executor.run([], insert("also kept"), () => {}), [{ v: "also kept" }]);
    const rows = await e.db.query<{ v: string }>("select v from public.wire_log order by v");
    assert.deepEqual(rows.map((r) => r.v), ["also kept", "kept"]);
    assert.deepEqual(await executor.run([], call("select 1 as n"), () => {}), [{ n: 1 }]);
    assert.equal(pool.size, 1, "the same connection all along: never left in a transaction");
  } finally {
    await pool.close();
  }
});

nativeTest("a pool whose server is down fails its waiters instead of leaving them waiting", async (_e, config) => {
  const pool = new PgWirePool({ ...config, port: freePort() }, 2);
  try {
    const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => pool.acquire()));
    for (const a of attempts) {
      assert.equal(a.status, "rejected");
      assert.equal((a as PromiseRejectedResult).reason.code, "CONNECTION_REFUSED");
      assert.equal(fromDatabaseError((a as PromiseRejectedResult).reason, true).status, 503);
    }
    assert.equal(pool.size, 0);
  } finally {
    await pool.close();
  }
});

Deno.test({
  name: "native: wire: (stop the database)",
  ignore: !native,
  ...slow,
  fn: async () => {
    if (engineStarted) await (await engineStarted).stop();
    engineStarted = null;
  },
});

// ---------------------------------------------------------------- through the gateway

if (native) {
  const fixture = stackFixture("native", {
    setup: (s) =>
      s.engine.db.exec(`
        create function public.wire_sleep(seconds float8) returns int language sql volatile
          as $$ select 1 from (select pg_sleep(seconds)) s $$;
        create function public.wire_add(a int, b int) returns int language sql immutable as $$ select a + b $$;
        grant execute on function public.wire_sleep(float8), public.wire_add(int, int) to anon;
      `).then(() => {}),
  });
  stackTest(fixture, "gateway: a backend lost mid-request answers 503; the next requests are served", async (s) => {
    const sleeping = api(s, "/rest/v1/rpc/wire_sleep", { body: { seconds: 10 } });
    await new Promise((r) => setTimeout(r, 400));
    await s.engine.db.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'parley-gateway'",
    );
    const lost = await sleeping;
    assert.equal(lost.status, 503, lost.text);
    assert.equal((lost.body as { code: string }).code, "57P01");
    const after = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api(s, "/rest/v1/rpc/wire_add", { body: { a: i, b: 1 } })),
    );
    assert.deepEqual(after.map((r) => r.text), Array.from({ length: 20 }, (_, i) => String(i + 1)));
  });
  stopStackAfterTests(fixture);
}
