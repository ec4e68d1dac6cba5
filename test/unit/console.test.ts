/**
 * The web console's sign-in, CSRF and escaping, over the API with an in-memory engine (the pages
 * themselves are checked in a real browser: test/browser/console.test.ts).
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/index.js';
import { buildApi } from '../../api/index.js';
import { html } from '../../console/html.js';
import { encodeSession, safeNext } from '../../console/session.js';
import { FakeEngine, TEST_SECRET, deadLetter } from './api-helpers.js';

const LETTER = '01J00000000000000000000042';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function jwtConsole() {
  const engine = new FakeEngine();
  engine.deadLetters.letters.set(LETTER, deadLetter(LETTER, { lastError: '<b>booking</b> is down' }));
  const app = buildApi(engine, { auth: { mode: 'jwt', secrets: [TEST_SECRET] }, docs: false }, silentLogger());
  return { app, engine };
}

function token(sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ sub, roles }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(TEST_SECRET));
}

/** Signs in through the form; returns the cookie to send back. */
async function signIn(app: ReturnType<typeof buildApi>, jwt: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/console/login',
    headers: FORM,
    payload: new URLSearchParams({ token: jwt, next: '/console/nodes' }).toString(),
  });
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe('/console/nodes');
  const setCookie = String(response.headers['set-cookie']);
  expect(setCookie).toMatch(/^je_console=[^;]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  return setCookie.split(';')[0] ?? '';
}

describe('console templates', () => {
  it('escape every interpolated value, and only markup built by the template passes as is', () => {
    const inner = html`<b>${'<i>&'}</b>`;
    expect(html`<p title="${'"x"'}">${'<script>'}${inner}${[1, null, false, undefined, "'"]}</p>`.text).toBe(
      '<p title="&quot;x&quot;">&lt;script&gt;<b>&lt;i&gt;&amp;</b>1&#39;</p>',
    );
  });

  it('go back after sign-in to console paths only', () => {
    expect(safeNext('/console/journeys/01J00000000000000000000001')).toBe('/console/journeys/01J00000000000000000000001');
    for (const next of ['//evil.example', 'https://evil.example/console', '/console//evil.example', '/consolex', '/console/"><script>', undefined]) {
      expect(safeNext(next)).toBe('/console');
    }
  });
});

describe('console sign-in (jwt mode)', () => {
  it('sends a browser without credentials to the sign-in form, and back where it was going', async () => {
    const { app } = jwtConsole();
    const response = await app.inject({ url: '/console/nodes' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/console/login?next=%2Fconsole%2Fnodes');
    const form = await app.inject({ url: '/console/login' });
    expect(form.body).toContain('name="token"');
    expect(form.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('checks the token with the API authenticator before it keeps it, and the API never accepts the cookie', async () => {
    const { app } = jwtConsole();
    const refused = await app.inject({ method: 'POST', url: '/console/login', headers: FORM, payload: 'token=not.a.token' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(refused.body).toContain('Sign in');

    const cookie = await signIn(app, await token('alice', ['customer']));
    const page = await app.inject({ url: '/console', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('alice');
    expect(page.body).toContain('pfm/wallet');
    expect((await app.inject({ url: '/journeys/01J00000000000000000000001', headers: { cookie } })).statusCode).toBe(401);
    const tooLong = await app.inject({ method: 'POST', url: '/console/login', headers: FORM, payload: `token=${'a'.repeat(4000)}` });
    expect(tooLong.statusCode).toBe(401);
    expect(tooLong.body).toContain('longer than a browser cookie can keep');
    // A cookie this console did not write is no credential (not an error), and a dev-mode identity means nothing in jwt mode.
    expect((await app.inject({ url: '/console', headers: { cookie: 'je_console=%E0%A4%A' } })).statusCode).toBe(303);
    const forged = `je_console=${encodeSession({ kind: 'dev', sender: 'olga', roles: ['operator'] })}`;
    expect((await app.inject({ url: '/console/dead-letters', headers: { cookie: forged } })).statusCode).toBe(303);
  });

  it('refuses a sign-in posted from another site', async () => {
    const { app } = jwtConsole();
    const response = await app.inject({
      method: 'POST',
      url: '/console/login',
      headers: { ...FORM, origin: 'https://evil.example' },
      payload: `token=${await token('alice', [])}`,
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('console dead letters', () => {
  it('lets an operator retry with the CSRF token, escaping what the back end said', async () => {
    const { app, engine } = jwtConsole();
    const cookie = await signIn(app, await token('olga', ['operator']));
    const list = await app.inject({ url: '/console/dead-letters', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('&lt;b&gt;booking&lt;/b&gt; is down');
    const detail = await app.inject({ url: `/console/dead-letters/${LETTER}`, headers: { cookie } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(detail.body)?.[1] ?? '';

    const withoutToken = await app.inject({
      method: 'POST',
      url: `/console/dead-letters/${LETTER}/retry`,
      headers: { ...FORM, cookie },
      payload: 'note=again',
    });
    expect(withoutToken.statusCode).toBe(403);
    expect(engine.deadLetters.letters.get(LETTER)?.status).toBe('dead');

    const retried = await app.inject({
      method: 'POST',
      url: `/console/dead-letters/${LETTER}/retry`,
      headers: { ...FORM, cookie, 'sec-fetch-site': 'same-origin' },
      payload: new URLSearchParams({ csrf, note: 'ledger is back' }).toString(),
    });
    expect(retried.statusCode).toBe(303);
    expect(retried.headers.location).toBe(`/console/dead-letters/${LETTER}`);
    expect(engine.deadLetters.letters.get(LETTER)).toMatchObject({ status: 'retrying', resolvedBy: 'olga', note: 'ledger is back' });

    const again = await app.inject({ method: 'POST', url: `/console/dead-letters/${LETTER}/discard`, headers: { ...FORM, cookie }, payload: `csrf=${csrf}` });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('JE_DEAD_LETTER_SETTLED');
  });

  it('refuses them to a caller without the operator role', async () => {
    const { app } = jwtConsole();
    const cookie = await signIn(app, await token('alice', ['customer']));
    const response = await app.inject({ url: `/console/dead-letters/${LETTER}`, headers: { cookie } });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('needs the operator role');
  });
});

describe('console nodes page', () => {
  it('shows operators which node holds which partition, with its epoch, and others that it is for operators', async () => {
    const { app } = jwtConsole();
    const operatorCookie = await signIn(app, await token('olga', ['operator']));
    const forOperator = await app.inject({ url: '/console/nodes', headers: { cookie: operatorCookie } });
    expect(forOperator.statusCode).toBe(200);
    expect(forOperator.body).toContain('Partitions and their leases');
    expect(forOperator.body).toMatch(/<td>node-a<\/td>\s*<td>0<\/td>\s*<td>1<\/td>/);
    expect(forOperator.body).toMatch(/<td>\(nobody\)<\/td>\s*<td>1<\/td>/);
    expect(forOperator.body).toContain('expired');
    const customerCookie = await signIn(app, await token('carl', ['customer']));
    const forCustomer = await app.inject({ url: '/console/nodes', headers: { cookie: customerCookie } });
    expect(forCustomer.body).toContain('Which node holds which partition: operators only.');
    expect(forCustomer.body).not.toContain('node-a');
  });
});

describe('console journey page', () => {
  it('shows what the journey waits for: its scheduled timers and its calls not answered yet, a dead one linked to its dead letter', async () => {
    const { app, engine } = jwtConsole();
    const journeyId = '01J00000000000000000000077';
    const at = new Date(0).toISOString();
    engine.journeys.set(journeyId, {
      journeyId,
      journeyType: 'pfm/wallet',
      type: 'pfm/wallet',
      version: '1.0',
      status: 'open',
      lifecycle: 'active',
      data: { status: 'open' },
      seq: 1,
      acceptedSeq: 1,
      createdAt: at,
      updatedAt: at,
    });
    engine.waiting = {
      timers: [{ name: 'expiry', fireAt: '2026-12-09T10:00:00.000Z', eventType: 'PaymentExpired' }],
      calls: [{ callId: LETTER, system: 'ledger', operation: 'book', status: 'dead', attempts: 5, lastError: '<b>ledger</b> is down' }],
    };
    const cookie = await signIn(app, await token('olga', ['operator']));
    const response = await app.inject({ url: `/console/journeys/${journeyId}`, headers: { cookie } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Waiting for');
    expect(response.body).toMatch(/<td>expiry<\/td>\s*<td>2026-12-09T10:00:00.000Z<\/td>\s*<td>PaymentExpired<\/td>/);
    expect(response.body).toContain(`<a href="/console/dead-letters/${LETTER}">dead</a>`);
    expect(response.body).toContain('&lt;b&gt;ledger&lt;/b&gt; is down');
    engine.waiting = { timers: [], calls: [] };
    const idle = await app.inject({ url: `/console/journeys/${journeyId}`, headers: { cookie } });
    expect(idle.body).not.toContain('Waiting for');
  });
});
