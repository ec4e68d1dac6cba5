/**
 * The contexts worth trying for a bead's rules: built from the rules' own literals (each role or
 * name they mention, one value they do not, every trust level), for each origin. Timers and back
 * ends send with the fixed context the engine gives them.
 */
import { SYSTEM_CONTEXTS } from './analysis-model.js';
import type { EventOrigin } from './analysis-model.js';
import { contextAsJson } from './expressions.js';
import type { Bead, Expr, Json, JsonObject } from './ir.js';

/** A sender, channel or role no rule names. */
const SOMEONE = '\u0000someone';
const MAX_CANDIDATES = 4096;

function visit(expr: Expr, each: (e: Expr) => void): void {
  each(expr);
  switch (expr.kind) {
    case 'unary':
      visit(expr.operand, each);
      break;
    case 'binary':
      visit(expr.left, each);
      visit(expr.right, each);
      break;
    case 'call':
      expr.args.forEach((a) => visit(a, each));
      break;
    case 'list':
      expr.items.forEach((i) => visit(i, each));
      break;
    case 'object':
      expr.entries.forEach((e) => visit(e.value, each));
      break;
    case 'literal':
    case 'path':
    case 'local':
      break;
  }
}

function ruleExprs(bead: Bead): Expr[] {
  return [...bead.access.map((r) => r.condition), ...bead.preconditions.map((p) => p.condition)];
}

/** The contexts worth trying for a bead's rules, for one origin (null: too many, any context). */
export function candidateContexts(bead: Bead, origin: EventOrigin): Array<JsonObject | null> {
  if (origin === 'timer' || origin === 'backend') return [contextAsJson(SYSTEM_CONTEXTS[origin])];
  const journeys = origin === 'journey' ? generalContexts(bead, origin) : null;
  // From a journey: another journey's message (any id and type), or an undelivered message's failure.
  if (journeys !== null) return journeys.includes(null) ? [null] : [...journeys, contextAsJson(SYSTEM_CONTEXTS.journey)];
  return generalContexts(bead, origin);
}

function generalContexts(bead: Bead, origin: EventOrigin): Array<JsonObject | null> {
  const fields = new Set<string>();
  const strings = new Set<string>();
  for (const expr of ruleExprs(bead)) {
    visit(expr, (e) => {
      if (e.kind === 'path' && e.root === 'context' && e.segments[0] !== undefined) fields.add(e.segments[0]);
      if (e.kind === 'literal' && typeof e.value === 'string') strings.add(e.value);
    });
  }
  const names = [...strings];
  const options: Record<string, Json[]> = {
    sender: [...names, SOMEONE],
    roles: [[], ...names.map((n) => [n]), names],
    trustLevel: [0, 1, 2, 3],
    channel: [...names, SOMEONE],
    geo: [null, ...names],
    // Only an event another journey sends names it (and its type).
    ...(origin === 'journey' ? { journey: [...names, SOMEONE], journeyType: [...names, SOMEONE] } : {}),
  };
  let contexts: JsonObject[] = [{ sender: SOMEONE, roles: [], trustLevel: 0, channel: SOMEONE, origin }];
  for (const field of [...fields].sort()) {
    const values = options[field];
    if (values === undefined) continue;
    if (contexts.length * values.length > MAX_CANDIDATES) return [null];
    contexts = contexts.flatMap((context) => values.map((value) => ({ ...context, [field]: value })));
  }
  return contexts;
}
