/**
 * functions/_shared/record-conversation.ts: recording a turn never blocks the agent (the call
 * returns before the RPC answers), failures that may pass are retried with backoff and refusals are
 * not, what finally fails is reported, never thrown; and against a real stack (every engine),
 * recording the same turn twice writes each message once (idempotent by client ids).
 */
import assert from "node:assert/strict";
import { recordConversation, RecordError, retryable } from "../../functions/_shared/record-conversation.ts";
import type { Client } from "../../functions/_shared/supabase.ts";
import { settled } from "../../functions/_shared/background.ts";
import { quiet } from "../helpers/console.ts";
import { signedInUser, startTestStack, testEngines } from "../e2e/_stack.ts";

const turn = {
  continuation_id: "debug-7f3a",
  agent_name: "debug",
  messages: [
    { client_message_id: "debug-7f3a:1:user", role: "user" as const, content: "Why does it crash?" },
    {
      client_message_id: "debug-7f3a:1:assistant",
      role: "assistant" as const,
      content: "A null pointer in init().",
      agent_model: "zhipu/glm-4.6",
      input_tokens: 812,
      output_tokens: 240,
    },
  ],
};

/** A client whose rpc answers from a script, one answer per call (after `delayMs`). */
function scriptedClient(answers: ({ status: number; code?: string } | "ok" | "throw")[], delayMs = 0) {
  let calls = 0;
  const client = {
    async rpc() {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      await new Promise((r) => setTimeout(r, delayMs));
      if (answer === "throw") throw new TypeError("fetch failed");
      if (answer === "ok") return { data: { chat_id: "c1", inserted: 2 }, error: null, status: 200 };
      return {
        data: null,
        error: { code: answer.code ?? "", message: `status ${answer.status}` },
        status: answer.status,
      };
    },
  } as unknown as Client;
  return { client, calls: () => calls };
}

Deno.test("record conversation: returns at once; the RPC runs in the background", async () => {
  const { client, calls } = scriptedClient(["ok"], 100);
  const started = performance.now();
  const recording = recordConversation(client, turn);
  assert.ok(performance.now() - started < 20, "the agent did not wait");
  let done = false;
  recording.then(() => done = true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(done, false, "still recording");
  assert.deepEqual(await recording, { chat_id: "c1", inserted: 2 });
  assert.equal(calls(), 1);
  await settled();
});

Deno.test("record conversation: retried while it may pass (no answer, 503, 429), not when refused", async () => {
  const flaky = scriptedClient(["throw", { status: 503, code: "PGRST001" }, { status: 429 }, "ok"]);
  assert.deepEqual(await recordConversation(flaky.client, turn, { baseDelayMs: 5 }), { chat_id: "c1", inserted: 2 });
  assert.equal(flaky.calls(), 4);

  const failures: RecordError[] = [];
  const refused = scriptedClient([{ status: 400, code: "22023" }]);
  const { value, logged } = await quiet(() =>
    recordConversation(refused.client, turn, { baseDelayMs: 5, onFailure: (e) => failures.push(e) })
  );
  assert.equal(value, null);
  assert.equal(refused.calls(), 1, "a refusal is not retried");
  assert.deepEqual([failures[0].status, failures[0].code, failures[0].attempts], [400, "22023", 1]);
  assert.match(logged[0], /recording conversation debug-7f3a failed after 1 attempt/);

  const down = scriptedClient([{ status: 502 }]);
  const { value: gaveUp } = await quiet(() => recordConversation(down.client, turn, { attempts: 3, baseDelayMs: 5 }));
  assert.equal(gaveUp, null);
  assert.equal(down.calls(), 3, "at most the attempts given");
  assert.deepEqual([0, 408, 429, 500, 503].map((s) => retryable(s, null)), [true, true, true, true, true]);
  assert.deepEqual([400, 401, 403, 404, 409].map((s) => retryable(s, null)), [false, false, false, false, false]);
});

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: record conversation: the same turn recorded twice writes each message once`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const stack = await startTestStack(kind);
      try {
        const user = await signedInUser(stack, "agent-server");
        const first = await recordConversation(user.supabase as unknown as Client, turn);
        const again = await recordConversation(user.supabase as unknown as Client, turn);
        assert.deepEqual([first?.inserted, first?.skipped, first?.created], [2, 0, true]);
        assert.deepEqual([again?.inserted, again?.skipped, again?.message_count], [0, 2, 2]);
        assert.equal(again?.chat_id, first?.chat_id);
      } finally {
        await stack.stop();
      }
    },
  });
}
