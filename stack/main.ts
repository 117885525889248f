/**
 * `npm start`: engine up, platform, migrations, seeds, then the gateway; prints how to connect.
 * `npm start -- --reset` starts from an empty database; `--engine native` uses Postgres;
 * `npm run db:reset` resets and exits.
 */
import { readConfig } from "./config.ts";
import { startEngine } from "./engines/index.ts";
import { prepareDatabase } from "./database.ts";
import { MigrationError } from "./supabase-cli.ts";
import { startScheduler } from "./scheduler.ts";

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

try {
  await prepareDatabase(engine, log);
} catch (e) {
  console.error(
    `\nparley: ${e instanceof MigrationError ? "migration failed" : "database setup failed"}\n${(e as Error).message}`,
  );
  await engine.stop();
  Deno.exit(1);
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (!config.serve) {
  console.log(`Parley: database ready in ${seconds}s`);
  await engine.stop();
  Deno.exit(0);
}
const scheduler = startScheduler(engine, log);

console.log(`
Parley is running (${engine.kind}), ready in ${seconds}s.

  Database URL   ${engine.url}
  Connect        psql "${engine.url}"

Press Ctrl-C to stop.`);

const shutdown = async () => {
  console.log("\nParley: stopping");
  scheduler.stop();
  await engine.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
