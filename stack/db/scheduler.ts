/**
 * The stack's scheduler for engines without pg_cron (PGlite). Migrations list their jobs in
 * private.scheduled_jobs (name, cron schedule, SQL command) and, where pg_cron exists, schedule
 * them there too; where the `cron` schema is absent, this runs the same SQL at the same times:
 * at every minute boundary, each job whose schedule matches that minute (UTC, as pg_cron).
 *
 * Schedules are 5-field cron expressions with minute granularity, as pg_cron 1.4 accepts them:
 * minute hour day-of-month month day-of-week, each `*`, a number, a range `a-b`, a step `* /n` or
 * `a-b/n`, or a comma-separated list of those; day-of-week 0-7 (0 and 7 are Sunday). As in cron,
 * when both day fields are restricted a day matching either one matches.
 */
import type { Engine } from "./engine.ts";
import { describePgError } from "./client.ts";

interface ScheduledJob {
  name: string;
  schedule: string;
  command: string;
}

export interface Scheduler {
  /** Stops the timer; a tick already running finishes. */
  stop(): void;
  /**
   * Runs the jobs due at `at` (its minute) now, unless pg_cron owns scheduling here. Returns the
   * names of the jobs that ran (and did not fail). The timer calls it every minute; tests call it.
   */
  tick(at: Date): Promise<string[]>;
}

interface Field {
  min: number;
  max: number;
}

const FIELDS: Field[] = [
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12 }, // month
  { min: 0, max: 7 }, // day of week (0 and 7: Sunday)
];

/** A parsed schedule: for each field, the allowed values, and whether it was restricted. */
export interface CronSchedule {
  values: Set<number>[];
  restricted: boolean[];
}

/** Parses a 5-field cron expression; throws an Error naming the problem. */
export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron schedule "${expression}": expected 5 fields, got ${parts.length}`);
  const values: Set<number>[] = [];
  const restricted: boolean[] = [];
  parts.forEach((part, i) => {
    const field = FIELDS[i];
    const set = new Set<number>();
    for (const item of part.split(",")) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) throw new Error(`cron schedule "${expression}": cannot read "${item}"`);
      const step = m[4] === undefined ? 1 : Number(m[4]);
      let from = field.min;
      let to = field.max;
      if (m[1] !== "*") {
        from = Number(m[2]);
        to = m[3] === undefined ? (m[4] === undefined ? from : field.max) : Number(m[3]);
      }
      if (step < 1 || from < field.min || to > field.max || from > to) {
        throw new Error(`cron schedule "${expression}": "${item}" is out of range ${field.min}-${field.max}`);
      }
      for (let v = from; v <= to; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    values.push(set);
    restricted.push(part !== "*" && !part.startsWith("*/"));
  });
  return { values, restricted };
}

/** Whether the schedule fires in the minute of `at` (UTC). */
export function cronMatches(schedule: CronSchedule, at: Date): boolean {
  const [minute, hour, dom, month, dow] = schedule.values;
  if (!minute.has(at.getUTCMinutes()) || !hour.has(at.getUTCHours()) || !month.has(at.getUTCMonth() + 1)) {
    return false;
  }
  const domOk = dom.has(at.getUTCDate());
  const dowOk = dow.has(at.getUTCDay());
  // cron: when both day fields are restricted, either one matching is enough
  if (schedule.restricted[2] && schedule.restricted[4]) return domOk || dowOk;
  return domOk && dowOk;
}

/**
 * Starts running the jobs of private.scheduled_jobs every minute, unless the database has pg_cron
 * (its `cron` schema), which then runs them itself. Call stop() on shutdown. `timer: false` leaves
 * the ticking to the caller (tests).
 */
export function startScheduler(
  engine: Engine,
  log: (line: string) => void = () => {},
  options: { timer?: boolean } = {},
): Scheduler {
  let cronOwnsJobs: boolean | undefined;
  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function tick(at: Date): Promise<string[]> {
    if (running) return []; // the previous minute's jobs are still running: skip, as pg_cron does
    running = true;
    try {
      if (cronOwnsJobs === undefined) {
        const [row] = await engine.db.query<{ cron: boolean }>("select to_regnamespace('cron') is not null as cron");
        cronOwnsJobs = row.cron;
        log(cronOwnsJobs ? "scheduler: pg_cron runs the scheduled jobs" : "scheduler: running scheduled jobs");
      }
      if (cronOwnsJobs) return [];
      const jobs = await engine.db.query<ScheduledJob>(
        "select name, schedule, command from private.scheduled_jobs order by name",
      );
      const ran: string[] = [];
      for (const job of jobs) {
        let schedule: CronSchedule;
        try {
          schedule = parseCron(job.schedule);
        } catch (e) {
          log(`scheduler: job ${job.name}: ${(e as Error).message}`);
          continue;
        }
        if (!cronMatches(schedule, at)) continue;
        try {
          await engine.db.exec(job.command);
          ran.push(job.name);
        } catch (e) {
          log(`scheduler: job ${job.name} failed: ${describePgError(e)}`);
        }
      }
      return ran;
    } finally {
      running = false;
    }
  }

  function arm() {
    if (stopped) return;
    const now = Date.now();
    const next = Math.floor(now / 60_000) * 60_000 + 60_000;
    timer = setTimeout(async () => {
      try {
        await tick(new Date(next));
      } catch (e) {
        log(`scheduler: ${describePgError(e)}`);
      }
      arm();
    }, next - now);
  }
  if (options.timer !== false) arm();

  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
    tick,
  };
}
