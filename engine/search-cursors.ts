/**
 * Search cursors. A cursor is the id of the last journey a page showed, base64url-encoded: the
 * reader saw it, so it tells nothing new. A page cut short by the scan budget (read-policy.ts)
 * has shown nothing to point at, so its cursor holds the last row scanned sealed (AES-256-GCM):
 * it names a journey the reader may not read, and must neither show nor accept a forged one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ID_PATTERN, JourneyError } from '../common/index.js';

const SEALED_PREFIX = 's.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function invalidCursor(cursor: string): JourneyError {
  return new JourneyError('JE_BAD_REQUEST', 'invalid cursor', { details: { cursor: cursor.slice(0, 64) } });
}

export class SearchCursors {
  private readonly key: Uint8Array;

  /**
   * @param key 32 bytes shared by the nodes that answer one client's pages; without one, a random
   *   key of this process (a sealed cursor then works only on the node that issued it).
   */
  constructor(key?: Uint8Array) {
    if (key !== undefined && key.length !== 32) throw new JourneyError('JE_CONFIG_INVALID', 'the search cursor key must be 32 bytes');
    this.key = key ?? randomBytes(32);
  }

  /** The journey id a page starts after; undefined for the first page. `JE_BAD_REQUEST` when invalid. */
  open(cursor: string | undefined): string | undefined {
    if (cursor === undefined || cursor === '') return undefined;
    const id = cursor.startsWith(SEALED_PREFIX) ? this.unseal(cursor) : Buffer.from(cursor, 'base64url').toString('utf8');
    if (id === undefined || !ID_PATTERN.test(id)) throw invalidCursor(cursor);
    return id;
  }

  seal(journeyId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(journeyId, 'utf8'), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  private unseal(cursor: string): string | undefined {
    const bytes = Buffer.from(cursor.slice(SEALED_PREFIX.length), 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
