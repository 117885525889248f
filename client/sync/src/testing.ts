/**
 * Test helpers for apps and adapters: a FakeClock that runs the engine's timers when told, and a
 * conformance suite that any StorageAdapter must pass (the Dexie, SQLite and memory ones do).
 * Register the suite with your runner: adapterConformance("mine", make, Deno.test) or node:test's
 * `test`.
 */
import assert from "node:assert/strict";
import type { Clock } from "./clock.ts";
import type { StorageAdapter } from "./types.ts";

/** A clock whose time moves only when advance() is called, running the timers that fall due. */
export class FakeClock implements Clock {
  #now: number;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 2, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** When the next timer falls due (null: none). */
  nextAt(): number | null {
    let at: number | null = null;
    for (const t of this.#timers.values()) if (at === null || t.at < at) at = t.at;
    return at;
  }

  /** Moves time on by ms, running each timer due (in order) and letting its work settle. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | null = null;
      for (const entry of this.#timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets pending promise chains run (a few macrotask turns). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => globalThis.setTimeout(resolve, 0));
}

type Register = (name: string, fn: () => Promise<void>) => unknown;

/** The behaviour every StorageAdapter owes the engine. `make` returns a fresh, empty adapter. */
export function adapterConformance(name: string, make: () => Promise<StorageAdapter>, test: Register): void {
  const row = {
    id: "r1",
    title: "Café ☕",
    facets: ["note", "task"],
    frontmatter: { n: 1, nested: { ok: true } },
    due_at: null,
  };

  test(`${name}: rows round-trip as JSON values`, async () => {
    const s = await make();
    await s.transaction((tx) => tx.put("entries", [row, { id: "r2", title: "b" }]));
    assert.deepEqual(await s.transaction((tx) => tx.get("entries", "r1")), row);
    assert.equal(await s.transaction((tx) => tx.get("entries", "nope")), undefined);
    assert.deepEqual((await s.transaction((tx) => tx.all("entries"))).map((r) => r.id).sort(), ["r1", "r2"]);
    await s.transaction((tx) => tx.put("entries", [{ ...row, title: "changed" }]));
    assert.equal((await s.transaction((tx) => tx.get("entries", "r1")))?.title, "changed");
    await s.transaction((tx) => tx.delete("entries", ["r1", "nope"]));
    assert.deepEqual((await s.transaction((tx) => tx.all("entries"))).map((r) => r.id), ["r2"]);
    await s.transaction((tx) => tx.clear("entries"));
    assert.deepEqual(await s.transaction((tx) => tx.all("entries")), []);
    await s.close?.();
  });

  test(`${name}: the outbox keeps write order`, async () => {
    const s = await make();
    const base = { op: "upsert" as const, created: true, at: 1, batch: null, attempts: 0, error: null };
    const seqs = await s.transaction(async (tx) => [
      await tx.addOutbox({ ...base, table: "entries", id: "a", row: { id: "a" } }),
      await tx.addOutbox({ ...base, table: "goals", id: "b", row: { id: "b" } }),
      await tx.addOutbox({ ...base, table: "entries", id: "a", op: "delete", row: null }),
    ]);
    assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2], "sequence numbers increase");
    let outbox = await s.transaction((tx) => tx.outbox());
    assert.deepEqual(outbox.map((e) => [e.table, e.id, e.op]), [["entries", "a", "upsert"], ["goals", "b", "upsert"], [
      "entries",
      "a",
      "delete",
    ]]);
    await s.transaction((tx) => tx.updateOutbox([{ ...outbox[1], batch: "m-1", attempts: 2, error: "boom" }]));
    await s.transaction((tx) => tx.removeOutbox([seqs[0]]));
    outbox = await s.transaction((tx) => tx.outbox());
    assert.deepEqual(outbox.map((e) => [e.seq, e.batch, e.attempts, e.error]), [[seqs[1], "m-1", 2, "boom"], [
      seqs[2],
      null,
      0,
      null,
    ]]);
    const later = await s.transaction((tx) => tx.addOutbox({ ...base, table: "goals", id: "c", row: { id: "c" } }));
    assert.ok(later > seqs[2], "a new write comes after every earlier one, removed or not");
    await s.close?.();
  });

  test(`${name}: dead letters and settings`, async () => {
    const s = await make();
    await s.transaction((tx) =>
      tx.addDeadLetters([{
        table: "entries",
        id: "a",
        op: "upsert",
        row: { id: "a" },
        kind: "rejected",
        reason: "bad",
        code: "22023",
        attempts: 1,
        at: 5,
        mutationId: "m",
      }])
    );
    const [letter] = await s.transaction((tx) => tx.deadLetters());
    assert.deepEqual({ ...letter, seq: 0 }, {
      seq: 0,
      table: "entries",
      id: "a",
      op: "upsert",
      row: { id: "a" },
      kind: "rejected",
      reason: "bad",
      code: "22023",
      attempts: 1,
      at: 5,
      mutationId: "m",
    });
    await s.transaction((tx) => tx.removeDeadLetters([letter.seq]));
    assert.deepEqual(await s.transaction((tx) => tx.deadLetters()), []);
    assert.equal(await s.transaction((tx) => tx.getMeta("cursor")), null);
    await s.transaction((tx) => tx.setMeta("cursor", "s1/1:1:///"));
    assert.equal(await s.transaction((tx) => tx.getMeta("cursor")), "s1/1:1:///");
    await s.transaction((tx) => tx.setMeta("cursor", null));
    assert.equal(await s.transaction((tx) => tx.getMeta("cursor")), null);
    await s.close?.();
  });

  test(`${name}: a transaction that fails writes nothing`, async () => {
    const s = await make();
    await assert.rejects(
      s.transaction(async (tx) => {
        await tx.put("entries", [row]);
        await tx.addOutbox({
          table: "entries",
          id: "r1",
          op: "upsert",
          row,
          created: true,
          at: 1,
          batch: null,
          attempts: 0,
          error: null,
        });
        await tx.setMeta("cursor", "x");
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual(
      await s.transaction(async (tx) => [await tx.all("entries"), await tx.outbox(), await tx.getMeta("cursor")]),
      [[], [], null],
    );
    await s.close?.();
  });

  test(`${name}: transactions run one at a time`, async () => {
    const s = await make();
    const bump = () =>
      s.transaction(async (tx) => {
        const n = Number(await tx.getMeta("n") ?? "0");
        await tx.put("goals", [{ id: `g${n}` }]);
        await tx.setMeta("n", String(n + 1));
      });
    await Promise.all([bump(), bump(), bump()]);
    assert.equal(await s.transaction((tx) => tx.getMeta("n")), "3");
    await s.close?.();
  });
}
