/**
 * Prompts from the registry (supabase/schemas/500_prompts.sql) for agent functions:
 *
 *   const prompt = await getPrompt(service, { name: agent.prompt_name });
 *   const system = renderTemplate(prompt, { agent_name: "BOM generator", date: "2026-03-10" });
 *   const { request, contextTokens } = modelSettings(prompt);
 *
 * - `getPrompt` calls the `get_prompt` RPC (the production label unless told otherwise; the most
 *   specific provider/tier variant). Nothing is cached: moving a label changes the very next call.
 * - `renderTemplate` fills `{{variables}}` (`{{ name }}` too). A variable the template declares and
 *   the caller does not give is an error naming the prompt, its version and the variables missing:
 *   a template is never sent to a model with a hole in it. Values given but not used are ignored.
 * - `modelSettings` splits a version's `params` into what goes to the model (temperature,
 *   max_tokens… checked by zod) and the agent's own settings (`context_tokens`, `max_tool_rounds`).
 */
import { z } from "zod";
import { HttpError } from "./errors.ts";
import { unwrap } from "./postgrest.ts";
import type { Client, RpcArgs } from "./supabase.ts";

/** What get_prompt returns. */
export interface PromptVersion {
  name: string;
  version: number;
  version_id: string;
  variant: string;
  provider: string;
  tier: number | null;
  label: string | null;
  template: string;
  variables: string[];
  model: string | null;
  params: Record<string, unknown>;
}

export type PromptQuery = RpcArgs<"get_prompt">;

/** The version get_prompt resolves (PT404 from the registry is a 404 with its message). */
export async function getPrompt(db: Client, query: PromptQuery): Promise<PromptVersion> {
  const prompt = unwrap(await db.rpc("get_prompt", query), `rpc get_prompt ${query.name}`) as unknown as PromptVersion;
  return { ...prompt, params: prompt.params ?? {}, variables: prompt.variables ?? [] };
}

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * The template with its variables filled in. Every variable the template has must be given
 * (a string; null or undefined counts as missing): otherwise a 500 PROMPT_VARIABLE_MISSING that
 * names the prompt version and the variables, since the registry's prompt asks for something the
 * function does not provide.
 */
export function renderTemplate(
  prompt: Pick<PromptVersion, "name" | "version" | "template">,
  values: Record<string, string | null | undefined>,
): string {
  const missing = new Set<string>();
  const text = prompt.template.replace(VARIABLE, (_, name: string) => {
    const value = values[name];
    if (typeof value !== "string") {
      missing.add(name);
      return "";
    }
    return value;
  });
  if (missing.size) {
    const names = [...missing];
    throw new HttpError(
      500,
      `Prompt ${prompt.name} version ${prompt.version} uses ${names.map((n) => `{{${n}}}`).join(", ")}, which this ` +
        `function does not provide (it provides ${
          Object.keys(values).filter((k) => typeof values[k] === "string").map((k) => `{{${k}}}`).join(", ") || "none"
        })`,
      { code: "PROMPT_VARIABLE_MISSING", extra: { prompt: prompt.name, version: prompt.version, missing: names } },
    );
  }
  return text;
}

/** Model parameters a prompt version may set, passed to the chat completions request as they are. */
const ModelParams = z.object({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
  reasoning_effort: z.enum(["minimal", "low", "medium", "high"]).optional(),
});

/** The agent's own settings, read from the same params. */
const AgentParams = z.object({
  /** The context budget: estimated tokens of history, artifacts and knowledge (default 6,000). */
  context_tokens: z.number().int().min(100).max(1_000_000).default(6000),
  /** Model calls with tool results before the answer must be text (default 4). */
  max_tool_rounds: z.number().int().min(1).max(10).default(4),
});

export interface ModelSettings {
  /** The request fields from params (unknown keys are left out). */
  request: z.output<typeof ModelParams>;
  contextTokens: number;
  maxToolRounds: number;
}

/**
 * A version's params, checked: the model's (temperature, max_tokens…) and the agent's
 * (context_tokens, max_tool_rounds). A value of the wrong type is a 500 naming the prompt version.
 */
export function modelSettings(prompt: Pick<PromptVersion, "name" | "version" | "params">): ModelSettings {
  const model = ModelParams.safeParse(prompt.params);
  const agent = AgentParams.safeParse(prompt.params);
  const error = !model.success ? model.error : !agent.success ? agent.error : null;
  if (error || !model.success || !agent.success) {
    throw new HttpError(500, `Prompt ${prompt.name} version ${prompt.version} has invalid params: ${error?.message}`, {
      code: "PROMPT_PARAMS_INVALID",
    });
  }
  return { request: model.data, contextTokens: agent.data.context_tokens, maxToolRounds: agent.data.max_tool_rounds };
}

/**
 * A token estimate for budgeting context, without a tokenizer: a quarter of the characters (the
 * usual rule of thumb for English with OpenAI's tokenizers), rounded up, plus 4 per message for its
 * framing. It only decides how much history fits; billing uses the provider's counts.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export const MESSAGE_OVERHEAD_TOKENS = 4;
