import { ID_PATTERN } from '../common/index.js';
/**
 * JSON Schemas of the routes: fastify validates requests and serializes answers with them, and the
 * OpenAPI document reuses them, so the two can never disagree.
 */

/** Journey ids are ULIDs (Crockford base32, upper case). */
export const JOURNEY_ID_PATTERN = ID_PATTERN.source;
/** One segment of a journey type name (a DSL identifier). */
export const NAME_SEGMENT_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** A journey type: one to four segments, e.g. `pfm/wallet`. */
export const JOURNEY_TYPE_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}(/[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$';
/** A deployed version (`1.0`) or `latest`. */
export const VERSION_PATTERN = '^(latest|[0-9]{1,9}(\\.[0-9]{1,9}){0,3})$';
export const EVENT_TYPE_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';
/** Printable ASCII, no spaces: UUIDs, ULIDs, base64 all fit. */
export const IDEMPOTENCY_KEY_PATTERN = '^[!-~]{1,128}$';
/** Opaque engine cursors: printable ASCII. */
export const CURSOR_PATTERN = '^[!-~]{1,1024}$';
/** Search field names (DSL field names). */
export const SEARCH_FIELD_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** Longest accepted search value, in characters. */
export const MAX_SEARCH_VALUE_LENGTH = 256;
/** A search value: no control characters (NUL included), no lone surrogates, bounded length. */
export const SEARCH_VALUE_PATTERN = `^[^\\u0000-\\u001f\\u007f\\p{Cs}]{1,${MAX_SEARCH_VALUE_LENGTH}}$`;
/** Largest page the engine serves. */
export const MAX_PAGE_LIMIT = 500;

/** Query parameters of `GET /journeys` that are not search fields. */
export const SEARCH_RESERVED_PARAMS = ['type', 'version', 'cursor', 'limit'] as const;

const anyObject = { type: 'object', additionalProperties: true } as const;

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', description: 'Stable error code (see docs/errors.md).' },
        message: { type: 'string' },
        details: anyObject,
      },
    },
  },
} as const;

export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

export const eventBodySchema = {
  type: 'object',
  required: ['type', 'data'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', pattern: EVENT_TYPE_PATTERN, description: 'Event type declared by the journey.' },
    data: { type: 'object', description: "The event's payload; validated against the event's JSON Schema." },
  },
} as const;

export const eventHeadersSchema = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description: 'Same key from the same sender → same answer, applied once.',
    },
  },
} as const;

export function eventQuerySchema(maxWaitMs: number) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      wait: {
        type: 'integer',
        minimum: 0,
        maximum: maxWaitMs,
        description: `Milliseconds to wait for the outcome (at most ${maxWaitMs}); 0 or absent answers once the event is durable.`,
      },
    },
  } as const;
}

export const acceptResultSchema = {
  type: 'object',
  required: ['journeyId', 'eventId', 'seq', 'duplicate'],
  properties: {
    journeyId: { type: 'string' },
    eventId: { type: 'string' },
    seq: { type: 'integer', description: "The event's position in its journey's acceptance order (1 = initiating)." },
    journeyType: { type: 'string' },
    version: { type: 'string' },
    duplicate: { type: 'boolean', description: 'True when the Idempotency-Key matched an earlier submission.' },
  },
} as const;

const emittedSchema = {
  type: 'array',
  items: { type: 'object', required: ['type', 'payload'], properties: { type: { type: 'string' }, payload: anyObject } },
} as const;

const rejectionSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: ['NO_MATCHING_BEAD', 'PRECONDITION_FAILED', 'ACCESS_DENIED', 'ACTION_FAILED', 'INVALID_TIMER', 'STORE_REFUSED'] },
    message: { type: 'string' },
    rule: { type: 'string' },
    beadId: { type: 'string' },
  },
} as const;

export const outcomeResultSchema = {
  type: 'object',
  required: ['journeyId', 'eventId', 'outcome', 'seq'],
  description:
    "An event's outcome. `data` and `emitted` are shown only to a sender who may read the journey (its read rules, on the data after the event); others see whether their event applied, why not, and the seq.",
  properties: {
    journeyId: { type: 'string' },
    eventId: { type: 'string' },
    outcome: { type: 'string', enum: ['applied', 'rejected'] },
    rejection: rejectionSchema,
    seq: { type: 'integer', description: "The journey's handled-event count after this event." },
    data: { type: ['object', 'null'], additionalProperties: true, description: 'Journey data after this event (readers only).' },
    emitted: { ...emittedSchema, description: 'Events the journey emitted (readers only).' },
    duplicate: { type: 'boolean' },
  },
} as const;

const eventOutcomeSchema = {
  type: ['object', 'null'],
  properties: {
    ...outcomeResultSchema.properties,
    beadId: { type: 'string' },
    handledAt: { type: 'string', format: 'date-time' },
    changes: {
      type: 'array',
      description: "What the event changed in the journey's data: a JSON Patch (RFC 6902) from the data before it to the data after.",
      items: {
        type: 'object',
        required: ['op', 'path'],
        properties: { op: { type: 'string', enum: ['add', 'replace', 'remove'] }, path: { type: 'string' }, value: {} },
      },
    },
  },
} as const;

export const journeyViewSchema = {
  type: 'object',
  required: ['journeyId', 'journeyType', 'type', 'version', 'status', 'lifecycle', 'data', 'seq', 'acceptedSeq', 'createdAt', 'updatedAt'],
  properties: {
    journeyId: { type: 'string' },
    journeyType: { type: 'string' },
    type: { type: 'string', description: 'Same as journeyType.' },
    version: { type: 'string' },
    status: { type: 'string', description: 'Business status: data.status when the journey keeps one, else the lifecycle.' },
    lifecycle: { type: 'string', enum: ['pending', 'active', 'failed'] },
    data: { type: ['object', 'null'], additionalProperties: true },
    seq: { type: 'integer' },
    acceptedSeq: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const eventViewSchema = {
  type: 'object',
  required: ['eventId', 'journeySeq', 'type', 'payload', 'context', 'origin', 'causedBy', 'acceptedAt', 'status', 'outcome'],
  properties: {
    eventId: { type: 'string' },
    journeySeq: { type: 'integer' },
    type: { type: 'string' },
    payload: anyObject,
    context: anyObject,
    origin: { type: 'string', enum: ['api', 'emitted', 'timer', 'backend', 'uplift', 'journey'] },
    causedBy: { type: ['string', 'null'] },
    acceptedAt: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: ['pending', 'applied', 'rejected'] },
    outcome: eventOutcomeSchema,
  },
} as const;

function pageSchema<T extends object>(items: T) {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      items: { type: 'array', items },
      nextCursor: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last page.' },
    },
  } as const;
}

export const journeyPageSchema = pageSchema(journeyViewSchema);
export const eventPageSchema = pageSchema(eventViewSchema);

export const journeyIdParamsSchema = {
  type: 'object',
  required: ['journeyId'],
  additionalProperties: false,
  properties: { journeyId: { type: 'string', pattern: JOURNEY_ID_PATTERN } },
} as const;

/** Params of `POST /journeys/s1/…/sN/{version}/events`: segments `s1`..`sN` of the type name. */
export function initiateParamsSchema(segments: number) {
  const properties: Record<string, object> = { version: { type: 'string', pattern: VERSION_PATTERN } };
  const required = ['version'];
  for (let i = 1; i <= segments; i++) {
    properties[`s${i}`] = { type: 'string', pattern: NAME_SEGMENT_PATTERN };
    required.push(`s${i}`);
  }
  return { type: 'object', required, additionalProperties: false, properties };
}

export const pageQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: { type: 'string', pattern: CURSOR_PATTERN },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT },
  },
} as const;

export const searchQuerySchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', pattern: JOURNEY_TYPE_PATTERN, description: 'Journey type, e.g. `pfm/wallet`.' },
    version: { type: 'string', pattern: VERSION_PATTERN },
    ...pageQuerySchema.properties,
  },
  propertyNames: { pattern: SEARCH_FIELD_PATTERN },
  additionalProperties: { type: 'string', pattern: SEARCH_VALUE_PATTERN },
} as const;

export const deploymentsSchema = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['journeyType', 'version', 'events', 'searchFields'],
        properties: {
          journeyType: { type: 'string' },
          version: { type: 'string' },
          events: {
            type: 'array',
            items: {
              type: 'object',
              required: ['type', 'initiating', 'handled', 'emitted', 'schema'],
              properties: {
                type: { type: 'string' },
                initiating: { type: 'boolean' },
                handled: { type: 'boolean', description: 'A sender may send it (some bead handles it).' },
                emitted: { type: 'boolean' },
                schema: anyObject,
              },
            },
          },
          searchFields: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'type'],
              properties: { name: { type: 'string' }, type: { type: 'string', enum: ['string', 'number', 'boolean'] } },
            },
          },
        },
      },
    },
  },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status', 'nodeId'],
  properties: { status: { type: 'string', enum: ['ok'] }, nodeId: { type: 'string' } },
} as const;

export const readinessSchema = {
  type: 'object',
  required: ['ready', 'degraded', 'grid', 'store', 'partitions', 'nodeId'],
  properties: {
    ready: { type: 'boolean' },
    degraded: { type: 'boolean' },
    grid: {
      type: 'object',
      properties: {
        up: { type: 'boolean' },
        mode: { type: 'string', enum: ['cluster', 'standalone', 'none'] },
        nodes: { type: 'integer' },
        error: { type: 'string' },
      },
    },
    store: { type: 'object', properties: { up: { type: 'boolean' }, error: { type: 'string' } } },
    partitions: {
      type: 'object',
      properties: {
        total: { type: 'integer' },
        owned: { type: 'integer' },
        // Partitions of the store that nobody has owned for two lease TTLs (any of them: 503).
        unowned: { type: 'integer' },
        unownedPartitions: { type: 'array', items: { type: 'integer' } },
      },
    },
    // The versions this node hosts, and deployed versions no live node hosts (their events wait).
    versions: {
      type: 'object',
      properties: {
        hosted: { type: 'array', items: { type: 'string' } },
        withoutHost: { type: 'array', items: { type: 'string' } },
      },
    },
    nodeId: { type: 'string' },
  },
} as const;

/** A version to undeploy: a concrete one, never `latest`. */
export const DEPLOYED_VERSION_PATTERN = '^[0-9]{1,9}(\\.[0-9]{1,9}){0,3}$';
const SHA256_PATTERN = '^[0-9a-f]{64}$';

/** Params of `/deployments/s1/…/sN[/{version}]`: segments `s1`..`sN` of the type name. */
export function deploymentParamsSchema(segments: number, withVersion: boolean) {
  const properties: Record<string, object> = withVersion ? { version: { type: 'string', pattern: DEPLOYED_VERSION_PATTERN } } : {};
  const required = withVersion ? ['version'] : [];
  for (let i = 1; i <= segments; i++) {
    properties[`s${i}`] = { type: 'string', pattern: NAME_SEGMENT_PATTERN };
    required.push(`s${i}`);
  }
  return { type: 'object', required, additionalProperties: false, properties };
}

/** The body of `POST /deployments`: a version bundle as `journey pack` writes it (the engine verifies the rest, its content hash included). */
export const bundleBodySchema = {
  type: 'object',
  required: ['format', 'name', 'version', 'contentHash', 'engineVersion', 'files', 'processors', 'journey'],
  additionalProperties: false,
  properties: {
    format: { type: 'string', const: 'journey-bundle/1' },
    name: { type: 'string', pattern: JOURNEY_TYPE_PATTERN },
    version: { type: 'string', pattern: DEPLOYED_VERSION_PATTERN },
    contentHash: { type: 'string', pattern: SHA256_PATTERN, description: 'sha256 of the canonical JSON of name, version, journey, processors and files.' },
    engineVersion: { type: 'string', description: 'The engine version that packed it.' },
    files: {
      type: 'object',
      description: 'Source path (relative to the version folder) → sha256 of its bytes.',
      additionalProperties: { type: 'string', pattern: SHA256_PATTERN },
    },
    processors: { type: 'object', description: 'Processor name → self-contained ES module.', additionalProperties: { type: 'string' } },
    journey: { type: 'object', description: 'The compiled journey (IR), JSON Schemas included.' },
  },
} as const;

export const deployResultSchema = {
  type: 'object',
  required: ['journeyType', 'version', 'created', 'laneNo', 'contentHash', 'compatibility', 'checkedAgainst', 'upliftsChecked', 'warnings'],
  properties: {
    journeyType: { type: 'string' },
    version: { type: 'string' },
    created: { type: 'boolean', description: 'False when the same content was already deployed under that version.' },
    laneNo: { type: 'integer' },
    contentHash: { type: 'string' },
    compatibility: { type: 'string', enum: ['BACKWARD', 'FORWARD', 'FULL', 'NONE'] },
    checkedAgainst: { type: 'array', items: { type: 'string' }, description: 'Deployed versions of the type its compatibility was checked against.' },
    upliftsChecked: { type: 'array', items: { type: 'string' }, description: 'Versions its `uplift from` sections were checked from.' },
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const undeployResultSchema = {
  type: 'object',
  required: ['journeyType', 'version', 'changed', 'undeployedAt'],
  properties: {
    journeyType: { type: 'string' },
    version: { type: 'string' },
    changed: { type: 'boolean', description: 'False when it was undeployed already.' },
    undeployedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const deploymentRecordProperties = {
  journeyType: { type: 'string' },
  version: { type: 'string' },
  laneNo: { type: 'integer' },
  contentHash: { type: ['string', 'null'], description: 'The bundle content hash; null when a node deployed it from sources at start.' },
  irHash: { type: 'string' },
  compatibility: { type: ['string', 'null'] },
  deployedAt: { type: 'string', format: 'date-time' },
  undeployedAt: { type: ['string', 'null'], format: 'date-time' },
  hosts: { type: ['array', 'null'], items: { type: 'string' }, description: 'Live nodes hosting it; null when membership cannot be read.' },
} as const;
const deploymentRecordRequired = ['journeyType', 'version', 'laneNo', 'contentHash', 'irHash', 'compatibility', 'deployedAt', 'undeployedAt', 'hosts'] as const;

export const deploymentHistorySchema = {
  type: 'object',
  required: ['journeyType', 'items'],
  properties: {
    journeyType: { type: 'string' },
    items: { type: 'array', items: { type: 'object', required: deploymentRecordRequired, properties: deploymentRecordProperties } },
  },
} as const;

export const drainReportSchema = {
  type: 'object',
  required: ['versions'],
  properties: {
    versions: {
      type: 'array',
      items: {
        type: 'object',
        required: [...deploymentRecordRequired, 'deployed', 'instances', 'retirable'],
        properties: {
          ...deploymentRecordProperties,
          deployed: { type: 'boolean' },
          instances: {
            type: 'object',
            required: ['pending', 'active', 'failed'],
            properties: { pending: { type: 'integer' }, active: { type: 'integer' }, failed: { type: 'integer' } },
          },
          retirable: { type: 'boolean', description: 'Deployed, no pending or active instance, and a newer version is deployed.' },
        },
      },
    },
  },
} as const;

export const deploymentsQuerySchema = {
  type: 'object',
  properties: {
    instances: {
      type: 'boolean',
      description: 'Answer with the drain report: every version with its instances by lifecycle, hosts and whether it can be retired.',
    },
  },
} as const;
