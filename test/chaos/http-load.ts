/**
 * Wallet load over HTTP through several `journey serve` nodes, with the retries a careful client
 * makes: an operation keeps its idempotency key and moves to the next node after a connection
 * error, a timeout, a 409/429 or a 5xx, until some node acknowledges it (202) or its deadline
 * passes. Plus the checks that only such a client log allows: exactly one event per key, at the
 * seq the client was told, and a journal whose counters agree with its rows.
 */
import type { Store } from '../../cache-store/index.js';
import { ensureError } from '../../common/index.js';
import type { RequestRecord } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Where a client sends: a node's base URL and a name for messages. */
export interface LoadTarget {
  name: string;
  url: string;
}

export interface HttpLoadOptions {
  /** One request gives up after this and the client tries the next node (a paused node hangs). */
  requestTimeoutMs: number;
  /** One operation, retries included, gives up after this: it then counts as stuck. */
  operationDeadlineMs: number;
  /** Pause between one sender's operations (keeps a shared machine responsive, senders under the rate limit). */
  sendPauseMs: number;
  /**
   * Every n-th operation is sent twice at once, to two nodes, under its one key (a client that
   * double-submits): both answers must name the same event at the same seq.
   */
  duplicateEvery?: number;
}

/** One client operation: its idempotency key, its record for the checker, and how it went. */
export interface Operation {
  key: string;
  record: RequestRecord;
  attempts: number;
  /** The acknowledgement answered an earlier attempt under the same key (`duplicate: true`). */
  replayed: boolean;
  /** Error codes (or `network`) of the attempts that failed, in order. */
  failures: string[];
}

interface Answer {
  json: Record<string, unknown> | null;
  attempts: number;
  failures: string[];
  error?: string;
}

export interface Wallet {
  journeyId: string;
  owner: string;
}

/** Retrying can help: the request may land on another node or later (409 is a lost write race). */
function retryable(status: number): boolean {
  return status === 409 || status === 429 || status >= 500;
}

export class HttpWalletClient {
  constructor(
    private readonly targets: () => readonly LoadTarget[],
    private readonly options: HttpLoadOptions,
  ) {}

  private async post(base: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs),
    });
    return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  }

  /**
   * Sends until some node acknowledges (202), starting at node `first` and moving on after each
   * failure; the idempotency key stays the same, so a request that did land before its answer was
   * lost is answered with its first event.
   */
  async sendUntilAcked(path: string, body: unknown, sender: string, key: string, first: number): Promise<Answer> {
    const deadline = performance.now() + this.options.operationDeadlineMs;
    const failures: string[] = [];
    let error = 'no attempt';
    let attempts = 0;
    for (let attempt = 0; performance.now() < deadline; attempt++) {
      const targets = this.targets();
      const node = targets[(first + attempt) % targets.length] as LoadTarget;
      attempts += 1;
      try {
        const answer = await this.post(node.url, path, body, { 'X-Dev-Sender': sender, 'Idempotency-Key': key });
        if (answer.status === 202) return { json: answer.json, attempts, failures };
        const code = String((answer.json.error as { code?: string } | undefined)?.code ?? `HTTP ${answer.status}`);
        failures.push(code);
        error = `${node.name}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`;
        if (!retryable(answer.status)) return { json: null, attempts, failures, error };
      } catch (thrown) {
        failures.push('network');
        error = `${node.name}: ${ensureError(thrown).message}`; // down, paused or reset
      }
      // Back off a little more while a whole cluster is down, so retries do not swamp the machine.
      await sleep(Math.min(1_000, 50 * attempts));
    }
    return { json: null, attempts, failures, error };
  }

  async openWallets(label: string, count: number): Promise<Wallet[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const owner = `${label}-${i}`;
        const answer = await this.sendUntilAcked(
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
   * nodes, until `stop()`. An operation that is never acknowledged is recorded (the checker calls
   * it stuck) and the sender goes on with the next one.
   */
  startLoad(wallets: Wallet[]) {
    const operations: Operation[] = [];
    const log: RequestRecord[] = [];
    /** Double submits whose two answers named different events or seqs. */
    const mismatches: string[] = [];
    let running = true;
    const started = performance.now();
    const senders = wallets.map(async (wallet, i) => {
      for (let k = 1; running; k++) {
        const type = k % 3 === 0 ? 'Withdraw' : 'Deposit';
        const amount = 1 + ((i * 7 + k * 13) % 40);
        const key = `${wallet.owner}-op-${k}`;
        const sentAt = performance.now();
        const record: RequestRecord = { journeyId: wallet.journeyId, type, amount, result: 'failed', atMs: Math.round(sentAt - started) };
        const path = `/journeys/${wallet.journeyId}/events`;
        const twice = this.options.duplicateEvery !== undefined && k % this.options.duplicateEvery === 0;
        const [answer, twin] = await Promise.all([
          this.sendUntilAcked(path, { type, data: { amount } }, wallet.owner, key, i + k),
          twice ? this.sendUntilAcked(path, { type, data: { amount } }, wallet.owner, key, i + k + 1) : undefined,
        ]);
        if (twin?.json && answer.json && (twin.json.eventId !== answer.json.eventId || twin.json.seq !== answer.json.seq)) {
          mismatches.push(`double submit of ${key} answered differently: ${JSON.stringify(answer.json)} vs ${JSON.stringify(twin.json)}`);
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
        operations.push({ key, record, attempts: answer.attempts, replayed: answer.json?.duplicate === true, failures: answer.failures });
        await sleep(this.options.sendPauseMs);
      }
    });
    return {
      log,
      operations,
      mismatches,
      started,
      async stop(): Promise<void> {
        running = false;
        await Promise.all(senders);
      },
    };
  }
}

export interface KeyReport {
  problems: string[];
  /** Operations never acknowledged (their deadline passed): stuck. */
  unacknowledged: number;
  /** Events of unacknowledged operations that did land (allowed: the client gave up, not the engine). */
  landedUnacknowledged: number;
  events: number;
}

/**
 * Exactly one event per idempotency key: every acknowledged operation has an event of its own
 * carrying its key at the seq the client was told, and the journeys hold no other event except,
 * at most once, one for an operation whose client gave up.
 */
export async function checkKeys(store: Store, operations: Operation[]): Promise<KeyReport> {
  const problems: string[] = [];
  const journeyIds = [...new Set(operations.map((o) => o.record.journeyId))];
  if (journeyIds.length === 0) return { problems: ['no operation was sent'], unacknowledged: 0, landedUnacknowledged: 0, events: 0 };
  const rows = await store.query<{ event_id: string; journey_seq: number; idempotency_key: string | null }>(
    `SELECT event_id, journey_seq, idempotency_key FROM events WHERE journey_id IN (?) AND journey_seq > 1`,
    [journeyIds],
  );
  const byId = new Map(rows.map((row) => [row.event_id, row]));
  const told = new Set<string>();
  const gaveUp = new Set<string>();
  let unacknowledged = 0;
  for (const { key, record } of operations) {
    if (record.result !== 'acked' || record.eventId === undefined) {
      unacknowledged += 1;
      gaveUp.add(key);
      problems.push(`${key} was never acknowledged (stuck): ${record.error ?? '?'}`);
      continue;
    }
    if (told.has(record.eventId)) problems.push(`${key} was acknowledged with event ${record.eventId}, which another key was acknowledged with too`);
    told.add(record.eventId);
    const row = byId.get(record.eventId);
    if (!row) problems.push(`${key}: acknowledged event ${record.eventId} is not in the store`);
    else if (!row.idempotency_key?.endsWith(`:${key}`)) problems.push(`${key}: event ${record.eventId} carries key ${row.idempotency_key}`);
    else if (Number(row.journey_seq) !== record.journeySeq) problems.push(`${key}: told seq ${record.journeySeq}, stored ${row.journey_seq}`);
  }
  let landedUnacknowledged = 0;
  for (const row of rows) {
    if (told.has(row.event_id)) continue;
    const key = row.idempotency_key?.slice(row.idempotency_key.lastIndexOf(':') + 1) ?? '';
    if (gaveUp.has(key)) landedUnacknowledged += 1;
    else problems.push(`event ${row.event_id} (key ${row.idempotency_key}) was never acknowledged to anyone`);
  }
  return { problems, unacknowledged, landedUnacknowledged, events: rows.length };
}

/**
 * The journal itself: every journey's handled_seq counts its handled event rows, its accepted_seq
 * is its last event and its number of events (no seq missing).
 */
export async function checkJournal(store: Store, journeyIds: string[]): Promise<string[]> {
  if (journeyIds.length === 0) return [];
  const broken = await store.query<{ journey_id: string; handled_seq: number; accepted_seq: number; handled: number; events: number; last: number }>(
    `SELECT j.journey_id, j.handled_seq, j.accepted_seq, SUM(e.status <> 'pending') AS handled, COUNT(e.event_id) AS events, MAX(e.journey_seq) AS last
       FROM journeys j LEFT JOIN events e ON e.journey_id = j.journey_id
      WHERE j.journey_id IN (?) GROUP BY j.journey_id, j.handled_seq, j.accepted_seq
     HAVING SUM(e.status <> 'pending') <> j.handled_seq OR COUNT(e.event_id) <> j.accepted_seq OR MAX(e.journey_seq) <> j.accepted_seq`,
    [journeyIds],
  );
  return broken.map(
    (row) =>
      `journey ${row.journey_id}: handled_seq ${row.handled_seq} but ${Number(row.handled)} handled rows; accepted_seq ${row.accepted_seq} but ${Number(row.events)} events, last seq ${Number(row.last)}`,
  );
}
