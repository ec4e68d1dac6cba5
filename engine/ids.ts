import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * Random bytes for ids, drawn from a refilled pool: the ulid package asks its PRNG once per
 * character, and one crypto call per character cost about a tenth of the engine's CPU under load.
 * Each byte / 256 picks one of 32 characters with equal probability (256 = 8 × 32).
 */
const randomPool = Buffer.alloc(4096);
let poolOffset = randomPool.length;
function pooledRandom(): number {
  if (poolOffset >= randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  return (randomPool[poolOffset++] ?? 0) / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

/** Journey and event ids: ULIDs (26 chars, Crockford base32, time-ordered, unique across nodes). */
export function newId(): string {
  return nextUlid();
}

export { ID_PATTERN } from '../common/index.js';

/** Which partition a journey belongs to: FNV-1a over its id, so every node computes the same. */
export function partitionOf(journeyId: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < journeyId.length; i++) {
    hash ^= journeyId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitionCount;
}

/**
 * Slots: each deployed version has a lane, and its journeys live in the lane's `partitionCount`
 * slots, `lane * partitionCount + partitionOf(id)`. A node leases only the slots of the versions it
 * hosts, so an event is handled only where its version is. Lanes start at 1 (slots below
 * `partitionCount` belong to none) and fit the store's slot column (below 65536).
 */
export function slotOf(laneNo: number, journeyId: string, partitionCount: number): number {
  return laneNo * partitionCount + partitionOf(journeyId, partitionCount);
}

export function slotsOfLane(laneNo: number, partitionCount: number): number[] {
  return Array.from({ length: partitionCount }, (_, p) => laneNo * partitionCount + p);
}

/** The highest lane whose slots fit the store's slot column. */
export function maxLane(partitionCount: number): number {
  return Math.floor(65_536 / partitionCount) - 1;
}

/**
 * Rendezvous (highest random weight) hashing: the node that owns a partition given the live
 * nodes. Adding or removing a node moves only the partitions it wins or held.
 */
export function rendezvousOwner(partitionNo: number, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const score = fnv(`${node}#${partitionNo}`);
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Rendezvous hashing with bounded loads: each slot goes to the highest-ranked node (as
 * {@link rendezvousOwner} ranks them) that still has room, slots taken in ascending order; every
 * node holds ⌊slots / nodes⌋ or one more. Plain rendezvous hashing spreads 64 slots over 3 nodes as
 * unevenly as 16/21/27 (and the busiest node sets the pace); the bound makes the spread even and
 * keeps most of its stability: a join moves little more than the joiner's share. Every node
 * computes the same map from the same membership, whatever order it lists the nodes in.
 */
export function balancedOwners(slots: readonly number[], nodes: readonly string[]): Map<number, string> {
  const owners = new Map<number, string>();
  if (nodes.length === 0) return owners;
  const base = Math.floor(slots.length / nodes.length);
  let roomForOneMore = slots.length % nodes.length;
  const load = new Map<string, number>(nodes.map((node) => [node, 0]));
  const fits = (node: string): boolean => {
    const held = load.get(node) ?? 0;
    return held < base || (held === base && roomForOneMore > 0);
  };
  const ranked = nodes.map((node) => ({ node, score: 0 }));
  for (const slot of [...slots].sort((a, b) => a - b)) {
    for (const entry of ranked) entry.score = fnv(`${entry.node}#${slot}`);
    ranked.sort((a, b) => b.score - a.score || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    const owner = ranked.find((entry) => fits(entry.node))?.node;
    if (owner === undefined) continue; // unreachable: the room adds up to the slots
    const held = load.get(owner) ?? 0;
    if (held === base) roomForOneMore -= 1;
    load.set(owner, held + 1);
    owners.set(slot, owner);
  }
  return owners;
}

function fnv(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Final avalanche so similar node names spread evenly.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}
