/**
 * `npm run gen:types`: builds a throwaway PGlite database from the migrations and writes what
 * `supabase gen types typescript --schema public` produces to types/database.types.ts.
 */
import { startEngine } from "../stack/db/engine.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { generateTypes, TYPES_FILE } from "../stack/test/checks.ts";
import { freePort } from "../stack/paths.ts";

const engine = await startEngine("pglite", { port: freePort() });
try {
  await prepareDatabase(engine);
  await Deno.writeTextFile(TYPES_FILE, await generateTypes(engine.url));
  console.log(`wrote ${TYPES_FILE}`);
} finally {
  await engine.stop();
}
