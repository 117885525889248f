/**
 * Transactions stay apart on every engine, as on Postgres, though PGlite has one backend: psql
 * holding a transaction open across an RPC call through the gateway (on PGlite the call waits for
 * psql; psql's rollback discards psql's row only, the call's row survives), the stack's own
 * transaction (what the gateway's calls run in) holding psql back, and two wire clients.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import type { PGlite } from "@electric-sql/pglite";
import { findPostgres } from "../../stack/db/native.ts";
import { socketSessions } from "../../stack/db/pglite-sessions.ts";
import { exists } from "../../stack/paths.ts";
import { api, stackFixture, stackTest, stopStackAfterTests, testEngines, type TestStack } from "../e2e/_stack.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** psql 15+, from the Postgres install the native engine uses, else the PATH. */
async function psqlPath(): Promise<string | null> {
  const pg = await findPostgres();
  if (pg && await exists(join(pg.bin, "psql"))) return join(pg.bin, "psql");
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await exists(join(dir, "psql"))) return join(dir, "psql");
  }
  return null;
}

/** An interactive psql session: each step's SQL is sent, and its output read up to a marker. */
class Psql {
  private step = 0;
  private output = "";
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly reader: ReadableStreamDefaultReader<string>;

  private constructor(private readonly child: Deno.ChildProcess) {
    this.writer = child.stdin.getWriter();
    this.reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  static start(psql: string, url: string): Psql {
    const child = new Deno.Command(psql, {
      args: ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0", url],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { PGCONNECT_TIMEOUT: "10" },
    }).spawn();
    return new Psql(child);
  }

  /** Runs `sql` (statements ending in `;`); resolves with the rows psql printed, one per line. */
  async run(sql: string): Promise<string[]> {
    const marker = `-- step ${++this.step} done --`;
    await this.writer.write(new TextEncoder().encode(`${sql}\n\\echo '${marker}'\n`));
    while (!this.output.includes(`${marker}\n`)) {
      const { value, done } = await this.reader.read();
      if (done) throw new Error(`psql ended before ${marker}:\n${this.output}`);
      this.output += value;
    }
    const [before, after] = this.output.split(`${marker}\n`);
    this.output = after;
    return before.split("\n").filter(Boolean);
  }

  async close(): Promise<void> {
    await this.writer.close().catch(() => {});
    await this.reader.cancel().catch(() => {});
    await this.child.status;
  }
}

/** Whether a promise has settled yet. */
function settled(p: Promise<unknown>): { readonly done: boolean } {
  const state = { done: false };
  p.then(() => state.done = true, () => state.done = true);
  return state;
}

/** A backend message: type byte, length, body. */
function message(type: string, body: number[] = []): number[] {
  const length = 4 + body.length;
  return [type.charCodeAt(0), length >>> 24, (length >>> 16) & 255, (length >>> 8) & 255, length & 255, ...body];
}

Deno.test("sessions: a wire client holds PGlite's transaction mutex until ReadyForQuery says idle", async () => {
  // a stand-in for PGlite: one transaction mutex, and answers streamed one byte at a time
  let holder: Promise<void> = Promise.resolve();
  const answers = new Map<string, number[]>([
    ["P", message("1")], // Parse: ParseComplete, no ReadyForQuery yet
    ["S", [...message("2"), ...message("C", [0x58, 0]), ...message("Z", [0x49])]], // Sync: idle
    ["Q", [...message("C", [0x42, 0]), ...message("Z", [0x54])]], // Query "begin": in a transaction
    ["q", [...message("E", [0]), ...message("Z", [0x45])]], // a failing Query: failed transaction
    ["r", [...message("C", [0x52, 0]), ...message("Z", [0x49])]], // Query "rollback": idle
  ]);
  const fake = {
    waitReady: Promise.resolve(),
    _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T> {
      const run = holder.then(fn);
      holder = run.then(() => {}, () => {});
      return run;
    },
    runExclusive: <T>(fn: () => Promise<T>) => fn(),
    execProtocolRawStream(m: Uint8Array, o: { onRawData: (d: Uint8Array) => void }) {
      for (const byte of answers.get(String.fromCharCode(m[0]))!) o.onRawData(new Uint8Array([byte]));
      return Promise.resolve();
    },
  };
  const sessions = socketSessions(fake as unknown as PGlite);
  const send = (type: string) =>
    sessions.runExclusive(() =>
      sessions.execProtocolRawStream(new Uint8Array([type.charCodeAt(0)]), { onRawData() {} })
    );
  const inProcess = () => {
    const ran = { done: false };
    fake._runExclusiveTransaction(() => Promise.resolve(ran.done = true));
    return ran;
  };

  await send("P");
  assert.equal(sessions.isInTransaction(), true, "between Parse and Sync");
  const first = inProcess();
  await sleep(10);
  assert.equal(first.done, false, "an in-process transaction waits for the Sync");
  await send("S");
  assert.equal(sessions.isInTransaction(), false);
  await sleep(10);
  assert.equal(first.done, true);

  await send("Q");
  assert.equal(sessions.isInTransaction(), true, "ReadyForQuery 'T'");
  await send("q");
  assert.equal(sessions.isInTransaction(), true, "ReadyForQuery 'E'");
  const second = inProcess();
  await sleep(10);
  assert.equal(second.done, false);
  await send("r");
  await sleep(10);
  assert.deepEqual([sessions.isInTransaction(), second.done], [false, true]);
});

const psql = await psqlPath();

for (const kind of testEngines()) {
  if (!psql) {
    Deno.test({ name: `${kind}: isolation: (psql is not installed)`, ignore: true, fn() {} });
    continue;
  }
  const fixture = stackFixture(kind, {
    setup: async (s) => {
      await s.engine.db.exec(`
        create table public.isolation_log (who text);
        grant select, insert on public.isolation_log to anon;
        create function public.isolation_write(who text) returns int language sql volatile as $$
          insert into public.isolation_log values (who);
          select count(*)::int from public.isolation_log;
        $$;
        grant execute on function public.isolation_write(text) to anon;
      `);
    },
  });
  const waits = kind === "pglite";
  const rows = async (s: TestStack) =>
    (await s.engine.db.query<{ who: string }>("select who from public.isolation_log order by who")).map((r) => r.who);

  stackTest(
    fixture,
    "isolation: psql holds a transaction open across an RPC call; its rollback undoes only its row",
    async (s) => {
      await s.engine.db.exec("truncate public.isolation_log");
      const session = Psql.start(psql, s.dbUrl);
      try {
        assert.deepEqual(await session.run("begin; insert into public.isolation_log values ('psql');"), []);
        const call = api(s, "/rest/v1/rpc/isolation_write", { body: { who: "rpc" } });
        const state = settled(call);
        await sleep(600);
        // PGlite: the call waits for psql's transaction (one backend); Postgres: it runs beside it
        assert.equal(state.done, !waits, waits ? "the RPC waits while psql is in its transaction" : "no wait");
        // read committed: on Postgres psql sees the call's committed row; on PGlite the call has not run
        assert.deepEqual(
          await session.run("select who from public.isolation_log order by who;"),
          waits ? ["psql"] : ["psql", "rpc"],
        );
        assert.deepEqual(await session.run("rollback;"), []);
        const answer = await call;
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body, 1, "the call saw its own row only, never psql's");
        assert.deepEqual(await rows(s), ["rpc"], "psql's rollback undid psql's row only");
        assert.deepEqual(await session.run("select who from public.isolation_log;"), ["rpc"], "psql goes on");
      } finally {
        await session.close();
      }
    },
  );

  stackTest(
    fixture,
    "isolation: psql waits for the stack's own transaction, and is not rolled back with it",
    async (s) => {
      await s.engine.db.exec("truncate public.isolation_log");
      const session = Psql.start(psql, s.dbUrl);
      try {
        await session.run("select 1;"); // connected
        let psqlStep: Promise<string[]> | null = null;
        let ended = 0;
        const inProcess = s.engine.db.transaction(async (tx) => {
          await tx.query("insert into public.isolation_log values ('in-process')");
          psqlStep = session.run(
            "insert into public.isolation_log values ('psql'); select count(*) from public.isolation_log;",
          );
          await sleep(600);
          ended = performance.now();
          throw new Error("rolled back on purpose");
        });
        await assert.rejects(inProcess, /rolled back on purpose/);
        const counted = await psqlStep!;
        const answeredAt = performance.now();
        assert.deepEqual(counted, ["1"], "psql's statements ran alone: they saw no row of the other transaction");
        if (waits) assert.ok(answeredAt >= ended, "psql waited for the stack's transaction to end");
        assert.deepEqual(await rows(s), ["psql"], "psql's autocommitted row survives the other's rollback");
      } finally {
        await session.close();
      }
    },
  );

  stackTest(
    fixture,
    "isolation: a driver's statements wait for psql's transaction, and survive its rollback",
    async (s) => {
      await s.engine.db.exec("truncate public.isolation_log");
      const session = Psql.start(psql, s.dbUrl);
      const driver = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
      try {
        await session.run("begin; insert into public.isolation_log values ('psql');");
        const insert =
          driver`insert into public.isolation_log values ('driver') returning (select count(*) from public.isolation_log)::int as seen`;
        const state = settled(insert);
        await sleep(600);
        assert.equal(state.done, !waits);
        await session.run("rollback;");
        assert.deepEqual([...await insert], [{ seen: 0 }], "the driver's statement did not see psql's row");
        assert.deepEqual(await rows(s), ["driver"]);
      } finally {
        await driver.end({ timeout: 5 });
        await session.close();
      }
    },
  );

  stackTest(
    fixture,
    "isolation: a client that leaves inside its transaction is rolled back; the others go on",
    async (s) => {
      await s.engine.db.exec("truncate public.isolation_log");
      const session = Psql.start(psql, s.dbUrl);
      await session.run("begin; insert into public.isolation_log values ('left');");
      const call = api(s, "/rest/v1/rpc/isolation_write", { body: { who: "rpc" } });
      await sleep(300);
      await session.close(); // psql ends, its transaction still open
      const answer = await call;
      assert.deepEqual([answer.status, answer.body], [200, 1], answer.text);
      assert.deepEqual(await rows(s), ["rpc"], "the transaction left open was rolled back");
    },
  );

  stopStackAfterTests(fixture);
}
