/**
 * Work that must finish after the answer is sent, or after the client went away (an agent's answer
 * stored although its stream was dropped). On Supabase the Edge Runtime stops a worker once its
 * responses are done unless `EdgeRuntime.waitUntil` holds it; the local function host runs each
 * function in a long-lived Deno process, where the promise simply runs on.
 */

type EdgeRuntimeGlobal = { EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void } };

const pending = new Set<Promise<unknown>>();

/**
 * Keeps `work` running to its end: handed to `EdgeRuntime.waitUntil` where there is one, and
 * tracked for `settled()`. A failure is logged (nobody else may be waiting for it). Returns `work`.
 */
export function waitUntil<T>(work: Promise<T>): Promise<T> {
  const tracked = work.then(
    () => {},
    (e) => console.error("background work failed:", e),
  ).finally(() => pending.delete(tracked));
  pending.add(tracked);
  (globalThis as EdgeRuntimeGlobal).EdgeRuntime?.waitUntil(tracked);
  return work;
}

/** Resolves when all background work (including what it starts meanwhile) has finished. */
export async function settled(): Promise<void> {
  while (pending.size) await Promise.all([...pending]);
}
