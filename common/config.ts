/**
 * The engine's configuration: one JSON Schema (defaults inline, no unknown keys), read from
 * environment variables and command-line flags, validated by ajv at start, then frozen.
 * A wrong value fails at start with a message that names the setting.
 */
import { Ajv } from 'ajv';
import { hostname } from 'node:os';
import { JourneyError } from './errors.js';
import { httpsUrlProblem, invalidAddressRange, isLoopbackHost } from './network.js';

export interface EngineConfig {
  /** Redis seed URLs (comma-separated); empty starts the local embedded grid. Env `REDIS_URL`. */
  redisUrls: string[];
  /**
   * The system of record. Env `MARIADB_URL`. Unset: {@link mariadbDefaultUrl} when a server answers
   * there, else a private server started from the installed MariaDB binaries in {@link mariadbDir}.
   */
  mariadbUrl?: string;
  /** Tried when MARIADB_URL is unset. Env `MARIADB_DEFAULT_URL`. @defaultValue `mariadb://root@127.0.0.1:3306/journeys` */
  mariadbDefaultUrl: string;
  /** Where a private MariaDB keeps its data, when one is started. Env `MARIADB_DIR`. @defaultValue `.data/mariadb` */
  mariadbDir: string;
  /** HTTP port. Env `PORT`. @defaultValue 3000 */
  port: number;
  /** HTTP bind address. Env `HOST`. @defaultValue `127.0.0.1` */
  host: string;
  /** Env `LOG_LEVEL`. @defaultValue `info` */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Env `NODE_ID`. @defaultValue `<hostname>-<pid>` */
  nodeId: string;
  /** Root folder of the journey definitions. Env `JOURNEYS_DIR`. @defaultValue `journeys` */
  journeysDir: string;
  /**
   * Which journey versions this node's worker hosts: `all` (the ones under JOURNEYS_DIR and every
   * version deployed to the store later) or `carried` (only the ones under JOURNEYS_DIR: a
   * version image). Env `HOST_VERSIONS`. @defaultValue `all`
   */
  hostVersions: 'all' | 'carried';
  /** Fixed when the store is first used. Env `PARTITIONS`. @defaultValue 64 */
  partitions: number;
  /** Partition lease time to live. Env `LEASE_TTL_MS`. @defaultValue 10000 */
  leaseTtlMs: number;
  /** A skew of this node's clock to the database's past this is logged as a warning. Env `CLOCK_SKEW_WARN_MS`. @defaultValue 1000 */
  clockSkewWarnMs: number;
  /** What this process does. Env `ROLES`. @defaultValue `api,worker` */
  roles: Array<'api' | 'worker'>;
  /**
   * `dev` takes the sender from X-Dev-Sender headers: local use only, so a node with the `api` role
   * in dev mode refuses a non-loopback {@link host}. Env `AUTH_MODE`. @defaultValue `dev`
   */
  authMode: 'dev' | 'jwt';
  /**
   * Lets dev mode listen on a non-loopback `HOST` anyway: only for a container whose port is
   * published on the host's loopback alone. Env `UNSAFE_DEV_AUTH_ON_NETWORK`. @defaultValue false
   */
  unsafeDevAuthOnNetwork: boolean;
  /** HS256 secret(s), comma-separated. Env `JWT_SECRETS`. */
  jwtSecrets: string[];
  /** Files of PEM public keys (RSA, EC, Ed25519), comma-separated. Env `JWT_PUBLIC_KEY_FILES`. */
  jwtPublicKeyFiles: string[];
  /**
   * The identity provider's JSON Web Key Set (https; http only to a loopback address): cached,
   * refetched when a token names a key id it lacks. Needs JWT_ISSUER and JWT_AUDIENCE. Env `JWT_JWKS_URL`.
   */
  jwtJwksUrl?: string;
  /** Required `iss` of every token. Env `JWT_ISSUER`. */
  jwtIssuer?: string;
  /** Required `aud` of every token. Env `JWT_AUDIENCE`. */
  jwtAudience?: string;
  /**
   * IP addresses and CIDR ranges of the gateways whose channel and geo headers are trusted
   * (comma-separated). Env `TRUSTED_GATEWAYS`. @defaultValue none
   */
  trustedGateways: string[];
  /** Whose requests a rate-limit budget counts: `sender`, `tenant`, or `off`. Env `RATE_LIMIT`. @defaultValue `sender` */
  rateLimit: 'sender' | 'tenant' | 'off';
  /** Requests per minute of one budget (reads and writes apart), on this node. Env `RATE_LIMIT_PER_MINUTE`. @defaultValue 60000 */
  rateLimitPerMinute: number;
  /** Senders no limit applies to (comma-separated). Env `RATE_LIMIT_EXEMPT_SENDERS`. */
  rateLimitExemptSenders: string[];
  /**
   * Roles that read journeys whose version declares no read rule (comma-separated).
   * Env `UNDECLARED_READ_ROLES`. @defaultValue `operator`
   */
  undeclaredReadRoles: string[];
  /**
   * The tenants served and the journey types each may use, as JSON:
   * `{"bank-a":{"journeyTypes":["pfm/*"]}}`. Env `TENANTS`. @defaultValue every tenant, every type
   */
  tenants?: Record<string, { journeyTypes: string[] }>;
  /** Env `BODY_LIMIT_BYTES`. @defaultValue 65536 */
  bodyLimitBytes: number;
  /** Where the embedded grid keeps its data. Env `GRID_DIR`. @defaultValue `.data/grid` */
  gridDir: string;
  /** First port of the embedded grid. Env `GRID_PORT_BASE`. @defaultValue 7101 */
  gridPortBase: number;
  /** Namespace of every Redis key, so several engines can share one grid. Env `GRID_KEY_PREFIX`. @defaultValue `je` */
  gridKeyPrefix: string;
  /**
   * The key of the MACs on what nodes keep in Redis (inbox messages, hot state, call jobs), 32+
   * characters, the same on every node of a store; Redis never holds it and it is never logged.
   * Env `GRID_SECRET`. @defaultValue the store's own, generated once in MariaDB (`cluster_meta`)
   */
  gridSecret?: string;
  /** The whole shutdown after SIGINT/SIGTERM, every step bounded within it. Env `SHUTDOWN_TIMEOUT_MS`. @defaultValue 10000 */
  shutdownTimeoutMs: number;
  /**
   * An ES module whose default export (or `backends` export) holds the back-end handlers by call
   * name, or a function returning them. Env `BACKENDS_MODULE`. With neither this nor
   * {@link backendsConfig}, calls go to the simulated example back ends.
   */
  backendsModule?: string;
  /** A JSON file describing HTTP back ends per call name and circuit breakers per system. Env `BACKENDS_CONFIG`. */
  backendsConfig?: string;
  /** A JSON file of webhooks fed from the published events (README, "Published events"). Env `WEBHOOKS_CONFIG`. */
  webhooksConfig?: string;
  /**
   * The base URL clients reach this node's API at (`http(s)://host[:port]`, no path), advertised
   * to the other nodes so answers about the journeys it owns carry it in `X-Journey-Owner-Url`.
   * Env `ADVERTISE_URL`. @defaultValue none (answers name the owner's NODE_ID only)
   */
  advertiseUrl?: string;
}

/** setting name → [environment variable, flag] */
export const CONFIG_SOURCES: Record<keyof EngineConfig, [string, string]> = {
  redisUrls: ['REDIS_URL', '--redis-url'],
  mariadbUrl: ['MARIADB_URL', '--mariadb-url'],
  mariadbDefaultUrl: ['MARIADB_DEFAULT_URL', '--mariadb-default-url'],
  mariadbDir: ['MARIADB_DIR', '--mariadb-dir'],
  port: ['PORT', '--port'],
  host: ['HOST', '--host'],
  logLevel: ['LOG_LEVEL', '--log-level'],
  nodeId: ['NODE_ID', '--node-id'],
  journeysDir: ['JOURNEYS_DIR', '--journeys'],
  hostVersions: ['HOST_VERSIONS', '--host-versions'],
  partitions: ['PARTITIONS', '--partitions'],
  leaseTtlMs: ['LEASE_TTL_MS', '--lease-ttl-ms'],
  clockSkewWarnMs: ['CLOCK_SKEW_WARN_MS', '--clock-skew-warn-ms'],
  roles: ['ROLES', '--roles'],
  authMode: ['AUTH_MODE', '--auth-mode'],
  unsafeDevAuthOnNetwork: ['UNSAFE_DEV_AUTH_ON_NETWORK', '--unsafe-dev-auth-on-network'],
  jwtSecrets: ['JWT_SECRETS', '--jwt-secrets'],
  jwtPublicKeyFiles: ['JWT_PUBLIC_KEY_FILES', '--jwt-public-key-files'],
  jwtJwksUrl: ['JWT_JWKS_URL', '--jwt-jwks-url'],
  jwtIssuer: ['JWT_ISSUER', '--jwt-issuer'],
  jwtAudience: ['JWT_AUDIENCE', '--jwt-audience'],
  trustedGateways: ['TRUSTED_GATEWAYS', '--trusted-gateways'],
  rateLimit: ['RATE_LIMIT', '--rate-limit'],
  rateLimitPerMinute: ['RATE_LIMIT_PER_MINUTE', '--rate-limit-per-minute'],
  rateLimitExemptSenders: ['RATE_LIMIT_EXEMPT_SENDERS', '--rate-limit-exempt-senders'],
  undeclaredReadRoles: ['UNDECLARED_READ_ROLES', '--undeclared-read-roles'],
  tenants: ['TENANTS', '--tenants'],
  bodyLimitBytes: ['BODY_LIMIT_BYTES', '--body-limit-bytes'],
  gridDir: ['GRID_DIR', '--grid-dir'],
  gridPortBase: ['GRID_PORT_BASE', '--grid-port-base'],
  gridKeyPrefix: ['GRID_KEY_PREFIX', '--grid-key-prefix'],
  gridSecret: ['GRID_SECRET', '--grid-secret'],
  shutdownTimeoutMs: ['SHUTDOWN_TIMEOUT_MS', '--shutdown-timeout-ms'],
  backendsModule: ['BACKENDS_MODULE', '--backends-module'],
  backendsConfig: ['BACKENDS_CONFIG', '--backends-config'],
  webhooksConfig: ['WEBHOOKS_CONFIG', '--webhooks-config'],
  advertiseUrl: ['ADVERTISE_URL', '--advertise-url'],
};

const LIST_SETTINGS = new Set<keyof EngineConfig>([
  'redisUrls',
  'roles',
  'jwtSecrets',
  'jwtPublicKeyFiles',
  'trustedGateways',
  'rateLimitExemptSenders',
  'undeclaredReadRoles',
]);

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    redisUrls: { type: 'array', items: { type: 'string', pattern: '^rediss?://[^\\s]+$' }, default: [] },
    mariadbUrl: { type: 'string', pattern: '^mariadb://[^\\s]+$' },
    mariadbDefaultUrl: { type: 'string', pattern: '^mariadb://[^\\s]+$', default: 'mariadb://root@127.0.0.1:3306/journeys' },
    mariadbDir: { type: 'string', minLength: 1, default: '.data/mariadb' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    host: { type: 'string', minLength: 1, default: '127.0.0.1' },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    nodeId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,60}$' },
    journeysDir: { type: 'string', minLength: 1, default: 'journeys' },
    hostVersions: { enum: ['all', 'carried'], default: 'all' },
    partitions: { type: 'integer', minimum: 1, maximum: 4096, default: 64 },
    leaseTtlMs: { type: 'integer', minimum: 500, maximum: 600000, default: 10000 },
    clockSkewWarnMs: { type: 'integer', minimum: 1, maximum: 86400000, default: 1000 },
    roles: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['api', 'worker'] }, default: ['api', 'worker'] },
    authMode: { enum: ['dev', 'jwt'], default: 'dev' },
    unsafeDevAuthOnNetwork: { type: 'boolean', default: false },
    jwtSecrets: { type: 'array', items: { type: 'string', minLength: 32 }, default: [] },
    jwtPublicKeyFiles: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    jwtJwksUrl: { type: 'string', minLength: 1 },
    jwtIssuer: { type: 'string', minLength: 1 },
    jwtAudience: { type: 'string', minLength: 1 },
    trustedGateways: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    rateLimit: { enum: ['sender', 'tenant', 'off'], default: 'sender' },
    rateLimitPerMinute: { type: 'integer', minimum: 1, maximum: 100_000_000, default: 60_000 },
    rateLimitExemptSenders: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    undeclaredReadRoles: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' }, default: ['operator'] },
    tenants: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['journeyTypes'],
        properties: { journeyTypes: { type: 'array', items: { type: 'string' } } },
      },
    },
    bodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 16777216, default: 65536 },
    gridDir: { type: 'string', minLength: 1, default: '.data/grid' },
    gridPortBase: { type: 'integer', minimum: 1024, maximum: 55000, default: 7101 },
    gridKeyPrefix: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'je' },
    gridSecret: { type: 'string', minLength: 32, maxLength: 1024 },
    shutdownTimeoutMs: { type: 'integer', minimum: 1000, maximum: 600000, default: 10000 },
    backendsModule: { type: 'string', minLength: 1 },
    backendsConfig: { type: 'string', minLength: 1 },
    webhooksConfig: { type: 'string', minLength: 1 },
    advertiseUrl: { type: 'string', pattern: '^https?://[A-Za-z0-9.:\\[\\]_-]{1,200}/?$' },
  },
  required: ['nodeId'],
} as const;

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true });
const validateConfig = ajv.compile(CONFIG_SCHEMA);

function settingOf(instancePath: string, params: Record<string, unknown>): keyof EngineConfig | undefined {
  const name = instancePath.split('/')[1] ?? (params.additionalProperty as string | undefined);
  return name as keyof EngineConfig | undefined;
}

/**
 * Reads flags (which win) and environment variables into a validated, frozen config.
 * Flags are `--name value` or `--name=value`.
 */
export function loadConfig(argv: string[] = [], env: NodeJS.ProcessEnv = process.env): Readonly<EngineConfig> {
  const raw: Record<string, unknown> = {
    nodeId: `${hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 40)}-${process.pid}`,
  };
  const flagToSetting = new Map(Object.entries(CONFIG_SOURCES).map(([setting, [, flag]]) => [flag, setting as keyof EngineConfig]));
  const put = (setting: keyof EngineConfig, value: string): void => {
    if (setting === 'tenants') {
      try {
        raw[setting] = JSON.parse(value) as unknown;
      } catch {
        throw invalid('tenants', '$SETTING must be JSON, e.g. {"bank-a":{"journeyTypes":["pfm/*"]}}');
      }
      return;
    }
    raw[setting] = LIST_SETTINGS.has(setting)
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v.length > 0)
      : value;
  };
  for (const [setting, [variable]] of Object.entries(CONFIG_SOURCES) as Array<[keyof EngineConfig, [string, string]]>) {
    const value = env[variable];
    if (value !== undefined && value !== '') put(setting, value);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const setting = flagToSetting.get(flag);
    if (!setting) throw new JourneyError('JE_CONFIG_INVALID', `unknown option ${flag}`, { details: { option: flag } });
    const value = inline ?? argv[++i];
    if (value === undefined) throw new JourneyError('JE_CONFIG_INVALID', `option ${flag} needs a value`, { details: { option: flag } });
    put(setting, value);
  }
  if (!validateConfig(raw)) {
    const problems = (validateConfig.errors ?? []).map((error) => {
      const setting = settingOf(error.instancePath, error.params as Record<string, unknown>);
      const source = setting ? CONFIG_SOURCES[setting] : undefined;
      return `${source ? `${source[0]} (${source[1]})` : error.instancePath || 'config'} ${error.message ?? 'is invalid'}`;
    });
    throw new JourneyError('JE_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, { details: { problems } });
  }
  const config = raw as unknown as EngineConfig;
  checkEdge(config);
  return Object.freeze(config);
}

function invalid(setting: keyof EngineConfig, message: string): JourneyError {
  const [variable, flag] = CONFIG_SOURCES[setting];
  return new JourneyError('JE_CONFIG_INVALID', message.replace('$SETTING', `${variable} (${flag})`), { details: { setting: variable } });
}

/** The settings of the API's edge that hold only together: keys for jwt mode, dev mode on loopback. */
function checkEdge(config: EngineConfig): void {
  const badGateway = invalidAddressRange(config.trustedGateways);
  if (badGateway !== -1) {
    throw invalid(
      'trustedGateways',
      `$SETTING: ${config.trustedGateways[badGateway]} is not an IP address or CIDR range (e.g. 10.0.0.7, 10.0.0.0/8, fd00::/8)`,
    );
  }
  if (config.authMode === 'jwt') {
    if (config.jwtSecrets.length === 0 && config.jwtPublicKeyFiles.length === 0 && config.jwtJwksUrl === undefined) {
      throw invalid(
        'jwtSecrets',
        "AUTH_MODE=jwt needs the keys that verify tokens: JWT_JWKS_URL (--jwt-jwks-url: the identity provider's key set), JWT_SECRETS (--jwt-secrets: HS256 secrets of 32+ characters) or JWT_PUBLIC_KEY_FILES (--jwt-public-key-files: PEM public keys)",
      );
    }
    if (config.jwtJwksUrl !== undefined) {
      const problem = httpsUrlProblem(config.jwtJwksUrl);
      if (problem !== undefined) throw invalid('jwtJwksUrl', `$SETTING ${problem}: ${config.jwtJwksUrl}`);
      // An identity provider's key set signs the tokens of every application it serves.
      for (const setting of ['jwtIssuer', 'jwtAudience'] as const) {
        if (config[setting] === undefined) {
          throw invalid(setting, `$SETTING is required with JWT_JWKS_URL: the key set signs tokens for every application of the identity provider`);
        }
      }
    }
  }
  if (config.authMode === 'dev' && config.roles.includes('api') && !isLoopbackHost(config.host) && !config.unsafeDevAuthOnNetwork) {
    throw invalid(
      'host',
      `AUTH_MODE (--auth-mode) is dev, which takes the sender, roles and trust level from the X-Dev-Sender, X-Dev-Roles and X-Trust-Level headers of any caller, and $SETTING is ${config.host}, not a loopback address: anyone who reaches the port could act as anyone. ` +
        'For an API others reach, set AUTH_MODE=jwt with JWT_JWKS_URL (or JWT_SECRETS / JWT_PUBLIC_KEY_FILES); for local use, HOST=127.0.0.1. ' +
        "(In a container whose port is published only on the host's loopback, UNSAFE_DEV_AUTH_ON_NETWORK=true allows it.)",
    );
  }
}
