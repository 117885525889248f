/**
 * Reading what the database commits, for the local Realtime server: inserts into
 * realtime.messages (broadcasts from the database) and changes of the tables in the
 * supabase_realtime publication (Postgres changes). See sql/platform/41_realtime_changes.sql.
 *
 * While the server runs, triggers put each of them into realtime.capture_queue and
 * `pg_notify('realtime_capture', <queue id>)` at commit. This module hands the rows to `deliver`
 * in commit order, once each, then deletes them:
 *
 * - Native Postgres: notifications arrive in commit order, so the ids are taken in the order they
 *   are notified; the rows are fetched by id (a payload too large for a NOTIFY arrives all the
 *   same). The LISTEN runs on a connection of its own, opened again when it is lost; after each
 *   (re)connection the queue is read for what was committed meanwhile, and every second a sweep
 *   takes rows that stayed in the queue since the previous sweep (their notification was lost).
 *   Those few are taken in id order, which is commit order unless transactions overlapped.
 * - PGlite: one backend runs one transaction at a time, so queue ids are in commit order: the
 *   queue is drained in id order, when a notification wakes it and every 100 ms (a wire client's
 *   notification goes to that client, not to the stack).
 *
 * A batch is marked delivered before its rows are deleted, so a failure in between never delivers
 * them twice; a failure before delivery leaves them in the queue for the next attempt.
 */
import postgres from "postgres";
import type { Db } from "../db/client.ts";
import type { Engine } from "../db/engine.ts";

export const CHANNEL = "realtime_capture";
const TRIGGER = "realtime_capture";
const BATCH = 500;

export interface QueuedRow {
  id: string;
  kind: "broadcast" | "change";
  relid: number | null;
  action: "I" | "U" | "D" | null;
  new_row: string | null;
  old_row: string | null;
  captured_at: string;
  topic: string | null;
  event: string | null;
  private: boolean | null;
  payload: string | null;
  message_id: string | null;
}

export interface CaptureOptions {
  engine: Engine;
  /** The server's connection (PGlite: the engine's). */
  db: Db;
  deliver: (rows: QueuedRow[]) => Promise<void>;
  log: (line: string) => void;
  /** Sweep interval on native Postgres (ms). */
  sweepMs?: number;
  /** Drain interval on PGlite (ms). */
  pollMs?: number;
}

const FETCH = `
  select q.id::text as id, q.kind, q.relid::int as relid, q.action::text as action, q.new_row, q.old_row,
    q.captured_at::text as captured_at, m.topic, m.event, m.private, m.payload::text as payload,
    m.id::text as message_id
  from realtime.capture_queue q
  left join realtime.messages m on q.kind = 'broadcast' and m.id = q.message_id and m.inserted_at = q.message_inserted_at`;

export class Capture {
  private readonly db: Db;
  private stopped = false;
  /** Ids to deliver, in order (native). */
  private pending: bigint[] = [];
  private pendingSet = new Set<string>();
  /** Ids delivered whose rows may still be in the queue (their delete failed or is under way). */
  private delivered = new Set<string>();
  /** PGlite: the last id drained. */
  private cursor = 0n;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastSweep = new Set<string>();
  private listener: postgres.Sql | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Native, while catching up after a lost LISTEN: notifications held until the queue is read. */
  private held: string[] | null = null;
  private readonly native: boolean;
  /** Resolves when nothing is pending (tests, shutdown). */
  private idleWaiters: (() => void)[] = [];
  /** Counters for tests and the benchmark. */
  readonly stats = { batches: 0, rows: 0, relistens: 0, swept: 0, errors: 0 };

  constructor(private readonly options: CaptureOptions) {
    this.db = options.db;
    this.native = options.engine.kind === "native";
  }

  async start(): Promise<void> {
    // what a previous run left (it stopped without cleaning up) is of no use to anyone now
    await this.db.exec(`
      delete from realtime.subscription;
      delete from realtime.capture_queue;
      create or replace trigger ${TRIGGER} after insert on realtime.messages
        for each row execute function realtime.capture_message();`);
    await this.syncTables();
    if (this.native) {
      await this.listenNative();
      this.timer = setInterval(() => this.sweep(), this.options.sweepMs ?? 1000);
    } else {
      if (this.db.listen) this.unlisten = await this.db.listen(CHANNEL, () => this.kick());
      this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 100);
    }
  }

  /**
   * Puts the capture trigger on every table of the supabase_realtime publication (for the actions
   * it publishes) and takes it off tables that left it.
   */
  async syncTables(): Promise<void> {
    const rows = await this.db.query<{ relation: string; published: boolean; events: string | null; has: boolean }>(
      `with pub as (
         select format('%I.%I', t.schemaname, t.tablename)::regclass as rel,
           concat_ws(' or ', case when p.pubinsert then 'insert' end, case when p.pubupdate then 'update' end,
             case when p.pubdelete then 'delete' end) as events
         from pg_publication p join pg_publication_tables t on t.pubname = p.pubname
         where p.pubname = 'supabase_realtime'
       ), trg as (
         select t.tgrelid::regclass as rel from pg_trigger t
         where t.tgname = '${TRIGGER}' and t.tgrelid <> 'realtime.messages'::regclass
       )
       select coalesce(pub.rel, trg.rel)::text as relation, pub.rel is not null as published, pub.events,
         trg.rel is not null as has
       from pub full join trg on trg.rel = pub.rel`,
    );
    for (const r of rows) {
      if (r.published && !r.has && r.events) {
        await this.db.exec(
          `create or replace trigger ${TRIGGER} after ${r.events} on ${r.relation}
             for each row execute function realtime.capture_change()`,
        );
      } else if (!r.published && r.has) {
        await this.db.exec(`drop trigger if exists ${TRIGGER} on ${r.relation}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    await this.running?.catch(() => {});
    await this.unlisten?.().catch(() => {});
    await this.listener?.end({ timeout: 2 }).catch(() => {});
    const triggers = await this.db.query<{ relation: string }>(
      `select tgrelid::regclass::text as relation from pg_trigger where tgname = '${TRIGGER}'`,
    ).catch(() => []);
    for (const t of triggers) await this.db.exec(`drop trigger if exists ${TRIGGER} on ${t.relation}`).catch(() => {});
    await this.db.exec("delete from realtime.subscription; delete from realtime.capture_queue").catch(() => {});
  }

  /** Resolves once everything notified so far has been delivered (tests). */
  idle(): Promise<void> {
    if (!this.running && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---------------------------------------------------------------- native: LISTEN + sweep

  private async listenNative(): Promise<void> {
    // onnotify and onclose are postgres.js options its own listen() uses; its listen() gives up
    // for good when listening again fails, so this connection is looked after here
    const sql = postgres(this.options.engine.url, {
      max: 1,
      idle_timeout: null,
      max_lifetime: null,
      fetch_types: false,
      onnotice: () => {},
      connection: { application_name: "parley-realtime-listen" },
      onnotify: (channel: string, payload: string) => {
        if (channel !== CHANNEL) return;
        if (this.held) this.held.push(payload);
        else this.enqueue([payload]);
      },
      onclose: () => {
        if (!this.stopped) this.scheduleRelisten();
      },
    } as unknown as postgres.Options<Record<string, never>>);
    this.listener = sql;
    await sql.unsafe(`listen ${CHANNEL}`);
  }

  private scheduleRelisten(delay = 200): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      if (this.stopped) return;
      // Notifications that arrive from now on wait until the queue has been read: the rows
      // committed while nobody listened come first (in id order), then the later ones in the
      // order they were notified, so a reconnection never puts later rows before earlier ones.
      this.held ??= [];
      try {
        await this.listener?.unsafe(`listen ${CHANNEL}`);
        this.stats.relistens++;
        // what was committed while nobody listened is still in the queue
        await this.catchUp();
        const later = this.held ?? [];
        this.held = null;
        this.enqueue(later);
      } catch (e) {
        this.options.log(`realtime: listening again failed (${(e as Error).message}); retrying`);
        this.scheduleRelisten(Math.min(delay * 2, 5000));
      }
    }, delay);
  }

  private async catchUp(): Promise<void> {
    const rows = await this.db.query<{ id: string }>(
      `select q.id::text as id from realtime.capture_queue q order by q.id limit ${BATCH * 20}`,
    );
    this.enqueue(rows.map((r) => r.id));
  }

  private async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      const rows = await this.db.query<{ id: string }>(
        `select q.id::text as id from realtime.capture_queue q order by q.id limit ${BATCH * 20}`,
      );
      const now = new Set(rows.map((r) => r.id));
      // delivered, but their delete failed: only delete them
      const stale = rows.map((r) => r.id).filter((id) => this.delivered.has(id) && !this.pendingSet.has(id));
      if (stale.length && !this.running) await this.forget(stale);
      const missed = rows.map((r) => r.id).filter((id) =>
        this.lastSweep.has(id) && !this.pendingSet.has(id) && !this.delivered.has(id)
      );
      this.lastSweep = now;
      if (missed.length) {
        this.stats.swept += missed.length;
        this.enqueue(missed);
      }
    } catch { /* the database is away: the next sweep tries again */ }
  }

  private enqueue(ids: string[]): void {
    for (const id of ids) {
      if (this.pendingSet.has(id) || this.delivered.has(id)) continue;
      this.pendingSet.add(id);
      this.pending.push(BigInt(id));
    }
    this.kick();
  }

  // ---------------------------------------------------------------- the delivery loop

  /** Starts (or re-runs) the delivery loop. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      } else if (this.pending.length === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.again = false;
      let rows: QueuedRow[];
      try {
        rows = this.native ? await this.fetchPending() : await this.fetchDrain();
      } catch (e) {
        this.stats.errors++;
        this.options.log(`realtime: reading the capture queue failed: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
        if (this.stopped) return;
        continue;
      }
      if (rows.length === 0) {
        if (this.native && this.pending.length) continue;
        return;
      }
      const fresh = rows.filter((r) => !this.delivered.has(r.id));
      if (fresh.length) {
        try {
          await this.options.deliver(fresh);
        } catch (e) {
          this.stats.errors++;
          this.options.log(`realtime: delivering failed: ${(e as Error).stack ?? e}`);
        }
        this.stats.batches++;
        this.stats.rows += fresh.length;
      }
      for (const r of rows) this.delivered.add(r.id);
      if (!this.native) this.cursor = BigInt(rows.at(-1)!.id);
      await this.forget(rows.map((r) => r.id));
    }
  }

  /** Native: the next pending ids, fetched and put back in their notified order. */
  private async fetchPending(): Promise<QueuedRow[]> {
    const ids = this.pending.slice(0, BATCH).map(String);
    if (ids.length === 0) return [];
    const found = await this.db.query<QueuedRow>(`${FETCH} where q.id = any($1::bigint[])`, [ids]);
    // taken off the pending list only once fetched (a failed fetch is tried again)
    this.pending.splice(0, ids.length);
    for (const id of ids) this.pendingSet.delete(id);
    const byId = new Map(found.map((r) => [r.id, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** PGlite: the queue in id order. */
  private async fetchDrain(): Promise<QueuedRow[]> {
    return await this.db.query<QueuedRow>(`${FETCH} where q.id > $1::bigint order by q.id limit ${BATCH}`, [
      String(this.cursor),
    ]);
  }

  private async forget(ids: string[]): Promise<void> {
    try {
      if (this.native) {
        await this.db.query("delete from realtime.capture_queue where id = any($1::bigint[])", [ids]);
      } else {
        // PGlite: everything up to the cursor was delivered (or was never to be)
        await this.db.query("delete from realtime.capture_queue where id <= $1::bigint", [String(this.cursor)]);
      }
      for (const id of ids) this.delivered.delete(id);
    } catch {
      // left in `delivered`: a later sweep or drain finds them and only deletes them
      if (this.delivered.size > 100_000) this.delivered.clear();
    }
  }
}
