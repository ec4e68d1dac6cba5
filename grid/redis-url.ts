import { JourneyError, ensureError } from '../common/index.js';

/** Where a seed URL points: host, port, credentials, TLS and database. */
export interface SeedAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  db: number;
}

/** Parses `redis://[user:password@]host[:port][/db]` (or `rediss://`, or bare `host:port`). */
export function parseRedisUrl(url: string): SeedAddress {
  const text = /^[a-z]+:\/\//i.test(url) ? url : `redis://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch (thrown: unknown) {
    throw new JourneyError('JE_CONFIG_INVALID', `Invalid Redis URL ${JSON.stringify(url)}`, {
      cause: ensureError(thrown),
      details: { setting: 'urls', value: url },
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new JourneyError('JE_CONFIG_INVALID', `Redis URL ${JSON.stringify(url)} must start with redis:// or rediss://`, {
      details: { setting: 'urls', value: url },
    });
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new JourneyError('JE_CONFIG_INVALID', `Redis URL ${JSON.stringify(url)} names an invalid database`, { details: { setting: 'urls', value: url } });
  }
  const address: SeedAddress = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    tls: parsed.protocol === 'rediss:',
    db,
  };
  if (parsed.username !== '') address.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') address.password = decodeURIComponent(parsed.password);
  return address;
}
