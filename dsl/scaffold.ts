/**
 * A new journey version to grow from (`journey new acme/hr/leave 1.0`): a definition with one
 * initiating bead, the event it handles declared inline and a read rule; its data schema; and a
 * scenario that passes as written. Pure: the files come back as text; the CLI writes them.
 */
import { KEYWORDS } from './grammar/lexer.js';
import { DEFINITION_FILE } from './loader.js';
import { kebabCase, pascalCase } from './naming.js';
import { SCENARIOS_DIR } from './scenario-model.js';

/** A scaffolded version: its folder below the journeys root, and its files by path inside it. */
export interface ScaffoldedVersion {
  /** `acme/hr/leave/1.0` */
  folder: string;
  /** File path relative to the version folder → content. */
  files: Record<string, string>;
  /** The initiating event it declares, e.g. `StartLeave`. */
  initiatingEvent: string;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VERSION = /^[0-9]+(\.[0-9]+)*$/;
const RESERVED: ReadonlySet<string> = new Set(KEYWORDS);

/**
 * Why `name` cannot name a journey (the header's grammar: identifiers joined by `/`, none a
 * reserved word), or null when it can.
 */
export function journeyNameProblem(name: string): string | null {
  if (name.length === 0) return 'a journey name is empty';
  for (const segment of name.split('/')) {
    if (!SEGMENT.test(segment)) {
      return segment.length === 0
        ? `${JSON.stringify(name)} has an empty part: write enterprise/domain/journey, e.g. acme/hr/leave`
        : `${JSON.stringify(segment)} in ${JSON.stringify(name)} is not a name: letters, digits and _, not starting with a digit (no - or .)`;
    }
    if (RESERVED.has(segment)) return `${JSON.stringify(segment)} in ${JSON.stringify(name)} is a reserved word of the journey language`;
  }
  return null;
}

/** Why `version` cannot be a version (numbers joined by dots, e.g. `1.0`), or null when it can. */
export function versionProblem(version: string): string | null {
  return VERSION.test(version) ? null : `${JSON.stringify(version)} is not a version: numbers joined by dots, e.g. 1.0`;
}

/** JSON as the formatter writes it (prettier): objects open, lists of plain values on one line. */
const json = (value: unknown): string =>
  `${JSON.stringify(value, null, 2).replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (_, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`)}\n`;

/**
 * The files of a new version of `name`. Throws a plain `Error` naming the problem when the name or
 * the version does not fit the language (check with `journeyNameProblem` / `versionProblem` first).
 */
export function scaffoldVersion(name: string, version: string): ScaffoldedVersion {
  const problem = journeyNameProblem(name) ?? versionProblem(version);
  if (problem !== null) throw new Error(problem);
  const last = name.split('/').pop() ?? name;
  const kebab = kebabCase(pascalCase(last)) || 'journey';
  // `sick_leave` → StartSickLeave, its scenarios in start-sick-leave.yaml.
  const eventFile = kebabCase(`Start${pascalCase(last)}`);
  const event = pascalCase(eventFile);
  const dataFile = `${kebab}.data.schema.json`;
  const folder = `${name}/${version}`;

  const definition = [
    `// ${name} ${version}, scaffolded by \`journey new\`: one initiating bead to grow from.`,
    `// The language: docs/DSL.md. Check it with \`journey check\`, run its scenarios with \`journey test\`.`,
    `journey ${name} version ${version}`,
    `data schema "${dataFile}"`,
    `// Events declared inline; give one a schema file (events from "events/") where this is not enough.`,
    `event ${event} { title: string(1..200) }`,
    `// The owner is a search field, so searches by readers other than operators filter in the store.`,
    `search owner: string, status: string`,
    `// Who may read a journey: its owner, and auditors.`,
    `read allow sender == data.owner or "auditor" in roles`,
    ``,
    `on ${event} initiating`,
    `  set owner = sender, title = event.title, status = "started"`,
    ``,
  ].join('\n');

  const dataSchema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${pascalCase(last) || 'Journey'}Data`,
    type: 'object',
    required: ['owner', 'title', 'status'],
    additionalProperties: false,
    properties: {
      owner: { type: 'string', minLength: 1, description: 'Who started it (the sender of the initiating event).' },
      title: { type: 'string', minLength: 1, maxLength: 200 },
      status: { enum: ['started'] },
    },
  };

  const scenario = [
    `# Scenarios of ${name} ${version}: run them with \`journey test\` on this version's folder.`,
    `# The format: docs/DSL.md, "Testing a journey: scenarios".`,
    `context: { sender: alice, roles: [] }`,
    `scenarios:`,
    `  - name: the sender starts one and owns it`,
    `    steps:`,
    `      - send: ${event}`,
    `        payload: { title: first }`,
    `        expect:`,
    `          outcome: applied`,
    `          data: { owner: alice, title: first, status: started }`,
    ``,
    `  - name: one without a title is refused, and nothing is written`,
    `    steps:`,
    `      - send: ${event}`,
    `        payload: {}`,
    `        expect:`,
    `          outcome: refused`,
    `          code: JE_EVENT_INVALID`,
    `          reason: must have property "title"`,
    ``,
  ].join('\n');

  return {
    folder,
    initiatingEvent: event,
    files: {
      [DEFINITION_FILE]: definition,
      [dataFile]: json(dataSchema),
      [`${SCENARIOS_DIR}/${eventFile}.yaml`]: scenario,
    },
  };
}
