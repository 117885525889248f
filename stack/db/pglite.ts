/**
 * The default engine: PGlite (Postgres compiled to WASM) in this process, with pgvector, pgTAP,
 * pgcrypto, pg_trgm and uuid-ossp, persisted in a data folder, and served on the Postgres wire
 * protocol so psql, drivers and the Supabase CLI connect.
 *
 * PGlite has one backend shared by every connection: statements and transactions run one at a
 * time (a wire client's transaction and the stack's own are kept apart: pglite-sessions.ts), and a
 * plain SET made by one connection is seen by all. Callers use `set local` only.
 */
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { pgtap } from "@electric-sql/pglite-pgtap";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { uuid_ossp } from "@electric-sql/pglite/contrib/uuid_ossp";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { type Db, pgliteDb, WireNotifications } from "./client.ts";
import { socketSessions } from "./pglite-sessions.ts";
import { assertPortFree, exists } from "../paths.ts";
import type { Engine, EngineOptions } from "./engine.ts";

const extensions = { vector, pgtap, pgcrypto, pg_trgm, uuid_ossp };
/** Names as `create extension` spells them. */
const available = new Set(["vector", "pgtap", "pgcrypto", "pg_trgm", "uuid-ossp", "plpgsql"]);

export async function startPglite(options: EngineOptions): Promise<Engine> {
  const { dataDir, port } = options;
  assertPortFree(port);
  if (options.reset && dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  let fresh = !dataDir || !(await exists(`${dataDir}/PG_VERSION`));

  let pg: PGlite;
  let server: PGLiteSocketServer;
  let db: Db;
  // NOTIFYs from wire clients (psql, the Supabase CLI's migrations…) reach the stack's listeners too
  const wire = new WireNotifications();

  const open = async () => {
    if (dataDir) await Deno.mkdir(dataDir, { recursive: true });
    pg = await PGlite.create(dataDir ?? "memory://", { extensions, username: "postgres", database: "postgres" });
    await setSearchPath(pg);
    server = new PGLiteSocketServer({
      db: socketSessions(pg, (channel, payload) => wire.dispatch(channel, payload)),
      host: "127.0.0.1",
      port,
      maxConnections: 64,
    });
    await server.start();
    db = pgliteDb(pg, undefined, wire);
  };
  const close = async () => {
    await server.stop();
    await pg.close();
  };
  await open();

  return {
    kind: "pglite",
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    get db() {
      return db;
    },
    get fresh() {
      return fresh;
    },
    connect() {
      return Promise.resolve(pgliteDb(pg, undefined, wire));
    },
    async reset() {
      await close();
      if (dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await open();
      fresh = true;
    },
    hasExtension(name: string) {
      return Promise.resolve(available.has(name));
    },
    async stop() {
      await close();
    },
  };
}

/**
 * The search path Supabase gives its roles. PGlite's backend starts before role settings exist
 * (and ignores ALTER DATABASE … SET), so the stack sets it for the shared session.
 */
export async function setSearchPath(pg: PGlite): Promise<void> {
  await pg.exec(`set search_path = "$user", public, extensions`);
}
