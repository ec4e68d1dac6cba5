/**
 * `npm run bench`: the end-to-end wallet benchmark, the floor, worker scaling and Restate, in one
 * run on this machine, with an exactness check at the end. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { LocalCluster } from '../grid/index.js';
import { checkEngine, checkRestate } from './check.js';
import type { CheckReport, StoredEvent, StoredJourney } from './check.js';
import { HELP, PARTS, parseArgs } from './cli-options.js';
import type { BenchOptions } from './cli-options.js';
import { Floor } from './floor.js';
import { EngineDriver, RestateDriver, makeWallets, openAll, runClosed, runPaced } from './load.js';
import type { OpRecord, PhaseResult, Wallet, WalletDriver } from './load.js';
import { formatProfile, summarizeProfile } from './profile.js';
import { renderMarkdown, updateReadme, writeCharts, writeSoakChart } from './report.js';
import { ensureRestateInstalled, startRestate } from './restate.js';
import type { AsyncPhase, BenchResult, PacedPhase, RssSummary, ScalingRun, SyncPhase, SystemRun, Target } from './result-types.js';
import {
  Cleanups,
  CpuMeter,
  LOCAL_MARIADB,
  ROOT,
  ResourceSampler,
  createDatabase,
  freePort,
  snapshotCode,
  pidsOf,
  queryDatabase,
  startEngineNode,
  startGrid,
  waitReady,
  waitUntil,
} from './services.js';
import type { CpuReport, Proc } from './services.js';
import { histogram, perSecond, slope, summarize } from './stats.js';

function p99BySecond(records: Array<{ startMs: number; endMs: number }>, fromMs: number): number[] {
  const buckets: number[][] = [];
  for (const r of records) (buckets[Math.floor((r.startMs - fromMs) / 1000)] ??= []).push(r.endMs - r.startMs);
  return [...buckets].map((b) => (b ? summarize(b).p99 : 0));
}

// ---------------------------------------------------------------------------------------------

const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

function countResults(records: OpRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    const key = r.result === 'refused' || r.result === 'ambiguous' ? `${r.result}:${r.status}${r.error ? ` ${r.error}` : ''}` : r.result;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function syncPhase(result: PhaseResult, cpu: CpuReport): SyncPhase {
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

function rssSummaries(sampler: ResourceSampler, names: string[], phases?: string[]): RssSummary[] {
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

// ---------------------------------------------------------------------------------------------
// The engine side

interface EngineEnv {
  /** Where the engine processes run from (a commit snapshot or the working tree). */
  codeDir: string;
  runId: string;
  /** Node flags for engine processes (profiling). */
  nodeArgs: (name: string) => string[];
  /** Summarises the profile a stopped engine process wrote, if any, from `loadFromMs` after its start. */
  collectProfile: (name: string, loadFromMs: number) => void;
  cluster: LocalCluster;
  cleanups: Cleanups;
  sampler: ResourceSampler;
  epoch: number;
  options: BenchOptions;
  load: BenchResult['machine']['load'];
  log: (line: string) => void;
}

function redisPids(cluster: LocalCluster): number[] {
  return cluster.ports.map((port) => cluster.pidOf(port)).filter((pid): pid is number => pid !== undefined);
}

function meterFor(env: EngineEnv, procs: () => Proc[]): CpuMeter {
  return new CpuMeter(() => {
    const groups = new Map<string, number[]>();
    for (const proc of procs()) groups.set(proc.name, [proc.pid]);
    groups.set('redis (6 nodes)', redisPids(env.cluster));
    groups.set('mariadbd (shared)', pidsOf('mariadbd'));
    groups.set('load generator', [process.pid]);
    return groups;
  });
}

function noteLoad(env: EngineEnv, phase: string, cpu: CpuReport): void {
  env.load.push({ phase, load1: round(os.loadavg()[0] ?? 0, 2), otherCores: cpu.otherCores });
  env.log(`  ${phase}: machine ${Math.round(cpu.machineBusy * 100)}% busy; cores ${JSON.stringify(cpu.cores)}; others ${cpu.otherCores}; load1 ${round(os.loadavg()[0] ?? 0, 2)}`);
}

async function drainAndCheck(database: string, wallets: Wallet[], records: OpRecord[], timeoutMs = 120_000): Promise<CheckReport> {
  await waitUntil(
    'every accepted event to be handled',
    async () => Number((await queryDatabase<{ n: number }>(LOCAL_MARIADB, database, `SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))[0]?.n ?? 1) === 0,
    timeoutMs,
    250,
  );
  const events = await queryDatabase<StoredEvent>(
    LOCAL_MARIADB,
    database,
    `SELECT journey_id, event_id, journey_seq, event_type, payload, status, outcome FROM events`,
  );
  const journeys = await queryDatabase<StoredJourney>(LOCAL_MARIADB, database, `SELECT journey_id, data, handled_seq, accepted_seq FROM journeys`);
  return checkEngine(wallets, records, events, journeys);
}

async function dbRates(database: string, eventIds: string[]): Promise<{ n: number; acceptedSpanUs: number; handledSpanUs: number; lagUs: number; series: number[] }> {
  const rows = await queryDatabase<{ n: number; acc_us: number; span_us: number; lag_us: number }>(
    LOCAL_MARIADB,
    database,
    `SELECT COUNT(*) AS n, TIMESTAMPDIFF(MICROSECOND, MIN(accepted_at), MAX(accepted_at)) AS acc_us,
            TIMESTAMPDIFF(MICROSECOND, MIN(accepted_at), MAX(handled_at)) AS span_us,
            TIMESTAMPDIFF(MICROSECOND, MAX(accepted_at), MAX(handled_at)) AS lag_us
       FROM events WHERE event_id IN (?)`,
    [eventIds],
  );
  const seriesRows = await queryDatabase<{ s: number; n: number }>(
    LOCAL_MARIADB,
    database,
    `SELECT FLOOR(TIMESTAMPDIFF(MICROSECOND, (SELECT MIN(accepted_at) FROM events WHERE event_id IN (?)), handled_at) / 1000000) AS s, COUNT(*) AS n
       FROM events WHERE event_id IN (?) GROUP BY s ORDER BY s`,
    [eventIds, eventIds],
  );
  const last = seriesRows.reduce((a, r) => Math.max(a, Number(r.s)), 0);
  const series = new Array<number>(last + 1).fill(0);
  for (const r of seriesRows) series[Number(r.s)] = Number(r.n);
  const row = rows[0];
  return { n: Number(row?.n ?? 0), acceptedSpanUs: Number(row?.acc_us ?? 0), handledSpanUs: Number(row?.span_us ?? 0), lagUs: Number(row?.lag_us ?? 0), series };
}

async function openAndWarm(driver: WalletDriver, wallets: Wallet[], env: EngineEnv, label: string): Promise<{ open: SystemRun['open']; warm: OpRecord[] }> {
  const opened = await openAll(driver, wallets, env.options.concurrency);
  env.log(`  ${label}: opened ${wallets.length} wallets in ${Math.round(opened.elapsedMs)} ms`);
  // Warm-up: one operation per wallet (JIT, connection pools, actors and caches); checked too.
  const warm = await runClosed(driver, wallets, { phase: 'warmup', concurrency: env.options.concurrency, perWallet: 1, wait: true, epoch: env.epoch });
  return {
    open: { wallets: wallets.length, elapsedMs: Math.round(opened.elapsedMs), perSec: Math.round((wallets.length / opened.elapsedMs) * 1000), latencyMs: summarize(opened.ms) },
    warm: warm.records,
  };
}

async function engineE2e(env: EngineEnv, peer: Peer | null, floor: Floor | null, onPeer: (run: (SystemRun & { version: string }) | { error: string }) => void): Promise<SystemRun> {
  const { options, cleanups, sampler } = env;
  const database = `je_bench_${env.runId}_e2e`;
  const url = await createDatabase(LOCAL_MARIADB, database, cleanups);
  const port = await freePort();
  const node = startEngineNode(
    { mariadbUrl: url, seeds: env.cluster.seeds, keyPrefix: `bench-${env.runId}-e2e`, roles: 'api,worker', nodeId: 'bench-e2e', port, partitions: options.partitions, logLevel: 'warn', nodeArgs: env.nodeArgs('bench-e2e'), codeDir: env.codeDir },
    cleanups,
  );
  const spawnedAt = performance.now();
  await waitReady(port, node);
  sampler.watch(node);
  let loadFromMs = 0;
  const driver = new EngineDriver(port, options.concurrency * 2, options.waitMs);
  const wallets = makeWallets(options.journeys, `e2e-${env.runId}`);
  const meter = meterFor(env, () => [node]);
  try {
    sampler.phase = 'open';
    const { open, warm } = await openAndWarm(driver, wallets, env, 'engine');
    loadFromMs = performance.now() - spawnedAt;
    const records: OpRecord[] = [...warm];

    // 1. request → outcome, closed loop at C. With the peer running beside us the two take turns
    // (engine, peer, peer, engine — ABBA, half the events each time) so drifting background load
    // from other work on the machine falls on both alike.
    let peerOk = peer;
    if (peerOk) {
      try {
        sampler.phase = 'restate-open';
        const opened = await openAndWarm(peerOk.driver, peerOk.wallets, env, 'restate');
        peerOk.open = opened.open;
        peerOk.records.push(...opened.warm);
      } catch (error) {
        onPeer({ error: `Restate: ${error instanceof Error ? error.message : String(error)}` });
        peerOk = null;
      }
    }
    // Turns mirror around the middle (ABCCBA), so a load that grows or fades during the phase
    // weighs on every system alike.
    const half: Array<'engine' | 'peer' | 'floor'> =
      options.durationS > 0 ? ['engine'] : ['engine', ...(peerOk ? (['peer'] as const) : []), ...(floor ? (['floor'] as const) : [])];
    const turns = half.length > 1 ? [...half, ...[...half].reverse()] : half;
    const perTurn = turns.length > 1 ? Math.max(1, Math.round(options.events / 2)) : options.events;
    const engineRuns: PhaseResult[] = [];
    const engineCpus: CpuReport[] = [];
    const peerRuns: PhaseResult[] = [];
    const peerCpus: CpuReport[] = [];
    for (const turn of turns) {
      if (turn === 'floor') {
        sampler.phase = 'floor';
        const rate = await floor?.run(perTurn);
        env.log(`  floor turn: ${rate ?? 0}/s`);
        continue;
      }
      const isEngine = turn === 'engine';
      const who = isEngine ? { driver: driver as WalletDriver, wallets, meter } : { driver: peerOk?.driver as WalletDriver, wallets: peerOk?.wallets ?? [], meter: peerOk?.meter ?? meter };
      sampler.phase = isEngine ? 'sync' : 'restate-sync';
      who.meter.begin();
      const run = await runClosed(who.driver, who.wallets, {
        phase: 'sync',
        concurrency: options.concurrency,
        perWallet: perTurn,
        ...(options.durationS > 0 ? { durationMs: options.durationS * 1000 } : {}),
        wait: true,
        epoch: env.epoch,
        onTick: options.durationS > 0 ? tickLogger(env, 'sync') : isEngine ? undefined : stallWatch(env, peerOk),
      });
      const cpu = who.meter.end();
      const rate = Math.round((run.records.filter((r) => r.result === 'outcome').length / (run.endMs - run.startMs)) * 1000);
      env.log(`  ${isEngine ? 'engine' : 'restate'} turn: ${rate}/s`);
      noteLoad(env, isEngine ? 'engine sync' : 'restate sync', cpu);
      (isEngine ? engineRuns : peerRuns).push(run);
      (isEngine ? engineCpus : peerCpus).push(cpu);
      if (isEngine) records.push(...run.records);
      else peerOk?.records.push(...run.records);
    }
    const sync = syncFromRounds(engineRuns, engineCpus);
    env.log(`  engine sync: ${sync.outcomesPerSec}/s, p50 ${sync.latencyMs.p50} p99 ${sync.latencyMs.p99} max ${sync.latencyMs.max} ms`);
    if (peerOk) {
      const peerSync = syncFromRounds(peerRuns, peerCpus);
      env.log(`  restate sync: ${peerSync.outcomesPerSec}/s, p50 ${peerSync.latencyMs.p50} p99 ${peerSync.latencyMs.p99} max ${peerSync.latencyMs.max} ms`);
      try {
        onPeer(await finishPeer(env, peerOk, peerSync));
      } catch (error) {
        onPeer({ error: `Restate: ${error instanceof Error ? error.message : String(error)}` });
      }
    }

    // 2. durable acknowledgement only (202): intake rate, and how fast the worker keeps up.
    let asyncPhase: AsyncPhase | undefined;
    if (options.durationS === 0) {
      sampler.phase = 'async';
      meter.begin();
      const asyncRun = await runClosed(driver, wallets, { phase: 'async', concurrency: options.concurrency, perWallet: options.events, wait: false, epoch: env.epoch });
      await waitUntil(
        'the async phase to drain',
        async () => Number((await queryDatabase<{ n: number }>(LOCAL_MARIADB, database, `SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))[0]?.n ?? 1) === 0,
        120_000,
        100,
      );
      const asyncCpu = meter.end();
      records.push(...asyncRun.records);
      const acked = asyncRun.records.filter((r) => r.result === 'accepted' && r.eventId);
      const rates = await dbRates(
        database,
        acked.map((r) => r.eventId ?? ''),
      );
      const elapsedMs = asyncRun.endMs - asyncRun.startMs;
      asyncPhase = {
        events: asyncRun.records.length,
        elapsedMs: Math.round(elapsedMs),
        acceptedPerSec: Math.round((acked.length / elapsedMs) * 1000),
        handledPerSec: rates.handledSpanUs > 0 ? Math.round((rates.n / rates.handledSpanUs) * 1e6) : 0,
        drainLagMs: Math.round(rates.lagUs / 1000),
        ackLatencyMs: summarize(acked.map((r) => r.endMs - r.startMs)),
        handledSeries: rates.series,
        results: countResults(asyncRun.records),
        cpu: asyncCpu,
      };
      env.log(`  engine async: accepted ${asyncPhase.acceptedPerSec}/s, handled ${asyncPhase.handledPerSec}/s, drain lag ${asyncPhase.drainLagMs} ms`);
      noteLoad(env, 'engine async', asyncCpu);
    }

    // 3. open loop at half the peak: the latency an operator sees with headroom.
    let paced: PacedPhase | undefined;
    if (options.pacedS > 0 && sync.outcomesPerSec > 0) {
      sampler.phase = 'paced';
      const rate = Math.max(1, Math.round(sync.outcomesPerSec / 2));
      const run = await runPaced(driver, wallets, { phase: 'paced', ratePerSec: rate, durationMs: options.pacedS * 1000, wait: true, epoch: env.epoch, maxInFlight: options.concurrency * 4 });
      records.push(...run.records);
      const ok = run.records.filter((r) => r.result === 'outcome');
      paced = {
        targetPerSec: rate,
        achievedPerSec: Math.round((ok.length / (run.endMs - run.startMs)) * 1000),
        events: run.records.length,
        skipped: run.skipped,
        latencyMs: summarize(ok.map((r) => r.endMs - r.startMs)),
        results: countResults(run.records),
        p99BySecond: p99BySecond(ok, run.startMs),
      };
      env.log(`  engine paced at ${rate}/s: p50 ${paced.latencyMs.p50} p99 ${paced.latencyMs.p99} max ${paced.latencyMs.max} ms; p99 per second ${paced.p99BySecond.join(' ')}`);
    }

    sampler.phase = 'check';
    const check = await drainAndCheck(database, wallets, records);
    env.log(`  engine check: ${check.exact ? 'EXACT' : 'NOT EXACT'} (${check.acked} acknowledged, ${check.stored} stored, ${check.ambiguous} ambiguous, ${check.refused} refused)`);
    sampler.unwatch(node);
    return {
      topology: '1 `journey serve` process, ROLES=api,worker',
      open,
      sync,
      ...(asyncPhase ? { async: asyncPhase } : {}),
      ...(paced ? { paced } : {}),
      check,
      rss: rssSummaries(sampler, [node.name]),
    };
  } finally {
    driver.close();
    await cleanups.runNamed(`node ${node.name}`);
    env.collectProfile(node.name, loadFromMs);
  }
}

/** Notes (once per stall) when the peer makes no progress for 20 s, with its processes' last words. */
function stallWatch(env: EngineEnv, peer: Peer | null): (records: OpRecord[]) => void {
  let last = -1;
  let since = performance.now();
  let reported = false;
  return (records) => {
    const now = performance.now();
    if (records.length !== last) {
      last = records.length;
      since = now;
      reported = false;
      return;
    }
    if (reported || now - since < 20_000 || !peer) return;
    reported = true;
    const note =
      `no outcome for ${Math.round((now - since) / 1000)} s after ${records.length} requests; ` +
      `restate-server ${peer.server.alive ? 'alive' : 'exited'}, wallet service ${peer.service.alive ? 'alive' : 'exited'}; ` +
      `server log: ${peer.server.log.slice(-1500).replaceAll(String.fromCharCode(27), '')} | service log: ${peer.service.log.slice(-1500)}`;
    peer.diagnostics.push(note);
    env.log(`  restate STALL: ${note.slice(0, 3000)}`);
  };
}

function tickLogger(env: EngineEnv, label: string): (records: OpRecord[]) => void {
  let last = 0;
  let lastAt = performance.now();
  return (records) => {
    const now = performance.now();
    if (now - lastAt < 10_000) return;
    env.log(`  ${label}: ${records.length} requests, ${Math.round(((records.length - last) / (now - lastAt)) * 1000)}/s`);
    last = records.length;
    lastAt = now;
  };
}

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

// ---------------------------------------------------------------------------------------------
// Restate

/** Restate, running beside the engine so the two take turns under the same background load. */
interface Peer {
  version: string;
  driver: RestateDriver;
  wallets: Wallet[];
  meter: CpuMeter;
  server: Proc;
  service: Proc;
  records: OpRecord[];
  open?: SystemRun['open'];
  /** What the processes said when a turn stopped making progress. */
  diagnostics: string[];
}

async function startPeer(env: EngineEnv, workDir: string): Promise<Peer> {
  const { options, cleanups, sampler } = env;
  await ensureRestateInstalled(env.log);
  const restate = await startRestate(join(workDir, 'restate'), cleanups);
  sampler.watch(restate.server);
  sampler.watch(restate.service);
  const meter = new CpuMeter(
    () =>
      new Map([
        ['restate-server', [restate.server.pid]],
        ['restate-wallet-service', [restate.service.pid]],
        ['load generator', [process.pid]],
        ['mariadbd (shared)', pidsOf('mariadbd')],
        ['redis (6 nodes)', redisPids(env.cluster)],
      ]),
  );
  return {
    version: restate.version,
    driver: new RestateDriver(restate.ingressPort, options.concurrency * 2),
    wallets: makeWallets(options.journeys, `restate-${env.runId}`),
    meter,
    server: restate.server,
    service: restate.service,
    records: [],
    diagnostics: [],
  };
}

/** Reads every wallet back (a shared handler), checks it against the log, stops Restate. */
async function finishPeer(env: EngineEnv, peer: Peer, sync: SyncPhase): Promise<SystemRun & { version: string }> {
  const { options, cleanups, sampler } = env;
  try {
    const states = new Map<number, { seq: number; data: Record<string, unknown> } | null>();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < peer.wallets.length) {
          const wallet = peer.wallets[next++];
          if (wallet) states.set(wallet.index, await peer.driver.state(wallet.key));
        }
      }),
    );
    const check = checkRestate(peer.wallets, peer.records, states);
    env.log(`  restate check: ${check.exact ? 'EXACT' : 'NOT EXACT'} (${check.acked} acknowledged)`);
    sampler.unwatch(peer.server);
    sampler.unwatch(peer.service);
    return {
      version: peer.version,
      topology: 'restate-server (1 node, defaults: replication 1, 24 partitions, fsync) + 1 Node wallet service',
      open: peer.open ?? { wallets: 0, elapsedMs: 0, perSec: 0, latencyMs: summarize([]) },
      sync,
      check,
      rss: rssSummaries(sampler, [peer.server.name, peer.service.name]),
      ...(peer.diagnostics.length > 0 ? { diagnostics: peer.diagnostics } : {}),
    };
  } finally {
    peer.driver.close();
    await cleanups.runNamed('restate-wallet-service');
    await cleanups.runNamed('restate-server');
  }
}

/** One sync phase from several rounds: pooled latencies, throughput over the rounds' total time. */
function syncFromRounds(runs: PhaseResult[], cpus: CpuReport[]): SyncPhase {
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

function mergeCpu(reports: CpuReport[]): CpuReport {
  const elapsedS = reports.reduce((a, r) => a + r.elapsedS, 0);
  const weighted = (f: (r: CpuReport) => number): number => (elapsedS > 0 ? Math.round((reports.reduce((a, r) => a + f(r) * r.elapsedS, 0) / elapsedS) * 100) / 100 : 0);
  const names = [...new Set(reports.flatMap((r) => Object.keys(r.cores)))];
  return {
    elapsedS: Math.round(elapsedS * 10) / 10,
    machineBusy: weighted((r) => r.machineBusy),
    cores: Object.fromEntries(names.map((name) => [name, weighted((r) => r.cores[name] ?? 0)])),
    otherCores: weighted((r) => r.otherCores),
  };
}

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

    let peer: Peer | null = null;
    if (options.only.includes('restate')) {
      log('peer: starting Restate (virtual object per wallet) to take turns with the engine');
      try {
        peer = await startPeer(env, workDir);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result.restate = { error: message };
        log(`Restate could not run: ${message}`);
      }
    }
    let floor: Floor | null = null;
    if (options.only.includes('floor') && options.durationS === 0) {
      const steps = options.floorPath === 'inline' ? 'one group-committed accept+handle commit' : `${options.floorIntake ?? 'group'} intake tx + group-committed handling`;
      log(`floor (${options.floorPath}): ${steps} + hot-state write in-process, no engine (takes turns with the engine)`);
      try {
        const url = await createDatabase(LOCAL_MARIADB, `je_bench_${runId}_floor`, cleanups);
        floor = await Floor.setup({ mariadbUrl: url, seeds: cluster.seeds, keyPrefix: `bench-${runId}-floor`, journeys: options.journeys, concurrency: options.concurrency, partitions: options.partitions, path: options.floorPath, ...(options.floorIntake ? { intake: options.floorIntake } : {}) });
        const opened = floor;
        cleanups.add('floor', () => opened.close());
      } catch (error) {
        result.failures.push(`floor failed: ${error instanceof Error ? error.message : String(error)}`);
        log(`floor FAILED: ${String(error)}`);
      }
    }
    if (options.only.includes('e2e')) {
      log('end-to-end: one journey serve node (api,worker)');
      try {
        result.engine = await engineE2e(env, peer, floor, (run) => {
          result.restate = run;
        });
        if (floor) {
          const f = floor.result();
          const ratio = round(result.engine.sync.outcomesPerSec / Math.max(1, f.eventsPerSec), 2);
          result.floor = { ...f, engineOverFloor: ratio };
          log(`  floor (${f.path}): ${f.eventsPerSec}/s (p99 ${f.latencyMs.p99} ms, mean commit batch ${f.meanBatch}); engine/floor ${ratio}`);
          await cleanups.runNamed('floor');
          await cleanups.runNamed(`drop je_bench_${runId}_floor`);
        }
        if (!result.engine.check.exact) result.failures.push(`e2e not exact: ${result.engine.check.problems.slice(0, 5).join('; ')}`);
      } catch (error) {
        result.failures.push(`e2e failed: ${error instanceof Error ? error.message : String(error)}`);
        log(`e2e FAILED: ${String(error)}`);
      }
    }
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
