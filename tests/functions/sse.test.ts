/**
 * functions/_shared/sse.ts and background.ts: event framing, keep-alive comments, errors as
 * `error` events, and a client that disconnects: detected (signal, `send` false) while the work
 * runs on to its end. Over a real HTTP server (Deno.serve) where the connection matters.
 */
import assert from "node:assert/strict";
import { settled, waitUntil } from "../../functions/_shared/background.ts";
import { HttpError } from "../../functions/_shared/errors.ts";
import { createSse, formatEvent, sseResponse, type SseWriter } from "../../functions/_shared/sse.ts";
import { quiet } from "../helpers/console.ts";
import { collectSse, readSse } from "../helpers/sse.ts";

Deno.test("sse: framing is event:, id:, then one data: line of JSON and a blank line", () => {
  assert.equal(formatEvent("delta", { text: "a\nb" }), 'event: delta\ndata: {"text":"a\\nb"}\n\n');
  assert.equal(formatEvent(null, [1, 2], { id: "7" }), "id: 7\ndata: [1,2]\n\n");
  assert.equal(formatEvent("done", undefined), "event: done\ndata: null\n\n");
  assert.equal(formatEvent("x", "\u2028 line separator"), 'event: x\ndata: "\u2028 line separator"\n\n');
  assert.throws(() => formatEvent("bad\nname", {}), TypeError);
  assert.throws(() => formatEvent("", {}), TypeError);
  assert.throws(() => formatEvent("ok", {}, { id: "a\rb" }), TypeError);
});

Deno.test("sse: a stream of events and comments, its headers, and close", async () => {
  const { response, sse } = createSse({ keepAliveMs: 0, headers: { "X-Chat": "1" } });
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.equal(response.headers.get("x-chat"), "1");
  assert.ok(sse.send("message_start", { id: "m1" }, { id: "1" }));
  assert.ok(sse.comment("thinking\nhard"));
  assert.ok(sse.send(null, "plain"));
  sse.close();
  sse.close();
  assert.equal(sse.closed, true);
  assert.equal(sse.disconnected, false);
  assert.equal(sse.send("late", {}), false, "nothing is written after close");
  const items = [];
  for await (const item of readSse(response.body!)) items.push(item);
  assert.deepEqual(items.map((i) => (i.type === "event" ? [i.event, i.json(), i.id] : ["comment", i.text])), [
    ["message_start", { id: "m1" }, "1"],
    ["comment", "thinking hard"],
    ["message", "plain", "1"],
  ]);
});

Deno.test("sse: keep-alive comments while the work is quiet", async () => {
  const { response, sse } = createSse({ keepAliveMs: 20 });
  setTimeout(() => sse.close(), 130);
  const text = await response.text();
  const pings = text.split(": ping\n\n").length - 1;
  assert.ok(pings >= 3, `${pings} pings in ${JSON.stringify(text)}`);
});

Deno.test("sse: sseResponse runs the work and closes; a thrown error becomes an error event", async () => {
  const ok = await collectSse(sseResponse(async (sse) => {
    sse.send("delta", { text: "Hel" });
    await new Promise((r) => setTimeout(r, 5));
    sse.send("delta", { text: "lo" });
    sse.send("done", { usage: { output_tokens: 2 } });
  }, { keepAliveMs: 0 }));
  assert.deepEqual(ok.map((e) => [e.event, e.json()]), [
    ["delta", { text: "Hel" }],
    ["delta", { text: "lo" }],
    ["done", { usage: { output_tokens: 2 } }],
  ]);

  const { value: userError } = await quiet(() =>
    collectSse(sseResponse(async (sse) => {
      sse.send("delta", { text: "…" });
      await Promise.resolve();
      throw new HttpError(503, "The model provider is not configured", { code: "PROVIDER_NOT_CONFIGURED" });
    }, { keepAliveMs: 0 }))
  );
  assert.deepEqual(userError.map((e) => [e.event, e.json()]).at(-1), [
    "error",
    { error: "The model provider is not configured", code: "PROVIDER_NOT_CONFIGURED" },
  ]);

  const { value: bug, logged } = await quiet(async () =>
    await collectSse(sseResponse(async () => {
      await Promise.resolve();
      throw new Error("secret stack detail");
    }, { keepAliveMs: 0 }))
  );
  assert.deepEqual(bug.map((e) => [e.event, e.json()]), [["error", { error: "Internal error" }]]);
  assert.match(logged.join("\n"), /secret stack detail/);
  await settled();
});

Deno.test("sse: a client that disconnects is detected, and the work still runs to its end", async () => {
  const progress: { step: number; sent: boolean; disconnected: boolean; aborted: boolean }[] = [];
  let finished!: () => void;
  const done = new Promise<void>((r) => finished = r);
  let writer!: SseWriter;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    sseResponse(async (sse) => {
      writer = sse;
      for (let step = 0; step < 8; step++) {
        const sent = sse.send("delta", { step });
        progress.push({ step, sent, disconnected: sse.disconnected, aborted: sse.signal.aborted });
        await new Promise((r) => setTimeout(r, 25));
      }
      finished(); // e.g. the assistant message stored
    }, { keepAliveMs: 0 }));
  try {
    const client = new AbortController();
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`, { signal: client.signal });
    const reader = readSse(res.body!)[Symbol.asyncIterator]();
    const first = await reader.next();
    assert.equal(first.value?.type === "event" && first.value.json().step, 0);
    client.abort();
    await done;
    assert.equal(progress.length, 8, "every step ran");
    assert.ok(progress[0].sent);
    const last = progress.at(-1)!;
    assert.deepEqual(last, { step: 7, sent: false, disconnected: true, aborted: true });
    assert.equal(writer.closed, true);
    assert.equal(writer.disconnected, true);
    await settled();
  } finally {
    await server.shutdown();
  }
});

Deno.test("background: waitUntil hands work to EdgeRuntime when there is one, logs failures, settled waits", async () => {
  const handed: Promise<unknown>[] = [];
  const g = globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } };
  g.EdgeRuntime = { waitUntil: (p) => void handed.push(p) };
  try {
    let ran = false;
    const work = waitUntil(new Promise<number>((r) => setTimeout(() => (ran = true, r(42)), 10)));
    assert.equal(handed.length, 1);
    const { logged } = await quiet(async () => {
      waitUntil(Promise.reject(new Error("lost write")));
      await settled();
    });
    assert.equal(ran, true, "settled waited for the work");
    assert.equal(await work, 42, "the work's own promise is returned");
    assert.match(logged.join("\n"), /background work failed: Error: lost write/);
  } finally {
    delete g.EdgeRuntime;
  }
});
