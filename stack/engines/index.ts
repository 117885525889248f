/** Starts the configured engine. */
import type { Engine, EngineKind, EngineOptions } from "./engine.ts";
import { startPglite } from "./pglite.ts";
import { startNative } from "./native.ts";

export type { Engine, EngineKind, EngineOptions };

export function startEngine(kind: EngineKind, options: EngineOptions & { databaseUrl?: string }): Promise<Engine> {
  return kind === "pglite" ? startPglite(options) : startNative(options);
}
