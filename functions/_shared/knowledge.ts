/**
 * The knowledge step of agent turns: passages from the user's documents, notes and chats (and a
 * persona's public knowledge) that the agent's context gets, found by the search RPCs
 * (supabase/schemas/420_search.sql): `hybrid_search` (full text, plus vectors when a query
 * embedding is given) or `match_document_chunks` (vectors only). Called as the user, so search
 * never crosses users. The chat turn passes the user's words only (no query embedding: embedding
 * them would put the embedding model's call before the first token), so it gets hybrid_search's
 * full-text half.
 *
 * A database without those RPCs (an older schema) gives no knowledge: the first call that
 * PostgREST answers PGRST202 (no such function) marks the source missing for a minute, then it asks
 * again. Any other failure is logged and the turn goes on without knowledge: it is a help, never a
 * reason to fail an answer.
 *
 *   const hits = await knowledge.retrieve(user, { text: "weather station sensors", agentId, limit: 5 });
 *
 * `searchKnowledge()` is the source the functions use; tests and other sources implement
 * `KnowledgeSource`.
 */
import { z } from "zod";
import type { Client } from "./supabase.ts";

export interface KnowledgeQuery {
  /** The user's words (full-text part). */
  text: string;
  /** The query's embedding, when the caller has one (the vector part; match_document_chunks needs it). */
  embedding?: number[];
  /** A persona whose public knowledge counts too. */
  agentId?: string | null;
  limit: number;
}

export interface KnowledgeHit {
  /** Where it comes from: document_chunks, entries, messages… */
  source: string;
  id: string;
  title: string | null;
  text: string;
}

export interface KnowledgeSource {
  retrieve(db: Client, query: KnowledgeQuery): Promise<KnowledgeHit[]>;
}

/** A hit as the search RPCs describe theirs: a source, an id, a title or heading and the text or a snippet. */
const Hit = z.looseObject({
  source: z.string().optional(),
  source_table: z.string().optional(),
  id: z.union([z.string(), z.number()]).optional(),
  source_id: z.union([z.string(), z.number()]).optional(),
  title: z.string().nullish(),
  heading_path: z.union([z.string(), z.array(z.string())]).nullish(),
  content: z.string().nullish(),
  snippet: z.string().nullish(),
  text: z.string().nullish(),
});

function toHit(row: unknown, fallbackSource: string): KnowledgeHit | null {
  const parsed = Hit.safeParse(row);
  if (!parsed.success) return null;
  const r = parsed.data;
  const text = r.content ?? r.snippet ?? r.text;
  if (!text) return null;
  const heading = Array.isArray(r.heading_path) ? r.heading_path.join(" › ") : r.heading_path;
  return {
    source: r.source ?? r.source_table ?? fallbackSource,
    id: String(r.id ?? r.source_id ?? ""),
    title: r.title ?? heading ?? null,
    text,
  };
}

interface PostgrestLikeError {
  code?: string | null;
  message: string;
}

const MISSING_FOR_MS = 60_000;

/** The search RPCs as a knowledge source (see the module's comment). */
export function searchKnowledge(options: { log?: (line: string) => void } = {}): KnowledgeSource {
  const log = options.log ?? ((line: string) => console.warn(line));
  const missingUntil = new Map<string, number>();

  async function call(db: Client, fn: string, args: Record<string, unknown>, source: string) {
    if ((missingUntil.get(fn) ?? 0) > Date.now()) return null;
    // the typed client knows only the RPCs that exist today
    const { data, error } = await (db.rpc as unknown as (
      fn: string,
      args: Record<string, unknown>,
    ) => Promise<{ data: unknown; error: PostgrestLikeError | null }>)(fn, args);
    if (error) {
      if (error.code === "PGRST202" || error.code === "42883") {
        missingUntil.set(fn, Date.now() + MISSING_FOR_MS);
        return null;
      }
      log(`knowledge: ${fn} failed (${error.code ?? "no code"}): ${error.message}`);
      return null;
    }
    missingUntil.delete(fn);
    return (Array.isArray(data) ? data : []).map((row) => toHit(row, source)).filter((h): h is KnowledgeHit => !!h);
  }

  return {
    async retrieve(db, query) {
      if (!query.text.trim() || query.limit < 1) return [];
      try {
        if (query.embedding) {
          const chunks = await call(db, "match_document_chunks", {
            query_embedding: query.embedding,
            match_count: query.limit,
            ...(query.agentId ? { agent_id: query.agentId } : {}),
          }, "document_chunks");
          if (chunks?.length) return chunks.slice(0, query.limit);
        }
        const hits = await call(db, "hybrid_search", {
          query_text: query.text,
          match_count: query.limit,
          ...(query.embedding ? { query_embedding: query.embedding } : {}),
        }, "hybrid_search");
        return (hits ?? []).slice(0, query.limit);
      } catch (e) {
        log(`knowledge: search failed: ${(e as Error).message}`);
        return [];
      }
    },
  };
}
