/**
 * A string matching a regular expression, for sample instances: the simple patterns schemas use
 * (`^[A-Z]{3}$`, `^NL[0-9]{2}[A-Z]{4}[0-9]{10}$`, `^(SEPA|INST)-\d+$`): literals, classes, `\d \w
 * \s .`, groups with `|`, and the quantifiers `? * + {n} {n,} {n,m}`. Anything else (lookaround,
 * back references, anchors inside) gives null: the caller falls back and validation has the last
 * word.
 */

/** How to choose: the fewest and first, the most and last, or by a number in [0, 1). */
export type PatternChoice = 'min' | 'max' | (() => number);

/** A repeat without an upper bound (`*`, `+`, `{n,}`) repeats at most this many more times. */
const OPEN_REPEAT = 3;

class Unsupported extends Error {
  override name = 'Unsupported';
}

type Atom = { kind: 'chars'; chars: string[] } | { kind: 'group'; alternatives: Atom[][] } | { kind: 'repeat'; atom: Atom; min: number; max: number };

function range(from: string, to: string): string[] {
  const out: string[] = [];
  for (let code = from.charCodeAt(0); code <= to.charCodeAt(0) && out.length < 256; code += 1) out.push(String.fromCharCode(code));
  return out;
}

const DIGITS = range('0', '9');
const WORD = [...range('a', 'z'), ...range('A', 'Z'), ...DIGITS, '_'];
const CLASS_ESCAPES: Record<string, string[]> = { d: DIGITS, w: WORD, s: [' '] };

class Parser {
  private index = 0;
  constructor(private readonly text: string) {}

  parse(): Atom[][] {
    const alternatives = this.alternatives();
    if (this.index < this.text.length) throw new Unsupported(`unexpected ${this.text[this.index] ?? ''}`);
    return alternatives;
  }

  private alternatives(): Atom[][] {
    const alternatives: Atom[][] = [this.sequence()];
    while (this.text[this.index] === '|') {
      this.index += 1;
      alternatives.push(this.sequence());
    }
    return alternatives;
  }

  private sequence(): Atom[] {
    const atoms: Atom[] = [];
    while (this.index < this.text.length && this.text[this.index] !== '|' && this.text[this.index] !== ')') {
      const char = this.text[this.index];
      if ((char === '^' && this.index === 0) || (char === '$' && this.index === this.text.length - 1)) {
        this.index += 1;
        continue;
      }
      atoms.push(this.quantified(this.atom()));
    }
    return atoms;
  }

  private atom(): Atom {
    const char = this.text[this.index] ?? '';
    this.index += 1;
    switch (char) {
      case '(': {
        if (this.text[this.index] === '?') {
          if (this.text.startsWith('?:', this.index)) this.index += 2;
          else throw new Unsupported('lookaround or named group');
        }
        const alternatives = this.alternatives();
        if (this.text[this.index] !== ')') throw new Unsupported('unclosed group');
        this.index += 1;
        return { kind: 'group', alternatives };
      }
      case '[':
        return { kind: 'chars', chars: this.charClass() };
      case '.':
        return { kind: 'chars', chars: ['a', 'z'] };
      case '\\':
        return { kind: 'chars', chars: this.escape(false) };
      case '^':
      case '$':
      case '*':
      case '+':
      case '?':
      case '{':
        throw new Unsupported(`${char} here`);
      default:
        return { kind: 'chars', chars: [char] };
    }
  }

  private escape(inClass: boolean): string[] {
    const char = this.text[this.index] ?? '';
    this.index += 1;
    const known = CLASS_ESCAPES[char];
    if (known) return known;
    if (/[.\\/^$*+?()[\]{}|-]/.test(char)) return [char];
    if (char === 'n') return ['\n'];
    if (char === 't') return ['\t'];
    throw new Unsupported(`\\${char}${inClass ? ' in a class' : ''}`);
  }

  private charClass(): string[] {
    if (this.text[this.index] === '^') throw new Unsupported('negated class');
    const chars: string[] = [];
    while (this.index < this.text.length && this.text[this.index] !== ']') {
      let from: string[];
      if (this.text[this.index] === '\\') {
        this.index += 1;
        from = this.escape(true);
      } else {
        from = [this.text[this.index] ?? ''];
        this.index += 1;
      }
      const single = from.length === 1 ? from[0] : undefined;
      if (single !== undefined && this.text[this.index] === '-' && this.text[this.index + 1] !== ']' && this.index + 1 < this.text.length) {
        this.index += 1;
        let to = this.text[this.index] ?? '';
        this.index += 1;
        if (to === '\\') {
          const escaped = this.escape(true);
          if (escaped.length !== 1) throw new Unsupported('a class escape ends a range');
          to = escaped[0] ?? '';
        }
        chars.push(...range(single, to));
      } else {
        chars.push(...from);
      }
    }
    if (this.text[this.index] !== ']') throw new Unsupported('unclosed class');
    this.index += 1;
    if (chars.length === 0) throw new Unsupported('empty class');
    return chars;
  }

  private quantified(atom: Atom): Atom {
    const char = this.text[this.index];
    let min: number;
    let max: number;
    if (char === '?') [min, max] = [0, 1];
    else if (char === '*') [min, max] = [0, OPEN_REPEAT];
    else if (char === '+') [min, max] = [1, 1 + OPEN_REPEAT];
    else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.text.slice(this.index));
      if (!match) throw new Unsupported('bad repeat');
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? min + OPEN_REPEAT : Number(match[3]);
      this.index += match[0].length - 1;
    } else {
      return atom;
    }
    this.index += 1;
    // A lazy repeat (`+?`) matches the same strings.
    if (this.text[this.index] === '?') this.index += 1;
    return { kind: 'repeat', atom, min, max };
  }
}

function pick<T>(items: readonly T[], choice: PatternChoice): T | undefined {
  if (choice === 'min') return items[0];
  if (choice === 'max') return items[items.length - 1];
  return items[Math.floor(choice() * items.length)];
}

function build(atoms: readonly Atom[], choice: PatternChoice): string {
  let out = '';
  for (const atom of atoms) {
    switch (atom.kind) {
      case 'chars':
        out += pick(atom.chars, choice) ?? '';
        break;
      case 'group':
        out += build(pick(atom.alternatives, choice) ?? [], choice);
        break;
      case 'repeat': {
        const count = choice === 'min' ? atom.min : choice === 'max' ? atom.max : atom.min + Math.floor(choice() * (atom.max - atom.min + 1));
        for (let i = 0; i < count; i += 1) out += build([atom.atom], choice);
        break;
      }
    }
  }
  return out;
}

/** A string `pattern` matches, or null when the pattern uses what this does not understand. */
export function samplePattern(pattern: string, choice: PatternChoice): string | null {
  try {
    const alternatives = new Parser(pattern).parse();
    const sample = build(pick(alternatives, choice) ?? [], choice);
    return new RegExp(pattern, 'u').test(sample) ? sample : null;
  } catch {
    return null;
  }
}
