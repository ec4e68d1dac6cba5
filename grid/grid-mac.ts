/**
 * Redis is not a trust boundary: anyone who can write to the grid could otherwise push a message
 * onto a node's inbox, rewrite a journey's hot state or a back-end call's job, and have the engine
 * act on it as if an authenticated API node had accepted it. So what the engine writes to Redis
 * and reads back carries an HMAC-SHA256 under the cluster's grid secret, a key Redis never holds
 * (it lives in MariaDB's `cluster_meta`, or in the `GRID_SECRET` setting), and what fails the
 * check is dropped unread.
 *
 * Every MAC covers a *scope* as well as the text: the Redis key the text was written under (which
 * names the store's cluster id, and the receiving node or the journey), so a genuine message moved
 * to another inbox, or a journey's state copied to another journey, fails too.
 *
 * The sealed form of a JSON object keeps being a JSON object, the MAC as its first member:
 * `{"mac":"<43 characters>",<the members of the original>` (`{"mac":"<43 characters>"}` for `{}`). Nodes of an older build (a rolling
 * upgrade) still parse what newer ones write (they see one extra member), and the receiver
 * verifies the original text exactly as it was signed: no re-serialisation, one HMAC per message.
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { JourneyError } from '../common/index.js';

/** The shortest grid secret taken (characters). */
export const MIN_GRID_SECRET_LENGTH = 32;

/** Why a text was refused: it carries no MAC at all (an older node's, or made by hand), or a wrong one. */
export type GridForgery = 'unsigned' | 'bad-mac';

/** What {@link GridMac.open} finds. */
export type OpenedText = { ok: true; json: string } | { ok: false; reason: GridForgery };

/** Signs and checks what the engine keeps in Redis, under one cluster secret. */
export interface GridMac {
  /** The MAC of `text` in `scope`: 43 base64url characters. */
  sign(scope: string, text: string): string;
  /** Whether `mac` is the MAC of `text` in `scope` (constant time). */
  verify(scope: string, text: string, mac: string): boolean;
  /** `json` (a JSON object's text) with its MAC in front, still a JSON object. */
  seal(scope: string, json: string): string;
  /** The original JSON text of a sealed one, when its MAC holds in `scope`. */
  open(scope: string, sealed: string): OpenedText;
}

const HEAD = '{"mac":"';
const MAC_LENGTH = 43; // base64url of 32 bytes, unpadded
/** Where the MAC's closing quote is in a sealed text. */
const MAC_END = HEAD.length + MAC_LENGTH;

/**
 * A signer under `secret`.
 * @param setting - What to name in the error when the secret is too short.
 * @throws JourneyError `JE_CONFIG_INVALID` when `secret` is shorter than {@link MIN_GRID_SECRET_LENGTH}.
 */
export function createGridMac(secret: string, setting = 'GRID_SECRET'): GridMac {
  if (secret.length < MIN_GRID_SECRET_LENGTH) {
    // Never the value: it is a secret, even when it is a bad one.
    throw new JourneyError('JE_CONFIG_INVALID', `${setting} must be at least ${MIN_GRID_SECRET_LENGTH} characters`, { details: { setting } });
  }
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'));
  const sign = (scope: string, text: string): string => createHmac('sha256', key).update(scope).update('\n').update(text).digest('base64url');
  const verify = (scope: string, text: string, mac: string): boolean => {
    if (mac.length !== MAC_LENGTH) return false;
    const expected = Buffer.from(sign(scope, text), 'latin1');
    const given = Buffer.from(mac, 'latin1');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return {
    sign,
    verify,
    seal(scope, json) {
      // Only what the engine itself serialised comes here: a JSON object.
      if (json.length < 2 || json[0] !== '{' || json[json.length - 1] !== '}') {
        throw new JourneyError('JE_INTERNAL', 'only a JSON object is sealed for the grid');
      }
      const mac = sign(scope, json);
      return json === '{}' ? `${HEAD}${mac}"}` : `${HEAD}${mac}",${json.slice(1)}`;
    },
    open(scope, sealed) {
      if (!sealed.startsWith(HEAD) || sealed[MAC_END] !== '"') return { ok: false, reason: 'unsigned' };
      // After the MAC: `,<the original's members>}`, or `}` alone for the empty object.
      const tail = sealed.slice(MAC_END + 1);
      let json: string;
      if (tail === '}') json = '{}';
      else if (tail.length >= 3 && tail[0] === ',') json = `{${tail.slice(1)}`;
      else return { ok: false, reason: 'unsigned' };
      return verify(scope, json, sealed.slice(HEAD.length, MAC_END)) ? { ok: true, json } : { ok: false, reason: 'bad-mac' };
    },
  };
}
