/**
 * Phoenix channel frames as Supabase Realtime speaks them (supabase/realtime
 * `lib/realtime_web/socket/v2_serializer.ex`, Phoenix's V1 JSON serializer; realtime-js
 * `lib/serializer.ts` on the other side).
 *
 * - `2.0.0` (realtime-js's default): text frames are JSON arrays `[join_ref, ref, topic, event,
 *   payload]`. A client's broadcast arrives as a binary "user broadcast push" (kind 3):
 *   `3, join_ref size, ref size, topic size, user event size, metadata size, payload encoding
 *   (0 binary, 1 JSON), join_ref, ref, topic, user event, metadata, payload`. Broadcasts go out as
 *   binary "user broadcasts" (kind 4): `4, topic size, user event size, metadata size, payload
 *   encoding, topic, user event, metadata, payload`, which realtime-js turns into
 *   `{type: "broadcast", event, payload, meta?}`.
 * - `1.0.0`: JSON objects `{topic, event, payload, ref, join_ref}` in; out, Phoenix's V1 fields only
 *   (`topic, event, payload, ref`: no join_ref). A broadcast whose payload is binary cannot be sent
 *   to a V1 client.
 */

export type Vsn = "1.0.0" | "2.0.0";

export const VSNS: readonly Vsn[] = ["1.0.0", "2.0.0"];

/** A Phoenix message (in or out). */
export interface Message {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** A broadcast's content as the server passes it on: what realtime-js calls a user broadcast. */
export interface UserBroadcast {
  /** The channel's topic as the client joined it (`realtime:<name>`). */
  topic: string;
  /** The broadcast's own event name (`payload.event` on the client). */
  event: string;
  /** The payload as bytes: JSON text when `encoding` is "json". */
  payload: Uint8Array;
  encoding: "json" | "binary";
  /** Optional metadata (e.g. `{id}` of a database broadcast), sent as JSON. */
  metadata?: Record<string, unknown> | null;
}

/** A kind 3 frame: a client's broadcast, with its refs. */
export interface UserBroadcastPush extends UserBroadcast {
  joinRef: string | null;
  ref: string | null;
}

export type Incoming =
  | { kind: "message"; message: Message }
  | { kind: "broadcast"; push: UserBroadcastPush };

export class ProtocolError extends Error {}

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Decodes one frame from a client; throws ProtocolError when it is not a valid frame. */
export function decodeFrame(vsn: Vsn, data: string | ArrayBuffer | Uint8Array): Incoming {
  if (typeof data !== "string") {
    if (vsn !== "2.0.0") throw new ProtocolError("binary frames need serializer 2.0.0");
    return {
      kind: "broadcast",
      push: decodeUserBroadcastPush(data instanceof Uint8Array ? data : new Uint8Array(data)),
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (e) {
    throw new ProtocolError(`invalid JSON: ${(e as Error).message}`);
  }
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length < 5) throw new ProtocolError("expected V2 array");
    const [joinRef, ref, topic, event, payload] = parsed;
    return { kind: "message", message: checked({ joinRef, ref, topic, event, payload }) };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ProtocolError("V1 JSON Serializer expected a map");
  }
  const o = parsed as Record<string, unknown>;
  return {
    kind: "message",
    message: checked({
      joinRef: o.join_ref ?? null,
      ref: o.ref ?? null,
      topic: o.topic,
      event: o.event,
      payload: o.payload,
    }),
  };
}

function checked(m: { joinRef: unknown; ref: unknown; topic: unknown; event: unknown; payload: unknown }): Message {
  if (typeof m.topic !== "string" || typeof m.event !== "string") {
    throw new ProtocolError("topic and event must be strings");
  }
  const ref = (v: unknown) => v === null || v === undefined ? null : String(v);
  return { joinRef: ref(m.joinRef), ref: ref(m.ref), topic: m.topic, event: m.event, payload: m.payload ?? {} };
}

function decodeUserBroadcastPush(bytes: Uint8Array): UserBroadcastPush {
  if (bytes.length < 7) throw new ProtocolError("binary frame too short");
  if (bytes[0] !== USER_BROADCAST_PUSH) throw new ProtocolError(`unexpected binary frame kind ${bytes[0]}`);
  const sizes = [bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]];
  const encoding = bytes[6];
  let offset = 7;
  const take = (n: number) => {
    if (offset + n > bytes.length) throw new ProtocolError("binary frame truncated");
    const part = bytes.subarray(offset, offset + n);
    offset += n;
    return part;
  };
  const text = (part: Uint8Array) => {
    try {
      return decoder.decode(part);
    } catch {
      throw new ProtocolError("binary frame header is not UTF-8");
    }
  };
  const [joinRef, ref, topic, event, meta] = sizes.map((n) => text(take(n)));
  let metadata: Record<string, unknown> | null = null;
  if (meta !== "") {
    try {
      metadata = JSON.parse(meta);
    } catch {
      throw new ProtocolError("binary frame metadata is not JSON");
    }
  }
  if (encoding !== 0 && encoding !== 1) throw new ProtocolError(`unknown payload encoding ${encoding}`);
  return {
    joinRef: joinRef === "" ? null : joinRef,
    ref: ref === "" ? null : ref,
    topic,
    event,
    metadata,
    encoding: encoding === 1 ? "json" : "binary",
    payload: bytes.slice(offset),
  };
}

/** A message from the server (a push, a broadcast, phx_close…). */
export function encodeMessage(vsn: Vsn, m: Message): string {
  if (vsn === "2.0.0") return JSON.stringify([m.joinRef, m.ref, m.topic, m.event, m.payload]);
  return JSON.stringify({ topic: m.topic, event: m.event, payload: m.payload, ref: m.ref });
}

/** A `phx_reply` to the message with these refs. */
export function encodeReply(
  vsn: Vsn,
  to: { joinRef: string | null; ref: string | null; topic: string },
  status: "ok" | "error",
  response: unknown = {},
): string {
  return encodeMessage(vsn, {
    joinRef: to.joinRef,
    ref: to.ref,
    topic: to.topic,
    event: "phx_reply",
    payload: { status, response },
  });
}

/**
 * A broadcast to a client: kind 4 binary for 2.0.0 (JSON when the topic or event is too long for
 * the binary header); for 1.0.0 the JSON broadcast `{type, event, payload, meta?}`, or null when the
 * payload is binary (V1 clients cannot receive it).
 */
export function encodeUserBroadcast(vsn: Vsn, b: UserBroadcast): string | Uint8Array | null {
  const topic = encoder.encode(b.topic);
  const event = encoder.encode(b.event);
  const meta = b.metadata ? encoder.encode(JSON.stringify(b.metadata)) : new Uint8Array(0);
  if (vsn === "2.0.0" && topic.length <= 255 && event.length <= 255 && meta.length <= 255) {
    const frame = new Uint8Array(5 + topic.length + event.length + meta.length + b.payload.length);
    frame.set([USER_BROADCAST, topic.length, event.length, meta.length, b.encoding === "json" ? 1 : 0]);
    let offset = 5;
    for (const part of [topic, event, meta, b.payload]) {
      frame.set(part, offset);
      offset += part.length;
    }
    return frame;
  }
  if (b.encoding !== "json") return null;
  const payload: Record<string, unknown> = {
    event: b.event,
    payload: JSON.parse(new TextDecoder().decode(b.payload)),
    type: "broadcast",
  };
  if (b.metadata) payload.meta = b.metadata;
  return encodeMessage(vsn, { joinRef: null, ref: null, topic: b.topic, event: "broadcast", payload });
}

/** The JSON text of a value, as the bytes of a user broadcast's payload. */
export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}
