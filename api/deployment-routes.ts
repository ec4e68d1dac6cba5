import type { FastifyInstance } from 'fastify';
import type { JourneyEngine } from '../engine/index.js';
import { requireOperator } from './auth.js';
import { sendError } from './errors.js';
import { MAX_NAME_SEGMENTS } from './event-routes.js';
import { parseJsonBody } from './json-body.js';
import type { ResolvedApiOptions } from './options.js';
import { bundleBodySchema, deployResultSchema, deploymentHistorySchema, deploymentParamsSchema, errorResponses, undeployResultSchema } from './schemas.js';

/**
 * How deep a bundle may nest: a compiled journey nests expressions and JSON Schemas far deeper
 * than an event payload, and only an authenticated operator reaches this route.
 */
export const BUNDLE_MAX_JSON_DEPTH = 256;

function journeyTypeOf(params: Record<string, string>, segments: number): string {
  return Array.from({ length: segments }, (_, i) => params[`s${i + 1}`] ?? '').join('/');
}

/**
 * Deploying and undeploying versions on the running cluster (operator role) and reading a type's
 * history. Registered in a context of its own: a bundle is larger and deeper than an event, so
 * this context parses JSON with its own limits (and reports its own size limit on a 413).
 */
export function registerDeploymentRoutes(app: FastifyInstance, engine: JourneyEngine, options: ResolvedApiOptions): void {
  const bodyLimit = options.deployBodyLimitBytes;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, BUNDLE_MAX_JSON_DEPTH));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setErrorHandler((thrown: unknown, request, reply) => sendError(thrown, request, reply, bodyLimit));

  app.post<{ Body: unknown }>(
    '/deployments',
    {
      bodyLimit,
      onRequest: requireOperator,
      schema: { body: bundleBodySchema, response: { 200: deployResultSchema, 201: deployResultSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const result = await engine.deploy(request.body);
      if (result.created) void reply.header('location', `/deployments/${result.journeyType}`);
      return reply.code(result.created ? 201 : 200).send(result);
    },
  );

  for (let segments = 1; segments <= MAX_NAME_SEGMENTS; segments++) {
    const names = Array.from({ length: segments }, (_, i) => `:s${i + 1}`).join('/');
    app.delete<{ Params: Record<string, string> }>(
      `/deployments/${names}/:version`,
      { onRequest: requireOperator, schema: { params: deploymentParamsSchema(segments, true), response: { 200: undeployResultSchema, ...errorResponses } } },
      (request) => engine.undeploy(journeyTypeOf(request.params, segments), request.params['version'] ?? ''),
    );
    app.get<{ Params: Record<string, string> }>(
      `/deployments/${names}`,
      { schema: { params: deploymentParamsSchema(segments, false), response: { 200: deploymentHistorySchema, ...errorResponses } } },
      async (request) => {
        const journeyType = journeyTypeOf(request.params, segments);
        return { journeyType, items: await engine.deploymentHistory(journeyType) };
      },
    );
  }
}
