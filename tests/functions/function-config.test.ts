/**
 * Every function deploys on its own: `functions/<name>/` has an index.ts and its own deno.json that
 * maps exactly the packages its module graph imports (npm: specifiers, at the versions the project
 * installs), and supabase/config.toml's `[functions.<name>]` points its entrypoint and import_map
 * there. So `supabase functions deploy <name>` ships that import map, not the stack's.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, ROOT } from "../../stack/paths.ts";

const FUNCTIONS = join(ROOT, "functions");
const rootImports: Record<string, string> = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).imports;

const names: string[] = [];
for await (const entry of Deno.readDir(FUNCTIONS)) {
  if (entry.isDirectory && !entry.name.startsWith("_") && !entry.name.startsWith(".")) names.push(entry.name);
}
names.sort();

/** `[functions.<name>]` sections of config.toml: their string settings. */
function functionSections(toml: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | null = null;
  for (const line of toml.split("\n")) {
    const header = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(line);
    if (header) {
      const m = /^functions\.("?)([A-Za-z0-9_-]+)\1$/.exec(header[1].trim());
      current = m ? (sections[m[2]] = {}) : null;
      continue;
    }
    const setting = /^\s*([a-z_]+)\s*=\s*"([^"]*)"\s*(#.*)?$/.exec(line);
    if (current && setting) current[setting[1]] = setting[2];
  }
  return sections;
}

/** The bare specifiers (`"zod"`, `"@supabase/supabase-js"`) that the project's own modules of a function import. */
async function bareImports(name: string): Promise<Set<string>> {
  const dir = join(FUNCTIONS, name);
  const out = await new Deno.Command(join(BIN, "deno"), {
    args: ["info", "--json", "--config", join(dir, "deno.json"), "--node-modules-dir=manual", join(dir, "index.ts")],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout));
  const bare = new Set<string>();
  for (const module of graph.modules) {
    if (!module.specifier.startsWith("file:")) continue;
    const path = relative(ROOT, fileURLToPath(module.specifier));
    if (path.startsWith("..") || path.startsWith("node_modules")) continue;
    for (const dep of module.dependencies ?? []) {
      if (!/^(\.|\/|[a-z]+:)/.test(dep.specifier)) bare.add(dep.specifier);
    }
  }
  return bare;
}

Deno.test("functions: there are functions to check", () => {
  assert.ok(names.includes("whoami"), names.join(", "));
});

const config = functionSections(await Deno.readTextFile(join(ROOT, "supabase", "config.toml")));

for (const name of names) {
  Deno.test(`functions: ${name} has its own deno.json, named by config.toml, mapping exactly what it imports`, async () => {
    const dir = join(FUNCTIONS, name);
    await Deno.stat(join(dir, "index.ts"));
    const denoJson = JSON.parse(await Deno.readTextFile(join(dir, "deno.json")));
    const imports: Record<string, string> = denoJson.imports ?? {};

    const section = config[name];
    assert.ok(section, `supabase/config.toml has no [functions.${name}]`);
    assert.equal(section.entrypoint, `../functions/${name}/index.ts`);
    assert.equal(section.import_map, `../functions/${name}/deno.json`);

    for (const [key, target] of Object.entries(imports)) {
      assert.match(target, /^npm:/, `${name}/deno.json: ${key} must be an npm: specifier`);
      assert.equal(target, rootImports[key], `${name}/deno.json: ${key} at the version the project installs`);
    }
    const used = await bareImports(name);
    assert.deepEqual(Object.keys(imports).sort(), [...used].sort(), `${name}/deno.json maps exactly what it imports`);
  });
}
