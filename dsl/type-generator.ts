/**
 * TypeScript types of a journey's data and events, generated from its JSON Schemas with
 * json-schema-to-typescript, for action processors and clients. The output is reproducible: the
 * same journey and tool versions give byte-identical text (no dates, no absolute paths), so a
 * test or CI can regenerate and compare.
 */
import { createRequire } from 'node:module';
import { JourneyError } from '../common/index.js';
import { pascalCase } from './naming.js';
import type { CompiledJourney, Json, JsonSchema } from './ir.js';

/** Where the generated file lives in a journey version folder. */
export const GENERATED_TYPES_FILE = 'generated/types.ts';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The type names a journey's file declares: its data, each event, and the two event maps. */
export interface JourneyTypeNames {
  data: string;
  /** Event type → the name of its payload type. */
  events: Record<string, string>;
  /** `<Journey>Events`: event type → payload type. */
  eventMap: string;
  /** `<Journey>Event`: the union of `{ type, payload }`. */
  eventUnion: string;
}

/** `mybank/lending/mortgage` → `Mortgage`; `theglue/psd2/x2a` → `X2a`. */
function journeyTypeName(name: string): string {
  const last = name.split('/').pop() ?? name;
  const pascal = pascalCase(last);
  return /^[A-Za-z]/.test(pascal) ? pascal : `J${pascal}`;
}

/** The names the generated file uses; collisions get a `Payload` or `Data` suffix. */
export function journeyTypeNames(journey: CompiledJourney): JourneyTypeNames {
  const base = journeyTypeName(journey.name);
  const title = journey.dataSchema.title;
  const events = Object.keys(journey.events);
  let data = typeof title === 'string' && IDENTIFIER.test(title) ? title : `${base}Data`;
  const eventMap = `${base}Events`;
  const eventUnion = `${base}Event`;
  if (events.includes(data) || data === eventMap || data === eventUnion) data = `${data}Data`;
  const taken = new Set([data, eventMap, eventUnion]);
  const names: Record<string, string> = {};
  for (const event of events) {
    const name = taken.has(event) ? `${event}Payload` : event;
    taken.add(name);
    names[event] = name;
  }
  return { data, events: names, eventMap, eventUnion };
}

/**
 * The schema as the generator should see it: the root named, nested `title`s dropped (each
 * would become its own declaration and could collide with another schema's), `$schema` dropped.
 */
function prepare(schema: JsonSchema, name: string): JsonSchema {
  const strip = (value: Json, root: boolean): Json => {
    if (Array.isArray(value)) return value.map((item) => strip(item, false));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, Json> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$schema' || (key === 'title' && !root)) continue;
      // `properties` maps field names to schemas: a field may itself be called `title`.
      out[key] =
        key === 'properties' && inner !== null && typeof inner === 'object' && !Array.isArray(inner)
          ? Object.fromEntries(Object.entries(inner).map(([field, sub]) => [field, strip(sub, false)]))
          : strip(inner, false);
    }
    return out;
  };
  return { ...(strip(schema, true) as JsonSchema), title: name };
}

interface Generator {
  compile: (schema: object, name: string, options: object) => Promise<string>;
  version: string;
}

let generator: Promise<Generator> | undefined;

/** json-schema-to-typescript (and prettier with it) load on first use only: the engine never needs them. */
function loadGenerator(): Promise<Generator> {
  generator ??= (async () => {
    const module = await import('json-schema-to-typescript');
    const { version } = createRequire(import.meta.url)('json-schema-to-typescript/package.json') as { version: string };
    return { compile: (schema, name, options) => module.compile(schema, name, options), version };
  })();
  return generator;
}

const OPTIONS = {
  bannerComment: '',
  format: true,
  // Optional index signatures are `unknown | undefined`, as `noUncheckedIndexedAccess` reads them.
  strictIndexSignatures: true,
  unknownAny: true,
  declareExternallyReferenced: true,
  enableConstEnums: false,
  $refOptions: { resolve: { external: false } },
};

/** The text of `generated/types.ts` for one journey version. */
export async function generateJourneyTypes(journey: CompiledJourney): Promise<string> {
  const { compile, version } = await loadGenerator();
  const names = journeyTypeNames(journey);
  const chunks: string[] = [];
  const declared = new Map<string, string>();
  const add = async (schema: JsonSchema, name: string, what: string): Promise<void> => {
    let text: string;
    try {
      text = await compile(prepare(schema, name), name, OPTIONS);
    } catch (thrown: unknown) {
      throw new JourneyError('JE_DSL_COMPILE', `${journey.name} ${journey.version}: cannot generate the TypeScript type of ${what}`, {
        cause: thrown,
        details: { journey: journey.name, version: journey.version, type: name },
      });
    }
    for (const match of text.matchAll(/^export (?:interface|type|enum|const enum) ([A-Za-z0-9_$]+)/gm)) {
      const declaredName = match[1] ?? '';
      const first = declared.get(declaredName);
      if (first !== undefined) {
        throw new JourneyError(
          'JE_DSL_COMPILE',
          `${journey.name} ${journey.version}: the types of ${first} and ${what} both declare ${declaredName}; rename a $defs entry`,
          {
            details: { journey: journey.name, version: journey.version, type: declaredName },
          },
        );
      }
      declared.set(declaredName, what);
    }
    chunks.push(text.trim());
  };
  await add(journey.dataSchema, names.data, 'the data');
  for (const [event, definition] of Object.entries(journey.events)) await add(definition.schema, names.events[event] ?? event, `event ${event}`);

  const entries = Object.entries(names.events).map(([event, type]) => `  ${event}: ${type};`);
  const header = [
    `// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of ${journey.name} ${journey.version} (its journey.jd names them).`,
    '// Regenerate with `npm run journey -- types journeys/`. json-schema-to-typescript ' + version + '.',
    '',
    `/** ${journey.name} ${journey.version}: the journey's data is {@link ${names.data}}; its events are listed in {@link ${names.eventMap}}. */`,
    '',
  ];
  const footer = [
    `/** Every event of ${journey.name} ${journey.version}, by type: the type of its payload. */`,
    `export interface ${names.eventMap} {`,
    ...entries,
    '}',
    '',
    '/** An event as the engine carries it: its type and its payload. */',
    `export type ${names.eventUnion} = { [K in keyof ${names.eventMap}]: { type: K; payload: ${names.eventMap}[K] } }[keyof ${names.eventMap}];`,
  ];
  return `${[...header, chunks.join('\n\n'), '', ...footer].join('\n')}\n`;
}
