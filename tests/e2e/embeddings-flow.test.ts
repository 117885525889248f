/**
 * The embedding pipeline end to end with the local model (Universal Sentence Encoder Lite, offline),
 * on each engine, as on a project: journal entries written through supabase-js enqueue jobs; the
 * schedule (the stack's scheduler on PGlite, pg_cron on native Postgres: every minute on pg_cron
 * 1.4) runs the backfill step and wakes the embed function with net.http_post, the URL and service
 * key read from the local Vault; the embed function (through the gateway) writes the vectors. Then
 * "my knee hurt after running" finds the entry about a sore knee after a jog: through the search
 * function (hybrid_search as the user) and through search_entries with the query embedded by the
 * same model. Another user finds nothing of it.
 */
import assert from "node:assert/strict";
import { rpcOk, signedInUser, stackFixture, stackTest, stopStackAfterTests, testEngines } from "./_stack.ts";
import { localProvider } from "../../functions/_shared/embeddings.ts";

const QUERY = "my knee hurt after running";

for (const kind of testEngines()) {
  const stack = stackFixture(kind, { services: true });
  stopStackAfterTests(stack);

  stackTest(stack, "a journal entry becomes findable by meaning after the scheduled backfill", async (s) => {
    const alice = await signedInUser(s, "alice");
    const entries = [
      {
        title: "Morning jog",
        body_markdown: "Went for a jog by the river. My knee was sore afterwards, so I iced it.",
      },
      { title: "Groceries", body_markdown: "Bought milk, eggs, bread and some apples at the market." },
      { title: "Budget meeting", body_markdown: "Quarterly budget review with the finance team; we cut travel costs." },
      { title: "Book club", body_markdown: "Discussed the novel's ending over tea; everyone disliked the narrator." },
    ];
    const ids: string[] = [];
    for (const e of entries) ids.push((await rpcOk(alice.supabase, "upsert_entry", { facets: ["note"], ...e })).id);

    // the schedule, the net worker and the embed function do the rest
    const deadline = Date.now() + 180_000; // pg_cron 1.4 runs it at the next minute; a loaded machine is slow
    let embedded = 0;
    while (Date.now() < deadline) {
      const [row] = await s.engine.db.query<{ n: number }>(
        `select count(*)::integer as n from public.embeddings where model = 'use-lite' and source_id = any ($1::uuid[])`,
        [ids],
      );
      embedded = row.n;
      if (embedded === ids.length) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(embedded, ids.length, "every entry has its vector");
    // the function writes the vectors before it answers: its answer reaches net._http_response a moment later
    let wake: { status: number } | undefined;
    while (Date.now() < deadline) {
      [wake] = await s.engine.db.query<{ status: number }>(
        `select r.status_code as status from net._http_response r where r.status_code is not null order by r.created limit 1`,
      );
      if (wake) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(
      wake && [200, 207].includes(wake.status),
      `the schedule woke the embed function (${JSON.stringify(wake)})`,
    );

    // the search function: hybrid_search as the user, the query embedded with the active model
    const { data, error } = await alice.supabase.functions.invoke("search", { body: { query: QUERY } });
    assert.equal(error, null, String(error));
    assert.equal(data.model, "use-lite");
    assert.equal(data.semantic, true);
    assert.equal(data.results[0].id, ids[0], JSON.stringify(data.results.map((r: { title: string }) => r.title)));
    assert.equal(data.results[0].semantic_rank, 1, "first by meaning (no word of the query is in it but 'knee')");

    // search_entries with the query vector of the same model
    const { vectors: [vector] } = await localProvider().embed(
      { name: "use-lite", provider: "local", provider_model: "universal-sentence-encoder-lite" } as never,
      [QUERY],
      AbortSignal.timeout(30_000),
    );
    const hits = await rpcOk(alice.supabase, "search_entries", {
      query_embedding: JSON.stringify(vector),
      match_threshold: 0.3,
      match_count: 3,
    });
    assert.equal(hits[0].id, ids[0], JSON.stringify(hits));
    assert.ok(hits[0].similarity > 0.5, `similarity ${hits[0].similarity}`);

    // nobody else finds it
    const bob = await signedInUser(s, "bob");
    const theirs = await rpcOk(bob.supabase, "search_entries", {
      query_embedding: JSON.stringify(vector),
      match_threshold: -1,
    });
    assert.deepEqual(theirs, []);
    const bobSearch = await bob.supabase.functions.invoke("search", { body: { query: QUERY } });
    assert.deepEqual(bobSearch.data.results, []);
  });
}
