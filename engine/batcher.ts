/**
 * The pump behind group intake and group commit: items that arrive while earlier batches run
 * share the next batch, so a burst costs one transaction (one fsync), not one each, and a lone
 * item goes at once with no added latency. At most `concurrency` batches run at a time, each of
 * at most `maxBatch` items, taken in arrival order.
 *
 * Another batch starts beside the running ones only when enough items wait (`overlapAfter` per
 * batch running): a few items go after the running batch, together, rather than in a transaction
 * of their own. Without that, a node under light load (a worker among many, or a capped one)
 * spread its events over `concurrency` small commits, each paying its fixed statements and round
 * trips, and its CPU per event grew as its share of the load shrank.
 */
export interface BatcherLimits {
  concurrency: number;
  maxBatch: number;
  /** Items waiting, per batch running, before another batch starts beside them. @defaultValue 4 */
  overlapAfter?: number;
}

const DEFAULT_OVERLAP_AFTER = 4;

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
    const overlapAfter = this.limits.overlapAfter ?? DEFAULT_OVERLAP_AFTER;
    while (this.inFlight < this.limits.concurrency && this.queue.length > 0) {
      // The running batch ends soon and takes these with it when it does (see the class comment).
      if (this.inFlight > 0 && this.queue.length < overlapAfter * this.inFlight) return;
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
