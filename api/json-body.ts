import type { FastifyInstance } from 'fastify';
import { JourneyError } from '../common/index.js';
import { escapePointerToken, type Violation } from './errors.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Most violations one body reports (a hostile body could have thousands). */
const MAX_REPORTED_VIOLATIONS = 20;

/**
 * The deepest container nesting of a JSON text, found by a scan that never parses (so a hostile
 * body cannot make the parser recurse). Strings are skipped with their escapes.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/**
 * Finds what JSON allows but the engine must not store: lone UTF-16 surrogates and NUL in
 * strings or keys (MariaDB and most back ends mangle them), numbers that are not finite or are
 * integers beyond ±(2^53−1) (precision was already lost while parsing — money must not be
 * rounded silently), and prototype-poisoning keys.
 */
export function findHostileValues(value: unknown, pointer = '', found: Violation[] = []): Violation[] {
  if (found.length >= MAX_REPORTED_VIOLATIONS) return found;
  if (typeof value === 'string') {
    const problem = stringProblem(value);
    if (problem) found.push({ pointer, message: problem });
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) found.push({ pointer, message: 'must be a finite number' });
    else if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      found.push({ pointer, message: 'must be an integer between -(2^53-1) and 2^53-1 (send larger amounts as strings)' });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => findHostileValues(item, `${pointer}/${index}`, found));
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const memberPointer = `${pointer}/${escapePointerToken(key)}`;
      const keyProblem = stringProblem(key);
      if (keyProblem) found.push({ pointer: memberPointer, message: `member name ${keyProblem}` });
      else if (key === '__proto__' || (key === 'constructor' && isObjectWithPrototype(record[key]))) {
        found.push({ pointer: memberPointer, message: 'member name is not allowed' });
      } else findHostileValues(record[key], memberPointer, found);
    }
  }
  return found;
}

function isObjectWithPrototype(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'prototype');
}

/** With the `u` flag, a surrogate pair is one code point: only lone surrogates match. */
const LONE_SURROGATE = /\p{Cs}/u;

function stringProblem(text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'must not contain lone UTF-16 surrogates';
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  return undefined;
}

/**
 * Parses a JSON request body strictly: valid UTF-8, nesting at most `maxDepth`, then
 * {@link findHostileValues}. Every refusal is a `JE_BAD_REQUEST` (400).
 */
export function parseJsonBody(raw: Buffer, maxDepth: number): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch (error) {
    throw new JourneyError('JE_BAD_REQUEST', 'The request body is not valid UTF-8', { cause: error, details: { reason: 'encoding' } });
  }
  if (text.trim() === '') {
    throw new JourneyError('JE_BAD_REQUEST', 'The request body is empty', { details: { reason: 'empty' } });
  }
  const depth = jsonDepth(text);
  if (depth > maxDepth) {
    throw new JourneyError('JE_BAD_REQUEST', `The request body nests deeper than ${maxDepth} levels`, {
      details: { reason: 'depth', maxJsonDepth: maxDepth },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new JourneyError('JE_BAD_REQUEST', 'The request body is not well-formed JSON', {
      cause: error,
      details: { reason: 'syntax', parser: error instanceof Error ? error.message.slice(0, 200) : 'invalid JSON' },
    });
  }
  const violations = findHostileValues(parsed);
  if (violations.length > 0) {
    throw new JourneyError(
      'JE_BAD_REQUEST',
      `The request body holds values the engine does not accept: ${violations.map((v) => `${v.pointer || '(root)'} ${v.message}`).join('; ')}`,
      {
        details: { reason: 'values', violations },
      },
    );
  }
  return parsed;
}

/** Replaces fastify's parsers: the API reads `application/json` only, strictly. */
export function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, maxDepth));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
