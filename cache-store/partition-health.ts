import type { SqlExecutor } from './store-types.js';

/**
 * Of the given slots, the ones nobody owns: no row at all (no worker ever started on the store), no owner for
 * longer than `graceMs` (handed back and not taken), or a lease that expired more than `graceMs`
 * ago. A live cluster moves a partition well within two lease TTLs (the next owner takes it at
 * its next renewal tick), so past the grace its accepted events wait for nobody. The database
 * clock decides, as it does for the leases themselves.
 * @returns The partition numbers, ascending.
 */
export async function unownedPartitions(sql: SqlExecutor, slots: number[], graceMs: number): Promise<number[]> {
  if (slots.length === 0) return [];
  const graceMicros = Math.max(0, Math.round(graceMs * 1000));
  const rows = await sql.query<{ partition_no: number; stale: number | bigint | null }>(
    `SELECT partition_no,
            IF(owner_node IS NULL, updated_at, COALESCE(lease_expires_at, updated_at)) < NOW(6) - INTERVAL ? MICROSECOND AS stale
       FROM partitions WHERE partition_no IN (?)`,
    [graceMicros, slots],
  );
  const present = new Set<number>();
  const unowned: number[] = [];
  for (const row of rows) {
    const partitionNo = Number(row.partition_no);
    present.add(partitionNo);
    if (Number(row.stale) === 1) unowned.push(partitionNo);
  }
  for (const partitionNo of slots) {
    if (!present.has(partitionNo)) unowned.push(partitionNo);
  }
  return unowned.sort((a, b) => a - b);
}

/** One partition's lease as the store holds it. */
export interface PartitionLease {
  partitionNo: number;
  /** The node holding it; null when handed back or never taken. */
  owner: string | null;
  /** Bumped at every takeover: the fence on every commit of its events. */
  epoch: number;
  leaseExpiresAt: Date | null;
  /** Whether the lease holds now, by the database's clock. */
  live: boolean;
}

/** Every partition's lease (the operators' view of who holds what), by partition number. */
export async function partitionLeases(sql: SqlExecutor): Promise<PartitionLease[]> {
  const rows = await sql.query<{
    partition_no: number;
    owner_node: string | null;
    epoch: number | bigint;
    lease_expires_at: Date | null;
    live: number | bigint | null;
  }>(
    `SELECT partition_no, owner_node, epoch, lease_expires_at, owner_node IS NOT NULL AND lease_expires_at > NOW(6) AS live
       FROM partitions ORDER BY partition_no`,
  );
  return rows.map((row) => ({
    partitionNo: Number(row.partition_no),
    owner: row.owner_node,
    epoch: Number(row.epoch),
    leaseExpiresAt: row.lease_expires_at,
    live: Number(row.live) === 1,
  }));
}
