/**
 * Runs one API request's SQL in one transaction, after PostgREST's per-request settings
 * (`set_config(name, value, true)`: role settings, search_path, request.jwt.claims, request.method,
 * request.path, request.headers, request.cookies, and the role last). Settings are transaction-local,
 * so nothing survives the request, on either engine.
 *
 * - PGlite (one backend shared by everything): through PGlite's own `transaction()`, which
 *   serializes it with every other user of the database.
 * - Native Postgres (`wireExecutor`, the default): one round trip through the gateway's own
 *   wire-protocol client, with prepared statements and one Sync (see below).
 * - Native Postgres through postgres.js (`serverExecutor`: when the database URL needs TLS or a unix
 *   socket, or for comparison): one round trip too. The settings and the statement go as one
 *   simple-protocol query string, which Postgres runs as one implicit transaction (committed at the
 *   end, rolled back on any error, so a connection is never left inside a transaction). Values are
 *   inlined as dollar-quoted literals with a tag that does not occur in them, so no value can end
 *   its quote; both statements are parsed and planned on every request.
 *
 * On both native paths, when the result must be checked before committing (a single object was
 * asked for), an explicit transaction is used instead.
 */
import type { Db, Row } from "../db/client.ts";
import {
  bindExecute,
  type Field,
  parseText,
  PgConnectionError,
  type PgWireConnection,
  type PgWirePool,
  simpleQuery,
  sync,
} from "./pg-wire.ts";

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
  /** The gateway's own connection (the Auth server's work, in `db.transaction`). */
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

/** The settings, then the statement, then `check`, in one transaction on `db` (parameters bound). */
function runInTransaction<T extends Row>(
  db: Db,
  settings: [string, string][],
  statement: Statement,
  check?: (rows: T[]) => void,
): Promise<T[]> {
  return db.transaction(async (tx) => {
    await tx.query(settingsStatement(settings.length), settings.flat());
    const rows = await tx.query<T>(statement.sql((i) => `$${i + 1}::text`), statement.values);
    check?.(rows);
    return rows;
  });
}

export function pgliteExecutor(db: Db): Executor {
  return {
    db,
    run: (settings, statement, check) => runInTransaction(db, settings, statement, check),
  };
}

export function serverExecutor(db: Db): Executor {
  return {
    db,
    async run<T extends Row>(settings: [string, string][], statement: Statement, check?: (rows: T[]) => void) {
      if (check) return await runInTransaction(db, settings, statement, check);
      const flat = settings.flat();
      const text = settingsSql(settings.length, (i) => literal(flat[i])) + ";\n" +
        statement.sql((i) => `${literal(statement.values[i])}::text`);
      return await db.exec<T>(text);
    },
  };
}

/**
 * Native Postgres through the gateway's own wire-protocol client (`pg-wire.ts`). A request is one
 * round trip on a pooled connection: Bind/Execute of the settings statement (prepared once per
 * connection and number of settings), Bind/Execute of the call (prepared once per connection and
 * SQL text, which depends on the function and the argument names, not on their values), then ONE
 * Sync. Everything up to a Sync is one implicit transaction, committed at the Sync and rolled back
 * on any error, so settings stay transaction-local and a failed request leaves nothing behind. The
 * call is parsed after the settings ran (its Parse follows their Execute), so the first parse sees
 * the request's role and search_path, as PostgREST's prepared statements do; Postgres re-plans a
 * prepared statement when a function it calls changes, or when search_path differs.
 *
 * When the result must be checked before committing, the pipeline starts with `begin`; the check
 * runs, then `commit` (or `rollback`) is a second round trip.
 */
export function wireExecutor(pool: PgWirePool, db: Db): Executor {
  return {
    db,
    async run<T extends Row>(settings: [string, string][], statement: Statement, check?: (rows: T[]) => void) {
      const conn = await pool.acquire();
      const state = { status: "?" };
      try {
        try {
          return await runOnce<T>(conn, state, settings, statement, check);
        } catch (e) {
          // A function the call names was replaced by one with another result type: the prepared
          // statement cannot be re-planned. Nothing ran (the pipeline was rolled back): prepare again.
          if (
            state.status === "I" && (e as { code?: string }).code === "0A000" &&
            /cached plan/.test((e as Error).message)
          ) {
            return await runOnce<T>(conn, state, settings, statement, check);
          }
          throw e;
        }
      } finally {
        // anything but "idle, no transaction" (or a lost connection) and the connection is not reused
        pool.release(conn, state.status === "I");
      }
    },
  };
}

async function runOnce<T extends Row>(
  conn: PgWireConnection,
  state: { status: string },
  settings: [string, string][],
  statement: Statement,
  check?: (rows: T[]) => void,
): Promise<T[]> {
  state.status = "?";
  const settingsSql = settingsStatement(settings.length);
  const callSql = statement.sql((i) => `$${i + 1}::text`);
  let preparedSettings, settingsName, preparedCall, callName;
  try {
    const w = conn.out;
    if (check) simpleQuery(w, "begin");
    preparedSettings = conn.statement(settingsSql);
    settingsName = preparedSettings?.name ?? conn.prepare(w, settingsSql, false);
    const values: string[] = new Array(settings.length * 2);
    for (let i = 0; i < settings.length; i++) {
      values[2 * i] = settings[i][0];
      values[2 * i + 1] = settings[i][1];
    }
    bindExecute(w, settingsName, values);
    preparedCall = conn.statement(callSql);
    callName = preparedCall?.name ?? conn.prepare(w, callSql, true);
    bindExecute(w, callName, statement.values);
    sync(w);
  } catch (e) {
    conn.discard(); // nothing was sent: the connection stays idle
    state.status = "I";
    throw e;
  }
  const r = await conn.run(check ? 2 : 1);
  state.status = r.status;

  // register what the server parsed (Parses answer in order; an error skips the rest)
  let parsed = r.parsed;
  if (!preparedSettings && parsed-- > 0) conn.remember(settingsSql, { name: settingsName, fields: null });
  let fields = preparedCall?.fields ?? null;
  if (!preparedCall && parsed-- > 0 && r.descriptions.length > 0) {
    fields = r.descriptions[0];
    conn.remember(callSql, { name: callName, fields });
  }

  if (r.error) {
    if (r.error.code === "0A000") conn.forget(callSql); // prepared again if the request is retried
    if (check) await finish(conn, state, "rollback");
    if (r.error.code === "26000") state.status = "?"; // our statements are gone: start over on a new connection
    throw r.error;
  }
  if (r.status !== (check ? "T" : "I")) {
    state.status = "?";
    throw new PgConnectionError("CONNECTION_PROTOCOL", `unexpected transaction status ${r.status}`);
  }
  const rows = toRows<T>(r.results[r.results.length - 1] ?? [], fields);
  if (check) {
    try {
      check(rows);
    } catch (e) {
      await finish(conn, state, "rollback");
      throw e;
    }
    await finish(conn, state, "commit");
  }
  return rows;
}

/** Ends an explicit transaction; a failing commit throws its error. */
async function finish(conn: PgWireConnection, state: { status: string }, command: "commit" | "rollback") {
  const r = await conn.query(command);
  state.status = r.status;
  if (r.error) throw r.error;
}

function toRows<T>(raw: (string | null)[][], fields: Field[] | null): T[] {
  if (!fields) return raw.map(() => ({}) as T);
  return raw.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) row[fields[i].name] = parseText(values[i], fields[i].typeOid);
    return row as T;
  });
}
