/**
 * `npm run bench`: the end-to-end wallet benchmark, the floor, worker scaling and Restate, in one
 * run on this machine, with an exactness check at the end. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { HELP, PARTS, parseArgs } from './cli-options.js';
import type { BenchOptions } from './cli-options.js';
import { runE2eIfAsked } from './e2e-run.js';
import { startFloorIfAsked } from './floor-run.js';
import { round } from './phase-summaries.js';
import { formatProfile, summarizeProfile } from './profile.js';
import { renderMarkdown, updateReadme, writeCharts, writeSoakChart } from './report.js';
import { startPeerIfAsked } from './restate-peer.js';
import type { BenchResult, Target } from './result-types.js';
import type { EngineEnv } from './run-context.js';
import { runScalingIfAsked } from './scaling-run.js';
import { Cleanups, CpuMeter, ROOT, ResourceSampler, snapshotCode, startGrid } from './services.js';

// ---------------------------------------------------------------------------------------------

function targetsOf(result: BenchResult): Target[] {
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
    targets.push({ name: `p99 at half our peak (${e.paced.targetPerSec}/s)`, target: '< 50 ms', value: `${e.paced.latencyMs.p99} ms`, met: e.paced.latencyMs.p99 < 50 });
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
    value: [e ? `e2e ${e.check.exact ? 'exact' : 'NOT exact'}` : '', ...(result.scaling ?? []).map((s) => `${s.workers}w ${s.exact ? 'exact' : 'NOT exact'}`)].filter(Boolean).join(', '),
    met: (e ? e.check.exact : true) && (result.scaling ?? []).every((s) => s.exact),
  });
  return targets;
}

/** Writes the markdown, charts and README section of a stored result again (report changes). */
function rerender(options: BenchOptions): number {
  const result = JSON.parse(readFileSync(options.from ?? '', 'utf8')) as BenchResult;
  result.targets = targetsOf(result);
  mkdirSync(options.out, { recursive: true });
  const markdown = renderMarkdown(result, { chartsDir: '.' });
  if (options.latest ?? result.settings.durationS === 0) {
    writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.out, 'latest.md'), markdown);
    writeCharts(result, options.out);
  }
  if (result.settings.durationS > 0) {
    writeFileSync(join(options.out, 'latest-soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.out, 'latest-soak.md'), markdown);
    writeSoakChart(result, join(options.out, 'soak-rss.svg'));
  }
  if (options.updateReadme) updateReadme(resolve(ROOT, 'README.md'), result);
  console.log(markdown);
  return 0;
}

/** Waits until the machine is mostly idle (other engineers' suites share these cores), or gives up. */
async function waitQuiet(maxS: number, log: (line: string) => void): Promise<void> {
  const deadline = performance.now() + maxS * 1000;
  for (;;) {
    const meter = new CpuMeter(() => new Map());
    meter.begin();
    await new Promise((r) => setTimeout(r, 5000));
    const busy = meter.end().machineBusy;
    if (busy < 0.25) {
      log(`machine quiet (${Math.round(busy * 100)}% busy over 5 s)`);
      return;
    }
    if (performance.now() > deadline) {
      log(`machine still ${Math.round(busy * 100)}% busy after ${maxS} s; starting anyway (see the load table)`);
      return;
    }
    log(`machine ${Math.round(busy * 100)}% busy; waiting for quiet`);
  }
}

function codeState(): BenchResult['code'] {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The bench itself and the floor run from the working tree; engine processes may not.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'engine', 'cache-store', 'grid', 'api', 'dsl', 'common', 'cli', 'journeys'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => line.slice(3));
    return { commit, dirty, source: 'worktree' };
  } catch {
    return { commit: 'unknown', dirty: [], source: 'worktree' };
  }
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
  const result: BenchResult = {
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
    },
    targets: [],
    failures: [],
  };
  let codeDir = ROOT;
  if (options.code === 'worktree') {
    result.code = codeState();
  } else {
    codeDir = join(workDir, 'code');
    const commit = snapshotCode(options.code, codeDir);
    result.code = { commit: commit.slice(0, 12), dirty: [], source: 'commit' };
  }
  log(`run ${runId}: ${options.only.join(', ')}; ${options.journeys} wallets × ${options.events} events, concurrency ${options.concurrency}; load ${result.machine.loadavgStart.join(' ')}`);
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
      nodeArgs: (name) => (options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []),
      collectProfile: (name, loadFromMs) => {
        if (!options.cpuProf) return;
        try {
          const dir = join(profileDir, name);
          // The main thread's profile is the one with the most CPU (others: loader/worker threads).
          const summaries = readdirSync(dir)
            .filter((f) => f.endsWith('.cpuprofile'))
            .map((file) => ({ file, summary: summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Parameters<typeof summarizeProfile>[0], 30, loadFromMs) }))
            .sort((a, b) => b.summary.busy * b.summary.totalMs - a.summary.busy * a.summary.totalMs);
          const main = summaries[0];
          if (main) {
            result.profiles = { ...result.profiles, [name]: main.summary };
            console.log(formatProfile(`${name}, steady state (${join(dir, main.file)})`, main.summary));
          }
        } catch (error) {
          log(`no profile for ${name}: ${String(error)}`);
        }
      },
    };

    const peer = await startPeerIfAsked(env, workDir, result);
    const floor = await startFloorIfAsked(env, result);
    await runE2eIfAsked(env, peer, floor, result);
    await runScalingIfAsked(env, result);
  } catch (error) {
    result.failures.push(`setup failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
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

  mkdirSync(options.out, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = join(options.out, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const markdown = renderMarkdown(result, { chartsDir: '.' });
  const complete = PARTS.every((p) => options.only.includes(p));
  if (options.latest ?? (complete && options.durationS === 0)) {
    writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.out, 'latest.md'), markdown);
    writeCharts(result, options.out);
    log(`wrote ${join(options.out, 'latest.json')}, latest.md and the charts`);
  }
  if (options.durationS > 0) {
    writeFileSync(join(options.out, 'latest-soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.out, 'latest-soak.md'), markdown);
    writeSoakChart(result, join(options.out, 'soak-rss.svg'));
  }
  if (options.updateReadme) {
    updateReadme(resolve(ROOT, 'README.md'), result);
    log('updated the README benchmark section');
  }
  console.log(`\n${markdown}`);
  log(`results: ${file}`);
  if (result.failures.length > 0) {
    console.error(`\nbench FAILED:\n- ${result.failures.join('\n- ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();