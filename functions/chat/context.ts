/**
 * What an agent sees: the branch that ends at the user's message (get_messages, as the user), the
 * current versions of the chat's artifacts it works with (list_artifacts, get_artifact), and
 * knowledge passages, within the prompt version's token budget (`context_tokens`).
 *
 * Tokens are estimated (characters / 4 and 4 per message, see estimateTokens): the budget decides
 * how much fits, not what is billed. Artifacts take at most half of the budget, knowledge a fifth,
 * and the history the rest, newest first; the user's message is always in, however long.
 */
import type OpenAI from "openai";
import { unwrap } from "../_shared/postgrest.ts";
import { estimateTokens, MESSAGE_OVERHEAD_TOKENS } from "../_shared/prompts.ts";
import type { Client } from "../_shared/supabase.ts";
import type { KnowledgeHit } from "../_shared/knowledge.ts";
import type { ArtifactType } from "./agents.ts";

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** A get_messages row (the fields used here). */
export interface ChatMessage {
  id: string;
  chat_id: string;
  sequence_number: number;
  role: string;
  content: string;
  status: string;
  agent_name: string | null;
  agent_model: string | null;
  intent: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  latency_ms: number | null;
  metadata: Record<string, unknown> | null;
  parts: unknown[] | null;
  created_at: string;
  artifact_versions: {
    id: string;
    artifact_id: string;
    type: string;
    title: string;
    version_number: number;
    change_summary: string | null;
  }[] | null;
}

// A page holds what a budget of 8,000 tokens takes of short messages (40 tokens each): usually one
// round trip.
const PAGE = 200;

/**
 * The branch ending at `leafId`, read newest first a page (200 messages) at a time, only as far as
 * the reader goes.
 */
export class History {
  private pages: ChatMessage[][] = [];
  private done = false;
  private loading: Promise<void> | null = null;

  constructor(private readonly user: Client, private readonly chatId: string, private readonly leafId: string) {}

  /** Starts loading the first page (its failure surfaces when the history is read). */
  prefetch(): this {
    if (!this.loading && !this.pages.length) {
      this.loading = this.loadPage();
      this.loading.catch(() => {}); // observed by newestFirst
    }
    return this;
  }

  private async loadPage(): Promise<void> {
    const before = this.pages.at(-1)?.[0]?.sequence_number;
    const rows = unwrap(
      await this.user.rpc("get_messages", {
        chat_id: this.chatId,
        leaf_id: this.leafId,
        limit: PAGE,
        ...(before === undefined ? {} : { before }),
      }),
      "rpc get_messages",
    ) as unknown as ChatMessage[];
    this.pages.push(rows);
    if (rows.length < PAGE) this.done = true;
  }

  /** The messages, newest first. */
  async *newestFirst(): AsyncGenerator<ChatMessage> {
    for (let i = 0;; i++) {
      if (i === this.pages.length) {
        if (this.done) return;
        try {
          await (this.loading ??= this.loadPage());
        } finally {
          this.loading = null;
        }
        if (i === this.pages.length) return;
      }
      const page = this.pages[i];
      for (let j = page.length - 1; j >= 0; j--) yield page[j];
    }
  }
}

/** The branch as model messages, oldest first, within `budget` tokens (the newest message always in). */
export async function historyMessages(
  history: History,
  budget: number,
): Promise<{ messages: Message[]; tokens: number }> {
  const out: Message[] = [];
  let tokens = 0;
  for await (const m of history.newestFirst()) {
    const message = asModelMessage(m);
    if (!message) continue;
    const cost = estimateTokens(String(message.content)) + MESSAGE_OVERHEAD_TOKENS;
    if (out.length > 0 && tokens + cost > budget) break;
    out.push(message);
    tokens += cost;
  }
  return { messages: out.reverse(), tokens };
}

/** A stored message as the model sees it; null for what it should not (placeholders, failed answers). */
function asModelMessage(m: ChatMessage): Message | null {
  if (m.status !== "complete") return null;
  const made = (m.artifact_versions ?? []).map((v) =>
    `[${
      v.version_number === 1 ? "created" : "updated"
    } ${v.type} artifact "${v.title}" (artifact_id ${v.artifact_id}) ` +
    `version ${v.version_number}${v.change_summary ? `: ${v.change_summary}` : ""}]`
  );
  const content = [m.content, ...made].filter((s) => s && s.trim()).join("\n");
  if (!content) return null;
  if (m.role === "user") return { role: "user", content };
  if (m.role === "assistant") return { role: "assistant", content };
  if (m.role === "system") return { role: "system", content };
  return null;
}

/** A list_artifacts row (the fields used here). */
export interface ArtifactRow {
  id: string;
  type: string;
  title: string;
  current_version: number;
  updated_at: string;
}

/**
 * The chat's artifacts (`listed`: list_artifacts' rows) of the given types with their current content, newest first, as one system
 * message within `budget` tokens (content cut where it does not fit, and said so); null for none.
 */
export async function artifactContext(
  user: Client,
  listed: ArtifactRow[],
  types: ArtifactType[],
  budget: number,
): Promise<{ message: Message | null; tokens: number }> {
  if (!types.length || budget <= 0) return { message: null, tokens: 0 };
  const rows = listed
    .filter((a) => (types as string[]).includes(a.type))
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
    .slice(0, 10);
  if (!rows.length) return { message: null, tokens: 0 };
  const versions = await Promise.all(rows.map(async (a) => {
    const got = unwrap(await user.rpc("get_artifact", { artifact_id: a.id }), "rpc get_artifact") as unknown as {
      version: { content: string | null; content_json: unknown };
    };
    return got.version;
  }));
  const header = "Artifacts of this chat (their current versions). To change one, call update_artifact with its " +
    "artifact_id, expected_version = its version, and the whole new content.";
  let left = budget - estimateTokens(header);
  const blocks: string[] = [];
  rows.forEach((a, i) => {
    if (left <= 0) return;
    const v = versions[i];
    const body = v.content_json !== null && v.content_json !== undefined
      ? JSON.stringify(v.content_json)
      : v.content ?? "";
    const head = `\n\n## ${a.type} "${a.title}" (artifact_id ${a.id}, version ${a.current_version})\n`;
    const room = Math.max(0, (left - estimateTokens(head)) * 4);
    const shown = body.length <= room ? body : `${body.slice(0, room)}\n…(cut: ${body.length - room} more characters)`;
    blocks.push(head + shown);
    left -= estimateTokens(head + shown);
  });
  const content = header + blocks.join("");
  return { message: { role: "system", content }, tokens: estimateTokens(content) + MESSAGE_OVERHEAD_TOKENS };
}

/** Knowledge passages as one system message within `budget` tokens; null for none. */
export function knowledgeContext(hits: KnowledgeHit[], budget: number): { message: Message | null; tokens: number } {
  if (!hits.length || budget <= 0) return { message: null, tokens: 0 };
  let content = "Knowledge that may help (from the user's documents; cite the title when you use it):";
  for (const hit of hits) {
    const block = `\n\n[${hit.title ?? hit.source}]\n${hit.text}`;
    if (estimateTokens(content + block) > budget) break;
    content += block;
  }
  if (!content.includes("\n\n[")) return { message: null, tokens: 0 };
  return { message: { role: "system", content }, tokens: estimateTokens(content) + MESSAGE_OVERHEAD_TOKENS };
}
