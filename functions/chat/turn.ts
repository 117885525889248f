/**
 * One chat turn after the user's message is stored and the answer's placeholder exists (see
 * handler.ts): route, gather context, stream the agent's answer with its tool calls, store the
 * answer and the turn's prompt runs, and tell the client. And the replay of a turn that already ran.
 *
 * Failure handling:
 * - a provider error or timeout (at routing or while answering), a stream cut short, an answer
 *   with nothing in it, a prompt the function cannot fill: the answer is stored with status error,
 *   the reason in metadata.error and parts (the text received so far stays as its content, never as
 *   a complete answer), every model call's run is recorded (the failed one with its error class),
 *   and the client gets an `error` event;
 * - the client leaving changes nothing: the turn runs to its end (the SSE writer stops writing) and
 *   is stored;
 * - storing the answer is retried (3 attempts); if it still fails, the client is told
 *   (NOT_STORED) and the placeholder stays streaming.
 */
import type OpenAI from "openai";
import { HttpError } from "../_shared/errors.ts";
import { type ModelCallError, ModelCalls } from "../_shared/model-call.ts";
import { modelFor, type OpenAIEnv } from "../_shared/openai.ts";
import { unwrap } from "../_shared/postgrest.ts";
import { getPrompt, modelSettings, type PromptVersion, renderTemplate } from "../_shared/prompts.ts";
import type { KnowledgeHit, KnowledgeSource } from "../_shared/knowledge.ts";
import type { SseWriter } from "../_shared/sse.ts";
import type { Client } from "../_shared/supabase.ts";
import { parseRoute, profileOf, ROUTABLE, ROUTE_FORMAT } from "./agents.ts";
import {
  artifactContext,
  type ArtifactRow,
  type ChatMessage,
  History,
  historyMessages,
  knowledgeContext,
} from "./context.ts";
import { artifactTools } from "./tools.ts";

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

export interface AgentRow {
  id: string;
  owner_id: string | null;
  name: string;
  display_name: string;
  kind: string;
  description: string | null;
  prompt_name: string | null;
}

export interface ChatInfo {
  id: string;
  title: string | null;
  /** The chat's own agent. */
  agent: AgentRow | null;
  /** Its artifacts, the last changed first (not hidden). */
  artifacts: ArtifactRow[];
  project: {
    id: string;
    name: string;
    description: string | null;
    category: string | null;
    goal: string | null;
    target_budget: number | null;
    currency: string;
  } | null;
}

/**
 * The reads a turn needs that do not depend on its route (nor on the answer's placeholder): started
 * as soon as the user's message is stored, side by side with the placeholder's creation.
 */
export interface TurnReads {
  history: History;
  knowledge: Promise<KnowledgeHit[]>;
  /** The agent asked for, and its prompt; or, none asked for, the orchestrator's prompt. */
  agent: AgentRow | null;
  agentPrompt: Promise<PromptVersion> | null;
  routePrompt: Promise<PromptVersion> | null;
}

export function startReads(
  r: { user: Client; service: Client; knowledge: KnowledgeSource; chatId: string; userMessage: ChatMessage },
  agent: AgentRow | null,
  agents: AgentRow[],
  /** The agent's prompt, when its read has begun already. */
  agentPrompt: Promise<PromptVersion> | null = null,
): TurnReads {
  return {
    history: new History(r.user, r.chatId, r.userMessage.id).prefetch(),
    knowledge: settle(r.knowledge.retrieve(r.user, { text: r.userMessage.content, limit: 5 })),
    agent,
    agentPrompt: agent ? settle(agentPrompt ?? promptOf(r.service, agent)) : null,
    routePrompt: agent ? null : settle(promptOf(r.service, orchestratorOf(agents))),
  };
}

function orchestratorOf(agents: AgentRow[]): AgentRow | null {
  return agents.find((a) => a.name === "orchestrator" && a.owner_id === null) ?? null;
}

export interface Turn {
  /** What startReads began. */
  reads: TurnReads;
  user: Client;
  service: Client;
  openai: OpenAI;
  /** Model timeout and retries. */
  timeoutMs: number;
  maxRetries?: number;
  /** The provider's settings (OPENAI_DEFAULT_MODEL for versions that name no model). */
  openaiEnv: OpenAIEnv;
  chat: ChatInfo;
  userMessage: ChatMessage;
  reply: ChatMessage;
  agents: AgentRow[];
  /** The agent asked for (the request's, or the chat's own); null: the orchestrator decides. */
  named: AgentRow | null;
  /** performance.now() when the request arrived, when the user's message was stored, and when the placeholder was. */
  startedAt: number;
  appendedAt: number;
  begunAt: number;
  now: Date;
}

/** Runs the turn, writing its events; never throws (what fails is stored and told as an error). */
export async function runTurn(sse: SseWriter, t: Turn): Promise<void> {
  const calls = new ModelCalls(t.openai, { timeoutMs: t.timeoutMs, maxRetries: t.maxRetries });
  let agent = t.named;
  let intent: string | null = null;
  let reason: string | null = null;
  let prompt: PromptVersion | null = null;
  let content = "";
  let firstDeltaAt: number | null = null;
  let started = false;
  const parts: Record<string, unknown>[] = [];
  let failure: HttpError | null = null;
  let failureClass: string | null = null;
  let preparedAt: number | null = null;

  const { history, knowledge } = t.reads;
  const routePrompt = agent ? null : t.reads.routePrompt ?? settle(promptOf(t.service, orchestratorOf(t.agents)));
  let agentPrompt = agent
    ? (agent === t.reads.agent && t.reads.agentPrompt ? t.reads.agentPrompt : settle(promptOf(t.service, agent)))
    : null;

  try {
    if (!agent) {
      const route = await routeTurn(t, calls, await routePrompt!, history);
      agent = route.agent;
      intent = route.intent;
      reason = route.reason;
      agentPrompt = settle(promptOf(t.service, agent));
    }
    const profile = profileOf(agent);
    intent ??= profile.intent;
    prompt = await agentPrompt!;
    const settings = modelSettings(prompt);
    const model = modelFor(t.openaiEnv, prompt.model);
    const system = renderTemplate(prompt, await variables(t, agent, prompt));

    // context: artifacts up to half the budget, knowledge a fifth, the history the rest
    const budget = settings.contextTokens;
    const artifacts = profile.reads.length
      ? await artifactContext(t.user, t.chat.artifacts, profile.reads, Math.floor(budget / 2))
      : { message: null, tokens: 0 };
    const known = knowledgeContext(await knowledge.catch(() => [] as KnowledgeHit[]), Math.floor(budget / 5));
    const past = await historyMessages(history, budget - artifacts.tokens - known.tokens);
    const conversation: Message[] = [
      { role: "system", content: system },
      ...(artifacts.message ? [artifacts.message] : []),
      ...(known.message ? [known.message] : []),
      ...past.messages,
    ];

    sse.send("message_start", {
      chat_id: t.chat.id,
      user_message_id: t.userMessage.id,
      message_id: t.reply.id,
      agent: agent.name,
      intent,
      model,
      prompt: { name: prompt.name, version: prompt.version },
      replayed: false,
    });
    started = true;

    preparedAt = performance.now();
    const tools = artifactTools(t.user, { chatId: t.chat.id, messageId: t.reply.id, writes: profile.writes });
    for (let round = 1;; round++) {
      const toolsAllowed = tools.definitions.length > 0 && round <= settings.maxToolRounds;
      let roundText = "";
      const result = await calls.stream(
        { prompt, agent: agent.name, metadata: { step: round === 1 ? "answer" : "after_tools", round } },
        { model, messages: conversation, ...settings.request, ...(toolsAllowed ? { tools: tools.definitions } : {}) },
        (text) => {
          // a paragraph between the text of one round and the next
          if (!roundText && content && !content.endsWith("\n")) {
            content += "\n\n";
            sse.send("delta", { text: "\n\n" });
          }
          roundText += text;
          content += text;
          firstDeltaAt ??= performance.now();
          sse.send("delta", { text });
        },
      );
      if (!result.toolCalls.length || !toolsAllowed) break;
      conversation.push({
        role: "assistant",
        content: result.content || null,
        tool_calls: result.toolCalls.map((c) => ({
          id: c.id,
          type: "function" as const,
          function: { name: c.name, arguments: c.arguments },
        })),
      });
      for (const call of result.toolCalls) {
        const outcome = await tools.run(call);
        parts.push(outcome.part);
        if (outcome.event) sse.send("artifact", outcome.event);
        conversation.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(outcome.result) });
      }
    }
    if (!content.trim() && !parts.length) {
      calls.markFailed("invalid_output", "the model answered with nothing");
      throw Object.assign(
        new HttpError(502, "The model answered with nothing", { code: "PROVIDER_EMPTY_ANSWER" }),
        { errorClass: "invalid_output" },
      );
    }
  } catch (e) {
    const asModel = e as Partial<ModelCallError> & { errorClass?: string };
    failure = asModel.http instanceof HttpError
      ? asModel.http
      : e instanceof HttpError
      ? e
      : new HttpError(500, "The answer failed", { code: "INTERNAL", cause: e });
    failureClass = asModel.errorClass ?? "internal";
    if (!(e instanceof HttpError) && !(asModel.http instanceof HttpError)) console.error("chat turn failed:", e);
  }

  // ------------------------------------------------------------------ store the answer
  const inputTokens = calls.runs.reduce((n, r) => n + r.input_tokens, 0);
  const outputTokens = calls.runs.reduce((n, r) => n + r.output_tokens, 0);
  const ttftMs = firstDeltaAt === null ? null : Math.round(firstDeltaAt - t.startedAt);
  const error = failure ? { code: failure.code ?? "INTERNAL", message: failure.message, class: failureClass } : null;
  if (error) parts.push({ type: "error", code: error.code, message: error.message });
  const finish = {
    message_id: t.reply.id,
    content,
    status: failure ? "error" : "complete",
    agent_name: agent?.name ?? undefined,
    agent_model: prompt?.model ?? t.openaiEnv.defaultModel ?? undefined,
    intent: intent ?? undefined,
    input_tokens: calls.runs.length ? inputTokens : undefined,
    output_tokens: calls.runs.length ? outputTokens : undefined,
    latency_ms: Math.round(performance.now() - t.startedAt),
    parts: parts.length ? parts : undefined,
    metadata: {
      ttft_ms: ttftMs,
      ...(prompt ? { prompt: { name: prompt.name, version: prompt.version, variant: prompt.variant } } : {}),
      ...(reason ? { route: { intent, agent: agent?.name, reason } } : {}),
      ...(error ? { error } : {}),
    },
    ...(calls.runs.length ? { runs: calls.runs } : {}),
  };
  let stored: ChatMessage | null = null;
  const finishFrom = performance.now();
  for (let attempt = 1; attempt <= 3 && !stored; attempt++) {
    const { data, error: storeError, status } = await t.service.rpc("service_role_finish_reply", finish as never);
    if (!storeError) stored = data as unknown as ChatMessage;
    else {
      console.error(`chat: storing answer ${t.reply.id} failed (attempt ${attempt}): ${status} ${storeError.message}`);
      if (status >= 400 && status < 500) break;
      await new Promise((r) => setTimeout(r, 200 * 4 ** (attempt - 1)));
    }
  }
  const totalMs = performance.now() - t.startedAt;
  const timings = {
    total_ms: round1(totalMs),
    model_ms: round1(calls.modelMs),
    // where the function's own time went: storing the user's message, the placeholder (beside the
    // reads), the rest of the preparation up to the answer's first model call (routing included),
    // storing the answer
    phases: {
      user_message_ms: round1(t.appendedAt - t.startedAt),
      placeholder_ms: round1(t.begunAt - t.appendedAt),
      prepare_ms: preparedAt === null ? null : round1(preparedAt - t.begunAt),
      store_ms: round1(performance.now() - finishFrom),
    },
    own_ms: round1(totalMs - calls.modelMs),
  };
  if (!stored) {
    sse.send("error", {
      error: "The answer could not be stored",
      code: "NOT_STORED",
      message_id: t.reply.id,
      ...(error ? { cause: error } : {}),
    });
    return;
  }
  const usage = {
    input_tokens: stored.input_tokens,
    output_tokens: stored.output_tokens,
    cost_usd: (stored.metadata?.cost_usd as number | undefined) ?? null,
  };
  if (failure) {
    sse.send("error", {
      error: failure.message,
      code: failure.code ?? "INTERNAL",
      message_id: t.reply.id,
      started,
      usage,
      timings,
    });
    return;
  }
  sse.send("done", {
    message_id: stored.id,
    status: stored.status,
    agent: stored.agent_name,
    intent: stored.intent,
    model: stored.agent_model,
    usage,
    latency_ms: stored.latency_ms,
    ttft_ms: ttftMs,
    timings,
  });
}

/** The orchestrator's choice: its production prompt, structured output checked by zod. */
async function routeTurn(
  t: Turn,
  calls: ModelCalls,
  prompt: PromptVersion,
  history: History,
): Promise<{ agent: AgentRow; intent: string; reason: string }> {
  const settings = modelSettings(prompt);
  const model = modelFor(t.openaiEnv, prompt.model);
  const routable = t.agents.filter((a) => a.owner_id === null && (ROUTABLE as readonly string[]).includes(a.name));
  const system = renderTemplate(prompt, {
    agents: routable.map((a) => `- ${a.name}: ${a.description ?? a.display_name}`).join("\n"),
    date: t.now.toISOString().slice(0, 10),
    chat_title: t.chat.title ?? "",
    project: describeProject(t.chat),
  });
  const past = await historyMessages(history, settings.contextTokens);
  const result = await calls.complete(
    { prompt, agent: "orchestrator", metadata: { step: "route" } },
    {
      model,
      messages: [{ role: "system", content: system }, ...past.messages],
      response_format: ROUTE_FORMAT,
      ...settings.request,
    },
  );
  const parsed = parseRoute(result.content);
  const fallback = t.agents.find((a) => a.name === "conversational" && a.owner_id === null);
  if ("error" in parsed) {
    // an answer that is not a route: recorded as such, and the conversational agent answers
    calls.markFailed("invalid_output", `not a route: ${parsed.error}`);
    if (!fallback) throw new HttpError(500, "The conversational agent is missing", { code: "INTERNAL" });
    return { agent: fallback, intent: "chat", reason: `the orchestrator's answer was not a route (${parsed.error})` };
  }
  const chosen = routable.find((a) => a.name === parsed.route.agent) ?? fallback;
  if (!chosen) throw new HttpError(500, "The conversational agent is missing", { code: "INTERNAL" });
  return { agent: chosen, intent: parsed.route.intent, reason: parsed.route.reason };
}

/** The production prompt an agent names. */
export async function promptOf(service: Client, agent: AgentRow | null): Promise<PromptVersion> {
  if (!agent?.prompt_name) {
    throw new HttpError(500, `The agent ${agent?.name ?? "orchestrator"} names no prompt`, { code: "INTERNAL" });
  }
  return await getPrompt(service, { name: agent.prompt_name });
}

/** The values of the variables the prompt uses (only those are computed). */
async function variables(t: Turn, agent: AgentRow, prompt: PromptVersion): Promise<Record<string, string>> {
  const values: Record<string, string> = {
    agent_name: agent.display_name,
    date: t.now.toISOString().slice(0, 10),
    chat_title: t.chat.title ?? "",
    project: describeProject(t.chat),
  };
  if (prompt.variables.includes("agents")) {
    values.agents = t.agents.filter((a) => a.owner_id === null && (ROUTABLE as readonly string[]).includes(a.name))
      .map((a) => `- ${a.name}: ${a.description ?? a.display_name}`).join("\n");
  }
  if (prompt.variables.includes("themes")) {
    const themes = unwrap(await t.user.rpc("list_themes"), "rpc list_themes") as unknown as { name: string }[];
    values.themes = themes.map((th) => th.name).join(", ");
  }
  return values;
}

function describeProject(chat: ChatInfo): string {
  const p = chat.project;
  if (!p) return "none yet";
  return [
    p.name,
    p.description,
    p.goal ? `goal: ${p.goal}` : null,
    p.target_budget !== null ? `budget: ${p.target_budget} ${p.currency}` : null,
  ].filter(Boolean).join("; ");
}

/** A promise that may never be awaited (a step that failed first): its rejection is not unhandled. */
export function settle<T>(promise: PromiseLike<T>): Promise<T> {
  const p = Promise.resolve(promise);
  p.catch(() => {});
  return p;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

// ---------------------------------------------------------------------------------- replays

/**
 * The answer to a message that was sent before (a replayed client_message_id, a retried request):
 * no agent runs again. A finished answer is sent as it is stored (message_start, its text as one
 * delta, its artifacts, then done, or error for a failed one); one still being written is waited
 * for (up to `waitMs`), then sent the same way, or REPLY_IN_PROGRESS if it is not done by then.
 */
export async function replayTurn(
  sse: SseWriter,
  r: { user: Client; chatId: string; userMessageId: string; reply: ChatMessage; waitMs: number },
): Promise<void> {
  const read = async () => {
    const rows = unwrap(
      await r.user.rpc("get_messages", { chat_id: r.chatId, leaf_id: r.reply.id, limit: 1 }),
      "rpc get_messages",
    ) as unknown as ChatMessage[];
    return rows.at(-1) ?? r.reply;
  };
  let message = await read();
  const deadline = performance.now() + r.waitMs;
  while ((message.status === "streaming" || message.status === "pending") && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    message = await read();
  }
  if (message.status === "streaming" || message.status === "pending") {
    sse.send("error", {
      error: "The answer to this message is still being written; ask again in a moment",
      code: "REPLY_IN_PROGRESS",
      message_id: message.id,
    });
    return;
  }
  const metadata = message.metadata ?? {};
  sse.send("message_start", {
    chat_id: r.chatId,
    user_message_id: r.userMessageId,
    message_id: message.id,
    agent: message.agent_name,
    intent: message.intent,
    model: message.agent_model,
    prompt: metadata.prompt ?? null,
    replayed: true,
  });
  if (message.content) sse.send("delta", { text: message.content });
  for (const v of message.artifact_versions ?? []) {
    sse.send("artifact", {
      action: v.version_number === 1 ? "created" : "updated",
      artifact_id: v.artifact_id,
      version_id: v.id,
      version_number: v.version_number,
      type: v.type,
      title: v.title,
      created: true,
    });
  }
  const usage = {
    input_tokens: message.input_tokens,
    output_tokens: message.output_tokens,
    cost_usd: (metadata.cost_usd as number | undefined) ?? null,
  };
  if (message.status === "error") {
    const error = (metadata.error ?? {}) as { code?: string; message?: string };
    sse.send("error", {
      error: error.message ?? "The answer failed",
      code: error.code ?? "INTERNAL",
      message_id: message.id,
      started: true,
      usage,
      replayed: true,
    });
    return;
  }
  sse.send("done", {
    message_id: message.id,
    status: message.status,
    agent: message.agent_name,
    intent: message.intent,
    model: message.agent_model,
    usage,
    latency_ms: message.latency_ms,
    ttft_ms: (metadata.ttft_ms as number | undefined) ?? null,
    replayed: true,
  });
}
