import { describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { parseWebhooksConfig } from '../../engine/index.js';

const SECRET = `whsec_${Buffer.from('a secret of some thirty-two bytes').toString('base64')}`;
const SOURCE = 'WEBHOOKS_CONFIG (webhooks.json)';

function refusal(content: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseWebhooksConfig(content, env, SOURCE);
  } catch (error) {
    if (isJourneyError(error) && error.code === 'JE_CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('WEBHOOKS_CONFIG', () => {
  it('fills in the defaults and reads values from the environment', () => {
    const [webhook] = parseWebhooksConfig(
      { webhooks: [{ name: 'ledger', url: { env: 'LEDGER_URL' }, secret: { env: 'LEDGER_SECRET' }, types: ['pfm/wallet'] }] },
      { LEDGER_URL: 'https://ledger.example/hook', LEDGER_SECRET: SECRET },
      SOURCE,
    );
    expect(webhook).toEqual({
      name: 'ledger',
      url: 'https://ledger.example/hook',
      secret: SECRET,
      types: ['pfm/wallet'],
      from: 'now',
      maxAttempts: 20,
      backoff: { baseMs: 1_000, maxMs: 300_000 },
      timeoutMs: 10_000,
      concurrency: 8,
    });
  });

  it('refuses what cannot work, naming the place and never the secret', () => {
    const hook = { name: 'ledger', url: 'https://ledger.example/hook', secret: SECRET };
    expect(refusal({})).toMatch(/must have required property 'webhooks'/);
    expect(refusal({ webhooks: [{ ...hook, name: 'Ledger Hook' }] })).toMatch(/\/webhooks\/0\/name/);
    expect(refusal({ webhooks: [{ ...hook, extra: 1 }] })).toMatch(/additional properties \(extra\)/);
    expect(refusal({ webhooks: [{ ...hook, url: 'ftp://ledger.example' }] })).toMatch(/\/webhooks\/0\/url must be an http or https URL/);
    expect(refusal({ webhooks: [{ ...hook, secret: 'not base64 !' }] })).toMatch(/\/webhooks\/0\/secret is not a Standard Webhooks secret/);
    expect(refusal({ webhooks: [hook, hook] })).toMatch(/\/webhooks\/1\/name ledger is used twice/);
    expect(refusal({ webhooks: [{ ...hook, secret: { env: 'NOT_SET' } }] })).toMatch(/names the environment variable NOT_SET, which is not set/);
    expect(refusal({ webhooks: [{ ...hook, backoff: { baseMs: 10, maxMs: 5 } }] })).toMatch(/maxMs is below baseMs/);
    expect(refusal({ webhooks: [{ ...hook, secret: 'whsec_bm90IGEgc2VjcmV0' }], x: 1 })).not.toContain('bm90IGEgc2VjcmV0');
  });
});
