/**
 * The journey language's tokens (moo). Whitespace and comments are dropped here, so the grammar
 * never sees them; every other token keeps its offset, line and column for diagnostics.
 */
import moo from 'moo';

/** Reserved words: never identifiers (but allowed after `.`, as object keys and as field names). */
export const KEYWORDS = [
  'journey',
  'version',
  'data',
  'schema',
  'events',
  'event',
  'from',
  'search',
  'publish',
  'timer',
  'after',
  'unless',
  'emit',
  'on',
  'initiating',
  'allow',
  'role',
  'when',
  'set',
  'if',
  'then',
  'else',
  'end',
  'process',
  'start',
  'cancel',
  'call',
  'reply',
  'failure',
  'and',
  'or',
  'not',
  'in',
  'true',
  'false',
  'null',
  'sender',
  'context',
  'compatibility',
  'uplift',
  'read',
  'send',
  'to',
  'with',
  'as',
  'for',
] as const;

// `?`, `|` and `..` only in inline event declarations (`note?: string`, `"a" | "b"`, `string(1..70)`).
export const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '??',
  '..',
  '<',
  '>',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  '?',
  '|',
] as const;

const rules: moo.Rules = {
  ws: { match: /[ \t\r\n]+/, lineBreaks: true },
  lineComment: /\/\/[^\n]*/,
  blockComment: { match: /\/\*[\s\S]*?\*\//, lineBreaks: true },
  unterminatedComment: { match: /\/\*[\s\S]*/, lineBreaks: true },
  number: /[0-9]+(?:\.[0-9]+)?/,
  string: /"(?:\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}|[^"\\\n])*"/,
  badString: /"(?:\\.|[^"\\\n])*"?/,
  identifier: { match: /[a-zA-Z_][a-zA-Z0-9_]*/, type: moo.keywords({ kw: [...KEYWORDS] }) },
  op: [...OPERATORS],
  invalid: { match: /[^]/, lineBreaks: true },
};

/** Token types the grammar refers to with `%type`. */
const GRAMMAR_TOKEN_TYPES = new Set(['number', 'string', 'identifier', 'kw', 'op']);
const SKIPPED = new Set(['ws', 'lineComment', 'blockComment']);

export type Token = moo.Token;

export interface LexProblem {
  offset: number;
  length: number;
  message: string;
}

/** Splits a source into grammar tokens; problems (bad characters, open strings) are collected, not thrown. */
export function tokenize(source: string): { tokens: Token[]; problems: LexProblem[] } {
  const lexer = moo.compile(rules);
  lexer.reset(source);
  const tokens: Token[] = [];
  const problems: LexProblem[] = [];
  for (const token of lexer) {
    const type = token.type ?? '';
    if (SKIPPED.has(type)) continue;
    if (type === 'unterminatedComment') {
      problems.push({ offset: token.offset, length: 2, message: 'unterminated comment: `/*` has no closing `*/`' });
    } else if (type === 'badString') {
      const closed = token.text.length > 1 && token.text.endsWith('"');
      problems.push({
        offset: token.offset,
        length: token.text.length,
        message: closed
          ? 'invalid escape in string: use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX'
          : 'unterminated string: add the closing `"` on the same line',
      });
    } else if (type === 'invalid') {
      problems.push({ offset: token.offset, length: 1, message: `unexpected character ${JSON.stringify(token.text)}` });
    } else {
      tokens.push(token);
    }
  }
  return { tokens, problems };
}

/**
 * Feeds nearley from an array of already-lexed tokens (so a slice of a file can be parsed on its
 * own, with its true positions, when recovering from a syntax error).
 */
export class TokenArrayLexer {
  private index = 0;
  constructor(private tokens: readonly Token[] = []) {}
  reset(_chunk: string, _state?: unknown): void {
    // Tokens were given to the constructor; nearley's chunk is ignored.
  }
  next(): Token | undefined {
    const token = this.tokens[this.index];
    this.index += 1;
    return token;
  }
  save(): moo.LexerState {
    return { line: 0, col: 0, state: '' };
  }
  formatError(_token: Token, message?: string): string {
    return message ?? 'syntax error';
  }
  has(tokenType: string): boolean {
    return GRAMMAR_TOKEN_TYPES.has(tokenType);
  }
}

/** The lexer object the compiled grammar is built with (only `has` is consulted). */
export const grammarLexer = new TokenArrayLexer();
