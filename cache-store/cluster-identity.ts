import { randomBytes } from 'node:crypto';
import { JourneyError } from '../common/index.js';
import type { SqlExecutor } from './store-types.js';

/**
 * What a stored cluster id may look like. It becomes part of every Redis key of the store's grid
 * namespace (grid/keys.ts allows the same characters): no braces, so it can never turn into a
 * hash tag, and no colon, so it cannot fake another namespace.
 */
const CLUSTER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The store's cluster id (`cluster_meta.cluster_id`): generated once, by migration 002 or, when
 * the row is missing (an operator deleted it to give a copied database its own identity), here
 * with `INSERT IGNORE`, so nodes starting at once agree on the first one written. Every node of
 * a store reads the same id; nodes of another store, however configured, read another.
 * @throws JourneyError `JE_CONFIG_INVALID` when the stored id is not usable in grid keys.
 */
export async function ensureClusterId(sql: SqlExecutor): Promise<string> {
  await sql.execute(`INSERT IGNORE INTO cluster_meta (meta_key, meta_value) VALUES ('cluster_id', ?)`, [randomBytes(8).toString('hex')]);
  const row = await sql.queryOne<{ meta_value: string }>(`SELECT meta_value FROM cluster_meta WHERE meta_key = 'cluster_id'`);
  const clusterId = row?.meta_value ?? '';
  if (!CLUSTER_ID_PATTERN.test(clusterId)) {
    throw new JourneyError(
      'JE_CONFIG_INVALID',
      `cluster_meta.cluster_id ${JSON.stringify(clusterId)} is not a valid cluster id (1-64 letters, digits, '_' or '-')`,
      {
        details: { setting: 'cluster_meta.cluster_id', value: clusterId.slice(0, 80) },
      },
    );
  }
  return clusterId;
}

/**
 * The store's grid secret (`cluster_meta.grid_secret`): the key of the MACs on everything the
 * engine keeps in Redis (inbox messages, hot state, back-end call jobs), so that Redis, which never
 * holds it, cannot make a node commit anything. Generated once (256 random bits, hex), by the
 * first node to start, with `INSERT IGNORE` so nodes starting at once agree on the first one
 * written; every node of the store reads the same. Like the whole store, it is as secret as the
 * database's access: whoever can read `cluster_meta` can already write the events themselves.
 * @throws JourneyError `JE_CONFIG_INVALID` when the stored value is too short to be a key.
 */
export async function ensureGridSecret(sql: SqlExecutor): Promise<string> {
  await sql.execute(`INSERT IGNORE INTO cluster_meta (meta_key, meta_value) VALUES ('grid_secret', ?)`, [randomBytes(32).toString('hex')]);
  const row = await sql.queryOne<{ meta_value: string }>(`SELECT meta_value FROM cluster_meta WHERE meta_key = 'grid_secret'`);
  const secret = row?.meta_value ?? '';
  if (secret.length < 32) {
    // Never the value itself: it is a secret, even a bad one.
    throw new JourneyError(
      'JE_CONFIG_INVALID',
      'cluster_meta.grid_secret is shorter than 32 characters: delete the row and a new one is generated at the next start',
      {
        details: { setting: 'cluster_meta.grid_secret' },
      },
    );
  }
  return secret;
}
