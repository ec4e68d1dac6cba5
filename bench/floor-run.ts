/**
 * The floor part: set up beside the engine's end-to-end node (it takes turns with it, see
 * e2e-run.ts), then its result set against the engine's. The floor itself is in floor.ts.
 */
import { Floor } from './floor.js';
import { round } from './phase-summaries.js';
import type { BenchResult, SystemRun } from './result-types.js';
import type { EngineEnv } from './run-context.js';
import { LOCAL_MARIADB, createDatabase } from './services.js';

/** The floor, ready for its turns, when asked for and not a soak; null otherwise or when it could not start (a failure). */
export async function startFloorIfAsked(env: EngineEnv, result: BenchResult): Promise<Floor | null> {
  const { options, cleanups, runId, log } = env;
  let floor: Floor | null = null;
  if (options.only.includes('floor') && options.durationS === 0) {
    const steps =
      options.floorPath === 'inline' ? 'one group-committed accept+handle commit' : `${options.floorIntake ?? 'group'} intake tx + group-committed handling`;
    log(`floor (${options.floorPath}): ${steps} + hot-state write in-process, no engine (takes turns with the engine)`);
    try {
      const url = await createDatabase(LOCAL_MARIADB, `je_bench_${runId}_floor`, cleanups);
      floor = await Floor.setup({
        mariadbUrl: url,
        seeds: env.cluster.seeds,
        keyPrefix: `bench-${runId}-floor`,
        journeys: options.journeys,
        concurrency: options.concurrency,
        partitions: options.partitions,
        path: options.floorPath,
        ...(options.floorIntake ? { intake: options.floorIntake } : {}),
      });
      const opened = floor;
      cleanups.add('floor', () => opened.close());
    } catch (error) {
      result.failures.push(`floor failed: ${error instanceof Error ? error.message : String(error)}`);
      log(`floor FAILED: ${String(error)}`);
    }
  }
  return floor;
}

/** Records the floor's result and engine/floor after the end-to-end run, then closes the floor and drops its database. */
export async function finishFloor(env: EngineEnv, floor: Floor, engine: SystemRun, result: BenchResult): Promise<void> {
  const { cleanups, runId, log } = env;
  const f = floor.result();
  const ratio = round(engine.sync.outcomesPerSec / Math.max(1, f.eventsPerSec), 2);
  result.floor = { ...f, engineOverFloor: ratio };
  log(`  floor (${f.path}): ${f.eventsPerSec}/s (p99 ${f.latencyMs.p99} ms, mean commit batch ${f.meanBatch}); engine/floor ${ratio}`);
  await cleanups.runNamed('floor');
  await cleanups.runNamed(`drop je_bench_${runId}_floor`);
}
