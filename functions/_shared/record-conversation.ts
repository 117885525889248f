/**
 * Recording a turn of an agent server (EX-AI) without blocking the agent: `recordConversation`
 * hands the `record_conversation` RPC to the background (`waitUntil`: EdgeRuntime.waitUntil on
 * Supabase) and returns at once; the agent answers its caller meanwhile.
 *
 *   recordConversation(userClient(env, req), {
 *     continuation_id: "debug-7f3a",
 *     agent_name: "debug",
 *     messages: [
 *       { client_message_id: "debug-7f3a:1:user", role: "user", content: question },
 *       { client_message_id: "debug-7f3a:1:assistant", role: "assistant", content: answer, agent_model: "zhipu/glm-4.6",
 *         input_tokens: 812, output_tokens: 240 },
 *     ],
 *   });
 *
 * - Idempotent by client ids: every message carries a `client_message_id` (the type requires it),
 *   and the database skips those it already has, so a retry, or the same turn recorded twice,
 *   writes each message once.
 * - Retried: a failure that may pass (no connection, 5xx, 429, 408, a PostgREST 503/504) is tried
 *   again with exponential backoff and jitter (default: 4 attempts, 250 ms, then 1 s, then 4 s); a
 *   refusal (4xx: invalid input, no right) is not, since it would fail again. What finally fails is
 *   logged and passed to `onFailure`; nothing is thrown at the agent.
 * - The returned promise (for tests, or a caller that wants to know) resolves to the RPC's result,
 *   or null when recording failed.
 *
 * The client decides who records: a user's client (record_conversation is a user's RPC: the chat
 * is theirs, found by continuation id).
 */
import { waitUntil } from "./background.ts";
import type { Client, RpcArgs, RpcReturns } from "./supabase.ts";

/** One message of a turn: a client id is required, so that recording it again writes nothing. */
export interface RecordedMessage {
  client_message_id: string;
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  parts?: unknown[] | null;
  agent_name?: string | null;
  agent_model?: string | null;
  intent?: string | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  latency_ms?: number | null;
  status?: "pending" | "streaming" | "complete" | "error" | "cancelled";
  metadata?: Record<string, unknown> | null;
}

export interface ConversationTurn extends Omit<RpcArgs<"record_conversation">, "messages"> {
  messages: RecordedMessage[];
}

export type RecordedConversation = RpcReturns<"record_conversation">;

export interface RecordOptions {
  /** Attempts in all (default 4). */
  attempts?: number;
  /** The first retry's delay in milliseconds; each next one is 4 times longer (default 250). */
  baseDelayMs?: number;
  /** Told when recording finally fails (after the retries, or at once for a refusal). */
  onFailure?: (error: RecordError) => void;
}

/** Why a turn could not be recorded. */
export class RecordError extends Error {
  constructor(message: string, readonly status: number, readonly code: string | null, readonly attempts: number) {
    super(message);
    this.name = "RecordError";
  }
}

/** Whether a failed call may succeed when tried again. */
export function retryable(status: number, code: string | null | undefined): boolean {
  if (status === 0 || status === undefined) return true; // no answer: the network, a restart
  if (status === 408 || status === 429 || status >= 500) return true;
  return code === "PGRST000" || code === "PGRST001" || code === "PGRST002" || code === "PGRST003";
}

/** Records the turn in the background; returns at once (see the module's comment). */
export function recordConversation(
  db: Client,
  turn: ConversationTurn,
  options: RecordOptions = {},
): Promise<RecordedConversation | null> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const base = options.baseDelayMs ?? 250;
  const work = (async () => {
    for (let attempt = 1;; attempt++) {
      let status = 0;
      let code: string | null = null;
      let message: string;
      try {
        const result = await db.rpc("record_conversation", turn as unknown as RpcArgs<"record_conversation">);
        if (!result.error) return result.data as RecordedConversation;
        status = result.status;
        code = result.error.code ?? null;
        message = result.error.message;
      } catch (e) {
        message = (e as Error).message;
      }
      if (attempt >= attempts || !retryable(status, code)) {
        const error = new RecordError(
          `recording conversation ${turn.continuation_id} failed after ${attempt} attempt(s): ${
            status || "no answer"
          } ` +
            `${code ?? ""} ${message}`.replace(/\s+/g, " ").trim(),
          status,
          code,
          attempt,
        );
        console.error(error.message);
        options.onFailure?.(error);
        return null;
      }
      const delay = base * 4 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay / 2));
    }
  })();
  return waitUntil(work);
}
