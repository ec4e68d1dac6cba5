/**
 * Every error the engine raises carries a stable string `code` from this one registry.
 * Codes are documented in docs/errors.md (a test keeps the two in step) and never reused: a code
 * nothing raises any more is removed here and listed as retired there.
 * `retryable` tells callers whether the same request may succeed later; `httpStatus` is the
 * answer the API gives when the error reaches the edge.
 */
export const ERROR_CODES = {
  // configuration and start-up
  JE_CONFIG_INVALID: { httpStatus: 500, retryable: false, summary: 'A configuration setting has an invalid value.' },
  JE_DEPENDENCY_MISSING: { httpStatus: 500, retryable: false, summary: 'A required binary or service is not installed.' },
  JE_STORE_DURABILITY: { httpStatus: 500, retryable: false, summary: 'MariaDB is not configured for durable commits.' },
  // grid (Redis)
  JE_GRID_START_FAILED: { httpStatus: 500, retryable: false, summary: 'The local Redis Cluster could not be started.' },
  JE_GRID_UNAVAILABLE: { httpStatus: 503, retryable: true, summary: 'The Redis grid cannot be reached.' },
  // cache store (MariaDB)
  JE_STORE_UNAVAILABLE: { httpStatus: 503, retryable: true, summary: 'The MariaDB store cannot be reached.' },
  JE_STORE_START_FAILED: { httpStatus: 500, retryable: false, summary: 'The private MariaDB server could not be started.' },
  JE_STORE_MIGRATION_FAILED: { httpStatus: 500, retryable: false, summary: 'A schema migration failed.' },
  JE_STORE_CONFLICT: { httpStatus: 409, retryable: true, summary: 'A concurrent write changed the row first.' },
  JE_STORE_COMMIT_UNKNOWN: {
    httpStatus: 503,
    retryable: true,
    summary: 'The connection failed during COMMIT; the transaction may or may not have been applied (re-read before retrying).',
  },
  JE_STORE_QUERY_FAILED: { httpStatus: 500, retryable: false, summary: 'A SQL statement failed for a reason other than a lost connection or a lock conflict.' },
  JE_DEPLOYMENT_CONFLICT: { httpStatus: 409, retryable: false, summary: 'That journey type version is already deployed with a different definition.' },
  JE_DEPLOYMENT_LIMIT: {
    httpStatus: 409,
    retryable: false,
    summary: 'No lane is left for another journey version (lanes times partitions must stay below 65536).',
  },
  JE_DEPLOYMENT_INCOMPATIBLE: {
    httpStatus: 409,
    retryable: false,
    summary: 'The version breaks its compatibility mode against a deployed version of its type, or an uplift it declares does not hold.',
  },
  JE_DEPLOYMENT_IN_USE: { httpStatus: 409, retryable: false, summary: 'The version still has pending or active instances; it cannot be undeployed.' },
  JE_UPLIFT_RUNNING: { httpStatus: 409, retryable: true, summary: 'An uplift of that journey type is running already.' },
  JE_UPLIFT_INVALID: { httpStatus: 422, retryable: false, summary: 'The newer version cannot take instances of the older one (its uplift check fails).' },
  JE_VERSION_NOT_HOSTED: { httpStatus: 503, retryable: true, summary: 'This node does not host the journey version; its events wait for a node that does.' },
  JE_SEARCH_FIELD_INVALID: { httpStatus: 400, retryable: false, summary: 'A search field has an invalid name, path or type.' },
  JE_SEARCH_FIELD_CONFLICT: { httpStatus: 409, retryable: false, summary: 'A search field of that name already exists with a different path or type.' },
  // dead letters (operators)
  JE_DEAD_LETTER_NOT_FOUND: { httpStatus: 404, retryable: false, summary: 'No back-end call or message between journeys that went dead has that id.' },
  JE_DEAD_LETTER_SETTLED: {
    httpStatus: 409,
    retryable: false,
    summary: 'The dead letter was retried or discarded already; only one that is dead now can be.',
  },
  // reconciliation (operators)
  JE_RECONCILE_UNSUPPORTED: {
    httpStatus: 422,
    retryable: false,
    summary: 'The back end cannot be reconciled: no back end of that name is configured on the node, or its adapter has no query.',
  },
  // runtime
  JE_OVERLOADED: { httpStatus: 503, retryable: true, summary: 'The engine is at capacity; retry after the advised delay.' },
  JE_ENGINE_STOPPED: { httpStatus: 503, retryable: true, summary: 'The engine is shutting down or not yet started.' },
  JE_IDEMPOTENCY_CONFLICT: { httpStatus: 422, retryable: false, summary: 'The idempotency key was used for a different request.' },
  // back-end calls
  JE_BACKEND_FAILED: {
    httpStatus: 502,
    retryable: true,
    summary: 'A back end failed the call (HTTP 5xx, 408 or 429, no answer in time, no connection, or an answer that is not a JSON object); it is retried.',
  },
  JE_BACKEND_REFUSED: {
    httpStatus: 502,
    retryable: false,
    summary: 'A back end refused the call (HTTP 4xx other than 408 and 429, or a redirect); it is not retried: the journey gets its failure event.',
  },
  JE_BACKEND_CIRCUIT_OPEN: {
    httpStatus: 503,
    retryable: true,
    summary: "The back end's circuit breaker is open: the call was not made (it fails fast to its failure event, or waits, as the back end is configured).",
  },
  // journeys and events
  JE_JOURNEY_TYPE_UNKNOWN: { httpStatus: 404, retryable: false, summary: 'No deployed journey type/version has that name.' },
  JE_JOURNEY_NOT_FOUND: { httpStatus: 404, retryable: false, summary: 'No journey instance has that id.' },
  JE_EVENT_TYPE_UNKNOWN: { httpStatus: 422, retryable: false, summary: 'The journey does not define that event type.' },
  JE_EVENT_NOT_INITIATING: { httpStatus: 422, retryable: false, summary: 'The event cannot start a journey.' },
  JE_EVENT_INITIATING: { httpStatus: 422, retryable: false, summary: 'An initiating event cannot target an existing journey.' },
  JE_EVENT_INVALID: { httpStatus: 400, retryable: false, summary: 'The event payload violates its JSON Schema.' },
  JE_ACCESS_DENIED: { httpStatus: 403, retryable: false, summary: 'The sender may not send this event.' },
  // DSL
  JE_DSL_COMPILE: { httpStatus: 400, retryable: false, summary: 'The journey source does not compile.' },
  JE_DSL_IR_INVALID: { httpStatus: 400, retryable: false, summary: 'A compiled journey does not match the IR schema.' },
  JE_BUNDLE_INVALID: { httpStatus: 400, retryable: false, summary: 'A version bundle is malformed or its content does not match its content hash.' },
  // API edge
  JE_BAD_REQUEST: { httpStatus: 400, retryable: false, summary: 'The request is malformed.' },
  JE_UNAUTHENTICATED: { httpStatus: 401, retryable: false, summary: 'The request carries no valid credentials.' },
  JE_AUTH_KEYS_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    summary: "The identity provider's key set (JWKS), needed to verify the token, cannot be fetched.",
  },
  JE_NOT_FOUND: { httpStatus: 404, retryable: false, summary: 'No such route or resource.' },
  JE_PAYLOAD_TOO_LARGE: { httpStatus: 413, retryable: false, summary: 'The request body exceeds the configured limit.' },
  JE_UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, retryable: false, summary: 'The request body is not JSON.' },
  JE_RATE_LIMITED: { httpStatus: 429, retryable: true, summary: 'The sender (or its tenant) exceeded its request rate.' },
  JE_INTERNAL: { httpStatus: 500, retryable: false, summary: 'An unexpected internal error.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface JourneyErrorOptions {
  cause?: unknown;
  /** Structured facts for the caller (field names, limits, locations). */
  details?: Record<string, unknown>;
  /** For retryable errors: how long the caller should wait, in milliseconds. */
  retryAfterMs?: number;
}

/** Base class of every error the engine raises on purpose. */
export class JourneyError extends Error {
  override name = 'JourneyError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: JourneyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.retryAfterMs = options.retryAfterMs;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

/** Wraps anything thrown (a string, a driver error) into an Error, keeping the original as cause. */
export function ensureError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown), { cause: thrown });
}

export function isJourneyError(thrown: unknown, code?: ErrorCode): thrown is JourneyError {
  return thrown instanceof JourneyError && (code === undefined || thrown.code === code);
}
