# The journey definition language. Compiled to generated/journey-grammar.ts by scripts/generate.mjs.
# Every valid source must have exactly one parse (test/unit/dsl-grammar.test.ts checks it).
# Postprocessors build the syntax tree of ../ast.ts; positions come from the tokens.

@preprocessor typescript

@{%
import { grammarLexer as lexer } from '../lexer.js';
import { join, name, rest, stringLit, tokenSpan } from '../../ast.js';
import type {
  AssignmentNode, BeadLineNode, BinaryOp, ExprNode, FieldTypeNode, FileNode, HeaderNode, ItemNode, Name,
  ObjectNode, ObjectTypeNode, RangeNode, SearchFieldNode, Span, StepNode, TimerSpecNode, TimerWhenNode, TypeFieldNode,
} from '../../ast.js';
%}

@lexer lexer

file -> header items                  {% ([header, items]): FileNode => ({ header, items }) %}

# Also the start symbol when the parser resynchronises at an `on` after a syntax error.
items -> item:*                       {% id %}

header -> "journey" journeyName "version" version
  {% ([kw, jn, , v]): HeaderNode => ({ name: jn, version: v, span: join(kw, v) }) %}

journeyName -> %identifier ("/" %identifier):*
  {% ([first, more]): Name => {
       const parts = [first, ...rest<any>(more)];
       return { value: parts.map((t) => t.text).join('/'), span: join(first, parts[parts.length - 1]) };
     } %}

version -> %number ("." %number):*
  {% ([first, more]): Name => {
       const parts = [first, ...rest<any>(more)];
       return { value: parts.map((t) => t.text).join('.'), span: join(first, parts[parts.length - 1]) };
     } %}

item -> dataDecl {% id %} | eventsDecl {% id %} | eventDecl {% id %} | searchDecl {% id %}
      | publishDecl {% id %} | timerDecl {% id %} | bead {% id %}
      | compatibilityDecl {% id %} | uplift {% id %} | readDecl {% id %}

# `read allow <condition>` / `read allow role "auditor"`: who may read the journey's data and history.
readDecl -> "read" "allow" "role" %string
  {% ([kw, , , r]): ItemNode => ({ kind: 'read', rule: { kind: 'allowRole', role: stringLit(r), span: join(kw, r) }, span: join(kw, r) }) %}
  | "read" "allow" expr
  {% ([kw, , e]): ItemNode => ({ kind: 'read', rule: { kind: 'allow', condition: e, span: join(kw, e) }, span: join(kw, e) }) %}

# `compatibility BACKWARD`: the mode is a name here; the compiler checks it is one it knows.
compatibilityDecl -> "compatibility" ident
  {% ([kw, mode]): ItemNode => ({ kind: 'compatibility', mode, span: join(kw, mode) }) %}

# `uplift from 1.0` and steps, like a bead's: the compiler allows only `set` and `if` in it.
uplift -> "uplift" "from" version step:*
  {% ([kw, , from, steps]): ItemNode => ({ kind: 'uplift', from, steps, span: join(kw, steps.length > 0 ? steps[steps.length - 1] : from) }) %}

dataDecl -> "data" "schema" %string
  {% ([kw, , file]): ItemNode => ({ kind: 'dataSchema', file: stringLit(file), span: join(kw, file) }) %}

eventsDecl -> "events" "from" %string
  {% ([kw, , dir]): ItemNode => ({ kind: 'eventsFrom', dir: stringLit(dir), span: join(kw, dir) }) %}

eventDecl -> "event" ident "schema" %string
  {% ([kw, n, , file]): ItemNode => ({ kind: 'event', name: n, file: stringLit(file), span: join(kw, file) }) %}
  # `event LeaveCancelled { employee: string, note?: string }`: the payload's fields, whose JSON
  # Schema the compiler writes (inline-events.ts).
  | "event" ident objectType
  {% ([kw, n, body]): ItemNode => ({ kind: 'inlineEvent', name: n, body, span: join(kw, body) }) %}

# Fields are separated by commas or just by line breaks (`,` is optional; a trailing one too).
objectType -> "{" "}"
  {% ([open, close]): ObjectTypeNode => ({ kind: 'object', fields: [], span: join(open, close) }) %}
  | "{" typeField (",":? typeField {% ([, f]) => f %}):* ",":? "}"
  {% ([open, first, more, , close]): ObjectTypeNode => ({ kind: 'object', fields: [first, ...more], span: join(open, close) }) %}

typeField -> anyName "?":? ":" fieldType
  {% ([n, q, , type]): TypeFieldNode => ({ name: n, optional: q !== null, type, span: join(n, type) }) %}

# `"a" | "b"`, `integer | null`: one of several types or values.
fieldType -> listType                 {% id %}
  | listType ("|" listType {% ([, t]) => t %}):+
  {% ([first, more]): FieldTypeNode => {
       const options: FieldTypeNode[] = [first, ...more];
       return { kind: 'union', options, span: join(first, options[options.length - 1]!) };
     } %}

# `string[]`, and with a range, `string[](1..10)`: a list of 1 to 10 strings.
listType -> typeAtom                  {% id %}
  | listType "[" "]" range:?
  {% ([item, , close, range]): FieldTypeNode => ({ kind: 'list', item, range, span: join(item, range ?? close) }) %}

typeAtom -> ident range:?
  {% ([n, range]): FieldTypeNode => ({ kind: 'named', name: n, range, span: join(n, range ?? n) }) %}
  | %string                           {% ([t]): FieldTypeNode => ({ kind: 'value', ...stringLit(t) }) %}
  | %number                           {% ([t]): FieldTypeNode => ({ kind: 'value', value: Number(t.text), span: tokenSpan(t) }) %}
  | "-" %number                       {% ([minus, t]): FieldTypeNode => ({ kind: 'value', value: -Number(t.text), span: join(minus, t) }) %}
  | "true"                            {% ([t]): FieldTypeNode => ({ kind: 'value', value: true, span: tokenSpan(t) }) %}
  | "false"                           {% ([t]): FieldTypeNode => ({ kind: 'value', value: false, span: tokenSpan(t) }) %}
  | "null"                            {% ([t]): FieldTypeNode => ({ kind: 'value', value: null, span: tokenSpan(t) }) %}
  | objectType                        {% id %}
  | "(" fieldType ")"                 {% ([, t]) => t %}

# `(1..70)`, `(1..)`, `(..500)`: the bounds of a length, a number or a list's size, both included.
range -> "(" bound:? ".." bound:? ")"
  {% ([open, min, , max, close]): RangeNode => ({ min, max, span: join(open, close) }) %}

bound -> %number                      {% ([t]): { value: number; span: Span } => ({ value: Number(t.text), span: tokenSpan(t) }) %}
  | "-" %number                       {% ([minus, t]): { value: number; span: Span } => ({ value: -Number(t.text), span: join(minus, t) }) %}

searchDecl -> "search" searchField ("," searchField):*
  {% ([kw, first, more]): ItemNode => {
       const fields: SearchFieldNode[] = [first, ...rest<SearchFieldNode>(more)];
       return { kind: 'search', fields, span: join(kw, fields[fields.length - 1]!) };
     } %}

searchField -> anyName ":" ident
  {% ([n, , t]): SearchFieldNode => ({ name: n, type: t, path: null, span: join(n, t) }) %}
  | anyName ":" ident "=" path
  {% ([n, , t, , p]): SearchFieldNode => ({ name: n, type: t, path: p, span: join(n, p) }) %}

publishDecl -> "publish" identList
  {% ([kw, events]): ItemNode => ({ kind: 'publish', events, span: join(kw, events[events.length - 1]) }) %}

timerDecl -> "timer" ident timerSpec
  {% ([kw, n, spec]): ItemNode => ({ kind: 'timer', name: n, timer: spec.timer, span: join(kw, spec) }) %}

# `after 5 days [unless A, B] emit Event {payload} [unless A, B]`, or the time from data:
# `after event.days days …`, `at data.expiresAt …` (`at` is not reserved: it means this only here).
timerSpec -> timerWhen unlessClause:? "emit" ident objectLit:? unlessClause:?
  {% ([when, before, , ev, payload, after]): { timer: TimerSpecNode; span: ReturnType<typeof join> } => ({
       timer: { when, event: ev, payload, unlessBefore: before, unlessAfter: after },
       span: join(when, after ? after[after.length - 1] : payload ?? ev),
     }) %}

# An expression never ends in a name, so the unit after the amount is unambiguous.
timerWhen -> "after" addExpr %identifier
  {% ([kw, amount, unit]): TimerWhenNode => ({ kind: 'after', amount, unit: name(unit), span: join(kw, unit) }) %}
  | "at" addExpr
  {% ([kw, time]): TimerWhenNode => ({ kind: 'at', time, span: join(kw, time) }) %}

unlessClause -> "unless" identList    {% ([, list]) => list %}

identList -> ident ("," ident):*      {% ([first, more]): Name[] => [first, ...rest<Name>(more)] %}

bead -> "on" ident initiating:? beadLine:*
  {% ([kw, ev, init, lines]): ItemNode => {
       const last = lines.length > 0 ? lines[lines.length - 1] : init ?? ev;
       return { kind: 'bead', event: ev, initiating: init !== null, lines, span: join(kw, last) };
     } %}

initiating -> "initiating"            {% ([t]) => name(t) %}

beadLine -> "allow" "role" %string
  {% ([kw, , r]): BeadLineNode => ({ kind: 'allowRole', role: stringLit(r), span: join(kw, r) }) %}
  # `allow role "manager" and sender != data.employee`: the role and a condition, as one rule.
  | "allow" "role" %string "and" andExpr
  {% ([kw, , r, , e]): BeadLineNode => ({ kind: 'allowRole', role: stringLit(r), and: e, span: join(kw, e) }) %}
  | "allow" expr                      {% ([kw, e]): BeadLineNode => ({ kind: 'allow', condition: e, span: join(kw, e) }) %}
  | "when" expr                       {% ([kw, e]): BeadLineNode => ({ kind: 'when', condition: e, span: join(kw, e) }) %}
  | step                              {% id %}

step -> "set" assignment ("," assignment):*
  {% ([kw, first, more]): StepNode => {
       const assignments: AssignmentNode[] = [first, ...rest<AssignmentNode>(more)];
       return { kind: 'set', assignments, span: join(kw, assignments[assignments.length - 1]!) };
     } %}
  | "emit" ident objectLit:?
  {% ([kw, ev, payload]): StepNode => ({ kind: 'emit', event: ev, payload, span: join(kw, payload ?? ev) }) %}
  | "if" expr "then" step:* elseTail "end"
  {% ([kw, cond, , thenSteps, elseSteps, endKw]): StepNode =>
       ({ kind: 'if', condition: cond, then: thenSteps, else: elseSteps, span: join(kw, endKw) }) %}
  | "process" ident
  {% ([kw, p]): StepNode => ({ kind: 'process', processor: p, span: join(kw, p) }) %}
  | "start" "timer" ident
  {% ([kw, , t]): StepNode => ({ kind: 'startTimer', timer: t, span: join(kw, t) }) %}
  | "cancel" "timer" ident
  {% ([kw, , t]): StepNode => ({ kind: 'cancelTimer', timer: t, span: join(kw, t) }) %}
  | timerSpec
  {% ([spec]): StepNode => ({ kind: 'after', timer: spec.timer, span: spec.span }) %}
  | "call" ident "." anyName objectLit:? "reply" ident "failure" ident
  {% ([kw, sys, , op, request, , reply, , failure]): StepNode =>
       ({ kind: 'call', system: sys, operation: op, request, reply, failure, span: join(kw, failure) }) %}
  # `send Sign to data.signer { … } [failure SendFailed]`: an event to another journey, by its id.
  | "send" ident "to" expr objectLit:? failureClause:?
  {% ([kw, ev, , to, payload, failure]): StepNode =>
       ({ kind: 'send', event: ev, to, payload, failure, span: join(kw, failure ?? payload ?? to) }) %}
  # `reply Signed { … }`: an event back to the journey that sent the event being handled.
  | "reply" ident objectLit:?
  {% ([kw, ev, payload]): StepNode => ({ kind: 'reply', event: ev, payload, span: join(kw, payload ?? ev) }) %}
  # `start a/b/c 1.0 with [Event] { … } [as data.x] [failure StartFailed]`: a new journey of another type.
  | "start" journeyName version "with" ident:? objectLit ("as" target {% ([, t]) => t %}):? failureClause:?
  {% ([kw, journeyType, v, , ev, payload, as, failure]): StepNode =>
       ({ kind: 'start', journeyType, version: v, event: ev, payload, as, failure, span: join(kw, failure ?? as ?? payload) }) %}
  # `for item in data.items … end`: the steps once per item of a list.
  | "for" ident "in" expr step:* "end"
  {% ([kw, variable, , list, steps, endKw]): StepNode => ({ kind: 'for', variable, list, steps, span: join(kw, endKw) }) %}

failureClause -> "failure" ident      {% ([, f]) => f %}

# Where `start … as` writes the new journey's id: a data path, or a field of a loop's item.
target -> path                        {% id %}
  | localPath                         {% id %}

# `item.id`: a field of the item a `for` loop is at.
localPath -> ident ("." anyName):+
  {% ([n, more]): ExprNode => {
       const segments = rest<Name>(more);
       return { kind: 'local', name: n, segments, span: join(n, segments[segments.length - 1]!) };
     } %}

# `else if` always continues the chain (one `end` closes it), so `else` steps never start with `if`.
elseTail -> null                      {% (): StepNode[] => [] %}
  | "else" stepNotIf step:*           {% ([, first, more]): StepNode[] => [first, ...more] %}
  | "else"                            {% (): StepNode[] => [] %}
  | "else" "if" expr "then" step:* elseTail
  {% ([, kw, cond, , thenSteps, elseSteps]): StepNode[] => {
       const last = elseSteps.length > 0 ? elseSteps[elseSteps.length - 1] : thenSteps.length > 0 ? thenSteps[thenSteps.length - 1] : cond;
       return [{ kind: 'if', condition: cond, then: thenSteps, else: elseSteps, span: join(kw, last) }];
     } %}

stepNotIf -> step
  {% ([s], _loc, reject) => (s.kind === 'if' ? reject : s) %}

assignment -> anyName ("." anyName):* "=" expr
  {% ([first, more, , value]): AssignmentNode => ({ target: [first, ...rest<Name>(more)], value, span: join(first, value) }) %}

# ---- expressions, loosest first ---------------------------------------------------------------

expr -> orExpr                        {% id %}

orExpr -> orExpr "or" andExpr         {% binary %}
  | andExpr                           {% id %}

andExpr -> andExpr "and" notExpr      {% binary %}
  | notExpr                           {% id %}

notExpr -> "not" notExpr
  {% ([op, operand]): ExprNode => ({ kind: 'unary', op: 'not', operand, span: join(op, operand), opSpan: tokenSpan(op) }) %}
  | compareExpr                       {% id %}

# Comparisons do not chain: `a < b < c` is a syntax error.
compareExpr -> addExpr compareOp addExpr {% binary %}
  | addExpr "not" "in" addExpr
  {% ([left, notKw, inKw, right]): ExprNode => {
       const opSpan = join(notKw, inKw);
       const test: ExprNode = { kind: 'binary', op: 'in', left, right, span: join(left, right), opSpan };
       return { kind: 'unary', op: 'not', operand: test, span: test.span, opSpan };
     } %}
  | addExpr                           {% id %}

compareOp -> "==" {% id %} | "!=" {% id %} | "<" {% id %} | "<=" {% id %} | ">" {% id %} | ">=" {% id %} | "in" {% id %}

addExpr -> addExpr ("+" {% id %} | "-" {% id %}) mulExpr  {% binary %}
  | mulExpr                           {% id %}

mulExpr -> mulExpr ("*" {% id %} | "/" {% id %} | "%" {% id %}) unaryExpr {% binary %}
  | unaryExpr                         {% id %}

unaryExpr -> "-" unaryExpr
  {% ([op, operand]): ExprNode => ({ kind: 'unary', op: 'neg', operand, span: join(op, operand), opSpan: tokenSpan(op) }) %}
  | coalesceExpr                      {% id %}

# `??` binds tighter than every other operator: `data.n ?? 0 + 1` is `(data.n ?? 0) + 1`.
coalesceExpr -> primary "??" unaryExpr {% binary %}
  | primary                           {% id %}

primary -> %number
  {% ([t]): ExprNode => ({ kind: 'literal', value: Number(t.text), span: tokenSpan(t) }) %}
  | %string                           {% ([t]): ExprNode => ({ kind: 'literal', ...stringLit(t) }) %}
  | "true"                            {% ([t]): ExprNode => ({ kind: 'literal', value: true, span: tokenSpan(t) }) %}
  | "false"                           {% ([t]): ExprNode => ({ kind: 'literal', value: false, span: tokenSpan(t) }) %}
  | "null"                            {% ([t]): ExprNode => ({ kind: 'literal', value: null, span: tokenSpan(t) }) %}
  | path                              {% id %}
  | "sender"
  {% ([t]): ExprNode => ({ kind: 'path', root: 'context', segments: [{ value: 'sender', span: tokenSpan(t) }], span: tokenSpan(t), sugar: 'sender' }) %}
  # `roles` and `trustLevel` are short for `context.roles` and `context.trustLevel`, as `sender` is for
  # `context.sender` (they are not reserved: any other bare name is an error the compiler explains).
  | localPath                         {% id %}
  | ident
  {% ([n]): ExprNode => (n.value === 'roles' || n.value === 'trustLevel'
       ? { kind: 'path', root: 'context', segments: [n], span: n.span, sugar: n.value }
       : { kind: 'name', name: n, span: n.span }) %}
  | ident "(" ")"
  {% ([fn, , close]): ExprNode => ({ kind: 'call', fn, args: [], span: join(fn, close) }) %}
  | ident "(" expr ("," expr):* ")"
  {% ([fn, , first, more, close]): ExprNode => ({ kind: 'call', fn, args: [first, ...rest<ExprNode>(more)], span: join(fn, close) }) %}
  | "[" "]"                           {% ([open, close]): ExprNode => ({ kind: 'list', items: [], span: join(open, close) }) %}
  | "[" expr ("," expr):* ",":? "]"
  {% ([open, first, more, , close]): ExprNode => ({ kind: 'list', items: [first, ...rest<ExprNode>(more)], span: join(open, close) }) %}
  | objectLit                         {% id %}
  | "(" expr ")"                      {% ([, e]) => e %}

path -> ("data" {% id %} | "event" {% id %} | "context" {% id %}) ("." anyName):*
  {% ([root, more]): ExprNode => {
       const segments = rest<Name>(more);
       return { kind: 'path', root: root.text, segments, span: join(root, segments.length > 0 ? segments[segments.length - 1]! : root) };
     } %}

objectLit -> "{" "}"
  {% ([open, close]): ObjectNode => ({ kind: 'object', entries: [], span: join(open, close) }) %}
  | "{" entry ("," entry):* ",":? "}"
  {% ([open, first, more, , close]): ObjectNode =>
       ({ kind: 'object', entries: [first, ...rest<{ key: Name; value: ExprNode }>(more)], span: join(open, close) }) %}

entry -> anyName ":" expr             {% ([key, , value]) => ({ key, value }) %}
  | %string ":" expr                  {% ([key, , value]) => ({ key: stringLit(key), value }) %}

ident -> %identifier                  {% ([t]): Name => name(t) %}

# Field names may be reserved words where nothing else could follow (`data.end`, `{ event: 1 }`).
anyName -> %identifier                {% ([t]): Name => name(t) %}
  | %kw                               {% ([t]): Name => name(t) %}

@{%
function binary([left, op, right]: any[]): ExprNode {
  return { kind: 'binary', op: op.text as BinaryOp, left, right, span: join(left, right), opSpan: tokenSpan(op) };
}
%}
