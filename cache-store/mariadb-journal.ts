/**
 * The journal over MariaDB: each unit of work is one transaction (retried whole on a deadlock)
 * or one read on a pooled connection. What escapes is a registry error (see journal-port.ts).
 */
import type { PoolConnection } from 'mariadb';
import { listDeployments, loadDeployment, markUndeployed, saveDeployment } from './deployment-records.js';
import { deadLetterCounts, listDeadLetters, loadDeadLetter, resolveDeadLetter } from './journal-dead-letters.js';
import { commitHandlingBatch } from './journal-handling.js';
import { acceptBatch, appendEvent, eventExists, findByIdempotencyKey, insertInitiatingEvent } from './journal-intake.js';
import type { IntakeEntry, IntakeResult } from './journal-intake.js';
import { acquirePartitions, ensurePartitionCount, ensurePartitions, releasePartition, renewPartitions } from './journal-leases.js';
import { finishMessage, pendingMessages, startPending, touchMessage } from './journal-messages.js';
import { anyUnsequenced, feedEntry, feedHead, readFeed, sequencePublished } from './journal-published.js';
import {
  advanceWebhook,
  leaseWebhook,
  markWebhookRetryDelivered,
  recordWebhookDead,
  releaseWebhook,
  retryingWebhookDeliveries,
  webhookCursors,
} from './journal-webhooks.js';
import { finishCall, pendingCalls, stillPendingCalls, touchCall } from './journal-outbox.js';
import { advanceReconcileMark, callsOfSystem, reconcileMark, settleReplayedCall } from './journal-reconcile.js';
import type { Journal } from './journal-port.js';
import { journeyHistory, loadJourney, loadOutcome, pendingEventsOfJourney, pendingEventsOfPartitions, searchJourneys } from './journal-reads.js';
import { databaseNowMs, dueTimers, markTimerFired, nextTimerDueInMs } from './journal-timers.js';
import { ensureClusterId, ensureGridSecret } from './cluster-identity.js';
import { partitionLeases, unownedPartitions } from './partition-health.js';
import { journeyWaiting } from './journal-waiting.js';
import { ensureSearchColumns } from './search-columns.js';
import { wrapStoreError } from './store-errors.js';
import type { Store } from './store-types.js';

/** The journal of `store`. The store stays the caller's to close. */
export function openJournal(store: Store): Journal {
  const transaction = <T>(label: string, fn: (conn: PoolConnection) => Promise<T>): Promise<T> => store.withTransaction((tx) => fn(tx.connection), { label });

  const read = async <T>(what: string, fn: (conn: PoolConnection) => Promise<T>): Promise<T> => {
    let conn: PoolConnection;
    try {
      conn = await store.pool.getConnection();
    } catch (error) {
      throw wrapStoreError(error, `${what} (getting a connection)`);
    }
    try {
      return await fn(conn);
    } catch (error) {
      throw wrapStoreError(error, what);
    } finally {
      await conn.release().catch(() => undefined);
    }
  };

  const acceptOne = (entry: IntakeEntry): Promise<IntakeResult> =>
    transaction('accept', async (conn) => {
      if (entry.kind === 'initiate') {
        await insertInitiatingEvent(conn, entry, entry.event);
        return { status: 'accepted', journeySeq: 1 };
      }
      const seq = await appendEvent(conn, entry.journeyId, entry.partitionNo, entry.event);
      return seq === null ? { status: 'not_found' } : { status: 'accepted', journeySeq: seq };
    });

  return {
    acceptBatch: (entries) => transaction('accept-batch', (conn) => acceptBatch(conn, entries)),
    acceptOne,
    findByIdempotencyKey: (key) => read('findByIdempotencyKey', (conn) => findByIdempotencyKey(conn, key)),
    eventExists: (eventId) => read('eventExists', (conn) => eventExists(conn, eventId)),

    commitHandlingBatch: (ownerNode, leases, batch) => transaction('handle-batch', (conn) => commitHandlingBatch(conn, ownerNode, leases, batch)),
    loadJourney: (journeyId) => read('loadJourney', (conn) => loadJourney(conn, journeyId)),
    pendingEventsOfJourney: (journeyId, afterSeq, limit) => read('pendingEventsOfJourney', (conn) => pendingEventsOfJourney(conn, journeyId, afterSeq, limit)),
    pendingEventsOfPartitions: (partitions, options) => read('pendingEventsOfPartitions', (conn) => pendingEventsOfPartitions(conn, partitions, options)),

    ensurePartitionCount: (count) => transaction('partition-count', (conn) => ensurePartitionCount(conn, count)),
    ensurePartitions: (slots) => transaction('ensure-partitions', (conn) => ensurePartitions(conn, slots)),
    acquirePartitions: (ownerNode, partitions, ttlMs) => transaction('acquire', (conn) => acquirePartitions(conn, ownerNode, partitions, ttlMs)),
    renewPartitions: (ownerNode, held, ttlMs) => transaction('renew', (conn) => renewPartitions(conn, ownerNode, held, ttlMs)),
    releasePartition: (ownerNode, partitionNo, epoch) => transaction('release', (conn) => releasePartition(conn, ownerNode, partitionNo, epoch)),
    unownedPartitions: (slots, graceMs) => unownedPartitions(store, slots, graceMs),
    partitionLeases: () => partitionLeases(store),
    ensureClusterId: () => ensureClusterId(store),
    ensureGridSecret: () => ensureGridSecret(store),

    dueTimers: (partitions, limit, atMs) => read('dueTimers', (conn) => dueTimers(conn, partitions, limit, atMs)),
    nextTimerDueInMs: (partitions, atMs) => read('nextTimerDueInMs', (conn) => nextTimerDueInMs(conn, partitions, atMs)),
    // Firing and accepting the timer's event are one transaction: exactly once.
    fireTimer: (timer, event) =>
      transaction('fire-timer', async (conn) => {
        if (!(await markTimerFired(conn, timer.timerId, event.eventId))) return null;
        return appendEvent(conn, timer.journeyId, timer.partitionNo, event);
      }),
    sampleDatabaseClock: (samples, localNowMs, monotonicMs) =>
      // On a connection already held, so the round trip is the query's and not the pool's.
      read('sampleDatabaseClock', async (conn) => {
        const taken = [];
        for (let i = 0; i < samples; i++) {
          const sentMs = localNowMs();
          const started = monotonicMs();
          const referenceMs = await databaseNowMs(conn);
          taken.push({ referenceMs, sentMs, roundTripMs: monotonicMs() - started });
        }
        return taken;
      }),

    pendingCalls: (partitions, olderThanMs, limit, after) => read('pendingCalls', (conn) => pendingCalls(conn, partitions, olderThanMs, limit, after)),
    stillPendingCalls: (outboxIds) => read('stillPendingCalls', (conn) => stillPendingCalls(conn, outboxIds)),
    finishCall: (outboxId, status, lastError) =>
      transaction(status === 'done' ? 'call-done' : 'call-dead', (conn) => finishCall(conn, outboxId, status, lastError)),
    touchCall: (outboxId, lastError) => transaction('call-attempt', (conn) => touchCall(conn, outboxId, lastError)),

    listDeadLetters: (filter) => read('listDeadLetters', (conn) => listDeadLetters(conn, filter)),
    loadDeadLetter: (id) => read('loadDeadLetter', (conn) => loadDeadLetter(conn, id)),
    resolveDeadLetter: (id, action, by, note) => transaction(`dead-letter-${action}`, (conn) => resolveDeadLetter(conn, id, action, by, note)),
    deadLetterCounts: () => read('deadLetterCounts', (conn) => deadLetterCounts(conn)),

    callsOfSystem: (system, after, limit) => read('callsOfSystem', (conn) => callsOfSystem(conn, system, after, limit)),
    reconcileMark: (system) => read('reconcileMark', (conn) => reconcileMark(conn, system)),
    advanceReconcileMark: (system, to) => transaction('reconcile-mark', (conn) => advanceReconcileMark(conn, system, to)),
    settleReplayedCall: (outboxId, by, note) => transaction('call-reconciled', (conn) => settleReplayedCall(conn, outboxId, by, note)),

    pendingMessages: (partitions, olderThanMs, limit) => read('pendingMessages', (conn) => pendingMessages(conn, partitions, olderThanMs, limit)),
    finishMessage: (messageId, status, lastError, eventId) =>
      transaction(status === 'delivered' ? 'message-delivered' : 'message-dead', (conn) => finishMessage(conn, messageId, status, lastError, eventId)),
    touchMessage: (messageId, lastError) => transaction('message-attempt', (conn) => touchMessage(conn, messageId, lastError)),
    startPending: (journeyId) => read('startPending', (conn) => startPending(conn, journeyId)),

    sequencePublished: (limit) =>
      store.withTransaction((tx) => sequencePublished(tx.connection, limit), { label: 'feed-sequence', isolation: 'read-committed' }),
    anyUnsequenced: () => read('anyUnsequenced', (conn) => anyUnsequenced(conn)),
    feedHead: () => read('feedHead', (conn) => feedHead(conn)),
    readFeed: (query) => read('readFeed', (conn) => readFeed(conn, query)),
    feedEntry: (feedSeq) => read('feedEntry', (conn) => feedEntry(conn, feedSeq)),
    leaseWebhook: (name, owner, ttlMs, fromStart) => transaction('webhook-lease', (conn) => leaseWebhook(conn, name, owner, ttlMs, fromStart)),
    advanceWebhook: (name, owner, lastSeq) => transaction('webhook-advance', (conn) => advanceWebhook(conn, name, owner, lastSeq)),
    releaseWebhook: (name, owner) => transaction('webhook-release', (conn) => releaseWebhook(conn, name, owner)),
    webhookCursors: () => read('webhookCursors', (conn) => webhookCursors(conn)),
    recordWebhookDead: (dead) => transaction('webhook-dead', (conn) => recordWebhookDead(conn, dead)),
    markWebhookRetryDelivered: (id, attempts) => transaction('webhook-retry-delivered', (conn) => markWebhookRetryDelivered(conn, id, attempts)),
    retryingWebhookDeliveries: (webhook, limit) => read('retryingWebhookDeliveries', (conn) => retryingWebhookDeliveries(conn, webhook, limit)),

    journeyWaiting: (journeyId) => read('journeyWaiting', (conn) => journeyWaiting(conn, journeyId)),
    loadOutcome: (eventId) => read('loadOutcome', (conn) => loadOutcome(conn, eventId)),
    journeyPage: (journeyId, afterSeq, limit) =>
      read('journeyPage', async (conn) => ({ journey: await loadJourney(conn, journeyId), rows: await journeyHistory(conn, journeyId, afterSeq, limit) })),
    journeyHistory: (journeyId, afterSeq, limit) => read('journeyHistory', (conn) => journeyHistory(conn, journeyId, afterSeq, limit)),
    searchJourneys: (query) => read('searchJourneys', (conn) => searchJourneys(conn, query)),

    saveDeployment: (deployment) => saveDeployment(store, deployment),
    listDeployments: () => listDeployments(store),
    loadDeployment: (name, version) => loadDeployment(store, name, version),
    markUndeployed: (name, version) => markUndeployed(store, name, version),
    countInstances: async (typeName) => {
      const rows = await store.query<{ type_name: string; type_version: string; lifecycle: string; n: number | bigint }>(
        `SELECT type_name, type_version, lifecycle, COUNT(*) AS n FROM journeys ${typeName === undefined ? '' : 'WHERE type_name = ?'}
          GROUP BY type_name, type_version, lifecycle`,
        typeName === undefined ? [] : [typeName],
      );
      return rows.map((r) => ({ typeName: r.type_name, version: r.type_version, lifecycle: r.lifecycle, count: Number(r.n) }));
    },
    ensureSearchColumns: async (fields) => {
      await ensureSearchColumns(store, fields);
    },

    maxStatementBytes: store.maxAllowedPacketBytes,
    health: () => store.health(),
  };
}
