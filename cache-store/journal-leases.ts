/**
 * Partition leases, the fencing authority (the database clock decides expiry), and the fixed partition count.
 */
import { toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

export async function ensurePartitions(conn: Connection, slots: number[]): Promise<void> {
  const values = [...new Set(slots)].sort((a, b) => a - b);
  if (values.length === 0) return;
  await conn.batch(
    `INSERT IGNORE INTO partitions (partition_no, owner_node, epoch, lease_expires_at, updated_at) VALUES (?, NULL, 0, NULL, NOW(6))`,
    values.map((v) => [v]),
  );
}

/**
 * Takes the given partitions where they are free, expired, or already ours; bumps each taken
 * partition's epoch. Returns partition → new epoch for the ones taken.
 */
export async function acquirePartitions(conn: Connection, ownerNode: string, partitions: number[], ttlMs: number): Promise<Map<number, number>> {
  const taken = new Map<number, number>();
  if (partitions.length === 0) return taken;
  await conn.query(
    `UPDATE partitions SET owner_node = ?, epoch = epoch + 1, lease_expires_at = NOW(6) + INTERVAL ? MICROSECOND, updated_at = NOW(6)
      WHERE partition_no IN (?) AND (owner_node IS NULL OR lease_expires_at IS NULL OR lease_expires_at < NOW(6))`,
    [ownerNode, ttlMs * 1000, partitions],
  );
  const rows = await conn.query<Row[]>(`SELECT partition_no, epoch FROM partitions WHERE partition_no IN (?) AND owner_node = ?`, [partitions, ownerNode]);
  for (const row of rows) taken.set(toNumber(row.partition_no), toNumber(row.epoch));
  return taken;
}

/** Extends this node's leases; returns the partitions (with epochs) it still holds. */
export async function renewPartitions(conn: Connection, ownerNode: string, held: Map<number, number>, ttlMs: number): Promise<Map<number, number>> {
  const still = new Map<number, number>();
  if (held.size === 0) return still;
  const partitions = [...held.keys()];
  await conn.query(
    `UPDATE partitions SET lease_expires_at = NOW(6) + INTERVAL ? MICROSECOND, updated_at = NOW(6)
      WHERE partition_no IN (?) AND owner_node = ? AND lease_expires_at > NOW(6)`,
    [ttlMs * 1000, partitions, ownerNode],
  );
  const rows = await conn.query<Row[]>(
    `SELECT partition_no, epoch FROM partitions WHERE partition_no IN (?) AND owner_node = ? AND lease_expires_at > NOW(6)`,
    [partitions, ownerNode],
  );
  for (const row of rows) {
    const partitionNo = toNumber(row.partition_no);
    const epoch = toNumber(row.epoch);
    if (held.get(partitionNo) === epoch) still.set(partitionNo, epoch);
  }
  return still;
}

/** Gives a partition up at once so its next owner need not wait for the lease to expire. */
export async function releasePartition(conn: Connection, ownerNode: string, partitionNo: number, epoch: number): Promise<void> {
  await conn.query(
    `UPDATE partitions SET owner_node = NULL, lease_expires_at = NULL, updated_at = NOW(6)
      WHERE partition_no = ? AND owner_node = ? AND epoch = ?`,
    [partitionNo, ownerNode, epoch],
  );
}

/**
 * The partition count is fixed when the store is first used: journeys are placed by
 * `hash(id) % count`, so a different count would orphan them. Returns the stored count.
 */
export async function ensurePartitionCount(conn: Connection, count: number): Promise<number> {
  await conn.query(`INSERT IGNORE INTO cluster_meta (meta_key, meta_value) VALUES ('partition_count', ?)`, [String(count)]);
  const rows = await conn.query<Row[]>(`SELECT meta_value FROM cluster_meta WHERE meta_key = 'partition_count'`);
  return Number(rows[0]?.meta_value ?? count);
}
