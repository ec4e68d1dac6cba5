import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, JourneyError, ensureError, isJourneyError } from '../../common/index.js';
import type { ErrorCode } from '../../common/index.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
const documented = new Map(
  [...doc.matchAll(/^\| `(JE_[A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)].map((m) => [m[1] as string, { httpStatus: Number(m[2]), retryable: m[3] === 'yes' }]),
);

describe('error registry', () => {
  it('documents every code with its HTTP status and retryability, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(documented.get(code), code).toEqual({ httpStatus: entry.httpStatus, retryable: entry.retryable });
    }
  });

  it('uses JE_ codes with client errors 4xx and only retryable 429/503', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^JE_[A-Z_]+$/);
      if (entry.httpStatus === 429 || entry.httpStatus === 503) expect(entry.retryable, code).toBe(true);
    }
  });

  it('builds errors that carry code, details, cause and the registry status', () => {
    const cause = new Error('driver');
    const error = new JourneyError('JE_OVERLOADED' satisfies ErrorCode, 'busy', { cause, retryAfterMs: 500, details: { depth: 3 } });
    expect(error).toMatchObject({ name: 'JourneyError', code: 'JE_OVERLOADED', httpStatus: 503, retryable: true, retryAfterMs: 500, details: { depth: 3 } });
    expect(error.cause).toBe(cause);
    expect(isJourneyError(error, 'JE_OVERLOADED')).toBe(true);
    expect(isJourneyError(error, 'JE_INTERNAL')).toBe(false);
    expect(ensureError('text')).toBeInstanceOf(Error);
    expect(ensureError('text').message).toBe('text');
  });
});
