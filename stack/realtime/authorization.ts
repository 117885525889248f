/**
 * Private channels, authorised by row level security on realtime.messages as Supabase Realtime
 * does it (supabase/realtime `lib/realtime/tenants/authorization.ex`):
 *
 * - Read: in a transaction, insert a probe row into realtime.messages for the topic per extension
 *   (broadcast, and presence when the channel has presence), as the server's own role; then set
 *   `role`, `realtime.topic`, `request.jwt.claims`, `request.jwt.claim.sub`,
 *   `request.jwt.claim.role` and `request.headers` transaction-locally, and select the probes back:
 *   what the SELECT policies let through is what the subscriber may read. Roll back.
 * - Write: with the same settings, insert a probe per extension under the subscriber's role, each
 *   in a savepoint: an insufficient_privilege error (no INSERT policy admits it) means no write
 *   access. Roll back. The server checks once per token, on the first broadcast or track.
 *
 * Nothing is ever committed: the probes only exist inside the rolled-back transaction.
 */
import type { Db } from "../db/client.ts";
import { isPgError } from "../db/client.ts";

export type Extension = "broadcast" | "presence";

/** null: not checked (yet). */
export interface Policies {
  broadcast: { read: boolean | null; write: boolean | null };
  presence: { read: boolean | null; write: boolean | null };
}

export function emptyPolicies(): Policies {
  return { broadcast: { read: null, write: null }, presence: { read: null, write: null } };
}

/** What the checks run as: the channel's sub-topic and the subscriber's JWT. */
export interface AuthorizationContext {
  topic: string;
  role: string;
  sub: string | null;
  claims: Record<string, unknown>;
  /** The `x-` headers of the WebSocket upgrade request, as Realtime passes them. */
  headers: Record<string, string>;
}

/** An error of the check itself (a policy that fails, an unknown role…), not a denial. */
export class PolicyError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Thrown inside the transaction to roll it back with a result. */
class Rollback<T> {
  constructor(readonly value: T) {}
}

async function rolledBack<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  try {
    await db.transaction(async (tx) => {
      throw new Rollback(await fn(tx));
    });
  } catch (e) {
    if (e instanceof Rollback) return e.value as T;
    throw e;
  }
  throw new Error("unreachable: the transaction was not rolled back");
}

const SET_CONFIG = `select set_config('role', $1, true), set_config('realtime.topic', $2, true),
  set_config('request.jwt.claims', $3, true), set_config('request.jwt.claim.sub', $4, true),
  set_config('request.jwt.claim.role', $1, true), set_config('request.headers', $5, true)`;

function configParams(ctx: AuthorizationContext): unknown[] {
  return [ctx.role, ctx.topic, JSON.stringify(ctx.claims), ctx.sub ?? "", JSON.stringify(ctx.headers)];
}

/** Read access per extension (the others are left as they were). */
export async function readPolicies(
  db: Db,
  ctx: AuthorizationContext,
  policies: Policies,
  extensions: Extension[],
): Promise<Policies> {
  const probes = extensions.map((extension) => ({ extension, id: crypto.randomUUID() }));
  try {
    const seen = await rolledBack(db, async (tx) => {
      await tx.query(
        `insert into realtime.messages (id, topic, extension)
         select * from unnest($1::uuid[], $2::text[], $3::text[])`,
        [probes.map((p) => p.id), probes.map(() => ctx.topic), probes.map((p) => p.extension)],
      );
      await tx.query(SET_CONFIG, configParams(ctx));
      const rows = await tx.query<{ id: string }>(
        "select id::text from realtime.messages where id = any($1::uuid[])",
        [probes.map((p) => p.id)],
      );
      return new Set(rows.map((r) => r.id));
    });
    const next = structuredClone(policies);
    for (const p of probes) next[p.extension].read = seen.has(p.id);
    return next;
  } catch (e) {
    throw isPgError(e) ? new PolicyError(e) : e;
  }
}

/** Write access per extension: those not asked for are denied, as Realtime does. */
export async function writePolicies(
  db: Db,
  ctx: AuthorizationContext,
  policies: Policies,
  extensions: Extension[],
): Promise<Policies> {
  try {
    const allowed = await rolledBack(db, async (tx) => {
      await tx.query(SET_CONFIG, configParams(ctx));
      const result = new Map<Extension, boolean>();
      for (const extension of ["broadcast", "presence"] as Extension[]) {
        if (!extensions.includes(extension)) {
          result.set(extension, false);
          continue;
        }
        await tx.exec("savepoint realtime_write_check");
        try {
          await tx.query("insert into realtime.messages (topic, extension) values ($1, $2)", [ctx.topic, extension]);
          result.set(extension, true);
        } catch (e) {
          if (!isPgError(e) || e.code !== "42501") throw e;
          await tx.exec("rollback to savepoint realtime_write_check");
          result.set(extension, false);
        }
      }
      return result;
    });
    const next = structuredClone(policies);
    for (const [extension, write] of allowed) next[extension].write = write;
    return next;
  } catch (e) {
    throw isPgError(e) ? new PolicyError(e) : e;
  }
}
