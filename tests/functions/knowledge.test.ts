/**
 * functions/_shared/knowledge.ts with stand-ins for the search RPCs' answers (the real path, through
 * PostgREST to the database's hybrid_search, is in tests/e2e/agents-chat.test.ts):
 * hits of the shapes the search RPCs return become passages; a missing RPC (PGRST202) is
 * remembered for a minute and asked again after it; other failures are logged and give nothing.
 */
import assert from "node:assert/strict";
import { searchKnowledge } from "../../functions/_shared/knowledge.ts";
import type { Client } from "../../functions/_shared/supabase.ts";

type Answer = { data: unknown; error: { code: string; message: string } | null };

/** A client whose rpc answers from `answers` by function name, logging the calls. */
function fakeClient(answers: Record<string, () => Answer>) {
  const calls: { fn: string; args: Record<string, unknown> }[] = [];
  const client = {
    rpc(fn: string, args: Record<string, unknown>) {
      calls.push({ fn, args });
      return Promise.resolve(answers[fn]?.() ?? { data: null, error: { code: "PGRST202", message: "not found" } });
    },
  } as unknown as Client;
  return { client, calls };
}

Deno.test("knowledge: hybrid_search hits become passages; match_document_chunks first when there is an embedding", async () => {
  const { client, calls } = fakeClient({
    hybrid_search: () => ({
      data: [
        { source: "document_chunks", id: "c1", title: "Sensors", snippet: "The **BME280** reads pressure." },
        { source_table: "entries", source_id: 7, heading_path: ["Notes", "Power"], content: "Solar in winter." },
        { source: "messages", id: "m1" }, // nothing to quote: left out
      ],
      error: null,
    }),
    match_document_chunks: () => ({ data: [{ id: "c9", content: "Chunk by vector", title: null }], error: null }),
  });
  const knowledge = searchKnowledge();
  assert.deepEqual(await knowledge.retrieve(client, { text: "which sensor", limit: 5 }), [
    { source: "document_chunks", id: "c1", title: "Sensors", text: "The **BME280** reads pressure." },
    { source: "entries", id: "7", title: "Notes › Power", text: "Solar in winter." },
  ]);
  assert.deepEqual(calls[0], { fn: "hybrid_search", args: { query_text: "which sensor", match_count: 5 } });

  const withVector = await knowledge.retrieve(client, {
    text: "which sensor",
    embedding: [0.1, 0.2],
    agentId: "a1",
    limit: 3,
  });
  assert.deepEqual(withVector, [{ source: "document_chunks", id: "c9", title: null, text: "Chunk by vector" }]);
  assert.deepEqual(calls[1], {
    fn: "match_document_chunks",
    args: { query_embedding: [0.1, 0.2], match_count: 3, agent_id: "a1" },
  });
  assert.deepEqual(await knowledge.retrieve(client, { text: "   ", limit: 5 }), [], "no query, no search");
  assert.equal(calls.length, 2);
});

Deno.test("knowledge: a missing search RPC is remembered for a minute; other failures are logged", async () => {
  const { client, calls } = fakeClient({});
  const logged: string[] = [];
  const knowledge = searchKnowledge({ log: (line) => void logged.push(line) });
  assert.deepEqual(await knowledge.retrieve(client, { text: "x", limit: 5 }), []);
  assert.deepEqual(await knowledge.retrieve(client, { text: "y", limit: 5 }), []);
  assert.equal(calls.length, 1, "not asked again within the minute");
  assert.equal(logged.length, 0, "a missing RPC is not an error");

  const realNow = Date.now;
  Date.now = () => realNow() + 61_000;
  try {
    await knowledge.retrieve(client, { text: "z", limit: 5 });
    assert.equal(calls.length, 2, "asked again after it");
  } finally {
    Date.now = realNow;
  }

  const failing = fakeClient({ hybrid_search: () => ({ data: null, error: { code: "57014", message: "timeout" } }) });
  const fresh = searchKnowledge({ log: (line) => void logged.push(line) });
  assert.deepEqual(await fresh.retrieve(failing.client, { text: "x", limit: 5 }), []);
  assert.match(logged[0], /hybrid_search failed \(57014\): timeout/);
  const throwing = { rpc: () => Promise.reject(new Error("network down")) } as unknown as Client;
  assert.deepEqual(
    await searchKnowledge({ log: (l) => void logged.push(l) }).retrieve(throwing, { text: "x", limit: 5 }),
    [],
  );
  assert.match(logged.at(-1)!, /network down/);
});
