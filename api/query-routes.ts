import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';
import type { SearchField } from '../dsl/index.js';
import type { JourneyEngine, JourneyView, Page, SearchQuery } from '../engine/index.js';
import {
  SEARCH_RESERVED_PARAMS,
  deploymentsQuerySchema,
  deploymentsSchema,
  drainReportSchema,
  errorResponses,
  eventPageSchema,
  journeyIdParamsSchema,
  journeyPageSchema,
  journeyViewSchema,
  pageQuerySchema,
  searchQuerySchema,
} from './schemas.js';
import type { ResolvedApiOptions } from './options.js';
import { setOwnerHeaders } from './owner-header.js';
import { OPERATOR_ROLE, operatorRequired } from './auth.js';
import { readerOf } from './read-access.js';
import type { TenantPolicy } from './tenancy.js';

export interface PageQuery {
  cursor?: string;
  limit?: number;
}

const NUMBER_VALUE = /^-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?$/;
const BOOLEAN_VALUE = /^(true|false)$/;

/**
 * The search fields a query may use: those of the named version, or of every deployed version
 * of the type when no version is given. Unknown types and versions throw the engine's 404.
 */
function allowedSearchFields(engine: JourneyEngine, journeyType: string, version: string | undefined): { version?: string; fields: Map<string, SearchField> } {
  const fields = new Map<string, SearchField>();
  if (version !== undefined) {
    const journey = engine.resolveJourney(journeyType, version);
    for (const field of journey.searchFields) fields.set(field.name, field);
    return { version: journey.version, fields };
  }
  const deployed = engine.deployments().filter((d) => d.name === journeyType);
  if (deployed.length === 0) engine.resolveJourney(journeyType, 'latest');
  for (const { journey } of deployed) for (const field of journey.searchFields) if (!fields.has(field.name)) fields.set(field.name, field);
  return { fields };
}

/** Checks search parameters against the declared fields; every problem is reported at once. */
export function searchFields(query: Record<string, unknown>, allowed: Map<string, SearchField>): Record<string, string> {
  const reserved: readonly string[] = SEARCH_RESERVED_PARAMS;
  const fields: Record<string, string> = {};
  const unknown: string[] = [];
  const violations: Array<{ pointer: string; message: string }> = [];
  for (const [name, value] of Object.entries(query)) {
    if (reserved.includes(name)) continue;
    const field = allowed.get(name);
    if (!field) {
      unknown.push(name);
      continue;
    }
    const text = String(value);
    if (field.type === 'number' && !NUMBER_VALUE.test(text)) violations.push({ pointer: `/${name}`, message: 'must be a decimal number' });
    else if (field.type === 'boolean' && !BOOLEAN_VALUE.test(text)) violations.push({ pointer: `/${name}`, message: 'must be true or false' });
    else fields[name] = text;
  }
  const allowedFields = [...allowed.keys()].sort();
  if (unknown.length > 0) {
    throw new JourneyError(
      'JE_BAD_REQUEST',
      `Unknown search field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; allowed: ${allowedFields.join(', ') || '(none declared)'}`,
      { details: { location: 'querystring', unknownFields: unknown, allowedFields } },
    );
  }
  if (violations.length > 0) {
    throw new JourneyError('JE_BAD_REQUEST', `Invalid search values: ${violations.map((v) => `${v.pointer} ${v.message}`).join('; ')}`, {
      details: { location: 'querystring', violations, allowedFields },
    });
  }
  return fields;
}

/** Whether an If-None-Match header names `etag` (a list, `*`, or weak forms `W/"…"`). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** `GET /journeys` for a validated query string (the route's, or the console's search form). */
export async function searchJourneys(
  engine: JourneyEngine,
  options: ResolvedApiOptions,
  tenancy: TenantPolicy,
  request: FastifyRequest,
  parameters: Record<string, unknown> & { type: string; version?: string } & PageQuery,
): Promise<Page<JourneyView>> {
  const { type, version, cursor, limit } = parameters;
  const reader = readerOf(request, options, tenancy);
  tenancy.assertMayUse(reader.tenant, type);
  const allowed = allowedSearchFields(engine, type, version);
  const query: SearchQuery = { journeyType: type, fields: searchFields(parameters, allowed.fields), reader };
  if (allowed.version !== undefined) query.version = allowed.version;
  if (cursor !== undefined) query.cursor = cursor;
  if (limit !== undefined) query.limit = limit;
  return engine.search(query);
}

export function registerQueryRoutes(app: FastifyInstance, engine: JourneyEngine, options: ResolvedApiOptions, tenancy: TenantPolicy): void {
  app.get<{ Params: { journeyId: string } }>(
    '/journeys/:journeyId',
    {
      schema: {
        params: journeyIdParamsSchema,
        response: { 200: journeyViewSchema, 304: { type: 'null', description: 'Not modified: If-None-Match names the current ETag.' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      // Not there, another tenant's, or not readable by the caller: the same 404, nothing leaked.
      const journey = await engine.getJourney(request.params.journeyId, readerOf(request, options, tenancy));
      if (!journey)
        throw new JourneyError('JE_JOURNEY_NOT_FOUND', `No journey ${request.params.journeyId}`, { details: { journeyId: request.params.journeyId } });
      // Every change of a journey is a handled event (an uplift too), so its seq names its state.
      const etag = `"${journey.seq}"`;
      void reply.header('etag', etag);
      setOwnerHeaders(reply, engine, journey);
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
      return journey;
    },
  );

  app.get<{ Params: { journeyId: string }; Querystring: PageQuery }>(
    '/journeys/:journeyId/events',
    { schema: { params: journeyIdParamsSchema, querystring: pageQuerySchema, response: { 200: eventPageSchema, ...errorResponses } } },
    async (request) => {
      const { journeyId } = request.params;
      const { cursor, limit } = request.query;
      return engine.listEvents(
        journeyId,
        { ...(cursor === undefined ? {} : { cursor }), ...(limit === undefined ? {} : { limit }) },
        readerOf(request, options, tenancy),
      );
    },
  );

  app.get<{ Querystring: Record<string, unknown> & { type: string; version?: string } & PageQuery }>(
    '/journeys',
    { schema: { querystring: searchQuerySchema, response: { 200: journeyPageSchema, ...errorResponses } } },
    (request) => searchJourneys(engine, options, tenancy, request, request.query),
  );

  // With ?instances=true the drain report (operators only: it counts every tenant's journeys);
  // without, the deployed versions as they always were.
  app.get<{ Querystring: { instances?: boolean } }>(
    '/deployments',
    { schema: { querystring: deploymentsQuerySchema, response: { 200: { anyOf: [deploymentsSchema, drainReportSchema] }, ...errorResponses } } },
    async (request) => {
      if (request.query.instances !== true) return deployedVersions(engine);
      const identity = request.identity;
      if (identity && !identity.roles.includes(OPERATOR_ROLE)) throw operatorRequired(identity, 'The instance counts of every tenant');
      return { versions: await engine.drainReport() };
    },
  );
}

function deployedVersions(engine: JourneyEngine) {
  return {
    items: engine.deployments().map(({ name, version, journey }) => ({
      journeyType: name,
      version,
      events: Object.entries(journey.events).map(([type, definition]) => ({
        type,
        initiating: definition.initiating,
        handled: definition.handled,
        emitted: definition.emitted,
        schema: definition.schema,
      })),
      searchFields: journey.searchFields.map(({ name: fieldName, type }) => ({ name: fieldName, type })),
    })),
  };
}
