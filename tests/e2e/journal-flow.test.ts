/**
 * Journal and knowledge end to end (issue 11), on every engine, with the real supabase-js through the
 * gateway: a journal day (entries with entities written offline and replayed, a task scheduled as an
 * event, a habit logged twice, a tracker, a meal, a workout, a timer, the day's list and details) and a
 * dream (audio path, the transcription moved by the service role, themes, two interpreters'
 * versioned interpretations, a chat about it), then knowledge documents; and the denials and bad input
 * with PostgREST's statuses and codes.
 */
import assert from "node:assert/strict";
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
  type TestStack,
} from "./_stack.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

/** Today's local date in a time zone (what the database computes from profiles.timezone). */
function localDate(zone: string, at = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(at);
}

for (const kind of testEngines()) {
  const fixture = stackFixture(kind);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(fixture, `journal flow: ${name}`, fn);

  test("a journal day: entries and entities, a habit, a tracker, a meal, a workout, a timer", async (s) => {
    const alice = await signedInUser(s, "alice");
    const bob = await signedInUser(s, "bob");
    const zone = "America/New_York";
    await rpcOk(alice.supabase, "update_my_profile", { timezone: zone });
    const today = localDate(zone);

    // a note written offline on the desktop, pushed twice (a retry): one entry
    const note = {
      client_id: "desk-42",
      source_app: "desktop",
      facets: ["note", "journal"],
      title: "Morning pages",
      body_markdown: "Slept badly. Coffee with **Zoë** at Café Olé, then a run.",
      entity_keys: [
        { type: "person", key: "Zoë", display_name: "Zoë" },
        { type: "place", key: "  Café   Olé " },
        { type: "tag", key: "Running" },
      ],
    };
    const first = await rpcOk<Loose>(alice.supabase, "upsert_entry", note);
    const replay = await rpcOk<Loose>(alice.supabase, "upsert_entry", note);
    assert.equal(replay.id, first.id, "a replay by client id is the same entry");
    assert.equal(replay.updated_at, first.updated_at, "and writes nothing: updated_at stays");
    assert.deepEqual(first.facets, ["note", "journal"]);
    assert.deepEqual(
      first.entities.map((e: Loose) => [e.type, e.key, e.display_name]),
      [["person", "zoë", "Zoë"], ["place", "café olé", "Café Olé"], ["tag", "running", "Running"]],
    );
    const edited = await rpcOk<Loose>(alice.supabase, "upsert_entry", { ...note, title: "Morning pages (edited)" });
    assert.equal(edited.id, first.id);
    assert.ok(edited.updated_at > first.updated_at, "a real change moves updated_at (server time)");

    // a task scheduled as an event: both facets
    const task = await rpcOk<Loose>(alice.supabase, "upsert_entry", {
      facets: ["task", "event"],
      title: "Call the plumber",
      status: "todo",
      starts_at: `${today}T15:00:00-04:00`,
      ends_at: `${today}T15:30:00-04:00`,
      entity_keys: [{ type: "context", key: "Home" }],
    });
    assert.deepEqual(task.facets, ["task", "event"]);

    // entities: a batch, then search by prefix and by a typo
    const batch = await rpcOk<Loose[]>(alice.supabase, "upsert_entities", {
      entities: [{ type: "tag", key: "running" }, { type: "tag", key: "Swimming" }],
    });
    assert.equal(batch[0].id, first.entities[2].id, "an existing key is the same entity");
    const found = await rpcOk<Loose[]>(alice.supabase, "list_entities", { type: "tag", query: "swiming" });
    assert.deepEqual(found.map((e) => e.key), ["swimming"]);

    // a habit, logged twice today (idempotent), and its stats
    const habit = await rpcOk<Loose>(alice.supabase, "upsert_habit", { name: "Run", schedule: "daily" });
    const log1 = await rpcOk<Loose>(alice.supabase, "log_habit", { habit_id: habit.id });
    const log2 = await rpcOk<Loose>(alice.supabase, "log_habit", { habit_id: habit.id });
    assert.equal(log1.local_date, today, "the local date in the user's time zone");
    assert.equal(log2.id, log1.id);
    assert.equal(log2.updated_at, log1.updated_at, "logging twice writes once");
    const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    await rpcFails(alice.supabase, "log_habit", { habit_id: habit.id, date: tomorrow }, {
      status: 400,
      code: "22023",
      message: new RegExp(`date ${tomorrow} is in the future`),
    });
    const stats = await rpcOk<Loose>(alice.supabase, "get_habit_stats", { habit_id: habit.id });
    assert.deepEqual([stats.current_streak, stats.longest_streak, stats.completion_rate], [1, 1, 1]);

    // a tracker
    const mood = await rpcOk<Loose>(alice.supabase, "upsert_tracker", { name: "Mood", kind: "scale" });
    await rpcOk(alice.supabase, "log_tracker", { tracker_id: mood.id, value: 7 });
    const series = await rpcOk<Loose[]>(alice.supabase, "get_tracker_series", {
      tracker_id: mood.id,
      bucket: "day",
      from: today,
      to: today,
    });
    assert.deepEqual(series.map((b) => [b.bucket_start, b.count, b.avg]), [[today, 1, 7]]);

    // a meal and the day's nutrition
    const meal = await rpcOk<Loose>(alice.supabase, "log_meal", {
      eaten_at: new Date().toISOString(),
      meal_type: "breakfast",
      items: [
        { name: "Oats", quantity: 80, unit: "g", calories: 300, protein: 10, carbs: 54, fat: 5 },
        { name: "Coffee", calories: 5 },
      ],
    });
    assert.deepEqual(meal.entry.facets, ["event", "meal"]);
    const nutrition = await rpcOk<Loose[]>(alice.supabase, "get_nutrition_summary", { from: today, to: today });
    assert.deepEqual(nutrition.map((d) => [d.day, d.meals, d.calories]), [[today, 1, 305]]);
    await rpcFails(alice.supabase, "log_meal", {
      eaten_at: new Date().toISOString(),
      meal_type: "snack",
      items: [{ name: "Nuts", quantity: -30 }],
    }, { status: 400, code: "22023", message: /items\[0\]\.quantity must be a number >= 0/ });

    // a workout logged on the morning note
    const workout = await rpcOk<Loose>(alice.supabase, "log_workout", {
      entry_id: first.id,
      started_at: new Date(Date.now() - 3_600_000).toISOString(),
      kind: "run",
      rows: [{ exercise: "Easy run", distance: 5000, duration: 1800 }],
    });
    assert.deepEqual(workout.entry.facets, ["note", "event", "workout", "journal"]);

    // a timer: one running per label; stopping writes an event entry
    const timer = await rpcOk<Loose>(alice.supabase, "start_timer", { label: "Writing", entry_id: task.id });
    await rpcFails(alice.supabase, "start_timer", { label: "Writing" }, { status: 409, code: "23505" });
    const stopped = await rpcOk<Loose>(alice.supabase, "stop_timer", { timer_id: timer.id });
    assert.deepEqual(stopped.entry.facets, ["event"]);
    assert.equal(stopped.entry.title, "Writing");
    assert.equal(stopped.entry.frontmatter.timer.entry_id, task.id);

    // the day: newest first, keyset pages, details
    const page1 = await rpcOk<Loose[]>(alice.supabase, "list_entries", { limit: 2 });
    const page2 = await rpcOk<Loose[]>(alice.supabase, "list_entries", {
      limit: 10,
      before: `${page1[1].occurred_at},${page1[1].id}`,
    });
    const all = [...page1, ...page2];
    assert.equal(all.length, 4, "the note, the task, the meal and the timer's event");
    assert.equal(new Set(all.map((e) => e.id)).size, 4, "no entry twice across pages");
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].occurred_at >= all[i].occurred_at, "newest first");
    const events = await rpcOk<Loose[]>(alice.supabase, "list_entries", { facet: "event" });
    assert.equal(events.length, 4, "every entry of the day is an event now but none was lost");
    const byTag = await rpcOk<Loose[]>(alice.supabase, "list_entries", { entity_id: first.entities[2].id });
    assert.deepEqual(byTag.map((e) => e.id), [first.id]);
    const details = await rpcOk<Loose>(alice.supabase, "get_entry", { entry_id: first.id });
    assert.equal(details.workouts.length, 1);
    assert.deepEqual(details.attachments, []);

    // bad input: named, 400; a 10 MB body is stopped by the gateway, a 1.5 MB one by the database
    await rpcFails(alice.supabase, "upsert_entry", { facets: ["note", "diary"] }, {
      status: 400,
      code: "22023",
      message: /facets\[1\] 'diary' is not a facet/,
    });
    await rpcFails(alice.supabase, "upsert_entry", { facets: ["note"], body_markdown: "x".repeat(1_500_000) }, {
      status: 400,
      code: "22023",
      message: /body_markdown must be at most 1,000,000 characters/,
    });
    const huge = await api(s, "/rest/v1/rpc/upsert_entry", {
      body: { facets: ["note"], body_markdown: "x".repeat(10 * 1024 * 1024) },
      token: alice.session.access_token,
    });
    assert.equal(huge.status, 413);

    // another user, anon, the service role
    await rpcFails(bob.supabase, "get_entry", { entry_id: first.id }, { status: 404, code: "PT404" });
    assert.deepEqual(await rpcOk(bob.supabase, "list_entries"), []);
    await rpcFails(bob.supabase, "log_habit", { habit_id: habit.id }, { status: 404, code: "PT404" });
    await rpcFails(client(s), "list_entries", {}, { status: 401, code: "42501" });
    const service = client(s, s.serviceRoleKey);
    assert.equal((await rpcOk<Loose>(service, "get_entry", { entry_id: first.id })).title, "Morning pages (edited)");
    assert.equal((await rpcOk<Loose>(alice.supabase, "delete_entry", { entry_id: task.id })).id, task.id);
    const afterDelete = await rpcOk<Loose[]>(alice.supabase, "list_entries", { facet: "task" });
    assert.deepEqual(afterDelete, [], "a deleted entry leaves the list");
  });

  test("a dream: audio, transcription by the service role, themes, interpretations, a chat about it", async (s) => {
    const dreamer = await signedInUser(s, "dreamer");
    const other = await signedInUser(s, "other");
    const service = client(s, s.serviceRoleKey);
    await rpcOk(dreamer.supabase, "update_my_profile", { timezone: "Australia/Lord_Howe" });

    const audio = `audio/${dreamer.id}/night-1.m4a`;
    const dream = await rpcOk<Loose>(dreamer.supabase, "create_dream", {
      title: "The lighthouse",
      audio_path: audio,
      client_id: "somni-night-1",
    });
    assert.deepEqual(dream.facets, ["dream"]);
    assert.equal(dream.dream.transcription_status, "pending");
    assert.equal(dream.dream.dreamt_on, localDate("Australia/Lord_Howe"));
    assert.equal(
      (await rpcOk<Loose>(dreamer.supabase, "create_dream", { client_id: "somni-night-1" })).id,
      dream.id,
      "a retried create_dream is the same dream",
    );

    // the transcription worker (service role) moves the status; the dreamer cannot
    await rpcFails(dreamer.supabase, "set_dream_transcription", {
      entry_id: dream.id,
      status: "done",
      transcript: "x",
    }, { status: 403, code: "42501" });
    await rpcOk(service, "set_dream_transcription", { entry_id: dream.id, status: "processing" });
    const transcript = "I climbed a lighthouse by the sea; the light turned and showed my childhood home.";
    const done = await rpcOk<Loose>(service, "set_dream_transcription", {
      entry_id: dream.id,
      status: "done",
      transcript,
    });
    assert.equal(done.transcription_status, "done");

    // themes with confidence
    const themes = await rpcOk<Loose[]>(dreamer.supabase, "list_themes");
    assert.ok(themes.some((t) => t.name === "water" && t.description));
    await rpcOk(dreamer.supabase, "set_entry_themes", {
      entry_id: dream.id,
      themes: [{ theme: "water", confidence: 0.7 }, { theme: "childhood_home", confidence: 0.9 }],
    });
    await rpcFails(dreamer.supabase, "set_entry_themes", {
      entry_id: dream.id,
      themes: [{ theme: "water", confidence: 1.5 }],
    }, { status: 400, code: "22023", message: /themes\[0\]\.confidence must be a number from 0 to 1/ });

    // two interpreters: one through the user, one through the service role (the interpret function)
    const agents = await rpcOk<Loose[]>(dreamer.supabase, "list_agents");
    const jung = agents.find((a) => a.name === "jungian_interpreter")!;
    const freud = agents.find((a) => a.name === "freudian_interpreter")!;
    const v1 = await rpcOk<Loose>(dreamer.supabase, "save_interpretation", {
      entry_id: dream.id,
      agent_id: jung.id,
      content: "The lighthouse is the Self, lighting the way home.",
    });
    const v2 = await rpcOk<Loose>(service, "save_interpretation", {
      entry_id: dream.id,
      agent_id: jung.id,
      content: "The lighthouse is the Self; the sea, the unconscious.",
      expected_version: 1,
    });
    assert.equal(v2.artifact.id, v1.artifact.id, "one artifact per entry and interpreter");
    assert.equal(v2.version.version_number, 2);
    await rpcFails(service, "save_interpretation", {
      entry_id: dream.id,
      agent_id: jung.id,
      content: "stale",
      expected_version: 1,
    }, { status: 409, code: "PT409" });
    await rpcOk(service, "save_interpretation", {
      entry_id: dream.id,
      agent_id: freud.id,
      content: "A wish for the safety of home.",
    });
    const history = await rpcOk<Loose[]>(dreamer.supabase, "list_artifact_versions", { artifact_id: v1.artifact.id });
    assert.deepEqual(history.map((v) => v.version_number), [2, 1]);
    const diff = await rpcOk<Loose>(dreamer.supabase, "diff_artifact_versions", {
      artifact_id: v1.artifact.id,
      from_version: 1,
      to_version: 2,
    });
    assert.equal(diff.identical, false);

    // a chat about the dream
    const chat = await rpcOk<Loose>(dreamer.supabase, "create_chat", {
      title: "Talking about the lighthouse",
      agent_id: jung.id,
      entry_id: dream.id,
    });
    await rpcOk(dreamer.supabase, "append_message", { chat_id: chat.id, role: "user", content: "Why a lighthouse?" });
    await rpcFails(other.supabase, "create_chat", { title: "nosy", entry_id: dream.id }, {
      status: 404,
      code: "PT404",
    });

    // everything on the dream's entry
    const full = await rpcOk<Loose>(dreamer.supabase, "get_entry", { entry_id: dream.id });
    assert.equal(full.body_markdown, transcript, "the transcript became the dream's text");
    assert.equal(full.dream.audio_path, audio);
    assert.equal(full.dream.transcription_status, "done");
    assert.deepEqual(full.themes.map((t: Loose) => [t.theme, t.confidence]), [["childhood_home", 0.9], ["water", 0.7]]);
    assert.deepEqual(
      full.interpretations.map((i: Loose) => [i.agent_name, i.current_version]),
      [["freudian_interpreter", 1], ["jungian_interpreter", 2]],
    );
    assert.equal(full.interpretations[1].content, "The lighthouse is the Self; the sea, the unconscious.");
    assert.deepEqual(full.chats.map((c: Loose) => c.id), [chat.id]);

    // nobody else sees any of it
    await rpcFails(other.supabase, "get_entry", { entry_id: dream.id }, { status: 404, code: "PT404" });
    await rpcFails(other.supabase, "get_artifact", { artifact_id: v1.artifact.id }, { status: 404, code: "PT404" });
    await rpcFails(client(s), "create_dream", { content: "x" }, { status: 401, code: "42501" });
  });

  test("knowledge: a private document, an agent's knowledge, idempotent ingest", async (s) => {
    const reader = await signedInUser(s, "reader");
    const stranger = await signedInUser(s, "stranger");
    const service = client(s, s.serviceRoleKey);
    const markdown = "# Sleep\n\nREM sleep brings vivid dreams.\n\n## Lucid dreaming\n\nReality checks help.";
    const doc = await rpcOk<Loose>(reader.supabase, "ingest_document", { title: "Notes", content_markdown: markdown });
    assert.equal(doc.created, true);
    assert.deepEqual(doc.chunks.map((c: Loose) => c.heading_path), [["Sleep"], ["Sleep", "Lucid dreaming"]]);
    const again = await rpcOk<Loose>(reader.supabase, "ingest_document", {
      title: "Notes",
      content_markdown: markdown,
    });
    assert.deepEqual([again.created, again.changed, again.document.id], [false, false, doc.document.id]);
    assert.deepEqual(await rpcOk(stranger.supabase, "list_documents"), []);

    const agents = await rpcOk<Loose[]>(reader.supabase, "list_agents");
    const jung = agents.find((a) => a.name === "jungian_interpreter")!;
    await rpcFails(reader.supabase, "ingest_document", { title: "x", content_markdown: "y", agent_id: jung.id }, {
      status: 403,
      code: "42501",
    });
    await rpcOk(service, "ingest_document", {
      title: "Archetypes",
      content_markdown: "# Archetypes\n\nThe shadow holds what we refuse to see.",
      agent_id: jung.id,
    });
    const shared = await rpcOk<Loose[]>(stranger.supabase, "list_documents", { agent_id: jung.id });
    assert.deepEqual(shared.map((d) => d.title), ["Archetypes"], "a persona's knowledge is read by every user");
    await rpcFails(stranger.supabase, "delete_document", { document_id: doc.document.id }, {
      status: 404,
      code: "PT404",
    });
    assert.equal(await rpcOk(reader.supabase, "delete_document", { document_id: doc.document.id }), true);
  });

  stopStackAfterTests(fixture);
}
