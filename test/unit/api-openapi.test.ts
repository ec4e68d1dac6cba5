import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../api/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { CompiledJourney } from '../../dsl/index.js';
import { walletJourney } from './api-helpers.js';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { requestBody?: { content: Record<string, { schema: unknown }> }; parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }> }
    >
  >;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> };
};

const wallet2: CompiledJourney = {
  ...walletJourney,
  version: '2.0',
  events: {
    ...walletJourney.events,
    OpenWallet: { ...walletJourney.events['OpenWallet']!, schema: { type: 'object', required: ['owner'], properties: { owner: { type: 'string' } } } },
  },
  searchFields: [...walletJourney.searchFields, { name: 'status', path: '$.status', type: 'string' }],
};

function documentOf(journeys: CompiledJourney[], authMode: 'jwt' | 'dev' = 'jwt'): Doc {
  return buildOpenApiDocument(
    journeys.map((journey, i) => ({ name: journey.name, version: journey.version, journey, laneNo: i + 1, hosted: true })),
    { authMode, maxWaitMs: 30_000 },
  ) as unknown as Doc;
}

/** A validator for one request body of the document, resolving its `$ref`s inside the document. */
function bodyValidator(doc: Doc, path: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, 'openapi.json');
  const pointer = `/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/post/requestBody/content/application~1json/schema`;
  return ajv.compile({ $ref: `openapi.json#${pointer}` });
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with every route documented', () => {
    const doc = documentOf([walletJourney]);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/dead-letters',
        '/dead-letters/{id}',
        '/dead-letters/{id}/discard',
        '/dead-letters/{id}/retry',
        '/deployments',
        '/deployments/pfm/wallet',
        '/deployments/pfm/wallet/{version}',
        '/health',
        '/journeys',
        '/journeys/pfm/wallet/{version}/events',
        '/journeys/{journeyId}',
        '/journeys/{journeyId}/events',
        '/metrics',
        '/openapi.json',
        '/published-events',
        '/ready',
        '/reconcile/{system}',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/journeys/{journeyId}/events']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/deployments']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/deployments/pfm/wallet/{version}']!)).toEqual(['delete']);
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    expect(documentOf([walletJourney], 'dev').components.securitySchemes).toHaveProperty('devSender');
  });

  it("embeds each event's JSON Schema, rebasing its local $refs", () => {
    const doc = documentOf([walletJourney]);
    const open = doc.components.schemas['pfm.wallet.v1.0.OpenWallet'];
    expect(open).toBeDefined();
    expect(open).not.toHaveProperty('$schema');
    expect(open?.['properties']).toEqual({
      owner: { type: 'string' },
      currency: { $ref: '#/components/schemas/pfm.wallet.v1.0.OpenWallet/$defs/currency' },
    });
    // Only events a sender can send become request variants: Deposited is emitted, never handled.
    expect(doc.components.schemas).not.toHaveProperty(['pfm.wallet.v1.0.Deposited']);
  });

  it('initiating events are the variants of the journey route; the others of the targeted route', () => {
    const doc = documentOf([walletJourney]);
    const start = bodyValidator(doc, '/journeys/pfm/wallet/{version}/events');
    expect(start({ type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } })).toBe(true);
    expect(start({ type: 'OpenWallet', data: { owner: 'alice', currency: 'euro' } })).toBe(false);
    expect(start({ type: 'OpenWallet', data: { owner: 'alice' } })).toBe(false);
    expect(start({ type: 'Deposit', data: { amount: 5 } })).toBe(false);
    const target = bodyValidator(doc, '/journeys/{journeyId}/events');
    expect(target({ type: 'Deposit', data: { amount: 5 } })).toBe(true);
    expect(target({ type: 'Deposit', data: { amount: -5 } })).toBe(false);
    expect(target({ type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } })).toBe(false);
    expect(target({ type: 'Deposited', data: {} })).toBe(false);
  });

  it('lists every deployed version (and latest) and every search field', () => {
    const doc = documentOf([walletJourney, wallet2]);
    const route = doc.paths['/journeys/pfm/wallet/{version}/events']!['post']!;
    expect(route.parameters?.find((p) => p.name === 'version')?.schema['enum']).toEqual(['1.0', '2.0', 'latest']);
    const start = bodyValidator(doc, '/journeys/pfm/wallet/{version}/events');
    expect(start({ type: 'OpenWallet', data: { owner: 'bob' } })).toBe(true); // valid for 2.0
    const search = doc.paths['/journeys']!['get']!.parameters!.map((p) => p.name);
    expect(search).toEqual(expect.arrayContaining(['type', 'version', 'cursor', 'limit', 'owner', 'balance', 'status']));
    expect(doc.paths['/journeys']!['get']!.parameters!.find((p) => p.name === 'type')?.schema['enum']).toEqual(['pfm/wallet']);
  });

  it('with nothing deployed still documents the generic routes', () => {
    const doc = documentOf([]);
    expect(doc.paths).toHaveProperty(['/journeys/{journeyId}/events']);
    // The generic body is a component only when the route refers to it (no unused components).
    expect(doc.components.schemas).toHaveProperty(['EventBody']);
    expect(documentOf([walletJourney]).components.schemas).not.toHaveProperty(['EventBody']);
    const target = bodyValidator(doc, '/journeys/{journeyId}/events');
    expect(target({ type: 'Anything', data: {} })).toBe(true);
  });

  it('documents the real wallet journey compiled from journeys/pfm/wallet/1.0', async () => {
    const compiled = await compileJourneys(resolve(import.meta.dirname, '../../journeys'));
    const wallet = compiled.journeys.find((j) => j.name === 'pfm/wallet' && j.version === '1.0');
    expect(wallet, JSON.stringify(compiled.diagnostics)).toBeDefined();
    const doc = documentOf([wallet!]);
    expect(doc.components.schemas).toHaveProperty(['pfm.wallet.v1.0.OpenWallet']);
    const start = bodyValidator(doc, '/journeys/pfm/wallet/{version}/events');
    expect(start({ type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } })).toBe(true);
    expect(start({ type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR', extra: 1 } })).toBe(false);
    const target = bodyValidator(doc, '/journeys/{journeyId}/events');
    for (const body of [
      { type: 'Deposit', data: { amount: 5 } },
      { type: 'Withdraw', data: { amount: 5 } },
      { type: 'CloseWallet', data: {} },
    ]) {
      expect(target(body), JSON.stringify(body)).toBe(true);
    }
    expect(target({ type: 'Deposit', data: { amount: 0.5 } })).toBe(false);
    expect(target({ type: 'Withdrawn', data: { amount: 5, balance: 0 } })).toBe(false);
    const search = doc.paths['/journeys']!['get']!.parameters!.map((p) => p.name);
    expect(search).toEqual(expect.arrayContaining(['owner', 'status']));
  });
});
