import fastifyRateLimit from '@fastify/rate-limit';
import { Ajv, type AnySchema } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { JourneyError, type Logger } from '../common/index.js';
import type { JourneyEngine } from '../engine/index.js';
import { authenticationHook, createAuthenticator } from './auth.js';
import { registerConsoleRoutes } from './console-routes.js';
import { frameworkErrorHandler, installErrorHandling } from './errors.js';
import { registerDeadLetterRoutes } from './dead-letter-routes.js';
import { registerReconcileRoutes } from './reconcile-routes.js';
import { registerDeploymentRoutes } from './deployment-routes.js';
import { registerEventRoutes } from './event-routes.js';
import { installJsonParser } from './json-body.js';
import { HttpMetrics } from './metrics.js';
import { registerOpsRoutes } from './ops-routes.js';
import { resolveApiOptions, type ApiOptions, type ResolvedApiOptions } from './options.js';
import { registerPublishedRoutes } from './published-routes.js';
import { registerQueryRoutes } from './query-routes.js';
import { TenantPolicy } from './tenancy.js';
import { callerRequestId, installRequestTracing } from './tracing.js';
import { registerUpliftRoutes } from './uplift-routes.js';

/** Time a client has to send a whole request (headers and body), in milliseconds. */
const REQUEST_RECEIVE_TIMEOUT_MS = 30_000;
/** Longest path parameter (ids and names are far shorter); longer → 404. */
const MAX_PARAM_LENGTH = 128;

/**
 * Request validation: bodies are validated strictly (no type coercion: `"5"` is not `5`, and
 * unknown members are refused, not dropped); params, query strings and headers are text on the
 * wire, so those coerce (`?limit=10` is the integer 10). Every violation is reported.
 */
function installValidators(app: FastifyInstance): void {
  const common = { allErrors: true, removeAdditional: false, useDefaults: false, strict: false, logger: false } as const;
  const bodyAjv = new Ajv({ ...common, coerceTypes: false });
  const textAjv = new Ajv({ ...common, coerceTypes: true });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as AnySchema));
}

function logAuthMode(logger: Logger, options: ResolvedApiOptions): void {
  if (options.auth.mode === 'dev') {
    logger.warn(
      { auth: 'dev' },
      '!!! API AUTHENTICATION IS IN DEV MODE — LOCAL ONLY: any caller can act as any sender via X-Dev-Sender / X-Dev-Roles / X-Trust-Level. Never expose this port. !!!',
    );
  } else {
    logger.info(
      {
        auth: 'jwt',
        secrets: options.auth.secrets.length,
        publicKeys: options.auth.publicKeys.length,
        jwksUrl: options.auth.jwksUrl,
        issuer: options.auth.issuer,
        audience: options.auth.audience,
      },
      'API authentication: JWT bearer tokens',
    );
  }
  if (options.trustedGateways.length > 0) {
    logger.info({ trustedGateways: options.trustedGateways }, 'channel and geo headers are trusted from these gateways only');
  } else if (options.auth.mode === 'jwt') {
    logger.info('no trusted gateway configured: channel and geo come from the token only, their headers are ignored');
  }
}

/** Reads and writes are counted apart: a client polling what it sent is not refused for having sent a lot. */
function budgetOf(request: FastifyRequest): 'read' | 'write' {
  return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
}

/**
 * The per-node rate limit of the protected routes (`rateLimit`): one budget per sender (within its
 * tenant) or per tenant, reads and writes apart; counted after authentication, so an
 * unauthenticated request costs nobody's budget (it is refused before its body is read).
 */
async function installRateLimit(api: FastifyInstance, options: ResolvedApiOptions): Promise<void> {
  const { by, perMinute, exemptSenders } = options.rateLimit;
  if (by === 'off') return;
  const exempt = new Set(exemptSenders);
  await api.register(fastifyRateLimit, {
    global: true,
    hook: 'preParsing',
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const identity = request.identity;
      // Tenants and senders never hold '/', so the key is unambiguous.
      if (identity === null) return `ip:${request.ip}:${budgetOf(request)}`;
      return by === 'tenant' ? `tenant:${identity.tenant}:${budgetOf(request)}` : `sender:${identity.tenant}/${identity.sender}:${budgetOf(request)}`;
    },
    allowList: (request) => request.identity !== null && exempt.has(request.identity.sender),
    errorResponseBuilder: (request, context) =>
      new JourneyError('JE_RATE_LIMITED', `More than ${context.max} ${budgetOf(request)} requests per minute from this ${by}`, {
        retryAfterMs: context.ttl,
        details: { limitPerMinute: context.max, by, budget: budgetOf(request) },
      }),
  });
}

/**
 * Builds the HTTP API over an engine (not listening: the caller calls `.listen`). Options are
 * validated first; bad values throw `JourneyError('JE_CONFIG_INVALID')` naming the setting.
 * The engine stays the caller's unless `stopEngineOnClose` is set.
 */
export function buildApi(engine: JourneyEngine, options: ApiOptions, logger: Logger): FastifyInstance {
  const resolved = resolveApiOptions(options);
  const authenticate = createAuthenticator(resolved);
  // Typed with fastify's base logger: pino's own `Logger` type is structurally wider and fastify's
  // generics do not accept it where plugins expect the default instance type.
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: resolved.bodyLimitBytes,
    requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
    // The caller's X-Request-Id when it sent a plausible one (it ties our logs to theirs), else
    // randomUUID, from Node's pooled entropy: cheap per request, unlike a ULID per character.
    genReqId: (request) => callerRequestId(request.headers['x-request-id']) ?? randomUUID(),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler(resolved.bodyLimitBytes),
  }) as unknown as FastifyInstance;

  installValidators(app);
  installErrorHandling(app, resolved.bodyLimitBytes);
  installJsonParser(app, resolved.maxJsonDepth);
  app.decorateRequest('identity', null);
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  installRequestTracing(app);
  const tenancy = new TenantPolicy(resolved.tenants);
  const metrics = new HttpMetrics(engine.nodeId, tenancy.listed);
  metrics.install(app);
  logAuthMode(logger, resolved);

  void app.register(async (ops) => registerOpsRoutes(ops, engine, resolved, metrics));
  void app.register(async (api) => {
    api.addHook('onRequest', authenticationHook(authenticate));
    api.addHook('onRequest', tenancy.admit);
    await installRateLimit(api, resolved);
    registerEventRoutes(api, engine, resolved, tenancy);
    registerQueryRoutes(api, engine, resolved, tenancy);
    registerUpliftRoutes(api, engine);
    registerDeadLetterRoutes(api, engine);
    registerPublishedRoutes(api, engine, tenancy, logger);
    registerReconcileRoutes(api, engine);
    await api.register((deployments, _options, done) => {
      registerDeploymentRoutes(deployments, engine, resolved);
      done();
    });
  });
  void app.register(async (console) => registerConsoleRoutes(console, engine, resolved, tenancy, authenticate), { prefix: '/console' });
  if (resolved.stopEngineOnClose) app.addHook('onClose', () => engine.stop());
  return app;
}
