/**
 * The balanced part: combined nodes (`ROLES=api,worker`) behind a round-robin balancer — the load
 * generator spreads requests over their ports in turn — against 1 node, each on a fresh database
 * and key prefix. A request that reaches a node not owning its journey is forwarded to the owner
 * (je_events_forwarded_total); the share of such events is what spreading load costs. Then the
 * same nodes' worth again with a client that follows the X-Journey-Owner header each answer carries
 * (a wallet's next request goes to the node named as its owner): what a client or gateway that
 * routes by owner pays for spreading — no hop for all but a wallet's first request.
 */
import { EngineDriver, makeWallets, runClosed } from './load.js';
import { scrapeCounter, total } from './node-metrics.js';
import { round, syncPhase } from './phase-summaries.js';
import type { BalancedRun, BenchResult } from './result-types.js';
import { drainAndCheck, meterFor, noteLoad, openAndWarm, waitForSpread } from './run-context.js';
import type { EngineEnv } from './run-context.js';
import { LOCAL_MARIADB, createDatabase, freePort, startEngineNode, waitReady } from './services.js';
import type { Proc } from './services.js';

const FORWARDED = 'je_events_forwarded_total';

async function forwardsOf(ports: number[]): Promise<Record<string, number>> {
  const sum: Record<string, number> = {};
  for (const port of ports) for (const [result, n] of Object.entries(await scrapeCounter(port, FORWARDED, 'result'))) sum[result] = (sum[result] ?? 0) + n;
  return sum;
}

async function balancedRun(env: EngineEnv, nodes: number, routing: BalancedRun['routing']): Promise<BalancedRun> {
  const { options, cleanups } = env;
  const tag = `b${nodes}${routing === 'owner' ? 'o' : ''}`;
  const database = `je_bench_${env.runId}_${tag}`;
  const url = await createDatabase(LOCAL_MARIADB, database, cleanups);
  const common = {
    mariadbUrl: url,
    seeds: env.cluster.seeds,
    keyPrefix: `bench-${env.runId}-${tag}`,
    partitions: options.partitions,
    logLevel: 'warn',
    codeDir: env.codeDir,
  };
  const ports: number[] = [];
  const procs: Proc[] = [];
  const owners = new Map<string, number>();
  for (let i = 1; i <= nodes; i++) {
    const port = await freePort();
    const name = `bench-${tag}-node-${i}`;
    owners.set(name, i - 1);
    ports.push(port);
    procs.push(startEngineNode({ ...common, roles: 'api,worker', nodeId: name, port, nodeArgs: env.nodeArgs(name) }, cleanups));
  }
  const driver = new EngineDriver(ports, options.concurrency * 2, options.waitMs, null, routing === 'owner' ? owners : null);
  try {
    for (const [i, proc] of procs.entries()) await waitReady(ports[i] ?? 0, proc);
    await waitForSpread(database, procs, 90_000);
    const wallets = makeWallets(options.journeys, `${tag}-${env.runId}`);
    const { warm } = await openAndWarm(driver, wallets, env, `${nodes} balanced node(s)`);
    const meter = meterFor(env, () => procs);
    const before = await forwardsOf(ports);
    meter.begin();
    const run = await runClosed(driver, wallets, { phase: 'sync', concurrency: options.concurrency, perWallet: options.events, wait: true, epoch: env.epoch });
    const cpu = meter.end();
    const after = await forwardsOf(ports);
    const forwarded = Object.fromEntries(Object.entries(after).map(([result, n]) => [result, n - (before[result] ?? 0)]));
    const phase = syncPhase(run, cpu);
    noteLoad(env, `balanced ${nodes}`, cpu);
    const check = await drainAndCheck(database, wallets, [...warm, ...run.records]);
    const forwardedShare = run.records.length > 0 ? round(total(forwarded) / run.records.length, 3) : 0;
    env.log(
      `  ${nodes} balanced node(s), ${routing}: ${phase.outcomesPerSec}/s, p99 ${phase.latencyMs.p99} ms, ${Math.round(forwardedShare * 100)}% forwarded, ${check.exact ? 'EXACT' : 'NOT EXACT'}`,
    );
    return { nodes, routing, eventsPerSec: phase.outcomesPerSec, latencyMs: phase.latencyMs, forwardedShare, forwarded, exact: check.exact, check, cpu };
  } finally {
    driver.close();
    for (const p of procs) {
      await cleanups.runNamed(`node ${p.name}`);
      env.collectProfile(p.name, 0);
    }
  }
}

/** 1 node, then `--balanced-nodes` nodes round-robin; a run that fails or is not exact is a failure, and the next still runs. */
export async function runBalancedIfAsked(env: EngineEnv, result: BenchResult): Promise<void> {
  const { options, log } = env;
  if (!options.only.includes('balanced')) return;
  result.balanced = [];
  const points: Array<{ nodes: number; routing: BalancedRun['routing'] }> = [
    { nodes: 1, routing: 'round-robin' },
    { nodes: options.balancedNodes, routing: 'round-robin' },
    { nodes: options.balancedNodes, routing: 'owner' },
  ];
  for (const { nodes, routing } of points) {
    const label = `balanced ${nodes}${routing === 'owner' ? ' owner-routed' : ''}`;
    log(
      `balanced: ${nodes} combined node(s), requests ${routing === 'owner' ? 'sent to the owner each answer names' : 'round-robin'}, ${options.concurrency} in flight`,
    );
    try {
      const run = await balancedRun(env, nodes, routing);
      result.balanced.push(run);
      if (!run.exact) result.failures.push(`${label} not exact: ${run.check.problems.slice(0, 5).join('; ')}`);
    } catch (error) {
      result.failures.push(`${label} failed: ${error instanceof Error ? error.message : String(error)}`);
      log(`${label} FAILED: ${String(error)}`);
    }
  }
}
