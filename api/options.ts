import { createPublicKey, type KeyObject } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { JourneyError, httpsUrlProblem, invalidAddressRange } from '../common/index.js';

/** JWT authentication: every protected request carries `Authorization: Bearer <token>`. */
export interface JwtAuthOptions {
  mode: 'jwt';
  /**
   * HS256 shared secrets (each at least 32 characters). A token verifies if any secret matches,
   * so secrets can be rotated by listing the old and the new one for a while.
   * @defaultValue `[]`
   */
  secrets?: string[];
  /**
   * PEM-encoded public keys (SPKI, `-----BEGIN PUBLIC KEY-----`): RSA (RS256/PS256), EC (ES256/
   * ES384/ES512) or Ed25519 (EdDSA). A token verifies if any key of its algorithm's family matches.
   * @defaultValue `[]`
   */
  publicKeys?: string[];
  /**
   * The identity provider's JSON Web Key Set: https, or http to a loopback address. Fetched on
   * first use and cached; a token whose `kid` the cached set lacks makes it fetch the set again
   * (at most once per {@link jwksCooldownMs}), so keys rotate without a restart and a key the
   * provider dropped stops verifying at the next fetch. Needs {@link issuer} and {@link audience}.
   */
  jwksUrl?: string;
  /**
   * Least time between two fetches of the key set caused by unknown key ids, in milliseconds.
   * @defaultValue `30000`
   */
  jwksCooldownMs?: number;
  /**
   * Age after which the cached key set is fetched again before use, in milliseconds. If that
   * fetch fails, the last fetched set still verifies the keys it holds.
   * @defaultValue `600000`
   */
  jwksCacheMaxAgeMs?: number;
  /** Required `iss` claim, when set (always set with {@link jwksUrl}). */
  issuer?: string;
  /** Required `aud` claim (any of them), when set (always set with {@link jwksUrl}). */
  audience?: string | string[];
  /**
   * Tolerance for `exp`/`nbf` against this node's clock, in milliseconds.
   * @defaultValue `5000`
   */
  clockToleranceMs?: number;
}

/**
 * Development authentication, LOCAL ONLY: the identity is whatever the `X-Dev-Sender` and
 * `X-Dev-Roles` (and `X-Dev-Tenant`) headers say. Anyone who can reach the port can act as anyone.
 */
export interface DevAuthOptions {
  mode: 'dev';
}

/** Headers that carry the parts of the event context a gateway knows (all case-insensitive). */
export interface ContextHeaderOptions {
  /**
   * Trust level 0..3. Read only in `dev` mode; in `jwt` mode the `trust_level` claim decides.
   * @defaultValue `'X-Trust-Level'`
   */
  trustLevel?: string;
  /**
   * ISO 3166-1 alpha-2 country of the request; a `geo` claim in the token wins over it.
   * @defaultValue `'X-Geo'`
   */
  geo?: string;
  /**
   * Channel (e.g. `mobile`, `web`, `branch`); a `channel` claim in the token wins over it.
   * @defaultValue `'X-Channel'`
   */
  channel?: string;
}

/**
 * Rate limits of the protected routes, kept in this node's memory: behind a gateway that spreads
 * requests over N API nodes, a caller gets up to N times the budget (quotas across the cluster
 * belong to the gateway).
 */
export interface RateLimitOptions {
  /**
   * Whose requests one budget counts: each `sender` (within its tenant), each `tenant` (all its
   * senders together), or `off`.
   * @defaultValue `'sender'`
   */
  by?: 'sender' | 'tenant' | 'off';
  /**
   * Requests one budget allows per minute, on this node. Reads (GET) and writes have a budget
   * each, so a client polling what it sent is not refused for having sent a lot. The default lets
   * a service client drive about 1,000 events a second through one node (roughly half of what a
   * node handles) while a runaway caller cannot take all of it.
   * @defaultValue `60000`
   */
  perMinute?: number;
  /**
   * Senders never limited (e.g. a trusted batch client), in either mode.
   * @defaultValue `[]`
   */
  exemptSenders?: string[];
}

/** Options of {@link buildApi}; validated once at start, bad values fail with `JE_CONFIG_INVALID`. */
export interface ApiOptions {
  auth: JwtAuthOptions | DevAuthOptions;
  contextHeaders?: ContextHeaderOptions;
  /**
   * IP addresses and CIDR ranges (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`) of the gateways whose
   * channel and geo headers ({@link ContextHeaderOptions}) are trusted, judged by the TCP peer's
   * address (a forwarded-for header cannot claim it). From any other peer those headers are
   * ignored. With none configured: ignored in `jwt` mode (only the token's claims count), read
   * from every peer in `dev` mode.
   * @defaultValue `[]`
   */
  trustedGateways?: string[];
  /**
   * Channel recorded when neither a claim nor the channel header names one.
   * @defaultValue `'api'`
   */
  defaultChannel?: string;
  /**
   * Largest accepted request body, in bytes; larger → 413.
   * @defaultValue `65536`
   */
  bodyLimitBytes?: number;
  /**
   * Largest accepted version bundle (`POST /deployments`), in bytes: a bundle carries its compiled
   * journey, JSON Schemas and processors; larger → 413.
   * @defaultValue `4194304` (4 MiB)
   */
  deployBodyLimitBytes?: number;
  /**
   * Deepest accepted JSON nesting of a request body (the body object itself is depth 1); deeper → 400.
   * @defaultValue `32`
   */
  maxJsonDepth?: number;
  /**
   * Longest `?wait=` a client may ask for, in milliseconds; larger → 400.
   * @defaultValue `30000`
   */
  maxWaitMs?: number;
  rateLimit?: RateLimitOptions;
  /**
   * Roles that may read journeys whose version declares no `read allow` rule (a version that
   * declares rules is read by whom they grant, these roles included only if they say so).
   * @defaultValue `['operator']`
   */
  undeclaredReadRoles?: string[];
  /**
   * The tenants served and the journey types each may use (`pfm/wallet`, `pfm/*`, `*`). When set,
   * a tenant not listed is refused (403) and a tenant starts, searches and reads only its types.
   * @defaultValue every tenant, every type
   */
  tenants?: Record<string, { journeyTypes: string[] }>;
  /**
   * Serves the browsable OpenAPI UI at `/docs`.
   * @defaultValue `true`
   */
  docs?: boolean;
  /**
   * Calls `engine.stop()` when the server closes (for a CLI that hands the engine over).
   * @defaultValue `false`
   */
  stopEngineOnClose?: boolean;
}

/** {@link ApiOptions} with every default applied; deep-frozen. */
export interface ResolvedApiOptions {
  auth:
    | Readonly<Required<Omit<JwtAuthOptions, 'issuer' | 'audience' | 'jwksUrl'>> & Pick<JwtAuthOptions, 'issuer' | 'audience' | 'jwksUrl'>>
    | Readonly<DevAuthOptions>;
  contextHeaders: Readonly<Required<ContextHeaderOptions>>;
  trustedGateways: readonly string[];
  defaultChannel: string;
  bodyLimitBytes: number;
  deployBodyLimitBytes: number;
  maxJsonDepth: number;
  maxWaitMs: number;
  rateLimit: Readonly<Required<RateLimitOptions>>;
  undeclaredReadRoles: readonly string[];
  tenants?: Readonly<Record<string, { journeyTypes: readonly string[] }>>;
  docs: boolean;
  stopEngineOnClose: boolean;
}

const headerName = { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } as const;

/** The JSON Schema of {@link ApiOptions}: inline defaults, no unknown settings. */
export const API_OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['auth'],
  properties: {
    auth: {
      type: 'object',
      required: ['mode'],
      properties: { mode: { enum: ['jwt', 'dev'] } },
      if: { properties: { mode: { const: 'jwt' } } },
      then: {
        additionalProperties: false,
        properties: {
          mode: { const: 'jwt' },
          secrets: { type: 'array', default: [], items: { type: 'string', minLength: 32 } },
          publicKeys: { type: 'array', default: [], items: { type: 'string', minLength: 1 } },
          jwksUrl: { type: 'string', minLength: 1 },
          jwksCooldownMs: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 30_000 },
          jwksCacheMaxAgeMs: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 600_000 },
          issuer: { type: 'string', minLength: 1 },
          audience: {
            anyOf: [
              { type: 'string', minLength: 1 },
              { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
            ],
          },
          clockToleranceMs: { type: 'integer', minimum: 0, maximum: 300_000, default: 5000 },
        },
        // An identity provider's key set signs the tokens of every application it serves.
        dependencies: { jwksUrl: ['issuer', 'audience'] },
      },
      else: { additionalProperties: false, properties: { mode: { const: 'dev' } } },
    },
    contextHeaders: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        trustLevel: { ...headerName, default: 'X-Trust-Level' },
        geo: { ...headerName, default: 'X-Geo' },
        channel: { ...headerName, default: 'X-Channel' },
      },
    },
    trustedGateways: { type: 'array', default: [], items: { type: 'string', minLength: 1 } },
    defaultChannel: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'api' },
    bodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 16 * 1024 * 1024, default: 64 * 1024 },
    deployBodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 64 * 1024 * 1024, default: 4 * 1024 * 1024 },
    maxJsonDepth: { type: 'integer', minimum: 2, maximum: 256, default: 32 },
    maxWaitMs: { type: 'integer', minimum: 0, maximum: 600_000, default: 30_000 },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        by: { enum: ['sender', 'tenant', 'off'], default: 'sender' },
        perMinute: { type: 'integer', minimum: 1, maximum: 100_000_000, default: 60_000 },
        exemptSenders: { type: 'array', default: [], items: { type: 'string', minLength: 1 } },
      },
    },
    undeclaredReadRoles: { type: 'array', default: ['operator'], maxItems: 32, items: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' } },
    tenants: {
      type: 'object',
      maxProperties: 10_000,
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['journeyTypes'],
        properties: {
          journeyTypes: { type: 'array', maxItems: 1000, items: { type: 'string', pattern: '^(\\*|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*(/\\*)?)$' } },
        },
      },
    },
    docs: { type: 'boolean', default: true },
    stopEngineOnClose: { type: 'boolean', default: false },
  },
} as const;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validateOptions = ajv.compile(API_OPTIONS_SCHEMA);

function settingName(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).join('.');
  const params = error.params as { additionalProperty?: string; missingProperty?: string };
  const leaf = params.additionalProperty ?? params.missingProperty;
  return leaf === undefined ? path : path === '' ? leaf : `${path}.${leaf}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Key material of `jwt` mode, parsed once at start (the JWKS is fetched on first use). */
export interface JwtKeys {
  secrets: Uint8Array[];
  publicKeys: KeyObject[];
  jwksUrl?: URL;
}

/** Parses the configured keys; a key that does not parse fails start naming its setting. */
export function loadJwtKeys(auth: JwtAuthOptions): JwtKeys {
  const secrets = (auth.secrets ?? []).map((secret) => new TextEncoder().encode(secret));
  const publicKeys = (auth.publicKeys ?? []).map((pem, index) => {
    try {
      const key = createPublicKey(pem);
      if (!['rsa', 'rsa-pss', 'ec', 'ed25519'].includes(key.asymmetricKeyType ?? '')) {
        throw new Error(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
      }
      return key;
    } catch (error) {
      throw new JourneyError('JE_CONFIG_INVALID', `auth.publicKeys[${index}] is not a usable PEM public key`, {
        cause: error,
        details: { setting: `auth.publicKeys[${index}]` },
      });
    }
  });
  if (auth.jwksUrl !== undefined) {
    const problem = httpsUrlProblem(auth.jwksUrl);
    if (problem !== undefined) {
      throw new JourneyError('JE_CONFIG_INVALID', `API setting auth.jwksUrl ${problem}`, { details: { setting: 'auth.jwksUrl' } });
    }
    return { secrets, publicKeys, jwksUrl: new URL(auth.jwksUrl) };
  }
  if (secrets.length === 0 && publicKeys.length === 0) {
    throw new JourneyError('JE_CONFIG_INVALID', 'auth.jwksUrl, auth.secrets or auth.publicKeys must name the keys that verify tokens in jwt mode', {
      details: { setting: 'auth.jwksUrl' },
    });
  }
  return { secrets, publicKeys };
}

/**
 * Validates options against {@link API_OPTIONS_SCHEMA}, applies the defaults and freezes the
 * result. Throws `JE_CONFIG_INVALID` naming every bad setting; values are never silently changed.
 */
export function resolveApiOptions(options: ApiOptions): ResolvedApiOptions {
  const copy: unknown = structuredClone(options);
  if (!validateOptions(copy)) {
    const violations = (validateOptions.errors ?? [])
      .filter((error) => error.keyword !== 'if')
      .map((error) => ({ setting: settingName(error), message: error.message ?? 'is invalid' }));
    const first = violations[0];
    throw new JourneyError('JE_CONFIG_INVALID', first ? `API setting ${first.setting || '(root)'} ${first.message}` : 'API options are invalid', {
      details: { violations },
    });
  }
  const resolved = copy as ResolvedApiOptions;
  if (resolved.auth.mode === 'jwt') loadJwtKeys(resolved.auth);
  const badGateway = invalidAddressRange(resolved.trustedGateways);
  if (badGateway !== -1) {
    const setting = `trustedGateways[${badGateway}]`;
    throw new JourneyError('JE_CONFIG_INVALID', `API setting ${setting} is not an IP address or CIDR range: ${resolved.trustedGateways[badGateway]}`, {
      details: { setting },
    });
  }
  return deepFreeze(resolved);
}
