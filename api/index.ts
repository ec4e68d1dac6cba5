/** The public HTTP API: a fastify server over a `JourneyEngine`. The only entry other folders import. */
export { buildApi } from './server.js';
export { buildOpsServer, startOpsServer } from './ops-server.js';
export { API_OPTIONS_SCHEMA, resolveApiOptions } from './options.js';
export type { ApiOptions, ContextHeaderOptions, DevAuthOptions, JwtAuthOptions, RateLimitOptions, ResolvedApiOptions } from './options.js';
export { buildOpenApiDocument } from './openapi.js';
export type { OpenApiSettings } from './openapi.js';
export type { ErrorBody, Violation } from './errors.js';
export type { Identity } from './auth.js';
