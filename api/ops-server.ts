import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/index.js';
import type { JourneyEngine } from '../engine/index.js';
import { frameworkErrorHandler, installErrorHandling } from './errors.js';
import { HttpMetrics } from './metrics.js';
import { registerProbeRoutes } from './ops-routes.js';

/** The probe routes take no body; anything larger is refused before it is read. */
const OPS_BODY_LIMIT_BYTES = 1024;
/** A probe that has not sent its request by then is cut off. */
const OPS_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The operations routes alone (`/health`, `/ready`, `/metrics`), for a node without the API role:
 * without them such a node could not be probed or scraped (the image's HEALTHCHECK would fail).
 * No authentication, like the API's operations routes: keep the port off the public internet.
 * Not listening: see {@link startOpsServer}.
 */
export function buildOpsServer(engine: JourneyEngine, logger: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: OPS_BODY_LIMIT_BYTES,
    requestTimeout: OPS_REQUEST_TIMEOUT_MS,
    genReqId: () => randomUUID(),
    frameworkErrors: frameworkErrorHandler(OPS_BODY_LIMIT_BYTES),
  }) as unknown as FastifyInstance;
  installErrorHandling(app, OPS_BODY_LIMIT_BYTES);
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  const metrics = new HttpMetrics(engine.nodeId);
  metrics.install(app);
  registerProbeRoutes(app, engine, metrics);
  return app;
}

/**
 * Builds the operations server and listens on `port` (0: any free port; the log line names the
 * one taken). The caller closes it; closing leaves the engine running.
 */
export async function startOpsServer(engine: JourneyEngine, listen: { port: number; host: string }, logger: Logger): Promise<FastifyInstance> {
  const app = buildOpsServer(engine, logger);
  try {
    const url = await app.listen({ port: listen.port, host: listen.host });
    logger.info({ url }, 'operations routes (/health, /ready, /metrics) listening; this node has no API role');
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
