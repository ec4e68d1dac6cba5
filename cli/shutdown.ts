/**
 * The shutdown of `journey serve`: the steps that undo a start, run in reverse order within one
 * time budget, each bounded so that a hung dependency (a frozen Redis, a MariaDB that stopped
 * answering) costs its step's share of the budget and never the whole shutdown.
 *
 * Local servers the process started itself (the grid's redis-servers, a private MariaDB) also
 * register a synchronous emergency stop, run on every way out: the end of a shutdown that did
 * not get to them, a forced exit (third signal, budget exceeded), a crash (`exit` event).
 */
import { ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';

/** One thing to undo. */
export interface ShutdownStep {
  name: string;
  /**
   * The share of the whole budget kept for this step while earlier steps run: a step may use
   * whatever time is not kept for the steps after it, so time saved early goes to later steps.
   */
  share: number;
  /** Undoes the thing within `timeoutMs` if it can (the plan moves on when the time is up either way). */
  run(timeoutMs: number): Promise<unknown>;
}

/** The least a step gets even when earlier ones used up the budget: enough for a local syscall or two. */
const MIN_STEP_MS = 200;

const TIMED_OUT = Symbol('timed out');

const timeout = (ms: number): Promise<typeof TIMED_OUT> =>
  new Promise((resolve) => {
    setTimeout(() => resolve(TIMED_OUT), ms).unref();
  });

export class ShutdownPlan {
  private readonly steps: ShutdownStep[] = [];
  private readonly emergency = new Map<string, () => void>();
  private started = false;

  constructor(private readonly logger: Logger) {}

  /** True once {@link run} began: a start still in progress must stop at its next step. */
  get begun(): boolean {
    return this.started;
  }

  /** Registers a step; steps run in reverse order of registration (last started, first stopped). */
  add(step: ShutdownStep): void {
    this.steps.push(step);
  }

  /**
   * Registers a synchronous stop for `key` (replacing an earlier one), run by {@link emergencyStop}.
   * It must not throw and must not need the event loop.
   */
  onEmergency(key: string, stop: () => void): void {
    this.emergency.set(key, stop);
  }

  /** Forgets the emergency stop of `key` (its orderly stop finished). */
  settled(key: string): void {
    this.emergency.delete(key);
  }

  /** Runs every registered emergency stop once. Synchronous: safe in `exit` and signal handlers. */
  emergencyStop(): void {
    const stops = [...this.emergency.values()];
    this.emergency.clear();
    for (const stop of stops) {
      try {
        stop();
      } catch {
        // an emergency stop is best effort by definition; the next one must still run
      }
    }
  }

  /**
   * Runs the steps in reverse order, each bounded, so the whole ends by `deadlineMs` (a
   * `performance.now()` time) give or take {@link MIN_STEP_MS} per step; then the emergency
   * stops of whatever is left. Never throws: a failed or late step is logged and the next runs.
   * Resolves true when every step finished in time.
   */
  async run(budgetMs: number, deadlineMs: number): Promise<boolean> {
    this.started = true;
    let clean = true;
    const steps = [...this.steps].reverse();
    this.steps.length = 0;
    for (const [index, step] of steps.entries()) {
      const reserved = steps.slice(index + 1).reduce((sum, later) => sum + later.share * budgetMs, 0);
      const timeoutMs = Math.max(MIN_STEP_MS, Math.floor(deadlineMs - performance.now() - reserved));
      const started = performance.now();
      try {
        // The step's own promise may settle later (a client that never answers): it is left behind.
        const outcome = await Promise.race([step.run(timeoutMs), timeout(timeoutMs)]);
        const ms = Math.round(performance.now() - started);
        if (outcome === TIMED_OUT) {
          clean = false;
          this.logger.warn({ step: step.name, timeoutMs }, 'shutdown step did not finish in time; moving on');
        } else {
          this.logger.debug({ step: step.name, ms }, 'shutdown step done');
        }
      } catch (error) {
        clean = false;
        this.logger.warn({ err: ensureError(error), step: step.name }, 'shutdown step failed; moving on');
      }
    }
    this.emergencyStop();
    return clean;
  }
}
