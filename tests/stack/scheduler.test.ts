/**
 * The stack's scheduler: cron expressions and pg_cron's 'N seconds' intervals, and on PGlite (no
 * pg_cron) the jobs of private.scheduled_jobs run at their minute or every N seconds, the purge of
 * expired chats included.
 */
import assert from "node:assert/strict";
import { cronMatches, parseCron, parseSchedule, startScheduler } from "../../stack/db/scheduler.ts";
import { startEngine, testEngines } from "../../stack/db/engine.ts";
import { prepareDatabase } from "../../stack/db/migrate.ts";
import { freePort } from "../../stack/paths.ts";

const engines = testEngines();
const at = (iso: string) => new Date(iso);

Deno.test("cron expressions: *, */n, numbers, ranges, lists, day fields", () => {
  const every = parseCron("* * * * *");
  assert.ok(cronMatches(every, at("2026-11-22T03:17:00Z")));

  const fifteen = parseCron("*/15 * * * *");
  assert.ok(cronMatches(fifteen, at("2026-11-22T03:30:00Z")));
  assert.ok(cronMatches(fifteen, at("2026-11-22T03:00:00Z")));
  assert.ok(!cronMatches(fifteen, at("2026-11-22T03:31:00Z")));

  const nightly = parseCron("30 2 * * *");
  assert.ok(cronMatches(nightly, at("2026-11-22T02:30:00Z")));
  assert.ok(!cronMatches(nightly, at("2026-11-22T03:30:00Z")));
  assert.ok(cronMatches(nightly, at("2026-11-22T02:30:59Z")), "any second of the minute");

  const office = parseCron("0,30 9-17/2 * * 1-5");
  assert.ok(cronMatches(office, at("2026-11-23T11:30:00Z")), "Monday 11:30");
  assert.ok(!cronMatches(office, at("2026-11-23T10:30:00Z")), "10 is not in 9-17/2");
  assert.ok(!cronMatches(office, at("2026-11-22T11:30:00Z")), "Sunday");

  assert.ok(cronMatches(parseCron("0 0 * * 7"), at("2026-11-22T00:00:00Z")), "7 is Sunday too");
  // both day fields restricted: either matches (the 1st of the month, or any Monday)
  const either = parseCron("0 0 1 * 1");
  assert.ok(cronMatches(either, at("2026-12-01T00:00:00Z")), "the 1st (a Tuesday)");
  assert.ok(cronMatches(either, at("2026-11-23T00:00:00Z")), "a Monday");
  assert.ok(!cronMatches(either, at("2026-11-24T00:00:00Z")), "neither");

  for (const bad of ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-2 * * * *", "30 seconds", "x * * * *"]) {
    assert.throws(() => parseCron(bad), Error, bad);
  }
});

Deno.test("schedules: a cron expression, else pg_cron's 'N seconds' (1-59, 'second' too, any case)", () => {
  assert.deepEqual(parseSchedule("10 seconds"), { kind: "interval", seconds: 10 });
  assert.deepEqual(parseSchedule(" 1 second "), { kind: "interval", seconds: 1 });
  assert.deepEqual(parseSchedule("59 SECONDS"), { kind: "interval", seconds: 59 });
  assert.deepEqual(parseSchedule("30seconds"), { kind: "interval", seconds: 30 });
  assert.equal(parseSchedule("*/5 * * * *").kind, "cron");
  for (
    const bad of ["0 seconds", "60 seconds", "10 secs", "10 seconds later", "-5 seconds", "1.5 seconds", "seconds"]
  ) {
    assert.throws(() => parseSchedule(bad), Error, bad);
  }
});

Deno.test({
  name: "pglite: the scheduler runs due jobs from private.scheduled_jobs, and purges expired chats",
  ignore: !engines.includes("pglite"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const engine = await startEngine("pglite", { port: freePort() });
    const lines: string[] = [];
    const scheduler = startScheduler(engine, (line) => lines.push(line), { timer: false });
    try {
      await prepareDatabase(engine);
      await engine.db.exec(`
        -- the jobs this test knows (others come and go with the schema)
        delete from private.scheduled_jobs where name <> 'parley-purge-expired-chats';
        create table private.job_runs (name text, ran_at timestamptz default now());
        insert into private.scheduled_jobs (name, schedule, command) values
          ('test-hourly', '5 * * * *', 'insert into private.job_runs (name) values (''hourly'')'),
          ('test-broken', '* * * * *', 'select no_such_function()');
        insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data)
        values ('a0000000-0000-4000-8000-000000000001', 'owner@test.parley.local', '{}', '{}');
        insert into public.chats (owner_id, continuation_id, expires_at) values
          ('a0000000-0000-4000-8000-000000000001', 'gone', now() - interval '1 minute'),
          ('a0000000-0000-4000-8000-000000000001', 'alive', now() + interval '1 hour');
      `);

      const ran = await scheduler.tick(at("2026-11-22T03:04:00Z"));
      assert.deepEqual(
        ran,
        ["parley-purge-expired-chats"],
        "only the every-minute job at :04 (the broken one failed)",
      );
      assert.ok(lines.some((l) => /job test-broken failed: .*no_such_function/.test(l)), "a failing job is logged");
      const chats = await engine.db.query<{ continuation_id: string }>(
        "select continuation_id from public.chats where owner_id = 'a0000000-0000-4000-8000-000000000001'",
      );
      assert.deepEqual(chats.map((c) => c.continuation_id), ["alive"], "the expired chat was purged");

      assert.deepEqual(await scheduler.tick(at("2026-11-22T03:05:00Z")), ["parley-purge-expired-chats", "test-hourly"]);
      const runs = await engine.db.query<{ name: string }>("select name from private.job_runs");
      assert.deepEqual(runs, [{ name: "hourly" }], "the hourly job ran once, at :05");
      assert.deepEqual(await scheduler.tick(at("2026-11-22T03:05:30Z")), [], "a cron job runs once in its minute");

      // 'N seconds': N seconds after the scheduler first sees the job, then N seconds after each start.
      // (The schema's check admits cron expressions only, for now: lifted in this test database.)
      await engine.db.exec(`
        alter table private.scheduled_jobs drop constraint scheduled_jobs_schedule_check;
        insert into private.scheduled_jobs (name, schedule, command)
        values ('test-every-10s', '10 seconds', 'insert into private.job_runs (name) values (''10s'')');
      `);
      const t0 = Date.parse("2026-11-22T03:05:31Z");
      const after = (seconds: number) => scheduler.tick(new Date(t0 + seconds * 1000));
      assert.deepEqual(await after(0), [], "first seen");
      assert.deepEqual(await after(9), []);
      assert.deepEqual(await after(10), ["test-every-10s"]);
      assert.deepEqual(await after(15), []);
      assert.deepEqual(await after(29), ["parley-purge-expired-chats", "test-every-10s"], "03:06:00, a new minute");
      assert.deepEqual(await after(38), []);
      const tens = await engine.db.query("select 1 from private.job_runs where name = '10s'");
      assert.equal(tens.length, 2);

      // with its timer, the scheduler wakes every second
      await engine.db.exec(`
        insert into private.scheduled_jobs (name, schedule, command)
        values ('test-every-second', '1 second', 'insert into private.job_runs (name) values (''1s'')');
      `);
      const ticking = startScheduler(engine);
      try {
        await new Promise((r) => setTimeout(r, 3500));
      } finally {
        ticking.stop();
      }
      const ones = await engine.db.query("select 1 from private.job_runs where name = '1s'");
      assert.ok(ones.length >= 2 && ones.length <= 3, `a '1 second' job ran ${ones.length} times in 3.5 s`);
    } finally {
      scheduler.stop();
      await engine.stop();
    }
  },
});

Deno.test({
  name: "native: pg_cron owns the scheduled jobs, and the scheduler stands aside",
  ignore: !engines.includes("native"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const engine = await startEngine("native", { port: freePort() });
    const scheduler = startScheduler(engine, () => {}, { timer: false });
    try {
      await prepareDatabase(engine);
      const jobs = await engine.db.query<{ jobname: string; schedule: string; command: string }>(
        "select jobname, schedule, command from cron.job order by jobname",
      );
      const wanted = await engine.db.query<{ jobname: string; schedule: string; command: string }>(
        // pg_cron before 1.5 has no 'N seconds': such jobs run every minute there
        `select name as jobname, case when schedule ~ 'seconds?$' and (select string_to_array(split_part(extversion, '-', 1),
           '.')::int[] < array[1, 5] from pg_extension where extname = 'pg_cron') then '* * * * *' else schedule end as schedule,
           command from private.scheduled_jobs order by name`,
      );
      assert.deepEqual(jobs, wanted, "every scheduled job is a pg_cron job");
      assert.deepEqual(await scheduler.tick(at("2026-11-22T03:04:00Z")), [], "nothing run twice");
    } finally {
      scheduler.stop();
      await engine.stop();
    }
  },
});
