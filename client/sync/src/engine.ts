/**
 * The sync engine Insight's apps share: local writes go to storage and to an outbox at once; a sync
 * pushes the outbox (in batches, each with a mutation id kept for its retries) and then pulls what
 * changed, as the source design's state machine: idle → pushing → pulling → idle, and retry (with
 * exponential backoff) on failure. Writes the server rejects, or that fail five times, go to a dead
 * letter the app can show. Pulled rows never overwrite local writes still waiting to be pushed.
 */
import { backoffDelay, type BackoffOptions, type Clock, realClock } from "./clock.ts";
import { PARLEY_SCHEMA, remapRefs, type SyncSchema, tablesOf } from "./schema.ts";
import { asSyncError, SyncError, type SyncErrorKind } from "./transport.ts";
import type {
  Changes,
  Conflict,
  DeadLetter,
  OutboxEntry,
  PullAnswer,
  PushAnswer,
  Rejected,
  Row,
  StorageAdapter,
  StorageTx,
  Transport,
} from "./types.ts";

export type SyncState = "idle" | "pushing" | "pulling" | "retry" | "offline" | "stopped";

/** What started a sync. */
export type SyncReason =
  | "start"
  | "foreground"
  | "online"
  | "local-write"
  | "manual"
  | "interval"
  | "retry"
  | "realtime";

export interface SyncStatus {
  state: SyncState;
  online: boolean;
  foreground: boolean;
  /** Local writes waiting to be pushed. */
  pending: number;
  /** Writes in the dead letter (see deadLetters()). */
  deadLetters: number;
  /** Failed syncs in a row (0 after a success). */
  failures: number;
  lastError: string | null;
  lastErrorKind: SyncErrorKind | null;
  /** Local time of the last complete sync. */
  lastSyncedAt: number | null;
  /** When the next retry runs (state retry). */
  nextRetryAt: number | null;
}

export interface SyncOutcome {
  ok: boolean;
  reason: SyncReason;
  error?: SyncError;
  /** Rows pushed and pulled by this sync. */
  pushed: number;
  pulled: number;
  conflicts: Conflict[];
  rejected: Rejected[];
}

/**
 * Something that starts syncs: app foreground, connectivity, a Realtime subscription… `start`
 * receives `fire` and the engine, and returns what stops it. A Realtime trigger on `user:<id>`
 * plugs in here once the stack serves Realtime (see README).
 */
export interface SyncTrigger {
  start(fire: (reason: SyncReason) => void, engine: SyncEngine): (() => void) | void;
}

export interface SyncEngineOptions {
  storage: StorageAdapter;
  transport: Transport;
  /** The synced tables and their references (default: Parley's). */
  schema?: SyncSchema;
  clock?: Clock;
  /** [0, 1): the backoff's jitter. */
  random?: () => number;
  /** New row ids and mutation ids (default crypto.randomUUID). */
  newId?: () => string;
  /** Outbox entries per push (default 500; the server takes up to 1,000 rows). */
  batchSize?: number;
  /** Rows per pull page (default 500). */
  pullLimit?: number;
  /** Failed pushes of the same writes before they go to the dead letter (default 5). */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Sync every so often while in the foreground (default 5 minutes; null: never). */
  intervalMs?: number | null;
  /** A local write starts a sync after this delay, gathering a burst of writes (default 50 ms). */
  localWriteDelayMs?: number;
  /** Local writes, the interval and retries start syncs by themselves (default true). */
  autoSync?: boolean;
  triggers?: SyncTrigger[];
  online?: boolean;
  foreground?: boolean;
}

type Listener<T> = (value: T) => void;

const CURSOR = "cursor";

export class SyncEngine {
  readonly schema: SyncSchema;
  readonly tables: string[];
  #storage: StorageAdapter;
  #transport: Transport;
  #clock: Clock;
  #random: () => number;
  #newId: () => string;
  #options:
    & Required<Pick<SyncEngineOptions, "batchSize" | "pullLimit" | "maxAttempts" | "localWriteDelayMs" | "autoSync">>
    & {
      intervalMs: number | null;
      backoff: BackoffOptions;
    };
  #status: SyncStatus;
  #running: Promise<SyncOutcome> | null = null;
  #again: SyncReason | null = null;
  #retryTimer: unknown = null;
  #intervalTimer: unknown = null;
  #writeTimer: unknown = null;
  #stops: (() => void)[] = [];
  #triggers: SyncTrigger[];
  #started = false;
  #statusListeners = new Set<Listener<SyncStatus>>();
  #conflictListeners = new Set<Listener<Conflict>>();
  #deadLetterListeners = new Set<Listener<DeadLetter[]>>();
  #changeListeners = new Set<Listener<string[]>>();

  constructor(options: SyncEngineOptions) {
    this.schema = options.schema ?? PARLEY_SCHEMA;
    this.tables = tablesOf(this.schema);
    this.#storage = options.storage;
    this.#transport = options.transport;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
    this.#options = {
      batchSize: options.batchSize ?? 500,
      pullLimit: options.pullLimit ?? 500,
      maxAttempts: options.maxAttempts ?? 5,
      localWriteDelayMs: options.localWriteDelayMs ?? 50,
      autoSync: options.autoSync ?? true,
      intervalMs: options.intervalMs === undefined ? 300_000 : options.intervalMs,
      backoff: options.backoff ?? {},
    };
    this.#triggers = options.triggers ?? [];
    this.#status = {
      state: "idle",
      online: options.online ?? true,
      foreground: options.foreground ?? true,
      pending: 0,
      deadLetters: 0,
      failures: 0,
      lastError: null,
      lastErrorKind: null,
      lastSyncedAt: null,
      nextRetryAt: null,
    };
  }

  // ---------------------------------------------------------------- lifecycle and triggers

  /** Starts the triggers and the interval, and syncs once. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#refreshCounts();
    for (const trigger of this.#triggers) {
      const stop = trigger.start((reason) => this.trigger(reason), this);
      if (stop) this.#stops.push(stop);
    }
    this.#armInterval();
    this.trigger("start");
  }

  /** Stops triggers and timers; a sync under way finishes. */
  async stop(): Promise<void> {
    this.#started = false;
    for (const stop of this.#stops.splice(0)) stop();
    for (const timer of [this.#retryTimer, this.#intervalTimer, this.#writeTimer]) {
      if (timer !== null) this.#clock.clearTimeout(timer);
    }
    this.#retryTimer = this.#intervalTimer = this.#writeTimer = null;
    await this.#running?.catch(() => {});
    this.#setStatus({ state: "stopped", nextRetryAt: null });
  }

  /**
   * Asks for a sync. foreground, online, manual and start run at once (also while waiting to
   * retry); local-write, interval and realtime wait for a pending retry instead of hammering a
   * server that just failed.
   */
  trigger(reason: SyncReason): void {
    if (this.#status.state === "stopped") return;
    const patient = reason === "local-write" || reason === "interval" || reason === "realtime";
    if (patient && this.#status.state === "retry") return;
    void this.sync(reason);
  }

  /** Connectivity changed (navigator.onLine, NetInfo): coming back online syncs at once. */
  setOnline(online: boolean): void {
    if (online === this.#status.online) return;
    this.#setStatus({ online, ...(online ? {} : { state: this.#running ? this.#status.state : "offline" }) });
    if (online) this.trigger("online");
  }

  /** The app came to the foreground (syncs at once, and on the interval) or went to the background. */
  setForeground(foreground: boolean): void {
    if (foreground === this.#status.foreground) return;
    this.#setStatus({ foreground });
    this.#armInterval();
    if (foreground) this.trigger("foreground");
  }

  getStatus(): SyncStatus {
    return { ...this.#status };
  }

  /** Status changes; returns the unsubscribe function (useSyncExternalStore-friendly). */
  subscribe(listener: Listener<SyncStatus>): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Every conflict the server resolved for this device's pushes, with the winning row. */
  onConflict(listener: Listener<Conflict>): () => void {
    this.#conflictListeners.add(listener);
    return () => this.#conflictListeners.delete(listener);
  }

  /** Writes moved to the dead letter (rejected by the server, or failing too often). */
  onDeadLetter(listener: Listener<DeadLetter[]>): () => void {
    this.#deadLetterListeners.add(listener);
    return () => this.#deadLetterListeners.delete(listener);
  }

  /** Tables whose local rows a sync changed (to refresh views). */
  onChange(listener: Listener<string[]>): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  // ---------------------------------------------------------------- local reads and writes

  async get(table: string, id: string): Promise<Row | undefined> {
    this.#checkTable(table);
    return await this.#storage.transaction((tx) => tx.get(table, id));
  }

  async all(table: string): Promise<Row[]> {
    this.#checkTable(table);
    return await this.#storage.transaction((tx) => tx.all(table));
  }

  /** Creates a row locally (id: a new uuid unless given) and queues it. */
  async create(table: string, fields: Record<string, unknown>): Promise<Row> {
    this.#checkTable(table);
    const row: Row = { ...fields, id: typeof fields.id === "string" ? fields.id : this.#newId() };
    await this.#storage.transaction(async (tx) => {
      const existing = await tx.get(table, row.id);
      await tx.put(table, [row]);
      await tx.addOutbox(this.#entry(table, row.id, "upsert", row, !existing));
    });
    await this.#afterWrite();
    return row;
  }

  /** Changes a local row (the fields given replace the row's) and queues the whole row. */
  async update(table: string, id: string, fields: Record<string, unknown>): Promise<Row> {
    this.#checkTable(table);
    const row = await this.#storage.transaction(async (tx) => {
      const existing = await tx.get(table, id);
      if (!existing) throw new Error(`no ${table} row ${id} on this device`);
      const next: Row = { ...existing, ...fields, id };
      await tx.put(table, [next]);
      await tx.addOutbox(this.#entry(table, id, "upsert", next, false));
      return next;
    });
    await this.#afterWrite();
    return row;
  }

  /** Deletes a local row and queues the deletion. */
  async delete(table: string, id: string): Promise<void> {
    this.#checkTable(table);
    await this.#storage.transaction(async (tx) => {
      await tx.delete(table, [id]);
      await tx.addOutbox(this.#entry(table, id, "delete", null, false));
    });
    await this.#afterWrite();
  }

  async pending(): Promise<OutboxEntry[]> {
    return await this.#storage.transaction((tx) => tx.outbox());
  }

  async deadLetters(): Promise<DeadLetter[]> {
    return await this.#storage.transaction((tx) => tx.deadLetters());
  }

  /** Queues the row of a dead letter again as it is now on this device (or its deletion). */
  async retryDeadLetter(seq: number): Promise<void> {
    await this.#storage.transaction(async (tx) => {
      const letter = (await tx.deadLetters()).find((d) => d.seq === seq);
      if (!letter) return;
      await tx.removeDeadLetters([seq]);
      const current = await tx.get(letter.table, letter.id);
      if (current) await tx.addOutbox(this.#entry(letter.table, letter.id, "upsert", current, false));
      else if (letter.op === "delete") await tx.addOutbox(this.#entry(letter.table, letter.id, "delete", null, false));
    });
    await this.#afterWrite();
  }

  /** Drops a dead letter (the local row stays as it is until the server changes it). */
  async discardDeadLetter(seq: number): Promise<void> {
    await this.#storage.transaction((tx) => tx.removeDeadLetters([seq]));
    await this.#refreshCounts();
  }

  // ---------------------------------------------------------------- sync

  /**
   * Pushes the outbox, then pulls until nothing more has changed. One sync at a time: a call
   * during a sync runs another one right after it. `reset`: forget the cursor and the local rows
   * without pending writes, and pull everything again (a manual full refresh).
   */
  sync(reason: SyncReason = "manual", options: { reset?: boolean } = {}): Promise<SyncOutcome> {
    if (this.#running) {
      this.#again = reason;
      if (options.reset) this.#resetNext = true;
      return this.#running;
    }
    if (options.reset) this.#resetNext = true;
    const run = this.#cycle(reason).finally(() => {
      this.#running = null;
      const again = this.#again;
      this.#again = null;
      if (again && this.#status.state !== "stopped" && this.#status.state !== "retry") void this.sync(again);
    });
    this.#running = run;
    return run;
  }

  #resetNext = false;

  async #cycle(reason: SyncReason): Promise<SyncOutcome> {
    const outcome: SyncOutcome = { ok: false, reason, pushed: 0, pulled: 0, conflicts: [], rejected: [] };
    if (this.#retryTimer !== null) {
      this.#clock.clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    if (!this.#status.online) {
      outcome.error = new SyncError("offline", "offline");
      this.#setStatus({ state: "offline", nextRetryAt: null });
      return outcome;
    }
    let batch: Batch | null = null;
    try {
      if (this.#resetNext) {
        this.#resetNext = false;
        await this.#reset();
      }
      this.#setStatus({ state: "pushing", nextRetryAt: null });
      while ((batch = await this.#nextBatch())) {
        if (batch.rows === 0) {
          await this.#storage.transaction((tx) => tx.removeOutbox(batch!.entries.map((e) => e.seq)));
          continue;
        }
        const cursor = await this.#storage.transaction((tx) => tx.getMeta(CURSOR));
        const answer = await this.#transport.push({
          changes: batch.changes,
          last_pulled_cursor: cursor,
          mutation_id: batch.id,
        });
        await this.#applyPush(batch, answer, outcome);
        outcome.pushed += batch.rows;
        batch = null;
        await this.#refreshCounts();
      }
      this.#setStatus({ state: "pulling" });
      for (;;) {
        const cursor = await this.#storage.transaction((tx) => tx.getMeta(CURSOR));
        const answer = await this.#transport.pull({ cursor, limit: this.#options.pullLimit });
        outcome.pulled += await this.#applyPull(answer);
        if (!answer.has_more) break;
      }
      outcome.ok = true;
      this.#setStatus({
        state: "idle",
        failures: 0,
        lastError: null,
        lastErrorKind: null,
        lastSyncedAt: this.#clock.now(),
      });
    } catch (e) {
      const error = asSyncError(e);
      outcome.error = error;
      if (batch && error.counts) await this.#countFailure(batch, error);
      const failures = this.#status.failures + 1;
      const delay = backoffDelay(failures, this.#options.backoff, this.#random);
      this.#setStatus({
        state: "retry",
        failures,
        lastError: error.message,
        lastErrorKind: error.kind,
        nextRetryAt: this.#clock.now() + delay,
      });
      if (this.#options.autoSync) {
        this.#retryTimer = this.#clock.setTimeout(() => {
          this.#retryTimer = null;
          this.trigger("retry");
        }, delay);
      }
    }
    await this.#refreshCounts();
    return outcome;
  }

  /** The next push: the batch already sent (its retry, same mutation id), else a new one. */
  async #nextBatch(): Promise<Batch | null> {
    return await this.#storage.transaction(async (tx) => {
      const outbox = await tx.outbox();
      if (outbox.length === 0) return null;
      const inFlight = outbox.find((e) => e.batch !== null)?.batch;
      let entries: OutboxEntry[];
      let id: string;
      if (inFlight) {
        id = inFlight;
        entries = outbox.filter((e) => e.batch === inFlight);
      } else {
        id = this.#newId();
        entries = outbox.slice(0, this.#options.batchSize).map((e) => ({ ...e, batch: id }));
        await tx.updateOutbox(entries);
      }
      return { id, entries, ...changesOf(entries) };
    });
  }

  async #applyPush(batch: Batch, answer: PushAnswer, outcome: SyncOutcome): Promise<void> {
    const changed = new Set<string>();
    const letters: Omit<DeadLetter, "seq">[] = [];
    await this.#storage.transaction(async (tx) => {
      await tx.removeOutbox(batch.entries.map((e) => e.seq));
      const pending = await pendingKeys(tx);
      for (const applied of answer.applied) {
        if (applied.mapped_from) await this.#remap(tx, applied.table, applied.mapped_from, applied.id, pending);
        if (pending.has(key(applied.table, applied.id)) || !this.schema[applied.table]) continue;
        if (applied.op === "deleted" || !applied.row || applied.row.deleted_at) {
          await tx.delete(applied.table, [applied.id]);
        } else await tx.put(applied.table, [applied.row]);
        changed.add(applied.table);
      }
      for (const conflict of answer.conflicts) {
        if (conflict.mapped_from) await this.#remap(tx, conflict.table, conflict.mapped_from, conflict.id, pending);
        if (pending.has(key(conflict.table, conflict.id)) || !this.schema[conflict.table]) continue;
        if (conflict.row && !conflict.row.deleted_at) await tx.put(conflict.table, [conflict.row]);
        else await tx.delete(conflict.table, [conflict.id]);
        changed.add(conflict.table);
      }
      for (const rejected of answer.rejected) {
        const id = String(rejected.id);
        const entries = batch.entries.filter((e) => e.table === rejected.table && e.id === id);
        for (const e of entries) {
          letters.push({
            table: e.table,
            id: e.id,
            op: e.op,
            row: e.row,
            kind: "rejected",
            reason: rejected.reason,
            code: rejected.code,
            attempts: e.attempts + 1,
            at: this.#clock.now(),
            mutationId: batch.id,
          });
        }
        if (pending.has(key(rejected.table, id)) || !this.schema[rejected.table]) continue;
        // the server is canonical: the local row goes back to what it has (the dead letter keeps
        // what the user wrote)
        if (rejected.row) await tx.put(rejected.table, [rejected.row]);
        else await tx.delete(rejected.table, [id]);
        changed.add(rejected.table);
      }
      if (letters.length) await tx.addDeadLetters(letters);
      await tx.setMeta(CURSOR, answer.cursor);
    });
    outcome.conflicts.push(...answer.conflicts);
    outcome.rejected.push(...answer.rejected);
    for (const conflict of answer.conflicts) for (const l of this.#conflictListeners) safely(() => l(conflict));
    if (letters.length) this.#emitDeadLetters();
    if (changed.size) { for (const l of this.#changeListeners) safely(() => l([...changed])); }
  }

  async #applyPull(answer: PullAnswer): Promise<number> {
    let count = 0;
    const changed = new Set<string>();
    await this.#storage.transaction(async (tx) => {
      const pending = await pendingKeys(tx);
      for (const table of this.tables) {
        const changes = answer.changes[table];
        if (!changes) continue;
        const rows = [...changes.created, ...changes.updated].filter((r) => !pending.has(key(table, r.id)));
        const deleted = changes.deleted.filter((id) => !pending.has(key(table, id)));
        if (rows.length) await tx.put(table, rows);
        if (deleted.length) await tx.delete(table, deleted);
        count += rows.length + deleted.length;
        if (rows.length || deleted.length) changed.add(table);
      }
      await tx.setMeta(CURSOR, answer.cursor);
    });
    if (changed.size) { for (const l of this.#changeListeners) safely(() => l([...changed])); }
    return count;
  }

  /** The server kept another row for the one this device made: follow its id everywhere. */
  async #remap(tx: StorageTx, table: string, from: string, to: string, pending: Set<string>): Promise<void> {
    if (from === to) return;
    await tx.delete(table, [from]);
    for (const [rowTable, spec] of Object.entries(this.schema)) {
      if (!Object.values(spec.refs).includes(table)) continue;
      const rows = await tx.all(rowTable);
      const rewritten = rows.map((r) => remapRefs(this.schema, rowTable, r, table, from, to)).filter((r, i) =>
        r !== rows[i]
      );
      if (rewritten.length) await tx.put(rowTable, rewritten);
    }
    const outbox = await tx.outbox();
    const updated: OutboxEntry[] = [];
    for (const e of outbox) {
      let next = e;
      if (e.table === table && e.id === from) {
        next = { ...e, id: to, row: e.row ? { ...e.row, id: to } : null };
        pending.delete(key(table, from));
        pending.add(key(table, to));
      }
      if (next.row) {
        const row = remapRefs(this.schema, e.table, next.row, table, from, to);
        if (row !== next.row) next = { ...next, row };
      }
      if (next !== e) updated.push(next);
    }
    if (updated.length) await tx.updateOutbox(updated);
  }

  /** A push that failed with an answer from the server: five of those and its writes are dead letters. */
  async #countFailure(batch: Batch, error: SyncError): Promise<void> {
    let dead: Omit<DeadLetter, "seq">[] = [];
    await this.#storage.transaction(async (tx) => {
      const current = new Map((await tx.outbox()).map((e) => [e.seq, e]));
      const entries = batch.entries.map((e) => current.get(e.seq)).filter((e): e is OutboxEntry => !!e)
        .map((e) => ({ ...e, attempts: e.attempts + 1, error: error.message }));
      if (entries.some((e) => e.attempts >= this.#options.maxAttempts)) {
        dead = entries.map((e) => ({
          table: e.table,
          id: e.id,
          op: e.op,
          row: e.row,
          kind: "failed" as const,
          reason: error.message,
          code: error.code,
          attempts: e.attempts,
          at: this.#clock.now(),
          mutationId: batch.id,
        }));
        await tx.removeOutbox(entries.map((e) => e.seq));
        await tx.addDeadLetters(dead);
      } else {
        await tx.updateOutbox(entries);
      }
    });
    if (dead.length) this.#emitDeadLetters();
  }

  async #reset(): Promise<void> {
    await this.#storage.transaction(async (tx) => {
      const pending = await pendingKeys(tx);
      for (const table of this.tables) {
        const keep = (await tx.all(table)).filter((r) => pending.has(key(table, r.id)));
        await tx.clear(table);
        if (keep.length) await tx.put(table, keep);
      }
      await tx.setMeta(CURSOR, null);
    });
  }

  // ---------------------------------------------------------------- helpers

  #entry(
    table: string,
    id: string,
    op: "upsert" | "delete",
    row: Row | null,
    created: boolean,
  ): Omit<OutboxEntry, "seq"> {
    return { table, id, op, row, created, at: this.#clock.now(), batch: null, attempts: 0, error: null };
  }

  async #afterWrite(): Promise<void> {
    await this.#refreshCounts();
    if (!this.#options.autoSync || this.#status.state === "stopped") return;
    if (this.#writeTimer !== null) return;
    this.#writeTimer = this.#clock.setTimeout(() => {
      this.#writeTimer = null;
      this.trigger("local-write");
    }, this.#options.localWriteDelayMs);
  }

  #armInterval(): void {
    if (this.#intervalTimer !== null) {
      this.#clock.clearTimeout(this.#intervalTimer);
      this.#intervalTimer = null;
    }
    const every = this.#options.intervalMs;
    if (!this.#started || !this.#options.autoSync || every === null || !this.#status.foreground) return;
    this.#intervalTimer = this.#clock.setTimeout(() => {
      this.#intervalTimer = null;
      this.trigger("interval");
      this.#armInterval();
    }, every);
  }

  async #refreshCounts(): Promise<void> {
    const [pending, deadLetters] = await this.#storage.transaction(async (tx) => [
      (await tx.outbox()).length,
      (await tx.deadLetters()).length,
    ]);
    if (pending !== this.#status.pending || deadLetters !== this.#status.deadLetters) {
      this.#setStatus({ pending, deadLetters });
    }
  }

  #emitDeadLetters(): void {
    void this.#storage.transaction((tx) => tx.deadLetters()).then((letters) => {
      for (const l of this.#deadLetterListeners) safely(() => l(letters));
    });
  }

  #setStatus(patch: Partial<SyncStatus>): void {
    this.#status = { ...this.#status, ...patch };
    const status = this.getStatus();
    for (const l of this.#statusListeners) safely(() => l(status));
  }

  #checkTable(table: string): void {
    if (!this.schema[table]) throw new Error(`${table} is not a synced table (${this.tables.join(", ")})`);
  }
}

interface Batch {
  id: string;
  entries: OutboxEntry[];
  changes: Changes;
  rows: number;
}

const key = (table: string, id: string) => `${table}\u0000${id}`;

async function pendingKeys(tx: StorageTx): Promise<Set<string>> {
  return new Set((await tx.outbox()).map((e) => key(e.table, e.id)));
}

/**
 * The push of some outbox entries: each row once, as last written; a row created and deleted
 * before it was ever pushed is not sent at all.
 */
export function changesOf(entries: OutboxEntry[]): { changes: Changes; rows: number } {
  const rows = new Map<string, { table: string; id: string; created: boolean; last: OutboxEntry }>();
  for (const e of entries) {
    const k = key(e.table, e.id);
    const seen = rows.get(k);
    if (seen) seen.last = e;
    else rows.set(k, { table: e.table, id: e.id, created: e.created, last: e });
  }
  const changes: Changes = {};
  let count = 0;
  for (const { table, id, created, last } of rows.values()) {
    if (last.op === "delete" && created) continue;
    const t = (changes[table] ??= { created: [], updated: [], deleted: [] });
    if (last.op === "delete") t.deleted.push(id);
    else (created ? t.created : t.updated).push(last.row!);
    count++;
  }
  return { changes, rows: count };
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error("sync listener failed:", e);
  }
}
