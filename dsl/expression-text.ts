/**
 * The one printer of IR expressions: source-like text, as the language would write it, for the
 * analysis (the `if` conditions of transitions, and so the graphs' arrow labels) and for the
 * evaluator's failure messages, which name the expression that failed.
 */
import type { Expr } from './ir.js';

const PRECEDENCE: Record<string, number> = {
  or: 1,
  and: 2,
  '==': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  in: 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
  '??': 8,
};

/** Source-like text of an expression with only the parentheses it needs, e.g. `a and b and c`. */
export function exprText(expr: Expr, parent = 0): string {
  let text: string;
  let level: number;
  switch (expr.kind) {
    case 'literal':
      return JSON.stringify(expr.value);
    case 'path':
      return expr.root === 'context' && expr.segments.length === 1 && expr.segments[0] === 'sender' ? 'sender' : [expr.root, ...expr.segments].join('.');
    case 'call':
      return `${expr.fn}(${expr.args.map((a) => exprText(a)).join(', ')})`;
    case 'list':
      return `[${expr.items.map((i) => exprText(i)).join(', ')}]`;
    case 'object':
      return `{ ${expr.entries.map((e) => `${e.key}: ${exprText(e.value)}`).join(', ')} }`;
    case 'local':
      return [expr.name, ...expr.segments].join('.');
    case 'unary':
      level = expr.op === 'not' ? 3 : 7;
      // `-` parenthesises anything but a path, literal or call: `-a ?? b` would read as `-(a ?? b)`.
      text = expr.op === 'not' ? `not ${exprText(expr.operand, level)}` : `-${exprText(expr.operand, 9)}`;
      break;
    case 'binary': {
      level = PRECEDENCE[expr.op] ?? 9;
      // Left-associative operators take their own level on the left; comparisons never chain;
      // `??` has a path or call on its left and may chain to the right.
      const left = level === 4 ? 5 : level === 8 ? 9 : level;
      const right = level === 8 ? 7 : level + 1;
      text = `${exprText(expr.left, left)} ${expr.op} ${exprText(expr.right, right)}`;
      break;
    }
  }
  return level < parent ? `(${text})` : text;
}
