/**
 * The stack's settings, from command-line flags, then npm's forwarded flags, then the environment;
 * and the parts of supabase/config.toml the local gateway honours ([api], [auth], [functions.*]).
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { DATA_DIR, ROOT } from "../paths.ts";
import type { EngineKind } from "../db/engine.ts";
import { parse as parseToml, TomlError, type TomlTable, type TomlValue } from "smol-toml";

export interface StackConfig {
  engine: EngineKind;
  reset: boolean;
  serve: boolean;
  dbPort: number;
  apiPort: number;
  databaseUrl?: string;
  dataDir: string;
  /** Log every API request. */
  verbose: boolean;
  /** The Edge Functions' secrets file (--env-file), instead of supabase/functions/.env and functions/.env. */
  envFile?: string;
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
      verbose: { type: "boolean" },
      "env-file": { type: "string" },
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
    verbose: values.verbose ?? env("PARLEY_VERBOSE") === "1",
    ...(values["env-file"] ?? env("npm_config_env_file")
      ? { envFile: resolve(values["env-file"] ?? env("npm_config_env_file")!) }
      : {}),
  };
}

function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port "${text}"`);
  return n;
}

// ---------------------------------------------------------------- supabase/config.toml

export const SUPABASE_CONFIG = join(ROOT, "supabase", "config.toml");

/** What PostgREST reads from [api]. */
export interface ApiSettings {
  /** Schemas served; the first is the default (Accept-Profile / Content-Profile choose another). */
  schemas: string[];
  extraSearchPath: string[];
  /** Hard limit on the rows a set-returning RPC returns (null: none). */
  maxRows: number | null;
}

/** What Supabase Auth reads from [auth] and [auth.email]. */
export interface AuthSettings {
  /** Access token lifetime, seconds. */
  jwtExpiry: number;
  minimumPasswordLength: number;
  enableSignup: boolean;
  /** [auth.email] enable_signup. */
  emailSignup: boolean;
  /** Seconds during which a just-rotated refresh token may be used again (concurrent refreshes). */
  refreshTokenReuseInterval: number;
}

/** [functions.<name>]. */
export interface FunctionSettings {
  verifyJwt: boolean;
  /** Absolute path of the entry point, when config.toml names one. */
  entrypoint?: string;
}

export interface SupabaseConfig {
  api: ApiSettings;
  auth: AuthSettings;
  storage: StorageSettings;
  functions: Record<string, FunctionSettings>;
}

/** [storage]: what the local Storage API honours. */
export interface StorageSettings {
  /** file_size_limit ("50MiB"): the largest upload, whatever a bucket allows. */
  fileSizeLimit: number;
}

/** Defaults as the Supabase CLI has them. */
export const DEFAULT_SUPABASE_CONFIG: SupabaseConfig = {
  api: { schemas: ["public"], extraSearchPath: ["public", "extensions"], maxRows: 1000 },
  auth: {
    jwtExpiry: 3600,
    minimumPasswordLength: 6,
    enableSignup: true,
    emailSignup: true,
    refreshTokenReuseInterval: 10,
  },
  storage: { fileSizeLimit: 50 * 1024 * 1024 },
  functions: {},
};

/** Reads supabase/config.toml (or another file of that shape); a missing file gives the defaults. */
export async function readSupabaseConfig(path = SUPABASE_CONFIG): Promise<SupabaseConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return supabaseConfigFrom({}, dirname(path), path);
    throw e;
  }
  let toml: TomlTable;
  try {
    toml = parseToml(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    throw new Error(`${path}:${e.line}:${e.column}: ${e.message.split("\n")[0]}`);
  }
  return supabaseConfigFrom(toml, dirname(path), path);
}

export function supabaseConfigFrom(toml: TomlTable, baseDir: string, source = "config.toml"): SupabaseConfig {
  const d = DEFAULT_SUPABASE_CONFIG;
  const get = new Getter(toml, source);
  const config: SupabaseConfig = {
    api: {
      schemas: get.strings("api.schemas") ?? [...d.api.schemas],
      extraSearchPath: get.strings("api.extra_search_path") ?? [...d.api.extraSearchPath],
      maxRows: get.integer("api.max_rows") ?? d.api.maxRows,
    },
    auth: {
      jwtExpiry: get.integer("auth.jwt_expiry") ?? d.auth.jwtExpiry,
      minimumPasswordLength: get.integer("auth.minimum_password_length") ?? d.auth.minimumPasswordLength,
      enableSignup: get.boolean("auth.enable_signup") ?? d.auth.enableSignup,
      emailSignup: get.boolean("auth.email.enable_signup") ?? d.auth.emailSignup,
      refreshTokenReuseInterval: get.integer("auth.refresh_token_reuse_interval") ?? d.auth.refreshTokenReuseInterval,
    },
    storage: { fileSizeLimit: byteSize(get.string("storage.file_size_limit"), source) ?? d.storage.fileSizeLimit },
    functions: {},
  };
  if (config.api.schemas.length === 0) throw new Error(`${source}: api.schemas must name at least one schema`);
  if (config.auth.jwtExpiry < 30) throw new Error(`${source}: auth.jwt_expiry must be at least 30 seconds`);
  const functions = toml.functions;
  if (functions !== undefined && !isTable(functions)) throw new Error(`${source}: [functions] must be a table`);
  for (const name of Object.keys(functions ?? {})) {
    const entrypoint = get.string(`functions.${name}.entrypoint`);
    config.functions[name] = {
      verifyJwt: get.boolean(`functions.${name}.verify_jwt`) ?? true,
      ...(entrypoint ? { entrypoint: resolve(baseDir, entrypoint) } : {}),
    };
  }
  return config;
}

/**
 * A size as the Supabase CLI writes it ("50MiB", "5GB", "100kB", "1048576"): binary units with an
 * i (KiB, MiB, GiB), decimal without (kB, MB, GB), as the CLI's parser (go-humanize) reads them.
 */
export function byteSize(text: string | undefined, source = "config.toml"): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?\s*$/i.exec(text);
  if (!m) throw new Error(`${source}: storage.file_size_limit must be a size such as "50MiB"`);
  const unit = (m[2] ?? "").toLowerCase();
  const power = unit ? "kmgt".indexOf(unit[0]) + 1 : 0;
  return Math.round(Number(m[1]) * (unit.endsWith("i") ? 1024 : 1000) ** power);
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

class Getter {
  constructor(readonly toml: TomlTable, readonly source: string) {}
  private at(path: string): TomlValue | undefined {
    let v: TomlValue | undefined = this.toml;
    for (const key of path.split(".")) v = isTable(v) ? v[key] : undefined;
    return v;
  }
  private fail(path: string, what: string): never {
    throw new Error(`${this.source}: ${path} must be ${what}`);
  }
  string(path: string): string | undefined {
    const v = this.at(path);
    if (v !== undefined && typeof v !== "string") this.fail(path, "a string");
    return v;
  }
  boolean(path: string): boolean | undefined {
    const v = this.at(path);
    if (v !== undefined && typeof v !== "boolean") this.fail(path, "true or false");
    return v;
  }
  integer(path: string): number | undefined {
    const v = this.at(path);
    if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v >= 0)) {
      this.fail(path, "a non-negative integer");
    }
    return v;
  }
  strings(path: string): string[] | undefined {
    const v = this.at(path);
    if (v !== undefined && !(Array.isArray(v) && v.every((s) => typeof s === "string"))) {
      this.fail(path, "an array of strings");
    }
    return v as string[] | undefined;
  }
}
