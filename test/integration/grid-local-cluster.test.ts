// Lifecycle and failover of a local cluster this file starts for itself (the shared harness
// cluster is left alone): start twice, status, kill a master and see its replica take over, stop
// after a crash.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import {
  connectGrid,
  getHotState,
  hashSlot,
  isPortFree,
  isProcessAlive as processAlive,
  LOCAL_GRID_PASSWORD_FILE,
  localGridStatus,
  putHotState,
  redactRedisUrl,
  startLocalCluster,
  startLocalStandalone,
  stopLocalGrid,
} from '../../grid/index.js';
import type { Grid, LocalCluster } from '../../grid/index.js';
import { disposeTestGrid, startTestCluster, testNamespace } from '../support/environment.js';

async function eventually<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (thrown: unknown) {
      lastError = thrown;
    }
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('local cluster lifecycle', () => {
  let dir: string;
  let cluster: LocalCluster;
  let grid: Grid | undefined;

  beforeAll(async () => {
    cluster = await startTestCluster();
    dir = cluster.dir;
  });

  afterAll(async () => {
    await grid?.close();
    await disposeTestGrid(cluster);
  });

  it('starts 3 masters with one replica each, with PID files', async () => {
    expect(cluster.reused).toBe(false);
    expect(cluster.nodes.filter((node) => node.role === 'master')).toHaveLength(3);
    expect(cluster.nodes.filter((node) => node.role === 'replica')).toHaveLength(3);
    for (const node of cluster.nodes) {
      expect(processAlive(node.pid)).toBe(true);
      expect(existsSync(join(dir, `node-${node.port}`, 'redis.pid'))).toBe(true);
    }
    const status = await localGridStatus({ dir });
    expect(status).toMatchObject({ kind: 'cluster', healthy: true, clusterState: 'ok' });
    expect(status.nodes.map((node) => node.alive)).toEqual([true, true, true, true, true, true]);
  });

  it('refuses clients without its password (NOAUTH); the password is in a 0600 file and in the seeds', async () => {
    expect(cluster.password).toMatch(/^[0-9a-f]{48}$/);
    expect(readFileSync(join(dir, LOCAL_GRID_PASSWORD_FILE), 'utf8').trim()).toBe(cluster.password);
    expect(statSync(join(dir, LOCAL_GRID_PASSWORD_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, `node-${cluster.ports[0]}`, 'redis.conf')).mode & 0o777).toBe(0o600);
    expect(cluster.seeds.every((seed) => seed.startsWith(`redis://:${cluster.password}@127.0.0.1:`))).toBe(true);
    expect(cluster.seeds.map(redactRedisUrl)[0]).toBe(`redis://:***@127.0.0.1:${cluster.ports[0]}`);
    for (const port of cluster.ports) {
      const anonymous = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await anonymous.connect();
        await expect(anonymous.call('PING')).rejects.toThrow(/NOAUTH/);
      } finally {
        anonymous.disconnect();
      }
    }
    const refused = await connectGrid({ urls: [`redis://127.0.0.1:${cluster.ports[0]}`], connectTimeoutMs: 2_000, watchdogIntervalMs: 0 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isJourneyError(refused, 'JE_GRID_UNAVAILABLE')).toBe(true);
    expect(String((refused as Error).message)).toMatch(/NOAUTH/);
  });

  it('starting it again is harmless: same processes, still healthy', async () => {
    const again = await startLocalCluster({ dir, portBase: cluster.ports[0] });
    expect(again.reused).toBe(true);
    expect(again.nodes.map((node) => node.pid).sort()).toEqual(cluster.nodes.map((node) => node.pid).sort());
    expect((await localGridStatus({ dir })).healthy).toBe(true);
  });

  it('refuses to start a different shape over a running cluster', async () => {
    const failure = await startLocalCluster({ dir, portBase: cluster.ports[0], masters: 4 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isJourneyError(failure, 'JE_GRID_START_FAILED')).toBe(true);
  });

  it('fails clearly when a port is taken', async () => {
    const failure = await startLocalStandalone({ dir: join(dir, 'clash'), portBase: cluster.ports[0] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isJourneyError(failure, 'JE_GRID_START_FAILED')).toBe(true);
    expect(String((failure as Error).message)).toMatch(new RegExp(`Ports in use: ${cluster.ports[0]}`));
  });

  it('says how to install redis-server when it is missing', async () => {
    const failure = await startLocalCluster({ dir: join(dir, 'missing'), portBase: 1100, redisServer: 'no-such-redis-server' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isJourneyError(failure, 'JE_DEPENDENCY_MISSING')).toBe(true);
    expect(String((failure as Error).message)).toMatch(/apt-get install redis-server/);
  });

  it('promotes the replica when a master is killed, and writes to its slots succeed again', async () => {
    grid = await connectGrid({ urls: [...cluster.seeds], keyPrefix: testNamespace(), watchdogIntervalMs: 1_000, watchdogFailures: 2 });
    const journeyId = randomUUID();
    const key = grid.keys.hotState(journeyId);
    const before = await cluster.keyOwner(key);
    expect(before.replicas).toHaveLength(1);
    const [replica] = before.replicas;
    expect(await putHotState(grid, journeyId, 1, '{"v":1}', 60_000)).toBe(true);

    await cluster.killNode(before.master, 'SIGKILL');
    const started = performance.now();

    // Bounded: node timeout 2 s + election; well under 20 s.
    const after = await eventually(20_000, async () => {
      const owner = await cluster.slotOwner(hashSlot(key), replica);
      return owner.master === replica ? owner : undefined;
    });
    expect(after.master).toBe(replica);

    // The grid client finds the new master; the write (seq 2) is accepted. The seq-1 state may or
    // may not have reached the replica before the kill (replication is asynchronous).
    await eventually(20_000, async () => ((await putHotState(grid!, journeyId, 2, '{"v":2}', 60_000)) ? true : undefined));
    expect(await getHotState(grid, journeyId)).toEqual({ seq: 2, state: '{"v":2}' });
    expect(performance.now() - started).toBeLessThan(40_000);

    // A cluster with a failed master is not healthy; restarting it makes it rejoin as a replica.
    expect((await localGridStatus({ dir })).healthy).toBe(false);
    await cluster.restartNode(before.master);
    await cluster.waitForHealthy(30_000);
    const roles = await cluster.currentNodes();
    expect(roles.find((node) => node.port === before.master)?.role).toBe('replica');
    expect(roles.find((node) => node.port === replica)?.role).toBe('master');
  });

  it('starting it again restarts a crashed node', async () => {
    const replica = (await cluster.currentNodes()).find((node) => node.role === 'replica');
    expect(replica).toBeDefined();
    await cluster.killNode(replica!.port, 'SIGKILL');
    expect(cluster.pidOf(replica!.port)).toBeUndefined();
    const healed = await startLocalCluster({ dir, portBase: cluster.ports[0] });
    expect(healed.reused).toBe(true);
    expect(healed.restartedPorts).toEqual([replica!.port]);
    expect(healed.pidOf(replica!.port)).not.toBe(replica!.pid);
    expect((await localGridStatus({ dir })).healthy).toBe(true);
  });

  it('stop after a crash (every node SIGKILLed) cleans the stale PID files and frees the ports', async () => {
    await grid?.close();
    grid = undefined;
    const pids = (await cluster.currentNodes()).map((node) => node.pid);
    expect(pids).toHaveLength(6);
    for (const port of cluster.ports) await cluster.killNode(port, 'SIGKILL');
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    // Files that are not the grid's stay: stop removes only what start made.
    writeFileSync(join(dir, 'keep.txt'), 'not ours');

    const report = await stopLocalGrid({ dir });
    expect(report.stopped).toEqual([]);
    expect(report.stale.sort()).toEqual([...pids].sort());
    expect(readdirSync(dir).sort()).toEqual(['keep.txt', 'owner.json']);
    expect(await localGridStatus({ dir })).toMatchObject({ kind: null, nodes: [] });
    for (const port of cluster.ports) expect(await isPortFree(port)).toBe(true);
  });
});
