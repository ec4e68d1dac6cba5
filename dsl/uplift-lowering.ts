/**
 * The version sections of a journey, lowered to the IR: `compatibility <MODE>` (one of the known
 * modes), and each `uplift from <version>` (an older version the compiler can see, whose steps
 * only set data from data: `set` and `if`, reading `data` and `now()`, never `event` or `context`,
 * which an uplift does not have).
 */
import type { ExprNode, ItemNode, Span, StepNode } from './ast.js';
import type { Compilation } from './compilation.js';
import { didYouMean } from './diagnostics.js';
import type { Env } from './expression-typing.js';
import { COMPATIBILITY_MODES } from './ir.js';
import type { CompatibilityMode, JsonSchema, Uplift } from './ir.js';
import { lowerSteps } from './step-lowering.js';
import { compareVersions } from './versions.js';

type CompatibilityNode = Extract<ItemNode, { kind: 'compatibility' }>;
type UpliftNode = Extract<ItemNode, { kind: 'uplift' }>;

function isMode(value: string): value is CompatibilityMode {
  return Object.prototype.hasOwnProperty.call(COMPATIBILITY_MODES, value);
}

/** The declared mode, or null when none is declared (or it is wrong, after reporting it). */
export function lowerCompatibility(c: Compilation, nodes: readonly CompatibilityNode[]): CompatibilityMode | null {
  let mode: CompatibilityMode | null = null;
  for (const [index, node] of nodes.entries()) {
    const first = nodes[0];
    if (index > 0 && first !== undefined) {
      c.error('duplicate-declaration', `the compatibility mode is already declared on line ${c.src.locate(first.span.start).line}`, node.span);
      continue;
    }
    const value = node.mode.value;
    if (isMode(value)) {
      mode = value;
    } else {
      const modes = Object.keys(COMPATIBILITY_MODES);
      c.error('invalid-compatibility', `unknown compatibility mode ${value}${didYouMean(value, modes) || `; use ${modes.join(', ')}`}`, node.mode.span);
    }
  }
  return mode;
}

const STEP_WORDS: Record<Exclude<StepNode['kind'], 'set' | 'if'>, string> = {
  emit: '`emit`',
  process: '`process`',
  startTimer: '`start timer`',
  cancelTimer: '`cancel timer`',
  after: 'a timer (`after`)',
  call: '`call`',
  send: '`send`',
  reply: '`reply`',
  start: '`start`',
  for: '`for`',
};

/** Reports reads of anything but `data`: an uplift runs outside any event, for no sender. */
function checkReads(c: Compilation, node: ExprNode): void {
  switch (node.kind) {
    case 'path':
      if (node.root !== 'data') {
        const what = node.sugar ?? node.root;
        c.error('invalid-uplift', `an uplift reads only data (the instance being uplifted) and now(); ${what} has no value here`, node.span);
      }
      return;
    case 'unary':
      checkReads(c, node.operand);
      return;
    case 'binary':
      checkReads(c, node.left);
      checkReads(c, node.right);
      return;
    case 'call':
      for (const arg of node.args) checkReads(c, arg);
      return;
    case 'list':
      for (const item of node.items) checkReads(c, item);
      return;
    case 'object':
      for (const entry of node.entries) checkReads(c, entry.value);
      return;
    case 'literal':
    case 'name':
    case 'local':
      return;
  }
}

/** The steps an uplift may have (`set`, `if`), after reporting the others. */
function upliftSteps(c: Compilation, steps: readonly StepNode[]): StepNode[] {
  const kept: StepNode[] = [];
  for (const step of steps) {
    if (step.kind === 'set') {
      for (const assignment of step.assignments) checkReads(c, assignment.value);
      kept.push(step);
    } else if (step.kind === 'if') {
      checkReads(c, step.condition);
      kept.push({ ...step, then: upliftSteps(c, step.then), else: upliftSteps(c, step.else) });
    } else {
      c.error('invalid-uplift', `an uplift only sets data (\`set\`, \`if\`); ${STEP_WORDS[step.kind]} is not allowed here`, step.span);
    }
  }
  return kept;
}

/**
 * Each `uplift from` section. `journey` names the journey and `version` this version, for the
 * checks and messages; `data` is this version's data schema (what `set` may write).
 */
export function lowerUplifts(c: Compilation, nodes: readonly UpliftNode[], journey: { name: string; version: string }, data: JsonSchema): Uplift[] {
  const seen = new Map<string, Span>();
  const uplifts: Uplift[] = [];
  for (const node of nodes) {
    const from = node.from.value;
    const earlier = [...seen.entries()].find(([version]) => compareVersions(version, from) === 0)?.[1];
    if (earlier !== undefined) {
      c.error('duplicate-declaration', `an uplift from ${from} is already declared on line ${c.src.locate(earlier.start).line}`, node.from.span);
      continue;
    }
    seen.set(from, node.from.span);
    // Unknown until the compiler is told the older versions: reads are then checked at deploy.
    let previous: JsonSchema = {};
    if (compareVersions(from, journey.version) >= 0) {
      c.error('unknown-version', `an uplift comes from an older version; ${from} is not older than ${journey.version}`, node.from.span);
    } else if (c.input.versions !== undefined) {
      const schema = c.input.versions.get(from);
      if (schema === undefined) {
        const older = [...c.input.versions.keys()].filter((v) => compareVersions(v, journey.version) < 0).sort(compareVersions);
        const known = older.length > 0 ? `; its older versions are ${older.join(', ')}` : '; it has no older version beside this one';
        c.error('unknown-version', `${journey.name} has no version ${from}${didYouMean(from, older) || known}`, node.from.span);
      } else {
        previous = schema;
      }
    }
    const steps = upliftSteps(c, node.steps);
    // `event` and `context` reads are reported above; typed as anything here, so not twice.
    const env: Env = { data, event: { name: 'uplift', schema: {}, file: '' }, previousData: { version: from, schema: previous } };
    uplifts.push({ from, steps: lowerSteps(c, steps, env, `uplift@${from}`) });
  }
  return uplifts;
}
