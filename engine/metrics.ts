import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The engine's metrics; one registry per engine so tests and several engines in a process don't clash. */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly accepted = new Counter({ name: 'je_events_accepted_total', help: 'Events durably accepted', labelNames: ['origin'], registers: [this.registry] });
  readonly duplicates = new Counter({ name: 'je_events_duplicate_total', help: 'Submissions answered from an idempotency key', registers: [this.registry] });
  readonly handled = new Counter({
    name: 'je_events_handled_total',
    help: 'Events handled and committed',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly inline = new Counter({
    name: 'je_events_inline_total',
    help: 'Events accepted and handled by one commit (inline handling)',
    registers: [this.registry],
  });
  readonly forwarded = new Counter({
    name: 'je_events_forwarded_total',
    help: 'Events forwarded to their owner for inline handling, by result (handled, declined, timeout, unsent)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly retried = new Counter({
    name: 'je_commit_retries_total',
    help: 'Handling commits retried (conflict, store error)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'je_calls_dead_lettered_total',
    help: 'Back-end calls that exhausted their retries (dead letters), by system; a retried call that fails again counts again',
    labelNames: ['system'],
    registers: [this.registry],
  });
  readonly deadLetteredByKind = new Counter({
    name: 'je_dead_lettered_total',
    help: 'Dead letters made, by kind: call (retries spent), message (between journeys, never deliverable); one retried that goes dead again counts again',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly deadLetters = new Gauge({
    name: 'je_dead_letters',
    help: "Dead letters waiting for an operator, by kind and system: the store's count, the same on every node (alert on max), read at most every 10 s",
    labelNames: ['kind', 'system'],
    registers: [this.registry],
  });
  readonly journeyMessages = new Counter({
    name: 'je_journey_messages_total',
    help: 'Messages between journeys (send, reply, start) by result: delivered, duplicate (delivered before: a retry), retried (our store or engine failed for now), dead (never deliverable)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly publishedNumbered = new Counter({
    name: 'je_published_events_total',
    help: 'Published events this node numbered into the feed (each event is numbered once, by one node)',
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'je_webhook_deliveries_total',
    help: 'Webhook POSTs by result: delivered, failed (a try that will be repeated), dead (tries spent: a dead letter)',
    labelNames: ['webhook', 'result'],
    registers: [this.registry],
  });
  readonly outcomesKept = new Gauge({
    name: 'je_outcomes_kept',
    help: 'Recent outcomes held in memory for ?wait callers: their count and JSON bytes',
    labelNames: ['measure'],
    registers: [this.registry],
  });
  readonly refusedByStore = new Counter({
    name: 'je_events_refused_by_store_total',
    help: 'Events ended as a terminal rejection (STORE_REFUSED) because the store can never hold their outcome',
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'je_intake_refused_total',
    help: 'Submissions refused before acceptance',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly storeUp = new Gauge({
    name: 'je_store_up',
    help: 'Whether MariaDB is taken to answer (0 while it is known down: new events are refused at once)',
    registers: [this.registry],
  });
  readonly storeOutages = new Counter({
    name: 'je_store_outages_total',
    help: 'Times MariaDB was found unreachable (intake refused new events until a probe answered)',
    registers: [this.registry],
  });
  readonly mailboxDepth = new Gauge({ name: 'je_mailbox_depth', help: "Events waiting in this node's journey mailboxes", registers: [this.registry] });
  readonly actors = new Gauge({ name: 'je_journeys_in_memory', help: 'Journeys held in memory on this node', registers: [this.registry] });
  readonly partitionsOwned = new Gauge({ name: 'je_partitions_owned', help: 'Partitions whose lease this node holds', registers: [this.registry] });
  readonly versionHosts = new Gauge({
    name: 'je_version_hosts',
    help: 'Live nodes hosting each deployed journey version, as this node last read membership (0: its events wait for a host)',
    labelNames: ['version'],
    registers: [this.registry],
  });
  readonly gridForged = new Counter({
    name: 'je_grid_forged_total',
    help: 'Grid messages, hot states and call jobs dropped because their MAC was missing (unsigned) or wrong (bad-mac): Redis is not trusted',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  readonly foreignMembers = new Gauge({
    name: 'je_grid_foreign_members',
    help: 'Membership entries of another cluster id seen (and ignored) at the last heartbeat',
    registers: [this.registry],
  });
  readonly leaseChanges = new Counter({
    name: 'je_lease_changes_total',
    help: 'Partition leases acquired or lost',
    labelNames: ['change'],
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: 'je_commit_seconds',
    help: 'Latency of one group commit',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'je_commit_batch_size',
    help: 'Handled events per group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly acceptLatency = new Histogram({
    name: 'je_accept_seconds',
    help: 'Latency of a durable accept',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: 'je_backend_breaker_state',
    help: "Each back end's circuit breaker as this node last read it: 0 closed, 1 half-open, 2 open (shared by the cluster through the grid)",
    labelNames: ['system'],
    registers: [this.registry],
  });
  readonly breakerTransitions = new Counter({
    name: 'je_backend_breaker_transitions_total',
    help: 'Circuit breaker state changes this node made, by back end, from and to',
    labelNames: ['system', 'from', 'to'],
    registers: [this.registry],
  });
  readonly breakerRejected = new Counter({
    name: 'je_backend_breaker_rejected_total',
    help: "Calls not made because their back end's breaker was open (failed fast to their failure event, or held until a probe)",
    labelNames: ['system'],
    registers: [this.registry],
  });
  readonly clockSkew = new Gauge({
    name: 'je_clock_skew_seconds',
    help: "This node's wall clock minus the database's, as last measured (positive: this node runs ahead); timers and deadlines follow the database",
    registers: [this.registry],
  });
}
