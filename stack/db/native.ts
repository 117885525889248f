/**
 * The native engine: a Postgres 15+ cluster the stack creates and runs itself in a data folder with
 * the system's initdb/pg_ctl (own port, pg_cron preloaded when installed, logical WAL), or any
 * database given as DATABASE_URL (a `supabase start` database included).
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { type Db, serverDb } from "./client.ts";
import { assertPortFree, exists } from "../paths.ts";
import type { Engine, EngineOptions } from "./engine.ts";

const INSTALL_HINT = "Install it with `sudo scripts/install-postgres.sh` (Debian/Ubuntu: PostgreSQL server, " +
  "pgTAP, pg_cron, plpgsql_check, pgvector), set PG_BIN to a Postgres 15+ bin folder, or set DATABASE_URL.";

export interface PgInstall {
  bin: string;
  version: number;
  shareDir: string;
  libDir: string;
}

/** The system's Postgres server binaries, newest first: PG_BIN, Debian's layout, then PATH. */
export async function findPostgres(): Promise<PgInstall | null> {
  const candidates: string[] = [];
  const fromEnv = Deno.env.get("PG_BIN");
  // An explicit PG_BIN is the only place looked at.
  if (fromEnv) candidates.push(fromEnv);
  else await searchSystem(candidates);
  for (const bin of candidates) {
    if (!(await exists(join(bin, "initdb"))) || !(await exists(join(bin, "pg_ctl")))) continue;
    const versionText = await output([join(bin, "postgres"), "--version"]).catch(() => "");
    const version = Number(/\s(\d+)(\.\d+)?/.exec(versionText)?.[1] ?? 0);
    if (version < 15) continue;
    const pgConfig = join(bin, "pg_config");
    const shareDir = (await output([pgConfig, "--sharedir"]).catch(() => "")).trim();
    const libDir = (await output([pgConfig, "--pkglibdir"]).catch(() => "")).trim();
    return { bin, version, shareDir, libDir };
  }
  return null;
}

async function searchSystem(candidates: string[]): Promise<void> {
  try {
    const versions: number[] = [];
    for await (const e of Deno.readDir("/usr/lib/postgresql")) if (/^\d+$/.test(e.name)) versions.push(Number(e.name));
    for (const v of versions.sort((a, b) => b - a)) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch { /* not Debian's layout */ }
  const onPath = await output(["pg_config", "--bindir"]).catch(() => null);
  if (onPath) candidates.push(onPath.trim());
}

/** Whether the native engine can run Parley's tests here: server, pgvector and pgTAP installed. */
export async function nativeTestable(): Promise<boolean> {
  const pg = await findPostgres();
  if (!pg) return false;
  return (await exists(join(pg.shareDir, "extension", "vector.control"))) &&
    (await exists(join(pg.shareDir, "extension", "pgtap.control")));
}

export async function startNative(options: EngineOptions & { databaseUrl?: string }): Promise<Engine> {
  if (options.databaseUrl) return await connectExternal(options.databaseUrl, options);
  const pg = await findPostgres();
  if (!pg) throw new Error(`native engine: no PostgreSQL 15+ server found. ${INSTALL_HINT}`);
  return await startCluster(pg, options);
}

// ---------------------------------------------------------------- own cluster

async function startCluster(pg: PgInstall, options: EngineOptions): Promise<Engine> {
  const log = options.log ?? (() => {});
  const dataDir = await clusterDir(options.dataDir);
  const asPostgres = Deno.uid() === 0;
  const run = (args: string[]) => asPostgres ? ["runuser", "-u", "postgres", "--", ...args] : args;
  const hasCron = await exists(join(pg.libDir, "pg_cron.so"));
  const throwaway = !options.dataDir;

  // One stack per cluster: with the data folder's lock held (startEngine), a cluster still running
  // belongs to a stack that is gone (it crashed or was killed), and is stopped before starting afresh.
  if (await isRunning(run, pg, dataDir)) {
    await command(run([join(pg.bin, "pg_ctl"), "-D", dataDir, "-m", "fast", "-w", "stop"]));
  }
  assertPortFree(options.port);
  if (options.reset && await exists(dataDir)) await Deno.remove(dataDir, { recursive: true });

  let fresh = false;
  if (!(await exists(join(dataDir, "PG_VERSION")))) {
    fresh = true;
    log(`native: initdb ${dataDir} (PostgreSQL ${pg.version})`);
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const pwfile = join(dataDir, "..", `.pwfile-${crypto.randomUUID()}`);
    await Deno.writeTextFile(pwfile, "postgres\n");
    if (asPostgres) await command(["chown", "-R", "postgres:postgres", dataDir, pwfile]);
    try {
      await command(run([
        join(pg.bin, "initdb"),
        "-D",
        dataDir,
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        `--pwfile=${pwfile}`,
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        ...(throwaway ? ["--no-sync"] : []),
      ]));
    } finally {
      await Deno.remove(pwfile).catch(() => {});
    }
    const conf = join(dataDir, "postgresql.conf");
    await Deno.writeTextFile(conf, "\ninclude_if_exists = 'parley.conf'\n", { append: true });
  }

  const settings: Record<string, string> = {
    port: String(options.port),
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: "''",
    wal_level: "logical",
    max_connections: "100",
    // pg_cron runs jobs in background workers: its default (a libpq connection to localhost) cannot
    // log in here (no unix socket, password auth over TCP).
    ...(hasCron
      ? {
        shared_preload_libraries: "'pg_cron'",
        "cron.database_name": "'postgres'",
        "cron.use_background_workers": "on",
      }
      : {}),
    ...(throwaway ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" } : {}),
  };
  const confText = Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n";
  await Deno.writeTextFile(join(dataDir, "parley.conf"), confText);
  if (asPostgres) await command(["chown", "postgres:postgres", join(dataDir, "parley.conf")]);

  await command(
    run([join(pg.bin, "pg_ctl"), "-D", dataDir, "-l", join(dataDir, "server.log"), "-w", "-t", "60", "start"]),
  );
  log(`native: PostgreSQL ${pg.version} on 127.0.0.1:${options.port}${hasCron ? " with pg_cron" : ""}`);

  const url = `postgresql://postgres:postgres@127.0.0.1:${options.port}/postgres?sslmode=disable`;
  const adminUrl = url.replace("/postgres?", "/template1?");
  let db = serverDb(url);
  const stop = async () => {
    await db.close();
    await command(run([join(pg.bin, "pg_ctl"), "-D", dataDir, "-m", "fast", "-w", "stop"]));
    if (throwaway) await Deno.remove(join(dataDir, ".."), { recursive: true }).catch(() => {});
  };
  return {
    kind: "native",
    url,
    get db() {
      return db;
    },
    get fresh() {
      return fresh;
    },
    connect: () => Promise.resolve(serverDb(url, { max: 1 })),
    async reset() {
      await db.close();
      await recreateDatabase(adminUrl, "postgres");
      db = serverDb(url);
      fresh = true;
    },
    hasExtension: (name) => extensionAvailable(db, name),
    stop,
  };
}

/**
 * The cluster's data folder. initdb refuses to run as root, so as root the cluster belongs to the
 * postgres user, and its folder must be reachable by it: when the project lives where postgres
 * cannot enter (e.g. under /root), the cluster goes under /var/tmp instead.
 */
async function clusterDir(dataDir: string | undefined): Promise<string> {
  if (!dataDir) {
    const parent = await Deno.makeTempDir({ prefix: "parley-pg-" });
    await Deno.chmod(parent, 0o755);
    if (Deno.uid() === 0) await command(["chown", "postgres:postgres", parent]);
    return join(parent, "data");
  }
  if (Deno.uid() !== 0) return dataDir;
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await command(["chown", "postgres:postgres", dataDir]);
  const reachable = await command(["runuser", "-u", "postgres", "--", "test", "-w", dataDir])
    .then(() => true, () => false);
  if (reachable) return dataDir;
  await Deno.remove(dataDir, { recursive: true });
  const hash = createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
  const fallback = `/var/tmp/parley-native-${hash}`;
  await Deno.mkdir(fallback, { recursive: true });
  await command(["chown", "postgres:postgres", fallback]);
  return join(fallback, "data");
}

async function isRunning(run: (a: string[]) => string[], pg: PgInstall, dataDir: string): Promise<boolean> {
  if (!(await exists(join(dataDir, "postmaster.pid")))) return false;
  return await command(run([join(pg.bin, "pg_ctl"), "-D", dataDir, "status"])).then(() => true, () => false);
}

// ---------------------------------------------------------------- DATABASE_URL

async function connectExternal(databaseUrl: string, options: EngineOptions): Promise<Engine> {
  const log = options.log ?? (() => {});
  const parsed = new URL(databaseUrl);
  const database = decodeURIComponent(parsed.pathname.slice(1)) || "postgres";
  const admin = new URL(databaseUrl);
  admin.pathname = database === "postgres" ? "/template1" : "/postgres";
  const adminUrl = admin.toString();
  if (options.reset) await recreateDatabase(adminUrl, database);
  let db = serverDb(databaseUrl);
  await db.query("select 1").catch((e) => {
    throw new Error(`native engine: cannot connect to DATABASE_URL (${parsed.host}): ${e.message}`);
  });
  log(`native: using DATABASE_URL (${parsed.host}/${database})`);
  let fresh = !!options.reset;
  return {
    kind: "native",
    url: databaseUrl,
    get db() {
      return db;
    },
    get fresh() {
      return fresh;
    },
    connect: () => Promise.resolve(serverDb(databaseUrl, { max: 1 })),
    async reset() {
      await db.close();
      await recreateDatabase(adminUrl, database);
      db = serverDb(databaseUrl);
      fresh = true;
    },
    hasExtension: (name) => extensionAvailable(db, name),
    stop: () => db.close(),
  };
}

// ---------------------------------------------------------------- helpers

async function recreateDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = serverDb(adminUrl, { max: 1 });
  try {
    await admin.exec(`drop database if exists "${database.replaceAll('"', '""')}" with (force)`);
    await admin.exec(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.close();
  }
}

async function extensionAvailable(db: Db, name: string): Promise<boolean> {
  const rows = await db.query("select 1 from pg_available_extensions where name = $1", [name]);
  return rows.length > 0;
}

async function output(cmd: string[]): Promise<string> {
  const result = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" }).output();
  if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
  return new TextDecoder().decode(result.stdout);
}

async function command(cmd: string[]): Promise<void> {
  const result = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" }).output();
  if (!result.success) {
    const text = new TextDecoder().decode(result.stderr) || new TextDecoder().decode(result.stdout);
    throw new Error(`${cmd.join(" ")} failed:\n${text.trim()}`);
  }
}
