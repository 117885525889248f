/**
 * Per-item results of a batch worker (embed, files-janitor): which items were done and which
 * failed, and why. The answer is 200 when nothing failed and 207 Multi-Status when anything did
 * (some or all):
 *
 *   { "completed": ["job-1", "job-3"],
 *     "failed": [{ "id": "job-2", "error": "expected 512 dimensions, got 3", "retryable": false }],
 *     …extra }
 *
 * Batch workers are service-only, so failure messages are the errors' own (and logged).
 */
import { json } from "./errors.ts";

export interface ItemFailure<Id> {
  id: Id;
  error: string;
  code?: string;
  /** Whether the item may succeed later (a provider's 5xx or 429), as the worker judges. */
  retryable?: boolean;
}

export interface BatchResult<Id> {
  completed: Id[];
  failed: ItemFailure<Id>[];
}

export interface FailOptions {
  code?: string;
  retryable?: boolean;
}

export class Batch<Id = string> implements BatchResult<Id> {
  readonly completed: Id[] = [];
  readonly failed: ItemFailure<Id>[] = [];

  /** Records items as done. */
  complete(...ids: Id[]): void {
    this.completed.push(...ids);
  }

  /** Records items as failed with `error` (its message, or the text given). */
  fail(ids: Id | Id[], error: unknown, options: FailOptions = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    const code = options.code ?? (error as { code?: unknown } | null)?.code;
    for (const id of Array.isArray(ids) ? ids : [ids]) {
      this.failed.push({
        id,
        error: message,
        ...(typeof code === "string" && code ? { code } : {}),
        ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
      });
    }
    console.warn(`batch: ${Array.isArray(ids) ? ids.length : 1} item(s) failed: ${message}`);
  }

  /** Runs `fn` for one item, recording it as completed, or failed with what it threw. Never throws. */
  async run<T>(id: Id, fn: () => Promise<T>, options: FailOptions = {}): Promise<T | undefined> {
    try {
      const value = await fn();
      this.complete(id);
      return value;
    } catch (e) {
      this.fail(id, e, options);
      return undefined;
    }
  }

  /** 200 when nothing failed, 207 otherwise. */
  get status(): 200 | 207 {
    return this.failed.length ? 207 : 200;
  }

  toJSON(): BatchResult<Id> {
    return { completed: this.completed, failed: this.failed };
  }

  /** The answer: status 200/207 and `{ completed, failed, …extra }`. */
  response(extra: Record<string, unknown> = {}): Response {
    return multiStatus(this, extra);
  }
}

/** 200 when nothing failed, 207 Multi-Status otherwise, with `{ completed, failed, …extra }`. */
export function multiStatus<Id>(result: BatchResult<Id>, extra: Record<string, unknown> = {}): Response {
  return json(result.failed.length ? 207 : 200, { ...extra, completed: result.completed, failed: result.failed });
}
