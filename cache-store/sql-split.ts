/**
 * Splits a migration file into statements, because MariaDB DDL auto-commits and we send one
 * statement per call (the pool never enables `multipleStatements`).
 *
 * The rule: a statement ends at a `;` that is outside string literals ('…', "…"), quoted
 * identifiers (`…`) and comments (`-- …`, `# …`, `/* … *\/`). Backslash escapes inside quotes
 * and doubled quotes are understood. Statements holding only comments or whitespace are dropped.
 * Not supported (rejected): `DELIMITER` and stored-program bodies with inner `;` — migrations
 * do not define procedures or triggers.
 */
export function splitSqlStatements(source: string): string[] {
  const statements: string[] = [];
  let current = '';
  let hasCode = false;
  let i = 0;
  const n = source.length;

  const flush = (): void => {
    const text = current.trim();
    if (hasCode) {
      if (/^DELIMITER\b/i.test(stripLeadingComments(text))) {
        throw new Error('DELIMITER is not supported in migrations (no stored programs)');
      }
      statements.push(text);
    }
    current = '';
    hasCode = false;
  };

  while (i < n) {
    const ch = source[i] ?? '';
    const next = source[i + 1] ?? '';
    // Comments: copied through, never end a statement.
    if (ch === '-' && next === '-' && (i + 2 >= n || /\s/.test(source[i + 2] ?? ''))) {
      const end = lineEnd(source, i);
      current += source.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '#') {
      const end = lineEnd(source, i);
      current += source.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '/' && next === '*') {
      const close = source.indexOf('*/', i + 2);
      if (close < 0) throw new Error('unterminated /* comment in SQL');
      // An executable comment /*! … */ is code to the server.
      if (source[i + 2] === '!') hasCode = true;
      current += source.slice(i, close + 2);
      i = close + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = quotedEnd(source, i, ch);
      current += source.slice(i, end);
      hasCode = true;
      i = end;
      continue;
    }
    if (ch === ';') {
      flush();
      i += 1;
      continue;
    }
    if (!/\s/.test(ch)) hasCode = true;
    current += ch;
    i += 1;
  }
  flush();
  return statements;
}

function lineEnd(source: string, from: number): number {
  const newline = source.indexOf('\n', from);
  return newline < 0 ? source.length : newline;
}

/** Index just past the closing quote of the literal opening at `start`. */
function quotedEnd(source: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\\' && quote !== '`') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      // A doubled quote is an escaped quote inside the literal.
      if (source[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  throw new Error(`unterminated ${quote} literal in SQL`);
}

function stripLeadingComments(text: string): string {
  let rest = text;
  for (;;) {
    const trimmed = rest.replace(/^\s+/, '');
    if (/^(--\s|#)/.test(trimmed)) {
      const newline = trimmed.indexOf('\n');
      rest = newline < 0 ? '' : trimmed.slice(newline + 1);
    } else if (trimmed.startsWith('/*') && !trimmed.startsWith('/*!')) {
      const close = trimmed.indexOf('*/');
      rest = close < 0 ? '' : trimmed.slice(close + 2);
    } else {
      return trimmed;
    }
  }
}
