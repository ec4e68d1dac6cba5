/**
 * `GET /published-events`: one journey type's published events (`publish` in the DSL) for
 * systems outside the engine, in feed order, after a cursor. As JSON pages (with `wait`, a long
 * poll) or, with `Accept: text/event-stream`, as server-sent events that resume from
 * `Last-Event-ID`. At least once: a consumer keeps the cursor of the last event it processed and
 * de-duplicates by `eventId`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { FeedRequest, JourneyEngine } from '../engine/index.js';
import { OPERATOR_ROLE } from './auth.js';
import { DEPLOYED_VERSION_PATTERN, JOURNEY_TYPE_PATTERN } from './schemas.js';
import type { TenantPolicy } from './tenancy.js';

/** The role a consuming system needs (operators may read every tenant's feed). */
export const SUBSCRIBER_ROLE = 'subscriber';

/** Server-sent events: how long one read waits before a keep-alive comment goes out. */
const STREAM_WAIT_MS = 15_000;

export const publishedEventSchema = {
  type: 'object',
  required: ['cursor', 'eventId', 'type', 'journeyId', 'journeyType', 'version', 'journeySeq', 'causedBy', 'publishedAt', 'payload'],
  properties: {
    cursor: { type: 'string', description: 'Its place in the feed: pass as `after` (or `Last-Event-ID`) to continue behind it.' },
    eventId: { type: 'string', description: 'The key to de-duplicate by; also a webhook\u2019s `webhook-id`.' },
    type: { type: 'string', description: 'The event name.' },
    journeyId: { type: 'string' },
    journeyType: { type: 'string' },
    version: { type: 'string' },
    journeySeq: { type: 'integer', description: "The emitting event's place in its journey: one journey's events come in this order." },
    causedBy: { type: 'string', description: 'The event whose outcome published it.' },
    publishedAt: { type: 'string', format: 'date-time' },
    payload: { type: 'object', additionalProperties: true },
  },
} as const;

export const publishedPageSchema = {
  type: 'object',
  required: ['items', 'cursor'],
  properties: {
    items: { type: 'array', items: publishedEventSchema },
    cursor: { type: 'string', description: 'Pass as `after` for the next page: the last item\u2019s cursor, or the one asked with when the page is empty.' },
  },
} as const;

export const publishedQuerySchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', pattern: JOURNEY_TYPE_PATTERN, description: 'The journey type, e.g. `pfm/wallet`: every version\u2019s events.' },
    version: { type: 'string', pattern: DEPLOYED_VERSION_PATTERN, description: 'Only this version\u2019s events.' },
    events: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}(,[A-Za-z_][A-Za-z0-9_]{0,127}){0,49}$',
      description: 'Only these event names, comma-separated.',
    },
    after: {
      type: 'string',
      pattern: '^(now|0|[1-9][0-9]{0,17})$',
      description: 'A cursor from an earlier page; absent: the start of the feed; `now`: its head.',
    },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    wait: { type: 'integer', minimum: 0, maximum: 60, default: 0, description: 'Long poll: seconds to wait for an event when there is none yet.' },
  },
} as const;

interface PublishedQuery {
  type: string;
  version?: string;
  events?: string;
  after?: string;
  limit?: number;
  wait?: number;
}

/** Subscribers read their own tenant's journeys' events; operators everyone's. */
function feedReaderOf(request: FastifyRequest, tenancy: TenantPolicy, journeyType: string): { tenant?: string } {
  const identity = request.identity;
  if (!identity) throw new JourneyError('JE_UNAUTHENTICATED', 'The request is not authenticated');
  if (identity.roles.includes(OPERATOR_ROLE)) return {};
  if (!identity.roles.includes(SUBSCRIBER_ROLE)) {
    throw new JourneyError(
      'JE_ACCESS_DENIED',
      `Reading published events needs the ${SUBSCRIBER_ROLE} or ${OPERATOR_ROLE} role; ${identity.sender} has ${identity.roles.join(', ') || 'no roles'}`,
      {
        details: { requiredRoles: [SUBSCRIBER_ROLE, OPERATOR_ROLE], sender: identity.sender, roles: identity.roles },
      },
    );
  }
  tenancy.assertMayUse(identity.tenant, journeyType);
  return { tenant: identity.tenant };
}

function feedRequestOf(query: PublishedQuery, reader: { tenant?: string }, after: string | undefined): FeedRequest {
  return {
    journeyType: query.type,
    ...(query.version === undefined ? {} : { version: query.version }),
    ...(query.events === undefined ? {} : { events: query.events.split(',') }),
    ...(after === undefined ? {} : { after }),
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...reader,
  };
}

/** Whether the client asked for server-sent events rather than JSON pages. */
const wantsStream = (request: FastifyRequest): boolean => (request.headers.accept ?? '').includes('text/event-stream');

export function registerPublishedRoutes(app: FastifyInstance, engine: JourneyEngine, tenancy: TenantPolicy, logger: Logger): void {
  app.get<{ Querystring: PublishedQuery }>('/published-events', { schema: { querystring: publishedQuerySchema } }, async (request, reply) => {
    const query = request.query;
    const reader = feedReaderOf(request, tenancy, query.type);
    if (!wantsStream(request)) {
      return engine.readPublished({ ...feedRequestOf(query, reader, query.after), waitMs: (query.wait ?? 0) * 1000 });
    }
    const lastEventId = request.headers['last-event-id'];
    const resumeAt = typeof lastEventId === 'string' && /^(0|[1-9][0-9]{0,17})$/.test(lastEventId) ? lastEventId : query.after;
    // The first page is read before the stream opens, so a bad request still gets its 4xx.
    const first = await engine.readPublished(feedRequestOf(query, reader, resumeAt));
    return stream(request, reply, engine, feedRequestOf(query, reader, undefined), first, logger);
  });
}

/** Streams the feed as server-sent events (`id` = cursor, `event` = event name) until the client goes. */
function stream(
  request: FastifyRequest,
  reply: FastifyReply,
  engine: JourneyEngine,
  base: FeedRequest,
  first: Awaited<ReturnType<JourneyEngine['readPublished']>>,
  logger: Logger,
): FastifyReply {
  const gone = new AbortController();
  request.raw.on('close', () => gone.abort());
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(request.id),
  });
  void (async () => {
    // A slow client holds the stream back (the socket's buffer), not this node's memory.
    const send = async (text: string): Promise<void> => {
      if (!out.write(text) && !gone.signal.aborted)
        await new Promise<void>((resolve) => {
          const done = (): void => {
            out.off('drain', done);
            gone.signal.removeEventListener('abort', done);
            resolve();
          };
          out.on('drain', done);
          gone.signal.addEventListener('abort', done, { once: true });
        });
    };
    let page = first;
    while (!gone.signal.aborted) {
      for (const item of page.items) await send(`id: ${item.cursor}\nevent: ${item.type}\ndata: ${JSON.stringify(item)}\n\n`);
      if (page.items.length === 0) await send(': waiting\n\n');
      try {
        page = await engine.readPublished({ ...base, after: page.cursor, waitMs: STREAM_WAIT_MS }, gone.signal);
      } catch (error) {
        // The engine stopping or the store away: the client reconnects with Last-Event-ID.
        logger.debug({ err: ensureError(error) }, 'published-event stream ends');
        break;
      }
    }
    out.end();
  })();
  return reply;
}
