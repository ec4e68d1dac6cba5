/**
 * Writes a small journey version for one test into `root` (its own DSL source and schemas), in
 * the layout the loader expects: `<type>/<version>/journey.jd`, the data schema beside it and one
 * schema per event under `events/` (kebab-case file names).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AdHocObjectSchema {
  properties: Record<string, unknown>;
  required: string[];
}

export interface AdHocJourney {
  /** e.g. `test/poison` */
  type: string;
  version: string;
  /** The DSL source; it must name the data schema file `dataSchemaFile`. */
  source: string;
  dataSchemaFile: string;
  dataSchema: AdHocObjectSchema & { title: string };
  /** Event name → its payload schema. */
  events: Record<string, AdHocObjectSchema>;
}

function objectSchema(title: string, { properties, required }: AdHocObjectSchema): string {
  return JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', title, type: 'object', required, additionalProperties: false, properties });
}

const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

export function writeAdHocJourney(root: string, journey: AdHocJourney): void {
  const dir = join(root, ...journey.type.split('/'), journey.version);
  mkdirSync(join(dir, 'events'), { recursive: true });
  writeFileSync(join(dir, 'journey.jd'), journey.source);
  writeFileSync(join(dir, journey.dataSchemaFile), objectSchema(journey.dataSchema.title, journey.dataSchema));
  for (const [name, schema] of Object.entries(journey.events)) {
    writeFileSync(join(dir, 'events', `${kebab(name)}.schema.json`), objectSchema(name, schema));
  }
}
