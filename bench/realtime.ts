/**
 * `npm run bench -- realtime [--subscribers 100] [--messages 200] [--broadcasts 5000] [--idle 1000]`
 *
 * The local Realtime server on the native engine, its clients in a separate process (raw WebSockets
 * speaking realtime-js's serializer 2.0.0):
 *   - latency: `--subscribers` sockets join the private topic chat:<id> (authorised by its RLS
 *     policy); `append_message` is called through the gateway `--messages` times, 20 a second; the
 *     time from the call's return (its commit) to each subscriber's receipt of the broadcast, p50 and
 *     p95 over all receipts (aim: p95 ≤ 50 ms);
 *   - fan-out: one more socket sends `--broadcasts` client broadcasts (binary frames) as fast as it
 *     can on a public topic the subscribers joined; messages in per second, until every subscriber
 *     has every message (none may be lost; aim ≥ 1,000/s);
 *   - memory: the gateway process's RSS and JS heap before and after `--idle` more sockets connect
 *     and join a channel each, per connection.
 * Both processes share the machine's two CPUs; nothing here is a test.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { percentiles, printTable } from "./_stats.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { startEngine } from "../stack/db/engine.ts";
import { readSupabaseConfig } from "../stack/cli/config.ts";
import { freePort } from "../stack/paths.ts";
import { loadKeys } from "../stack/gateway/keys.ts";
import { startGateway } from "../stack/gateway/server.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

const now = () => performance.timeOrigin + performance.now();

export default async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscribers: { type: "string", default: "100" },
      messages: { type: "string", default: "200" },
      broadcasts: { type: "string", default: "5000" },
      idle: { type: "string", default: "1000" },
    },
  });
  const o = {
    subscribers: Number(values.subscribers),
    messages: Number(values.messages),
    broadcasts: Number(values.broadcasts),
    idle: Number(values.idle),
  };
  console.log(
    `realtime bench (native): ${o.subscribers} subscribers, ${o.messages} appends, ` +
      `${o.broadcasts} broadcasts, ${o.idle} idle connections`,
  );
  const engine = await startEngine("native", { port: freePort() });
  let gateway: Awaited<ReturnType<typeof startGateway>> | null = null;
  let child: Child | null = null;
  try {
    await prepareDatabase(engine);
    const keys = await loadKeys();
    gateway = await startGateway({ engine, keys, config: await readSupabaseConfig(), port: 0, watchFunctions: false });
    const url = gateway.url;
    const headers = { apikey: keys.anonKey, "content-type": "application/json" };
    const signup = await (await fetch(`${url}/auth/v1/signup`, {
      method: "POST",
      headers,
      body: JSON.stringify({ email: `bench-${crypto.randomUUID()}@example.test`, password: "bench-password-1234" }),
    })).json();
    const token = signup.access_token as string;
    const rpc = async (fn: string, args: unknown) => {
      const res = await fetch(`${url}/rest/v1/rpc/${fn}`, {
        method: "POST",
        headers: { ...headers, authorization: `Bearer ${token}` },
        body: JSON.stringify(args),
      });
      if (!res.ok) throw new Error(`${fn}: ${res.status} ${await res.text()}`);
      return await res.json();
    };
    const chat = await rpc("create_chat", { title: "bench" });
    child = await Child.start();
    const job = { url, apikey: keys.anonKey, token };

    // ---- memory per idle connection (first, before the other phases grow the heap)
    const before = Deno.memoryUsage();
    await child.ask({ cmd: "subscribe", ...job, topic: "idle", private: false, count: o.idle });
    await new Promise((r) => setTimeout(r, 2000));
    const after = Deno.memoryUsage();
    const connections = gateway.realtime.connections;
    await child.ask({ cmd: "close" });

    // ---- latency
    await child.ask({ cmd: "subscribe", ...job, topic: `chat:${chat.id}`, private: true, count: o.subscribers });
    const sentAt = new Map<string, number>();
    for (let i = 0; i < 20; i++) await rpc("append_message", { chat_id: chat.id, role: "user", content: `warm ${i}` });
    await new Promise((r) => setTimeout(r, 300));
    await child.ask({ cmd: "report" });
    const start = now();
    for (let i = 0; i < o.messages; i++) {
      const due = start + i * 50;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const m = await rpc("append_message", { chat_id: chat.id, role: "user", content: `message ${i}` });
      sentAt.set(m.id, now());
    }
    await new Promise((r) => setTimeout(r, 1000));
    const receipts = (await child.ask({ cmd: "report" })).receipts as Record<string, number[]>;
    const latencies: number[] = [];
    let missing = 0;
    for (const [id, t0] of sentAt) {
      const got = receipts[id] ?? [];
      missing += o.subscribers - got.length;
      for (const t of got) latencies.push(t - t0);
    }
    const lat = percentiles(latencies);
    await child.ask({ cmd: "close" });

    // ---- fan-out
    const topic = `bench:${crypto.randomUUID()}`;
    await child.ask({ cmd: "subscribe", ...job, topic, private: false, count: o.subscribers });
    const flood = await child.ask({ cmd: "flood", ...job, topic, n: o.broadcasts });
    await child.ask({ cmd: "close" });

    console.log();
    printTable(["measure", "result", "aim"], [
      [
        `append_message commit → receipt, ${o.subscribers} subscribers, ${latencies.length} receipts`,
        `p50 ${lat.p50.toFixed(1)} ms, p95 ${lat.p95.toFixed(1)} ms${missing ? `, ${missing} missing` : ""}`,
        "p95 ≤ 50 ms",
      ],
      [
        `client broadcasts in, fanned out to ${o.subscribers}`,
        `${flood.rate.toFixed(0)} msg/s in (${(flood.rate * o.subscribers).toFixed(0)} out), ` +
        `${flood.lost} lost`,
        "≥ 1,000 msg/s, none lost",
      ],
      [
        `memory per idle connection (${connections} open)`,
        `${((after.rss - before.rss) / o.idle / 1024).toFixed(1)} KiB RSS, ` +
        `${((after.heapUsed - before.heapUsed) / o.idle / 1024).toFixed(1)} KiB JS heap`,
        "",
      ],
    ], { gap: "   " });
  } finally {
    await child?.stop();
    await gateway?.stop();
    await engine.stop();
  }
}

class Child {
  private lines: AsyncIterator<string>;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private constructor(private readonly process: Deno.ChildProcess) {
    this.lines = lines(process.stdout)[Symbol.asyncIterator]();
    this.writer = process.stdin.getWriter();
  }

  static async start(): Promise<Child> {
    const process = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(import.meta.url), "--client"],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const child = new Child(process);
    if ((await child.lines.next()).value !== "ready") throw new Error("bench client did not start");
    return child;
  }

  async ask(command: Loose): Promise<Loose> {
    await this.writer.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    const { value, done } = await this.lines.next();
    if (done) throw new Error("bench client ended");
    const answer = JSON.parse(value);
    if (answer.error) throw new Error(`bench client: ${answer.error}`);
    return answer;
  }

  async stop(): Promise<void> {
    await this.writer.close().catch(() => {});
    await this.process.status;
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
}

// ---------------------------------------------------------------- the client process

/** A realtime-js 2.0.0 kind 3 frame. */
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

/** What a kind 4 frame carries: its event and JSON payload. */
function kind4(buffer: ArrayBuffer): { event: string; payload: Loose } | null {
  const bytes = new Uint8Array(buffer);
  if (bytes[0] !== 4) return null;
  const [, topicSize, eventSize, metaSize] = bytes;
  const event = new TextDecoder().decode(bytes.subarray(5 + topicSize, 5 + topicSize + eventSize));
  const payload = JSON.parse(new TextDecoder().decode(bytes.subarray(5 + topicSize + eventSize + metaSize)));
  return { event, payload };
}

async function openSocket(job: Loose, topic: string, isPrivate: boolean, onFrame: (data: Loose) => void) {
  const ws = new WebSocket(`${job.url.replace("http", "ws")}/realtime/v1/websocket?apikey=${job.apikey}&vsn=2.0.0`);
  ws.binaryType = "arraybuffer";
  const joined = new Promise<void>((resolve, reject) => {
    ws.onmessage = (e) => {
      if (typeof e.data === "string") {
        const m = JSON.parse(e.data);
        if (m[3] === "phx_reply" && m[1] === "1") {
          if (m[4].status === "ok") resolve();
          else reject(new Error(JSON.stringify(m[4])));
          return;
        }
      }
      onFrame(e.data);
    };
    ws.onerror = () => reject(new Error("socket error"));
  });
  await new Promise((resolve) => ws.onopen = resolve);
  ws.send(JSON.stringify(["1", "1", `realtime:${topic}`, "phx_join", {
    config: { private: isPrivate, broadcast: { self: false, ack: false } },
    access_token: job.token,
  }]));
  await joined;
  return ws;
}

if (import.meta.main && Deno.args[0] === "--client") {
  let sockets: WebSocket[] = [];
  let receipts: Record<string, number[]> = {};
  let counts: number[] = [];
  console.log("ready");
  for await (const line of lines(Deno.stdin.readable)) {
    const c = JSON.parse(line);
    try {
      if (c.cmd === "subscribe") {
        counts = [];
        const opened: Promise<WebSocket>[] = [];
        for (let i = 0; i < c.count; i++) {
          const index = i;
          counts.push(0);
          opened.push(openSocket(c, c.topic, c.private, (data) => {
            if (typeof data === "string") return;
            const t = now();
            const b = kind4(data);
            if (!b) return;
            if (b.event === "INSERT" && b.payload.table === "messages") (receipts[b.payload.record.id] ??= []).push(t);
            else counts[index]++;
          }));
          if (i % 50 === 49) await Promise.all(opened.slice(-50));
        }
        sockets.push(...await Promise.all(opened));
        console.log(JSON.stringify({ ok: true }));
      } else if (c.cmd === "report") {
        console.log(JSON.stringify({ receipts }));
        receipts = {};
      } else if (c.cmd === "flood") {
        const sender = await openSocket(c, c.topic, false, () => {});
        const start = now();
        for (let i = 0; i < c.n; i++) {
          sender.send(kind3("1", String(i + 2), `realtime:${c.topic}`, "tick", { i }));
          // let the socket write out now and then (the sender is a client like any other)
          if (i % 200 === 199) await new Promise((r) => setTimeout(r, 0));
        }
        const deadline = now() + 60_000;
        while (counts.some((n) => n < c.n) && now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const elapsed = (now() - start) / 1000;
        const lost = counts.reduce((sum, n) => sum + Math.max(0, c.n - n), 0);
        sender.close();
        console.log(JSON.stringify({ rate: c.n / elapsed, lost }));
      } else if (c.cmd === "close") {
        for (const ws of sockets) ws.close();
        sockets = [];
        await new Promise((r) => setTimeout(r, 500));
        console.log(JSON.stringify({ ok: true }));
      }
    } catch (e) {
      console.log(JSON.stringify({ error: (e as Error).message }));
    }
  }
  Deno.exit(0);
}
