/**
 * supabase-js's query builder on Parley's own tables, as the source designs' clients use it
 * (`.from('chats').select('*, messages(*)')`, filters, order, range, counts, writes of the columns a
 * role may write): the owner, a member, a stranger and anon see exactly what RLS lets them see, and a
 * column a role may not update is refused with 401/403, as PostgREST answers on a Supabase project.
 */
import assert from "node:assert/strict";
import { client, rpcOk, signedInUser, stackFixture, stackTest, stopStackAfterTests, testEngines } from "./_stack.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

for (const kind of testEngines()) {
  const fixture = stackFixture(kind);
  const test = (name: string, fn: Parameters<typeof stackTest>[2]) => stackTest(fixture, `query builder: ${name}`, fn);

  test("chats with their messages: owner, member, stranger and anon", async (s) => {
    const alice = await signedInUser(s, "qb-alice");
    const bob = await signedInUser(s, "qb-bob");
    const carol = await signedInUser(s, "qb-carol");
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Query builder" });
    for (const content of ["one", "two", "three", "four"]) {
      await rpcOk(alice.supabase, "append_message", { chat_id: chat.id, role: "user", content });
    }
    await rpcOk(alice.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "viewer" });

    // the source designs' own call: messages.chat_id is the one relationship, so no key is named
    const plain = await alice.supabase.from("chats").select("*, messages(*)").eq("id", chat.id);
    assert.equal(plain.error, null, JSON.stringify(plain.error));
    assert.deepEqual(((plain.data as Loose)[0].messages as Loose[]).map((m) => m.content).sort(), [
      "four",
      "one",
      "three",
      "two",
    ]);

    const select = "id, title, message_count, messages!messages_chat_id_fkey(sequence_number, content, role)";
    const own = await alice.supabase.from("chats").select(select).eq("id", chat.id)
      .order("sequence_number", { referencedTable: "messages", ascending: false }).single();
    assert.equal(own.error, null, JSON.stringify(own.error));
    const ownData = own.data as Loose;
    assert.equal(ownData.title, "Query builder");
    assert.equal(ownData.message_count, 4);
    assert.deepEqual(ownData.messages.map((m: Loose) => m.content), ["four", "three", "two", "one"]);

    const member = await bob.supabase.from("chats").select(select).eq("id", chat.id);
    assert.equal(member.error, null);
    assert.equal(member.data!.length, 1, "a member reads the chat");
    assert.equal((member.data as Loose)[0].messages.length, 4, "and its messages");

    const stranger = await carol.supabase.from("chats").select(select).eq("id", chat.id);
    assert.deepEqual([stranger.status, stranger.data], [200, []], "a stranger sees nothing");
    const strangerMessages = await carol.supabase.from("messages").select("id").eq("chat_id", chat.id);
    assert.deepEqual(strangerMessages.data, []);

    const anon = await client(s).from("chats").select("id");
    assert.equal(anon.status, 401);
    assert.equal(anon.error?.code, "42501");
    assert.equal((await client(s).from("messages").select("id")).status, 401);
  });

  test("filters, order, range and counts on messages", async (s) => {
    const alice = await signedInUser(s, "qb-pager");
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Paging" });
    for (let i = 1; i <= 6; i++) {
      await rpcOk(alice.supabase, "append_message", {
        chat_id: chat.id,
        role: i % 2 ? "user" : "assistant",
        content: `message ${i} ${i % 2 ? "question" : "answer"}`,
      });
    }
    const page = await alice.supabase.from("messages").select("sequence_number, content", { count: "exact" })
      .eq("chat_id", chat.id).order("sequence_number").range(1, 2);
    assert.equal(page.error, null);
    assert.equal(page.count, 6);
    assert.deepEqual((page.data as Loose[]).map((m) => m.sequence_number), [2, 3]);

    const answers = await alice.supabase.from("messages").select("sequence_number")
      .eq("chat_id", chat.id).eq("role", "assistant").gt("sequence_number", 2).order("sequence_number", {
        ascending: false,
      });
    assert.deepEqual((answers.data as Loose[]).map((m) => m.sequence_number), [6, 4]);

    const search = await alice.supabase.from("messages").select("sequence_number")
      .eq("chat_id", chat.id).textSearch("content_search", "question", { config: "english" }).order("sequence_number");
    assert.deepEqual((search.data as Loose[]).map((m) => m.sequence_number), [1, 3, 5]);

    const either = await alice.supabase.from("messages").select("sequence_number").eq("chat_id", chat.id)
      .or("sequence_number.eq.1,content.ilike.*6*").order("sequence_number");
    assert.deepEqual((either.data as Loose[]).map((m) => m.sequence_number), [1, 6]);

    const head = await alice.supabase.from("messages").select("*", { count: "exact", head: true }).eq(
      "chat_id",
      chat.id,
    );
    assert.deepEqual([head.status, head.count, head.data], [200, 6, null]);

    const withChat = await alice.supabase.from("messages").select("sequence_number, chats!messages_chat_id_fkey(title)")
      .eq("chat_id", chat.id).eq("sequence_number", 1).maybeSingle();
    assert.deepEqual(withChat.data, { sequence_number: 1, chats: { title: "Paging" } });
  });

  test("writes: the columns a role may write, and those it may not", async (s) => {
    const alice = await signedInUser(s, "qb-writer");
    const bob = await signedInUser(s, "qb-other");
    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Before" });

    const renamed = await alice.supabase.from("chats").update({ title: "After", pinned: true }).eq("id", chat.id)
      .select("title, pinned").single();
    assert.equal(renamed.error, null);
    assert.deepEqual(renamed.data, { title: "After", pinned: true });

    const counters = await alice.supabase.from("chats").update({ message_count: 99 }).eq("id", chat.id);
    assert.equal(counters.status, 403, "message_count is not an updatable column for authenticated");
    assert.equal(counters.error?.code, "42501");

    const byOther = await bob.supabase.from("chats").update({ title: "Mine now" }).eq("id", chat.id).select("id");
    assert.deepEqual([byOther.status, byOther.data], [200, []], "RLS: another user's update reaches no row");
    const anon = await client(s).from("chats").update({ title: "Anon" }).eq("id", chat.id);
    assert.equal(anon.status, 401);
    const [{ title }] = await s.engine.db.query<{ title: string }>("select title from public.chats where id = $1", [
      chat.id,
    ]);
    assert.equal(title, "After");

    // projects: insert the granted columns, owner_id from auth.uid(); read back with its chats
    const project = await alice.supabase.from("projects").insert({ name: "Robot arm" }).select("id, name, owner_id")
      .single();
    assert.equal(project.error, null, JSON.stringify(project.error));
    assert.equal((project.data as Loose).owner_id, alice.id);
    const forged = await alice.supabase.from("projects").insert({ name: "Forged", owner_id: bob.id });
    assert.equal(forged.status, 403, "owner_id is not an insertable column");
    await alice.supabase.from("chats").update({ project_id: (project.data as Loose).id }).eq("id", chat.id);
    const withChats = await alice.supabase.from("projects").select("name, chats(title)").eq(
      "id",
      (project.data as Loose).id,
    ).single();
    assert.deepEqual(withChats.data, { name: "Robot arm", chats: [{ title: "After" }] });
    assert.deepEqual((await bob.supabase.from("projects").select("id")).data, [], "projects are the owner's only");

    const gone = await alice.supabase.from("chats").delete({ count: "exact" }).eq("id", chat.id);
    assert.deepEqual([gone.status, gone.count], [204, 1]);
  });

  stopStackAfterTests(fixture);
}
