/**
 * The interpret function end to end, on every engine, through the gateway with supabase-js and the
 * scripted model server: a dream interpreted by two interpreters (two interpretation artifacts on
 * the entry, themes with their confidence and source, a theme outside the catalogue left out), one
 * of them revising its interpretation (version 2, told its current text); a provider failure and an
 * answer that does not fit save nothing but are recorded as prompt runs; refused requests.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import {
  rpcOk,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
  type TestStack,
} from "./_stack.ts";
import { script, startOpenAIServer } from "../helpers/openai-server.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

const model = startOpenAIServer();
Deno.test.afterAll(() => model.close());
const envDir = Deno.makeTempDirSync({ prefix: "parley-interpret-env-" });
Deno.test.afterAll(() => Deno.remove(envDir, { recursive: true }));
const envFile = join(envDir, "functions.env");
Deno.writeTextFileSync(
  envFile,
  `OPENAI_API_KEY=${model.apiKey}\nOPENAI_BASE_URL=${model.baseURL}\nPARLEY_MODEL_MAX_RETRIES=0\n`,
);

async function interpret(supabase: SupabaseClient, body: Record<string, unknown>) {
  const { data, error } = await supabase.functions.invoke("interpret", { body });
  if (error) {
    const res = (error as { context?: Response }).context!;
    return { status: res.status, body: await res.json() as Loose };
  }
  return { status: 200, body: data as Loose };
}

const answer = (interpretation: string, themes: [string, number][], summary = "A dream of change.") =>
  script.reply(
    JSON.stringify({ interpretation, summary, themes: themes.map(([theme, confidence]) => ({ theme, confidence })) }),
  );

for (const kind of testEngines()) {
  const fixture = stackFixture(kind, { gateway: { functionsEnvFile: envFile } });
  stopStackAfterTests(fixture);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) =>
    stackTest(fixture, `agents interpret: ${name}`, async (s) => {
      model.reset();
      await fn(s);
    });

  test("a dream interpreted by two interpreters, then revised by one", async (s) => {
    const dreamer = await signedInUser(s, "dreamer");
    const dream = await rpcOk(dreamer.supabase, "create_dream", {
      title: "The flooded house",
      content: "Water rose through every room of my childhood home while my mother kept cooking.",
      mood: "anxious",
    });

    model.chat(answer("**The house** is the self; the water, the unconscious rising.", [
      ["water", 0.9],
      ["house", 0.7],
      ["unicorns", 0.4],
    ]));
    const jung = await interpret(dreamer.supabase, { entry_id: dream.id, interpreter: "jungian_interpreter" });
    assert.equal(jung.status, 200, JSON.stringify(jung.body));
    assert.deepEqual([jung.body.interpretation.version_number, jung.body.interpretation.created], [1, true]);
    assert.equal(jung.body.interpretation.title, "Jungian interpreter interpretation");
    assert.deepEqual(jung.body.themes, [{ theme: "water", confidence: 0.9 }, { theme: "house", confidence: 0.7 }]);
    assert.deepEqual(jung.body.dropped_themes, ["unicorns"]);
    assert.deepEqual(jung.body.prompt, { name: "dream_interpreter_jung", version: 1 });
    const asked = model.requestsTo("chat")[0].body;
    assert.equal(asked.model, "anthropic/claude-sonnet-4-5");
    assert.equal(asked.response_format.type, "json_schema");
    assert.match(asked.messages[0].content, /Jungian dream interpreter/);
    assert.match(asked.messages[0].content, /catalogue only.*: (\w+, ){30,}\w+\./s, "the theme catalogue");
    assert.match(asked.messages[0].content, /\bbeing_chased\b/);
    assert.match(asked.messages[1].content, /# The flooded house[\s\S]*Mood on waking: anxious[\s\S]*Water rose/);

    model.chat(answer("A wish to be cared for, displaced onto the flood.", [["water", 0.6], ["family", 0.8]]));
    const freud = await interpret(dreamer.supabase, { entry_id: dream.id, interpreter: "freudian_interpreter" });
    assert.equal(freud.status, 200, JSON.stringify(freud.body));
    assert.notEqual(freud.body.interpretation.artifact_id, jung.body.interpretation.artifact_id);

    const entry = await rpcOk(dreamer.supabase, "get_entry", { entry_id: dream.id });
    assert.deepEqual(
      entry.interpretations.map((i: Loose) => [i.agent_name, i.current_version]).sort(),
      [["freudian_interpreter", 1], ["jungian_interpreter", 1]],
    );
    assert.deepEqual(
      entry.themes.map((t: Loose) => [t.theme, t.confidence, t.source]).sort(),
      [["family", 0.8, "freudian_interpreter"], ["house", 0.7, "jungian_interpreter"], [
        "water",
        0.6,
        "freudian_interpreter",
      ]],
    );

    // the Jungian revises its own: version 2, told its current text
    model.reset();
    model.chat(answer("Revised: the flood is a renewal.", [["water", 0.95], ["transformation", 0.6]]));
    const revised = await interpret(dreamer.supabase, { entry_id: dream.id, interpreter: "jungian_interpreter" });
    assert.equal(revised.status, 200, JSON.stringify(revised.body));
    assert.equal(revised.body.interpretation.version_number, 2);
    assert.equal(revised.body.interpretation.artifact_id, jung.body.interpretation.artifact_id);
    assert.match(model.requestsTo("chat")[0].body.messages.at(-1).content, /current interpretation \(version 1\)/);
    const versions = await rpcOk<Loose[]>(dreamer.supabase, "list_artifact_versions", {
      artifact_id: jung.body.interpretation.artifact_id,
    });
    assert.equal(versions.length, 2);

    // every model call is a prompt run tied to the entry and its owner
    const runs = await s.engine.db.query<{ prompt_name: string; n: number }>(
      `select prompt_name, count(*)::int as n from public.prompt_runs where entry_id = $1 and user_id = $2 and success
       group by 1 order by 1`,
      [dream.id, dreamer.id],
    );
    assert.deepEqual(runs.map((r) => [r.prompt_name, r.n]), [["dream_interpreter_freud", 1], [
      "dream_interpreter_jung",
      2,
    ]]);
  });

  test("a provider failure or an answer that does not fit saves nothing, and is recorded", async (s) => {
    const dreamer = await signedInUser(s, "restless");
    const dream = await rpcOk(dreamer.supabase, "create_dream", { content: "I was falling from a tower." });
    model.chat(script.error(500));
    const failed = await interpret(dreamer.supabase, { entry_id: dream.id, interpreter: "freudian_interpreter" });
    assert.deepEqual([failed.status, failed.body.code], [502, "PROVIDER_ERROR"]);
    model.chat(script.reply("Falling means letting go."));
    const unfit = await interpret(dreamer.supabase, { entry_id: dream.id, interpreter: "freudian_interpreter" });
    assert.deepEqual([unfit.status, unfit.body.code], [502, "INVALID_MODEL_OUTPUT"]);
    model.chat(script.reply(JSON.stringify({ interpretation: "x", summary: "y", themes: [{ theme: "falling" }] })));
    const partial = await interpret(dreamer.supabase, { entry_id: dream.id, interpreter: "freudian_interpreter" });
    assert.equal(partial.status, 502);
    assert.match(partial.body.error, /themes\.0\.confidence/);
    const entry = await rpcOk(dreamer.supabase, "get_entry", { entry_id: dream.id });
    assert.deepEqual([entry.interpretations, entry.themes], [[], []], "nothing was saved");
    const runs = await s.engine.db.query<{ error_class: string | null }>(
      `select error_class from public.prompt_runs where entry_id = $1 order by started_at`,
      [dream.id],
    );
    assert.deepEqual(runs.map((r) => r.error_class), ["provider_error", "invalid_output", "invalid_output"]);
  });

  test("refused: not a dream, someone else's dream, not an interpreter, a bad body", async (s) => {
    const dreamer = await signedInUser(s, "private");
    const other = await signedInUser(s, "nosy");
    const dream = await rpcOk(dreamer.supabase, "create_dream", { content: "A quiet train." });
    const note = await rpcOk(dreamer.supabase, "upsert_entry", { facets: ["note"], body_markdown: "Buy milk" });
    const cases: [SupabaseClient, Record<string, unknown>, number, string][] = [
      [dreamer.supabase, { entry_id: note.id, interpreter: "jungian_interpreter" }, 400, "NOT_A_DREAM"],
      [other.supabase, { entry_id: dream.id, interpreter: "jungian_interpreter" }, 404, "PT404"],
      [dreamer.supabase, { entry_id: dream.id, interpreter: "bom_generator" }, 400, "UNKNOWN_INTERPRETER"],
      [dreamer.supabase, { entry_id: "x" }, 400, "INVALID_REQUEST"],
    ];
    for (const [who, body, status, code] of cases) {
      const res = await interpret(who, body);
      assert.deepEqual([res.status, res.body.code], [status, code], JSON.stringify(body));
    }
    assert.equal(model.requestsTo("chat").length, 0, "no model was asked");
  });
}
