import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The engine's version, from its package.json: one folder up in the source tree (`api/`), two in
 * the build (`dist/api/`). "unknown" rather than a failed start if neither is readable.
 */
function readBuildVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'journey-engine' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there in this layout: try the next
    }
  }
  return 'unknown';
}

export const BUILD_VERSION = readBuildVersion();

let processRegistry: Registry | undefined;

/** Distinct tenant labels when tenants are not listed (a metric label per name would be unbounded). */
const MAX_TENANT_LABELS = 100;

/**
 * Node's default process metrics (CPU, memory, handles, event loop lag, GC) in one registry per
 * process: they describe the process, not a server, and collecting them twice into one registry
 * throws (a process may run several servers, in tests).
 */
export function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * HTTP request metrics and the build-info metric in a registry of this server's own (a process
 * may run several servers in tests; the global registry would clash). `/metrics` serves them
 * after the engine's, followed by the process metrics.
 */
export class HttpMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'je_http_requests_total',
    help: 'HTTP requests answered, by route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'je_http_request_duration_seconds',
    help: 'Time from request to answer, by route template',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly tenantRequests = new Counter({
    name: 'je_tenant_requests_total',
    help: `Authenticated requests by tenant and status class (tenants past the first ${MAX_TENANT_LABELS} unlisted ones count as "other")`,
    labelNames: ['tenant', 'status'],
    registers: [this.registry],
  });
  private readonly tenantLabels = new Set<string>();
  /** Always 1: its labels tell a dashboard which version each node runs. */
  readonly buildInfo = new Gauge({
    name: 'journey_engine_build_info',
    help: 'The engine version this node runs (always 1)',
    labelNames: ['version', 'node'],
    registers: [this.registry],
  });

  /** @param tenantsListed the API serves listed tenants only: each may have its own label. */
  constructor(
    nodeId: string,
    private readonly tenantsListed = false,
  ) {
    this.buildInfo.set({ version: BUILD_VERSION, node: nodeId }, 1);
  }

  /** A tenant's label; unlisted tenants (any name a dev header or token gives) are capped in number. */
  private tenantLabel(tenant: string): string {
    if (this.tenantsListed || this.tenantLabels.has(tenant)) return tenant;
    if (this.tenantLabels.size >= MAX_TENANT_LABELS) return 'other';
    this.tenantLabels.add(tenant);
    return tenant;
  }

  /** Counts every answer; unmatched URLs share one label so clients cannot explode cardinality. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      this.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      const tenant = request.identity?.tenant;
      if (tenant !== undefined) this.tenantRequests.inc({ tenant: this.tenantLabel(tenant), status: `${Math.floor(reply.statusCode / 100)}xx` });
      done();
    });
  }

  /** The HTTP, build-info and process metrics, for `/metrics` after the engine's. */
  async exposition(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own.trimEnd()}\n\n${process}`;
  }
}
