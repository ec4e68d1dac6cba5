import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ensureError, type Logger } from '../common/index.js';
import type { LuaScript } from './lua-scripts.js';
import type { SeedAddress } from './redis-url.js';

/** Whether the grid is a Redis Cluster or one standalone server. */
export type GridMode = 'cluster' | 'standalone';

/** The client the grid hands out: both share ioredis' command surface. */
export type GridClient = Redis | Cluster;

/** What every client of one grid connection is made with. */
export interface ClientSettings {
  readonly mode: GridMode;
  readonly addresses: readonly SeedAddress[];
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly maxRetriesPerRequest: number;
  readonly enableOfflineQueue: boolean;
  readonly connectionName: string;
  readonly logger: Logger;
  readonly scripts: ReadonlyMap<string, LuaScript>;
}

/**
 * A new, not yet connected client of the grid: a `Cluster` or a `Redis` by `settings.mode`, with
 * the Lua scripts defined on it.
 *
 * @param shared - the engine's shared client: commands issued in the same tick go out as one
 *   pipeline (auto-pipelining), which saves a write per command on the hot path. Duplicates
 *   (blocking reads, BullMQ) keep plain behaviour.
 */
export function createGridClient(settings: ClientSettings, blocking: boolean, shared = false): GridClient {
  const first = settings.addresses[0];
  const redisOptions: RedisOptions = {
    username: first?.username,
    password: first?.password,
    tls: first?.tls === true ? {} : undefined,
    connectTimeout: settings.connectTimeoutMs,
    connectionName: settings.connectionName,
    maxRetriesPerRequest: blocking ? null : settings.maxRetriesPerRequest,
    enableOfflineQueue: blocking ? true : settings.enableOfflineQueue,
    lazyConnect: true,
    enableAutoPipelining: shared,
  };
  if (!blocking) redisOptions.commandTimeout = settings.commandTimeoutMs;
  let client: GridClient;
  if (settings.mode === 'cluster') {
    const clusterOptions: ClusterOptions = {
      redisOptions,
      lazyConnect: true,
      enableOfflineQueue: redisOptions.enableOfflineQueue,
      // Keep trying to reach the cluster when every node is down; the watchdog and callers'
      // timeouts bound the wait. Capped backoff so a restarted cluster is found within 2 s.
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 2_000),
      // During a failover a node refuses connections for up to cluster-node-timeout plus the
      // election; 16 retries 200 ms apart ride through a default local failover.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      maxRedirections: 16,
      slotsRefreshTimeout: 2_000,
      slotsRefreshInterval: 5_000,
      scaleReads: 'master',
      enableAutoPipelining: shared,
    };
    const seeds = settings.addresses.map((address) => ({ host: address.host, port: address.port }));
    client = new Cluster(seeds, clusterOptions);
  } else {
    const address = first ?? { host: '127.0.0.1', port: 6379, db: 0 };
    client = new Redis({
      ...redisOptions,
      host: address.host,
      port: address.port,
      db: address.db,
      retryStrategy: (times: number) => Math.min(50 * times, 2_000),
    });
  }
  client.on('error', (thrown: unknown) => {
    settings.logger.debug({ err: ensureError(thrown), mode: settings.mode }, 'redis grid client error');
  });
  for (const script of settings.scripts.values()) {
    client.defineCommand(script.commandName, { numberOfKeys: script.numberOfKeys, lua: script.source });
  }
  return client;
}

/** Resolves once `client` is ready (connecting it if it never tried); rejects after `timeoutMs`. */
export function waitReady(client: GridClient, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (thrown: unknown): void => {
      lastError = ensureError(thrown);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`not ready within ${timeoutMs} ms (status ${client.status}${lastError ? `, last error: ${lastError.message}` : ''})`, { cause: lastError }),
      );
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    if (client.status === 'ready') {
      onReady();
      return;
    }
    // connect() rejects on the first failed attempt, but the retry strategy keeps trying: the
    // outcome is decided by 'ready' or the timer.
    if (client.status === 'wait') client.connect().catch(onError);
  });
}

/** Ends `client`: QUIT, given a second at most, then disconnect. */
export async function closeClient(client: GridClient): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  } catch {
    // quitting a broken connection fails; disconnect below ends it anyway
  }
  client.disconnect();
}
