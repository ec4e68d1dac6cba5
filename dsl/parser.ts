/**
 * Source text → syntax tree, or located syntax diagnostics. Never throws for bad input.
 *
 * After a syntax error the parser resynchronises at the next bead (`on ...`) and goes on, so one
 * run reports one syntax error per bead rather than only the first of the file.
 */
import nearley from 'nearley';
import compiledGrammar from './grammar/generated/journey-grammar.js';
import { TokenArrayLexer, tokenize } from './grammar/lexer.js';
import type { Token } from './grammar/lexer.js';
import type { FileNode } from './ast.js';
import { SourceText } from './diagnostics.js';
import type { Diagnostic } from './diagnostics.js';

export interface ParseResult {
  /** The tree, when the source parsed without errors. */
  ast: FileNode | null;
  diagnostics: Diagnostic[];
  source: SourceText;
}

const fileGrammar = nearley.Grammar.fromCompiled(compiledGrammar);
const itemsGrammar = nearley.Grammar.fromCompiled({
  ...(compiledGrammar as unknown as nearley.CompiledRules),
  ParserStart: 'items',
});

/** Operators shown as one "an operator" entry in "expected one of" lists. */
const OPERATOR_WORDS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in', 'not', '+', '-', '*', '/', '%', '??', 'and', 'or']);

/** What can begin an expression; listed as "an expression" when all are expected. */
const EXPRESSION_STARTS = new Set([
  '`(`',
  '`-`',
  '`[`',
  '`{`',
  '`context`',
  '`data`',
  '`event`',
  '`false`',
  '`not`',
  '`null`',
  '`sender`',
  '`true`',
  'a name',
  'a number',
  'a string',
]);

/** What can begin a field's type in an inline event declaration; listed as "a type". */
const TYPE_STARTS = ['`(`', '`-`', '`false`', '`null`', '`true`', '`{`', 'a name', 'a number', 'a string'];

/** The parts of nearley's parser state we read to say what was expected. */
interface ParserInternals {
  table: Array<{ states: Array<{ rule: { symbols: unknown[] }; dot: number }> }>;
}

type Outcome = { ok: true; results: unknown[] } | { ok: false; token: Token | null; expected: string[] };

function describeSymbol(symbol: unknown): string | null {
  if (typeof symbol !== 'object' || symbol === null) return null;
  if ('literal' in symbol) return `\`${String(symbol.literal)}\``;
  if ('type' in symbol) {
    switch (symbol.type) {
      case 'identifier':
      case 'kw':
        return 'a name';
      case 'number':
        return 'a number';
      case 'string':
        return 'a string';
      default:
        return String(symbol.type);
    }
  }
  return null;
}

function expectedAt(parser: nearley.Parser, columnIndex: number): string[] {
  const column = (parser as unknown as ParserInternals).table[columnIndex];
  const found = new Set<string>();
  for (const state of column?.states ?? []) {
    const text = describeSymbol(state.rule.symbols[state.dot]);
    if (text !== null) found.add(text);
  }
  const starts = [...found].filter((text) => EXPRESSION_STARTS.has(text));
  if (found.has('`data`') && found.has('`(`') && found.has('a number')) {
    for (const start of starts) found.delete(start);
    found.add('an expression');
  } else if (found.has('`null`') && found.has('`{`') && found.has('a name')) {
    // A field's type in an inline event declaration (where `data` cannot be).
    for (const start of TYPE_STARTS) found.delete(start);
    found.add('a type (`string`, `integer`, `"a" | "b"`, `{ … }`, …)');
  }
  const operators = [...found].filter((text) => OPERATOR_WORDS.has(text.slice(1, -1)));
  if (operators.length >= 3) {
    for (const op of operators) found.delete(op);
    found.add('an operator');
  }
  const words = [...found].filter((text) => text.startsWith('`')).sort();
  const classes = [...found].filter((text) => !text.startsWith('`')).sort();
  return [...words, ...classes];
}

function run(grammar: nearley.Grammar, tokens: Token[]): Outcome {
  const parser = new nearley.Parser(grammar, { lexer: new TokenArrayLexer(tokens) as unknown as nearley.Lexer });
  try {
    parser.feed('');
  } catch (thrown: unknown) {
    const token = (thrown as { token?: Token }).token ?? null;
    const table = (parser as unknown as ParserInternals).table;
    return { ok: false, token, expected: expectedAt(parser, table.length - 2) };
  }
  if (parser.results.length === 0) {
    const table = (parser as unknown as ParserInternals).table;
    return { ok: false, token: null, expected: expectedAt(parser, table.length - 1) };
  }
  return { ok: true, results: parser.results };
}

function describeToken(token: Token): string {
  switch (token.type) {
    case 'identifier':
      return `name \`${token.text}\``;
    case 'number':
      return `number ${token.text}`;
    case 'string':
      return `string ${token.text}`;
    default:
      return `\`${token.text}\``;
  }
}

/** Words that begin a declaration, a bead, a rule or a step: listed as "the next statement". */
const STATEMENT_STARTS = new Set([
  '`after`',
  '`at`',
  '`allow`',
  '`call`',
  '`cancel`',
  '`emit`',
  '`if`',
  '`process`',
  '`set`',
  '`start`',
  '`when`',
  '`on`',
  '`data`',
  '`event`',
  '`events`',
  '`publish`',
  '`search`',
  '`timer`',
  '`compatibility`',
  '`uplift`',
  '`read`',
  '`send`',
  '`reply`',
  '`for`',
]);
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);

function expectation(expectedIn: string[], token: Token | null): string {
  let expected = expectedIn;
  const statements = expected.filter((e) => STATEMENT_STARTS.has(e));
  if (statements.length >= 6) {
    // Inside `if ... end` only steps can follow; elsewhere also rules, beads and declarations.
    const what = statements.includes('`on`') ? 'the next statement' : 'a step';
    expected = [...expected.filter((e) => !STATEMENT_STARTS.has(e)), what];
  }
  const chained = token !== null && COMPARISONS.has(token.text) && expected.includes('an operator');
  if (chained) return `; comparisons do not chain: write \`a < b and b < c\``;
  if (expected.length === 0) return '';
  if (expected.length === 1) return `; expected ${expected[0] ?? ''}`;
  return `; expected one of: ${expected.join(', ')}`;
}

/** Where a new bead starts: an `on` keyword that is not a field name (`data.on`, `{ on: 1 }`). */
function isBeadStart(tokens: readonly Token[], index: number): boolean {
  const token = tokens[index];
  if (token?.type !== 'kw' || token.text !== 'on') return false;
  const before = tokens[index - 1]?.text;
  const after = tokens[index + 1]?.text;
  // `on?: string` is a field of an inline event declaration.
  return before !== '.' && after !== ':' && after !== '=' && after !== '?';
}

const ACCESS_FORMS =
  '; an access rule is `allow role "x"`, `allow role "x" and <condition>` or `allow <condition>` (e.g. `allow "x" in roles or sender == data.owner`)';

/**
 * Whether `token` shows a role rule in a form the language does not have: anything but `and` right
 * after `allow role "x"`, or an `or` later in the same rule.
 */
function inRoleRule(source: SourceText, tokens: readonly Token[], token: Token): boolean {
  const index = tokens.indexOf(token);
  const isRule = (i: number): boolean => tokens[i]?.text === 'allow' && tokens[i + 1]?.text === 'role' && tokens[i + 2]?.type === 'string';
  if (isRule(index - 3)) return true;
  if (token.text !== 'or') return false;
  const line = source.locate(token.offset).line;
  for (let i = index - 1; i >= 0; i -= 1) {
    const before = tokens[i];
    if (before === undefined || source.locate(before.offset).line !== line) return false;
    if (isRule(i)) return true;
  }
  return false;
}

function syntaxDiagnostic(source: SourceText, outcome: Extract<Outcome, { ok: false }>, endOffset: number, tokens: readonly Token[] = []): Diagnostic {
  if (outcome.token === null) {
    return source.diagnostic('error', 'syntax', `unexpected end of input${expectation(outcome.expected, null)}`, { start: endOffset, end: endOffset + 1 });
  }
  const token = outcome.token;
  const hint = inRoleRule(source, tokens, token) ? ACCESS_FORMS : expectation(outcome.expected, token);
  return source.diagnostic('error', 'syntax', `unexpected ${describeToken(token)}${hint}`, {
    start: token.offset,
    end: token.offset + token.text.length,
  });
}

/** Whether a keyword token stands as a keyword here, not as a field name (`data.end`, `{ for: 1 }`). */
function isKeyword(tokens: readonly Token[], index: number, word: string): boolean {
  const token = tokens[index];
  if (token?.type !== 'kw' || token.text !== word) return false;
  const after = tokens[index + 1]?.text;
  return tokens[index - 1]?.text !== '.' && after !== ':' && after !== '=' && after !== '?';
}

/** How far the line an offset is on is indented. */
function indentOf(text: string, offset: number): number {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  let column = start;
  while (text[column] === ' ' || text[column] === '\t') column += 1;
  return column - start;
}

/**
 * The `if` or `for` of a piece that has no `end`: the `end`s are matched to the openers by
 * indentation where they line up (an `end` under the outer `if` leaves the inner one open),
 * otherwise to the innermost. Null when every opener is closed.
 */
function unclosedBlock(text: string, tokens: readonly Token[]): Token | null {
  const open: Array<{ token: Token; indent: number }> = [];
  let unclosed: Token | null = null;
  tokens.forEach((token, index) => {
    const elseIf = isKeyword(tokens, index, 'if') && tokens[index - 1]?.text === 'else';
    if ((isKeyword(tokens, index, 'if') && !elseIf) || isKeyword(tokens, index, 'for')) {
      open.push({ token, indent: indentOf(text, token.offset) });
    } else if (isKeyword(tokens, index, 'end') && open.length > 0) {
      const indent = indentOf(text, token.offset);
      const lined = open.map((o) => o.indent).lastIndexOf(indent);
      const at = lined >= 0 ? lined : open.length - 1;
      const skipped = open.splice(at);
      // Openers more indented than the `end` that closes an outer one were never closed.
      if (skipped.length > 1 && unclosed === null) unclosed = skipped[skipped.length - 1]?.token ?? null;
    }
  });
  return unclosed ?? open[open.length - 1]?.token ?? null;
}

/** Deeper nesting than this is refused before parsing (it would only exhaust the stack). */
const MAX_NESTING = 64;

function deepestNesting(tokens: readonly Token[]): Token | null {
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(' || token.text === '[' || token.text === '{') {
      depth += 1;
      if (depth > MAX_NESTING) return token;
    } else if (token.text === ')' || token.text === ']' || token.text === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return null;
}

/** Parses one journey definition. `file` is used in diagnostics only. */
export function parseJourney(text: string, file: string): ParseResult {
  const source = new SourceText(file, text);
  const { tokens, problems } = tokenize(text);
  if (problems.length > 0) {
    return {
      ast: null,
      source,
      diagnostics: problems.map((p) => source.diagnostic('error', 'syntax', p.message, { start: p.offset, end: p.offset + p.length })),
    };
  }
  const tooDeep = deepestNesting(tokens);
  if (tooDeep !== null) {
    return {
      ast: null,
      source,
      diagnostics: [
        source.diagnostic('error', 'syntax', `brackets nest more than ${MAX_NESTING} levels deep; split the expression`, {
          start: tooDeep.offset,
          end: tooDeep.offset + 1,
        }),
      ],
    };
  }
  const whole = run(fileGrammar, tokens);
  if (whole.ok) {
    if (whole.results.length > 1) {
      return {
        ast: null,
        source,
        diagnostics: [
          source.diagnostic('error', 'ambiguous-parse', `the grammar reads this source in ${whole.results.length} ways (a grammar bug)`, {
            start: 0,
            end: 1,
          }),
        ],
      };
    }
    return { ast: whole.results[0] as FileNode, diagnostics: [], source };
  }

  // Resynchronise at every bead and parse the pieces separately, one error per piece at most.
  const diagnostics: Diagnostic[] = [];
  const chunks: Token[][] = [[]];
  tokens.forEach((token, index) => {
    if (isBeadStart(tokens, index)) chunks.push([]);
    chunks[chunks.length - 1]?.push(token);
  });
  chunks.forEach((chunk, index) => {
    const outcome = run(index === 0 ? fileGrammar : itemsGrammar, chunk);
    if (outcome.ok) return;
    if (outcome.token === null && outcome.expected.includes('`end`')) {
      // The piece ended inside a block: say so at the block's `if` or `for`, not at the next bead.
      const opener = unclosedBlock(text, chunk);
      if (opener !== null) {
        diagnostics.push(
          source.diagnostic('error', 'syntax', `this \`${opener.text}\` has no \`end\`: add \`end\` after its last step`, {
            start: opener.offset,
            end: opener.offset + opener.text.length,
          }),
        );
        return;
      }
    }
    const last = chunk[chunk.length - 1];
    const endOffset = last === undefined ? text.length : last.offset + last.text.length;
    // A piece that stops short before the next bead reads, as in the whole file, "unexpected `on`".
    const next = chunks[index + 1]?.[0];
    diagnostics.push(syntaxDiagnostic(source, outcome.token === null && next !== undefined ? { ...outcome, token: next } : outcome, endOffset, chunk));
  });
  if (diagnostics.length === 0) {
    // The pieces parse on their own but not together (e.g. the header is incomplete).
    diagnostics.push(syntaxDiagnostic(source, whole, text.length, tokens));
  }
  return { ast: null, diagnostics, source };
}
