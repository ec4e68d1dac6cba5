/**
 * The goals a run is judged against, from its result (issue 14). Every goal of a part the run was
 * asked for gets a row — measured, or "not measured" with what would measure it — so a full run's
 * table states each target. Figures the issue asks to see without a goal are rows marked
 * `reportOnly`. Results stored before a figure existed lack its row, so `--from` renders them as
 * they were measured.
 */
import { API_BODY_LIMIT_BYTES } from './payload-mix.js';
import { joinText, round } from './phase-summaries.js';
import type { BalancedRun, BenchResult, SystemRun, Target } from './result-types.js';

/** The lead over Restate: events/s at the same concurrency, on the same machine, in turns. */
const RESTATE_RATIO_GOAL = 4;
/** Engine request→outcome throughput over the floor's (the least durable work the design needs). */
const FLOOR_RATIO_GOAL = 0.8;
/** p99 of the open loop at half our peak, ms. */
const PACED_P99_GOAL_MS = 25;
/** Opening journeys: rate against the request→outcome rate, and p99 in ms. */
const OPEN_RATE_GOAL = 0.8;
const OPEN_P99_GOAL_MS = 50;
/** Scale-out with each worker capped at this many cores and load growing with N: efficiency goal per N. */
const CAPPED_WORKER_CORES = 0.1;
const EFFICIENCY_GOALS = [
  [2, 0.9],
  [4, 0.8],
] as const;
const CAPPED_COMMAND = `--only scaling --workers 1,2,4 --worker-cpu ${CAPPED_WORKER_CORES} --in-flight-per-worker 64`;

const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;

function notMeasured(name: string, target: string, why: string): Target {
  return { name, target, value: `not measured: ${why}`, met: null };
}

function failedCount(errors: Record<string, number>): string {
  const n = Object.values(errors).reduce((a, b) => a + b, 0);
  return n > 0 ? `, ${n} failed` : '';
}

/** The lead: Restate, the floor, and the open loop at half peak. */
function leadTargets(result: BenchResult): Target[] {
  const targets: Target[] = [];
  const e = result.engine;
  const r = result.restate && 'sync' in result.restate ? result.restate : undefined;
  const only = result.settings.only;
  const restateName = 'throughput vs Restate (same concurrency)';
  if (e && r) {
    const ratio = e.sync.outcomesPerSec / Math.max(1, r.sync.outcomesPerSec);
    targets.push({
      name: restateName,
      target: `≥ ${RESTATE_RATIO_GOAL}×`,
      value: `${round(ratio, 2)}× (${e.sync.outcomesPerSec} vs ${r.sync.outcomesPerSec} events/s)`,
      met: ratio >= RESTATE_RATIO_GOAL,
    });
    targets.push({
      name: 'p99 request→outcome vs Restate (same concurrency)',
      target: '≤ Restate',
      value: `${e.sync.latencyMs.p99} vs ${r.sync.latencyMs.p99} ms`,
      met: e.sync.latencyMs.p99 <= r.sync.latencyMs.p99,
    });
  } else if (only.includes('restate')) {
    targets.push(
      notMeasured(restateName, `≥ ${RESTATE_RATIO_GOAL}×`, result.restate && 'error' in result.restate ? 'Restate did not run' : 'no end-to-end result'),
    );
  }
  const floorName = 'engine / floor';
  if (result.floor?.engineOverFloor !== null && result.floor?.engineOverFloor !== undefined) {
    targets.push({
      name: floorName,
      target: `≥ ${FLOOR_RATIO_GOAL}`,
      value: `${result.floor.engineOverFloor}`,
      met: result.floor.engineOverFloor >= FLOOR_RATIO_GOAL,
    });
  } else if (only.includes('floor')) {
    targets.push(notMeasured(floorName, `≥ ${FLOOR_RATIO_GOAL}`, 'the floor did not run'));
  }
  const pacedName = 'p99 at half our peak (open loop)';
  if (e?.paced) {
    targets.push({
      name: `p99 at half our peak (${e.paced.targetPerSec}/s, open loop)`,
      target: `≤ ${PACED_P99_GOAL_MS} ms`,
      value: `${e.paced.latencyMs.p99} ms`,
      met: e.paced.latencyMs.p99 <= PACED_P99_GOAL_MS,
    });
  } else if (only.includes('e2e')) {
    targets.push(notMeasured(pacedName, `≤ ${PACED_P99_GOAL_MS} ms`, 'the open-loop phase was off (--paced 0)'));
  }
  return targets;
}

/** Opening, the seed service level and the read path: issue 14's figures of the end-to-end node. */
function e2eFigures(e: SystemRun, settings: BenchResult['settings']): Target[] {
  const targets: Target[] = [];
  const ratio = e.open.perSec / Math.max(1, e.sync.outcomesPerSec);
  targets.push({
    name: `opening journeys (${e.open.wallets} OpenWallet to their outcome, closed loop${e.open.cold ? ', on the warm node' : ''}) vs request→outcome`,
    target: `≥ ${OPEN_RATE_GOAL}× the request→outcome rate`,
    value: `${e.open.perSec} vs ${e.sync.outcomesPerSec} events/s (${round(ratio, 2)}×)`,
    met: ratio >= OPEN_RATE_GOAL,
  });
  targets.push({
    name: 'opening journeys: p99',
    target: `≤ ${OPEN_P99_GOAL_MS} ms`,
    value: `p50 ${e.open.latencyMs.p50} / p95 ${e.open.latencyMs.p95} / p99 ${e.open.latencyMs.p99} ms`,
    met: e.open.latencyMs.p99 <= OPEN_P99_GOAL_MS,
  });
  // A soak skips these phases; results from before them lack them: no row then.
  const newer = settings.seedLevelS !== undefined && settings.durationS === 0;
  const seedTarget = `reported: p50 and p95 (for reference, p99 at half peak: ≤ ${PACED_P99_GOAL_MS} ms)`;
  if (e.seedServiceLevel) {
    const s = e.seedServiceLevel;
    targets.push({
      name: `seed service level: open loop at ${s.targetPerSec}/s`,
      target: seedTarget,
      value: `p50 ${s.latencyMs.p50} / p95 ${s.latencyMs.p95} ms (p99 ${s.latencyMs.p99}, ${s.achievedPerSec}/s achieved, ${s.skipped} skipped)`,
      met: null,
      reportOnly: true,
    });
  } else if (newer) {
    targets.push({ ...notMeasured('seed service level', seedTarget, 'the phase was off (--seed-level 0)'), reportOnly: true });
  }
  if (e.readPath) {
    const p = e.readPath;
    targets.push({
      name: `reads under write load: GET /journeys/{id} (${p.readersInFlight} reads in flight, GET and search alternating)`,
      target: 'reported: p50 and p99',
      value: `p50 ${p.get.latencyMs.p50} / p99 ${p.get.latencyMs.p99} ms, ${p.get.count} reads${failedCount(p.get.errors)}`,
      met: null,
      reportOnly: true,
    });
    targets.push({
      name: 'reads under write load: search by owner (GET /journeys?type=pfm/wallet&owner=…)',
      target: 'reported: p50 and p99',
      value: `p50 ${p.search.latencyMs.p50} / p99 ${p.search.latencyMs.p99} ms, ${p.search.count} searches${failedCount(p.search.errors)}`,
      met: null,
      reportOnly: true,
    });
    targets.push({
      name: `writes while reading (request→outcome, ${p.writes.inFlight} in flight)`,
      target: 'reported',
      value: `${p.writes.outcomesPerSec} events/s (${round(p.writes.outcomesPerSec / Math.max(1, e.sync.outcomesPerSec), 2)}× the request→outcome phase), p99 ${p.writes.latencyMs.p99} ms`,
      met: null,
      reportOnly: true,
    });
  } else if (newer) {
    targets.push({ ...notMeasured('reads under write load', 'reported: p50 and p99', 'the phase was off (--read-load 0)'), reportOnly: true });
  }
  return targets;
}

/** The memory target: worker RSS over a soak of at least 10 minutes with payloads of mixed sizes. */
function rssTarget(result: BenchResult): Target | null {
  const e = result.engine;
  // Worker processes: the e2e node (api,worker) and the scaling runs' workers.
  const workerRss = [...(e?.rss ?? []), ...(result.scaling ?? []).flatMap((run) => run.rss.filter((m) => m.name.includes('worker')))];
  if (workerRss.length === 0) return null;
  const { durationS, mixedPayloads } = result.settings;
  const mixed = mixedPayloads === true;
  const limit = (e?.payloads ?? result.scaling?.[0]?.payloads)?.bodyLimitBytes ?? API_BODY_LIMIT_BYTES;
  const payloads = mixed ? `mixed payloads: 90% ≤ 1 KiB, 9% ~16 KiB, 1% near the ${kib(limit)} body limit` : 'small payloads only';
  const worst = workerRss.reduce((a, m) => (m.slopeMiBPerMin > a.slopeMiBPerMin ? m : a));
  return {
    name: `worker RSS flat (${durationS > 0 ? `${durationS} s under load, ${payloads}` : 'short run'})`,
    target: '< 1 MiB/min after warm-up, over 10 min with mixed payloads',
    value:
      durationS > 0
        ? workerRss.map((m) => `${m.name} ${m.firstMiB}→${m.lastMiB} MiB (max ${m.maxMiB}, ${m.slopeMiBPerMin} MiB/min)`).join('; ')
        : `${workerRss.length} worker processes between ${Math.min(...workerRss.map((m) => m.minMiB))} and ${Math.max(...workerRss.map((m) => m.maxMiB))} MiB; too short to judge a trend — see bench/results/latest-soak.md (npm run bench:soak -- --duration 600)`,
    met: durationS >= 600 && mixed ? worst.slopeMiBPerMin < 1 : null,
  };
}

/** Scale-out with capped workers (efficiency at N = 2 and 4), and a worker joining under load. */
function scalingTargets(result: BenchResult): Target[] {
  const targets: Target[] = [];
  if (!result.settings.only.includes('scaling')) return targets;
  const scaling = result.scaling ?? [];
  const capped = scaling.filter((s) => s.workerCpu === CAPPED_WORKER_CORES && s.efficiency !== undefined);
  for (const [workers, goal] of EFFICIENCY_GOALS) {
    const name = `scaling efficiency, ${workers} workers at ${CAPPED_WORKER_CORES} core`;
    const run = capped.find((s) => s.workers === workers);
    if (run?.efficiency !== undefined) {
      targets.push({
        name,
        target: `≥ ${goal}`,
        value: `${run.efficiency} (${run.handledPerSec} events/s, ${run.inFlight ?? '?'} in flight)`,
        met: run.efficiency >= goal,
      });
    } else if (result.settings.durationS === 0) {
      targets.push(notMeasured(name, `≥ ${goal}`, `needs \`${CAPPED_COMMAND}\``));
    }
  }
  const joins = scaling.filter((s) => s.joinToFirstHandledMs !== undefined);
  const joinName = 'a worker joining under load: start → first handled event';
  if (joins.length > 0) {
    const cap = joins[0]?.workerCpu;
    targets.push({
      name: `${joinName}${cap === undefined ? '' : ` (capped at ${cap} core)`}`,
      target: 'reported',
      value: joins.map((s) => `joining ${s.workers} worker(s): ${joinText(s)}`).join('; '),
      met: null,
      reportOnly: true,
    });
  } else if (result.settings.joinS === 0) {
    targets.push({ ...notMeasured(joinName, 'reported', 'off (--join 0)'), reportOnly: true });
  }
  return targets;
}

function balancedTargets(result: BenchResult): Target[] {
  const runs = result.balanced ?? [];
  const single = runs.find((b) => b.nodes === 1);
  const roundRobin = runs.find((b) => b.nodes > 1 && b.routing !== 'owner');
  const routed = runs.find((b) => b.nodes > 1 && b.routing === 'owner');
  const nodes = result.settings.balancedNodes ?? 3;
  const targets: Target[] = [];
  if (!result.settings.only.includes('balanced') && runs.length === 0) return targets;
  const line = (run: BalancedRun): string =>
    `${run.eventsPerSec} vs ${single?.eventsPerSec ?? '?'} events/s (${Math.round(run.forwardedShare * 100)}% forwarded)`;
  // The goal is met by a client (or gateway) that follows X-Journey-Owner: spreading then costs no hop.
  if (single && routed) {
    targets.push({
      name: `${routed.nodes} balanced nodes vs 1 node, clients following X-Journey-Owner`,
      target: '≥ 1 node',
      value: line(routed),
      met: routed.eventsPerSec >= single.eventsPerSec,
    });
  } else if (single && roundRobin && !routed) {
    // An older result: round-robin only.
    targets.push({
      name: `${roundRobin.nodes} balanced nodes vs 1 node`,
      target: '≥ 1 node',
      value: line(roundRobin),
      met: roundRobin.eventsPerSec >= single.eventsPerSec,
    });
  } else {
    targets.push(notMeasured(`${nodes} balanced nodes vs 1 node`, '≥ 1 node', 'a balanced point failed'));
  }
  if (single && roundRobin && routed) {
    targets.push({
      name: `${roundRobin.nodes} balanced nodes vs 1 node, requests round-robin (no owner routing)`,
      target: 'reported: events/s and the share forwarded',
      value: line(roundRobin),
      met: null,
      reportOnly: true,
    });
  }
  return targets;
}

export function targetsOf(result: BenchResult): Target[] {
  const e = result.engine;
  const targets: Target[] = [...leadTargets(result)];
  if (e) targets.push(...e2eFigures(e, result.settings));
  const rss = rssTarget(result);
  if (rss) targets.push(rss);
  targets.push(...scalingTargets(result));
  targets.push(...balancedTargets(result));
  const runs = [
    ...(result.scaling ?? []).map((s) => ({ name: `${s.workers}w`, exact: s.exact })),
    ...(result.balanced ?? []).map((b) => ({ name: `${b.nodes} balanced${b.routing === 'owner' ? ' owner-routed' : ''}`, exact: b.exact })),
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
