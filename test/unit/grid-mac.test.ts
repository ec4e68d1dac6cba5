// The MAC on what the engine keeps in Redis (grid/grid-mac.ts). No network.
import { describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { createGridMac } from '../../grid/index.js';

const SECRET = 'a-grid-secret-for-the-unit-tests-0123456789';
const INBOX = 'je:c1:{node:n1:aa}:inbox';

describe('grid MAC', () => {
  const mac = createGridMac(SECRET);

  it('seals a JSON object into a JSON object an older node still parses, and opens it back exactly', () => {
    const json = JSON.stringify({ kind: 'handled', requestId: 'r1', journeySeq: 7, note: 'quotes " and \\ and ünïcode' });
    const sealed = mac.seal(INBOX, json);
    const { mac: signature, ...members } = JSON.parse(sealed) as Record<string, unknown>;
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(members).toEqual(JSON.parse(json));
    expect(mac.open(INBOX, sealed)).toEqual({ ok: true, json });
    expect(mac.open(INBOX, mac.seal(INBOX, '{}'))).toEqual({ ok: true, json: '{}' });
    expect(Object.keys(JSON.parse(mac.seal(INBOX, '{}')) as object)).toEqual(['mac']);
  });

  it('refuses an altered text, another scope, another secret, and text with no MAC', () => {
    const sealed = mac.seal(INBOX, '{"kind":"handle","amount":5}');
    expect(mac.open(INBOX, sealed.replace('"amount":5', '"amount":6'))).toEqual({ ok: false, reason: 'bad-mac' });
    expect(mac.open('je:c1:{node:n2:bb}:inbox', sealed)).toEqual({ ok: false, reason: 'bad-mac' });
    expect(createGridMac(`${SECRET}-other`).open(INBOX, sealed)).toEqual({ ok: false, reason: 'bad-mac' });
    // A MAC moved onto another text, a truncated one, one made of the right characters but wrong.
    const head = sealed.slice(0, 52);
    expect(mac.open(INBOX, `${head},"kind":"outcome"}`)).toEqual({ ok: false, reason: 'bad-mac' });
    expect(mac.open(INBOX, `{"mac":"${'A'.repeat(43)}","kind":"handle","amount":5}`)).toEqual({ ok: false, reason: 'bad-mac' });
    for (const unsigned of [
      '{"kind":"handle","amount":5}',
      '',
      'not json',
      '{"mac":"short","kind":"x"}',
      `${head}`,
      `${head}x}`,
      `{"mac":${'A'.repeat(50)}}`,
    ]) {
      expect(mac.open(INBOX, unsigned), unsigned).toEqual({ ok: false, reason: 'unsigned' });
    }
  });

  it('signs and verifies in constant time; a wrong-length MAC is simply false', () => {
    const signature = mac.sign('scope', 'text');
    expect(mac.verify('scope', 'text', signature)).toBe(true);
    expect(mac.verify('scope', 'text2', signature)).toBe(false);
    expect(mac.verify('scope', 'text', signature.slice(1))).toBe(false);
    expect(mac.verify('scope', 'text', `${signature}x`)).toBe(false);
  });

  it('refuses a short secret without echoing it, and seals only JSON objects', () => {
    const error = (() => {
      try {
        createGridMac('too-short-secret', 'GRID_SECRET');
        return undefined;
      } catch (thrown: unknown) {
        return thrown;
      }
    })();
    expect(isJourneyError(error, 'JE_CONFIG_INVALID')).toBe(true);
    expect(String((error as Error).message)).toMatch(/GRID_SECRET must be at least 32 characters/);
    expect(String((error as Error).message)).not.toMatch(/too-short-secret/);
    expect(() => mac.seal(INBOX, '[1,2]')).toThrow(/JSON object/);
  });
});
