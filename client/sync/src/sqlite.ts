/**
 * A StorageAdapter over SQLite: mobile apps (expo-sqlite, op-sqlite…) and Node (better-sqlite3).
 * It needs a synchronous database with `exec` and `prepare(sql).run/get/all` (better-sqlite3's
 * API; wrap another driver in it). Each synced table is a table (id, data as JSON) that the app can
 * query with json_extract and index; the outbox, dead letters and settings have tables of their own.
 *
 *   const storage = new SqliteAdapter(new Database("insight.db"), PARLEY_SCHEMA);
 */
import { type SyncSchema, tablesOf } from "./schema.ts";
import type { DeadLetter, OutboxEntry, Row, StorageAdapter, StorageTx } from "./types.ts";

export interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
}

const quote = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`table name ${name}: use [a-z0-9_]`);
  return `"${name}"`;
};

export class SqliteAdapter implements StorageAdapter {
  readonly #db: SqliteDatabase;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: SqliteDatabase, schema: SyncSchema) {
    this.#db = db;
    for (const table of tablesOf(schema)) {
      db.exec(`create table if not exists ${quote(table)} (id text primary key, data text not null)`);
    }
    db.exec(`create table if not exists sync_outbox (seq integer primary key autoincrement, data text not null)`);
    db.exec(`create table if not exists sync_dead_letters (seq integer primary key autoincrement, data text not null)`);
    db.exec(`create table if not exists sync_meta (key text primary key, value text not null)`);
  }

  /** One transaction at a time (a queue), each BEGIN IMMEDIATE … COMMIT. */
  transaction<T>(fn: (tx: StorageTx) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      this.#db.exec("begin immediate");
      try {
        const result = await fn(this.#tx());
        this.#db.exec("commit");
        return result;
      } catch (e) {
        this.#db.exec("rollback");
        throw e;
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  #tx(): StorageTx {
    const db = this.#db;
    const rows = (sql: string, ...params: unknown[]) =>
      db.prepare(sql).all(...params) as { data: string; seq?: number }[];
    return {
      get: (table, id) => {
        const found = db.prepare(`select data from ${quote(table)} where id = ?`).get(id) as
          | { data: string }
          | undefined;
        return Promise.resolve(found ? JSON.parse(found.data) as Row : undefined);
      },
      all: (table) =>
        Promise.resolve(rows(`select data from ${quote(table)} order by id`).map((r) => JSON.parse(r.data) as Row)),
      put: (table, list) => {
        const put = db.prepare(
          `insert into ${quote(table)} (id, data) values (?, ?) on conflict (id) do update set data = excluded.data`,
        );
        for (const row of list) put.run(row.id, JSON.stringify(row));
        return Promise.resolve();
      },
      delete: (table, ids) => {
        const del = db.prepare(`delete from ${quote(table)} where id = ?`);
        for (const id of ids) del.run(id);
        return Promise.resolve();
      },
      clear: (table) => {
        db.exec(`delete from ${quote(table)}`);
        return Promise.resolve();
      },
      outbox: () =>
        Promise.resolve(
          rows(`select seq, data from sync_outbox order by seq`).map((r) =>
            ({ ...JSON.parse(r.data), seq: r.seq }) as OutboxEntry
          ),
        ),
      addOutbox: (entry) => {
        const result = db.prepare(`insert into sync_outbox (data) values (?) returning seq`).get(
          JSON.stringify(entry),
        ) as { seq: number };
        return Promise.resolve(Number(result.seq));
      },
      updateOutbox: (entries) => {
        const update = db.prepare(`update sync_outbox set data = ? where seq = ?`);
        for (const { seq, ...entry } of entries) update.run(JSON.stringify(entry), seq);
        return Promise.resolve();
      },
      removeOutbox: (seqs) => {
        const del = db.prepare(`delete from sync_outbox where seq = ?`);
        for (const seq of seqs) del.run(seq);
        return Promise.resolve();
      },
      deadLetters: () =>
        Promise.resolve(
          rows(`select seq, data from sync_dead_letters order by seq`).map((r) =>
            ({ ...JSON.parse(r.data), seq: r.seq }) as DeadLetter
          ),
        ),
      addDeadLetters: (entries) => {
        const add = db.prepare(`insert into sync_dead_letters (data) values (?)`);
        for (const entry of entries) add.run(JSON.stringify(entry));
        return Promise.resolve();
      },
      removeDeadLetters: (seqs) => {
        const del = db.prepare(`delete from sync_dead_letters where seq = ?`);
        for (const seq of seqs) del.run(seq);
        return Promise.resolve();
      },
      getMeta: (key) => {
        const found = db.prepare(`select value from sync_meta where key = ?`).get(key) as { value: string } | undefined;
        return Promise.resolve(found ? found.value : null);
      },
      setMeta: (key, value) => {
        if (value === null) db.prepare(`delete from sync_meta where key = ?`).run(key);
        else {db.prepare(
            `insert into sync_meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value`,
          ).run(key, value);}
        return Promise.resolve();
      },
    };
  }
}
