/**
 * `journey serve` refuses to put dev-mode authentication (the sender, roles and trust level are
 * whatever the request's headers say) on an address other than loopback: the process exits at
 * start with JE_CONFIG_INVALID naming AUTH_MODE and HOST, before it starts or binds anything.
 * The explicit opt-in (a container whose port is published on the host's loopback only) starts,
 * and says so loudly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePortBase } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { ServeProcess } from '../support/serve-process.js';

/** `EXIT.usage` of cli/command.ts: a setting the user must fix. */
const EXIT_USAGE = 2;

const processes: ServeProcess[] = [];
const databases: TestDatabase[] = [];

afterEach(async () => {
  for (const serve of processes.splice(0)) await serve.kill();
  for (const database of databases.splice(0)) await database.drop();
});

/** A node against the test's grid and database (so a start that should not happen has services and shows itself). */
async function serve(env: Record<string, string>): Promise<{ serve: ServeProcess; port: number }> {
  const database = await createTestDatabase();
  databases.push(database);
  const port = await findFreePortBase({ count: 1, cluster: false });
  const process = new ServeProcess({
    REDIS_URL: gridSeeds().join(','),
    GRID_KEY_PREFIX: testNamespace(),
    MARIADB_URL: database.url,
    PORT: String(port),
    NODE_ID: `serve-auth-${port}`,
    PARTITIONS: '4',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
  processes.push(process);
  return { serve: process, port };
}

describe('journey serve: dev-mode authentication stays on loopback', () => {
  it.each(['0.0.0.0', '::'])(
    'AUTH_MODE=dev (the default) with HOST=%s exits at start naming AUTH_MODE and HOST',
    async (host) => {
      const { serve: node, port } = await serve({ HOST: host });
      const exit = await node.waitForExit(30_000);
      expect(exit, `journey serve is still running with dev mode on ${host}:\n${node.tail()}`).toEqual({ code: EXIT_USAGE, signal: null });
      expect(node.log).toContain('JE_CONFIG_INVALID');
      expect(node.log).toContain('AUTH_MODE');
      expect(node.log).toContain(`HOST (--host) is ${host}`);
      expect(node.log).toContain('AUTH_MODE=jwt');
      // Nothing was started: it never listened.
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    },
    60_000,
  );

  it('starts on 0.0.0.0 with the explicit opt-in, warning that anyone who reaches the port is anyone', async () => {
    const { serve: node, port } = await serve({ HOST: '0.0.0.0', UNSAFE_DEV_AUTH_ON_NETWORK: 'true' });
    await node.waitReady(port, 90_000);
    const warning = node.lines().find((line) => line['setting'] === 'UNSAFE_DEV_AUTH_ON_NETWORK');
    expect(warning, node.tail()).toMatchObject({ level: 40, host: '0.0.0.0' });
    node.signal('SIGTERM');
    expect(await node.waitForExit(20_000)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
