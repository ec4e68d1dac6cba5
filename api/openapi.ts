import type { JsonObject, JsonSchema } from '../dsl/index.js';
import type { DeployedJourney } from '../engine/index.js';
import { deadLetterDiscardBodySchema, deadLetterPageSchema, deadLetterQuerySchema, deadLetterRetryBodySchema, deadLetterSchema } from './dead-letter-routes.js';
import { escapePointerToken } from './errors.js';
import { reconcileBodySchema, reconcileParamsSchema, reconcileReportSchema } from './reconcile-routes.js';
import { publishedPageSchema, publishedQuerySchema } from './published-routes.js';
import {
  JOURNEY_ID_PATTERN,
  SEARCH_VALUE_PATTERN,
  DEPLOYED_VERSION_PATTERN,
  acceptResultSchema,
  bundleBodySchema,
  deployResultSchema,
  deploymentHistorySchema,
  deploymentsQuerySchema,
  deploymentsSchema,
  drainReportSchema,
  errorSchema,
  eventBodySchema,
  eventHeadersSchema,
  eventPageSchema,
  eventQuerySchema,
  healthSchema,
  journeyPageSchema,
  journeyViewSchema,
  outcomeResultSchema,
  pageQuerySchema,
  readinessSchema,
  searchQuerySchema,
  undeployResultSchema,
} from './schemas.js';

/** What the OpenAPI document needs to know about the server beyond the deployments. */
export interface OpenApiSettings {
  authMode: 'jwt' | 'dev';
  maxWaitMs: number;
  /** @defaultValue the package version */
  apiVersion?: string;
}

type Schema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });
/** What every authenticated, rate-limited route may answer before it is reached. */
const callerErrors = () => ({
  401: errorResponse('Missing or invalid credentials.'),
  429: errorResponse('Rate limit exceeded; see `Retry-After`.'),
});
const operatorOnly = errorResponse('The caller lacks the `operator` role.');

/** An operations route for the operator role: its tag, and what every such route may answer before it is reached. */
function operatorRoute(operation: Operation & { responses: Record<string, unknown> }): Operation {
  return { tags: ['operations'], ...operation, responses: { ...operation.responses, ...callerErrors(), 403: operatorOnly } };
}

/** One schema as is; several as the variants of `anyOf`. */
const variantsOf = (variants: Schema[]): Schema => (variants.length === 1 ? variants[0]! : { anyOf: variants });

/** Component name of an event payload schema, e.g. `pfm.wallet.v1.0.OpenWallet`. */
export function eventSchemaName(journeyType: string, version: string, eventType: string): string {
  return `${journeyType.replace(/\//g, '.')}.v${version}.${eventType}`;
}

/**
 * Moves a standalone JSON Schema under `#/components/schemas/<name>`: drops its `$schema`/`$id`
 * (the document's dialect applies) and rebases local `$ref`s (`#/$defs/x`) onto its new place.
 */
export function embedSchema(schema: JsonSchema, name: string): Schema {
  const base = `#/components/schemas/${escapePointerToken(name)}`;
  const rebase = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rebase);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      out[key] = key === '$ref' && typeof inner === 'string' && inner.startsWith('#') ? `${base}${inner.slice(1)}` : rebase(inner);
    }
    return out;
  };
  const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject & { $schema?: unknown; $id?: unknown };
  return rebase(rest) as Schema;
}

function eventVariant(journeyType: string, version: string, eventType: string): Schema {
  return {
    type: 'object',
    title: `${eventType} (${journeyType} ${version})`,
    required: ['type', 'data'],
    additionalProperties: false,
    properties: { type: { const: eventType }, data: ref(eventSchemaName(journeyType, version, eventType)) },
  };
}

function queryParameters(schema: { properties: Record<string, unknown>; required?: readonly string[] }): Operation[] {
  const required: readonly string[] = schema.required ?? [];
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    schema: property,
  }));
}

/** The owner hint of answers about one journey (api/owner-header.ts). */
const ownerHeaders = {
  'X-Journey-Owner': {
    schema: { type: 'string' },
    description:
      "The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them.",
  },
  'X-Journey-Owner-Url': { schema: { type: 'string' }, description: "The owner's base URL, when that node advertises one (`ADVERTISE_URL`)." },
};

function eventResponses(): Record<string, unknown> {
  return {
    200: {
      description:
        'With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried).',
      headers: { Location: { schema: { type: 'string' }, description: '`/journeys/{journeyId}`' }, ...ownerHeaders },
      content: json(ref('EventOutcome')),
    },
    202: {
      description: 'The event is durable (committed); it will be handled. `Location` names the journey.',
      headers: { Location: { schema: { type: 'string' }, description: '`/journeys/{journeyId}`' }, ...ownerHeaders },
      content: json(ref('AcceptResult')),
    },
    400: errorResponse('Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer).'),
    ...callerErrors(),
    403: errorResponse('The sender may not send this event (decided before acceptance).'),
    404: errorResponse('Unknown journey type/version or journey id.'),
    413: errorResponse('The body exceeds the size limit.'),
    415: errorResponse('The body is not `application/json`.'),
    422: errorResponse('Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request.'),
    503: errorResponse('The engine is overloaded or unavailable; see `Retry-After`.'),
  };
}

function eventParameters(maxWaitMs: number): Operation[] {
  return [
    ...queryParameters(eventQuerySchema(maxWaitMs)),
    { name: 'Idempotency-Key', in: 'header', required: false, schema: eventHeadersSchema.properties['idempotency-key'] },
  ];
}

/**
 * Generates the OpenAPI 3.1 document of the API for the given deployments: every deployed
 * journey type gets its own initiating route whose request body is one variant per initiating
 * event (each event's JSON Schema as `data`); targeted events are the variants of
 * `POST /journeys/{journeyId}/events`.
 */
export function buildOpenApiDocument(deployments: readonly DeployedJourney[], settings: OpenApiSettings): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    Error: errorSchema,
    AcceptResult: acceptResultSchema,
    EventOutcome: outcomeResultSchema,
    JourneyView: journeyViewSchema,
    JourneyPage: journeyPageSchema,
    EventPage: eventPageSchema,
    Deployments: deploymentsSchema,
    DrainReport: drainReportSchema,
    DeploymentHistory: deploymentHistorySchema,
    DeployResult: deployResultSchema,
    UndeployResult: undeployResultSchema,
    VersionBundle: bundleBodySchema,
    Health: healthSchema,
    Readiness: readinessSchema,
    DeadLetter: deadLetterSchema,
    DeadLetterPage: deadLetterPageSchema,
    ReconcileReport: reconcileReportSchema,
    PublishedEventPage: publishedPageSchema,
  };
  const paths: Record<string, Record<string, Operation>> = {};
  const byType = new Map<string, DeployedJourney[]>();
  for (const deployment of [...deployments].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }))) {
    byType.set(deployment.name, [...(byType.get(deployment.name) ?? []), deployment]);
  }
  const targetVariants: Schema[] = [];
  const searchFieldParams = new Map<string, { types: Set<string>; journeys: Set<string> }>();

  for (const [journeyType, versions] of byType) {
    const initiating: Schema[] = [];
    for (const { version, journey } of versions) {
      for (const [eventType, definition] of Object.entries(journey.events)) {
        if (!definition.handled && !definition.initiating) continue;
        const name = eventSchemaName(journeyType, version, eventType);
        schemas[name] = embedSchema(definition.schema, name);
        (definition.initiating ? initiating : targetVariants).push(eventVariant(journeyType, version, eventType));
      }
      for (const field of journey.searchFields) {
        const entry = searchFieldParams.get(field.name) ?? { types: new Set(), journeys: new Set() };
        entry.types.add(field.type);
        entry.journeys.add(journeyType);
        searchFieldParams.set(field.name, entry);
      }
    }
    if (initiating.length === 0) continue;
    paths[`/journeys/${journeyType}/{version}/events`] = {
      post: {
        operationId: `start.${journeyType.replace(/\//g, '.')}`,
        summary: `Start a ${journeyType} journey with an initiating event`,
        tags: [journeyType],
        parameters: [
          {
            name: 'version',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: [...versions.map((v) => v.version), 'latest'] },
            description: 'A deployed version, or `latest`.',
          },
          ...eventParameters(settings.maxWaitMs),
        ],
        requestBody: { required: true, content: json(variantsOf(initiating)) },
        responses: eventResponses(),
      },
    };
  }

  // With no targeted event deployed, the route takes any event body (and refuses it at intake).
  if (targetVariants.length === 0) schemas['EventBody'] = eventBodySchema;
  const journeyIdParam = { name: 'journeyId', in: 'path', required: true, schema: { type: 'string', pattern: JOURNEY_ID_PATTERN } };
  paths['/journeys/{journeyId}/events'] = {
    post: {
      operationId: 'sendEvent',
      summary: 'Send an event to an existing journey',
      tags: ['journeys'],
      parameters: [journeyIdParam, ...eventParameters(settings.maxWaitMs)],
      requestBody: { required: true, content: json(targetVariants.length > 0 ? variantsOf(targetVariants) : ref('EventBody')) },
      responses: eventResponses(),
    },
    get: {
      operationId: 'listEvents',
      summary: "A journey's event history, oldest first, paginated",
      tags: ['journeys'],
      parameters: [journeyIdParam, ...queryParameters(pageQuerySchema)],
      responses: {
        200: { description: 'One page of events.', content: json(ref('EventPage')) },
        400: errorResponse('Bad id or cursor.'),
        ...callerErrors(),
        404: errorResponse('No such journey.'),
      },
    },
  };
  paths['/journeys/{journeyId}'] = {
    get: {
      operationId: 'getJourney',
      summary: "A journey's current state",
      tags: ['journeys'],
      parameters: [journeyIdParam],
      responses: {
        200: { description: 'The journey.', headers: ownerHeaders, content: json(ref('JourneyView')) },
        400: errorResponse('Malformed id.'),
        ...callerErrors(),
        404: errorResponse('No such journey.'),
      },
    },
  };
  const searchParams = queryParameters(searchQuerySchema).map((param) =>
    param['name'] === 'type' ? { ...param, schema: { type: 'string', enum: [...byType.keys()] } } : param,
  );
  for (const [name, { types, journeys }] of [...searchFieldParams].sort(([a], [b]) => a.localeCompare(b))) {
    if (searchParams.some((param) => param['name'] === name)) continue;
    searchParams.push({
      name,
      in: 'query',
      required: false,
      description: `Search field (${[...types].join('/')}) of ${[...journeys].join(', ')}; exact match.`,
      schema: { type: 'string', pattern: SEARCH_VALUE_PATTERN },
    });
  }
  paths['/journeys'] = {
    get: {
      operationId: 'searchJourneys',
      summary: 'Search journeys of one type by its declared search fields',
      tags: ['journeys'],
      parameters: searchParams,
      responses: {
        200: { description: 'One page of journeys.', content: json(ref('JourneyPage')) },
        400: errorResponse('Unknown search field (`details.allowedFields` lists the declared ones) or bad value.'),
        ...callerErrors(),
        404: errorResponse('Unknown journey type or version.'),
      },
    },
  };
  paths['/deployments'] = {
    get: {
      operationId: 'deployments',
      summary: 'Deployed journey versions and their events; with `?instances=true`, the drain report',
      tags: ['operations'],
      parameters: queryParameters(deploymentsQuerySchema),
      responses: {
        200: {
          description:
            'Without `instances`: the versions this node knows. With `instances=true`: every version ever deployed, its instances by lifecycle, hosts, and whether it can be retired.',
          content: json({ oneOf: [ref('Deployments'), ref('DrainReport')] }),
        },
        400: errorResponse('Bad query parameter.'),
        ...callerErrors(),
      },
    },
    post: operatorRoute({
      operationId: 'deploy',
      summary: 'Deploy a version bundle (`journey pack`) to the running cluster (operator role)',
      description:
        'A version new to the store is checked against every deployed version of its type in the compatibility mode of the newer of the two, and each `uplift from` it declares is checked. This node accepts its events at once, the others within seconds.',
      requestBody: { required: true, content: json(ref('VersionBundle')) },
      responses: {
        200: { description: 'That version was already deployed with the same content; nothing changed.', content: json(ref('DeployResult')) },
        201: {
          description: 'Deployed.',
          headers: { Location: { schema: { type: 'string' }, description: '`/deployments/{journey type}`' } },
          content: json(ref('DeployResult')),
        },
        400: errorResponse('Malformed bundle, or its content does not match its content hash (`JE_BUNDLE_INVALID`).'),
        409: errorResponse(
          'That version holds other content (`JE_DEPLOYMENT_CONFLICT`, `details.files` names the files that differ), breaks compatibility or an uplift (`JE_DEPLOYMENT_INCOMPATIBLE`, `details.violations` with JSON pointers), or no lane is left (`JE_DEPLOYMENT_LIMIT`).',
        ),
        413: errorResponse('The bundle exceeds the size limit.'),
        415: errorResponse('The body is not `application/json`.'),
      },
    }),
  };
  for (const journeyType of byType.keys()) {
    const id = journeyType.replace(/\//g, '.');
    paths[`/deployments/${journeyType}`] = {
      get: {
        operationId: `history.${id}`,
        summary: `Every version of ${journeyType} ever deployed: hashes, compatibility, deploy and undeploy times, hosts`,
        tags: ['operations'],
        responses: {
          200: { description: 'The history.', content: json(ref('DeploymentHistory')) },
          ...callerErrors(),
          404: errorResponse('No version of the type was ever deployed.'),
        },
      },
    };
    paths[`/deployments/${journeyType}/{version}`] = {
      delete: operatorRoute({
        operationId: `undeploy.${id}`,
        summary: `Undeploy a version of ${journeyType} (operator role): its events are refused from then on`,
        parameters: [{ name: 'version', in: 'path', required: true, schema: { type: 'string', pattern: DEPLOYED_VERSION_PATTERN } }],
        responses: {
          200: { description: 'Undeployed (or already undeployed: `changed` false).', content: json(ref('UndeployResult')) },
          400: errorResponse('Malformed version.'),
          404: errorResponse('That version was never deployed.'),
          409: errorResponse('The version still has pending or active instances (`JE_DEPLOYMENT_IN_USE`, `details.instances`).'),
        },
      }),
    };
  }
  const deadLetterId = {
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: JOURNEY_ID_PATTERN },
    description: "A call's outbox id, a message's id, or a webhook delivery's id.",
  };
  const deadLetterNotFound = errorResponse('No call, message or webhook delivery that went dead has that id (`JE_DEAD_LETTER_NOT_FOUND`).');
  /** What a retry and a discard answer alike, besides their own success. */
  const deadLetterDecision = {
    400: errorResponse('Malformed id or body.'),
    404: deadLetterNotFound,
    409: errorResponse('It is not dead now: retried or discarded already (`JE_DEAD_LETTER_SETTLED`).'),
    415: errorResponse('The body is not `application/json`.'),
  };
  paths['/dead-letters'] = {
    get: operatorRoute({
      operationId: 'deadLetters',
      summary:
        'Dead letters: back-end calls whose retries were spent, messages between journeys never delivered, and published events a webhook could not deliver, oldest first (operator role)',
      description:
        'A dead one has given its journey its failure event already (a message: when it names one). Filter by `kind` (`call`, `message`, `webhook`), `status` (`dead`, the default, or `discarded`), `system` (a call’s back-end system, a webhook’s name) and `journeyType`; page with `cursor`.',
      parameters: queryParameters(deadLetterQuerySchema),
      responses: {
        200: { description: 'A page of dead letters.', content: json(ref('DeadLetterPage')) },
        400: errorResponse('Bad query parameter or cursor.'),
      },
    }),
  };
  paths['/dead-letters/{id}'] = {
    get: operatorRoute({
      operationId: 'deadLetter',
      summary: 'One dead letter: the call, message or webhook delivery, its last error, the events it gave, the last operator decision (operator role)',
      parameters: [deadLetterId],
      responses: {
        200: {
          description: 'The dead letter, whatever became of it since (retrying, answered or delivered, dead again, discarded).',
          content: json(ref('DeadLetter')),
        },
        400: errorResponse('Malformed id.'),
        404: deadLetterNotFound,
      },
    }),
  };
  paths['/dead-letters/{id}/retry'] = {
    post: operatorRoute({
      operationId: 'retryDeadLetter',
      summary: 'Run a dead call, message or webhook delivery again, with the same id (operator role)',
      description:
        "A call: the back end sees the same `callId`, and the answer is accepted under the same idempotency key, so the reply enters the journey at most once, whichever run answers; the journey's bead for the reply must accept it where the failure event left the journey. A message: delivered again under its idempotency key, so its receiver handles it at most once; fix the cause first (deploy the type, start the journey). A webhook delivery: the webhook's holder sends the same event again (same `webhook-id`) on its next round. A retry that fails again goes dead again (the journey does not get a second failure event).",
      parameters: [deadLetterId],
      requestBody: { required: false, content: json(deadLetterRetryBodySchema) },
      responses: {
        202: {
          description: 'Retrying: it runs in the background; follow it with `GET /dead-letters/{id}`.',
          headers: { Location: { schema: { type: 'string' }, description: '`/dead-letters/{id}`' } },
          content: json(ref('DeadLetter')),
        },
        ...deadLetterDecision,
      },
    }),
  };
  paths['/dead-letters/{id}/discard'] = {
    post: operatorRoute({
      operationId: 'discardDeadLetter',
      summary: 'Record that a dead call or message will not be run again (operator role)',
      description: 'Nothing is sent: the journey stays where its failure event left it. The dead letter is kept, `discarded`, with who, when and why.',
      parameters: [deadLetterId],
      requestBody: { required: false, content: json(deadLetterDiscardBodySchema) },
      responses: { 200: { description: 'Discarded.', content: json(ref('DeadLetter')) }, ...deadLetterDecision },
    }),
  };
  paths['/reconcile/{system}'] = {
    post: operatorRoute({
      operationId: 'reconcileBackend',
      summary: "Compare a back end's calls with what it says it did; replay lost replies (operator role)",
      description:
        "The outbox's calls of the system, from its high-water mark (or `since`), against its adapter's `query`. A `lost-reply` (the back end did the call, the outbox has it pending or dead) is replayed with `repair`: accepted under the call's reply key, so it enters the journey once however often this runs; the other kinds are reported. The node asked must have the back end configured.",
      parameters: [{ name: 'system', in: 'path', required: true, schema: reconcileParamsSchema.properties.system }],
      requestBody: { required: false, content: json(reconcileBodySchema) },
      responses: {
        200: { description: 'The report: calls compared, mismatches (repaired or not), the high-water mark.', content: json(ref('ReconcileReport')) },
        400: errorResponse('Malformed system name or body.'),
        415: errorResponse('The body is not `application/json`.'),
        422: errorResponse('The back end cannot be reconciled: not configured on this node, or an adapter without `query` (`JE_RECONCILE_UNSUPPORTED`).'),
        502: errorResponse("The back end's query failed (`JE_BACKEND_FAILED`)."),
      },
    }),
  };
  paths['/health'] = {
    get: {
      operationId: 'health',
      summary: 'Liveness: 200 while the process serves',
      tags: ['operations'],
      security: [],
      responses: { 200: { description: 'Alive.', content: json(ref('Health')) } },
    },
  };
  paths['/ready'] = {
    get: {
      operationId: 'ready',
      summary: 'Readiness: store, grid and partition ownership',
      tags: ['operations'],
      security: [],
      responses: { 200: { description: 'Ready.', content: json(ref('Readiness')) }, 503: { description: 'Not ready.', content: json(ref('Readiness')) } },
    },
  };
  paths['/metrics'] = {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (engine and HTTP)',
      tags: ['operations'],
      security: [],
      responses: { 200: { description: 'Prometheus text exposition.', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  };
  paths['/published-events'] = {
    get: {
      operationId: 'publishedEvents',
      summary: "One journey type's published events after a cursor (subscriber or operator role)",
      description:
        "Events a journey declares in `publish`, written with the outcome that emitted them, in one feed order that never changes; one journey's events come in its order. At least once: keep the `cursor` of the last event processed, pass it as `after`, and de-duplicate by `eventId`. With `wait`, an empty page is answered only after that many seconds (a long poll). With `Accept: text/event-stream`, a stream of server-sent events (`id` = cursor, `event` = event name, `data` = the event) that resumes from `Last-Event-ID`. A subscriber reads the journeys of its own tenant; an operator every tenant's.",
      tags: ['journeys'],
      parameters: queryParameters(publishedQuerySchema),
      responses: {
        200: {
          description: 'A page of published events (or, asked for, a stream of them).',
          content: { ...json(ref('PublishedEventPage')), 'text/event-stream': { schema: { type: 'string' } } },
        },
        400: errorResponse('Bad query parameter.'),
        ...callerErrors(),
        403: errorResponse('The caller has neither the `subscriber` nor the `operator` role, or its tenant may not use the type.'),
        404: errorResponse('No version of the type is deployed (`JE_JOURNEY_TYPE_UNKNOWN`).'),
      },
    },
  };
  paths['/openapi.json'] = {
    get: {
      operationId: 'openapi',
      summary: 'This document',
      tags: ['operations'],
      security: [],
      responses: { 200: { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
    },
  };

  const securitySchemes =
    settings.authMode === 'jwt'
      ? {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'Claims: `sub` (sender), `roles`, `trust_level` (0..3), optional `channel`, `geo`; `exp` required, and `iss` and `aud` where the server is configured with them (always with a JWKS).',
          },
        }
      : { devSender: { type: 'apiKey', in: 'header', name: 'X-Dev-Sender', description: 'DEV MODE, LOCAL ONLY: the sender is whatever this header says.' } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Journey Engine API',
      version: settings.apiVersion ?? '0.1.0',
      license: { name: 'UNLICENSED (proprietary; no licence is granted)' },
      description:
        'Events start and drive journeys. Every error answer is `{"error":{"code","message","details"}}` with a stable code. ' +
        'Initiating routes are `/journeys/{journey type}/{version}/events` for every deployed journey type.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    // Relative: the node that serves this document serves the API.
    servers: [{ url: '/', description: 'This node' }],
    security: [Object.fromEntries(Object.keys(securitySchemes).map((name) => [name, []]))],
    tags: [
      { name: 'journeys', description: 'Events to existing journeys, their state, history and search.' },
      { name: 'operations', description: 'Probes, metrics and this document (no authentication, no rate limit), and the deployed versions.' },
      ...[...byType.keys()].map((name) => ({ name, description: `Journey type ${name}` })),
    ],
    paths,
    components: { schemas, securitySchemes },
  };
}
