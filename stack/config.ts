/** The stack's settings, from command-line flags, then npm's forwarded flags, then the environment. */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DATA_DIR } from "./paths.ts";
import type { EngineKind } from "./engines/engine.ts";

export interface StackConfig {
  engine: EngineKind;
  reset: boolean;
  serve: boolean;
  dbPort: number;
  apiPort: number;
  databaseUrl?: string;
  dataDir: string;
}

export function readConfig(argv: string[] = Deno.args): StackConfig {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      engine: { type: "string" },
      reset: { type: "boolean" },
      "no-serve": { type: "boolean" },
      "db-port": { type: "string" },
      port: { type: "string" },
    },
    strict: true,
  });
  const env = (name: string) => Deno.env.get(name) || undefined;
  // `npm start --reset` and `npm start --engine native` reach us as npm_config_* variables.
  // `npm start --engine native` reaches us as a bare "native" (npm takes --engine for itself).
  const databaseUrl = env("DATABASE_URL");
  if (positionals.length > 1) throw new Error(`unexpected arguments: ${positionals.join(" ")}`);
  const engine = values.engine ?? positionals[0] ?? env("npm_config_engine") ?? env("PARLEY_ENGINE") ??
    (databaseUrl ? "native" : "pglite");
  if (engine !== "pglite" && engine !== "native") {
    throw new Error(`unknown engine "${engine}": use pglite or native`);
  }
  const reset = values.reset ?? (env("npm_config_reset") === "true" || env("PARLEY_RESET") === "1");
  return {
    engine,
    reset,
    serve: !values["no-serve"],
    dbPort: port(values["db-port"] ?? env("PARLEY_DB_PORT") ?? "54322"),
    apiPort: port(values.port ?? env("PARLEY_API_PORT") ?? "54321"),
    databaseUrl: engine === "native" ? databaseUrl : undefined,
    dataDir: join(DATA_DIR, engine),
  };
}

function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port "${text}"`);
  return n;
}
