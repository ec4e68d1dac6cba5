/**
 * Beads, lowered to IR: each gets its id (`<Event>#<n>`), its access rules (`allow`), its
 * preconditions (`when`) and its steps; then the checks between beads for the same event: all
 * initiating or none, and none that an earlier bead always pre-empts.
 */
import type { ItemNode, Span, StepNode } from './ast.js';
import type { Compilation } from './compilation.js';
import { collapse, lowerCondition } from './expression-typing.js';
import type { Env } from './expression-typing.js';
import type { AccessRule, Bead, Expr, JsonSchema, Precondition } from './ir.js';
import { eventExists, schemaPlace } from './schema-declarations.js';
import { lowerSteps } from './step-lowering.js';

export type BeadNode = Extract<ItemNode, { kind: 'bead' }>;

export interface BeadWork {
  node: BeadNode;
  bead: Bead;
  /** Texts of its access rules and preconditions, to find duplicates. */
  guards: string[];
}

function lowerBead(c: Compilation, node: BeadNode, id: string, data: JsonSchema): BeadWork {
  const info = eventExists(c, node.event, 'a bead handles');
  c.handledBy.add(node.event.value);
  const env: Env = { data, event: info ? { name: node.event.value, schema: info.schema, file: schemaPlace(c, info) } : null };
  const envForRules: Env = info ? env : { data, event: { name: node.event.value, schema: {}, file: '?' } };
  const access: AccessRule[] = [];
  const preconditions: Precondition[] = [];
  const steps: StepNode[] = [];
  const guards: string[] = [];
  for (const line of node.lines) {
    if (line.kind === 'allow' || line.kind === 'allowRole' || line.kind === 'when') {
      if (steps.length > 0) {
        const keyword = line.kind === 'when' ? 'when' : 'allow';
        c.error('misplaced-rule', `\`${keyword}\` must come before the bead's steps (set, emit, if, ...)`, {
          start: line.span.start,
          end: line.span.start + keyword.length,
        });
      }
      if (line.kind === 'allowRole') {
        let text = `role ${JSON.stringify(line.role.value)}`;
        let condition: Expr = {
          kind: 'binary',
          op: 'in',
          left: { kind: 'literal', value: line.role.value },
          right: { kind: 'path', root: 'context', segments: ['roles'] },
        };
        if (line.and !== undefined) {
          // `allow role "x" and <condition>`: both, as one rule.
          text = `${text} and ${collapse(c.src.slice(line.and.span))}`;
          condition = { kind: 'binary', op: 'and', left: condition, right: lowerCondition(c, line.and, envForRules, 'an `allow` condition') };
        }
        access.push({ text, condition });
        guards.push(`allow ${text}`);
      } else {
        const text = collapse(c.src.slice(line.condition.span));
        const condition = lowerCondition(c, line.condition, envForRules, line.kind === 'when' ? 'a `when` condition' : 'an `allow` condition');
        if (line.kind === 'allow') access.push({ text, condition });
        else {
          const readsData = JSON.stringify(condition).includes('"root":"data"');
          const readsNow = JSON.stringify(condition).includes('"fn":"now"');
          preconditions.push({ text, condition, decidableAtEdge: !readsData && !readsNow });
        }
        guards.push(`${line.kind} ${text}`);
      }
    } else {
      steps.push(line);
    }
  }
  const location = c.src.locate(node.span.start);
  const bead: Bead = {
    id,
    on: node.event.value,
    initiating: node.initiating,
    access,
    preconditions,
    steps: lowerSteps(c, steps, envForRules, id),
    location: { line: location.line, column: location.column },
  };
  return { node, bead, guards };
}

/** The journey's beads in source order, numbered per event. */
export function lowerBeads(c: Compilation, nodes: readonly BeadNode[], data: JsonSchema): BeadWork[] {
  const counts = new Map<string, number>();
  return nodes.map((node) => {
    const n = (counts.get(node.event.value) ?? 0) + 1;
    counts.set(node.event.value, n);
    return lowerBead(c, node, `${node.event.value}#${n}`, data);
  });
}

/**
 * Whether a bead with the rules `earlier` applies whenever one with `later` would: each of its
 * preconditions is one of the later's (all must hold), and it lets anyone in or each of the
 * later's access rules is one of its own (any one suffices). Rules compare as written.
 */
function subsumes(earlier: readonly string[], later: readonly string[]): boolean {
  const split = (guards: readonly string[], kind: string): string[] => guards.filter((g) => g.startsWith(`${kind} `));
  const laterWhen = new Set(split(later, 'when'));
  if (!split(earlier, 'when').every((g) => laterWhen.has(g))) return false;
  const earlierAllow = new Set(split(earlier, 'allow'));
  const laterAllow = split(later, 'allow');
  return earlierAllow.size === 0 || (laterAllow.length > 0 && laterAllow.every((g) => earlierAllow.has(g)));
}

/** Checks between beads: consistent `initiating`, no bead an earlier one shadows, one to start with. */
export function checkBeads(c: Compilation, works: readonly BeadWork[], header: Span): void {
  let anyInitiating = false;
  works.forEach((work, index) => {
    const { node, bead } = work;
    if (bead.initiating) anyInitiating = true;
    const earlier = works.slice(0, index).filter((w) => w.bead.on === bead.on);
    const first = earlier[0];
    if (first && first.bead.initiating !== bead.initiating) {
      const line = first.bead.location.line;
      c.error(
        'inconsistent-initiating',
        first.bead.initiating
          ? `${bead.on} is initiating in the bead on line ${line}; mark this bead \`initiating\` too, or use another event`
          : `${bead.on} is not initiating in the bead on line ${line}; an event either starts journeys or not`,
        node.event.span,
      );
      return;
    }
    const shadow =
      earlier.find((w) => w.guards.length === 0) ??
      earlier.find((w) => [...w.guards].sort().join('\n') === [...work.guards].sort().join('\n')) ??
      earlier.find((w) => subsumes(w.guards, work.guards));
    if (shadow) {
      const line = shadow.bead.location.line;
      const reason =
        shadow.guards.length === 0
          ? 'has no `allow` or `when` rules, so it always applies first'
          : [...shadow.guards].sort().join('\n') === [...work.guards].sort().join('\n')
            ? 'has the same rules and comes first'
            : `comes first and applies whenever this one would (its rules are among these: ${shadow.guards.join('; ')})`;
      if (bead.initiating) {
        c.error('duplicate-initiating', `${bead.on} already has an initiating bead on line ${line} that ${reason}`, node.event.span);
      } else {
        c.error('unreachable-bead', `this bead can never apply: the bead for ${bead.on} on line ${line} ${reason}`, node.event.span);
      }
    }
  });
  if (!anyInitiating && works.length > 0) {
    c.error('missing-declaration', 'no bead is `initiating`: nothing can start this journey (write `on <Event> initiating`)', header);
  }
}
