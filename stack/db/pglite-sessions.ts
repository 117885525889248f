/**
 * Transactions on PGlite's one backend, kept apart as Postgres keeps them apart.
 *
 * PGlite has one backend for everyone. In-process users (the gateway, Auth, the scheduler, the
 * pgTAP runner) go through PGlite's `query`/`exec`/`transaction`, which take PGlite's transaction
 * mutex for a statement or a whole transaction. Wire clients (psql, drivers, the Supabase CLI) come
 * through @electric-sql/pglite-socket 0.2.17, whose queue runs each protocol message under PGlite's
 * query mutex only (`runExclusive`), and, while `isInTransaction()`, only messages of the client
 * that sent the last one. So an in-process transaction ran between a wire client's messages: inside
 * a psql `begin`, its writes undone by psql's `rollback`, its `commit` ending psql's transaction.
 *
 * `socketSessions(pg)` is what the socket server is given instead of `pg` (it uses `waitReady`,
 * `runExclusive`, `execProtocolRawStream`, `isInTransaction` and `exec`; nothing is forked). A wire
 * client's session takes PGlite's transaction mutex with its first message and keeps it until a
 * ReadyForQuery says idle ('I') again: through a transaction block ('T', or 'E' after an error) and
 * through an extended-protocol exchange up to its Sync. Meanwhile in-process transactions wait, and
 * so do other wire clients (the queue sees `isInTransaction()`); while an in-process transaction
 * runs, wire messages wait. A client that leaves in the middle is rolled back before anyone else
 * runs. As on one Postgres connection, a session that waits for another client deadlocks.
 */
import type { PGlite } from "@electric-sql/pglite";

const READY_FOR_QUERY = 0x5a; // Z
const ERROR_RESPONSE = 0x45; // E
const NOTIFICATION_RESPONSE = 0x41; // A
const TERMINATE = 0x58; // X
const SYNC = [0x53, 0, 0, 0, 4]; // S

/** Where NOTIFY messages seen in a wire client's answers go: (channel, payload). */
export type NotificationSink = (channel: string, payload: string) => void;

/**
 * Follows the backend's messages across chunks: the last ReadyForQuery status, errors since, and
 * notifications (a NOTIFY sent by a wire client reaches the one backend's listeners in that client's
 * answer, where PGlite's own `listen` callbacks never see it).
 */
class BackendMessages {
  constructor(private readonly onNotification?: NotificationSink) {}
  private body: number[] = [];
  /** The status byte of the last ReadyForQuery ('I', 'T', 'E'), "?" when one is awaited. */
  status = "I";
  /** An ErrorResponse came after the last ReadyForQuery (the backend skips messages until Sync). */
  failed = false;
  private header = new Uint8Array(5);
  private headerLength = 0;
  private type = 0;
  private remaining = 0;

  feed(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - i);
        if (this.type === READY_FOR_QUERY) {
          this.status = String.fromCharCode(data[i]);
          this.failed = false;
        }
        if (this.type === NOTIFICATION_RESPONSE && this.onNotification) {
          for (let j = 0; j < n; j++) this.body.push(data[i + j]);
          if (this.remaining === n) this.notify();
        }
        i += n;
        this.remaining -= n;
        continue;
      }
      this.header[this.headerLength++] = data[i++];
      if (this.headerLength < 5) continue;
      this.headerLength = 0;
      this.type = this.header[0];
      this.remaining = new DataView(this.header.buffer).getInt32(1) - 4;
      if (this.type === ERROR_RESPONSE) this.failed = true;
      this.body = [];
    }
  }

  /** A NotificationResponse: int32 process id, channel and payload as C strings. */
  private notify(): void {
    const bytes = new Uint8Array(this.body);
    this.body = [];
    const end = bytes.indexOf(0, 4);
    const channel = new TextDecoder().decode(bytes.subarray(4, end));
    const payload = new TextDecoder().decode(bytes.subarray(end + 1, bytes.indexOf(0, end + 1)));
    try {
      this.onNotification!(channel, payload);
    } catch { /* a listener's failure is its own */ }
  }
}

/** A simple-protocol Query message. */
function queryMessage(sql: string): Uint8Array {
  const text = new TextEncoder().encode(sql);
  const message = new Uint8Array(6 + text.length);
  message[0] = 0x51; // Q
  new DataView(message.buffer).setInt32(1, 5 + text.length);
  message.set(text, 5);
  return message;
}

export function socketSessions(pg: PGlite, onNotification?: NotificationSink): PGlite {
  const backend = new BackendMessages(onNotification);
  /** Gives back PGlite's transaction mutex, held for the wire clients' session in progress. */
  let release: (() => void) | null = null;

  const hold = () =>
    new Promise<() => void>((held) => {
      pg._runExclusiveTransaction(() => new Promise<void>((done) => held(done))).catch(() => {});
    });
  const letGo = () => {
    const done = release;
    release = null;
    done?.();
  };
  const raw = async (message: Uint8Array) => {
    const out = await pg.runExclusive(() => pg.execProtocolRaw(message));
    backend.feed(out);
  };

  const sessions = {
    get waitReady() {
      return pg.waitReady;
    },
    /** A wire client's session is in progress (its transaction, or its exchange before Sync). */
    isInTransaction: () => release !== null,
    async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
      release ??= await hold();
      try {
        return await pg.runExclusive(fn);
      } catch (e) {
        letGo();
        throw e;
      } finally {
        if (backend.status === "I") letGo();
      }
    },
    async execProtocolRawStream(
      message: Uint8Array,
      options: { onRawData: (data: Uint8Array) => void; syncToFs?: boolean },
    ): Promise<void> {
      if (message[0] !== TERMINATE) backend.status = "?";
      await pg.execProtocolRawStream(message, {
        ...options,
        onRawData: (data) => {
          backend.feed(data);
          options.onRawData(data);
        },
      });
    },
    /** The socket queue's `exec("ROLLBACK")` for a client that left inside its session. */
    async exec(_sql: string): Promise<[]> {
      try {
        // after an error the backend ignores everything until a Sync (which then cannot commit)
        if (backend.failed) await raw(new Uint8Array(SYNC));
        await raw(queryMessage("rollback"));
      } finally {
        backend.status = "I";
        letGo();
      }
      return [];
    },
  };
  return sessions as unknown as PGlite;
}
