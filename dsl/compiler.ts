/**
 * Syntax tree + schema files → `CompiledJourney` (ir.ts), with every problem found reported as a
 * located diagnostic: unknown events, paths and processors, type errors, unreachable beads, ...
 * Pure: the files of the journey folder are passed in.
 *
 * This is the driver: it reads the declarations first, then lowers timers, beads, search fields
 * and read rules (bead-lowering.ts, step-lowering.ts, search-fields.ts, read-rules.ts; expressions
 * are typed in expression-typing.ts), and assembles the IR when nothing is wrong.
 */
import type { ItemNode, Name } from './ast.js';
import { checkBeads, lowerBeads } from './bead-lowering.js';
import type { BeadNode } from './bead-lowering.js';
import { Compilation } from './compilation.js';
import type { CompileInput } from './compilation.js';
import { sortDiagnostics } from './diagnostics.js';
import type { Diagnostic } from './diagnostics.js';
import { IR_VERSION } from './ir.js';
import type { CompiledJourney, EventDefinition, JsonSchema } from './ir.js';
import { assertValidIr } from './ir-schema.js';
import { parseJourney } from './parser.js';
import { lowerReadRules } from './read-rules.js';
import type { ReadNode } from './read-rules.js';
import { declareEvent, declareEventsFrom, declareInlineEvent, eventExists, readSchema } from './schema-declarations.js';
import { lowerSearchFields } from './search-fields.js';
import { lowerTimer } from './step-lowering.js';
import { lowerCompatibility, lowerUplifts } from './uplift-lowering.js';

export interface CompileOutput {
  /** The compiled journey, when there are no errors. */
  journey: CompiledJourney | null;
  diagnostics: Diagnostic[];
}

export function compileJourney(input: CompileInput): CompileOutput {
  const parsed = parseJourney(input.source, input.file);
  if (parsed.ast === null) return { journey: null, diagnostics: parsed.diagnostics };
  const ast = parsed.ast;
  const src = parsed.source;
  const c = new Compilation(input, src);

  const name = ast.header.name.value;
  const version = ast.header.version.value;
  if (input.expected && input.expected.name !== name) {
    c.error('journey-mismatch', `the header names journey ${name}, but its folder is ${input.expected.name}`, ast.header.name.span);
  }
  if (input.expected && input.expected.version !== version) {
    c.error('journey-mismatch', `the header names version ${version}, but its folder is ${input.expected.version}`, ast.header.version.span);
  }

  // Declarations first, wherever they are in the file: beads may use what is declared after them.
  let dataSchema: JsonSchema | null = null;
  let dataSeen = false;
  const published: Name[] = [];
  const timerNodes: Array<Extract<ItemNode, { kind: 'timer' }>> = [];
  const searchNodes: Array<Extract<ItemNode, { kind: 'search' }>> = [];
  const beadNodes: BeadNode[] = [];
  const compatibilityNodes: Array<Extract<ItemNode, { kind: 'compatibility' }>> = [];
  const upliftNodes: Array<Extract<ItemNode, { kind: 'uplift' }>> = [];
  const readNodes: ReadNode[] = [];
  const inlineEvents: Array<Extract<ItemNode, { kind: 'inlineEvent' }>> = [];
  for (const item of ast.items) {
    switch (item.kind) {
      case 'dataSchema':
        if (dataSeen) c.error('duplicate-declaration', 'the data schema is already declared', item.span);
        else dataSchema = readSchema(c, item.file.value, item.file.span);
        dataSeen = true;
        break;
      case 'eventsFrom':
        declareEventsFrom(c, item.dir.value, item.dir.span);
        break;
      case 'event':
        declareEvent(c, item.name, item.file.value, item.file.span);
        break;
      case 'inlineEvent':
        inlineEvents.push(item);
        break;
      case 'publish':
        published.push(...item.events);
        break;
      case 'timer':
        timerNodes.push(item);
        break;
      case 'search':
        searchNodes.push(item);
        break;
      case 'bead':
        beadNodes.push(item);
        break;
      case 'compatibility':
        compatibilityNodes.push(item);
        break;
      case 'uplift':
        upliftNodes.push(item);
        break;
      case 'read':
        readNodes.push(item);
        break;
    }
  }
  for (const item of inlineEvents) declareInlineEvent(c, item.name, item.body);
  if (!dataSeen) {
    c.error('missing-declaration', 'missing `data schema "<file>"`: every journey declares the JSON Schema of its data', ast.header.span);
  }
  const data: JsonSchema = dataSchema ?? {};
  for (const event of published) eventExists(c, event, 'publish names');

  // Timers.
  for (const node of timerNodes) {
    const declared = c.timerSpans.get(node.name.value);
    if (declared) {
      c.error('duplicate-declaration', `timer ${node.name.value} is already declared on line ${src.locate(declared.start).line}`, node.name.span);
      continue;
    }
    c.timerSpans.set(node.name.value, node.name.span);
    c.timers.push(lowerTimer(c, node.name.value, node.timer, { data, event: null }, node.span));
    c.timerEvents.push({ event: node.timer.event, what: `timer ${node.name.value} fires` });
  }

  // Beads.
  const works = lowerBeads(c, beadNodes, data);
  checkBeads(c, works, ast.header.span);

  // Events that go nowhere.
  const publishedNames = new Set(published.map((p) => p.value));
  for (const [event, span] of c.emittedAt) {
    if (!c.handledBy.has(event) && !publishedNames.has(event) && !c.undeclared.has(event)) {
      c.warning('unhandled-event', `${event} is emitted but no bead handles it; if it is meant for other systems, list it in \`publish\``, span);
    }
  }
  for (const { event, what } of c.timerEvents) {
    if (!c.handledBy.has(event.value) && !c.undeclared.has(event.value)) {
      c.warning('unhandled-event', `${what} ${event.value}, but no bead handles it`, event.span);
    }
  }

  const searchFields = lowerSearchFields(c, searchNodes, data);
  const compatibility = lowerCompatibility(c, compatibilityNodes);
  const uplifts = lowerUplifts(c, upliftNodes, { name, version }, data);
  const read = lowerReadRules(c, readNodes, data);

  const diagnostics = sortDiagnostics(c.diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) return { journey: null, diagnostics };

  const events: Record<string, EventDefinition> = {};
  for (const [event, info] of [...c.events.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const definition: EventDefinition = {
      schema: info.schema,
      initiating: works.some((w) => w.bead.on === event && w.bead.initiating),
      handled: c.handledBy.has(event),
      emitted: c.emittedAt.has(event),
    };
    if (publishedNames.has(event)) definition.published = true;
    if (c.sentAt.has(event)) definition.sent = true;
    events[event] = definition;
  }
  const journey: CompiledJourney = {
    irVersion: IR_VERSION,
    name,
    version,
    source: input.sourceName ?? input.file,
    dataSchema: data,
    events,
    searchFields,
    beads: works.map((w) => w.bead),
    timers: c.timers,
    processors: [...c.processors].sort(),
  };
  // Only when declared: the IR of a version without them stays what it was (its hash included).
  if (compatibility !== null) journey.compatibility = compatibility;
  if (uplifts.length > 0) journey.uplifts = uplifts;
  if (read.length > 0) journey.read = read;
  assertValidIr(journey);
  return { journey: JSON.parse(JSON.stringify(journey)) as CompiledJourney, diagnostics };
}
