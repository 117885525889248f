/**
 * Runs pgTAP test files (tests/db/*.sql) on any engine and reads their TAP output: the stack's own
 * pg_prove. Statements run one at a time so a crash points at `file:line`; a file that crashes
 * counts as failed, never skipped. After each file the session is rolled back and reset.
 */
import { relative } from "node:path";
import { type Db, describePgError, type Row } from "../db/client.ts";
import { ROOT } from "../paths.ts";
import { splitSql } from "../db/sql-split.ts";

export interface TapFileResult {
  file: string;
  planned?: number;
  passed: number;
  failed: number;
  /** One entry per failed assertion or crash, with pgTAP's diagnostics. */
  failures: string[];
}

export async function runPgtapFile(db: Db, path: string): Promise<TapFileResult> {
  const file = relative(ROOT, path);
  const result: TapFileResult = { file, passed: 0, failed: 0, failures: [] };
  const tap = new TapReader(result);
  const text = await Deno.readTextFile(path);
  await db.exec(`set search_path = "$user", public, extensions`);
  for (const statement of splitSql(text)) {
    let rows: Row[];
    try {
      rows = await db.exec(statement.text);
    } catch (e) {
      tap.end();
      result.failed++;
      result.failures.push(`${file}:${statement.line}: ${describePgError(e)}`);
      await cleanUp(db);
      return result;
    }
    for (const row of rows) {
      for (const value of Object.values(row)) if (typeof value === "string") tap.read(value);
    }
  }
  tap.end();
  if (result.planned === undefined && result.passed + result.failed === 0) {
    result.failed++;
    result.failures.push(`${file}: no plan and no assertions`);
  } else if (result.planned !== undefined && result.planned !== tap.ran) {
    result.failed++;
    result.failures.push(`${file}: planned ${result.planned} tests but ran ${tap.ran}`);
  }
  await cleanUp(db);
  return result;
}

async function cleanUp(db: Db): Promise<void> {
  for (const sql of ["rollback", "reset all", "reset role"]) await db.exec(sql).catch(() => {});
  await db.exec(`set search_path = "$user", public, extensions`).catch(() => {});
}

/** Reads TAP lines as pgTAP emits them, one or several per returned value. */
class TapReader {
  ran = 0;
  private failure: string[] | null = null;

  constructor(private readonly result: TapFileResult) {}

  read(text: string) {
    for (const line of text.split("\n")) {
      const plan = /^1\.\.(\d+)/.exec(line);
      const test = /^(not )?ok \d+/.exec(line);
      if (plan) {
        this.result.planned = Number(plan[1]);
      } else if (test) {
        this.flush();
        this.ran++;
        const todo = /#\s*TODO/i.test(line);
        if (test[1] && !todo) {
          this.result.failed++;
          this.failure = [`${this.result.file}: ${line}`];
        } else {
          this.result.passed++;
        }
      } else if (line.startsWith("#") && this.failure) {
        this.failure.push(`  ${line}`);
      }
    }
  }

  end() {
    this.flush();
  }

  private flush() {
    if (this.failure) this.result.failures.push(this.failure.join("\n"));
    this.failure = null;
  }
}
