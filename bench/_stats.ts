/** What the benchmarks share: percentiles of samples, and a plain-text table. */

export interface Percentiles {
  p50: number;
  p95: number;
}

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95) };
}

/**
 * Prints a table: the header, a rule, the rows. Columns from `rightFrom` on are right-aligned
 * (numbers), the others left-aligned; `gap` separates them.
 */
export function printTable(
  header: string[],
  rows: string[][],
  { rightFrom = header.length, gap = "  " }: { rightFrom?: number; gap?: string } = {},
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i >= rightFrom ? c.padStart(widths[i]) : c.padEnd(widths[i])).join(gap).trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join(gap));
  for (const r of rows) console.log(line(r));
}
