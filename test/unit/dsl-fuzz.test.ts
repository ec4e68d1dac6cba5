/**
 * Fuzz-style robustness: random, mutated and truncated sources fed to the parser and compiler
 * never throw, never report an ambiguous parse, and always locate their errors. Deterministic
 * (seeded PRNG) and bounded by iteration counts, not by time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJourney } from '../../dsl/index.js';
import type { CompileOutput } from '../../dsl/index.js';

const walletDir = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');
const walletSource = readFileSync(`${walletDir}/journey.jd`, 'utf8');
const files = new Map<string, string>([['wallet.data.schema.json', readFileSync(`${walletDir}/wallet.data.schema.json`, 'utf8')]]);
for (const f of readdirSync(`${walletDir}/events`)) files.set(`events/${f}`, readFileSync(`${walletDir}/events/${f}`, 'utf8'));

/** mulberry32: a small, good-enough seeded PRNG. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  'journey',
  'pfm/wallet',
  'version',
  '1.0',
  'data',
  'schema',
  '"wallet.data.schema.json"',
  'events',
  'from',
  '"events/"',
  'event',
  'search',
  'publish',
  'timer',
  'after',
  '5',
  'days',
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
  'Deposit',
  'Withdraw',
  'OpenWallet',
  'balance',
  'owner',
  'x',
  '.',
  ',',
  ':',
  '=',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '??',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '"str"',
  '"esc\\n"',
  '42',
  '3.14',
  '\n',
  '  ',
  '// c\n',
  '/* c */',
  '#',
  '"open',
  '/*',
  '\u00e9',
  '\t',
];

/** A compile must end in a journey or in located errors; anything thrown fails the test. */
function check(source: string): CompileOutput {
  const output = compileJourney({ file: 'fuzz.jd', source, files });
  expect(output.diagnostics.some((d) => d.code === 'ambiguous-parse')).toBe(false);
  if (output.journey === null) {
    const errors = output.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.line).toBeGreaterThanOrEqual(1);
      expect(error.column).toBeGreaterThanOrEqual(1);
      expect(error.message.length).toBeGreaterThan(0);
    }
  }
  return output;
}

// Bounded by iteration counts; the timeout is only a safety net for a loaded machine.
describe('fuzz', { timeout: 120_000 }, () => {
  it('every prefix of the wallet (step 5) compiles or reports located errors', () => {
    let compiled = 0;
    for (let end = 0; end <= walletSource.length; end += 5) {
      if (check(walletSource.slice(0, end)).journey) compiled += 1;
    }
    // Cut after the last bead's emit, the source is whole again.
    expect(compiled).toBeGreaterThan(0);
  });

  it('random token soups never throw', () => {
    const random = prng(20260101);
    for (let i = 0; i < 300; i += 1) {
      const length = 1 + Math.floor(random() * 40);
      const parts: string[] = [];
      for (let j = 0; j < length; j += 1) parts.push(FRAGMENTS[Math.floor(random() * FRAGMENTS.length)] ?? '');
      const prefix = random() < 0.5 ? 'journey pfm/wallet version 1.0\ndata schema "wallet.data.schema.json"\nevents from "events/"\n' : '';
      check(prefix + parts.join(' '));
    }
  });

  it('random character mutations of the wallet never throw', () => {
    const random = prng(42);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,:;=<>!?+-*/%(){}[]"\\\n\t#@';
    for (let i = 0; i < 300; i += 1) {
      let source = walletSource;
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e += 1) {
        const at = Math.floor(random() * source.length);
        const choice = random();
        const char = alphabet[Math.floor(random() * alphabet.length)] ?? 'x';
        if (choice < 0.4) source = source.slice(0, at) + source.slice(at + 1);
        else if (choice < 0.8) source = source.slice(0, at) + char + source.slice(at);
        else source = source.slice(0, at) + char + source.slice(at + 1);
      }
      check(source);
    }
  });

  it('random line shuffles and duplications of the wallet never throw', () => {
    const random = prng(7);
    const lines = walletSource.split('\n');
    for (let i = 0; i < 100; i += 1) {
      const picked: string[] = [];
      const count = 1 + Math.floor(random() * lines.length * 1.5);
      for (let j = 0; j < count; j += 1) picked.push(lines[Math.floor(random() * lines.length)] ?? '');
      check(picked.join('\n'));
    }
  });

  it('deeply nested expressions are parsed without blowing up', () => {
    const nested = `${'('.repeat(60)}1${')'.repeat(60)}`;
    expect(check(walletSource.replace('balance = 0,', `balance = ${nested},`)).journey).not.toBeNull();
    const tooDeep = check(walletSource.replace('balance = 0,', `balance = ${'['.repeat(100_000)},`));
    expect(tooDeep.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '10:129 brackets nest more than 64 levels deep; split the expression',
    ]);
    const long = Array.from({ length: 300 }, () => 'data.balance').join(' + ');
    expect(check(walletSource.replace('data.balance + event.amount', long)).journey).not.toBeNull();
  });
});
