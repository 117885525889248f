/**
 * pull_changes and push_changes through supabase-js and the gateway, on every engine, each call its
 * own transaction as on Supabase: a device pulls, another writes, the first pulls the change (as
 * updated, once); a push's own writes do not come back to it; a change made on the server since a
 * device's last pull is a conflict the push wins and the log keeps; a deleted project reaches the
 * other device; replays, reused mutation ids, bad input and anon with PostgREST's statuses; the
 * client engine's Realtime trigger pulls another device's write as soon as it is broadcast.
 */
import assert from "node:assert/strict";
import {
  MemoryAdapter,
  realtimeTrigger,
  supabaseTransport,
  SyncEngine,
  type SyncReason,
} from "../../client/sync/src/mod.ts";
import { until } from "./_realtime.ts";
import {
  api,
  client,
  rpcFails,
  rpcOk,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
} from "./_stack.ts";

const empty = { created: [], updated: [], deleted: [] };

for (const kind of testEngines()) {
  const stack = stackFixture(kind);
  stopStackAfterTests(stack);

  stackTest(
    stack,
    "a device pulls what another wrote since its cursor, once; its own pushes do not come back",
    async (s) => {
      const user = await signedInUser(s, "flow");
      const first = await rpcOk(user.supabase, "pull_changes", {});
      assert.deepEqual(first.changes.entries, empty);
      const entry = await rpcOk(user.supabase, "upsert_entry", { facets: ["note"], title: "from the web app" });
      const second = await rpcOk(user.supabase, "pull_changes", { cursor: first.cursor });
      assert.deepEqual(second.changes.entries.created.map((e: { id: string }) => e.id), [entry.id]);
      await rpcOk(user.supabase, "upsert_entry", { id: entry.id, facets: ["note"], title: "edited" });
      const third = await rpcOk(user.supabase, "pull_changes", { cursor: second.cursor });
      assert.deepEqual(third.changes.entries.created, []);
      assert.equal(third.changes.entries.updated[0].title, "edited", "a change of a row the device has is an update");
      const fourth = await rpcOk(user.supabase, "pull_changes", { cursor: third.cursor });
      assert.deepEqual(fourth.changes.entries, empty, "nothing comes twice");

      const pushed = await rpcOk(user.supabase, "push_changes", {
        changes: { goals: { created: [{ id: crypto.randomUUID(), title: "Walk daily" }], updated: [], deleted: [] } },
        last_pulled_cursor: fourth.cursor,
        mutation_id: crypto.randomUUID(),
      });
      assert.equal(pushed.applied[0].row.title, "Walk daily");
      const after = await rpcOk(user.supabase, "pull_changes", { cursor: pushed.cursor });
      assert.deepEqual(after.changes.goals, empty, "the push's own writes are not pulled again: the answer had them");
    },
  );

  stackTest(stack, "realtimeTrigger: a write on another device is pulled when its broadcast arrives", async (s) => {
    const user = await signedInUser(s, "realtime-sync");
    // a phone whose only trigger is Realtime (no interval within the test); its fires are counted
    const fired: SyncReason[] = [];
    const realtime = realtimeTrigger(user.supabase, user.id, { debounceMs: 20 });
    const phone = new SyncEngine({
      storage: new MemoryAdapter(),
      transport: supabaseTransport(user.supabase),
      triggers: [{
        start: (fire, engine) =>
          realtime.start((reason) => {
            fired.push(reason);
            fire(reason);
          }, engine),
      }],
      intervalMs: 3_600_000,
    });
    try {
      await phone.start();
      await until("a sync once the channel is subscribed", () => fired.length > 0, 10_000);
      await until("the phone idle", () => phone.getStatus().state === "idle", 10_000);
      const before = fired.length;

      // the laptop (another client of the same user) writes through the RPC
      const laptop = client(s);
      await laptop.auth.signInWithPassword({ email: user.email, password: user.password });
      const entry = await rpcOk(laptop, "upsert_entry", { facets: ["note"], title: "written on the laptop" });
      const end = Date.now() + 10_000;
      while ((await phone.get("entries", entry.id))?.title !== "written on the laptop") {
        if (Date.now() > end) throw new Error("the laptop's entry never reached the phone");
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(fired.length > before, "the broadcast started the pull");
    } finally {
      await phone.stop();
      await user.supabase.removeAllChannels();
    }
  });

  stackTest(
    stack,
    "a change on the server since the last pull is a conflict; the push wins and the log keeps both",
    async (s) => {
      const user = await signedInUser(s, "conflict");
      const entry = await rpcOk(user.supabase, "upsert_entry", { facets: ["note"], title: "v1" });
      const pulled = await rpcOk(user.supabase, "pull_changes", {});
      await rpcOk(user.supabase, "upsert_entry", { id: entry.id, facets: ["note"], title: "changed on the laptop" });
      const answer = await rpcOk(user.supabase, "push_changes", {
        changes: {
          entries: {
            created: [],
            updated: [{ id: entry.id, facets: ["note"], title: "changed on the phone" }],
            deleted: [],
          },
        },
        last_pulled_cursor: pulled.cursor,
        mutation_id: "phone-1",
      });
      assert.deepEqual(
        answer.conflicts.map((c: Record<string, unknown>) => [c.winner, c.op, (c.row as { title: string }).title]),
        [["client", "updated", "changed on the phone"]],
      );
      const log = await rpcOk(user.supabase, "list_sync_conflicts", {});
      assert.deepEqual([log[0].server_row.title, log[0].client_row.title], [
        "changed on the laptop",
        "changed on the phone",
      ]);

      // without the laptop's change in between, the same kind of push is no conflict
      const pulledAgain = await rpcOk(user.supabase, "pull_changes", { cursor: answer.cursor });
      const calm = await rpcOk(user.supabase, "push_changes", {
        changes: {
          entries: { created: [], updated: [{ id: entry.id, facets: ["note"], title: "calm" }], deleted: [] },
        },
        last_pulled_cursor: pulledAgain.cursor,
        mutation_id: "phone-2",
      });
      assert.deepEqual(calm.conflicts, []);

      // a replay: the first answer, and nothing written
      const replay = await rpcOk(user.supabase, "push_changes", {
        changes: {
          entries: {
            created: [],
            updated: [{ id: entry.id, facets: ["note"], title: "changed on the phone" }],
            deleted: [],
          },
        },
        last_pulled_cursor: pulled.cursor,
        mutation_id: "phone-1",
      });
      assert.deepEqual(replay, answer);
      const now = await rpcOk(user.supabase, "get_entry", { entry_id: entry.id });
      assert.equal(now.title, "calm", "the replay did not write the old title back");
    },
  );

  stackTest(stack, "a project deleted on one device is deleted on the other", async (s) => {
    const user = await signedInUser(s, "projects");
    const project = await rpcOk(user.supabase, "create_project", { name: "Greenhouse" });
    const pulled = await rpcOk(user.supabase, "pull_changes", { tables: ["projects"] });
    assert.equal(pulled.changes.projects.created[0].id, project.id);
    await rpcOk(user.supabase, "delete_project", { project_id: project.id });
    const next = await rpcOk(user.supabase, "pull_changes", { cursor: pulled.cursor, tables: ["projects"] });
    assert.deepEqual(next.changes.projects, { created: [], updated: [], deleted: [project.id] });
  });

  stackTest(stack, "errors: bad cursor and malformed changes 400, a reused mutation id 409, anon 401", async (s) => {
    const user = await signedInUser(s, "errors");
    await rpcFails(user.supabase, "pull_changes", { cursor: "yesterday" }, {
      status: 400,
      code: "22023",
      message: /cursor is not a cursor/,
    });
    await rpcFails(user.supabase, "push_changes", { changes: { diary: {} }, mutation_id: "m" }, {
      status: 400,
      code: "22023",
      message: /changes\.diary is not a synced table/,
    });
    await rpcOk(user.supabase, "push_changes", { changes: {}, mutation_id: "reused" });
    await rpcFails(user.supabase, "push_changes", {
      changes: { goals: { deleted: [crypto.randomUUID()] } },
      mutation_id: "reused",
    }, {
      status: 409,
      code: "PT409",
    });
    const anon = await api(s, "/rest/v1/rpc/pull_changes", { body: {} });
    assert.equal(anon.status, 401);
    const anonPush = await api(s, "/rest/v1/rpc/push_changes", { body: { changes: {}, mutation_id: "x" } });
    assert.equal(anonPush.status, 401);
  });
}
