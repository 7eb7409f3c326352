/**
 * A latency histogram with bounded relative error, in the manner of DDSketch
 * (Masson, Rim, Lee: "DDSketch: a fast and fully-mergeable quantile sketch with
 * relative-error guarantees", VLDB 2019).
 *
 * Bucket i holds the values x with γ^(i-1) < x ≤ γ^i, γ = (1 + α) / (1 − α), and
 * reports the value 2γ^i / (γ + 1). Every x in the bucket is then within a relative
 * error α of that value, so any quantile read from the histogram is within α of
 * the exact quantile of the raw values (same rank definition), however many
 * histograms were merged: merging adds counts bucket by bucket, exactly.
 *
 * α = 1%: γ ≈ 1.0202, so 1 µs … 10 min spans about 1,010 buckets at most; real
 * latencies of one provider fill a few dozen to a few hundred. Values below 1 µs
 * (and zero) go to a zero bucket and read back as 0.
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
/** Milliseconds: smaller values are reported as 0. */
const MIN_VALUE = 0.001;
const MAX_VALUE = 86_400_000;

/** Stored form: bucket index → count, plus the zero bucket. */
export interface Histogram {
  /** Bucket index (as a string key) → count. */
  b: Record<string, number>;
  /** Values below 1 µs. */
  z: number;
}

export function emptyHistogram(): Histogram {
  return { b: {}, z: 0 };
}

export function bucketOf(value: number): number | undefined {
  if (!(value >= MIN_VALUE)) return undefined;
  return Math.ceil(Math.log(Math.min(value, MAX_VALUE)) / LN_GAMMA);
}

export function bucketValue(index: number): number {
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

export function add(histogram: Histogram, value: number, count = 1): void {
  const index = bucketOf(value);
  if (index === undefined) histogram.z += count;
  else histogram.b[index] = (histogram.b[index] ?? 0) + count;
}

/** Adds `source` into `target` (in place) and returns `target`. */
export function merge(target: Histogram, source: Partial<Histogram> | undefined): Histogram {
  if (!source) return target;
  target.z += source.z ?? 0;
  for (const [index, count] of Object.entries(source.b ?? {})) target.b[index] = (target.b[index] ?? 0) + count;
  return target;
}

export function total(histogram: Histogram): number {
  let sum = histogram.z;
  for (const count of Object.values(histogram.b)) sum += count;
  return sum;
}

/**
 * Quantiles (0..1) by the nearest-rank rule: the value at 0-based rank
 * ⌈q·n⌉ − 1 of the sorted values. One sort of the bucket keys for all of them.
 */
export function quantiles(histogram: Histogram, qs: readonly number[]): number[] {
  const n = total(histogram);
  if (n === 0) return qs.map(() => 0);
  const buckets = Object.entries(histogram.b)
    .map(([index, count]) => [Number(index), count] as const)
    .sort((a, b) => a[0] - b[0]);
  return qs.map((q) => {
    const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
    if (rank < histogram.z) return 0;
    let seen = histogram.z;
    for (const [index, count] of buckets) {
      seen += count;
      if (seen > rank) return bucketValue(index);
    }
    const last = buckets.at(-1);
    return last ? bucketValue(last[0]) : 0;
  });
}

/** The exact nearest-rank quantile of raw values (sorted ascending), to check the histogram against. */
export function exactQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
