/**
 * What every part of a run shares: its environment (services, options, log), CPU meters and load
 * notes, opening and warming wallets, and draining and checking an engine's store.
 */
import os from 'node:os';
import type { LocalCluster } from '../grid/index.js';
import { checkEngine } from './check.js';
import type { CheckReport, StoredEvent, StoredJourney } from './check.js';
import type { BenchOptions } from './cli-options.js';
import { openAll, runClosed } from './load.js';
import type { OpRecord, Wallet, WalletDriver } from './load.js';
import { round } from './phase-summaries.js';
import type { BenchResult, SystemRun } from './result-types.js';
import { CpuMeter, LOCAL_MARIADB, pidsOf, queryDatabase, waitUntil } from './services.js';
import type { Cleanups, CpuReport, Proc, ResourceSampler } from './services.js';
import { summarize } from './stats.js';

export interface EngineEnv {
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

export function redisPids(cluster: LocalCluster): number[] {
  return cluster.ports.map((port) => cluster.pidOf(port)).filter((pid): pid is number => pid !== undefined);
}

export function meterFor(env: EngineEnv, procs: () => Proc[]): CpuMeter {
  return new CpuMeter(() => {
    const groups = new Map<string, number[]>();
    for (const proc of procs()) groups.set(proc.name, [proc.pid]);
    groups.set('redis (6 nodes)', redisPids(env.cluster));
    groups.set('mariadbd (shared)', pidsOf('mariadbd'));
    groups.set('load generator', [process.pid]);
    return groups;
  });
}

export function noteLoad(env: EngineEnv, phase: string, cpu: CpuReport): void {
  env.load.push({ phase, load1: round(os.loadavg()[0] ?? 0, 2), otherCores: cpu.otherCores });
  env.log(
    `  ${phase}: machine ${Math.round(cpu.machineBusy * 100)}% busy; cores ${JSON.stringify(cpu.cores)}; others ${cpu.otherCores}; load1 ${round(os.loadavg()[0] ?? 0, 2)}`,
  );
}

/** Waits until every partition is leased and spread over exactly `owners` nodes (rendezvous hashing settles in a few lease ticks). */
export async function waitForSpread(database: string, owners: Proc[], timeoutMs: number): Promise<void> {
  await waitUntil(
    `${owners.length} nodes to share the partitions`,
    async () => {
      for (const p of owners) if (!p.alive) throw new Error(`${p.name} exited:\n${p.log.slice(-3000)}`);
      const rows = await queryDatabase<{ owners: number; free: number }>(
        LOCAL_MARIADB,
        database,
        `SELECT COUNT(DISTINCT owner_node) AS owners, SUM(owner_node IS NULL OR lease_expires_at <= NOW(6)) AS free FROM partitions`,
      );
      return Number(rows[0]?.owners) === owners.length && Number(rows[0]?.free) === 0;
    },
    timeoutMs,
    500,
  );
}

export async function drainAndCheck(database: string, wallets: Wallet[], records: OpRecord[], timeoutMs = 120_000): Promise<CheckReport> {
  await waitUntil(
    'every accepted event to be handled',
    async () =>
      Number((await queryDatabase<{ n: number }>(LOCAL_MARIADB, database, `SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))[0]?.n ?? 1) === 0,
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

export async function openAndWarm(
  driver: WalletDriver,
  wallets: Wallet[],
  env: EngineEnv,
  label: string,
): Promise<{ open: SystemRun['open']; warm: OpRecord[] }> {
  const opened = await openAll(driver, wallets, env.options.concurrency);
  env.log(`  ${label}: opened ${wallets.length} wallets in ${Math.round(opened.elapsedMs)} ms`);
  // Warm-up: one operation per wallet (JIT, connection pools, actors and caches); checked too.
  const warm = await runClosed(driver, wallets, { phase: 'warmup', concurrency: env.options.concurrency, perWallet: 1, wait: true, epoch: env.epoch });
  return {
    open: openingFigures(wallets.length, opened),
    warm: warm.records,
  };
}

/** What an opening of `wallets` wallets (an openAll) shows: its rate and latencies. */
export function openingFigures(wallets: number, opened: { ms: number[]; elapsedMs: number }): SystemRun['open'] {
  return {
    wallets,
    elapsedMs: Math.round(opened.elapsedMs),
    perSec: Math.round((wallets / opened.elapsedMs) * 1000),
    latencyMs: summarize(opened.ms),
  };
}

export function tickLogger(env: EngineEnv, label: string): (records: OpRecord[]) => void {
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
