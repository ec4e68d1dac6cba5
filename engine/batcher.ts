/**
 * The pump behind group intake and group commit: items that arrive while earlier batches run
 * share the next batch, so a burst costs one transaction (one fsync), not one each, and a lone
 * item goes at once with no added latency. At most `concurrency` batches run at a time, each of
 * at most `maxBatch` items, taken in arrival order.
 */
export interface BatcherLimits {
  concurrency: number;
  maxBatch: number;
}

export class Batcher<Item> {
  private readonly queue: Item[] = [];
  private inFlight = 0;

  /**
   * `run` handles a batch and settles its items itself (it must not reject). `mayStart` is asked
   * before each batch: false leaves the queue as it is (the caller may have emptied it).
   */
  constructor(
    private readonly run: (batch: Item[]) => Promise<void>,
    private readonly limits: BatcherLimits,
    private readonly mayStart: () => boolean = () => true,
  ) {}

  push(item: Item): void {
    this.queue.push(item);
    this.pump();
  }

  /** Whether any batch runs or any item waits. */
  get busy(): boolean {
    return this.inFlight > 0 || this.queue.length > 0;
  }

  /** Takes every item not started yet out of the queue. */
  takeQueued(): Item[] {
    return this.queue.splice(0);
  }

  private pump(): void {
    while (this.inFlight < this.limits.concurrency && this.queue.length > 0) {
      if (!this.mayStart()) return;
      const batch = this.queue.splice(0, this.limits.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }
}
