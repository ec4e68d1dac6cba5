/**
 * The typed client's edge: its generated types are what the served OpenAPI document gives today,
 * and options are checked when the client is made (no request is sent). The client against a
 * real engine: test/integration/client.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJourneyClient } from '../../client/index.js';
import type { JourneyClientOptions } from '../../client/index.js';
import { isJourneyError } from '../../common/index.js';
import { CLIENT_TYPES_FILE, clientTypesSource } from '../../scripts/client-types.js';
import { ROOT } from '../../scripts/served-openapi.js';

describe('typed client', () => {
  it('the committed generated types are those of the served OpenAPI document (npm run generate)', async () => {
    const committed = readFileSync(join(ROOT, CLIENT_TYPES_FILE), 'utf8');
    expect(committed.split('\n')[0]).toMatch(/^\/\/ GENERATED FILE: DO NOT EDIT\./);
    // Equal, or `npm run generate` was not run after the API or a journey changed.
    expect(committed === (await clientTypesSource()), `${CLIENT_TYPES_FILE} is stale: run npm run generate`).toBe(true);
  });

  it('makes a client for an http(s) base URL, with a path prefix kept', () => {
    for (const base of ['http://127.0.0.1:3000', 'https://gateway.example/engine/']) {
      const client = createJourneyClient(base, { token: 'token' });
      expect(typeof client.GET).toBe('function');
    }
    expect(typeof createJourneyClient('http://localhost:3000', { devSender: 'alice', headers: { 'x-request-id': 'r1' } }).POST).toBe('function');
  });

  it('refuses bad options with JE_CONFIG_INVALID naming the option', () => {
    const cases: Array<[string, unknown, string]> = [
      ['not a url', {}, 'baseUrl'],
      ['ftp://host/', {}, 'baseUrl'],
      ['http://host/?tenant=a', {}, 'baseUrl'],
      ['http://host', { token: 't', devSender: 'alice' }, 'token'],
      ['http://host', { token: '' }, 'token'],
      ['http://host', { token: 42 }, 'token'],
      ['http://host', { devSender: '' }, 'devSender'],
      ['http://host', { headers: { 'x-a': 1 } }, 'headers'],
      ['http://host', { fetch: 'fetch' }, 'fetch'],
      ['http://host', { retries: 3 }, 'retries'],
      ['http://host', null, 'options'],
    ];
    for (const [base, options, option] of cases) {
      let thrown: unknown;
      try {
        createJourneyClient(base, options as JourneyClientOptions);
      } catch (error) {
        thrown = error;
      }
      expect(isJourneyError(thrown, 'JE_CONFIG_INVALID'), `${base} ${JSON.stringify(options)}`).toBe(true);
      expect(thrown).toMatchObject({ details: { option } });
    }
  });
});
