/**
 * Turns what a phase recorded (requests, CPU, RSS samples) into the result's summaries:
 * throughput, latency, counts by result, series per second.
 */
import type { OpRecord, PhaseResult } from './load.js';
import type { RssSummary, SyncPhase } from './result-types.js';
import type { CpuReport, ResourceSampler } from './services.js';
import { histogram, perSecond, slope, summarize } from './stats.js';

export const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function countResults(records: OpRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    const key = r.result === 'refused' || r.result === 'ambiguous' ? `${r.result}:${r.status}${r.error ? ` ${r.error}` : ''}` : r.result;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function syncPhase(result: PhaseResult, cpu: CpuReport): SyncPhase {
  const ok = result.records.filter((r) => r.result === 'outcome');
  const elapsedMs = result.endMs - result.startMs;
  const latencies = ok.map((r) => r.endMs - r.startMs);
  return {
    events: result.records.length,
    elapsedMs: Math.round(elapsedMs),
    outcomesPerSec: Math.round((ok.length / elapsedMs) * 1000),
    latencyMs: summarize(latencies),
    histogram: histogram(latencies),
    series: perSecond(ok.map((r) => r.endMs - result.startMs)),
    results: countResults(result.records),
    cpu,
  };
}

export function rssSummaries(sampler: ResourceSampler, names: string[], phases?: string[]): RssSummary[] {
  return names.flatMap((name) => {
    const samples = sampler.samples.filter((s) => s.name === name && (!phases || phases.includes(s.phase)));
    if (samples.length === 0) return [];
    const t0 = samples[0]?.atMs ?? 0;
    const series = samples.map((s) => [round((s.atMs - t0) / 1000, 1), s.rssMiB] as [number, number]);
    const steady = series.slice(Math.floor(series.length / 5));
    const rss = samples.map((s) => s.rssMiB);
    return [
      {
        name,
        samples: samples.length,
        firstMiB: rss[0] ?? 0,
        lastMiB: rss[rss.length - 1] ?? 0,
        minMiB: Math.min(...rss),
        maxMiB: Math.max(...rss),
        slopeMiBPerMin: round(slope(steady) * 60, 2),
        series: series.length > 120 ? series.filter((_, i) => i % Math.ceil(series.length / 120) === 0) : series,
      },
    ];
  });
}

/** One sync phase from several rounds: pooled latencies, throughput over the rounds' total time. */
export function syncFromRounds(runs: PhaseResult[], cpus: CpuReport[]): SyncPhase {
  const records = runs.flatMap((r) => r.records);
  const ok = records.filter((r) => r.result === 'outcome');
  const elapsedMs = runs.reduce((a, r) => a + (r.endMs - r.startMs), 0);
  const latencies = ok.map((r) => r.endMs - r.startMs);
  return {
    events: records.length,
    elapsedMs: Math.round(elapsedMs),
    outcomesPerSec: Math.round((ok.length / elapsedMs) * 1000),
    latencyMs: summarize(latencies),
    histogram: histogram(latencies),
    // Each round's per-second counts, its last (partial) second dropped, end to end.
    series: runs.flatMap((run) => {
      const series = perSecond(run.records.filter((r) => r.result === 'outcome').map((r) => r.endMs - run.startMs));
      return runs.length > 1 ? series.slice(0, -1) : series;
    }),
    results: countResults(records),
    cpu: mergeCpu(cpus),
    rounds: runs.map((run) => Math.round((run.records.filter((r) => r.result === 'outcome').length / (run.endMs - run.startMs)) * 1000)),
  };
}

export function mergeCpu(reports: CpuReport[]): CpuReport {
  const elapsedS = reports.reduce((a, r) => a + r.elapsedS, 0);
  const weighted = (f: (r: CpuReport) => number): number =>
    elapsedS > 0 ? Math.round((reports.reduce((a, r) => a + f(r) * r.elapsedS, 0) / elapsedS) * 100) / 100 : 0;
  const names = [...new Set(reports.flatMap((r) => Object.keys(r.cores)))];
  return {
    elapsedS: Math.round(elapsedS * 10) / 10,
    machineBusy: weighted((r) => r.machineBusy),
    cores: Object.fromEntries(names.map((name) => [name, weighted((r) => r.cores[name] ?? 0)])),
    otherCores: weighted((r) => r.otherCores),
  };
}

export function p99BySecond(records: Array<{ startMs: number; endMs: number }>, fromMs: number): number[] {
  const buckets: number[][] = [];
  for (const r of records) (buckets[Math.floor((r.startMs - fromMs) / 1000)] ??= []).push(r.endMs - r.startMs);
  return [...buckets].map((b) => (b ? summarize(b).p99 : 0));
}

/** A joining worker's start → first handled event, and when its process was up (the rest is the handover). */
export function joinText(run: { joinToFirstHandledMs?: number | null; joinUpMs?: number | null }): string {
  if (run.joinToFirstHandledMs === undefined) return '–';
  const up = run.joinUpMs === undefined ? '' : run.joinUpMs === null ? ' (not up)' : ` (up after ${run.joinUpMs} ms)`;
  return `${run.joinToFirstHandledMs === null ? 'none in the window' : `${run.joinToFirstHandledMs} ms`}${up}`;
}
