/**
 * chat: a user's message in, the agents' answer out as Server-Sent Events.
 *
 * POST {chat_id, content, parent_id?, agent?, client_message_id?} with the user's JWT.
 *
 * 1. The message is appended as the user (append_message: their rights decide; parent_id picks the
 *    branch). The answer's placeholder is begun by the service role under it
 *    (service_role_begin_reply, status streaming): it is keyed by the user's message, so the same
 *    client_message_id again (or a retried request) finds the answer that exists, finished or under
 *    way, and replays it instead of running the agents twice.
 * 2. The agent: the one named (`agent`), else the chat's own agent, else the orchestrator's choice
 *    (its production prompt, structured output `{intent, agent, reason}` checked by zod; an answer
 *    that does not fit is recorded as invalid_output and the conversational agent answers).
 * 3. The agent's production prompt (get_prompt, filled in), the chat's branch up to the message
 *    (get_messages) and the current versions of the artifacts it works with, within the prompt
 *    version's token budget, and knowledge passages when the search RPCs exist
 *    (_shared/knowledge.ts).
 * 4. The answer is streamed; tool calls (create_artifact, update_artifact) are checked and written
 *    as the user (create_artifact_with_version, add_artifact_version with expected_version), linked
 *    to the answer; what is refused is told back to the model.
 * 5. The answer is stored by the service role (service_role_finish_reply) with agent, model, intent,
 *    tokens (billed), latency, cost, and one prompt run per model call. A client that leaves does
 *    not stop it. A provider error or timeout stores the answer as an error with its reason.
 *
 * Events:
 * - `message_start` {chat_id, user_message_id, message_id, agent, intent, model, prompt: {name,
 *   version}, replayed}
 * - `delta` {text}
 * - `artifact` {action: created|updated, artifact_id, version_id, version_number, type, title,
 *   created}
 * - `done` {message_id, status, agent, intent, model, usage: {input_tokens, output_tokens, cost_usd},
 *   latency_ms, ttft_ms, timings: {total_ms, model_ms, own_ms, phases}}
 * - `error` {error, code, message_id, …}: the answer failed (it is stored with status error).
 *
 * Before the stream starts, errors are JSON: 400 invalid body or unknown agent, 401 not signed in,
 * 403 a viewer, 404 no such chat (or parent), 503 PROVIDER_NOT_CONFIGURED without OPENAI_API_KEY.
 *
 * Settings (environment, as Supabase secrets): OPENAI_API_KEY, OPENAI_BASE_URL,
 * OPENAI_DEFAULT_MODEL (for prompt versions that name no model), PARLEY_MODEL_TIMEOUT_MS (default
 * 60000: the wait for an answer, its first token and each next chunk), PARLEY_MODEL_MAX_RETRIES (the
 * SDK's retries of 408/409/429/5xx, default 2).
 */
import { z } from "zod";
import type OpenAI from "openai";
import { type ConfigError, requireEnv } from "../_shared/env.ts";
import { endpoint, HttpError } from "../_shared/errors.ts";
import { type KnowledgeSource, searchKnowledge } from "../_shared/knowledge.ts";
import { readModelSettings } from "../_shared/model-call.ts";
import { openaiClient, type OpenAIEnv, readOpenAIEnv } from "../_shared/openai.ts";
import { unwrap } from "../_shared/postgrest.ts";
import { sseResponse } from "../_shared/sse.ts";
import { type Client, readSupabaseEnv, serviceClient, type SupabaseEnv, userClient } from "../_shared/supabase.ts";
import { readJson } from "../_shared/validate.ts";
import type { ChatMessage } from "./context.ts";
import { type AgentRow, type ChatInfo, promptOf, replayTurn, runTurn, settle, startReads } from "./turn.ts";
import type { PromptVersion } from "../_shared/prompts.ts";

const ChatRequest = z.object({
  chat_id: z.guid(),
  content: z.string().max(200_000).refine((s) => s.trim() !== "", "must not be empty"),
  parent_id: z.guid().optional(),
  agent: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be an agent's name (list_agents)").optional(),
  client_message_id: z.string().min(1).max(200).regex(/^\S+$/, "must have no spaces").optional(),
});

export interface ChatOptions {
  supabase: SupabaseEnv | ConfigError;
  openai: OpenAIEnv;
  /** PARLEY_MODEL_TIMEOUT_MS. */
  timeoutMs?: number;
  /** PARLEY_MODEL_MAX_RETRIES. */
  maxRetries?: number;
  knowledge?: KnowledgeSource;
  /** How long a replay waits for an answer under way (default 120 s). */
  replayWaitMs?: number;
  now?: () => Date;
}

export function makeChat(options: ChatOptions) {
  const knowledge = options.knowledge ?? searchKnowledge();
  let openai: OpenAI | null = null;
  /** The built-in agents, as list_agents last said (the same for every user). */
  let builtIn: { agents: AgentRow[]; at: number } | null = null;
  let serviceOf: Client | null = null;
  return {
    fetch: endpoint(async (req) => {
      const startedAt = performance.now();
      const env = requireEnv(options.supabase);
      openai ??= openaiClient(options.openai); // 503 naming OPENAI_API_KEY when it is missing
      const user = userClient(env, req);
      const body = await readJson(req, ChatRequest);
      const service = serviceOf ??= serviceClient(env); // stateless: one for the process

      // The built-in agents are the same for every user: list_agents (as the user) is read once a
      // minute, and when the agent asked for is not one of them (it may be the user's own; nothing is
      // written for an unknown one).
      const append = () =>
        user.rpc("append_message", {
          chat_id: body.chat_id,
          role: "user",
          content: body.content,
          ...(body.parent_id ? { parent_id: body.parent_id } : {}),
          ...(body.client_message_id ? { client_message_id: body.client_message_id } : {}),
        });
      const listAgents = async () => {
        const listed = unwrap(await user.rpc("list_agents"), "rpc list_agents") as unknown as AgentRow[];
        builtIn = { agents: listed.filter((a) => a.owner_id === null), at: Date.now() };
        return listed;
      };
      const fresh = builtIn !== null && Date.now() - builtIn.at < 60_000 ? builtIn.agents : null;
      let requested: AgentRow | null = null;
      let earlyPrompt: Promise<PromptVersion> | null = null;
      let appended: Awaited<ReturnType<typeof append>>;
      if (body.agent !== undefined && !fresh?.some((a) => a.name === body.agent)) {
        const listed = await listAgents();
        requested = findAgent(listed, body.agent);
        if (!requested) {
          throw new HttpError(400, `There is no agent named ${body.agent} that you can use`, {
            code: "UNKNOWN_AGENT",
            hint: "list_agents lists them.",
          });
        }
        appended = await append();
      } else if (fresh) {
        requested = body.agent !== undefined ? findAgent(fresh, body.agent) : null;
        // the agent's prompt is read beside the append (it is not the user's to change)
        earlyPrompt = requested?.prompt_name ? settle(promptOf(service, requested)) : null;
        appended = await append();
      } else {
        [appended] = await Promise.all([append(), listAgents()]);
      }
      const agents = builtIn!.agents;
      if (requested && !requested.prompt_name) {
        throw new HttpError(400, `The agent ${requested.name} names no prompt`, { code: "AGENT_WITHOUT_PROMPT" });
      }
      const appendedAt = performance.now();
      const userMessage = unwrap(appended, "rpc append_message") as unknown as ChatMessage;
      if (userMessage.role !== "user") {
        throw new HttpError(409, "client_message_id names a message that is not a user's message", {
          code: "CLIENT_MESSAGE_ID_TAKEN",
        });
      }

      // The turn's reads start beside the placeholder's creation (a replay leaves them unused).
      const reads = startReads(
        { user, service, knowledge, chatId: body.chat_id, userMessage },
        requested,
        agents,
        earlyPrompt,
      );
      const begun = unwrap(
        await service.rpc("service_role_begin_reply", {
          chat_id: body.chat_id,
          parent_id: userMessage.id,
          ...(requested ? { agent_name: requested.name } : {}),
        }),
        "rpc service_role_begin_reply",
      ) as unknown as { created: boolean; message: ChatMessage; chat: ChatInfo };
      const begunAt = performance.now();

      if (!begun.created) {
        return sseResponse((sse) =>
          replayTurn(sse, {
            user,
            chatId: body.chat_id,
            userMessageId: userMessage.id,
            reply: begun.message,
            waitMs: options.replayWaitMs ?? 120_000,
          })
        );
      }
      // the chat's own agent answers when none is named (but the orchestrator, which only routes)
      const own = begun.chat.agent?.name !== "orchestrator" ? begun.chat.agent : null;
      const named = requested ?? (own?.prompt_name ? own : null);
      const client = openai;
      return sseResponse((sse) =>
        runTurn(sse, {
          reads,
          user,
          service,
          openai: client,
          timeoutMs: options.timeoutMs ?? 60_000,
          maxRetries: options.maxRetries,
          openaiEnv: options.openai,
          chat: begun.chat,
          userMessage,
          reply: begun.message,
          agents,
          named,
          startedAt,
          appendedAt,
          begunAt,
          now: options.now?.() ?? new Date(),
        })
      );
    }, { methods: ["POST"] }),
  };
}

/** The built-in agent of that name, else the caller's own. */
function findAgent(agents: AgentRow[], name: string): AgentRow | null {
  return agents.find((a) => a.name === name && a.owner_id === null) ?? agents.find((a) => a.name === name) ?? null;
}

export default makeChat({ supabase: readSupabaseEnv(), openai: readOpenAIEnv(), ...readModelSettings() });
