/**
 * Small statistics for the benchmark: percentiles (nearest rank), histograms with fixed bucket
 * edges (so two systems' histograms line up), per-second series and a least-squares slope.
 */

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; 0 for an empty one. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: round1(percentile(sorted, 0.5)),
    p95: round1(percentile(sorted, 0.95)),
    p99: round1(percentile(sorted, 0.99)),
    max: round1(sorted[sorted.length - 1] ?? 0),
    mean: round1(sorted.length === 0 ? 0 : sum / sorted.length),
  };
}

/** Upper bucket edges in ms for latency histograms (the last bucket is open-ended). */
export const LATENCY_EDGES_MS = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 1000, 2000, 5000] as const;

export interface Histogram {
  /** Upper edges; bucket i holds values in (edges[i-1], edges[i]]; the last bucket is > the last edge. */
  edges: number[];
  counts: number[];
}

export function histogram(values: readonly number[], edges: readonly number[] = LATENCY_EDGES_MS): Histogram {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let i = edges.findIndex((edge) => v <= edge);
    if (i < 0) i = edges.length;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return { edges: [...edges], counts };
}

/** Counts of completion times (ms since the phase start) per whole second. */
export function perSecond(completionMs: readonly number[], seconds?: number): number[] {
  const last = completionMs.reduce((a, b) => Math.max(a, b), 0);
  const n = seconds ?? Math.max(1, Math.ceil(last / 1000));
  const series = new Array<number>(n).fill(0);
  for (const t of completionMs) {
    const i = Math.min(n - 1, Math.floor(t / 1000));
    series[i] = (series[i] ?? 0) + 1;
  }
  return series;
}

/** Least-squares slope of y over x (y units per x unit); 0 with fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Rounds to a sensible number of digits for reports. */
export function fmt(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}
