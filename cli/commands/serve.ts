import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { buildApi, startOpsServer } from '../../api/index.js';
import type { ApiOptions } from '../../api/index.js';
import { driverErrno, openStore, parseMariadbUrl } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { JourneyError, createLogger, ensureError, isJourneyError, isLoopbackHost, loadConfig } from '../../common/index.js';
import type { EngineConfig, Logger } from '../../common/index.js';
import { formatDiagnostics, loadBundleProcessors, loadJourneySources, parseBundle, serializeBundle } from '../../dsl/index.js';
import type { ProcessorRegistry } from '../../dsl/index.js';
import { startEngineNode } from '../../engine/index.js';
import type { EngineNodeOptions } from '../../engine/index.js';
import { connectGrid, killLocalGridNow, localGridStatus, startLocalCluster, stopLocalGrid } from '../../grid/index.js';
import type { CliCommand } from '../command.js';
import { EXIT } from '../command.js';
import { somethingListens, startLocalMariaDb, stopLocalMariaDbNow } from '../local-mariadb.js';
import { ShutdownPlan } from '../shutdown.js';
import { loadBackends, loadWebhooks } from '../backends.js';
import { startTracing } from '../tracing.js';

const HELP = `Usage: journey serve [options]

Runs an engine node: the HTTP API and a worker, with the journeys under JOURNEYS_DIR (version
folders, *.bundle.json files from \`journey pack\`, or both). The worker hosts those versions and,
with HOST_VERSIONS=all, every version deployed to the store later (\`journey deploy\`).
With no REDIS_URL it starts (or reuses) the local Redis Cluster in GRID_DIR and stops it on exit
if it started it; with REDIS_URL it joins that grid (cluster or standalone, detected).
With no MARIADB_URL it uses the server at MARIADB_DEFAULT_URL when one answers there, else it
starts a private MariaDB from the installed server binaries in MARIADB_DIR (stopped on exit).

Every option is also an environment variable:
  --redis-url <urls>        REDIS_URL         comma-separated seeds (default: local embedded grid)
  --mariadb-url <url>       MARIADB_URL       default: MARIADB_DEFAULT_URL if it answers, else a private server
  --mariadb-default-url <url>  MARIADB_DEFAULT_URL  default mariadb://root@127.0.0.1:3306/journeys
  --mariadb-dir <dir>       MARIADB_DIR       default .data/mariadb (the private server's data)
  --port <n>                PORT              default 3000
  --host <addr>             HOST              default 127.0.0.1
  --log-level <level>       LOG_LEVEL         default info
  --node-id <id>            NODE_ID           default <hostname>-<pid>
  --journeys <dir>          JOURNEYS_DIR      default journeys
  --host-versions <which>   HOST_VERSIONS     all (default) | carried (only JOURNEYS_DIR's: a version image)
  --partitions <n>          PARTITIONS        default 64 (fixed at first start)
  --lease-ttl-ms <ms>       LEASE_TTL_MS      default 10000
  --clock-skew-warn-ms <ms> CLOCK_SKEW_WARN_MS  default 1000 (this node's clock vs the database's)
  --roles <list>            ROLES             api,worker (default) | api | worker
  --auth-mode <mode>        AUTH_MODE         dev (default; HOST must be loopback when ROLES has api) | jwt
  --unsafe-dev-auth-on-network <bool>  UNSAFE_DEV_AUTH_ON_NETWORK  true lets dev mode listen on a
                                              non-loopback HOST: only in a container whose port is
                                              published on the host's loopback alone (default false)
  --jwt-jwks-url <url>      JWT_JWKS_URL      the identity provider's key set (https), cached and
                                              refetched for new key ids; needs JWT_ISSUER, JWT_AUDIENCE
  --jwt-secrets <list>      JWT_SECRETS       HS256 secrets for jwt mode
  --jwt-public-key-files <list>  JWT_PUBLIC_KEY_FILES  PEM public keys (RSA, EC, Ed25519) for jwt mode
  --jwt-issuer <iss>        JWT_ISSUER        required iss of every token
  --jwt-audience <aud>      JWT_AUDIENCE      required aud of every token
  --trusted-gateways <list> TRUSTED_GATEWAYS  IPs/CIDRs whose X-Channel / X-Geo headers count
                                              (default none: in jwt mode only the token's claims)
  --rate-limit <by>         RATE_LIMIT        sender (default) | tenant | off
  --rate-limit-per-minute <n>  RATE_LIMIT_PER_MINUTE  default 60000 per sender (or tenant) and
                                              node, reads and writes counted apart
  --rate-limit-exempt-senders <list>  RATE_LIMIT_EXEMPT_SENDERS  senders never limited
  --undeclared-read-roles <list>  UNDECLARED_READ_ROLES  roles reading journeys without read rules (default operator)
  --tenants <json>          TENANTS           tenants served and their journey types, e.g.
                                              {"bank-a":{"journeyTypes":["pfm/*"]}} (default: all, every type);
                                              also limits the journeys a journey starts
  --body-limit-bytes <n>    BODY_LIMIT_BYTES  default 65536
  --grid-dir <dir>          GRID_DIR          default .data/grid
  --grid-port-base <port>   GRID_PORT_BASE    default 7101
  --grid-key-prefix <name>  GRID_KEY_PREFIX   default je (namespace of every Redis key)
  --grid-secret <secret>    GRID_SECRET       32+ characters, the same on every node (default: the store's own, in MariaDB)
  --shutdown-timeout-ms <ms>  SHUTDOWN_TIMEOUT_MS  default 10000
  --backends-module <file>  BACKENDS_MODULE   an ES module exporting back-end handlers by call name
                                              (export default { 'pricing.quote': async (request, { callId }) => ({…}) })
  --backends-config <file>  BACKENDS_CONFIG   a JSON file of HTTP back ends per call name and circuit
                                              breakers per system (README, "Back ends"); with neither,
                                              calls go to the simulated example back ends
  --webhooks-config <file>  WEBHOOKS_CONFIG   a JSON file of webhooks fed from the published events
                                              (README, "Published events")
  --advertise-url <url>     ADVERTISE_URL     this node's base URL for clients (http://host:port): answers
                                              about journeys it owns carry it in X-Journey-Owner-Url

Tracing (OpenTelemetry) is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names an OTLP/HTTP collector; OTEL_SERVICE_NAME defaults to
journey-engine (README, "Tracing").

Stops on SIGINT/SIGTERM/SIGHUP within SHUTDOWN_TIMEOUT_MS, every step bounded: the API stops
accepting, in-flight commits finish, partitions are handed back in MariaDB (also when Redis is
down), and the local grid and private MariaDB (if started here) are stopped. A second signal
during the shutdown is ignored (under npm one Ctrl-C arrives twice); a third exits at once,
still stopping the local servers started here.`;

/** Time past the budget before the process exits whatever its steps are doing. */
const FORCE_EXIT_GRACE_MS = 2_000;
/** Time a finished shutdown waits for the event loop to drain by itself before it exits. */
const DRAIN_GRACE_MS = 1_000;

/**
 * Each step's share of the shutdown budget (see ShutdownPlan): the engine's stop, which lets
 * in-flight commits finish and hands partitions back, gets the most.
 */
const SHARE = {
  api: 0.1,
  engine: 0.35,
  grid: 0.1,
  leases: 0.1,
  store: 0.05,
  localGrid: 0.1,
  localMariaDb: 0.15,
  tracing: 0.05,
} as const;

/** A signal arrived while the node was starting: the start stops at its next step. */
class StartInterrupted extends Error {
  override name = 'StartInterrupted';
}

async function apiOptions(config: EngineConfig): Promise<ApiOptions> {
  const edge = {
    bodyLimitBytes: config.bodyLimitBytes,
    trustedGateways: config.trustedGateways,
    rateLimit: { by: config.rateLimit, perMinute: config.rateLimitPerMinute, exemptSenders: config.rateLimitExemptSenders },
    undeclaredReadRoles: config.undeclaredReadRoles,
    ...(config.tenants === undefined ? {} : { tenants: config.tenants }),
  };
  if (config.authMode === 'dev') return { auth: { mode: 'dev' }, ...edge };
  const publicKeys = await Promise.all(
    config.jwtPublicKeyFiles.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        throw new JourneyError('JE_CONFIG_INVALID', `JWT_PUBLIC_KEY_FILES: cannot read ${file}`, {
          cause: error,
          details: { setting: 'JWT_PUBLIC_KEY_FILES', file },
        });
      }
    }),
  );
  return {
    auth: {
      mode: 'jwt',
      secrets: config.jwtSecrets,
      publicKeys,
      ...(config.jwtJwksUrl ? { jwksUrl: config.jwtJwksUrl } : {}),
      ...(config.jwtIssuer ? { issuer: config.jwtIssuer } : {}),
      ...(config.jwtAudience ? { audience: config.jwtAudience } : {}),
    },
    ...edge,
  };
}

/** Closes an HTTP server within `timeoutMs`: requests still running then (long `?wait`s) are cut. */
async function closeServer(server: FastifyInstance, timeoutMs: number): Promise<void> {
  const cut = setTimeout(() => server.server.closeAllConnections(), Math.max(0, timeoutMs - 100));
  try {
    await server.close();
  } finally {
    clearTimeout(cut);
  }
}

/**
 * Hands back, in MariaDB, every partition this node's incarnations still hold — also when the
 * engine's own stop never got there (Redis frozen, a stop that hung). Owners are
 * `<nodeId>:<incarnation>`; NODE_ID names one live process (by default `<hostname>-<pid>`).
 * Safe at any moment: a commit of ours still in flight holds the partition row's shared lock, so
 * this waits for it, and every later commit of ours sees the owner gone and is fenced.
 */
async function releaseLeases(store: Store, nodeId: string, logger: Logger): Promise<void> {
  const result = await store.execute(
    `UPDATE partitions SET owner_node = NULL, lease_expires_at = NULL, updated_at = NOW(6)
      WHERE SUBSTRING_INDEX(owner_node, ':', 1) = ?`,
    [nodeId],
  );
  if (result.affectedRows > 0) logger.warn({ partitions: result.affectedRows }, 'partitions the engine had not handed back were released');
}

/** The MariaDB URL to use: MARIADB_URL, else the default address if it answers, else a private server. */
async function chooseMariaDb(config: EngineConfig, logger: Logger, plan: ShutdownPlan): Promise<string> {
  if (config.mariadbUrl !== undefined) return config.mariadbUrl;
  const { target } = parseMariadbUrl(config.mariadbDefaultUrl);
  const address = `${target.host}:${target.port}`;
  if (await somethingListens(target.host, target.port)) return config.mariadbDefaultUrl;
  // Registered before the start: a signal or crash half-way through still stops what it spawned.
  plan.onEmergency('mariadb', () => stopLocalMariaDbNow(config.mariadbDir));
  let server;
  try {
    server = await startLocalMariaDb({ dir: config.mariadbDir, logger });
  } catch (error) {
    if (isJourneyError(error, 'JE_DEPENDENCY_MISSING')) {
      throw new JourneyError(
        'JE_DEPENDENCY_MISSING',
        `No MARIADB_URL, nothing answers at ${address}, and no MariaDB server binaries to start a private one: install MariaDB (Debian/Ubuntu: apt-get install mariadb-server) or set MARIADB_URL to a server of yours.`,
        { cause: error, details: error.details },
      );
    }
    throw error;
  }
  if (server.reused) {
    plan.settled('mariadb');
  } else {
    plan.onEmergency('mariadb', () => server.stopNow());
    plan.add({
      name: 'stop the private MariaDB',
      share: SHARE.localMariaDb,
      run: async (timeoutMs) => {
        // A clean shutdown if it fits, else SIGKILL: commits are durable, recovery runs next start.
        await server.stop(Math.max(100, timeoutMs - 200));
        plan.settled('mariadb');
      },
    });
  }
  const url = server.url(target.database);
  logger.info(
    { dir: server.dir, url, pid: server.pid, reused: server.reused },
    `no MARIADB_URL and nothing answers at ${address}: using a private MariaDB (${url}, data in ${server.dir}); set MARIADB_URL to use your own server`,
  );
  return url;
}

/** Starts (or joins) the embedded local grid and returns its seeds. */
async function startEmbeddedGrid(config: EngineConfig, logger: Logger, plan: ShutdownPlan): Promise<string[]> {
  logger.info({ dir: config.gridDir }, 'no REDIS_URL: using the local embedded Redis Cluster');
  const running = await localGridStatus({ dir: config.gridDir }).then(
    (status) => status.nodes.some((node) => node.alive),
    () => false,
  );
  // A grid that runs already belongs to whoever started it; one this start spawns is this node's,
  // stopped by PID on every way out, also when the start is cut short.
  if (!running) plan.onEmergency('grid', () => killLocalGridNow(config.gridDir));
  const cluster = await startLocalCluster({ dir: config.gridDir, portBase: config.gridPortBase, logger });
  if (cluster.reused) {
    plan.settled('grid');
  } else {
    plan.onEmergency('grid', () => killLocalGridNow(cluster.dir));
    plan.add({
      name: 'stop the local grid',
      share: SHARE.localGrid,
      run: async (timeoutMs) => {
        await stopLocalGrid({ dir: cluster.dir, stopTimeoutMs: Math.max(100, timeoutMs - 200) });
        plan.settled('grid');
      },
    });
  }
  return [...cluster.seeds];
}

/** Opens the store; a default server that refuses root gets the fix in the message. */
async function openTheStore(config: EngineConfig, url: string, logger: Logger): Promise<Store> {
  try {
    // A process frozen inside a transaction must not hold its locks (and so a partition takeover)
    // much longer than a lease: MariaDB ends such a transaction after this idle time.
    return await openStore({ url, logger, idleTransactionTimeoutMs: Math.max(1_000, Math.floor(config.leaseTtlMs / 2)) });
  } catch (error) {
    const errno = driverErrno(error);
    // 1045 ER_ACCESS_DENIED_ERROR, 1698 ER_ACCESS_DENIED_NO_PASSWORD_ERROR (unix_socket auth).
    if (config.mariadbUrl === undefined && (errno === 1045 || errno === 1698)) {
      const { target } = parseMariadbUrl(url);
      throw new JourneyError(
        'JE_STORE_UNAVAILABLE',
        `MariaDB at ${target.host}:${target.port} refuses ${target.user} without a password (a stock Debian/Ubuntu server lets root in by unix socket only). ` +
          `Create a user for the engine and point MARIADB_URL at it, e.g.: ` +
          `sudo mariadb -e "CREATE USER 'journeys'@'127.0.0.1' IDENTIFIED BY 'change-me'; GRANT ALL PRIVILEGES ON journeys.* TO 'journeys'@'127.0.0.1'" ` +
          `and MARIADB_URL=mariadb://journeys:change-me@127.0.0.1:${target.port}/journeys (README, "MariaDB").`,
        { cause: error, details: { errno } },
      );
    }
    throw error;
  }
}

/**
 * Starts the node, registering in `plan` how to undo each part as soon as it exists. Order
 * matters: the plan runs in reverse, so the API closes first, then the engine stops, then the
 * grid connections close (unblocking anything of the engine's still waiting on Redis), then the
 * leases are released while the store is still open, then the store, then the local servers.
 */
async function start(config: EngineConfig, logger: Logger, plan: ShutdownPlan, stopping: () => boolean): Promise<void> {
  const checkpoint = (): void => {
    if (stopping()) throw new StartInterrupted('stopped by a signal during start-up');
  };
  // Source trees and version bundles alike: a version image carries one bundle.
  const sources = await loadJourneySources(config.journeysDir);
  if (sources.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(`journeys in ${config.journeysDir} do not compile:\n${formatDiagnostics(sources.diagnostics)}`);
  }
  const compiled = { journeys: sources.bundles.map((b) => b.journey), processors: {} as Record<string, ProcessorRegistry> };
  const carriedBundles: NonNullable<EngineNodeOptions['carriedBundles']> = {};
  for (const bundle of sources.bundles) {
    const key = `${bundle.name}@${bundle.version}`;
    compiled.processors[key] = await loadBundleProcessors(bundle);
    carriedBundles[key] = {
      contentHash: bundle.contentHash,
      bundle: serializeBundle(bundle),
      ...(bundle.journey.compatibility ? { compatibility: bundle.journey.compatibility } : {}),
    };
  }
  // Before any server starts: a module or file that cannot be used stops the start at once.
  const { backends, breakers } = await loadBackends(config, compiled.journeys, logger);
  const webhooks = await loadWebhooks(config, logger);
  // Stopped last (registered first), so the spans of the shutdown itself are exported too.
  const tracing = await startTracing(process.env, config.nodeId, logger);
  if (tracing) plan.add({ name: 'export the last spans', share: SHARE.tracing, run: () => tracing.shutdown() });
  checkpoint();
  const mariadbUrl = await chooseMariaDb(config, logger, plan);
  checkpoint();
  const seeds = config.redisUrls.length > 0 ? config.redisUrls : await startEmbeddedGrid(config, logger, plan);
  checkpoint();
  const store = await openTheStore(config, mariadbUrl, logger);
  plan.add({ name: 'close the store', share: SHARE.store, run: () => store.close() });
  plan.add({ name: 'hand the partitions back', share: SHARE.leases, run: () => releaseLeases(store, config.nodeId, logger) });
  checkpoint();
  const grid = await connectGrid({ urls: seeds, keyPrefix: config.gridKeyPrefix, logger });
  plan.add({ name: 'close the grid connections', share: SHARE.grid, run: () => grid.close() });
  checkpoint();
  const node = await startEngineNode({
    nodeId: config.nodeId,
    store,
    grid: { connection: grid, keyPrefix: config.gridKeyPrefix },
    journeys: compiled.journeys,
    processors: compiled.processors,
    carriedBundles,
    hostVersions: config.hostVersions,
    loadBundleProcessors: async (bundleJson) => loadBundleProcessors(parseBundle(bundleJson)),
    partitionCount: config.partitions,
    ...(config.gridSecret === undefined ? {} : { gridSecret: config.gridSecret }),
    worker: config.roles.includes('worker'),
    workerOptions: { leaseTtlMs: config.leaseTtlMs },
    clockSync: { warnAboveMs: config.clockSkewWarnMs },
    ...(config.advertiseUrl === undefined ? {} : { advertiseUrl: config.advertiseUrl.replace(/\/$/, '') }),
    backends,
    breakers,
    webhooks,
    ...(config.tenants === undefined ? {} : { tenants: config.tenants }),
    logger,
  });
  const { engine } = node;
  plan.add({ name: 'stop the engine', share: SHARE.engine, run: () => node.stop() });
  checkpoint();
  if (config.roles.includes('api')) {
    if (config.authMode === 'dev') logger.warn('AUTH_MODE=dev: senders are taken from X-Dev-Sender headers. For local use only.');
    if (config.authMode === 'dev' && config.unsafeDevAuthOnNetwork && !isLoopbackHost(config.host)) {
      logger.warn(
        { setting: 'UNSAFE_DEV_AUTH_ON_NETWORK', host: config.host },
        `!!! UNSAFE_DEV_AUTH_ON_NETWORK: dev-mode authentication listens on ${config.host}. Anyone who reaches this port can act as any sender, role and trust level: publish it on the host's loopback only. !!!`,
      );
    }
    const api = buildApi(engine, await apiOptions(config), logger.child({ nodeId: config.nodeId }));
    plan.add({ name: 'close the API', share: SHARE.api, run: (timeoutMs) => closeServer(api, timeoutMs) });
    await api.listen({ port: config.port, host: config.host });
    logger.info({ url: `http://${config.host}:${config.port}`, journeys: compiled.journeys.map((j) => `${j.name} ${j.version}`) }, 'journey engine ready');
  } else {
    // No API here: PORT serves the operations routes alone, so the node can be probed and scraped.
    const ops = await startOpsServer(engine, { port: config.port, host: config.host }, logger.child({ nodeId: config.nodeId }));
    plan.add({ name: 'close the operations server', share: SHARE.api, run: (timeoutMs) => closeServer(ops, timeoutMs) });
  }
}

const SIGNAL_EXIT_CODE: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run an engine node (HTTP API + worker) with the journeys of a folder',
  help: HELP,
  async run(args) {
    let config: EngineConfig;
    try {
      config = loadConfig(args);
    } catch (error) {
      const wrapped = ensureError(error);
      console.error(`journey serve: ${isJourneyError(wrapped) ? `${wrapped.code}: ` : ''}${wrapped.message}`);
      return EXIT.usage;
    }
    // The engine binds nodeId to its own lines; the API's lines get it from this child.
    const logger = createLogger({ level: config.logLevel });
    const plan = new ShutdownPlan(logger);
    const budgetMs = config.shutdownTimeoutMs;

    // Handlers go in before anything starts: a signal during start-up must not kill the process
    // with local servers half started. The default action of a second SIGINT (which npm sends
    // right after the terminal's own) would otherwise end the process in the middle of its stop.
    let signals = 0;
    let deadlineMs = Number.POSITIVE_INFINITY;
    let requestStop: (signal: NodeJS.Signals) => void = () => undefined;
    const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
      requestStop = resolve;
    });
    const forceExit = (reason: string, code: number): void => {
      logger.warn({ reason }, 'exiting now; stopping the local servers this node started, by PID');
      plan.emergencyStop();
      process.exit(code);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals === 1) {
        deadlineMs = performance.now() + budgetMs;
        logger.info({ signal, budgetMs }, 'shutting down');
        // The budget holds even when a step ignores its bound or the start is stuck in a step.
        setTimeout(() => forceExit(`shutdown took longer than ${budgetMs} ms`, EXIT.failure), budgetMs + FORCE_EXIT_GRACE_MS).unref();
        requestStop(signal);
      } else if (signals === 2) {
        logger.warn({ signal }, 'already shutting down: signal ignored (a third one exits at once)');
      } else {
        forceExit(`third stop signal (${signal})`, SIGNAL_EXIT_CODE[signal] ?? EXIT.failure);
      }
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
    // Every other way out (a crash, an exit elsewhere) still stops the local servers started here.
    process.on('exit', () => plan.emergencyStop());

    let code: number = EXIT.ok;
    try {
      // A signal during start-up takes effect at the start's next step (the force-exit timer
      // bounds the wait); what was started by then is undone below like after a normal run.
      await start(config, logger, plan, () => signals > 0);
      await stopRequested;
    } catch (error) {
      if (!(error instanceof StartInterrupted)) {
        const wrapped = ensureError(error);
        logger.fatal({ err: wrapped, ...(isJourneyError(wrapped) ? { code: wrapped.code } : {}) }, 'journey engine failed to start');
        code = isJourneyError(wrapped) && wrapped.code === 'JE_CONFIG_INVALID' ? EXIT.usage : EXIT.failure;
        // Undoing a failed start is bounded like any shutdown.
        if (signals === 0) deadlineMs = performance.now() + budgetMs;
      }
    }
    const clean = await plan.run(budgetMs, deadlineMs);
    if (code === EXIT.ok && !clean) code = EXIT.failure;
    logger.info({ clean }, 'stopped');
    // Stopped is stopped: a client that never let go of a socket or timer must not keep the process.
    setTimeout(() => process.exit(code), DRAIN_GRACE_MS).unref();
    return code;
  },
};
