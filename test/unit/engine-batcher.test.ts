import { describe, expect, it } from 'vitest';
import { Batcher } from '../../engine/batcher.js';

/** A batcher whose batches end when the test says: what ran, and a way to end the oldest. */
function controlledBatcher(limits: { concurrency: number; maxBatch: number; overlapAfter?: number }) {
  const started: number[][] = [];
  const endings: Array<() => void> = [];
  const batcher = new Batcher<number>(
    (batch) =>
      new Promise<void>((resolve) => {
        started.push(batch);
        endings.push(resolve);
      }),
    limits,
  );
  const endOldest = async (): Promise<void> => {
    endings.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { batcher, started, endOldest };
}

describe('Batcher', () => {
  it('starts a lone item at once', () => {
    const { batcher, started } = controlledBatcher({ concurrency: 4, maxBatch: 128 });
    batcher.push(1);
    expect(started).toEqual([[1]]);
  });

  it('keeps a few items for after the running batch, and sends them together', async () => {
    const { batcher, started, endOldest } = controlledBatcher({ concurrency: 4, maxBatch: 128, overlapAfter: 4 });
    batcher.push(1);
    batcher.push(2);
    batcher.push(3);
    batcher.push(4);
    expect(started).toEqual([[1]]);
    await endOldest();
    expect(started).toEqual([[1], [2, 3, 4]]);
  });

  it('starts another batch beside the running one once enough items wait, up to the concurrency', async () => {
    const { batcher, started, endOldest } = controlledBatcher({ concurrency: 2, maxBatch: 3, overlapAfter: 4 });
    for (let i = 1; i <= 13; i++) batcher.push(i);
    // 1 alone; at 4 waiting, a batch of maxBatch beside it; then the concurrency caps the rest.
    expect(started).toEqual([[1], [2, 3, 4]]);
    expect(batcher.busy).toBe(true);
    await endOldest();
    expect(started).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
    await endOldest();
    expect(started.slice(3)).toEqual([[8, 9, 10]]);
    // Three left, one batch running: they wait for it rather than take a batch of their own.
    await endOldest();
    expect(started.slice(3)).toEqual([[8, 9, 10]]);
    await endOldest();
    expect(started.slice(3)).toEqual([
      [8, 9, 10],
      [11, 12, 13],
    ]);
    await endOldest();
    expect(batcher.busy).toBe(false);
  });

  it('with overlapAfter 0, overlaps at once (the behaviour before it existed)', () => {
    const { batcher, started } = controlledBatcher({ concurrency: 4, maxBatch: 128, overlapAfter: 0 });
    batcher.push(1);
    batcher.push(2);
    expect(started).toEqual([[1], [2]]);
  });
});
