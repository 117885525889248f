/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts. Benchmarks print ratios against a
 * baseline measured in the same run; nothing here is a test.
 */
import { join } from "node:path";
import { ROOT } from "../stack/paths.ts";

const [name, ...rest] = Deno.args;
const available: string[] = [];
for await (const e of Deno.readDir(join(ROOT, "bench"))) {
  if (e.isFile && e.name.endsWith(".ts") && e.name !== "main.ts" && !e.name.startsWith("_")) {
    available.push(e.name.replace(/\.ts$/, ""));
  }
}
available.sort();
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join("|") || "name"}> [args]`);
  Deno.exit(name ? 1 : 0);
}
const { default: run } = await import(join(ROOT, "bench", `${name}.ts`));
await run(rest);
