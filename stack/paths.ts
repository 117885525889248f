/** Where things are: the project root and the local data folder. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DATA_DIR = resolve(Deno.env.get("PARLEY_DATA_DIR") ?? join(ROOT, ".parley"));
export const MIGRATIONS_DIR = join(ROOT, "supabase", "migrations");
export const SCHEMAS_DIR = join(ROOT, "supabase", "schemas");
export const PLATFORM_DIR = join(ROOT, "sql", "platform");
export const SEEDS_DIR = join(ROOT, "seeds");
export const TEST_HELPERS = join(ROOT, "sql", "tests", "helpers.sql");
export const BIN = join(ROOT, "node_modules", ".bin");

/** The .sql files of a folder, in name order. */
export async function sqlFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".sql")) names.push(entry.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort().map((name) => join(dir, name));
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Fails at once, with a clear message, when something already listens on the port. */
export function assertPortFree(port: number): void {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new Error(`port ${port} is in use: choose another with --db-port or PARLEY_DB_PORT`);
    }
    throw e;
  }
}
