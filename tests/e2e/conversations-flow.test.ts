/**
 * The conversations core end to end (issue 4), on every engine: real users who sign up and sign in
 * through /auth/v1 and call the RPCs with the real supabase-js through the gateway. Agents, chats and
 * messages (idempotent retries, titles, counters), settings and paging of chats, branches (edit,
 * siblings, switching, paging each branch, regeneration), share links (anon and another user, fork
 * through the link, revocation), members (viewer, editor, removal), search across readable chats,
 * EX-AI continuation chats, usage and cost, the service-role purge, deletion, and the denials and bad
 * input every RPC answers with PostgREST's status codes.
 */
import assert from "node:assert/strict";
import type { SupabaseClient } from "@supabase/supabase-js";
import {
  client,
  rpcFails,
  rpcOk,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
  type TestStack,
} from "./_stack.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A user signed up through supabase-js, then signed in with their password on a second client. */
async function user(s: TestStack, name: string) {
  const signedUp = await signedInUser(s, name);
  const supabase = client(s);
  const { data, error } = await supabase.auth.signInWithPassword({
    email: signedUp.email,
    password: signedUp.password,
  });
  assert.equal(error, null);
  assert.equal(data.user?.id, signedUp.id);
  return { ...signedUp, supabase };
}

/** Appends messages in order (each under the previous one) and returns them. */
async function say(sb: SupabaseClient, chatId: string, lines: [role: string, content: string][]): Promise<Loose[]> {
  const out: Loose[] = [];
  for (const [role, content] of lines) out.push(await rpcOk(sb, "append_message", { chat_id: chatId, role, content }));
  return out;
}

/** The caller's view of one chat, through list_chats (archived ones included). */
async function chatRow(sb: SupabaseClient, chatId: string): Promise<Loose | undefined> {
  const rows = await rpcOk<Loose[]>(sb, "list_chats", { limit: 200, include_archived: true });
  return rows.find((c) => c.id === chatId);
}

const seqs = (rows: Loose[]) => rows.map((m) => m.sequence_number);
const ids = (rows: Loose[]) => rows.map((m) => m.id);

for (const kind of testEngines()) {
  const fixture = stackFixture(kind);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) =>
    stackTest(fixture, `conversations flow: ${name}`, fn);

  test("agents, a chat, messages with agent data, idempotent retries, the title and the counters", async (s) => {
    const alice = await user(s, "alice");
    const bob = await user(s, "bob");

    const agents = await rpcOk<Loose[]>(alice.supabase, "list_agents");
    assert.deepEqual(agents.map((a) => [a.name, a.kind, a.owner_id]), [
      ["bom_generator", "assistant", null],
      ["code_generator", "assistant", null],
      ["conversational", "assistant", null],
      ["orchestrator", "assistant", null],
      ["wiring_generator", "assistant", null],
      ["freudian_interpreter", "interpreter", null],
      ["jungian_interpreter", "interpreter", null],
    ]);
    const bomAgent = agents.find((a) => a.name === "bom_generator")!;
    assert.equal(bomAgent.display_name, "BOM generator");
    assert.equal(bomAgent.default_model, "openai/gpt-4o");
    assert.equal(bomAgent.prompt_name, "bom_generator");

    // a private agent is listed after the built-in ones, for its owner only
    const mine = await rpcOk(alice.supabase, "create_agent", {
      name: "plant_doctor",
      display_name: "Plant doctor",
      kind: "interpreter",
      default_model: "anthropic/claude-haiku-4-5",
    });
    assert.equal(mine.owner_id, alice.id);
    assert.deepEqual((await rpcOk<Loose[]>(alice.supabase, "list_agents")).map((a) => a.name).slice(-1), [
      "plant_doctor",
    ]);
    assert.ok(!(await rpcOk<Loose[]>(bob.supabase, "list_agents")).some((a) => a.name === "plant_doctor"));

    const chat = await rpcOk(alice.supabase, "create_chat", {
      agent_id: bomAgent.id,
      phase: "ideation",
      metadata: { source: "e2e" },
    });
    assert.equal(chat.owner_id, alice.id);
    assert.equal(chat.title, null);
    assert.equal(chat.agent_id, bomAgent.id);
    assert.equal(chat.phase, "ideation");
    assert.deepEqual(chat.metadata, { source: "e2e" });
    assert.equal(chat.message_count, 0);
    assert.equal(chat.current_leaf_id, null);

    const question = "Which humidity sensor should I use in a greenhouse?";
    const userArgs = { chat_id: chat.id, role: "user", content: question, client_message_id: "turn-1-user" };
    const m1 = await rpcOk(alice.supabase, "append_message", userArgs);
    assert.equal(m1.sequence_number, 1);
    assert.equal(m1.parent_id, null);
    assert.equal(m1.depth, 1);
    assert.equal(m1.role, "user");
    assert.equal(m1.author_id, alice.id);
    assert.equal(m1.status, "complete");

    const answerArgs = {
      chat_id: chat.id,
      role: "assistant",
      content: "A DHT22 reads 0-100% relative humidity; a BME280 adds pressure.",
      agent_name: "bom_generator",
      agent_model: "openai/gpt-4o",
      intent: "bom",
      input_tokens: 1200,
      output_tokens: 350,
      latency_ms: 2400,
      client_message_id: "turn-1-assistant",
    };
    const m2 = await rpcOk(alice.supabase, "append_message", answerArgs);
    assert.equal(m2.sequence_number, 2);
    assert.equal(m2.parent_id, m1.id, "parent_id defaults to the current leaf");
    assert.equal(m2.depth, 2);
    assert.deepEqual(
      [m2.agent_name, m2.agent_model, m2.intent, m2.input_tokens, m2.output_tokens, m2.latency_ms],
      ["bom_generator", "openai/gpt-4o", "bom", 1200, 350, 2400],
    );

    // a client retrying either request gets the same message back and writes nothing
    const retried1 = await rpcOk(alice.supabase, "append_message", userArgs);
    const retried2 = await rpcOk(alice.supabase, "append_message", answerArgs);
    assert.deepEqual([retried1.id, retried1.sequence_number], [m1.id, 1]);
    assert.deepEqual([retried2.id, retried2.sequence_number], [m2.id, 2]);

    const after = (await chatRow(alice.supabase, chat.id))!;
    assert.equal(after.title, question, "the first user message titles the chat");
    assert.equal(after.message_count, 2, "the retries wrote nothing");
    assert.equal(after.last_sequence_number, 2);
    assert.equal(after.input_tokens, 1200);
    assert.equal(after.output_tokens, 350);
    assert.equal(after.current_leaf_id, m2.id);
    assert.ok(after.last_message_at, "last_message_at is set");

    // a later user message does not rename the chat
    await say(alice.supabase, chat.id, [["user", "And for soil moisture?"]]);
    assert.equal((await chatRow(alice.supabase, chat.id))!.title, question);

    const messages = await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id });
    assert.deepEqual(seqs(messages), [1, 2, 3]);
    assert.deepEqual(messages.map((m) => m.content), [question, answerArgs.content, "And for soil moisture?"]);
    assert.deepEqual(messages.map((m) => m.artifact_versions), [[], [], []]);
  });

  test("update_chat (title, metadata, pin, archive) and list_chats paging with before and include_archived", async (s) => {
    const carol = await user(s, "carol");
    const made: Loose[] = [];
    for (const title of ["One", "Two", "Three", "Four"]) {
      made.push(await rpcOk(carol.supabase, "create_chat", { title }));
    }
    const [one, two, three, four] = made;
    const titles = (rows: Loose[]) => rows.map((c) => c.title);
    const cursor = (row: Loose) => `${row.last_activity_at},${row.id}`;

    const page1 = await rpcOk<Loose[]>(carol.supabase, "list_chats", { limit: 2 });
    assert.deepEqual(titles(page1), ["Four", "Three"], "newest activity first");
    const page2 = await rpcOk<Loose[]>(carol.supabase, "list_chats", { limit: 2, before: cursor(page1[1]) });
    assert.deepEqual(titles(page2), ["Two", "One"]);
    const page3 = await rpcOk<Loose[]>(carol.supabase, "list_chats", { limit: 2, before: cursor(page2[1]) });
    assert.deepEqual(page3, []);

    const pinned = await rpcOk(carol.supabase, "update_chat", { chat_id: two.id, pinned: true });
    assert.equal(pinned.pinned, true);
    assert.equal(pinned.title, "Two", "omitted arguments leave fields unchanged");
    const archived = await rpcOk(carol.supabase, "update_chat", { chat_id: three.id, archived: true });
    assert.equal(archived.archived, true);
    const renamed = await rpcOk(carol.supabase, "update_chat", {
      chat_id: four.id,
      title: "Four, renamed",
      metadata: { color: "green", size: 2 },
    });
    assert.equal(renamed.title, "Four, renamed");
    const merged = await rpcOk(carol.supabase, "update_chat", {
      chat_id: four.id,
      metadata: { size: null, lang: "en" },
    });
    assert.deepEqual(merged.metadata, { color: "green", lang: "en" }, "metadata merges; null removes a key");

    assert.deepEqual(
      titles(await rpcOk(carol.supabase, "list_chats")),
      ["Four, renamed", "Two", "One"],
      "archived chats are left out",
    );
    const all = await rpcOk<Loose[]>(carol.supabase, "list_chats", { include_archived: true });
    assert.deepEqual(titles(all), ["Four, renamed", "Three", "Two", "One"]);
    assert.deepEqual(all.map((c) => c.pinned), [false, false, true, false]);
    const archivedPage = await rpcOk<Loose[]>(carol.supabase, "list_chats", {
      include_archived: true,
      limit: 1,
      before: cursor(all[0]),
    });
    assert.deepEqual(titles(archivedPage), ["Three"]);

    // a message moves its chat to the top
    await say(carol.supabase, one.id, [["user", "bump"]]);
    assert.deepEqual(titles(await rpcOk(carol.supabase, "list_chats", { limit: 2 })), ["One", "Four, renamed"]);

    await rpcFails(carol.supabase, "list_chats", { before: "yesterday-ish" }, { status: 400, code: "22023" });
    await rpcFails(carol.supabase, "list_chats", { limit: 0 }, { status: 400, code: "22023" });
  });

  test("branches: edit makes a sibling, siblings, switching leaves, paging each branch, regeneration", async (s) => {
    const alice = await user(s, "branches");
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Sensors" });
    const [m1, m2, m3, m4] = await say(alice.supabase, chat.id, [
      ["user", "Which sensor for humidity?"],
      ["assistant", "A DHT22."],
      ["user", "And for pressure?"],
      ["assistant", "A BME280 measures pressure too."],
    ]);

    const m5 = await rpcOk(alice.supabase, "edit_message", { message_id: m3.id, content: "And for air pressure?" });
    assert.equal(m5.sequence_number, 5);
    assert.equal(m5.parent_id, m2.id, "an edit is a sibling: same parent");
    assert.equal(m5.role, "user");
    assert.equal(m5.metadata.edited_from, m3.id);
    const m6 = await rpcOk(alice.supabase, "append_message", {
      chat_id: chat.id,
      role: "assistant",
      content: "A BMP280 or a BME280.",
    });
    assert.equal(m6.parent_id, m5.id, "the edit became the current leaf");

    const siblings = await rpcOk<Loose[]>(alice.supabase, "get_message_siblings", { message_id: m3.id });
    assert.deepEqual(
      siblings.map((x) => [x.id, x.sibling_index, x.sibling_count, x.on_current_branch, x.leaf_id, x.content]),
      [
        [m3.id, 1, 2, false, m4.id, "And for pressure?"],
        [m5.id, 2, 2, true, m6.id, "And for air pressure?"],
      ],
    );

    const newBranch = await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id });
    assert.deepEqual(ids(newBranch), [m1.id, m2.id, m5.id, m6.id]);
    assert.deepEqual(newBranch.map((m) => m.depth), [1, 2, 3, 4]);

    // back to the old branch, which stayed intact
    const switched = await rpcOk(alice.supabase, "set_current_leaf", { chat_id: chat.id, message_id: m4.id });
    assert.equal(switched.current_leaf_id, m4.id);
    const oldBranch = await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id });
    assert.deepEqual(ids(oldBranch), [m1.id, m2.id, m3.id, m4.id]);
    const flipped = await rpcOk<Loose[]>(alice.supabase, "get_message_siblings", { message_id: m5.id });
    assert.deepEqual(flipped.map((x) => x.on_current_branch), [true, false]);

    // paging the old (current) branch: latest page, then before, then after
    const oldLatest = await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id, limit: 2 });
    assert.deepEqual(seqs(oldLatest), [3, 4]);
    const oldEarlier = await rpcOk<Loose[]>(alice.supabase, "get_messages", {
      chat_id: chat.id,
      limit: 2,
      before: oldLatest[0].sequence_number,
    });
    assert.deepEqual(seqs(oldEarlier), [1, 2]);
    const oldAfter = await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id, limit: 2, after: 1 });
    assert.deepEqual(seqs(oldAfter), [2, 3]);

    // paging the other branch by its leaf
    const byLeaf = { chat_id: chat.id, leaf_id: m6.id, limit: 2 };
    const newLatest = await rpcOk<Loose[]>(alice.supabase, "get_messages", byLeaf);
    assert.deepEqual(seqs(newLatest), [5, 6]);
    const newEarlier = await rpcOk<Loose[]>(alice.supabase, "get_messages", { ...byLeaf, before: 5 });
    assert.deepEqual(seqs(newEarlier), [1, 2]);
    const newAfter = await rpcOk<Loose[]>(alice.supabase, "get_messages", { ...byLeaf, after: 2 });
    assert.deepEqual(seqs(newAfter), [5, 6], "after 2 on this branch skips the other branch's 3 and 4");
    const newLast = await rpcOk<Loose[]>(alice.supabase, "get_messages", { ...byLeaf, after: 5 });
    assert.deepEqual(seqs(newLast), [6]);

    // regeneration: another answer to the user message m3
    const m7 = await rpcOk(alice.supabase, "append_message", {
      chat_id: chat.id,
      role: "assistant",
      content: "An LPS22HB is a dedicated barometer.",
      parent_id: m3.id,
      agent_name: "bom_generator",
    });
    assert.equal(m7.sequence_number, 7);
    assert.equal(m7.parent_id, m3.id);
    const answers = await rpcOk<Loose[]>(alice.supabase, "get_message_siblings", { message_id: m4.id });
    assert.deepEqual(answers.map((x) => [x.id, x.on_current_branch]), [[m4.id, false], [m7.id, true]]);
    assert.deepEqual(ids(await rpcOk(alice.supabase, "get_messages", { chat_id: chat.id })), [
      m1.id,
      m2.id,
      m3.id,
      m7.id,
    ]);
    assert.equal((await chatRow(alice.supabase, chat.id))!.message_count, 7);

    await rpcFails(alice.supabase, "set_current_leaf", { chat_id: chat.id, message_id: crypto.randomUUID() }, {
      status: 400,
      code: "22023",
    });
  });

  test("branches: a pseudo-random tree of appends, edits, regenerations and switches pages like a model", async (s) => {
    const alice = await user(s, "tree");
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Tree" });
    const parentOf = new Map<string, string | null>();
    const all: string[] = [];
    let leaf: string | null = null;
    let seed = 20261122;
    const pick = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 30; i++) {
      const r = pick(10);
      let m: Loose;
      if (all.length === 0 || r < 5) {
        m = await rpcOk(alice.supabase, "append_message", { chat_id: chat.id, role: "user", content: `m${i}` });
      } else if (r < 7) {
        const parent = all[pick(all.length)];
        m = await rpcOk(alice.supabase, "append_message", {
          chat_id: chat.id,
          role: "assistant",
          content: `m${i}`,
          parent_id: parent,
        });
        assert.equal(m.parent_id, parent);
      } else if (r < 9) {
        m = await rpcOk(alice.supabase, "edit_message", { message_id: all[pick(all.length)], content: `m${i}` });
      } else {
        leaf = all[pick(all.length)];
        await rpcOk(alice.supabase, "set_current_leaf", { chat_id: chat.id, message_id: leaf });
        continue;
      }
      assert.equal(m.sequence_number, all.length + 1, "gapless");
      parentOf.set(m.id, m.parent_id);
      all.push(m.id);
      leaf = m.id;
    }
    const branchOf = (id: string) => {
      const branch: string[] = [];
      for (let x: string | null = id; x; x = parentOf.get(x)!) branch.unshift(x);
      return branch;
    };
    const children = new Map<string | null, number>();
    for (const id of all) children.set(parentOf.get(id)!, (children.get(parentOf.get(id)!) ?? 0) + 1);
    const branchPoints = [...children.values()].filter((n) => n > 1).length;
    assert.ok(branchPoints >= 4, `the tree branches (${branchPoints} branch points)`);
    assert.deepEqual(
      ids(await rpcOk(alice.supabase, "get_messages", { chat_id: chat.id, limit: 1000 })),
      branchOf(leaf!),
    );

    for (const [i, id] of all.entries()) {
      const branch = branchOf(id);
      const at = { chat_id: chat.id, leaf_id: id };
      const whole = await rpcOk<Loose[]>(alice.supabase, "get_messages", { ...at, limit: 1000 });
      assert.deepEqual(ids(whole), branch, `the branch ending at message ${i + 1}`);
      assert.deepEqual(whole.map((m) => m.depth), branch.map((_, d) => d + 1));
      const siblings = await rpcOk<Loose[]>(alice.supabase, "get_message_siblings", { message_id: id });
      assert.deepEqual(ids(siblings), all.filter((x) => parentOf.get(x) === parentOf.get(id)), `siblings of ${i + 1}`);
      for (const sibling of siblings) {
        assert.ok(branchOf(sibling.leaf_id).includes(sibling.id), "a sibling's leaf_id ends its own line");
      }
      if (i % 3 !== 2) continue;
      // walk the branch backwards from the latest page, and forwards from its start, three at a time
      let backwards = await rpcOk<Loose[]>(alice.supabase, "get_messages", { ...at, limit: 3 });
      for (let page = backwards; page.length > 0;) {
        page = await rpcOk<Loose[]>(alice.supabase, "get_messages", {
          ...at,
          limit: 3,
          before: page[0].sequence_number,
        });
        backwards = [...page, ...backwards];
      }
      assert.deepEqual(ids(backwards), branch, `backwards to message ${i + 1}`);
      let forwards: Loose[] = [];
      for (let after = 0;;) {
        const page = await rpcOk<Loose[]>(alice.supabase, "get_messages", { ...at, limit: 3, after });
        if (page.length === 0) break;
        forwards = [...forwards, ...page];
        after = page[page.length - 1].sequence_number;
      }
      assert.deepEqual(ids(forwards), branch, `forwards to message ${i + 1}`);
    }
  });

  test("share links: anon and another user read the snapshot, fork through the token, revoke is a 404", async (s) => {
    const alice = await user(s, "sharer");
    const bob = await user(s, "reader");
    const anon = client(s);
    const agents = await rpcOk<Loose[]>(alice.supabase, "list_agents");
    const chat = await rpcOk(alice.supabase, "create_chat", {
      agent_id: agents.find((a) => a.name === "conversational")!.id,
      phase: "parts",
    });
    const [m1, m2] = await say(alice.supabase, chat.id, [
      ["user", "Plan a weather station"],
      ["assistant", "Start with an ESP32 and a BME280."],
    ]);

    const share = await rpcOk(alice.supabase, "share_chat", { chat_id: chat.id });
    assert.equal(share.chat_id, chat.id);
    assert.equal(share.up_to_message_id, m2.id, "the snapshot is the current leaf");
    assert.match(share.token, /^[A-Za-z0-9_-]{32}$/, "192 random bits, URL-safe");
    // written after sharing: not part of the link
    await say(alice.supabase, chat.id, [["user", "Private follow-up"]]);

    for (const reader of [anon, bob.supabase]) {
      const shared = await rpcOk(reader, "get_shared_chat", { token: share.token });
      assert.equal(shared.chat.id, chat.id);
      assert.equal(shared.chat.title, "Plan a weather station");
      assert.equal(shared.chat.phase, "parts");
      assert.equal(shared.chat.agent.name, "conversational");
      assert.equal(shared.chat.message_count, 2);
      assert.equal(shared.share.up_to_message_id, m2.id);
      assert.deepEqual(shared.messages.map((m: Loose) => [m.id, m.role, m.content]), [
        [m1.id, "user", "Plan a weather station"],
        [m2.id, "assistant", "Start with an ESP32 and a BME280."],
      ]);
    }
    // the shared branch pages like get_messages
    const first = await rpcOk(anon, "get_shared_chat", { token: share.token, limit: 1 });
    assert.deepEqual(ids(first.messages), [m1.id]);
    const next = await rpcOk(anon, "get_shared_chat", { token: share.token, limit: 1, after: 1 });
    assert.deepEqual(ids(next.messages), [m2.id]);
    const back = await rpcOk(anon, "get_shared_chat", { token: share.token, before: 2 });
    assert.deepEqual(ids(back.messages), [m1.id]);
    await rpcFails(anon, "get_shared_chat", { token: share.token, limit: 0 }, { status: 400, code: "22023" });
    // the link does not make bob a reader of the chat itself
    await rpcFails(bob.supabase, "get_messages", { chat_id: chat.id }, { status: 404, code: "PT404" });

    const followUp = (await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id }))[2];
    await rpcFails(bob.supabase, "fork_chat", { token: share.token, up_to_message_id: followUp.id }, {
      status: 400,
      code: "22023",
      message: /not part of the shared conversation/,
    });
    const fork = await rpcOk(bob.supabase, "fork_chat", { token: share.token });
    assert.equal(fork.owner_id, bob.id);
    assert.notEqual(fork.id, chat.id);
    assert.equal(fork.forked_from_chat_id, chat.id);
    assert.equal(fork.forked_from_message_id, m2.id);
    assert.equal(fork.title, "Plan a weather station");
    const copied = await rpcOk<Loose[]>(bob.supabase, "get_messages", { chat_id: fork.id });
    assert.deepEqual(copied.map((m) => [m.sequence_number, m.role, m.content, m.chat_id]), [
      [1, "user", "Plan a weather station", fork.id],
      [2, "assistant", "Start with an ESP32 and a BME280.", fork.id],
    ]);
    assert.ok(copied.every((m) => !ids([m1, m2]).includes(m.id)), "the fork holds copies");
    // the fork is bob's own: he writes in it; alice's chat is untouched
    await say(bob.supabase, fork.id, [["user", "Add a rain gauge"]]);
    assert.equal((await chatRow(alice.supabase, chat.id))!.message_count, 3);
    await rpcFails(alice.supabase, "get_messages", { chat_id: fork.id }, { status: 404, code: "PT404" });

    const shares = await rpcOk<Loose[]>(alice.supabase, "list_shares", { chat_id: chat.id });
    assert.deepEqual(shares.map((x) => [x.share_id, x.active]), [[share.share_id, true]]);
    assert.ok(!("token" in shares[0]), "tokens are never listed");
    await rpcFails(bob.supabase, "revoke_share", { share_id: share.share_id }, { status: 404, code: "PT404" });

    assert.equal(await rpcOk(alice.supabase, "revoke_share", { share_id: share.share_id }), true);
    for (const reader of [anon, bob.supabase]) {
      const gone = await rpcFails(reader, "get_shared_chat", { token: share.token }, { status: 404, code: "PT404" });
      assert.equal(gone.message, "shared chat not found");
    }
    const unknown = await rpcFails(anon, "get_shared_chat", { token: "x".repeat(32) }, { status: 404, code: "PT404" });
    assert.equal(unknown.message, "shared chat not found", "unknown and revoked tokens look the same");
    await rpcFails(bob.supabase, "fork_chat", { token: share.token }, { status: 404, code: "PT404" });
    assert.deepEqual((await rpcOk<Loose[]>(alice.supabase, "list_shares", { chat_id: chat.id })).map((x) => x.active), [
      false,
    ]);
    assert.equal(await rpcOk(alice.supabase, "revoke_share", { share_id: share.share_id }), true, "idempotent");

    // an expired link is the same 404
    const briefUntil = Date.now() + 2000;
    const brief = await rpcOk(alice.supabase, "share_chat", {
      chat_id: chat.id,
      expires_at: new Date(briefUntil).toISOString(),
    });
    assert.equal((await rpcOk(anon, "get_shared_chat", { token: brief.token })).messages.length, 3);
    await sleep(briefUntil - Date.now() + 300);
    const expired = await rpcFails(anon, "get_shared_chat", { token: brief.token }, { status: 404, code: "PT404" });
    assert.equal(expired.message, "shared chat not found");

    // anon may read a link but not fork or share
    await rpcFails(anon, "fork_chat", { chat_id: chat.id }, { status: 401, code: "42501" });
    await rpcFails(anon, "share_chat", { chat_id: chat.id }, { status: 401, code: "42501" });
    await rpcFails(bob.supabase, "share_chat", { chat_id: chat.id }, { status: 404, code: "PT404" });
  });

  test("members: a viewer reads but cannot append (403), an editor appends, removal ends access", async (s) => {
    const alice = await user(s, "owner");
    const bob = await user(s, "member");
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Team build" });
    await say(alice.supabase, chat.id, [["user", "Let's wire the sensors"], ["assistant", "Start with power."]]);

    await rpcFails(bob.supabase, "get_messages", { chat_id: chat.id }, { status: 404, code: "PT404" });
    const viewer = await rpcOk(alice.supabase, "add_chat_member", {
      chat_id: chat.id,
      user_id: bob.id,
      role: "viewer",
    });
    assert.deepEqual([viewer.chat_id, viewer.user_id, viewer.role], [chat.id, bob.id, "viewer"]);

    const seen = await rpcOk<Loose[]>(bob.supabase, "get_messages", { chat_id: chat.id });
    assert.deepEqual(seqs(seen), [1, 2]);
    assert.ok(
      (await rpcOk<Loose[]>(bob.supabase, "list_chats")).some((c) => c.id === chat.id),
      "listed for the member",
    );
    const denied = await rpcFails(
      bob.supabase,
      "append_message",
      { chat_id: chat.id, role: "user", content: "Can I add something?" },
      { status: 403, code: "42501" },
    );
    assert.match(denied.message, /not write to it/);
    await rpcFails(bob.supabase, "edit_message", { message_id: seen[0].id, content: "edited" }, {
      status: 403,
      code: "42501",
    });
    await rpcFails(bob.supabase, "update_chat", { chat_id: chat.id, pinned: true }, { status: 403, code: "42501" });
    // a reader may fork: a copy of the branch up to the message chosen, in a chat of their own
    const fork = await rpcOk(bob.supabase, "fork_chat", { chat_id: chat.id, up_to_message_id: seen[0].id });
    assert.deepEqual([fork.owner_id, fork.forked_from_chat_id, fork.forked_from_message_id, fork.title], [
      bob.id,
      chat.id,
      seen[0].id,
      "Team build",
    ]);
    assert.deepEqual(
      (await rpcOk<Loose[]>(bob.supabase, "get_messages", { chat_id: fork.id })).map((m) => m.content),
      ["Let's wire the sensors"],
    );
    await rpcFails(bob.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "editor" }, {
      status: 403,
      code: "42501",
    });
    assert.equal((await chatRow(alice.supabase, chat.id))!.message_count, 2, "the refused writes wrote nothing");

    const editor = await rpcOk(alice.supabase, "add_chat_member", {
      chat_id: chat.id,
      user_id: bob.id,
      role: "editor",
    });
    assert.equal(editor.role, "editor");
    const bobs = await rpcOk(bob.supabase, "append_message", {
      chat_id: chat.id,
      role: "user",
      content: "Red wire to 3V3, black to GND.",
    });
    assert.equal(bobs.sequence_number, 3);
    assert.equal(bobs.author_id, bob.id);
    assert.deepEqual(
      (await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id })).map((m) => m.author_id),
      [alice.id, alice.id, bob.id],
    );

    assert.equal(await rpcOk(alice.supabase, "remove_chat_member", { chat_id: chat.id, user_id: bob.id }), true);
    assert.equal(await rpcOk(alice.supabase, "remove_chat_member", { chat_id: chat.id, user_id: bob.id }), false);
    await rpcFails(bob.supabase, "get_messages", { chat_id: chat.id }, { status: 404, code: "PT404" });
    await rpcFails(bob.supabase, "append_message", { chat_id: chat.id, role: "user", content: "still here?" }, {
      status: 404,
      code: "PT404",
    });
    assert.ok(!(await rpcOk<Loose[]>(bob.supabase, "list_chats")).some((c) => c.id === chat.id));

    await rpcFails(alice.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "owner" }, {
      status: 400,
      code: "22023",
    });
    await rpcFails(alice.supabase, "add_chat_member", {
      chat_id: chat.id,
      user_id: crypto.randomUUID(),
      role: "viewer",
    }, {
      status: 404,
      code: "PT404",
    });
  });

  test("search_messages: web-search syntax over the chats the caller can read, and only those", async (s) => {
    const alice = await user(s, "searcher");
    const bob = await user(s, "other");
    const greenhouse = await rpcOk(alice.supabase, "create_chat", { title: "Greenhouse" });
    const [, capacitive] = await say(alice.supabase, greenhouse.id, [
      ["user", "Which soil moisture sensor survives in wet tomato beds?"],
      ["assistant", "A capacitive soil moisture sensor does not corrode."],
    ]);
    const basil = await rpcOk(alice.supabase, "create_chat", { title: "Basil" });
    const [hourly] = await say(alice.supabase, basil.id, [[
      "user",
      "Log soil moisture readings for the basil every hour",
    ]]);
    const cactus = await rpcOk(alice.supabase, "create_chat", { title: "Cactus" });
    await say(alice.supabase, cactus.id, [["user", "How much moisture does the soil of a cactus need?"]]);
    const bobs = await rpcOk(bob.supabase, "create_chat", { title: "Bob's garden" });
    const [probe] = await say(bob.supabase, bobs.id, [["user", "My soil moisture probe reads zero"]]);

    const query = { query: '"soil moisture" -tomato' };
    const hits = await rpcOk<Loose[]>(alice.supabase, "search_messages", query);
    assert.deepEqual(
      hits.map((h) => h.message_id).sort(),
      [capacitive.id, hourly.id].sort(),
      "the phrase, without tomato, in alice's chats only",
    );
    const hit = hits.find((h) => h.message_id === capacitive.id)!;
    assert.deepEqual([hit.chat_id, hit.chat_title, hit.sequence_number, hit.role], [
      greenhouse.id,
      "Greenhouse",
      2,
      "assistant",
    ]);
    assert.match(hit.snippet, /\*\*soil\*\* \*\*moisture\*\*/);
    assert.ok(hits.every((h) => h.rank > 0));

    const inBasil = await rpcOk<Loose[]>(alice.supabase, "search_messages", { ...query, chat_id: basil.id });
    assert.deepEqual(inBasil.map((h) => h.message_id), [hourly.id]);
    assert.deepEqual(await rpcOk(alice.supabase, "search_messages", { query: "probe" }), []);
    await rpcFails(alice.supabase, "search_messages", { query: "probe", chat_id: bobs.id }, {
      status: 404,
      code: "PT404",
    });

    // once bob makes alice a viewer, his chat is searchable for her
    await rpcOk(bob.supabase, "add_chat_member", { chat_id: bobs.id, user_id: alice.id, role: "viewer" });
    const shared = await rpcOk<Loose[]>(alice.supabase, "search_messages", query);
    assert.deepEqual(shared.map((h) => h.message_id).sort(), [capacitive.id, hourly.id, probe.id].sort());
    const stemmed = await rpcOk<Loose[]>(alice.supabase, "search_messages", { query: "reading" });
    assert.deepEqual(stemmed.map((h) => h.message_id).sort(), [hourly.id, probe.id].sort(), "English stemming");

    await rpcFails(alice.supabase, "search_messages", { query: "  " }, { status: 400, code: "22023" });
    await rpcFails(client(s), "search_messages", { query: "soil" }, { status: 401, code: "42501" });
  });

  test("record_conversation: replay writes nothing new, the TTL slides, get_chat_by_continuation", async (s) => {
    const alice = await user(s, "exai");
    const bob = await user(s, "exai-other");
    const continuation = `cont-${crypto.randomUUID()}`;
    const turn1 = [
      { client_message_id: "t1-user", role: "user", content: "Review this function for race conditions" },
      {
        client_message_id: "t1-assistant",
        role: "assistant",
        content: "The counter is read and written without a lock.",
        agent_model: "anthropic/claude-sonnet-4-5",
        input_tokens: 900,
        output_tokens: 120,
      },
    ];
    const args = { continuation_id: continuation, messages: turn1, title: "Code review", agent_name: "conversational" };

    const before = Date.now();
    const first = await rpcOk(alice.supabase, "record_conversation", args);
    assert.deepEqual(
      [first.created, first.inserted, first.skipped, first.message_count],
      [true, 2, 0, 2],
    );
    const ttl = new Date(first.expires_at).getTime() - before;
    assert.ok(ttl > 3 * 3600_000 - 60_000 && ttl <= 3 * 3600_000 + 60_000, `default TTL of 3 hours, got ${ttl} ms`);

    await sleep(20);
    const replay = await rpcOk(alice.supabase, "record_conversation", args);
    assert.deepEqual(
      [replay.chat_id, replay.created, replay.inserted, replay.skipped, replay.message_count],
      [first.chat_id, false, 0, 2, 2],
      "replaying the batch writes nothing",
    );
    assert.ok(new Date(replay.expires_at) > new Date(first.expires_at), "each call slides expires_at forward");

    const turn2 = [...turn1, { client_message_id: "t2-user", role: "user", content: "Fixed: is it safe now?" }];
    const second = await rpcOk(alice.supabase, "record_conversation", { ...args, messages: turn2 });
    assert.deepEqual([second.chat_id, second.inserted, second.skipped, second.message_count], [
      first.chat_id,
      1,
      2,
      3,
    ]);

    const chat = await rpcOk(alice.supabase, "get_chat_by_continuation", { continuation_id: continuation });
    assert.equal(chat.id, first.chat_id);
    assert.equal(chat.continuation_id, continuation);
    assert.equal(chat.title, "Code review");
    assert.equal(chat.message_count, 3);
    assert.equal(chat.expires_at, second.expires_at);
    const messages = await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id });
    assert.deepEqual(
      messages.map((m) => [m.sequence_number, m.role, m.client_message_id, m.agent_name]),
      [[1, "user", "t1-user", null], [2, "assistant", "t1-assistant", "conversational"], [3, "user", "t2-user", null]],
    );

    // a continuation id is per user
    await rpcFails(bob.supabase, "get_chat_by_continuation", { continuation_id: continuation }, {
      status: 404,
      code: "PT404",
    });
    // a bad message anywhere in the batch writes nothing
    await rpcFails(
      alice.supabase,
      "record_conversation",
      {
        ...args,
        messages: [...turn2, { client_message_id: "t3-user", role: "user", content: "ok" }, {
          client_message_id: "t3-bad",
          role: "narrator",
          content: "?",
        }],
      },
      { status: 400, code: "22023", message: /messages\[4\]/ },
    );
    assert.equal(
      (await rpcOk(alice.supabase, "get_chat_by_continuation", { continuation_id: continuation })).message_count,
      3,
    );
    await rpcFails(client(s), "record_conversation", args, { status: 401, code: "42501" });
  });

  test("get_usage grouped by model, agent, chat and day, priced from model_prices; only trusted counts bill", async (s) => {
    const alice = await user(s, "usage");
    const bob = await user(s, "usage-other");
    const service = client(s, s.serviceRoleKey);
    const parts = await rpcOk(alice.supabase, "create_chat", { title: "Parts" });
    const idea = await rpcOk(alice.supabase, "create_chat", { title: "Idea" });
    // the agent function writes the answers with the service role's key: their counts bill
    const answer = (chatId: string, agent: string, model: string, input: number, output: number) =>
      rpcOk(service, "append_message", {
        chat_id: chatId,
        role: "assistant",
        content: `${agent} answers`,
        agent_name: agent,
        agent_model: model,
        input_tokens: input,
        output_tokens: output,
      });
    await say(alice.supabase, parts.id, [["user", "no tokens on this one"]]);
    await answer(parts.id, "bom_generator", "openai/gpt-4o", 1000, 200); // 0.0025 + 0.002
    await answer(parts.id, "bom_generator", "openai/gpt-4o", 3000, 1000); // 0.0075 + 0.01
    await answer(idea.id, "conversational", "anthropic/claude-sonnet-4-5", 2000, 500); // 0.006 + 0.0075
    await answer(idea.id, "local_helper", "local/llama-3-8b", 10, 10); // no price known
    // an editor reporting counts from his own session bills nothing
    await rpcOk(alice.supabase, "add_chat_member", { chat_id: idea.id, user_id: bob.id, role: "editor" });
    await rpcOk(bob.supabase, "append_message", {
      chat_id: idea.id,
      role: "assistant",
      content: "trust me",
      agent_model: "openai/gpt-4o",
      input_tokens: 2_000_000_000,
      output_tokens: 2_000_000_000,
    });
    // bob's usage is his own
    const bobs = await rpcOk(bob.supabase, "create_chat", {});
    await rpcOk(service, "append_message", {
      chat_id: bobs.id,
      role: "assistant",
      content: "x",
      agent_model: "openai/gpt-4o",
      input_tokens: 99999,
      output_tokens: 99999,
    });

    const row = (r: Loose) => [r.group_key, r.label, r.messages, r.input_tokens, r.output_tokens, r.cost_usd];
    const byModel = await rpcOk<Loose[]>(alice.supabase, "get_usage", { group_by: "model" });
    assert.deepEqual(byModel.map(row), [
      ["anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5", 1, 2000, 500, 0.0135],
      ["local/llama-3-8b", "local/llama-3-8b", 1, 10, 10, 0],
      ["openai/gpt-4o", "openai/gpt-4o", 2, 4000, 1200, 0.022],
    ]);
    assert.deepEqual(byModel.map((r) => r.unpriced_messages), [0, 1, 0]);
    assert.deepEqual(byModel.map((r) => r.source), ["billed", "billed", "billed"]);

    const withReported = await rpcOk<Loose[]>(alice.supabase, "get_usage", {
      group_by: "model",
      include_client_reported: true,
    });
    assert.deepEqual(
      withReported.filter((r) => r.source === "client_reported").map((r) => [...row(r), r.unpriced_messages]),
      [["openai/gpt-4o", "openai/gpt-4o", 1, 2_000_000_000, 2_000_000_000, null, null]],
      "the editor's own report is listed apart, labelled and not costed",
    );

    const byAgent = await rpcOk<Loose[]>(alice.supabase, "get_usage", { group_by: "agent" });
    assert.deepEqual(byAgent.map(row), [
      ["bom_generator", "bom_generator", 2, 4000, 1200, 0.022],
      ["conversational", "conversational", 1, 2000, 500, 0.0135],
      ["local_helper", "local_helper", 1, 10, 10, 0],
    ]);

    const byChat = await rpcOk<Loose[]>(alice.supabase, "get_usage", { group_by: "chat" });
    assert.deepEqual(
      byChat.map(row).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [[idea.id, "Idea", 2, 2010, 510, 0.0135], [parts.id, "Parts", 2, 4000, 1200, 0.022]],
    );

    const byDay = await rpcOk<Loose[]>(alice.supabase, "get_usage", { group_by: "day" });
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(byDay.map(row), [[today, today, 4, 6010, 1710, 0.0355]]);
    assert.deepEqual(byDay.map((r) => r.unpriced_messages), [1]);

    const future = await rpcOk<Loose[]>(alice.supabase, "get_usage", {
      group_by: "day",
      from: new Date(Date.now() + 3600_000).toISOString(),
    });
    assert.deepEqual(future, [], "from limits the range");
    await rpcFails(alice.supabase, "get_usage", { group_by: "week" }, { status: 400, code: "22023" });
    await rpcFails(client(s), "get_usage", { group_by: "model" }, { status: 401, code: "42501" });
  });

  test("service_role_purge_expired_chats: denied to users, purges expired chats with the service-role key", async (s) => {
    const alice = await user(s, "purge");
    const service = client(s, s.serviceRoleKey);
    await rpcFails(alice.supabase, "service_role_purge_expired_chats", undefined, { status: 403, code: "42501" });
    await rpcFails(client(s), "service_role_purge_expired_chats", undefined, { status: 401, code: "42501" });

    // On native Postgres pg_cron runs the same purge at the start of every minute: stay clear of it,
    // so that the chat expires and is purged by this call within one minute.
    const second = new Date().getUTCSeconds();
    if (second < 2 || second > 45) await sleep(((62 - second) % 60) * 1000);

    const keep = await rpcOk(alice.supabase, "create_chat", { title: "Keeps", expires_at: "2100-01-01T00:00:00Z" });
    const expiresAt = Date.now() + 3000;
    const expiring = await rpcOk(alice.supabase, "create_chat", {
      title: "Expires",
      expires_at: new Date(expiresAt).toISOString(),
    });
    await say(alice.supabase, expiring.id, [["user", "soon gone"]]);
    assert.ok(await chatRow(alice.supabase, expiring.id), "listed while it lives");
    await sleep(expiresAt - Date.now() + 300);
    assert.equal(await chatRow(alice.supabase, expiring.id), undefined, "an expired chat is no longer listed");

    assert.equal(await rpcOk(service, "service_role_purge_expired_chats"), 1);
    await rpcFails(alice.supabase, "get_messages", { chat_id: expiring.id }, { status: 404, code: "PT404" });
    assert.ok(await chatRow(alice.supabase, keep.id), "a chat that has not expired stays");
    assert.equal(await rpcOk(service, "service_role_purge_expired_chats"), 0, "nothing left to purge");
  });

  test("delete_chat: the owner deletes, others cannot, forks stay, a repeat is a 404", async (s) => {
    const alice = await user(s, "deleter");
    const bob = await user(s, "not-owner");
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Doomed" });
    await say(alice.supabase, chat.id, [["user", "hello"], ["assistant", "hi"]]);

    await rpcFails(bob.supabase, "delete_chat", { chat_id: chat.id }, { status: 404, code: "PT404" });
    await rpcOk(alice.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "editor" });
    await rpcFails(bob.supabase, "delete_chat", { chat_id: chat.id }, { status: 403, code: "42501" });
    await rpcFails(client(s), "delete_chat", { chat_id: chat.id }, { status: 401, code: "42501" });
    assert.equal((await chatRow(alice.supabase, chat.id))!.message_count, 2);

    const fork = await rpcOk(bob.supabase, "fork_chat", { chat_id: chat.id });
    assert.equal(fork.forked_from_chat_id, chat.id);

    assert.equal(await rpcOk(alice.supabase, "delete_chat", { chat_id: chat.id }), true);
    const orphan = (await chatRow(bob.supabase, fork.id))!;
    assert.deepEqual([orphan.forked_from_chat_id, orphan.forked_from_message_id, orphan.message_count], [
      null,
      null,
      2,
    ]);
    assert.deepEqual(
      (await rpcOk<Loose[]>(bob.supabase, "get_messages", { chat_id: fork.id })).map((m) => m.content),
      ["hello", "hi"],
      "a fork outlives its source",
    );
    assert.equal(await chatRow(alice.supabase, chat.id), undefined);
    await rpcFails(alice.supabase, "get_messages", { chat_id: chat.id }, { status: 404, code: "PT404" });
    await rpcFails(bob.supabase, "get_messages", { chat_id: chat.id }, { status: 404, code: "PT404" });
    await rpcFails(alice.supabase, "delete_chat", { chat_id: chat.id }, { status: 404, code: "PT404" });
  });

  test("denials and bad input: anon 401, another user's chat is not found, 22023 writes nothing", async (s) => {
    const alice = await user(s, "denials");
    const bob = await user(s, "stranger");
    const anon = client(s);

    const anonCreate = await rpcFails(anon, "create_chat", { title: "nope" }, { status: 401, code: "42501" });
    assert.match(anonCreate.message, /permission denied for function create_chat/);
    for (const fn of ["list_agents", "list_chats"]) {
      await rpcFails(anon, fn, undefined, { status: 401, code: "42501" });
    }

    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Private" });
    const [m1] = await say(alice.supabase, chat.id, [["user", "secret plans"]]);
    await rpcFails(anon, "get_messages", { chat_id: chat.id }, { status: 401, code: "42501" });

    const notFound = { status: 404, code: "PT404" };
    const missing = await rpcFails(bob.supabase, "get_messages", { chat_id: chat.id }, notFound);
    assert.equal(missing.message, "chat not found");
    const nowhere = await rpcFails(bob.supabase, "get_messages", { chat_id: crypto.randomUUID() }, notFound);
    assert.equal(nowhere.message, missing.message, "someone else's chat looks like no chat at all");
    await rpcFails(bob.supabase, "get_message_siblings", { message_id: m1.id }, notFound);
    await rpcFails(bob.supabase, "append_message", { chat_id: chat.id, role: "user", content: "hi" }, notFound);
    await rpcFails(bob.supabase, "edit_message", { message_id: m1.id, content: "mine now" }, notFound);
    await rpcFails(bob.supabase, "update_chat", { chat_id: chat.id, title: "mine" }, notFound);
    await rpcFails(bob.supabase, "share_chat", { chat_id: chat.id }, notFound);
    await rpcFails(bob.supabase, "fork_chat", { chat_id: chat.id }, notFound);
    await rpcFails(bob.supabase, "set_current_leaf", { chat_id: chat.id, message_id: m1.id }, notFound);
    await rpcFails(bob.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "editor" }, notFound);
    assert.equal(await chatRow(bob.supabase, chat.id), undefined);

    const bad = { status: 400, code: "22023" };
    const base = { chat_id: chat.id, role: "user", content: "fine" };
    const empty = await rpcFails(alice.supabase, "append_message", { ...base, content: "   " }, bad);
    assert.equal(empty.message, "content must not be empty");
    const role = await rpcFails(alice.supabase, "append_message", { ...base, role: "robot" }, bad);
    assert.match(role.message, /role 'robot' is not one of system, user, assistant, tool/);
    const tokens = await rpcFails(
      alice.supabase,
      "append_message",
      { ...base, role: "assistant", input_tokens: -5 },
      bad,
    );
    assert.match(tokens.message, /must not be negative/);
    await rpcFails(alice.supabase, "append_message", { ...base, role: "assistant", latency_ms: -1 }, bad);
    await rpcFails(alice.supabase, "append_message", { ...base, content: "x".repeat(200_001) }, bad);
    await rpcFails(alice.supabase, "append_message", { ...base, parent_id: crypto.randomUUID() }, bad);
    await rpcFails(alice.supabase, "edit_message", { message_id: m1.id, content: "" }, bad);
    await rpcFails(alice.supabase, "create_chat", { phase: "Not Snake Case" }, bad);
    await rpcFails(alice.supabase, "create_chat", { expires_at: "2001-01-01T00:00:00Z" }, bad);
    await rpcFails(alice.supabase, "update_chat", { chat_id: chat.id, metadata: [1, 2] }, bad);

    const messages = await rpcOk<Loose[]>(alice.supabase, "get_messages", { chat_id: chat.id });
    assert.deepEqual(ids(messages), [m1.id], "no refused call wrote a message");
    const row = (await chatRow(alice.supabase, chat.id))!;
    assert.deepEqual([row.message_count, row.last_sequence_number, row.input_tokens, row.current_leaf_id], [
      1,
      1,
      0,
      m1.id,
    ]);
    const next = await rpcOk(alice.supabase, "append_message", base);
    assert.equal(next.sequence_number, 2, "refused appends took no sequence number");
    assert.deepEqual(
      (await rpcOk<Loose[]>(alice.supabase, "list_chats")).map((c) => c.title),
      ["Private"],
      "refused create_chat calls made no chat",
    );
  });

  stopStackAfterTests(fixture);
}
