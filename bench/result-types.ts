/** The shapes of a run's result: the JSON file every report is rendered from. */
import type { CheckReport } from './check.js';
import type { BenchOptions } from './cli-options.js';
import type { FloorResult } from './floor.js';
import type { ProfileSummary } from './profile.js';
import type { CpuReport } from './services.js';
import type { Histogram, LatencySummary } from './stats.js';

export interface SyncPhase {
  events: number;
  elapsedMs: number;
  /** Outcomes returned per second (request → outcome, closed loop). */
  outcomesPerSec: number;
  latencyMs: LatencySummary;
  histogram: Histogram;
  /** Outcomes completed in each second of the phase. */
  series: number[];
  results: Record<string, number>;
  cpu: CpuReport;
  /** Throughput of each round when the phase ran in rounds taking turns with the peer. */
  rounds?: number[];
}

export interface AsyncPhase {
  events: number;
  elapsedMs: number;
  /** Durable acknowledgements (202) per second. */
  acceptedPerSec: number;
  /** Events handled per second, from the store: count / (last handled_at − first accepted_at). */
  handledPerSec: number;
  /** Last handled_at − last accepted_at: how far the workers trailed intake. */
  drainLagMs: number;
  ackLatencyMs: LatencySummary;
  /** Events handled in each second from the first acceptance (store clock). */
  handledSeries: number[];
  results: Record<string, number>;
  cpu: CpuReport;
}

export interface PacedPhase {
  targetPerSec: number;
  achievedPerSec: number;
  events: number;
  skipped: number;
  latencyMs: LatencySummary;
  results: Record<string, number>;
  /** p99 of the requests sent in each second: whether the tail is spread or comes in bursts. */
  p99BySecond: number[];
}

export interface SystemRun {
  topology: string;
  open: { wallets: number; elapsedMs: number; perSec: number; latencyMs: LatencySummary };
  sync: SyncPhase;
  async?: AsyncPhase;
  paced?: PacedPhase;
  check: CheckReport;
  rss: RssSummary[];
  /** Stalls seen during the run, with what the processes logged. */
  diagnostics?: string[];
}

export interface RssSummary {
  name: string;
  samples: number;
  firstMiB: number;
  lastMiB: number;
  minMiB: number;
  maxMiB: number;
  /** Least-squares slope after the first fifth of the samples, MiB per minute. */
  slopeMiBPerMin: number;
  /** [seconds since start, MiB] every few seconds. */
  series: Array<[number, number]>;
}

export interface ScalingRun {
  workers: number;
  /** Each worker's cgroup cpu cap in cores; absent = uncapped. */
  workerCpu?: number;
  /** Requests in flight during the measured phase. */
  inFlight?: number;
  /** handled/s ÷ (workers × handled/s of the 1-worker run); absent without a 1-worker run. */
  efficiency?: number;
  /** Share of CFS periods in which a worker hit its cap (mean over the workers): near 1 = the cap limited it. */
  throttledShare?: number;
  /** An extra worker started under load: ms from its start to its first handled event; null = none within the window. */
  joinToFirstHandledMs?: number | null;
  handledPerSec: number;
  latencyMs: LatencySummary;
  exact: boolean;
  check: CheckReport;
  cpu: CpuReport;
  rss: RssSummary[];
}

/** Settings results written before they existed lack. */
type NewerSetting = 'workerCpu' | 'inFlightPerWorker' | 'joinS' | 'balancedNodes';

/** One point of the balanced part: `nodes` combined nodes, requests spread round-robin over them. */
export interface BalancedRun {
  nodes: number;
  eventsPerSec: number;
  latencyMs: LatencySummary;
  /** Events the receiving node forwarded to their owner, over all events sent (je_events_forwarded_total). */
  forwardedShare: number;
  /** Forwards by result (handled, declined, timeout, unsent), summed over the nodes. */
  forwarded: Record<string, number>;
  exact: boolean;
  check: CheckReport;
  cpu: CpuReport;
}

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

export interface BenchResult {
  version: 1;
  startedAt: string;
  finishedAt: string;
  argv: string[];
  /** The code measured: a commit snapshot, or the working tree (then uncommitted engine changes are listed). */
  code: { commit: string; dirty: string[]; source: 'commit' | 'worktree' };
  machine: {
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    loadavgStart: number[];
    loadavgEnd: number[];
    load: Array<{ phase: string; load1: number; otherCores: number }>;
  };
  settings: Omit<BenchOptions, 'out' | 'updateReadme' | 'latest' | 'cpuProf' | 'waitQuietS' | 'from' | 'code' | 'floorPath' | 'floorIntake' | NewerSetting> &
    Partial<Pick<BenchOptions, NewerSetting>>;
  /** Per engine process: self time by component and function (with --cpu-prof). */
  profiles?: Record<string, ProfileSummary>;
  engine?: SystemRun;
  floor?: FloorResult & { engineOverFloor: number | null };
  scaling?: ScalingRun[];
  balanced?: BalancedRun[];
  restate?: (SystemRun & { version: string }) | { error: string };
  comparison?: { throughputRatio: number; p99Ours: number; p99Restate: number; concurrency: number };
  targets: Target[];
  failures: string[];
}
