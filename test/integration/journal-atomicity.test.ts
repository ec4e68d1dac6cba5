/**
 * The statements of one transaction commit together or not at all, on every error path.
 *
 * Each test makes one statement of intake or of the group commit fail for real, in the middle of
 * a pipeline of statements on one connection, then checks the journal's invariants:
 * - a journey's `handled_seq` equals the number of its handled event rows, and its `accepted_seq`
 *   equals its highest event seq, with no gaps;
 * - nothing was half-written: the journey rows and event rows are as before the failed attempt,
 *   or as after a whole commit.
 *
 * Failures are injected with real server behaviour: a **deadlock** that InnoDB resolves by rolling
 * our transaction back (an adversary connection holds a row the statement needs, and once our
 * statement waits, asks for a row we hold; the adversary has touched many rows, so InnoDB picks us
 * as the victim), and a **killed connection** (`KILL` of our connection while it waits there).
 * After a deadlock InnoDB has ended the transaction: statements already pipelined behind the
 * failed one then run on their own, and with autocommit on they would commit one by one.
 */
import mariadb from 'mariadb';
import type { Connection } from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptBatch, acquirePartitions, commitHandlingBatch, ensurePartitions, openStore } from '../../cache-store/index.js';
import type { HandlingCommit, IntakeEntry, NewEvent, Store } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import { createTestDatabase } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';

const OWNER = 'atomicity-node';
const PARTITIONS = 2;

let db: TestDatabase;
let store: Store;
let leases: Map<number, number>;

function connect(): Promise<Connection> {
  const url = new URL(db.url);
  return mariadb.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: db.name,
    foundRows: true,
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openStore({ url: db.url, logger: silentLogger(), poolSize: 4 });
  await store.withTransaction((tx) => ensurePartitions(tx.connection, [...Array(PARTITIONS).keys()]), { label: 'setup' });
  leases = await store.withTransaction((tx) => acquirePartitions(tx.connection, OWNER, [...Array(PARTITIONS).keys()], 600_000), { label: 'setup' });
  const ballast = await connect();
  try {
    await ballast.query('CREATE TABLE ballast (id INT PRIMARY KEY, v INT NOT NULL)');
    await ballast.batch(
      'INSERT INTO ballast (id, v) VALUES (?, 0)',
      [...Array(2000).keys()].map((i) => [i]),
    );
  } finally {
    await ballast.end();
  }
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

let counter = 0;
function newEvent(type: string): NewEvent {
  counter += 1;
  return {
    eventId: `ev-${Date.now()}-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    type,
    payloadJson: JSON.stringify({ n: counter }),
    contextJson: JSON.stringify({ sender: 'test' }),
    origin: 'api',
    causedBy: null,
    idempotencyKey: null,
    requestHash: null,
  };
}

/** Three journeys (ids in order, so the lock order is known), each opened and its first event handled. */
async function openJourneys(tag: string): Promise<string[]> {
  const ids = ['a', 'b', 'c'].map((letter) => `${tag}-${letter}`);
  const entries: IntakeEntry[] = ids.map((journeyId) => ({
    kind: 'initiate',
    journeyId,
    typeName: 'test/atomic',
    typeVersion: '1.0',
    partitionNo: 0,
    event: newEvent('Open'),
  }));
  await store.withTransaction((tx) => acceptBatch(tx.connection, entries), { label: 'open' });
  const results = await store.withTransaction(
    (tx) =>
      commitHandlingBatch(
        tx.connection,
        OWNER,
        leases,
        ids.map((journeyId, i) => handlingOf(journeyId, entries[i]?.event.eventId ?? '', 0)),
      ),
    { label: 'open-handle' },
  );
  expect(results.map((r) => r.status)).toEqual(['committed', 'committed', 'committed']);
  return ids;
}

function handlingOf(journeyId: string, eventId: string, expectedHandledSeq: number, extra: Partial<HandlingCommit> = {}): HandlingCommit {
  return {
    journeyId,
    partitionNo: 0,
    eventId,
    eventType: 'Open',
    expectedHandledSeq,
    status: 'applied',
    lifecycle: 'active',
    dataJson: JSON.stringify({ handled: expectedHandledSeq + 1 }),
    outcomeJson: JSON.stringify({ outcome: 'applied' }),
    feedback: [],
    timersToStart: [],
    timersToCancel: [],
    cancelTimersOnEvent: false,
    calls: [],
    ...extra,
  };
}

interface JourneyFacts {
  handledSeq: number;
  acceptedSeq: number;
  handledRows: number;
  seqs: number[];
}

async function facts(journeyId: string): Promise<JourneyFacts> {
  const [journey] = await store.query<{ handled_seq: number; accepted_seq: number }>('SELECT handled_seq, accepted_seq FROM journeys WHERE journey_id = ?', [
    journeyId,
  ]);
  const events = await store.query<{ journey_seq: number; status: string }>(
    'SELECT journey_seq, status FROM events WHERE journey_id = ? ORDER BY journey_seq',
    [journeyId],
  );
  return {
    handledSeq: Number(journey?.handled_seq),
    acceptedSeq: Number(journey?.accepted_seq),
    handledRows: events.filter((e) => e.status !== 'pending').length,
    seqs: events.map((e) => Number(e.journey_seq)),
  };
}

/** The journal invariants every journey must satisfy whatever failed. */
async function expectConsistent(journeyIds: string[]): Promise<Record<string, JourneyFacts>> {
  const all: Record<string, JourneyFacts> = {};
  for (const journeyId of journeyIds) {
    const f = await facts(journeyId);
    all[journeyId] = f;
    expect({ journeyId, handledSeq: f.handledSeq, seqs: f.seqs }).toEqual({
      journeyId,
      handledSeq: f.handledRows,
      seqs: Array.from({ length: f.acceptedSeq }, (_, i) => i + 1),
    });
  }
  return all;
}

type Injection = 'deadlock' | 'killed connection';

/**
 * Runs `work` on the store while an adversary holds `blockSql`'s row lock; once `work`'s
 * transaction waits for that lock, injects the failure: a deadlock (the adversary then asks for
 * `cycleSql`'s row, which our transaction holds) or a KILL of our connection. Returns what `work`
 * threw (it must throw: the statement failed).
 */
async function failWhileBlocked(
  injection: Injection,
  blockSql: [string, unknown[]],
  cycleSql: [string, unknown[]],
  work: () => Promise<unknown>,
): Promise<unknown> {
  const adversary = await connect();
  const control = await connect();
  try {
    await adversary.beginTransaction();
    // Heavy: InnoDB rolls back the lighter transaction of a deadlock, and that must be ours.
    await adversary.query('UPDATE ballast SET v = v + 1');
    await adversary.query(blockSql[0], blockSql[1]);
    const [{ id: adversaryThread }] = await adversary.query<[{ id: number }]>('SELECT CONNECTION_ID() AS id');
    const outcome = work().then(
      () => ({ threw: false as const }),
      (error: unknown) => ({ threw: true as const, error }),
    );
    let settled: unknown = 'not settled';
    void outcome.then((r) => (settled = r));
    const waiter = await waitForLockWait(control, Number(adversaryThread)).catch((error: unknown) => {
      throw new Error(`${String(error)}; work: ${JSON.stringify(settled, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
    });
    if (injection === 'deadlock') {
      await adversary.query(cycleSql[0], cycleSql[1]).catch(() => undefined);
    } else {
      await control.query(`KILL CONNECTION ${waiter}`);
    }
    const result = await outcome;
    await adversary.rollback();
    expect(result.threw, 'the injected failure must reach the caller').toBe(true);
    return result.threw ? result.error : undefined;
  } finally {
    await adversary.end().catch(() => adversary.destroy());
    await control.end().catch(() => control.destroy());
  }
}

/** Waits until some connection other than the adversary waits for a row lock; returns its thread id. */
async function waitForLockWait(control: Connection, adversaryThread: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  // InnoDB refreshes INNODB_TRX only when it was not read in the last 100 ms: a read sooner would
  // show the previous test's transactions.
  await new Promise((resolve) => setTimeout(resolve, 150));
  while (Date.now() < deadline) {
    const rows = await control.query<Array<{ thread: number | bigint }>>(
      `SELECT trx_mysql_thread_id AS thread FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'`,
    );
    const waiting = rows.map((row) => Number(row.thread)).find((thread) => thread !== adversaryThread);
    if (waiting !== undefined) return waiting;
    // InnoDB refreshes this table only when it was not read in the last 100 ms: poll slower.
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error('the transaction under test never waited for the adversary lock');
}

const lockJourney = (journeyId: string): [string, unknown[]] => ['SELECT journey_id FROM journeys WHERE journey_id = ? FOR UPDATE', [journeyId]];
const lockEvent = (eventId: string): [string, unknown[]] => ['SELECT event_id FROM events WHERE event_id = ? FOR UPDATE', [eventId]];

/** Targets one pending event at each journey (seq 2), through intake. */
async function acceptOneEach(journeyIds: string[]): Promise<NewEvent[]> {
  const events = journeyIds.map(() => newEvent('Deposit'));
  const entries: IntakeEntry[] = journeyIds.map((journeyId, i) => ({
    kind: 'target',
    journeyId,
    typeName: 'test/atomic',
    typeVersion: '1.0',
    partitionNo: 0,
    event: events[i] as NewEvent,
  }));
  await store.withTransaction((tx) => acceptBatch(tx.connection, entries), { label: 'accept' });
  return events;
}

describe.each<Injection>(['deadlock', 'killed connection'])('a %s in the middle of a pipeline commits nothing of the transaction', (injection) => {
  it('intake: the accepted_seq bumps of a group intake', async () => {
    const ids = await openJourneys(`intake-${injection.replace(' ', '-')}-${counter}`);
    const [a, b, c] = ids as [string, string, string];
    const entries: IntakeEntry[] = ids.map((journeyId) => ({
      kind: 'target',
      journeyId,
      typeName: 'test/atomic',
      typeVersion: '1.0',
      partitionNo: 0,
      event: newEvent('Deposit'),
    }));
    // The bumps are pipelined in journey-id order: a's holds, b's waits, c's is queued behind it.
    await failWhileBlocked(injection, lockJourney(b), lockJourney(a), () =>
      store.withTransaction((tx) => acceptBatch(tx.connection, entries), { label: 'accept-batch', retries: 0 }),
    );
    const after = await expectConsistent(ids);
    for (const journeyId of [a, b, c]) expect(after[journeyId]?.acceptedSeq).toBe(1);
  });

  it('group commit: the journey updates (one result each, pipelined)', async () => {
    const ids = await openJourneys(`phase1-${injection.replace(' ', '-')}-${counter}`);
    const [a, b] = ids as [string, string, string];
    const events = await acceptOneEach(ids);
    // A fed-back event makes the journey updates go one result each (pipelined), not as one bulk.
    const commits = ids.map((journeyId, i) => handlingOf(journeyId, events[i]?.eventId ?? '', 1, { feedback: [newEvent('Fed')] }));
    await failWhileBlocked(injection, lockJourney(b), lockJourney(a), () =>
      store.withTransaction((tx) => commitHandlingBatch(tx.connection, OWNER, leases, commits), { label: 'handle-batch', retries: 0 }),
    );
    const after = await expectConsistent(ids);
    for (const journeyId of ids) expect(after[journeyId]).toMatchObject({ handledSeq: 1, acceptedSeq: 2 });
  });

  it('group commit: the event rows and fed-back inserts after the journey updates', async () => {
    const ids = await openJourneys(`phase2-${injection.replace(' ', '-')}-${counter}`);
    const [a] = ids as [string, string, string];
    const events = await acceptOneEach(ids);
    const commits = ids.map((journeyId, i) => handlingOf(journeyId, events[i]?.eventId ?? '', 1, { feedback: [newEvent('Fed')] }));
    // b's event row is held: the bulk event update waits there, the fed-back inserts behind it.
    await failWhileBlocked(injection, lockEvent(events[1]?.eventId ?? ''), lockJourney(a), () =>
      store.withTransaction((tx) => commitHandlingBatch(tx.connection, OWNER, leases, commits), { label: 'handle-batch', retries: 0 }),
    );
    const after = await expectConsistent(ids);
    for (const journeyId of ids) expect(after[journeyId]).toMatchObject({ handledSeq: 1, acceptedSeq: 2 });
  });

  it('retried after the failure, the same work commits whole', async () => {
    const ids = await openJourneys(`retry-${injection.replace(' ', '-')}-${counter}`);
    const [a, b] = ids as [string, string, string];
    const events = await acceptOneEach(ids);
    const commits = ids.map((journeyId, i) => handlingOf(journeyId, events[i]?.eventId ?? '', 1, { feedback: [newEvent('Fed')] }));
    await failWhileBlocked(injection, lockJourney(b), lockJourney(a), () =>
      store.withTransaction((tx) => commitHandlingBatch(tx.connection, OWNER, leases, commits), { label: 'handle-batch', retries: 0 }),
    );
    const results = await store.withTransaction((tx) => commitHandlingBatch(tx.connection, OWNER, leases, commits), { label: 'handle-batch' });
    expect(results.map((r) => r.status)).toEqual(['committed', 'committed', 'committed']);
    const after = await expectConsistent(ids);
    for (const journeyId of ids) expect(after[journeyId]).toMatchObject({ handledSeq: 2, acceptedSeq: 3 });
  });
});
