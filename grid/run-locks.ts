/**
 * Run locks: one holder at a time for long operator work (an uplift run per journey type), on
 * redlock over the grid. An efficiency lock only — two runners would waste work, never break
 * it: every change they make is a conditional update in MariaDB (redlock gives no fencing token,
 * and a Redis failover before replication can let two holders in).
 */
import Redlock, { ExecutionError } from 'redlock';
import type { Grid } from './connection.js';

export interface RunLock {
  /** Whether the lock could not be extended in time (another runner may hold it now). */
  readonly lost: boolean;
  release(): Promise<void>;
}

export interface RunLocks {
  /** Takes the named lock for `ttlMs`, extended while held; null when another holder has it. */
  acquire(name: string, ttlMs: number): Promise<RunLock | null>;
}

export function createRunLocks(grid: Grid, clusterId: string): RunLocks {
  // The watchdog may replace the client: one redlock per acquisition, on the client of the moment.
  const keys = grid.keys.forCluster(clusterId);
  return {
    async acquire(name, ttlMs) {
      const redlock = new Redlock([grid.client], { retryCount: 0, automaticExtensionThreshold: Math.floor(ttlMs / 3) });
      // Journey type names have slashes; grid key names do not.
      const key = keys.grid(`lock:${name.replace(/[^A-Za-z0-9_.:-]/g, '.')}`);
      let lock: Awaited<ReturnType<Redlock['acquire']>>;
      try {
        lock = await redlock.acquire([key], ttlMs);
      } catch (error) {
        // Held by another runner (or not reachable within its quorum): not ours now.
        if (error instanceof ExecutionError) return null;
        throw error;
      }
      let lost = false;
      let held = lock;
      const timer = setInterval(
        () => {
          held.extend(ttlMs).then(
            (extended) => {
              held = extended;
            },
            () => {
              lost = true;
            },
          );
        },
        Math.max(100, Math.floor(ttlMs / 3)),
      );
      timer.unref();
      return {
        get lost() {
          return lost;
        },
        async release() {
          clearInterval(timer);
          await held.release().catch(() => undefined);
        },
      };
    },
  };
}

/** Without a grid (one node): the same contract within this process. */
export function createLocalRunLocks(): RunLocks {
  const held = new Set<string>();
  return {
    acquire(name) {
      if (held.has(name)) return Promise.resolve(null);
      held.add(name);
      return Promise.resolve({
        lost: false,
        release() {
          held.delete(name);
          return Promise.resolve();
        },
      });
    },
  };
}
