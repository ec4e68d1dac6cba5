/**
 * The ids of journeys a `start` step creates. Evaluation is pure, so they are not drawn at random:
 * each is a ULID whose time is the evaluation's `nowMs` and whose 80 random bits are a hash of the
 * id of the event being evaluated and the start's position in its outcome. Evaluating the same
 * event again gives the same ids; two events (ULIDs, unique) never give the same.
 */
import { createHash } from 'node:crypto';

/** Crockford's base32, as ULIDs use it. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The id of the `index`-th journey (from 0) that evaluating event `eventId` at `nowMs` starts. */
export function startedJourneyId(eventId: string, index: number, nowMs: number): string {
  let time = Math.max(0, Math.min(Math.floor(nowMs), 2 ** 48 - 1));
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = (ALPHABET[time % 32] ?? '0') + head;
    time = Math.floor(time / 32);
  }
  const digest = createHash('sha256').update(`${eventId}/${index}`).digest();
  let tail = '';
  // 16 characters of 5 bits each: the first 80 bits of the digest.
  for (let i = 0; i < 16; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const pair = ((digest[byte] ?? 0) << 8) | (digest[byte + 1] ?? 0);
    tail += ALPHABET[(pair >> (11 - (bit & 7))) & 31] ?? '0';
  }
  return head + tail;
}
