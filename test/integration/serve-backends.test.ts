/**
 * `journey serve` with back ends named in configuration: BACKENDS_MODULE loads an ES module's
 * handlers and BACKENDS_CONFIG a file of circuit breakers (and HTTP back ends), instead of the
 * simulated example back ends; a journey's call is answered by the module's handler. A module that
 * cannot be loaded stops the start, naming the setting.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePortBase } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { ServeProcess } from '../support/serve-process.js';

const SOURCE = `journey ops/quote version 1.0
data schema "data.json"
event Ask schema "empty.json"
event Quoted schema "quoted.json"
event QuoteFailed schema "failed.json"

on Ask initiating
  set status = "asking"
  call pricing.quote { item: "widget" } reply Quoted failure QuoteFailed

on Quoted
  allow context.origin == "backend"
  set status = "quoted", price = event.price, callId = event.callId

on QuoteFailed
  allow context.origin == "backend"
  set status = "failed", reason = event.reason
`;

/** The module a deployment writes: plain ESM, no import of the engine needed. */
const MODULE = `export default {
  'pricing.quote': async (request, { callId }) => ({ price: request.item === 'widget' ? 11 : 0, callId }),
};
`;

let dir: string;
let database: TestDatabase;
let serve: ServeProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'je-serve-backends-'));
  const folder = join(dir, 'journeys', 'ops', 'quote', '1.0');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'journey.jd'), SOURCE);
  await writeFile(join(folder, 'data.json'), JSON.stringify({ type: 'object' }));
  await writeFile(join(folder, 'empty.json'), JSON.stringify({ type: 'object', additionalProperties: false, properties: {} }));
  await writeFile(
    join(folder, 'quoted.json'),
    JSON.stringify({ type: 'object', required: ['price', 'callId'], properties: { price: { type: 'integer' }, callId: { type: 'string' } } }),
  );
  await writeFile(
    join(folder, 'failed.json'),
    JSON.stringify({
      type: 'object',
      required: ['reason', 'attempts'],
      additionalProperties: false,
      properties: { reason: { type: 'string' }, attempts: { type: 'integer' } },
    }),
  );
  await writeFile(join(dir, 'backends.mjs'), MODULE);
  await writeFile(join(dir, 'backends.json'), JSON.stringify({ breakers: { pricing: { failureThreshold: 10, openMs: 5_000 } } }));
  database = await createTestDatabase();
});

afterAll(async () => {
  await serve?.kill();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('journey serve with back ends from configuration', () => {
  it('answers a call with the handler of the module BACKENDS_MODULE names', async () => {
    const port = await findFreePortBase({ count: 1, cluster: false });
    serve = new ServeProcess({
      REDIS_URL: gridSeeds().join(','),
      MARIADB_URL: database.url,
      GRID_KEY_PREFIX: testNamespace(),
      JOURNEYS_DIR: join(dir, 'journeys'),
      BACKENDS_MODULE: join(dir, 'backends.mjs'),
      BACKENDS_CONFIG: join(dir, 'backends.json'),
      PORT: String(port),
      NODE_ID: `backends-${port}`,
      PARTITIONS: '4',
    });
    await serve.waitReady(port, 120_000);
    const configured = await serve.waitForLine(/^back ends configured$/, 1_000);
    expect(configured).toMatchObject({ module: ['pricing.quote'], http: [], breakers: ['pricing'] });
    expect(serve.lines().some((line) => /simulated example back ends/.test(String(line['msg'])))).toBe(false);

    const started = await fetch(`http://127.0.0.1:${port}/journeys/ops/quote/1.0/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dev-sender': 'alice' },
      body: JSON.stringify({ type: 'Ask', data: {} }),
    });
    expect(started.status).toBe(202);
    const { journeyId } = (await started.json()) as { journeyId: string };
    let data: Record<string, unknown> = {};
    const deadline = performance.now() + 30_000;
    while (data['status'] !== 'quoted' && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const read = await fetch(`http://127.0.0.1:${port}/journeys/${journeyId}`, { headers: { 'x-dev-sender': 'ops', 'x-dev-roles': 'operator' } });
      if (read.status === 200) data = ((await read.json()) as { data: Record<string, unknown> }).data;
    }
    expect(data).toMatchObject({ status: 'quoted', price: 11 });
    expect(data['callId']).toMatch(/^[0-9A-Z]{26}$/);
    serve.signal('SIGTERM');
    expect(await serve.waitForExit(20_000), serve.tail()).toMatchObject({ code: 0 });
  });

  it('stops at start when the module cannot be loaded, naming BACKENDS_MODULE', async () => {
    const port = await findFreePortBase({ count: 1, cluster: false });
    serve = new ServeProcess({
      REDIS_URL: gridSeeds().join(','),
      MARIADB_URL: database.url,
      GRID_KEY_PREFIX: testNamespace(),
      JOURNEYS_DIR: join(dir, 'journeys'),
      BACKENDS_MODULE: join(dir, 'missing.mjs'),
      PORT: String(port),
      NODE_ID: `backends-${port}`,
    });
    const exit = await serve.waitForExit(60_000);
    expect(exit, serve.tail()).toMatchObject({ code: 2 });
    const fatal = serve.lines().find((line) => line['code'] === 'JE_CONFIG_INVALID');
    expect(String(fatal?.['err'] ? (fatal['err'] as { message?: string }).message : '')).toMatch(
      /^BACKENDS_MODULE \(--backends-module\) .*missing\.mjs: the module cannot be loaded/,
    );
  });
});
