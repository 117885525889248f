/**
 * The local Realtime server's pure parts: the frame codecs against realtime-js's own serializer
 * (both serializers, binary broadcasts), the postgres_changes filter parser, the record parser and
 * the wal2json-shaped changes given to realtime.apply_rls.
 */
import assert from "node:assert/strict";
// realtime-js itself is not in the import map (supabase-js brings it); its serializer is what clients run
// deno-lint-ignore no-import-prefix
import * as serializerModule from "npm:@supabase/realtime-js@2.109.0/dist/module/lib/serializer.js";
import {
  decodeFrame,
  encodeMessage,
  encodeReply,
  encodeUserBroadcast,
  jsonBytes,
} from "../../stack/realtime/protocol.ts";
import { bindingId, parseRecord, parseSubscriptionParams, walChange } from "../../stack/realtime/postgres-changes.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** realtime-js's serializer class (its module's default export). */
const Serializer = (serializerModule as Loose).default;

/** What realtime-js sends for a message (its encode is callback-style). */
function clientEncode(msg: Loose): string | ArrayBuffer {
  let out: string | ArrayBuffer = "";
  new Serializer().encode(msg, (r: string | ArrayBuffer) => out = r);
  return out;
}

/** What realtime-js makes of a frame from the server. */
function clientDecode(frame: string | Uint8Array): Loose {
  let out: Loose = null;
  const raw = typeof frame === "string" ? frame : frame.slice().buffer;
  new Serializer().decode(raw, (r: Loose) => out = r);
  return out;
}

Deno.test("realtime frames 2.0.0: JSON arrays in and out, refs kept exactly", () => {
  const join = clientEncode({ join_ref: "1", ref: "1", topic: "realtime:room", event: "phx_join", payload: { a: 1 } });
  assert.equal(typeof join, "string");
  assert.deepEqual(decodeFrame("2.0.0", join as string), {
    kind: "message",
    message: { joinRef: "1", ref: "1", topic: "realtime:room", event: "phx_join", payload: { a: 1 } },
  });
  const heartbeat = decodeFrame("2.0.0", JSON.stringify([null, "7", "phoenix", "heartbeat", {}]));
  assert.deepEqual(heartbeat, {
    kind: "message",
    message: { joinRef: null, ref: "7", topic: "phoenix", event: "heartbeat", payload: {} },
  });
  const reply = encodeReply("2.0.0", { joinRef: "3", ref: "12", topic: "realtime:room" }, "ok", { x: 1 });
  assert.equal(reply, '["3","12","realtime:room","phx_reply",{"status":"ok","response":{"x":1}}]');
  assert.deepEqual(clientDecode(reply), {
    join_ref: "3",
    ref: "12",
    topic: "realtime:room",
    event: "phx_reply",
    payload: { status: "ok", response: { x: 1 } },
  });
  assert.throws(() => decodeFrame("2.0.0", "{}"), /expected V2 array/);
  assert.throws(() => decodeFrame("2.0.0", "[1,2"), /invalid JSON/);
});

Deno.test("realtime frames 1.0.0: JSON objects in; out without join_ref (Phoenix's V1 fields)", () => {
  const m = decodeFrame(
    "1.0.0",
    JSON.stringify({ topic: "t", event: "e", payload: { p: 1 }, ref: "2", join_ref: "1" }),
  );
  assert.deepEqual(m, {
    kind: "message",
    message: { joinRef: "1", ref: "2", topic: "t", event: "e", payload: { p: 1 } },
  });
  assert.equal(
    encodeReply("1.0.0", { joinRef: "1", ref: "2", topic: "t" }, "error", { reason: "unmatched topic" }),
    '{"topic":"t","event":"phx_reply","payload":{"status":"error","response":{"reason":"unmatched topic"}},"ref":"2"}',
  );
  assert.equal(
    encodeMessage("1.0.0", { joinRef: "1", ref: null, topic: "t", event: "presence_state", payload: {} }),
    '{"topic":"t","event":"presence_state","payload":{},"ref":null}',
  );
  assert.throws(() => decodeFrame("1.0.0", "[1,2,3,4,5]"), /expected a map/);
  assert.throws(() => decodeFrame("1.0.0", new Uint8Array([3])), /2\.0\.0/);
});

Deno.test("realtime binary frames: realtime-js's kind 3 push decodes; kind 4 decodes in realtime-js", () => {
  const push = clientEncode({
    join_ref: "4",
    ref: "9",
    topic: "realtime:room",
    event: "broadcast",
    payload: { type: "broadcast", event: "cursor", payload: { x: 1, s: "é" } },
  });
  assert.ok(push instanceof ArrayBuffer);
  const decoded = decodeFrame("2.0.0", push as ArrayBuffer);
  assert.equal(decoded.kind, "broadcast");
  if (decoded.kind !== "broadcast") return;
  const { payload, ...rest } = decoded.push;
  assert.deepEqual(rest, {
    joinRef: "4",
    ref: "9",
    topic: "realtime:room",
    event: "cursor",
    metadata: null,
    encoding: "json",
  });
  assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { x: 1, s: "é" });

  // a binary payload stays bytes
  const bin = clientEncode({
    join_ref: "4",
    ref: "10",
    topic: "realtime:room",
    event: "broadcast",
    payload: { type: "broadcast", event: "blob", payload: new Uint8Array([0, 255, 7]).buffer },
  });
  const binary = decodeFrame("2.0.0", bin as ArrayBuffer);
  assert.ok(binary.kind === "broadcast" && binary.push.encoding === "binary");
  assert.deepEqual([...(binary as Loose).push.payload], [0, 255, 7]);

  // out: kind 4, with metadata (a database broadcast's id)
  const frame = encodeUserBroadcast("2.0.0", {
    topic: "realtime:chat:1",
    event: "INSERT",
    payload: jsonBytes({ record: { id: 1 } }),
    encoding: "json",
    metadata: { id: "m-1" },
  });
  assert.ok(frame instanceof Uint8Array && frame[0] === 4);
  assert.deepEqual(clientDecode(frame as Uint8Array), {
    join_ref: null,
    ref: null,
    topic: "realtime:chat:1",
    event: "broadcast",
    payload: { type: "broadcast", event: "INSERT", payload: { record: { id: 1 } }, meta: { id: "m-1" } },
  });
  // to a V1 client: the JSON broadcast; a binary payload cannot go there
  assert.deepEqual(
    JSON.parse(encodeUserBroadcast("1.0.0", {
      topic: "realtime:r",
      event: "e",
      payload: jsonBytes([1]),
      encoding: "json",
    }) as string),
    { topic: "realtime:r", event: "broadcast", payload: { event: "e", payload: [1], type: "broadcast" }, ref: null },
  );
  assert.equal(
    encodeUserBroadcast("1.0.0", { topic: "t", event: "e", payload: new Uint8Array([1]), encoding: "binary" }),
    null,
  );
  assert.throws(() => decodeFrame("2.0.0", new Uint8Array([4, 0, 0, 0, 0, 0, 1])), /kind 4/);
  assert.throws(() => decodeFrame("2.0.0", new Uint8Array([3, 9, 0, 0, 0, 0, 1, 65])), /truncated/);
});

Deno.test("postgres_changes filters are parsed as Realtime parses them", () => {
  assert.deepEqual(
    parseSubscriptionParams({ event: "*", schema: "public", table: "messages", filter: "chat_id=eq.abc" }),
    {
      action: "*",
      schema: "public",
      table: "messages",
      filters: [{ column: "chat_id", op: "eq", value: "abc", negate: false }],
      select: null,
    },
  );
  const ops = ["neq", "lt", "lte", "gt", "gte"].map((op) =>
    (parseSubscriptionParams({ event: "INSERT", schema: "public", table: "t", filter: `n=${op}.5` }) as Loose)
      .filters[0].op
  );
  assert.deepEqual(ops, ["neq", "lt", "lte", "gt", "gte"]);
  assert.deepEqual(
    parseSubscriptionParams({ event: "update", schema: "s", table: "t", filter: "k=in.(a,b),n=not.gt.3" }) as Loose,
    {
      action: "UPDATE",
      schema: "s",
      table: "t",
      filters: [{ column: "k", op: "in", value: "{a,b}", negate: false }, {
        column: "n",
        op: "gt",
        value: "3",
        negate: true,
      }],
      select: null,
    },
  );
  assert.deepEqual((parseSubscriptionParams({ schema: "s", table: "t", filter: 'name=eq."a,b"' }) as Loose).filters, [
    { column: "name", op: "eq", value: "a,b", negate: false },
  ]);
  assert.deepEqual(parseSubscriptionParams({ schema: "public" }), {
    action: "*",
    schema: "public",
    table: "*",
    filters: [],
    select: null,
  });
  assert.deepEqual(parseSubscriptionParams({ schema: "s", table: "t", filter: "a=foo.1" }), {
    error: 'Error parsing `filter` params: ["foo","1"]',
  });
  assert.match((parseSubscriptionParams({ schema: "s", table: "t", filter: "a=in.1" }) as Loose).error, /parentheses/);
  assert.match((parseSubscriptionParams({}) as Loose).error, /^No subscription params provided/);
  assert.equal(bindingId({ event: "*", schema: "public" }), bindingId({ schema: "public", event: "*" }));
  assert.notEqual(bindingId({ event: "*", schema: "public" }), bindingId({ event: "INSERT", schema: "public" }));
});

Deno.test("rows' text form is read back field by field", () => {
  assert.deepEqual(parseRecord(`(1,"a b",,"","say ""hi""","back\\\\slash","{1,2}")`), [
    "1",
    "a b",
    null,
    "",
    'say "hi"',
    "back\\slash",
    "{1,2}",
  ]);
  assert.deepEqual(parseRecord("()"), []);
  assert.deepEqual(parseRecord("(,)"), [null, null]);
  assert.throws(() => parseRecord('(1,"open'));
});

Deno.test("changes take wal2json's format 2 shape: identity per replica identity", () => {
  const rel = {
    schema: "public",
    table: "notes",
    identity: "d",
    columns: [
      { name: "id", type: "bigint", typeoid: 20, pk: true, ident: false },
      { name: "body", type: "text", typeoid: 25, pk: false, ident: false },
    ],
  };
  const insert = walChange(rel, "I", "(1,hello)", null, "2024-01-01 00:00:00+00")!;
  assert.deepEqual(insert, {
    action: "I",
    timestamp: "2024-01-01 00:00:00+00",
    schema: "public",
    table: "notes",
    columns: [
      { name: "id", type: "bigint", typeoid: 20, value: "1" },
      { name: "body", type: "text", typeoid: 25, value: "hello" },
    ],
    pk: [{ name: "id", type: "bigint", typeoid: 20 }],
  });
  assert.equal(walChange(rel, "U", "(1,new)", "(1,old)", "t")!.identity, undefined, "key unchanged: no old row");
  assert.deepEqual(walChange(rel, "U", "(2,new)", "(1,old)", "t")!.identity, [
    { name: "id", type: "bigint", typeoid: 20, value: "1" },
  ]);
  const del = walChange(rel, "D", null, "(1,old)", "t")!;
  assert.deepEqual([del.columns, del.identity], [undefined, [{ name: "id", type: "bigint", typeoid: 20, value: "1" }]]);
  assert.equal((walChange({ ...rel, identity: "f" }, "U", "(1,new)", "(1,old)", "t")!.identity as Loose[]).length, 2);
  assert.equal(walChange(rel, "I", "(1,a,extra)", null, "t"), null, "a row that does not fit its table");
});
