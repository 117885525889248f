/**
 * The sync engine's state machine with a fake clock and a scripted server (client/sync): idle →
 * pushing → pulling → idle; retry with exponential backoff; a dead letter after five counted
 * failures (and never for being offline); the triggers (local write, interval, foreground,
 * connectivity, manual); conflicts, rejections and id mappings in the push answer; pulled rows
 * never overwriting local writes still waiting; one sync at a time.
 */
import assert from "node:assert/strict";
import {
  MemoryAdapter,
  realtimeTrigger,
  SyncEngine,
  type SyncEngineOptions,
  SyncError,
  type SyncState,
} from "../../client/sync/src/mod.ts";
import type { PullAnswer, PullRequest, PushAnswer, PushRequest, Transport } from "../../client/sync/src/types.ts";
import { FakeClock, settle } from "../../client/sync/src/testing.ts";

/** A stand-in for push_changes/pull_changes: applies every pushed row, unless told otherwise. */
class ScriptedServer implements Transport {
  pushes: PushRequest[] = [];
  pulls: PullRequest[] = [];
  failures: SyncError[] = [];
  pushAnswer: ((request: PushRequest) => Partial<PushAnswer>) | null = null;
  pullAnswers: PullAnswer[] = [];

  push(request: PushRequest): Promise<PushAnswer> {
    this.pushes.push(structuredClone(request));
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    const applied = Object.entries(request.changes).flatMap(([table, c]) => [
      ...c.created.map((row) => ({ table, id: row.id, op: "created" as const, row })),
      ...c.updated.map((row) => ({ table, id: row.id, op: "updated" as const, row })),
      ...c.deleted.map((id) => ({ table, id, op: "deleted" as const, row: null })),
    ]);
    return Promise.resolve({
      applied,
      conflicts: [],
      rejected: [],
      cursor: `pushed-${this.pushes.length}`,
      ...this.pushAnswer?.(request),
    });
  }

  pull(request: PullRequest): Promise<PullAnswer> {
    this.pulls.push(structuredClone(request));
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    return Promise.resolve(
      this.pullAnswers.shift() ?? { changes: {}, cursor: `pulled-${this.pulls.length}`, has_more: false },
    );
  }
}

const failed = () => new SyncError("Internal Server Error", "failed", 500);
const offline = () => new SyncError("TypeError: fetch failed", "offline");

function setup(options: Partial<SyncEngineOptions> = {}) {
  const clock = new FakeClock();
  const server = new ScriptedServer();
  const storage = new MemoryAdapter();
  let n = 0;
  const engine = new SyncEngine({
    storage,
    transport: server,
    clock,
    random: () => 0.5, // no jitter: delays are exactly base × 2^(n-1)
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    ...options,
  });
  const states: SyncState[] = [];
  engine.subscribe((s) => {
    if (states.at(-1) !== s.state) states.push(s.state);
  });
  return { clock, server, storage, engine, states };
}

Deno.test("a local write is pushed, then the engine pulls: idle → pushing → pulling → idle", async () => {
  const { clock, server, engine, states } = setup();
  await engine.start();
  await clock.advance(0);
  states.splice(0, states.length, engine.getStatus().state);
  const row = await engine.create("entries", { facets: ["note"], title: "on the plane" });
  assert.equal(engine.getStatus().pending, 1, "the write waits in the outbox");
  await clock.advance(50); // the local-write trigger gathers a burst for 50 ms
  assert.deepEqual(states, ["idle", "pushing", "pulling", "idle"]);
  assert.deepEqual(server.pushes.at(-1)?.changes, { entries: { created: [row], updated: [], deleted: [] } });
  assert.equal(server.pushes.at(-1)?.last_pulled_cursor, "pulled-1", "with the cursor of the first pull");
  assert.equal(server.pulls.at(-1)?.cursor, "pushed-1", "the pull goes on from the push's cursor");
  assert.equal(engine.getStatus().pending, 0);
  assert.equal(engine.getStatus().lastSyncedAt, clock.now());
  await engine.stop();
});

Deno.test("failures retry with exponential backoff, the same mutation id each time, and a dead letter after five", async () => {
  const { clock, server, engine } = setup({ intervalMs: null });
  const deadLetters: number[] = [];
  engine.onDeadLetter((letters) => deadLetters.push(letters.length));
  await engine.start();
  await clock.advance(0);
  server.failures = [failed(), failed(), failed(), failed(), failed()];
  await engine.create("goals", { title: "Marathon" });
  await clock.advance(50);
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const status = engine.getStatus();
    assert.equal(status.state, "retry");
    assert.equal(status.failures, i + 1);
    delays.push(status.nextRetryAt! - clock.now());
    await clock.advance(status.nextRetryAt! - clock.now() - 1);
    assert.equal(server.pushes.length, i + 1, "nothing before the delay is over");
    await clock.advance(1);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000], "1 s, 2 s, 4 s, 8 s");
  assert.equal(server.pushes.length, 5);
  assert.equal(new Set(server.pushes.map((p) => p.mutation_id)).size, 1, "a retry is the same push (same mutation id)");
  const letters = await engine.deadLetters();
  assert.deepEqual(letters.map((l) => [l.table, l.kind, l.attempts, l.reason]), [[
    "goals",
    "failed",
    5,
    "Internal Server Error",
  ]]);
  assert.deepEqual(deadLetters, [1], "the app hears of it");
  assert.deepEqual([engine.getStatus().pending, engine.getStatus().deadLetters], [0, 1]);

  // the next sync goes on without it; retrying the dead letter queues the row again
  await clock.advance(16_000);
  assert.equal(engine.getStatus().state, "idle");
  await engine.retryDeadLetter(letters[0].seq);
  await clock.advance(50);
  assert.equal(server.pushes.at(-1)?.changes.goals.updated[0].title, "Marathon");
  assert.deepEqual([engine.getStatus().pending, engine.getStatus().deadLetters], [0, 0]);
  await engine.stop();
});

Deno.test("being offline never sends writes to the dead letter; the backoff grows to its cap", async () => {
  const { clock, server, engine } = setup({ intervalMs: null, backoff: { maxMs: 60_000 } });
  await engine.start();
  await clock.advance(0);
  server.failures = Array.from({ length: 12 }, offline);
  await engine.create("entries", { facets: ["note"] });
  await clock.advance(50);
  const delays: number[] = [];
  for (let i = 0; i < 11; i++) {
    delays.push(engine.getStatus().nextRetryAt! - clock.now());
    await clock.advance(engine.getStatus().nextRetryAt! - clock.now());
  }
  assert.deepEqual(delays.slice(-5), [60_000, 60_000, 60_000, 60_000, 60_000], "capped at maxMs");
  assert.equal(engine.getStatus().lastErrorKind, "offline");
  assert.equal((await engine.deadLetters()).length, 0, "no dead letter");
  assert.equal((await engine.pending())[0].attempts, 0, "offline attempts do not count");
  await clock.advance(60_000);
  assert.equal(engine.getStatus().state, "idle", "the write goes through once the server answers");
  assert.equal(engine.getStatus().pending, 0);
  await engine.stop();
});

Deno.test("connectivity: offline writes wait; coming back online syncs at once, without waiting for a retry", async () => {
  const { clock, server, engine } = setup({ intervalMs: null });
  await engine.start();
  await clock.advance(0);
  engine.setOnline(false);
  assert.equal(engine.getStatus().state, "offline");
  await engine.create("entries", { facets: ["note"], title: "a" });
  await engine.create("entries", { facets: ["note"], title: "b" });
  await clock.advance(10_000);
  assert.equal(server.pushes.length, 0, "nothing is sent while offline");
  assert.equal(engine.getStatus().pending, 2);
  engine.setOnline(true);
  await settle();
  assert.equal(server.pushes.length, 1, "connectivity restored: one push of both");
  assert.equal(server.pushes[0].changes.entries.created.length, 2);
  assert.equal(engine.getStatus().state, "idle");
  await engine.stop();
});

Deno.test("triggers: the interval in the foreground, the foreground itself, manual refresh during a retry", async () => {
  const { clock, server, engine } = setup({ intervalMs: 300_000 });
  await engine.start();
  await clock.advance(0);
  assert.equal(server.pulls.length, 1, "start pulls once");
  await clock.advance(300_000);
  assert.equal(server.pulls.length, 2, "then every 5 minutes in the foreground");
  engine.setForeground(false);
  await clock.advance(900_000);
  assert.equal(server.pulls.length, 2, "not in the background");
  engine.setForeground(true);
  await settle();
  assert.equal(server.pulls.length, 3, "coming to the foreground pulls at once");

  server.failures = [failed()];
  await engine.sync("manual");
  assert.equal(engine.getStatus().state, "retry");
  engine.trigger("interval");
  engine.trigger("local-write");
  await settle();
  assert.equal(server.pulls.length, 4, "interval and local writes wait for the retry");
  const outcome = await engine.sync("manual");
  assert.equal(outcome.ok, true, "a manual refresh runs at once");
  assert.equal(engine.getStatus().failures, 0);
  await engine.stop();
  assert.equal(engine.getStatus().state, "stopped");
});

Deno.test("one sync at a time: a sync asked for during another runs right after it", async () => {
  const { server, engine } = setup({ autoSync: false });
  await engine.create("entries", { facets: ["note"] });
  const [a, b] = [engine.sync(), engine.sync()];
  assert.equal(a, b, "the second call joins the running sync");
  await a;
  await settle();
  assert.equal(server.pushes.length, 1, "the row is pushed once");
  assert.equal(server.pulls.length, 2, "and a second sync (a pull) follows");
});

Deno.test("the outbox in a push: a row once, as last written; created then deleted is not sent", async () => {
  const { server, engine } = setup({ autoSync: false });
  const a = await engine.create("goals", { title: "draft" });
  await engine.update("goals", a.id, { title: "final" });
  const b = await engine.create("goals", { title: "scratch" });
  await engine.delete("goals", b.id);
  await engine.sync();
  assert.deepEqual(server.pushes[0].changes, {
    goals: { created: [{ id: a.id, title: "final" }], updated: [], deleted: [] },
  });
  await engine.delete("goals", a.id);
  await engine.sync();
  assert.deepEqual(server.pushes[1].changes, { goals: { created: [], updated: [], deleted: [a.id] } });
});

Deno.test("the push answer: rows as stored, a conflict, a rejection, an id mapping", async () => {
  const { server, engine } = setup({ autoSync: false });
  const conflicts: unknown[] = [];
  engine.onConflict((c) => conflicts.push(c));
  const tag = await engine.create("entities", { type: "tag", key: "Running" });
  const entry = await engine.create("entries", { facets: ["note"], title: " padded ", entity_ids: [tag.id] });
  const doomed = await engine.create("goals", { title: "x" });
  const gone = await engine.create("saved_views", { name: "Runs", query: {} });
  const serverTag = "aaaaaaaa-0000-4000-8000-000000000001";
  server.pushAnswer = () => ({
    applied: [
      {
        table: "entities",
        id: serverTag,
        op: "updated",
        mapped_from: tag.id,
        row: { id: serverTag, type: "tag", key: "running" },
      },
      { table: "entries", id: entry.id, op: "created", row: { ...entry, title: "padded", entity_ids: [serverTag] } },
    ],
    conflicts: [{
      table: "saved_views",
      id: gone.id,
      winner: "server",
      op: "deleted",
      reason: "deleted on the server",
      row: null,
    }],
    rejected: [{
      table: "goals",
      id: doomed.id,
      op: "created",
      code: "22023",
      reason: "title is too short",
      row: null,
    }],
  });
  const outcome = await engine.sync();
  assert.equal(outcome.ok, true);
  assert.deepEqual(
    (await engine.all("entities")).map((e) => e.id),
    [serverTag],
    "the device's tag became the server's",
  );
  assert.deepEqual((await engine.get("entries", entry.id))?.entity_ids, [serverTag]);
  assert.equal((await engine.get("entries", entry.id))?.title, "padded", "rows as the server stored them");
  assert.equal(await engine.get("saved_views", gone.id), undefined, "the winning delete is applied");
  assert.deepEqual(conflicts.map((c) => (c as { winner: string }).winner), ["server"], "the app hears of the conflict");
  assert.equal(await engine.get("goals", doomed.id), undefined, "a rejected new row goes (the server has none)");
  assert.deepEqual((await engine.deadLetters()).map((d) => [d.table, d.kind, d.reason, d.code]), [[
    "goals",
    "rejected",
    "title is too short",
    "22023",
  ]], "and waits in the dead letter with the reason");
});

Deno.test("a mapping rewrites writes still waiting, and pulled rows never overwrite them", async () => {
  const { server, engine } = setup({ autoSync: false, batchSize: 1 });
  const tag = await engine.create("entities", { type: "tag", key: "run" });
  const entry = await engine.create("entries", { facets: ["note"], title: "mine", entity_ids: [tag.id] });
  const serverTag = "aaaaaaaa-0000-4000-8000-000000000002";
  server.pushAnswer = (request) =>
    request.changes.entities
      ? {
        applied: [{
          table: "entities",
          id: serverTag,
          op: "updated",
          mapped_from: tag.id,
          row: { id: serverTag, type: "tag", key: "run" },
        }],
      }
      : {};
  await engine.sync();
  assert.equal(server.pushes.length, 2, "a batch each (batchSize 1)");
  assert.deepEqual(
    server.pushes[1].changes.entries.created[0].entity_ids,
    [serverTag],
    "the entry waiting in the outbox was rewritten to link the server's tag before it was pushed",
  );
  assert.deepEqual((await engine.get("entries", entry.id))?.entity_ids, [serverTag]);

  // a write made while a pull is on its way: the pulled version of that row does not replace it
  server.pushAnswer = null;
  const originalPull = server.pull.bind(server);
  server.pull = async (request) => {
    server.pulls.push(request);
    await engine.update("entries", entry.id, { title: "edited meanwhile" });
    server.pull = originalPull;
    return {
      changes: { entries: { created: [], updated: [{ ...entry, title: "from another device" }], deleted: [] } },
      cursor: "c1",
      has_more: false,
    };
  };
  await engine.sync();
  assert.equal((await engine.get("entries", entry.id))?.title, "edited meanwhile", "the local write is kept");
  assert.equal(engine.getStatus().pending, 1, "and pushed by the next sync");
});

Deno.test("reset: a manual full refresh forgets the cursor and the rows without waiting writes", async () => {
  const { server, engine } = setup({ autoSync: false });
  server.pullAnswers = [{
    changes: { goals: { created: [{ id: "g1", title: "old" }], updated: [], deleted: [] } },
    cursor: "c1",
    has_more: false,
  }];
  await engine.sync();
  assert.equal((await engine.all("goals")).length, 1);
  server.pullAnswers = [{
    changes: { goals: { created: [{ id: "g2", title: "new" }], updated: [], deleted: [] } },
    cursor: "c9",
    has_more: false,
  }];
  await engine.sync("manual", { reset: true });
  assert.equal(server.pulls.at(-1)?.cursor, null, "a pull from scratch");
  assert.deepEqual((await engine.all("goals")).map((g) => g.id), ["g2"]);
});

Deno.test("realtimeTrigger: user:<id>, private; a burst of broadcasts is one sync, each (re)subscription one", async () => {
  let broadcast = () => {};
  let status = (_: string) => {};
  const joined: { name: string; private: boolean }[] = [];
  let removed = 0;
  const channel = {
    on(_type: "broadcast", filter: { event: string }, callback: () => void) {
      assert.equal(filter.event, "*");
      broadcast = callback;
      return channel;
    },
    subscribe(callback?: (s: string) => void) {
      status = callback ?? status;
      return channel;
    },
  };
  const supabase = {
    channel(name: string, options: { config: { private: boolean } }) {
      joined.push({ name, private: options.config.private });
      return channel;
    },
    removeChannel() {
      removed++;
      return Promise.resolve("ok");
    },
  };
  const fired: string[] = [];
  const stop = realtimeTrigger(supabase, "u1", { debounceMs: 10 }).start((r) => fired.push(r), null as never);
  assert.deepEqual(joined, [{ name: "user:u1", private: true }]);
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  status("SUBSCRIBED");
  await wait(30);
  assert.deepEqual(fired, ["realtime"], "subscribed: pull what was missed");
  broadcast();
  broadcast();
  broadcast();
  await wait(30);
  assert.deepEqual(fired, ["realtime", "realtime"], "three broadcasts at once: one sync");
  status("CHANNEL_ERROR");
  status("SUBSCRIBED");
  await wait(30);
  assert.equal(fired.length, 3, "subscribed again after a reconnection: one more");
  broadcast();
  stop!();
  await wait(30);
  assert.equal(fired.length, 3, "stopped: a pending fire is cancelled");
  assert.equal(removed, 1, "and the channel removed");
});
