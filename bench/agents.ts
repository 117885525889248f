/**
 * `npm run bench -- agents [--runs 1000000] [--turns 200]`: the prompt registry and the chat
 * function on the native engine (a throwaway cluster), with the scripted model server
 * (tests/helpers/openai-server.ts) answering at once.
 *
 * - get_prompt p95 (aim ≤ 1 ms), timed inside the database (bench.time_query), with 1,000 other
 *   prompts of 10 versions each in the registry: the production label of a built-in agent's prompt as
 *   the service role (what the functions do) and as a signed-in user (RLS), the most specific of four
 *   variants, a fallback to base through all four, latest, a version by number; and the round trip
 *   from a client (postgres.js, prepared).
 * - The chat function's own time per turn, p95 (aim ≤ 30 ms): everything but the model's time
 *   (the user's message, the answer's placeholder, prompts, context, tools, storing the answer and
 *   its runs), as the function measures it (its `done` event: total − time inside model calls); and
 *   as the client sees it (request to `done` through the gateway, minus the model's time). Two kinds
 *   of turns: an agent named, answering in text in a chat of 40+ messages; and a routed BOM turn in
 *   a new chat (the orchestrator, a create_artifact tool call, the answer after it: three model calls).
 * - Time to first token through the gateway and the function against calling the model server
 *   directly with the openai SDK, alternated call by call (aim ≤ 20 ms more).
 * - get_prompt_performance over `--runs` prompt runs of one prompt (five versions over 90 days),
 *   all time and the last 7 days, and compare_prompt_versions: p95.
 */
import postgres from "postgres";
import OpenAI from "openai";
import { createClient } from "@supabase/supabase-js";
import { join } from "node:path";
import { percentiles, printTable } from "./_stats.ts";
import { benchOptions, ms, TIME_QUERY_FUNCTION, timeClient, timeQueries } from "./_measure.ts";
import { startEngine } from "../stack/db/engine.ts";
import { prepareDatabase } from "../stack/db/migrate.ts";
import { freePort } from "../stack/paths.ts";
import { readSupabaseConfig } from "../stack/cli/config.ts";
import { loadKeys } from "../stack/gateway/keys.ts";
import { startGateway } from "../stack/gateway/server.ts";
import { type ReceivedRequest, script, startOpenAIServer } from "../tests/helpers/openai-server.ts";
import { readSse } from "../tests/helpers/sse.ts";

interface Options {
  runs: number;
  turns: number;
}

function parseArgs(args: string[]): Options {
  const options = benchOptions(args, { runs: 1_000_000, turns: 200 });
  if (!(options.runs >= 1000) || !(options.turns >= 10)) throw new Error("--runs ≥ 1000, --turns ≥ 10");
  return options;
}

type Sql = postgres.Sql;

const BOM = {
  components: [
    { name: "ESP32-DevKitC", quantity: 1, unit_price: 9.5, currency: "USD" },
    { name: "BME280", quantity: 1, unit_price: 6.2, currency: "USD", voltage: "3.3V" },
  ],
};
const ANSWER = "A weather station needs a microcontroller, a sensor, power and an enclosure. ".repeat(3).trim();

export default async function run(args: string[]) {
  const options = parseArgs(args);
  console.log(
    `agents benchmark (native engine, ${options.runs.toLocaleString()} prompt runs, ${options.turns} turns; load ` +
      `average ${Deno.loadavg().map((l) => l.toFixed(1)).join(", ")} on ${navigator.hardwareConcurrency} CPUs)`,
  );
  const engine = await startEngine("native", { port: freePort(), log: () => {} });
  const admin = postgres(engine.url, { max: 2, onnotice: () => {} });
  const rows: string[][] = [];
  const report = (metric: string, value: string, aim = "") => {
    rows.push([metric, value, aim]);
    console.log(`  ${metric}: ${value}${aim ? ` (aim ${aim})` : ""}`);
  };
  const model = startOpenAIServer({ respond: scripted });
  const envDir = await Deno.makeTempDir({ prefix: "parley-bench-agents-" });
  let gateway: Awaited<ReturnType<typeof startGateway>> | null = null;
  try {
    await prepareDatabase(engine);
    await admin.unsafe(`create schema bench; grant usage on schema bench to authenticated, service_role;
      ${TIME_QUERY_FUNCTION}
      grant execute on function bench.time_query(text, integer) to service_role;`).simple();

    // ------------------------------------------------------------------ a registry of 1,000 more prompts
    await admin.unsafe(`
      insert into public.prompts (name, description) select 'bench_' || p, 'prompt ' || p from generate_series(1, 1000) p;
      insert into public.prompt_versions (prompt_name, version, provider, tier, template, model, params)
      select 'bench_' || p, v, case when v > 8 then 'kimi' else 'base' end, case when v = 10 then 2 end,
        'You are prompt ' || p || ' version ' || v || ' for {{agent_name}}. ' || repeat('Be helpful. ', 50),
        'openai/gpt-4o', '{"temperature": 0.3}'
      from generate_series(1, 1000) p, generate_series(1, 10) v;
      insert into public.prompt_labels (prompt_name, label, provider, tier, version)
      select 'bench_' || p, l.label, l.provider, l.tier, l.version
      from generate_series(1, 1000) p,
        (values ('production', 'base', null::smallint, 7), ('staging', 'base', null, 8), ('production', 'kimi', null, 9),
          ('production', 'kimi', 2::smallint, 10)) l(label, provider, tier, version);`).simple();
    await admin.unsafe(`vacuum analyze public.prompts, public.prompt_versions, public.prompt_labels`);

    const asService = postgres(engine.url, { max: 1, onnotice: () => {}, prepare: true });
    await asService.unsafe(
      `select set_config('role', 'service_role', false), set_config('request.jwt.claims', '{"role": "service_role"}', false)`,
    );
    const [{ id: userId }] = await admin.unsafe<{ id: string }[]>(
      `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
         raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
       values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
         'reader@bench.parley.local', '', now(), '{}', '{}', now(), now()) returning id`,
    );
    const asUser = postgres(engine.url, { max: 1, onnotice: () => {}, prepare: true });
    await asUser.unsafe(
      `select set_config('role', 'authenticated', false), set_config('request.jwt.claims', $1, false)`,
      [JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" })],
    );

    const n = 2000;
    const production = await timeQueries(asService, [`select * from public.get_prompt('bom_generator')`], n);
    report(
      "get_prompt, production label, service role, p95 (p50)",
      `${ms(production.p95)} (${ms(production.p50)})`,
      "≤ 1 ms",
    );
    const user = await timeQueries(asUser, [`select * from public.get_prompt('bom_generator')`], n);
    report("  the same as a signed-in user (RLS), p95 (p50)", `${ms(user.p95)} (${ms(user.p50)})`);
    const specific = await timeQueries(asService, [
      `select * from public.get_prompt('bench_500', provider => 'kimi', tier => 2)`,
    ], n);
    report("  most specific variant (kimi/2), p95", ms(specific.p95));
    const fallback = await timeQueries(asService, [
      `select * from public.get_prompt('bench_500', provider => 'glm', tier => 1)`,
    ], n);
    report("  fallback to base through four variants, p95", ms(fallback.p95));
    const latest = await timeQueries(asService, [
      `select * from public.get_prompt('bench_500', label => 'latest', provider => 'kimi', tier => 1)`,
    ], n);
    report("  latest, p95", ms(latest.p95));
    const byVersion = await timeQueries(asService, [`select * from public.get_prompt('bench_500', version => 3)`], n);
    report("  a version by number, p95", ms(byVersion.p95));
    const roundTrip = await timeClient(asService, () => `select * from public.get_prompt('bom_generator')`, n);
    report("  round trip from a client (postgres.js), p95 (p50)", `${ms(roundTrip.p95)} (${ms(roundTrip.p50)})`);

    // ------------------------------------------------------------------ the chat function
    const envFile = join(envDir, "functions.env");
    await Deno.writeTextFile(envFile, `OPENAI_API_KEY=${model.apiKey}\nOPENAI_BASE_URL=${model.baseURL}\n`);
    const keys = await loadKeys();
    gateway = await startGateway({
      engine,
      keys,
      config: await readSupabaseConfig(),
      port: 0,
      watchFunctions: false,
      functionsEnvFile: envFile,
    });
    const anon = createClient(gateway.url, keys.anonKey, { auth: { persistSession: false, autoRefreshToken: false } });
    const { data: signUp, error } = await anon.auth.signUp({
      email: `maker-${crypto.randomUUID().slice(0, 8)}@bench.parley.local`,
      password: `bench-${crypto.randomUUID()}`,
    });
    if (error || !signUp.session) throw new Error(`sign up: ${error?.message}`);
    const token = signUp.session.access_token;
    const maker = createClient(gateway.url, keys.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { Authorization: `Bearer ${token}` } },
    });
    const rpc = async (fn: string, args: Record<string, unknown>) => {
      const { data, error } = await maker.rpc(fn, args);
      if (error) throw new Error(`${fn}: ${error.message}`);
      return data;
    };
    const project = await rpc("create_project", { name: "Weather station", target_budget: 80 });
    const talk = await rpc("create_chat", { project_id: project.id, title: "Talk" });

    const turn = async (body: Record<string, unknown>) => {
      const started = performance.now();
      const res = await fetch(`${gateway!.url}/functions/v1/chat`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, apikey: keys.anonKey, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`chat: ${res.status} ${await res.text()}`);
      let firstDelta: number | null = null;
      let done: {
        timings: { total_ms: number; model_ms: number; own_ms: number; phases: Record<string, number> };
      } | null = null;
      for await (const item of readSse(res.body!)) {
        if (item.type !== "event") continue;
        if (item.event === "delta") firstDelta ??= performance.now() - started;
        if (item.event === "error") throw new Error(`chat: ${item.data}`);
        if (item.event === "done") done = item.json();
      }
      if (!done) throw new Error("chat: no done event");
      return { total: performance.now() - started, firstDelta: firstDelta!, ...done.timings };
    };
    const direct = new OpenAI({ ...model.clientOptions(), maxRetries: 0 });
    const directTtft = async () => {
      const started = performance.now();
      const stream = await direct.chat.completions.create({
        model: "anthropic/claude-sonnet-4-5",
        messages: [{ role: "system", content: "You are the conversational agent." }, { role: "user", content: "hi" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let first: number | null = null;
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) first ??= performance.now() - started;
      return first!;
    };

    // warm up: the function's process starts, plans are cached, the chat has 40 messages
    for (let i = 0; i < 20; i++) {
      await turn({ chat_id: talk.id, content: `Warm-up question ${i}`, agent: "conversational" });
      await directTtft();
    }
    const named = { own: [] as number[], client: [] as number[], ttft: [] as number[], direct: [] as number[] };
    const phases: Record<string, number[]> = {};
    const phaseReport = (label: string) => {
      const text = Object.entries(phases).map(([k, v]) => `${k.replace(/_ms$/, "")} ${ms(percentiles(v).p50)}`);
      report(`  ${label}: p50 of each phase`, text.join(", "));
      for (const k of Object.keys(phases)) delete phases[k];
    };
    for (let i = 0; i < options.turns; i++) {
      const t = await turn({ chat_id: talk.id, content: `Question ${i}: which sensor?`, agent: "conversational" });
      named.own.push(t.own_ms);
      named.client.push(t.total - t.model_ms);
      named.ttft.push(t.firstDelta);
      named.direct.push(await directTtft());
      for (const [k, v] of Object.entries(t.phases)) (phases[k] ??= []).push(v);
    }
    const own = percentiles(named.own);
    const clientOwn = percentiles(named.client);
    report(
      "chat, agent named (text, 40+ message chat): own time per turn, p95 (p50)",
      `${ms(own.p95)} (${ms(own.p50)})`,
      "≤ 30 ms",
    );
    report("  as the client sees it (through the gateway), p95 (p50)", `${ms(clientOwn.p95)} (${ms(clientOwn.p50)})`);
    phaseReport("its phases");
    const ttft = percentiles(named.ttft);
    const baseline = percentiles(named.direct);
    report(
      "time to first token: through the function, p95 (p50)",
      `${ms(ttft.p95)} (${ms(ttft.p50)}); direct: ${ms(baseline.p95)} (${ms(baseline.p50)})`,
    );
    report(
      "  more than calling the model server directly, p95 (p50)",
      `${ms(ttft.p95 - baseline.p95)} (${ms(ttft.p50 - baseline.p50)})`,
      "≤ 20 ms",
    );

    const routed = { own: [] as number[], client: [] as number[] };
    for (let i = 0; i < Math.min(20, options.turns); i++) {
      const fresh = await rpc("create_chat", { project_id: project.id });
      await turn({ chat_id: fresh.id, content: "Warm-up: a BOM for a weather station" });
    }
    for (let i = 0; i < options.turns; i++) {
      const fresh = await rpc("create_chat", { project_id: project.id });
      const t = await turn({ chat_id: fresh.id, content: `A BOM for weather station ${i}` });
      routed.own.push(t.own_ms);
      routed.client.push(t.total - t.model_ms);
      for (const [k, v] of Object.entries(t.phases)) (phases[k] ??= []).push(v);
    }
    const routedOwn = percentiles(routed.own);
    const routedClient = percentiles(routed.client);
    report(
      "chat, routed BOM turn (3 model calls, an artifact): own time, p95 (p50)",
      `${ms(routedOwn.p95)} (${ms(routedOwn.p50)})`,
      "≤ 30 ms",
    );
    report("  as the client sees it, p95 (p50)", `${ms(routedClient.p95)} (${ms(routedClient.p50)})`);
    phaseReport("its phases (prepare includes routing)");

    // ------------------------------------------------------------------ prompt performance over 1M runs
    const loadStarted = performance.now();
    await admin.unsafe(`
      select public.create_prompt_version('bench_perf', 'Version ' || v || ' {{x}}', model => 'openai/gpt-4o')
      from generate_series(1, 5) v;`).simple();
    const chunk = 100_000;
    const chunks = Math.ceil(options.runs / chunk);
    const loaders = [admin, postgres(engine.url, { max: 1, onnotice: () => {} })];
    let next = 0;
    await Promise.all(loaders.map(async (sql) => {
      for (let c = next++; c < chunks; c = next++) {
        const from = c * chunk + 1;
        const to = Math.min(options.runs, from + chunk - 1);
        await sql.unsafe(`
          insert into public.prompt_runs (prompt_name, prompt_version, agent_name, model, started_at, latency_ms, ttft_ms,
            input_tokens, output_tokens, success, error_class)
          select 'bench_perf', 1 + i % 5, 'bench', 'openai/gpt-4o',
            now() - interval '90 days' * (i::float8 / ${options.runs}),
            (200 + 2000 * random() ^ 3)::int, (50 + 400 * random() ^ 2)::int,
            500 + (i % 1500), 50 + (i % 400), i % 50 <> 0, case when i % 50 = 0 then 'timeout' end
          from generate_series(${from}, ${to}) i`);
      }
    }));
    await loaders[1].end();
    await admin.unsafe(`vacuum analyze public.prompt_runs`);
    const [{ total }] = await admin.unsafe<{ total: number }[]>(
      `select count(*)::int as total from public.prompt_runs where prompt_name = 'bench_perf'`,
    );
    console.log(
      `  (${total.toLocaleString()} runs loaded in ${((performance.now() - loadStarted) / 1000).toFixed(0)}s)`,
    );
    const allTime = await timeQueries(
      asService,
      [`select count(*) from public.get_prompt_performance('bench_perf')`],
      20,
    );
    report(
      `get_prompt_performance, ${total.toLocaleString()} runs (5 versions), all time, p95 (p50)`,
      `${ms(allTime.p95)} (${ms(allTime.p50)})`,
    );
    const week = await timeQueries(asService, [
      `select count(*) from public.get_prompt_performance('bench_perf', now() - interval '7 days')`,
    ], 50);
    const [{ recent }] = await admin.unsafe<{ recent: number }[]>(
      `select count(*)::int as recent from public.prompt_runs
       where prompt_name = 'bench_perf' and started_at >= now() - interval '7 days'`,
    );
    report(`  the last 7 days (${recent.toLocaleString()} runs), p95 (p50)`, `${ms(week.p95)} (${ms(week.p50)})`);
    const compare = await timeQueries(asService, [`select public.compare_prompt_versions('bench_perf', 1, 2)`], 20);
    report(
      `compare_prompt_versions, all time (2 × ${Math.round(total / 5).toLocaleString()} runs), p95`,
      ms(compare.p95),
    );

    console.log("");
    printTable(["metric", "value", "aim"], rows);
    console.log(
      `load average at the end: ${
        Deno.loadavg().map((l) => l.toFixed(1)).join(", ")
      } (${navigator.hardwareConcurrency} CPUs)`,
    );
    await asService.end();
    await asUser.end();
  } finally {
    await gateway?.stop().catch(() => {});
    await model.close();
    await admin.end().catch(() => {});
    await engine.stop();
    await Deno.remove(envDir, { recursive: true }).catch(() => {});
  }
}

/** The model server's answers: a route for the orchestrator, a BOM tool call then text for the BOM agent, text for others. */
function scripted(request: ReceivedRequest) {
  const body = request.body;
  if (!body?.messages) return undefined;
  if (body.response_format) {
    return script.reply(JSON.stringify({ intent: "bom", agent: "bom_generator", reason: "parts" }));
  }
  const system = String(body.messages[0]?.content ?? "");
  const toolDone = body.messages.some((m: { role: string }) => m.role === "tool");
  if (system.includes("bill-of-materials") && !toolDone) {
    return script.toolCalls([{
      name: "create_artifact",
      arguments: { type: "bom", title: `BOM ${crypto.randomUUID().slice(0, 8)}`, content_json: BOM },
    }], { chunkSize: 64 });
  }
  return script.reply(ANSWER, { chunkSize: 16 });
}
