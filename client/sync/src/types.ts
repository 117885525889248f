/**
 * The wire shapes of Parley's sync RPCs (pull_changes, push_changes) and the storage adapter
 * interface the engine writes through.
 */

/** A synced row as a client stores it: the server's columns, keyed by `id` (a uuid). */
export interface Row {
  id: string;
  [field: string]: unknown;
}

/** One table's changes, in WatermelonDB's shape. */
export interface TableChanges {
  created: Row[];
  updated: Row[];
  deleted: string[];
}

export type Changes = Record<string, TableChanges>;

/** pull_changes' answer. */
export interface PullAnswer {
  changes: Changes;
  cursor: string;
  has_more: boolean;
}

export interface Applied {
  table: string;
  id: string;
  op: "created" | "updated" | "deleted";
  /** The row as the server stored it (null for a delete). */
  row: Row | null;
  /** The id the client gave a row the server already had (same entity key, client id…). */
  mapped_from?: string;
}

export interface Conflict {
  table: string;
  id: string;
  /** client: the pushed change won (the last write on server time); server: a delete won. */
  winner: "client" | "server";
  op: "updated" | "deleted";
  reason: string;
  /** The winning row (null when the row is deleted). */
  row: Row | null;
  mapped_from?: string;
}

export interface Rejected {
  table: string;
  id: unknown;
  op: "created" | "updated" | "deleted";
  code: string;
  reason: string;
  /** The server's row as it stays (null when it has none). */
  row: Row | null;
}

/** push_changes' answer. */
export interface PushAnswer {
  applied: Applied[];
  conflicts: Conflict[];
  rejected: Rejected[];
  cursor: string;
}

export interface PullRequest {
  cursor: string | null;
  tables?: string[];
  limit?: number;
}

export interface PushRequest {
  changes: Changes;
  last_pulled_cursor: string | null;
  mutation_id: string;
}

/** How the engine reaches the server: supabaseTransport(), or a test double. */
export interface Transport {
  pull(request: PullRequest): Promise<PullAnswer>;
  push(request: PushRequest): Promise<PushAnswer>;
}

/** A local write waiting to be pushed, in the order it was made. */
export interface OutboxEntry {
  /** Order of the writes (assigned by the adapter, increasing). */
  seq: number;
  table: string;
  id: string;
  op: "upsert" | "delete";
  /** The whole row as written (null for a delete). */
  row: Row | null;
  /** Whether the row was new on this device (the server may not have it). */
  created: boolean;
  /** Local time of the write (ms since the epoch). */
  at: number;
  /** The mutation id of the push carrying it, once it is in one (a retry sends the same). */
  batch: string | null;
  /** Failed pushes so far. */
  attempts: number;
  error: string | null;
}

/** A write the engine gave up on: rejected by the server, or failed five times. */
export interface DeadLetter {
  seq: number;
  table: string;
  id: string;
  op: "upsert" | "delete";
  row: Row | null;
  /** rejected: the server refused the row (reason says why); failed: the push kept failing. */
  kind: "rejected" | "failed";
  reason: string;
  code: string | null;
  attempts: number;
  at: number;
  mutationId: string | null;
}

/** What an adapter does inside one local transaction. */
export interface StorageTx {
  get(table: string, id: string): Promise<Row | undefined>;
  all(table: string): Promise<Row[]>;
  put(table: string, rows: Row[]): Promise<void>;
  delete(table: string, ids: string[]): Promise<void>;
  clear(table: string): Promise<void>;
  /** The outbox in write order. */
  outbox(): Promise<OutboxEntry[]>;
  addOutbox(entry: Omit<OutboxEntry, "seq">): Promise<number>;
  updateOutbox(entries: OutboxEntry[]): Promise<void>;
  removeOutbox(seqs: number[]): Promise<void>;
  deadLetters(): Promise<DeadLetter[]>;
  addDeadLetters(entries: Omit<DeadLetter, "seq">[]): Promise<void>;
  removeDeadLetters(seqs: number[]): Promise<void>;
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string | null): Promise<void>;
}

/**
 * Local storage: rows of the synced tables, the outbox, dead letters and a few settings (the
 * cursor). Everything one transaction does commits together or not at all.
 */
export interface StorageAdapter {
  transaction<T>(fn: (tx: StorageTx) => Promise<T>): Promise<T>;
  close?(): Promise<void>;
}
