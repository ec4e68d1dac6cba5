// The typed client's types (client/generated/api.ts): openapi-typescript over the OpenAPI document
// the API serves over the example journeys, so a route, parameter or schema the API gains is in
// the client at the next `npm run generate` (scripts/generate.mjs runs this file and writes what
// it prints; `--check` fails when the committed file differs).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import process from 'node:process';
import openapiTS, { astToString } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import { servedOpenApiDocuments } from './served-openapi.js';

export const CLIENT_TYPES_FILE = 'client/generated/api.ts';

/** The text of client/generated/api.ts. The jwt-mode document: both modes give the same types. */
export async function clientTypesSource(): Promise<string> {
  const { jwt } = await servedOpenApiDocuments(['jwt']);
  const { version } = createRequire(import.meta.url)('openapi-typescript/package.json') as { version: string };
  const header = [
    '// GENERATED FILE: DO NOT EDIT. Source: the OpenAPI document the API serves (GET /openapi.json) over',
    '// journeys/; regenerate with `npm run generate`.',
    `// openapi-typescript ${version}. Lint and prettier skip generated/; tsc --strict checks it.`,
    '',
  ].join('\n');
  return header + astToString(await openapiTS(jwt as unknown as OpenAPI3));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(await clientTypesSource());
}
