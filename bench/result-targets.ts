/** The goals a run is judged against, from its result. */
import { round } from './phase-summaries.js';
import type { BenchResult, Target } from './result-types.js';

export function targetsOf(result: BenchResult): Target[] {
  const targets: Target[] = [];
  const e = result.engine;
  const r = result.restate && 'sync' in result.restate ? result.restate : undefined;
  if (e && r) {
    const ratio = e.sync.outcomesPerSec / Math.max(1, r.sync.outcomesPerSec);
    targets.push({ name: 'throughput vs Restate (same concurrency)', target: '≥ 2×', value: `${round(ratio, 2)}×`, met: ratio >= 2 });
    targets.push({
      name: 'p99 request→outcome vs Restate (same concurrency)',
      target: '≤ Restate',
      value: `${e.sync.latencyMs.p99} vs ${r.sync.latencyMs.p99} ms`,
      met: e.sync.latencyMs.p99 <= r.sync.latencyMs.p99,
    });
  }
  if (e?.paced) {
    targets.push({
      name: `p99 at half our peak (${e.paced.targetPerSec}/s)`,
      target: '< 50 ms',
      value: `${e.paced.latencyMs.p99} ms`,
      met: e.paced.latencyMs.p99 < 50,
    });
  }
  if (result.floor?.engineOverFloor !== null && result.floor?.engineOverFloor !== undefined) {
    targets.push({ name: 'engine / floor', target: '≥ 0.5', value: `${result.floor.engineOverFloor}`, met: result.floor.engineOverFloor >= 0.5 });
  }
  // Worker processes: the e2e node (api,worker) and the scaling runs' workers.
  const workerRss = [...(e?.rss ?? []), ...(result.scaling ?? []).flatMap((run) => run.rss.filter((m) => m.name.includes('worker')))];
  if (workerRss.length > 0) {
    const long = result.settings.durationS >= 600;
    const worst = workerRss.reduce((a, m) => (m.slopeMiBPerMin > a.slopeMiBPerMin ? m : a));
    targets.push({
      name: `worker RSS flat (${result.settings.durationS > 0 ? `${result.settings.durationS} s under load` : 'short run'})`,
      target: '< 1 MiB/min after warm-up, over 10 min',
      value:
        result.settings.durationS > 0
          ? workerRss.map((m) => `${m.name} ${m.firstMiB}→${m.lastMiB} MiB (max ${m.maxMiB}, ${m.slopeMiBPerMin} MiB/min)`).join('; ')
          : `${workerRss.length} worker processes between ${Math.min(...workerRss.map((m) => m.minMiB))} and ${Math.max(...workerRss.map((m) => m.maxMiB))} MiB; too short to judge a trend — see bench/results/latest-soak.md (npm run bench:soak -- --duration 600)`,
      met: long ? worst.slopeMiBPerMin < 1 : null,
    });
  }
  targets.push({
    name: 'exactness',
    target: 'every run exact',
    value: [e ? `e2e ${e.check.exact ? 'exact' : 'NOT exact'}` : '', ...(result.scaling ?? []).map((s) => `${s.workers}w ${s.exact ? 'exact' : 'NOT exact'}`)]
      .filter(Boolean)
      .join(', '),
    met: (e ? e.check.exact : true) && (result.scaling ?? []).every((s) => s.exact),
  });
  return targets;
}
