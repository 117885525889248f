/**
 * interpret: an interpreter agent (Somni's persona: the Jungian or the Freudian interpreter, or a
 * user's own interpreter) reads a dream and writes its interpretation, versioned, and the themes it
 * finds with their confidence.
 *
 * POST {entry_id, interpreter} with the user's JWT; `interpreter` is the agent's name or id (an
 * agent of kind interpreter the user can use).
 *
 * 1. The dream (get_entry, as the user: their own entries only), the interpreter (list_agents) and
 *    the theme catalogue (list_themes).
 * 2. The interpreter's production prompt (get_prompt), filled in with the catalogue's theme names;
 *    the dream (title, text, night, mood, lucidity) and, when there is one, the interpreter's
 *    current interpretation, to revise.
 * 3. One model call with structured output `{interpretation, summary, themes: [{theme,
 *    confidence}]}`, checked by zod; themes outside the catalogue are left out (and listed).
 * 4. save_interpretation as the user (the interpreter's interpretation artifact on the entry: the
 *    first call creates it, later ones add versions, based on the version it revised, so a
 *    concurrent interpretation is a 409 instead of lost), then set_entry_themes with the agent as
 *    the themes' source.
 * 5. The model call is recorded as a prompt run (service role), whatever its outcome.
 *
 * 200 {entry_id, interpreter, interpretation: {artifact_id, title, version_number, created}, summary,
 * themes: [{theme, confidence}], dropped_themes, model, prompt: {name, version}, usage:
 * {input_tokens, output_tokens}}. Errors: 400 invalid body, not a dream, not an interpreter; 401; 404
 * no such entry (or not the caller's); 409 the interpretation changed meanwhile; 502/503/504 the
 * provider failed (nothing saved; 502 INVALID_MODEL_OUTPUT for an answer that does not fit); 503
 * PROVIDER_NOT_CONFIGURED without OPENAI_API_KEY.
 */
import { z } from "zod";
import { zodResponseFormat } from "openai/helpers/zod";
import type OpenAI from "openai";
import { type ConfigError, requireEnv } from "../_shared/env.ts";
import { endpoint, HttpError, json } from "../_shared/errors.ts";
import { ModelCallError, ModelCalls, readModelSettings } from "../_shared/model-call.ts";
import { modelFor, openaiClient, type OpenAIEnv, readOpenAIEnv } from "../_shared/openai.ts";
import { unwrap } from "../_shared/postgrest.ts";
import { getPrompt, modelSettings, renderTemplate } from "../_shared/prompts.ts";
import { readSupabaseEnv, serviceClient, type SupabaseEnv, userClient } from "../_shared/supabase.ts";
import { readJson } from "../_shared/validate.ts";

const InterpretRequest = z.object({
  entry_id: z.guid(),
  interpreter: z.string().min(1).max(64),
});

/** What the interpreter answers. */
const Interpretation = z.object({
  interpretation: z.string().trim().min(1).max(100_000),
  summary: z.string().trim().min(1).max(1000),
  themes: z.array(z.object({ theme: z.string().min(1).max(64), confidence: z.number().min(0).max(1) })).max(20),
});
const INTERPRETATION_FORMAT = zodResponseFormat(Interpretation, "interpretation");

interface Agent {
  id: string;
  owner_id: string | null;
  name: string;
  display_name: string;
  kind: string;
  prompt_name: string | null;
}

interface Entry {
  id: string;
  facets: string[];
  title: string | null;
  body_markdown: string | null;
  occurred_at: string;
  dream: { dreamt_on?: string; mood?: string | null; lucid?: boolean; transcript?: string | null } | null;
  interpretations: { artifact_id: string; agent_id: string; current_version: number; content: string | null }[];
}

export interface InterpretOptions {
  supabase: SupabaseEnv | ConfigError;
  openai: OpenAIEnv;
  timeoutMs?: number;
  maxRetries?: number;
  now?: () => Date;
}

export function makeInterpret(options: InterpretOptions) {
  let openai: OpenAI | null = null;
  return {
    fetch: endpoint(async (req) => {
      const env = requireEnv(options.supabase);
      openai ??= openaiClient(options.openai);
      const user = userClient(env, req);
      const body = await readJson(req, InterpretRequest);
      const service = serviceClient(env);

      const [entryResult, agentsResult, themesResult] = await Promise.all([
        user.rpc("get_entry", { entry_id: body.entry_id }),
        user.rpc("list_agents"),
        user.rpc("list_themes"),
      ]);
      const entry = unwrap(entryResult, "rpc get_entry") as unknown as Entry;
      if (!entry.facets.includes("dream")) {
        throw new HttpError(400, "The entry is not a dream", {
          code: "NOT_A_DREAM",
          hint: "create_dream records one.",
        });
      }
      const agents = unwrap(agentsResult, "rpc list_agents") as unknown as Agent[];
      const agent = agents.find((a) => a.id === body.interpreter && a.owner_id !== null) ??
        agents.find((a) => (a.name === body.interpreter || a.id === body.interpreter) && a.owner_id !== null) ??
        agents.find((a) => a.name === body.interpreter || a.id === body.interpreter);
      if (!agent || agent.kind !== "interpreter" || !agent.prompt_name) {
        throw new HttpError(400, `There is no interpreter named ${body.interpreter} that you can use`, {
          code: "UNKNOWN_INTERPRETER",
          hint: "list_agents lists the agents of kind interpreter.",
        });
      }
      const catalogue = (unwrap(themesResult, "rpc list_themes") as unknown as { name: string }[]).map((t) => t.name);

      const prompt = await getPrompt(service, { name: agent.prompt_name });
      const settings = modelSettings(prompt);
      const model = modelFor(options.openai, prompt.model);
      const system = renderTemplate(prompt, {
        themes: catalogue.join(", "),
        agent_name: agent.display_name,
        date: (options.now?.() ?? new Date()).toISOString().slice(0, 10),
      });
      const previous = entry.interpretations.find((i) => i.agent_id === agent.id) ?? null;
      const dream = [
        entry.title ? `# ${entry.title}` : null,
        entry.dream?.dreamt_on ? `Night of ${entry.dream.dreamt_on}.` : null,
        entry.dream?.mood ? `Mood on waking: ${entry.dream.mood}.` : null,
        entry.dream?.lucid ? "The dreamer knew they were dreaming (lucid)." : null,
        entry.body_markdown ?? entry.dream?.transcript ?? "",
      ].filter((line) => line !== null).join("\n\n");
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
        { role: "system", content: system },
        { role: "user", content: dream },
        ...(previous?.content
          ? [{
            role: "user" as const,
            content:
              `Your current interpretation (version ${previous.current_version}), to revise:\n\n${previous.content}`,
          }]
          : []),
      ];

      const calls = new ModelCalls(openai, { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries });
      const record = async () => {
        if (!calls.runs.length) return;
        const runs = calls.runs.map((r) => ({ ...r, entry_id: entry.id }));
        const { error } = await service.rpc("service_role_record_prompt_runs", { runs: runs as never });
        if (error) console.error(`interpret: recording ${runs.length} run(s) failed: ${error.message}`);
      };
      try {
        let answer;
        try {
          answer = await calls.complete(
            { prompt, agent: agent.name, metadata: { step: "interpret" } },
            { model, messages, response_format: INTERPRETATION_FORMAT, ...settings.request },
          );
        } catch (e) {
          if (e instanceof ModelCallError) throw e.http;
          throw e;
        }
        let parsed: z.infer<typeof Interpretation>;
        try {
          parsed = Interpretation.parse(JSON.parse(answer.content));
        } catch (e) {
          const reason = e instanceof z.ZodError
            ? e.issues.map((i) => `${i.path.join(".") || "answer"}: ${i.message}`).join("; ")
            : `not JSON: ${answer.content.slice(0, 200)}`;
          calls.markFailed("invalid_output", reason);
          throw new HttpError(502, `The interpreter's answer did not fit: ${reason}`, { code: "INVALID_MODEL_OUTPUT" });
        }

        const known = new Set(catalogue);
        const themes = new Map<string, number>();
        const dropped: string[] = [];
        for (const t of parsed.themes) {
          const name = t.theme.trim().toLowerCase();
          if (known.has(name)) themes.set(name, Math.max(themes.get(name) ?? 0, t.confidence));
          else dropped.push(t.theme);
        }

        const saved = unwrap(
          await user.rpc("save_interpretation", {
            entry_id: entry.id,
            agent_id: agent.id,
            content: parsed.interpretation,
            content_json: { summary: parsed.summary, themes: Object.fromEntries(themes), model: answer.model },
            change_summary: `${agent.display_name}, prompt ${prompt.name} v${prompt.version}`,
            expected_version: previous?.current_version ?? 0,
          }),
          "rpc save_interpretation",
        ) as unknown as {
          created: boolean;
          artifact: { id: string; title: string };
          version: { version_number: number };
        };
        if (themes.size) {
          unwrap(
            await user.rpc("set_entry_themes", {
              entry_id: entry.id,
              themes: [...themes].map(([theme, confidence]) => ({ theme, confidence, source: agent.name })),
            }),
            "rpc set_entry_themes",
          );
        }
        return json(200, {
          entry_id: entry.id,
          interpreter: agent.name,
          interpretation: {
            artifact_id: saved.artifact.id,
            title: saved.artifact.title,
            version_number: saved.version.version_number,
            created: saved.created,
          },
          summary: parsed.summary,
          themes: [...themes].map(([theme, confidence]) => ({ theme, confidence })),
          dropped_themes: dropped,
          model: answer.model,
          prompt: { name: prompt.name, version: prompt.version },
          usage: { input_tokens: answer.usage.input, output_tokens: answer.usage.output },
        });
      } finally {
        await record();
      }
    }, { methods: ["POST"] }),
  };
}

export default makeInterpret({ supabase: readSupabaseEnv(), openai: readOpenAIEnv(), ...readModelSettings() });
