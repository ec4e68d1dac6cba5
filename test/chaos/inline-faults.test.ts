/**
 * Faults against combined nodes (ROLES api,worker) under steady wallet load over HTTP. A targeted
 * event that reaches the node owning its journey's partition while the journey is idle is accepted
 * and handled by one fenced commit (inline handling); anywhere else it is accepted the normal way
 * and handled later by the owner's mailbox. Each client picks the node per request, so both paths
 * run, and retries a failed request with the same idempotency key on the next node:
 * - a combined node SIGKILLed mid-load, three times, restarted each time;
 * - a combined node SIGSTOPped past its lease, then SIGCONT: its late commits are fenced.
 * After each: the Jepsen-style checker, exactly one event per idempotency key (the one the client
 * was told about, at the seq it was told), and proof from /metrics that the inline path ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { ensureError, silentLogger } from '../../common/index.js';
import { findFreePortBase } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import { mariadbAdmin } from '../support/services.js';
import type { TestDatabase } from '../support/environment.js';
import { checkWallets, latencySummary, ownedPartitions, recordSummary, slotCount, trackLoads, waitFor, WorkerProcess } from './harness.js';
import type { CheckReport, RequestRecord, WorkerSettings } from './harness.js';

const NODES = 3;
/**
 * Readiness of a node with a worker needs at least one owned partition, and rendezvous hashing
 * leaves one of three nodes with none of 8 partitions about one start in nine (it never becomes
 * ready); with 32, under one in 100,000.
 */
const PARTITIONS = 32;
const LEASE_TTL_MS = 2_000;
const WALLETS = 15;
/** A request to a paused node hangs: the client gives up after this and tries the next node. */
const REQUEST_TIMEOUT_MS = 3_000;
/** One operation, retries included, gives up after this (and the scenario then fails). */
const OPERATION_DEADLINE_MS = 30_000;
/** Pause between one sender's operations: keeps a 2-core machine responsive and every sender under the per-sender rate limit. */
const SEND_PAUSE_MS = 50;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CombinedNode {
  process: WorkerProcess;
  url: string;
}

/** One client operation: its idempotency key, its record for the checker, and how it went. */
interface Operation {
  key: string;
  record: RequestRecord;
  attempts: number;
  /** The acknowledgement answered an earlier attempt under the same key (`duplicate: true`). */
  replayed: boolean;
}

interface Answer {
  json: Record<string, unknown> | null;
  attempts: number;
  error?: string;
}

/** What a node's /metrics says about the two ways in. */
interface PathCounts {
  inline: number;
  acceptedApi: number;
}

const NO_COUNTS: PathCounts = { inline: 0, acceptedApi: 0 };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function metricValue(text: string, series: string): number {
  return Number(new RegExp(`^${escapeRegExp(series)} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

/**
 * Collects a process's log lines matching `pattern` and stamped at or after `sinceMs`. The harness
 * keeps only the log's tail (request logs fill it in seconds under load), so this polls and keeps
 * what it saw.
 */
function watchLog(node: WorkerProcess, pattern: RegExp, sinceMs: number) {
  const seen = new Set<string>();
  const scan = (): void => {
    for (const line of node.log.split('\n')) {
      if (!pattern.test(line) || seen.has(line)) continue;
      try {
        const entry = JSON.parse(line) as { time?: string };
        if (entry.time !== undefined && Date.parse(entry.time) >= sinceMs) seen.add(line);
      } catch {
        // the first line of a truncated tail, or not pino's
      }
    }
  };
  const timer = setInterval(scan, 100).unref();
  return {
    lines(): string[] {
      scan();
      return [...seen];
    },
    stop(): void {
      clearInterval(timer);
      scan();
    },
  };
}

describe('chaos: combined api+worker nodes killed and paused under load (inline handling)', () => {
  let database: TestDatabase;
  /** A pool of its own for the test's checks, so they never queue behind the load. */
  let probe: Store;
  let settings: WorkerSettings;
  const nodes: CombinedNode[] = [];
  const track = trackLoads();

  async function post(base: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  }

  async function ready(url: string): Promise<boolean> {
    const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    return response?.status === 200;
  }

  async function allPartitionsOwnedBy(owners: CombinedNode[]): Promise<boolean> {
    let total = 0;
    for (const node of owners) total += await ownedPartitions(probe, node.process.nodeId);
    return total === (await slotCount(probe));
  }

  /**
   * The owner id (node id + incarnation) a node's partitions are leased to now. A node that has just
   * restarted, or missed a renewal on a busy machine, may hold none for a moment: wait for one.
   */
  async function incarnation(node: CombinedNode): Promise<string> {
    let owner: string | undefined;
    await waitFor(
      `${node.process.nodeId} to own a partition`,
      async () => {
        const row = await probe.queryOne<{ owner_node: string }>(
          `SELECT owner_node FROM partitions WHERE owner_node LIKE ? AND lease_expires_at > NOW(6) LIMIT 1`,
          [`${node.process.nodeId}:%`],
        );
        owner = row?.owner_node;
        return owner !== undefined;
      },
      30_000,
    );
    return owner as string;
  }

  /** Every partition is leased, and none to `owner` any more. */
  async function takenOver(owner: string): Promise<boolean> {
    const row = await probe.queryOne<{ n: number }>(
      `SELECT COUNT(*) AS n FROM partitions WHERE owner_node = ? OR owner_node IS NULL OR lease_expires_at <= NOW(6)`,
      [owner],
    );
    return Number(row?.n ?? 1) === 0;
  }

  async function pathCounts(node: CombinedNode): Promise<PathCounts> {
    const response = await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    return { inline: metricValue(text, 'je_events_inline_total'), acceptedApi: metricValue(text, 'je_events_accepted_total{origin="api"}') };
  }

  async function scrapeAll(): Promise<Map<CombinedNode, PathCounts>> {
    return new Map(await Promise.all(nodes.map(async (node) => [node, await pathCounts(node)] as const)));
  }

  /** Events accepted by this scenario's nodes since `before` (a restarted node counts from zero). */
  function delta(before: Map<CombinedNode, PathCounts>, after: Map<CombinedNode, PathCounts>): PathCounts {
    let inline = 0;
    let acceptedApi = 0;
    for (const [node, now] of after) {
      const then = before.get(node) ?? NO_COUNTS;
      inline += now.inline - then.inline;
      acceptedApi += now.acceptedApi - then.acceptedApi;
    }
    return { inline, acceptedApi };
  }

  /**
   * Sends until some node acknowledges (202), starting at node `first` and moving to the next one
   * after a connection error, a timeout, a 429 or a 5xx; the idempotency key stays the same, so a
   * request that did land before its answer was lost is answered with its first event.
   */
  async function sendUntilAcked(path: string, body: unknown, sender: string, key: string, first: number): Promise<Answer> {
    const deadline = performance.now() + OPERATION_DEADLINE_MS;
    let error = 'no attempt';
    let attempts = 0;
    for (let attempt = 0; performance.now() < deadline; attempt++) {
      const node = nodes[(first + attempt) % nodes.length] as CombinedNode;
      attempts += 1;
      try {
        const answer = await post(node.url, path, body, { 'X-Dev-Sender': sender, 'Idempotency-Key': key });
        if (answer.status === 202) return { json: answer.json, attempts };
        error = `${node.process.nodeId}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`;
        if (answer.status !== 429 && answer.status < 500) return { json: null, attempts, error }; // a retry cannot help
      } catch (thrown) {
        error = `${node.process.nodeId}: ${ensureError(thrown).message}`; // down, paused or reset
      }
      await sleep(50);
    }
    return { json: null, attempts, error };
  }

  async function openWallets(label: string, count = WALLETS): Promise<Array<{ journeyId: string; owner: string }>> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const owner = `${label}-${i}`;
        const answer = await sendUntilAcked(
          '/journeys/pfm/wallet/1.0/events',
          { type: 'OpenWallet', data: { owner, currency: 'EUR' } },
          owner,
          `open-${owner}`,
          i,
        );
        if (!answer.json) throw new Error(`could not open wallet ${owner}: ${answer.error}`);
        return { journeyId: String(answer.json.journeyId), owner };
      }),
    );
  }

  /**
   * One sender per wallet, each sending its wallet's operations one at a time through rotating
   * nodes. With `duplicateEvery: n`, every n-th operation is sent twice at once under the same
   * key (a client that double-submits): both answers must name the same event.
   */
  function startLoad(journeys: Array<{ journeyId: string; owner: string }>, options: { duplicateEvery?: number } = {}) {
    const operations: Operation[] = [];
    const log: RequestRecord[] = [];
    let running = true;
    const started = performance.now();
    const senders = journeys.map(async (journey, i) => {
      for (let k = 1; running; k++) {
        const type = k % 3 === 0 ? 'Withdraw' : 'Deposit';
        const amount = 1 + ((i * 7 + k * 13) % 40);
        const key = `${journey.owner}-op-${k}`;
        const sentAt = performance.now();
        const record: RequestRecord = { journeyId: journey.journeyId, type, amount, result: 'failed', atMs: Math.round(sentAt - started) };
        const path = `/journeys/${journey.journeyId}/events`;
        const twice = options.duplicateEvery !== undefined && k % options.duplicateEvery === 0;
        const [answer, twin] = await Promise.all([
          sendUntilAcked(path, { type, data: { amount } }, journey.owner, key, i + k),
          twice ? sendUntilAcked(path, { type, data: { amount } }, journey.owner, key, i + k + 1) : undefined,
        ]);
        if (twin && (twin.json?.eventId !== answer.json?.eventId || twin.json?.seq !== answer.json?.seq)) {
          record.error = `double submit of ${key} answered differently: ${JSON.stringify(answer.json)} vs ${JSON.stringify(twin.json)} (${twin.error ?? ''})`;
          answer.json = null;
        }
        record.ms = Math.round(performance.now() - sentAt);
        if (answer.json) {
          record.result = 'acked';
          record.eventId = String(answer.json.eventId);
          record.journeySeq = Number(answer.json.seq);
        } else if (answer.error !== undefined) {
          record.error = answer.error;
        }
        log.push(record);
        operations.push({ key, record, attempts: answer.attempts, replayed: answer.json?.duplicate === true });
        if (!answer.json) break; // the scenario fails on it; more load would only blur the report
        await sleep(SEND_PAUSE_MS);
      }
    });
    return {
      log,
      operations,
      async stop(): Promise<void> {
        running = false;
        await Promise.all(senders);
      },
    };
  }

  /**
   * Exactly one event per idempotency key: every operation was acknowledged, each with an event of
   * its own carrying its key at the seq the client was told, and the scenario's journeys hold no
   * other event. Also splits the events by the way they came in (an inline event was accepted and
   * handled by one statement, so both stamps are equal).
   */
  async function checkKeys(operations: Operation[]): Promise<{ problems: string[]; inlineEvents: number; events: number }> {
    const problems: string[] = [];
    const journeyIds = [...new Set(operations.map((o) => o.record.journeyId))];
    const rows = await probe.query<{ event_id: string; journey_seq: number; idempotency_key: string | null; inline_event: number }>(
      `SELECT event_id, journey_seq, idempotency_key, accepted_at = handled_at AS inline_event FROM events WHERE journey_id IN (?) AND journey_seq > 1`,
      [journeyIds],
    );
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    const told = new Set<string>();
    for (const { key, record } of operations) {
      if (record.result !== 'acked' || record.eventId === undefined) {
        problems.push(`${key} was never acknowledged: ${record.error ?? '?'}`);
        continue;
      }
      if (told.has(record.eventId)) problems.push(`${key} was acknowledged with event ${record.eventId}, which another key was acknowledged with too`);
      told.add(record.eventId);
      const row = byId.get(record.eventId);
      if (!row) problems.push(`${key}: acknowledged event ${record.eventId} is not in the store`);
      else if (!row.idempotency_key?.endsWith(`:${key}`)) problems.push(`${key}: event ${record.eventId} carries key ${row.idempotency_key}`);
      else if (Number(row.journey_seq) !== record.journeySeq) problems.push(`${key}: told seq ${record.journeySeq}, stored ${row.journey_seq}`);
    }
    for (const row of rows) {
      if (!told.has(row.event_id)) problems.push(`event ${row.event_id} (key ${row.idempotency_key}) was never acknowledged to anyone`);
    }
    return { problems, inlineEvents: rows.filter((row) => Number(row.inline_event) === 1).length, events: rows.length };
  }

  function describeRun(name: string, report: CheckReport, operations: Operation[], counts: PathCounts, keys: { inlineEvents: number; events: number }): string {
    const retried = operations.filter((o) => o.attempts > 1).length;
    const replayed = operations.filter((o) => o.replayed).length;
    return (
      `${name}: acked ${report.acked}, ${keys.inlineEvents}/${keys.events} events inline in the store, ` +
      `metrics inline ${counts.inline} of ${counts.acceptedApi} accepted, ${retried} operations retried, ${replayed} answered by replay; ` +
      `latency ${latencySummary(operations.map((o) => o.record))}`
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    probe = await openStore({ url: database.url, logger: silentLogger(), poolSize: 2 });
    settings = { mariadbUrl: database.url, seeds: gridSeeds(), keyPrefix: testNamespace(), partitions: PARTITIONS, leaseTtlMs: LEASE_TTL_MS };
    const portBase = await findFreePortBase({ count: NODES, cluster: false });
    for (let i = 0; i < NODES; i++) {
      const port = portBase + i;
      const serve = new WorkerProcess(`cn${i + 1}`, settings, { ROLES: 'api,worker', PORT: String(port), AUTH_MODE: 'dev' });
      nodes.push({ process: serve, url: `http://127.0.0.1:${port}` });
    }
    await waitFor('the combined nodes to own every partition between them', () => allPartitionsOwnedBy(nodes), 60_000, 200);
    for (const node of nodes) {
      await waitFor(`${node.process.nodeId} to be ready`, () => ready(node.url), 60_000, 200).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n--- ${node.process.nodeId} log (tail) ---\n${node.process.log.slice(-4000)}`);
      });
    }
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.process.stop()));
    await probe?.close();
    await database?.drop();
  });

  it('loses, doubles and reorders nothing while a combined node is SIGKILLed mid-load, three times', async () => {
    const journeys = await openWallets('kill');
    const before = await scrapeAll();
    const load = track(startLoad(journeys));
    let recovery = 0;
    const rounds: string[] = [];
    for (let round = 0; round < 3; round++) {
      await sleep(1_500);
      const victim = nodes[round % nodes.length] as CombinedNode;
      const dead = await incarnation(victim);
      victim.process.signal('SIGKILL');
      await victim.process.exited;
      // Booting takes seconds on a busy machine: start at once, while the others take over.
      victim.process.restart();
      before.set(victim, NO_COUNTS); // a new incarnation counts from zero
      const takeover = await waitFor("the dead incarnation's partitions to be taken over", () => takenOver(dead), 30_000, 100);
      recovery = Math.max(recovery, takeover);
      const serving = takeover + (await waitFor(`${victim.process.nodeId} to serve again`, () => ready(victim.url), 60_000, 100));
      rounds.push(`${victim.process.nodeId} taken over in ${Math.round(takeover)} ms, ready again in ${Math.round(serving)} ms`);
    }
    await sleep(1_500);
    await load.stop();
    const counts = delta(before, await scrapeAll());

    const report = await checkWallets(database.url, load.log);
    const keys = await checkKeys(load.operations);
    recordSummary('combined node SIGKILL x3 (inline path)', report, recovery);
    console.log(`${describeRun('combined SIGKILL x3', report, load.operations, counts, keys)}; ${rounds.join('; ')}`);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    expect(keys.problems).toEqual([]);
    expect(report.acked).toBeGreaterThan(100);
    // Both ways in ran: events handled inline by their owner, and events accepted the normal way.
    expect(counts.inline).toBeGreaterThan(0);
    expect(keys.inlineEvents).toBeGreaterThan(0);
    expect(keys.inlineEvents).toBeLessThan(keys.events);
    // The kills did cut requests off, and their clients retried under the same key.
    expect(load.operations.some((o) => o.attempts > 1)).toBe(true);
  }, 150_000);

  it('loses and doubles nothing while every MariaDB connection of the engine is killed every 2 s', async () => {
    // The load of the field report: 40 wallets with a sender each, every 10th operation sent twice.
    const journeys = await openWallets('dbkill', 40);
    const load = track(startLoad(journeys, { duplicateEvery: 10 }));
    const admin = await mariadbAdmin(database.url);
    let killed = 0;
    try {
      for (let round = 0; round < 6; round++) {
        await sleep(2_000);
        const victims = await admin.query<Array<{ id: number | bigint }>>(
          'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
          [database.name],
        );
        for (const { id } of victims) {
          await admin.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined); // it may have closed meanwhile
          killed += 1;
        }
      }
    } finally {
      await admin.end();
    }
    await sleep(1_500);
    await load.stop();
    const report = await checkWallets(database.url, load.log);
    const keys = await checkKeys(load.operations);
    // The journal itself: every journey's handled_seq counts its handled event rows, its
    // accepted_seq is its last event, and no seq is missing.
    const broken = await probe.query<{ journey_id: string }>(
      `SELECT j.journey_id FROM journeys j LEFT JOIN events e ON e.journey_id = j.journey_id
        WHERE j.journey_id IN (?) GROUP BY j.journey_id, j.handled_seq, j.accepted_seq
       HAVING SUM(e.status <> 'pending') <> j.handled_seq OR COUNT(e.event_id) <> j.accepted_seq OR MAX(e.journey_seq) <> j.accepted_seq`,
      [journeys.map((j) => j.journeyId)],
    );
    recordSummary('every MariaDB connection killed every 2 s (double submits, client retries)', report, 0);
    console.log(`${describeRun('MariaDB connections killed', report, load.operations, NO_COUNTS, keys)}; ${killed} connections killed`);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    expect(keys.problems).toEqual([]);
    expect(broken).toEqual([]);
    expect(killed).toBeGreaterThan(0);
    expect(report.acked).toBeGreaterThan(50);
  }, 120_000);

  it('fences a combined node paused past its lease: after SIGCONT none of its late commits land', async () => {
    const journeys = await openWallets('pause');
    const before = await scrapeAll();
    const load = track(startLoad(journeys));
    await sleep(1_500);
    const paused = nodes[0] as CombinedNode;
    const others = nodes.filter((node) => node !== paused);
    const pausedAt = performance.now();
    paused.process.signal('SIGSTOP');
    const recovery = await waitFor("the other nodes to take the paused node's partitions", () => allPartitionsOwnedBy(others), 30_000, 100);
    // The fence from here on: every partition's epoch, as of a moment after the takeover.
    const fence = await probe.query<{ partition_no: number; epoch: number; at: string }>(
      `SELECT partition_no, epoch, DATE_FORMAT(NOW(6), '%Y-%m-%d %H:%i:%s.%f') AS at FROM partitions`,
    );
    // Paused past its clients' patience too: the requests stuck on it are retried elsewhere under
    // their keys, and it runs them, stale, after SIGCONT.
    await sleep(Math.max(1_000, REQUEST_TIMEOUT_MS + 500 - (performance.now() - pausedAt)));
    const fenced = watchLog(paused.process, /lease lost|fenced at commit|commit fenced/, Date.now());
    paused.process.signal('SIGCONT');
    // On waking, it learns (at renewal or at its fenced commit) that its leases are gone, while the
    // requests that queued up on it during the pause run against its stale copies of the journeys.
    try {
      await waitFor(
        'the resumed node to notice its lost leases',
        () => Promise.resolve(fenced.lines().some((line) => /lease lost|fenced at commit/.test(line))),
        20_000,
        100,
      );
    } catch (error) {
      throw new Error(`${ensureError(error).message}\n--- paused node log (tail) ---\n${paused.process.log.slice(-4000)}`, { cause: error });
    }
    await waitFor('the resumed node to own partitions again', () => ready(paused.url), 30_000, 100);
    await sleep(1_500);
    await load.stop();
    fenced.stop();
    const counts = delta(before, await scrapeAll());

    const report = await checkWallets(database.url, load.log);
    const keys = await checkKeys(load.operations);
    // Nothing committed after the takeover under an epoch older than the takeover's.
    const epochs = new Map(fence.map((row) => [Number(row.partition_no), Number(row.epoch)]));
    const late = await probe.query<{ event_id: string; partition_no: number; handled_epoch: number }>(
      `SELECT event_id, partition_no, handled_epoch FROM events WHERE journey_id IN (?) AND handled_at > ?`,
      [journeys.map((j) => j.journeyId), fence[0]?.at],
    );
    const stale = late.filter((row) => Number(row.handled_epoch) < (epochs.get(Number(row.partition_no)) ?? 0));
    recordSummary('combined node SIGSTOP past lease, SIGCONT (inline path)', report, recovery);
    // A fenced mailbox commit's event row exists (it was accepted before); a fenced inline one's
    // does not unless the normal path that follows wrote it, so ids with no row were inline.
    const fencedLines = fenced.lines();
    const fencedEvents = fencedLines.flatMap((line) => (line.includes('commit fenced') ? [String((JSON.parse(line) as { eventId?: string }).eventId)] : []));
    const written =
      fencedEvents.length === 0 ? [] : await probe.query<{ event_id: string }>(`SELECT event_id FROM events WHERE event_id IN (?)`, [fencedEvents]);
    console.log(
      `${describeRun('combined SIGSTOP/SIGCONT', report, load.operations, counts, keys)}; paused node after SIGCONT: ` +
        `${fencedLines.filter((line) => line.includes('lease lost')).length} partitions lost at renewal, ${fencedEvents.length} commits fenced ` +
        `(at least ${fencedEvents.length - written.length} of them inline: no row has their event id)`,
    );
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    expect(keys.problems).toEqual([]);
    expect(stale).toEqual([]);
    expect(late.length).toBeGreaterThan(0);
    expect(counts.inline).toBeGreaterThan(0);
    expect(keys.inlineEvents).toBeGreaterThan(0);
    expect(keys.inlineEvents).toBeLessThan(keys.events);
    // Requests sent to the paused node timed out, and their clients retried elsewhere.
    expect(load.operations.some((o) => o.attempts > 1)).toBe(true);
  }, 120_000);
});
