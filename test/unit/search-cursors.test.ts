import { describe, expect, it } from 'vitest';
import { SearchCursors } from '../../engine/search-cursors.js';

const ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('search cursors', () => {
  it('a plain cursor is the id of the last journey a page showed', () => {
    const cursors = new SearchCursors();
    expect(cursors.open(Buffer.from(ID).toString('base64url'))).toBe(ID);
    expect(cursors.open(undefined)).toBeUndefined();
  });

  it('a sealed cursor names nothing, opens on every node with the same key, and not with another', () => {
    const key = new Uint8Array(32).fill(7);
    const sealed = new SearchCursors(key).seal(ID);
    expect(sealed).toMatch(/^s\./);
    expect(sealed).not.toContain(ID);
    expect(Buffer.from(sealed.slice(2), 'base64url').toString('latin1')).not.toContain(ID);
    expect(new SearchCursors(key).open(sealed)).toBe(ID);
    expect(() => new SearchCursors(new Uint8Array(32).fill(8)).open(sealed)).toThrow(/invalid cursor/);
  });

  it.each([
    ['altered', (sealed: string) => `${sealed.slice(0, -3)}${sealed.endsWith('A') ? 'B' : 'A'}AA`],
    ['truncated', (sealed: string) => sealed.slice(0, 10)],
    ['a plain cursor of something else', () => Buffer.from('x; DROP TABLE journeys').toString('base64url')],
  ])('refuses a cursor that is %s with a 400 JE_BAD_REQUEST', (_case, forge) => {
    const cursors = new SearchCursors(new Uint8Array(32).fill(1));
    expect(() => cursors.open(forge(cursors.seal(ID)))).toThrow(expect.objectContaining({ code: 'JE_BAD_REQUEST' }));
  });
});
