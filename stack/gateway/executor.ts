/**
 * Runs one API request's SQL in one transaction, after PostgREST's per-request settings
 * (`set_config(name, value, true)`: role settings, search_path, request.jwt.claims, request.method,
 * request.path, request.headers, request.cookies, and the role last). Settings are transaction-local,
 * so nothing survives the request, on either engine.
 *
 * - PGlite (one backend shared by everything): through PGlite's own `transaction()`, values bound as
 *   parameters. The engine keeps it apart from wire clients' transactions (db/pglite-sessions.ts).
 * - Native Postgres: through postgres.js, in ONE round trip: the settings and the call are two
 *   statements of one simple-protocol Query message. Postgres runs such a message as one implicit
 *   transaction, committed after the last statement and rolled back on any error, so a connection is
 *   never left inside a transaction; it parses the whole string first but analyses each statement
 *   only when its turn comes, so the call is resolved under the request's role and search_path, and
 *   the request's statement_timeout applies to the call. Values are quoted as `quote_literal` does.
 *
 *   Why not postgres.js's pipelining with bound parameters (read in node_modules/postgres/src):
 *   `sql.begin()` awaits its BEGIN and its COMMIT on their own (three round trips). `sql.reserve()`
 *   would let begin, settings, call and commit go out in one write, but (1) a statement with
 *   parameters that the connection has not prepared yet is sent as Parse/Describe/Flush and the
 *   pipeline waits for its parameter types (connection.js `describeFirst`), and (2) when a prepared
 *   statement fails because its plan went stale (`retryRoutines`: RevalidateCachedQuery,
 *   FetchPreparedStatement), postgres.js sends it again behind what is already queued: behind the
 *   pipelined commit, so the call would run a second time outside the transaction, as the pool's
 *   login role and without the request's settings.
 *
 * When the result must be checked before committing (a single object was asked for), the same two
 * statements run inside `db.transaction` (postgres.js `sql.begin`: BEGIN, the Query, then COMMIT,
 * or ROLLBACK when the check throws).
 */
import type { Db, PgError, Row } from "../db/client.ts";

/**
 * SQL text built around its parameters: `param(i)` is how the i-th value is referenced, as text
 * (`$1::text`, or a quoted literal cast to text); `param(i, false)` references it as a literal of
 * unknown type, which Postgres types from its context (`col = '42'`), as PostgREST's parameters.
 */
export type SqlTemplate = (param: (index: number, typed?: boolean) => string) => string;

export interface Statement {
  sql: SqlTemplate;
  values: string[];
}

export interface RunOptions {
  /**
   * End the transaction with a rollback once the rows are read (PostgREST's `Prefer: tx=rollback`,
   * after `SET CONSTRAINTS ALL IMMEDIATE` so that deferred constraints still report their errors).
   */
  rollback?: boolean;
}

/** Thrown inside a transaction to roll it back while keeping its rows. */
class RollbackWith<T> {
  constructor(readonly rows: T[]) {}
}

async function keepingRows<T>(work: Promise<T[]>): Promise<T[]> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof RollbackWith) return e.rows as T[];
    throw e;
  }
}

export interface Executor {
  /**
   * Applies `settings` (in order) and runs the statement in one transaction; returns its rows.
   * `check` runs inside the transaction: when it throws, everything is rolled back.
   */
  run<T extends Row>(
    settings: [string, string][],
    statement: Statement,
    check?: (rows: T[]) => void,
    options?: RunOptions,
  ): Promise<T[]>;
  /** The gateway's own connection (the Auth server's work, in `db.transaction`). */
  readonly db: Db;
}

/**
 * A string literal as Postgres's `quote_literal` writes it: quotes doubled, and when the value has a
 * backslash, the `E'…'` form with backslashes doubled, which reads the same whatever
 * `standard_conforming_strings` says. A NUL cannot be in a text value: refused as Postgres refuses
 * it in a parameter (22021), rather than letting it cut the query string short.
 */
export function quoteLiteral(value: string): string {
  if (value.includes("\0")) {
    throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" }) as PgError;
  }
  const quoted = value.replaceAll("'", "''");
  return value.includes("\\") ? `E'${quoted.replaceAll("\\", "\\\\")}'` : `'${quoted}'`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One statement applying `count` settings in order (left to right in its select list). */
function settingsSql(count: number, param: (i: number) => string): string {
  if (count === 0) return "select 1";
  return "select " +
    Array.from({ length: count }, (_, i) => `pg_catalog.set_config(${param(2 * i)}, ${param(2 * i + 1)}, true)`)
      .join(", ");
}

/** `select set_config($1::text, $2::text, true), …` for n settings, built once per count. */
const settingsStatements: string[] = [];

function settingsStatement(n: number): string {
  return settingsStatements[n] ??= settingsSql(n, (i) => `$${i + 1}::text`);
}

export function pgliteExecutor(db: Db): Executor {
  return {
    db,
    run: <T extends Row>(
      settings: [string, string][],
      statement: Statement,
      check?: (rows: T[]) => void,
      options?: RunOptions,
    ) =>
      keepingRows(db.transaction(async (tx) => {
        await tx.query(settingsStatement(settings.length), settings.flat());
        // values of unknown type are quoted into the text (PGlite would type an untyped parameter
        // itself, from the JavaScript value, rather than leave it to Postgres)
        const bound: string[] = [];
        const numbers = new Map<number, number>();
        const text = statement.sql((i, typed = true) => {
          if (!typed) return quoteLiteral(statement.values[i]);
          let n = numbers.get(i);
          if (n === undefined) numbers.set(i, n = bound.push(statement.values[i]));
          return `$${n}::text`;
        });
        const rows = await tx.query<T>(text, bound);
        check?.(rows);
        if (options?.rollback) {
          await tx.exec("set constraints all immediate");
          throw new RollbackWith(rows);
        }
        return rows;
      })),
  };
}

/** Native Postgres through postgres.js (`db`, the gateway's own pool): see the top of this file. */
export function nativeExecutor(db: Db): Executor {
  return {
    db,
    async run<T extends Row>(
      settings: [string, string][],
      statement: Statement,
      check?: (rows: T[]) => void,
      options?: RunOptions,
    ) {
      const flat = settings.flat();
      const text = settingsSql(settings.length, (i) => quoteLiteral(flat[i])) + ";\n" +
        statement.sql((i, typed = true) => `${quoteLiteral(statement.values[i])}${typed ? "::text" : ""}`);
      if (!check && !options?.rollback) return await db.exec<T>(text);
      return await keepingRows(db.transaction(async (tx) => {
        const rows = await tx.exec<T>(text);
        check?.(rows);
        if (options?.rollback) {
          await tx.exec("set constraints all immediate");
          throw new RollbackWith(rows);
        }
        return rows;
      }));
    },
  };
}
