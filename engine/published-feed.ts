/**
 * The published-event feed. Published events are written by the handling commit of the outcome
 * that emitted them; the sequencer then numbers them into one feed (the store's counter row makes
 * the sequencers of all nodes take turns, so numbers become visible in order and without gaps),
 * and readers page through it by number: a consumer that keeps the last number it processed
 * resumes there after any crash, of its own or of any node, and misses nothing.
 *
 * The node that committed an outcome with published events numbers them at once (`kick`); every
 * node also looks for unnumbered events now and then, for what a crash between a commit and its
 * numbering left behind.
 */
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { FeedEntry, FeedQuery } from '../cache-store/index.js';
import type { JournalPort } from './ports.js';
import type { FeedPage, FeedRequest, PublishedEventView } from './types.js';

export interface FeedOptions {
  /** How often every node looks for events a crash left unnumbered. @defaultValue 1000 */
  sweepEveryMs: number;
  /** How often a waiting reader looks again (numbers given on other nodes). @defaultValue 200 */
  waitPollMs: number;
  /** How long a node's lease on a webhook holds without renewal (a crashed holder's webhook waits this long). @defaultValue 10000 */
  webhookLeaseMs: number;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = { sweepEveryMs: 1_000, waitPollMs: 200, webhookLeaseMs: 10_000 };

/**
 * A published event as consumers get it, from the feed route and in a webhook's body alike.
 * `cursor` is its place in the feed (pass it as `after` to continue behind it); `eventId` is the
 * key to de-duplicate by; one journey's events come in `journeySeq` order.
 */
export function feedEventJson(entry: FeedEntry): PublishedEventView {
  return {
    cursor: String(entry.feedSeq),
    eventId: entry.eventId,
    type: entry.eventType,
    journeyId: entry.journeyId,
    journeyType: entry.typeName,
    version: entry.typeVersion,
    journeySeq: entry.journeySeq,
    causedBy: entry.causedBy,
    publishedAt: entry.publishedAt,
    payload: entry.payload,
  };
}

/** Events numbered per sequencer transaction. */
const SEQUENCE_BATCH = 1_000;

export class PublishedFeed {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private sweeper: NodeJS.Timeout | null = null;
  /** Readers waiting for numbers past theirs, woken when this node gives some. */
  private readonly waiters = new Set<() => void>();
  private readonly log: Logger;

  constructor(
    private readonly journal: JournalPort,
    logger: Logger,
    private readonly options: FeedOptions = DEFAULT_FEED_OPTIONS,
    private readonly onNumbered: (count: number) => void = () => undefined,
  ) {
    this.log = logger.child({ component: 'published-feed' });
  }

  start(): void {
    this.sweeper = setInterval(() => {
      this.journal
        .anyUnsequenced()
        .then((waiting) => {
          if (waiting) this.kick();
        })
        .catch((error: unknown) => this.log.debug({ err: ensureError(error) }, 'feed sweep failed; the next one looks again'));
    }, this.options.sweepEveryMs);
    this.sweeper.unref();
  }

  /** Numbers what is committed now (coalesced: a kick during a run makes one more run). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sequence().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async sequence(): Promise<void> {
    try {
      for (;;) {
        const { numbered } = await this.journal.sequencePublished(SEQUENCE_BATCH);
        if (numbered > 0) {
          this.onNumbered(numbered);
          for (const wake of [...this.waiters]) wake();
        }
        if (numbered < SEQUENCE_BATCH || this.stopped) return;
      }
    } catch (error) {
      // Nothing is lost: the rows stay unnumbered and the sweep (or the next commit) tries again.
      this.log.warn({ err: ensureError(error) }, 'numbering published events failed; the sweep tries again');
    }
  }

  head(): Promise<number> {
    return this.journal.feedHead();
  }

  /**
   * A page of the feed after `query.after`; with `waitMs`, an empty page is answered only once
   * that much time passed without a matching event (a long poll), or `signal` aborts.
   */
  async read(query: FeedQuery, waitMs = 0, signal?: AbortSignal): Promise<FeedEntry[]> {
    if (this.stopped) throw new JourneyError('JE_ENGINE_STOPPED', 'the engine is stopping', { retryAfterMs: 1000 });
    const deadline = Date.now() + waitMs;
    for (;;) {
      const entries = await this.journal.readFeed(query);
      if (entries.length > 0 || Date.now() >= deadline || this.stopped || signal?.aborted) return entries;
      await this.pause(Math.min(this.options.waitPollMs, deadline - Date.now()), signal);
    }
  }

  /** Waits up to `ms`, or less when this node numbers events or `signal` aborts. */
  pause(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const wake of [...this.waiters]) wake();
    await this.running;
  }
}

/** Longest long poll: past it a reader gets an empty page and asks again. */
export const MAX_FEED_WAIT_MS = 60_000;
export const MAX_FEED_LIMIT = 1_000;

/**
 * A page of one journey type's published events, checked at the edge: `after` is a cursor from
 * an earlier page (absent: the feed's start; `now`: its head, for a consumer that wants only new
 * events). `knownType` says whether the type was ever deployed here.
 * @throws JourneyError `JE_BAD_REQUEST` (a bad cursor, limit or wait), `JE_JOURNEY_TYPE_UNKNOWN`.
 */
export async function feedPage(feed: PublishedFeed, request: FeedRequest, knownType: (name: string) => boolean, signal?: AbortSignal): Promise<FeedPage> {
  const { journeyType } = request;
  if (!knownType(journeyType)) {
    throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `no version of ${journeyType} is deployed`, { details: { journeyType } });
  }
  const limit = request.limit ?? 100;
  const waitMs = request.waitMs ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FEED_LIMIT) throw new JourneyError('JE_BAD_REQUEST', `limit must be 1..${MAX_FEED_LIMIT}`);
  if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_FEED_WAIT_MS)
    throw new JourneyError('JE_BAD_REQUEST', `wait must be 0..${MAX_FEED_WAIT_MS / 1000} seconds`);
  let after: number;
  if (request.after === undefined) after = 0;
  else if (request.after === 'now') after = await feed.head();
  else if (/^(0|[1-9][0-9]{0,17})$/.test(request.after)) after = Number(request.after);
  else throw new JourneyError('JE_BAD_REQUEST', 'after must be a cursor from an earlier page (digits) or `now`', { details: { after: request.after } });
  const entries = await feed.read(
    {
      typeNames: [journeyType],
      ...(request.version === undefined ? {} : { version: request.version }),
      ...(request.events === undefined ? {} : { eventTypes: request.events }),
      ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
      after,
      limit,
    },
    waitMs,
    signal,
  );
  return { items: entries.map(feedEventJson), cursor: String(entries.at(-1)?.feedSeq ?? after) };
}
