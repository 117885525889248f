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

/**
 * Listeners of NOTIFYs that wire clients send (pglite-sessions.ts finds them in those clients'
 * answers): PGlite's own `listen` hears only what runs in-process.
 */
export class WireNotifications {
  private listeners = new Map<string, Set<(payload: string) => void>>();

  add(channel: string, fn: (payload: string) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, set = new Set());
    set.add(fn);
    return () => set!.delete(fn);
  }

  dispatch(channel: string, payload: string): void {
    for (const fn of this.listeners.get(channel) ?? []) fn(payload);
  }
}

export function pgliteDb(pg: PGlite, onClose?: () => Promise<void>, wire?: WireNotifications): Db {
  return wrapPglite(pg, onClose, wire);
}

function wrapPglite(pg: PGliteLike, onClose?: () => Promise<void>, wire?: WireNotifications): Db {
  const listen = "listen" in pg && "transaction" in pg
    ? async (channel: string, onPayload: (payload: string) => void) => {
      const unlisten = await (pg as PGlite).listen(channel, onPayload);
      const unwire = wire?.add(channel, onPayload);
      return async () => {
        unwire?.();
        await unlisten();
      };
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
  /** What pg_stat_activity shows for its connections (default "parley"). */
  applicationName?: string;
  /** Receives NOTICE/WARNING messages; dropped by default. */
  onNotice?: (notice: postgres.Notice) => void;
}

export function serverDb(url: string, options: ServerDbOptions = {}): Db {
  const sql = postgres(url, {
    max: options.max ?? 4,
    onnotice: options.onNotice ?? (() => {}),
    connection: { application_name: options.applicationName ?? "parley" },
  });
  return wrapServer(sql, () => sql.end({ timeout: 5 }));
}

/**
 * postgres.js 3.4.9 keeps the FATAL error of a backend that died in the middle of a query (57P01
 * from pg_terminate_backend, a server shutdown…) and hands it to the first query of the connection
 * that replaces it, which then never reaches the server. Such a left-over error still names the
 * query it first failed (`args`, set by postgres.js's queryError): a query that fails with another
 * query's FATAL error is sent again, up to twice. So is one written to a connection whose server end
 * had already closed it (EPIPE: nothing was sent), and a transaction whose BEGIN failed so before its
 * function ran.
 */
const FATAL_RETRIES = 2;

function isFatal(e: unknown): boolean {
  return (e as { severity?: unknown })?.severity === "FATAL";
}

function notSent(e: unknown): boolean {
  return (e as { code?: unknown })?.code === "EPIPE";
}

async function sendAgainIfLeftOver<T>(attempt: (args: never[]) => Promise<T>): Promise<T> {
  for (let tries = 0;; tries++) {
    const args: never[] = []; // this attempt's own: postgres.js records it on the errors of this query
    try {
      return await attempt(args);
    } catch (e) {
      const leftOver = isFatal(e) && (e as { args?: unknown }).args !== args;
      if (!(leftOver || notSent(e)) || tries >= FATAL_RETRIES) throw e;
    }
  }
}

function wrapServer(sql: postgres.Sql | postgres.TransactionSql, end?: () => Promise<void>): Db {
  // a transaction has no `begin`: LISTEN belongs to the client, which gives it its own connection
  const pool = "begin" in sql ? sql as postgres.Sql : null;
  const listen = pool
    ? async (channel: string, onPayload: (payload: string) => void) => {
      const request = await pool.listen(channel, onPayload);
      return () => request.unlisten();
    }
    : undefined;
  // inside a transaction nothing is sent again: its connection is gone with it
  const send = <T>(attempt: (args: never[]) => Promise<T>) => pool ? sendAgainIfLeftOver(attempt) : attempt([]);
  return {
    ...(listen ? { listen } : {}),
    query<T>(text: string, params?: unknown[]) {
      return send(async (args) => {
        args.push(...(params ?? []) as never[]);
        return [...await sql.unsafe(text, args)] as T[];
      });
    },
    exec<T>(text: string) {
      return send(async (args) => {
        const result = await sql.unsafe(text, args).simple();
        const last = Array.isArray(result[0]) ? result.at(-1) : result;
        return [...(last ?? [])] as T[];
      });
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      if (!pool) throw new Error("nested transactions are not supported");
      for (let tries = 0;; tries++) {
        let began = false;
        try {
          return await pool.begin((tx) => {
            began = true;
            return fn(wrapServer(tx));
          }) as T;
        } catch (e) {
          if (began || !(isFatal(e) || notSent(e)) || tries >= FATAL_RETRIES) throw e;
        }
      }
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
