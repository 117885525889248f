/**
 * Journal changes on the private topic `user:<user_id>`: an entry or a dream a user writes through
 * the journal's RPCs reaches their own subscription to `user:<id>`, once each, and nobody else's;
 * another user cannot even join the topic.
 */
import assert from "node:assert/strict";
import { rpcOk, signedInUser, stackFixture, stackTest, stopStackAfterTests, testEngines } from "./_stack.ts";
import { refused, sleep, subscribed, until } from "./_realtime.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

for (const kind of testEngines()) {
  const stack = stackFixture(kind);
  stopStackAfterTests(stack);

  stackTest(stack, "realtime: entry and dream changes reach user:<id> of their owner only", async (s) => {
    const owner = await signedInUser(s, "journal-owner");
    const other = await signedInUser(s, "journal-other");
    const received: Loose[] = [];
    const intruder: Loose[] = [];
    const mine = owner.supabase.channel(`user:${owner.id}`, { config: { private: true } })
      .on("broadcast", { event: "*" }, (m) => received.push(m));
    await subscribed(mine);
    const theirs = other.supabase.channel(`user:${other.id}`, { config: { private: true } })
      .on("broadcast", { event: "*" }, (m) => intruder.push(m));
    await subscribed(theirs);
    const reason = await refused(
      other.supabase,
      other.supabase.channel(`user:${owner.id}`, { config: { private: true } }),
    );
    assert.match(reason, /^Unauthorized: /, "another user may not join user:<owner>");

    const entry = await rpcOk<Loose>(owner.supabase, "upsert_entry", {
      facets: ["note"],
      title: "Realtime",
      body_markdown: "a note about realtime",
      client_id: "rt-1",
    });
    const mentions = (id: string) => received.filter((m) => JSON.stringify(m.payload).includes(id));
    await until("the entry's broadcast", () => mentions(entry.id).length > 0);
    const [first] = mentions(entry.id);
    assert.equal(first.event, "INSERT");
    assert.equal(first.payload.table, "entries");
    assert.equal(first.payload.record.title, "Realtime");
    assert.equal(first.payload.record.body_markdown, undefined, "the body stays out of the broadcast");

    const dream = await rpcOk<Loose>(owner.supabase, "create_dream", {
      title: "Flying over the sea",
      content: "I was flying over a dark sea",
      client_id: "rt-dream-1",
    });
    const dreamId = dream.id ?? dream.entry?.id ?? dream.entry_id;
    assert.ok(dreamId, `create_dream returns the dream's entry id: ${JSON.stringify(dream)}`);
    await until("the dream's broadcasts", () => mentions(dreamId).some((m) => m.payload.table === "dream_details"));

    await sleep(300);
    assert.equal(mentions(entry.id).length, 1, "the entry's insert arrived once");
    assert.deepEqual(intruder, [], "nothing of the owner's reached the other user");
    await owner.supabase.removeAllChannels();
    await other.supabase.removeAllChannels();
  });
}
