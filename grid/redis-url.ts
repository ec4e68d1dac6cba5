import { JourneyError } from '../common/index.js';

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
  } catch {
    // Without the parser's error as cause: it carries the whole input, password included.
    throw new JourneyError('JE_CONFIG_INVALID', `Invalid Redis URL ${JSON.stringify(redactRedisUrl(url))}`, {
      details: { setting: 'urls', value: redactRedisUrl(url) },
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new JourneyError('JE_CONFIG_INVALID', `Redis URL ${JSON.stringify(redactRedisUrl(url))} must start with redis:// or rediss://`, {
      details: { setting: 'urls', value: redactRedisUrl(url) },
    });
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new JourneyError('JE_CONFIG_INVALID', `Redis URL ${JSON.stringify(redactRedisUrl(url))} names an invalid database`, {
      details: { setting: 'urls', value: redactRedisUrl(url) },
    });
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

/**
 * `url` with its password replaced by `***`, for logs and messages (seed URLs carry the grid's
 * password). Works on text that is not a valid URL too: whatever sits between `//` and the last
 * `@` before the host is treated as credentials.
 */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)?([^/@:]*):([^/]*)@/i, (_match, scheme: string | undefined, user: string) => `${scheme ?? ''}${user}:***@`);
}
