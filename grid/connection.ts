import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { JourneyError, ensureError, silentLogger, type Logger } from '../common/index.js';
import { parseInfo } from './cluster-nodes.js';
import { createGridKeys, type GridKeys } from './keys.js';
import { loadLuaScripts, type LuaScript } from './lua-scripts.js';
import { oneShotClient } from './node-client.js';

/** Whether the grid is a Redis Cluster or one standalone server. */
export type GridMode = 'cluster' | 'standalone';

/** The client the grid hands out: both share ioredis' command surface. */
export type GridClient = Redis | Cluster;

/** Options of {@link connectGrid}. */
export interface GridOptions {
  /** Seed URLs (`redis://[user:password@]host:port`, `rediss://` for TLS). For a cluster, any reachable nodes. */
  urls: string[];
  /** @defaultValue a silent logger */
  logger?: Logger;
  /** Force a mode instead of asking the first reachable seed (`INFO cluster`). @defaultValue `'auto'` */
  mode?: GridMode | 'auto';
  /** Namespace of every key (see `createGridKeys`); tests give each test its own. @defaultValue `'je'` */
  keyPrefix?: string;
  /** Longest wait for the first connection (and for each reconnect the watchdog makes), in ms. @defaultValue 5000 */
  connectTimeoutMs?: number;
  /** A command not answered within this is rejected (not for blocking connections), in ms. @defaultValue 5000 */
  commandTimeoutMs?: number;
  /**
   * Longest wait for one call of the engine's router (a heartbeat, a send, a hot-state read) and
   * for {@link Grid.health}, in ms, whatever the client does meanwhile: a Cluster client queues
   * commands with no timeout while it reconnects, and a frozen server never answers. Redis only
   * hints, so a caller that gives up carries on through MariaDB. @defaultValue 1000
   */
  callTimeoutMs?: number;
  /** Reconnect attempts a queued command waits through before it fails. @defaultValue 3 */
  maxRetriesPerRequest?: number;
  /**
   * Queue commands issued while (re)connecting or during a failover instead of failing them at
   * once. Queued commands are still bounded by `commandTimeoutMs` and `maxRetriesPerRequest`, so a
   * dead grid fails fast enough for the engine's retry logic; an HTTP edge that must answer at once
   * may turn it off. @defaultValue true
   */
  enableOfflineQueue?: boolean;
  /** How often the watchdog PINGs the grid, in ms; 0 turns it off. @defaultValue 5000 */
  watchdogIntervalMs?: number;
  /** Consecutive failed probes after which the watchdog recreates the client. @defaultValue 3 */
  watchdogFailures?: number;
  /** `CLIENT SETNAME` of every connection. @defaultValue `'journey-engine'` */
  connectionName?: string;
}

/** What {@link Grid.health} reports; never throws. */
export interface GridHealth {
  ok: boolean;
  mode: GridMode;
  /** Round trip of a PING, in ms; null when it failed. */
  latencyMs: number | null;
  /** `cluster_state` as a node reports it; null in standalone mode or on failure. */
  clusterState: string | null;
  /** Masters serving slots (1 in standalone mode); null on failure. */
  masters: number | null;
  /** Why `ok` is false. */
  error?: string;
}

/** Options of {@link Grid.duplicate}. */
export interface DuplicateOptions {
  /**
   * For blocking commands (BLPOP, XREAD BLOCK, BullMQ workers): no command timeout and
   * unlimited retries (`maxRetriesPerRequest: null`). @defaultValue false
   */
  blocking?: boolean;
}

/** A connection to the Redis grid. */
export interface Grid {
  readonly mode: GridMode;
  /** The key builder of this grid's namespace. */
  readonly keys: GridKeys;
  /** The seed URLs it was opened with. */
  readonly seeds: readonly string[];
  /** Longest wait for one router call or health check, in ms (see {@link GridOptions.callTimeoutMs}). */
  readonly callTimeoutMs: number;
  /**
   * The shared, non-blocking client. The watchdog may replace it: read `grid.client` for each
   * use rather than keeping it. Never run blocking commands on it (see {@link duplicate}).
   */
  readonly client: GridClient;
  /** Masters serving slots (CLUSTER SLOTS); 1 in standalone mode. */
  nodeCount(): Promise<number>;
  /** Round trip of a PING in ms; throws `JE_GRID_UNAVAILABLE`. */
  ping(): Promise<number>;
  /** Readiness facts; never throws. */
  health(): Promise<GridHealth>;
  /** A new connected client of the same grid, owned by the caller (closed by {@link close} too). */
  duplicate(options?: DuplicateOptions): Promise<GridClient>;
  /** Runs a script of grid/lua by name (`put-state`), keys first. Errors come out as JourneyError. */
  runScript(name: string, keys: string[], args: (string | number)[]): Promise<unknown>;
  /** Closes every client it made; idempotent. */
  close(): Promise<void>;
}

interface SeedAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  db: number;
}

/** Parses `redis://[user:password@]host[:port][/db]` (or `rediss://`, or bare `host:port`). */
export function parseRedisUrl(url: string): SeedAddress {
  const text = /^[a-z]+:\/\//i.test(url) ? url : `redis://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch (thrown: unknown) {
    throw new JourneyError('JE_CONFIG_INVALID', `Invalid Redis URL ${JSON.stringify(url)}`, { cause: ensureError(thrown), details: { setting: 'urls', value: url } });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new JourneyError('JE_CONFIG_INVALID', `Redis URL ${JSON.stringify(url)} must start with redis:// or rediss://`, { details: { setting: 'urls', value: url } });
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new JourneyError('JE_CONFIG_INVALID', `Redis URL ${JSON.stringify(url)} names an invalid database`, { details: { setting: 'urls', value: url } });
  }
  const address: SeedAddress = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    tls: parsed.protocol === 'rediss:',
    db,
  };
  if (parsed.username !== '') address.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') address.password = decodeURIComponent(parsed.password);
  return address;
}

const RETRYABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|LOADING|MASTERDOWN|READONLY|NOREPLICAS|BUSY|NOSCRIPT)\b/;

/**
 * Turns what ioredis threw into a JourneyError: a reply error from a script or a wrong type is
 * `JE_INTERNAL` (retrying will not help); anything about reaching the grid — connection loss,
 * timeouts, failover replies (CLUSTERDOWN, TRYAGAIN, READONLY, ...) — is `JE_GRID_UNAVAILABLE`.
 */
export function wrapGridError(thrown: unknown, operation: string): JourneyError {
  if (thrown instanceof JourneyError) return thrown;
  const error = ensureError(thrown);
  const isReply = error.name === 'ReplyError';
  const code = isReply && !RETRYABLE_REPLY.test(error.message) ? 'JE_INTERNAL' : 'JE_GRID_UNAVAILABLE';
  return new JourneyError(code, `Redis grid: ${operation} failed: ${error.message}`, { cause: error, details: { operation } });
}

/**
 * Settles like `call`, or rejects with `JE_GRID_UNAVAILABLE` once `timeoutMs` passed first. The
 * command is not withdrawn (ioredis cannot); its late answer is dropped.
 */
export function withGridTimeout<T>(call: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new JourneyError('JE_GRID_UNAVAILABLE', `Redis grid: ${operation} not answered within ${timeoutMs} ms`, { details: { operation, timeoutMs } }));
    }, timeoutMs);
    call.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (thrown: unknown) => {
        clearTimeout(timer);
        reject(wrapGridError(thrown, operation));
      },
    );
  });
}

function waitReady(client: GridClient, timeoutMs: number): Promise<void> {
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
      reject(new Error(`not ready within ${timeoutMs} ms (status ${client.status}${lastError ? `, last error: ${lastError.message}` : ''})`, { cause: lastError }));
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

async function detectMode(seeds: SeedAddress[], timeoutMs: number): Promise<GridMode> {
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
  throw new JourneyError('JE_GRID_UNAVAILABLE', `No Redis seed answered: ${failures.join('; ')}`, { details: { seeds: seeds.map((seed) => `${seed.host}:${seed.port}`) } });
}

async function closeClient(client: GridClient): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  } catch {
    // quitting a broken connection fails; disconnect below ends it anyway
  }
  client.disconnect();
}

function slotsMasters(reply: unknown): number {
  if (!Array.isArray(reply)) throw new Error('CLUSTER SLOTS answered something other than an array');
  const masters = new Set<string>();
  for (const range of reply) {
    if (!Array.isArray(range)) continue;
    const master: unknown = range[2];
    if (Array.isArray(master)) masters.add(`${String(master[0])}:${String(master[1])}`);
  }
  return masters.size;
}

class GridConnection implements Grid {
  readonly mode: GridMode;
  readonly keys: GridKeys;
  readonly seeds: readonly string[];
  readonly callTimeoutMs: number;
  private current: GridClient;
  private readonly addresses: SeedAddress[];
  private readonly options: Required<Omit<GridOptions, 'logger' | 'urls' | 'mode' | 'keyPrefix' | 'callTimeoutMs'>>;
  private readonly logger: Logger;
  private readonly scripts: ReadonlyMap<string, LuaScript>;
  private readonly duplicates = new Set<GridClient>();
  private watchdog: NodeJS.Timeout | undefined;
  private failedProbes = 0;
  private probing = false;
  private closed = false;

  constructor(mode: GridMode, addresses: SeedAddress[], options: GridOptions, scripts: ReadonlyMap<string, LuaScript>) {
    this.mode = mode;
    this.addresses = addresses;
    this.seeds = Object.freeze([...options.urls]);
    this.keys = createGridKeys(options.keyPrefix ?? 'je');
    this.logger = options.logger ?? silentLogger();
    this.scripts = scripts;
    this.callTimeoutMs = options.callTimeoutMs ?? 1_000;
    this.options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
      maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3,
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      watchdogIntervalMs: options.watchdogIntervalMs ?? 5_000,
      watchdogFailures: options.watchdogFailures ?? 3,
      connectionName: options.connectionName ?? 'journey-engine',
    };
    this.current = this.createClient(false, true);
  }

  get client(): GridClient {
    return this.current;
  }

  async start(): Promise<void> {
    try {
      await waitReady(this.current, this.options.connectTimeoutMs);
    } catch (thrown: unknown) {
      this.current.disconnect();
      throw new JourneyError('JE_GRID_UNAVAILABLE', `Redis grid (${this.mode}) at ${this.seeds.join(', ')}: ${ensureError(thrown).message}`, {
        cause: ensureError(thrown),
      });
    }
    if (this.options.watchdogIntervalMs > 0) {
      this.watchdog = setInterval(() => void this.probe(), this.options.watchdogIntervalMs);
      this.watchdog.unref();
    }
  }

  /**
   * @param shared - the engine's shared client: commands issued in the same tick go out as one
   *   pipeline (auto-pipelining), which saves a write per command on the hot path. Duplicates
   *   (blocking reads, BullMQ) keep plain behaviour.
   */
  private createClient(blocking: boolean, shared = false): GridClient {
    const first = this.addresses[0];
    const redisOptions: RedisOptions = {
      username: first?.username,
      password: first?.password,
      tls: first?.tls === true ? {} : undefined,
      connectTimeout: this.options.connectTimeoutMs,
      connectionName: this.options.connectionName,
      maxRetriesPerRequest: blocking ? null : this.options.maxRetriesPerRequest,
      enableOfflineQueue: blocking ? true : this.options.enableOfflineQueue,
      lazyConnect: true,
      enableAutoPipelining: shared,
    };
    if (!blocking) redisOptions.commandTimeout = this.options.commandTimeoutMs;
    let client: GridClient;
    if (this.mode === 'cluster') {
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
      const seeds = this.addresses.map((address) => ({ host: address.host, port: address.port }));
      client = new Cluster(seeds, clusterOptions);
    } else {
      const address = first ?? { host: '127.0.0.1', port: 6379, db: 0 };
      client = new Redis({ ...redisOptions, host: address.host, port: address.port, db: address.db, retryStrategy: (times: number) => Math.min(50 * times, 2_000) });
    }
    client.on('error', (thrown: unknown) => {
      this.logger.debug({ err: ensureError(thrown), mode: this.mode }, 'redis grid client error');
    });
    for (const script of this.scripts.values()) {
      client.defineCommand(script.commandName, { numberOfKeys: script.numberOfKeys, lua: script.source });
    }
    return client;
  }

  /** One watchdog tick: PING; after `watchdogFailures` failures in a row, replace the client. */
  private async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    try {
      await this.ping();
      this.failedProbes = 0;
    } catch (thrown: unknown) {
      this.failedProbes += 1;
      this.logger.warn({ err: ensureError(thrown), failedProbes: this.failedProbes }, 'redis grid health probe failed');
      if (this.failedProbes >= this.options.watchdogFailures) await this.recreate();
    } finally {
      this.probing = false;
    }
  }

  /** Replaces a client stuck after a topology change (ioredis#587, #1330) with a fresh one. */
  private async recreate(): Promise<void> {
    const fresh = this.createClient(false, true);
    try {
      await waitReady(fresh, this.options.connectTimeoutMs);
    } catch (thrown: unknown) {
      fresh.disconnect();
      this.logger.warn({ err: ensureError(thrown) }, 'redis grid client could not be recreated; will retry');
      return;
    }
    if (this.closed) {
      fresh.disconnect();
      return;
    }
    const stale = this.current;
    this.current = fresh;
    this.failedProbes = 0;
    this.logger.warn({ mode: this.mode }, 'redis grid client recreated by the watchdog');
    await closeClient(stale);
  }

  async nodeCount(): Promise<number> {
    if (this.mode === 'standalone') return 1;
    try {
      return slotsMasters(await this.current.call('CLUSTER', 'SLOTS'));
    } catch (thrown: unknown) {
      throw wrapGridError(thrown, 'CLUSTER SLOTS');
    }
  }

  async ping(): Promise<number> {
    const started = performance.now();
    try {
      await this.current.ping();
    } catch (thrown: unknown) {
      throw wrapGridError(thrown, 'PING');
    }
    return performance.now() - started;
  }

  async health(): Promise<GridHealth> {
    try {
      // Readiness probes call this: it answers in bounded time even when every server is frozen.
      return await withGridTimeout(this.probeHealth(), this.callTimeoutMs, 'health');
    } catch (thrown: unknown) {
      return { ok: false, mode: this.mode, latencyMs: null, clusterState: null, masters: null, error: ensureError(thrown).message };
    }
  }

  private async probeHealth(): Promise<GridHealth> {
    const health: GridHealth = { ok: false, mode: this.mode, latencyMs: null, clusterState: null, masters: null };
    try {
      health.latencyMs = await this.ping();
      if (this.mode === 'cluster') {
        health.clusterState = parseInfo(String(await this.current.call('CLUSTER', 'INFO')))['cluster_state'] ?? null;
        health.masters = await this.nodeCount();
        health.ok = health.clusterState === 'ok';
        if (!health.ok) health.error = `cluster_state is ${health.clusterState ?? 'unknown'}`;
      } else {
        health.masters = 1;
        health.ok = true;
      }
    } catch (thrown: unknown) {
      health.error = ensureError(thrown).message;
    }
    return health;
  }

  async duplicate(options: DuplicateOptions = {}): Promise<GridClient> {
    if (this.closed) throw new JourneyError('JE_GRID_UNAVAILABLE', 'The grid connection is closed');
    const client = this.createClient(options.blocking ?? false);
    try {
      await waitReady(client, this.options.connectTimeoutMs);
    } catch (thrown: unknown) {
      client.disconnect();
      throw wrapGridError(thrown, 'duplicate');
    }
    this.duplicates.add(client);
    client.once('end', () => this.duplicates.delete(client));
    return client;
  }

  async runScript(name: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const script = this.scripts.get(name);
    if (script === undefined) throw new JourneyError('JE_INTERNAL', `No Lua script named ${name} in grid/lua`);
    if (keys.length !== script.numberOfKeys) {
      throw new JourneyError('JE_INTERNAL', `Lua script ${name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    }
    const client = this.current;
    // defineCommand added the method at run time; ioredis' types cannot know it.
    const method: unknown = Reflect.get(client, script.commandName);
    if (typeof method !== 'function') throw new JourneyError('JE_INTERNAL', `Lua script ${name} is not defined on the client`);
    try {
      const reply: unknown = await (method as (...commandArgs: (string | number)[]) => Promise<unknown>).apply(client, [...keys, ...args]);
      return reply;
    } catch (thrown: unknown) {
      throw wrapGridError(thrown, `script ${name}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    await Promise.all([this.current, ...this.duplicates].map((client) => closeClient(client)));
    this.duplicates.clear();
  }
}

/**
 * Connects to the Redis grid: asks the first reachable seed whether it runs in cluster mode
 * (`INFO cluster`), then opens an ioredis `Cluster` or `Redis` client, registers the Lua scripts
 * and starts the health-probe watchdog.
 *
 * @throws JourneyError `JE_CONFIG_INVALID` for bad URLs, `JE_GRID_UNAVAILABLE` when no seed
 *   answers or the client is not ready within `connectTimeoutMs`.
 */
export async function connectGrid(options: GridOptions): Promise<Grid> {
  if (options.urls.length === 0) {
    throw new JourneyError('JE_CONFIG_INVALID', 'At least one Redis URL is needed', { details: { setting: 'urls' } });
  }
  const addresses = options.urls.map((url) => parseRedisUrl(url));
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const mode = options.mode === undefined || options.mode === 'auto' ? await detectMode(addresses, connectTimeoutMs) : options.mode;
  if (mode === 'cluster' && addresses.some((address) => address.db !== 0)) {
    throw new JourneyError('JE_CONFIG_INVALID', 'A Redis Cluster has only database 0; remove the /<db> from the URLs', { details: { setting: 'urls' } });
  }
  const connection = new GridConnection(mode, addresses, options, loadLuaScripts());
  await connection.start();
  (options.logger ?? silentLogger()).info({ mode, seeds: options.urls }, 'connected to the redis grid');
  return connection;
}
