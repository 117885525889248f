/**
 * Scratch databases built from supabase/migrations/ and from supabase/schemas/, and the drift check
 * between them: both get sql/platform/ first, as the stack does; then one gets the migrations
 * (through the Supabase CLI, as `npm start` applies them), the other the schema files in name
 * order. Their schema fingerprints (stack/test/schema-fingerprint.ts) must be equal.
 *
 * Native engine: one throwaway cluster, a database per build. PGlite: one in-memory instance per
 * build (PGlite serves a single database).
 */
import { type Db, serverDb } from "../db/client.ts";
import { type Engine, type EngineKind, startEngine } from "../db/engine.ts";
import { applyPlatform, applySqlFiles } from "../db/migrate.ts";
import { migrateUp } from "../cli/supabase-cli.ts";
import { freePort, ROOT, SCHEMAS_DIR, sqlFiles } from "../paths.ts";
import { compareFingerprints, schemaFingerprint } from "./schema-fingerprint.ts";

export interface ScratchDatabase {
  name: string;
  /** postgres:// URL for the Supabase CLI. */
  url: string;
  db: Db;
}

/** Where scratch databases are made: create() gives an empty one; stop() removes them all. */
export interface ScratchServer {
  kind: EngineKind;
  create(name: string): Promise<ScratchDatabase>;
  stop(): Promise<void>;
}

export async function startScratchServer(kind: EngineKind): Promise<ScratchServer> {
  if (kind === "native") {
    const engine = await startEngine("native", { port: freePort() });
    const opened: Db[] = [];
    return {
      kind,
      async create(name) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`scratch database name ${name}: use [a-z0-9_]`);
        await engine.db.exec(`create database ${name}`);
        const url = engine.url.replace("/postgres?", `/${name}?`);
        const db = serverDb(url);
        opened.push(db);
        return { name, url, db };
      },
      async stop() {
        for (const db of opened) await db.close().catch(() => {});
        await engine.stop();
      },
    };
  }
  const engines: Engine[] = [];
  return {
    kind,
    async create(name) {
      const engine = await startEngine("pglite", { port: freePort() });
      engines.push(engine);
      return { name, url: engine.url, db: engine.db };
    },
    async stop() {
      for (const engine of engines) await engine.stop().catch(() => {});
    },
  };
}

// sql/platform/ creates roles, which belong to the whole cluster: one database at a time.
let platformQueue: Promise<unknown> = Promise.resolve();
function platform(db: Db): Promise<unknown> {
  const run = platformQueue.then(() => applyPlatform(db));
  platformQueue = run.catch(() => {});
  return run;
}

/** Platform, then supabase/migrations/ of `workdir` through the Supabase CLI. */
export async function buildFromMigrations(target: ScratchDatabase, workdir = ROOT): Promise<void> {
  await platform(target.db);
  await migrateUp(target.url, workdir);
}

/** Platform, then every schema file in name order, each in its own transaction. */
export async function buildFromSchemas(target: ScratchDatabase, dir = SCHEMAS_DIR): Promise<void> {
  await platform(target.db);
  const files = await sqlFiles(dir);
  if (files.length === 0) throw new Error(`no schema files in ${dir}`);
  await applySqlFiles(target.db, files);
}

/**
 * Builds a database from the migrations and one from the schema files on a fresh scratch server of
 * this kind, and returns how their fingerprints differ (empty: they match).
 */
export async function schemaDrift(
  kind: EngineKind,
  options: { schemasDir?: string; workdir?: string } = {},
): Promise<string[]> {
  const server = await startScratchServer(kind);
  try {
    const [migrations, schemas] = [await server.create("parley_migrations"), await server.create("parley_schemas")];
    await Promise.all([
      buildFromMigrations(migrations, options.workdir),
      buildFromSchemas(schemas, options.schemasDir),
    ]);
    return compareFingerprints(
      await schemaFingerprint(migrations.db),
      await schemaFingerprint(schemas.db),
      ["supabase/migrations", "supabase/schemas"],
    );
  } finally {
    await server.stop();
  }
}

/** Advice printed under drift: how to bring the migrations up to the schema files. */
export const DRIFT_ADVICE = "supabase/schemas/ and supabase/migrations/ describe different databases: " +
  "after changing a schema file, run `npm run db:diff -- <name>` and commit the migration it writes " +
  "(supabase/migrations/<timestamp>_<name>.sql) with the schema file.";
