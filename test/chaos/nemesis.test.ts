/**
 * The randomized nemesis (test/chaos/nemesis.ts) against three combined `api,worker` nodes on a
 * Redis Cluster and a MariaDB server of this file's own, under wallet load over HTTP with
 * idempotent client retries (every 10th operation double-submitted). For NEMESIS_DURATION_MS
 * (default 1 minute in `npm test`) it kills, pauses and restarts nodes, Redis masters and MariaDB and cuts
 * cluster-bus links, in an order drawn from a printed seed (NEMESIS_SEED replays one). Then it
 * heals everything, waits until every wallet is served again, stops the load, lets the engine
 * drain, and judges the whole history: every acknowledged operation applied exactly once at the
 * seq its client was told, in acknowledgement order, every journey's counters equal to its rows,
 * nothing pending after the drain deadline, no operation left unacknowledged.
 *
 * Replay a run: `NEMESIS_SEED=<seed> npx vitest run test/chaos/nemesis.test.ts`; a long run:
 * `npm run test:nemesis:long`; the seeds that failed before (REGRESSIONS below):
 * `NEMESIS_REGRESSIONS=1 npx vitest run test/chaos/nemesis.test.ts`. On failure the run's folder
 * (node logs, fault schedule, evidence) is kept and its path printed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { ensureError, silentLogger } from '../../common/index.js';
import { findFreePortBase } from '../../grid/index.js';
import type { LocalCluster } from '../../grid/index.js';
import { disposeTestGrid, startTestCluster } from '../support/environment.js';
import { PrivateMariaDb } from '../support/private-mariadb.js';
import { checkWallets, latencySummary, recordSummary, waitFor } from './harness.js';
import type { CheckReport, WorkerSettings } from './harness.js';
import { HttpWalletClient, checkJournal, checkKeys } from './http-load.js';
import type { KeyReport, Operation, Wallet } from './http-load.js';
import { BusCutter, EngineNode, FaultLog, describeStreams, healEverything, nemesisDurationMs, nemesisSeed, probeIptables, runNemesis } from './nemesis.js';
import type { NemesisReport, NemesisTargets } from './nemesis.js';

/**
 * Seeds that failed, replayed by `NEMESIS_REGRESSIONS=1 npx vitest run test/chaos/nemesis.test.ts`
 * (each as long as it needs to reach its failure; too long for `npm test`'s budget).
 */
const REGRESSIONS: Array<{ seed: number; durationMs: number; name: string; found: string }> = [
  {
    seed: 957981818,
    name: 'engine faults faster than a node starts',
    durationMs: 180_000,
    found:
      'a nemesis fault, not an engine one: engine faults came faster than a node starts on a busy machine (50 s), so from +150 s to +290 s ' +
      'no node served and 12 operations stayed unacknowledged past their 120 s deadline. Fixed in the nemesis: an engine fault waits ' +
      'until the other two nodes serve.',
  },
  {
    seed: 1767319787,
    name: 'engine faults faster than a node starts (npm test run)',
    durationMs: 180_000,
    found: 'the same, in a run of npm test: no node ready from +200 s to +280 s, 3 operations unacknowledged after 120 s of retries.',
  },
];
const NODES = 3;
/** Enough that rendezvous hashing gives each of three nodes some (readiness needs one). */
const PARTITIONS = 32;
const LEASE_TTL_MS = 2_000;
/** Moderate load: the machine has two cores, shared with other test runs. */
const WALLETS = 20;
const SEND_PAUSE_MS = 100;
/** Every 10th operation is sent twice at once under its key, to two nodes. */
const DUPLICATE_EVERY = 10;
/** A request to a paused node hangs: the client gives up after this and tries the next node. */
const REQUEST_TIMEOUT_MS = 3_000;
/** An operation still unacknowledged after this, retries included, is stuck. Faults heal within seconds; this is generous. */
const OPERATION_DEADLINE_MS = 120_000;
/** After the heal, every wallet must be served again within this. */
const RECOVERY_DEADLINE_MS = 120_000;
/** After the load stops, every accepted event must be handled within this. */
const DRAIN_DEADLINE_MS = 120_000;

/** One nemesis run on an environment of its own: a describe block, since setup and teardown are hooks. */
function defineRun(seed: number, replay: boolean, durationMs: number, title: string): void {
  describe(`chaos: ${title} (seed ${seed}, ${durationMs / 1000} s)`, () => {
    // Both made when the run starts (not when vitest collects the file, which it may do without
    // running it), the log's clock with them.
    let dir = '';
    let log = new FaultLog(seed);
    let cluster: LocalCluster | undefined;
    let mariadb: PrivateMariaDb | undefined;
    let cutter: BusCutter | null = null;
    let url = '';
    const nodes: EngineNode[] = [];
    let keepDir = false;

    async function ready(node: EngineNode): Promise<boolean> {
      const response = await fetch(`${node.url}/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
      return response?.status === 200;
    }

    async function waitReady(what: string, timeoutMs: number): Promise<void> {
      for (const node of nodes) {
        await waitFor(`${node.nodeId} to be ready ${what}`, () => ready(node), timeoutMs, 250).catch((error: unknown) => {
          throw new Error(`${ensureError(error).message}\n--- ${node.nodeId} log (tail) ---\n${node.process.log.slice(-4000)}`);
        });
      }
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `je-nemesis-${seed}-`));
      log = new FaultLog(seed, join(dir, 'schedule.log'));
      log.note(
        `seed ${seed}${replay ? ' (a replay)' : ''}, ${durationMs} ms of faults; replay with ` +
          `NEMESIS_SEED=${seed} NEMESIS_DURATION_MS=${durationMs} npx vitest run test/chaos/nemesis.test.ts; run folder ${dir}`,
      );
      // Side by side: each takes seconds on a busy machine. Both are kept before either failure is
      // thrown, so afterAll stops whichever did start.
      const [grid, store] = await Promise.allSettled([startTestCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_500 }), PrivateMariaDb.start()]);
      if (grid.status === 'fulfilled') cluster = grid.value;
      if (store.status === 'fulfilled') mariadb = store.value;
      if (grid.status === 'rejected') throw grid.reason;
      if (store.status === 'rejected') throw store.reason;
      if (!cluster || !mariadb) throw new Error('unreachable: both services started');
      url = mariadb.url('journeys');
      const settings: WorkerSettings = { mariadbUrl: url, seeds: [...cluster.seeds], keyPrefix: 'nemesis', partitions: PARTITIONS, leaseTtlMs: LEASE_TTL_MS };
      const portBase = await findFreePortBase({ count: NODES, cluster: false });
      for (let i = 0; i < NODES; i++) {
        const port = portBase + i;
        const nodeId = `nm${i + 1}`;
        nodes.push(
          new EngineNode(
            nodeId,
            `http://127.0.0.1:${port}`,
            settings,
            { ROLES: 'api,worker', PORT: String(port), AUTH_MODE: 'dev' },
            join(dir, `${nodeId}.log`),
            log,
          ),
        );
      }
      await waitReady('at start', 90_000);
      const iptables = probeIptables();
      if (iptables.usable) cutter = new BusCutter(seed);
      else log.note(`cluster-bus cuts left out: ${iptables.why}`);
      log.note(`redis ${cluster.ports.join(',')} (bus +10000), mariadbd :${mariadb.port}, nodes ${nodes.map((n) => `${n.nodeId}=${n.url}`).join(' ')}`);
    }, 240_000);

    afterAll(async () => {
      if (cutter) {
        cutter.healAllSync();
        cutter.dispose();
      }
      await Promise.all(nodes.map((node) => node.stop()));
      await disposeTestGrid(cluster);
      await mariadb?.stop();
      if (keepDir) console.log(`nemesis seed ${seed}: run folder kept for the evidence: ${dir}`);
      else if (dir !== '') rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it(
      'loses, doubles, reorders and strands nothing while nodes, Redis and MariaDB are killed, paused and cut off at random',
      async () => {
        const targets: NemesisTargets = { nodes, cluster: cluster as LocalCluster, mariadb: mariadb as PrivateMariaDb, cutter };
        const client = new HttpWalletClient(() => nodes, {
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          operationDeadlineMs: OPERATION_DEADLINE_MS,
          sendPauseMs: SEND_PAUSE_MS,
          duplicateEvery: DUPLICATE_EVERY,
        });
        const wallets = await client.openWallets(`nem${seed}`, WALLETS);
        const load = client.startLoad(wallets);
        log.note(`load: ${WALLETS} wallets, one sender each; fault streams ${describeStreams(targets, log)}`);

        let nemesis: NemesisReport;
        let healedAt = 0;
        try {
          nemesis = await runNemesis(targets, seed, durationMs, log);
        } finally {
          await healEverything(targets, log);
          healedAt = performance.now() - load.started;
        }
        const leftRules = cutter?.remaining() ?? 0;
        const healStarted = performance.now();
        await (cluster as LocalCluster).waitForHealthy(90_000);
        const clusterHealthy = performance.now() - healStarted;
        await waitReady('after the heal', 120_000);
        log.note(
          `healed: cluster healthy after ${Math.round(clusterHealthy)} ms, every node ready after ${Math.round(performance.now() - healStarted)} ms; ` +
            'waiting for every wallet to be served again',
        );
        const recovered = await waitFor(
          'every wallet to acknowledge an operation sent after the heal',
          () =>
            Promise.resolve(
              wallets.every((wallet) =>
                load.operations.some((o) => o.record.journeyId === wallet.journeyId && o.record.result === 'acked' && (o.record.atMs ?? 0) >= healedAt),
              ),
            ),
          RECOVERY_DEADLINE_MS,
          250,
        ).catch((error: unknown) => {
          log.note(`!! ${ensureError(error).message}`);
          return null;
        });
        await load.stop();
        log.note(`load stopped after ${load.operations.length} operations; draining`);

        const store = await openStore({ url, logger: silentLogger(), poolSize: 2 });
        let report: CheckReport | undefined;
        let keys: KeyReport | undefined;
        const problems: string[] = [];
        try {
          const pending = await drain(store);
          problems.push(...pending);
          report = await checkWallets(url, load.log, 5_000).catch((error: unknown) => {
            problems.push(`checker: ${ensureError(error).message}`);
            return undefined;
          });
          keys = await checkKeys(store, load.operations);
          const journal = await checkJournal(
            store,
            wallets.map((w) => w.journeyId),
          );
          problems.push(...(report?.problems ?? []), ...keys.problems, ...journal, ...load.mismatches);
          if (recovered === null) problems.push(`not every wallet was served within ${RECOVERY_DEADLINE_MS} ms of the heal`);
          if (leftRules > 0) problems.push(`${leftRules} iptables rules of this run were still in place after the heal`);
          if (problems.length > 0) {
            keepDir = true;
            await writeEvidence(store, problems, load.operations, wallets, load.started - log.started);
          }
        } finally {
          await store.close();
        }

        const crashes = nodes.flatMap((node) => node.crashes);
        const retried = load.operations.filter((o) => o.attempts > 1).length;
        const replayed = load.operations.filter((o) => o.replayed).length;
        const codes = countCodes(load.operations);
        const faults = Object.entries(nemesis.injected)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ');
        log.note(
          `seed ${seed}: ${faults}; ${nemesis.skipped} skipped; acked ${report?.acked ?? '?'} of ${load.operations.length} operations, ` +
            `${retried} retried, ${replayed} answered by replay, ${keys?.landedUnacknowledged ?? 0} landed unacknowledged; failed attempts ${codes}; ` +
            `latency ${latencySummary(load.log)}; every wallet served again ${recovered === null ? 'NEVER' : `${Math.round(recovered)} ms`} after the heal` +
            (crashes.length > 0 ? `; node exits nobody asked for: ${crashes.join('; ')}` : '') +
            (nemesis.errors.length > 0 ? `; nemesis errors: ${nemesis.errors.join('; ')}` : ''),
        );
        if (report)
          recordSummary(
            `${title}, seed ${seed}, ${Math.round(durationMs / 1000)} s (${Object.values(nemesis.injected).reduce((a, b) => a + b, 0)} faults)`,
            report,
            recovered,
          );
        if (problems.length > 0)
          log.note(
            `FAILED, replay with NEMESIS_SEED=${seed}; evidence in ${join(dir, 'evidence.txt')}; first problems:\n  ${problems.slice(0, 20).join('\n  ')}`,
          );

        expect(problems).toEqual([]);
        expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
        expect(keys?.unacknowledged).toBe(0);
        // The nemesis did break things, of each family it can reach.
        expect(Object.keys(nemesis.injected).some((kind) => kind.startsWith('node-'))).toBe(true);
        expect(Object.keys(nemesis.injected).some((kind) => kind.startsWith('redis-') || kind.startsWith('bus-'))).toBe(true);
        expect(Object.keys(nemesis.injected).some((kind) => kind.startsWith('db-'))).toBe(true);
        expect(report?.acked).toBeGreaterThan(WALLETS * 10);
      },
      durationMs + 600_000,
    );

    /** Waits until nothing is pending; past the deadline returns what is still pending, with its partitions' owners. */
    async function drain(store: Store): Promise<string[]> {
      const pendingCount = async (): Promise<number> =>
        Number((await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))?.n ?? 1);
      const took = await waitFor('every accepted event to be handled', async () => (await pendingCount()) === 0, DRAIN_DEADLINE_MS, 250).catch(() => null);
      if (took !== null) {
        log.note(`drained in ${Math.round(took)} ms`);
        return [];
      }
      const rows = await store.query<{
        event_id: string;
        journey_id: string;
        journey_seq: number;
        partition_no: number;
        accepted_at: string;
        owner_node: string | null;
        lease: string | null;
        epoch: number;
      }>(
        `SELECT e.event_id, e.journey_id, e.journey_seq, e.partition_no, DATE_FORMAT(e.accepted_at, '%H:%i:%s.%f') AS accepted_at, p.owner_node,
                DATE_FORMAT(p.lease_expires_at, '%H:%i:%s.%f') AS lease, p.epoch
           FROM events e LEFT JOIN partitions p ON p.partition_no = e.partition_no WHERE e.status = 'pending' ORDER BY e.journey_id, e.journey_seq LIMIT 50`,
      );
      return [
        `${await pendingCount()} events still pending ${DRAIN_DEADLINE_MS} ms after the load stopped (stuck), e.g.:`,
        ...rows.map(
          (r) =>
            `  pending ${r.event_id} journey ${r.journey_id} seq ${r.journey_seq} partition ${r.partition_no} accepted ${r.accepted_at}, owner ${r.owner_node ?? 'none'} epoch ${r.epoch} lease until ${r.lease ?? '-'}`,
        ),
      ];
    }

    /**
     * Writes what a failure needs to be read: the problems, the schedule, and each problem journey's
     * rows beside its client log — around the seqs and keys the problems name (a long run's journeys
     * hold thousands of events), or all of them (the last 300) when a problem names none.
     */
    async function writeEvidence(store: Store, problems: string[], operations: Operation[], wallets: Wallet[], loadOffsetMs: number): Promise<void> {
      const text = problems.join('\n');
      const sections: string[] = [`seed ${seed}, duration ${durationMs} ms`, '', '## problems', ...problems, '', '## fault schedule', ...log.lines, ''];
      const named = wallets.filter((wallet) => text.includes(wallet.journeyId) || text.includes(`${wallet.owner}-op-`));
      for (const wallet of named.slice(0, 10)) {
        const mine = operations.filter((o) => o.record.journeyId === wallet.journeyId);
        const flagged = new Set(mine.filter((o) => new RegExp(`${o.key}(?!\\d)`).test(text)).map((o) => o.key));
        // Seqs the problems name for this journey, and those its flagged operations were told.
        const seqs = new Set<number>();
        for (const line of problems.filter((problem) => problem.includes(wallet.journeyId))) {
          for (const match of line.matchAll(/seq (\d+)/g)) seqs.add(Number(match[1]));
        }
        for (const o of mine) if (flagged.has(o.key) && o.record.journeySeq !== undefined) seqs.add(o.record.journeySeq);
        const near = (seq: number | undefined): boolean => seq !== undefined && [...seqs].some((s) => Math.abs(s - seq) <= 3);
        sections.push(`## journey ${wallet.journeyId} (${wallet.owner})`);
        const journey = await store.queryOne<Record<string, unknown>>(
          `SELECT journey_id, partition_no, data, handled_seq, accepted_seq, last_epoch FROM journeys WHERE journey_id = ?`,
          [wallet.journeyId],
        );
        sections.push(`row: ${JSON.stringify(journey)}`);
        const events = await store.query<{ journey_seq: number; status: string } & Record<string, unknown>>(
          `SELECT journey_seq, event_id, event_type, JSON_VALUE(payload, '$.amount') AS amount, idempotency_key, status, JSON_VALUE(outcome, '$.seq') AS outcome_seq,
                  partition_no, handled_epoch, DATE_FORMAT(accepted_at, '%H:%i:%s.%f') AS accepted_at, DATE_FORMAT(handled_at, '%H:%i:%s.%f') AS handled_at
             FROM events WHERE journey_id = ? ORDER BY journey_seq`,
          [wallet.journeyId],
        );
        const shown = seqs.size > 0 ? events.filter((event) => near(Number(event.journey_seq)) || event.status === 'pending') : events.slice(-300);
        sections.push(`events (${shown.length} of ${events.length}${seqs.size > 0 ? `, within 3 of seq ${[...seqs].join(', ')}, and pending ones` : ''}):`);
        sections.push(...shown.map((event) => `  ${JSON.stringify(event)}`));
        // The flagged operations with two neighbours each side, and those told a seq near the named ones.
        const index = new Map(mine.map((o, i) => [o.key, i]));
        const around = new Set<number>();
        for (const key of flagged) for (let i = (index.get(key) ?? 0) - 2; i <= (index.get(key) ?? 0) + 2; i++) around.add(i);
        const ops = seqs.size > 0 || flagged.size > 0 ? mine.filter((o, i) => around.has(i) || near(o.record.journeySeq)) : mine.slice(-300);
        sections.push(
          `client operations (${ops.length} of ${mine.length}; key, told event and seq, attempts, failed attempts, when sent on the schedule clock):`,
          ...ops.map(
            (o) =>
              `  ${o.key} ${o.record.type} ${o.record.amount}: ${o.record.result} ${o.record.eventId ?? ''} seq ${o.record.journeySeq ?? '-'} ` +
              `attempts ${o.attempts} [${runLengths(o.failures)}] sent at +${(((o.record.atMs ?? 0) + loadOffsetMs) / 1000).toFixed(1)}s, took ${o.record.ms} ms` +
              `${o.replayed ? ' (replay)' : ''}${o.record.error ? ` error ${o.record.error}` : ''}`,
          ),
          '',
        );
      }
      writeFileSync(join(dir, 'evidence.txt'), `${sections.join('\n')}\n`);
      // The node logs beside it show leases, fencing and errors around the times above.
      for (const node of nodes) {
        const file = join(dir, `${node.nodeId}.log`);
        const size = (() => {
          try {
            return readFileSync(file).length;
          } catch {
            return 0;
          }
        })();
        log.note(`evidence: ${file} (${size} bytes)`);
      }
    }
  });
}

{
  const { seed, replay } = nemesisSeed();
  // The default fits `npm test`'s 25-minute budget (each of the three fault streams still strikes
  // several times); `npm run test:nemesis:long` runs 30 minutes.
  defineRun(seed, replay, nemesisDurationMs(60_000), 'randomized nemesis');
  if (process.env.NEMESIS_REGRESSIONS === '1') {
    for (const regression of REGRESSIONS) defineRun(regression.seed, true, regression.durationMs, `nemesis regression, ${regression.name}`);
  }
}

/** `network×52,JE_STORE_UNAVAILABLE,network×3`: a long retry's failures, readable. */
function runLengths(codes: string[]): string {
  const runs: Array<[string, number]> = [];
  for (const code of codes) {
    const last = runs[runs.length - 1];
    if (last?.[0] === code) last[1] += 1;
    else runs.push([code, 1]);
  }
  return runs.map(([code, n]) => (n > 1 ? `${code}×${n}` : code)).join(',');
}

/** Failed attempts by error code, e.g. `network 120, JE_STORE_UNAVAILABLE 80`. */
function countCodes(operations: Operation[]): string {
  const counts = new Map<string, number>();
  for (const operation of operations) for (const code of operation.failures) counts.set(code, (counts.get(code) ?? 0) + 1);
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `${code} ${n}`)
      .join(', ') || 'none'
  );
}
