import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_TENANT, JourneyError } from '../common/index.js';
import type { JsonObject } from '../dsl/index.js';
import type { AcceptRequest, AcceptResult, EventOutcome, JourneyEngine } from '../engine/index.js';
import { eventContext, type Identity } from './auth.js';
import type { ResolvedApiOptions } from './options.js';
import { setOwnerHeaders } from './owner-header.js';
import { outcomeReadable, readerOf } from './read-access.js';
import type { TenantPolicy } from './tenancy.js';
import {
  acceptResultSchema,
  errorResponses,
  eventBodySchema,
  eventHeadersSchema,
  eventQuerySchema,
  initiateParamsSchema,
  journeyIdParamsSchema,
  outcomeResultSchema,
} from './schemas.js';

/** Journey type names have 1..4 segments (`pfm/wallet`, `acme/retail/wallet`). */
export const MAX_NAME_SEGMENTS = 4;

interface EventBody {
  type: string;
  data: JsonObject;
}
interface EventQuery {
  wait?: number;
}
interface EventHeaders {
  'idempotency-key'?: string;
}

/**
 * Idempotency keys are scoped per tenant and sender: the engine dedupes on the key as given (one
 * key space for everyone), so the API prefixes a digest of who is calling — two senders (or the
 * same sender name in two tenants) using the same key can neither collide nor read each other's
 * answers. The digest keeps the stored key within the engine's 200-character limit (43 + 1 + at
 * most 128). The default tenant's digest is the sender's alone, as before tenants existed, so keys
 * stored by an older release still match.
 */
export function scopedIdempotencyKey(caller: { sender: string; tenant: string }, key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  const scope = caller.tenant === DEFAULT_TENANT ? caller.sender : `${caller.tenant}\u0000${caller.sender}`;
  return `${createHash('sha256').update(scope).digest('base64url')}:${key}`;
}

export function acceptBody(result: AcceptResult) {
  return {
    journeyId: result.journeyId,
    eventId: result.eventId,
    seq: result.journeySeq,
    journeyType: result.journeyType,
    version: result.version,
    duplicate: result.duplicate,
  };
}

/** An outcome as its sender sees it: data and emitted events only when they may read the journey. */
export function outcomeBody(outcome: EventOutcome, duplicate: boolean, readable: boolean) {
  return {
    journeyId: outcome.journeyId,
    eventId: outcome.eventId,
    outcome: outcome.outcome,
    ...(outcome.rejection === undefined ? {} : { rejection: outcome.rejection }),
    seq: outcome.seq,
    ...(readable ? { data: outcome.data, emitted: outcome.emitted } : {}),
    duplicate,
  };
}

/** The engine reports payload violations relative to the payload; the client sent it as `data`. */
function relativeToBody(error: unknown): unknown {
  if (!(error instanceof JourneyError) || error.code !== 'JE_EVENT_INVALID') return error;
  const violations = error.details['violations'];
  if (!Array.isArray(violations)) return error;
  const rebased = violations.map((violation: unknown) => {
    if (violation === null || typeof violation !== 'object') return violation;
    const { pointer } = violation as { pointer?: unknown };
    return typeof pointer === 'string' ? { ...violation, pointer: `/data${pointer}` } : violation;
  });
  return new JourneyError(error.code, error.message, {
    cause: error,
    details: { ...error.details, violations: rebased },
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  });
}

function identityOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new JourneyError('JE_UNAUTHENTICATED', 'The request is not authenticated');
  return request.identity;
}

export function registerEventRoutes(app: FastifyInstance, engine: JourneyEngine, options: ResolvedApiOptions, tenancy: TenantPolicy): void {
  const querystring = eventQuerySchema(options.maxWaitMs);
  const response = { 200: outcomeResultSchema, 202: acceptResultSchema, ...errorResponses };

  async function submit(
    request: FastifyRequest<{ Body: EventBody; Querystring: EventQuery; Headers: EventHeaders }>,
    reply: FastifyReply,
    target: { kind: 'initiate'; journeyType: string; version: string } | { kind: 'target'; journeyId: string },
  ) {
    const identity = identityOf(request);
    const context = eventContext(request, identity, options);
    const idempotencyKey = scopedIdempotencyKey(identity, request.headers['idempotency-key']);
    const event = { type: request.body.type, payload: request.body.data };
    let acceptRequest: AcceptRequest;
    if (target.kind === 'initiate') {
      tenancy.assertMayUse(identity.tenant, target.journeyType);
      acceptRequest = { kind: 'initiate', journeyType: target.journeyType, version: target.version, event, context, tenant: identity.tenant };
    } else {
      acceptRequest = { kind: 'target', journeyId: target.journeyId, event, context, tenant: identity.tenant };
      if (tenancy.listed) acceptRequest.mayUseType = (journeyType) => tenancy.mayUse(identity.tenant, journeyType);
    }
    if (idempotencyKey !== undefined) acceptRequest.idempotencyKey = idempotencyKey;
    let result: AcceptResult;
    try {
      result = await engine.accept(acceptRequest);
    } catch (error) {
      throw relativeToBody(error);
    }
    void reply.header('location', `/journeys/${result.journeyId}`);
    setOwnerHeaders(reply, engine, result);
    const waitMs = request.query.wait ?? 0;
    if (waitMs > 0) {
      const outcome = await engine.awaitOutcome(result.eventId, waitMs);
      if (outcome) {
        const readable = outcomeReadable(engine, result, outcome, readerOf(request, options, tenancy));
        return reply.code(200).send(outcomeBody(outcome, result.duplicate, readable));
      }
    }
    return reply.code(202).send(acceptBody(result));
  }

  for (let segments = 1; segments <= MAX_NAME_SEGMENTS; segments++) {
    const names = Array.from({ length: segments }, (_, i) => `:s${i + 1}`).join('/');
    app.post<{ Params: Record<string, string>; Body: EventBody; Querystring: EventQuery; Headers: EventHeaders }>(
      `/journeys/${names}/:version/events`,
      {
        schema: {
          params: initiateParamsSchema(segments),
          querystring,
          headers: eventHeadersSchema,
          body: eventBodySchema,
          response,
        },
      },
      (request, reply) => {
        const journeyType = Array.from({ length: segments }, (_, i) => request.params[`s${i + 1}`] ?? '').join('/');
        return submit(request, reply, { kind: 'initiate', journeyType, version: request.params['version'] ?? 'latest' });
      },
    );
  }

  app.post<{ Params: { journeyId: string }; Body: EventBody; Querystring: EventQuery; Headers: EventHeaders }>(
    '/journeys/:journeyId/events',
    {
      schema: { params: journeyIdParamsSchema, querystring, headers: eventHeadersSchema, body: eventBodySchema, response },
    },
    (request, reply) => submit(request, reply, { kind: 'target', journeyId: request.params.journeyId }),
  );
}
