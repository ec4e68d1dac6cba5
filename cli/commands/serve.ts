import { readFile } from 'node:fs/promises';
import { buildApi, startOpsServer } from '../../api/index.js';
import type { ApiOptions } from '../../api/index.js';
import { openStore } from '../../cache-store/index.js';
import { JourneyError, createLogger, ensureError, isJourneyError, loadConfig } from '../../common/index.js';
import type { EngineConfig, Logger } from '../../common/index.js';
import { compileJourneys, formatDiagnostics } from '../../dsl/index.js';
import { createEngine } from '../../engine/index.js';
import type { NodeMessage } from '../../engine/index.js';
import { simulatedBackends } from '../../journeys/index.js';
import { connectGrid, createGridRouter, startLocalCluster } from '../../grid/index.js';
import type { CliCommand } from '../command.js';
import { EXIT } from '../command.js';

const HELP = `Usage: journey serve [options]

Runs an engine node: the HTTP API and a worker, with the journeys under JOURNEYS_DIR.
With no REDIS_URL it starts (or reuses) the local Redis Cluster in GRID_DIR and stops it on exit
if it started it; with REDIS_URL it joins that grid (cluster or standalone, detected).

Every option is also an environment variable:
  --redis-url <urls>        REDIS_URL         comma-separated seeds (default: local embedded grid)
  --mariadb-url <url>       MARIADB_URL       default mariadb://root@127.0.0.1:3306/journeys
  --port <n>                PORT              default 3000
  --host <addr>             HOST              default 127.0.0.1
  --log-level <level>       LOG_LEVEL         default info
  --node-id <id>            NODE_ID           default <hostname>-<pid>
  --journeys <dir>          JOURNEYS_DIR      default journeys
  --partitions <n>          PARTITIONS        default 64 (fixed at first start)
  --lease-ttl-ms <ms>       LEASE_TTL_MS      default 10000
  --clock-skew-warn-ms <ms> CLOCK_SKEW_WARN_MS  default 1000 (this node's clock vs the database's)
  --roles <list>            ROLES             api,worker (default) | api | worker
  --auth-mode <mode>        AUTH_MODE         dev (default, local use only) | jwt
  --jwt-secrets <list>      JWT_SECRETS       HS256 secrets for jwt mode
  --jwt-public-key-files <list>  JWT_PUBLIC_KEY_FILES  PEM public keys (RSA, EC, Ed25519) for jwt mode
  --jwt-issuer <iss>        JWT_ISSUER
  --jwt-audience <aud>      JWT_AUDIENCE
  --body-limit-bytes <n>    BODY_LIMIT_BYTES  default 65536
  --grid-dir <dir>          GRID_DIR          default .data/grid
  --grid-port-base <port>   GRID_PORT_BASE    default 7101
  --grid-key-prefix <name>  GRID_KEY_PREFIX   default je (namespace of every Redis key)

Stops cleanly on SIGINT/SIGTERM: the API stops accepting, in-flight commits finish, partitions
are handed back, and the local grid (if started here) is stopped.`;

async function apiOptions(config: EngineConfig): Promise<ApiOptions> {
  if (config.authMode === 'dev') return { auth: { mode: 'dev' }, bodyLimitBytes: config.bodyLimitBytes };
  const publicKeys = await Promise.all(
    config.jwtPublicKeyFiles.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        throw new JourneyError('JE_CONFIG_INVALID', `JWT_PUBLIC_KEY_FILES: cannot read ${file}`, { cause: error, details: { setting: 'JWT_PUBLIC_KEY_FILES', file } });
      }
    }),
  );
  return {
    auth: {
      mode: 'jwt',
      secrets: config.jwtSecrets,
      publicKeys,
      ...(config.jwtIssuer ? { issuer: config.jwtIssuer } : {}),
      ...(config.jwtAudience ? { audience: config.jwtAudience } : {}),
    },
    bodyLimitBytes: config.bodyLimitBytes,
  };
}

async function serve(config: EngineConfig, logger: Logger): Promise<() => Promise<void>> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const shutdown = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ err: ensureError(error) }, 'shutdown step failed');
      }
    }
  };
  try {
    const compiled = await compileJourneys(config.journeysDir, { loadProcessors: true });
    if (compiled.diagnostics.some((d) => d.severity === 'error')) {
      throw new Error(`journeys in ${config.journeysDir} do not compile:\n${formatDiagnostics(compiled.diagnostics)}`);
    }
    let seeds = config.redisUrls;
    if (seeds.length === 0) {
      logger.info({ dir: config.gridDir }, 'no REDIS_URL: using the local embedded Redis Cluster');
      const cluster = await startLocalCluster({ dir: config.gridDir, portBase: config.gridPortBase, logger });
      if (!cluster.reused) cleanups.push(() => cluster.stop());
      seeds = [...cluster.seeds];
    }
    const grid = await connectGrid({ urls: seeds, keyPrefix: config.gridKeyPrefix, logger });
    const blocking = await grid.duplicate({ blocking: true });
    const router = createGridRouter<NodeMessage>(grid, blocking);
    cleanups.push(() => router.close());
    // A process frozen inside a transaction must not hold its locks (and so a partition takeover)
    // much longer than a lease: MariaDB ends such a transaction after this idle time.
    const store = await openStore({ url: config.mariadbUrl, logger, idleTransactionTimeoutMs: Math.max(1_000, Math.floor(config.leaseTtlMs / 2)) });
    cleanups.push(() => store.close());
    const engine = await createEngine({
      nodeId: config.nodeId,
      store,
      grid: router,
      journeys: compiled.journeys,
      processors: compiled.processors,
      partitionCount: config.partitions,
      worker: config.roles.includes('worker'),
      workerOptions: { leaseTtlMs: config.leaseTtlMs },
      clockSync: { warnAboveMs: config.clockSkewWarnMs },
      backends: simulatedBackends,
      callQueue: {
        queue: await grid.duplicate(),
        worker: await grid.duplicate({ blocking: true }),
        // One hash tag: every key of the queue on one cluster slot (BullMQ's multi-key scripts).
        prefix: `{${config.gridKeyPrefix}-calls}`,
      },
      logger,
    });
    cleanups.push(() => engine.stop());
    if (config.roles.includes('api')) {
      if (config.authMode === 'dev') logger.warn('AUTH_MODE=dev: senders are taken from X-Dev-Sender headers. For local use only.');
      const api = buildApi(engine, await apiOptions(config), logger.child({ nodeId: config.nodeId }));
      await api.listen({ port: config.port, host: config.host });
      cleanups.push(() => api.close());
      logger.info({ url: `http://${config.host}:${config.port}`, journeys: compiled.journeys.map((j) => `${j.name} ${j.version}`) }, 'journey engine ready');
    } else {
      // No API here: PORT serves the operations routes alone, so the node can be probed and scraped.
      const ops = await startOpsServer(engine, { port: config.port, host: config.host }, logger.child({ nodeId: config.nodeId }));
      cleanups.push(() => ops.close());
    }
    return shutdown;
  } catch (error) {
    await shutdown();
    throw error;
  }
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run an engine node (HTTP API + worker) with the journeys of a folder',
  help: HELP,
  async run(args) {
    let config: EngineConfig;
    try {
      config = loadConfig(args);
    } catch (error) {
      console.error(`journey serve: ${ensureError(error).message}`);
      return EXIT.usage;
    }
    // The engine binds nodeId to its own lines; the API's lines get it from this child.
    const logger = createLogger({ level: config.logLevel });
    let shutdown: () => Promise<void>;
    try {
      shutdown = await serve(config, logger);
    } catch (error) {
      const wrapped = ensureError(error);
      logger.fatal({ err: wrapped, ...(isJourneyError(wrapped) ? { code: wrapped.code } : {}) }, 'journey engine failed to start');
      return isJourneyError(wrapped) && wrapped.code === 'JE_CONFIG_INVALID' ? EXIT.usage : EXIT.failure;
    }
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        shutdown().then(
          () => resolve(EXIT.ok),
          () => resolve(EXIT.failure),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  },
};
