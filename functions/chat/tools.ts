/**
 * The artifact tools of chat agents. The model calls `create_artifact` or `update_artifact`; the
 * arguments are checked with zod, then written as the user through `create_artifact_with_version`
 * or `add_artifact_version` (with `expected_version`), linked to the answer's message. Whatever is
 * wrong (arguments that are not JSON or do not fit, content the database's validators refuse, a
 * stale expected_version, an artifact the user cannot change) is told back to the model as the
 * tool's result, so it can correct itself; nothing invalid is stored.
 */
import { z } from "zod";
import type OpenAI from "openai";
import { describeIssues, issuesOf } from "../_shared/validate.ts";
import type { Client } from "../_shared/supabase.ts";
import type { ArtifactType } from "./agents.ts";
import type { ToolCall } from "../_shared/model-call.ts";

const text = (max: number) => z.string().trim().min(1).max(max);
const json = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);

function createSchema(types: [ArtifactType, ...ArtifactType[]]) {
  return z.object({
    type: z.enum(types).describe("What the artifact is"),
    title: text(200).describe("A short title, e.g. Weather station BOM"),
    description: z.string().max(2000).optional().describe("One or two sentences on what it holds"),
    content: z.string().max(1_000_000).optional().describe("Text content (markdown) for text artifacts"),
    content_json: json.optional().describe("Structured content: required for bom, wiring and code, in their formats"),
    change_summary: z.string().max(2000).optional(),
  }).refine((a) => a.content !== undefined || a.content_json !== undefined, {
    message: "give content or content_json",
    path: ["content"],
  }).refine((a) => !["bom", "wiring", "code"].includes(a.type) || a.content_json !== undefined, {
    message: "bom, wiring and code artifacts need content_json",
    path: ["content_json"],
  });
}

const UpdateArtifact = z.object({
  artifact_id: z.guid().describe("The id of the artifact to change"),
  expected_version: z.number().int().min(1).describe("The artifact's current version, which this change is based on"),
  content: z.string().max(1_000_000).optional().describe("The whole new text content"),
  content_json: json.optional().describe("The whole new structured content"),
  change_summary: text(2000).describe("What changed, in one sentence"),
}).refine((a) => a.content !== undefined || a.content_json !== undefined, {
  message: "give content or content_json",
  path: ["content"],
});

export interface Tools {
  /** The tool definitions for the request (empty: the agent has no tools). */
  definitions: OpenAI.Chat.Completions.ChatCompletionTool[];
  run(call: ToolCall): Promise<ToolOutcome>;
}

/** What the stream tells the client about an artifact the agent wrote. */
export interface ArtifactEvent {
  action: "created" | "updated";
  artifact_id: string;
  version_id: string;
  version_number: number;
  type: string;
  title: string;
  /** false: the content was the current version's, nothing new was written */
  created: boolean;
}

export interface ToolOutcome {
  /** The tool's result, for the model. */
  result: Record<string, unknown>;
  event: ArtifactEvent | null;
  /** What the answer's parts keep of the call. */
  part: Record<string, unknown>;
}

interface Written {
  created: boolean;
  artifact: { id: string; type: string; title: string };
  version: { id: string; version_number: number };
}

export function artifactTools(
  user: Client,
  context: { chatId: string; messageId: string; writes: ArtifactType[] },
): Tools {
  if (!context.writes.length) return { definitions: [], run: () => Promise.reject(new Error("no tools")) };
  const CreateArtifact = createSchema(context.writes as [ArtifactType, ...ArtifactType[]]);
  const definitions: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "create_artifact",
        description: `Creates an artifact of this chat (${context.writes.join(", ")}) with its first version.`,
        parameters: z.toJSONSchema(CreateArtifact, { io: "input" }) as Record<string, unknown>,
      },
    },
    {
      type: "function",
      function: {
        name: "update_artifact",
        description: "Adds a version to an artifact of this chat: the whole new content, based on expected_version.",
        parameters: z.toJSONSchema(UpdateArtifact, { io: "input" }) as Record<string, unknown>,
      },
    },
  ];

  const refuse = (call: ToolCall, error: string, extra: Record<string, unknown> = {}): ToolOutcome => ({
    result: { ok: false, error, ...extra },
    event: null,
    part: { type: "tool_call", id: call.id, name: call.name, status: "error", error: error.slice(0, 500) },
  });

  return {
    definitions,
    async run(call) {
      if (call.name !== "create_artifact" && call.name !== "update_artifact") {
        return refuse(call, `there is no tool named ${call.name}: use create_artifact or update_artifact`);
      }
      let args: unknown;
      try {
        args = JSON.parse(call.arguments || "{}");
      } catch (e) {
        return refuse(call, `the arguments are not valid JSON (${(e as Error).message}); send a JSON object`);
      }
      const parsed = call.name === "create_artifact" ? CreateArtifact.safeParse(args) : UpdateArtifact.safeParse(args);
      if (!parsed.success) {
        return refuse(call, `invalid arguments: ${describeIssues(issuesOf(parsed.error))}`);
      }
      const a = parsed.data as Record<string, unknown>;
      const { data, error, status } = call.name === "create_artifact"
        ? await user.rpc("create_artifact_with_version", {
          chat_id: context.chatId,
          project_id: null as unknown as string,
          type: a.type as string,
          title: a.title as string,
          content: (a.content ?? null) as string,
          content_json: (a.content_json ?? null) as never,
          message_id: context.messageId,
          description: a.description as string | undefined,
          change_summary: a.change_summary as string | undefined,
        })
        : await user.rpc("add_artifact_version", {
          artifact_id: a.artifact_id as string,
          content: a.content as string | undefined,
          content_json: a.content_json as never,
          change_summary: a.change_summary as string,
          message_id: context.messageId,
          expected_version: a.expected_version as number,
        });
      if (error) {
        // the database refused it (4xx): the model is told why; anything else fails the turn
        if (status >= 400 && status < 500) {
          return refuse(call, error.message, error.hint ? { hint: error.hint } : {});
        }
        throw new Error(`rpc ${call.name}: ${status} ${error.code} ${error.message}`);
      }
      const written = data as unknown as Written;
      const event: ArtifactEvent = {
        action: call.name === "create_artifact" ? "created" : "updated",
        artifact_id: written.artifact.id,
        version_id: written.version.id,
        version_number: written.version.version_number,
        type: written.artifact.type,
        title: written.artifact.title,
        created: written.created,
      };
      return {
        result: {
          ok: true,
          artifact_id: event.artifact_id,
          type: event.type,
          title: event.title,
          version: event.version_number,
          ...(written.created ? {} : { note: "the content was the same as the current version: nothing changed" }),
        },
        event,
        part: {
          type: "tool_call",
          id: call.id,
          name: call.name,
          status: "ok",
          artifact_id: event.artifact_id,
          version_number: event.version_number,
        },
      };
    },
  };
}
