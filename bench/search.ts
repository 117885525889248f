/**
 * `npm run bench -- search [--scale 0.1] [--queries 200] [--seconds 5] [--skip-model]`: vector search,
 * hybrid search and the embedding queue on the native engine (a throwaway cluster), against exact
 * scans measured in the same run.
 *
 * Data (scale 1): 100 users with 10,000 vectors each (5,000 entries and 5,000 messages in 50 chats of
 * 100), plus 100,000 chunks of an agent's public knowledge: 1.1M vectors of 384 dimensions (the
 * seeded gte-small model, activated for the run), synthetic and clustered so that recall means
 * something: 200 topics; each user writes about 20 of them; a vector is a point of its topic in a
 * 32-dimensional latent space, projected into 384 dimensions with a little noise (real embeddings
 * vary along few directions), and its text has words of its topic among common words, so full text
 * and meaning agree. Rows of
 * different users are interleaved on disk, as they are written. --scale multiplies the vectors per
 * user and the public chunks.
 *
 * Measured, each query a user's (a random one of their topics' centre plus noise):
 * - per-user top-10 with the user's filter (search_entries as the user, RLS on): recall@10 against
 *   the exact scan of that user's entries, p95, and speed against the exact scan; also the raw
 *   approaches side by side: HNSW without iterative scans, HNSW with relaxed-order iterative scans
 *   (what the functions set) forced, and the user's rows scanned exactly;
 * - global top-10 over the knowledge chunks (match_document_chunks with the agent): recall, p95;
 * - hybrid_search p95 (two topic words and the query vector) over the messages and entries;
 * - the queue: 8 workers claiming and completing no-op jobs (completion without a vector):
 *   jobs per second with batches of 1 and of 25, and that no job was claimed twice;
 * - the local model (Universal Sentence Encoder Lite): texts embedded per second on one core.
 */
import postgres from "postgres";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { percentiles, printTable } from "./_stats.ts";
import { benchOptions, ms } from "./_measure.ts";
import { startEngine } from "../stack/db/engine.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { freePort } from "../stack/paths.ts";
import { LOCAL_MODEL, localProvider } from "../functions/_shared/embeddings.ts";

type Sql = postgres.Sql;

interface Options {
  scale: number;
  queries: number;
  seconds: number;
  skipModel: boolean;
}

function parseArgs(args: string[]): Options {
  const options = benchOptions(args, { scale: 1, queries: 200, seconds: 5, skipModel: false });
  if (!(options.scale > 0 && options.scale <= 1)) throw new Error("--scale must be in (0, 1]");
  if (!(options.queries >= 10)) throw new Error("--queries must be at least 10");
  return options;
}

const DIMS = 384;
const USERS = 100;
const TOPICS = 200;
const TOPICS_PER_USER = 20;
// Real embeddings vary along far fewer directions than they have dimensions: a vector here is a
// point of a 32-dimensional latent space (its topic's centre plus spread) projected into 384
// dimensions, plus a little isotropic noise. (Isotropic noise alone puts every point of a topic at
// about the same distance from a query, where "the 10 nearest" means nothing.)
const LATENT = 32;
const SPREAD = 0.7;
const NOISE = 0.02;
const MODEL = "gte-small";

// ------------------------------------------------------------------------------- random data

/** mulberry32: a small seeded generator, so every run builds the same data. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261204);
function gaussian(): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}
const projection = Array.from({ length: DIMS }, () => Float32Array.from({ length: LATENT }, gaussian));
const centres = Array.from({ length: TOPICS }, () => Float32Array.from({ length: LATENT }, gaussian));
function near(topic: number): Float32Array {
  const c = centres[topic];
  const latent = Float32Array.from({ length: LATENT }, (_, j) => c[j] + SPREAD * gaussian());
  const v = new Float32Array(DIMS);
  for (let i = 0; i < DIMS; i++) {
    const row = projection[i];
    let x = 0;
    for (let j = 0; j < LATENT; j++) x += row[j] * latent[j];
    v[i] = x / Math.sqrt(LATENT) + NOISE * gaussian();
  }
  return normalize(v);
}
const vectorText = (v: Float32Array) => "[" + Array.from(v, (x) => x.toFixed(5)).join(",") + "]";
const userTopics = (u: number) => Array.from({ length: TOPICS_PER_USER }, (_, j) => (u * 37 + j * 11) % TOPICS);

const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pa", "de", "gu", "zo", "fe", "bri", "tol", "mar"];
const word = (n: number) => SYLLABLES[n % 16] + SYLLABLES[(n >> 4) % 16] + SYLLABLES[(n >> 8) % 16] + "x";
/** Topic t's eight words, and 400 common ones. */
const topicWord = (t: number, j: number) => word(4096 + t * 8 + j);
const commonWord = () => word(Math.floor(random() * 400));
function text(topic: number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(i % 3 === 0 ? topicWord(topic, Math.floor(random() * 8)) : commonWord());
  return out.join(" ");
}
const uuid = () => crypto.randomUUID();
const userId = (u: number) => `e0000000-0000-4000-8000-${u.toString(16).padStart(12, "0")}`;
const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/\t/g, " ").replace(/\n/g, "\\n");

// ------------------------------------------------------------------------------------- run

export default async function run(args: string[]) {
  const options = parseArgs(args);
  const engine = await startEngine("native", { port: freePort(), log: () => {} });
  const url = engine.url;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const rows: string[][] = [];
  const report = (metric: string, value: string, baseline = "", ratioText = "", aim = "") => {
    rows.push([metric, value, baseline, ratioText, aim]);
    console.log(`  ${metric}: ${value}${baseline ? ` (${baseline})` : ""}${ratioText ? ` ${ratioText}` : ""}`);
  };
  try {
    await prepareDatabase(engine);
    const shape = await buildDataset(admin, url, options.scale);
    console.log(
      `dataset: ${shape.vectors.toLocaleString()} vectors of ${DIMS} dimensions (${USERS} users × ` +
        `${shape.perUser.toLocaleString()}, ${shape.chunks.toLocaleString()} public chunks); loaded in ${shape.loadSeconds}s, ` +
        `HNSW index built in ${shape.indexSeconds}s`,
    );

    const asUser = async (u: number) => {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      const claims = JSON.stringify({ sub: userId(u), role: "authenticated", aud: "authenticated" });
      await sql.unsafe(
        `select set_config('role', 'authenticated', false), set_config('request.jwt.claims', '${claims}', false)`,
      );
      return sql;
    };
    const queries = Array.from({ length: options.queries }, () => {
      const u = 1 + Math.floor(random() * USERS);
      const topic = userTopics(u)[Math.floor(random() * TOPICS_PER_USER)];
      return { u, topic, vector: vectorText(near(topic)), words: `${topicWord(topic, 1)} ${topicWord(topic, 2)}` };
    });
    const users = new Map<number, Sql>();
    for (const q of queries) if (!users.has(q.u)) users.set(q.u, await asUser(q.u));
    const agentId = shape.agentId;

    /** Server-side milliseconds of one statement, and its ids. */
    const timed = async (sql: Sql, query: string, setup = ""): Promise<{ ms: number; ids: string[] }> => {
      const [row] = await sql.unsafe<{ ms: number; ids: string[] }[]>(
        `select * from bench.timed_ids($1, $2)`,
        [query, setup],
      );
      return row;
    };
    const recall = (got: string[], truth: string[]) => got.filter((id) => truth.includes(id)).length / truth.length;

    // ---------------------------------------------------------------- per-user top-10
    console.log("per-user top-10 (entries of the user)…");
    const perUser = {
      rpc: [] as number[],
      exact: [] as number[],
      plain: [] as number[],
      iterative: [] as number[],
      rpcRecall: [] as number[],
      plainRecall: [] as number[],
      iterativeRecall: [] as number[],
      plainShort: 0,
    };
    const raw = (q: { u: number; vector: string }) =>
      `select e.source_id::text as id from public.embeddings e
       where e.model = '${MODEL}' and e.source_table = 'entries' and e.user_id = '${userId(q.u)}'
       order by e.embedding::extensions.vector(${DIMS}) operator(extensions.<=>) '${q.vector}' limit 10`;
    for (let round = 0; round < 2; round++) {
      for (const q of queries) {
        const sql = users.get(q.u)!;
        const exact = await timed(
          admin,
          `select e.source_id::text as id from public.embeddings e
           where e.model = '${MODEL}' and e.source_table = 'entries' and e.user_id = '${userId(q.u)}'
           order by e.embedding operator(extensions.<=>) '${q.vector}' limit 10`,
        );
        const rpc = await timed(sql, `select id::text from public.search_entries('${q.vector}', -1, 10)`);
        const plain = await timed(
          admin,
          raw(q),
          "set local enable_seqscan = off; set local enable_bitmapscan = off; set local hnsw.iterative_scan = off; " +
            "set local hnsw.ef_search = 40; set local enable_sort = off",
        );
        const iterative = await timed(
          admin,
          raw(q),
          "set local enable_seqscan = off; set local enable_bitmapscan = off; set local enable_sort = off; " +
            "set local hnsw.iterative_scan = relaxed_order; set local hnsw.ef_search = 100",
        );
        if (round === 0) continue; // warm-up
        perUser.exact.push(exact.ms);
        perUser.rpc.push(rpc.ms);
        perUser.plain.push(plain.ms);
        perUser.iterative.push(iterative.ms);
        perUser.rpcRecall.push(recall(rpc.ids, exact.ids));
        perUser.plainRecall.push(recall(plain.ids, exact.ids));
        perUser.iterativeRecall.push(recall(iterative.ids, exact.ids));
        if (plain.ids.length < 10) perUser.plainShort++;
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [rpcT, exactT, plainT, iterT] = [perUser.rpc, perUser.exact, perUser.plain, perUser.iterative].map(
      percentiles,
    );
    report(
      "search_entries as the user (exact: ≤ 10,000 vectors): recall@10",
      mean(perUser.rpcRecall).toFixed(3),
      "exact scan",
      "",
      "≥ 0.95",
    );
    report("  p95 (p50)", `${ms(rpcT.p95)} (${ms(rpcT.p50)})`, "", "", "≤ 10 ms");
    report(
      "  against the exact scan of the user's entries, p95",
      ms(rpcT.p95),
      `exact: ${ms(exactT.p95)} (p50 ${ms(exactT.p50)})`,
      `${(exactT.p95 / rpcT.p95).toFixed(1)}× faster`,
      "",
    );
    report(
      "  HNSW without iterative scan (ef_search 40): recall@10",
      mean(perUser.plainRecall).toFixed(3),
      `${perUser.plainShort} of ${perUser.plain.length} queries got < 10 rows`,
      `p95 ${ms(plainT.p95)}`,
      "(the problem)",
    );
    report(
      "  HNSW with relaxed-order iterative scan (forced): recall@10",
      mean(perUser.iterativeRecall).toFixed(3),
      "",
      `p95 ${ms(iterT.p95)} (p50 ${ms(iterT.p50)})`,
      "",
    );
    const [plan] = await (users.get(queries[0].u)!).unsafe<{ plan: string }[]>(
      `select string_agg(p, E'\\n') as plan from bench.explain($1) p`,
      [raw(queries[0])],
    );
    const shortPlan = plan.plan.replace(/'\[[^\]]*\]'/g, "'[…]'").split("\n").filter((l) =>
      !/SubPlan|InitPlan|Result|agents|ProjectSet|Filter: \(\(owner/.test(l)
    );
    console.log(
      `  left to itself, the planner walks the HNSW index for a user's query (search_entries scans exactly instead):\n${
        shortPlan.map((l) => `    ${l}`).join("\n")
      }`,
    );

    // ---------------------------------------------------------------- global top-10 over public chunks
    console.log("top-10 over the public knowledge…");
    const knowledge = { rpc: [] as number[], exact: [] as number[], recall: [] as number[] };
    for (let round = 0; round < 2; round++) {
      for (const q of queries) {
        const sql = users.get(q.u)!;
        const exact = await timed(
          admin,
          `select e.source_id::text as id from public.embeddings e
           where e.model = '${MODEL}' and e.source_table = 'document_chunks' and e.agent_id = '${agentId}'
           order by e.embedding operator(extensions.<=>) '${q.vector}' limit 10`,
          "set local enable_indexscan = on",
        );
        const rpc = await timed(
          sql,
          `select id::text from public.match_document_chunks('${q.vector}', 10, '${agentId}')`,
        );
        if (round === 0) continue;
        knowledge.exact.push(exact.ms);
        knowledge.rpc.push(rpc.ms);
        knowledge.recall.push(recall(rpc.ids, exact.ids));
      }
    }
    const [kRpc, kExact] = [knowledge.rpc, knowledge.exact].map(percentiles);
    report(
      "match_document_chunks, the agent's knowledge: recall@10",
      mean(knowledge.recall).toFixed(3),
      "",
      "",
      "≥ 0.95",
    );
    report(
      "  p95 (p50)",
      `${ms(kRpc.p95)} (${ms(kRpc.p50)})`,
      `exact: ${ms(kExact.p95)}`,
      `${(kExact.p95 / kRpc.p95).toFixed(1)}× faster`,
      "",
    );

    // ---------------------------------------------------------------- hybrid_search
    console.log("hybrid_search…");
    const hybrid: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (const q of queries) {
        const r = await timed(
          users.get(q.u)!,
          `select id::text from public.hybrid_search('${q.words}', '${q.vector}', array['entries', 'messages'], 10)`,
        );
        if (round > 0) hybrid.push(r.ms);
      }
    }
    const h = percentiles(hybrid);
    report(
      `hybrid_search over ${(shape.vectors - shape.chunks).toLocaleString()} messages and entries, p95 (p50)`,
      `${ms(h.p95)} (${ms(h.p50)})`,
    );

    // ---------------------------------------------------------------- the queue
    console.log("the queue…");
    for (const batch of [1, 25]) {
      const q = await queueThroughput(url, admin, batch, options.seconds);
      report(
        `queue: 8 workers claiming and completing no-op jobs, batches of ${batch}`,
        `${Math.round(q.perSecond).toLocaleString()} jobs/s`,
        `${q.jobs.toLocaleString()} jobs, ${q.duplicates} claimed twice`,
        "",
        batch === 25 ? "≥ 5,000/s" : "",
      );
    }

    // ---------------------------------------------------------------- the local model
    if (!options.skipModel) {
      console.log("the local model…");
      const provider = localProvider();
      const model = { name: "use-lite", provider: "local", provider_model: LOCAL_MODEL } as never;
      const texts = Array.from({ length: 64 }, (_, i) => `${text(i % TOPICS, 14)} number ${i}`);
      await provider.embed(model, texts.slice(0, 8), AbortSignal.timeout(60_000)); // load
      let done = 0;
      const started = performance.now();
      while (performance.now() - started < options.seconds * 1000) {
        await provider.embed(model, texts, AbortSignal.timeout(60_000));
        done += texts.length;
      }
      const perSecond = done / ((performance.now() - started) / 1000);
      report("local model: texts embedded per second (one core, batches of 64)", `${perSecond.toFixed(0)}/s`);
    }

    console.log("");
    printTable(["metric", "Parley", "baseline", "ratio", "aim"], rows, { rightFrom: 1 });
    for (const sql of users.values()) await sql.end();
  } finally {
    await admin.end().catch(() => {});
    await engine.stop();
  }
}

// ------------------------------------------------------------------------------- the dataset

interface Shape {
  vectors: number;
  perUser: number;
  chunks: number;
  agentId: string;
  loadSeconds: string;
  indexSeconds: string;
}

async function copyLines(url: string, statement: string, lines: () => Generator<string>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`set session_replication_role = replica`);
    const writable = await sql.unsafe(statement).writable();
    await pipeline(
      Readable.from((function* () {
        let chunk = "";
        for (const line of lines()) {
          chunk += line + "\n";
          if (chunk.length > 1 << 20) {
            yield chunk;
            chunk = "";
          }
        }
        if (chunk) yield chunk;
      })()),
      writable,
    );
  } finally {
    await sql.end();
  }
}

async function buildDataset(admin: Sql, url: string, scale: number): Promise<Shape> {
  const started = performance.now();
  const perUser = Math.max(200, Math.round(10_000 * scale / 200) * 200);
  const perChat = 100;
  const chats = perUser / 2 / perChat;
  const chunks = Math.max(1000, Math.round(100_000 * scale / 1000) * 1000);
  await admin.unsafe(`create schema if not exists bench; grant usage on schema bench to authenticated;`).simple();
  await admin.unsafe(BENCH_SQL).simple();
  await admin.unsafe(`
    select public.service_role_update_embedding_model('${MODEL}', active => true);
    select public.service_role_update_embedding_model('use-lite', enabled => false);
    set session_replication_role = replica;
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
      raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', ('e0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
      'authenticated', 'authenticated', 'search' || i || '@bench.parley.local', '', now(), '{}', '{}', now(), now()
    from generate_series(1, ${USERS}) i;
    drop index public.embeddings_gte_small_hnsw_idx;
    drop index public.entries_search_idx;
    drop index public.messages_content_search_idx;
    drop index public.embeddings_model_idx;
  `).simple();
  const [{ agent }] = await admin.unsafe<{ agent: string }[]>(
    `select id::text as agent from public.agents where name = 'conversational' and owner_id is null`,
  );

  // chats and their owners
  const chatIds: string[][] = Array.from({ length: USERS + 1 }, () => []);
  for (let u = 1; u <= USERS; u++) for (let c = 0; c < chats; c++) chatIds[u].push(uuid());
  await copyLines(url, `copy public.chats (id, owner_id, title) from stdin`, function* () {
    for (let u = 1; u <= USERS; u++) for (const c of chatIds[u]) yield `${c}\t${userId(u)}\tChat ${c.slice(0, 8)}`;
  });
  const docIds = Array.from({ length: chunks / 1000 }, () => uuid());
  await copyLines(
    url,
    `copy public.documents (id, agent_id, title, content_markdown, content_hash) from stdin`,
    function* () {
      for (const [i, d] of docIds.entries()) {
        yield `${d}\t${agent}\tHandbook ${i}\t(chunks only)\t${i.toString(16).padStart(64, "0")}`;
      }
    },
  );

  // entries, messages, chunks, and one vector each; users interleaved, as they write
  // what each vector is of; the vectors themselves are drawn when they are written
  const embeddings: Item[] = [];
  const half = perUser / 2;
  await copyLines(
    url,
    `copy public.entries (id, user_id, facets, title, body_markdown, occurred_at) from stdin`,
    function* () {
      for (let k = 0; k < half; k++) {
        for (let u = 1; u <= USERS; u++) {
          const topic = userTopics(u)[Math.floor(random() * TOPICS_PER_USER)];
          const id = uuid();
          embeddings.push({ source: "entries", id, user: userId(u), chat: null, agent: null, topic });
          yield `${id}\t${userId(u)}\t{note}\t${topicWord(topic, 0)} ${commonWord()}\t${esc(text(topic, 18))}\t` +
            new Date(Date.UTC(2024, 0, 1) + k * 3_600_000).toISOString();
        }
      }
    },
  );
  await flushEmbeddings(url, embeddings);
  await copyLines(
    url,
    `copy public.messages (id, chat_id, sequence_number, parent_id, depth, segment_start, segment_ancestry, role,
       content, author_id, chat_owner_id, created_at) from stdin`,
    function* () {
      for (let n = 1; n <= perChat; n++) {
        for (let u = 1; u <= USERS; u++) {
          for (const [ci, chat] of chatIds[u].entries()) {
            const topic = userTopics(u)[(ci * 7 + n) % TOPICS_PER_USER];
            const id = `${chat.slice(0, 24)}${n.toString(16).padStart(12, "0")}`;
            const parent = n > 1 ? `${chat.slice(0, 24)}${(n - 1).toString(16).padStart(12, "0")}` : "\\N";
            embeddings.push({ source: "messages", id, user: userId(u), chat, agent: null, topic });
            yield `${id}\t${chat}\t${n}\t${parent}\t${n}\t1\t${n === 1 ? "{}" : "\\N"}\t` +
              `${n % 2 ? "user" : "assistant"}\t${esc(text(topic, 24))}\t${userId(u)}\t${userId(u)}\t` +
              new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
          }
        }
      }
    },
  );
  await flushEmbeddings(url, embeddings);
  await copyLines(
    url,
    `copy public.document_chunks (id, document_id, agent_id, chunk_index, heading_path, content) from stdin`,
    function* () {
      for (let i = 0; i < chunks; i++) {
        const topic = Math.floor(random() * TOPICS);
        const id = uuid();
        embeddings.push({ source: "document_chunks", id, user: null, chat: null, agent, topic });
        yield `${id}\t${docIds[Math.floor(i / 1000)]}\t${agent}\t${i % 1000}\t{"Topic ${topic}"}\t${
          esc(text(topic, 40))
        }`;
      }
    },
  );
  await flushEmbeddings(url, embeddings);
  const loadSeconds = ((performance.now() - started) / 1000).toFixed(0);

  const indexStarted = performance.now();
  await admin.unsafe(`
    set maintenance_work_mem = '6GB';
    set max_parallel_maintenance_workers = 1;
    create index embeddings_gte_small_hnsw_idx on public.embeddings
      using hnsw ((embedding::extensions.vector(384)) extensions.vector_cosine_ops) where model = 'gte-small';
  `).simple();
  const indexSeconds = ((performance.now() - indexStarted) / 1000).toFixed(0);
  await admin.unsafe(`
    set maintenance_work_mem = '1GB';
    create index entries_search_idx on public.entries using gin (private.entry_search_vector(title, body_markdown));
    create index messages_content_search_idx on public.messages using gin (content_search);
    create index embeddings_model_idx on public.embeddings (model);
  `).simple();
  await admin.unsafe(
    `vacuum analyze public.embeddings, public.entries, public.messages, public.document_chunks, public.chats`,
  );
  const [{ n }] = await admin.unsafe<{ n: number }[]>(`select count(*)::int as n from public.embeddings`);
  return { vectors: n, perUser, chunks, agentId: agent, loadSeconds, indexSeconds };
}

interface Item {
  source: string;
  id: string;
  user: string | null;
  chat: string | null;
  agent: string | null;
  topic: number;
}

/** Writes a vector near its topic for each item collected so far into public.embeddings. */
async function flushEmbeddings(url: string, items: Item[]): Promise<void> {
  await copyLines(
    url,
    `copy public.embeddings (source_table, source_id, user_id, chat_id, agent_id, embedding, model, content_hash, job_id)
     from stdin`,
    function* () {
      for (const x of items) {
        yield `${x.source}\t${x.id}\t${x.user ?? "\\N"}\t${x.chat ?? "\\N"}\t${x.agent ?? "\\N"}\t` +
          `${vectorText(near(x.topic))}\t${MODEL}\t${"0".repeat(64)}\t0`;
      }
    },
  );
  items.length = 0;
}

// ------------------------------------------------------------------------------- the queue

async function queueThroughput(url: string, admin: Sql, batch: number, seconds: number) {
  // no-op jobs: for existing entries, completed without a vector
  await admin.unsafe(`
    delete from private.embedding_jobs;
    insert into private.embedding_jobs (source_table, source_id, model)
    select 'entries', e.id, '${MODEL}' from public.entries e limit 300000;
  `).simple();
  await admin.unsafe(`vacuum analyze private.embedding_jobs`);
  const workers = await Promise.all(Array.from({ length: 8 }, async () => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`select set_config('role', 'service_role', false),
      set_config('request.jwt.claims', '{"role": "service_role"}', false)`);
    return sql;
  }));
  const claimed = new Map<number, number>();
  let jobs = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    await Promise.all(workers.map(async (sql) => {
      while (performance.now() < deadline) {
        const rows = await sql.unsafe<{ job_id: number; lease_token: string }[]>(
          `select job_id::int, lease_token::text from public.service_role_claim_embedding_jobs('${MODEL}', ${batch}, 300)`,
        );
        if (rows.length === 0) break;
        for (const r of rows) claimed.set(r.job_id, (claimed.get(r.job_id) ?? 0) + 1);
        const done = await sql.unsafe<{ status: string }[]>(
          `select status from public.service_role_complete_embedding_jobs($1::text::jsonb)`,
          [JSON.stringify(rows.map((r) => ({ job_id: r.job_id, lease_token: r.lease_token })))],
        );
        jobs += done.filter((d) => d.status === "done").length;
      }
    }));
  } finally {
    await Promise.all(workers.map((sql) => sql.end()));
  }
  const elapsed = (performance.now() - started) / 1000;
  const duplicates = [...claimed.values()].filter((n) => n > 1).length;
  return { perSecond: jobs / elapsed, jobs, duplicates };
}

// ------------------------------------------------------------------------------- SQL helpers

const BENCH_SQL = `
-- One statement's ids and server-side milliseconds (setup: set local … first, in the same transaction).
create or replace function bench.timed_ids(query text, setup text default '')
returns table (ms float8, ids text[])
language plpgsql as $$
declare
  started timestamptz;
begin
  if setup <> '' then execute setup; end if;
  started := clock_timestamp();
  execute 'select coalesce(array_agg(x.id), ''{}'') from (' || query || ') x' into ids;
  ms := extract(epoch from clock_timestamp() - started) * 1000;
  return next;
end
$$;
grant execute on function bench.timed_ids(text, text) to authenticated;

create or replace function bench.explain(query text)
returns setof text
language plpgsql as $$
declare
  line text;
begin
  for line in execute 'explain (costs off) ' || query loop
    return next line;
  end loop;
end
$$;
grant execute on function bench.explain(text) to authenticated;
`;
