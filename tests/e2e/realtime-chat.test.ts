/**
 * Parley's realtime behaviour through the gateway's /realtime/v1, with the real supabase-js, on every
 * engine: the private chat topic `chat:<id>` (its readers only, broadcasts from the database in commit
 * order), membership changes taking effect on a token refresh, presence, client broadcasts, and
 * Postgres changes of messages under RLS.
 */
import assert from "node:assert/strict";
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import { client, rpcOk, signedInUser, stackFixture, stackTest, stopStackAfterTests, testEngines } from "./_stack.ts";
import { changesReady, refused, sleep, subscribed, until } from "./_realtime.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

interface Received {
  event: string;
  table: string;
  id: string;
  metaId: string;
}

/** Joins `chat:<id>` privately and records every broadcast it gets. */
async function chatTopic(supabase: SupabaseClient, chatId: string) {
  const received: Received[] = [];
  const channel = supabase.channel(`chat:${chatId}`, { config: { private: true } })
    .on("broadcast", { event: "*" }, (m: Loose) => {
      received.push({ event: m.event, table: m.payload.table, id: m.payload.record?.id, metaId: m.meta?.id });
    });
  await subscribed(channel);
  return { channel, received };
}

const ofInterest = (r: Received[]) =>
  r.filter((x) => x.table === "messages" || x.table === "artifact_versions").map((x) => `${x.table}:${x.id}`);

for (const kind of testEngines()) {
  const stack = stackFixture(kind);
  stopStackAfterTests(stack);
  const test = (name: string, fn: Parameters<typeof stackTest>[2]) => stackTest(stack, `realtime: ${name}`, fn);

  test("owner and editor receive a new message, an edit and an artifact version once each, in commit order; a stranger is refused", async (s) => {
    const owner = await signedInUser(s, "rt-owner");
    const editor = await signedInUser(s, "rt-editor");
    const stranger = await signedInUser(s, "rt-stranger");
    const chat = await rpcOk(owner.supabase, "create_chat", { title: "Realtime" });
    await rpcOk(owner.supabase, "add_chat_member", { chat_id: chat.id, user_id: editor.id, role: "editor" });

    const ownerTopic = await chatTopic(owner.supabase, chat.id);
    const editorTopic = await chatTopic(editor.supabase, chat.id);
    const reason = await refused(
      stranger.supabase,
      stranger.supabase.channel(`chat:${chat.id}`, { config: { private: true } }),
    );
    assert.equal(reason, `Unauthorized: You do not have permissions to read from this Channel topic: chat:${chat.id}`);
    // the same name as a public channel is another topic: the chat's private broadcasts never reach it
    const publicSide: Loose[] = [];
    const lurker = stranger.supabase.channel(`chat:${chat.id}`).on(
      "broadcast",
      { event: "*" },
      (m) => publicSide.push(m),
    );
    await subscribed(lurker);

    const first = await rpcOk(owner.supabase, "append_message", { chat_id: chat.id, role: "user", content: "Hello" });
    const edit = await rpcOk(editor.supabase, "edit_message", { message_id: first.id, content: "Hello, world" });
    const made = await rpcOk(owner.supabase, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: null,
      type: "prd",
      title: "Plan",
      content: "v1",
      content_json: null,
      message_id: edit.id,
    });
    const expected = [`messages:${first.id}`, `messages:${edit.id}`, `artifact_versions:${made.version.id}`];
    for (const topic of [ownerTopic, editorTopic]) {
      await until("three broadcasts", () => ofInterest(topic.received).length >= 3);
    }
    await sleep(300); // anything sent twice would be here by now
    for (const topic of [ownerTopic, editorTopic]) {
      assert.deepEqual(ofInterest(topic.received), expected);
      const ids = topic.received.map((r) => r.metaId);
      assert.equal(new Set(ids).size, ids.length, "each broadcast once (meta.id)");
      assert.ok(ids.every((id) => typeof id === "string"), "database broadcasts carry meta.id");
    }
    assert.deepEqual(ownerTopic.received, editorTopic.received, "both members get the same stream");
    const insert = ownerTopic.received.find((r) => r.id === first.id)!;
    assert.equal(insert.event, "INSERT");
    assert.deepEqual(publicSide, []);
    for (const u of [owner, editor, stranger]) await u.supabase.removeAllChannels();
  });

  test("a removed member keeps receiving until they refresh their token, then the channel closes", async (s) => {
    const owner = await signedInUser(s, "rt-owner2");
    const member = await signedInUser(s, "rt-member");
    const chat = await rpcOk(owner.supabase, "create_chat", { title: "Membership" });
    await rpcOk(owner.supabase, "add_chat_member", { chat_id: chat.id, user_id: member.id, role: "editor" });
    const ownerTopic = await chatTopic(owner.supabase, chat.id);
    const memberTopic = await chatTopic(member.supabase, chat.id);
    const system: Loose[] = [];
    memberTopic.channel.on("system", {}, (p) => system.push(p));

    const m1 = await rpcOk(owner.supabase, "append_message", { chat_id: chat.id, role: "user", content: "one" });
    await until("m1 at the member", () => ofInterest(memberTopic.received).includes(`messages:${m1.id}`));
    await rpcOk(owner.supabase, "remove_chat_member", { chat_id: chat.id, user_id: member.id });
    // the join's authorisation holds until the token changes, as on Supabase
    const m2 = await rpcOk(owner.supabase, "append_message", { chat_id: chat.id, role: "user", content: "two" });
    await until("m2 at the member", () => ofInterest(memberTopic.received).includes(`messages:${m2.id}`));

    // a refreshed token is a new JWT (iat moves on by the second)
    const iat = JSON.parse(atob(member.session.access_token.split(".")[1])).iat;
    while (Math.floor(Date.now() / 1000) <= iat) await sleep(50);
    const { error } = await member.supabase.auth.refreshSession();
    assert.equal(error, null);
    await until("the channel closed", () => memberTopic.channel.state === "closed");
    assert.deepEqual(system.map((p) => [p.extension, p.status, p.message]), [[
      "system",
      "error",
      `You no longer have permission to read from this Channel topic: chat:${chat.id}`,
    ]]);
    const m3 = await rpcOk(owner.supabase, "append_message", { chat_id: chat.id, role: "user", content: "three" });
    await until("m3 at the owner", () => ofInterest(ownerTopic.received).includes(`messages:${m3.id}`));
    await sleep(200);
    assert.ok(!ofInterest(memberTopic.received).includes(`messages:${m3.id}`), "nothing after the refresh");
    // joining again is refused
    const again = await refused(
      member.supabase,
      member.supabase.channel(`chat:${chat.id}`, { config: { private: true } }),
    );
    assert.match(again, /^Unauthorized: /);
    await owner.supabase.removeAllChannels();
    await member.supabase.removeAllChannels();
  });

  test("presence: two tabs of one user are one key with two metas; closing a tab leaves one", async (s) => {
    const user = await signedInUser(s, "rt-tabs");
    const watcher = await signedInUser(s, "rt-watcher");
    const tab2 = client(s);
    await tab2.auth.signInWithPassword({ email: user.email, password: user.password });
    const room = `presence:${crypto.randomUUID()}`;
    const open = async (sb: SupabaseClient, key: string) => {
      const channel = sb.channel(room, { config: { presence: { key } } });
      const diffs: Loose[] = [];
      channel.on("presence", { event: "sync" }, () => {}).on(
        "presence",
        { event: "join" },
        (p) => diffs.push(["join", p]),
      )
        .on("presence", { event: "leave" }, (p) => diffs.push(["leave", p]));
      await subscribed(channel);
      return { channel, diffs };
    };
    const observer = await open(watcher.supabase, watcher.id);
    const one = await open(user.supabase, user.id);
    const two = await open(tab2, user.id);
    assert.equal(await one.channel.track({ tab: 1 }), "ok");
    assert.equal(await two.channel.track({ tab: 2 }), "ok");
    const tabsOf = (channel: RealtimeChannel) =>
      ((channel.presenceState() as Loose)[user.id] ?? []).map((m: Loose) => m.tab).sort();
    await until("both tabs seen", () => tabsOf(observer.channel).length === 2 && tabsOf(one.channel).length === 2);
    assert.deepEqual(tabsOf(observer.channel), [1, 2]);
    assert.deepEqual(tabsOf(two.channel), [1, 2], "a tab sees itself too");
    // a late joiner gets the state at once
    const lateClient = client(s);
    const late = await open(lateClient, "late");
    await until("the state after joining", () => tabsOf(late.channel).length === 2);

    await tab2.removeAllChannels(); // the tab closes
    await until("one tab left", () => tabsOf(observer.channel).length === 1);
    assert.deepEqual(tabsOf(observer.channel), [1]);
    assert.ok(observer.diffs.some(([kind, p]) => kind === "leave" && p.key === user.id));
    assert.equal(await one.channel.untrack(), "ok");
    await until(
      "tab 1's leave",
      () => observer.diffs.some(([kind, p]) => kind === "leave" && p.leftPresences.some((m: Loose) => m.tab === 1)),
    );
    // (realtime-js 2.109 drops phx_ref from metas already in its state when another meta joins the
    // same key, so the observer cannot take tab 1 out of its copy: a newcomer shows the server's state)
    const newcomerClient = client(s);
    const newcomer = await open(newcomerClient, "newcomer");
    await sleep(200);
    assert.deepEqual(tabsOf(newcomer.channel), []);
    for (const sb of [user.supabase, watcher.supabase, lateClient, newcomerClient]) await sb.removeAllChannels();
  });

  test("a client broadcast with ack reaches the other members, not the sender; the chat topic takes none", async (s) => {
    const alice = await signedInUser(s, "rt-sender");
    const bob = await signedInUser(s, "rt-receiver");
    const room = `room:${crypto.randomUUID()}`;
    const sender = alice.supabase.channel(room, { config: { broadcast: { ack: true } } });
    const own: Loose[] = [];
    sender.on("broadcast", { event: "typing" }, (m) => own.push(m));
    const got: Loose[] = [];
    const receiver = bob.supabase.channel(room).on("broadcast", { event: "typing" }, (m) => got.push(m));
    await subscribed(sender);
    await subscribed(receiver);
    assert.equal(await sender.send({ type: "broadcast", event: "typing", payload: { who: "alice", n: 1 } }), "ok");
    await until("the broadcast", () => got.length === 1);
    assert.deepEqual(got, [{ type: "broadcast", event: "typing", payload: { who: "alice", n: 1 } }]);
    await sleep(100);
    assert.deepEqual(own, [], "self is off by default");

    // chat:<id> has no INSERT policy on realtime.messages: clients cannot broadcast on it
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "No client broadcasts" });
    await rpcOk(alice.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "editor" });
    const aliceChat = alice.supabase.channel(`chat:${chat.id}`, {
      config: { private: true, broadcast: { ack: true } },
    });
    await subscribed(aliceChat);
    const bobChat = await chatTopic(bob.supabase, chat.id);
    const answer = await aliceChat.send({ type: "broadcast", event: "spoof", payload: { x: 1 } }, { timeout: 1000 });
    assert.equal(answer, "timed out", "no write access: no ack, as on Supabase");
    await sleep(200);
    assert.deepEqual(bobChat.received, []);
    await alice.supabase.removeAllChannels();
    await bob.supabase.removeAllChannels();
  });

  test("Postgres changes on messages filtered by chat_id go to readers only; a delete carries the key only", async (s) => {
    const owner = await signedInUser(s, "rt-pc-owner");
    const editor = await signedInUser(s, "rt-pc-editor");
    const stranger = await signedInUser(s, "rt-pc-stranger");
    const chat = await rpcOk(owner.supabase, "create_chat", { title: "Changes" });
    const other = await rpcOk(owner.supabase, "create_chat", { title: "Elsewhere" });
    await rpcOk(owner.supabase, "add_chat_member", { chat_id: chat.id, user_id: editor.id, role: "editor" });
    const listen = async (sb: SupabaseClient) => {
      const events: Loose[] = [];
      const channel = sb.channel(`changes:${crypto.randomUUID()}`)
        .on(
          "postgres_changes",
          { event: "*", schema: "public", table: "messages", filter: `chat_id=eq.${chat.id}` },
          (p) => events.push(p),
        );
      const ready = changesReady(channel);
      await subscribed(channel);
      await ready;
      return { channel, events };
    };
    const ownerSide = await listen(owner.supabase);
    const editorSide = await listen(editor.supabase);
    const strangerSide = await listen(stranger.supabase);

    const m1 = await rpcOk(owner.supabase, "append_message", { chat_id: chat.id, role: "user", content: "watched" });
    await rpcOk(owner.supabase, "append_message", { chat_id: other.id, role: "user", content: "not this chat" });
    const m2 = await rpcOk(editor.supabase, "append_message", {
      chat_id: chat.id,
      role: "assistant",
      content: "reply",
    });
    for (const side of [ownerSide, editorSide]) await until("two inserts", () => side.events.length >= 2);
    await sleep(300);
    for (const side of [ownerSide, editorSide]) {
      assert.deepEqual(side.events.map((e) => [e.eventType, e.new.id, e.new.content]), [
        ["INSERT", m1.id, "watched"],
        ["INSERT", m2.id, "reply"],
      ]);
      assert.equal(side.events[0].schema, "public");
      assert.equal(side.events[0].table, "messages");
      assert.equal(side.events[0].new.chat_id, chat.id);
      assert.match(side.events[0].commit_timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    assert.deepEqual(strangerSide.events, [], "RLS: the stranger can select none of them");

    // deletes: no filter (a delete's old row is its key only, so a chat_id filter cannot match it)
    const deletes: Loose[] = [];
    const del = owner.supabase.channel(`deletes:${crypto.randomUUID()}`)
      .on("postgres_changes", { event: "DELETE", schema: "public", table: "messages" }, (p) => deletes.push(p));
    const ready = changesReady(del);
    await subscribed(del);
    await ready;
    await rpcOk(owner.supabase, "delete_chat", { chat_id: chat.id });
    await until("two deletes", () => deletes.filter((d) => [m1.id, m2.id].includes(d.old.id)).length === 2);
    for (const d of deletes) {
      assert.equal(d.eventType, "DELETE");
      assert.deepEqual(Object.keys(d.old), ["id"], "the primary key only");
      assert.deepEqual(d.new, {});
    }
    for (const u of [owner, editor, stranger]) await u.supabase.removeAllChannels();
  });
}
