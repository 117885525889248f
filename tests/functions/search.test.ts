/**
 * The search function against a scripted OpenAI-compatible server: the query embedded with the
 * active model, hybrid_search run as the caller (their entries only); full text alone when the
 * provider fails; 400 for a bad body, 401 without a user.
 */
import assert from "node:assert/strict";
import { signedInUser, startTestStack, testEngines } from "../e2e/_stack.ts";
import { makeSearch } from "../../functions/search/handler.ts";
import { defaultProviders } from "../../functions/_shared/embeddings.ts";
import { embeddingFor, script, startOpenAIServer } from "../helpers/openai-server.ts";
import { quiet } from "../helpers/console.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: search embeds the query with the active model and runs hybrid_search as the caller`,
    ...slow,
    async fn() {
      const stack = await startTestStack(kind);
      const server = startOpenAIServer({ dimensions: 8 });
      try {
        await stack.engine.db.exec(`
          select public.service_role_register_embedding_model('test-8d', 'openai', 'test-embed', 8,
            options => '{"dimensions": 8}');
          select public.service_role_update_embedding_model('test-8d', active => true);`);
        const alice = await signedInUser(stack, "alice");
        const bob = await signedInUser(stack, "bob");
        const { data: knee } = await alice.supabase.rpc("upsert_entry", {
          facets: ["note"],
          title: "Knee",
          body_markdown: "sore knee",
        });
        const { data: other } = await bob.supabase.rpc("upsert_entry", {
          facets: ["note"],
          title: "Knee",
          body_markdown: "sore knee",
        });
        // their vectors: the scripted server's vector of the query, as if the texts meant the same
        for (const [id, owner] of [[knee.id, alice.id], [other.id, bob.id]]) {
          await stack.engine.db.query(
            `insert into public.embeddings (source_table, source_id, model, user_id, content_hash, embedding, job_id)
             values ('entries', $1, 'test-8d', $2, repeat('0', 64), $3::text::extensions.vector, 0)`,
            [id, owner, JSON.stringify(embeddingFor("aching joints", 8))],
          );
        }
        const search = makeSearch({ url: stack.url, anonKey: stack.anonKey, serviceRoleKey: stack.serviceRoleKey }, {
          providers: defaultProviders({ apiKey: server.apiKey, baseURL: server.baseURL, defaultModel: null }),
        });
        const call = async (body: unknown, token?: string) => {
          const res = await search.fetch(
            new Request("http://fn/search", {
              method: "POST",
              headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
              body: JSON.stringify(body),
            }),
          );
          return { status: res.status, body: await res.json() };
        };

        const found = await call({ query: "aching joints" }, alice.session.access_token);
        assert.equal(found.status, 200, JSON.stringify(found.body));
        assert.equal(found.body.model, "test-8d");
        assert.equal(found.body.semantic, true);
        assert.deepEqual(found.body.results.map((r: { id: string }) => r.id), [knee.id], "the caller's entry only");
        assert.equal(found.body.results[0].semantic_rank, 1);
        assert.equal(found.body.results[0].full_text_rank, null, "no word in common");
        assert.equal(server.requestsTo("embeddings")[0].body.input[0], "aching joints");

        server.embeddings(script.error(500));
        const degraded = await quiet(() => call({ query: "knee" }, alice.session.access_token)).then((r) => r.value);
        assert.equal(degraded.status, 200);
        assert.equal(degraded.body.semantic, false);
        assert.match(degraded.body.reason, /provider/);
        assert.deepEqual(degraded.body.results.map((r: { id: string }) => r.id), [knee.id], "full text alone");

        assert.equal((await call({ query: "" }, alice.session.access_token)).status, 400);
        assert.equal((await call({ query: "x", sources: ["people"] }, alice.session.access_token)).status, 400);
        assert.equal((await call({ query: "knee" })).status, 401);
        assert.equal((await call({ query: "knee" }, stack.anonKey)).status, 401);
      } finally {
        await server.close();
        await stack.stop();
      }
    },
  });
}
