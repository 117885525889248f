/**
 * functions/_shared/model-call.ts against the scripted OpenAI-compatible server: every call is one
 * prompt run (model, start, latency, time to first token, tokens, success, error class), streamed
 * text and tool calls are gathered, and each failure a provider has becomes its answer and class:
 * 429, 500, a stream cut three ways, a first token too slow; text received before a failure is
 * kept apart (never a complete answer).
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ModelCallError, ModelCalls, readModelSettings } from "../../functions/_shared/model-call.ts";
import { script, startOpenAIServer } from "../helpers/openai-server.ts";

const prompt = { name: "bom_generator", version: 2 };
const body = { model: "openai/gpt-4o", messages: [{ role: "user" as const, content: "a weather station" }] };

function callsFor(server: ReturnType<typeof startOpenAIServer>, timeoutMs = 2000) {
  return new ModelCalls(new OpenAI({ ...server.clientOptions(), maxRetries: 0 }), { timeoutMs, maxRetries: 0 });
}

Deno.test("model calls: a stream's text, tool calls, usage and time to first token, as one run", async () => {
  await using server = startOpenAIServer();
  server.chat(
    script.reply("Use a BME280 sensor.", {
      chunkSize: 3,
      firstTokenDelayMs: 120,
      usage: { prompt_tokens: 50, completion_tokens: 6 },
    }),
    script.toolCalls([
      { name: "create_artifact", arguments: { type: "bom", title: "BOM" } },
      { name: "update_artifact", arguments: '{"artifact_id": "x"' },
    ]),
  );
  const calls = callsFor(server);
  const pieces: string[] = [];
  const answer = await calls.stream(
    { prompt, agent: "bom_generator", metadata: { step: "answer" } },
    body,
    (t) => pieces.push(t),
  );
  assert.equal(answer.content, "Use a BME280 sensor.");
  assert.ok(pieces.length > 3, "the text arrived in pieces");
  assert.equal(answer.finishReason, "stop");
  assert.deepEqual(answer.usage, { input: 50, output: 6, estimated: false });
  assert.ok(answer.ttftMs! >= 120, `ttft ${answer.ttftMs}`);
  assert.equal(server.requestsTo("chat")[0].body.stream_options.include_usage, true);

  const tools = await calls.stream({ prompt }, body, () => {});
  assert.deepEqual(tools.toolCalls.map((c) => [c.name, c.arguments]), [
    ["create_artifact", '{"type":"bom","title":"BOM"}'],
    ["update_artifact", '{"artifact_id": "x"'],
  ]);
  assert.equal(tools.finishReason, "tool_calls");

  assert.equal(calls.runs.length, 2);
  const [run] = calls.runs;
  assert.deepEqual(
    [run.prompt_name, run.prompt_version, run.agent_name, run.model, run.success, run.error_class, run.input_tokens],
    ["bom_generator", 2, "bom_generator", "openai/gpt-4o", true, null, 50],
  );
  assert.ok(run.latency_ms >= run.ttft_ms! && run.ttft_ms! >= 120);
  assert.deepEqual(run.metadata, { step: "answer" });
  assert.ok(calls.modelMs >= run.latency_ms);
});

Deno.test("model calls: provider failures become their answers and error classes, partial text kept apart", async () => {
  await using server = startOpenAIServer();
  const cases: [string, Parameters<typeof server.chat>[0], number, string, string][] = [
    ["429", script.error(429, { headers: { "retry-after": "3" } }), 503, "PROVIDER_RATE_LIMITED", "rate_limited"],
    ["500", script.error(500), 502, "PROVIDER_ERROR", "provider_error"],
    ["401", script.error(401), 502, "PROVIDER_AUTH", "auth"],
    ["400", script.error(400, { message: "bad model" }), 502, "PROVIDER_REJECTED", "rejected"],
    [
      "cut (abort)",
      script.reply("Partial answer here", { chunkSize: 4, cut: { afterChunks: 3 } }),
      502,
      "PROVIDER_ERROR",
      "cut_stream",
    ],
    [
      "cut (end)",
      script.reply("Partial answer here", { chunkSize: 4, cut: { afterChunks: 3, mode: "end" } }),
      502,
      "PROVIDER_ERROR",
      "cut_stream",
    ],
    [
      "cut (error)",
      script.reply("Partial answer here", { chunkSize: 4, cut: { afterChunks: 3, mode: "error" } }),
      502,
      "PROVIDER_ERROR",
      "cut_stream",
    ],
    ["slow first token", script.reply("Late", { firstTokenDelayMs: 1500 }), 504, "PROVIDER_TIMEOUT", "timeout"],
    [
      "stalled stream",
      script.reply("Stalls after this", { chunkSize: 4, chunkDelayMs: 1500 }),
      504,
      "PROVIDER_TIMEOUT",
      "timeout",
    ],
  ];
  for (const [name, behaviour, status, code, errorClass] of cases) {
    server.reset();
    server.chat(behaviour);
    const calls = callsFor(server, 600);
    const received: string[] = [];
    const error = await calls.stream({ prompt }, body, (t) => received.push(t)).then(
      () => assert.fail(`${name}: no error`),
      (e) => e,
    );
    assert.ok(error instanceof ModelCallError, `${name}: ${error}`);
    assert.deepEqual([error.http.status, error.http.code, error.errorClass], [status, code, errorClass], name);
    assert.equal(error.partial, received.join(""), `${name}: the text received before it failed`);
    assert.deepEqual(
      [calls.runs.length, calls.runs[0].success, calls.runs[0].error_class],
      [1, false, errorClass],
      name,
    );
  }
});

Deno.test("model calls: a completion not streamed, and an answer marked unusable", async () => {
  await using server = startOpenAIServer();
  server.chat(
    script.reply('{"intent": "bom"}', { usage: { prompt_tokens: 20, completion_tokens: 5 } }),
    script.error(503),
  );
  const calls = callsFor(server);
  const done = await calls.complete({ prompt: { name: "orchestrator", version: 1 }, agent: "orchestrator" }, body);
  assert.equal(done.content, '{"intent": "bom"}');
  assert.equal(done.ttftMs, null);
  calls.markFailed("invalid_output", "not a route");
  assert.deepEqual([calls.runs[0].success, calls.runs[0].error_class, calls.runs[0].input_tokens], [
    false,
    "invalid_output",
    20,
  ]);
  await assert.rejects(
    calls.complete({ prompt }, body),
    (e) => e instanceof ModelCallError && e.errorClass === "provider_error",
  );
  assert.equal(calls.runs.length, 2);
});

Deno.test("model calls: PARLEY_MODEL_TIMEOUT_MS and PARLEY_MODEL_MAX_RETRIES", () => {
  const source = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  assert.deepEqual(readModelSettings(source({ PARLEY_MODEL_TIMEOUT_MS: "5000", PARLEY_MODEL_MAX_RETRIES: "0" })), {
    timeoutMs: 5000,
    maxRetries: 0,
  });
  assert.deepEqual(readModelSettings(source({ PARLEY_MODEL_TIMEOUT_MS: "soon" })), {
    timeoutMs: undefined,
    maxRetries: undefined,
  });
});
