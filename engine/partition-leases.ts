/**
 * The partitions a worker owns: membership from the grid's heartbeats, rendezvous hashing with
 * bounded loads over the live nodes, and fenced leases in MariaDB (the database's clock decides
 * expiry). Renewal never waits for Redis; stale membership moves no partition.
 */
import type { Clock, Logger } from '../common/index.js';
import { ensureError } from '../common/index.js';
import type { GridMember } from '../grid/index.js';
import { balancedOwners, slotsOfLane } from './ids.js';
import type { EngineMetrics } from './metrics.js';
import type { GridPort, JournalPort } from './ports.js';

/** What the leases need from their worker: its settings, its ports, and what to do on a change. */
export interface PartitionLeasesContext {
  options: { ownerId: string; partitionCount: number; leaseTtlMs: number; nodeTtlMs: number };
  journal: JournalPort;
  grid: GridPort | null;
  clock: Clock;
  metrics: EngineMetrics;
  log: Logger;
  /** The lanes of the versions this node hosts now (hot deploys add, undeploys remove). */
  hostedLanes(): number[];
  /** Whether an event of the partition is being handled (it commits before the partition goes). */
  isBusy(partitionNo: number): boolean;
  /** The partition is gone (lost, fenced or handed over): its work must stop at once. */
  onLost(partitionNo: number): void;
  /** Newly owned partitions: their pending events are recovered from the store. */
  onAcquired(partitions: number[]): Promise<void>;
}

export class PartitionLeases {
  /** partition → epoch held. */
  private readonly leases = new Map<number, number>();
  /** Partitions being handed to another node: no new work starts; in-flight events finish. */
  private readonly draining = new Set<number>();
  private liveNodes: GridMember[] = [];
  /** Lanes whose lease rows exist (created once per lane, when this node first hosts it). */
  private readonly ensuredLanes = new Set<number>();
  /** When the last heartbeat succeeded (monotonic ms); null before the first. */
  private membershipAtMs: number | null = null;
  /** The heartbeat is failing (logged once per outage, not per tick). */
  private heartbeatFailing = false;
  /** A write of the owner map is in flight: the next waits for it rather than pile up behind Redis. */
  private publishingOwners = false;
  /** Partitions this node should own by the last rebalance; -1 before the first. */
  private desiredCount = -1;
  /** Desired partitions not held yet (another node still hands them over) after the last rebalance. */
  private missingCount = 0;
  /** The live nodes and their lanes as last read, to notice a join or a leave. */
  private membershipKey = '';
  /** Rebalances run one at a time, in call order. */
  private rebalanceChain: Promise<void> = Promise.resolve();
  private rebalancesQueued = 0;

  constructor(private readonly context: PartitionLeasesContext) {}

  get owned(): number[] {
    return [...this.leases.keys()];
  }

  get size(): number {
    return this.leases.size;
  }

  owns(partitionNo: number): boolean {
    return this.leases.has(partitionNo);
  }

  /** Owned and not being handed over: new work may start. */
  active(partitionNo: number): boolean {
    return this.leases.has(partitionNo) && !this.draining.has(partitionNo);
  }

  /** The partitions where new work may start. */
  get activePartitions(): number[] {
    return this.owned.filter((p) => !this.draining.has(p));
  }

  /** The epochs held now, for a commit's fence. */
  snapshot(): Map<number, number> {
    return new Map(this.leases);
  }

  /** Whether Redis answered the last heartbeat (without a grid: always). */
  get gridDown(): boolean {
    return this.heartbeatFailing;
  }

  /**
   * Holds the partitions membership gives it: some, or none because rendezvous hashing gave it
   * none (few partitions, many nodes). False while it waits for its share to be handed over.
   */
  get holdsItsShare(): boolean {
    return this.leases.size > 0 || this.desiredCount === 0;
  }

  /**
   * Membership: records this node alive in the grid and reads who else is (by Redis's clock, so
   * nodes with skewed clocks agree). Bounded by the grid's call timeout; on failure the last
   * membership is kept, and goes stale after `nodeTtlMs`. True when the live nodes or the lanes
   * they host changed since the last read: partitions should move now, not on the next tick.
   */
  async heartbeat(): Promise<boolean> {
    const { grid } = this.context;
    if (!grid) return false;
    try {
      this.liveNodes = await grid.heartbeat(this.context.options.ownerId, this.context.options.nodeTtlMs, this.context.hostedLanes());
      this.membershipAtMs = this.context.clock.monotonicMs();
      const key = this.liveNodes
        .map((m) => `${m.id}=${[...m.lanes].sort((a, b) => a - b).join(',')}`)
        .sort()
        .join(' ');
      const changed = key !== this.membershipKey;
      this.membershipKey = key;
      if (this.heartbeatFailing) {
        this.heartbeatFailing = false;
        this.context.log.info('grid heartbeat works again; rebalancing by fresh membership');
      }
      return changed;
    } catch (error) {
      if (!this.heartbeatFailing) {
        this.heartbeatFailing = true;
        this.context.log.warn(
          { err: ensureError(error) },
          'grid heartbeat failed; keeping the partitions held (leases renew in MariaDB) until membership is fresh',
        );
      }
      return false;
    }
  }

  /** Whether membership was read from the grid within `nodeTtlMs` (always, without a grid). */
  private membershipFresh(): boolean {
    if (!this.context.grid) return true;
    return this.membershipAtMs !== null && this.context.clock.monotonicMs() - this.membershipAtMs <= this.context.options.nodeTtlMs;
  }

  /** Extends every lease held, in MariaDB only; a lease that could not be extended is lost at once. */
  async renew(): Promise<void> {
    if (this.leases.size === 0) return;
    const held = new Map(this.leases);
    const still = await this.context.journal.renewPartitions(this.context.options.ownerId, held, this.context.options.leaseTtlMs);
    for (const [partitionNo, epoch] of held) {
      if (!still.has(partitionNo) && this.leases.get(partitionNo) === epoch) this.lose(partitionNo, 'lease lost');
    }
  }

  /**
   * A handover is under way: this node waits for desired partitions another node still holds, or
   * drains partitions it should give up. Worth rebalancing again soon rather than on the next tick.
   */
  get settling(): boolean {
    return this.missingCount > 0 || this.draining.size > 0;
  }

  /** Whether a rebalance runs or waits to run. */
  get rebalancing(): boolean {
    return this.rebalancesQueued > 0;
  }

  /**
   * Works out from the last membership which partitions this node should own, hands back the
   * ones another node should own, and takes its own. MariaDB only; never waits for Redis. Calls
   * run one at a time, in order: a membership change and the lease tick may ask at once.
   */
  rebalance(): Promise<void> {
    this.rebalancesQueued += 1;
    const run = this.rebalanceChain.then(() => this.rebalanceOnce());
    const settled = run.finally(() => {
      this.rebalancesQueued -= 1;
    });
    this.rebalanceChain = settled.catch(() => undefined);
    return settled;
  }

  private async rebalanceOnce(): Promise<void> {
    const { grid } = this.context;
    const fresh = this.membershipFresh();
    const { ownerId, partitionCount } = this.context.options;
    const lanes = this.context.hostedLanes();
    const newLanes = lanes.filter((lane) => !this.ensuredLanes.has(lane));
    if (newLanes.length > 0) {
      await this.context.journal.ensurePartitions(newLanes.flatMap((lane) => slotsOfLane(lane, partitionCount)));
      for (const lane of newLanes) this.ensuredLanes.add(lane);
    }
    // Each version's slots go to the live nodes that host it, evenly (see balancedOwners).
    const others = this.liveNodes.filter((m) => m.id !== ownerId);
    const desired = new Set<number>();
    for (const lane of lanes) {
      const hosts = [ownerId, ...others.filter((m) => m.lanes.includes(lane)).map((m) => m.id)];
      for (const [slot, owner] of balancedOwners(slotsOfLane(lane, partitionCount), hosts)) {
        if (owner === ownerId) desired.add(slot);
      }
    }

    this.desiredCount = desired.size;

    if (fresh) {
      // Hand back partitions another live node should own now; it takes them on its next tick.
      // Draining stops new work at once, so even a partition under constant load gets released.
      for (const [partitionNo, epoch] of [...this.leases]) {
        if (desired.has(partitionNo)) {
          this.draining.delete(partitionNo);
          continue;
        }
        this.draining.add(partitionNo);
        if (this.context.isBusy(partitionNo)) continue; // its in-flight event commits first
        this.lose(partitionNo, 'rebalanced away');
        await this.context.journal.releasePartition(this.context.options.ownerId, partitionNo, epoch);
      }
    } else {
      // Stale membership (Redis away) says nothing about who should own what: keep everything
      // held, and go on working on partitions that were being handed over.
      this.draining.clear();
    }

    // Without fresh membership, take only what nobody holds (a crashed node's partitions, once
    // their leases expired): acquisition never takes a live lease, so this cannot churn.
    const candidates = fresh ? [...desired] : lanes.flatMap((lane) => slotsOfLane(lane, partitionCount));
    const wanted = candidates.filter((p) => !this.leases.has(p));
    if (wanted.length > 0) {
      const taken = await this.context.journal.acquirePartitions(this.context.options.ownerId, wanted, this.context.options.leaseTtlMs);
      const gained = [...taken.keys()].filter((p) => !this.leases.has(p));
      for (const [partitionNo, epoch] of taken) this.leases.set(partitionNo, epoch);
      if (gained.length > 0) {
        this.context.metrics.leaseChanges.inc({ change: 'acquired' }, gained.length);
        this.context.log.info({ partitions: gained.length, owned: this.leases.size }, 'partitions acquired; recovering their pending events');
        await this.context.onAcquired(gained);
      }
    }
    this.missingCount = fresh ? [...desired].filter((p) => !this.leases.has(p)).length : 0;
    this.context.metrics.partitionsOwned.set(this.leases.size);
    if (grid && !this.publishingOwners) {
      // Routing hints only: not awaited, and one write at a time while Redis is slow.
      const owners = new Map<number, string | null>();
      for (const partitionNo of this.leases.keys()) owners.set(partitionNo, this.context.options.ownerId);
      this.publishingOwners = true;
      void grid
        .setOwners(owners)
        .catch(() => undefined)
        .finally(() => {
          this.publishingOwners = false;
        });
    }
  }

  /** Drops a partition at once (lease lost, commit fenced, handed over); false if it was not held. */
  lose(partitionNo: number, reason: string): boolean {
    this.draining.delete(partitionNo);
    if (!this.leases.delete(partitionNo)) return false;
    this.context.metrics.leaseChanges.inc({ change: 'lost' });
    this.context.log.warn({ partitionNo, reason }, 'partition released');
    this.context.onLost(partitionNo);
    return true;
  }

  /** Hands every partition back (at stop), so the next owners need not wait for the leases to expire. */
  async releaseAll(): Promise<void> {
    for (const [partitionNo, epoch] of this.leases) {
      try {
        await this.context.journal.releasePartition(this.context.options.ownerId, partitionNo, epoch);
      } catch (error) {
        this.context.log.warn({ err: ensureError(error), partitionNo }, 'could not release partition; its lease will expire');
      }
    }
    this.leases.clear();
    this.draining.clear();
  }
}
