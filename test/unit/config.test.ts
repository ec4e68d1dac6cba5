import { describe, expect, it } from 'vitest';
import { isJourneyError, loadConfig } from '../../common/index.js';

describe('configuration', () => {
  it('has working defaults with nothing set', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      redisUrls: [],
      mariadbDefaultUrl: 'mariadb://root@127.0.0.1:3306/journeys',
      mariadbDir: '.data/mariadb',
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      partitions: 64,
      leaseTtlMs: 10_000,
      clockSkewWarnMs: 1_000,
      roles: ['api', 'worker'],
      authMode: 'dev',
      gridKeyPrefix: 'je',
      shutdownTimeoutMs: 10_000,
    });
    // Unset on purpose: serve then uses the default address if it answers, else a private server.
    expect(config.mariadbUrl).toBeUndefined();
    expect(config.nodeId).toMatch(/^[A-Za-z0-9._-]+-\d+$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads environment variables, and flags win over them', () => {
    const config = loadConfig(['--port', '4001', '--roles=worker'], { PORT: '4000', REDIS_URL: 'redis://a:1, redis://b:2', NODE_ID: 'n1', ROLES: 'api' });
    expect(config).toMatchObject({ port: 4001, redisUrls: ['redis://a:1', 'redis://b:2'], nodeId: 'n1', roles: ['worker'] });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT (--port)'],
    [{ PORT: '70000' }, 'PORT (--port)'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL (--redis-url)'],
    [{ MARIADB_URL: 'mysql://x' }, 'MARIADB_URL (--mariadb-url)'],
    [{ ROLES: 'api,cook' }, 'ROLES (--roles)'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL (--log-level)'],
    [{ NODE_ID: 'has space' }, 'NODE_ID (--node-id)'],
    [{ LEASE_TTL_MS: '10' }, 'LEASE_TTL_MS (--lease-ttl-ms)'],
    [{ CLOCK_SKEW_WARN_MS: '0' }, 'CLOCK_SKEW_WARN_MS (--clock-skew-warn-ms)'],
    [{ SHUTDOWN_TIMEOUT_MS: '10' }, 'SHUTDOWN_TIMEOUT_MS (--shutdown-timeout-ms)'],
    [{ MARIADB_DEFAULT_URL: '127.0.0.1:3306' }, 'MARIADB_DEFAULT_URL (--mariadb-default-url)'],
    [{ ADVERTISE_URL: '10.0.0.7:3000' }, 'ADVERTISE_URL (--advertise-url)'],
    [{ ADVERTISE_URL: 'http://10.0.0.7:3000/api' }, 'ADVERTISE_URL (--advertise-url)'],
  ])('refuses %o naming the setting', (env, named) => {
    try {
      loadConfig([], env);
      expect.unreachable('should have failed');
    } catch (error) {
      expect(isJourneyError(error, 'JE_CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain(named);
    }
  });

  it('takes the base URL a node advertises to clients, unset by default', () => {
    expect(loadConfig([], {})).not.toHaveProperty('advertiseUrl');
    expect(loadConfig([], { ADVERTISE_URL: 'http://10.0.0.7:3000' }).advertiseUrl).toBe('http://10.0.0.7:3000');
    expect(loadConfig(['--advertise-url', 'https://[::1]:8443/'], {}).advertiseUrl).toBe('https://[::1]:8443/');
  });

  it('names back ends by a module and a file, and leaves both unset by default (the simulated example back ends)', () => {
    expect(loadConfig([], {})).not.toHaveProperty('backendsModule');
    expect(loadConfig([], {})).not.toHaveProperty('backendsConfig');
    const config = loadConfig(['--backends-config', 'conf/backends.json'], { BACKENDS_MODULE: 'lib/backends.mjs' });
    expect(config).toMatchObject({ backendsModule: 'lib/backends.mjs', backendsConfig: 'conf/backends.json' });
  });

  it('refuses unknown flags and jwt mode without secrets', () => {
    expect(() => loadConfig(['--prot', '1'], {})).toThrow(/unknown option --prot/);
    expect(() => loadConfig(['--port'], {})).toThrow(/needs a value/);
    expect(() => loadConfig([], { AUTH_MODE: 'jwt' })).toThrow(/JWT_SECRETS/);
    expect(loadConfig([], { AUTH_MODE: 'jwt', JWT_PUBLIC_KEY_FILES: '/etc/keys/a.pem,/etc/keys/b.pem' }).jwtPublicKeyFiles).toEqual([
      '/etc/keys/a.pem',
      '/etc/keys/b.pem',
    ]);
  });
});

describe('GRID_SECRET', () => {
  it('is taken when 32+ characters, and a shorter one is refused naming the setting, never echoing it', () => {
    const secret = 'k'.repeat(40);
    expect(loadConfig([], { GRID_SECRET: secret }).gridSecret).toBe(secret);
    expect(loadConfig([], {}).gridSecret).toBeUndefined();
    try {
      loadConfig([], { GRID_SECRET: 'short-grid-secret' });
      expect.unreachable('should have failed');
    } catch (error) {
      expect(isJourneyError(error, 'JE_CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('GRID_SECRET (--grid-secret)');
      expect((error as Error).message).not.toContain('short-grid-secret');
    }
  });
});

describe('the edge settings of a production node', () => {
  const refusal = (argv: string[], env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig(argv, env);
    } catch (error) {
      expect(isJourneyError(error, 'JE_CONFIG_INVALID'), String(error)).toBe(true);
      return (error as Error).message;
    }
    return expect.unreachable('the configuration should have been refused');
  };

  it.each(['0.0.0.0', '::', '10.0.0.5', 'fd00::1', 'api.internal'])('dev mode refuses HOST=%s, naming AUTH_MODE, HOST and the way out', (host) => {
    const message = refusal([], { HOST: host });
    expect(message).toContain('AUTH_MODE');
    expect(message).toContain(`HOST (--host) is ${host}`);
    expect(message).toMatch(/AUTH_MODE=jwt/);
    expect(message).toMatch(/HOST=127\.0\.0\.1/);
    expect(refusal(['--host', host, '--auth-mode', 'dev'], {})).toContain('AUTH_MODE');
  });

  it('dev mode binds loopback addresses; a worker-only node, jwt mode or the explicit opt-in bind anywhere', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) expect(loadConfig([], { HOST: host }).host).toBe(host);
    // A worker-only node serves the unauthenticated operations routes alone: nothing to impersonate.
    expect(loadConfig([], { HOST: '0.0.0.0', ROLES: 'worker' }).roles).toEqual(['worker']);
    expect(loadConfig([], { HOST: '0.0.0.0', AUTH_MODE: 'jwt', JWT_SECRETS: 'x'.repeat(32) }).authMode).toBe('jwt');
    expect(loadConfig([], { HOST: '0.0.0.0', UNSAFE_DEV_AUTH_ON_NETWORK: 'true' }).unsafeDevAuthOnNetwork).toBe(true);
    expect(refusal([], { HOST: '0.0.0.0', UNSAFE_DEV_AUTH_ON_NETWORK: 'false' })).toContain('AUTH_MODE');
    expect(refusal([], { HOST: '0.0.0.0', UNSAFE_DEV_AUTH_ON_NETWORK: 'yes please' })).toContain('UNSAFE_DEV_AUTH_ON_NETWORK');
  });

  it('reads the JWKS, gateway and rate-limit settings', () => {
    const config = loadConfig([], {
      AUTH_MODE: 'jwt',
      JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      JWT_ISSUER: 'https://idp.example/',
      JWT_AUDIENCE: 'journeys',
      TRUSTED_GATEWAYS: '10.0.0.0/8, 192.168.1.7,fd00::/8',
      RATE_LIMIT: 'tenant',
      RATE_LIMIT_PER_MINUTE: '120000',
      RATE_LIMIT_EXEMPT_SENDERS: 'batch,reconciler',
    });
    expect(config).toMatchObject({
      jwtJwksUrl: 'https://idp.example/.well-known/jwks.json',
      trustedGateways: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'],
      rateLimit: 'tenant',
      rateLimitPerMinute: 120_000,
      rateLimitExemptSenders: ['batch', 'reconciler'],
    });
    expect(loadConfig([], {})).toMatchObject({ trustedGateways: [], rateLimit: 'sender', rateLimitPerMinute: 60_000, rateLimitExemptSenders: [] });
    expect(loadConfig(['--rate-limit', 'off'], {}).rateLimit).toBe('off');
  });

  it.each<[NodeJS.ProcessEnv, string]>([
    [{ AUTH_MODE: 'jwt' }, 'JWT_JWKS_URL'],
    [{ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'https://idp.example/jwks', JWT_AUDIENCE: 'journeys' }, 'JWT_ISSUER'],
    [{ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'https://idp.example/jwks', JWT_ISSUER: 'https://idp.example/' }, 'JWT_AUDIENCE'],
    [{ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'http://idp.example/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, 'JWT_JWKS_URL (--jwt-jwks-url) must be an https URL'],
    [{ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'not a url', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, 'JWT_JWKS_URL (--jwt-jwks-url)'],
    [{ TRUSTED_GATEWAYS: '10.0.0.0/33' }, 'TRUSTED_GATEWAYS (--trusted-gateways): 10.0.0.0/33'],
    [{ TRUSTED_GATEWAYS: 'gateway.internal' }, 'TRUSTED_GATEWAYS (--trusted-gateways): gateway.internal'],
    [{ RATE_LIMIT: 'ip' }, 'RATE_LIMIT (--rate-limit)'],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, 'RATE_LIMIT_PER_MINUTE (--rate-limit-per-minute)'],
  ])('refuses %o naming %s', (env, named) => {
    expect(refusal([], env)).toContain(named);
  });

  it('takes a JWKS over http only from a loopback address (a local identity provider)', () => {
    const env = { AUTH_MODE: 'jwt', JWT_JWKS_URL: 'http://127.0.0.1:8080/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' };
    expect(loadConfig([], env).jwtJwksUrl).toBe('http://127.0.0.1:8080/jwks');
  });
});

describe('who may read: UNDECLARED_READ_ROLES and TENANTS', () => {
  it('defaults to the operator role and every tenant', () => {
    const config = loadConfig([], {});
    expect(config.undeclaredReadRoles).toEqual(['operator']);
    expect(config.tenants).toBeUndefined();
  });

  it('reads a role list and a JSON map of tenants to journey types', () => {
    const config = loadConfig(['--tenants', '{"bank-a":{"journeyTypes":["pfm/*"]}}'], { UNDECLARED_READ_ROLES: 'operator, auditor' });
    expect(config.undeclaredReadRoles).toEqual(['operator', 'auditor']);
    expect(config.tenants).toEqual({ 'bank-a': { journeyTypes: ['pfm/*'] } });
  });

  it.each([
    ['not JSON', 'bank-a=pfm/*'],
    ['journeyTypes missing', '{"bank-a":{}}'],
    ['journeyTypes not a list', '{"bank-a":{"journeyTypes":"pfm/*"}}'],
  ])('refuses TENANTS that is %s, naming the setting', (_case, value) => {
    expect(() => loadConfig([], { TENANTS: value })).toThrow(/TENANTS/);
  });
});
