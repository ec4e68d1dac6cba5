import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, JourneyError, ensureError, isJourneyError } from '../common/index.js';
import type { ErrorCode } from '../common/index.js';

/** One violation of a schema: where (a JSON pointer into the request part) and what. */
export interface Violation {
  pointer: string;
  message: string;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Escapes one JSON pointer reference token (RFC 6901). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Converts ajv errors into violations whose pointer names the offending member itself. */
export function toViolations(errors: readonly AjvLikeError[]): Violation[] {
  return errors.map((error) => {
    let pointer = error.instancePath ?? '';
    const params = error.params ?? {};
    const member =
      error.keyword === 'required'
        ? params['missingProperty']
        : error.keyword === 'additionalProperties'
          ? params['additionalProperty']
          : error.keyword === 'propertyNames'
            ? params['propertyName']
            : undefined;
    if (typeof member === 'string') pointer += `/${escapePointerToken(member)}`;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') message = 'is not allowed here';
    else if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
      message = `must be one of ${params['allowedValues'].map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return { pointer, message };
  });
}

function isFastifyError(error: Error): error is FastifyError {
  const code = (error as Partial<FastifyError>).code;
  return typeof code === 'string' && code.startsWith('FST_');
}

/**
 * Maps anything thrown to a `JourneyError` the edge can answer with: fastify's own errors by
 * code/status, everything unexpected to `JE_INTERNAL` (its message is never shown).
 */
export function toJourneyError(thrown: unknown, bodyLimitBytes: number): { error: JourneyError; internal: boolean } {
  if (isJourneyError(thrown)) return { error: thrown, internal: false };
  const error = ensureError(thrown);
  const validation = (error as Partial<FastifyError>).validation;
  if (Array.isArray(validation)) {
    const location = (error as Partial<FastifyError>).validationContext ?? 'request';
    const violations = toViolations(validation);
    return {
      error: new JourneyError('JE_BAD_REQUEST', `The ${location} is invalid: ${violations.map((v) => `${v.pointer || '(root)'} ${v.message}`).join('; ')}`, {
        cause: error,
        details: { location, violations },
      }),
      internal: false,
    };
  }
  if (isFastifyError(error)) {
    // fastify's 4xx messages describe the request (bad URL, empty body), never internals.
    const cause = { cause: error };
    switch (error.statusCode) {
      case 404:
        return { error: new JourneyError('JE_NOT_FOUND', 'No such route', cause), internal: false };
      case 413:
        return {
          error: new JourneyError('JE_PAYLOAD_TOO_LARGE', `The request body exceeds ${bodyLimitBytes} bytes`, {
            ...cause,
            details: { limitBytes: bodyLimitBytes },
          }),
          internal: false,
        };
      case 415:
        return {
          error: new JourneyError('JE_UNSUPPORTED_MEDIA_TYPE', 'The request body must be JSON (Content-Type: application/json)', cause),
          internal: false,
        };
      default:
        if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
          return { error: new JourneyError('JE_BAD_REQUEST', error.message, { ...cause, details: { reason: error.code } }), internal: false };
        }
    }
  }
  return { error: new JourneyError('JE_INTERNAL', 'An unexpected error occurred; it has been logged', { cause: error }), internal: true };
}

/** `Retry-After` in whole seconds (at least 1) for retryable answers. */
export function retryAfterSeconds(error: JourneyError): number | undefined {
  if (error.httpStatus !== 429 && error.httpStatus !== 503) return undefined;
  return Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
}

/** Builds the answer body; 5xx answers show only the registry's summary, never internals. */
export function errorBody(error: JourneyError, internal: boolean): ErrorBody {
  if (internal || error.httpStatus >= 500) {
    return { error: { code: error.code, message: internal ? error.message : ERROR_CODES[error.code].summary, details: {} } };
  }
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/** Answers `thrown` with the error envelope, its status and `Retry-After`; logs what went wrong. */
export function sendError(thrown: unknown, request: FastifyRequest, reply: FastifyReply, bodyLimitBytes: number): FastifyReply {
  const { error, internal } = toJourneyError(thrown, bodyLimitBytes);
  const status = error.httpStatus;
  if (internal || status >= 500) request.log.error({ err: internal ? ensureError(error.cause) : error }, 'request failed');
  else request.log.info({ code: error.code, status }, 'request refused');
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(error, internal));
}

/**
 * For fastify's `frameworkErrors` option: errors the router raises before any route or hook runs
 * (a URL that does not decode, a path parameter over the length limit) get the same envelope.
 */
export function frameworkErrorHandler(bodyLimitBytes: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    void sendError(error, request, reply, bodyLimitBytes);
  };
}

/** Installs the error and not-found handlers on the root instance (children inherit them). */
export function installErrorHandling(app: FastifyInstance, bodyLimitBytes: number): void {
  app.setErrorHandler((thrown: unknown, request: FastifyRequest, reply: FastifyReply) => sendError(thrown, request, reply, bodyLimitBytes));
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const error = new JourneyError('JE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`.slice(0, 300));
    return reply.code(404).type('application/json; charset=utf-8').send(errorBody(error, false));
  });
}
