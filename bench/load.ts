/**
 * The load generator: drives wallets over HTTP (node:http with keep-alive, so the client costs the
 * same for every system under test) and logs every request.
 *
 * Each wallet has at most one request in flight, so the order a wallet's requests were sent is
 * the order they were accepted, and the checker can replay them. A wallet's k-th operation is
 * fixed by (wallet, k): a Withdraw every third, else a Deposit, with a deterministic amount.
 */
import http from 'node:http';
import type { PayloadMix } from './payload-mix.js';

export type OpType = 'Deposit' | 'Withdraw';

/** What one request came to. */
export type OpResult =
  /** 200 with the outcome (request → outcome). */
  | 'outcome'
  /** 202: durable, outcome not awaited (or the wait ran out). */
  | 'accepted'
  /** 4xx: refused, nothing may have been written. */
  | 'refused'
  /** 5xx, timeout or a broken connection: it may or may not have been accepted. */
  | 'ambiguous';

export interface OpRecord {
  phase: string;
  wallet: number;
  /** The wallet's operation number, 1-based (0 = the opening). */
  k: number;
  type: OpType;
  amount: number;
  /** ms since the run epoch; for paced phases the intended send time (no coordinated omission). */
  startMs: number;
  endMs: number;
  status: number;
  result: OpResult;
  eventId?: string;
  /** The journey seq of the event (202) or the handled seq after it (200). */
  seq?: number;
  outcome?: 'applied' | 'rejected';
  balance?: number;
  deposits?: number;
  withdrawals?: number;
  error?: string;
}

export interface Wallet {
  index: number;
  /** journeyId for the engine, object key for Restate; set once opened. */
  key: string;
  owner: string;
  /** Operations sent so far (the next is k = sent + 1). */
  sent: number;
  busy: boolean;
}

export function opOf(wallet: number, k: number): { type: OpType; amount: number } {
  return { type: k % 3 === 0 ? 'Withdraw' : 'Deposit', amount: 1 + ((k * 17 + wallet * 5) % 40) };
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  error?: string;
  /** The node owning the journey, as the answer names it (X-Journey-Owner). */
  owner?: string;
}

/** A keep-alive HTTP/1.1 client for one host:port. */
export class HttpClient {
  private readonly agent: http.Agent;
  constructor(
    private readonly host: string,
    private readonly port: number,
    maxSockets: number,
    private readonly timeoutMs = 60_000,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return this.request('POST', path, JSON.stringify(body), headers);
  }

  /** A POST of an already serialised JSON text (e.g. padded to a size). */
  postText(path: string, text: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return this.request('POST', path, text, headers);
  }

  get(path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return this.request('GET', path, null, headers);
  }

  private request(method: 'GET' | 'POST', path: string, text: string | null, headers: Record<string, string>): Promise<HttpAnswer> {
    const payload = text === null ? null : Buffer.from(text);
    return new Promise((resolve) => {
      let settled = false;
      const done = (answer: HttpAnswer): void => {
        if (settled) return;
        settled = true;
        resolve(answer);
      };
      const request = http.request(
        {
          host: this.host,
          port: this.port,
          path,
          method,
          agent: this.agent,
          headers: payload === null ? headers : { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text.length > 0 ? JSON.parse(text) : null;
            } catch {
              // keep the text
            }
            const owner = response.headers['x-journey-owner'];
            done({ status: response.statusCode ?? 0, body: parsed, ...(typeof owner === 'string' ? { owner } : {}) });
          });
          response.on('error', (error) => done({ status: 0, body: null, error: error.message }));
        },
      );
      request.setTimeout(this.timeoutMs, () => request.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      request.on('error', (error) => done({ status: 0, body: null, error: error.message }));
      request.end(payload ?? undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** One system under test, seen as wallets over HTTP. */
export interface WalletDriver {
  readonly name: string;
  /** Opens wallet `index`; resolves with its key, or throws. */
  open(wallet: Wallet): Promise<string>;
  /** Sends the wallet's op; `wait` asks for the outcome (request → outcome). */
  send(
    wallet: Wallet,
    op: { type: OpType; amount: number },
    wait: boolean,
  ): Promise<Omit<OpRecord, 'phase' | 'wallet' | 'k' | 'type' | 'amount' | 'startMs' | 'endMs'>>;
  close(): void;
}

interface WalletData {
  balance?: unknown;
  deposits?: unknown;
  withdrawals?: unknown;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function dataFields(data: unknown): Pick<OpRecord, 'balance' | 'deposits' | 'withdrawals'> {
  if (data === null || typeof data !== 'object') return {};
  const d = data as WalletData;
  const out: Pick<OpRecord, 'balance' | 'deposits' | 'withdrawals'> = {};
  const balance = num(d.balance);
  const deposits = num(d.deposits);
  const withdrawals = num(d.withdrawals);
  if (balance !== undefined) out.balance = balance;
  if (deposits !== undefined) out.deposits = deposits;
  if (withdrawals !== undefined) out.withdrawals = withdrawals;
  return out;
}

function classify(status: number): OpResult {
  if (status === 200) return 'outcome';
  if (status === 202) return 'accepted';
  if (status >= 400 && status < 500) return 'refused';
  return 'ambiguous';
}

function errorText(answer: HttpAnswer): string {
  if (answer.error) return answer.error;
  const body = answer.body as { error?: { code?: string; message?: string } } | null;
  return body?.error?.code ?? `HTTP ${answer.status}`;
}

/** The engine's HTTP API (`journey serve`, AUTH_MODE=dev). */
export class EngineDriver implements WalletDriver {
  readonly name = 'journey-engine';
  private readonly clients: HttpClient[];
  private next = 0;
  /** With owner routing: the port (index) each wallet's answers named as its owner's. */
  private readonly ownerOfWallet = new Map<number, number>();

  /**
   * Several ports: requests go to them round-robin, as a balancer in front of several nodes would
   * send them. With `payloads`, each operation's request is shaped by the mix (padding, roles).
   * With `owners` (node id → index in `ports`), a client that follows X-Journey-Owner: a wallet's
   * requests go to the node its last answer named, round-robin until one did.
   */
  constructor(
    ports: number | readonly number[],
    maxSockets: number,
    private readonly waitMs: number,
    private readonly payloads: PayloadMix | null = null,
    private readonly owners: ReadonlyMap<string, number> | null = null,
  ) {
    this.clients = (typeof ports === 'number' ? [ports] : ports).map((port) => new HttpClient('127.0.0.1', port, maxSockets));
  }

  private clientFor(wallet: Wallet): HttpClient {
    const owned = this.ownerOfWallet.get(wallet.index);
    if (owned !== undefined) {
      const client = this.clients[owned];
      if (client) return client;
    }
    const client = this.clients[this.next % this.clients.length];
    this.next += 1;
    if (!client) throw new Error('an engine driver needs a port');
    return client;
  }

  /** Follows the owner an answer named (a hint: a stale one costs a forward, never correctness). */
  private follow(wallet: Wallet, answer: HttpAnswer): void {
    if (!this.owners || answer.owner === undefined) return;
    const index = this.owners.get(answer.owner);
    if (index !== undefined) this.ownerOfWallet.set(wallet.index, index);
  }

  async open(wallet: Wallet): Promise<string> {
    const answer = await this.clientFor(wallet).post(
      `/journeys/pfm/wallet/1.0/events?wait=${this.waitMs}`,
      { type: 'OpenWallet', data: { owner: wallet.owner, currency: 'EUR' } },
      { 'x-dev-sender': wallet.owner },
    );
    this.follow(wallet, answer);
    const body = answer.body as { journeyId?: string; outcome?: string } | null;
    if ((answer.status !== 200 && answer.status !== 202) || !body?.journeyId) throw new Error(`open wallet ${wallet.index}: ${errorText(answer)}`);
    if (answer.status === 200 && body.outcome !== 'applied') throw new Error(`open wallet ${wallet.index}: outcome ${String(body.outcome)}`);
    return body.journeyId;
  }

  async send(wallet: Wallet, op: { type: OpType; amount: number }, wait: boolean) {
    // Anyone may deposit (a payer of this wallet's own); only the owner withdraws. The payer is an
    // auditor too: the wallet's read rule shows the data of an outcome to its owner and auditors
    // only, and the checker reads the balance after every operation.
    const sender = op.type === 'Withdraw' ? wallet.owner : `payer-${wallet.index}`;
    const path = `/journeys/${wallet.key}/events${wait ? `?wait=${this.waitMs}` : ''}`;
    const body = { type: op.type, data: { amount: op.amount } };
    let answer: HttpAnswer;
    if (this.payloads) {
      // sendOne counted this operation already: wallet.sent is its k.
      const shaped = this.payloads.shape(wallet.index, wallet.sent, body);
      answer = await this.clientFor(wallet).postText(path, shaped.text, { 'x-dev-sender': sender, 'x-dev-roles': shaped.roles });
      this.payloads.tally(shaped, answer.status);
    } else {
      answer = await this.clientFor(wallet).post(path, body, { 'x-dev-sender': sender, 'x-dev-roles': 'auditor' });
    }
    this.follow(wallet, answer);
    const result = classify(answer.status);
    const answered = (answer.body ?? {}) as { eventId?: string; seq?: number; outcome?: 'applied' | 'rejected'; data?: unknown };
    const record: Omit<OpRecord, 'phase' | 'wallet' | 'k' | 'type' | 'amount' | 'startMs' | 'endMs'> = { status: answer.status, result };
    if (result === 'outcome' || result === 'accepted') {
      if (answered.eventId) record.eventId = answered.eventId;
      if (typeof answered.seq === 'number') record.seq = answered.seq;
      if (result === 'outcome') {
        if (answered.outcome) record.outcome = answered.outcome;
        Object.assign(record, dataFields(answered.data));
      }
    } else {
      record.error = errorText(answer);
    }
    return record;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

/** Restate's ingress: a virtual object `wallet` per key (bench/restate/wallet-service.mjs). */
export class RestateDriver implements WalletDriver {
  readonly name = 'restate';
  private readonly client: HttpClient;
  constructor(port: number, maxSockets: number) {
    this.client = new HttpClient('127.0.0.1', port, maxSockets);
  }

  async open(wallet: Wallet): Promise<string> {
    const key = `w${wallet.index}`;
    const answer = await this.client.post(`/wallet/${key}/open`, { owner: wallet.owner, currency: 'EUR' });
    const body = answer.body as { outcome?: string } | null;
    if (answer.status !== 200 || body?.outcome !== 'applied') throw new Error(`open wallet ${wallet.index}: ${errorText(answer)} ${JSON.stringify(body)}`);
    return key;
  }

  async send(wallet: Wallet, op: { type: OpType; amount: number }) {
    const handler = op.type === 'Withdraw' ? 'withdraw' : 'deposit';
    const request = op.type === 'Withdraw' ? { amount: op.amount, sender: wallet.owner } : { amount: op.amount };
    const answer = await this.client.post(`/wallet/${wallet.key}/${handler}`, request);
    const result = classify(answer.status);
    const record: Omit<OpRecord, 'phase' | 'wallet' | 'k' | 'type' | 'amount' | 'startMs' | 'endMs'> = { status: answer.status, result };
    if (result === 'outcome') {
      const body = (answer.body ?? {}) as { seq?: number; outcome?: 'applied' | 'rejected'; data?: unknown };
      if (typeof body.seq === 'number') record.seq = body.seq;
      if (body.outcome) record.outcome = body.outcome;
      Object.assign(record, dataFields(body.data));
    } else {
      record.error = errorText(answer);
    }
    return record;
  }

  /** Reads a wallet's state (a shared handler: no lock, no journal entry). */
  async state(key: string): Promise<{ seq: number; data: Record<string, unknown> } | null> {
    const answer = await this.client.post(`/wallet/${key}/get`, null);
    if (answer.status !== 200) throw new Error(`read wallet ${key}: ${errorText(answer)}`);
    return answer.body as { seq: number; data: Record<string, unknown> } | null;
  }

  close(): void {
    this.client.close();
  }
}

export function makeWallets(count: number, prefix: string): Wallet[] {
  return Array.from({ length: count }, (_, index) => ({ index, key: '', owner: `${prefix}-owner-${index}`, sent: 0, busy: false }));
}

/** Opens every wallet at the given concurrency; returns the opening latencies (ms). */
export async function openAll(driver: WalletDriver, wallets: Wallet[], concurrency: number): Promise<{ ms: number[]; elapsedMs: number }> {
  const started = performance.now();
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, wallets.length) }, async () => {
      while (next < wallets.length) {
        const wallet = wallets[next++];
        if (!wallet) break;
        const t0 = performance.now();
        let lastError: unknown;
        for (let attempt = 0; attempt < 3 && wallet.key === ''; attempt++) {
          try {
            wallet.key = await driver.open(wallet);
          } catch (error) {
            lastError = error;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        if (wallet.key === '') throw lastError instanceof Error ? lastError : new Error(String(lastError));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { ms: latencies, elapsedMs: performance.now() - started };
}

export interface PhaseOptions {
  phase: string;
  /** Requests in flight at once (closed loop). */
  concurrency: number;
  /** Operations per wallet; ignored when `durationMs` is set. */
  perWallet: number;
  /** Run for this long instead (operations per wallet unbounded). */
  durationMs?: number;
  /** Ask for the outcome (request → outcome) rather than the durable acknowledgement. */
  wait: boolean;
  /** ms since the run epoch; records are stamped relative to it. */
  epoch: number;
  /** Called every second with the records so far (progress). */
  onTick?: (records: OpRecord[]) => void;
}

export interface PhaseResult {
  records: OpRecord[];
  startMs: number;
  endMs: number;
}

async function sendOne(driver: WalletDriver, wallet: Wallet, phase: string, wait: boolean, epoch: number, intendedStart?: number): Promise<OpRecord> {
  wallet.busy = true;
  wallet.sent += 1;
  const k = wallet.sent;
  const op = opOf(wallet.index, k);
  const startMs = intendedStart ?? performance.now() - epoch;
  let answer: Awaited<ReturnType<WalletDriver['send']>>;
  try {
    answer = await driver.send(wallet, op, wait);
  } catch (error) {
    answer = { status: 0, result: 'ambiguous', error: error instanceof Error ? error.message : String(error) };
  }
  wallet.busy = false;
  return { phase, wallet: wallet.index, k, type: op.type, amount: op.amount, startMs, endMs: performance.now() - epoch, ...answer };
}

/** Closed loop: `concurrency` senders, each taking the next idle wallet round-robin. */
export async function runClosed(driver: WalletDriver, wallets: Wallet[], options: PhaseOptions): Promise<PhaseResult> {
  const records: OpRecord[] = [];
  const startMs = performance.now() - options.epoch;
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.durationMs;
  const target = new Map(wallets.map((w) => [w.index, options.durationMs === undefined ? w.sent + options.perWallet : Number.POSITIVE_INFINITY]));
  const queue: Wallet[] = wallets.filter((w) => (target.get(w.index) ?? 0) > w.sent);
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const ticker = options.onTick ? setInterval(() => options.onTick?.(records), 1000) : null;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (;;) {
        if (performance.now() >= deadline) return;
        const wallet = queue.shift();
        if (!wallet) {
          if (inFlight === 0) return;
          // Fewer idle wallets than senders: wait for one to come back.
          await new Promise<void>((r) => {
            const previous = wake;
            wake = () => {
              previous?.();
              r();
            };
          });
          continue;
        }
        inFlight += 1;
        const record = await sendOne(driver, wallet, options.phase, options.wait, options.epoch);
        inFlight -= 1;
        records.push(record);
        if (wallet.sent < (target.get(wallet.index) ?? 0)) queue.push(wallet);
        const w: (() => void) | null = wake;
        wake = null;
        w?.();
      }
    }),
  );
  if (ticker) clearInterval(ticker);
  return { records, startMs, endMs: performance.now() - options.epoch };
}

export interface PacedOptions {
  phase: string;
  /** Arrivals per second (open loop). */
  ratePerSec: number;
  durationMs: number;
  wait: boolean;
  epoch: number;
  /** Most requests in flight; an arrival finding none free is counted as skipped. */
  maxInFlight: number;
}

/**
 * Open loop at a fixed arrival rate: latency counts from the intended send time, so a stall shows
 * in the numbers instead of slowing the arrivals down (no coordinated omission).
 */
export async function runPaced(driver: WalletDriver, wallets: Wallet[], options: PacedOptions): Promise<PhaseResult & { skipped: number }> {
  const records: OpRecord[] = [];
  const t0 = performance.now();
  const startMs = t0 - options.epoch;
  const total = Math.floor((options.ratePerSec * options.durationMs) / 1000);
  const intervalMs = 1000 / options.ratePerSec;
  const idle: Wallet[] = wallets.filter((w) => !w.busy);
  const pending = new Set<Promise<void>>();
  let skipped = 0;
  for (let i = 0; i < total; i++) {
    const due = t0 + i * intervalMs;
    const now = performance.now();
    if (due > now + 1) await new Promise((r) => setTimeout(r, due - now));
    const wallet = idle.shift();
    if (!wallet || pending.size >= options.maxInFlight) {
      if (wallet) idle.push(wallet);
      skipped += 1;
      continue;
    }
    const p: Promise<void> = sendOne(driver, wallet, options.phase, options.wait, options.epoch, due - options.epoch).then((record) => {
      records.push(record);
      idle.push(wallet);
      pending.delete(p);
    });
    pending.add(p);
  }
  await Promise.all(pending);
  return { records, startMs, endMs: performance.now() - options.epoch, skipped };
}
