/**
 * Journal changes on the private topic `user:<user_id>`: an entry (or dream) a user writes reaches
 * their own subscription to `user:<id>` and nobody else's. The journal schema (public.entries) comes
 * with its own issue: until the table exists these tests say so and pass without checking anything.
 */
import assert from "node:assert/strict";
import { signedInUser, stackFixture, stackTest, stopStackAfterTests, testEngines } from "./_stack.ts";
import { refused, sleep, subscribed, until } from "./_realtime.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

for (const kind of testEngines()) {
  const stack = stackFixture(kind);
  stopStackAfterTests(stack);

  stackTest(stack, "realtime: an entry change reaches user:<id> of its owner only", async (s) => {
    const [{ exists }] = await s.engine.db.query<{ exists: boolean }>(
      "select to_regclass('public.entries') is not null as exists",
    );
    if (!exists) {
      console.log("skipped: public.entries does not exist yet (the journal schema has not landed)");
      return;
    }
    const owner = await signedInUser(s, "journal-owner");
    const other = await signedInUser(s, "journal-other");
    const received: Loose[] = [];
    const mine = owner.supabase.channel(`user:${owner.id}`, { config: { private: true } })
      .on("broadcast", { event: "*" }, (m) => received.push(m));
    await subscribed(mine);
    const reason = await refused(
      other.supabase,
      other.supabase.channel(`user:${owner.id}`, { config: { private: true } }),
    );
    assert.match(reason, /^Unauthorized: /);

    // an entry written as the owner, through whatever RPC the journal offers, or directly
    const [entry] = await s.engine.db.query<{ id: string }>(
      `insert into public.entries (user_id, body) values ($1, 'a dream about realtime') returning id::text`,
      [owner.id],
    );
    await until("the entry's broadcast", () => received.some((m) => JSON.stringify(m.payload).includes(entry.id)));
    await sleep(200);
    assert.equal(received.filter((m) => JSON.stringify(m.payload).includes(entry.id)).length, 1);
    await owner.supabase.removeAllChannels();
    await other.supabase.removeAllChannels();
  });
}
