/** Time as the engine sees it: real timers by default, a FakeClock (testing.ts) in tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export interface BackoffOptions {
  /** First delay (ms). Default 1,000. */
  baseMs?: number;
  /** Longest delay (ms). Default 300,000 (5 minutes). */
  maxMs?: number;
  /** Spread of the random jitter, 0..1 (default 0.2: ±20%). */
  jitter?: number;
}

/**
 * Exponential backoff: base × 2^(failures - 1), capped, with ±jitter so that many devices
 * coming back online at once do not retry in step. `random` returns [0, 1).
 */
export function backoffDelay(
  failures: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 300_000;
  const jitter = options.jitter ?? 0.2;
  const delay = Math.min(max, base * 2 ** Math.max(0, failures - 1));
  return Math.round(delay * (1 - jitter + 2 * jitter * random()));
}
