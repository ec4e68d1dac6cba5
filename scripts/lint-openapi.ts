// npm run lint:openapi: lints the OpenAPI document the API serves with Redocly's recommended
// rules (redocly.yaml; the exceptions, each with its reason, in .redocly.lint-ignore.yaml). The
// document is generated per deployment: this reads it from the API over the example journeys, in
// both auth modes (they differ in security schemes; see served-openapi.ts), writes the answers to
// .data/openapi/ (kept for reading; the ignore file names them) and runs `redocly lint` on them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { ROOT, servedOpenApiDocuments } from './served-openapi.js';

const documents = await servedOpenApiDocuments(['dev', 'jwt']);
mkdirSync(join(ROOT, '.data', 'openapi'), { recursive: true });
const files: string[] = [];
for (const [mode, document] of Object.entries(documents)) {
  const file = join('.data', 'openapi', `openapi-${mode}.json`);
  // Indented, so that what the linter reports has a line number a reader can find.
  writeFileSync(join(ROOT, file), `${JSON.stringify(document, null, 2)}\n`);
  files.push(file);
}
const lint = spawnSync(join(ROOT, 'node_modules', '.bin', 'redocly'), ['lint', '--config', 'redocly.yaml', ...files], {
  cwd: ROOT,
  stdio: 'inherit',
  // No usage data sent, no update check: the run must not depend on the network.
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
});
if (lint.error) throw lint.error;
process.exitCode = lint.status ?? 1;
