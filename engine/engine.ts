import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { searchColumnName } from '../cache-store/index.js';
import type { DeploymentSummary, JournalEvent, JourneyRow, JourneySearch } from '../cache-store/index.js';
import { CorrectedClock, JourneyError, ensureError, silentLogger, systemClock } from '../common/index.js';
import type { Clock, Logger } from '../common/index.js';
import type { CompiledJourney, EventContext, JsonObject, ProcessorRegistry } from '../dsl/index.js';
import { CallRunner, DEFAULT_CALL_OPTIONS } from './calls.js';
import { ClockSync, DEFAULT_CLOCK_SYNC_OPTIONS } from './clock-sync.js';
import { DeadLetters } from './dead-letters.js';
import { Reconciler } from './reconcile.js';
import type { ClockSyncOptions } from './clock-sync.js';
import type { BackendRegistry, CallOptions } from './calls.js';
import { DeploymentAdmin } from './deployment-admin.js';
import { DeploymentRegistry } from './deployment-registry.js';
import { ID_PATTERN, maxLane, slotOf, slotsOfLane } from './ids.js';
import { InlineForwarder } from './forwarding.js';
import { DEFAULT_MESSAGE_OPTIONS, MessageRelay } from './journey-messages.js';
import { TenantTypes } from './tenant-types.js';
import type { TenantTypesConfig } from './tenant-types.js';
import type { MessageOptions } from './journey-messages.js';
import { ForgedTraffic } from './forged-traffic.js';
import { Intake } from './intake.js';
import { mayReadRow, rowReadCheck, searchFilterOf } from './read-policy.js';
import type { Reader } from './read-policy.js';
import { SearchCursors } from './search-cursors.js';
import { EngineMetrics } from './metrics.js';
import { DEFAULT_FEED_OPTIONS, PublishedFeed, feedPage } from './published-feed.js';
import type { FeedOptions } from './published-feed.js';
import { WebhookDeliverer } from './webhooks.js';
import type { WebhookConfig } from './webhooks.js';
import { applyChanges, hasChanges } from './outcome-changes.js';
import { DEFAULT_OUTCOME_HUB_LIMITS, OutcomeHub } from './outcomes.js';
import type { OutcomeHubLimits } from './outcomes.js';
import { StoreHealthTracker } from './store-health.js';
import { behindBreakers, createLocalBreakerStore } from './breaker-board.js';
import type { BreakerOptions } from './circuit-breaker.js';
import { UpliftRunner } from './uplift-runner.js';
import { createGridMac, createLocalRunLocks } from '../grid/index.js';
import type { RunLocks } from '../grid/index.js';
import type { GridPort, InlineEvent, JournalPort, NodeMessage } from './ports.js';
import type {
  AcceptRequest,
  AcceptResult,
  DeployedJourney,
  EventOutcome,
  EventView,
  JourneyEngine,
  JourneyView,
  Page,
  Readiness,
  SearchQuery,
} from './types.js';
import { DEFAULT_WORKER_OPTIONS, JourneyWorker } from './journey-worker.js';
import type { WorkerOptions } from './journey-worker.js';

export interface EngineOptions {
  /** Names this node in logs and leases. @defaultValue `<hostname>-<pid>` */
  nodeId?: string;
  /** The store, as units of work (`openJournal(store)` from the cache store, or a fake in unit tests). */
  journal: JournalPort;
  /** The Redis grid; null runs a single node without one (embedded use, tests). */
  grid: GridPort | null;
  /** The versions this node carries: deployed to the store at start, and hosted by its worker. */
  journeys: CompiledJourney[];
  /** Action processors per `name@version`. */
  processors?: Record<string, ProcessorRegistry>;
  /**
   * Which versions the worker hosts: `carried` (only `journeys`; a version image) or `all` (also
   * every version deployed to the store later, whose processors, if any, come in its bundle).
   * @defaultValue `carried`
   */
  hostVersions?: 'carried' | 'all';
  /** The bundles of carried versions (`name@version` → its content hash and JSON), deployed with them. */
  carriedBundles?: Record<string, { contentHash: string; bundle: string; compatibility?: string }>;
  /** Loads the processors of a bundle deployed to the store (a `hostVersions: 'all'` node needs it for versions with processors). */
  loadBundleProcessors?: (bundleJson: string) => Promise<ProcessorRegistry>;
  /** One uplift run per journey type across the cluster (an efficiency lock). @defaultValue a lock within this process */
  runLocks?: RunLocks;
  /** How often the node re-reads the store's deployments (hot deploys and undeploys). @defaultValue 2000 */
  deploymentPollMs?: number;
  /**
   * The key of the MACs on what the engine keeps in Redis (inbox messages, hot state, back-end
   * call jobs), at least 32 characters; every node of a store must have the same. Never written to
   * Redis, never logged. @defaultValue the store's own, generated once in `cluster_meta`
   */
  gridSecret?: string;
  /** Fixed for the life of the store. @defaultValue 64 */
  partitionCount?: number;
  /** Whether this node handles events (false: an API-only node that only accepts). @defaultValue true */
  worker?: boolean;
  workerOptions?: Partial<WorkerOptions>;
  /** Back-end systems the journeys call, `system.operation` → handler. */
  backends?: BackendRegistry;
  /**
   * A circuit breaker per back-end system named here (`pricing`, for `pricing.quote`), shared by
   * the cluster through the grid (breaker-board.ts); systems not named have none. @defaultValue none
   */
  breakers?: Record<string, Partial<BreakerOptions>>;
  /**
   * BullMQ connections for back-end calls (ioredis clients of the grid; the worker's must be a
   * blocking one) and a hash-tagged key prefix. Without them, calls stay pending in the outbox.
   */
  callQueue?: { queue: unknown; worker: unknown; prefix: string; options?: Partial<CallOptions> };
  /**
   * The journey types each tenant may use (the API's `tenants`, env TENANTS): a journey's `start`
   * of a type its tenant may not use is refused (JE_ACCESS_DENIED), and comes back to it as an
   * undelivered message. @defaultValue every tenant, every type
   */
  tenants?: TenantTypesConfig;
  /** Delivery of messages between journeys (`send`, `reply`, `start`): how often pending ones are swept. */
  messages?: Partial<MessageOptions>;
  /** The published-event feed: how often unnumbered events are looked for, how often a waiting reader looks. */
  feed?: Partial<FeedOptions>;
  /** Webhooks fed from the published events (WEBHOOKS_CONFIG); every node takes part, one at a time per webhook. */
  webhooks?: readonly WebhookConfig[];
  /** Accepts in flight at once before intake answers JE_OVERLOADED. @defaultValue 2000 */
  maxInflightAccepts?: number;
  /**
   * How long a node waits for the owner it forwarded an event to before accepting the event
   * itself (safe either way: the event id keeps it written once). @defaultValue 1000
   */
  forwardTimeoutMs?: number;
  /**
   * The base URL clients reach this node's API at (ADVERTISE_URL, e.g. `http://10.0.0.7:3000`):
   * advertised in the grid, so any node can name it with the journeys this node owns
   * (`X-Journey-Owner-Url`) and a client or gateway can send their events here directly.
   * @defaultValue none (the owner is named by its node id only)
   */
  advertiseUrl?: string;
  /**
   * A clock standing in for the database's (tests that move time by hand): taken as it is, and
   * timers fall due by it. @defaultValue this node's clock corrected by its measured skew to the
   * database's, which alone decides when timers are due
   */
  clock?: Clock;
  /** How often the skew to the database's clock is measured, and past what it is logged as a warning. */
  clockSync?: Partial<ClockSyncOptions>;
  /** How many recent outcomes `?wait` callers are answered from memory (the rest from the store). */
  outcomeHub?: Partial<OutcomeHubLimits>;
  logger?: Logger;
  /**
   * 32 bytes the nodes share, sealing search cursors that must not name what they point at (see
   * search-cursors.ts); default derived from the grid secret (a random key of this process when
   * the node has no grid).
   */
  cursorKey?: Uint8Array;
}

/**
 * Batches one search reads past rows its reader may not read before it answers a short page: a
 * rule SQL cannot decide costs a scan, bounded here.
 */
const MAX_SEARCH_BATCHES = 20;

/** History pages stop growing past this many bytes of JSON (always at least one event). */
const MAX_HISTORY_PAGE_BYTES = 256 * 1024;

/** Advertised node URLs are read every this many owner-map refreshes (one a second). */
const ADDRESS_EVERY_TICKS = 5;

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

function journeyView(row: JourneyRow): JourneyView {
  const businessStatus = row.data?.status;
  return {
    journeyId: row.journeyId,
    journeyType: row.typeName,
    type: row.typeName,
    version: row.typeVersion,
    status: typeof businessStatus === 'string' ? businessStatus : row.lifecycle,
    lifecycle: row.lifecycle,
    data: row.data as JsonObject | null,
    seq: row.handledSeq,
    acceptedSeq: row.acceptedSeq,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function decodeCursor(cursor: string | undefined, pattern: RegExp): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!pattern.test(decoded)) throw new JourneyError('JE_BAD_REQUEST', 'invalid cursor', { details: { cursor: cursor.slice(0, 64) } });
  return decoded;
}

const encodeCursor = (value: string): string => Buffer.from(value, 'utf8').toString('base64url');

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new JourneyError('JE_BAD_REQUEST', `limit must be an integer from 1 to ${max}`);
  return limit;
}

/** Starts an engine node: deploys its journey versions, takes partitions, begins handling events. */
export async function createEngine(options: EngineOptions): Promise<JourneyEngine> {
  const nodeId = options.nodeId ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9._-]{1,60}$/.test(nodeId))
    throw new JourneyError('JE_CONFIG_INVALID', 'NODE_ID must be 1-60 letters, digits, dot, dash or underscore', { details: { setting: 'NODE_ID' } });
  // A restarted node is a new incarnation: it never inherits the leases (or epochs) of its past self.
  const ownerId = `${nodeId}:${randomBytes(4).toString('hex')}`;
  const logger = (options.logger ?? silentLogger()).child({ nodeId });
  const metrics = new EngineMetrics();
  // A store call anywhere (intake, worker, sweeps) that finds MariaDB unreachable marks it down;
  // intake then refuses new events at once until a background probe finds it answering.
  const storeTracker = new StoreHealthTracker(async () => (await options.journal.health()).ok, metrics, logger);
  const journal = storeTracker.watch(options.journal);
  // The database's clock is the cluster's; this node's own may be off by days. Measured before
  // anything is handled, so no timer is ever scheduled or forwarded on the node's own time.
  const corrected = options.clock ? null : new CorrectedClock(systemClock);
  const clockSync = corrected ? new ClockSync(corrected, journal, metrics, logger, { ...DEFAULT_CLOCK_SYNC_OPTIONS, ...options.clockSync }) : null;
  await clockSync?.sync();
  const clock: Clock = options.clock ?? corrected ?? systemClock;
  const outcomes = new OutcomeHub({ ...DEFAULT_OUTCOME_HUB_LIMITS, ...options.outcomeHub });
  const requestedPartitions = options.partitionCount ?? 64;
  if (!Number.isInteger(requestedPartitions) || requestedPartitions < 1 || requestedPartitions > 4096) {
    throw new JourneyError('JE_CONFIG_INVALID', 'PARTITIONS must be an integer from 1 to 4096', { details: { setting: 'PARTITIONS' } });
  }
  const partitionCount = await journal.ensurePartitionCount(requestedPartitions);
  if (partitionCount !== requestedPartitions) {
    logger.warn({ requested: requestedPartitions, stored: partitionCount }, 'the store was created with another partition count; using the stored one');
  }

  // Versions are immutable: the store refuses a changed definition under an existing version,
  // and gives each version its lane (the slots its journeys live in).
  const hosting = options.worker ?? true;
  const hostAll = hosting && options.hostVersions === 'all';
  const deployments = new DeploymentRegistry();
  for (const journey of options.journeys) {
    const ir = JSON.stringify(journey);
    const { laneNo } = await journal.saveDeployment({
      name: journey.name,
      version: journey.version,
      ir,
      irHash: createHash('sha256').update(ir).digest('hex'),
      maxLane: maxLane(partitionCount),
      ...options.carriedBundles?.[`${journey.name}@${journey.version}`],
    });
    await journal.ensureSearchColumns(journey.searchFields);
    deployments.add({ journey, laneNo, hosted: hosting, processors: options.processors?.[`${journey.name}@${journey.version}`] ?? {} });
  }
  const carried = new Set(options.journeys.map((j) => `${j.name}@${j.version}`));
  /**
   * Learns from the store the versions deployed elsewhere (hot deploys, other nodes' images): it
   * accepts their events for their hosts, and hosts them too when told to host all. On an
   * undeployed version no new journey starts; the journeys it still has are served.
   */
  const deploymentPollMs = options.deploymentPollMs ?? 2_000;
  const letGo = new Set<string>();
  const refreshDeployments = async (): Promise<void> => {
    for (const summary of await journal.listDeployments()) {
      const key = `${summary.name}@${summary.version}`;
      if (summary.undeployedAt === null) {
        if (!deployments.has(summary.name, summary.version)) await learn(summary, key);
        continue;
      }
      // Undeployed: no new journey starts on it. Journeys it still has (one opened on a node that
      // had not heard of the undeploy yet) keep being served, never stranded; once every node has
      // heard (a few polls) and it has none, it is let go for good.
      if (letGo.has(key)) continue;
      const settled = clock.nowMs() - summary.undeployedAt.getTime() > 3 * deploymentPollMs + 1_000;
      const left = (await journal.countInstances(summary.name)).some((row) => row.version === summary.version);
      if (!left && settled) {
        letGo.add(key);
        if (deployments.remove(summary.name, summary.version)) logger.info({ version: key }, 'version undeployed and without journeys; let go');
        continue;
      }
      if (!deployments.has(summary.name, summary.version)) await learn(summary, key);
      if (deployments.retire(summary.name, summary.version))
        logger.info({ version: key }, 'version undeployed; no new journey starts on it, its journeys are served');
    }
  };
  const learn = async (summary: DeploymentSummary, key: string): Promise<void> => {
    const deployment = await journal.loadDeployment(summary.name, summary.version);
    if (!deployment) return;
    const journey = JSON.parse(deployment.ir) as CompiledJourney;
    let processors: ProcessorRegistry = {};
    let hosted = hostAll && !carried.has(key);
    if (hosted && journey.processors.length > 0) {
      if (deployment.bundle && options.loadBundleProcessors) {
        processors = await options.loadBundleProcessors(deployment.bundle);
      } else {
        hosted = false;
        logger.warn({ version: key }, 'version has processors but no bundle in the store: accepting its events, hosting it is left to nodes that carry it');
      }
    }
    await journal.ensureSearchColumns(journey.searchFields);
    deployments.add({ journey, laneNo: summary.laneNo, hosted, processors });
    logger.info({ version: key, laneNo: summary.laneNo, hosted }, 'version learned from the store');
  };
  await refreshDeployments();

  // The grid is shared by whatever stores point at it: bind it to this store's identity before
  // anything (membership, owners, inboxes, hot state) is read or written there.
  const clusterId = await journal.ensureClusterId();
  const grid = options.grid;
  const foreignSeen = new Set<string>();
  // Redis is not a trust boundary: what nodes leave there for each other carries a MAC under a
  // secret Redis never holds, and what fails it is dropped (the store has every accepted event).
  const gridSecret = grid || options.callQueue ? (options.gridSecret ?? (await journal.ensureGridSecret())) : null;
  const secretSetting = options.gridSecret === undefined ? 'cluster_meta.grid_secret' : 'GRID_SECRET';
  const gridMac = gridSecret === null ? null : createGridMac(gridSecret, secretSetting);
  const forged = new ForgedTraffic(metrics, logger, clock);
  if (grid && gridSecret !== null) {
    grid.bindCluster(clusterId, {
      secret: gridSecret,
      secretSetting,
      onForged: (kind, reason, key) => forged.dropped(kind, reason, key),
      onForeignMembers: (entries) => {
        metrics.foreignMembers.set(entries.length);
        for (const entry of entries) {
          if (foreignSeen.has(entry)) continue;
          if (foreignSeen.size < 1_000) foreignSeen.add(entry);
          logger.warn({ member: entry, clusterId }, 'ignoring a grid member of another cluster id (another store shares this Redis namespace)');
        }
      },
    });
  }
  // A partition nobody owns for this long (twice a lease) is reported by readiness.
  const unownedGraceMs = 2 * (options.workerOptions?.leaseTtlMs ?? DEFAULT_WORKER_OPTIONS.leaseTtlMs);
  const inflight = { accepts: 0 };
  const maxInflightAccepts = options.maxInflightAccepts ?? 2000;
  let worker: JourneyWorker | null = null;
  let owners = new Map<number, string>();
  // Owner id → the base URL it advertises (ADVERTISE_URL), for the owner hint of answers.
  let addresses = new Map<string, string>();
  let stopped = false;
  let calls: CallRunner | null = null;
  let relay: MessageRelay | null = null;
  // Published events: numbered into the feed by the node that committed them, and swept by all.
  const feedOptions: FeedOptions = { ...DEFAULT_FEED_OPTIONS, ...options.feed };
  const feed = new PublishedFeed(journal, logger, feedOptions, (count) => metrics.publishedNumbered.inc(count));

  if (options.worker ?? true) {
    const leaseTtlMs = options.workerOptions?.leaseTtlMs ?? DEFAULT_WORKER_OPTIONS.leaseTtlMs;
    const workerOptions: WorkerOptions = {
      ...DEFAULT_WORKER_OPTIONS,
      leaseRenewMs: Math.max(100, Math.floor(leaseTtlMs / 3)),
      nodeTtlMs: leaseTtlMs,
      ...options.workerOptions,
      ownerId,
      partitionCount,
    };
    worker = new JourneyWorker(workerOptions, {
      journal,
      grid,
      maxStatementBytes: journal.maxStatementBytes,
      clock,
      timersByClock: options.clock !== undefined,
      logger,
      metrics,
      outcomes,
      journeys: (name, version) => deployments.hosted(name, version),
      hostedLanes: () => deployments.hostedLanes(),
      knownVersion: (name, version) => {
        const journey = deployments.find(name, version);
        const laneNo = deployments.laneOf(name, version);
        return journey && laneNo !== undefined ? { journey, laneNo } : undefined;
      },
      onJourneyMoved: (journeyId, slot) => {
        // The new owner's sweep would find them too; this saves it the wait.
        journal
          .pendingEventsOfJourney(journeyId, 0, 100)
          .then((events) => {
            for (const event of events) route({ ...event, partitionNo: slot });
          })
          .catch(() => undefined);
      },
      processors: (name, version) => deployments.processors(name, version),
      onCallsCommitted: (committed) => {
        calls?.dispatch(committed).catch((error: unknown) => logger.warn({ err: ensureError(error) }, 'call not queued; the outbox sweep retries'));
      },
      // Their rows are committed with the outcome; what is not delivered now, the sweep delivers.
      onMessagesCommitted: (messages) => void relay?.dispatch(messages),
      onPublishedCommitted: () => feed.kick(),
    });
    await worker.start();
  }

  const route = (event: JournalEvent): void => {
    if (worker?.deliver(event)) return;
    const owner = owners.get(event.partitionNo);
    if (grid && owner && owner !== ownerId) {
      grid.send(owner, { kind: 'event', event: { ...event, replyTo: ownerId } }).catch((error: unknown) => {
        logger.debug({ err: ensureError(error), eventId: event.eventId }, 'wake-up not sent; the owner sweep delivers it');
      });
    }
  };

  const forwarder = grid
    ? new InlineForwarder(grid, ownerId, (partitionNo) => owners.get(partitionNo), options.forwardTimeoutMs ?? 1_000, metrics, logger, clock)
    : null;
  // Inline at this node's worker when it owns the partition, else at the owner it is forwarded to.
  const handleInline = (event: InlineEvent): Promise<number | null> => {
    if (worker?.active(event.partitionNo)) return worker.handleInline(event);
    return forwarder ? forwarder.forward(event) : Promise.resolve(null);
  };

  const intake = new Intake({
    journal,
    deployments,
    metrics,
    logger,
    partitionCount,
    store: storeTracker,
    // The payload, the journey's data and the emitted events of one outcome share a packet.
    maxEventBytes: Math.floor(journal.maxStatementBytes / 4),
    admit: () => {
      if (stopped) throw new JourneyError('JE_ENGINE_STOPPED', 'the engine is stopping', { retryAfterMs: 1000 });
      if (inflight.accepts >= maxInflightAccepts || worker?.saturated) {
        throw new JourneyError('JE_OVERLOADED', 'the engine is at capacity', { retryAfterMs: 500 });
      }
    },
    route,
    handleInline,
    ...(options.tenants === undefined ? {} : { tenantTypes: new TenantTypes(options.tenants) }),
    ...(worker ? { handlesPartition: (partitionNo: number) => worker?.active(partitionNo) ?? false } : {}),
  });

  const uplifts = new UpliftRunner({
    journal,
    deployments,
    locks: options.runLocks ?? createLocalRunLocks(),
    acceptUplift: (input) => intake.acceptUplift(input),
    awaitOutcome: (eventId, timeoutMs) => engine.awaitOutcome(eventId, timeoutMs),
    searchColumn: searchColumnName,
    nowMs: () => clock.nowMs(),
    logger,
  });

  const background: Array<Promise<void>> = [];
  feed.start();
  const webhooks =
    options.webhooks && options.webhooks.length > 0
      ? new WebhookDeliverer(options.webhooks, { journal, feed, logger, metrics, ownerId, leaseTtlMs: feedOptions.webhookLeaseMs })
      : null;
  webhooks?.start();
  // Messages between journeys: delivered after their commit, and swept by the owner of the
  // sender's slot (a crash between the commit and the delivery, an outage of the store).
  const messageOptions: MessageOptions = { ...DEFAULT_MESSAGE_OPTIONS, ...options.messages };
  relay = new MessageRelay({
    journal,
    logger,
    metrics,
    deliver: (message) => intake.acceptJourneyMessage(message),
    fail: (message, reason) =>
      intake.acceptSystemEvent({
        journeyId: message.journeyId,
        type: message.failureEvent,
        payload: { reason, journeyId: message.targetJourneyId },
        origin: 'journey',
        causedBy: message.causedBy,
        idempotencyKey: `${message.idempotencyKey}:failure`,
      }),
  });
  if (worker) {
    const owner = worker;
    const messages = relay;
    background.push(
      (async () => {
        while (!stopped) {
          await new Promise((r) => setTimeout(r, messageOptions.sweepEveryMs));
          if (stopped) break;
          await messages
            .sweep(owner.ownedPartitions, messageOptions.redeliverAfterMs)
            .catch((error: unknown) => logger.warn({ err: ensureError(error) }, 'journey message sweep failed'));
        }
      })(),
    );
  }
  // (A call queue always comes with the MAC: the secret is read whenever there is one.)
  if (options.callQueue && gridMac) {
    calls = new CallRunner(
      { queue: options.callQueue.queue, worker: worker ? options.callQueue.worker : null },
      options.callQueue.prefix,
      { ...DEFAULT_CALL_OPTIONS, ...options.callQueue.options },
      {
        journal,
        logger,
        metrics,
        backends: behindBreakers(options.backends ?? {}, options.breakers ?? {}, { store: grid ?? createLocalBreakerStore(), metrics, logger, clock }),
        acceptReply: (reply) => intake.acceptSystemEvent({ ...reply, origin: 'backend' }),
        mac: gridMac,
        onForged: (reason, key) => forged.dropped('call', reason, key),
      },
    );
    const runner = calls;
    if (worker) {
      const owner = worker;
      background.push(
        (async () => {
          while (!stopped) {
            await new Promise((r) => setTimeout(r, 2_000));
            if (stopped) break;
            await runner.sweep(owner.ownedPartitions, 5_000).catch((error: unknown) => logger.warn({ err: ensureError(error) }, 'outbox sweep failed'));
          }
        })(),
      );
    }
  }

  // Messages from other nodes: events for partitions we own, outcomes for events we accepted.
  if (grid) {
    const sendTo = (nodeId: string, message: NodeMessage): void => {
      grid.send(nodeId, message).catch((error: unknown) => logger.debug({ err: ensureError(error), to: nodeId }, 'node message not sent'));
    };
    const handle = (message: NodeMessage): void => {
      switch (message.kind) {
        case 'event':
          worker?.deliver(message.event);
          break;
        case 'outcome':
          outcomes.publish(message.outcome);
          break;
        case 'handle': {
          // Whatever happens here, the forwarding node accepts the event itself if we say null
          // or say nothing: the event id keeps it written once.
          // A stale request (read after its deadline: this node was paused, say) is declined: its
          // sender has accepted the event itself by now, or told its client it could not. Both
          // read the database's clock, so their own clocks need not agree.
          const taken = worker && clock.nowMs() <= message.deadlineMs ? worker.handleInline(message.event).catch(() => null) : Promise.resolve(null);
          void taken.then((journeySeq) => sendTo(message.replyTo, { kind: 'handled', requestId: message.requestId, journeySeq }));
          break;
        }
        case 'handled':
          forwarder?.settle(message.requestId, message.journeySeq);
          break;
      }
    };
    background.push(
      (async () => {
        while (!stopped) {
          try {
            for (const message of await grid.receive(ownerId, 1000)) handle(message);
          } catch (error) {
            if (!stopped) {
              logger.warn({ err: ensureError(error) }, 'grid inbox read failed; retrying');
              await new Promise((r) => setTimeout(r, 500));
            }
          }
        }
      })(),
    );
    background.push(
      (async () => {
        for (let tick = 0; !stopped; tick++) {
          try {
            owners = await grid.owners();
          } catch {
            // Stale routing only delays wake-ups; sweeps deliver.
          }
          // Addresses change only as nodes come and go: read them (and advertise ours again, should
          // Redis have lost it) every few seconds. Only a worker owns journeys, so only it advertises.
          if (tick % ADDRESS_EVERY_TICKS === 0) {
            try {
              if (worker && options.advertiseUrl) await grid.advertise(ownerId, options.advertiseUrl);
              addresses = await grid.addresses();
            } catch {
              // A hint only: answers name the owner without its URL meanwhile.
            }
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
      })(),
    );
  }

  const pollOutcome = async (eventId: string): Promise<EventOutcome | null> => {
    const stored = await journal.loadOutcome(eventId);
    if (!stored || stored.status === 'pending' || !stored.outcome) return null;
    if (!hasChanges(stored.outcome)) return stored.outcome as unknown as EventOutcome; // stored with its data
    const { changes: _changes, ...outcome } = stored.outcome;
    return { ...(outcome as unknown as Omit<EventOutcome, 'data'>), data: await dataAtSeq(stored.journeyId, stored.journeySeq) };
  };

  /**
   * The journey's data after its event `seq`: the journey row's when nothing was handled since
   * (the usual case of a waiter), else the fold of the changes of its events up to `seq`.
   */
  const dataAtSeq = async (journeyId: string, seq: number): Promise<JsonObject | null> => {
    const journey = await journal.loadJourney(journeyId);
    if (journey && journey.handledSeq === seq) return journey.data as JsonObject | null;
    const history = await journal.journeyHistory(journeyId, 0, seq);
    let data: JsonObject | null = null;
    for (const row of history) {
      const outcome = row.outcome;
      if (!outcome || row.status === 'pending') continue;
      if (hasChanges(outcome)) data = applyChanges(data, outcome.changes);
      else if ('data' in outcome) data = (outcome.data ?? null) as JsonObject | null;
    }
    return data;
  };

  /**
   * The live nodes and the lanes each hosts (this node's own lanes without a grid), also kept as
   * the `je_version_hosts` gauge; null when the grid cannot be read.
   */
  const currentMembership = async (): Promise<Array<{ id: string; lanes: number[] }> | null> => {
    const nodeTtlMs = options.workerOptions?.nodeTtlMs ?? options.workerOptions?.leaseTtlMs ?? DEFAULT_WORKER_OPTIONS.leaseTtlMs;
    let members: Array<{ id: string; lanes: number[] }> | null;
    if (!grid) members = worker ? [{ id: ownerId, lanes: deployments.hostedLanes() }] : [];
    else members = await grid.members(nodeTtlMs).catch(() => null);
    if (members) {
      for (const version of deployments.list()) {
        metrics.versionHosts.set({ version: `${version.name}@${version.version}` }, members.filter((m) => m.lanes.includes(version.laneNo)).length);
      }
    }
    return members;
  };

  background.push(
    (async () => {
      while (!stopped) {
        await new Promise((r) => setTimeout(r, deploymentPollMs));
        if (stopped) break;
        await refreshDeployments().catch((error: unknown) => logger.warn({ err: ensureError(error) }, 'could not read the deployments; retrying'));
      }
    })(),
  );

  // Every node of the store derives the same key, so a sealed cursor works on any of them.
  const cursorKey = options.cursorKey ?? (gridSecret === null ? undefined : new Uint8Array(hkdfSync('sha256', gridSecret, 'je', 'search cursors', 32)));
  const searchCursors = new SearchCursors(cursorKey);

  /**
   * A search page of what `reader` may read: SQL narrows by tenant and read rules, each row is then
   * decided on its data (read-policy.ts), and batches are read until the page is full. A page is
   * short only at the end or when a scan budget runs out; then its cursor is sealed, so it never
   * names a journey the reader did not see.
   */
  const readableSearch = async (search: JourneySearch, limit: number, reader: Reader): Promise<Page<JourneyView>> => {
    const versions = search.typeVersion === undefined ? deployments.versionsOf(search.typeName) : [deployments.get(search.typeName, search.typeVersion)];
    const filtered: JourneySearch = { ...search, tenant: reader.tenant, where: searchFilterOf(versions, reader) };
    const mayReadHere = rowReadCheck(reader);
    const items: JourneyView[] = [];
    let after = search.afterJourneyId;
    for (let batch = 0; batch < MAX_SEARCH_BATCHES; batch++) {
      const rows = await journal.searchJourneys({ ...filtered, afterJourneyId: after });
      for (const row of rows) {
        if (!mayReadHere(row, deployments.find(row.typeName, row.typeVersion))) continue;
        if (items.length === limit) return { items, nextCursor: encodeCursor(items[limit - 1]?.journeyId ?? '') };
        items.push(journeyView(row));
      }
      const last = rows[rows.length - 1];
      if (rows.length < filtered.limit || !last) return { items };
      after = last.journeyId;
    }
    const last = items[items.length - 1];
    return { items, nextCursor: last ? encodeCursor(last.journeyId) : searchCursors.seal(after) };
  };

  // Dead letters: an operator retries a call through this node's call queue (or, without one, the
  // owner's outbox sweep queues it within seconds), and a message through this node's relay.
  const runner = calls;
  const deadLetters = new DeadLetters({
    journal,
    metrics,
    logger,
    ...(runner ? { requeue: (retried) => runner.requeue(retried) } : {}),
    redeliver: (message) => relay?.deliver(message) ?? Promise.resolve(),
    storeUp: () => storeTracker.up,
    nowMs: () => clock.nowMs(),
  });

  // Reconciliation asks the back ends themselves (not through their breakers) and replays a lost
  // reply through the relay's own door: accepted under the call's reply key.
  const reconciler = new Reconciler({
    journal,
    logger,
    backends: options.backends ?? {},
    acceptReply: (reply) => intake.acceptSystemEvent({ ...reply, origin: 'backend' }),
  });

  const admin = new DeploymentAdmin({ journal, partitionCount, refresh: refreshDeployments, membership: currentMembership, logger });

  const engine: JourneyEngine = {
    nodeId,
    async accept(request: AcceptRequest): Promise<AcceptResult> {
      inflight.accepts += 1;
      try {
        return await intake.accept(request);
      } finally {
        inflight.accepts -= 1;
      }
    },
    async awaitOutcome(eventId, timeoutMs) {
      if (!ID_PATTERN.test(eventId)) return null;
      // Outcomes arrive by notification; the store poll only covers a lost one.
      return outcomes.wait(eventId, Math.max(0, timeoutMs), () => pollOutcome(eventId), 1_000);
    },
    ownerOf({ journeyId, journeyType, version }) {
      const laneNo = deployments.laneOf(journeyType, version);
      if (laneNo === undefined) return null;
      const slot = slotOf(laneNo, journeyId, partitionCount);
      const owner = worker?.active(slot) ? ownerId : owners.get(slot);
      if (owner === undefined) return null;
      const url = owner === ownerId ? options.advertiseUrl : addresses.get(owner);
      // An owner id is `<NODE_ID>:<incarnation>`: clients know nodes by NODE_ID.
      return { nodeId: owner.slice(0, owner.lastIndexOf(':')), ...(url === undefined ? {} : { url }) };
    },
    async getJourney(journeyId, reader) {
      if (!ID_PATTERN.test(journeyId)) return null;
      const row = await journal.loadJourney(journeyId);
      if (!row || (reader && !mayReadRow(row, deployments.find(row.typeName, row.typeVersion), reader))) return null;
      return journeyView(row);
    },
    async journeyWaiting(journeyId, reader) {
      if (!ID_PATTERN.test(journeyId)) return null;
      const row = await journal.loadJourney(journeyId);
      if (!row || (reader && !mayReadRow(row, deployments.find(row.typeName, row.typeVersion), reader))) return null;
      const waiting = await journal.journeyWaiting(journeyId);
      return { timers: waiting.timers.map((t) => ({ ...t, fireAt: t.fireAt.toISOString() })), calls: waiting.calls };
    },
    async listEvents(journeyId, pageOptions = {}, reader): Promise<Page<EventView>> {
      if (!ID_PATTERN.test(journeyId)) throw new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id');
      const limit = clampLimit(pageOptions.limit, 50, 500);
      const after = Number(decodeCursor(pageOptions.cursor, /^\d{1,15}$/) ?? '0');
      const { journey, rows } = await journal.journeyPage(journeyId, after, limit + 1);
      // One who may not read it is told what one is told of a journey that does not exist.
      if (!journey || (reader && !mayReadRow(journey, deployments.find(journey.typeName, journey.typeVersion), reader))) {
        throw new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id', { details: { journeyId } });
      }
      const all = rows.slice(0, limit).map((row) => ({
        eventId: row.eventId,
        journeySeq: row.journeySeq,
        type: row.type,
        payload: row.payload as JsonObject,
        context: row.context as unknown as EventContext,
        origin: row.origin,
        causedBy: row.causedBy,
        acceptedAt: iso(row.acceptedAt),
        status: row.status,
        outcome: row.outcome as unknown as EventView['outcome'],
      }));
      // A page is bounded in bytes as well as in items: events with large payloads make short pages.
      const items: EventView[] = [];
      let bytes = 0;
      for (const item of all) {
        bytes += JSON.stringify(item).length;
        if (items.length > 0 && bytes > MAX_HISTORY_PAGE_BYTES) break;
        items.push(item);
      }
      const last = items[items.length - 1];
      const more = rows.length > items.length;
      return more && last ? { items, nextCursor: encodeCursor(String(last.journeySeq)) } : { items };
    },
    async search(query: SearchQuery): Promise<Page<JourneyView>> {
      const journey = deployments.resolve(query.journeyType, query.version ?? 'latest');
      const limit = clampLimit(query.limit, 50, 500);
      const equals = Object.entries(query.fields).map(([name, value]) => {
        const field = journey.searchFields.find((f) => f.name === name);
        if (!field) {
          throw new JourneyError('JE_BAD_REQUEST', `${name} is not a search field of ${journey.name}`, {
            details: { field: name.slice(0, 64), searchFields: journey.searchFields.map((f) => f.name) },
          });
        }
        if (typeof value !== 'string' || value.length > 255)
          throw new JourneyError('JE_BAD_REQUEST', `search value for ${name} must be a string of at most 255 characters`);
        return { column: searchColumnName(name), value };
      });
      const search: JourneySearch = {
        typeName: journey.name,
        ...(query.version ? { typeVersion: journey.version } : {}),
        equals,
        afterJourneyId: searchCursors.open(query.cursor) ?? '',
        limit: limit + 1,
      };
      const { reader } = query;
      if (!reader) {
        const rows = await journal.searchJourneys(search);
        const items = rows.slice(0, limit).map(journeyView);
        const last = items[items.length - 1];
        return rows.length > limit && last ? { items, nextCursor: encodeCursor(last.journeyId) } : { items };
      }
      return readableSearch(search, limit, reader);
    },
    deployments(): DeployedJourney[] {
      return deployments.list();
    },
    resolveJourney(journeyType, version) {
      return deployments.resolve(journeyType, version);
    },
    async readiness(): Promise<Readiness> {
      const membership = await currentMembership();
      // Slots that must have an owner: those of versions some live node hosts. A version nobody
      // hosts does not make a node unready: its events are accepted and wait for a host.
      const hostedSomewhere = membership ? new Set(membership.flatMap((m) => m.lanes)) : new Set(deployments.hostedLanes());
      const watchedSlots = [...hostedSomewhere]
        .filter((lane) => deployments.versionOfLane(lane) !== undefined)
        .flatMap((lane) => slotsOfLane(lane, partitionCount));
      const [storeHealth, gridHealth, unowned] = await Promise.all([
        storeTracker.health(() => options.journal.health()),
        grid ? grid.health().catch((error: unknown) => ({ up: false, nodes: 0, error: ensureError(error).message })) : Promise.resolve(null),
        // Every node asks, API-only ones too: a node can hold its own share while the store has
        // partitions nobody holds (a node of another store took their place in membership, say).
        // (Not while the store is known down: it would wait out the pool's acquire timeout.)
        storeTracker.up ? journal.unownedPartitions(watchedSlots, unownedGraceMs).catch(() => null) : Promise.resolve(null),
      ]);
      const owned = worker?.ownedPartitions.length ?? 0;
      const gridView: Readiness['grid'] = gridHealth
        ? { up: gridHealth.up, mode: grid?.mode ?? 'none', nodes: gridHealth.nodes, ...(gridHealth.error ? { error: gridHealth.error } : {}) }
        : { up: true, mode: 'none', nodes: 0 };
      const versions = deployments.list();
      return {
        // Without the grid a node still accepts and handles through MariaDB (wake-ups wait for
        // sweeps, forwards fall back to local accepts) and keeps its leases: degraded, not out.
        ready: storeHealth.ok && (worker === null || worker.holdsItsShare || partitionCount === 0) && unowned?.length === 0 && !stopped,
        degraded: !gridView.up,
        grid: gridView,
        store: { up: storeHealth.ok, ...(storeHealth.error ? { error: storeHealth.error } : {}) },
        partitions: {
          total: watchedSlots.length,
          owned,
          ...(unowned ? { unowned: unowned.length, unownedPartitions: unowned.slice(0, 100) } : {}),
        },
        ...(membership
          ? {
              versions: {
                hosted: versions.filter((v) => v.hosted).map((v) => `${v.name}@${v.version}`),
                withoutHost: versions.filter((v) => !hostedSomewhere.has(v.laneNo)).map((v) => `${v.name}@${v.version}`),
              },
            }
          : {}),
        nodeId,
      };
    },
    deploy: (bundle) => admin.deploy(bundle),
    undeploy: (journeyType, version) => admin.undeploy(journeyType, version),
    deploymentHistory: (journeyType) => admin.history(journeyType),
    drainReport: () => admin.drainReport(),
    async partitionLeases() {
      return (await journal.partitionLeases()).map((lease) => ({
        partition: lease.partitionNo,
        owner: lease.owner,
        epoch: lease.epoch,
        leaseExpiresAt: lease.leaseExpiresAt === null ? null : lease.leaseExpiresAt.toISOString(),
        live: lease.live,
      }));
    },
    deadLetters,
    reconcile: (system, request, operator) => reconciler.reconcile(system, request, operator),
    async metricsText() {
      const kept = outcomes.kept;
      metrics.outcomesKept.set({ measure: 'count' }, kept.count);
      metrics.outcomesKept.set({ measure: 'bytes' }, kept.bytes);
      await deadLetters.refreshGauge();
      return metrics.registry.metrics();
    },
    startUplift(request) {
      return uplifts.start(request);
    },
    upliftRun(runId) {
      return uplifts.get(runId);
    },
    readPublished(request, signal) {
      return feedPage(feed, request, (name) => deployments.list().some((d) => d.name === name), signal);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // First, while the grid is up: a running uplift frees its lock for another node to resume.
      await uplifts.stop();
      await webhooks?.stop();
      await feed.stop();
      forwarder?.close();
      await storeTracker.close();
      await clockSync?.stop();
      await worker?.stop();
      await Promise.allSettled(background);
      await calls?.close();
    },
  };
  clockSync?.start();
  storeTracker.start();
  logger.info({ ownerId, clusterId, partitionCount, journeys: deployments.list().map((d) => `${d.name}@${d.version}`) }, 'engine started');
  return engine;
}
