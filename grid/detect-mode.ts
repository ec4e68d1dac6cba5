import { JourneyError, ensureError } from '../common/index.js';
import type { GridMode } from './clients.js';
import { oneShotClient } from './one-shot-client.js';
import type { SeedAddress } from './redis-url.js';
import { parseInfo } from './redis-replies.js';

/** Whether the grid is a Redis Cluster or one standalone server, as the first seed that answers says (`INFO cluster`). */
export async function detectMode(seeds: SeedAddress[], timeoutMs: number): Promise<GridMode> {
  const failures: string[] = [];
  for (const seed of seeds) {
    const probe = oneShotClient(seed, timeoutMs);
    try {
      await probe.connect();
      const info = parseInfo(String(await probe.info('cluster')));
      return info['cluster_enabled'] === '1' ? 'cluster' : 'standalone';
    } catch (thrown: unknown) {
      failures.push(`${seed.host}:${seed.port}: ${ensureError(thrown).message}`);
    } finally {
      probe.disconnect();
    }
  }
  throw new JourneyError('JE_GRID_UNAVAILABLE', `No Redis seed answered: ${failures.join('; ')}`, {
    details: { seeds: seeds.map((seed) => `${seed.host}:${seed.port}`) },
  });
}
