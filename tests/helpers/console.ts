/**
 * Capturing console output in tests: `quiet(fn)` runs fn with console.error, .warn and .log
 * collected instead of printed, and returns what fn returned and the lines.
 */
export async function quiet<T>(fn: () => T | Promise<T>): Promise<{ value: T; logged: string[] }> {
  const logged: string[] = [];
  const saved = { error: console.error, warn: console.warn, log: console.log };
  const collect = (...args: unknown[]) =>
    void logged.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(" "));
  console.error = console.warn = console.log = collect;
  try {
    return { value: await fn(), logged };
  } finally {
    Object.assign(console, saved);
  }
}
