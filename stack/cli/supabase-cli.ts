/**
 * The Supabase CLI (npm package `supabase`), run against a local database URL. Telemetry is off and
 * its home folder is project-local.
 */
import { join } from "node:path";
import { BIN, DATA_DIR, ROOT } from "../paths.ts";
import { splitSql } from "../db/sql-split.ts";

export interface CliResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export async function supabase(args: string[], workdir = ROOT): Promise<CliResult> {
  await Deno.mkdir(join(DATA_DIR, "supabase-home"), { recursive: true });
  const result = await new Deno.Command(join(BIN, "supabase"), {
    args: [...args, "--workdir", workdir],
    cwd: workdir,
    env: { SUPABASE_TELEMETRY_DISABLED: "1", SUPABASE_HOME: join(DATA_DIR, "supabase-home"), DO_NOT_TRACK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { ok: result.success, stdout: decode(result.stdout), stderr: decode(result.stderr) };
}

/** Applies pending migrations; throws a MigrationError naming the file and line on failure. */
export async function migrateUp(url: string, workdir = ROOT): Promise<string[]> {
  const result = await supabase(["migration", "up", `--remote=${url}`, "--yes"], workdir);
  const applied = [...result.stderr.matchAll(/Applying migration (\S+?)\.\.\./g)].map((m) => m[1]);
  if (!result.ok) throw await migrationError(result.stderr, applied.at(-1), join(workdir, "supabase", "migrations"));
  return applied;
}

export class MigrationError extends Error {
  constructor(message: string, readonly file?: string, readonly line?: number) {
    super(message);
  }
}

/**
 * Turns the CLI's failure report ("ERROR: … (SQLSTATE …)", "At statement: N", the statement) into
 * `supabase/migrations/<file>:<line>: ERROR …`. The CLI applies each migration in a transaction,
 * so the database is as it was before the failing file.
 */
async function migrationError(stderr: string, file: string | undefined, dir: string): Promise<MigrationError> {
  const error = /^ERROR: .*$/m.exec(stderr)?.[0] ?? stderr.trim().split("\n").at(-1) ?? "migration failed";
  const index = /At statement:? (\d+)/.exec(stderr);
  let line: number | undefined;
  if (file && index) {
    const text = await Deno.readTextFile(join(dir, file)).catch(() => "");
    line = splitSql(text)[Number(index[1])]?.line;
  }
  const where = file ? `supabase/migrations/${file}${line ? `:${line}` : ""}` : "migrations";
  const detail = stderr.split("\n").filter((l) => /^(DETAIL|HINT|CONTEXT|LINE|\s+\^)/.test(l)).join("\n");
  return new MigrationError(`${where}: ${error}${detail ? `\n${detail}` : ""}`, file, line);
}
