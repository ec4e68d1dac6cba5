/**
 * Webhooks: published events POSTed to a URL, at least once, in feed order per journey, signed
 * the Standard Webhooks way (`webhook-id` = the event id, `webhook-timestamp`,
 * `webhook-signature`: HMAC-SHA256 with the webhook's secret), retried with back-off and, once
 * the tries are spent, kept as a dead letter for an operator to retry or discard while the
 * cursor moves on.
 *
 * Each webhook reads the feed from its own cursor in the store. One node at a time delivers it
 * (a lease on the cursor row, renewed while a batch is out); the cursor moves only past events
 * delivered or dead-lettered, so a crash anywhere sends again what was not confirmed, never less.
 * Within a batch, journeys go in parallel and each journey's events one after another.
 */
import { Ajv } from 'ajv';
import { Webhook } from 'standardwebhooks';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { FeedEntry } from '../cache-store/index.js';
import { problemsOf, resolveValue, valueOrEnv } from './backend-config.js';
import type { ValueOrEnv } from './backend-config.js';
import { newId } from './ids.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';
import { feedEventJson } from './published-feed.js';
import type { PublishedFeed } from './published-feed.js';

/** One webhook, as configured (defaults filled in). */
export interface WebhookConfig {
  /** Names its cursor and its dead letters; never change it for a live webhook. */
  name: string;
  url: string;
  /** The signing secret: `whsec_` + base64, as Standard Webhooks libraries take it. */
  secret: string;
  /** Journey types (`enterprise/domain/journey`) whose events it gets; absent: every type. */
  types?: string[];
  /** Event names it gets; absent: every published event of its types. */
  events?: string[];
  /** Where a webhook seen for the first time starts: the feed's head (`now`) or its `start`. */
  from: 'now' | 'start';
  /** Tries per event before it becomes a dead letter. */
  maxAttempts: number;
  /** Back-off between tries: doubling from `baseMs`, at most `maxMs`. */
  backoff: { baseMs: number; maxMs: number };
  timeoutMs: number;
  /** Journeys delivered at once (each journey's events stay in order). */
  concurrency: number;
}

const JOURNEY_TYPE = '^[A-Za-z_][A-Za-z0-9_-]{0,63}(/[A-Za-z_][A-Za-z0-9_-]{0,63}){0,3}$';

export const WEBHOOKS_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['webhooks'],
  properties: {
    webhooks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'url', 'secret'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
          url: valueOrEnv,
          secret: valueOrEnv,
          types: { type: 'array', items: { type: 'string', pattern: JOURNEY_TYPE }, minItems: 1 },
          events: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }, minItems: 1 },
          from: { enum: ['now', 'start'], default: 'now' },
          maxAttempts: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          backoff: {
            type: 'object',
            additionalProperties: false,
            properties: { baseMs: { type: 'integer', minimum: 1, default: 1_000 }, maxMs: { type: 'integer', minimum: 1, default: 300_000 } },
            default: {},
          },
          timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, default: 10_000 },
          concurrency: { type: 'integer', minimum: 1, maximum: 256, default: 8 },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ useDefaults: true, allErrors: true }).compile(WEBHOOKS_CONFIG_SCHEMA);

type ConfiguredWebhook = Omit<WebhookConfig, 'url' | 'secret'> & { url: ValueOrEnv; secret: ValueOrEnv };

/**
 * The webhooks a configuration file describes: `{ "webhooks": [{ "name", "url", "secret", … }] }`,
 * where `url` and `secret` may be `{ "env": "NAME" }`.
 * @throws JourneyError `JE_CONFIG_INVALID` naming the source and what is wrong (never a secret).
 */
export function parseWebhooksConfig(content: unknown, env: NodeJS.ProcessEnv, source: string): WebhookConfig[] {
  const config = structuredClone(content);
  if (!validate(config)) throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${problemsOf(validate.errors)}`, { details: { source } });
  const valid: { webhooks: ConfiguredWebhook[] } = config;
  const seen = new Set<string>();
  return valid.webhooks.map((webhook, i) => {
    const where = `/webhooks/${i}`;
    if (seen.has(webhook.name)) throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${where}/name ${webhook.name} is used twice`, { details: { source } });
    seen.add(webhook.name);
    const url = resolveValue(webhook.url, env, source, `${where}/url`);
    if (!/^https?:\/\//.test(url)) throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${where}/url must be an http or https URL`, { details: { source } });
    const secret = resolveValue(webhook.secret, env, source, `${where}/secret`);
    try {
      new Webhook(secret);
    } catch (error) {
      throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${where}/secret is not a Standard Webhooks secret (whsec_ + base64)`, {
        cause: error,
        details: { source },
      });
    }
    if (webhook.backoff.maxMs < webhook.backoff.baseMs) {
      throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${where}/backoff/maxMs is below baseMs`, { details: { source } });
    }
    return { ...webhook, url, secret };
  });
}

export interface WebhookDependencies {
  journal: JournalPort;
  feed: PublishedFeed;
  logger: Logger;
  metrics: EngineMetrics;
  /** This node: the owner named on the leases. */
  ownerId: string;
  /** How long a lease holds without renewal. @defaultValue 10000 */
  leaseTtlMs?: number;
}

/** Events one delivery round takes from the feed. */
const BATCH = 200;

class Stopped extends Error {}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Delivers every configured webhook that this node holds the lease of. */
export class WebhookDeliverer {
  private readonly controller = new AbortController();
  private readonly loops: Array<Promise<void>> = [];
  private readonly log: Logger;
  private readonly leaseTtlMs: number;

  constructor(
    private readonly webhooks: readonly WebhookConfig[],
    private readonly deps: WebhookDependencies,
  ) {
    this.log = deps.logger.child({ component: 'webhooks' });
    this.leaseTtlMs = deps.leaseTtlMs ?? 10_000;
  }

  start(): void {
    for (const webhook of this.webhooks) this.loops.push(this.run(webhook, new Webhook(webhook.secret)));
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.loops);
    await Promise.all(this.webhooks.map((w) => this.deps.journal.releaseWebhook(w.name, this.deps.ownerId).catch(() => undefined)));
  }

  private get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(webhook: WebhookConfig, signer: Webhook): Promise<void> {
    while (!this.stopped) {
      try {
        const cursor = await this.deps.journal.leaseWebhook(webhook.name, this.deps.ownerId, this.leaseTtlMs, webhook.from === 'start');
        if (cursor === null) {
          // Another node delivers it; look again before its lease could run out.
          await sleep(this.leaseTtlMs / 2, this.controller.signal);
          continue;
        }
        await this.round(webhook, signer, cursor);
      } catch (error) {
        if (this.stopped) break;
        // A lost lease (Stopped) ends the round only: the loop goes on and asks for the lease again.
        if (!(error instanceof Stopped)) this.log.warn({ err: ensureError(error), webhook: webhook.name }, 'webhook round failed; trying again');
        await sleep(1_000, this.controller.signal);
      }
    }
  }

  /** One round under the lease: the retried dead letters, then a batch of the feed. */
  private async round(webhook: WebhookConfig, signer: Webhook, cursor: number): Promise<void> {
    const lease = new AbortController();
    const stop = (): void => lease.abort();
    this.controller.signal.addEventListener('abort', stop, { once: true });
    // The lease is renewed while the batch is out; lost, the batch stops (the new holder sends it).
    const renew = setInterval(() => {
      this.deps.journal
        .leaseWebhook(webhook.name, this.deps.ownerId, this.leaseTtlMs, false)
        .then((held) => {
          if (held === null) lease.abort();
        })
        .catch(() => lease.abort());
    }, this.leaseTtlMs / 3);
    try {
      for (const dead of await this.deps.journal.retryingWebhookDeliveries(webhook.name, 50)) {
        const entry = await this.deps.journal.feedEntry(dead.feedSeq);
        if (!entry) continue;
        const tried = await this.deliver(webhook, signer, entry, lease.signal);
        if (tried.delivered) await this.deps.journal.markWebhookRetryDelivered(dead.id, tried.attempts);
        else await this.deps.journal.recordWebhookDead({ ...this.deadOf(webhook, entry), id: dead.id, attempts: tried.attempts, lastError: tried.error });
      }
      const entries = await this.deps.feed.read(
        {
          ...(webhook.types ? { typeNames: webhook.types } : {}),
          ...(webhook.events ? { eventTypes: webhook.events } : {}),
          after: cursor,
          limit: BATCH,
        },
        this.leaseTtlMs / 3,
        lease.signal,
      );
      const last = entries.at(-1);
      if (!last) return;
      const byJourney = new Map<string, FeedEntry[]>();
      for (const entry of entries) byJourney.set(entry.journeyId, [...(byJourney.get(entry.journeyId) ?? []), entry]);
      const queues = [...byJourney.values()];
      const lane = async (): Promise<void> => {
        for (let queue = queues.shift(); queue; queue = queues.shift()) {
          for (const entry of queue) {
            const tried = await this.deliver(webhook, signer, entry, lease.signal);
            if (!tried.delivered) {
              this.deps.metrics.webhookDeliveries.inc({ webhook: webhook.name, result: 'dead' });
              await this.deps.journal.recordWebhookDead({ ...this.deadOf(webhook, entry), id: newId(), attempts: tried.attempts, lastError: tried.error });
              this.log.warn({ webhook: webhook.name, eventId: entry.eventId, attempts: tried.attempts, error: tried.error }, 'webhook delivery dead-lettered');
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(webhook.concurrency, queues.length) }, lane));
      if (lease.signal.aborted) throw new Stopped();
      await this.deps.journal.advanceWebhook(webhook.name, this.deps.ownerId, last.feedSeq);
    } finally {
      clearInterval(renew);
      this.controller.signal.removeEventListener('abort', stop);
    }
  }

  private deadOf(webhook: WebhookConfig, entry: FeedEntry): { webhook: string; feedSeq: number; eventId: string; journeyId: string; causedBy: string } {
    return { webhook: webhook.name, feedSeq: entry.feedSeq, eventId: entry.eventId, journeyId: entry.journeyId, causedBy: entry.causedBy };
  }

  /** POSTs one event until it is taken or the tries are spent; throws Stopped when the lease or the node goes. */
  private async deliver(
    webhook: WebhookConfig,
    signer: Webhook,
    entry: FeedEntry,
    signal: AbortSignal,
  ): Promise<{ delivered: true; attempts: number } | { delivered: false; attempts: number; error: string }> {
    const body = JSON.stringify(feedEventJson(entry));
    let error = '';
    for (let attempt = 1; attempt <= webhook.maxAttempts; attempt++) {
      if (signal.aborted) throw new Stopped();
      const sentAt = new Date();
      try {
        const response = await fetch(webhook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'journey-engine-webhooks',
            'webhook-id': entry.eventId,
            'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
            'webhook-signature': signer.sign(entry.eventId, sentAt, body),
          },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(webhook.timeoutMs)]),
        });
        await response.body?.cancel().catch(() => undefined);
        if (response.ok) {
          this.deps.metrics.webhookDeliveries.inc({ webhook: webhook.name, result: 'delivered' });
          return { delivered: true, attempts: attempt };
        }
        error = `HTTP ${response.status}`;
      } catch (thrown) {
        if (signal.aborted) throw new Stopped();
        error = ensureError(thrown).message;
      }
      this.deps.metrics.webhookDeliveries.inc({ webhook: webhook.name, result: 'failed' });
      if (attempt < webhook.maxAttempts) {
        const ceiling = Math.min(webhook.backoff.maxMs, webhook.backoff.baseMs * 2 ** (attempt - 1));
        await sleep(ceiling / 2 + Math.random() * (ceiling / 2), signal);
      }
    }
    return { delivered: false, attempts: webhook.maxAttempts, error };
  }
}
