/**
 * The web console in a real browser (Debian's chromium driven by playwright-core) after a scripted
 * run on a real engine — a wallet, and a payment whose booking call goes dead (the ledger is
 * down): what a person sees, page by page, and an operator's discard through the page's form.
 * Screenshots are kept in test-results/console/. Without chromium the suite is skipped, saying so
 * (CI installs it).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { silentLogger } from '../../common/index.js';
import { createTestDatabase, gridSeeds, type TestDatabase } from '../support/environment.js';
import { startTestEngine, type TestEngine } from '../support/test-engine.js';
import { until } from '../support/wait.js';
import { exampleJourneys, walletJourney } from '../support/wallet.js';

const CHROMIUM = process.env['JE_CHROMIUM'] ?? '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '../../test-results/console');
const WAIT_MS = 10_000;
const missing = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM} (apt-get install chromium, or set JE_CHROMIUM)`;
if (missing !== undefined) console.warn(`web console browser tests skipped: ${missing}`);

async function sctJourney() {
  const sct = (await exampleJourneys()).find((j) => j.name === 'mybank/payment/sct' && j.version === '2.0');
  if (!sct) throw new Error('journeys/mybank/payment/sct/2.0 did not compile');
  return sct;
}

describe.skipIf(missing !== undefined)('web console in a real browser', () => {
  let database: TestDatabase;
  let node: TestEngine;
  let app: ReturnType<typeof buildApi>;
  let base: string;
  let browser: Browser;
  let walletId: string;
  let paymentId: string;

  /** The API as a client uses it, with dev-mode identity headers. */
  async function send(path: string, as: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${base}${path}?wait=${WAIT_MS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dev-sender': as, 'x-dev-roles': 'customer' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as Record<string, unknown>;
  }

  /** A fresh browser context signed in through the console's form. */
  async function signIn(sender: string, roles: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.fill('input[name=sender]', sender);
    await page.fill('input[name=roles]', roles);
    await Promise.all([page.waitForURL(`${base}/console`), page.click('button[type=submit]')]);
    return page;
  }

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'console-test',
      journeys: [await walletJourney(), await sctJourney()],
      partitionCount: 4,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      // The ledger is down: a payment's booking call goes dead after two attempts.
      backends: { 'booking.book': () => Promise.reject(new Error('the ledger is down')) },
      calls: { attempts: 2, backoffMs: 20, redeliverMaxMs: 500 },
    });
    app = buildApi(node.engine, { auth: { mode: 'dev' }, docs: false, rateLimit: { by: 'off' } }, silentLogger());
    base = await app.listen({ host: '127.0.0.1', port: 0 });

    // The scripted run: alice opens a wallet, bob deposits three times, mallory may not withdraw,
    // alice's too-large withdrawal is answered with its reason, then a withdrawal that fits.
    const opened = await send('/journeys/pfm/wallet/1.0/events', 'alice', { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } });
    walletId = String(opened['journeyId']);
    for (const amount of [10, 25, 40]) await send(`/journeys/${walletId}/events`, 'bob', { type: 'Deposit', data: { amount } });
    await send(`/journeys/${walletId}/events`, 'mallory', { type: 'Withdraw', data: { amount: 5 } });
    await send(`/journeys/${walletId}/events`, 'alice', { type: 'Withdraw', data: { amount: 1000 } });
    await send(`/journeys/${walletId}/events`, 'alice', { type: 'Withdraw', data: { amount: 30 } });
    const payment = await send('/journeys/mybank/payment/sct/2.0/events', 'alice', {
      type: 'InitiatePayment',
      data: { debtorIban: 'DE89370400440532013000', creditorIban: 'FR1420041010050500013M02606', creditorName: 'Bob', amount: 2500, currency: 'EUR' },
    });
    paymentId = String(payment['journeyId']);
    await send(`/journeys/${paymentId}/events`, 'alice', { type: 'AuthorisePayment', data: {} });
    await until('the booking call goes dead', async () => (await node.engine.deadLetters.list({})).items.length === 1);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await node?.stop();
    await database?.drop();
  });

  it('lists the deployed journey types with their versions, events and diagram', async () => {
    const page = await signIn('alice', 'customer');
    const card = page.locator('section.card', { hasText: 'pfm/wallet' });
    await expect(card.locator('h2').innerText()).resolves.toMatch(/pfm\/wallet\s+1\.0/);
    await expect(card.locator('table').innerText()).resolves.toContain('OpenWallet');
    // The diagram is an SVG the browser could load and lay out.
    const width = await card.locator('img.diagram').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    expect(width).toBeGreaterThan(100);
    await expect(card.innerText()).resolves.toContain('operators only');
    await page.screenshot({ path: `${SHOTS}/types.png`, fullPage: false });
    await page.context().close();
  });

  it("finds the owner's wallet by a search field and shows its timeline: deposits in order, rejections with their reasons", async () => {
    const page = await signIn('alice', 'customer');
    await page.goto(`${base}/console/search?type=pfm/wallet&owner=alice`);
    await page.screenshot({ path: `${SHOTS}/search.png` });
    await Promise.all([page.waitForURL(`${base}/console/journeys/${walletId}`), page.click(`a[href="/console/journeys/${walletId}"]`)]);

    const deposits = await page.locator('tr.event[data-type=Deposit] code.payload').allInnerTexts();
    expect(deposits.map((text) => (JSON.parse(text) as { amount: number }).amount)).toEqual([10, 25, 40]);
    const rejected = page.locator('tr.event[data-status=rejected]');
    await expect(rejected.count()).resolves.toBe(1);
    const rejectedText = await rejected.innerText();
    expect(rejectedText).toContain('mallory');
    expect(rejectedText).toMatch(/Rejected: \S+ — .+/);
    await expect(page.locator('tr.event[data-type=Withdraw]', { hasText: 'WithdrawalRejected' }).innerText()).resolves.toContain('insufficient funds');
    // The data as the journey keeps it: 10 + 25 + 40 - 30.
    await expect(page.locator('pre.json').first().innerText()).resolves.toContain('"balance": 45');
    await page.screenshot({ path: `${SHOTS}/journey.png`, fullPage: true });
    await page.context().close();
  });

  it("shows what a journey waits for: the payment's dead booking call, linked to its dead letter", async () => {
    const page = await signIn('alice', 'customer');
    await page.goto(`${base}/console/journeys/${paymentId}`);
    const main = await page.locator('main').innerText();
    expect(main).toContain('Waiting for');
    const call = page.locator('tr', { has: page.locator('a[href^="/console/dead-letters/"]') });
    await expect(call.innerText()).resolves.toMatch(/\.\w+.*\s+dead\s+2\s/s);
    await page.context().close();
  });

  it('applies the read rules: another sender is told the wallet does not exist, and finds nothing', async () => {
    const page = await signIn('mallory', 'customer');
    const response = await page.goto(`${base}/console/journeys/${walletId}`);
    expect(response?.status()).toBe(404);
    await expect(page.locator('main').innerText()).resolves.not.toContain('alice');
    await page.goto(`${base}/console/search?type=pfm/wallet&owner=alice`);
    await expect(page.locator('main').innerText()).resolves.toContain('No journey you may read matches');
    await page.context().close();
  });

  it('shows dead letters to operators only, who can discard one', async () => {
    const customer = await signIn('alice', 'customer');
    await expect(customer.locator('header').innerText()).resolves.not.toContain('Dead letters');
    const refused = await customer.goto(`${base}/console/dead-letters`);
    expect(refused?.status()).toBe(403);
    await expect(customer.locator('main').innerText()).resolves.toContain('needs the operator role');
    await customer.context().close();

    const operator = await signIn('olga', 'operator');
    const listed = await operator.goto(`${base}/console/dead-letters`);
    expect(listed?.status()).toBe(200);
    const row = operator.locator('table tr', { hasText: 'booking.book' });
    await expect(row.innerText()).resolves.toContain('the ledger is down');
    // Discarded through the page's own form (its CSRF token, posted by the browser from this origin).
    await row.locator('a').first().click();
    await operator.fill('input[name=reason]', 'the ledger was retired');
    await Promise.all([operator.waitForURL(/\/console\/dead-letters\/\w+$/), operator.click('button.danger')]);
    const detail = await operator.locator('main').innerText();
    expect(detail).toContain('discarded');
    expect(detail).toContain('the ledger was retired');
    await operator.screenshot({ path: `${SHOTS}/dead-letter.png`, fullPage: true });
    await operator.context().close();
  });

  it("shows operators the instance counts and this node's partitions and versions", async () => {
    const page = await signIn('olga', 'operator');
    await expect(page.locator('section.card', { hasText: 'pfm/wallet' }).innerText()).resolves.toContain('1 active');
    await page.goto(`${base}/console/nodes`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('console-test');
    expect(text).toMatch(/\d+ of \d+ held here/);
    expect(text).toContain('pfm/wallet@1.0');
    // Which node holds which partition, with each lease's epoch: this node holds them all, live.
    expect(text).toContain('Partitions and their leases');
    expect(text).toMatch(/console-test\S*\s+\d+(, \d+)+\s+\d+/);
    expect(await page.locator('td .badge', { hasText: 'live' }).count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/nodes.png`, fullPage: true });
    await page.context().close();
  });

  it('refuses console actions without the CSRF token or from another origin', async () => {
    const page = await signIn('olga', 'operator');
    const cookies = await page.context().cookies();
    await page.context().close();
    const session = cookies.find((cookie) => cookie.name === 'je_console');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    const cookie = `je_console=${session?.value ?? ''}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const discard = `${base}/console/dead-letters/${walletId}/discard`;
    const html = await (await fetch(`${base}/console/dead-letters`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csrf).not.toBe('');

    const noToken = await fetch(discard, { method: 'POST', headers: form, body: 'reason=x', redirect: 'manual' });
    expect(noToken.status).toBe(403);
    const otherSite = await fetch(discard, { method: 'POST', headers: { ...form, origin: 'https://evil.example' }, body: `csrf=${csrf}`, redirect: 'manual' });
    expect(otherSite.status).toBe(403);
    // With the token, from the console: the engine answers (no dead letter has that id).
    const allowed = await fetch(discard, { method: 'POST', headers: { ...form, origin: base }, body: `csrf=${csrf}`, redirect: 'manual' });
    expect(allowed.status).toBe(404);
    await expect(allowed.text()).resolves.toContain('JE_DEAD_LETTER_NOT_FOUND');
  });
});
