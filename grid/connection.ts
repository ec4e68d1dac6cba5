import { JourneyError, ensureError, silentLogger, type Logger } from '../common/index.js';
import { closeClient, createGridClient, waitReady, type ClientSettings, type GridClient, type GridMode } from './clients.js';
import { detectMode } from './detect-mode.js';
import { withGridTimeout, wrapGridError } from './errors.js';
import { createGridKeys, type GridKeys } from './keys.js';
import { loadLuaScripts, type LuaScript } from './lua-scripts.js';
import { parseInfo, slotsMasters } from './redis-replies.js';
import { parseRedisUrl, redactRedisUrl, type SeedAddress } from './redis-url.js';
import { ClientWatchdog } from './watchdog.js';

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
   * Longest wait for one call of the engine's grid services (a heartbeat, a send, a hot-state
   * read) and for {@link Grid.health}, in ms, whatever the client does meanwhile: a Cluster client
   * queues commands with no timeout while it reconnects, and a frozen server never answers. Redis
   * only hints, so a caller that gives up carries on through MariaDB. @defaultValue 1000
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
  /** The seed URLs it was opened with (with their passwords: log them through `redactRedisUrl`). */
  readonly seeds: readonly string[];
  /** Longest wait for one grid-services call or health check, in ms (see {@link GridOptions.callTimeoutMs}). */
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

class GridConnection implements Grid {
  readonly mode: GridMode;
  readonly keys: GridKeys;
  readonly seeds: readonly string[];
  readonly callTimeoutMs: number;
  private current: GridClient;
  private readonly settings: ClientSettings;
  private readonly logger: Logger;
  private readonly scripts: ReadonlyMap<string, LuaScript>;
  private readonly duplicates = new Set<GridClient>();
  private readonly watchdog: ClientWatchdog;
  private closed = false;

  constructor(mode: GridMode, addresses: SeedAddress[], options: GridOptions, scripts: ReadonlyMap<string, LuaScript>) {
    this.mode = mode;
    this.seeds = Object.freeze([...options.urls]);
    this.keys = createGridKeys(options.keyPrefix ?? 'je');
    this.logger = options.logger ?? silentLogger();
    this.scripts = scripts;
    this.callTimeoutMs = options.callTimeoutMs ?? 1_000;
    this.settings = {
      mode,
      addresses,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
      maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3,
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      connectionName: options.connectionName ?? 'journey-engine',
      logger: this.logger,
      scripts,
    };
    this.watchdog = new ClientWatchdog({
      intervalMs: options.watchdogIntervalMs ?? 5_000,
      failures: options.watchdogFailures ?? 3,
      logger: this.logger,
      probe: () => this.ping(),
      replace: () => this.recreate(),
    });
    this.current = createGridClient(this.settings, false, true);
  }

  get client(): GridClient {
    return this.current;
  }

  async start(): Promise<void> {
    try {
      await waitReady(this.current, this.settings.connectTimeoutMs);
    } catch (thrown: unknown) {
      this.current.disconnect();
      throw new JourneyError(
        'JE_GRID_UNAVAILABLE',
        `Redis grid (${this.mode}) at ${this.seeds.map(redactRedisUrl).join(', ')}: ${ensureError(thrown).message}`,
        {
          cause: ensureError(thrown),
        },
      );
    }
    this.watchdog.start();
  }

  /** Replaces a client stuck after a topology change (ioredis#587, #1330) with a fresh one; true when it did. */
  private async recreate(): Promise<boolean> {
    const fresh = createGridClient(this.settings, false, true);
    try {
      await waitReady(fresh, this.settings.connectTimeoutMs);
    } catch (thrown: unknown) {
      fresh.disconnect();
      this.logger.warn({ err: ensureError(thrown) }, 'redis grid client could not be recreated; will retry');
      return false;
    }
    if (this.closed) {
      fresh.disconnect();
      return false;
    }
    const stale = this.current;
    this.current = fresh;
    this.logger.warn({ mode: this.mode }, 'redis grid client recreated by the watchdog');
    await closeClient(stale);
    return true;
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
    const client = createGridClient(this.settings, options.blocking ?? false);
    try {
      await waitReady(client, this.settings.connectTimeoutMs);
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
    this.watchdog.stop();
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
  // Seed URLs may carry the grid's password: never logged as they are.
  (options.logger ?? silentLogger()).info({ mode, seeds: options.urls.map(redactRedisUrl) }, 'connected to the redis grid');
  return connection;
}
