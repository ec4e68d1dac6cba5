// npm run lint:openapi: lints the OpenAPI document the API serves with Redocly's recommended
// rules (redocly.yaml; the exceptions, each with its reason, in .redocly.lint-ignore.yaml). The
// document is generated per deployment, so there is no file to lint: this builds the API over the
// example journeys (what `journey serve` deploys by default), in both auth modes (they differ in
// security schemes), fetches GET /openapi.json from each, writes the answers to .data/openapi/
// (kept for reading; the ignore file names them) and runs `redocly lint` on them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { buildApi } from '../api/index.js';
import type { ApiOptions } from '../api/index.js';
import { silentLogger } from '../common/index.js';
import { compileJourneys, formatDiagnostics } from '../dsl/index.js';
import type { DeployedJourney, JourneyEngine } from '../engine/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** An engine that only knows its deployments: /openapi.json asks for nothing else. */
function deploymentsOnly(deployed: DeployedJourney[]): JourneyEngine {
  const unused = (): never => {
    throw new Error('lint-openapi serves only /openapi.json');
  };
  return {
    nodeId: 'lint-openapi',
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
    startUplift: unused,
    upliftRun: unused,
    deadLetters: { list: unused, get: unused, retry: unused, discard: unused },
    metricsText: unused,
    stop: () => Promise.resolve(),
  };
}

async function servedDocument(engine: JourneyEngine, options: ApiOptions): Promise<string> {
  const app = buildApi(engine, { ...options, docs: false }, silentLogger());
  try {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}: ${response.body}`);
    return response.body;
  } finally {
    await app.close();
  }
}

const compiled = await compileJourneys(join(root, 'journeys'));
if (compiled.diagnostics.some((d) => d.severity === 'error')) {
  console.error(`the example journeys do not compile:\n${formatDiagnostics(compiled.diagnostics)}`);
  process.exit(1);
}
const engine = deploymentsOnly(compiled.journeys.map((journey, i) => ({ name: journey.name, version: journey.version, journey, laneNo: i + 1, hosted: true })));
const modes: Record<string, ApiOptions> = {
  dev: { auth: { mode: 'dev' } },
  // A placeholder secret: only the document's security scheme depends on the mode.
  jwt: { auth: { mode: 'jwt', secrets: ['lint-openapi-placeholder-secret-of-32-characters'] } },
};

const dir = join(root, '.data', 'openapi');
mkdirSync(dir, { recursive: true });
const files: string[] = [];
for (const [mode, options] of Object.entries(modes)) {
  const file = join('.data', 'openapi', `openapi-${mode}.json`);
  // Indented, so that what the linter reports has a line number a reader can find.
  writeFileSync(join(root, file), `${JSON.stringify(JSON.parse(await servedDocument(engine, options)), null, 2)}\n`);
  files.push(file);
}
const lint = spawnSync(join(root, 'node_modules', '.bin', 'redocly'), ['lint', '--config', 'redocly.yaml', ...files], {
  cwd: root,
  stdio: 'inherit',
  // No usage data sent, no update check: the run must not depend on the network.
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
});
if (lint.error) throw lint.error;
process.exitCode = lint.status ?? 1;
