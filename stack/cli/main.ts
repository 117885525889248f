/**
 * `npm start`: engine up, platform, migrations, seeds, then the gateway; prints how to connect.
 * `npm start -- --reset` starts from an empty database; `--engine native` uses Postgres;
 * `--port`/`--db-port` choose the ports; `--verbose` logs every API request; `--env-file <path>`
 * gives the Edge Functions' secrets (default: supabase/functions/.env and functions/.env);
 * `npm run db:reset` resets and exits.
 */
import { readConfig, readSupabaseConfig } from "./config.ts";
import { startEngine } from "../db/engine.ts";
import { prepareDatabase } from "../db/migrate.ts";
import { MigrationError } from "./supabase-cli.ts";
import { DATA_DIR } from "../paths.ts";
import { loadKeys } from "../gateway/keys.ts";
import { type Gateway, startGateway } from "../gateway/server.ts";
import { startScheduler } from "../db/scheduler.ts";
import { join } from "node:path";
import { localSecrets, type NetWorker, putLocalSecrets, startNetWorker } from "../db/net-worker.ts";

/** The demo login seeds/01_demo_user.sql creates. */
const DEMO = { email: "demo@parley.local", password: "parley-demo-password" };

const started = performance.now();
const log = (line: string) => console.log(`  ${line}`);

const config = (() => {
  try {
    return readConfig();
  } catch (e) {
    console.error(`parley: ${(e as Error).message}`);
    Deno.exit(2);
  }
})();

console.log(`Parley: starting (${config.engine}${config.reset ? ", reset" : ""})`);
let engine;
try {
  engine = await startEngine(config.engine, {
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    databaseUrl: config.databaseUrl,
    port: config.dbPort,
    reset: config.reset,
    log,
  });
} catch (e) {
  console.error(`parley: ${(e as Error).message}`);
  Deno.exit(1);
}

let platform: "applied" | "supabase" = "applied";
try {
  ({ platform } = await prepareDatabase(engine, log));
} catch (e) {
  console.error(
    `\nparley: ${e instanceof MigrationError ? "migration failed" : "database setup failed"}\n${(e as Error).message}`,
  );
  await engine.stop();
  Deno.exit(1);
}

// Storage's files live beside the database they belong to, and go with it on --reset.
const storageDir = join(DATA_DIR, "storage", config.databaseUrl ? "external" : config.engine);
if (config.reset) await Deno.remove(storageDir, { recursive: true }).catch(() => {});
await Deno.mkdir(storageDir, { recursive: true });

if (config.envFile) {
  try {
    await Deno.stat(config.envFile);
  } catch {
    console.error(`parley: --env-file ${config.envFile}: no such file`);
    await engine.stop();
    Deno.exit(2);
  }
}

if (!config.serve) {
  console.log(`Parley: database ready in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  await engine.stop();
  Deno.exit(0);
}
const scheduler = startScheduler(engine, log);

// A bug must not take the whole stack down with it: log it and keep serving. (postgres.js 3.4.9, for
// one, throws from a timer when a backend dies in the middle of a transaction.)
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  console.error("parley: unhandled error:", event.reason);
});
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  console.error("parley: uncaught error:", event.error);
});

let gateway: Gateway;
try {
  gateway = await startGateway({
    engine,
    keys: await loadKeys(DATA_DIR),
    config: await readSupabaseConfig(),
    port: config.apiPort,
    logRequests: config.verbose,
    storageDir,
    ...(config.envFile ? { functionsEnvFile: config.envFile } : {}),
    log,
  });
} catch (e) {
  const message = e instanceof Deno.errors.AddrInUse
    ? `port ${config.apiPort} is in use: choose another with --port or PARLEY_API_PORT`
    : (e as Error).message;
  console.error(`parley: the API gateway did not start: ${message}`);
  await engine.stop();
  Deno.exit(1);
}

// pg_net and Vault as a project has them (sql/platform/): the local Vault holds where functions are
// reached and the service key, which scheduled SQL reads to call a function; the net worker performs
// the requests it queues.
let net: NetWorker | null = null;
if (platform === "applied") {
  await putLocalSecrets(engine.db, localSecrets(gateway.url, gateway.keys.serviceRoleKey));
  net = startNetWorker(engine, log);
}

const [demo] = await engine.db.query<{ found: boolean }>(
  "select exists (select 1 from auth.users where email = $1) as found",
  [DEMO.email],
);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`
Parley is running (${engine.kind}), ready in ${seconds}s.

  API URL           ${gateway.url}
    REST (RPC)      ${gateway.url}/rest/v1/rpc/<function>
    Auth            ${gateway.url}/auth/v1
    Functions       ${gateway.url}/functions/v1/<name>
    Realtime        ${gateway.url.replace("http", "ws")}/realtime/v1/websocket
    Storage         ${gateway.url}/storage/v1 (files in ${storageDir})
  anon key          ${gateway.keys.anonKey}
  service_role key  ${gateway.keys.serviceRoleKey}
  JWT secret        ${gateway.keys.jwtSecret}
  Database URL      ${engine.url}
  Demo login        ${
  demo?.found ? `${DEMO.email} / ${DEMO.password}` : "(none: the seeds run on a fresh database only)"
}

  createClient("${gateway.url}", "<anon key>") from @supabase/supabase-js connects.
  Local development only: keys and secret live in ${DATA_DIR}/jwt-secret.json.

Press Ctrl-C to stop.`);

const shutdown = async () => {
  console.log("\nParley: stopping");
  scheduler.stop();
  await net?.stop().catch((e) => console.error(`parley: ${(e as Error).message}`));
  await gateway.stop().catch((e) => console.error(`parley: ${(e as Error).message}`));
  await engine.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
