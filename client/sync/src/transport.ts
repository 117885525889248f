/**
 * The server side of the engine: Parley's pull_changes and push_changes RPCs through supabase-js
 * (any client with `.rpc(fn, args)` answering `{ data, error, status }`), and how failures are told
 * apart: the engine retries all of them with backoff, but only failures the server answered count
 * towards the dead letter; being offline or the server being briefly unavailable never does.
 */
import type { PullAnswer, PullRequest, PushAnswer, PushRequest, Transport } from "./types.ts";

/** The part of a SupabaseClient the transport uses. */
export interface RpcClient {
  rpc(fn: string, args?: Record<string, unknown>): PromiseLike<{
    data: unknown;
    error: { message: string; code?: string; details?: string | null; hint?: string | null } | null;
    status: number;
  }>;
}

/**
 * offline: no answer (network down, timeout); unavailable: 408, 429, 502-504 (try later);
 * unauthorized: 401, or an expired or invalid session (sign in again; supabase-js refreshes tokens);
 * failed: any other error the server answered (a bad request, a server error): five of these in a
 * row for the same writes send them to the dead letter.
 */
export type SyncErrorKind = "offline" | "unavailable" | "unauthorized" | "failed";

export class SyncError extends Error {
  constructor(
    message: string,
    readonly kind: SyncErrorKind,
    readonly status: number = 0,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "SyncError";
  }

  /** Whether this failure counts towards moving writes to the dead letter. */
  get counts(): boolean {
    return this.kind === "failed";
  }
}

export function classify(status: number, code: string | null | undefined, message: string): SyncError {
  if (status === 0) return new SyncError(message || "no answer from the server", "offline", 0, code ?? null);
  if (status === 401 || code === "PGRST301" || code === "PGRST303") {
    return new SyncError(message, "unauthorized", status, code ?? null);
  }
  if ([408, 425, 429, 502, 503, 504].includes(status)) {
    return new SyncError(message, "unavailable", status, code ?? null);
  }
  return new SyncError(message, "failed", status, code ?? null);
}

/** Any error as a SyncError: a thrown TypeError (fetch failed), an abort… are offline. */
export function asSyncError(e: unknown): SyncError {
  if (e instanceof SyncError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SyncError(message, "offline");
}

/** A Transport over supabase-js: `.rpc('pull_changes')` and `.rpc('push_changes')`. */
export function supabaseTransport(client: RpcClient): Transport {
  async function call<T>(fn: string, args: Record<string, unknown>): Promise<T> {
    let answer;
    try {
      answer = await client.rpc(fn, args);
    } catch (e) {
      throw asSyncError(e);
    }
    if (answer.error) throw classify(answer.status, answer.error.code, answer.error.message);
    if (answer.data === null || typeof answer.data !== "object") {
      throw new SyncError(`${fn} answered ${JSON.stringify(answer.data)}`, "failed", answer.status);
    }
    return answer.data as T;
  }
  return {
    pull: (request: PullRequest) =>
      call<PullAnswer>("pull_changes", {
        cursor: request.cursor,
        ...(request.tables ? { tables: request.tables } : {}),
        ...(request.limit ? { limit: request.limit } : {}),
      }),
    push: (request: PushRequest) =>
      call<PushAnswer>("push_changes", {
        changes: request.changes,
        last_pulled_cursor: request.last_pulled_cursor,
        mutation_id: request.mutation_id,
      }),
  };
}
