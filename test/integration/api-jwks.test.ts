/**
 * JWT authentication for production, over real sockets: the verifying keys come from a JWKS URL
 * (here a node:http server the test controls), cached, refetched when a token names a key id the
 * cached set lacks, so a rotated-out key is refused and a rotated-in one accepted; `iss` and `aud`
 * are required; a key set that cannot be fetched is a 503, not a 401; and the channel and geo
 * headers count only from a configured gateway, judged by the TCP peer's address.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type ApiOptions } from '../../api/index.js';
import { silentLogger } from '../../common/index.js';
import { FakeEngine } from '../unit/api-helpers.js';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'journeys';
const OPEN_URL = '/journeys/pfm/wallet/1.0/events';
const OPEN = { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } };

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A token as an identity provider issues it; `iss`/`aud` null leaves them out. */
async function issue(key: SigningKey, claims: JWTPayload = {}, options: { iss?: string | null; aud?: string | null; kid?: string } = {}): Promise<string> {
  let jwt = new SignJWT({ sub: 'cust-42', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid })
    .setIssuedAt()
    .setExpirationTime('5m');
  const iss = options.iss === undefined ? ISSUER : options.iss;
  const aud = options.aud === undefined ? AUDIENCE : options.aud;
  if (iss !== null) jwt = jwt.setIssuer(iss);
  if (aud !== null) jwt = jwt.setAudience(aud);
  return jwt.sign(key.privateKey);
}

/** The identity provider's JWKS endpoint: serves `keys`, or fails with `status` while it is set. */
class JwksServer {
  keys: JWK[] = [];
  status = 200;
  fetches = 0;
  private readonly server: Server = createServer((request, response) => {
    this.fetches++;
    if (this.status !== 200) {
      response.writeHead(this.status).end('unavailable');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('jwt mode with a JWKS URL', () => {
  const idp = new JwksServer();
  let jwksUrl: string;
  let keyA: SigningKey;
  let keyB: SigningKey;
  const apps: Array<ReturnType<typeof buildApi>> = [];

  beforeAll(async () => {
    jwksUrl = await idp.start();
    keyA = await signingKey('key-a', 'RS256');
    keyB = await signingKey('key-b', 'ES256');
  });
  afterAll(() => idp.stop());
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    idp.keys = [];
    idp.status = 200;
    idp.fetches = 0;
  });

  function jwksApi(auth: Partial<Extract<ApiOptions['auth'], { mode: 'jwt' }>> = {}, options: Partial<ApiOptions> = {}) {
    const engine = new FakeEngine();
    const app = buildApi(engine, { docs: false, ...options, auth: { mode: 'jwt', jwksUrl, issuer: ISSUER, audience: AUDIENCE, ...auth } }, silentLogger());
    apps.push(app);
    const send = (token: string, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: OPEN_URL,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
        payload: OPEN,
      });
    return { app, engine, send };
  }

  it('accepts a token signed by a key of the set, and fetches the set once for many requests', async () => {
    idp.keys = [keyA.jwk];
    const { engine, send } = jwksApi();
    for (let i = 0; i < 5; i++) expect((await send(await issue(keyA, { roles: ['customer'], trust_level: 2 }))).statusCode).toBe(202);
    expect(idp.fetches).toBe(1);
    expect(engine.submitted[0]?.request.context).toMatchObject({ sender: 'cust-42', roles: ['customer'], trustLevel: 2 });
  });

  it('rotation: a token of a new kid makes it refetch the set; the rotated-out key is refused after that', async () => {
    idp.keys = [keyA.jwk];
    // No cooldown between refetches, so the test needs no clock; the default is 30 s.
    const { send } = jwksApi({ jwksCooldownMs: 0 });
    const oldToken = await issue(keyA);
    expect((await send(oldToken)).statusCode).toBe(202);
    expect(idp.fetches).toBe(1);

    idp.keys = [keyB.jwk];
    // Still cached: the old key verifies until the set is fetched again.
    expect((await send(oldToken)).statusCode).toBe(202);
    expect(idp.fetches).toBe(1);
    expect((await send(await issue(keyB))).statusCode).toBe(202);
    expect(idp.fetches).toBe(2);

    const refused = await send(oldToken);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('Bearer');
    expect(refused.json()).toMatchObject({ error: { code: 'JE_UNAUTHENTICATED', details: { kid: 'key-a' } } });
    expect((await send(await issue(keyB))).statusCode).toBe(202);
  });

  it('an unknown kid during the cooldown is refused without fetching the set again', async () => {
    idp.keys = [keyA.jwk];
    const { send } = jwksApi();
    expect((await send(await issue(keyA))).statusCode).toBe(202);
    for (let i = 0; i < 20; i++) expect((await send(await issue(keyB, {}, { kid: `random-${i}` }))).statusCode).toBe(401);
    expect(idp.fetches).toBe(1);
  });

  it.each<[string, () => Promise<string>, string]>([
    ['another issuer', () => issue(keyA, {}, { iss: 'https://evil.test/' }), 'iss'],
    ['no issuer', () => issue(keyA, {}, { iss: null }), 'iss'],
    ['another audience', () => issue(keyA, {}, { aud: 'payments' }), 'aud'],
    ['no audience', () => issue(keyA, {}, { aud: null }), 'aud'],
  ])('refuses a token with %s (401 naming the claim)', async (_name, token, claim) => {
    idp.keys = [keyA.jwk];
    const { engine, send } = jwksApi();
    const res = await send(await token());
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'JE_UNAUTHENTICATED', details: { claim } } });
    expect(engine.submitted).toHaveLength(0);
  });

  it.each<[string, () => Promise<string>]>([
    ["a known kid with another key's signature", async () => issue(await signingKey('key-a', 'RS256'))],
    [
      'a token that brings its own key in the header (jwk, jku)',
      async () => {
        const attacker = await signingKey('key-a', 'RS256');
        return new SignJWT({ sub: 'admin' })
          .setProtectedHeader({ alg: 'RS256', kid: 'key-a', jwk: attacker.jwk, jku: 'https://evil.test/jwks' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(attacker.privateKey);
      },
    ],
    [
      'an HS256 token keyed with the public key (algorithm confusion)',
      () =>
        new SignJWT({ sub: 'admin' })
          .setProtectedHeader({ alg: 'HS256', kid: 'key-a' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(JSON.stringify(keyA.jwk))),
    ],
  ])('refuses %s', async (_name, token) => {
    idp.keys = [keyA.jwk];
    const { engine, send } = jwksApi();
    const res = await send(await token());
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'JE_UNAUTHENTICATED' } });
    expect(engine.submitted).toHaveLength(0);
  });

  it('a key set that cannot be fetched is 503 JE_AUTH_KEYS_UNAVAILABLE with Retry-After, never a 401', async () => {
    idp.status = 500;
    const { engine, send } = jwksApi();
    const res = await send(await issue(keyA));
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'JE_AUTH_KEYS_UNAVAILABLE' } });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(engine.submitted).toHaveLength(0);
  });

  it('while the endpoint fails, keys of the last fetched set still verify; a kid outside it is a 503', async () => {
    idp.keys = [keyA.jwk];
    // Every request finds the cache stale, so every one tries to refetch.
    const { send } = jwksApi({ jwksCacheMaxAgeMs: 0, jwksCooldownMs: 0 });
    expect((await send(await issue(keyA))).statusCode).toBe(202);
    idp.status = 503;
    expect((await send(await issue(keyA))).statusCode).toBe(202);
    expect((await send(await issue(keyB))).statusCode).toBe(503);
    expect(idp.fetches).toBeGreaterThanOrEqual(3);
    idp.status = 200;
    idp.keys = [keyB.jwk];
    expect((await send(await issue(keyB))).statusCode).toBe(202);
    expect((await send(await issue(keyA))).statusCode).toBe(401);
  });

  describe('channel and geo headers over real sockets', () => {
    /** POSTs from a chosen local address (127.0.0.2 is loopback on Linux, but not the configured gateway). */
    function postFrom(base: URL, localAddress: string, headers: Record<string, string>): Promise<number> {
      return new Promise((resolve, reject) => {
        const body = JSON.stringify(OPEN);
        const req = httpRequest(
          { host: base.hostname, port: base.port, path: OPEN_URL, method: 'POST', localAddress, headers: { 'content-type': 'application/json', ...headers } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }

    it('count from the gateway peer only; X-Forwarded-For from another peer changes nothing', async () => {
      idp.keys = [keyA.jwk];
      const { app, engine } = jwksApi({}, { trustedGateways: ['127.0.0.1'] });
      const base = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
      const headers = { authorization: `Bearer ${await issue(keyA)}`, 'x-channel': 'branch', 'x-geo': 'fr' };
      expect(await postFrom(base, '127.0.0.1', headers)).toBe(202);
      expect(engine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'branch', geo: 'FR' });
      expect(await postFrom(base, '127.0.0.2', { ...headers, 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1' })).toBe(202);
      expect(engine.submitted.at(-1)?.request.context).toMatchObject({ channel: 'api' });
      expect(engine.submitted.at(-1)?.request.context.geo).toBeUndefined();
    });
  });
});
