/**
 * The end-to-end part: one `journey serve` node (api,worker) driven request → outcome (taking
 * turns with the peer and the floor), then 202-only, then open loop at half the peak, then the
 * seed service level (open loop at a fixed modest rate), then the read path under write load,
 * then the exactness check.
 */
import type { Floor } from './floor.js';
import { finishFloor } from './floor-run.js';
import { EngineDriver, makeWallets, openAll, runClosed, runPaced } from './load.js';
import type { OpRecord, PhaseResult, Wallet, WalletDriver } from './load.js';
import { PayloadMix, payloadLine } from './payload-mix.js';
import { countResults, p99BySecond, rssSummaries, syncFromRounds } from './phase-summaries.js';
import { readPathLine, runReadLoad } from './read-load.js';
import { finishPeer, stallWatch } from './restate-peer.js';
import type { Peer } from './restate-peer.js';
import type { AsyncPhase, BenchResult, PacedPhase, ReadPathPhase, SystemRun } from './result-types.js';
import { drainAndCheck, meterFor, noteLoad, openAndWarm, openingFigures, tickLogger } from './run-context.js';
import type { EngineEnv } from './run-context.js';
import { LOCAL_MARIADB, createDatabase, freePort, queryDatabase, startEngineNode, waitReady, waitUntil } from './services.js';
import type { CpuReport } from './services.js';
import { summarize } from './stats.js';

async function dbRates(
  database: string,
  eventIds: string[],
): Promise<{ n: number; acceptedSpanUs: number; handledSpanUs: number; lagUs: number; series: number[] }> {
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
  return {
    n: Number(row?.n ?? 0),
    acceptedSpanUs: Number(row?.acc_us ?? 0),
    handledSpanUs: Number(row?.span_us ?? 0),
    lagUs: Number(row?.lag_us ?? 0),
    series,
  };
}

/**
 * An open-loop phase at `rate` arrivals per second: latency from each request's intended send
 * time, so stalls show instead of slowing the arrivals (no coordinated omission).
 */
async function openLoop(
  env: EngineEnv,
  driver: EngineDriver,
  wallets: Wallet[],
  phase: string,
  rate: number,
  seconds: number,
): Promise<{ summary: PacedPhase; records: OpRecord[] }> {
  const run = await runPaced(driver, wallets, {
    phase,
    ratePerSec: rate,
    durationMs: seconds * 1000,
    wait: true,
    epoch: env.epoch,
    maxInFlight: env.options.concurrency * 4,
  });
  const ok = run.records.filter((r) => r.result === 'outcome');
  return {
    summary: {
      targetPerSec: rate,
      achievedPerSec: Math.round((ok.length / (run.endMs - run.startMs)) * 1000),
      events: run.records.length,
      skipped: run.skipped,
      latencyMs: summarize(ok.map((r) => r.endMs - r.startMs)),
      results: countResults(run.records),
      p99BySecond: p99BySecond(ok, run.startMs),
    },
    records: run.records,
  };
}

async function engineE2e(
  env: EngineEnv,
  peer: Peer | null,
  floor: Floor | null,
  onPeer: (run: (SystemRun & { version: string }) | { error: string }) => void,
): Promise<SystemRun> {
  const { options, cleanups, sampler } = env;
  const database = `je_bench_${env.runId}_e2e`;
  const url = await createDatabase(LOCAL_MARIADB, database, cleanups);
  const port = await freePort();
  const node = startEngineNode(
    {
      mariadbUrl: url,
      seeds: env.cluster.seeds,
      keyPrefix: `bench-${env.runId}-e2e`,
      roles: 'api,worker',
      nodeId: 'bench-e2e',
      port,
      partitions: options.partitions,
      logLevel: 'warn',
      nodeArgs: env.nodeArgs('bench-e2e'),
      codeDir: env.codeDir,
    },
    cleanups,
  );
  const spawnedAt = performance.now();
  await waitReady(port, node);
  sampler.watch(node);
  let loadFromMs = 0;
  const payloads = options.mixedPayloads ? new PayloadMix() : null;
  const driver = new EngineDriver(port, options.concurrency * 2, options.waitMs, payloads);
  const wallets = makeWallets(options.journeys, `e2e-${env.runId}`);
  const meter = meterFor(env, () => [node]);
  try {
    sampler.phase = 'open';
    const { open: coldOpen, warm } = await openAndWarm(driver, wallets, env, 'engine');
    let open = coldOpen;
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
      const who = isEngine
        ? { driver: driver as WalletDriver, wallets, meter }
        : { driver: peerOk?.driver as WalletDriver, wallets: peerOk?.wallets ?? [], meter: peerOk?.meter ?? meter };
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
      const asyncRun = await runClosed(driver, wallets, {
        phase: 'async',
        concurrency: options.concurrency,
        perWallet: options.events,
        wait: false,
        epoch: env.epoch,
      });
      await waitUntil(
        'the async phase to drain',
        async () =>
          Number((await queryDatabase<{ n: number }>(LOCAL_MARIADB, database, `SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))[0]?.n ?? 1) === 0,
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
      const run = await openLoop(env, driver, wallets, 'paced', rate, options.pacedS);
      records.push(...run.records);
      paced = run.summary;
      env.log(
        `  engine paced at ${rate}/s: p50 ${paced.latencyMs.p50} p99 ${paced.latencyMs.p99} max ${paced.latencyMs.max} ms; p99 per second ${paced.p99BySecond.join(' ')}`,
      );
    }

    // 4. the seed service level (issue 14): the latency at a fixed modest rate, far from the peak.
    let seedServiceLevel: PacedPhase | undefined;
    if (options.seedLevelS > 0 && options.durationS === 0) {
      sampler.phase = 'seed';
      const run = await openLoop(env, driver, wallets, 'seed', options.seedRate, options.seedLevelS);
      records.push(...run.records);
      seedServiceLevel = run.summary;
      env.log(
        `  engine seed service level at ${options.seedRate}/s: p50 ${seedServiceLevel.latencyMs.p50} p95 ${seedServiceLevel.latencyMs.p95} p99 ${seedServiceLevel.latencyMs.p99} max ${seedServiceLevel.latencyMs.max} ms (${seedServiceLevel.achievedPerSec}/s achieved, ${seedServiceLevel.skipped} skipped)`,
      );
    }

    // 5. the read path while the closed-loop writes run: what a reading app sees on a busy node.
    let readPath: ReadPathPhase | undefined;
    if (options.readLoadS > 0 && options.durationS === 0) {
      sampler.phase = 'read-load';
      meter.begin();
      const run = await runReadLoad(driver, wallets, {
        port,
        seconds: options.readLoadS,
        readers: options.readers,
        concurrency: options.concurrency,
        epoch: env.epoch,
      });
      noteLoad(env, 'engine reads under writes', meter.end());
      records.push(...run.records);
      readPath = run.phase;
      env.log(`  engine read path under write load: ${readPathLine(readPath)}`);
    }

    // 6. opening, timed on the warm node: as many new wallets again, at C in flight. The first
    // opening started a cold process (JIT, pools, the new database's pages) and ran at about half
    // this rate; the targeted phases too are timed only warm. Checked with the rest.
    const probes =
      options.durationS === 0 ? makeWallets(options.journeys, `e2e-open-${env.runId}`).map((w) => ({ ...w, index: w.index + options.journeys })) : [];
    if (probes.length > 0) {
      sampler.phase = 'open-warm';
      const opened = await openAll(driver, probes, options.concurrency);
      open = { ...openingFigures(probes.length, opened), cold: coldOpen };
      env.log(`  engine opening, warm: ${open.perSec}/s (cold, at the start: ${coldOpen.perSec}/s)`);
    }

    if (payloads) env.log(`  payloads: ${payloadLine(payloads.report())}`);
    sampler.phase = 'check';
    const check = await drainAndCheck(database, [...wallets, ...probes], records);
    env.log(
      `  engine check: ${check.exact ? 'EXACT' : 'NOT EXACT'} (${check.acked} acknowledged, ${check.stored} stored, ${check.ambiguous} ambiguous, ${check.refused} refused)`,
    );
    sampler.unwatch(node);
    return {
      topology: '1 `journey serve` process, ROLES=api,worker',
      open,
      sync,
      ...(asyncPhase ? { async: asyncPhase } : {}),
      ...(paced ? { paced } : {}),
      ...(seedServiceLevel ? { seedServiceLevel } : {}),
      ...(readPath ? { readPath } : {}),
      ...(payloads ? { payloads: payloads.report() } : {}),
      check,
      rss: rssSummaries(sampler, [node.name]),
    };
  } finally {
    driver.close();
    await cleanups.runNamed(`node ${node.name}`);
    env.collectProfile(node.name, loadFromMs);
  }
}

/** The end-to-end part when asked for, with the peer's and the floor's results; a run that fails or is not exact is a failure. */
export async function runE2eIfAsked(env: EngineEnv, peer: Peer | null, floor: Floor | null, result: BenchResult): Promise<void> {
  const { options, log } = env;
  if (options.only.includes('e2e')) {
    log('end-to-end: one journey serve node (api,worker)');
    try {
      result.engine = await engineE2e(env, peer, floor, (run) => {
        result.restate = run;
      });
      if (floor) await finishFloor(env, floor, result.engine, result);
      if (!result.engine.check.exact) result.failures.push(`e2e not exact: ${result.engine.check.problems.slice(0, 5).join('; ')}`);
    } catch (error) {
      result.failures.push(`e2e failed: ${error instanceof Error ? error.message : String(error)}`);
      log(`e2e FAILED: ${String(error)}`);
    }
  }
}
