import { JourneyError } from '../../common/index.js';
import { readPassword, seedUrls } from './grid-files.js';
import { livePid, startNode, stopLocalGrid, waitForPing } from './nodes.js';
import { sendSignal, waitForExit } from './redis-processes.js';
import { localGridStatus } from './status.js';
import type { LocalGridStatus, LocalGridStopReport } from './types.js';

/** Common handle behaviour for a local cluster or standalone server. */
export abstract class LocalGridHandle {
  /** Absolute folder holding config, data, logs and PID files. */
  readonly dir: string;
  /** Client ports of every node, in start order. */
  readonly ports: readonly number[];
  /**
   * `redis://` URLs of every node, carrying the grid's password (`redis://:<password>@host:port`):
   * the seeds for `connectGrid`. Secrets: log them through `redactRedisUrl`, never as they are.
   */
  readonly seeds: readonly string[];
  /** The password every node requires (from `grid.password`); undefined for a grid started by an older build without one. */
  readonly password: string | undefined;
  /** True when `start` found this grid already running and only attached to it. */
  readonly reused: boolean;
  /** Ports of crashed nodes that `start` restarted when it attached to a running grid. */
  restartedPorts: readonly number[] = [];
  protected readonly redisServer: string;
  protected readonly stopTimeoutMs: number;

  constructor(dir: string, ports: number[], reused: boolean, redisServer: string, stopTimeoutMs: number) {
    this.dir = dir;
    this.ports = Object.freeze([...ports]);
    this.password = readPassword(dir);
    this.seeds = Object.freeze(seedUrls(ports, this.password));
    this.reused = reused;
    this.redisServer = redisServer;
    this.stopTimeoutMs = stopTimeoutMs;
  }

  /** The PID running the node on `port`, or undefined when it is not running. */
  pidOf(port: number): number | undefined {
    this.checkPort(port);
    return livePid(this.dir, port);
  }

  /**
   * Sends `signal` to the node on `port` (fault injection). For SIGKILL/SIGTERM/SIGINT waits until
   * the process is gone; SIGSTOP/SIGCONT return at once.
   */
  async killNode(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pidOf(port);
    if (pid === undefined) throw new JourneyError('JE_INTERNAL', `No running node on port ${port} in ${this.dir}`);
    sendSignal(pid, signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') {
      if (signal !== 'SIGKILL') sendSignal(pid, 'SIGCONT');
      if (!(await waitForExit(pid, this.stopTimeoutMs))) {
        throw new JourneyError('JE_INTERNAL', `Node ${port} (pid ${pid}) did not exit after ${signal}`);
      }
    }
  }

  /** Starts the node on `port` again from its config (a cluster node rejoins from its nodes.conf); returns the new PID. */
  async restartNode(port: number, timeoutMs = 30_000): Promise<number> {
    if (this.pidOf(port) !== undefined) throw new JourneyError('JE_INTERNAL', `Node ${port} is still running; kill it first`);
    const pid = startNode(this.redisServer, this.dir, port);
    await waitForPing(this.dir, port, pid, performance.now() + timeoutMs);
    return pid;
  }

  /** Per-node PID, liveness, role and cluster state. */
  status(): Promise<LocalGridStatus> {
    return localGridStatus({ dir: this.dir });
  }

  /** Stops every node by PID and removes the folder's grid files. */
  async stop(): Promise<LocalGridStopReport> {
    return stopLocalGrid({ dir: this.dir, stopTimeoutMs: this.stopTimeoutMs });
  }

  protected checkPort(port: number): void {
    if (!this.ports.includes(port)) throw new JourneyError('JE_INTERNAL', `Port ${port} is not a node of the grid in ${this.dir}`);
  }
}
