/**
 * The local Realtime server on the wire, on every engine: raw WebSocket clients speaking both
 * serializers (refs echoed, heartbeats, joins and leaves, unmatched topics, binary broadcasts),
 * tokens (refused and expiring), the authorisation SQL of private channels, broadcasts from the
 * database (large ones, once each in commit order, also when the server's database connections are
 * cut), and a slow client that must not hold back the others.
 */
import assert from "node:assert/strict";
import { signJwt } from "../../stack/gateway/jwt.ts";
import { emptyPolicies, readPolicies, writePolicies } from "../../stack/realtime/authorization.ts";
import { api, stackFixture, stackTest, stopStackAfterTests, testEngines, type TestStack } from "../e2e/_stack.ts";
import { sleep, until } from "../e2e/_realtime.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** A raw Phoenix client: sends frames, records what arrives (binary frames as kind-4 objects). */
class Raw {
  readonly received: Loose[] = [];
  private ref = 0;
  private constructor(readonly ws: WebSocket, readonly vsn: string) {}

  static async open(s: TestStack, vsn = "2.0.0", apikey = s.anonKey): Promise<Raw> {
    const ws = new WebSocket(`${s.url.replace("http", "ws")}/realtime/v1/websocket?apikey=${apikey}&vsn=${vsn}`);
    ws.binaryType = "arraybuffer";
    const raw = new Raw(ws, vsn);
    ws.onmessage = (e) => raw.received.push(typeof e.data === "string" ? JSON.parse(e.data) : kind4(e.data));
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return raw;
  }

  nextRef(): string {
    return String(++this.ref);
  }

  send(joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown): void {
    this.ws.send(
      this.vsn === "2.0.0"
        ? JSON.stringify([joinRef, ref, topic, event, payload])
        : JSON.stringify({ join_ref: joinRef, ref, topic, event, payload }),
    );
  }

  /** The first received frame matching, waiting for it. */
  async next(match: (m: Loose) => boolean, what = "a frame"): Promise<Loose> {
    await until(what, () => this.received.some(match));
    return this.received.find(match);
  }

  async join(topic: string, payload: Loose = { config: {} }): Promise<{ joinRef: string; reply: Loose }> {
    const joinRef = this.nextRef();
    this.send(joinRef, joinRef, topic, "phx_join", payload);
    const reply = await this.next(
      (m) => (Array.isArray(m) ? m[1] : m.ref) === joinRef,
      `the reply to joining ${topic}`,
    );
    return { joinRef, reply };
  }

  close(): void {
    this.ws.close();
  }
}

/** A kind 4 frame read the way realtime-js reads it. */
function kind4(buffer: ArrayBuffer): Loose {
  const bytes = new Uint8Array(buffer);
  const [kind, topicSize, eventSize, metaSize, encoding] = bytes;
  let offset = 5;
  const text = (n: number) => new TextDecoder().decode(bytes.subarray(offset, offset += n));
  const topic = text(topicSize);
  const event = text(eventSize);
  const meta = metaSize ? JSON.parse(text(metaSize)) : undefined;
  const payload = encoding === 1
    ? JSON.parse(new TextDecoder().decode(bytes.subarray(offset)))
    : bytes.subarray(offset);
  return { kind, topic, event, meta, payload };
}

/** realtime-js's kind 3 frame for a broadcast. */
function kind3(joinRef: string, ref: string, topic: string, event: string, payload: unknown): Uint8Array {
  const enc = new TextEncoder();
  const parts = [joinRef, ref, topic, event, ""].map((x) => enc.encode(x));
  const body = enc.encode(JSON.stringify(payload));
  const frame = new Uint8Array(7 + parts.reduce((n, p) => n + p.length, 0) + body.length);
  frame.set([3, ...parts.map((p) => p.length), 1]);
  let offset = 7;
  for (const p of [...parts, body]) {
    frame.set(p, offset);
    offset += p.length;
  }
  return frame;
}

async function token(s: TestStack, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await signJwt({ role: "authenticated", iat: now, exp: now + 3600, ...claims }, s.gateway.keys.key);
}

for (const kind of testEngines()) {
  const stack = stackFixture(kind, {
    gateway: { realtime: { maxBufferedBytes: 1024 * 1024 } },
    setup: async (s) => {
      // a private topic family for these tests: room:<team> readable by that team, writable on room:open
      await s.engine.db.exec(`
        create policy test_rooms_read on realtime.messages for select to authenticated
          using (realtime.topic() like 'room:%' and split_part(realtime.topic(), ':', 2) = (auth.jwt() ->> 'team'));
        create policy test_rooms_write on realtime.messages for insert to authenticated
          with check (realtime.topic() = 'room:open' and extension = 'broadcast');
        create table public.rt_ordered (n integer primary key);
        alter publication supabase_realtime add table public.rt_ordered;
        create table public.rt_counter (one boolean primary key default true, n integer not null default 0);
        insert into public.rt_counter default values;`);
    },
  });
  stopStackAfterTests(stack);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(stack, `realtime server: ${name}`, fn);

  test("the WebSocket wants a valid apikey and a known serializer, as the gateway's other services", async (s) => {
    const url = "/realtime/v1/websocket?vsn=2.0.0";
    const none = await api(s, url, { apikey: null });
    assert.equal(none.status, 401);
    assert.deepEqual((none.body as Loose).message, "No API key found in request");
    assert.equal((await api(s, url, { apikey: "nope" })).status, 401);
    assert.equal((await api(s, `/realtime/v1/websocket?vsn=3.0.0`)).status, 400);
    assert.equal((await api(s, url)).status, 400, "not an upgrade");
    assert.equal((await api(s, "/realtime/v1/elsewhere")).status, 404);
  });

  test("2.0.0: heartbeat, join echoing refs and bindings with ids, unmatched topics, leave then close", async (s) => {
    const c = await Raw.open(s);
    c.send(null, "hb1", "phoenix", "heartbeat", {});
    assert.deepEqual(await c.next((m) => m[1] === "hb1"), [null, "hb1", "phoenix", "phx_reply", {
      status: "ok",
      response: {},
    }]);

    const bindings = [
      { event: "INSERT", schema: "public", table: "rt_ordered" },
      { event: "*", schema: "public", table: "rt_ordered", filter: "n=gt.3" },
    ];
    const { joinRef, reply } = await c.join("realtime:room:public", { config: { postgres_changes: bindings } });
    assert.deepEqual(reply.slice(0, 4), [joinRef, joinRef, "realtime:room:public", "phx_reply"]);
    assert.equal(reply[4].status, "ok");
    const echoed = reply[4].response.postgres_changes;
    assert.deepEqual(echoed.map(({ id: _, ...p }: Loose) => p), bindings, "in order");
    assert.ok(echoed.every((b: Loose) => Number.isInteger(b.id)));
    assert.notEqual(echoed[0].id, echoed[1].id);
    const system = await c.next((m) => m[3] === "system");
    assert.deepEqual(system, [joinRef, null, "realtime:room:public", "system", {
      extension: "postgres_changes",
      status: "ok",
      message: "Subscribed to PostgreSQL",
      channel: "room:public",
    }]);

    c.send("9", "10", "not-realtime", "phx_join", {});
    assert.deepEqual(await c.next((m) => m[1] === "10"), [null, "10", "not-realtime", "phx_reply", {
      status: "error",
      response: { reason: "unmatched topic" },
    }]);
    c.send(null, "11", "realtime:never-joined", "broadcast", { type: "broadcast", event: "x", payload: {} });
    assert.equal((await c.next((m) => m[1] === "11"))[4].status, "error");
    const empty = await c.join("realtime:");
    assert.deepEqual(empty.reply[4], {
      status: "error",
      response: { reason: "TopicNameRequired: You must provide a topic name" },
    });

    c.send(joinRef, "12", "realtime:room:public", "phx_leave", {});
    assert.deepEqual(await c.next((m) => m[1] === "12"), [joinRef, "12", "realtime:room:public", "phx_reply", {
      status: "ok",
      response: {},
    }]);
    assert.deepEqual(await c.next((m) => m[3] === "phx_close"), [
      joinRef,
      joinRef,
      "realtime:room:public",
      "phx_close",
      {},
    ]);
    c.close();
  });

  test("1.0.0: JSON objects; client broadcasts (binary kind 3 and JSON) reach peers of both serializers", async (s) => {
    const v1 = await Raw.open(s, "1.0.0");
    const v2 = await Raw.open(s);
    const sender = await Raw.open(s);
    v1.send(null, "hb", "phoenix", "heartbeat", {});
    assert.deepEqual(await v1.next((m) => m.ref === "hb"), {
      topic: "phoenix",
      event: "phx_reply",
      payload: { status: "ok", response: {} },
      ref: "hb",
    });
    const topic = `realtime:room:${crypto.randomUUID()}`;
    const joined = await v1.join(topic);
    assert.deepEqual(joined.reply, {
      topic,
      event: "phx_reply",
      payload: { status: "ok", response: { postgres_changes: [] } },
      ref: joined.joinRef,
    });
    await v2.join(topic);
    const s1 = await sender.join(topic, { config: { broadcast: { ack: true } } });

    sender.ws.send(kind3(s1.joinRef, "20", topic, "cursor", { x: 5 }));
    assert.deepEqual(await sender.next((m) => m[1] === "20"), [s1.joinRef, "20", topic, "phx_reply", {
      status: "ok",
      response: {},
    }]);
    assert.deepEqual(await v2.next((m) => m.kind === 4), {
      kind: 4,
      topic,
      event: "cursor",
      meta: undefined,
      payload: { x: 5 },
    });
    assert.deepEqual(await v1.next((m) => m.event === "broadcast"), {
      topic,
      event: "broadcast",
      payload: { event: "cursor", payload: { x: 5 }, type: "broadcast" },
      ref: null,
    });
    // a V1 client's JSON broadcast goes out as JSON
    v1.send(joined.joinRef, "21", topic, "broadcast", { type: "broadcast", event: "hi", payload: { y: 1 } });
    assert.deepEqual(await v2.next((m) => m[3] === "broadcast"), [null, null, topic, "broadcast", {
      type: "broadcast",
      event: "hi",
      payload: { y: 1 },
    }]);
    assert.ok(!sender.received.some((m) => m.kind === 4), "self is off");
    for (const c of [v1, v2, sender]) c.close();
  });

  test("tokens: refused joins say why; an expiring token closes the channel with a system message", async (s) => {
    const c = await Raw.open(s);
    const now = Math.floor(Date.now() / 1000);
    const expired = await token(s, { exp: now - 5 });
    const r1 = await c.join("realtime:a", { config: {}, access_token: expired });
    assert.match(r1.reply[4].response.reason, /^InvalidJWTToken: Token has expired \d+ seconds ago$/);
    const noExp = await signJwt({ role: "authenticated" }, s.gateway.keys.key);
    assert.equal(
      (await c.join("realtime:b", { config: {}, access_token: noExp })).reply[4].response.reason,
      "InvalidJWTToken: Fields `role` and `exp` are required in JWT",
    );
    assert.equal(
      (await c.join("realtime:c", { config: {}, access_token: "not.a.jwt" })).reply[4].response.reason,
      "MalformedJWT: The token provided is not a valid JWT",
    );
    const forged = await signJwt(
      { role: "authenticated", exp: now + 60 },
      await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode("another secret that is long enough"),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      ),
    );
    assert.equal(
      (await c.join("realtime:d", { config: {}, access_token: forged })).reply[4].response.reason,
      "JwtSignatureError: Failed to validate JWT signature",
    );

    const short = await token(s, { exp: now + 2 });
    const { joinRef, reply } = await c.join("realtime:e", { config: {}, access_token: short });
    assert.equal(reply[4].status, "ok");
    const system = await c.next((m) => m[3] === "system" && m[2] === "realtime:e", "the expiry");
    assert.equal(system[0], joinRef);
    assert.equal(system[4].extension, "system");
    assert.equal(system[4].status, "error");
    assert.match(system[4].message, /^Token has expired \d+ seconds ago$/);
    await c.next((m) => m[3] === "phx_close" && m[2] === "realtime:e");
    c.close();
  });

  test("private channels: read and write checked by RLS with the subscriber's claims and topic", async (s) => {
    const c = await Raw.open(s);
    const red = await token(s, { sub: crypto.randomUUID(), team: "red" });
    const ok = await c.join("realtime:room:red", { config: { private: true }, access_token: red });
    assert.equal(ok.reply[4].status, "ok");
    const no = await c.join("realtime:room:blue", { config: { private: true }, access_token: red });
    assert.deepEqual(no.reply[4], {
      status: "error",
      response: { reason: "Unauthorized: You do not have permissions to read from this Channel topic: room:blue" },
    });
    // the SQL itself: probes never stay, settings never leak
    const before = await s.engine.db.query<{ n: number }>("select count(*)::int as n from realtime.messages");
    const ctx = (topic: string, claims: Record<string, unknown>) => ({
      topic,
      role: "authenticated",
      sub: null,
      claims: { role: "authenticated", ...claims },
      headers: {},
    });
    const read = await readPolicies(s.engine.db, ctx("room:red", { team: "red" }), emptyPolicies(), [
      "broadcast",
      "presence",
    ]);
    assert.deepEqual(read, { broadcast: { read: true, write: null }, presence: { read: true, write: null } });
    const other = await readPolicies(s.engine.db, ctx("room:red", { team: "blue" }), emptyPolicies(), ["broadcast"]);
    assert.deepEqual(other.broadcast.read, false);
    assert.equal(other.presence.read, null, "not asked: not checked");
    const write = await writePolicies(s.engine.db, ctx("room:open", { team: "open" }), read, ["broadcast", "presence"]);
    assert.deepEqual([write.broadcast.write, write.presence.write], [true, false]);
    const closed = await writePolicies(s.engine.db, ctx("room:red", { team: "red" }), read, ["broadcast", "presence"]);
    assert.deepEqual([closed.broadcast.write, closed.presence.write], [false, false]);
    await assert.rejects(
      readPolicies(s.engine.db, { ...ctx("room:red", {}), role: "no_such_role" }, emptyPolicies(), ["broadcast"]),
      /no_such_role/,
    );
    const after = await s.engine.db.query<{ n: number; role: string; topic: string | null }>(
      "select count(*)::int as n, current_user::text as role, current_setting('realtime.topic', true) as topic from realtime.messages",
    );
    assert.equal(after[0].n, before[0].n, "no probe is left");
    assert.equal(after[0].role, "postgres");
    assert.ok(!after[0].topic, "no setting is left");

    // over the wire: broadcasting needs write access (room:open), with ack
    const open = await token(s, { team: "open" });
    const a = await c.join("realtime:room:open", {
      config: { private: true, broadcast: { ack: true, self: true } },
      access_token: open,
    });
    c.send(a.joinRef, "31", "realtime:room:open", "broadcast", { type: "broadcast", event: "e", payload: { z: 1 } });
    assert.equal((await c.next((m) => m[1] === "31"))[4].status, "ok");
    await c.next((m) => m[3] === "broadcast" && m[2] === "realtime:room:open");
    c.send(ok.joinRef, "32", "realtime:room:red", "presence", {
      type: "presence",
      event: "track",
      payload: { here: 1 },
    });
    assert.equal((await c.next((m) => m[1] === "32"))[4].status, "error", "no write access to presence");
    c.close();
  });

  test("database broadcasts: large payloads arrive; once each, in commit order, across connection loss", async (s) => {
    const c = await Raw.open(s);
    const topic = `ordered-${crypto.randomUUID()}`;
    await c.join(`realtime:${topic}`);
    const big = "x".repeat(20_000); // past NOTIFY's 8000-byte limit
    await s.engine.db.query("select realtime.send(jsonb_build_object('big', $1::text), 'big', $2, false)", [
      big,
      topic,
    ]);
    const got = await c.next((m) => m.kind === 4 && m.event === "big", "the large broadcast");
    assert.equal(got.payload.big.length, 20_000);
    assert.equal(typeof got.meta.id, "string");

    // writers on several connections; each takes a lock and a number in its transaction, so the
    // numbers are the commit order
    const total = 60;
    const writers = kind === "native" ? 4 : 1;
    const sessions = await Promise.all(Array.from({ length: writers }, () => s.engine.connect()));
    let next = 0;
    const write = async (db: typeof sessions[0]) => {
      while (next < total) {
        next++;
        await db.transaction(async (tx) => {
          await tx.query("select pg_advisory_xact_lock(42)");
          await tx.query(
            `with n as (update public.rt_counter set n = n + 1 returning n)
             select realtime.send(jsonb_build_object('n', n.n), 'n', $1, false) from n`,
            [topic],
          );
        });
      }
    };
    const cut = async () => {
      if (kind !== "native") return;
      // the server's connections (LISTEN included) are cut twice while the writers run
      for (let i = 0; i < 2; i++) {
        await sleep(60);
        await s.engine.db.query(
          "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'parley-realtime%'",
        );
      }
    };
    await Promise.all([...sessions.map(write), cut()]);
    for (const session of sessions) await session.close();
    const numbers = () => c.received.filter((m) => m.kind === 4 && m.event === "n").map((m) => m.payload.n);
    await until(`${total} broadcasts`, () => numbers().length >= total, 20_000);
    await sleep(1500); // a sweep more: nothing comes twice
    assert.deepEqual(numbers(), Array.from({ length: total }, (_, i) => i + 1));
    if (kind === "native") assert.ok(s.gateway.realtime.capture.stats.relistens >= 1, "it listened again");
    c.close();
  });

  test("a client that does not read is disconnected; the others get everything, promptly", async (s) => {
    const topic = `slow-${crypto.randomUUID()}`;
    const fast = await Raw.open(s);
    await fast.join(`realtime:${topic}`);
    // a WebSocket client that sends its join and then never reads
    const port = new URL(s.url).port;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    await conn.write(new TextEncoder().encode(
      `GET /realtime/v1/websocket?apikey=${s.anonKey}&vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    await conn.write(maskedText(JSON.stringify(["1", "1", `realtime:${topic}`, "phx_join", { config: {} }])));
    await until("two connections", () => s.gateway.realtime.connections >= 2);
    await sleep(200);
    const started = performance.now();
    const payload = "y".repeat(250_000);
    for (let i = 0; i < 60; i++) {
      await s.engine.db.query("select realtime.send(jsonb_build_object('i', $1::int, 'p', $2::text), 'm', $3, false)", [
        i,
        payload,
        topic,
      ]);
    }
    await until(
      "60 broadcasts at the fast client",
      () => fast.received.filter((m) => m.kind === 4).length === 60,
      30_000,
    );
    const seconds = (performance.now() - started) / 1000;
    assert.deepEqual(fast.received.filter((m) => m.kind === 4).map((m) => m.payload.i), [...Array(60).keys()]);
    await until("the slow client dropped", () => s.gateway.realtime.connections === 1, 10_000);
    assert.ok(seconds < 20, `took ${seconds}s`);
    conn.close();
    fast.close();
  });
}

/** A masked text frame, as a client sends it. */
function maskedText(text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const header = data.length < 126
    ? [0x81, 0x80 | data.length]
    : [0x81, 0x80 | 126, data.length >> 8, data.length & 255];
  const frame = new Uint8Array(header.length + 4 + data.length);
  frame.set(header);
  frame.set(mask, header.length);
  for (let i = 0; i < data.length; i++) frame[header.length + 4 + i] = data[i] ^ mask[i % 4];
  return frame;
}
