/**
 * The agents a chat turn can run, and the orchestrator's routing.
 *
 * The agents themselves (names, descriptions, which prompt they run) are rows of `agents`
 * (list_agents); what the function adds is each built-in agent's profile: its intent, the artifact
 * types it writes with its tools, and those it reads as context. Other agents (interpreters, a
 * user's own personas) answer in text, without tools or artifacts in their context.
 */
import { z } from "zod";
import { zodResponseFormat } from "openai/helpers/zod";

export const ARTIFACT_TYPES = [
  "context",
  "mvp",
  "prd",
  "bom",
  "code",
  "wiring",
  "circuit_diagram",
  "budget",
  "datasheet_analysis",
  "overview",
] as const;
export type ArtifactType = typeof ARTIFACT_TYPES[number];

export interface AgentProfile {
  intent: string;
  /** What its tools may create or update. */
  writes: ArtifactType[];
  /** The chat's artifacts of these types are in its context (current versions). */
  reads: ArtifactType[];
}

/** The agents the orchestrator routes to. */
export const ROUTABLE = ["conversational", "bom_generator", "code_generator", "wiring_generator"] as const;

export const PROFILES: Record<string, AgentProfile> = {
  conversational: {
    intent: "chat",
    writes: ["context", "mvp", "prd", "overview", "budget"],
    reads: ["context", "mvp", "prd", "overview", "budget", "bom"],
  },
  bom_generator: { intent: "bom", writes: ["bom"], reads: ["bom", "context", "mvp", "prd", "budget"] },
  code_generator: { intent: "code", writes: ["code"], reads: ["code", "bom", "wiring"] },
  wiring_generator: { intent: "wiring", writes: ["wiring"], reads: ["wiring", "bom"] },
};

const TEXT_ONLY: AgentProfile = { intent: "chat", writes: [], reads: [] };

/** A built-in agent's profile; any other agent answers in text. */
export function profileOf(agent: { name: string; owner_id: string | null }): AgentProfile {
  return agent.owner_id === null ? PROFILES[agent.name] ?? TEXT_ONLY : TEXT_ONLY;
}

/** The orchestrator's answer, validated. */
export const Route = z.object({
  intent: z.enum(["chat", "bom", "code", "wiring"]),
  agent: z.enum(ROUTABLE),
  reason: z.string().min(1).max(1000),
});
export type Route = z.infer<typeof Route>;

/** Structured output for the orchestrator: the provider is asked for JSON of Route's schema. */
export const ROUTE_FORMAT = zodResponseFormat(Route, "route");

/** The orchestrator's text parsed and checked, or why it is not a route. */
export function parseRoute(text: string): { route: Route } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `not JSON: ${text.slice(0, 200)}` };
  }
  const parsed = Route.safeParse(value);
  if (!parsed.success) {
    return { error: parsed.error.issues.map((i) => `${i.path.join(".") || "answer"}: ${i.message}`).join("; ") };
  }
  return { route: parsed.data };
}
