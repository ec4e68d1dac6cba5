import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/index.js';
import { buildApi, type ApiOptions } from '../../api/index.js';
import { FakeEngine, TEST_SECRET, post } from './api-helpers.js';

const OPEN_URL = '/journeys/pfm/wallet/1.0/events';
const OPEN = { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } };
const secret = new TextEncoder().encode(TEST_SECRET);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: typeof rsa.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();

function jwtApi(auth: Partial<Extract<ApiOptions['auth'], { mode: 'jwt' }>> = {}, options: Partial<ApiOptions> = {}) {
  const engine = new FakeEngine();
  const app = buildApi(
    engine,
    {
      ...options,
      auth: {
        mode: 'jwt',
        secrets: [TEST_SECRET],
        publicKeys: [pem(rsa.publicKey), pem(ec.publicKey)],
        issuer: 'https://idp.test',
        audience: 'journeys',
        ...auth,
      },
      docs: false,
    },
    silentLogger(),
  );
  return { app, engine };
}

async function token(claims: JWTPayload, options: { alg?: string; expiresIn?: string | number; key?: Uint8Array | typeof rsa.privateKey } = {}) {
  const alg = options.alg ?? 'HS256';
  let jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().setIssuer('https://idp.test').setAudience('journeys');
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  else jwt = jwt.setExpirationTime('5m');
  return jwt.sign(options.key ?? secret);
}

function bearer(jwt: string, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${jwt}`, ...extra };
}

describe('jwt mode', () => {
  it('takes sender, roles and trust level from the token; ignores the trust-level header', async () => {
    // The injected requests come from 127.0.0.1: here, the gateway.
    const { app, engine } = jwtApi({}, { trustedGateways: ['127.0.0.1'] });
    const jwt = await token({ sub: 'cust-42', roles: ['customer', 'premium'], trust_level: 2 });
    const res = await post(app, OPEN_URL, OPEN, bearer(jwt, { 'x-trust-level': '3', 'x-dev-sender': 'admin', 'x-channel': 'web', 'x-geo': 'FR' }));
    expect(res.statusCode).toBe(202);
    expect(engine.submitted[0]?.request.context).toEqual({
      sender: 'cust-42',
      roles: ['customer', 'premium'],
      trustLevel: 2,
      channel: 'web',
      geo: 'FR',
      origin: 'api',
    });
  });

  it('channel and geo claims win over the headers; trust level defaults to 0', async () => {
    const { app, engine } = jwtApi({}, { trustedGateways: ['127.0.0.1'] });
    const jwt = await token({ sub: 'cust-42', channel: 'mobile', geo: 'nl' });
    await post(app, OPEN_URL, OPEN, bearer(jwt, { 'x-channel': 'web', 'x-geo': 'FR' }));
    expect(engine.submitted[0]?.request.context).toMatchObject({ sender: 'cust-42', roles: [], trustLevel: 0, channel: 'mobile', geo: 'NL' });
  });

  it('verifies RS256 and ES256 tokens against the PEM public keys', async () => {
    const { app } = jwtApi();
    expect((await post(app, OPEN_URL, OPEN, bearer(await token({ sub: 'a' }, { alg: 'RS256', key: rsa.privateKey })))).statusCode).toBe(202);
    expect((await post(app, OPEN_URL, OPEN, bearer(await token({ sub: 'b' }, { alg: 'ES256', key: ec.privateKey })))).statusCode).toBe(202);
    expect((await post(app, OPEN_URL, OPEN, bearer(await token({ sub: 'c' }, { alg: 'PS256', key: rsa.privateKey })))).statusCode).toBe(202);
  });

  it.each<[string, () => Promise<Record<string, string>>]>([
    ['no Authorization header', () => Promise.resolve({})],
    ['a Basic header', () => Promise.resolve({ authorization: 'Basic YWxpY2U6cHc=' })],
    ['garbage', () => Promise.resolve({ authorization: 'Bearer not.a.jwt!' })],
    ['an expired token', async () => bearer(await token({ sub: 'a' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }))],
    ['a wrong secret', async () => bearer(await token({ sub: 'a' }, { key: new TextEncoder().encode('another-secret-of-at-least-32-characters!') }))],
    [
      'a token without exp',
      async () =>
        bearer(await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://idp.test').setAudience('journeys').sign(secret)),
    ],
    ['a token without sub', async () => bearer(await token({ roles: ['x'] }))],
    [
      'a wrong issuer',
      async () =>
        bearer(
          await new SignJWT({ sub: 'a' })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer('https://evil.test')
            .setAudience('journeys')
            .setExpirationTime('5m')
            .sign(secret),
        ),
    ],
    [
      'a wrong audience',
      async () =>
        bearer(
          await new SignJWT({ sub: 'a' })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer('https://idp.test')
            .setAudience('other')
            .setExpirationTime('5m')
            .sign(secret),
        ),
    ],
    [
      'alg none',
      async () => {
        const valid = await token({ sub: 'a' });
        const [, payload] = valid.split('.');
        return { authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.` };
      },
    ],
    [
      'an RS256 token signed with another key',
      async () => bearer(await token({ sub: 'a' }, { alg: 'RS256', key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })),
    ],
    ['roles that are not strings', async () => bearer(await token({ sub: 'a', roles: [1, 2] }))],
    ['a trust level out of range', async () => bearer(await token({ sub: 'a', trust_level: 7 }))],
    ['a sender with spaces', async () => bearer(await token({ sub: 'drop table' }))],
  ])('refuses %s with 401 and WWW-Authenticate', async (_name, headers) => {
    const { app, engine } = jwtApi();
    const res = await post(app, OPEN_URL, OPEN, await headers());
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
    expect(res.json()).toMatchObject({ error: { code: 'JE_UNAUTHENTICATED' } });
    expect(engine.submitted).toHaveLength(0);
  });

  it('protects reads too, but not the operations routes', async () => {
    const { app } = jwtApi();
    expect((await app.inject({ url: '/journeys/01J00000000000000000000001' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/journeys?type=pfm/wallet' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/deployments' })).statusCode).toBe(401);
    for (const url of ['/health', '/ready', '/metrics', '/openapi.json']) expect((await app.inject({ url })).statusCode, url).toBe(200);
  });

  it('tolerates clock skew within clockToleranceMs', async () => {
    const { app } = jwtApi({ clockToleranceMs: 60_000 });
    const jwt = await token({ sub: 'a' }, { expiresIn: Math.floor(Date.now() / 1000) - 30 });
    expect((await post(app, OPEN_URL, OPEN, bearer(jwt))).statusCode).toBe(202);
  });
});

describe('dev mode', () => {
  const devApp = () => {
    const engine = new FakeEngine();
    return { app: buildApi(engine, { auth: { mode: 'dev' }, docs: false }, silentLogger()), engine };
  };

  it('defaults the sender to dev-user and reads X-Dev-Roles and the trust-level header', async () => {
    const { app, engine } = devApp();
    await app.inject({ method: 'POST', url: OPEN_URL, headers: { 'content-type': 'application/json' }, payload: OPEN });
    expect(engine.submitted[0]?.request.context).toEqual({ sender: 'dev-user', roles: [], trustLevel: 0, channel: 'api', origin: 'api' });
    await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'teller-7', 'x-dev-roles': 'teller, supervisor', 'x-trust-level': '3' });
    expect(engine.submitted[1]?.request.context).toMatchObject({ sender: 'teller-7', roles: ['teller', 'supervisor'], trustLevel: 3 });
  });

  it.each([
    ['x-dev-sender', 'a b'],
    ['x-dev-sender', "x' OR 1=1 --"],
    ['x-dev-roles', 'ok,not ok'],
    ['x-trust-level', '4'],
    ['x-trust-level', '1.5'],
    ['x-geo', 'Germany'],
    ['x-channel', '<script>'],
  ])('refuses %s: %s with 400 naming the header', async (header, value) => {
    const { app, engine } = devApp();
    const res = await post(app, OPEN_URL, OPEN, { [header]: value });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST' } });
    expect(res.json<{ error: { details: { header: string } } }>().error.details.header.toLowerCase()).toBe(header);
    expect(engine.submitted).toHaveLength(0);
  });

  it('logs the dev mode loudly at build', () => {
    const lines: string[] = [];
    const logger = silentLogger();
    logger.warn = ((obj: unknown, msg: string) => {
      lines.push(`${JSON.stringify(obj)} ${msg}`);
    }) as unknown as typeof logger.warn;
    buildApi(new FakeEngine(), { auth: { mode: 'dev' } }, logger);
    expect(lines.join('\n')).toMatch(/DEV MODE.*LOCAL ONLY/);
  });
});

describe('channel and geo headers are trusted only from a configured gateway', () => {
  const headers = { 'x-channel': 'branch', 'x-geo': 'fr' };
  const from = (app: ReturnType<typeof buildApi>, remoteAddress: string, extra: Record<string, string>) =>
    app.inject({ method: 'POST', url: OPEN_URL, remoteAddress, headers: { 'content-type': 'application/json', ...extra }, payload: OPEN });

  it('jwt mode: from a gateway (an address or a CIDR range, IPv4 or IPv6) the headers count; from any other peer they are ignored', async () => {
    const { app, engine } = jwtApi({}, { trustedGateways: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'] });
    const jwt = await token({ sub: 'cust-42' });
    for (const gateway of ['10.1.2.3', '::ffff:10.1.2.3', '192.0.2.7', 'fd00::1']) {
      expect((await from(app, gateway, bearer(jwt, headers))).statusCode, gateway).toBe(202);
      expect(engine.submitted.at(-1)?.request.context, gateway).toMatchObject({ channel: 'branch', geo: 'FR' });
    }
    for (const peer of ['203.0.113.9', '192.0.2.8', '11.0.0.1', '::1', '2001:db8::1', '127.0.0.1']) {
      expect((await from(app, peer, bearer(jwt, headers))).statusCode, peer).toBe(202);
      const context = engine.submitted.at(-1)?.request.context;
      expect(context, peer).toMatchObject({ sender: 'cust-42', channel: 'api' });
      expect(context?.geo, peer).toBeUndefined();
    }
  });

  it("jwt mode: a header a non-gateway peer sets is not even read (a malformed one is not a 400); a gateway's is validated", async () => {
    const { app, engine } = jwtApi({}, { trustedGateways: ['10.0.0.1'] });
    const jwt = await token({ sub: 'cust-42' });
    const forged = { 'x-geo': "DE' --", 'x-channel': '<script>' };
    expect((await from(app, '203.0.113.9', bearer(jwt, forged))).statusCode).toBe(202);
    expect(engine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'api' });
    const fromGateway = await from(app, '10.0.0.1', bearer(jwt, forged));
    expect(fromGateway.statusCode).toBe(400);
    expect(fromGateway.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST' } });
  });

  it('jwt mode without a configured gateway: only the claims say channel and geo', async () => {
    const { app, engine } = jwtApi();
    expect((await from(app, '127.0.0.1', bearer(await token({ sub: 'a' }), headers))).statusCode).toBe(202);
    expect(engine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'api' });
    expect(engine.submitted.at(-1)?.request.context.geo).toBeUndefined();
    await from(app, '127.0.0.1', bearer(await token({ sub: 'a', channel: 'mobile', geo: 'nl' }), headers));
    expect(engine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'mobile', geo: 'NL' });
  });

  it('dev mode: every peer without a configured gateway (as before); with one, only the gateway', async () => {
    const openEngine = new FakeEngine();
    const devOpen = buildApi(openEngine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
    await from(devOpen, '203.0.113.9', headers);
    expect(openEngine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'branch', geo: 'FR' });
    const engine = new FakeEngine();
    const gated = buildApi(engine, { auth: { mode: 'dev' }, docs: false, trustedGateways: ['10.0.0.1'] }, silentLogger());
    await from(gated, '203.0.113.9', headers);
    expect(engine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'api' });
    await from(gated, '10.0.0.1', headers);
    expect(engine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'branch', geo: 'FR' });
  });
});
