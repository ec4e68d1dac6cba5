// Test doubles for the API's unit tests: an in-memory JourneyEngine and a hand-written wallet IR.
import { JourneyError, silentLogger } from '../../common/index.js';
import type { CompiledJourney } from '../../dsl/index.js';
import type {
  AcceptRequest,
  AcceptResult,
  DeadLetterOperations,
  DeadLetterQuery,
  DeadLetterSummary,
  DeadLetterView,
  DeployResult,
  DeployedJourney,
  DeploymentRecord,
  DrainReportEntry,
  EventOutcome,
  EventView,
  JourneyEngine,
  JourneyView,
  Page,
  Readiness,
  JourneyWaitingView,
  PartitionLeaseView,
  ReconcileReport,
  ReconcileRequest,
  SearchQuery,
  UndeployResult,
  UpliftRequest,
  UpliftRun,
} from '../../engine/index.js';
import { buildApi, type ApiOptions } from '../../api/index.js';

export const walletJourney: CompiledJourney = {
  irVersion: 1,
  name: 'pfm/wallet',
  version: '1.0',
  source: 'pfm/wallet/1.0/wallet.journey',
  dataSchema: { type: 'object' },
  events: {
    OpenWallet: {
      schema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['owner', 'currency'],
        additionalProperties: false,
        properties: { owner: { type: 'string' }, currency: { $ref: '#/$defs/currency' } },
        $defs: { currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
      },
      initiating: true,
      handled: true,
      emitted: false,
    },
    Deposit: {
      schema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number', exclusiveMinimum: 0 } } },
      initiating: false,
      handled: true,
      emitted: false,
    },
    Deposited: { schema: { type: 'object' }, initiating: false, handled: false, emitted: true },
  },
  searchFields: [
    { name: 'owner', path: '$.owner', type: 'string' },
    { name: 'balance', path: '$.balance', type: 'number' },
  ],
  // `read allow sender == data.owner`
  read: [
    {
      text: 'sender == data.owner',
      condition: {
        kind: 'binary',
        op: '==',
        left: { kind: 'path', root: 'context', segments: ['sender'] },
        right: { kind: 'path', root: 'data', segments: ['owner'] },
      },
    },
  ],
  beads: [],
  timers: [],
  processors: [],
};

export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';

interface Submitted {
  request: AcceptRequest;
  result: AcceptResult;
}

/** A dead call as the fake keeps it (`deadLetter(…)` fills in the rest). */
export function deadLetter(id: string, fields: Partial<DeadLetterView> = {}): DeadLetterView {
  return {
    id,
    kind: 'call',
    status: 'dead',
    journeyId: '01J00000000000000000000099',
    journeyType: 'mybank/payment/sct',
    version: '2.0',
    system: 'booking',
    operation: 'book',
    attempts: 5,
    retries: 0,
    lastError: 'booking is down',
    createdAt: '2026-06-01T08:00:00.000Z',
    deadAt: '2026-06-01T08:00:03.000Z',
    tenant: 'default',
    journeyStatus: 'bookingFailed',
    request: { amount: 100 },
    replyEvent: 'PaymentBooked',
    failureEvent: 'BookingFailed',
    causedBy: '01J00000000000000000000098',
    delivered: { failure: { eventId: '01J00000000000000000000097', status: 'applied' } },
    ...fields,
  };
}

/** Dead letters in memory, with the engine's rules: only a dead one is retried or discarded; pages by id. */
export class FakeDeadLetters implements DeadLetterOperations {
  readonly letters = new Map<string, DeadLetterView>();
  readonly queries: DeadLetterQuery[] = [];

  list(query: DeadLetterQuery): Promise<Page<DeadLetterSummary>> {
    this.queries.push(query);
    const limit = query.limit ?? 50;
    const after = query.cursor === undefined ? '' : Buffer.from(query.cursor, 'base64url').toString('utf8');
    const matching = [...this.letters.values()]
      .filter((l) => l.status === (query.status ?? 'dead') && (query.system === undefined || l.system === query.system))
      .filter((l) => (query.journeyType === undefined || l.journeyType === query.journeyType) && l.id > after)
      .sort((a, b) => a.id.localeCompare(b.id));
    const items = matching
      .slice(0, limit)
      .map(
        ({
          tenant: _t,
          journeyStatus: _j,
          request: _r,
          replyEvent: _re,
          failureEvent: _f,
          causedBy: _c,
          delivered: _d,
          resolvedBy: _b,
          resolvedAt: _a,
          note: _n,
          ...summary
        }) => summary,
      );
    const last = items[items.length - 1];
    return Promise.resolve(matching.length > limit && last ? { items, nextCursor: Buffer.from(last.id).toString('base64url') } : { items });
  }

  get(id: string): Promise<DeadLetterView> {
    const letter = this.letters.get(id);
    if (!letter) return Promise.reject(new JourneyError('JE_DEAD_LETTER_NOT_FOUND', 'no back-end call that went dead has that id', { details: { id } }));
    return Promise.resolve(letter);
  }

  async retry(id: string, operator: string, note?: string): Promise<DeadLetterView> {
    return this.settle(await this.get(id), {
      status: 'retrying',
      retries: (await this.get(id)).retries + 1,
      resolvedBy: operator,
      ...(note === undefined ? {} : { note }),
    });
  }

  async discard(id: string, operator: string, reason?: string): Promise<DeadLetterView> {
    return this.settle(await this.get(id), { status: 'discarded', resolvedBy: operator, ...(reason === undefined ? {} : { note: reason }) });
  }

  private settle(letter: DeadLetterView, change: Partial<DeadLetterView>): DeadLetterView {
    if (letter.status !== 'dead') {
      throw new JourneyError('JE_DEAD_LETTER_SETTLED', `the call is ${letter.status}, not dead`, { details: { id: letter.id, status: letter.status } });
    }
    const settled = { ...letter, ...change, resolvedAt: '2026-06-01T09:00:00.000Z' };
    this.letters.set(letter.id, settled);
    return settled;
  }
}

/** An engine that keeps journeys in memory; `acceptError`/`outcomes` steer what it answers. */
export class FakeEngine implements JourneyEngine {
  readonly nodeId = 'test-node';
  readonly deadLetters = new FakeDeadLetters();
  readonly submitted: Submitted[] = [];
  readonly journeys = new Map<string, JourneyView>();
  readonly events = new Map<string, EventView[]>();
  /** Thrown by the next `accept` calls while set. */
  acceptError: Error | null = null;
  /** What `awaitOutcome` returns for an accepted event; null → the wait timed out. */
  outcomeOf: (result: AcceptResult) => EventOutcome | null = () => null;
  readonly waits: Array<{ eventId: string; timeoutMs: number }> = [];
  readonly searches: SearchQuery[] = [];
  deployed: DeployedJourney[] = [{ name: walletJourney.name, version: walletJourney.version, journey: walletJourney, laneNo: 1, hosted: true }];
  ready = true;
  stopped = false;
  private counter = 0;

  nextId(): string {
    this.counter++;
    return `01J${String(this.counter).padStart(23, '0')}`;
  }

  accept(request: AcceptRequest): Promise<AcceptResult> {
    if (this.acceptError !== null) return Promise.reject(this.acceptError);
    const key = request.idempotencyKey;
    const earlier = key === undefined ? undefined : this.submitted.find((s) => s.request.idempotencyKey === key);
    if (earlier) return Promise.resolve({ ...earlier.result, duplicate: true });
    let journeyId: string;
    let journeyType: string;
    let version: string;
    if (request.kind === 'initiate') {
      const journey = this.resolveJourney(request.journeyType, request.version);
      journeyId = this.nextId();
      journeyType = journey.name;
      version = journey.version;
      const now = new Date(0).toISOString();
      this.journeys.set(journeyId, {
        journeyId,
        journeyType,
        type: journeyType,
        version,
        status: 'pending',
        lifecycle: 'pending',
        data: null,
        seq: 0,
        acceptedSeq: 1,
        createdAt: now,
        updatedAt: now,
      });
    } else {
      const journey = this.journeys.get(request.journeyId);
      if (!journey) return Promise.reject(new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id'));
      journeyId = journey.journeyId;
      journeyType = journey.journeyType;
      version = journey.version;
    }
    const seq = (this.events.get(journeyId)?.length ?? 0) + 1;
    const result: AcceptResult = { journeyId, eventId: this.nextId(), journeySeq: seq, journeyType, version, duplicate: false };
    this.submitted.push({ request, result });
    this.events.set(journeyId, [
      ...(this.events.get(journeyId) ?? []),
      {
        eventId: result.eventId,
        journeySeq: seq,
        type: request.event.type,
        payload: request.event.payload,
        context: request.context,
        origin: 'api',
        causedBy: null,
        acceptedAt: new Date(0).toISOString(),
        status: 'pending',
        outcome: null,
      },
    ]);
    return Promise.resolve(result);
  }

  awaitOutcome(eventId: string, timeoutMs: number): Promise<EventOutcome | null> {
    this.waits.push({ eventId, timeoutMs });
    const submitted = this.submitted.find((s) => s.result.eventId === eventId);
    return Promise.resolve(submitted ? this.outcomeOf(submitted.result) : null);
  }

  getJourney(journeyId: string): Promise<JourneyView | null> {
    return Promise.resolve(this.journeys.get(journeyId) ?? null);
  }

  listEvents(journeyId: string, options: { cursor?: string; limit?: number } = {}): Promise<Page<EventView>> {
    if (!this.journeys.has(journeyId)) return Promise.reject(new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id'));
    const all = this.events.get(journeyId) ?? [];
    const start = options.cursor === undefined ? 0 : Number(options.cursor);
    const limit = options.limit ?? 50;
    const items = all.slice(start, start + limit);
    return Promise.resolve(start + limit < all.length ? { items, nextCursor: String(start + limit) } : { items });
  }

  search(query: SearchQuery): Promise<Page<JourneyView>> {
    this.searches.push(query);
    const items = [...this.journeys.values()].filter(
      (j) =>
        j.journeyType === query.journeyType && Object.entries(query.fields).every(([name, value]) => JSON.stringify(j.data?.[name]) === JSON.stringify(value)),
    );
    return Promise.resolve({ items });
  }

  deployments(): DeployedJourney[] {
    return this.deployed;
  }

  resolveJourney(journeyType: string, version: string): CompiledJourney {
    const candidates = this.deployed.filter((d) => d.name === journeyType && (version === 'latest' || d.version === version));
    const found = candidates[candidates.length - 1];
    if (!found) throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `no deployed journey ${journeyType} ${version}`);
    return found.journey;
  }

  readiness(): Promise<Readiness> {
    return Promise.resolve({
      ready: this.ready,
      degraded: false,
      grid: { up: this.ready, mode: 'cluster', nodes: 6 },
      store: { up: true },
      partitions: { total: 64, owned: this.ready ? 64 : 0 },
      nodeId: this.nodeId,
    });
  }

  metricsText(): Promise<string> {
    return Promise.resolve('# HELP je_events_accepted_total Events durably accepted\n# TYPE je_events_accepted_total counter\nje_events_accepted_total 3\n');
  }

  /** Bundles given to `deploy`, and what it answers (or throws, while `deployError` is set). */
  readonly deployedBundles: unknown[] = [];
  deployError: Error | null = null;
  deployResult: DeployResult = {
    journeyType: 'pfm/wallet',
    version: '2.0',
    created: true,
    laneNo: 2,
    contentHash: 'a'.repeat(64),
    compatibility: 'BACKWARD',
    checkedAgainst: ['1.0'],
    upliftsChecked: ['1.0'],
    warnings: [],
  };
  readonly undeploys: Array<{ journeyType: string; version: string }> = [];
  undeployError: Error | null = null;
  /** What `deploymentHistory` and `drainReport` answer. */
  history: DeploymentRecord[] = [];
  drain: DrainReportEntry[] = [];

  deploy(bundle: unknown): Promise<DeployResult> {
    this.deployedBundles.push(bundle);
    return this.deployError ? Promise.reject(this.deployError) : Promise.resolve(this.deployResult);
  }

  undeploy(journeyType: string, version: string): Promise<UndeployResult> {
    this.undeploys.push({ journeyType, version });
    if (this.undeployError) return Promise.reject(this.undeployError);
    return Promise.resolve({ journeyType, version, changed: true, undeployedAt: new Date(0).toISOString() });
  }

  deploymentHistory(journeyType: string): Promise<DeploymentRecord[]> {
    const records = this.history.filter((record) => record.journeyType === journeyType);
    if (records.length === 0) return Promise.reject(new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `no version of journey ${journeyType} was ever deployed`));
    return Promise.resolve(records);
  }

  drainReport(): Promise<DrainReportEntry[]> {
    return Promise.resolve(this.drain);
  }

  /** What `partitionLeases` answers: two partitions, one held by this node, one handed back. */
  leases: PartitionLeaseView[] = [
    { partition: 0, owner: 'node-a', epoch: 3, leaseExpiresAt: new Date(0).toISOString(), live: true },
    { partition: 1, owner: null, epoch: 1, leaseExpiresAt: null, live: false },
  ];

  partitionLeases(): Promise<PartitionLeaseView[]> {
    return Promise.resolve(this.leases);
  }

  /** What `journeyWaiting` answers for a journey `getJourney` finds. */
  waiting: JourneyWaitingView = { timers: [], calls: [] };

  async journeyWaiting(journeyId: string): Promise<JourneyWaitingView | null> {
    return (await this.getJourney(journeyId)) === null ? null : this.waiting;
  }

  /** The reconciliations asked for: the system, the request and the operator. */
  readonly reconciled: Array<{ system: string; request: ReconcileRequest; operator: string }> = [];

  reconcile(system: string, request: ReconcileRequest, operator: string): Promise<ReconcileReport> {
    this.reconciled.push({ system, request, operator });
    return Promise.resolve({ system, repair: request.repair === true, from: null, mark: null, checked: 0, more: false, mismatches: [] });
  }

  /** The uplift runs started, by id. */
  readonly uplifts = new Map<string, UpliftRun>();
  upliftError: Error | null = null;

  startUplift(request: UpliftRequest): Promise<UpliftRun> {
    if (this.upliftError) return Promise.reject(this.upliftError);
    const run: UpliftRun = {
      runId: `up-${String(this.uplifts.size).padStart(12, '0')}`,
      journeyType: request.journeyType,
      from: request.from,
      to: request.to,
      where: request.where ?? {},
      dryRun: request.dryRun === true,
      status: 'running',
      scanned: 0,
      uplifted: 0,
      rejected: 0,
      resumed: 0,
      pending: 0,
      failures: [],
      startedAt: new Date(0).toISOString(),
    };
    this.uplifts.set(run.runId, run);
    return Promise.resolve(run);
  }

  upliftRun(runId: string): UpliftRun | undefined {
    return this.uplifts.get(runId);
  }

  /** The fake keeps no feed: every page is empty (the feed itself is tested on the real store). */
  readPublished(request: { after?: string }): Promise<{ items: never[]; cursor: string }> {
    return Promise.resolve({ items: [], cursor: request.after ?? '0' });
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

export const devOptions: ApiOptions = { auth: { mode: 'dev' }, docs: false };

export function devApi(engine = new FakeEngine(), options: Partial<ApiOptions> = {}) {
  const app = buildApi(engine, { ...devOptions, ...options }, silentLogger());
  return { app, engine };
}

/** Sends an event with the dev identity headers. */
export function post(app: ReturnType<typeof buildApi>, url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-dev-sender': 'alice', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
