/** The engine interface (a Postgres the stack can start, reach, reset and stop), and starting one. */
import type { Db } from "./client.ts";
import { startPglite } from "./pglite.ts";
import { startNative } from "./native.ts";
import { acquireLock } from "./lock.ts";

export type EngineKind = "pglite" | "native";

export interface Engine {
  readonly kind: EngineKind;
  /** A postgres:// URL for tools (Supabase CLI, psql, drivers). */
  readonly url: string;
  /** The stack's own connection. */
  readonly db: Db;
  /** True when this start created the database empty (or reset it). */
  readonly fresh: boolean;
  /** A separate session (native: its own connection; PGlite: the one shared backend). */
  connect(): Promise<Db>;
  /** Drops and recreates the database: everything, platform schemas included, is gone. */
  reset(): Promise<void>;
  /** Whether an extension can be created here. */
  hasExtension(name: string): Promise<boolean>;
  stop(): Promise<void>;
}

export interface EngineOptions {
  /** Folder that keeps the data between starts; none means in memory / throwaway. */
  dataDir?: string;
  /** Port for the Postgres wire protocol. */
  port: number;
  /** Start empty: delete what the data folder holds. */
  reset?: boolean;
  /** Log lines for people. */
  log?: (line: string) => void;
}

/**
 * Starts an engine. One stack per data folder: with a data folder (not a throwaway database, not a
 * DATABASE_URL) its lock is taken before anything else, kept while the engine runs, and given back
 * when it stops or fails to start.
 */
export async function startEngine(
  kind: EngineKind,
  options: EngineOptions & { databaseUrl?: string },
): Promise<Engine> {
  const start = () => kind === "pglite" ? startPglite(options) : startNative(options);
  if (!options.dataDir || options.databaseUrl) return await start();
  const unlock = await acquireLock(`${options.dataDir}.lock`);
  let engine: Engine;
  try {
    engine = await start();
  } catch (e) {
    await unlock();
    throw e;
  }
  const stop = engine.stop.bind(engine);
  engine.stop = async () => {
    try {
      await stop();
    } finally {
      await unlock();
    }
  };
  return engine;
}

/** A comma-separated list of engine kinds, e.g. PARLEY_TEST_ENGINES; an unknown kind is an error. */
export function parseEngineList(text: string, source = "PARLEY_TEST_ENGINES"): EngineKind[] {
  const list = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const kind of list) {
    if (kind !== "pglite" && kind !== "native") throw new Error(`${source}: unknown engine ${kind}`);
  }
  return list as EngineKind[];
}

/** The engines tests run on: PARLEY_TEST_ENGINES (npm test sets it), default pglite. */
export function testEngines(): EngineKind[] {
  return parseEngineList(Deno.env.get("PARLEY_TEST_ENGINES") ?? "pglite");
}
