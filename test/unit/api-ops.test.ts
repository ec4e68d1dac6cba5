// The operations routes every node serves: alone on a node without the API role (ops-server.ts),
// and with the API; both expose the process and build-info metrics.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpsServer } from '../../api/index.js';
import { silentLogger } from '../../common/index.js';
import { FakeEngine, devApi } from './api-helpers.js';

const VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

describe('operations server (a node without the API role)', () => {
  const apps: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  function opsServer(engine = new FakeEngine()) {
    const app = buildOpsServer(engine, silentLogger());
    apps.push(app);
    return { app, engine };
  }

  it('answers /health and /ready like the API does', async () => {
    const { app, engine } = opsServer();
    const health = await app.inject({ url: '/health' });
    expect(health.json()).toEqual({ status: 'ok', nodeId: 'test-node' });
    expect(health.headers['x-request-id']).toBeTruthy();
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
    engine.ready = false;
    const notReady = await app.inject({ url: '/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ ready: false, nodeId: 'test-node' });
  });

  it('serves the engine, HTTP, build-info and process metrics, each name once', async () => {
    const { app } = opsServer();
    await app.inject({ url: '/health' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('je_events_accepted_total 3');
    expect(res.body).toContain('je_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(res.body).toContain(`journey_engine_build_info{version="${VERSION}",node="test-node"} 1`);
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(res.body).toMatch(/^process_resident_memory_bytes \d/m);
    const names = [...res.body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    expect(names.length).toBe(new Set(names).size);
  });

  it('serves nothing else: the API routes are 404 with the error envelope', async () => {
    const { app } = opsServer();
    for (const [method, url] of [
      ['POST', '/journeys/pfm/wallet/1.0/events'],
      ['GET', '/openapi.json'],
      ['GET', '/journeys'],
    ] as const) {
      const res = await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: method === 'POST' ? '{}' : undefined });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: { code: 'JE_NOT_FOUND' } });
    }
  });

  it('several servers in one process share the process metrics without clashing', async () => {
    const first = opsServer().app;
    const second = opsServer().app;
    const { app: api } = devApi();
    apps.push(api);
    for (const app of [first, second, api]) {
      const res = await app.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(res.body).toContain('journey_engine_build_info{');
    }
  });
});
