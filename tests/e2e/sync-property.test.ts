/**
 * Sync as a property, against the running stack on every engine: three devices of one user (one
 * keeping its data in Dexie over fake-indexeddb, two in memory), each with the real engine and
 * supabase-js, make random creates, updates and deletes (tags that collide across devices, entries
 * linking them, goals under goals, habits and their days, the odd invalid row), go offline at
 * random, and sync through a network that drops requests before they arrive, loses answers after
 * the server committed, sends pushes twice and delivers stale copies of old pushes later. A seeded
 * RNG makes a run repeatable (PARLEY_SYNC_SEED, PARLEY_SYNC_STEPS).
 *
 * Afterwards, once every device is online and has synced: every device holds exactly what the
 * server holds; every write the server acknowledged (committed) is there as the last
 * acknowledgement of that row says, or deleted when a delete won; no row is duplicated (one tag per
 * key, one log per habit and day); every replay of a push got the first answer.
 */
import assert from "node:assert/strict";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { Dexie } from "dexie";
import {
  MemoryAdapter,
  PARLEY_SCHEMA,
  type PushAnswer,
  type Row,
  supabaseTransport,
  SyncEngine,
  SyncError,
  type Transport,
} from "../../client/sync/src/mod.ts";
import { DexieAdapter, syncStores } from "../../client/sync/src/dexie.ts";
import { FakeClock } from "../../client/sync/src/testing.ts";
import { client, signedInUser, stackFixture, stackTest, stopStackAfterTests, testEngines } from "./_stack.ts";

const SEED = Number(Deno.env.get("PARLEY_SYNC_SEED") ?? 20261204);
const STEPS = Number(Deno.env.get("PARLEY_SYNC_STEPS") ?? 150);

/** mulberry32: a small seeded generator of [0, 1). */
function rngFrom(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: T[]): T => items[Math.floor(rng() * items.length)];

function uuidFrom(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "89ab"[Math.floor(rng() * 4)];
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** What the server acknowledged, per row, in the order it did: the last one is what must remain. */
class Acknowledgements {
  last = new Map<string, { deleted: boolean; row: Row | null }>();
  answers = new Map<string, PushAnswer>();
  replays = 0;

  record(mutationId: string, answer: PushAnswer): void {
    const first = this.answers.get(mutationId);
    if (first) {
      assert.deepEqual(answer, first, `a replay of ${mutationId} gets the first answer`);
      this.replays++;
      return;
    }
    this.answers.set(mutationId, answer);
    for (const a of answer.applied) {
      this.last.set(`${a.table}/${a.id}`, { deleted: a.op === "deleted", row: a.row });
    }
    for (const c of answer.conflicts) {
      this.last.set(`${c.table}/${c.id}`, { deleted: c.op === "deleted", row: c.row });
    }
  }
}

/** A network that loses, repeats and reorders requests; `online` false: nothing gets through. */
const TROUBLE = [0.5, 0.05, 0.5, 0.15, 0.5, 0.25, 0.5, 0.35]; // ok, dropped, ok, answer lost, ok, duplicated, ok, stale copy
const TROUBLE_OFFSET = SEED % TROUBLE.length;

class FlakyNetwork implements Transport {
  static pushes = 0;
  online = true;
  flaky = true;
  stale: (() => Promise<void>)[] = [];
  stats = { dropped: 0, lostAnswers: 0, duplicated: 0, delayed: 0, delivered: 0 };

  constructor(readonly inner: Transport, readonly rng: Rng, readonly acks: Acknowledgements) {}

  async push(request: Parameters<Transport["push"]>[0]) {
    if (!this.online) throw new SyncError("offline", "offline");
    // every kind of trouble comes round (in an order the seed shuffles), whatever the run's length
    const r = this.flaky ? TROUBLE[(FlakyNetwork.pushes++ + TROUBLE_OFFSET) % TROUBLE.length] : 1;
    if (r < 0.1) {
      this.stats.dropped++;
      throw new SyncError("the request never arrived", "offline");
    }
    const send = async () => {
      const answer = await this.inner.push(structuredClone(request));
      this.acks.record(request.mutation_id, answer);
      return answer;
    };
    if (r < 0.2) {
      await send();
      this.stats.lostAnswers++;
      throw new SyncError("the answer was lost (cut mid-request)", "offline");
    }
    if (r < 0.3) {
      this.stats.duplicated++;
      await send();
      return await send();
    }
    if (r < 0.4) {
      // a copy of this push arrives again much later, after newer pushes
      this.stats.delayed++;
      this.stale.push(async () => {
        await send();
        this.stats.delivered++;
      });
    }
    return await send();
  }

  async pull(request: Parameters<Transport["pull"]>[0]) {
    if (!this.online) throw new SyncError("offline", "offline");
    if (this.flaky && this.rng() < 0.05) throw new SyncError("the answer was lost", "offline");
    return await this.inner.pull(request);
  }
}

const tablesToCompare = ["entities", "goals", "entries", "habit_definitions", "habit_instances"];

async function snapshot(engine: SyncEngine): Promise<Record<string, Record<string, Row>>> {
  const result: Record<string, Record<string, Row>> = {};
  for (const table of engine.tables) {
    result[table] = Object.fromEntries((await engine.all(table)).map((r) => [r.id, r]));
  }
  return result;
}

for (const kind of testEngines()) {
  const stack = stackFixture(kind);
  stopStackAfterTests(stack);

  stackTest(
    stack,
    `sync property: 3 devices, random writes, offline periods, lost, repeated and stale pushes (seed ${SEED})`,
    async (s) => {
      const rng = rngFrom(SEED);
      const user = await signedInUser(s, "devices");
      const acks = new Acknowledgements();
      const devices = await Promise.all([0, 1, 2].map(async (i) => {
        const supabase = client(s);
        const { error } = await supabase.auth.signInWithPassword({ email: user.email, password: user.password });
        assert.equal(error, null);
        const network = new FlakyNetwork(supabaseTransport(supabase), rng, acks);
        let storage;
        if (i === 0) {
          const db = new Dexie(`device-${crypto.randomUUID()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
          db.version(1).stores(syncStores(PARLEY_SCHEMA));
          storage = new DexieAdapter(db, PARLEY_SCHEMA);
        } else {
          storage = new MemoryAdapter();
        }
        const engine = new SyncEngine({
          storage,
          transport: network,
          autoSync: false,
          clock: new FakeClock(),
          newId: () => uuidFrom(rng),
          batchSize: 7, // several pushes per sync
          pullLimit: 5, // several pages per pull
        });
        return { engine, network, name: `device ${i}` };
      }));

      const keys = ["run", "Run", "  RUN ", "yoga", "Yoga", "read", "cook"];
      const titles = ["a", "bb", "ccc", "dddd", "five"];
      let writes = 0;
      let syncs = 0;
      for (let step = 0; step < STEPS; step++) {
        const device = pick(rng, devices);
        const { engine, network } = device;
        const r = rng();
        const local = async (table: string) => await engine.all(table);
        if (r < 0.5) {
          writes++;
          const what = rng();
          if (what < 0.12) {
            await engine.create("entities", { type: "tag", key: pick(rng, keys) });
          } else if (what < 0.4) {
            const tags = (await local("entities")).filter(() => rng() < 0.4).map((t) => t.id).slice(0, 3);
            await engine.create("entries", {
              facets: [pick(rng, ["note", "task", "event"])],
              title: pick(rng, titles),
              entity_ids: tags,
            });
          } else if (what < 0.55) {
            const entries = await local("entries");
            if (entries.length) {
              const e = pick(rng, entries);
              const tags = (await local("entities")).filter(() => rng() < 0.3).map((t) => t.id).slice(0, 2);
              await engine.update("entries", e.id, {
                title: `${pick(rng, titles)}${step}`,
                ...(rng() < 0.5 ? { entity_ids: tags } : {}),
              });
            }
          } else if (what < 0.65) {
            const entries = await local("entries");
            if (entries.length) await engine.delete("entries", pick(rng, entries).id);
          } else if (what < 0.7) {
            // a tag deleted: the app unlinks it from its entries first, as the server does
            const tags = await local("entities");
            if (tags.length) {
              const t = pick(rng, tags);
              for (const e of await local("entries")) {
                if ((e.entity_ids as string[] | undefined)?.includes(t.id)) {
                  await engine.update("entries", e.id, {
                    entity_ids: (e.entity_ids as string[]).filter((x) => x !== t.id),
                  });
                }
              }
              await engine.delete("entities", t.id);
            }
          } else if (what < 0.8) {
            const goals = await local("goals");
            const parent = goals.length && rng() < 0.5 ? pick(rng, goals).id : null;
            // now and then an invalid one (an empty title): rejected alone, kept in the dead letter
            await engine.create("goals", { title: rng() < 0.1 ? "" : pick(rng, titles), parent_id: parent });
          } else if (what < 0.85) {
            const goals = await local("goals");
            if (goals.length) {
              await engine.update("goals", pick(rng, goals).id, {
                status: pick(rng, ["active", "paused", "completed"]),
              });
            }
          } else if (what < 0.9) {
            await engine.create("habit_definitions", { name: pick(rng, titles), schedule: { type: "daily" } });
          } else {
            const habits = await local("habit_definitions");
            if (habits.length) {
              await engine.create("habit_instances", {
                habit_id: pick(rng, habits).id,
                local_date: pick(rng, ["2026-03-01", "2026-03-02", "2026-03-03"]),
                value: Math.floor(rng() * 3),
              });
            }
          }
        } else if (r < 0.82) {
          syncs++;
          await engine.sync();
        } else if (r < 0.9) {
          network.online = !network.online;
        } else {
          const stale = devices.flatMap((d) => d.network.stale.splice(0, d.network.stale.length));
          for (const deliver of stale) await deliver();
        }
      }

      // everyone online on a calm network: deliver what is left, then sync until nothing changes
      for (const d of devices) {
        d.network.online = true;
        d.network.flaky = false;
      }
      for (const d of devices) for (const deliver of d.network.stale.splice(0)) await deliver();
      for (let round = 0; round < 3; round++) {
        for (const d of devices) {
          const outcome = await d.engine.sync();
          assert.ok(outcome.ok, `${d.name}: ${outcome.error?.message}`);
        }
      }

      // the server's state, as a new device pulls it
      const fresh = client(s);
      await fresh.auth.signInWithPassword({ email: user.email, password: user.password });
      const observer = new SyncEngine({
        storage: new MemoryAdapter(),
        transport: supabaseTransport(fresh),
        autoSync: false,
      });
      assert.ok((await observer.sync()).ok);
      const server = await snapshot(observer);

      for (const d of devices) {
        assert.equal(d.engine.getStatus().pending, 0, `${d.name} has nothing left to push`);
        const mine = await snapshot(d.engine);
        for (const table of tablesToCompare) {
          assert.deepEqual(mine[table], server[table], `${d.name} holds what the server holds in ${table}`);
        }
      }
      for (const [key, ack] of acks.last) {
        const [table, id] = key.split("/");
        if (!tablesToCompare.includes(table)) continue;
        if (ack.deleted) assert.equal(server[table][id], undefined, `${key} was deleted as acknowledged`);
        else assert.deepEqual(server[table][id], ack.row, `${key} is as the server last acknowledged it`);
      }
      for (const table of tablesToCompare) {
        for (const id of Object.keys(server[table])) {
          assert.ok(acks.last.has(`${table}/${id}`), `${table}/${id} on the server came from an acknowledged push`);
        }
      }
      const tagKeys = Object.values(server.entities).map((t) => `${t.type}/${t.key}`);
      assert.equal(new Set(tagKeys).size, tagKeys.length, "one tag per key: devices' tags merged");
      const days = Object.values(server.habit_instances).map((h) => `${h.habit_id}/${h.local_date}`);
      assert.equal(new Set(days).size, days.length, "one log per habit and day");

      const stats = devices.map((d) => d.network.stats);
      const total = (k: keyof FlakyNetwork["stats"]) => stats.reduce((n, x) => n + x[k], 0);
      const deadLetters = (await Promise.all(devices.map((d) => d.engine.deadLetters()))).flat();
      assert.ok(
        deadLetters.every((l) => l.kind === "rejected"),
        "only invalid rows are dead letters (nothing failed five times)",
      );
      // the run exercised what it claims to
      assert.ok(writes > 40 && syncs > 20, `writes ${writes}, syncs ${syncs}`);
      assert.ok(
        total("dropped") > 0 && total("lostAnswers") > 0 && total("duplicated") > 0 && total("delivered") > 0,
        JSON.stringify(stats),
      );
      assert.ok(acks.replays > 0, "replays happened and got their first answers");
      assert.ok(Object.keys(server.entries).length > 5, "the journal is not empty");
    },
  );
}
