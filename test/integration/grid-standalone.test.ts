// The grid against a standalone redis-server this file starts for itself on a free port.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGrid, findFreePortBase, getJourneyState, localGridStatus, putJourneyState, startLocalStandalone } from '../../grid/index.js';
import type { Grid, LocalStandalone } from '../../grid/index.js';
import { testNamespace } from '../support/environment.js';

describe('grid on a standalone redis-server', () => {
  let root: string;
  let server: LocalStandalone;
  let grid: Grid;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'je-grid-standalone-'));
    server = await startLocalStandalone({ dir: join(root, 'grid'), portBase: await findFreePortBase({ count: 1, cluster: false }) });
    grid = await connectGrid({ urls: [server.url], keyPrefix: testNamespace(), watchdogIntervalMs: 0 });
  });

  afterAll(async () => {
    await grid?.close();
    await server?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('detects standalone mode', async () => {
    expect(grid.mode).toBe('standalone');
    expect(await grid.nodeCount()).toBe(1);
    expect(await grid.health()).toMatchObject({ ok: true, mode: 'standalone', masters: 1, clusterState: null });
  });

  it('stores hot state only when its seq is newer', async () => {
    const journeyId = randomUUID();
    expect(await putJourneyState(grid, journeyId, 5, '{"a":5}', 60_000)).toBe(true);
    expect(await putJourneyState(grid, journeyId, 4, '{"a":4}', 60_000)).toBe(false);
    expect(await getJourneyState(grid, journeyId)).toEqual({ seq: 5, state: '{"a":5}' });
  });

  it('starting it again attaches to the running server', async () => {
    const again = await startLocalStandalone({ dir: server.dir, portBase: server.port });
    expect(again.reused).toBe(true);
    expect(again.pid).toBe(server.pid);
    const status = await localGridStatus({ dir: server.dir });
    expect(status).toMatchObject({ kind: 'standalone', healthy: true, clusterState: null });
    expect(status.nodes).toEqual([{ port: server.port, pid: server.pid, alive: true, role: 'standalone', clusterState: null }]);
  });

  it('stop removes the server and its files', async () => {
    const other = await startLocalStandalone({ dir: join(root, 'other'), portBase: await findFreePortBase({ count: 1, cluster: false }) });
    const report = await other.stop();
    expect(report.stopped).toEqual([other.pid]);
    expect(existsSync(other.dir)).toBe(false);
    expect(await localGridStatus({ dir: other.dir })).toMatchObject({ kind: null, nodes: [] });
  });
});
