/**
 * functions/_shared/openai.ts against the scripted OpenAI-compatible server
 * (tests/helpers/openai-server.ts): the environment, the 503 without a key, the official SDK
 * talking to the server (completions, streams with tool calls and usage, embeddings in both
 * encodings), and the provider's failures as the SDK raises them and as functions answer them
 * (429, 500, a wrong key, a slow first token, a timeout, a stream cut three ways).
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { HttpError } from "../../functions/_shared/errors.ts";
import { modelFor, openaiClient, providerError, readOpenAIEnv } from "../../functions/_shared/openai.ts";
import { embeddingFor, script, startOpenAIServer } from "../helpers/openai-server.ts";

const source = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
const messages = [{ role: "user" as const, content: "weather station with ESP32" }];

/** The SDK client for a scripted server, as a function builds it from its environment. */
const clientFor = (
  server: ReturnType<typeof startOpenAIServer>,
  options: { maxRetries?: number; timeout?: number } = {},
) => openaiClient(readOpenAIEnv(source(server.env())), { maxRetries: 0, ...options });

Deno.test("openai: settings are OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_DEFAULT_MODEL", () => {
  assert.deepEqual(
    readOpenAIEnv(source({ OPENAI_API_KEY: "sk-1", OPENAI_BASE_URL: "http://llm/v1", OPENAI_DEFAULT_MODEL: "m" })),
    { apiKey: "sk-1", baseURL: "http://llm/v1", defaultModel: "m" },
  );
  assert.deepEqual(readOpenAIEnv(source({ OPENAI_API_KEY: "  " })), {
    apiKey: null,
    baseURL: null,
    defaultModel: null,
  });
  const client = openaiClient({ apiKey: "sk-1", baseURL: null, defaultModel: null });
  assert.equal(client.baseURL, "https://api.openai.com/v1", "OpenAI's own endpoint by default");
  assert.equal(
    openaiClient({ apiKey: "k", baseURL: "http://llm:11434/v1", defaultModel: null }).baseURL,
    "http://llm:11434/v1",
  );
});

Deno.test("openai: without a key, a 503 naming OPENAI_API_KEY; without a model, a 503 naming OPENAI_DEFAULT_MODEL", () => {
  assert.throws(
    () => openaiClient(readOpenAIEnv(source({ OPENAI_BASE_URL: "http://llm/v1" }))),
    (e) =>
      e instanceof HttpError && e.status === 503 && e.code === "PROVIDER_NOT_CONFIGURED" &&
      e.message.includes("OPENAI_API_KEY"),
  );
  const env = { apiKey: "k", baseURL: null, defaultModel: "gpt-4o-mini" };
  assert.equal(modelFor(env, "gpt-4.1"), "gpt-4.1", "the prompt version's model first");
  assert.equal(modelFor(env, null), "gpt-4o-mini");
  assert.throws(
    () => modelFor({ ...env, defaultModel: null }, " "),
    (e) => e instanceof HttpError && e.status === 503 && e.message.includes("OPENAI_DEFAULT_MODEL"),
  );
});

Deno.test("openai: a completion, and the request as the server logged it", async () => {
  await using server = startOpenAIServer();
  server.chat(script.reply("Use a BME280.", { usage: { prompt_tokens: 11, completion_tokens: 4 } }));
  const openai = clientFor(server);
  const completion = await openai.chat.completions.create({ model: "gpt-4o-mini", messages, temperature: 0.2 });
  assert.equal(completion.object, "chat.completion");
  assert.equal(completion.model, "gpt-4o-mini");
  assert.deepEqual(completion.choices[0].message, {
    role: "assistant",
    content: "Use a BME280.",
    refusal: null,
    annotations: [],
  });
  assert.equal(completion.choices[0].finish_reason, "stop");
  assert.deepEqual(
    [completion.usage?.prompt_tokens, completion.usage?.completion_tokens, completion.usage?.total_tokens],
    [11, 4, 15],
  );

  const [request] = server.requestsTo("chat");
  assert.equal(request.headers.authorization, `Bearer ${server.apiKey}`);
  assert.deepEqual(request.body, { model: "gpt-4o-mini", messages, temperature: 0.2 });
  assert.equal(request.outcome, "complete");

  const unscripted = await openai.chat.completions.create({ model: "m", messages });
  assert.equal(unscripted.choices[0].message.content, "Hello from the scripted model.");
});

Deno.test("openai: tool calls, not streamed", async () => {
  await using server = startOpenAIServer();
  server.chat(script.toolCalls([{ name: "create_artifact", arguments: { kind: "bom", title: "Weather station" } }]));
  const completion = await clientFor(server).chat.completions.create({ model: "m", messages });
  const message = completion.choices[0].message;
  assert.equal(message.content, null);
  assert.equal(completion.choices[0].finish_reason, "tool_calls");
  assert.equal(message.tool_calls?.length, 1);
  const call = message.tool_calls![0];
  assert.equal(call.type, "function");
  assert.ok(call.type === "function" && call.id.startsWith("call_"));
  assert.ok(call.type === "function" && call.function.name === "create_artifact");
  assert.deepEqual(call.type === "function" && JSON.parse(call.function.arguments), {
    kind: "bom",
    title: "Weather station",
  });
});

Deno.test("openai: a stream of content deltas, then finish_reason, then usage in a last chunk without choices", async () => {
  await using server = startOpenAIServer();
  server.chat(script.reply("The DHT22 is swapped for a BME280.", { chunkSize: 5 }));
  const stream = await clientFor(server).chat.completions.create({
    model: "m",
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "", refusal: null });
  const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("");
  assert.equal(text, "The DHT22 is swapped for a BME280.");
  assert.equal(chunks.length, 1 + Math.ceil(text.length / 5) + 2);
  const last = chunks.at(-1)!;
  const finish = chunks.at(-2)!;
  assert.equal(finish.choices[0].finish_reason, "stop");
  assert.deepEqual(finish.choices[0].delta, {});
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage && last.usage.total_tokens === last.usage.prompt_tokens + last.usage.completion_tokens);
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null), "usage is null in every other chunk");
  assert.ok(chunks.every((c) => c.id === chunks[0].id && c.object === "chat.completion.chunk"));

  // without include_usage: no usage field at all, and no choice-less chunk
  const plain = await clientFor(server).chat.completions.create({ model: "m", messages, stream: true });
  const plainChunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of plain) plainChunks.push(chunk);
  assert.ok(plainChunks.every((c) => !("usage" in c) && c.choices.length === 1));
});

Deno.test("openai: streamed tool calls (header, then argument deltas) as the SDK's stream helper assembles them", async () => {
  await using server = startOpenAIServer();
  const bom = { parts: [{ name: "ESP32", qty: 1 }, { name: "BME280", qty: 1 }] };
  server.chat(script.toolCalls([
    { id: "call_1", name: "create_artifact", arguments: bom },
    { id: "call_2", name: "update_artifact", arguments: '{"version": 2}' },
  ], { chunkSize: 7 }));
  const openai = clientFor(server);
  const runner = openai.chat.completions.stream({ model: "m", messages, stream_options: { include_usage: true } });
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls!;
  assert.equal(final.choices[0].finish_reason, "tool_calls");
  assert.deepEqual(
    calls.map((c) => c.type === "function" && [c.id, c.function.name, JSON.parse(c.function.arguments)]),
    [
      ["call_1", "create_artifact", bom],
      ["call_2", "update_artifact", { version: 2 }],
    ],
  );
  assert.ok(final.usage && final.usage.completion_tokens > 0);

  // the raw chunks: the first carries the role and the first call's header with empty arguments
  server.chat(script.toolCalls([{ id: "call_9", name: "f", arguments: "{}" }]));
  const raw: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of await openai.chat.completions.create({ model: "m", messages, stream: true })) raw.push(c);
  assert.deepEqual(raw[0].choices[0].delta, {
    role: "assistant",
    content: null,
    tool_calls: [{ index: 0, id: "call_9", type: "function", function: { name: "f", arguments: "" } }],
    refusal: null,
  });
  assert.deepEqual(raw[1].choices[0].delta, { tool_calls: [{ index: 0, function: { arguments: "{}" } }] });
});

Deno.test("openai: embeddings are deterministic vectors, base64 (the SDK's default) or floats, of the asked dimensions", async () => {
  await using server = startOpenAIServer({ dimensions: 8 });
  const openai = clientFor(server);
  const res = await openai.embeddings.create({
    model: "text-embedding-3-small",
    input: ["sore knee after a jog", "cat"],
  });
  assert.equal(server.requestsTo("embeddings")[0].body.encoding_format, "base64");
  assert.equal(res.object, "list");
  assert.deepEqual(res.data.map((d) => [d.object, d.index, d.embedding.length]), [["embedding", 0, 8], [
    "embedding",
    1,
    8,
  ]]);
  assert.deepEqual(res.data[0].embedding, embeddingFor("sore knee after a jog", 8));
  const norm = Math.hypot(...res.data[1].embedding);
  assert.ok(Math.abs(norm - 1) < 1e-6, `unit length, got ${norm}`);
  assert.deepEqual(res.usage, { prompt_tokens: 7, total_tokens: 7 });

  const floats = await openai.embeddings.create({ model: "m", input: "cat", encoding_format: "float", dimensions: 4 });
  assert.deepEqual(floats.data[0].embedding, embeddingFor("cat", 4));
  assert.notDeepEqual(embeddingFor("cat", 4), embeddingFor("dog", 4));
});

Deno.test("openai: scripted embeddings: wrong dimensions, exact vectors with NaN, an error for one batch", async () => {
  await using server = startOpenAIServer({ dimensions: 4 });
  const openai = clientFor(server);
  server.embeddings(
    script.embeddings({ dimensions: 3 }),
    script.embeddings({ vectors: [[1, Number.NaN, 0, 0]] }),
    script.error(500),
  );
  const wrong = await openai.embeddings.create({ model: "m", input: "a" });
  assert.equal(wrong.data[0].embedding.length, 3);
  const nan = await openai.embeddings.create({ model: "m", input: "b" });
  assert.ok(Number.isNaN(nan.data[0].embedding[1]));
  await assert.rejects(openai.embeddings.create({ model: "m", input: "c" }), OpenAI.InternalServerError);
  const again = await openai.embeddings.create({ model: "m", input: "c" });
  assert.equal(again.data[0].embedding.length, 4, "the queue is used up: back to the default");
});

Deno.test("openai: a 429 in OpenAI's error shape; the SDK raises RateLimitError, functions answer 503 with Retry-After", async () => {
  await using server = startOpenAIServer();
  server.chat(script.error(429, { headers: { "retry-after": "7" } }));
  const error = await clientFor(server).chat.completions.create({ model: "m", messages }).catch((e) => e);
  assert.ok(error instanceof OpenAI.RateLimitError);
  assert.equal(error.status, 429);
  assert.equal(error.code, "rate_limit_exceeded");
  assert.equal(error.type, "requests");
  assert.deepEqual(Object.keys(error.error as object).sort(), ["code", "message", "param", "type"]);
  const answer = providerError(error)!;
  assert.equal(answer.status, 503);
  assert.equal(answer.code, "PROVIDER_RATE_LIMITED");
  assert.equal(answer.headers["Retry-After"], "7");
  assert.equal(answer.retryable, true);
});

Deno.test("openai: a 500 is retried by the SDK (maxRetries), and answered 502 when it persists", async () => {
  await using server = startOpenAIServer();
  server.chat(script.error(500, { headers: { "retry-after-ms": "1" } }), script.reply("second time lucky"));
  const retried = await clientFor(server, { maxRetries: 1 }).chat.completions.create({ model: "m", messages });
  assert.equal(retried.choices[0].message.content, "second time lucky");
  const attempts = server.requestsTo("chat");
  assert.equal(attempts.length, 2);
  assert.equal(attempts[1].headers["x-stainless-retry-count"], "1");

  server.chat(script.error(500, { message: "overloaded" }));
  const error = await clientFor(server).chat.completions.create({ model: "m", messages }).catch((e) => e);
  assert.ok(error instanceof OpenAI.InternalServerError);
  assert.match(error.message, /overloaded/);
  const answer = providerError(error)!;
  assert.deepEqual([answer.status, answer.code, answer.retryable], [502, "PROVIDER_ERROR", true]);
  assert.equal(answer.message, "The model provider failed", "the provider's words stay in the log");
});

Deno.test("openai: a wrong key is a 401 from the server, answered 502 PROVIDER_AUTH; a rejected request 502 with its reason", async () => {
  await using server = startOpenAIServer({ apiKey: "sk-right" });
  const wrong = openaiClient({ apiKey: "sk-wrong-key-123", baseURL: server.baseURL, defaultModel: null }, {
    maxRetries: 0,
  });
  const error = await wrong.chat.completions.create({ model: "m", messages }).catch((e) => e);
  assert.ok(error instanceof OpenAI.AuthenticationError);
  assert.equal(error.code, "invalid_api_key");
  assert.ok(!error.message.includes("sk-wrong-key-123"), "the key is redacted");
  assert.deepEqual([providerError(error)!.status, providerError(error)!.code], [502, "PROVIDER_AUTH"]);

  server.chat(script.error(404, { message: "The model `gpt-9` does not exist" }));
  const right = openaiClient({ apiKey: "sk-right", baseURL: server.baseURL, defaultModel: null }, { maxRetries: 0 });
  const missing = await right.chat.completions.create({ model: "gpt-9", messages }).catch((e) => e);
  assert.ok(missing instanceof OpenAI.NotFoundError);
  const answer = providerError(missing)!;
  assert.deepEqual([answer.status, answer.code], [502, "PROVIDER_REJECTED"]);
  assert.equal(answer.message, "The model provider refused the request: The model `gpt-9` does not exist");
  assert.equal(providerError(new Error("not the SDK's")), null);
});

Deno.test("openai: a slow first token: headers at once, the first chunk later", async () => {
  await using server = startOpenAIServer();
  server.chat(script.reply("late", { firstTokenDelayMs: 300 }));
  const started = performance.now();
  const stream = await clientFor(server).chat.completions.create({ model: "m", messages, stream: true });
  const headersAfter = performance.now() - started;
  let firstAfter = 0;
  for await (const _ of stream) {
    firstAfter ||= performance.now() - started;
  }
  assert.ok(headersAfter < 250, `headers after ${headersAfter} ms`);
  assert.ok(firstAfter >= 290, `first chunk after ${firstAfter} ms`);
});

Deno.test("openai: no answer within the SDK's timeout is APIConnectionTimeoutError, answered 504", async () => {
  await using server = startOpenAIServer();
  server.chat(script.reply("too late", { delayMs: 500 }));
  const error = await clientFor(server, { timeout: 100 }).chat.completions.create({ model: "m", messages }).catch((e) =>
    e
  );
  assert.ok(error instanceof OpenAI.APIConnectionTimeoutError, String(error));
  assert.deepEqual([providerError(error)!.status, providerError(error)!.code], [504, "PROVIDER_TIMEOUT"]);
});

Deno.test("openai: a stream cut mid-answer: broken connection, quiet end without finish_reason, or an error event", async () => {
  await using server = startOpenAIServer();
  const openai = clientFor(server);
  const read = async () => {
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    try {
      for await (const c of await openai.chat.completions.create({ model: "m", messages, stream: true })) {
        chunks.push(c);
      }
      return { chunks, error: null };
    } catch (error) {
      return { chunks, error };
    }
  };
  const answer = "A long answer that never finishes.";

  server.chat(script.reply(answer, { chunkSize: 4, cut: { afterChunks: 3 } }));
  const broken = await read();
  assert.equal(broken.chunks.length, 3);
  assert.ok(broken.error, "the SDK's iteration fails");
  assert.equal(server.requestsTo("chat")[0].outcome, "cut");

  server.chat(script.reply(answer, { chunkSize: 4, cut: { afterChunks: 3, mode: "end" } }));
  const quiet = await read();
  assert.equal(quiet.error, null, "the SDK sees a quiet end…");
  assert.ok(quiet.chunks.every((c) => c.choices[0].finish_reason === null), "…with no finish_reason: a half answer");

  server.chat(
    script.reply(answer, { chunkSize: 4, cut: { afterChunks: 2, mode: "error", error: { message: "boom" } } }),
  );
  const errored = await read();
  assert.equal(errored.chunks.length, 2);
  assert.ok(errored.error instanceof OpenAI.APIError);
  assert.match(errored.error.message, /boom/);
  assert.deepEqual([providerError(errored.error)!.status, providerError(errored.error)!.code], [502, "PROVIDER_ERROR"]);
});

Deno.test("openai server: a responder function, unknown routes, bad requests, reset", async () => {
  await using server = startOpenAIServer({
    respond: (req) => req.body?.messages?.[0]?.content === "ping" ? script.reply("pong") : undefined,
  });
  const openai = clientFor(server);
  const pong = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "ping" }] });
  assert.equal(pong.choices[0].message.content, "pong");

  const unknown = await fetch(`${server.baseURL}/nope`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.apiKey}` },
  });
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), {
    error: { message: "Invalid URL (POST /v1/nope)", type: "invalid_request_error", param: null, code: null },
  });
  const noModel = await openai.chat.completions.create({ messages } as never).catch((e) => e);
  assert.ok(noModel instanceof OpenAI.BadRequestError);
  assert.match(noModel.message, /model/);
  const noMessages = await openai.chat.completions.create({ model: "m", messages: [] }).catch((e) => e);
  assert.ok(noMessages instanceof OpenAI.BadRequestError);
  assert.equal(noMessages.param, "messages");

  assert.equal(server.requests.length, 4);
  server.reset();
  assert.equal(server.requests.length, 0);
});

Deno.test("openai server: closing breaks open streams", async () => {
  const server = startOpenAIServer();
  server.chat(script.reply("never ends", { chunkSize: 1, chunkDelayMs: 50 }));
  const stream = await clientFor(server).chat.completions.create({ model: "m", messages, stream: true });
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.next();
  await server.close();
  await assert.rejects(async () => {
    while (!(await iterator.next()).done) { /* read on */ }
  });
});
