/**
 * The scaling part: one API process and N worker processes on a fresh database and key prefix,
 * driven request → outcome once every partition is leased and spread over the workers.
 */
import { EngineDriver, makeWallets, runClosed } from './load.js';
import { rssSummaries, syncPhase } from './phase-summaries.js';
import type { BenchResult, ScalingRun } from './result-types.js';
import { drainAndCheck, meterFor, noteLoad, openAndWarm, tickLogger } from './run-context.js';
import type { EngineEnv } from './run-context.js';
import { LOCAL_MARIADB, createDatabase, freePort, queryDatabase, startEngineNode, waitReady, waitUntil } from './services.js';

async function engineScaling(env: EngineEnv, workers: number): Promise<ScalingRun> {
  const { options, cleanups, sampler } = env;
  const tag = `s${workers}`;
  const database = `je_bench_${env.runId}_${tag}`;
  const url = await createDatabase(LOCAL_MARIADB, database, cleanups);
  const keyPrefix = `bench-${env.runId}-${tag}`;
  const port = await freePort();
  const common = { mariadbUrl: url, seeds: env.cluster.seeds, keyPrefix, partitions: options.partitions, logLevel: 'warn', codeDir: env.codeDir };
  const api = startEngineNode({ ...common, roles: 'api', nodeId: `bench-${tag}-api`, port, nodeArgs: env.nodeArgs(`bench-${tag}-api`) }, cleanups);
  const workerProcs = Array.from({ length: workers }, (_, i) =>
    startEngineNode({ ...common, roles: 'worker', nodeId: `bench-${tag}-worker-${i + 1}`, nodeArgs: env.nodeArgs(`bench-${tag}-worker-${i + 1}`) }, cleanups),
  );
  const all = [api, ...workerProcs];
  const spawnedAt = performance.now();
  let loadFromMs = 0;
  const driver = new EngineDriver(port, options.concurrency * 2, options.waitMs);
  try {
    await waitReady(port, api);
    // Every partition leased, spread over all the workers (rendezvous hashing settles in a few lease ticks).
    await waitUntil(
      `${workers} workers to share the partitions`,
      async () => {
        for (const p of workerProcs) if (!p.alive) throw new Error(`${p.name} exited:\n${p.log.slice(-3000)}`);
        const rows = await queryDatabase<{ owners: number; free: number }>(
          LOCAL_MARIADB,
          database,
          `SELECT COUNT(DISTINCT owner_node) AS owners, SUM(owner_node IS NULL OR lease_expires_at <= NOW(6)) AS free FROM partitions`,
        );
        return Number(rows[0]?.owners) === workers && Number(rows[0]?.free) === 0;
      },
      90_000,
      500,
    );
    const wallets = makeWallets(options.journeys, `${tag}-${env.runId}`);
    sampler.phase = `scaling-${workers}`;
    for (const p of all) sampler.watch(p);
    const { warm } = await openAndWarm(driver, wallets, env, `${workers} worker(s)`);
    loadFromMs = performance.now() - spawnedAt;
    const meter = meterFor(env, () => all);
    meter.begin();
    const run = await runClosed(driver, wallets, {
      phase: 'sync',
      concurrency: options.concurrency,
      perWallet: options.events,
      ...(options.durationS > 0 ? { durationMs: options.durationS * 1000 } : {}),
      wait: true,
      epoch: env.epoch,
      onTick: options.durationS > 0 ? tickLogger(env, `${workers} worker(s)`) : undefined,
    });
    const cpu = meter.end();
    const phase = syncPhase(run, cpu);
    noteLoad(env, `scaling ${workers}`, cpu);
    const check = await drainAndCheck(database, wallets, [...warm, ...run.records]);
    env.log(`  ${workers} worker(s): ${phase.outcomesPerSec}/s, p99 ${phase.latencyMs.p99} ms, ${check.exact ? 'EXACT' : 'NOT EXACT'}`);
    for (const p of all) sampler.unwatch(p);
    return {
      workers,
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
  if (options.only.includes('scaling')) {
    result.scaling = [];
    for (const workers of options.workers) {
      log(`scaling: 1 API process + ${workers} worker process(es)`);
      try {
        const run = await engineScaling(env, workers);
        result.scaling.push(run);
        if (!run.exact) result.failures.push(`scaling ${workers} not exact: ${run.check.problems.slice(0, 5).join('; ')}`);
      } catch (error) {
        result.failures.push(`scaling ${workers} failed: ${error instanceof Error ? error.message : String(error)}`);
        log(`scaling ${workers} FAILED: ${String(error)}`);
      }
    }
  }
}
