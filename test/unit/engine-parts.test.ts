import { describe, expect, it } from 'vitest';
import { ID_PATTERN, balancedOwners, compareVersions, newId, partitionOf, rendezvousOwner } from '../../engine/index.js';

describe('partitioning', () => {
  it('places a journey in the same partition on every node, spread evenly', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const id = `01J${i.toString(36).toUpperCase().padStart(23, '0')}`;
      const p = partitionOf(id, 16);
      expect(partitionOf(id, 16)).toBe(p);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('moves only the partitions a joining node wins (rendezvous hashing)', () => {
    const before = ['a:1', 'b:1'];
    const after = ['a:1', 'b:1', 'c:1'];
    let moved = 0;
    for (let p = 0; p < 300; p++) {
      const old = rendezvousOwner(p, before);
      const now = rendezvousOwner(p, after);
      if (old !== now) {
        moved += 1;
        expect(now).toBe('c:1');
      }
    }
    expect(moved).toBeGreaterThan(60);
    expect(moved).toBeLessThan(140);
    expect(rendezvousOwner(1, [])).toBeUndefined();
    expect(rendezvousOwner(7, ['b:1', 'a:1'])).toBe(rendezvousOwner(7, ['a:1', 'b:1']));
  });
});

describe('balanced owners (rendezvous hashing with bounded loads)', () => {
  const slots = Array.from({ length: 64 }, (_, i) => 64 + i);
  const counts = (owners: Map<number, string>, nodes: string[]): number[] => nodes.map((node) => [...owners.values()].filter((o) => o === node).length);
  const nodes = ['bench-w1:k3j9', 'bench-w2:x81a', 'bench-w3:q0pz', 'bench-w4:m2mm', 'bench-w5:0b7c'];

  it('spreads the slots evenly, at most one apart, over any number of nodes', () => {
    for (let n = 1; n <= nodes.length; n++) {
      const spread = counts(balancedOwners(slots, nodes.slice(0, n)), nodes.slice(0, n));
      expect(spread.reduce((a, b) => a + b, 0)).toBe(64);
      expect(Math.max(...spread) - Math.min(...spread)).toBeLessThanOrEqual(1);
    }
    expect(balancedOwners(slots, []).size).toBe(0);
  });

  it('is evenly spread where plain rendezvous hashing is not', () => {
    // These names give plain rendezvous hashing a lopsided spread; the bound evens it out.
    const three = nodes.slice(0, 3);
    const plain = three.map((node) => slots.filter((slot) => rendezvousOwner(slot, three) === node).length);
    expect(Math.max(...plain) - Math.min(...plain)).toBeGreaterThan(1);
    expect(counts(balancedOwners(slots, three), three).sort()).toEqual([21, 21, 22]);
  });

  it('gives every node the same map whatever order it lists the nodes in', () => {
    const a = balancedOwners(slots, nodes);
    const b = balancedOwners([...slots].reverse(), [...nodes].reverse());
    expect([...b].sort(([x], [y]) => x - y)).toEqual([...a].sort(([x], [y]) => x - y));
  });

  it("moves little more than the joiner's share when a node joins", () => {
    for (let n = 1; n < nodes.length; n++) {
      const before = balancedOwners(slots, nodes.slice(0, n));
      const after = balancedOwners(slots, nodes.slice(0, n + 1));
      const moved = slots.filter((slot) => before.get(slot) !== after.get(slot)).length;
      const share = Math.floor(64 / (n + 1));
      expect(moved).toBeGreaterThanOrEqual(share);
      expect(moved).toBeLessThanOrEqual(share + 8);
    }
  });
});

describe('versions', () => {
  it('orders dotted versions numerically', () => {
    expect(['1.10', '1.2', '2.0', '1.9'].sort(compareVersions)).toEqual(['1.2', '1.9', '1.10', '2.0']);
    expect(compareVersions('1.0', '1')).toBe(0);
  });
});

describe('ids', () => {
  it('are ULIDs, unique and increasing even within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    for (const id of ids) expect(id).toMatch(ID_PATTERN);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('spread their random part over the whole alphabet', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4_000; i++) {
      const char = newId().slice(-1);
      counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
  });
});
