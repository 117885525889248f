/**
 * `npm test`: every check and test suite, ending with one line `N passed, N failed`.
 *
 * 1. Static checks: deno fmt --check, deno lint, deno check.
 * 2. Per engine (PGlite always; native Postgres when its binaries, pgvector and pgTAP are
 *    installed, or as PARLEY_TEST_ENGINES says): the drift check (a database built from
 *    supabase/migrations/ and one built from supabase/schemas/ have the same schema fingerprint);
 *    then, on a fresh database with platform + migrations + seeds: the schema check, the
 *    generated-types check (PGlite), Supabase's advisors (native), every tests/db/*.sql pgTAP file.
 * 3. deno test for tests/functions/, tests/stack/, tests/client/ (the sync engine, its storage adapters,
 *    and its Node build with the SQLite adapter) and tests/e2e/ (they start the stack on the same engines).
 */
import { join } from "node:path";
import { type EngineKind, parseEngineList, startEngine } from "../stack/db/engine.ts";
import { nativeTestable } from "../stack/db/native.ts";
import { applySqlFile, prepareDatabase } from "../stack/db/migrate.ts";
import { advisorWarnings, generateTypes, lintErrors, schemaViolations, TYPES_FILE } from "../stack/test/checks.ts";
import { runPgtapFile } from "../stack/test/pgtap.ts";
import { DRIFT_ADVICE, schemaDrift } from "../stack/test/schema-drift.ts";
import { BIN, exists, freePort, ROOT, sqlFiles, TEST_HELPERS } from "../stack/paths.ts";

let passed = 0;
let failed = 0;
const failures: string[] = [];

function record(name: string, ok: boolean, detail = "", count = 1) {
  if (ok) passed += count;
  else {
    failed += Math.max(count, 1);
    failures.push(`${name}${detail ? `\n${indent(detail)}` : ""}`);
  }
  console.log(`${ok ? "ok  " : "FAIL"}  ${name}`);
  if (!ok && detail) console.log(indent(detail));
}

const indent = (text: string) => text.split("\n").map((l) => `      ${l}`).join("\n");

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(join(BIN, "deno"), { args, cwd: ROOT, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ok: out.success, text: text.trim() };
}

async function engines(): Promise<EngineKind[]> {
  const wanted = Deno.env.get("PARLEY_TEST_ENGINES");
  if (wanted) return parseEngineList(wanted);
  return (await nativeTestable()) ? ["pglite", "native"] : ["pglite"];
}

// ---------------------------------------------------------------- static checks
console.log("static checks");
{
  // The sync engine's Node build (client/sync/dist/, not committed): its Node tests import it, and
  // deno check reads them.
  const tsc = await new Deno.Command(join(ROOT, "node_modules", ".bin", "tsc"), {
    args: ["-p", "client/sync/tsconfig.json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(tsc.stdout) + new TextDecoder().decode(tsc.stderr);
  record("client/sync builds with tsc", tsc.success, text.trim().split("\n").slice(-40).join("\n"));
}
for (
  const [name, args] of [
    ["deno fmt --check", ["fmt", "--check"]],
    ["deno lint", ["lint"]],
    ["deno check", ["check", "."]],
  ] as const
) {
  const result = await run([...args]);
  record(name, result.ok, result.ok ? "" : result.text.split("\n").slice(-40).join("\n"));
}

// ---------------------------------------------------------------- database suites
const kinds = await engines();
const dbFiles = await sqlFiles(join(ROOT, "tests", "db"));
for (const kind of kinds) {
  console.log(`\n${kind}: fresh database (platform + migrations + seeds)`);
  const started = performance.now();
  const drift = await schemaDrift(kind).catch((e) => [`building the two databases failed: ${(e as Error).message}`]);
  record(
    `${kind}: supabase/schemas/ and supabase/migrations/ build the same database`,
    drift.length === 0,
    [...drift.slice(0, 30), ...(drift.length > 30 ? [`… ${drift.length - 30} more`] : []), DRIFT_ADVICE].join("\n"),
  );
  let engine;
  try {
    engine = await startEngine(kind, { port: freePort() });
    await prepareDatabase(engine);
  } catch (e) {
    record(`${kind}: database setup`, false, (e as Error).message, dbFiles.length || 1);
    await engine?.stop().catch(() => {});
    continue;
  }
  try {
    const problems = await schemaViolations(engine.db);
    record(`${kind}: schema check`, problems.length === 0, problems.join("\n"));
    if (kind === "pglite") {
      const fresh = await generateTypes(engine.url);
      const current = (await exists(TYPES_FILE)) ? await Deno.readTextFile(TYPES_FILE) : "";
      record(
        `${kind}: types/database.types.ts matches supabase gen types`,
        fresh === current,
        "stale: run `npm run gen:types`",
      );
    }
    if (kind === "native") {
      const warnings = await advisorWarnings(engine.url);
      record(`${kind}: supabase db advisors (no warnings)`, warnings.length === 0, warnings.join("\n"));
      const errors = await lintErrors(engine.db, engine.url);
      record(`${kind}: supabase db lint (plpgsql_check, no errors)`, errors.length === 0, errors.join("\n"));
    }
    await applySqlFile(engine.db, TEST_HELPERS);
    for (const file of dbFiles) {
      const session = await engine.connect();
      try {
        const result = await runPgtapFile(session, file);
        const total = result.passed + result.failed;
        passed += result.passed;
        failed += result.failed;
        const name = `${kind}: ${result.file} (${total} assertions)`;
        console.log(`${result.failed ? "FAIL" : "ok  "}  ${name}`);
        for (const f of result.failures) {
          console.log(indent(f));
          failures.push(`${kind}: ${f}`);
        }
      } finally {
        await session.close();
      }
    }
  } catch (e) {
    record(`${kind}: database suite`, false, (e as Error).stack ?? String(e));
  } finally {
    await engine.stop();
  }
  console.log(`${kind}: ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

// ---------------------------------------------------------------- deno test
const denoTestDirs = [];
for (const dir of ["tests/functions", "tests/stack", "tests/client", "tests/e2e"]) {
  if (!(await exists(join(ROOT, dir)))) continue;
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    if (e.isFile && /\.test\.ts$/.test(e.name)) {
      denoTestDirs.push(dir);
      break;
    }
  }
}
if (denoTestDirs.length) {
  console.log(`\ndeno test ${denoTestDirs.join(" ")}`);
  const result = await run(["test", "-A", "--reporter=tap", ...denoTestDirs], {
    PARLEY_TEST_ENGINES: kinds.join(","),
  });
  let count = 0;
  const lines = result.text.split("\n");
  lines.forEach((line, i) => {
    const m = /^(not )?ok \d+ - (.*)$/.exec(line);
    if (!m) return;
    count++;
    record(`deno test: ${m[2]}`, !m[1], m[1] ? tapDiagnostic(lines, i + 1) : undefined);
  });
  if (!result.ok && count === 0) record("deno test", false, result.text.split("\n").slice(-60).join("\n"));
  else if (!result.ok && !failures.some((f) => f.startsWith("deno test"))) {
    record("deno test (exit status)", false, result.text.split("\n").slice(-60).join("\n"));
  }
}

/** The message of a failed TAP test: the JSON of the `---` block after its line, without colours. */
function tapDiagnostic(lines: string[], from: number): string | undefined {
  if (lines[from]?.trim() !== "---") return undefined;
  const body = lines[from + 1]?.trim() ?? "";
  try {
    const message = String(JSON.parse(body).message ?? body);
    // deno's messages carry ANSI colours (escape sequences: the control character is meant)
    // deno-lint-ignore no-control-regex
    return message.replace(/\u001b\[[0-9;]*m/g, "").split("\n").slice(0, 30).join("\n");
  } catch {
    return body;
  }
}

// ---------------------------------------------------------------- summary
if (failures.length) {
  console.log(`\nFailures:`);
  for (const f of failures) console.log(`- ${f.split("\n").join("\n  ")}`);
}
console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
