/**
 * Runs one API request's SQL in one transaction, after PostgREST's per-request settings
 * (`set_config(name, value, true)`: role settings, search_path, request.jwt.claims, request.method,
 * request.path, request.headers, request.cookies, and the role last). Settings are transaction-local,
 * so nothing survives the request, on either engine.
 *
 * - PGlite (one backend shared by everything): through PGlite's own `transaction()`, which
 *   serializes it with every other user of the database.
 * - Native Postgres: one round trip. The settings and the statement go as one simple-protocol
 *   query string, which Postgres runs as one implicit transaction (committed at the end, rolled back
 *   on any error, so a connection is never left inside a transaction). Values are inlined as
 *   dollar-quoted literals with a tag that does not occur in them, so no value can end its quote.
 *   When the result must be checked before committing (a single object was asked for), it uses an
 *   explicit transaction instead.
 */
import type { Db, Row } from "../db.ts";

/** SQL text built around its parameters: `param(i)` is how the i-th value is referenced. */
export type SqlTemplate = (param: (index: number) => string) => string;

export interface Statement {
  sql: SqlTemplate;
  values: string[];
}

export interface Executor {
  /**
   * Applies `settings` (in order) and runs the statement in one transaction; returns its rows.
   * `check` runs inside the transaction: when it throws, everything is rolled back.
   */
  run<T extends Row>(settings: [string, string][], statement: Statement, check?: (rows: T[]) => void): Promise<T[]>;
  /** A transaction on the gateway's own connection (the Auth server's work). */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  readonly db: Db;
}

/** Dollar-quoted literal whose tag does not occur in the value. */
export function literal(value: string): string {
  let tag = "$v$";
  for (let i = 0; value.includes(tag); i++) tag = `$v${i}$`;
  return `${tag}${value}${tag}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One statement applying the settings in order (left to right in its select list). */
function settingsSql(settings: [string, string][], param: (i: number) => string): string {
  if (settings.length === 0) return "select 1";
  return "select " + settings.map((_, i) => `pg_catalog.set_config(${param(2 * i)}, ${param(2 * i + 1)}, true)`)
    .join(", ");
}

export function pgliteExecutor(db: Db): Executor {
  return {
    db,
    transaction: (fn) => db.transaction(fn),
    run<T extends Row>(settings: [string, string][], statement: Statement, check?: (rows: T[]) => void) {
      return db.transaction(async (tx) => {
        await tx.query(settingsSql(settings, (i) => `$${i + 1}`), settings.flat());
        const rows = await tx.query<T>(statement.sql((i) => `$${i + 1}::text`), statement.values);
        check?.(rows);
        return rows;
      });
    },
  };
}

export function serverExecutor(db: Db): Executor {
  return {
    db,
    transaction: (fn) => db.transaction(fn),
    async run<T extends Row>(settings: [string, string][], statement: Statement, check?: (rows: T[]) => void) {
      if (check) {
        return await db.transaction(async (tx) => {
          await tx.query(settingsSql(settings, (i) => `$${i + 1}::text`), settings.flat());
          const rows = await tx.query<T>(statement.sql((i) => `$${i + 1}::text`), statement.values);
          check(rows);
          return rows;
        });
      }
      const flat = settings.flat();
      const text = settingsSql(settings, (i) => literal(flat[i])) + ";\n" +
        statement.sql((i) => `${literal(statement.values[i])}::text`);
      return await db.exec<T>(text);
    },
  };
}
