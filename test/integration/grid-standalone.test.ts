// The grid against a standalone redis-server this file starts for itself on a free port.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGrid, getHotState, localGridStatus, putHotState, startLocalStandalone } from '../../grid/index.js';
import type { Grid, LocalStandalone } from '../../grid/index.js';
import { disposeTestGrid, startTestStandalone, testNamespace } from '../support/environment.js';

describe('grid on a standalone redis-server', () => {
  let server: LocalStandalone;
  let grid: Grid;

  beforeAll(async () => {
    server = await startTestStandalone();
    grid = await connectGrid({ urls: [server.url], keyPrefix: testNamespace(), watchdogIntervalMs: 0 });
  });

  afterAll(async () => {
    await grid?.close();
    await disposeTestGrid(server);
  });

  it('detects standalone mode', async () => {
    expect(grid.mode).toBe('standalone');
    expect(await grid.nodeCount()).toBe(1);
    expect(await grid.health()).toMatchObject({ ok: true, mode: 'standalone', masters: 1, clusterState: null });
  });

  it('requires its password: the URL carries it, a client without it gets NOAUTH', async () => {
    expect(server.url).toBe(`redis://:${server.password}@127.0.0.1:${server.port}`);
    const refused = await connectGrid({ urls: [`redis://127.0.0.1:${server.port}`], connectTimeoutMs: 2_000, watchdogIntervalMs: 0 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String((refused as Error).message)).toMatch(/NOAUTH/);
  });

  it('stores hot state only when its seq is newer', async () => {
    const journeyId = randomUUID();
    expect(await putHotState(grid, journeyId, 5, '{"a":5}', 60_000)).toBe(true);
    expect(await putHotState(grid, journeyId, 4, '{"a":4}', 60_000)).toBe(false);
    expect(await getHotState(grid, journeyId)).toEqual({ seq: 5, state: '{"a":5}' });
  });

  it('starting it again attaches to the running server', async () => {
    const again = await startLocalStandalone({ dir: server.dir, portBase: server.port });
    expect(again.reused).toBe(true);
    expect(again.pid).toBe(server.pid);
    const status = await localGridStatus({ dir: server.dir });
    expect(status).toMatchObject({ kind: 'standalone', healthy: true, clusterState: null });
    expect(status.nodes).toEqual([{ port: server.port, pid: server.pid, alive: true, role: 'standalone', clusterState: null }]);
  });

  it('the watchdog replaces a client that stopped working', async () => {
    const watched = await connectGrid({ urls: [server.url], keyPrefix: testNamespace(), watchdogIntervalMs: 100, watchdogFailures: 2 });
    try {
      const stuck = watched.client;
      // A client that was ended never reconnects on its own: every command fails from now on.
      stuck.disconnect();
      await expect(stuck.ping()).rejects.toThrow();
      const deadline = performance.now() + 10_000;
      while (watched.client === stuck && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(watched.client).not.toBe(stuck);
      expect(await watched.ping()).toBeGreaterThanOrEqual(0);
      expect(await putHotState(watched, randomUUID(), 1, '{}', 10_000)).toBe(true);
    } finally {
      await watched.close();
    }
  });

  it('stop removes the server and its files', async () => {
    const other = await startTestStandalone();
    try {
      const report = await other.stop();
      expect(report.stopped).toEqual([other.pid]);
      expect(existsSync(join(other.dir, `node-${other.port}`))).toBe(false);
      expect(await localGridStatus({ dir: other.dir })).toMatchObject({ kind: null, nodes: [] });
    } finally {
      await disposeTestGrid(other);
    }
  });
});
