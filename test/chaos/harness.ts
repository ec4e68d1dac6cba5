/**
 * The fault-injection harness: engine worker processes that tests can SIGKILL, SIGSTOP and
 * restart, a wallet load generator that logs every request, and a Jepsen-style checker that
 * proves no acknowledged event was lost, none applied twice, and each journey applied its events
 * in acceptance order.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { afterEach } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { ensureError, silentLogger } from '../../common/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { recordScenario } from '../support/chaos-summary.js';
import { replayWallet, walletContext } from '../support/wallet.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface WorkerSettings {
  mariadbUrl: string;
  seeds: string[];
  keyPrefix: string;
  partitions: number;
  leaseTtlMs: number;
}

export interface WorkerProcessOptions {
  /**
   * Appends the process's output to this file, across restarts, leaving out per-request lines:
   * `log` keeps only a tail, which request logs fill in seconds under load, so a long run's
   * evidence (leases, fencing, errors) would otherwise be gone by the time a check fails.
   */
  logFile?: string;
}

/** Info-level lines fastify writes for every request (`incoming request`, `request completed`). */
const REQUEST_LINE = /^\{"level":30,.*"reqId":/;

/** One `journey serve` process: a worker by default; `env` may make it an API node (ROLES, PORT). */
export class WorkerProcess {
  private child: ChildProcess;
  private output = '';
  private readonly file: WriteStream | null;
  /** The unfinished last line of the output, held back until its newline arrives. */
  private partial = '';
  exited: Promise<number | null>;

  constructor(
    readonly nodeId: string,
    private readonly settings: WorkerSettings,
    private readonly env: Record<string, string> = {},
    options: WorkerProcessOptions = {},
  ) {
    this.file = options.logFile === undefined ? null : createWriteStream(options.logFile, { flags: 'a' });
    ({ child: this.child, exited: this.exited } = this.spawn());
  }

  private keep(text: string): void {
    if (!this.file) return;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    const kept = lines.filter((line) => !REQUEST_LINE.test(line));
    if (kept.length > 0) this.file.write(`${kept.join('\n')}\n`);
  }

  private spawn(): { child: ChildProcess; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        REDIS_URL: this.settings.seeds.join(','),
        MARIADB_URL: this.settings.mariadbUrl,
        NODE_ID: this.nodeId,
        ROLES: 'worker',
        PARTITIONS: String(this.settings.partitions),
        LEASE_TTL_MS: String(this.settings.leaseTtlMs),
        GRID_KEY_PREFIX: this.settings.keyPrefix,
        LOG_LEVEL: 'info',
        // A worker-only node serves its operations routes on PORT: any free one, so several
        // workers (and the engineer's own node on 3000) never collide.
        PORT: '0',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      this.output = (this.output + text).slice(-200_000);
      this.keep(text);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    if (this.file) this.file.write(`--- ${new Date().toISOString()} ${this.nodeId} started (pid ${child.pid ?? '?'})\n`);
    const exited = new Promise<number | null>((done) =>
      child.once('exit', (code, signal) => {
        this.file?.write(`${this.partial}\n--- ${new Date().toISOString()} ${this.nodeId} exited (code ${code}, signal ${signal})\n`);
        this.partial = '';
        done(code);
      }),
    );
    return { child, exited };
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get log(): string {
    return this.output;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Starts the process again under the same node id (a new incarnation). */
  restart(): void {
    ({ child: this.child, exited: this.exited } = this.spawn());
  }

  async stop(): Promise<void> {
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), 8_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Loads a scenario starts, stopped after each test even when it fails, so a failed scenario's load
 * never leaks into the next. Call inside a `describe`.
 */
export function trackLoads(): <T extends { stop(): Promise<void> }>(load: T) => T {
  const loads: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(loads.splice(0).map((load) => load.stop()));
  });
  return (load) => {
    loads.push(load);
    return load;
  };
}

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<number> {
  const started = performance.now();
  let lastError: unknown;
  while (performance.now() - started < timeoutMs) {
    try {
      if (await check()) return performance.now() - started;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${ensureError(lastError).message}` : ''}`);
}

export async function ownedPartitions(store: Store, nodeId: string): Promise<number> {
  const row = await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM partitions WHERE owner_node LIKE ? AND lease_expires_at > NOW(6)`, [
    `${nodeId}:%`,
  ]);
  return Number(row?.n ?? 0);
}

/**
 * Every lease row: one per partition of each hosted version's lane (slots). "Every partition
 * owned" means this many owned, not PARTITIONS.
 */
export async function slotCount(store: Store): Promise<number> {
  const row = await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM partitions`);
  const n = Number(row?.n ?? 0);
  // No rows yet: no worker has started, and "all owned" must not hold vacuously (0 of 0).
  return n > 0 ? n : Number.POSITIVE_INFINITY;
}

export async function unownedPartitions(store: Store): Promise<number> {
  const row = await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM partitions WHERE owner_node IS NULL OR lease_expires_at <= NOW(6)`);
  return Number(row?.n ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Load

export interface RequestRecord {
  journeyId: string;
  type: 'Deposit' | 'Withdraw';
  amount: number;
  result: 'acked' | 'refused' | 'failed';
  eventId?: string;
  journeySeq?: number;
  error?: string;
  /** Request latency in ms. */
  ms?: number;
  /** When it was sent, ms since the load started. */
  atMs?: number;
}

/**
 * Runs `senders` loops until `stop()`; each owns a set of journeys and sends to each of them
 * sequentially, so acknowledged order per journey is known.
 */
export function startWalletLoad(engine: JourneyEngine, journeys: Array<{ journeyId: string; owner: string }>, senders: number) {
  const log: RequestRecord[] = [];
  let running = true;
  const loadStarted = performance.now();
  const loops = Array.from({ length: senders }, async (_, sender) => {
    const mine = journeys.filter((_, i) => i % senders === sender);
    let k = 0;
    while (running && mine.length > 0) {
      const journey = mine[k % mine.length];
      k += 1;
      if (!journey) continue;
      const type = k % 3 === 0 ? 'Withdraw' : 'Deposit';
      const amount = 1 + ((k * 17 + sender * 5) % 40);
      const sentAt = performance.now();
      const record: RequestRecord = { journeyId: journey.journeyId, type, amount, result: 'failed', atMs: Math.round(sentAt - loadStarted) };
      try {
        const ack = await engine.accept({
          kind: 'target',
          journeyId: journey.journeyId,
          event: { type, payload: { amount } },
          context: walletContext(journey.owner),
        });
        record.result = 'acked';
        record.eventId = ack.eventId;
        record.journeySeq = ack.journeySeq;
      } catch (error) {
        const wrapped = ensureError(error);
        record.result = (wrapped as { code?: string }).code === 'JE_OVERLOADED' ? 'refused' : 'failed';
        record.error = wrapped.message;
        await new Promise((r) => setTimeout(r, 20));
      }
      record.ms = Math.round(performance.now() - sentAt);
      log.push(record);
    }
  });
  return {
    log,
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

export async function openWallets(engine: JourneyEngine, count: number, prefix: string) {
  const opened: Array<{ journeyId: string; owner: string }> = [];
  for (let i = 0; i < count; i++) {
    const owner = `${prefix}-${i}`;
    const ack = await engine.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: '1.0',
      event: { type: 'OpenWallet', payload: { owner, currency: 'EUR' } },
      context: walletContext(owner),
    });
    opened.push({ journeyId: ack.journeyId, owner });
  }
  return opened;
}

// ---------------------------------------------------------------------------------------------
// Checking

export interface CheckReport {
  sent: number;
  acked: number;
  applied: number;
  rejected: number;
  lost: number;
  doubled: number;
  outOfOrder: number;
  problems: string[];
}

interface EventRow {
  event_id: string;
  journey_id: string;
  journey_seq: number;
  event_type: string;
  payload: string;
  status: string;
  outcome: string | null;
}

interface JourneyRowRaw {
  journey_id: string;
  data: string | null;
  handled_seq: number;
  accepted_seq: number;
}

/** Waits until nothing is pending, then checks every invariant against the store. */
export async function checkWallets(mariadbUrl: string, log: RequestRecord[], drainTimeoutMs = 60_000): Promise<CheckReport> {
  const store = await openStore({ url: mariadbUrl, logger: silentLogger() });
  try {
    await waitFor(
      'every accepted event to be handled',
      async () => Number((await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))?.n ?? 1) === 0,
      drainTimeoutMs,
      200,
    );
    // This scenario's journeys only: earlier scenarios share the database.
    const ids = [...new Set(log.map((r) => r.journeyId))];
    if (ids.length === 0) throw new Error('the load log is empty: the scenario sent nothing');
    const events = await store.query<EventRow>(
      `SELECT event_id, journey_id, journey_seq, event_type, payload, status, outcome FROM events WHERE journey_id IN (?) ORDER BY journey_id, journey_seq`,
      [ids],
    );
    const journeys = await store.query<JourneyRowRaw>(`SELECT journey_id, data, handled_seq, accepted_seq FROM journeys WHERE journey_id IN (?)`, [ids]);
    const report: CheckReport = { sent: log.length, acked: 0, applied: 0, rejected: 0, lost: 0, doubled: 0, outOfOrder: 0, problems: [] };
    const byId = new Map(events.map((e) => [e.event_id, e]));
    for (const record of log) {
      if (record.result !== 'acked' || !record.eventId) continue;
      report.acked += 1;
      const row = byId.get(record.eventId);
      if (!row || row.status === 'pending') {
        report.lost += 1;
        report.problems.push(`acked event ${record.eventId} is ${row ? 'still pending' : 'missing'}`);
      }
    }
    const eventsByJourney = new Map<string, EventRow[]>();
    for (const event of events) {
      const list = eventsByJourney.get(event.journey_id) ?? [];
      list.push(event);
      eventsByJourney.set(event.journey_id, list);
      if (event.status === 'applied') report.applied += 1;
      if (event.status === 'rejected') report.rejected += 1;
    }
    for (const journey of journeys) {
      const list = eventsByJourney.get(journey.journey_id) ?? [];
      if (Number(journey.handled_seq) !== list.length || Number(journey.accepted_seq) !== list.length) {
        report.problems.push(`journey ${journey.journey_id}: handled ${journey.handled_seq}, accepted ${journey.accepted_seq}, events ${list.length}`);
      }
      // Each event handled once, in acceptance order: its outcome's seq is its journey_seq.
      list.forEach((event, index) => {
        const outcome = event.outcome ? (JSON.parse(event.outcome) as { seq?: number }) : null;
        if (Number(event.journey_seq) !== index + 1 || outcome?.seq !== index + 1) {
          report.outOfOrder += 1;
          report.problems.push(`journey ${journey.journey_id}: event ${event.event_id} seq ${event.journey_seq} outcome seq ${outcome?.seq}`);
        }
      });
      // Replay with the wallet's rules: a lost or doubled application shows as a difference.
      const { balance, deposits, withdrawals } = replayWallet(
        list.slice(1).map((event) => ({ type: event.event_type, amount: (JSON.parse(event.payload) as { amount: number }).amount })),
      );
      const data = journey.data ? (JSON.parse(journey.data) as { balance: number; deposits: number; withdrawals: number }) : null;
      if (!data || data.balance !== balance || data.deposits !== deposits || data.withdrawals !== withdrawals) {
        if (data && (data.deposits > deposits || data.withdrawals > withdrawals)) report.doubled += 1;
        report.problems.push(`journey ${journey.journey_id}: stored ${JSON.stringify(data)} expected ${JSON.stringify({ balance, deposits, withdrawals })}`);
      }
    }
    // Acceptance order per journey equals the order one sender's acknowledgements came back.
    const lastSeq = new Map<string, number>();
    for (const record of log) {
      if (record.result !== 'acked' || record.journeySeq === undefined) continue;
      const previous = lastSeq.get(record.journeyId) ?? 1;
      if (record.journeySeq <= previous) {
        report.outOfOrder += 1;
        report.problems.push(`journey ${record.journeyId}: ack seq ${record.journeySeq} after ${previous}`);
      }
      lastSeq.set(record.journeyId, record.journeySeq);
    }
    return report;
  } finally {
    await store.close();
  }
}

/** Adds the scenario's row to the run's one fault-injection table (printed at the end). */
export function recordSummary(scenario: string, report: CheckReport, recoveryMs: number | null): void {
  const cells = [
    scenario,
    report.sent,
    report.acked,
    report.applied,
    report.rejected,
    report.lost,
    report.doubled,
    report.outOfOrder,
    recoveryMs === null ? '-' : `${Math.round(recoveryMs)} ms`,
  ];
  recordScenario(`| ${cells.join(' | ')} |`);
}

/** Latency percentiles of acknowledged requests, for failure messages and summaries. */
export function latencySummary(log: RequestRecord[]): string {
  const ms = log
    .filter((r) => r.result === 'acked' && r.ms !== undefined)
    .map((r) => r.ms ?? 0)
    .sort((a, b) => a - b);
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  return `n=${ms.length} p50=${at(0.5)}ms p99=${at(0.99)}ms max=${at(1)}ms`;
}
