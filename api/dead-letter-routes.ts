import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';
import type { DeadLetterQuery, JourneyEngine } from '../engine/index.js';
import { OPERATOR_ROLE, operatorRequired } from './auth.js';
import { CURSOR_PATTERN, JOURNEY_ID_PATTERN, JOURNEY_TYPE_PATTERN, MAX_PAGE_LIMIT, errorResponses } from './schemas.js';

/** A back-end system's name, as `call <system>.<operation>` writes it. */
const SYSTEM_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';

const deliveredEventSchema = {
  type: 'object',
  required: ['eventId', 'status'],
  properties: { eventId: { type: 'string' }, status: { type: 'string', enum: ['pending', 'applied', 'rejected'] } },
} as const;

const summaryProperties = {
  id: { type: 'string', pattern: JOURNEY_ID_PATTERN, description: "The call's outbox id: also the `callId` its back end sees, and the key of its reply." },
  kind: { type: 'string', enum: ['call'], description: 'What went dead: a back-end call (undelivered webhooks would be another kind).' },
  status: {
    type: 'string',
    enum: ['dead', 'retrying', 'answered', 'discarded'],
    description: '`dead`: waiting for an operator; `retrying`: retried, running; `answered`: a retry got its answer; `discarded`.',
  },
  journeyId: { type: 'string' },
  journeyType: { type: ['string', 'null'] },
  version: { type: ['string', 'null'] },
  system: { type: 'string' },
  operation: { type: 'string' },
  attempts: { type: 'integer', description: 'Attempts at the back end, over every retry.' },
  retries: { type: 'integer', description: 'How often an operator retried it.' },
  lastError: { type: ['string', 'null'] },
  createdAt: { type: 'string', format: 'date-time' },
  deadAt: { type: 'string', format: 'date-time', description: 'When its retries were last spent.' },
} as const;

const summaryRequired = [
  'id',
  'kind',
  'status',
  'journeyId',
  'journeyType',
  'version',
  'system',
  'operation',
  'attempts',
  'retries',
  'lastError',
  'createdAt',
  'deadAt',
] as const;

export const deadLetterSummarySchema = { type: 'object', required: summaryRequired, properties: summaryProperties } as const;

export const deadLetterSchema = {
  type: 'object',
  required: [...summaryRequired, 'tenant', 'journeyStatus', 'request', 'replyEvent', 'failureEvent', 'causedBy', 'delivered'],
  properties: {
    ...summaryProperties,
    tenant: { type: ['string', 'null'] },
    journeyStatus: { type: ['string', 'null'], description: "The journey's `data.status` (else its lifecycle): where the failure event left it." },
    request: { type: 'object', additionalProperties: true },
    replyEvent: { type: 'string' },
    failureEvent: { type: 'string' },
    causedBy: { type: 'string', description: 'The event whose handling made the call.' },
    resolvedBy: { type: 'string', description: 'The operator of the last retry or discard.' },
    resolvedAt: { type: 'string', format: 'date-time' },
    note: { type: 'string' },
    delivered: {
      type: 'object',
      description: 'The events the call gave its journey: the failure event (when it went dead) and, after a retry, the reply (at most once).',
      properties: { failure: deliveredEventSchema, reply: deliveredEventSchema },
    },
  },
} as const;

export const deadLetterPageSchema = {
  type: 'object',
  required: ['items'],
  properties: {
    items: { type: 'array', items: deadLetterSummarySchema },
    nextCursor: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last page.' },
  },
} as const;

export const deadLetterQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['call'] },
    status: { type: 'string', enum: ['dead', 'discarded'], description: '`dead` (the default): waiting for an operator; `discarded`.' },
    system: { type: 'string', pattern: SYSTEM_PATTERN, description: 'The back-end system, e.g. `booking`.' },
    journeyType: { type: 'string', pattern: JOURNEY_TYPE_PATTERN, description: 'e.g. `mybank/payment/sct`.' },
    cursor: { type: 'string', pattern: CURSOR_PATTERN },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT },
  },
} as const;

export const deadLetterParamsSchema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: JOURNEY_ID_PATTERN } },
} as const;

export const deadLetterRetryBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { note: { type: 'string', maxLength: 500, description: 'Why it is retried (recorded with the operator).' } },
} as const;

export const deadLetterDiscardBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 500, description: 'Why it is discarded (recorded with the operator).' } },
} as const;

/** Dead letters are for operators: the 403 names what was asked for. */
function requireOperator(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const identity = request.identity;
  if (identity === null) done(new JourneyError('JE_UNAUTHENTICATED', 'The request is not authenticated'));
  else if (!identity.roles.includes(OPERATOR_ROLE)) done(operatorRequired(identity, 'Reading, retrying and discarding dead letters'));
  else done();
}

const operatorOf = (request: FastifyRequest): string => request.identity?.sender ?? 'unknown';

/** The body of a retry or discard is optional: none is taken as `{}` before it is validated. */
function emptyBody(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  request.body ??= {};
  done();
}

/**
 * Dead letters (operator role): `GET /dead-letters` lists them (filters: kind, status, system,
 * journey type; cursor paging), `GET /dead-letters/{id}` reads one with the events it gave its
 * journey, `POST /dead-letters/{id}/retry` makes the call again (202: it runs in the background)
 * and `POST /dead-letters/{id}/discard` records that nobody will (the journey keeps the failure
 * event it got when the call went dead).
 */
export function registerDeadLetterRoutes(app: FastifyInstance, engine: JourneyEngine): void {
  app.get<{ Querystring: DeadLetterQuery }>(
    '/dead-letters',
    { onRequest: requireOperator, schema: { querystring: deadLetterQuerySchema, response: { 200: deadLetterPageSchema, ...errorResponses } } },
    (request) => engine.deadLetters.list(request.query),
  );
  app.get<{ Params: { id: string } }>(
    '/dead-letters/:id',
    { onRequest: requireOperator, schema: { params: deadLetterParamsSchema, response: { 200: deadLetterSchema, ...errorResponses } } },
    (request) => engine.deadLetters.get(request.params.id),
  );
  app.post<{ Params: { id: string }; Body: { note?: string } | undefined }>(
    '/dead-letters/:id/retry',
    {
      onRequest: requireOperator,
      preValidation: emptyBody,
      schema: { params: deadLetterParamsSchema, body: deadLetterRetryBodySchema, response: { 202: deadLetterSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const letter = await engine.deadLetters.retry(request.params.id, operatorOf(request), request.body?.note);
      return reply.code(202).header('location', `/dead-letters/${letter.id}`).send(letter);
    },
  );
  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
    '/dead-letters/:id/discard',
    {
      onRequest: requireOperator,
      preValidation: emptyBody,
      schema: { params: deadLetterParamsSchema, body: deadLetterDiscardBodySchema, response: { 200: deadLetterSchema, ...errorResponses } },
    },
    (request) => engine.deadLetters.discard(request.params.id, operatorOf(request), request.body?.reason),
  );
}
