// journey uplift against the API over the fake engine: the command reaches it through a fetch that
// injects into the fastify app (no network, as in cli-deploy.test.ts), and each poll of the run
// gets the next state of a script, so progress, summaries and exit codes are exact.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApi } from '../../api/index.js';
import { createUpliftCommand, parseUpliftArgs } from '../../cli/commands/uplift.js';
import { JourneyError, silentLogger } from '../../common/index.js';
import type { UpliftRun } from '../../engine/index.js';
import { useCliHarness } from '../support/cli-harness.js';
import { FakeEngine, devOptions } from './api-helpers.js';

const URL_ARGS = ['--url', 'http://api.test:3000'];
const RUN_ARGS = ['pfm/wallet', '--from', '1.0', '--to', '2.0', ...URL_ARGS];
const RUN_ID = 'up-000000000000';
const cli = useCliHarness('journey-uplift');

interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fetch that hands each request to the app in process; `calls` records what was sent. */
function fetchVia(app: ReturnType<typeof buildApi>, calls: Call[]): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = typeof init?.body === 'string' ? init.body : undefined;
    calls.push({ method: init?.method ?? 'GET', path: url.pathname, headers, ...(body === undefined ? {} : { body: JSON.parse(body) as unknown }) });
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers,
      ...(body === undefined ? {} : { payload: body }),
    });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') } });
  };
}

let stderr: string[];

beforeEach(() => {
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

/**
 * The fake engine behind the real routes; each GET of the run applies the next of `states` (the
 * last one sticks). `fetchOverride` wraps the fetch, e.g. to refuse connections after a point.
 */
function setup(
  states: Array<Partial<UpliftRun>> = [{ status: 'done' }],
  options: { interactive?: boolean; fetchOverride?: (inner: typeof fetch) => typeof fetch } = {},
) {
  const engine = new FakeEngine();
  let polls = 0;
  engine.upliftRun = (runId) => {
    const run = engine.uplifts.get(runId);
    if (run) Object.assign(run, states[Math.min(polls, states.length - 1)]);
    polls += 1;
    return run;
  };
  const calls: Call[] = [];
  const inner = fetchVia(buildApi(engine, devOptions, silentLogger()), calls);
  const uplift = createUpliftCommand(options.fetchOverride ? options.fetchOverride(inner) : inner, { pollMs: 1, interactive: options.interactive ?? false });
  return { engine, calls, uplift, polls: () => polls };
}

const failures = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ journeyId: `01J${String(i).padStart(23, '0')}`, message: '/tier must be one of standard, premium' }));

describe('journey uplift: the command line', () => {
  it('takes --where repeated, --dry-run and --batch into the request, a value keeping its own =', () => {
    expect(parseUpliftArgs([...RUN_ARGS, '--where', 'owner=alice', '--where', 'status=note=open', '--dry-run', '--batch', '250']).request).toEqual({
      journeyType: 'pfm/wallet',
      from: '1.0',
      to: '2.0',
      where: { owner: 'alice', status: 'note=open' },
      dryRun: true,
      batch: 250,
    });
    expect(parseUpliftArgs(RUN_ARGS).request).toEqual({ journeyType: 'pfm/wallet', from: '1.0', to: '2.0' });
  });

  it('posts what it parsed as an operator, and polls the run it was given', async () => {
    const { calls, uplift, engine } = setup();
    expect(await uplift.run([...RUN_ARGS, '--where', 'owner=alice', '--where', 'status=open', '--batch', '50'])).toBe(0);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /uplifts', `GET /uplifts/${RUN_ID}`]);
    expect(calls[0]?.body).toEqual({ journeyType: 'pfm/wallet', from: '1.0', to: '2.0', where: { owner: 'alice', status: 'open' }, batch: 50 });
    expect(calls[0]?.headers).toMatchObject({ 'x-dev-roles': 'operator', 'content-type': 'application/json' });
    expect(calls[1]?.headers).toMatchObject({ 'x-dev-roles': 'operator' });
    expect(engine.uplifts.get(RUN_ID)?.where).toEqual({ owner: 'alice', status: 'open' });
  });

  it.each([
    [['--where', 'owner'], /--where takes field=value, got 'owner'/],
    [['--where', '=alice'], /'' is not a search field name/],
    [['--where', 'owner='], /no value for owner/],
    [['--where', 'my-field=x'], /'my-field' is not a search field name/],
    [['--where', 'owner=a', '--where', 'owner=b'], /--where owner is given twice/],
    [['--where', `owner=${'x'.repeat(256)}`], /longer than 255 characters/],
    [Array.from({ length: 17 }, (_, i) => ['--where', `f${i}=x`]).flat(), /at most 16 fields/],
    [['--batch', '0'], /--batch must be a whole number from 1 to 1000, got '0'/],
    [['--batch', '1001'], /got '1001'/],
    [['--batch', 'ten'], /got 'ten'/],
    [['--wher', 'owner=alice'], /Unknown option '--wher'/],
  ])('refuses %j with exit 2 and the help, posting nothing', async (extra, why) => {
    const { calls, uplift } = setup();
    expect(await uplift.run([...RUN_ARGS, ...extra])).toBe(2);
    expect(cli.output.join('\n')).toMatch(why);
    expect(cli.output.join('\n')).toContain('Usage: journey uplift <type>');
    expect(calls).toEqual([]);
  });

  it.each([
    [[], /expected a journey type/],
    [['pfm/wallet', 'extra', '--from', '1.0', '--to', '2.0', ...URL_ARGS], /got also extra/],
    [['pfm wallet', '--from', '1.0', '--to', '2.0', ...URL_ARGS], /'pfm wallet' is not a journey type/],
    [['pfm/wallet', '--to', '2.0', ...URL_ARGS], /--from <version> is required/],
    [['pfm/wallet', '--from', '1.0', '--to', 'latest', ...URL_ARGS], /--to: 'latest' is not a version/],
    [['pfm/wallet', '--from', '2.0', '--to', '2.0', ...URL_ARGS], /both 2\.0; an uplift goes to a newer version/],
    [['pfm/wallet', '--from', '1.0', '--to', '2.0', '--url', 'ftp://x'], /--url must be an http\(s\) URL/],
  ])('refuses the command line %j with exit 2', async (args, why) => {
    vi.stubEnv('JOURNEY_API_URL', '');
    try {
      const { calls, uplift } = setup();
      expect(await uplift.run(args)).toBe(2);
      expect(cli.output[0]).toMatch(why);
      expect(calls).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('journey uplift: following the run', () => {
  it('prints a plain line each time the counts change (never a repeat), then the summary; exit 0', async () => {
    const { uplift, polls } = setup([
      { scanned: 100, uplifted: 40 },
      { scanned: 100, uplifted: 40 },
      { scanned: 100, uplifted: 100 },
      { scanned: 150, uplifted: 148, resumed: 12, pending: 2, status: 'done', finishedAt: new Date(2500).toISOString() },
    ]);
    expect(await uplift.run([...RUN_ARGS, '--where', 'owner=alice'])).toBe(0);
    expect(polls()).toBe(4);
    expect(stderr.join('')).toBe(
      [
        `uplift: started run ${RUN_ID}: pfm/wallet 1.0 → 2.0 where owner=alice`,
        'uplift: [40/100] scanned 100, uplifted 40, rejected 0',
        'uplift: [100/100] scanned 100, uplifted 100, rejected 0',
        'uplift: [148/150] scanned 150, uplifted 148, rejected 0, resumed 12, pending 2',
        `uplift: run ${RUN_ID} done`,
        '',
      ].join('\n'),
    );
    expect(cli.output).toEqual([
      `uplift pfm/wallet 1.0 → 2.0 where owner=alice done in 2.5 s: scanned 150, uplifted 148, rejected 0, resumed 12, pending 2 (run ${RUN_ID})`,
      "2 uplift(s) queued and not handled yet: they move in their instance's turn (a rerun waits for them)",
    ]);
  });

  it('draws a bar in place on a terminal', async () => {
    const { uplift } = setup(
      [
        { scanned: 100, uplifted: 50 },
        { scanned: 100, uplifted: 100, status: 'done' },
      ],
      { interactive: true },
    );
    expect(await uplift.run(RUN_ARGS)).toBe(0);
    const out = stderr.join('');
    expect(out).toContain(`\r\x1b[2Kuplift [${'#'.repeat(12)}${'.'.repeat(12)}] 50/100 scanned 100, uplifted 50, rejected 0`);
    expect(out).toContain(`\r\x1b[2Kuplift [${'#'.repeat(24)}] 100/100 scanned 100, uplifted 100, rejected 0`);
    expect(out.endsWith(`\r\x1b[2Krun ${RUN_ID} done\n`)).toBe(true);
    expect(out).not.toMatch(/uplift: \[/);
  });

  it('exits 1 on rejections, listing the first 10 failures and saying a rerun resumes safely', async () => {
    const { uplift } = setup([{ scanned: 40, uplifted: 27, rejected: 13, failures: failures(13), status: 'done' }]);
    expect(await uplift.run(RUN_ARGS)).toBe(1);
    expect(cli.output[0]).toBe(`uplift pfm/wallet 1.0 → 2.0 done: scanned 40, uplifted 27, rejected 13 (run ${RUN_ID})`);
    expect(cli.output[1]).toBe('first failures (instances left on 1.0):');
    expect(cli.output.slice(2, 12)).toEqual(failures(10).map((f) => `  ${f.journeyId}: ${f.message}`));
    expect(cli.output[12]).toBe('  … and 3 more');
    expect(cli.output[13]).toMatch(
      /^journey uplift: 13 instance\(s\) rejected stay on 1\.0; rerunning the same command resumes it safely: the uplifts it queued are found again by their idempotency keys/,
    );
    expect(cli.output).toHaveLength(14);
  });

  it('exits 1 when a dry run finds instances that would be rejected, saying nothing changed', async () => {
    const { uplift, calls } = setup([{ dryRun: true, scanned: 5, uplifted: 4, rejected: 1, failures: failures(1), status: 'done' }]);
    expect(await uplift.run([...RUN_ARGS, '--dry-run'])).toBe(1);
    expect(calls[0]?.body).toMatchObject({ dryRun: true });
    expect(cli.output[0]).toBe(`uplift pfm/wallet 1.0 → 2.0 (dry run) done: scanned 5, would uplift 4, rejected 1 (run ${RUN_ID})`);
    expect(cli.output.at(-1)).toBe('journey uplift: 1 instance(s) would be rejected and stay on 1.0; nothing was changed');
  });

  it('exits 1 when the run fails, naming the error and saying that rerunning resumes it', async () => {
    const { uplift } = setup([
      { scanned: 100, uplifted: 100 },
      { status: 'failed', error: { code: 'JE_STORE_UNAVAILABLE', message: 'the store did not answer' } },
    ]);
    expect(await uplift.run(RUN_ARGS)).toBe(1);
    expect(stderr.join('')).toContain(`uplift: run ${RUN_ID} failed\n`);
    expect(cli.output).toEqual([
      `uplift pfm/wallet 1.0 → 2.0 failed: scanned 100, uplifted 100, rejected 0 (run ${RUN_ID})`,
      'journey uplift: the run failed: JE_STORE_UNAVAILABLE: the store did not answer; rerunning the same command resumes it safely: the uplifts it queued are found again by their idempotency keys',
    ]);
  });

  it('says the run stopped, exit 3, when its node forgets it (404) mid-run', async () => {
    const { uplift, engine } = setup([{ scanned: 100, uplifted: 60 }]);
    const original = engine.upliftRun.bind(engine);
    let asked = 0;
    engine.upliftRun = (runId) => (++asked < 2 ? original(runId) : undefined);
    expect(await uplift.run(RUN_ARGS)).toBe(3);
    expect(cli.output).toEqual([
      `uplift pfm/wallet 1.0 → 2.0 stopped: scanned 100, uplifted 60, rejected 0 (run ${RUN_ID})`,
      `journey uplift: the run stopped: the node no longer knows run ${RUN_ID} (it restarted, or --url reached another node); rerunning the same command resumes it safely: the uplifts it queued are found again by their idempotency keys`,
    ]);
  });

  it('says the run stopped, exit 3, when its node refuses connections mid-run (a blip is tolerated)', async () => {
    let sent = 0;
    const refusing: (inner: typeof fetch) => typeof fetch = (inner) => (input, init) =>
      // POST, one poll, one refused poll (a blip), one poll, then refused for good.
      ++sent === 3 || sent > 4
        ? Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:3000') }))
        : inner(input, init);
    const { uplift } = setup(
      [
        { scanned: 100, uplifted: 10 },
        { scanned: 100, uplifted: 20 },
      ],
      { fetchOverride: refusing },
    );
    expect(await uplift.run(RUN_ARGS)).toBe(3);
    expect(sent).toBe(7);
    expect(stderr.join('')).toContain('uplift: [20/100] scanned 100, uplifted 20, rejected 0\n');
    expect(cli.output.at(-1)).toBe(
      'journey uplift: the run stopped: cannot reach http://api.test:3000: connect ECONNREFUSED 127.0.0.1:3000; rerunning the same command resumes it safely: the uplifts it queued are found again by their idempotency keys',
    );
  });

  it('exits 3 when the API cannot be reached to start the run', async () => {
    const uplift = createUpliftCommand(() => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })), {
      pollMs: 1,
      interactive: false,
    });
    expect(await uplift.run(RUN_ARGS)).toBe(3);
    expect(cli.output).toEqual(['journey uplift: cannot reach http://api.test:3000: connect ECONNREFUSED']);
  });
});

describe('journey uplift: refusals', () => {
  it('409 JE_UPLIFT_RUNNING: exit 1, suggesting to wait and rerun', async () => {
    const { uplift, engine, calls } = setup();
    engine.upliftError = new JourneyError('JE_UPLIFT_RUNNING', 'an uplift of pfm/wallet is running already; wait for it, or resume it when it stopped', {
      details: { journeyType: 'pfm/wallet' },
      retryAfterMs: 5_000,
    });
    expect(await uplift.run(RUN_ARGS)).toBe(1);
    expect(cli.output).toEqual([
      'JE_UPLIFT_RUNNING: an uplift of pfm/wallet is running already; wait for it, or resume it when it stopped',
      'another uplift of pfm/wallet is running: wait for it to finish, then rerun this command (it resumes where that one got to)',
    ]);
    expect(calls.map((c) => c.method)).toEqual(['POST']);
  });

  it('422 JE_UPLIFT_INVALID lists the findings; 400 names the search fields; 404 points to journey versions', async () => {
    const { uplift, engine } = setup();
    engine.upliftError = new JourneyError('JE_UPLIFT_INVALID', 'pfm/wallet 2.0 cannot take instances of 1.0: 2 finding(s)', {
      details: {
        findings: [
          { kind: 'compatibility', message: 'data /required: BACKWARD: 2.0 requires tier' },
          { kind: 'samples', message: 'sample 3: /tier missing' },
        ],
      },
    });
    expect(await uplift.run(RUN_ARGS)).toBe(1);
    expect(cli.output).toEqual([
      'JE_UPLIFT_INVALID: pfm/wallet 2.0 cannot take instances of 1.0: 2 finding(s)',
      '  data /required: BACKWARD: 2.0 requires tier',
      '  sample 3: /tier missing',
      '2.0 cannot take the instances of 1.0; nothing was changed',
    ]);

    cli.output.length = 0;
    engine.upliftError = new JourneyError('JE_BAD_REQUEST', 'city is not a search field of pfm/wallet 1.0', {
      details: { field: 'city', searchFields: ['owner', 'status'] },
    });
    expect(await uplift.run([...RUN_ARGS, '--where', 'city=Paris'])).toBe(1);
    expect(cli.output).toEqual(['JE_BAD_REQUEST: city is not a search field of pfm/wallet 1.0', '  search fields of pfm/wallet 1.0: owner, status']);

    cli.output.length = 0;
    engine.upliftError = new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', 'journey pfm/wallet 2.0 is not deployed');
    expect(await uplift.run(RUN_ARGS)).toBe(1);
    expect(cli.output).toEqual(['JE_JOURNEY_TYPE_UNKNOWN: journey pfm/wallet 2.0 is not deployed', 'journey versions --url <api> lists the deployed versions']);
    expect(engine.uplifts.size).toBe(0);
  });
});
