/**
 * The scaling part: one API process and N worker processes on a fresh database and key prefix,
 * driven request → outcome once every partition is leased and spread over the workers. With
 * `--worker-cpu` each worker runs in a cgroup capped at that many cores (bench/cpu-cap.ts); with
 * `--in-flight-per-worker` the load grows with N; with `--join` one more worker then joins under
 * load and the time to its first handled event is reported.
 */
import { CpuCaps } from './cpu-cap.js';
import { EngineDriver, makeWallets, runClosed } from './load.js';
import type { OpRecord, Wallet } from './load.js';
import { scrapeCounter, total } from './node-metrics.js';
import { PayloadMix, payloadLine } from './payload-mix.js';
import { round, rssSummaries, syncPhase } from './phase-summaries.js';
import type { BenchResult, ScalingRun } from './result-types.js';
import { drainAndCheck, meterFor, noteLoad, openAndWarm, tickLogger, waitForSpread } from './run-context.js';
import type { EngineEnv } from './run-context.js';
import { LOCAL_MARIADB, createDatabase, freePort, startEngineNode, waitReady } from './services.js';
import type { EngineNodeSettings, Proc } from './services.js';

/** Requests in flight for N workers: N × `--in-flight-per-worker`, or `--concurrency` for every N. */
export function inFlightFor(options: EngineEnv['options'], workers: number): number {
  return options.inFlightPerWorker === null ? options.concurrency : workers * options.inFlightPerWorker;
}

/** handled/s of each run ÷ (its workers × handled/s of the 1-worker run); nothing without a 1-worker run. */
export function setEfficiencies(runs: ScalingRun[]): void {
  const one = runs.find((run) => run.workers === 1)?.handledPerSec ?? 0;
  if (one <= 0) return;
  for (const run of runs) run.efficiency = round(run.handledPerSec / (run.workers * one), 2);
}

/** A worker process with an operations port (its /metrics), capped when the run has caps. */
interface Worker {
  proc: Proc;
  port: number;
  startedAt: number;
}

async function startWorker(env: EngineEnv, common: Omit<EngineNodeSettings, 'roles' | 'nodeId'>, name: string, caps: CpuCaps | null): Promise<Worker> {
  const port = await freePort();
  const proc = startEngineNode({ ...common, roles: 'worker', nodeId: name, port, nodeArgs: env.nodeArgs(name) }, env.cleanups);
  const startedAt = performance.now();
  // At once, so the worker's start (module loading, leases) runs under its cap as it would on a small node.
  caps?.cap(proc.pid, name);
  return { proc, port, startedAt };
}

/** Mean share of CFS periods in which the workers hit their caps, between two readings. */
function throttledBetween(caps: CpuCaps, names: string[], before: Map<string, { periods: number; throttled: number } | null>): number | undefined {
  const shares: number[] = [];
  for (const name of names) {
    const [a, b] = [before.get(name), caps.throttled(name)];
    if (a && b && b.periods > a.periods) shares.push((b.throttled - a.throttled) / (b.periods - a.periods));
  }
  return shares.length > 0 ? round(shares.reduce((x, y) => x + y, 0) / shares.length, 2) : undefined;
}

/**
 * One more worker joins while `wallets` keep `concurrency` requests in flight for `seconds`:
 * ms from its start to its first handled event (its je_events_handled_total), or null; and to its
 * first HTTP answer (up: the rest is the handover of its partitions).
 */
async function joinUnderLoad(
  env: EngineEnv,
  driver: EngineDriver,
  wallets: Wallet[],
  concurrency: number,
  start: () => Promise<Worker>,
): Promise<{ ms: number | null; upMs: number | null; records: OpRecord[] }> {
  const seconds = env.options.joinS;
  const load = runClosed(driver, wallets, { phase: 'join', concurrency, perWallet: 1, durationMs: seconds * 1000, wait: true, epoch: env.epoch });
  const joiner = await start();
  let ms: number | null = null;
  let upMs: number | null = null;
  const deadline = joiner.startedAt + seconds * 1000;
  while (performance.now() < deadline && joiner.proc.alive) {
    const handled = await scrapeCounter(joiner.port, 'je_events_handled_total').catch(() => null);
    if (handled !== null && upMs === null) upMs = Math.round(performance.now() - joiner.startedAt);
    if (handled !== null && total(handled) > 0) {
      ms = Math.round(performance.now() - joiner.startedAt);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const run = await load;
  env.log(
    `  a worker joining under load handled its first event ${ms === null ? `not within ${seconds} s` : `after ${ms} ms`} (up after ${upMs === null ? '–' : `${upMs} ms`})`,
  );
  return { ms, upMs, records: run.records };
}

async function engineScaling(env: EngineEnv, workers: number, caps: CpuCaps | null): Promise<ScalingRun> {
  const { options, cleanups, sampler } = env;
  const tag = `s${workers}`;
  const database = `je_bench_${env.runId}_${tag}`;
  const url = await createDatabase(LOCAL_MARIADB, database, cleanups);
  const keyPrefix = `bench-${env.runId}-${tag}`;
  const port = await freePort();
  const concurrency = inFlightFor(options, workers);
  const common = { mariadbUrl: url, seeds: env.cluster.seeds, keyPrefix, partitions: options.partitions, logLevel: 'warn', codeDir: env.codeDir };
  const api = startEngineNode({ ...common, roles: 'api', nodeId: `bench-${tag}-api`, port, nodeArgs: env.nodeArgs(`bench-${tag}-api`) }, cleanups);
  const started: Worker[] = [];
  for (let i = 1; i <= workers; i++) started.push(await startWorker(env, common, `bench-${tag}-worker-${i}`, caps));
  const workerProcs = started.map((w) => w.proc);
  const all = [api, ...workerProcs];
  const spawnedAt = performance.now();
  let loadFromMs = 0;
  const payloads = options.mixedPayloads ? new PayloadMix() : null;
  const driver = new EngineDriver(port, concurrency * 2, options.waitMs, payloads);
  try {
    await waitReady(port, api);
    // Every partition leased, spread over all the workers (rendezvous hashing settles in a few lease
    // ticks). A capped worker starts slower: it loads its modules at its share of a core.
    await waitForSpread(database, workerProcs, Math.max(90_000, 20_000 / (options.workerCpu ?? 1)));
    const wallets = makeWallets(options.journeys, `${tag}-${env.runId}`);
    sampler.phase = `scaling-${workers}`;
    for (const p of all) sampler.watch(p);
    const { warm } = await openAndWarm(driver, wallets, env, `${workers} worker(s)`);
    loadFromMs = performance.now() - spawnedAt;
    const meter = meterFor(env, () => all);
    const throttledBefore = new Map(workerProcs.map((p) => [p.name, caps?.throttled(p.name) ?? null]));
    meter.begin();
    const run = await runClosed(driver, wallets, {
      phase: 'sync',
      concurrency,
      perWallet: options.events,
      ...(options.durationS > 0 ? { durationMs: options.durationS * 1000 } : {}),
      wait: true,
      epoch: env.epoch,
      onTick: options.durationS > 0 ? tickLogger(env, `${workers} worker(s)`) : undefined,
    });
    const cpu = meter.end();
    const throttledShare = caps
      ? throttledBetween(
          caps,
          workerProcs.map((p) => p.name),
          throttledBefore,
        )
      : undefined;
    const phase = syncPhase(run, cpu);
    noteLoad(env, `scaling ${workers}`, cpu);
    for (const p of all) sampler.unwatch(p);
    const join =
      options.joinS > 0
        ? await joinUnderLoad(env, driver, wallets, concurrency, async () => {
            const joiner = await startWorker(env, common, `bench-${tag}-worker-join`, caps);
            all.push(joiner.proc);
            return joiner;
          })
        : null;
    const check = await drainAndCheck(database, wallets, [...warm, ...run.records, ...(join?.records ?? [])]);
    env.log(`  ${workers} worker(s): ${phase.outcomesPerSec}/s, p99 ${phase.latencyMs.p99} ms, ${check.exact ? 'EXACT' : 'NOT EXACT'}`);
    if (payloads) env.log(`  payloads: ${payloadLine(payloads.report())}`);
    return {
      workers,
      ...(options.workerCpu === null ? {} : { workerCpu: options.workerCpu }),
      inFlight: concurrency,
      ...(throttledShare === undefined ? {} : { throttledShare }),
      ...(join ? { joinToFirstHandledMs: join.ms, joinUpMs: join.upMs } : {}),
      ...(payloads ? { payloads: payloads.report() } : {}),
      handledPerSec: phase.outcomesPerSec,
      latencyMs: phase.latencyMs,
      exact: check.exact,
      check,
      cpu,
      rss: rssSummaries(
        sampler,
        all.map((p) => p.name),
        [`scaling-${workers}`],
      ),
    };
  } finally {
    driver.close();
    for (const p of all) {
      await cleanups.runNamed(`node ${p.name}`);
      env.collectProfile(p.name, loadFromMs);
    }
  }
}

/** Each worker count in turn when asked for; a run that fails or is not exact is a failure, and the next still runs. */
export async function runScalingIfAsked(env: EngineEnv, result: BenchResult): Promise<void> {
  const { options, log } = env;
  if (!options.only.includes('scaling')) return;
  result.scaling = [];
  // Opened before any worker starts: where quotas cannot be set this throws, naming what is missing.
  const caps = options.workerCpu === null ? null : CpuCaps.open(options.workerCpu, `journey-bench-${env.runId}`);
  if (caps) env.cleanups.add('cpu caps', () => Promise.resolve(caps.close()));
  try {
    for (const workers of options.workers) {
      log(
        `scaling: 1 API process + ${workers} worker process(es)${caps ? ` capped at ${caps.cores} core(s) each` : ''}, ${inFlightFor(options, workers)} in flight`,
      );
      try {
        const run = await engineScaling(env, workers, caps);
        result.scaling.push(run);
        if (!run.exact) result.failures.push(`scaling ${workers} not exact: ${run.check.problems.slice(0, 5).join('; ')}`);
      } catch (error) {
        result.failures.push(`scaling ${workers} failed: ${error instanceof Error ? error.message : String(error)}`);
        log(`scaling ${workers} FAILED: ${String(error)}`);
      }
    }
    setEfficiencies(result.scaling);
  } finally {
    await env.cleanups.runNamed('cpu caps');
  }
}
