// The OpenAPI document the API serves over the example journeys (what `journey serve` deploys by
// default), read from GET /openapi.json of the real API: `npm run lint:openapi` lints it and the
// typed client's types (client/generated/) are generated from it. The document is generated per
// deployment, so there is no file of it to read.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApi } from '../api/index.js';
import type { ApiOptions } from '../api/index.js';
import { silentLogger } from '../common/index.js';
import { compileJourneys, formatDiagnostics } from '../dsl/index.js';
import type { DeployedJourney, JourneyEngine } from '../engine/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export type OpenApiMode = 'dev' | 'jwt';

/** The auth modes differ only in the document's security schemes. */
const OPENAPI_MODES: Record<OpenApiMode, ApiOptions> = {
  dev: { auth: { mode: 'dev' } },
  // A placeholder secret: only the document's security scheme depends on the mode.
  jwt: { auth: { mode: 'jwt', secrets: ['served-openapi-placeholder-secret-of-32-characters'] } },
};

/** An engine that only knows its deployments: /openapi.json asks for nothing else. */
function deploymentsOnly(deployed: DeployedJourney[]): JourneyEngine {
  const unused = (): never => {
    throw new Error('this engine serves only /openapi.json');
  };
  return {
    nodeId: 'served-openapi',
    accept: unused,
    awaitOutcome: unused,
    getJourney: unused,
    listEvents: unused,
    search: unused,
    deployments: () => deployed,
    resolveJourney: unused,
    readiness: unused,
    deploy: unused,
    undeploy: unused,
    deploymentHistory: unused,
    drainReport: unused,
    partitionLeases: unused,
    journeyWaiting: unused,
    startUplift: unused,
    upliftRun: unused,
    readPublished: unused,
    deadLetters: { list: unused, get: unused, retry: unused, discard: unused },
    reconcile: unused,
    metricsText: unused,
    stop: () => Promise.resolve(),
  };
}

/** The example journeys, deployed as `journey serve` deploys them (one lane each). */
async function exampleDeployments(): Promise<DeployedJourney[]> {
  const compiled = await compileJourneys(join(ROOT, 'journeys'));
  if (compiled.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(`the example journeys do not compile:\n${formatDiagnostics(compiled.diagnostics)}`);
  }
  return compiled.journeys.map((journey, i) => ({ name: journey.name, version: journey.version, journey, laneNo: i + 1, hosted: true }));
}

/** GET /openapi.json of the API over the example journeys, once per mode asked for. */
export async function servedOpenApiDocuments<M extends OpenApiMode>(modes: readonly M[]): Promise<Record<M, Record<string, unknown>>> {
  const engine = deploymentsOnly(await exampleDeployments());
  const documents = {} as Record<M, Record<string, unknown>>;
  for (const mode of modes) {
    const app = buildApi(engine, { ...OPENAPI_MODES[mode], docs: false }, silentLogger());
    try {
      const response = await app.inject({ method: 'GET', url: '/openapi.json' });
      if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}: ${response.body}`);
      documents[mode] = JSON.parse(response.body) as Record<string, unknown>;
    } finally {
      await app.close();
    }
  }
  return documents;
}
