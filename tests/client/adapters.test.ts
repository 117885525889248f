/**
 * The storage adapters' conformance suite (client/sync/src/testing.ts) on the in-memory adapter and
 * on Dexie over fake-indexeddb (IndexedDB as a desktop or web app has it). The SQLite adapter runs
 * the same suite under Node with better-sqlite3 (client/sync/test/, run by node-package.test.ts).
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { Dexie } from "dexie";
import { MemoryAdapter, PARLEY_SCHEMA } from "../../client/sync/src/mod.ts";
import { DexieAdapter, syncStores } from "../../client/sync/src/dexie.ts";
import { adapterConformance } from "../../client/sync/src/testing.ts";

const register = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

adapterConformance("memory", () => Promise.resolve(new MemoryAdapter()), register);

adapterConformance("dexie (fake-indexeddb)", () => {
  const db = new Dexie(`sync-${crypto.randomUUID()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  db.version(1).stores(syncStores(PARLEY_SCHEMA, { entries: "id, occurred_at, *facets" }));
  return Promise.resolve(new DexieAdapter(db, PARLEY_SCHEMA));
}, register);
