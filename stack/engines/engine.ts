/** The engine interface: a Postgres the stack can start, reach, reset and stop. */
import type { Db } from "../db.ts";

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
