/**
 * A StorageAdapter over Dexie (IndexedDB): desktop and web apps. Each synced table is a Dexie
 * table keyed by `id` (add the indexes the app queries on); the outbox, dead letters and settings
 * have tables of their own. Declare them with syncStores():
 *
 *   const db = new Dexie("insight");
 *   db.version(1).stores(syncStores(PARLEY_SCHEMA, { entries: "id, occurred_at, *facets" }));
 *   const storage = new DexieAdapter(db, PARLEY_SCHEMA);
 */
import type { Dexie, Table, Transaction } from "dexie";
import { type SyncSchema, tablesOf } from "./schema.ts";
import type { DeadLetter, OutboxEntry, Row, StorageAdapter, StorageTx } from "./types.ts";

export const OUTBOX = "sync_outbox";
export const DEAD_LETTERS = "sync_dead_letters";
export const META = "sync_meta";

/** Dexie stores for the synced tables (`id` plus the indexes given) and the engine's own. */
export function syncStores(schema: SyncSchema, indexes: Record<string, string> = {}): Record<string, string> {
  const stores: Record<string, string> = {};
  for (const table of tablesOf(schema)) stores[table] = indexes[table] ?? "id";
  stores[OUTBOX] = "++seq";
  stores[DEAD_LETTERS] = "++seq";
  stores[META] = "key";
  return stores;
}

export class DexieAdapter implements StorageAdapter {
  readonly #db: Dexie;
  readonly #tables: string[];

  constructor(db: Dexie, schema: SyncSchema) {
    this.#db = db;
    this.#tables = tablesOf(schema);
  }

  /**
   * One Dexie "rw" transaction over every store. Operations go through the Transaction object
   * itself (trans.table()), not Dexie's ambient zone: the engine awaits through several layers of
   * native async functions, across which the zone can be lost, while the IndexedDB transaction
   * stays active as long as each next request is issued before control returns to the event loop.
   */
  transaction<T>(fn: (tx: StorageTx) => Promise<T>): Promise<T> {
    const names = [...this.#tables, OUTBOX, DEAD_LETTERS, META];
    return this.#db.transaction("rw", names, (trans: Transaction) => {
      const t = (name: string) => trans.table(name) as Table<Row, string>;
      const outbox = () => trans.table(OUTBOX) as Table<OutboxEntry, number>;
      const dead = () => trans.table(DEAD_LETTERS) as Table<DeadLetter, number>;
      const meta = () => trans.table(META) as Table<{ key: string; value: string }, string>;
      const tx: StorageTx = {
        get: (name, id) => t(name).get(id),
        all: (name) => t(name).toArray(),
        put: async (name, rows) => {
          await t(name).bulkPut(rows);
        },
        delete: async (name, ids) => {
          await t(name).bulkDelete(ids);
        },
        clear: async (name) => {
          await t(name).clear();
        },
        outbox: () => outbox().orderBy("seq").toArray(),
        addOutbox: async (entry) => await outbox().add(entry as OutboxEntry) as number,
        updateOutbox: async (entries) => {
          await outbox().bulkPut(entries);
        },
        removeOutbox: async (seqs) => {
          await outbox().bulkDelete(seqs);
        },
        deadLetters: () => dead().orderBy("seq").toArray(),
        addDeadLetters: async (entries) => {
          await dead().bulkAdd(entries as DeadLetter[]);
        },
        removeDeadLetters: async (seqs) => {
          await dead().bulkDelete(seqs);
        },
        getMeta: async (key) => (await meta().get(key))?.value ?? null,
        setMeta: async (key, value) => {
          if (value === null) await meta().delete(key);
          else await meta().put({ key, value });
        },
      };
      return fn(tx);
    }) as Promise<T>;
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
