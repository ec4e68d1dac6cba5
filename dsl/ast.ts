/**
 * The syntax tree the grammar builds: close to the source, with a span on every node so the
 * compiler can point at the exact text of a mistake. The compiler lowers it to the IR (ir.ts).
 */
import type { Json } from './ir.js';
import type { Token } from './grammar/lexer.js';

/** Offsets into the source, `end` exclusive. */
export interface Span {
  start: number;
  end: number;
}

export interface Name {
  value: string;
  span: Span;
}

export interface StringLit {
  value: string;
  span: Span;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | 'in' | '??';

export type ExprNode =
  | { kind: 'literal'; value: Json; span: Span }
  /** `sugar`: written as the bare `sender`, `roles` or `trustLevel` (short for `context.<it>`). */
  | { kind: 'path'; root: 'data' | 'event' | 'context'; segments: Name[]; span: Span; sugar?: 'sender' | 'roles' | 'trustLevel' }
  | { kind: 'unary'; op: 'not' | 'neg'; operand: ExprNode; span: Span; opSpan: Span }
  | { kind: 'binary'; op: BinaryOp; left: ExprNode; right: ExprNode; span: Span; opSpan: Span }
  | { kind: 'call'; fn: Name; args: ExprNode[]; span: Span }
  /** A bare name: valid only as a `for` loop's item; otherwise kept for a helpful error. */
  | { kind: 'name'; name: Name; span: Span }
  /** `item.id`: a field of the item a `for` loop is at (an error outside such a loop). */
  | { kind: 'local'; name: Name; segments: Name[]; span: Span }
  | { kind: 'list'; items: ExprNode[]; span: Span }
  | ObjectNode;

export interface ObjectNode {
  kind: 'object';
  entries: Array<{ key: Name; value: ExprNode }>;
  span: Span;
}

/**
 * When a timer fires: `after <amount> <unit>` (a number literal is a constant delay; an expression
 * reads its amount from data or the event when the timer starts), or `at <time>` (a date-time
 * string or ms since the epoch, from data or the event).
 */
export type TimerWhenNode = { kind: 'after'; amount: ExprNode; unit: Name; span: Span } | { kind: 'at'; time: ExprNode; span: Span };

export interface TimerSpecNode {
  when: TimerWhenNode;
  event: Name;
  payload: ObjectNode | null;
  /** `unless` before `emit` and after it; at most one may be given. */
  unlessBefore: Name[] | null;
  unlessAfter: Name[] | null;
}

export interface AssignmentNode {
  target: Name[];
  value: ExprNode;
  span: Span;
}

export type StepNode =
  | { kind: 'set'; assignments: AssignmentNode[]; span: Span }
  | { kind: 'emit'; event: Name; payload: ObjectNode | null; span: Span }
  | { kind: 'if'; condition: ExprNode; then: StepNode[]; else: StepNode[]; span: Span }
  | { kind: 'process'; processor: Name; span: Span }
  | { kind: 'startTimer'; timer: Name; span: Span }
  | { kind: 'cancelTimer'; timer: Name; span: Span }
  | { kind: 'after'; timer: TimerSpecNode; span: Span }
  | { kind: 'call'; system: Name; operation: Name; request: ObjectNode | null; reply: Name; failure: Name; span: Span }
  /** `send Event to <journey id> { … } [failure Event]` */
  | { kind: 'send'; event: Name; to: ExprNode; payload: ObjectNode | null; failure: Name | null; span: Span }
  /** `reply Event { … }`: to the journey that sent the event being handled. */
  | { kind: 'reply'; event: Name; payload: ObjectNode | null; span: Span }
  /** `start a/b/c 1.0 with [Event] { … } [as data.x] [failure Event]` */
  | { kind: 'start'; journeyType: Name; version: Name; event: Name | null; payload: ObjectNode; as: ExprNode | null; failure: Name | null; span: Span }
  /** `for item in <list> … end` */
  | { kind: 'for'; variable: Name; list: ExprNode; steps: StepNode[]; span: Span };

export type BeadLineNode =
  /** `allow role "x"`, or `allow role "x" and <condition>` (`and` is that condition). */
  | { kind: 'allowRole'; role: StringLit; and?: ExprNode; span: Span }
  | { kind: 'allow'; condition: ExprNode; span: Span }
  | { kind: 'when'; condition: ExprNode; span: Span }
  | StepNode;

export interface SearchFieldNode {
  name: Name;
  type: Name;
  path: ExprNode | null;
  span: Span;
}

/** A field of an inline event declaration: `note?: string` (`optional` when written with `?`). */
export interface TypeFieldNode {
  name: Name;
  optional: boolean;
  type: FieldTypeNode;
  span: Span;
}

/** `(1..70)`: bounds, both included; either may be left out. */
export interface RangeNode {
  min: { value: number; span: Span } | null;
  max: { value: number; span: Span } | null;
  span: Span;
}

/** `{ a: string, b?: integer }`: an object's fields. */
export interface ObjectTypeNode {
  kind: 'object';
  fields: TypeFieldNode[];
  span: Span;
}

/**
 * A field's type in an inline event declaration: a type's name (`string`, `date`, …; the
 * compiler knows which) with an optional range (`string(1..70)`), a literal value (`"annual"`, `1`, `true`, `null`), a list (`string[]`),
 * an object, or one of several (`"a" | "b"`, `integer | null`).
 */
export type FieldTypeNode =
  | { kind: 'named'; name: Name; range: RangeNode | null; span: Span }
  | { kind: 'value'; value: string | number | boolean | null; span: Span }
  | { kind: 'list'; item: FieldTypeNode; range: RangeNode | null; span: Span }
  | { kind: 'union'; options: FieldTypeNode[]; span: Span }
  | ObjectTypeNode;

export type ItemNode =
  | { kind: 'dataSchema'; file: StringLit; span: Span }
  | { kind: 'eventsFrom'; dir: StringLit; span: Span }
  | { kind: 'event'; name: Name; file: StringLit; span: Span }
  /** `event Name { field: type, … }`: an event whose payload schema the compiler writes. */
  | { kind: 'inlineEvent'; name: Name; body: ObjectTypeNode; span: Span }
  | { kind: 'search'; fields: SearchFieldNode[]; span: Span }
  | { kind: 'publish'; events: Name[]; span: Span }
  | { kind: 'timer'; name: Name; timer: TimerSpecNode; span: Span }
  | { kind: 'bead'; event: Name; initiating: boolean; lines: BeadLineNode[]; span: Span }
  | { kind: 'compatibility'; mode: Name; span: Span }
  | { kind: 'uplift'; from: Name; steps: StepNode[]; span: Span }
  /** `read allow …`: a rule, written like a bead's `allow`, for who may read the journey. */
  | { kind: 'read'; rule: Extract<BeadLineNode, { kind: 'allow' | 'allowRole' }>; span: Span };

export interface HeaderNode {
  name: Name;
  version: Name;
  span: Span;
}

export interface FileNode {
  header: HeaderNode;
  items: ItemNode[];
}

// ---- helpers used by the grammar's postprocessors -------------------------------------------

export function tokenSpan(token: Token): Span {
  return { start: token.offset, end: token.offset + token.text.length };
}

export function join(first: { span: Span } | Token, last: { span: Span } | Token): Span {
  const a = 'span' in first ? first.span : tokenSpan(first);
  const b = 'span' in last ? last.span : tokenSpan(last);
  return { start: a.start, end: b.end };
}

export function name(token: Token): Name {
  return { value: token.text, span: tokenSpan(token) };
}

export function stringLit(token: Token): StringLit {
  // The lexer admits only JSON escapes, so JSON.parse cannot fail here.
  return { value: JSON.parse(token.text) as string, span: tokenSpan(token) };
}

/** `("," item):*` → items */
export function rest<T>(pairs: ReadonlyArray<readonly [unknown, T]>): T[] {
  return pairs.map((pair) => pair[1]);
}
