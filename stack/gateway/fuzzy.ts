/**
 * The fuzzy string set PostgREST uses for its "Perhaps you meant …" hints (Haskell's `fuzzyset`
 * 0.2, a port of fuzzyset.js): n-gram cosine similarity (gram sizes 3 then 2), the best 50
 * re-scored by Levenshtein distance, kept from a score of 0.33 (PostgREST 13 and later ask 0.75 for
 * function and table names, so that a hint reveals only a close name). Written here rather than taken from
 * npm: fuzzyset.js 1.x is not under an open-source licence.
 */

const NON_WORD = /[^\p{L}\p{N}, ]+/gu;

function grams(value: string, size: number): Map<string, number> {
  let simplified = `-${value.toLowerCase().replace(NON_WORD, "")}-`;
  while (simplified.length < size) simplified += "-";
  const counts = new Map<string, number>();
  for (let i = 0; i <= simplified.length - size; i++) {
    const g = simplified.slice(i, i + size);
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

function norm(counts: Map<string, number>): number {
  let sum = 0;
  for (const c of counts.values()) sum += c * c;
  return Math.sqrt(sum);
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

export class FuzzySet {
  private readonly items: string[];

  constructor(values: Iterable<string>) {
    this.items = [...new Set(values)];
  }

  /** Matches with their scores, best first (an exact match, ignoring case, scores 1). */
  get(value: string, minScore = 0.33): [number, string][] {
    const lower = value.toLowerCase();
    const exact = this.items.find((i) => i.toLowerCase() === lower);
    if (exact !== undefined) return [[1, exact]];
    for (let size = 3; size >= 2; size--) {
      const q = grams(value, size);
      const qNorm = norm(q);
      const scored: [number, string][] = [];
      for (const item of this.items) {
        const g = grams(item, size);
        let dot = 0;
        for (const [k, c] of q) dot += c * (g.get(k) ?? 0);
        if (dot > 0) scored.push([dot / (qNorm * norm(g)), item]);
      }
      if (scored.length === 0) continue;
      scored.sort((a, b) => b[0] - a[0]);
      const rescored = scored.slice(0, 50).map(([, item]) => {
        const il = item.toLowerCase();
        return [1 - levenshtein(il, lower) / Math.max(il.length, lower.length), item] as [number, string];
      });
      rescored.sort((a, b) => b[0] - a[0]);
      const kept = rescored.filter(([s]) => s >= minScore);
      if (kept.length) return kept;
    }
    return [];
  }

  getOne(value: string, minScore = 0.33): string | null {
    return this.get(value, minScore)[0]?.[1] ?? null;
  }
}
