/** What each benchmark returns; run.ts prints the sections and a pass/miss summary. */
export interface Check {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "≥ 0.35" or "≤ 25 ms". */
  target: string;
  pass: boolean;
}

export interface Section {
  title: string;
  /** Free-form lines of numbers, printed as they are. */
  lines: string[];
  checks: Check[];
}

export type Bench = () => Promise<Section>;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}
