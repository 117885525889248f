/**
 * An in-memory StorageAdapter: for tests, and for apps that keep nothing between runs. A
 * transaction works on copies and commits them when its function resolves, so a failure leaves
 * nothing half-written, as the Dexie and SQLite adapters do.
 */
import type { DeadLetter, OutboxEntry, Row, StorageAdapter, StorageTx } from "./types.ts";

interface State {
  tables: Map<string, Map<string, Row>>;
  outbox: OutboxEntry[];
  dead: DeadLetter[];
  meta: Map<string, string>;
  seq: number;
}

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryAdapter implements StorageAdapter {
  #state: State = { tables: new Map(), outbox: [], dead: [], meta: new Map(), seq: 0 };
  #queue: Promise<unknown> = Promise.resolve();

  transaction<T>(fn: (tx: StorageTx) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      const draft: State = clone(this.#state);
      const result = await fn(memoryTx(draft));
      this.#state = draft;
      return result;
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}

function memoryTx(s: State): StorageTx {
  const table = (name: string) => {
    let t = s.tables.get(name);
    if (!t) s.tables.set(name, t = new Map());
    return t;
  };
  return {
    get: (name, id) => Promise.resolve(clone(table(name).get(id))),
    all: (name) => Promise.resolve(clone([...table(name).values()])),
    put: (name, rows) => {
      for (const row of rows) table(name).set(row.id, clone(row));
      return Promise.resolve();
    },
    delete: (name, ids) => {
      for (const id of ids) table(name).delete(id);
      return Promise.resolve();
    },
    clear: (name) => {
      table(name).clear();
      return Promise.resolve();
    },
    outbox: () => Promise.resolve(clone(s.outbox)),
    addOutbox: (entry) => {
      const seq = ++s.seq;
      s.outbox.push({ ...clone(entry), seq });
      return Promise.resolve(seq);
    },
    updateOutbox: (entries) => {
      const byseq = new Map(entries.map((e) => [e.seq, clone(e)]));
      s.outbox = s.outbox.map((e) => byseq.get(e.seq) ?? e);
      return Promise.resolve();
    },
    removeOutbox: (seqs) => {
      const gone = new Set(seqs);
      s.outbox = s.outbox.filter((e) => !gone.has(e.seq));
      return Promise.resolve();
    },
    deadLetters: () => Promise.resolve(clone(s.dead)),
    addDeadLetters: (entries) => {
      for (const e of entries) s.dead.push({ ...clone(e), seq: ++s.seq });
      return Promise.resolve();
    },
    removeDeadLetters: (seqs) => {
      const gone = new Set(seqs);
      s.dead = s.dead.filter((e) => !gone.has(e.seq));
      return Promise.resolve();
    },
    getMeta: (key) => Promise.resolve(s.meta.get(key) ?? null),
    setMeta: (key, value) => {
      if (value === null) s.meta.delete(key);
      else s.meta.set(key, value);
      return Promise.resolve();
    },
  };
}
