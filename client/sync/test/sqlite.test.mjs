// @parley/sync under Node, from its build (dist/): the SQLite adapter over better-sqlite3 passes the
// adapters' conformance suite, and two devices keep a journal in step through a running Parley
// stack (PARLEY_SYNC_URL and PARLEY_SYNC_ANON_KEY; tests/client/node-package.test.ts starts one).
import test from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { PARLEY_SCHEMA, supabaseTransport, SyncEngine } from "../dist/mod.js";
import { SqliteAdapter } from "../dist/sqlite.js";
import { adapterConformance } from "../dist/testing.js";

adapterConformance(
  "sqlite (better-sqlite3)",
  () => Promise.resolve(new SqliteAdapter(new Database(":memory:"), PARLEY_SCHEMA)),
  (name, fn) => test(name, fn),
);

const url = process.env.PARLEY_SYNC_URL;
const anonKey = process.env.PARLEY_SYNC_ANON_KEY;

test(
  "two devices with SQLite storage keep a journal in step through the stack",
  { skip: !url && "no stack" },
  async () => {
    const supabase = createClient(url, anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket },
    });
    const email = `sqlite-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const { error } = await supabase.auth.signUp({ email, password: `pw-${crypto.randomUUID()}` });
    assert.equal(error, null);
    const dir = mkdtempSync(join(tmpdir(), "parley-sync-"));
    const file = join(dir, "phone.db");
    const device = (db) =>
      new SyncEngine({
        storage: new SqliteAdapter(db, PARLEY_SCHEMA),
        transport: supabaseTransport(supabase),
        autoSync: false,
      });
    try {
      const phoneDb = new Database(file);
      const phone = device(phoneDb);
      const tag = await phone.create("entities", { type: "tag", key: "Running", display_name: "Running" });
      const entry = await phone.create("entries", { facets: ["event", "workout"], title: "5k", entity_ids: [tag.id] });
      assert.equal((await phone.sync()).ok, true);
      assert.equal(phone.getStatus().pending, 0);
      phoneDb.close();

      // the phone's database keeps its rows and cursor across a restart
      const reopened = device(new Database(file));
      assert.equal((await reopened.get("entries", entry.id))?.title, "5k");
      assert.equal((await reopened.all("entities")).length, 1);

      const laptop = device(new Database(":memory:"));
      assert.equal((await laptop.sync()).ok, true);
      assert.deepEqual(
        (await laptop.get("entries", entry.id))?.entity_ids,
        [tag.id],
        "the laptop pulls the entry with its tag",
      );
      await laptop.update("entries", entry.id, { title: "5k in 25 minutes" });
      assert.equal((await laptop.sync()).ok, true);
      assert.equal((await reopened.sync()).ok, true);
      assert.equal(
        (await reopened.get("entries", entry.id))?.title,
        "5k in 25 minutes",
        "and the phone pulls the edit",
      );
      await reopened.delete("entries", entry.id);
      await reopened.sync();
      await laptop.sync();
      assert.equal(await laptop.get("entries", entry.id), undefined, "a deletion reaches the other device");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
