import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { JourneyEngine } from '../engine/index.js';
import type { HttpMetrics } from './metrics.js';
import { buildOpenApiDocument } from './openapi.js';
import type { ResolvedApiOptions } from './options.js';
import { errorResponses, healthSchema, readinessSchema } from './schemas.js';

/** Where the browsable OpenAPI UI lives. */
export const DOCS_PREFIX = '/docs';

/**
 * The probe routes every node serves, with the API or alone (ops-server.ts): liveness,
 * readiness, and metrics (the engine's, then HTTP, build info and the process's).
 */
export function registerProbeRoutes(app: FastifyInstance, engine: JourneyEngine, metrics: HttpMetrics): void {
  app.get('/health', { schema: { response: { 200: healthSchema } } }, () => ({ status: 'ok' as const, nodeId: engine.nodeId }));

  app.get('/ready', { schema: { response: { 200: readinessSchema, 503: readinessSchema, ...errorResponses } } }, async (_request, reply) => {
    const readiness = await engine.readiness();
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });

  app.get('/metrics', async (_request, reply) => {
    const [engineText, ownText] = await Promise.all([engine.metricsText(), metrics.exposition()]);
    const body = engineText.trim() === '' ? ownText : `${engineText.trimEnd()}\n\n${ownText}`;
    return reply.type(metrics.registry.contentType).send(body);
  });
}

/**
 * Operations routes of the API, public (no authentication, no rate limit): the probe routes and
 * the OpenAPI document with its UI. Keep them off the public internet at the gateway.
 */
export async function registerOpsRoutes(app: FastifyInstance, engine: JourneyEngine, options: ResolvedApiOptions, metrics: HttpMetrics): Promise<void> {
  // Generated per request: deployments can change while the server runs.
  const openApiDocument = () => buildOpenApiDocument(engine.deployments(), { authMode: options.auth.mode, maxWaitMs: options.maxWaitMs });

  registerProbeRoutes(app, engine, metrics);

  app.get('/openapi.json', () => openApiDocument());

  if (options.docs) {
    // The UI plugin reads the document through @fastify/swagger; static mode with a transform
    // hands it the same generated document as /openapi.json.
    await app.register(fastifySwagger, {
      mode: 'static',
      specification: { document: { openapi: '3.1.0', info: { title: 'Journey Engine API', version: '0' }, paths: {} } },
    });
    await app.register(fastifySwaggerUi, {
      routePrefix: DOCS_PREFIX,
      transformSpecificationClone: false,
      transformSpecification: () => openApiDocument(),
    });
  }
}
