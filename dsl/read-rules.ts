/**
 * Read rules (`read allow sender == data.owner`, `read allow role "auditor"`), lowered to IR: who
 * may read a journey's data and history. Written and typed like a bead's `allow`, but a read has
 * no event, no origin and no processing time, so `event.*`, `context.origin` and `now()` are
 * refused with the reason. What is left reads the reader's context and the data, and the runtime
 * (read-access.ts) decides it with the reader known.
 */
import type { ExprNode, ItemNode } from './ast.js';
import type { Compilation } from './compilation.js';
import { collapse, lowerCondition } from './expression-typing.js';
import type { Env } from './expression-typing.js';
import type { AccessRule, JsonSchema } from './ir.js';

export type ReadNode = Extract<ItemNode, { kind: 'read' }>;

/** Reports what a read rule cannot read: the event, the origin, the time. */
function refuseUnreadable(c: Compilation, node: ExprNode): void {
  switch (node.kind) {
    case 'path':
      if (node.root === 'event') {
        c.error(
          'invalid-read-rule',
          'a read rule cannot read `event`: a read has no event; use data (copy the value into data in a bead) or context',
          node.span,
        );
      } else if (node.root === 'context' && node.segments[0]?.value === 'origin') {
        c.error('invalid-read-rule', 'a read rule cannot read `context.origin`: a reader is not an event and has no origin', node.span);
      }
      return;
    case 'call':
      if (node.fn.value === 'now') {
        c.error('invalid-read-rule', 'a read rule cannot use `now()`: it is decided on the reader and the data alone; keep a flag in data instead', node.span);
      }
      node.args.forEach((arg) => refuseUnreadable(c, arg));
      return;
    case 'unary':
      refuseUnreadable(c, node.operand);
      return;
    case 'binary':
      refuseUnreadable(c, node.left);
      refuseUnreadable(c, node.right);
      return;
    case 'list':
      node.items.forEach((item) => refuseUnreadable(c, item));
      return;
    case 'object':
      node.entries.forEach((entry) => refuseUnreadable(c, entry.value));
      return;
    case 'literal':
    case 'name':
      return;
  }
}

/** The journey's read rules in source order; empty when it declares none. */
export function lowerReadRules(c: Compilation, nodes: readonly ReadNode[], data: JsonSchema): AccessRule[] {
  // `event` is refused above with its reason; typing it against an empty schema reports nothing more.
  const env: Env = { data, event: { name: 'read', schema: {}, file: '' } };
  return nodes.map(({ rule }): AccessRule => {
    if (rule.kind === 'allowRole') {
      return {
        text: `role ${JSON.stringify(rule.role.value)}`,
        condition: {
          kind: 'binary',
          op: 'in',
          left: { kind: 'literal', value: rule.role.value },
          right: { kind: 'path', root: 'context', segments: ['roles'] },
        },
      };
    }
    refuseUnreadable(c, rule.condition);
    return { text: collapse(c.src.slice(rule.condition.span)), condition: lowerCondition(c, rule.condition, env, 'a `read allow` condition') };
  });
}
