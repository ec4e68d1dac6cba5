import { describe, expect, it } from 'vitest';
import { ID_PATTERN, compareVersions, newId, partitionOf, rendezvousOwner } from '../../engine/index.js';

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
