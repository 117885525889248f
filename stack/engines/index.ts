/** Starts the configured engine. */
import type { Engine, EngineKind, EngineOptions } from "./engine.ts";
import { startPglite } from "./pglite.ts";
import { startNative } from "./native.ts";

export type { Engine, EngineKind, EngineOptions };

export function startEngine(kind: EngineKind, options: EngineOptions & { databaseUrl?: string }): Promise<Engine> {
  return kind === "pglite" ? startPglite(options) : startNative(options);
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
