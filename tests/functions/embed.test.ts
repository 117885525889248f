/**
 * The embed worker against a scripted OpenAI-compatible server, on a stack of each engine: it
 * batches (one provider call per batch), a provider 500 on one batch fails only that batch's jobs
 * (retried later), vectors of the wrong dimensions or with NaN fail only their job, a slow provider
 * past the time budget stops the worker (it claims nothing more and its jobs wait for a retry), and
 * a worker killed mid-batch loses nothing: its jobs are claimed again once their lease expires and
 * each gets one vector; the killed worker's lease writes nothing. Only the service role may call it.
 */
import assert from "node:assert/strict";
import { signedInUser, startTestStack, testEngines, type TestStack } from "../e2e/_stack.ts";
import { makeEmbed } from "../../functions/embed/handler.ts";
import { defaultProviders, tokenShares } from "../../functions/_shared/embeddings.ts";
import { embeddingFor, estimateTokens, script, startOpenAIServer } from "../helpers/openai-server.ts";
import { quiet } from "../helpers/console.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };
const DIMS = 8;

interface Fixture {
  stack: TestStack;
  server: ReturnType<typeof startOpenAIServer>;
  embed: ReturnType<typeof makeEmbed>;
  user: Awaited<ReturnType<typeof signedInUser>>;
  call(body?: Record<string, unknown>, token?: string): Promise<{ status: number; body: EmbedAnswer }>;
  entries(n: number, prefix: string): Promise<string[]>;
  count(sql: string, params?: unknown[]): Promise<number>;
}

interface EmbedAnswer {
  completed: number[];
  failed: { id: number; error: string; retryable?: boolean; code?: string }[];
  models: { name: string; claimed: number; written: number; batches: number }[];
  skipped: { model: string; reason: string }[];
  stopped: string;
  elapsed_ms: number;
}

async function setup(kind: "pglite" | "native"): Promise<Fixture> {
  const stack = await startTestStack(kind);
  const server = startOpenAIServer({ dimensions: DIMS });
  // a test model on the scripted server, active; the local model off, so every job is this model's
  await stack.engine.db.exec(`
    select public.service_role_register_embedding_model('test-8d', 'openai', 'test-embed', ${DIMS}, batch_size => 4,
      options => '{"dimensions": ${DIMS}}');
    select public.service_role_update_embedding_model('test-8d', active => true);
    select public.service_role_update_embedding_model('use-lite', enabled => false);`);
  const env = { url: stack.url, anonKey: stack.anonKey, serviceRoleKey: stack.serviceRoleKey };
  const embed = makeEmbed(env, {
    providers: defaultProviders({ apiKey: server.apiKey, baseURL: server.baseURL, defaultModel: null }),
  });
  const user = await signedInUser(stack, "embed");
  const fixture: Fixture = {
    stack,
    server,
    embed,
    user,
    async call(body = {}, token = stack.serviceRoleKey) {
      const res = await embed.fetch(
        new Request("http://fn/embed", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
      return { status: res.status, body: await res.json() };
    },
    async entries(n, prefix) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const { data, error } = await user.supabase.rpc("upsert_entry", {
          facets: ["note"],
          title: `${prefix} ${i}`,
          body_markdown: `${prefix} body ${i}`,
        });
        assert.equal(error, null);
        ids.push(data.id);
      }
      return ids;
    },
    async count(sql, params = []) {
      const [row] = await stack.engine.db.query<{ n: number }>(`select (${sql})::integer as n`, params);
      return row.n;
    },
  };
  return fixture;
}

async function teardown(f: Fixture) {
  await f.server.close();
  await f.stack.stop();
}

Deno.test("tokenShares: a batch's tokens split by the texts' lengths, adding up to the count", () => {
  assert.deepEqual(tokenShares(["aaaa", "aaaa", "aa"], 11), [5, 4, 2]);
  assert.deepEqual(tokenShares(["a", "b", "c"], 2), [1, 1, 0]);
  assert.deepEqual(tokenShares(["", ""], 3), [2, 1]);
  const shares = tokenShares(["one text", "another, longer text", "x"], 97);
  assert.equal(shares.reduce((n, x) => n + x, 0), 97);
  // no count from the provider: about four characters a token
  assert.deepEqual(tokenShares(["abcd", "abcde", ""], undefined), [1, 2, 0]);
});

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: embed batches jobs, one provider call per batch, and writes their vectors`,
    ...slow,
    async fn() {
      const f = await setup(kind);
      try {
        const ids = await f.entries(10, "batching");
        assert.equal(await f.count(`select count(*) from private.embedding_jobs where state = 'pending'`), 10);
        const { status, body } = await f.call();
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(body.completed.length, 10);
        assert.deepEqual(body.failed, []);
        assert.equal(body.stopped, "drained");
        const requests = f.server.requestsTo("embeddings");
        assert.deepEqual(requests.map((r) => r.body.input.length), [4, 4, 2], "batches of the model's batch_size");
        assert.equal(requests[0].body.model, "test-embed", "the provider's model name");
        assert.equal(requests[0].body.dimensions, DIMS, "the model's options go with the request");
        assert.equal(
          await f.count(`select count(*) from public.embeddings where source_id = any ($1::uuid[])`, [ids]),
          10,
        );
        // the vector is the provider's for the entry's text
        const [row] = await f.stack.engine.db.query<{ embedding: string }>(
          `select embedding::text as embedding from public.embeddings where source_id = $1`,
          [ids[0]],
        );
        const expected = embeddingFor("batching 0\nbatching body 0", DIMS);
        JSON.parse(row.embedding).forEach((v: number, i: number) => assert.ok(Math.abs(v - expected[i]) < 1e-6));

        // the provider's tokens, in the usage ledger of the entries' owner: one event per job, adding
        // up to what the provider reported for the batches
        const reported = requests.flatMap((r) => r.body.input as string[]).reduce((n, t) => n + estimateTokens(t), 0);
        const [usage] = await f.stack.engine.db.query<{ events: number; tokens: number; jobs: number }>(
          `select count(*)::integer as events, sum(quantity)::integer as tokens,
             count(distinct source_id)::integer as jobs
           from public.usage_events
           where user_id = $1 and kind = 'embedding_tokens' and source_table = 'embedding_jobs'
             and model = 'openai/test-embed'`,
          [f.user.id],
        );
        assert.deepEqual(usage, { events: 10, tokens: reported, jobs: 10 });

        // unchanged text: the next run finds nothing to do and calls no provider
        f.server.reset();
        await f.stack.engine.db.query(`select private.enqueue_embeddings('entries', $1::uuid[])`, [ids]);
        const again = await f.call();
        assert.equal(again.body.completed.length, 0);
        assert.equal(f.server.requestsTo("embeddings").length, 0);

        // who may call it
        const user = await f.call({}, f.user.session.access_token);
        assert.equal(user.status, 401);
        assert.equal((user.body as unknown as { code: string }).code, "SERVICE_ROLE_REQUIRED");
        const bad = await f.call({ batch_size: 0 });
        assert.equal(bad.status, 400);
      } finally {
        await teardown(f);
      }
    },
  });

  Deno.test({
    name: `${kind}: embed: a provider 500 on one batch fails that batch only; wrong dimensions or NaN fail one job`,
    ...slow,
    async fn() {
      const f = await setup(kind);
      try {
        await f.entries(8, "errors");
        f.server.embeddings(script.error(500));
        const { status, body } = await quiet(() => f.call()).then((r) => r.value);
        assert.equal(status, 207);
        assert.equal(body.completed.length, 4, "the second batch is written");
        assert.equal(body.failed.length, 4, "the first batch failed");
        assert.ok(
          body.failed.every((x) => x.retryable === true && /provider/i.test(x.error)),
          JSON.stringify(body.failed),
        );
        assert.equal(
          await f.count(`select count(*) from private.embedding_jobs where state = 'pending' and last_error is not null
            and available_at > now()`),
          4,
          "its jobs wait for a retry after a backoff",
        );

        // one wrong vector, one with NaN, two good ones
        await f.stack.engine.db.exec(`delete from private.embedding_jobs`);
        const ids = await f.entries(4, "vectors");
        const good = embeddingFor("x", DIMS);
        f.server.embeddings(script.embeddings({ vectors: [good, good.slice(0, 3), [...good.slice(1), NaN], good] }));
        const mixed = await quiet(() => f.call()).then((r) => r.value);
        assert.equal(mixed.status, 207);
        assert.equal(mixed.body.completed.length, 2);
        const failures = mixed.body.failed.map((x) => x.error).sort();
        assert.deepEqual(failures, [
          `expected ${DIMS} dimensions, got 3`,
          "the vector has a value that is not a finite number (NaN or infinity)",
        ]);
        assert.ok(mixed.body.failed.every((x) => x.retryable === false));
        assert.equal(
          await f.count(`select count(*) from private.embedding_jobs where state = 'dead'`),
          2,
          "dead at once",
        );
        assert.equal(
          await f.count(`select count(*) from public.embeddings where source_id = any ($1::uuid[])`, [ids]),
          2,
        );
      } finally {
        await teardown(f);
      }
    },
  });

  Deno.test({
    name: `${kind}: embed stops claiming before its time budget; a slow provider's jobs wait for a retry`,
    ...slow,
    async fn() {
      const f = await setup(kind);
      try {
        await f.entries(8, "slow");
        f.server.embeddings(script.embeddings({ delayMs: 4000 }), script.embeddings({ delayMs: 4000 }));
        const started = performance.now();
        const { status, body } = await quiet(() => f.call({ time_budget_ms: 1500 })).then((r) => r.value);
        const elapsed = performance.now() - started;
        assert.equal(status, 207);
        assert.ok(elapsed < 3500, `answered after ${Math.round(elapsed)} ms, before the provider`);
        assert.equal(body.stopped, "time_budget");
        assert.equal(f.server.requestsTo("embeddings").length, 1, "no second batch was claimed");
        assert.equal(body.failed.length, 4);
        assert.ok(body.failed.every((x) => x.retryable === true), JSON.stringify(body.failed));
        assert.equal(await f.count(`select count(*) from private.embedding_jobs where state = 'running'`), 0);
        assert.equal(await f.count(`select count(*) from private.embedding_jobs where state = 'pending'`), 8);
      } finally {
        await teardown(f);
      }
    },
  });

  Deno.test({
    name: `${kind}: embed killed mid-batch: its jobs are claimed again after the lease and embedded once`,
    ...slow,
    async fn() {
      const f = await setup(kind);
      try {
        const ids = await f.entries(4, "killed");
        f.server.embeddings(script.embeddings({ delayMs: 10_000 }));
        const worker = new Worker(new URL("../helpers/embed-worker.ts", import.meta.url).href, { type: "module" });
        worker.postMessage({
          env: { url: f.stack.url, anonKey: f.stack.anonKey, serviceRoleKey: f.stack.serviceRoleKey },
          openai: { apiKey: f.server.apiKey, baseURL: f.server.baseURL },
          body: { lease_seconds: 6 },
          token: f.stack.serviceRoleKey,
        });
        // killed once its batch is at the provider
        for (let i = 0; i < 200 && f.server.requestsTo("embeddings").length === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(f.server.requestsTo("embeddings").length, 1, "the worker's batch reached the provider");
        const leases = await f.stack.engine.db.query<{ id: number; lease_token: string }>(
          `select id::integer, lease_token::text from private.embedding_jobs where state = 'running'`,
        );
        assert.equal(leases.length, 4);
        worker.terminate();

        // within the lease nothing is claimable; after it, another worker takes the jobs
        const early = await f.call();
        assert.equal(early.body.completed.length, 0);
        await new Promise((r) => setTimeout(r, 6200));
        const { status, body } = await f.call();
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual(body.completed.sort(), leases.map((l) => l.id).sort(), "the same jobs, claimed again");
        assert.equal(
          await f.count(`select count(*) from private.embedding_jobs where state = 'done' and attempts = 2`),
          4,
          "each claimed twice in all",
        );
        assert.equal(
          await f.count(`select count(*) from public.embeddings where source_id = any ($1::uuid[])`, [ids]),
          4,
        );
        // the killed worker's lease writes nothing, were it to come back
        const [late] = await f.stack.engine.db.query<{ statuses: string[] }>(
          `select array_agg(r.status) as statuses from public.service_role_complete_embedding_jobs($1::text::jsonb) r`,
          [JSON.stringify(leases.map((l) => ({
            job_id: l.id,
            lease_token: l.lease_token,
            content_hash: "0".repeat(64),
            embedding: Array(DIMS).fill(0.5),
          })))],
        );
        assert.deepEqual(late.statuses, ["lease_lost", "lease_lost", "lease_lost", "lease_lost"]);
        assert.equal(
          await f.count(
            `select count(*) from public.embeddings where source_id = any ($1::uuid[])
            and embedding::text like '[0.5,%'`,
            [ids],
          ),
          0,
        );
      } finally {
        await teardown(f);
      }
    },
  });
}
