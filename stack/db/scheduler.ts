/**
 * The stack's scheduler for engines without pg_cron (PGlite). Migrations list their jobs in
 * private.scheduled_jobs (name, schedule, SQL command) and, where pg_cron exists, schedule them
 * there too; where the `cron` schema is absent, this runs the same SQL at the same times. It wakes
 * every second and reads the jobs.
 *
 * A schedule is what pg_cron accepts (tried in this order, as pg_cron 1.5+ does):
 * - a 5-field cron expression, minute hour day-of-month month day-of-week, each `*`, a number, a
 *   range `a-b`, a step `* /n` or `a-b/n`, or a comma-separated list of those; day-of-week 0-7 (0
 *   and 7 are Sunday). As in cron, when both day fields are restricted a day matching either one
 *   matches. The job runs once in each minute that matches (UTC, as pg_cron).
 * - `'N seconds'` (or `'N second'`, any case), N from 1 to 59: the job runs N seconds after the
 *   scheduler first saw it, then N seconds after each start, never twice at once.
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
   * Runs the jobs due at `at` now, unless pg_cron owns scheduling here: the cron jobs matching its
   * minute (once per minute), the interval jobs whose time has come. Returns the names of the jobs
   * that ran (and did not fail). The timer calls it every second; tests call it.
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

/** A schedule as pg_cron reads it: a cron expression, else an interval of 1-59 seconds. */
export type Schedule = { kind: "cron"; cron: CronSchedule } | { kind: "interval"; seconds: number };

export function parseSchedule(text: string): Schedule {
  try {
    return { kind: "cron", cron: parseCron(text) };
  } catch (e) {
    const m = /^\s*(\d+)\s*seconds?\s*$/i.exec(text);
    if (!m) throw e;
    const seconds = Number(m[1]);
    if (seconds < 1 || seconds > 59) throw new Error(`schedule "${text}": an interval is 1 to 59 seconds`);
    return { kind: "interval", seconds };
  }
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
 * Starts running the jobs of private.scheduled_jobs, unless the database has pg_cron (its `cron`
 * schema), which then runs them itself. Call stop() on shutdown. `timer: false` leaves the ticking
 * to the caller (tests).
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
  /** The minute (ms since the epoch) whose cron jobs ran last. */
  let lastMinute: number | undefined;
  /** Interval jobs: when each (by name and schedule) was first seen or last started. */
  const lastStart = new Map<string, number>();

  async function tick(at: Date): Promise<string[]> {
    if (running) return []; // the previous jobs are still running: skip, as pg_cron does
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
      const minute = Math.floor(at.getTime() / 60_000) * 60_000;
      const newMinute = minute !== lastMinute;
      lastMinute = minute;
      const seen = new Set<string>();
      const ran: string[] = [];
      for (const job of jobs) {
        let schedule: Schedule;
        try {
          schedule = parseSchedule(job.schedule);
        } catch (e) {
          log(`scheduler: job ${job.name}: ${(e as Error).message}`);
          continue;
        }
        if (schedule.kind === "cron" && !(newMinute && cronMatches(schedule.cron, at))) continue;
        if (schedule.kind === "interval") {
          const key = `${job.name}\n${job.schedule}`;
          seen.add(key);
          const since = lastStart.get(key);
          if (since === undefined) lastStart.set(key, at.getTime());
          if (since === undefined || at.getTime() - since < schedule.seconds * 1000) continue;
          lastStart.set(key, at.getTime());
        }
        try {
          await engine.db.exec(job.command);
          ran.push(job.name);
        } catch (e) {
          log(`scheduler: job ${job.name} failed: ${describePgError(e)}`);
        }
      }
      for (const key of lastStart.keys()) if (!seen.has(key)) lastStart.delete(key); // unscheduled
      return ran;
    } finally {
      running = false;
    }
  }

  function arm() {
    if (stopped) return;
    const now = Date.now();
    const next = Math.floor(now / 1000) * 1000 + 1000;
    timer = setTimeout(async () => {
      try {
        await tick(new Date(next));
      } catch (e) {
        log(`scheduler: ${describePgError(e)}`);
      }
      arm();
    }, next - now);
  }
  if (options.timer !== false) {
    lastMinute = Math.floor(Date.now() / 60_000) * 60_000; // cron jobs first run at the next minute, as pg_cron's
    arm();
  }

  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
    tick,
  };
}
