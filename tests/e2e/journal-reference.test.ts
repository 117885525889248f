/**
 * Habit streaks and completion, and tracker buckets, checked against a small reference
 * implementation in TypeScript (below), with random schedules, logs and ranges from a seeded RNG, in
 * America/New_York and Australia/Lord_Howe (a 30-minute DST shift) over weeks that cross their DST
 * changes. The database runs as `npm test` starts it (tests/e2e/_stack.ts, test helpers installed);
 * the calls are SQL as the signed-in user, with Parley's clock frozen at each log's instant, so that
 * log_habit computes "today" itself. Local dates in the reference come from Intl, not from Postgres.
 *
 * PARLEY_REFERENCE_SEED=<n> replays a run; PARLEY_REFERENCE_TRIALS=<n> changes the trials per zone.
 */
import assert from "node:assert/strict";
import type { Db } from "../../stack/db/client.ts";
import { startTestStack, testEngines, type TestStack } from "./_stack.ts";

const SEED = Number(Deno.env.get("PARLEY_REFERENCE_SEED") ?? 20260308);
const TRIALS = Number(Deno.env.get("PARLEY_REFERENCE_TRIALS") ?? 12);

/** mulberry32: a small seeded PRNG, [0, 1). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
  };
}
type Rng = ReturnType<typeof rng>;

// ---------------------------------------------------------------------------------------------
// The reference: dates as "YYYY-MM-DD", days as numbers since 1970-01-01.

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The local date of an instant in a time zone. */
function localDate(zone: string, at: Date): string {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(zone, f);
  }
  return f.format(at);
}
const dayNumber = (date: string) => Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / 86_400_000;
const dateOf = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
/** ISO weekday: 1 = Monday … 7 = Sunday. */
const isoDow = (day: number) => ((new Date(day * 86_400_000).getUTCDay() + 6) % 7) + 1;
const mondayOf = (day: number) => day - (isoDow(day) - 1);

type Schedule = { type: "daily" } | { type: "weekdays"; days: number[] } | { type: "times_per_week"; times: number };

interface HabitStats {
  current_streak: number;
  longest_streak: number;
  completion_rate: number | null;
  due: number;
  completed: number;
  from: string;
  to: string;
}

/** get_habit_stats, as its comment in supabase/schemas/340_habits.sql defines it. */
export function referenceHabitStats(input: {
  schedule: Schedule;
  target: number;
  values: Map<string, number>; // local date → value
  today: string;
  createdOn: string;
  from?: string;
  to?: string;
}): HabitStats {
  const today = dayNumber(input.today);
  const last = Math.min(input.to ? dayNumber(input.to) : today, today);
  const logged = [...input.values.keys()].map(dayNumber);
  const first = input.from ? dayNumber(input.from) : Math.min(dayNumber(input.createdOn), ...logged);
  const done = (day: number) => (input.values.get(dateOf(day)) ?? -1) >= input.target;
  let periods: { start: number; complete: boolean }[] = [];
  if (input.schedule.type === "times_per_week") {
    const weeks = new Map<number, number>();
    for (let d = first; d <= last; d++) weeks.set(mondayOf(d), (weeks.get(mondayOf(d)) ?? 0) + (done(d) ? 1 : 0));
    const times = input.schedule.times;
    periods = [...weeks].map(([start, count]) => ({ start, complete: count >= times }));
  } else {
    const s = input.schedule;
    for (let d = first; d <= last; d++) {
      if (s.type === "daily" || s.days.includes(isoDow(d))) periods.push({ start: d, complete: done(d) });
    }
  }
  const open = input.schedule.type === "times_per_week" ? mondayOf(today) : today;
  const counted = periods.filter((p) => p.complete || p.start !== open || last < today);
  let longest = 0;
  let run = 0;
  for (const p of counted) {
    run = p.complete ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  const completed = counted.filter((p) => p.complete).length;
  return {
    current_streak: run,
    longest_streak: longest,
    completion_rate: counted.length ? Math.round((completed / counted.length) * 10_000) / 10_000 : null,
    due: counted.length,
    completed,
    from: dateOf(first),
    to: dateOf(last),
  };
}

interface Bucket {
  bucket_start: string;
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  avg: number | null;
}

/** get_tracker_series: every bucket from the one holding `from` to the one holding `to`. */
export function referenceTrackerSeries(
  zone: string,
  logs: { value: number; at: Date }[],
  bucket: "day" | "week" | "month",
  from: string,
  to: string,
): Bucket[] {
  const startOf = (date: string) =>
    bucket === "day" ? date : bucket === "week" ? dateOf(mondayOf(dayNumber(date))) : `${date.slice(0, 8)}01`;
  const next = (start: string) => {
    if (bucket === "day") return dateOf(dayNumber(start) + 1);
    if (bucket === "week") return dateOf(dayNumber(start) + 7);
    const [y, m] = [+start.slice(0, 4), +start.slice(5, 7)];
    return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
  };
  const buckets = new Map<string, number[]>();
  for (let b = startOf(from); b <= startOf(to); b = next(b)) buckets.set(b, []);
  for (const log of logs) {
    const date = localDate(zone, log.at);
    if (date >= from && date <= to) buckets.get(startOf(date))!.push(log.value);
  }
  return [...buckets].map(([start, values]) => ({
    bucket_start: start,
    count: values.length,
    sum: values.length ? values.reduce((a, b) => a + b, 0) : null,
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
    avg: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
  }));
}

// ---------------------------------------------------------------------------------------------
// Random scenarios around each zone's DST changes in 2026.

const ZONES: { zone: string; changes: string[] }[] = [
  // 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST
  { zone: "America/New_York", changes: ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"] },
  // 2026-04-05 02:00 +11 → 01:30 +10:30; 2026-10-04 02:00 +10:30 → 02:30 +11
  { zone: "Australia/Lord_Howe", changes: ["2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"] },
];

/** An instant within `days` days before `now`; often a few minutes from a local midnight. */
function instantBefore(r: Rng, zone: string, now: Date, days: number): Date {
  const at = new Date(now.getTime() - r.int(0, days * 24 * 60) * 60_000);
  if (r.next() < 0.4) {
    // move to within ±20 minutes of the local midnight nearest to it (found by stepping minutes)
    const date = localDate(zone, at);
    let probe = at.getTime();
    for (let i = 0; i < 26 * 60 && localDate(zone, new Date(probe)) === date; i++) probe += 60_000;
    const midnight = probe; // first minute of the next local day
    const moved = new Date(midnight + r.int(-20, 20) * 60_000);
    return moved.getTime() <= now.getTime() ? moved : at;
  }
  return at;
}

function randomSchedule(r: Rng): Schedule {
  const kind = r.pick(["daily", "weekdays", "times_per_week"] as const);
  if (kind === "daily") return { type: "daily" };
  if (kind === "weekdays") {
    const days = [1, 2, 3, 4, 5, 6, 7].filter(() => r.next() < 0.5);
    return { type: "weekdays", days: days.length ? days : [r.int(1, 7)] };
  }
  return { type: "times_per_week", times: r.int(1, 7) };
}

/** Runs fn as the test user, in one transaction, with Parley's clock frozen at `now`. */
async function asUser<T>(db: Db, user: string, now: Date, fn: (tx: Db) => Promise<T>): Promise<T> {
  return await db.transaction(async (tx) => {
    await tx.query(`select tests.authenticate_as($1), tests.freeze_time($2)`, [user, now.toISOString()]);
    return await fn(tx);
  });
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

async function habitTrial(db: Db, r: Rng, zone: string, change: string, name: string) {
  await db.query(`select tests.create_user($1)`, [name]);
  const now = new Date(new Date(change).getTime() + r.int(-3 * 24 * 60, 30 * 24 * 60) * 60_000);
  const schedule = randomSchedule(r);
  const target = r.int(1, 3);
  const habit = await asUser(db, name, now, async (tx) => {
    await tx.query(`select public.update_my_profile(timezone => $1)`, [zone]);
    const [row] = await tx.query<{ id: string; created_at: string | Date }>(
      `select id, created_at from public.upsert_habit(name => 'habit', schedule => $1::text::jsonb, target => $2)`,
      [JSON.stringify(schedule), target],
    );
    return row;
  });
  // logs at random instants (each with the clock frozen there), in time order, some for earlier dates
  const values = new Map<string, number>();
  const instants = Array.from({ length: r.int(5, 45) }, () => instantBefore(r, zone, now, 42))
    .sort((a, b) => a.getTime() - b.getTime());
  await asUser(db, name, now, async (tx) => {
    for (const at of instants) {
      const value = r.pick([0, 1, 2, 3, target]);
      const today = localDate(zone, at);
      const date = r.next() < 0.2 ? dateOf(dayNumber(today) - r.int(1, 5)) : null;
      await tx.query(`select tests.freeze_time($1)`, [at.toISOString()]);
      const [logged] = await tx.query<{ local_date: string | Date }>(
        `select local_date::text as local_date from public.log_habit($1, $2::date, $3)`,
        [habit.id, date, value],
      );
      assert.equal(logged.local_date, date ?? today, `log at ${at.toISOString()} in ${zone}: local date`);
      values.set(date ?? today, value);
    }
  });
  // stats with the default range and with random ones
  const createdOn = localDate(zone, new Date(habit.created_at));
  const today = localDate(zone, now);
  const ranges: { from?: string; to?: string }[] = [{}];
  for (let i = 0; i < 3; i++) {
    const a = dateOf(dayNumber(today) - r.int(0, 45));
    const b = dateOf(dayNumber(a) + r.int(0, 45));
    ranges.push(r.next() < 0.3 ? { from: a } : { from: a, to: b });
  }
  await asUser(db, name, now, async (tx) => {
    for (const range of ranges) {
      const [{ stats }] = await tx.query<{ stats: Record<string, unknown> }>(
        `select public.get_habit_stats($1, $2::date, $3::date) as stats`,
        [habit.id, range.from ?? null, range.to ?? null],
      );
      const want = referenceHabitStats({ schedule, target, values, today, createdOn, ...range });
      const have = {
        current_streak: num(stats.current_streak),
        longest_streak: num(stats.longest_streak),
        completion_rate: num(stats.completion_rate),
        due: num(stats.due),
        completed: num(stats.completed),
        from: stats.from,
        to: stats.to,
      };
      assert.deepEqual(
        have,
        want,
        `${zone} ${JSON.stringify(schedule)} target ${target} now ${now.toISOString()} ` +
          `range ${JSON.stringify(range)} logs ${JSON.stringify([...values])} (seed ${SEED})`,
      );
    }
  });
}

async function trackerTrial(db: Db, r: Rng, zone: string, change: string, name: string) {
  await db.query(`select tests.create_user($1)`, [name]);
  const now = new Date(new Date(change).getTime() + r.int(0, 60 * 24 * 60) * 60_000);
  const logs = Array.from({ length: r.int(0, 60) }, () => ({
    value: r.int(-500, 2000) / 100,
    at: instantBefore(r, zone, now, 75),
  }));
  await asUser(db, name, now, async (tx) => {
    await tx.query(`select public.update_my_profile(timezone => $1)`, [zone]);
    const [tracker] = await tx.query<{ id: string }>(
      `select id from public.upsert_tracker(name => 'weight', kind => 'numeric')`,
    );
    for (const log of logs) {
      await tx.query(`select public.log_tracker($1, $2::numeric, $3::timestamptz)`, [
        tracker.id,
        String(log.value),
        log.at.toISOString(),
      ]);
    }
    const today = localDate(zone, now);
    for (const bucket of ["day", "week", "month"] as const) {
      const from = dateOf(dayNumber(today) - r.int(0, 80));
      const to = dateOf(dayNumber(from) + r.int(0, bucket === "day" ? 40 : 120));
      const have = (await tx.query<Record<string, unknown>>(
        `select bucket_start::text as bucket_start, count, sum::text as sum, min::text as min, max::text as max,
          avg::text as avg from public.get_tracker_series($1, $2, $3::date, $4::date)`,
        [tracker.id, bucket, from, to],
      )).map((b) => ({
        bucket_start: b.bucket_start,
        count: Number(b.count),
        sum: num(b.sum),
        min: num(b.min),
        max: num(b.max),
        avg: num(b.avg),
      }));
      const want = referenceTrackerSeries(zone, logs, bucket, from, to);
      const context = `${zone} ${bucket} ${from}..${to} (seed ${SEED})`;
      assert.equal(have.length, want.length, `${context}: buckets`);
      for (const [i, w] of want.entries()) {
        const h = have[i];
        assert.deepEqual([h.bucket_start, h.count, h.min, h.max], [w.bucket_start, w.count, w.min, w.max], context);
        for (const key of ["sum", "avg"] as const) {
          if (w[key] === null) assert.equal(h[key], null, context);
          else assert.ok(Math.abs(h[key]! - w[key]!) < 1e-9, `${context}: ${key} ${h[key]} vs ${w[key]}`);
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------

Deno.test("the reference implementation itself: a hand-made week", () => {
  // Mon 2026-03-02 … Tue 2026-03-10 (today); daily, done 2, 3, 4, 6, 7, 8, 9
  const values = new Map(["02", "03", "04", "06", "07", "08", "09"].map((d) => [`2026-03-${d}`, 1]));
  const stats = referenceHabitStats({
    schedule: { type: "daily" },
    target: 1,
    values,
    today: "2026-03-10",
    createdOn: "2026-03-01",
  });
  assert.deepEqual([stats.current_streak, stats.longest_streak, stats.due, stats.completed], [4, 4, 9, 7]);
  const series = referenceTrackerSeries(
    "America/New_York",
    [
      { value: 1, at: new Date("2026-03-09T03:59:00Z") }, // 23:59 EDT, March 8
      { value: 2, at: new Date("2026-03-09T04:00:00Z") }, // 00:00 EDT, March 9
    ],
    "day",
    "2026-03-08",
    "2026-03-09",
  );
  assert.deepEqual(series.map((b) => [b.bucket_start, b.count]), [["2026-03-08", 1], ["2026-03-09", 1]]);
});

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: habit stats and tracker series match the reference (random, DST, seed ${SEED})`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const stack: TestStack = await startTestStack(kind, { testHelpers: true });
      try {
        const r = rng(SEED);
        let n = 0;
        for (const { zone, changes } of ZONES) {
          for (let i = 0; i < TRIALS; i++) {
            const change = changes[i % changes.length];
            await habitTrial(stack.engine.db, r, zone, change, `habit-${n++}`);
            await trackerTrial(stack.engine.db, r, zone, change, `tracker-${n++}`);
          }
        }
      } finally {
        await stack.stop();
      }
    },
  });
}
