/**
 * `npm run bench`: the end-to-end wallet benchmark, the floor, worker scaling, balanced nodes and Restate, in one
 * run on this machine, with an exactness check at the end. See bench/README.md.
 *
 * This file ties the parts together: the flags (cli-options.ts), the parts of a run (e2e-run.ts,
 * floor-run.ts, scaling-run.ts, balanced-run.ts, restate-peer.ts), and the files a run leaves (result-files.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { HELP, PARTS, parseArgs } from './cli-options.js';
import type { BenchOptions } from './cli-options.js';
import { runBalancedIfAsked } from './balanced-run.js';
import { codeUnderTest } from './code-under-test.js';
import { CpuCapUnavailable, detectLayout } from './cpu-cap.js';
import { cpuProfiling } from './cpu-profiles.js';
import { runE2eIfAsked } from './e2e-run.js';
import { startFloorIfAsked } from './floor-run.js';
import { round } from './phase-summaries.js';
import { waitQuiet } from './quiet-machine.js';
import { startPeerIfAsked } from './restate-peer.js';
import { rerender, writeResults } from './result-files.js';
import { targetsOf } from './result-targets.js';
import type { BenchResult } from './result-types.js';
import type { EngineEnv } from './run-context.js';
import { runScalingIfAsked } from './scaling-run.js';
import { Cleanups, ResourceSampler, startGrid } from './services.js';

/** The result as a run starts: the machine, the settings, nothing measured yet. */
function newResult(options: BenchOptions, startedAt: Date): BenchResult {
  return {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    argv: process.argv.slice(2),
    code: { commit: 'unknown', dirty: [], source: 'worktree' },
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadavgStart: os.loadavg().map((x) => round(x, 2)),
      loadavgEnd: [],
      load: [],
    },
    settings: {
      journeys: options.journeys,
      events: options.events,
      concurrency: options.concurrency,
      workers: options.workers,
      durationS: options.durationS,
      waitMs: options.waitMs,
      pacedS: options.pacedS,
      partitions: options.partitions,
      only: options.only,
      workerCpu: options.workerCpu,
      inFlightPerWorker: options.inFlightPerWorker,
      joinS: options.joinS,
      balancedNodes: options.balancedNodes,
      readLoadS: options.readLoadS,
      readers: options.readers,
      seedLevelS: options.seedLevelS,
      seedRate: options.seedRate,
      mixedPayloads: options.mixedPayloads,
    },
    targets: [],
    failures: [],
  };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (options.from) return rerender(options);
  if (options.workerCpu !== null && options.only.includes('scaling')) {
    // Before anything starts: a capped run that cannot be capped does not run at all.
    try {
      detectLayout();
    } catch (error) {
      if (!(error instanceof CpuCapUnavailable)) throw error;
      console.error(`bench: ${error.message}`);
      return 2;
    }
  }
  const runId = randomBytes(4).toString('hex');
  const startedAt = new Date();
  const epoch = performance.now();
  const log = (line: string): void => console.log(`[${((performance.now() - epoch) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const cleanups = new Cleanups();
  const workDir = mkdtempSync(join(os.tmpdir(), `je-bench-${runId}-`));
  cleanups.add('work dir', () => Promise.resolve(rmSync(workDir, { recursive: true, force: true })));
  let interrupted = false;
  const onSignal = (signal: string): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`bench: ${signal}: stopping everything this run started`);
    void cleanups.runAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  if (options.waitQuietS > 0) await waitQuiet(options.waitQuietS, log);
  const sampler = new ResourceSampler(epoch);
  sampler.start();
  const result = newResult(options, startedAt);
  const { codeDir, state } = codeUnderTest(options.code, workDir);
  result.code = state;
  log(
    `run ${runId}: ${options.only.join(', ')}; ${options.journeys} wallets × ${options.events} events, concurrency ${options.concurrency}; load ${result.machine.loadavgStart.join(' ')}`,
  );
  try {
    log('starting a local Redis Cluster (3 masters, 3 replicas) on free ports');
    const cluster = await startGrid(join(workDir, 'grid'), cleanups);
    const profileDir = join(options.out, 'profiles', runId);
    const env: EngineEnv = {
      codeDir,
      runId,
      cluster,
      cleanups,
      sampler,
      epoch,
      options,
      load: result.machine.load,
      log,
      ...cpuProfiling(options, profileDir, result, log),
    };

    const peer = await startPeerIfAsked(env, workDir, result);
    const floor = await startFloorIfAsked(env, result);
    await runE2eIfAsked(env, peer, floor, result);
    await runScalingIfAsked(env, result);
    await runBalancedIfAsked(env, result);
  } catch (error) {
    result.failures.push(`setup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    log(`FAILED: ${String(error)}`);
  } finally {
    sampler.stop();
    await cleanups.runAll();
  }

  const r = result.restate && 'sync' in result.restate ? result.restate : undefined;
  if (result.engine && r) {
    result.comparison = {
      throughputRatio: round(result.engine.sync.outcomesPerSec / Math.max(1, r.sync.outcomesPerSec), 2),
      p99Ours: result.engine.sync.latencyMs.p99,
      p99Restate: r.sync.latencyMs.p99,
      concurrency: options.concurrency,
    };
  }
  result.targets = targetsOf(result);
  result.machine.loadavgEnd = os.loadavg().map((x) => round(x, 2));
  result.finishedAt = new Date().toISOString();
  const file = writeResults(
    options,
    result,
    PARTS.every((p) => options.only.includes(p)),
    log,
  );
  log(`results: ${file}`);
  if (result.failures.length > 0) {
    console.error(`\nbench FAILED:\n- ${result.failures.join('\n- ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
