// GENERATED FILE: DO NOT EDIT. Source: dsl/grammar/journey.ne; regenerate with `npm run generate`.
// nearley 2.20.1. Lint is skipped for generated/ (the tables are typed `any` by nearley);
// tsc --strict checks it like every other file.
// http://github.com/Hardmath123/nearley
// Bypasses TS6133. Allow declared but unused functions.
// @ts-ignore
function id(d: any[]): any { return d[0]; }
declare var identifier: any;
declare var number: any;
declare var string: any;
declare var kw: any;

import { grammarLexer as lexer } from '../lexer.js';
import { join, name, rest, stringLit, tokenSpan } from '../../ast.js';
import type {
  AssignmentNode, BeadLineNode, BinaryOp, ExprNode, FieldTypeNode, FileNode, HeaderNode, ItemNode, Name,
  ObjectNode, ObjectTypeNode, RangeNode, SearchFieldNode, Span, StepNode, TimerSpecNode, TimerWhenNode, TypeFieldNode,
} from '../../ast.js';


function binary([left, op, right]: any[]): ExprNode {
  return { kind: 'binary', op: op.text as BinaryOp, left, right, span: join(left, right), opSpan: tokenSpan(op) };
}

interface NearleyToken {
  value: any;
  [key: string]: any;
};

interface NearleyLexer {
  reset: (chunk: string, info: any) => void;
  next: () => NearleyToken | undefined;
  save: () => any;
  formatError: (token: never) => string;
  has: (tokenType: string) => boolean;
};

interface NearleyRule {
  name: string;
  symbols: NearleySymbol[];
  postprocess?: (d: any[], loc?: number, reject?: {}) => any;
};

type NearleySymbol = string | { literal: any } | { test: (token: any) => boolean };

interface Grammar {
  Lexer: NearleyLexer | undefined;
  ParserRules: NearleyRule[];
  ParserStart: string;
};

const grammar: Grammar = {
  Lexer: lexer,
  ParserRules: [
    {"name": "file", "symbols": ["header", "items"], "postprocess": ([header, items]): FileNode => ({ header, items })},
    {"name": "items$ebnf$1", "symbols": []},
    {"name": "items$ebnf$1", "symbols": ["items$ebnf$1", "item"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "items", "symbols": ["items$ebnf$1"], "postprocess": id},
    {"name": "header", "symbols": [{"literal":"journey"}, "journeyName", {"literal":"version"}, "version"], "postprocess": ([kw, jn, , v]): HeaderNode => ({ name: jn, version: v, span: join(kw, v) })},
    {"name": "journeyName$ebnf$1", "symbols": []},
    {"name": "journeyName$ebnf$1$subexpression$1", "symbols": [{"literal":"/"}, (lexer.has("identifier") ? {type: "identifier"} : identifier)]},
    {"name": "journeyName$ebnf$1", "symbols": ["journeyName$ebnf$1", "journeyName$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "journeyName", "symbols": [(lexer.has("identifier") ? {type: "identifier"} : identifier), "journeyName$ebnf$1"], "postprocess":  ([first, more]): Name => {
          const parts = [first, ...rest<any>(more)];
          return { value: parts.map((t) => t.text).join('/'), span: join(first, parts[parts.length - 1]) };
        } },
    {"name": "version$ebnf$1", "symbols": []},
    {"name": "version$ebnf$1$subexpression$1", "symbols": [{"literal":"."}, (lexer.has("number") ? {type: "number"} : number)]},
    {"name": "version$ebnf$1", "symbols": ["version$ebnf$1", "version$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "version", "symbols": [(lexer.has("number") ? {type: "number"} : number), "version$ebnf$1"], "postprocess":  ([first, more]): Name => {
          const parts = [first, ...rest<any>(more)];
          return { value: parts.map((t) => t.text).join('.'), span: join(first, parts[parts.length - 1]) };
        } },
    {"name": "item", "symbols": ["dataDecl"], "postprocess": id},
    {"name": "item", "symbols": ["eventsDecl"], "postprocess": id},
    {"name": "item", "symbols": ["eventDecl"], "postprocess": id},
    {"name": "item", "symbols": ["searchDecl"], "postprocess": id},
    {"name": "item", "symbols": ["publishDecl"], "postprocess": id},
    {"name": "item", "symbols": ["timerDecl"], "postprocess": id},
    {"name": "item", "symbols": ["bead"], "postprocess": id},
    {"name": "item", "symbols": ["compatibilityDecl"], "postprocess": id},
    {"name": "item", "symbols": ["uplift"], "postprocess": id},
    {"name": "item", "symbols": ["readDecl"], "postprocess": id},
    {"name": "readDecl", "symbols": [{"literal":"read"}, {"literal":"allow"}, {"literal":"role"}, (lexer.has("string") ? {type: "string"} : string)], "postprocess": ([kw, , , r]): ItemNode => ({ kind: 'read', rule: { kind: 'allowRole', role: stringLit(r), span: join(kw, r) }, span: join(kw, r) })},
    {"name": "readDecl", "symbols": [{"literal":"read"}, {"literal":"allow"}, "expr"], "postprocess": ([kw, , e]): ItemNode => ({ kind: 'read', rule: { kind: 'allow', condition: e, span: join(kw, e) }, span: join(kw, e) })},
    {"name": "compatibilityDecl", "symbols": [{"literal":"compatibility"}, "ident"], "postprocess": ([kw, mode]): ItemNode => ({ kind: 'compatibility', mode, span: join(kw, mode) })},
    {"name": "uplift$ebnf$1", "symbols": []},
    {"name": "uplift$ebnf$1", "symbols": ["uplift$ebnf$1", "step"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "uplift", "symbols": [{"literal":"uplift"}, {"literal":"from"}, "version", "uplift$ebnf$1"], "postprocess": ([kw, , from, steps]): ItemNode => ({ kind: 'uplift', from, steps, span: join(kw, steps.length > 0 ? steps[steps.length - 1] : from) })},
    {"name": "dataDecl", "symbols": [{"literal":"data"}, {"literal":"schema"}, (lexer.has("string") ? {type: "string"} : string)], "postprocess": ([kw, , file]): ItemNode => ({ kind: 'dataSchema', file: stringLit(file), span: join(kw, file) })},
    {"name": "eventsDecl", "symbols": [{"literal":"events"}, {"literal":"from"}, (lexer.has("string") ? {type: "string"} : string)], "postprocess": ([kw, , dir]): ItemNode => ({ kind: 'eventsFrom', dir: stringLit(dir), span: join(kw, dir) })},
    {"name": "eventDecl", "symbols": [{"literal":"event"}, "ident", {"literal":"schema"}, (lexer.has("string") ? {type: "string"} : string)], "postprocess": ([kw, n, , file]): ItemNode => ({ kind: 'event', name: n, file: stringLit(file), span: join(kw, file) })},
    {"name": "eventDecl", "symbols": [{"literal":"event"}, "ident", "objectType"], "postprocess": ([kw, n, body]): ItemNode => ({ kind: 'inlineEvent', name: n, body, span: join(kw, body) })},
    {"name": "objectType", "symbols": [{"literal":"{"}, {"literal":"}"}], "postprocess": ([open, close]): ObjectTypeNode => ({ kind: 'object', fields: [], span: join(open, close) })},
    {"name": "objectType$ebnf$1", "symbols": []},
    {"name": "objectType$ebnf$1$subexpression$1$ebnf$1", "symbols": [{"literal":","}], "postprocess": id},
    {"name": "objectType$ebnf$1$subexpression$1$ebnf$1", "symbols": [], "postprocess": () => null},
    {"name": "objectType$ebnf$1$subexpression$1", "symbols": ["objectType$ebnf$1$subexpression$1$ebnf$1", "typeField"], "postprocess": ([, f]) => f},
    {"name": "objectType$ebnf$1", "symbols": ["objectType$ebnf$1", "objectType$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "objectType$ebnf$2", "symbols": [{"literal":","}], "postprocess": id},
    {"name": "objectType$ebnf$2", "symbols": [], "postprocess": () => null},
    {"name": "objectType", "symbols": [{"literal":"{"}, "typeField", "objectType$ebnf$1", "objectType$ebnf$2", {"literal":"}"}], "postprocess": ([open, first, more, , close]): ObjectTypeNode => ({ kind: 'object', fields: [first, ...more], span: join(open, close) })},
    {"name": "typeField$ebnf$1", "symbols": [{"literal":"?"}], "postprocess": id},
    {"name": "typeField$ebnf$1", "symbols": [], "postprocess": () => null},
    {"name": "typeField", "symbols": ["anyName", "typeField$ebnf$1", {"literal":":"}, "fieldType"], "postprocess": ([n, q, , type]): TypeFieldNode => ({ name: n, optional: q !== null, type, span: join(n, type) })},
    {"name": "fieldType", "symbols": ["listType"], "postprocess": id},
    {"name": "fieldType$ebnf$1$subexpression$1", "symbols": [{"literal":"|"}, "listType"], "postprocess": ([, t]) => t},
    {"name": "fieldType$ebnf$1", "symbols": ["fieldType$ebnf$1$subexpression$1"]},
    {"name": "fieldType$ebnf$1$subexpression$2", "symbols": [{"literal":"|"}, "listType"], "postprocess": ([, t]) => t},
    {"name": "fieldType$ebnf$1", "symbols": ["fieldType$ebnf$1", "fieldType$ebnf$1$subexpression$2"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "fieldType", "symbols": ["listType", "fieldType$ebnf$1"], "postprocess":  ([first, more]): FieldTypeNode => {
          const options: FieldTypeNode[] = [first, ...more];
          return { kind: 'union', options, span: join(first, options[options.length - 1]!) };
        } },
    {"name": "listType", "symbols": ["typeAtom"], "postprocess": id},
    {"name": "listType$ebnf$1", "symbols": ["range"], "postprocess": id},
    {"name": "listType$ebnf$1", "symbols": [], "postprocess": () => null},
    {"name": "listType", "symbols": ["listType", {"literal":"["}, {"literal":"]"}, "listType$ebnf$1"], "postprocess": ([item, , close, range]): FieldTypeNode => ({ kind: 'list', item, range, span: join(item, range ?? close) })},
    {"name": "typeAtom$ebnf$1", "symbols": ["range"], "postprocess": id},
    {"name": "typeAtom$ebnf$1", "symbols": [], "postprocess": () => null},
    {"name": "typeAtom", "symbols": ["ident", "typeAtom$ebnf$1"], "postprocess": ([n, range]): FieldTypeNode => ({ kind: 'named', name: n, range, span: join(n, range ?? n) })},
    {"name": "typeAtom", "symbols": [(lexer.has("string") ? {type: "string"} : string)], "postprocess": ([t]): FieldTypeNode => ({ kind: 'value', ...stringLit(t) })},
    {"name": "typeAtom", "symbols": [(lexer.has("number") ? {type: "number"} : number)], "postprocess": ([t]): FieldTypeNode => ({ kind: 'value', value: Number(t.text), span: tokenSpan(t) })},
    {"name": "typeAtom", "symbols": [{"literal":"-"}, (lexer.has("number") ? {type: "number"} : number)], "postprocess": ([minus, t]): FieldTypeNode => ({ kind: 'value', value: -Number(t.text), span: join(minus, t) })},
    {"name": "typeAtom", "symbols": [{"literal":"true"}], "postprocess": ([t]): FieldTypeNode => ({ kind: 'value', value: true, span: tokenSpan(t) })},
    {"name": "typeAtom", "symbols": [{"literal":"false"}], "postprocess": ([t]): FieldTypeNode => ({ kind: 'value', value: false, span: tokenSpan(t) })},
    {"name": "typeAtom", "symbols": [{"literal":"null"}], "postprocess": ([t]): FieldTypeNode => ({ kind: 'value', value: null, span: tokenSpan(t) })},
    {"name": "typeAtom", "symbols": ["objectType"], "postprocess": id},
    {"name": "typeAtom", "symbols": [{"literal":"("}, "fieldType", {"literal":")"}], "postprocess": ([, t]) => t},
    {"name": "range$ebnf$1", "symbols": ["bound"], "postprocess": id},
    {"name": "range$ebnf$1", "symbols": [], "postprocess": () => null},
    {"name": "range$ebnf$2", "symbols": ["bound"], "postprocess": id},
    {"name": "range$ebnf$2", "symbols": [], "postprocess": () => null},
    {"name": "range", "symbols": [{"literal":"("}, "range$ebnf$1", {"literal":".."}, "range$ebnf$2", {"literal":")"}], "postprocess": ([open, min, , max, close]): RangeNode => ({ min, max, span: join(open, close) })},
    {"name": "bound", "symbols": [(lexer.has("number") ? {type: "number"} : number)], "postprocess": ([t]): { value: number; span: Span } => ({ value: Number(t.text), span: tokenSpan(t) })},
    {"name": "bound", "symbols": [{"literal":"-"}, (lexer.has("number") ? {type: "number"} : number)], "postprocess": ([minus, t]): { value: number; span: Span } => ({ value: -Number(t.text), span: join(minus, t) })},
    {"name": "searchDecl$ebnf$1", "symbols": []},
    {"name": "searchDecl$ebnf$1$subexpression$1", "symbols": [{"literal":","}, "searchField"]},
    {"name": "searchDecl$ebnf$1", "symbols": ["searchDecl$ebnf$1", "searchDecl$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "searchDecl", "symbols": [{"literal":"search"}, "searchField", "searchDecl$ebnf$1"], "postprocess":  ([kw, first, more]): ItemNode => {
          const fields: SearchFieldNode[] = [first, ...rest<SearchFieldNode>(more)];
          return { kind: 'search', fields, span: join(kw, fields[fields.length - 1]!) };
        } },
    {"name": "searchField", "symbols": ["anyName", {"literal":":"}, "ident"], "postprocess": ([n, , t]): SearchFieldNode => ({ name: n, type: t, path: null, span: join(n, t) })},
    {"name": "searchField", "symbols": ["anyName", {"literal":":"}, "ident", {"literal":"="}, "path"], "postprocess": ([n, , t, , p]): SearchFieldNode => ({ name: n, type: t, path: p, span: join(n, p) })},
    {"name": "publishDecl", "symbols": [{"literal":"publish"}, "identList"], "postprocess": ([kw, events]): ItemNode => ({ kind: 'publish', events, span: join(kw, events[events.length - 1]) })},
    {"name": "timerDecl", "symbols": [{"literal":"timer"}, "ident", "timerSpec"], "postprocess": ([kw, n, spec]): ItemNode => ({ kind: 'timer', name: n, timer: spec.timer, span: join(kw, spec) })},
    {"name": "timerSpec$ebnf$1", "symbols": ["unlessClause"], "postprocess": id},
    {"name": "timerSpec$ebnf$1", "symbols": [], "postprocess": () => null},
    {"name": "timerSpec$ebnf$2", "symbols": ["objectLit"], "postprocess": id},
    {"name": "timerSpec$ebnf$2", "symbols": [], "postprocess": () => null},
    {"name": "timerSpec$ebnf$3", "symbols": ["unlessClause"], "postprocess": id},
    {"name": "timerSpec$ebnf$3", "symbols": [], "postprocess": () => null},
    {"name": "timerSpec", "symbols": ["timerWhen", "timerSpec$ebnf$1", {"literal":"emit"}, "ident", "timerSpec$ebnf$2", "timerSpec$ebnf$3"], "postprocess":  ([when, before, , ev, payload, after]): { timer: TimerSpecNode; span: ReturnType<typeof join> } => ({
          timer: { when, event: ev, payload, unlessBefore: before, unlessAfter: after },
          span: join(when, after ? after[after.length - 1] : payload ?? ev),
        }) },
    {"name": "timerWhen", "symbols": [{"literal":"after"}, "addExpr", (lexer.has("identifier") ? {type: "identifier"} : identifier)], "postprocess": ([kw, amount, unit]): TimerWhenNode => ({ kind: 'after', amount, unit: name(unit), span: join(kw, unit) })},
    {"name": "timerWhen", "symbols": [{"literal":"at"}, "addExpr"], "postprocess": ([kw, time]): TimerWhenNode => ({ kind: 'at', time, span: join(kw, time) })},
    {"name": "unlessClause", "symbols": [{"literal":"unless"}, "identList"], "postprocess": ([, list]) => list},
    {"name": "identList$ebnf$1", "symbols": []},
    {"name": "identList$ebnf$1$subexpression$1", "symbols": [{"literal":","}, "ident"]},
    {"name": "identList$ebnf$1", "symbols": ["identList$ebnf$1", "identList$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "identList", "symbols": ["ident", "identList$ebnf$1"], "postprocess": ([first, more]): Name[] => [first, ...rest<Name>(more)]},
    {"name": "bead$ebnf$1", "symbols": ["initiating"], "postprocess": id},
    {"name": "bead$ebnf$1", "symbols": [], "postprocess": () => null},
    {"name": "bead$ebnf$2", "symbols": []},
    {"name": "bead$ebnf$2", "symbols": ["bead$ebnf$2", "beadLine"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "bead", "symbols": [{"literal":"on"}, "ident", "bead$ebnf$1", "bead$ebnf$2"], "postprocess":  ([kw, ev, init, lines]): ItemNode => {
          const last = lines.length > 0 ? lines[lines.length - 1] : init ?? ev;
          return { kind: 'bead', event: ev, initiating: init !== null, lines, span: join(kw, last) };
        } },
    {"name": "initiating", "symbols": [{"literal":"initiating"}], "postprocess": ([t]) => name(t)},
    {"name": "beadLine", "symbols": [{"literal":"allow"}, {"literal":"role"}, (lexer.has("string") ? {type: "string"} : string)], "postprocess": ([kw, , r]): BeadLineNode => ({ kind: 'allowRole', role: stringLit(r), span: join(kw, r) })},
    {"name": "beadLine", "symbols": [{"literal":"allow"}, {"literal":"role"}, (lexer.has("string") ? {type: "string"} : string), {"literal":"and"}, "andExpr"], "postprocess": ([kw, , r, , e]): BeadLineNode => ({ kind: 'allowRole', role: stringLit(r), and: e, span: join(kw, e) })},
    {"name": "beadLine", "symbols": [{"literal":"allow"}, "expr"], "postprocess": ([kw, e]): BeadLineNode => ({ kind: 'allow', condition: e, span: join(kw, e) })},
    {"name": "beadLine", "symbols": [{"literal":"when"}, "expr"], "postprocess": ([kw, e]): BeadLineNode => ({ kind: 'when', condition: e, span: join(kw, e) })},
    {"name": "beadLine", "symbols": ["step"], "postprocess": id},
    {"name": "step$ebnf$1", "symbols": []},
    {"name": "step$ebnf$1$subexpression$1", "symbols": [{"literal":","}, "assignment"]},
    {"name": "step$ebnf$1", "symbols": ["step$ebnf$1", "step$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "step", "symbols": [{"literal":"set"}, "assignment", "step$ebnf$1"], "postprocess":  ([kw, first, more]): StepNode => {
          const assignments: AssignmentNode[] = [first, ...rest<AssignmentNode>(more)];
          return { kind: 'set', assignments, span: join(kw, assignments[assignments.length - 1]!) };
        } },
    {"name": "step$ebnf$2", "symbols": ["objectLit"], "postprocess": id},
    {"name": "step$ebnf$2", "symbols": [], "postprocess": () => null},
    {"name": "step", "symbols": [{"literal":"emit"}, "ident", "step$ebnf$2"], "postprocess": ([kw, ev, payload]): StepNode => ({ kind: 'emit', event: ev, payload, span: join(kw, payload ?? ev) })},
    {"name": "step$ebnf$3", "symbols": []},
    {"name": "step$ebnf$3", "symbols": ["step$ebnf$3", "step"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "step", "symbols": [{"literal":"if"}, "expr", {"literal":"then"}, "step$ebnf$3", "elseTail", {"literal":"end"}], "postprocess":  ([kw, cond, , thenSteps, elseSteps, endKw]): StepNode =>
        ({ kind: 'if', condition: cond, then: thenSteps, else: elseSteps, span: join(kw, endKw) }) },
    {"name": "step", "symbols": [{"literal":"process"}, "ident"], "postprocess": ([kw, p]): StepNode => ({ kind: 'process', processor: p, span: join(kw, p) })},
    {"name": "step", "symbols": [{"literal":"start"}, {"literal":"timer"}, "ident"], "postprocess": ([kw, , t]): StepNode => ({ kind: 'startTimer', timer: t, span: join(kw, t) })},
    {"name": "step", "symbols": [{"literal":"cancel"}, {"literal":"timer"}, "ident"], "postprocess": ([kw, , t]): StepNode => ({ kind: 'cancelTimer', timer: t, span: join(kw, t) })},
    {"name": "step", "symbols": ["timerSpec"], "postprocess": ([spec]): StepNode => ({ kind: 'after', timer: spec.timer, span: spec.span })},
    {"name": "step$ebnf$4", "symbols": ["objectLit"], "postprocess": id},
    {"name": "step$ebnf$4", "symbols": [], "postprocess": () => null},
    {"name": "step", "symbols": [{"literal":"call"}, "ident", {"literal":"."}, "anyName", "step$ebnf$4", {"literal":"reply"}, "ident", {"literal":"failure"}, "ident"], "postprocess":  ([kw, sys, , op, request, , reply, , failure]): StepNode =>
        ({ kind: 'call', system: sys, operation: op, request, reply, failure, span: join(kw, failure) }) },
    {"name": "step$ebnf$5", "symbols": ["objectLit"], "postprocess": id},
    {"name": "step$ebnf$5", "symbols": [], "postprocess": () => null},
    {"name": "step$ebnf$6", "symbols": ["failureClause"], "postprocess": id},
    {"name": "step$ebnf$6", "symbols": [], "postprocess": () => null},
    {"name": "step", "symbols": [{"literal":"send"}, "ident", {"literal":"to"}, "expr", "step$ebnf$5", "step$ebnf$6"], "postprocess":  ([kw, ev, , to, payload, failure]): StepNode =>
        ({ kind: 'send', event: ev, to, payload, failure, span: join(kw, failure ?? payload ?? to) }) },
    {"name": "step$ebnf$7", "symbols": ["objectLit"], "postprocess": id},
    {"name": "step$ebnf$7", "symbols": [], "postprocess": () => null},
    {"name": "step", "symbols": [{"literal":"reply"}, "ident", "step$ebnf$7"], "postprocess": ([kw, ev, payload]): StepNode => ({ kind: 'reply', event: ev, payload, span: join(kw, payload ?? ev) })},
    {"name": "step$ebnf$8", "symbols": ["ident"], "postprocess": id},
    {"name": "step$ebnf$8", "symbols": [], "postprocess": () => null},
    {"name": "step$ebnf$9$subexpression$1", "symbols": [{"literal":"as"}, "target"], "postprocess": ([, t]) => t},
    {"name": "step$ebnf$9", "symbols": ["step$ebnf$9$subexpression$1"], "postprocess": id},
    {"name": "step$ebnf$9", "symbols": [], "postprocess": () => null},
    {"name": "step$ebnf$10", "symbols": ["failureClause"], "postprocess": id},
    {"name": "step$ebnf$10", "symbols": [], "postprocess": () => null},
    {"name": "step", "symbols": [{"literal":"start"}, "journeyName", "version", {"literal":"with"}, "step$ebnf$8", "objectLit", "step$ebnf$9", "step$ebnf$10"], "postprocess":  ([kw, journeyType, v, , ev, payload, as, failure]): StepNode =>
        ({ kind: 'start', journeyType, version: v, event: ev, payload, as, failure, span: join(kw, failure ?? as ?? payload) }) },
    {"name": "step$ebnf$11", "symbols": []},
    {"name": "step$ebnf$11", "symbols": ["step$ebnf$11", "step"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "step", "symbols": [{"literal":"for"}, "ident", {"literal":"in"}, "expr", "step$ebnf$11", {"literal":"end"}], "postprocess": ([kw, variable, , list, steps, endKw]): StepNode => ({ kind: 'for', variable, list, steps, span: join(kw, endKw) })},
    {"name": "failureClause", "symbols": [{"literal":"failure"}, "ident"], "postprocess": ([, f]) => f},
    {"name": "target", "symbols": ["path"], "postprocess": id},
    {"name": "target", "symbols": ["localPath"], "postprocess": id},
    {"name": "localPath$ebnf$1$subexpression$1", "symbols": [{"literal":"."}, "anyName"]},
    {"name": "localPath$ebnf$1", "symbols": ["localPath$ebnf$1$subexpression$1"]},
    {"name": "localPath$ebnf$1$subexpression$2", "symbols": [{"literal":"."}, "anyName"]},
    {"name": "localPath$ebnf$1", "symbols": ["localPath$ebnf$1", "localPath$ebnf$1$subexpression$2"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "localPath", "symbols": ["ident", "localPath$ebnf$1"], "postprocess":  ([n, more]): ExprNode => {
          const segments = rest<Name>(more);
          return { kind: 'local', name: n, segments, span: join(n, segments[segments.length - 1]!) };
        } },
    {"name": "elseTail", "symbols": [], "postprocess": (): StepNode[] => []},
    {"name": "elseTail$ebnf$1", "symbols": []},
    {"name": "elseTail$ebnf$1", "symbols": ["elseTail$ebnf$1", "step"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "elseTail", "symbols": [{"literal":"else"}, "stepNotIf", "elseTail$ebnf$1"], "postprocess": ([, first, more]): StepNode[] => [first, ...more]},
    {"name": "elseTail", "symbols": [{"literal":"else"}], "postprocess": (): StepNode[] => []},
    {"name": "elseTail$ebnf$2", "symbols": []},
    {"name": "elseTail$ebnf$2", "symbols": ["elseTail$ebnf$2", "step"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "elseTail", "symbols": [{"literal":"else"}, {"literal":"if"}, "expr", {"literal":"then"}, "elseTail$ebnf$2", "elseTail"], "postprocess":  ([, kw, cond, , thenSteps, elseSteps]): StepNode[] => {
          const last = elseSteps.length > 0 ? elseSteps[elseSteps.length - 1] : thenSteps.length > 0 ? thenSteps[thenSteps.length - 1] : cond;
          return [{ kind: 'if', condition: cond, then: thenSteps, else: elseSteps, span: join(kw, last) }];
        } },
    {"name": "stepNotIf", "symbols": ["step"], "postprocess": ([s], _loc, reject) => (s.kind === 'if' ? reject : s)},
    {"name": "assignment$ebnf$1", "symbols": []},
    {"name": "assignment$ebnf$1$subexpression$1", "symbols": [{"literal":"."}, "anyName"]},
    {"name": "assignment$ebnf$1", "symbols": ["assignment$ebnf$1", "assignment$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "assignment", "symbols": ["anyName", "assignment$ebnf$1", {"literal":"="}, "expr"], "postprocess": ([first, more, , value]): AssignmentNode => ({ target: [first, ...rest<Name>(more)], value, span: join(first, value) })},
    {"name": "expr", "symbols": ["orExpr"], "postprocess": id},
    {"name": "orExpr", "symbols": ["orExpr", {"literal":"or"}, "andExpr"], "postprocess": binary},
    {"name": "orExpr", "symbols": ["andExpr"], "postprocess": id},
    {"name": "andExpr", "symbols": ["andExpr", {"literal":"and"}, "notExpr"], "postprocess": binary},
    {"name": "andExpr", "symbols": ["notExpr"], "postprocess": id},
    {"name": "notExpr", "symbols": [{"literal":"not"}, "notExpr"], "postprocess": ([op, operand]): ExprNode => ({ kind: 'unary', op: 'not', operand, span: join(op, operand), opSpan: tokenSpan(op) })},
    {"name": "notExpr", "symbols": ["compareExpr"], "postprocess": id},
    {"name": "compareExpr", "symbols": ["addExpr", "compareOp", "addExpr"], "postprocess": binary},
    {"name": "compareExpr", "symbols": ["addExpr", {"literal":"not"}, {"literal":"in"}, "addExpr"], "postprocess":  ([left, notKw, inKw, right]): ExprNode => {
          const opSpan = join(notKw, inKw);
          const test: ExprNode = { kind: 'binary', op: 'in', left, right, span: join(left, right), opSpan };
          return { kind: 'unary', op: 'not', operand: test, span: test.span, opSpan };
        } },
    {"name": "compareExpr", "symbols": ["addExpr"], "postprocess": id},
    {"name": "compareOp", "symbols": [{"literal":"=="}], "postprocess": id},
    {"name": "compareOp", "symbols": [{"literal":"!="}], "postprocess": id},
    {"name": "compareOp", "symbols": [{"literal":"<"}], "postprocess": id},
    {"name": "compareOp", "symbols": [{"literal":"<="}], "postprocess": id},
    {"name": "compareOp", "symbols": [{"literal":">"}], "postprocess": id},
    {"name": "compareOp", "symbols": [{"literal":">="}], "postprocess": id},
    {"name": "compareOp", "symbols": [{"literal":"in"}], "postprocess": id},
    {"name": "addExpr$subexpression$1", "symbols": [{"literal":"+"}], "postprocess": id},
    {"name": "addExpr$subexpression$1", "symbols": [{"literal":"-"}], "postprocess": id},
    {"name": "addExpr", "symbols": ["addExpr", "addExpr$subexpression$1", "mulExpr"], "postprocess": binary},
    {"name": "addExpr", "symbols": ["mulExpr"], "postprocess": id},
    {"name": "mulExpr$subexpression$1", "symbols": [{"literal":"*"}], "postprocess": id},
    {"name": "mulExpr$subexpression$1", "symbols": [{"literal":"/"}], "postprocess": id},
    {"name": "mulExpr$subexpression$1", "symbols": [{"literal":"%"}], "postprocess": id},
    {"name": "mulExpr", "symbols": ["mulExpr", "mulExpr$subexpression$1", "unaryExpr"], "postprocess": binary},
    {"name": "mulExpr", "symbols": ["unaryExpr"], "postprocess": id},
    {"name": "unaryExpr", "symbols": [{"literal":"-"}, "unaryExpr"], "postprocess": ([op, operand]): ExprNode => ({ kind: 'unary', op: 'neg', operand, span: join(op, operand), opSpan: tokenSpan(op) })},
    {"name": "unaryExpr", "symbols": ["coalesceExpr"], "postprocess": id},
    {"name": "coalesceExpr", "symbols": ["primary", {"literal":"??"}, "unaryExpr"], "postprocess": binary},
    {"name": "coalesceExpr", "symbols": ["primary"], "postprocess": id},
    {"name": "primary", "symbols": [(lexer.has("number") ? {type: "number"} : number)], "postprocess": ([t]): ExprNode => ({ kind: 'literal', value: Number(t.text), span: tokenSpan(t) })},
    {"name": "primary", "symbols": [(lexer.has("string") ? {type: "string"} : string)], "postprocess": ([t]): ExprNode => ({ kind: 'literal', ...stringLit(t) })},
    {"name": "primary", "symbols": [{"literal":"true"}], "postprocess": ([t]): ExprNode => ({ kind: 'literal', value: true, span: tokenSpan(t) })},
    {"name": "primary", "symbols": [{"literal":"false"}], "postprocess": ([t]): ExprNode => ({ kind: 'literal', value: false, span: tokenSpan(t) })},
    {"name": "primary", "symbols": [{"literal":"null"}], "postprocess": ([t]): ExprNode => ({ kind: 'literal', value: null, span: tokenSpan(t) })},
    {"name": "primary", "symbols": ["path"], "postprocess": id},
    {"name": "primary", "symbols": [{"literal":"sender"}], "postprocess": ([t]): ExprNode => ({ kind: 'path', root: 'context', segments: [{ value: 'sender', span: tokenSpan(t) }], span: tokenSpan(t), sugar: 'sender' })},
    {"name": "primary", "symbols": ["localPath"], "postprocess": id},
    {"name": "primary", "symbols": ["ident"], "postprocess":  ([n]): ExprNode => (n.value === 'roles' || n.value === 'trustLevel'
        ? { kind: 'path', root: 'context', segments: [n], span: n.span, sugar: n.value }
        : { kind: 'name', name: n, span: n.span }) },
    {"name": "primary", "symbols": ["ident", {"literal":"("}, {"literal":")"}], "postprocess": ([fn, , close]): ExprNode => ({ kind: 'call', fn, args: [], span: join(fn, close) })},
    {"name": "primary$ebnf$1", "symbols": []},
    {"name": "primary$ebnf$1$subexpression$1", "symbols": [{"literal":","}, "expr"]},
    {"name": "primary$ebnf$1", "symbols": ["primary$ebnf$1", "primary$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "primary", "symbols": ["ident", {"literal":"("}, "expr", "primary$ebnf$1", {"literal":")"}], "postprocess": ([fn, , first, more, close]): ExprNode => ({ kind: 'call', fn, args: [first, ...rest<ExprNode>(more)], span: join(fn, close) })},
    {"name": "primary", "symbols": [{"literal":"["}, {"literal":"]"}], "postprocess": ([open, close]): ExprNode => ({ kind: 'list', items: [], span: join(open, close) })},
    {"name": "primary$ebnf$2", "symbols": []},
    {"name": "primary$ebnf$2$subexpression$1", "symbols": [{"literal":","}, "expr"]},
    {"name": "primary$ebnf$2", "symbols": ["primary$ebnf$2", "primary$ebnf$2$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "primary$ebnf$3", "symbols": [{"literal":","}], "postprocess": id},
    {"name": "primary$ebnf$3", "symbols": [], "postprocess": () => null},
    {"name": "primary", "symbols": [{"literal":"["}, "expr", "primary$ebnf$2", "primary$ebnf$3", {"literal":"]"}], "postprocess": ([open, first, more, , close]): ExprNode => ({ kind: 'list', items: [first, ...rest<ExprNode>(more)], span: join(open, close) })},
    {"name": "primary", "symbols": ["objectLit"], "postprocess": id},
    {"name": "primary", "symbols": [{"literal":"("}, "expr", {"literal":")"}], "postprocess": ([, e]) => e},
    {"name": "path$subexpression$1", "symbols": [{"literal":"data"}], "postprocess": id},
    {"name": "path$subexpression$1", "symbols": [{"literal":"event"}], "postprocess": id},
    {"name": "path$subexpression$1", "symbols": [{"literal":"context"}], "postprocess": id},
    {"name": "path$ebnf$1", "symbols": []},
    {"name": "path$ebnf$1$subexpression$1", "symbols": [{"literal":"."}, "anyName"]},
    {"name": "path$ebnf$1", "symbols": ["path$ebnf$1", "path$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "path", "symbols": ["path$subexpression$1", "path$ebnf$1"], "postprocess":  ([root, more]): ExprNode => {
          const segments = rest<Name>(more);
          return { kind: 'path', root: root.text, segments, span: join(root, segments.length > 0 ? segments[segments.length - 1]! : root) };
        } },
    {"name": "objectLit", "symbols": [{"literal":"{"}, {"literal":"}"}], "postprocess": ([open, close]): ObjectNode => ({ kind: 'object', entries: [], span: join(open, close) })},
    {"name": "objectLit$ebnf$1", "symbols": []},
    {"name": "objectLit$ebnf$1$subexpression$1", "symbols": [{"literal":","}, "entry"]},
    {"name": "objectLit$ebnf$1", "symbols": ["objectLit$ebnf$1", "objectLit$ebnf$1$subexpression$1"], "postprocess": (d) => d[0].concat([d[1]])},
    {"name": "objectLit$ebnf$2", "symbols": [{"literal":","}], "postprocess": id},
    {"name": "objectLit$ebnf$2", "symbols": [], "postprocess": () => null},
    {"name": "objectLit", "symbols": [{"literal":"{"}, "entry", "objectLit$ebnf$1", "objectLit$ebnf$2", {"literal":"}"}], "postprocess":  ([open, first, more, , close]): ObjectNode =>
        ({ kind: 'object', entries: [first, ...rest<{ key: Name; value: ExprNode }>(more)], span: join(open, close) }) },
    {"name": "entry", "symbols": ["anyName", {"literal":":"}, "expr"], "postprocess": ([key, , value]) => ({ key, value })},
    {"name": "entry", "symbols": [(lexer.has("string") ? {type: "string"} : string), {"literal":":"}, "expr"], "postprocess": ([key, , value]) => ({ key: stringLit(key), value })},
    {"name": "ident", "symbols": [(lexer.has("identifier") ? {type: "identifier"} : identifier)], "postprocess": ([t]): Name => name(t)},
    {"name": "anyName", "symbols": [(lexer.has("identifier") ? {type: "identifier"} : identifier)], "postprocess": ([t]): Name => name(t)},
    {"name": "anyName", "symbols": [(lexer.has("kw") ? {type: "kw"} : kw)], "postprocess": ([t]): Name => name(t)}
  ],
  ParserStart: "file",
};

export default grammar;
