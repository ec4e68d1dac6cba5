/**
 * Back ends from configuration, so calling a real system needs no fork of the engine:
 *
 * - a **module** (ESM) that exports the handlers: `export default { 'pricing.quote': handler }`,
 *   or a function that returns (a promise of) such an object, as `default` or as `backends`;
 * - a **file** (JSON) that describes HTTP back ends per call name and the circuit breakers per
 *   back-end system:
 *
 * ```json
 * {
 *   "http": {
 *     "pricing.quote": {
 *       "url": { "env": "PRICING_URL" }, "method": "POST", "timeoutMs": 5000,
 *       "queryUrl": { "env": "PRICING_QUERY_URL" },
 *       "headers": { "Authorization": { "env": "PRICING_AUTHORIZATION" } }
 *     }
 *   },
 *   "breakers": { "pricing": { "failureThreshold": 5, "openMs": 30000, "whenOpen": "fallback" } }
 * }
 * ```
 *
 * A value written `{ "env": "NAME" }` is read from that environment variable at start (secrets stay
 * out of the file; a variable that is not set stops the start, naming it). Every system with an
 * HTTP back end has a breaker, with the defaults unless `breakers` sets them (`false`: none); a
 * system served by the module has one when `breakers` names it.
 */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { JourneyError, ensureError } from '../common/index.js';
import type { BackendHandler, BackendRegistry } from './calls.js';
import type { BreakerOptions } from './circuit-breaker.js';
import { HTTP_BACKEND_METHODS, HTTP_BACKEND_OWN_HEADERS, httpBackend } from './http-backend.js';

/** `system.operation` as the DSL's `call` writes it. */
export const CALL_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*$';
const SYSTEM_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/** A literal, or the name of the environment variable that holds it. */
export const valueOrEnv = {
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      required: ['env'],
      properties: { env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
    },
  ],
} as const;

export const BACKENDS_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    http: {
      type: 'object',
      propertyNames: { pattern: CALL_NAME_PATTERN },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: valueOrEnv,
          queryUrl: valueOrEnv,
          method: { enum: HTTP_BACKEND_METHODS, default: 'POST' },
          timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, default: 10_000 },
          maxResponseBytes: { type: 'integer', minimum: 1, maximum: 67_108_864, default: 1_048_576 },
          headers: { type: 'object', propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }, additionalProperties: valueOrEnv, default: {} },
        },
      },
      default: {},
    },
    breakers: {
      type: 'object',
      propertyNames: { pattern: SYSTEM_PATTERN },
      additionalProperties: {
        oneOf: [
          { const: false },
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              failureThreshold: { type: 'integer', minimum: 1 },
              failureRatio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
              windowMs: { type: 'integer', minimum: 1 },
              openMs: { type: 'integer', minimum: 1 },
              halfOpenProbes: { type: 'integer', minimum: 1 },
              closeAfterSuccesses: { type: 'integer', minimum: 1 },
              whenOpen: { enum: ['fallback', 'wait'] },
            },
          },
        ],
      },
      default: {},
    },
  },
} as const;

export type ValueOrEnv = string | { env: string };

/** The file's content once validated (defaults filled in). */
export interface BackendsConfig {
  http: Record<
    string,
    {
      url: ValueOrEnv;
      queryUrl?: ValueOrEnv;
      method: (typeof HTTP_BACKEND_METHODS)[number];
      timeoutMs: number;
      maxResponseBytes: number;
      headers: Record<string, ValueOrEnv>;
    }
  >;
  breakers: Record<string, Partial<BreakerOptions> | false>;
}

/** What configuration gives the engine: handlers, and the breakers per back-end system. */
export interface ConfiguredBackends {
  handlers: BackendRegistry;
  breakers: Record<string, Partial<BreakerOptions>>;
}

const validate = new Ajv({ useDefaults: true, allErrors: true }).compile(BACKENDS_CONFIG_SCHEMA);

export function problemsOf(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .filter((error) => error.keyword !== 'oneOf')
    .map(
      (error) =>
        `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : ''}`,
    )
    .join('; ');
}

/**
 * A configured value: the literal, or the environment variable it names.
 * @throws JourneyError `JE_CONFIG_INVALID` when the variable is not set (naming it, never a value).
 */
export function resolveValue(value: ValueOrEnv, env: NodeJS.ProcessEnv, source: string, where: string): string {
  if (typeof value === 'string') return value;
  const found = env[value.env];
  if (found === undefined || found === '') {
    throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${where} names the environment variable ${value.env}, which is not set`, {
      details: { source, variable: value.env },
    });
  }
  return found;
}

/**
 * The back ends a configuration file describes.
 * @param source - Names the file and the setting in errors, e.g. `BACKENDS_CONFIG (backends.json)`.
 * @throws JourneyError `JE_CONFIG_INVALID` naming the source and what is wrong (never a value read from the environment).
 */
export function parseBackendsConfig(content: unknown, env: NodeJS.ProcessEnv, source: string): ConfiguredBackends {
  const config = structuredClone(content);
  if (!validate(config)) throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${problemsOf(validate.errors)}`, { details: { source } });
  const valid = config as BackendsConfig;
  const resolve = (value: ValueOrEnv, where: string): string => resolveValue(value, env, source, where);
  const handlers: BackendRegistry = {};
  const breakers: Record<string, Partial<BreakerOptions>> = {};
  for (const [name, http] of Object.entries(valid.http)) {
    const url = resolve(http.url, `/http/${name}/url`);
    const queryUrl = http.queryUrl === undefined ? {} : { queryUrl: resolve(http.queryUrl, `/http/${name}/queryUrl`) };
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(http.headers)) {
      if (HTTP_BACKEND_OWN_HEADERS.includes(header.toLowerCase())) {
        throw new JourneyError('JE_CONFIG_INVALID', `${source}: /http/${name}/headers/${header} is set by the HTTP adapter itself`, {
          details: { source, call: name },
        });
      }
      headers[header] = resolve(value, `/http/${name}/headers/${header}`);
    }
    try {
      handlers[name] = httpBackend({
        name,
        url,
        ...queryUrl,
        method: http.method,
        timeoutMs: http.timeoutMs,
        maxResponseBytes: http.maxResponseBytes,
        headers,
      });
    } catch (error) {
      // The URL is not echoed: it may carry a credential, or come from the environment.
      throw new JourneyError('JE_CONFIG_INVALID', `${source}: /http/${name}: ${ensureError(error).message}`, { cause: error, details: { source, call: name } });
    }
    breakers[name.slice(0, name.indexOf('.'))] = {};
  }
  for (const [system, options] of Object.entries(valid.breakers)) {
    if (options === false) delete breakers[system];
    else breakers[system] = options;
  }
  return { handlers, breakers };
}

/**
 * The handlers a back-end module exports: `default` or `backends`, an object of handlers by call
 * name, or a function returning (a promise of) one.
 * @throws JourneyError `JE_CONFIG_INVALID` naming the source when the module exports nothing usable.
 */
export async function backendsFromModule(exports: Record<string, unknown>, source: string): Promise<BackendRegistry> {
  let registry: unknown = exports.default ?? exports.backends;
  if (typeof registry === 'function') registry = await (registry as () => unknown)();
  if (typeof registry !== 'object' || registry === null || Array.isArray(registry)) {
    throw new JourneyError(
      'JE_CONFIG_INVALID',
      `${source}: the module exports no back ends: export default (or export const backends) an object of handlers by call name, e.g. { 'pricing.quote': async (request, { callId }) => ({ … }) }, or a function returning one`,
      { details: { source } },
    );
  }
  const handlers: BackendRegistry = {};
  const callName = new RegExp(CALL_NAME_PATTERN);
  for (const [name, handler] of Object.entries(registry)) {
    if (!callName.test(name)) {
      throw new JourneyError('JE_CONFIG_INVALID', `${source}: ${JSON.stringify(name)} is not a call name (system.operation)`, {
        details: { source, call: name },
      });
    }
    if (typeof handler !== 'function') {
      throw new JourneyError('JE_CONFIG_INVALID', `${source}: the handler of ${name} is not a function`, { details: { source, call: name } });
    }
    handlers[name] = handler as BackendHandler;
  }
  return handlers;
}
