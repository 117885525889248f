/**
 * Brings a database to Parley's schema: the local platform (sql/platform/, local engines only),
 * the migrations through the Supabase CLI, then the seeds on a fresh database.
 */
import { basename } from "node:path";
import { type Db, describePgError } from "./client.ts";
import type { Engine } from "./engine.ts";
import { PLATFORM_DIR, SEEDS_DIR, sqlFiles } from "../paths.ts";
import { migrateUp } from "../cli/supabase-cli.ts";
import { splitSql } from "./sql-split.ts";

export interface PrepareResult {
  platform: "applied" | "supabase";
  migrations: string[];
  seeds: string[];
}

export async function prepareDatabase(engine: Engine, log: (line: string) => void = () => {}): Promise<PrepareResult> {
  const platform = await applyPlatform(engine.db);
  log(platform === "applied" ? "platform: sql/platform applied" : "platform: Supabase's own (left as is)");
  const migrations = await migrateUp(engine.url);
  log(migrations.length ? `migrations: applied ${migrations.join(", ")}` : "migrations: up to date");
  const seeds = engine.fresh ? await applySqlFiles(engine.db, await sqlFiles(SEEDS_DIR)) : [];
  if (seeds.length) log(`seeds: ${seeds.join(", ")}`);
  if (migrations.length) await reloadCronJobs(engine.db);
  return { platform, migrations, seeds };
}

/**
 * Has pg_cron's launcher read its job list again once the migrations are in. pg_cron 1.4 (Debian
 * bookworm's) can miss a job committed while it was reloading the list (the invalidation is taken
 * in during the reload, which then marks the list current): with migrations committing one after
 * another, a job scheduled by the last of them was seen never to run. An empty update of cron.job
 * fires its statement-level invalidation trigger; done twice, a moment apart, so that a reload under
 * way during the first is followed by a clean one.
 */
async function reloadCronJobs(db: Db) {
  const [{ cron }] = await db.query<{ cron: boolean }>(`select to_regclass('cron.job') is not null as cron`);
  if (!cron) return;
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 250));
    await db.exec(`update cron.job set active = active where false`);
  }
}

/**
 * Applies sql/platform/ unless the database is a real Supabase one (its auth schema exists and is
 * not ours). The files are idempotent, so they are re-applied on every start.
 */
export async function applyPlatform(db: Db): Promise<"applied" | "supabase"> {
  const [state] = await db.query<{ auth: boolean; ours: boolean }>(
    `select to_regnamespace('auth') is not null as auth,
            coalesce(obj_description(to_regnamespace('realtime'), 'pg_namespace') = 'parley-local-platform', false) as ours`,
  );
  if (state.auth && !state.ours) return "supabase";
  await applySqlFiles(db, await sqlFiles(PLATFORM_DIR));
  return "applied";
}

/** Runs each file in its own transaction; an error names the file and line and stops. */
export async function applySqlFiles(db: Db, files: string[]): Promise<string[]> {
  for (const file of files) await applySqlFile(db, file);
  return files.map((f) => basename(f));
}

export async function applySqlFile(db: Db, file: string): Promise<void> {
  const text = await Deno.readTextFile(file);
  const statements = splitSql(text);
  await db.transaction(async (tx) => {
    for (const statement of statements) {
      try {
        await tx.exec(statement.text);
      } catch (e) {
        throw new Error(`${file}:${statement.line}: ${describePgError(e)}`);
      }
    }
  });
}
