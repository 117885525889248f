/**
 * The chat function end to end, on every engine: supabase-js through the gateway, the function in
 * its own Deno process with its secrets from an env file (`functionsEnvFile`, as `npm start --
 * --env-file`), and a scripted OpenAI-compatible model server (tests/helpers/openai-server.ts).
 *
 * - knowledge: `hybrid_search` finds the user's own note (not another user's) and its passages reach
 *   the agent's context; when the search is refused the turn goes on without knowledge;
 * - a hardware chat: "weather station with ESP32" → the orchestrator routes to the BOM agent → a BOM
 *   artifact v1 linked to the answer → "swap the DHT22 for a BME280" → v2 → get_project shows it;
 *   usage is billed and every model call is a prompt run;
 * - a label moved, then rolled back, changes the template of the next call; get_prompt_performance
 *   counts the runs of each version;
 * - a client that disconnects: the answer is still completed and stored;
 * - provider failures (500, 429, a stream cut mid-answer, a first token too slow, the orchestrator
 *   failing): the answer is stored as an error with its reason, never as complete; a slow first
 *   token within the timeout is waited for;
 * - invalid tool arguments (not JSON, not fitting, refused by the database): the agent is told and
 *   corrects itself, nothing invalid is stored; an orchestrator answer that is not a route;
 * - a replayed client_message_id runs no agent twice, also while the first answer is under way;
 * - a prompt asking for a variable the function does not provide; the requests it refuses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import {
  api,
  client,
  rpcOk,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
  type TestStack,
} from "./_stack.ts";
import { type ReceivedRequest, script, startOpenAIServer } from "../helpers/openai-server.ts";
import { readSse, type SseEvent } from "../helpers/sse.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

const model = startOpenAIServer();
Deno.test.afterAll(() => model.close());
const envDir = Deno.makeTempDirSync({ prefix: "parley-chat-env-" });
Deno.test.afterAll(() => Deno.remove(envDir, { recursive: true }));
const envFile = join(envDir, "functions.env");
Deno.writeTextFileSync(
  envFile,
  [
    `OPENAI_API_KEY=${model.apiKey}`,
    `OPENAI_BASE_URL=${model.baseURL}`,
    // small enough for the slow-token test, large enough for a loaded machine
    "PARLEY_MODEL_TIMEOUT_MS=3000",
    // every scripted failure is seen as it is (the SDK would retry 429 and 5xx twice)
    "PARLEY_MODEL_MAX_RETRIES=0",
  ].join("\n") + "\n",
);

const WEATHER_BOM = {
  components: [
    { name: "ESP32-DevKitC", part_number: "ESP32-DEVKITC-32E", quantity: 1, unit_price: 9.5, currency: "USD" },
    { name: "DHT22", part_number: "DHT22", quantity: 1, unit_price: 4.9, currency: "USD", voltage: "3.3-5V" },
    { name: "Solar panel 6V", quantity: 1, unit_price: 7.0, currency: "USD" },
  ],
};
const SWAPPED_BOM = {
  components: [
    WEATHER_BOM.components[0],
    {
      name: "BME280",
      part_number: "BME280",
      quantity: 1,
      unit_price: 6.2,
      currency: "USD",
      voltage: "3.3V",
      interface_type: "I2C",
    },
    WEATHER_BOM.components[2],
  ],
};

interface Turn {
  status: number;
  events: { event: string; data: Loose }[];
  of(name: string): Loose[];
  one(name: string): Loose;
  text: string;
}

/** POSTs to the chat function through supabase-js and reads its whole event stream. */
async function chat(supabase: SupabaseClient, body: Record<string, unknown>): Promise<Turn> {
  const { data, error, response } = await supabase.functions.invoke("chat", { body });
  if (error) {
    const res = (error as { context?: Response }).context;
    const payload = res ? await res.json().catch(() => ({})) : { error: String(error) };
    return turnOf(res?.status ?? 0, [{ event: "http_error", data: payload }]);
  }
  const events: { event: string; data: Loose }[] = [];
  for await (const item of readSse((data as Response).body!)) {
    if (item.type === "event") events.push({ event: item.event, data: (item as SseEvent).json() });
  }
  return turnOf(response?.status ?? 200, events);
}

function turnOf(status: number, events: { event: string; data: Loose }[]): Turn {
  return {
    status,
    events,
    of: (name) => events.filter((e) => e.event === name).map((e) => e.data),
    one(name) {
      const found = events.filter((e) => e.event === name);
      assert.equal(found.length, 1, `one ${name} event in ${JSON.stringify(events.map((e) => e.event))}`);
      return found[0].data;
    },
    text: events.filter((e) => e.event === "delta").map((e) => e.data.text).join(""),
  };
}

const route = (agent: string, intent: string, reason = "scripted") =>
  script.reply(JSON.stringify({ intent, agent, reason }));

/** The system prompt a model request carried. */
const systemOf = (r: ReceivedRequest) => r.body.messages[0].content as string;

/** The chat's messages as the user sees them. */
async function messages(supabase: SupabaseClient, chatId: string): Promise<Loose[]> {
  return await rpcOk<Loose[]>(supabase, "get_messages", { chat_id: chatId });
}

/** Waits until the chat's latest message is an answer that is no longer streaming. */
async function settledAnswer(supabase: SupabaseClient, chatId: string, timeoutMs = 20_000): Promise<Loose> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = (await messages(supabase, chatId)).at(-1)!;
    if (last.role === "assistant" && last.status !== "streaming") return last;
    if (Date.now() > deadline) throw new Error(`the answer is still ${last.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const kind of testEngines()) {
  const fixture = stackFixture(kind, { gateway: { functionsEnvFile: envFile } });
  stopStackAfterTests(fixture);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) =>
    stackTest(fixture, `agents chat: ${name}`, async (s) => {
      model.reset();
      await fn(s);
    });
  const service = (s: TestStack) => client(s, s.serviceRoleKey);

  test("knowledge: hybrid_search's passages from the user's own notes reach the agent; without it the turn goes on", async (s) => {
    const alice = await signedInUser(s, "knower");
    // the user's own note, found by hybrid_search's full-text half (as the user: RLS applies)
    await rpcOk(alice.supabase, "upsert_entry", {
      facets: ["note"],
      title: "Sensors guide",
      body_markdown: "The BME280 sensor measures pressure too; the DHT22 does not.",
    });
    // another user's note with the same words is not theirs to see
    const bob = await signedInUser(s, "other-knower");
    await rpcOk(bob.supabase, "upsert_entry", {
      facets: ["note"],
      title: "Bob's secret sensor notes",
      body_markdown: "My sensor measures pressure in the cellar.",
    });
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Sensors" });
    model.chat(script.reply("Use the BME280."));
    const first = await chat(alice.supabase, {
      chat_id: chatRow.id,
      content: "Which sensor measures pressure?",
      agent: "conversational",
    });
    assert.equal(first.status, 200);
    assert.ok(first.one("done"));
    const knowledge = model.requestsTo("chat")[0].body.messages.find((m: Loose) =>
      m.role === "system" && String(m.content).startsWith("Knowledge")
    );
    assert.ok(knowledge, "a knowledge message");
    assert.match(knowledge.content, /\[Sensors guide\]\n.*BME280/);
    assert.doesNotMatch(knowledge.content, /cellar|Bob/, "another user's note never reaches the agent");

    // the search RPC refused (here: no right to execute it): the turn goes on without knowledge
    await s.engine.db.exec(`revoke execute on function public.hybrid_search(text, extensions.vector, text[], integer,
      double precision, double precision, integer, text) from authenticated`);
    try {
      model.reset();
      model.chat(script.reply("Still here."));
      const second = await chat(alice.supabase, {
        chat_id: chatRow.id,
        content: "Which sensor measures pressure again?",
        agent: "conversational",
      });
      assert.equal(second.one("done").status, "complete");
      assert.ok(
        !model.requestsTo("chat")[0].body.messages.some((m: Loose) => String(m.content).startsWith("Knowledge")),
        "no knowledge without the search RPC",
      );
    } finally {
      await s.engine.db.exec(`grant execute on function public.hybrid_search(text, extensions.vector, text[], integer,
        double precision, double precision, integer, text) to authenticated`);
    }
  });

  test("a hardware chat: routed to the BOM agent, BOM v1, a part swapped in v2, the project shows it", async (s) => {
    const alice = await signedInUser(s, "maker");
    const project = await rpcOk(alice.supabase, "create_project", { name: "Weather station", target_budget: 60 });
    const chatRow = await rpcOk(alice.supabase, "create_chat", { project_id: project.id });

    // ---- turn 1: the orchestrator routes, the BOM agent writes v1
    model.chat(
      route("bom_generator", "bom", "a parts list for a new build"),
      script.toolCalls([{
        name: "create_artifact",
        arguments: {
          type: "bom",
          title: "Weather station BOM",
          content_json: WEATHER_BOM,
          change_summary: "First BOM",
        },
      }], { usage: { prompt_tokens: 900, completion_tokens: 150 } }),
      script.reply("Here is a BOM: an ESP32, a DHT22 and a small solar panel.", {
        usage: { prompt_tokens: 1100, completion_tokens: 40 },
      }),
    );
    const first = await chat(alice.supabase, {
      chat_id: chatRow.id,
      content: "I want to build a weather station with an ESP32",
      client_message_id: "maker-1",
    });
    assert.equal(first.status, 200, JSON.stringify(first.events));
    const start = first.one("message_start");
    assert.deepEqual([start.agent, start.intent, start.model, start.replayed], [
      "bom_generator",
      "bom",
      "openai/gpt-4o",
      false,
    ]);
    assert.deepEqual(start.prompt, { name: "bom_generator", version: 1 });
    const created = first.one("artifact");
    assert.deepEqual([created.action, created.type, created.title, created.version_number, created.created], [
      "created",
      "bom",
      "Weather station BOM",
      1,
      true,
    ]);
    assert.equal(first.text, "Here is a BOM: an ESP32, a DHT22 and a small solar panel.");
    const done = first.one("done");
    assert.equal(done.status, "complete");
    assert.equal(done.message_id, start.message_id);
    assert.ok(done.usage.input_tokens > 2000, JSON.stringify(done.usage));
    assert.ok(done.usage.cost_usd > 0);

    // what the model was asked
    const [routing, answer, afterTools] = model.requestsTo("chat");
    assert.equal(routing.body.model, "openai/gpt-4o-mini");
    assert.equal(routing.body.response_format.type, "json_schema", "structured output for the route");
    assert.match(systemOf(routing), /- bom_generator: Produces the bill of materials/);
    assert.equal(answer.body.stream, true);
    assert.match(
      systemOf(answer),
      /bill-of-materials agent of a hardware assistant.*Project: Weather station; budget: 60/s,
    );
    assert.deepEqual(answer.body.tools.map((t: Loose) => t.function.name), ["create_artifact", "update_artifact"]);
    assert.equal(answer.body.temperature, 0.2, "the prompt version's params");
    assert.equal(answer.body.messages.at(-1).content, "I want to build a weather station with an ESP32");
    const toolResult = afterTools.body.messages.at(-1);
    assert.equal(toolResult.role, "tool");
    assert.equal(JSON.parse(toolResult.content).ok, true);

    // stored: the answer with agent, model, intent, tokens, latency, cost; the artifact linked to it
    const [question, reply] = await messages(alice.supabase, chatRow.id);
    assert.equal(question.client_message_id, "maker-1");
    // the turn's tokens: the orchestrator's (estimated by the scripted server: characters / 4) and the agent's
    const routeText = JSON.stringify({ intent: "bom", agent: "bom_generator", reason: "a parts list for a new build" });
    assert.equal(done.usage.output_tokens, Math.ceil(routeText.length / 4) + 150 + 40);
    assert.deepEqual(
      [
        reply.id,
        reply.status,
        reply.agent_name,
        reply.agent_model,
        reply.intent,
        reply.input_tokens,
        reply.output_tokens,
      ],
      [
        start.message_id,
        "complete",
        "bom_generator",
        "openai/gpt-4o",
        "bom",
        done.usage.input_tokens,
        done.usage.output_tokens,
      ],
    );
    assert.ok(reply.latency_ms > 0);
    assert.equal(reply.metadata.cost_usd, done.usage.cost_usd);
    assert.equal(reply.metadata.route.reason, "a parts list for a new build");
    assert.deepEqual(reply.artifact_versions.map((v: Loose) => [v.type, v.version_number]), [["bom", 1]]);

    // ---- turn 2: "swap the DHT22 for a BME280" → v2 on the current version
    model.reset();
    model.chat(
      route("bom_generator", "bom", "a part swap"),
      script.toolCalls([{
        name: "update_artifact",
        arguments: {
          artifact_id: created.artifact_id,
          expected_version: 1,
          content_json: SWAPPED_BOM,
          change_summary: "DHT22 swapped for a BME280",
        },
      }]),
      script.reply("Swapped: the BME280 also measures pressure."),
    );
    const second = await chat(alice.supabase, { chat_id: chatRow.id, content: "swap the DHT22 for a BME280" });
    const updated = second.one("artifact");
    assert.deepEqual([updated.action, updated.artifact_id, updated.version_number], [
      "updated",
      created.artifact_id,
      2,
    ]);
    assert.equal(second.one("done").status, "complete");
    const swapRequest = model.requestsTo("chat")[1];
    const artifactsSeen = swapRequest.body.messages.find((m: Loose) =>
      m.role === "system" && String(m.content).startsWith("Artifacts of this chat")
    );
    assert.match(artifactsSeen.content, new RegExp(`artifact_id ${created.artifact_id}, version 1`));
    assert.match(artifactsSeen.content, /"DHT22"/, "the agent sees the current BOM");
    assert.ok(
      swapRequest.body.messages.some((m: Loose) =>
        m.role === "user" && m.content === "I want to build a weather station with an ESP32"
      ),
      "and the conversation so far",
    );

    // the project shows v2
    const shown = await rpcOk(alice.supabase, "get_project", { project_id: project.id });
    const names = shown.parts.map((p: Loose) => p.name).sort();
    assert.deepEqual(names, ["BME280", "ESP32-DevKitC", "Solar panel 6V"]);
    assert.deepEqual(shown.sources.map((x: Loose) => [x.type, x.version_number]), [["bom", 2]]);

    // usage billed to the owner; one prompt run per model call
    const usage = await rpcOk<Loose[]>(alice.supabase, "get_usage", { group_by: "agent" });
    const billed = usage.find((u) => u.group_key === "bom_generator" && u.source === "billed");
    assert.equal(billed?.messages, 2);
    const perf = await rpcOk<Loose[]>(service(s), "get_prompt_performance", { name: "bom_generator" });
    assert.ok(perf[0].runs >= 4, JSON.stringify(perf));
    const routed = await rpcOk<Loose[]>(service(s), "get_prompt_performance", { name: "orchestrator" });
    assert.ok(routed[0].runs >= 2);
    const runs = await s.engine.db.query<{ prompt_name: string; n: number; cost: string | null }>(
      `select prompt_name, count(*)::int as n, sum(cost_usd)::text as cost from public.prompt_runs
       where chat_id = $1 group by 1 order by 1`,
      [chatRow.id],
    );
    assert.deepEqual(runs.map((r) => [r.prompt_name, r.n]), [["bom_generator", 4], ["orchestrator", 2]]);
  });

  test("a label moved, then rolled back, changes the next call's template; performance counts each version", async (s) => {
    const alice = await signedInUser(s, "prompter");
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Ideas" });
    const admin = service(s);
    const v2 = await rpcOk(admin, "create_prompt_version", {
      name: "conversational",
      template: "You are {{agent_name}} (MARKER-V2). Be brief.",
      model: "openai/gpt-4o-mini",
      labels: ["production"],
      commit_message: "shorter",
    });
    const version = v2.version.version;
    try {
      model.chat(script.reply("Short answer."), script.reply("Longer answer."));
      const before = await rpcOk<Loose[]>(admin, "get_prompt_performance", { name: "conversational" });
      const runsOf = (rows: Loose[], v: number) => rows.find((r) => r.version === v)?.runs ?? 0;
      const onV2 = await chat(alice.supabase, { chat_id: chatRow.id, content: "An idea", agent: "conversational" });
      assert.deepEqual(onV2.one("message_start").prompt, { name: "conversational", version });
      assert.match(systemOf(model.requestsTo("chat")[0]), /MARKER-V2/);
      assert.equal(model.requestsTo("chat")[0].body.model, "openai/gpt-4o-mini", "the version's model");

      const rolled = await rpcOk(admin, "rollback_prompt", { name: "conversational" });
      assert.equal(rolled.version, 1);
      const onV1 = await chat(alice.supabase, {
        chat_id: chatRow.id,
        content: "Another idea",
        agent: "conversational",
      });
      assert.deepEqual(onV1.one("message_start").prompt, { name: "conversational", version: 1 });
      assert.match(systemOf(model.requestsTo("chat")[1]), /the conversational agent of a hardware assistant/);
      assert.doesNotMatch(systemOf(model.requestsTo("chat")[1]), /MARKER-V2/);

      const after = await rpcOk<Loose[]>(admin, "get_prompt_performance", { name: "conversational" });
      assert.equal(runsOf(after, version) - runsOf(before, version), 1, "one run on v2");
      assert.equal(runsOf(after, 1) - runsOf(before, 1), 1, "one on v1");
      assert.equal(after.find((r) => r.version === version)?.success_rate, 1);
      const compared = await rpcOk(admin, "compare_prompt_versions", { name: "conversational", a: 1, b: version });
      assert.equal(compared.changes.model.to, "openai/gpt-4o-mini");
    } finally {
      await admin.rpc("set_prompt_label", { name: "conversational", label: "production", version: 1 });
    }
  });

  test("the chat's own agent answers without routing; a user's own agent can be named", async (s) => {
    const alice = await signedInUser(s, "persona");
    const agents = await rpcOk<Loose[]>(alice.supabase, "list_agents");
    const jung = agents.find((a) => a.name === "jungian_interpreter")!;
    const dreamChat = await rpcOk(alice.supabase, "create_chat", { title: "About my dream", agent_id: jung.id });
    model.chat(script.reply("The tower may be the self."));
    const turn = await chat(alice.supabase, { chat_id: dreamChat.id, content: "I climbed a tower that had no top." });
    assert.deepEqual([turn.one("message_start").agent, turn.one("done").status], ["jungian_interpreter", "complete"]);
    assert.equal(model.requestsTo("chat").length, 1, "no routing");
    const system = systemOf(model.requestsTo("chat")[0]);
    assert.match(system, /Jungian dream interpreter/);
    assert.match(system, /\bbeing_chased\b/, "{{themes}} filled from the catalogue");
    assert.equal(model.requestsTo("chat")[0].body.tools, undefined, "an interpreter has no tools");

    await rpcOk(alice.supabase, "create_agent", {
      name: "my_helper",
      display_name: "My helper",
      prompt_name: "conversational",
    });
    model.reset();
    model.chat(script.reply("At your service."));
    const own = await chat(alice.supabase, { chat_id: dreamChat.id, content: "Hello", agent: "my_helper" });
    assert.equal(own.one("message_start").agent, "my_helper");
    assert.match(systemOf(model.requestsTo("chat")[0]), /You are My helper, the conversational agent/);
    const bob = await signedInUser(s, "not-the-owner");
    const bobChat = await rpcOk(bob.supabase, "create_chat", { title: "Mine" });
    const theirs = await chat(bob.supabase, { chat_id: bobChat.id, content: "Hi", agent: "my_helper" });
    assert.deepEqual([theirs.status, theirs.one("http_error").code], [400, "UNKNOWN_AGENT"], "another user's agent");
  });

  test("a client that disconnects: the answer is still completed and stored", async (s) => {
    const alice = await signedInUser(s, "leaver");
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Long answer" });
    const full = "A long answer, streamed slowly, that the client will not wait for. ".repeat(4).trim();
    model.chat(script.reply(full, { chunkSize: 8, chunkDelayMs: 25 }));
    const hangUp = new AbortController();
    const res = await fetch(`${s.url}/functions/v1/chat`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${alice.session.access_token}`,
        apikey: s.anonKey,
        "content-type": "application/json",
      },
      body: JSON.stringify({ chat_id: chatRow.id, content: "Tell me everything", agent: "conversational" }),
      signal: hangUp.signal,
    });
    assert.equal(res.status, 200);
    const seen: string[] = [];
    for await (const item of readSse(res.body!)) {
      if (item.type !== "event") continue;
      seen.push(item.event);
      if (item.event === "delta") break;
    }
    hangUp.abort();
    assert.deepEqual(seen, ["message_start", "delta"]);
    const answer = await settledAnswer(alice.supabase, chatRow.id);
    assert.equal(answer.status, "complete");
    assert.equal(answer.content, full, "the whole answer is stored");
    assert.ok(answer.output_tokens > 0);
    assert.equal(model.requestsTo("chat")[0].outcome, "complete", "the model's stream was read to its end");
  });

  test("provider failures store the answer as an error with its reason, never as complete", async (s) => {
    const alice = await signedInUser(s, "unlucky");
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Failures" });
    const runOf = async (messageId: string) =>
      (await s.engine.db.query<{ error_class: string | null; success: boolean }>(
        `select error_class, success from public.prompt_runs where message_id = $1 order by started_at`,
        [messageId],
      )).map((r) => r.error_class);
    const cases: [string, ReturnType<typeof script.error> | ReturnType<typeof script.reply>, string, string][] = [
      ["500", script.error(500), "PROVIDER_ERROR", "provider_error"],
      ["429", script.error(429, { headers: { "retry-after": "7" } }), "PROVIDER_RATE_LIMITED", "rate_limited"],
      [
        "a stream cut mid-answer",
        script.reply("The BME280 is better because", { chunkSize: 4, cut: { afterChunks: 4 } }),
        "PROVIDER_ERROR",
        "cut_stream",
      ],
      [
        "a stream that ends without finishing",
        script.reply("The BME280 is", { chunkSize: 4, cut: { afterChunks: 3, mode: "end" } }),
        "PROVIDER_ERROR",
        "cut_stream",
      ],
      ["a first token too slow", script.reply("Too late", { firstTokenDelayMs: 6000 }), "PROVIDER_TIMEOUT", "timeout"],
    ];
    for (const [name, behaviour, code, errorClass] of cases) {
      model.reset();
      model.chat(behaviour);
      const turn = await chat(alice.supabase, {
        chat_id: chatRow.id,
        content: `Case: ${name}`,
        agent: "conversational",
      });
      assert.equal(turn.status, 200, name);
      const error = turn.one("error");
      assert.equal(error.code, code, `${name}: ${JSON.stringify(error)}`);
      assert.equal(turn.of("done").length, 0, name);
      const stored = (await messages(alice.supabase, chatRow.id)).at(-1)!;
      assert.equal(stored.id, error.message_id, name);
      assert.equal(stored.status, "error", name);
      assert.equal(stored.metadata.error.code, code, name);
      assert.equal(stored.parts.at(-1).type, "error", name);
      assert.equal(stored.content, turn.text, `${name}: the text received so far, kept with the error`);
      assert.deepEqual(await runOf(stored.id), [errorClass], name);
    }

    // a slow first token within the timeout is waited for
    model.reset();
    model.chat(script.reply("Worth the wait.", { firstTokenDelayMs: 400 }));
    const slow = await chat(alice.supabase, { chat_id: chatRow.id, content: "Slowly", agent: "conversational" });
    const done = slow.one("done");
    assert.equal(done.status, "complete");
    assert.ok(done.ttft_ms >= 400, `ttft ${done.ttft_ms}`);

    // the orchestrator failing: an error before any agent started
    model.reset();
    model.chat(script.error(503));
    const routed = await chat(alice.supabase, { chat_id: chatRow.id, content: "Route me" });
    assert.equal(routed.of("message_start").length, 0);
    assert.equal(routed.one("error").code, "PROVIDER_ERROR");
    const stored = (await messages(alice.supabase, chatRow.id)).at(-1)!;
    assert.deepEqual([stored.status, stored.content, stored.metadata.error.code], ["error", "", "PROVIDER_ERROR"]);
    assert.deepEqual(await runOf(stored.id), ["provider_error"]);
  });

  test("invalid tool arguments are told to the agent, which corrects them; nothing invalid is stored", async (s) => {
    const alice = await signedInUser(s, "sloppy");
    const project = await rpcOk(alice.supabase, "create_project", { name: "Sloppy station" });
    const chatRow = await rpcOk(alice.supabase, "create_chat", { project_id: project.id });
    const bad = { components: [{ name: "ESP32", quantity: -1, unit_price: 9.5, currency: "USD" }] };
    model.chat(
      script.toolCalls([{ name: "create_artifact", arguments: '{"type": "bom", "title": "BOM", ' }]),
      script.toolCalls([{ name: "create_artifact", arguments: { type: "bom", content_json: WEATHER_BOM } }]),
      script.toolCalls([{ name: "create_artifact", arguments: { type: "bom", title: "BOM", content_json: bad } }]),
      script.toolCalls([{
        name: "create_artifact",
        arguments: { type: "bom", title: "BOM", content_json: WEATHER_BOM },
      }]),
      script.reply("Done, after a few tries."),
    );
    const turn = await chat(alice.supabase, { chat_id: chatRow.id, content: "A BOM please", agent: "bom_generator" });
    assert.equal(turn.one("done").status, "complete", JSON.stringify(turn.events));
    assert.equal(turn.one("artifact").version_number, 1, "only the valid call wrote something");
    const results = model.requestsTo("chat").slice(1).map((r) => JSON.parse(r.body.messages.at(-1).content));
    assert.match(results[0].error, /not valid JSON/);
    assert.match(results[1].error, /invalid arguments: title/);
    assert.equal(results[2].error, "content_json.components[0].quantity must be an integer greater than 0");
    assert.equal(results[3].ok, true);
    const artifacts = await rpcOk<Loose[]>(alice.supabase, "list_artifacts", { chat_id: chatRow.id });
    assert.equal(artifacts.length, 1);
    const versions = await rpcOk<Loose[]>(alice.supabase, "list_artifact_versions", { artifact_id: artifacts[0].id });
    assert.equal(versions.length, 1);
    const reply = (await messages(alice.supabase, chatRow.id)).at(-1)!;
    assert.deepEqual(reply.parts.map((p: Loose) => p.status), ["error", "error", "error", "ok"]);
  });

  test("an orchestrator answer that is not a route: recorded as such, the conversational agent answers", async (s) => {
    const alice = await signedInUser(s, "routed");
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Routing" });
    model.chat(script.reply("I think the BOM agent?"), script.reply("Happy to help."));
    const turn = await chat(alice.supabase, { chat_id: chatRow.id, content: "Hello" });
    assert.equal(turn.one("message_start").agent, "conversational");
    assert.equal(turn.one("done").status, "complete");
    const runs = await s.engine.db.query<{ prompt_name: string; success: boolean; error_class: string | null }>(
      `select prompt_name, success, error_class from public.prompt_runs where chat_id = $1 order by started_at`,
      [chatRow.id],
    );
    assert.deepEqual(runs.map((r) => [r.prompt_name, r.success, r.error_class]), [
      ["orchestrator", false, "invalid_output"],
      ["conversational", true, null],
    ]);
  });

  test("a replayed client_message_id runs no agent twice, also while the first answer is under way", async (s) => {
    const alice = await signedInUser(s, "replayer");
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Replays" });
    model.chat(script.reply("The one and only answer."));
    const body = { chat_id: chatRow.id, content: "Once", client_message_id: "once-1", agent: "conversational" };
    const first = await chat(alice.supabase, body);
    const again = await chat(alice.supabase, body);
    assert.equal(model.requestsTo("chat").length, 1, "the model was called once");
    const start = again.one("message_start");
    assert.equal(start.replayed, true);
    assert.equal(start.message_id, first.one("message_start").message_id);
    assert.equal(again.text, "The one and only answer.");
    assert.equal(again.one("done").usage.output_tokens, first.one("done").usage.output_tokens);
    assert.equal((await messages(alice.supabase, chatRow.id)).length, 2);

    // sent again while the first answer streams: the replay waits for it
    model.reset();
    model.chat(script.reply("Slow and single.", { chunkSize: 2, chunkDelayMs: 40 }));
    const twice = { chat_id: chatRow.id, content: "Twice", client_message_id: "twice-1", agent: "conversational" };
    const original = chat(alice.supabase, twice);
    await new Promise((r) => setTimeout(r, 300));
    const replay = await chat(alice.supabase, twice);
    const firstOne = await original;
    assert.equal(model.requestsTo("chat").length, 1);
    assert.equal(replay.one("message_start").message_id, firstOne.one("message_start").message_id);
    assert.equal(replay.text, "Slow and single.");
    assert.equal(replay.one("done").status, "complete");
  });

  test("a prompt that needs a variable the function does not provide fails clearly", async (s) => {
    const alice = await signedInUser(s, "templated");
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Template" });
    const admin = service(s);
    await rpcOk(admin, "create_prompt_version", {
      name: "wiring_generator",
      template: "Wire it for {{board}} in {{agent_name}} style.",
      model: "openai/gpt-4o",
      labels: ["production"],
    });
    try {
      const turn = await chat(alice.supabase, { chat_id: chatRow.id, content: "Wire it", agent: "wiring_generator" });
      const error = turn.one("error");
      assert.equal(error.code, "PROMPT_VARIABLE_MISSING");
      assert.match(error.error, /Prompt wiring_generator version \d+ uses \{\{board\}\}/);
      assert.equal(model.requestsTo("chat").length, 0, "nothing was sent to the model");
      const stored = (await messages(alice.supabase, chatRow.id)).at(-1)!;
      assert.equal(stored.status, "error");
    } finally {
      await rpcOk(admin, "rollback_prompt", { name: "wiring_generator" });
    }
  });

  test("refused requests: bad body, anon, another user's chat, a viewer, an unknown agent", async (s) => {
    const alice = await signedInUser(s, "owner");
    const bob = await signedInUser(s, "stranger");
    const chatRow = await rpcOk(alice.supabase, "create_chat", { title: "Private" });
    const bad = await chat(alice.supabase, { chat_id: "nope", content: "" });
    assert.equal(bad.status, 400);
    assert.equal(bad.one("http_error").code, "INVALID_REQUEST");
    assert.deepEqual(bad.one("http_error").issues.map((i: Loose) => i.path[0]).sort(), ["chat_id", "content"]);
    const anon = await api(s, "/functions/v1/chat", {
      body: { chat_id: chatRow.id, content: "hi" },
      token: s.anonKey,
    });
    assert.equal(anon.status, 401);
    const stranger = await chat(bob.supabase, { chat_id: chatRow.id, content: "hi" });
    assert.equal(stranger.status, 404);
    assert.equal(stranger.one("http_error").code, "PT404");
    await rpcOk(alice.supabase, "add_chat_member", { chat_id: chatRow.id, user_id: bob.id, role: "viewer" });
    const viewer = await chat(bob.supabase, { chat_id: chatRow.id, content: "hi" });
    assert.equal(viewer.status, 403);
    const unknown = await chat(alice.supabase, { chat_id: chatRow.id, content: "hi", agent: "wizard" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.one("http_error").code, "UNKNOWN_AGENT");
    assert.equal(model.requestsTo("chat").length, 0);
    assert.deepEqual(await messages(alice.supabase, chatRow.id), [], "nothing was written");
  });
}
