import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { JourneyError } from '../common/index.js';
import { registerConsole } from '../console/index.js';
import type { JourneyEngine } from '../engine/index.js';
import { OPERATOR_ROLE, type Authenticator } from './auth.js';
import { toViolations } from './errors.js';
import type { ResolvedApiOptions } from './options.js';
import { searchJourneys, type PageQuery } from './query-routes.js';
import { readerOf } from './read-access.js';
import { searchQuerySchema } from './schemas.js';
import type { TenantPolicy } from './tenancy.js';

type SearchParameters = Record<string, unknown> & { type: string; version?: string } & PageQuery;

/**
 * The web console (console/), given the API's own authenticator, tenant admission, reader and
 * search: its pages see exactly what the JSON routes would show the same caller.
 */
export async function registerConsoleRoutes(
  app: FastifyInstance,
  engine: JourneyEngine,
  options: ResolvedApiOptions,
  tenancy: TenantPolicy,
  authenticate: Authenticator,
): Promise<void> {
  // The search form's query string is checked by the schema of GET /journeys, as that route's is.
  const validSearch = new Ajv({ allErrors: true, coerceTypes: true, strict: false, logger: false }).compile<SearchParameters>(searchQuerySchema);
  await registerConsole(app, {
    engine,
    authMode: options.auth.mode,
    authenticate: async (request) => {
      request.identity = await authenticate(request);
    },
    admit: tenancy.admit,
    readerOf: (request) => readerOf(request, options, tenancy),
    search: (request, query) => {
      const parameters: Record<string, unknown> = { ...query };
      if (!validSearch(parameters)) {
        const violations = toViolations(validSearch.errors ?? []);
        throw new JourneyError('JE_BAD_REQUEST', `The search is invalid: ${violations.map((v) => `${v.pointer || '(root)'} ${v.message}`).join('; ')}`, {
          details: { location: 'querystring', violations },
        });
      }
      return searchJourneys(engine, options, tenancy, request, parameters);
    },
    operatorRole: OPERATOR_ROLE,
  });
}
