/**
 * One small database interface over both engines: PGlite in-process, or a Postgres server through
 * postgres.js. Rows come back as plain objects; errors keep Postgres's fields (code, detail, hint,
 * position, where) under the same names on both.
 */
import type { PGlite, Transaction } from "@electric-sql/pglite";
import postgres from "postgres";

export type Row = Record<string, unknown>;

export interface Db {
  /** One statement, with $1… parameters. */
  query<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /** One or more statements with the simple query protocol, no parameters; rows of the last. */
  exec<T = Row>(text: string): Promise<T[]>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a channel: `onPayload` receives each NOTIFY's payload; resolves to an unlisten
   * function. Absent inside transactions.
   */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A Postgres error, as both drivers raise it. */
export interface PgError extends Error {
  code?: string;
  detail?: string;
  hint?: string;
  position?: string | number;
  where?: string;
}

export function isPgError(e: unknown): e is PgError {
  return e instanceof Error && typeof (e as PgError).code === "string";
}

// ---------------------------------------------------------------- PGlite

type PGliteLike = PGlite | Transaction;

export function pgliteDb(pg: PGlite, onClose?: () => Promise<void>): Db {
  return wrapPglite(pg, onClose);
}

function wrapPglite(pg: PGliteLike, onClose?: () => Promise<void>): Db {
  const listen = "listen" in pg && "transaction" in pg
    ? async (channel: string, onPayload: (payload: string) => void) => {
      const unlisten = await (pg as PGlite).listen(channel, onPayload);
      return () => unlisten();
    }
    : undefined;
  return {
    ...(listen ? { listen } : {}),
    async query<T>(text: string, params?: unknown[]) {
      return (await pg.query<T>(text, params)).rows;
    },
    async exec<T>(text: string) {
      const results = await pg.exec(text);
      return (results.at(-1)?.rows ?? []) as T[];
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      if (!("transaction" in pg)) throw new Error("nested transactions are not supported");
      return await pg.transaction((tx) => fn(wrapPglite(tx)));
    },
    async close() {
      await onClose?.();
    },
  };
}

// ---------------------------------------------------------------- Postgres server

export interface ServerDbOptions {
  max?: number;
  /** Receives NOTICE/WARNING messages; dropped by default. */
  onNotice?: (notice: postgres.Notice) => void;
}

export function serverDb(url: string, options: ServerDbOptions = {}): Db {
  const sql = postgres(url, {
    max: options.max ?? 4,
    onnotice: options.onNotice ?? (() => {}),
    connection: { application_name: "parley" },
  });
  return wrapServer(sql, () => sql.end({ timeout: 5 }));
}

function wrapServer(sql: postgres.Sql | postgres.TransactionSql, end?: () => Promise<void>): Db {
  // a transaction has no `begin`: LISTEN belongs to the client, which gives it its own connection
  const listen = "begin" in sql
    ? async (channel: string, onPayload: (payload: string) => void) => {
      const request = await (sql as postgres.Sql).listen(channel, onPayload);
      return () => request.unlisten();
    }
    : undefined;
  return {
    ...(listen ? { listen } : {}),
    async query<T>(text: string, params?: unknown[]) {
      return [...await sql.unsafe(text, (params ?? []) as postgres.ParameterOrJSON<never>[])] as T[];
    },
    async exec<T>(text: string) {
      const result = await sql.unsafe(text).simple();
      const last = Array.isArray(result[0]) ? result.at(-1) : result;
      return [...(last ?? [])] as T[];
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      if (!("begin" in sql)) throw new Error("nested transactions are not supported");
      return await (sql as postgres.Sql).begin((tx) => fn(wrapServer(tx))) as T;
    },
    async close() {
      await end?.();
    },
  };
}

/** Formats a Postgres error for people: message, detail, hint and where it happened. */
export function describePgError(e: unknown): string {
  if (!isPgError(e)) return e instanceof Error ? e.message : String(e);
  const parts = [`ERROR: ${e.message} (SQLSTATE ${e.code})`];
  if (e.detail) parts.push(`DETAIL: ${e.detail}`);
  if (e.hint) parts.push(`HINT: ${e.hint}`);
  if (e.where) parts.push(`CONTEXT: ${e.where}`);
  return parts.join("\n");
}
