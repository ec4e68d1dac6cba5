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
