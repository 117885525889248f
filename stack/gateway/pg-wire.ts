/**
 * A lean PostgreSQL wire-protocol (v3) client for the gateway's hot path: RPC calls on native
 * Postgres. It exists because a request through postgres.js (over Deno's node:net layer) cost the
 * gateway process more CPU than everything else a request does; this speaks the protocol over
 * `Deno.connect` directly and does only what the executor needs.
 *
 * - Startup and authentication: SCRAM-SHA-256 (WebCrypto), md5, cleartext or trust. No TLS: a URL
 *   asking for it (`sslmode` other than `disable`) or naming a unix socket is not handled here
 *   (`wireConfig` answers null and the gateway keeps using postgres.js).
 * - Extended-protocol pipelines: any number of Parse/Describe/Bind/Execute messages and one Sync
 *   (or simple Query messages) go in one write; the answers are collected until the expected number
 *   of ReadyForQuery messages arrive. Results are in text format; rows come back as arrays of
 *   strings (null for NULL), converted by the caller with the statement's RowDescription.
 * - Errors: an ErrorResponse becomes a `PgWireError` with the fields postgres.js gives its errors
 *   (code, message, detail, hint, position, where, schema_name…), so callers map both alike. A lost
 *   connection, a FATAL error or anything unexpected on the wire (protocol confusion) closes the
 *   connection: the operation in flight fails with a `PgConnectionError` (code `CONNECTION_*`) or the
 *   FATAL error, and the pool replaces the connection.
 * - `PgWirePool`: at most `max` connections, made on demand, reused last-in first-out (warm plan
 *   caches), waiters served in order. A connection whose last answer was not "idle" (a transaction
 *   left open) is closed, never reused.
 */
import { createHash } from "node:crypto";

export interface PgWireConfig {
  hostname: string;
  port: number;
  user: string;
  password: string;
  database: string;
  applicationName: string;
  /** Milliseconds to wait for TCP connect + authentication (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * The connection settings of a `postgres://` / `postgresql://` URL when this client can serve it
 * (TCP, no TLS: `sslmode=disable` or none), else null.
 */
export function wireConfig(url: string, applicationName = "parley"): PgWireConfig | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") return null;
  const sslmode = u.searchParams.get("sslmode");
  if (sslmode !== null && sslmode !== "disable") return null;
  if (u.searchParams.has("host") || u.hostname === "" || u.hostname.includes(",")) return null;
  const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  const user = decodeURIComponent(u.username) || "postgres";
  return {
    hostname,
    port: u.port ? Number(u.port) : 5432,
    user,
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || user,
    applicationName: u.searchParams.get("application_name") ?? applicationName,
  };
}

// ---------------------------------------------------------------- errors

/** ErrorResponse field codes → the property names postgres.js uses. */
const ERROR_FIELDS: Record<number, string> = {
  83: "severity_local", // S
  86: "severity", // V
  67: "code", // C
  77: "message", // M
  68: "detail", // D
  72: "hint", // H
  80: "position", // P
  112: "internal_position", // p
  113: "internal_query", // q
  87: "where", // W
  115: "schema_name", // s
  116: "table_name", // t
  99: "column_name", // c
  100: "data_type_name", // d
  110: "constraint_name", // n
  70: "file", // F
  76: "line", // L
  82: "routine", // R
};

/** An error Postgres reported (ErrorResponse), shaped like postgres.js's PostgresError. */
export class PgWireError extends Error {
  override name = "PostgresError";
  code!: string;
  severity?: string;
  severity_local?: string;
  detail?: string;
  hint?: string;
  position?: string;
  internal_position?: string;
  internal_query?: string;
  where?: string;
  schema_name?: string;
  table_name?: string;
  column_name?: string;
  data_type_name?: string;
  constraint_name?: string;
  file?: string;
  line?: string;
  routine?: string;

  constructor(fields: Record<string, string>) {
    super(fields.message ?? "unknown error");
    Object.assign(this, fields);
    this.code ??= "XX000";
  }
}

/**
 * The connection failed or was closed (code `CONNECTION_CLOSED`, `CONNECTION_REFUSED`,
 * `CONNECT_TIMEOUT`, `CONNECTION_PROTOCOL`…). Nothing is known about the operation in flight.
 */
export class PgConnectionError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

// ---------------------------------------------------------------- message encoding

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Builds outgoing messages into one reusable buffer. */
class Writer {
  buf = new Uint8Array(8192);
  view = new DataView(this.buf.buffer);
  pos = 0;
  private start = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Starts a message of a type (0 for the untyped startup and SSL messages). */
  begin(type: number): this {
    this.ensure(5);
    if (type !== 0) this.buf[this.pos++] = type;
    this.start = this.pos;
    this.pos += 4;
    return this;
  }

  end(): this {
    this.view.setInt32(this.start, this.pos - this.start);
    return this;
  }

  int32(n: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, n);
    this.pos += 4;
    return this;
  }

  int16(n: number): this {
    this.ensure(2);
    this.view.setInt16(this.pos, n);
    this.pos += 2;
    return this;
  }

  byte(n: number): this {
    this.ensure(1);
    this.buf[this.pos++] = n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A string's UTF-8 bytes, without terminator; returns their count. */
  private utf8(s: string): number {
    // ASCII fast path: most names and values
    let ascii = s.length < 256;
    if (ascii) {
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) > 0x7f) {
          ascii = false;
          break;
        }
      }
    }
    if (ascii) {
      this.ensure(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.pos + i] = s.charCodeAt(i);
      this.pos += s.length;
      return s.length;
    }
    this.ensure(s.length * 3);
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.pos));
    this.pos += written;
    return written;
  }

  /** A NUL-terminated string (no NUL may occur inside: Postgres would cut it there). */
  cstr(s: string): this {
    if (s.includes("\0")) throw new Error("a name or SQL text sent to Postgres contains NUL");
    this.utf8(s);
    return this.byte(0);
  }

  /** A length-prefixed value (Bind parameter); null as -1. */
  value(s: string | null): this {
    if (s === null) return this.int32(-1);
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    const n = this.utf8(s);
    this.view.setInt32(at, n);
    return this;
  }

  /** Drops what was written since the last take (a pipeline that could not be built). */
  reset(): void {
    this.pos = 0;
  }

  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** Lets go of a buffer grown by a large request. */
  shrink(): void {
    if (this.buf.length > 256 * 1024) {
      this.buf = new Uint8Array(8192);
      this.view = new DataView(this.buf.buffer);
    }
  }
}

// ---------------------------------------------------------------- pipelines

/** A column of a RowDescription. */
export interface Field {
  name: string;
  typeOid: number;
}

/** What a pipeline's messages produced, in order. */
export interface PipelineResult {
  /** Rows of each completed Execute (or simple-query statement), in order. */
  results: (string | null)[][][];
  /** RowDescription (or null for NoData) of each Describe, in order. */
  descriptions: (Field[] | null)[];
  /** ParseComplete count: the first `parsed` Parse messages succeeded. */
  parsed: number;
  /** The first ErrorResponse (the rest of the pipeline was skipped up to its Sync). */
  error: PgWireError | null;
  /** Transaction status of the last ReadyForQuery: I idle, T in a transaction, E failed transaction. */
  status: string;
}

/** One message sequence that ends after `syncs` ReadyForQuery messages. */
interface Operation {
  onMessage(type: number, buf: Uint8Array, start: number, end: number): void;
  fail(e: Error): void;
}

class PipelineOperation implements Operation {
  readonly result: PipelineResult = { results: [], descriptions: [], parsed: 0, error: null, status: "I" };
  private rows: (string | null)[][] = [];
  private fatal: PgWireError | null = null;

  constructor(
    private syncs: number,
    private readonly resolve: (r: PipelineResult) => void,
    private readonly reject: (e: Error) => void,
    private readonly confused: (why: string) => void,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case 0x44: // D DataRow
        this.rows.push(dataRow(buf, start));
        return;
      case 0x43: // C CommandComplete
      case 0x49: // I EmptyQueryResponse
      case 0x73: // s PortalSuspended
        this.result.results.push(this.rows);
        this.rows = [];
        return;
      case 0x31: // 1 ParseComplete
        this.result.parsed++;
        return;
      case 0x32: // 2 BindComplete
      case 0x33: // 3 CloseComplete
      case 0x74: // t ParameterDescription
      case 0x4e: // N NoticeResponse
      case 0x41: // A NotificationResponse
      case 0x53: // S ParameterStatus
        return;
      case 0x54: // T RowDescription
        this.result.descriptions.push(rowDescription(buf, start));
        return;
      case 0x6e: // n NoData
        this.result.descriptions.push(null);
        return;
      case 0x45: { // E ErrorResponse
        const error = errorResponse(buf, start, end);
        if (error.severity === "FATAL" || error.severity === "PANIC") this.fatal = error;
        this.result.error ??= error;
        this.rows = [];
        return;
      }
      case 0x5a: // Z ReadyForQuery
        this.result.status = String.fromCharCode(buf[start]);
        if (--this.syncs === 0) this.resolve(this.result);
        return;
      default:
        this.confused(`unexpected message '${String.fromCharCode(type)}'`);
    }
  }

  fail(e: Error): void {
    this.reject(this.fatal ?? e);
  }
}

function int32(buf: Uint8Array, at: number): number {
  return (buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3];
}

function int16(buf: Uint8Array, at: number): number {
  return (buf[at] << 8) | buf[at + 1];
}

function cstrEnd(buf: Uint8Array, at: number): number {
  const end = buf.indexOf(0, at);
  if (end < 0) throw new PgConnectionError("CONNECTION_PROTOCOL", "unterminated string in a message");
  return end;
}

function dataRow(buf: Uint8Array, start: number): (string | null)[] {
  const count = int16(buf, start);
  const row: (string | null)[] = new Array(count);
  let at = start + 2;
  for (let i = 0; i < count; i++) {
    const len = int32(buf, at);
    at += 4;
    if (len < 0) row[i] = null;
    else {
      row[i] = decoder.decode(buf.subarray(at, at + len));
      at += len;
    }
  }
  return row;
}

function rowDescription(buf: Uint8Array, start: number): Field[] {
  const count = int16(buf, start);
  const fields: Field[] = [];
  let at = start + 2;
  for (let i = 0; i < count; i++) {
    const end = cstrEnd(buf, at);
    const name = decoder.decode(buf.subarray(at, end));
    at = end + 1;
    // table oid (4), column number (2), type oid (4), type size (2), type modifier (4), format (2)
    fields.push({ name, typeOid: int32(buf, at + 6) >>> 0 });
    at += 18;
  }
  return fields;
}

function errorResponse(buf: Uint8Array, start: number, end: number): PgWireError {
  const fields: Record<string, string> = {};
  let at = start;
  while (at < end && buf[at] !== 0) {
    const code = buf[at];
    const stop = cstrEnd(buf, at + 1);
    const name = ERROR_FIELDS[code];
    if (name) fields[name] = decoder.decode(buf.subarray(at + 1, stop));
    at = stop + 1;
  }
  return new PgWireError(fields);
}

/** Converts a text-format value: numbers and booleans as JS values, everything else as text. */
export function parseText(value: string | null, typeOid: number): unknown {
  if (value === null) return null;
  switch (typeOid) {
    case 16: // bool
      return value === "t";
    case 21: // int2
    case 23: // int4
    case 26: // oid
    case 700: // float4
    case 701: // float8
      return Number(value);
    default:
      return value;
  }
}

// ---------------------------------------------------------------- one connection

/** Startup and authentication: messages one at a time. */
class QueueOperation implements Operation {
  private queue: { type: number; data: Uint8Array }[] = [];
  private waiting: { resolve: (m: { type: number; data: Uint8Array }) => void; reject: (e: Error) => void } | null =
    null;
  private failure: Error | null = null;

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    const message = { type, data: buf.slice(start, end) };
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve(message);
    } else this.queue.push(message);
  }

  fail(e: Error): void {
    this.failure = e;
    this.waiting?.reject(e);
    this.waiting = null;
  }

  next(): Promise<{ type: number; data: Uint8Array }> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
}

export interface PreparedStatement {
  name: string;
  /** The statement's result columns (from Describe), null when it returns none. */
  fields: Field[] | null;
}

/** Named prepared statements kept per connection, at most this many (least recently used closed). */
const MAX_STATEMENTS = 256;

export class PgWireConnection {
  private op: Operation | null = null;
  private readonly writer = new Writer();
  private closedError: Error | null = null;
  /** Prepared statements by SQL text, in least-recently-used order. */
  private readonly statements = new Map<string, PreparedStatement>();
  /** Statements to close with the next pipeline. */
  private readonly toClose: string[] = [];
  private statementCounter = 0;
  /** Called once when the connection closes, for whatever reason. */
  onClose: (() => void) | null = null;

  private constructor(private readonly conn: Deno.TcpConn) {}

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Connects and authenticates; rejects with PgWireError (e.g. 28P01) or PgConnectionError. */
  static async connect(config: PgWireConfig): Promise<PgWireConnection> {
    const timeoutMs = config.connectTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let connection: PgWireConnection | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new PgConnectionError("CONNECT_TIMEOUT", `connecting to ${config.hostname}:${config.port} timed out`));
        void connection?.close();
      }, timeoutMs);
    });
    const connecting = Deno.connect({ hostname: config.hostname, port: config.port });
    try {
      const tcp = await Promise.race([
        connecting.catch((e) => {
          throw new PgConnectionError(
            e instanceof Deno.errors.ConnectionRefused ? "CONNECTION_REFUSED" : "CONNECTION_FAILED",
            `could not connect to ${config.hostname}:${config.port}: ${(e as Error).message}`,
          );
        }),
        timeout,
      ]);
      tcp.setNoDelay(true);
      connection = new PgWireConnection(tcp);
      const c = connection;
      await Promise.race([c.startup(config), timeout]);
      return c;
    } catch (e) {
      if (connection) void connection.close();
      else connecting.then((tcp) => tcp.close(), () => {}); // timed out before the socket was ready
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async startup(config: PgWireConfig): Promise<void> {
    const queue = new QueueOperation();
    this.op = queue;
    this.readLoop();
    const w = this.writer.begin(0).int32(196608);
    for (
      const [k, v] of [
        ["user", config.user],
        ["database", config.database],
        ["application_name", config.applicationName],
        ["client_encoding", "UTF8"],
      ]
    ) w.cstr(k).cstr(v);
    await this.send(w.byte(0).end().take());
    let scram: Scram | null = null;
    while (true) {
      const { type, data } = await queue.next();
      if (type === 0x45) throw errorResponse(data, 0, data.length); // E: wrong password, no such database…
      if (type === 0x52) { // R Authentication*
        const kind = int32(data, 0);
        if (kind === 0) continue; // AuthenticationOk
        if (kind === 3) { // cleartext
          await this.send(this.writer.begin(0x70).cstr(config.password).end().take());
        } else if (kind === 5) { // md5
          const inner = createHash("md5").update(config.password + config.user).digest("hex");
          const outer = createHash("md5").update(inner).update(data.subarray(4, 8)).digest("hex");
          await this.send(this.writer.begin(0x70).cstr("md5" + outer).end().take());
        } else if (kind === 10) { // SASL: mechanisms offered
          const offered = decoder.decode(data.subarray(4)).split("\0");
          if (!offered.includes("SCRAM-SHA-256")) {
            throw new PgConnectionError("CONNECTION_AUTH", `unsupported SASL mechanisms: ${offered.join(", ")}`);
          }
          scram = new Scram(config.password);
          const first = encoder.encode(scram.clientFirst());
          await this.send(
            this.writer.begin(0x70).cstr("SCRAM-SHA-256").int32(first.length).bytes(first).end().take(),
          );
        } else if (kind === 11 && scram) { // SASLContinue
          const final = encoder.encode(await scram.clientFinal(decoder.decode(data.subarray(4))));
          await this.send(this.writer.begin(0x70).bytes(final).end().take());
        } else if (kind === 12 && scram) { // SASLFinal
          await scram.verifyServer(decoder.decode(data.subarray(4)));
        } else {
          throw new PgConnectionError("CONNECTION_AUTH", `unsupported authentication request ${kind}`);
        }
      } else if (type === 0x5a) { // Z ReadyForQuery
        this.op = null;
        return;
      } else if (type !== 0x4e && type !== 0x76 && type !== 0x4b && type !== 0x53) {
        // notices, NegotiateProtocolVersion, BackendKeyData and ParameterStatus are fine (not used)
        throw new PgConnectionError("CONNECTION_PROTOCOL", `unexpected message '${String.fromCharCode(type)}'`);
      }
    }
  }

  /** Reads messages until the socket ends; hands each to the operation in flight. */
  private async readLoop(): Promise<void> {
    let buf = new Uint8Array(64 * 1024);
    let len = 0; // bytes in buf
    let off = 0; // start of the first unhandled message
    let reason: Error = new PgConnectionError("CONNECTION_CLOSED", "the database closed the connection");
    try {
      while (!this.closedError) {
        if (off > 0 && buf.length - len < 16 * 1024) {
          buf.copyWithin(0, off, len);
          len -= off;
          off = 0;
        }
        if (buf.length - len < 16 * 1024) {
          const bigger = new Uint8Array(buf.length * 2);
          bigger.set(buf.subarray(0, len));
          buf = bigger;
        }
        const n = await this.conn.read(buf.subarray(len));
        if (n === null) break;
        len += n;
        while (len - off >= 5) {
          const size = int32(buf, off + 1);
          if (size < 4) throw new PgConnectionError("CONNECTION_PROTOCOL", "invalid message length");
          if (len - off < 1 + size) {
            // make room for the whole message
            if (1 + size > buf.length - off) {
              const bigger = new Uint8Array(Math.max(buf.length * 2, 1 + size + 16 * 1024));
              bigger.set(buf.subarray(off, len));
              len -= off;
              off = 0;
              buf = bigger;
            }
            break;
          }
          this.dispatch(buf[off], buf, off + 5, off + 1 + size);
          off += 1 + size;
          if (this.closedError) break;
        }
        if (off === len) off = len = 0;
        if (buf.length > 1024 * 1024 && len === 0) buf = new Uint8Array(64 * 1024);
      }
    } catch (e) {
      reason = e instanceof PgConnectionError
        ? e
        : new PgConnectionError("CONNECTION_CLOSED", `connection to the database lost: ${(e as Error).message}`);
    }
    this.shutdown(reason);
  }

  private dispatch(type: number, buf: Uint8Array, start: number, end: number): void {
    if (this.op) {
      this.op.onMessage(type, buf, start, end);
      return;
    }
    // between operations: notices, notifications and parameter changes are fine; a FATAL error ends
    // the connection
    if (type === 0x4e || type === 0x41 || type === 0x53) return;
    if (type === 0x45) {
      this.shutdown(errorResponse(buf, start, end));
      return;
    }
    this.confused(`unexpected message '${String.fromCharCode(type)}' between requests`);
  }

  private confused(why: string): void {
    this.shutdown(new PgConnectionError("CONNECTION_PROTOCOL", `protocol confusion: ${why}; connection closed`));
  }

  /** Marks the connection closed, fails the operation in flight, closes the socket (after `farewell`). */
  private shutdown(reason: Error, farewell?: Uint8Array): void {
    if (this.closedError) return;
    this.closedError = reason;
    const closeSocket = () => {
      try {
        this.conn.close();
      } catch { /* already closed */ }
    };
    this.socketClosed = farewell
      ? this.conn.write(farewell).then(closeSocket, closeSocket)
      : Promise.resolve(closeSocket());
    const op = this.op;
    this.op = null;
    op?.fail(reason);
    this.onClose?.();
  }

  private socketClosed: Promise<void> | null = null;

  /**
   * Closes the connection: when idle, with a Terminate message (Postgres ends the session without
   * logging a lost client); any operation in flight fails. Resolves once the socket is closed.
   */
  close(): Promise<void> {
    if (!this.closedError) {
      const terminate = this.op ? undefined : new Uint8Array([0x58, 0, 0, 0, 4]);
      this.shutdown(new PgConnectionError("CONNECTION_ENDED", "the connection was closed by the gateway"), terminate);
    }
    return this.socketClosed ?? Promise.resolve();
  }

  private async send(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
  }

  // ---------------------------------------------------------------- pipelines

  /** Forgets a pipeline being built (its statements are not remembered). */
  discard(): void {
    this.writer.reset();
  }

  /** The writer for the next pipeline; statements waiting to be closed go first. */
  get out(): Writer {
    const w = this.writer;
    while (this.toClose.length) w.begin(0x43).byte(0x53).cstr(this.toClose.pop()!).end();
    return w;
  }

  /** The prepared statement for a SQL text, or undefined (then `prepare` it in the pipeline). */
  statement(sql: string): PreparedStatement | undefined {
    const s = this.statements.get(sql);
    if (s) {
      // most recently used last
      this.statements.delete(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * Adds Parse (a new named statement) and, when asked, Describe for `sql` to the pipeline; returns
   * the name. The caller `remember`s it once the answer shows it parsed (ParseComplete messages
   * come in the order of the Parses; an error skips the rest of the pipeline).
   */
  prepare(w: Writer, sql: string, describe: boolean): string {
    const name = `p${++this.statementCounter}`;
    w.begin(0x50).cstr(name).cstr(sql).int16(0).end();
    if (describe) w.begin(0x44).byte(0x53).cstr(name).end();
    return name;
  }

  /** Registers a statement the server parsed. */
  remember(sql: string, statement: PreparedStatement): void {
    this.statements.set(sql, statement);
    if (this.statements.size > MAX_STATEMENTS) {
      const [oldest, s] = this.statements.entries().next().value!;
      this.statements.delete(oldest);
      this.toClose.push(s.name);
    }
  }

  /** Forgets a statement (closed on the server with the next pipeline). */
  forget(sql: string): void {
    const s = this.statements.get(sql);
    if (!s) return;
    this.statements.delete(sql);
    this.toClose.push(s.name);
  }

  /**
   * Sends a pipeline built in `out` and collects its answers until `syncs` ReadyForQuery messages
   * (one per Sync or simple Query) arrived. Rejects only when the connection fails; errors
   * Postgres reports are in the result.
   */
  run(syncs: number): Promise<PipelineResult> {
    const bytes = this.writer.take();
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.op) return Promise.reject(new Error("PgWireConnection: an operation is already in flight"));
    const result = new Promise<PipelineResult>((resolve, reject) => {
      this.op = new PipelineOperation(
        syncs,
        (r) => {
          this.op = null;
          resolve(r);
        },
        reject,
        (why) => this.confused(why),
      );
    });
    this.send(bytes).catch((e) =>
      this.shutdown(new PgConnectionError("CONNECTION_CLOSED", `could not write to the database: ${e.message}`))
    ).finally(() => this.writer.shrink());
    return result;
  }

  /** Simple-protocol statements (no parameters), e.g. `commit`: one round trip. */
  query(sql: string): Promise<PipelineResult> {
    simpleQuery(this.out, sql);
    return this.run(1);
  }
}

/** Bind (unnamed portal, text parameters, text results) + Execute (all rows). */
export function bindExecute(w: Writer, statement: string, values: (string | null)[]): void {
  w.begin(0x42).byte(0).cstr(statement).int16(0).int16(values.length);
  for (const v of values) w.value(v);
  w.int16(0).end();
  w.begin(0x45).byte(0).int32(0).end();
}

export function sync(w: Writer): void {
  w.begin(0x53).end();
}

export function simpleQuery(w: Writer, sql: string): void {
  w.begin(0x51).cstr(sql).end();
}

export type { Writer };

// ---------------------------------------------------------------- SCRAM-SHA-256 (RFC 5802, 7677)

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function hmac(key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(data)));
}

/**
 * SASLprep (RFC 4013) as Postgres applies it to SCRAM passwords: ASCII passwords are used as given;
 * others have their zero-width characters removed, other spaces made plain spaces and are NFKC
 * normalized, unless the result holds a prohibited character, in which case Postgres (and so this)
 * uses the password as given. (Bidirectional-text rules are not checked.)
 */
export function saslprep(password: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  const mapped = password
    .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, "")
    .replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g, " ")
    .normalize("NFKC");
  const prohibited =
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001F\u007F-\u009F\u0340\u0341\u200E\u200F\u202A-\u202E\u206A-\u206F\uD800-\uDFFF\uE000-\uF8FF\uFFF9-\uFFFD]/;
  return prohibited.test(mapped) ? password : mapped;
}

export class Scram {
  private readonly nonce: string;
  private clientFirstBare = "";
  private expectedServerSignature: Uint8Array | null = null;

  /** `user`: Postgres ignores the name in SCRAM messages (the startup message has it). */
  constructor(private readonly password: string, nonce?: string, private readonly user = "*") {
    this.nonce = nonce ?? b64(crypto.getRandomValues(new Uint8Array(18)));
  }

  /** client-first-message, without channel binding (no TLS). */
  clientFirst(): string {
    this.clientFirstBare = `n=${this.user},r=${this.nonce}`;
    return `n,,${this.clientFirstBare}`;
  }

  /** client-final-message for the server-first-message. */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = new Map(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)]));
    const nonce = attrs.get("r") ?? "";
    const salt = attrs.get("s");
    const iterations = Number(attrs.get("i"));
    if (!nonce.startsWith(this.nonce) || nonce.length <= this.nonce.length || !salt || !(iterations > 0)) {
      throw new PgConnectionError("CONNECTION_AUTH", "SCRAM: invalid server-first-message");
    }
    const pbkdf2 = await crypto.subtle.importKey(
      "raw",
      encoder.encode(saslprep(this.password)),
      "PBKDF2",
      false,
      ["deriveBits"],
    );
    const salted = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: unb64(salt) as BufferSource, iterations },
        pbkdf2,
        256,
      ),
    );
    const clientKey = await hmac(salted, "Client Key");
    const storedKey = new Uint8Array(await crypto.subtle.digest("SHA-256", clientKey as BufferSource));
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = await hmac(storedKey, authMessage);
    const proof = clientKey.map((b, i) => b ^ signature[i]);
    this.expectedServerSignature = await hmac(await hmac(salted, "Server Key"), authMessage);
    return `${withoutProof},p=${b64(proof)}`;
  }

  /** Checks the server-final-message: the server knew the password too. */
  verifyServer(serverFinal: string): Promise<void> {
    const v = serverFinal.split(",").find((a) => a.startsWith("v="))?.slice(2);
    if (!this.expectedServerSignature || v !== b64(this.expectedServerSignature)) {
      return Promise.reject(new PgConnectionError("CONNECTION_AUTH", "SCRAM: the server's signature does not match"));
    }
    return Promise.resolve();
  }
}

// ---------------------------------------------------------------- pool

export class PgWirePool {
  private readonly idle: PgWireConnection[] = [];
  private readonly waiters: { resolve: (c: PgWireConnection) => void; reject: (e: Error) => void }[] = [];
  private count = 0;
  private ended = false;

  constructor(readonly config: PgWireConfig, readonly max: number) {}

  /** Open connections (idle or in use). */
  get size(): number {
    return this.count;
  }

  acquire(): Promise<PgWireConnection> {
    if (this.ended) return Promise.reject(new PgConnectionError("CONNECTION_ENDED", "the pool is closed"));
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    if (this.count < this.max) return this.open();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Gives a connection back; one that is closed or not idle is dropped. */
  release(c: PgWireConnection, healthy: boolean): void {
    if (!healthy && !c.closed) void c.close(); // onClose counts it out and serves a waiter
    if (c.closed) return;
    const w = this.waiters.shift();
    if (w) w.resolve(c);
    else if (this.ended) void c.close();
    else this.idle.push(c);
  }

  private open(): Promise<PgWireConnection> {
    this.count++;
    return PgWireConnection.connect(this.config).then((c) => {
      c.onClose = () => this.closed(c);
      if (this.ended) void c.close();
      return c;
    }, (e) => {
      this.count--;
      // with no connection left, waiters would wait for one that is not coming: they fail too
      if (this.count === 0) { for (const w of this.waiters.splice(0)) w.reject(e); }
      throw e;
    });
  }

  private closed(c: PgWireConnection): void {
    this.count--;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    const w = this.waiters.shift();
    if (w && !this.ended) this.open().then(w.resolve, w.reject);
  }

  async close(): Promise<void> {
    this.ended = true;
    for (const w of this.waiters.splice(0)) {
      w.reject(new PgConnectionError("CONNECTION_ENDED", "the pool is closed"));
    }
    await Promise.all(this.idle.splice(0).map((c) => c.close()));
  }
}
