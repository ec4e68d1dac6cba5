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
  // Issue 14: scale-out measured with workers capped at 0.1 core and load growing with N.
  const capped = (result.scaling ?? []).filter((s) => s.workerCpu === 0.1 && s.efficiency !== undefined);
  for (const [workers, goal] of [
    [2, 0.9],
    [4, 0.8],
  ] as const) {
    const run = capped.find((s) => s.workers === workers);
    if (run?.efficiency !== undefined) {
      targets.push({
        name: `scaling efficiency, ${workers} workers at 0.1 core`,
        target: `≥ ${goal}`,
        value: String(run.efficiency),
        met: run.efficiency >= goal,
      });
    }
  }
  const [single, spread] = [result.balanced?.find((b) => b.nodes === 1), result.balanced?.find((b) => b.nodes > 1)];
  if (single && spread) {
    targets.push({
      name: `${spread.nodes} balanced nodes vs 1 node`,
      target: '≥ 1 node',
      value: `${spread.eventsPerSec} vs ${single.eventsPerSec} events/s (${Math.round(spread.forwardedShare * 100)}% forwarded)`,
      met: spread.eventsPerSec >= single.eventsPerSec,
    });
  }
  const runs = [
    ...(result.scaling ?? []).map((s) => ({ name: `${s.workers}w`, exact: s.exact })),
    ...(result.balanced ?? []).map((b) => ({ name: `${b.nodes} balanced`, exact: b.exact })),
  ];
  targets.push({
    name: 'exactness',
    target: 'every run exact',
    value: [e ? `e2e ${e.check.exact ? 'exact' : 'NOT exact'}` : '', ...runs.map((r) => `${r.name} ${r.exact ? 'exact' : 'NOT exact'}`)]
      .filter(Boolean)
      .join(', '),
    met: (e ? e.check.exact : true) && runs.every((r) => r.exact),
  });
  return targets;
}
