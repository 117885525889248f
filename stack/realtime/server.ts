/**
 * The local Realtime server: Supabase Realtime's protocol for supabase-js channels
 * (`supabase.channel(...)`), served by the gateway at `/realtime/v1/websocket` on its port.
 * Read from supabase/realtime (`lib/realtime_web/channels/realtime_channel.ex` and its handlers)
 * and realtime-js.
 *
 * - Socket: Phoenix channels over a WebSocket, serializer `vsn=2.0.0` or `1.0.0` (protocol.ts);
 *   heartbeats on `phoenix`; `phx_join`, `phx_leave` (→ `phx_close`); a message for a topic that
 *   is not joined (or not `realtime:<name>`) gets the error reply `unmatched topic`.
 * - Join: `config.{broadcast {self, ack}, presence {key, enabled}, postgres_changes, private}` and
 *   `access_token` (else the apikey), verified with the project's JWT secret; `role` and `exp` are
 *   required. Private channels are authorised by RLS on realtime.messages (authorization.ts). The
 *   reply echoes the postgres_changes bindings in order, each with its id.
 * - Broadcast: between clients of a topic (self, ack; a private channel needs write access, checked
 *   once per token), and from the database (capture.ts): each row inserted into realtime.messages
 *   reaches the channels of its topic, private or public as the row says, that may read it.
 * - Presence (presence.ts): track, untrack, `presence_state` after the join, `presence_diff` to
 *   every member, untracked when a channel or its socket closes.
 * - Postgres changes (postgres-changes.ts): realtime.subscription rows per binding, realtime.apply_rls
 *   per change; `system` "Subscribed to PostgreSQL" once subscribed.
 * - Tokens: an `access_token` message re-authorises the channel (a private channel whose read
 *   access was withdrawn is closed); a token that expires closes the channel with a `system`
 *   message, as Supabase does.
 * - A slow client: messages are queued per socket (sending never waits); one whose queue stays over
 *   `maxBufferedBytes` for a second is disconnected (realtime-js then
 *   reconnects and joins again), without holding back anyone else.
 */
import { type Db, serverDb } from "../db/client.ts";
import type { Engine } from "../db/engine.ts";
import { decodeJwt, type JwtClaims, JwtError, type JwtVerifier } from "../gateway/jwt.ts";
import {
  type AuthorizationContext,
  emptyPolicies,
  type Extension,
  type Policies,
  PolicyError,
  readPolicies,
  writePolicies,
} from "./authorization.ts";
import { Capture, type QueuedRow } from "./capture.ts";
import { PresenceTopic } from "./presence.ts";
import {
  applyRls,
  bindingId,
  changeData,
  type ChangeParams,
  parseSubscriptionParams,
  readRelation,
  type Relation,
  type RlsResult,
  subscribe,
  type SubscriptionParams,
  unsubscribe,
  walChange,
} from "./postgres-changes.ts";
import {
  decodeFrame,
  encodeMessage,
  encodeReply,
  encodeUserBroadcast,
  type Message,
  ProtocolError,
  type UserBroadcast,
  type Vsn,
  VSNS,
} from "./protocol.ts";

export interface RealtimeOptions {
  engine: Engine;
  verifier: JwtVerifier;
  log?: (line: string) => void;
  /** A socket whose unsent messages stay over this for a second is disconnected (default 16 MiB). */
  maxBufferedBytes?: number;
  /** Largest broadcast or track payload (default 3,000 KB, Supabase's default). */
  maxPayloadBytes?: number;
}

export interface Realtime {
  /** Answers a request for /realtime/v1/* (the apikey was checked by the gateway). */
  handle(req: Request, url: URL): Response;
  /** Open WebSocket connections. */
  readonly connections: number;
  readonly capture: Capture;
  stop(): Promise<void>;
}

/** Supabase Realtime checks the token every five minutes, and when it expires. */
const CONFIRM_TOKEN_MS = 5 * 60 * 1000;

interface Binding {
  id: number;
  subscriptionId: string;
  params: ChangeParams;
  parsed: SubscriptionParams | { error: string };
}

class Socket {
  readonly channels = new Map<string, Channel>();
  private queue: Promise<void> = Promise.resolve();
  closed = false;
  /** Its queue was over the limit at the last check. */
  over = false;
  /** Set by the server: forget the socket (its channels close). */
  onGone: () => void = () => {};

  constructor(
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    readonly headers: Record<string, string>,
    readonly apikey: string,
    private readonly maxBuffered: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs the socket's messages one at a time, in order (as a Phoenix socket process does). */
  serial(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((e) => this.log(`realtime: ${(e as Error).stack ?? e}`));
  }

  send(frame: string | Uint8Array): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame);
  }

  /**
   * Called every second: a queue over the limit at two checks in a row means a slow client (one
   * delivery can pass it for a moment: a batch is sent at once).
   */
  check(): void {
    if (this.closed) return;
    const over = this.ws.bufferedAmount > this.maxBuffered;
    if (over && this.over) this.drop();
    this.over = over;
  }

  private drop(): void {
    this.log(`realtime: a client reads too slowly (${this.ws.bufferedAmount} bytes queued): disconnecting it`);
    this.closed = true;
    // it will not read the closing handshake either: forget it now
    this.onGone();
    try {
      this.ws.close(1013, "too slow: messages were piling up");
    } catch { /* already closing */ }
  }

  reply(to: Pick<Message, "joinRef" | "ref" | "topic">, status: "ok" | "error", response: unknown = {}): void {
    this.send(encodeReply(this.vsn, to, status, response));
  }
}

class Channel {
  closed = false;
  policies: Policies | null = null;
  bindings: Binding[] = [];
  confirmTimer: ReturnType<typeof setTimeout> | undefined;
  tracked = false;

  constructor(
    readonly socket: Socket,
    readonly topic: string,
    readonly subTopic: string,
    readonly joinRef: string | null,
    readonly isPrivate: boolean,
    readonly selfBroadcast: boolean,
    readonly ack: boolean,
    readonly presenceKey: string,
    public presenceEnabled: boolean,
    public token: string,
    public claims: JwtClaims,
    public ctx: AuthorizationContext,
  ) {}

  get tenantTopic(): string {
    return `${this.isPrivate ? "private" : "public"}:${this.subTopic}`;
  }

  canReadBroadcast(): boolean {
    return !this.isPrivate || this.policies?.broadcast.read === true;
  }

  canReadPresence(): boolean {
    return !this.isPrivate || this.policies?.presence.read === true;
  }

  push(event: string, payload: unknown): void {
    this.socket.send(
      encodeMessage(this.socket.vsn, { joinRef: this.joinRef, ref: null, topic: this.topic, event, payload }),
    );
  }

  system(extension: string, status: "ok" | "error", message: string): void {
    this.push("system", { extension, status, message, channel: this.subTopic });
  }
}

/** A join refused: the reply's reason, e.g. "Unauthorized: …". */
class JoinError extends Error {}

function flag(value: unknown, fallback = false): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && ["true", "false"].includes(value.toLowerCase())) {
    return value.toLowerCase() === "true";
  }
  return fallback;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

export async function startRealtime(options: RealtimeOptions): Promise<Realtime> {
  const log = options.log ?? (() => {});
  const { engine, verifier } = options;
  const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
  const maxPayload = options.maxPayloadBytes ?? 3000 * 1024;
  // PGlite: its one backend. Native: connections of our own.
  const ownDb = engine.kind === "native" ? serverDb(engine.url, { max: 4, applicationName: "parley-realtime" }) : null;
  const db: Db = ownDb ?? engine.db;

  const sockets = new Set<Socket>();
  /** tenant topic → channels joined to it */
  const topics = new Map<string, Set<Channel>>();
  const presences = new Map<string, PresenceTopic>();
  /** realtime.subscription's subscription_id → the channel and binding */
  const subscriptions = new Map<string, { channel: Channel; binding: Binding }>();
  const relations = new Map<number, Relation>();

  // ---------------------------------------------------------------- tokens

  /** The claims of a channel's token, or the join error Realtime gives. */
  async function verifyToken(token: string): Promise<JwtClaims> {
    let claims: JwtClaims;
    try {
      claims = await verifier.verify(token.replace(/\s/g, ""));
    } catch (e) {
      if (!(e instanceof JwtError)) throw e;
      if (e.problem === "expired") {
        const exp = Number(decodeJwt(token).exp);
        throw new JoinError(
          `InvalidJWTToken: Token has expired ${Math.max(0, Math.floor(Date.now() / 1000 - exp))} seconds ago`,
        );
      }
      if (e.problem === "malformed") throw new JoinError("MalformedJWT: The token provided is not a valid JWT");
      throw new JoinError("JwtSignatureError: Failed to validate JWT signature");
    }
    if (typeof claims.role !== "string" || typeof claims.exp !== "number") {
      throw new JoinError("InvalidJWTToken: Fields `role` and `exp` are required in JWT");
    }
    return claims;
  }

  function contextOf(socket: Socket, subTopic: string, claims: JwtClaims): AuthorizationContext {
    return {
      topic: subTopic,
      role: String(claims.role),
      sub: typeof claims.sub === "string" ? claims.sub : null,
      claims,
      headers: socket.headers,
    };
  }

  /** Checks the token again when it expires (or in five minutes); an expired one closes the channel. */
  function scheduleConfirm(channel: Channel): void {
    clearTimeout(channel.confirmTimer);
    const exp = Number(channel.claims.exp) * 1000;
    const wait = Math.max(0, Math.min(CONFIRM_TOKEN_MS, exp - Date.now()));
    channel.confirmTimer = setTimeout(() => {
      channel.socket.serial(async () => {
        if (channel.closed) return;
        try {
          channel.claims = await verifyToken(channel.token);
          scheduleConfirm(channel);
        } catch (e) {
          if (!(e instanceof JoinError)) throw e;
          shutdown(channel, e.message.replace(/^InvalidJWTToken: /, ""));
        }
      });
    }, wait + 50);
  }

  // ---------------------------------------------------------------- authorisation

  async function authorizeRead(
    channel: Pick<Channel, "ctx" | "presenceEnabled">,
    policies: Policies,
  ): Promise<Policies> {
    const extensions: Extension[] = channel.presenceEnabled ? ["broadcast", "presence"] : ["broadcast"];
    try {
      return await readPolicies(db, channel.ctx, policies, extensions);
    } catch (e) {
      if (e instanceof PolicyError) {
        log(`realtime: RlsPolicyError: ${e.message}`);
        return {
          ...policies,
          broadcast: { ...policies.broadcast, read: false },
          presence: { ...policies.presence, read: false },
        };
      }
      throw new JoinError("UnableToConnectToProject: Realtime was unable to connect to the project database");
    }
  }

  // ---------------------------------------------------------------- join

  async function join(socket: Socket, m: Message): Promise<void> {
    const existing = socket.channels.get(m.topic);
    if (existing) {
      // a duplicate join closes the channel first (Phoenix)
      close(existing, true);
    }
    if (!m.topic.startsWith("realtime:")) {
      socket.reply({ joinRef: null, ref: m.ref, topic: m.topic }, "error", { reason: "unmatched topic" });
      return;
    }
    const subTopic = m.topic.slice("realtime:".length);
    try {
      if (subTopic === "") throw new JoinError("TopicNameRequired: You must provide a topic name");
      const payload = record(m.payload);
      const config = record(payload.config);
      const broadcast = record(config.broadcast);
      const presence = record(config.presence);
      const isPrivate = flag(config.private);
      const key = presence.key === undefined || presence.key === null || presence.key === ""
        ? crypto.randomUUID()
        : String(presence.key);
      const given = typeof payload.access_token === "string"
        ? payload.access_token
        : typeof payload.user_token === "string"
        ? payload.user_token
        : null;
      const token = given && !given.startsWith("sb_") ? given : socket.apikey;
      const claims = await verifyToken(token);
      const channel = new Channel(
        socket,
        m.topic,
        subTopic,
        m.joinRef,
        isPrivate,
        flag(broadcast.self),
        flag(broadcast.ack),
        key,
        flag(presence.enabled),
        token,
        claims,
        contextOf(socket, subTopic, claims),
      );
      if (isPrivate) {
        channel.policies = await authorizeRead(channel, emptyPolicies());
        if (!channel.policies.broadcast.read && !channel.policies.presence.read) {
          throw new JoinError(`Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`);
        }
      }
      const changes = Array.isArray(config.postgres_changes)
        ? (config.postgres_changes as unknown[]).filter((p) => p !== null).map(record) as ChangeParams[]
        : [];
      channel.bindings = changes.map((params) => ({
        id: bindingId(params),
        subscriptionId: crypto.randomUUID(),
        params,
        parsed: parseSubscriptionParams(params),
      }));
      // joined: from now on it receives what its topic gets
      socket.channels.set(m.topic, channel);
      let members = topics.get(channel.tenantTopic);
      if (!members) topics.set(channel.tenantTopic, members = new Set());
      members.add(channel);
      for (const b of channel.bindings) subscriptions.set(b.subscriptionId, { channel, binding: b });
      socket.reply(m, "ok", { postgres_changes: channel.bindings.map((b) => ({ ...b.params, id: b.id })) });
      scheduleConfirm(channel);
      if (channel.presenceEnabled && channel.canReadPresence()) {
        channel.push("presence_state", presences.get(channel.tenantTopic)?.state() ?? {});
      }
      if (channel.bindings.length) await subscribeChanges(channel);
    } catch (e) {
      if (!(e instanceof JoinError)) {
        log(`realtime: join ${m.topic}: ${(e as Error).stack ?? e}`);
        socket.reply(m, "error", { reason: "UnknownErrorOnChannel: Unknown Error on Channel" });
        return;
      }
      socket.reply(m, "error", { reason: e.message });
    }
  }

  /** Records the channel's bindings in realtime.subscription; tells the client as Realtime does. */
  async function subscribeChanges(channel: Channel): Promise<void> {
    try {
      await capture.syncTables();
      for (const b of channel.bindings) {
        if ("error" in b.parsed) throw new Error(b.parsed.error);
        const rows = await subscribe(db, b.subscriptionId, b.parsed, channel.claims);
        if (rows === 0) {
          throw new Error(
            `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [${
              describeParams(b.parsed)
            }]`,
          );
        }
      }
      if (!channel.closed) channel.system("postgres_changes", "ok", "Subscribed to PostgreSQL");
    } catch (e) {
      const message = (e as Error).message;
      const text = message.startsWith("Unable to subscribe") || message.startsWith("Error parsing") ||
          message.startsWith("No subscription params") || message.startsWith("Column selection")
        ? message
        : `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${
          channel.bindings.map((b) => "error" in b.parsed ? "" : describeParams(b.parsed)).join("; ")
        }]. Exception: ${message}`;
      if (!channel.closed) channel.system("postgres_changes", "error", text);
    }
  }

  function describeParams(p: SubscriptionParams): string {
    const filters = p.filters.map((f) =>
      `{${JSON.stringify(f.column)}, ${JSON.stringify(f.op)}, ${JSON.stringify(f.value)}}`
    );
    return `event: ${p.action}, schema: ${p.schema}, table: ${p.table}, filters: [${filters.join(", ")}]`;
  }

  // ---------------------------------------------------------------- leaving

  /** Closes a channel: untracks its presence, drops its subscriptions; `phx_close` when told to. */
  function close(channel: Channel, sendClose: boolean): void {
    if (channel.closed) return;
    channel.closed = true;
    clearTimeout(channel.confirmTimer);
    const { socket } = channel;
    if (socket.channels.get(channel.topic) === channel) socket.channels.delete(channel.topic);
    const members = topics.get(channel.tenantTopic);
    members?.delete(channel);
    if (members?.size === 0) topics.delete(channel.tenantTopic);
    untrack(channel);
    const ids = channel.bindings.map((b) => b.subscriptionId);
    for (const id of ids) subscriptions.delete(id);
    if (ids.length) unsubscribe(db, ids).catch((e) => log(`realtime: unsubscribe: ${(e as Error).message}`));
    if (sendClose) {
      socket.send(encodeMessage(socket.vsn, {
        joinRef: channel.joinRef,
        ref: channel.joinRef,
        topic: channel.topic,
        event: "phx_close",
        payload: {},
      }));
    }
  }

  /** Realtime's shutdown_response: a `system` error message, then the channel closes. */
  function shutdown(channel: Channel, message: string): void {
    channel.system("system", "error", message);
    close(channel, true);
  }

  // ---------------------------------------------------------------- broadcast

  type Outgoing = { kind: "user"; broadcast: UserBroadcast } | { kind: "json"; topic: string; payload: unknown };

  /** Sends a broadcast to the channels of a tenant topic that may read it, encoding once per serializer. */
  function fanOut(tenantTopic: string, out: Outgoing, except: Channel | null): number {
    const members = topics.get(tenantTopic);
    if (!members) return 0;
    const cache = new Map<Vsn, string | Uint8Array | null>();
    let sent = 0;
    for (const channel of members) {
      if (channel === except || !channel.canReadBroadcast()) continue;
      const vsn = channel.socket.vsn;
      let frame = cache.get(vsn);
      if (frame === undefined) {
        frame = out.kind === "user" ? encodeUserBroadcast(vsn, out.broadcast) : encodeMessage(vsn, {
          joinRef: null,
          ref: null,
          topic: out.topic,
          event: "broadcast",
          payload: out.payload,
        });
        cache.set(vsn, frame);
      }
      if (frame === null) continue;
      channel.socket.send(frame);
      sent++;
    }
    return sent;
  }

  async function ensureWrite(channel: Channel): Promise<Policies | null> {
    if (!channel.isPrivate) return null;
    if (channel.policies && channel.policies.broadcast.write !== null) return channel.policies;
    try {
      channel.policies = await writePolicies(db, channel.ctx, channel.policies ?? emptyPolicies(), [
        "broadcast",
        "presence",
      ]);
    } catch (e) {
      log(`realtime: ${e instanceof PolicyError ? "RlsPolicyError" : "UnableToSetPolicies"}: ${(e as Error).message}`);
      return null;
    }
    return channel.policies;
  }

  async function clientBroadcast(
    channel: Channel,
    m: Pick<Message, "joinRef" | "ref" | "topic">,
    out: Outgoing,
    size: number,
  ) {
    if (channel.isPrivate) {
      const policies = await ensureWrite(channel);
      if (!policies?.broadcast.write) return; // as Realtime: no reply, nothing sent
    }
    if (size > maxPayload) {
      if (channel.ack) channel.socket.reply(m, "error", { reason: "payload_size_exceeded" });
      return;
    }
    fanOut(channel.tenantTopic, out, channel.selfBroadcast ? null : channel);
    if (channel.ack) channel.socket.reply(m, "ok", {});
  }

  // ---------------------------------------------------------------- presence

  function presenceDiff(tenantTopic: string, diff: unknown, topic: string): void {
    const members = topics.get(tenantTopic);
    if (!members) return;
    const cache = new Map<Vsn, string>();
    for (const channel of members) {
      if (!channel.canReadPresence()) continue;
      const vsn = channel.socket.vsn;
      let frame = cache.get(vsn);
      if (frame === undefined) {
        frame = encodeMessage(vsn, { joinRef: null, ref: null, topic, event: "presence_diff", payload: diff });
        cache.set(vsn, frame);
      }
      channel.socket.send(frame);
    }
  }

  function untrack(channel: Channel): void {
    const topic = presences.get(channel.tenantTopic);
    const diff = topic?.untrack(channel);
    if (topic && topic.size === 0) presences.delete(channel.tenantTopic);
    channel.tracked = false;
    if (diff) presenceDiff(channel.tenantTopic, diff, channel.topic);
  }

  async function presenceMessage(channel: Channel, m: Message): Promise<void> {
    const payload = record(m.payload);
    const event = typeof payload.event === "string" ? payload.event.toLowerCase() : null;
    if (event === "track") {
      if (channel.isPrivate && (channel.policies?.presence.write ?? null) === null) {
        try {
          let policies = channel.policies ?? emptyPolicies();
          if (policies.presence.read === null) {
            policies = await readPolicies(db, channel.ctx, policies, ["broadcast", "presence"]);
          }
          channel.policies = await writePolicies(db, channel.ctx, policies, ["broadcast", "presence"]);
        } catch (e) {
          log(`realtime: UnableToHandlePresence: ${(e as Error).message}`);
          channel.socket.reply(m, "error", {});
          return;
        }
      }
      if (channel.isPrivate && !channel.policies?.presence.write) {
        log(`realtime: UnableToHandlePresence: unauthorized (${channel.subTopic})`);
        channel.socket.reply(m, "error", {});
        return;
      }
      const meta = payload.payload === undefined ? {} : payload.payload;
      if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
        channel.socket.reply(m, "error", { reason: "Presence track payload must be a map" });
        return;
      }
      if (JSON.stringify(meta).length > maxPayload) {
        shutdown(channel, "Track message size exceeded");
        return;
      }
      let topic = presences.get(channel.tenantTopic);
      if (!topic) presences.set(channel.tenantTopic, topic = new PresenceTopic());
      const diff = topic.track(channel, channel.presenceKey, meta as Record<string, unknown>);
      channel.presenceEnabled = true;
      channel.tracked = true;
      channel.socket.reply(m, "ok", {});
      if (diff) presenceDiff(channel.tenantTopic, diff, channel.topic);
      return;
    }
    if (event === "untrack") {
      channel.socket.reply(m, "ok", {});
      untrack(channel);
      return;
    }
    log(`realtime: UnknownPresenceEvent: ${event}`);
    channel.socket.reply(m, "error", {});
  }

  // ---------------------------------------------------------------- access_token

  async function refreshToken(channel: Channel, m: Message): Promise<void> {
    const token = record(m.payload).access_token;
    if (typeof token !== "string" || token === channel.token || token.startsWith("sb_")) return;
    const previous = channel.policies;
    try {
      const claims = await verifyToken(token);
      channel.token = token;
      channel.claims = claims;
      channel.ctx = contextOf(channel.socket, channel.subTopic, claims);
      if (channel.isPrivate) {
        const policies = await authorizeRead(channel, emptyPolicies());
        channel.policies = policies;
        const revoked = (before: boolean | null | undefined, now: boolean | null) => before === true && now === false;
        if (
          revoked(previous?.broadcast.read, policies.broadcast.read) ||
          revoked(previous?.presence.read, policies.presence.read)
        ) {
          shutdown(channel, `You no longer have permission to read from this Channel topic: ${channel.subTopic}`);
          return;
        }
        if (!policies.broadcast.read && !policies.presence.read) {
          shutdown(channel, `You do not have permissions to read from this Channel topic: ${channel.subTopic}`);
          return;
        }
      }
      scheduleConfirm(channel);
      if (channel.bindings.length) await subscribeChanges(channel);
    } catch (e) {
      if (!(e instanceof JoinError)) throw e;
      shutdown(channel, e.message.replace(/^(InvalidJWTToken|MalformedJWT|JwtSignatureError|Unauthorized): /, ""));
    }
  }

  // ---------------------------------------------------------------- incoming frames

  async function receive(socket: Socket, data: string | ArrayBuffer): Promise<void> {
    let incoming;
    try {
      incoming = decodeFrame(socket.vsn, data);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      log(`realtime: MalformedWebSocketMessage: ${e.message}`);
      return;
    }
    if (incoming.kind === "broadcast") {
      const b = incoming.push;
      const channel = socket.channels.get(b.topic);
      if (!channel) {
        socket.reply({ joinRef: null, ref: b.ref, topic: b.topic }, "error", { reason: "unmatched topic" });
        return;
      }
      await clientBroadcast(channel, b, {
        kind: "user",
        broadcast: { topic: channel.topic, event: b.event, payload: b.payload, encoding: b.encoding },
      }, b.payload.length);
      return;
    }
    const m = incoming.message;
    if (m.topic === "phoenix" && m.event === "heartbeat") {
      socket.reply({ joinRef: null, ref: m.ref, topic: "phoenix" }, "ok", {});
      return;
    }
    if (m.event === "phx_join") return await join(socket, m);
    const channel = socket.channels.get(m.topic);
    if (m.event === "phx_leave") {
      socket.reply(m, "ok", {});
      if (channel) close(channel, true);
      return;
    }
    if (!channel) {
      socket.reply({ joinRef: null, ref: m.ref, topic: m.topic }, "error", { reason: "unmatched topic" });
      return;
    }
    switch (m.event) {
      case "broadcast": {
        const payload = record(m.payload);
        const text = JSON.stringify(payload.payload ?? {});
        await clientBroadcast(channel, m, { kind: "json", topic: channel.topic, payload }, text.length);
        return;
      }
      case "presence":
        return await presenceMessage(channel, m);
      case "access_token":
        return await refreshToken(channel, m);
      default:
        log(`realtime: Unexpected message from client of type \`${m.event}\``);
    }
  }

  // ---------------------------------------------------------------- from the database

  async function relation(relid: number, refresh = false): Promise<Relation | null> {
    if (!refresh) {
      const known = relations.get(relid);
      if (known) return known;
    }
    const rel = await readRelation(db, relid);
    if (rel) relations.set(relid, rel);
    return rel;
  }

  async function deliver(rows: QueuedRow[]): Promise<void> {
    // changes first go through apply_rls (one round trip for the batch); then everything is sent in order
    const changes: Record<string, unknown>[] = [];
    const changeIndex = new Map<string, number>();
    for (const row of rows) {
      if (row.kind !== "change" || row.relid === null || row.action === null) continue;
      let rel = await relation(row.relid);
      let wal = rel && walChange(rel, row.action, row.new_row, row.old_row, row.captured_at);
      if (rel && !wal) {
        rel = await relation(row.relid, true); // the table changed since
        wal = rel && walChange(rel, row.action, row.new_row, row.old_row, row.captured_at);
      }
      if (!wal) continue;
      changeIndex.set(row.id, changes.length);
      changes.push(wal);
    }
    const results = changes.length ? await applyRlsSafely(changes) : [];
    const byIndex = new Map<number, typeof results>();
    for (const r of results) byIndex.set(r.index, [...(byIndex.get(r.index) ?? []), r]);
    for (const row of rows) {
      if (row.kind === "broadcast") {
        if (row.topic === null || row.event === null || row.payload === null) continue;
        fanOut(`${row.private ? "private" : "public"}:${row.topic}`, {
          kind: "user",
          broadcast: {
            topic: `realtime:${row.topic}`,
            event: row.event,
            payload: new TextEncoder().encode(row.payload),
            encoding: "json",
            metadata: { id: row.message_id },
          },
        }, null);
        continue;
      }
      const index = changeIndex.get(row.id);
      if (index === undefined) continue;
      for (const result of byIndex.get(index) ?? []) {
        const perChannel = new Map<Channel, number[]>();
        for (const id of result.subscriptionIds) {
          const sub = subscriptions.get(id);
          if (!sub || sub.channel.closed) continue;
          const ids = perChannel.get(sub.channel) ?? [];
          if (!ids.includes(sub.binding.id)) ids.push(sub.binding.id);
          perChannel.set(sub.channel, ids);
        }
        if (perChannel.size === 0) continue;
        const data = changeData(result);
        for (const [channel, ids] of perChannel) {
          channel.socket.send(encodeMessage(channel.socket.vsn, {
            joinRef: null,
            ref: null,
            topic: channel.topic,
            event: "postgres_changes",
            payload: { ids, data },
          }));
        }
      }
    }
  }

  /** apply_rls for a batch; when one change makes it fail, each change alone (skipping the bad one). */
  async function applyRlsSafely(changes: Record<string, unknown>[]): Promise<RlsResult[]> {
    try {
      return await applyRls(db, changes);
    } catch (e) {
      if (changes.length === 1) {
        log(
          `realtime: apply_rls failed for a change of ${changes[0].schema}.${changes[0].table}: ${
            (e as Error).message
          }`,
        );
        return [];
      }
      const all: RlsResult[] = [];
      for (let i = 0; i < changes.length; i++) {
        for (const r of await applyRlsSafely([changes[i]])) all.push({ ...r, index: i });
      }
      return all;
    }
  }

  const slowCheck = setInterval(() => {
    for (const socket of sockets) socket.check();
  }, 1000);
  const capture = new Capture({ engine, db, deliver, log });
  try {
    await capture.start();
  } catch (e) {
    clearInterval(slowCheck);
    await ownDb?.close();
    throw e;
  }

  // ---------------------------------------------------------------- HTTP

  function handle(req: Request, url: URL): Response {
    if (url.pathname !== "/realtime/v1/websocket" && url.pathname !== "/realtime/v1/websocket/") {
      return Response.json({ message: "no Route matched with those values" }, { status: 404 });
    }
    const vsn = (url.searchParams.get("vsn") ?? "1.0.0") as Vsn;
    if (!VSNS.includes(vsn)) {
      return new Response(`unsupported serializer version ${vsn}: 1.0.0 or 2.0.0`, { status: 400 });
    }
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("a WebSocket upgrade is expected here", { status: 400 });
    }
    const apikey = req.headers.get("apikey") ?? url.searchParams.get("apikey") ?? "";
    const headers: Record<string, string> = {};
    for (const [k, v] of req.headers) if (k.startsWith("x-")) headers[k] = v;
    const { socket: ws, response } = Deno.upgradeWebSocket(req, { idleTimeout: 120 });
    ws.binaryType = "arraybuffer";
    const socket = new Socket(ws, vsn, headers, apikey, maxBuffered, log);
    sockets.add(socket);
    ws.onmessage = (event) => socket.serial(() => receive(socket, event.data));
    socket.onGone = () => {
      socket.closed = true;
      sockets.delete(socket);
      for (const channel of [...socket.channels.values()]) close(channel, false);
    };
    ws.onclose = () => socket.onGone();
    ws.onerror = () => {};
    return response;
  }

  return {
    handle,
    get connections() {
      return sockets.size;
    },
    capture,
    async stop() {
      clearInterval(slowCheck);
      for (const socket of [...sockets]) {
        socket.closed = true;
        for (const channel of [...socket.channels.values()]) close(channel, false);
        try {
          socket.ws.close(1001, "server shutting down");
        } catch { /* already closed */ }
      }
      sockets.clear();
      await capture.stop();
      await ownDb?.close();
    },
  };
}
