/**
 * Back ends from configuration: the JSON file of HTTP back ends and breakers (validated, values
 * from the environment, errors that name the setting and never a secret), and the handlers a
 * back-end module exports.
 */
import { describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { backendsFromModule, parseBackendsConfig } from '../../engine/index.js';

const SOURCE = 'BACKENDS_CONFIG (backends.json)';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isJourneyError(error, 'JE_CONFIG_INVALID')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected JE_CONFIG_INVALID');
}

describe('the back-ends file', () => {
  it('makes an HTTP handler per call name and a default breaker per system it calls', () => {
    const parsed = parseBackendsConfig(
      {
        http: {
          'pricing.quote': { url: 'https://pricing.example/quote', queryUrl: { env: 'QUOTE_QUERY_URL' } },
          'pricing.reserve': {
            url: { env: 'RESERVE_URL' },
            method: 'PUT',
            timeoutMs: 2000,
            headers: { Authorization: { env: 'PRICING_AUTH' }, 'X-Client': 'je' },
          },
          'audit.log': { url: 'http://audit.internal/log' },
        },
        breakers: { pricing: { openMs: 60_000, whenOpen: 'wait' }, audit: false, ledger: {} },
      },
      { RESERVE_URL: 'https://pricing.example/reserve', PRICING_AUTH: 'Bearer s3cret', QUOTE_QUERY_URL: 'https://pricing.example/quote/query' },
      SOURCE,
    );
    expect(Object.keys(parsed.handlers).sort()).toEqual(['audit.log', 'pricing.quote', 'pricing.reserve']);
    // A call with a queryUrl can be reconciled; one without cannot.
    expect(parsed.handlers['pricing.quote']).toHaveProperty('query');
    expect(parsed.handlers['pricing.reserve']).not.toHaveProperty('query');
    expect(parsed.breakers).toEqual({ pricing: { openMs: 60_000, whenOpen: 'wait' }, ledger: {} });
  });

  it('is empty when the file says nothing', () => {
    expect(parseBackendsConfig({}, {}, SOURCE)).toEqual({ handlers: {}, breakers: {} });
  });

  it.each([
    [{ http: { pricing: { url: 'https://x' } } }, /\/http must match pattern|property name/],
    [{ http: { 'pricing.quote': {} } }, /must have required property 'url'/],
    [{ http: { 'pricing.quote': { url: 'https://x', method: 'GET' } } }, /\/http\/pricing.quote\/method must be equal to one of the allowed values/],
    [{ http: { 'pricing.quote': { url: 'https://x', timeoutMs: 0 } } }, /timeoutMs must be >= 1/],
    [{ http: { 'pricing.quote': { url: 'https://x', retries: 3 } } }, /must NOT have additional properties \(retries\)/],
    [{ breakers: { pricing: { failureRatio: 2 } } }, /failureRatio must be <= 1/],
    [{ breakers: { pricing: { whenOpen: 'panic' } } }, /whenOpen must be equal to one of the allowed values/],
    [{ backends: {} }, /must NOT have additional properties \(backends\)/],
  ])('refuses %j, naming the setting and the place', (content, message) => {
    const text = refusal(() => parseBackendsConfig(content, {}, SOURCE));
    expect(text.startsWith(`${SOURCE}: `)).toBe(true);
    expect(text).toMatch(message);
  });

  it('refuses a value from a variable that is not set, naming the variable', () => {
    const text = refusal(() =>
      parseBackendsConfig({ http: { 'pricing.quote': { url: 'https://x', headers: { Authorization: { env: 'PRICING_AUTH' } } } } }, {}, SOURCE),
    );
    expect(text).toBe(`${SOURCE}: /http/pricing.quote/headers/Authorization names the environment variable PRICING_AUTH, which is not set`);
  });

  it('refuses a URL with a credential or of another scheme without echoing it, and headers the adapter sets', () => {
    const withPassword = refusal(() => parseBackendsConfig({ http: { 'pricing.quote': { url: { env: 'URL' } } } }, { URL: 'https://me:hunter2@x/q' }, SOURCE));
    expect(withPassword).toMatch(/\/http\/pricing.quote: .*without a user or password/);
    expect(withPassword).not.toContain('hunter2');
    expect(refusal(() => parseBackendsConfig({ http: { 'a.b': { url: 'file:///etc/passwd' } } }, {}, SOURCE))).toMatch(/must be http or https/);
    expect(refusal(() => parseBackendsConfig({ http: { 'a.b': { url: 'https://x', headers: { 'idempotency-key': 'k' } } } }, {}, SOURCE))).toMatch(
      /idempotency-key is set by the HTTP adapter itself/,
    );
  });
});

describe('a back-end module', () => {
  const handler = (): Promise<{ ok: boolean }> => Promise.resolve({ ok: true });

  it('exports handlers as default or as backends, or a function returning them', async () => {
    expect(Object.keys(await backendsFromModule({ default: { 'pricing.quote': handler } }, 'm'))).toEqual(['pricing.quote']);
    expect(Object.keys(await backendsFromModule({ backends: { 'pricing.quote': handler } }, 'm'))).toEqual(['pricing.quote']);
    expect(Object.keys(await backendsFromModule({ default: () => Promise.resolve({ 'ledger.post': handler }) }, 'm'))).toEqual(['ledger.post']);
  });

  it('refuses a module without handlers, a name that is not a call, a handler that is not a function', async () => {
    await expect(backendsFromModule({ other: 1 }, 'BACKENDS_MODULE (x.js)')).rejects.toThrow(/^BACKENDS_MODULE \(x\.js\): the module exports no back ends/);
    await expect(backendsFromModule({ default: { pricing: handler } }, 'm')).rejects.toThrow(/"pricing" is not a call name/);
    await expect(backendsFromModule({ default: { 'pricing.quote': 'https://x' } }, 'm')).rejects.toThrow(/the handler of pricing.quote is not a function/);
  });
});
