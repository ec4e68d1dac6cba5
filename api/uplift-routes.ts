import type { FastifyInstance } from 'fastify';
import type { JourneyEngine } from '../engine/index.js';
import { JourneyError } from '../common/index.js';
import { requireOperator } from './auth.js';
import { errorResponses } from './schemas.js';

const upliftRequestSchema = {
  type: 'object',
  required: ['journeyType', 'from', 'to'],
  additionalProperties: false,
  properties: {
    journeyType: { type: 'string', minLength: 1, maxLength: 200 },
    from: { type: 'string', minLength: 1, maxLength: 32 },
    to: { type: 'string', minLength: 1, maxLength: 32 },
    where: {
      type: 'object',
      maxProperties: 16,
      additionalProperties: { type: 'string', maxLength: 255 },
      description: 'Search field → value: only matching instances move.',
    },
    dryRun: { type: 'boolean', description: 'Check every matching instance against the new version, change nothing.' },
    batch: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

const upliftRunSchema = {
  type: 'object',
  required: ['runId', 'journeyType', 'from', 'to', 'dryRun', 'status', 'scanned', 'uplifted', 'rejected', 'resumed', 'pending', 'startedAt'],
  properties: {
    runId: { type: 'string' },
    journeyType: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    where: { type: 'object', additionalProperties: { type: 'string' } },
    dryRun: { type: 'boolean' },
    status: { type: 'string', enum: ['running', 'done', 'failed'] },
    scanned: { type: 'integer' },
    uplifted: { type: 'integer' },
    rejected: { type: 'integer' },
    resumed: { type: 'integer', description: 'Uplifts an earlier, interrupted run had queued, found again.' },
    pending: { type: 'integer', description: 'Queued and not yet handled when the run stopped waiting; they move in their turn.' },
    failures: { type: 'array', items: { type: 'object', properties: { journeyId: { type: 'string' }, message: { type: 'string' } } } },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;

/**
 * Uplift runs (operator role): `POST /uplifts` starts one in the background (202, with the run
 * to poll); `GET /uplifts/{runId}` follows it. A run is resumable: start it again after a crash.
 */
export function registerUpliftRoutes(app: FastifyInstance, engine: JourneyEngine): void {
  app.post<{ Body: { journeyType: string; from: string; to: string; where?: Record<string, string>; dryRun?: boolean; batch?: number } }>(
    '/uplifts',
    { onRequest: requireOperator, schema: { body: upliftRequestSchema, response: { 202: upliftRunSchema, ...errorResponses } } },
    async (request, reply) => {
      const run = await engine.startUplift(request.body);
      return reply.code(202).header('location', `/uplifts/${run.runId}`).send(run);
    },
  );
  app.get<{ Params: { runId: string } }>(
    '/uplifts/:runId',
    {
      onRequest: requireOperator,
      schema: {
        params: { type: 'object', required: ['runId'], properties: { runId: { type: 'string', pattern: '^up-[0-9a-f]{12}$' } } },
        response: { 200: upliftRunSchema, ...errorResponses },
      },
    },
    (request) => {
      const run = engine.upliftRun(request.params.runId);
      if (!run)
        throw new JourneyError('JE_NOT_FOUND', 'no uplift run of that id on this node (a run is kept by the node that started it)', {
          details: { runId: request.params.runId },
        });
      return run;
    },
  );
}
