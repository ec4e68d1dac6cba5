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

/** What a dead message was and where it went (kind `message`). */
const messageProperties = {
  kind: { type: 'string', enum: ['send', 'start'], description: '`send` (a `send` or `reply` step) or `start`.' },
  targetJourneyId: { type: 'string', description: 'The journey it goes to (a start: the id the started journey gets).' },
  eventType: { type: ['string', 'null'], description: "The receiver's event; null for a start with its version's one initiating event." },
  targetType: { type: 'string', description: 'A start: the journey type it starts.' },
  targetVersion: { type: 'string' },
} as const;

const messageRequired = ['kind', 'targetJourneyId', 'eventType'] as const;

const summaryProperties = {
  id: {
    type: 'string',
    pattern: JOURNEY_ID_PATTERN,
    description: "A call's outbox id (also the `callId` its back end sees, and the key of its reply), or a message's id.",
  },
  kind: {
    type: 'string',
    enum: ['call', 'message', 'webhook'],
    description:
      'What went dead: a back-end call whose retries were spent, a message between journeys that could not be delivered, or a published event whose tries at a webhook were spent.',
  },
  status: {
    type: 'string',
    enum: ['dead', 'retrying', 'answered', 'delivered', 'discarded'],
    description:
      "`dead`: waiting for an operator; `retrying`: retried, running; `answered`: a call's retry got its answer; `delivered`: a message's retry reached its receiver; `discarded`.",
  },
  journeyId: { type: 'string', description: 'The journey that made the call or sent the message.' },
  journeyType: { type: ['string', 'null'] },
  version: { type: ['string', 'null'] },
  system: { type: 'string', description: "A call: its back-end system; a webhook delivery: the webhook's name." },
  operation: { type: 'string', description: 'A call: its operation.' },
  message: { type: 'object', required: messageRequired, properties: messageProperties, description: 'A message: what it was and where it went.' },
  webhook: {
    type: 'object',
    required: ['name', 'eventId', 'eventType', 'cursor'],
    properties: {
      name: { type: 'string' },
      eventId: { type: 'string', description: 'The published event: the `webhook-id` its receiver sees.' },
      eventType: { type: 'string' },
      cursor: { type: 'string', description: 'Its place in the published-event feed.' },
    },
    description: 'A webhook delivery: the webhook and the published event (a retry delivers it again on the webhook\u2019s next round).',
  },
  attempts: { type: 'integer', description: 'A call: attempts at the back end, over every retry; a message: deliveries that failed for a while.' },
  retries: { type: 'integer', description: 'How often an operator retried it.' },
  lastError: { type: ['string', 'null'] },
  createdAt: { type: 'string', format: 'date-time' },
  deadAt: { type: 'string', format: 'date-time', description: 'When it last went dead.' },
} as const;

const summaryRequired = ['id', 'kind', 'status', 'journeyId', 'journeyType', 'version', 'attempts', 'retries', 'lastError', 'createdAt', 'deadAt'] as const;

export const deadLetterSummarySchema = { type: 'object', required: summaryRequired, properties: summaryProperties } as const;

export const deadLetterSchema = {
  type: 'object',
  required: [...summaryRequired, 'tenant', 'journeyStatus', 'failureEvent', 'causedBy', 'delivered'],
  properties: {
    ...summaryProperties,
    tenant: { type: ['string', 'null'] },
    journeyStatus: { type: ['string', 'null'], description: "The journey's `data.status` (else its lifecycle): where the failure event left it." },
    request: { type: 'object', additionalProperties: true, description: 'A call: its request.' },
    replyEvent: { type: 'string', description: 'A call: the event its reply becomes.' },
    message: {
      type: 'object',
      required: [...messageRequired, 'payload', 'idempotencyKey'],
      properties: {
        ...messageProperties,
        payload: { type: 'object', additionalProperties: true },
        idempotencyKey: { type: 'string', description: 'The key its receiver takes it under, on every retry: it arrives at most once.' },
      },
      description: 'A message: what it was, its payload, and where it went.',
    },
    failureEvent: { type: ['string', 'null'], description: "The journey's event when it went dead (null when a message names none)." },
    causedBy: { type: 'string', description: 'The event whose handling made the call or sent the message.' },
    resolvedBy: { type: 'string', description: 'The operator of the last retry or discard.' },
    resolvedAt: { type: 'string', format: 'date-time' },
    note: { type: 'string' },
    delivered: {
      type: 'object',
      description:
        "The events it gave: the failure event (when it went dead) and, after a retry, a call's reply or the event a message became at its receiver (each at most once).",
      properties: { failure: deliveredEventSchema, reply: deliveredEventSchema, message: deliveredEventSchema },
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
    kind: { type: 'string', enum: ['call', 'message', 'webhook'] },
    status: { type: 'string', enum: ['dead', 'discarded'], description: '`dead` (the default): waiting for an operator; `discarded`.' },
    system: { type: 'string', pattern: SYSTEM_PATTERN, description: 'The back-end system, e.g. `booking` (calls only).' },
    journeyType: {
      type: 'string',
      pattern: JOURNEY_TYPE_PATTERN,
      description: 'The type of the journey that made the call or sent the message, e.g. `mybank/payment/sct`.',
    },
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
 * Dead letters (operator role): back-end calls whose retries were spent and messages between
 * journeys that could not be delivered. `GET /dead-letters` lists them (filters: kind, status,
 * system, journey type; cursor paging), `GET /dead-letters/{id}` reads one with the events it gave,
 * `POST /dead-letters/{id}/retry` runs it again (202: in the background) and
 * `POST /dead-letters/{id}/discard` records that nobody will (the journey keeps the failure event
 * it got when it went dead).
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
