import type { FastifyInstance } from 'fastify';
import type { JourneyEngine, ReconcileRequest } from '../engine/index.js';
import { operatorOnly } from './auth.js';
import { errorResponses } from './schemas.js';

/** A back-end system's name, as `call <system>.<operation>` writes it. */
const SYSTEM_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';

const markSchema = {
  type: ['object', 'null'],
  required: ['createdAt', 'callId'],
  properties: { createdAt: { type: 'string', format: 'date-time' }, callId: { type: 'string' } },
} as const;

export const reconcileParamsSchema = {
  type: 'object',
  required: ['system'],
  additionalProperties: false,
  properties: { system: { type: 'string', pattern: SYSTEM_PATTERN, description: 'The back-end system, e.g. `booking`.' } },
} as const;

export const reconcileBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    since: {
      type: 'string',
      format: 'date-time',
      description: "Compare the calls made from then on, instead of those behind the back end's high-water mark.",
    },
    repair: { type: 'boolean', default: false, description: 'Replay the replies the back end gave and the journeys never got (lost replies).' },
    limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000, description: 'At most this many calls (`more`: run again for the rest).' },
  },
} as const;

export const reconcileReportSchema = {
  type: 'object',
  required: ['system', 'repair', 'from', 'mark', 'checked', 'more', 'mismatches'],
  properties: {
    system: { type: 'string' },
    repair: { type: 'boolean' },
    from: { ...markSchema, description: 'Where the run started: `since`, or the high-water mark (null: the first call).' },
    mark: { ...markSchema, description: 'The high-water mark after the run: the next run starts behind it.' },
    checked: { type: 'integer', description: 'Calls compared.' },
    more: { type: 'boolean', description: 'The limit stopped the run: run again for the rest.' },
    mismatches: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'callId', 'journeyId', 'operation', 'createdAt', 'outbox', 'backend', 'repaired'],
        properties: {
          kind: {
            type: 'string',
            enum: ['lost-reply', 'discarded-but-done', 'unknown-to-backend', 'failed-at-backend'],
            description:
              '`lost-reply`: the back end did it, the outbox has it pending or dead (repair replays the reply); `discarded-but-done`: the back end did a call an operator discarded; `unknown-to-backend`: the outbox took a reply the back end does not know of; `failed-at-backend`: the outbox took a reply, the back end says it failed.',
          },
          callId: { type: 'string', description: "The call's outbox id: the back end's `callId`." },
          journeyId: { type: 'string' },
          operation: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
          outbox: { type: 'string', enum: ['pending', 'done', 'dead', 'discarded'] },
          backend: { type: 'string', enum: ['done', 'failed', 'unknown'] },
          reason: { type: 'string', description: "The back end's reason, when it says the call failed." },
          repaired: { type: 'boolean', description: 'The reply is in the journey now (replayed, at most once).' },
          eventId: { type: 'string', description: 'The reply event.' },
          error: { type: 'string', description: 'Why the replay failed; the next run tries again.' },
        },
      },
    },
  },
} as const;

/**
 * `POST /reconcile/{system}` (operator role): compares the outbox's calls of a back-end system
 * with what its adapter's `query` reports, from its high-water mark (or `since`), lists the
 * mismatches and, with `repair`, replays lost replies (engine/reconcile.ts).
 */
export function registerReconcileRoutes(app: FastifyInstance, engine: JourneyEngine): void {
  app.post<{ Params: { system: string }; Body: ReconcileRequest | undefined }>(
    '/reconcile/:system',
    {
      onRequest: operatorOnly('Reconciling a back end'),
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
      schema: { params: reconcileParamsSchema, body: reconcileBodySchema, response: { 200: reconcileReportSchema, ...errorResponses } },
    },
    (request) => engine.reconcile(request.params.system, request.body ?? {}, request.identity?.sender ?? 'unknown'),
  );
}
