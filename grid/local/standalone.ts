import { resolve } from 'node:path';
import { JourneyError, ensureError, silentLogger } from '../../common/index.js';
import { DEFAULT_STANDALONE_DIR, type GridState } from './grid-files.js';
import { LocalGridHandle } from './handle.js';
import { livePid, stopLocalGrid } from './nodes.js';
import { requireRedisBinary } from './redis-processes.js';
import { attachExisting, checkPortBase, positiveInteger, spawnFresh } from './start-up.js';
import type { LocalGridOptions } from './types.js';

/** A running local standalone Redis server. */
export class LocalStandalone extends LocalGridHandle {
  readonly kind = 'standalone';
  readonly port: number;
  /** The server's PID when the handle was made. */
  readonly pid: number;
  /** `redis://:<password>@127.0.0.1:<port>` (the seed, with the server's password; see {@link LocalGridHandle.seeds}) */
  readonly url: string;

  constructor(dir: string, port: number, pid: number, reused: boolean, redisServer: string, stopTimeoutMs: number) {
    super(dir, [port], reused, redisServer, stopTimeoutMs);
    this.port = port;
    this.pid = pid;
    this.url = this.seeds[0] ?? '';
  }
}

/**
 * Starts one standalone (non-cluster) `redis-server` on `portBase` (default 7100), for small
 * installs and standalone-mode tests. Harmless when it already runs.
 */
export async function startLocalStandalone(options: LocalGridOptions = {}): Promise<LocalStandalone> {
  const dir = resolve(options.dir ?? DEFAULT_STANDALONE_DIR);
  const logger = options.logger ?? silentLogger();
  const port = options.portBase ?? 7100;
  checkPortBase(port, 1, false);
  const startTimeoutMs = positiveInteger('startTimeoutMs', options.startTimeoutMs ?? 60_000, 1);
  const stopTimeoutMs = positiveInteger('stopTimeoutMs', options.stopTimeoutMs ?? 5_000, 0);
  const redisServer = requireRedisBinary(options.redisServer ?? 'redis-server');
  const shape = { ports: [port], masters: 1, replicasPerMaster: 0 };
  const existing = await attachExisting(dir, 'standalone', shape, redisServer, startTimeoutMs, logger);
  if (existing === undefined) {
    const state: GridState = { version: 1, kind: 'standalone', ...shape, createdAt: new Date().toISOString() };
    try {
      await spawnFresh(dir, state, redisServer, { nodeTimeoutMs: 0, minReplicasToWrite: 0 }, performance.now() + startTimeoutMs);
    } catch (thrown: unknown) {
      await stopLocalGrid({ dir, stopTimeoutMs }).catch(() => undefined);
      throw thrown instanceof JourneyError
        ? thrown
        : new JourneyError('JE_GRID_START_FAILED', `Starting redis-server in ${dir} failed`, { cause: ensureError(thrown) });
    }
  }
  const pid = livePid(dir, port);
  if (pid === undefined) throw new JourneyError('JE_GRID_START_FAILED', `redis-server on port ${port} is not running`);
  logger.info({ dir, port, pid }, existing === undefined ? 'local redis-server is up' : 'local redis-server already running');
  const server = new LocalStandalone(dir, port, pid, existing !== undefined, redisServer, stopTimeoutMs);
  server.restartedPorts = Object.freeze(existing?.restarted ?? []);
  return server;
}
