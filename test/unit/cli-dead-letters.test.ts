// journey dead-letters and the /dead-letters routes over the fake engine: the command reaches the
// real routes through a fetch that injects into the fastify app (no network), so what is sent, the
// operator role, the refusals and the exit codes are exact.
import { describe, expect, it } from 'vitest';
import { buildApi, buildOpenApiDocument } from '../../api/index.js';
import { createDeadLettersCommand, parseDeadLetterArgs } from '../../cli/commands/dead-letters.js';
import { silentLogger } from '../../common/index.js';
import { useCliHarness } from '../support/cli-harness.js';
import { FakeEngine, deadLetter, devOptions } from './api-helpers.js';

const URL_ARGS = ['--url', 'http://api.test:3000'];
const cli = useCliHarness('journey-dead-letters');
const id = (n: number): string => `01J${String(n).padStart(23, '0')}`;

interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

function fetchVia(app: ReturnType<typeof buildApi>, calls: Call[]): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = typeof init?.body === 'string' ? init.body : undefined;
    calls.push({
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      headers,
      ...(body === undefined ? {} : { body: JSON.parse(body) as unknown }),
    });
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers,
      ...(body === undefined ? {} : { payload: body }),
    });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') } });
  };
}

function setup() {
  const engine = new FakeEngine();
  engine.deadLetters.letters.set(id(1), deadLetter(id(1)));
  engine.deadLetters.letters.set(id(2), deadLetter(id(2), { system: 'ledger', operation: 'post', journeyType: 'pfm/wallet', version: '1.0' }));
  engine.deadLetters.letters.set(
    id(3),
    deadLetter(id(3), { lastError: 'booking answered 503:\n  Service   Unavailable, retry later please, the ledger is being migrated tonight' }),
  );
  const app = buildApi(engine, devOptions, silentLogger());
  const calls: Call[] = [];
  const command = createDeadLettersCommand(fetchVia(app, calls), { pollMs: 1 });
  return { engine, app, calls, command };
}

describe('journey dead-letters: the command line', () => {
  it.each([
    [['list', '--system', 'booking', '--type', 'mybank/payment/sct', '--limit', '5'], 'list'],
    [['show', id(1), '--json'], 'show'],
    [['retry', id(1), '--note', 'ledger back', '--wait', '--timeout', '30'], 'retry'],
    [['discard', id(1), '--reason', 'refunded'], 'discard'],
  ])('parses %j', (args, action) => {
    expect(parseDeadLetterArgs([...args, ...URL_ARGS])).toMatchObject({ action, url: 'http://api.test:3000' });
  });

  it.each([
    [[], /expected list, show, retry or discard/],
    [['purge'], /'purge' is not list, show, retry or discard/],
    [['show'], /show needs the dead letter's id/],
    [['show', 'abc'], /'abc' is not a dead letter id/],
    [['retry', id(1), id(2)], /expected one id, got also/],
    [['list', '--status', 'done'], /--status is dead or discarded, got 'done'/],
    [['list', '--limit', '0'], /--limit must be a whole number from 1 to 500/],
    [['list', '--system', 'a.b'], /--system: 'a.b' is not a back-end system name/],
    [['list', '--reason', 'x'], /list does not take --reason/],
    [['discard', id(1), '--wait'], /discard does not take --wait/],
    [['retry', id(1), '--timeout', '5'], /--timeout goes with --wait/],
  ])('refuses %j with exit 2 and the help, sending nothing', async (args, why) => {
    const { calls, command } = setup();
    expect(await command.run([...args, ...URL_ARGS])).toBe(2);
    expect(cli.output.join('\n')).toMatch(why);
    expect(cli.output.join('\n')).toContain('Usage: journey dead-letters list');
    expect(calls).toEqual([]);
  });
});

describe('journey dead-letters: against the API', () => {
  it('lists the dead letters as a table, with the filters as query parameters, as an operator', async () => {
    const { calls, command, engine } = setup();
    expect(await command.run(['list', '--system', 'booking', ...URL_ARGS])).toBe(0);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /dead-letters?system=booking']);
    expect(calls[0]?.headers).toMatchObject({ 'x-dev-roles': 'operator' });
    expect(engine.deadLetters.queries).toEqual([{ system: 'booking' }]);
    const lines = cli.output.join('\n').split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+WHAT\s+JOURNEY TYPE\s+JOURNEY\s+ATTEMPTS\s+RETRIES\s+DEAD AT\s+LAST ERROR$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${id(1)}\\s+call\\s+booking\\.book\\s+mybank/payment/sct 2\\.0\\s+01J0+99\\s+5\\s+0\\s+2026-06-01T08:00:03\\.000Z\\s+booking is down$`),
    );
    // The error on one line, cut at 60 characters.
    expect(lines[2]).toMatch(/\s2026-06-01T08:00:03\.000Z {2}booking answered 503: Service Unavailable, retry later plea…$/);
    expect(lines).toHaveLength(3);
  });

  it('pages: prints the next cursor, or follows every page with --all', async () => {
    const { command, calls } = setup();
    expect(await command.run(['list', '--limit', '2', ...URL_ARGS])).toBe(0);
    const more = cli.output.find((line) => line.includes('More:'));
    expect(more).toMatch(/journey dead-letters list --cursor \S+ \(or --all\)/);
    cli.output.length = 0;
    calls.length = 0;
    expect(await command.run(['list', '--limit', '1', '--all', '--json', ...URL_ARGS])).toBe(0);
    expect(calls.map((c) => c.path)).toEqual([
      '/dead-letters?limit=1',
      expect.stringMatching(/^\/dead-letters\?limit=1&cursor=/),
      expect.stringMatching(/^\/dead-letters\?limit=1&cursor=/),
    ]);
    expect((JSON.parse(cli.output.join('\n')) as { items: Array<{ id: string }> }).items.map((l) => l.id)).toEqual([id(1), id(2), id(3)]);
  });

  it('shows one, field by field', async () => {
    const { command } = setup();
    expect(await command.run(['show', id(1), ...URL_ARGS])).toBe(0);
    const text = cli.output.join('\n');
    expect(text).toContain(`id             ${id(1)} (call)`);
    expect(text).toContain('journey status bookingFailed');
    expect(text).toContain('failure        BookingFailed: event 01J00000000000000000000097, applied');
    expect(text).toContain('reply          PaymentBooked: not delivered');
    expect(text).toContain('request        {"amount":100}');
  });

  it('retries as the operator who asked, once; a second retry is refused (exit 1)', async () => {
    const { command, calls, engine } = setup();
    expect(await command.run(['retry', id(1), '--note', 'ledger is back', ...URL_ARGS])).toBe(0);
    expect(calls[0]).toMatchObject({ method: 'POST', path: `/dead-letters/${id(1)}/retry`, body: { note: 'ledger is back' } });
    expect(engine.deadLetters.letters.get(id(1))).toMatchObject({ status: 'retrying', retries: 1, resolvedBy: 'journey-cli', note: 'ledger is back' });
    expect(cli.output.join('\n')).toContain(`retrying ${id(1)}: booking.book for journey 01J00000000000000000000099 (retry 1)`);
    cli.output.length = 0;
    expect(await command.run(['retry', id(1), ...URL_ARGS])).toBe(1);
    expect(cli.output[0]).toBe('JE_DEAD_LETTER_SETTLED: the call is retrying, not dead');
  });

  it('retry --wait follows the call: exit 0 once answered, 1 when it is dead again, 3 when it runs past --timeout', async () => {
    const { command, engine } = setup();
    const answerAfter = (letterId: string, polls: number, status: 'answered' | 'dead'): void => {
      let left = polls;
      const get = engine.deadLetters.get.bind(engine.deadLetters);
      engine.deadLetters.get = async (asked) => {
        const letter = await get(asked);
        if (asked === letterId && letter.status === 'retrying' && --left <= 0)
          engine.deadLetters.letters.set(asked, { ...letter, status, lastError: 'still down' });
        return engine.deadLetters.letters.get(asked) ?? letter;
      };
    };
    answerAfter(id(1), 3, 'answered');
    expect(await command.run(['retry', id(1), '--wait', ...URL_ARGS])).toBe(0);
    expect(cli.output.join('\n')).toContain('status         answered');
    answerAfter(id(2), 1, 'dead');
    expect(await command.run(['retry', id(2), '--wait', ...URL_ARGS])).toBe(1);
    expect(cli.output.join('\n')).toContain(`the retry of ${id(2)} failed: it is dead again (still down)`);
    expect(await command.run(['retry', id(3), '--wait', '--timeout', '1', ...URL_ARGS].concat())).toBe(3);
    expect(cli.output.join('\n')).toContain(`${id(3)} is still retrying after 1 s`);
  });

  it('discards with the reason; the journey is said to stay where it is', async () => {
    const { command, engine } = setup();
    expect(await command.run(['discard', id(1), '--reason', 'refunded by hand', ...URL_ARGS])).toBe(0);
    expect(engine.deadLetters.letters.get(id(1))).toMatchObject({ status: 'discarded', resolvedBy: 'journey-cli', note: 'refunded by hand' });
    expect(cli.output[0]).toBe(`discarded ${id(1)}: booking.book for journey 01J00000000000000000000099; its journey stays bookingFailed`);
  });

  it('an unknown id is refused with exit 1', async () => {
    const { command } = setup();
    expect(await command.run(['show', id(9), ...URL_ARGS])).toBe(1);
    expect(cli.output[0]).toBe('JE_DEAD_LETTER_NOT_FOUND: no back-end call that went dead has that id');
  });
});

describe('/dead-letters routes', () => {
  it('are for operators: anyone else gets 403 naming what was asked', async () => {
    const { app } = setup();
    for (const [method, url] of [
      ['GET', '/dead-letters'],
      ['GET', `/dead-letters/${id(1)}`],
      ['POST', `/dead-letters/${id(1)}/retry`],
      ['POST', `/dead-letters/${id(1)}/discard`],
    ] as const) {
      const refused = await app.inject({ method, url, headers: { 'x-dev-sender': 'alice', 'x-dev-roles': 'customer' } });
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json()).toMatchObject({
        error: { code: 'JE_ACCESS_DENIED', message: 'Reading, retrying and discarding dead letters needs the operator role; alice has roles customer' },
      });
    }
  });

  it('answer retry 202 with the dead letter and its Location, take no body, and refuse a bad one', async () => {
    const { app } = setup();
    const operator = { 'x-dev-sender': 'olga', 'x-dev-roles': 'operator' };
    const retried = await app.inject({ method: 'POST', url: `/dead-letters/${id(1)}/retry`, headers: operator });
    expect(retried.statusCode).toBe(202);
    expect(retried.headers.location).toBe(`/dead-letters/${id(1)}`);
    expect(retried.json()).toMatchObject({ id: id(1), status: 'retrying', resolvedBy: 'olga' });
    const settled = await app.inject({ method: 'POST', url: `/dead-letters/${id(1)}/discard`, headers: operator, payload: {} });
    expect(settled.statusCode).toBe(409);
    expect(settled.json()).toMatchObject({ error: { code: 'JE_DEAD_LETTER_SETTLED' } });
    const tooLong = await app.inject({ method: 'POST', url: `/dead-letters/${id(2)}/discard`, headers: operator, payload: { reason: 'x'.repeat(501) } });
    expect(tooLong.statusCode).toBe(400);
    const unknownField = await app.inject({ method: 'POST', url: `/dead-letters/${id(2)}/retry`, headers: operator, payload: { force: true } });
    expect(unknownField.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/dead-letters/not-an-id', headers: operator })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/dead-letters?status=done', headers: operator })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/dead-letters/${id(9)}`, headers: operator })).json()).toMatchObject({
      error: { code: 'JE_DEAD_LETTER_NOT_FOUND' },
    });
  });

  it('are in the OpenAPI document', () => {
    const document = buildOpenApiDocument([], { authMode: 'dev', maxWaitMs: 30_000 }) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(
      Object.entries(document.paths).flatMap(([path, ops]) => (path.startsWith('/dead-letters') ? Object.values(ops).map((op) => op.operationId) : [])),
    ).toEqual(['deadLetters', 'deadLetter', 'retryDeadLetter', 'discardDeadLetter']);
  });
});
