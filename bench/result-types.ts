/** The shapes of a run's result: the JSON file every report is rendered from. */
import type { CheckReport } from './check.js';
import type { BenchOptions } from './cli-options.js';
import type { FloorResult } from './floor.js';
import type { PayloadReport } from './payload-mix.js';
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

/** Reads of one kind during the read phase: answered 200 (and right), and everything else by status. */
export interface ReadStats {
  count: number;
  latencyMs: LatencySummary;
  /** Failed or wrong answers by kind (`HTTP 503`, `wrong answer`, a socket error). */
  errors: Record<string, number>;
}

/** The read path under write load: readers in a small closed loop while request→outcome writes run. */
export interface ReadPathPhase {
  elapsedMs: number;
  /** Read requests in flight, alternating a journey's GET and a search. */
  readersInFlight: number;
  /** `GET /journeys/{id}` of a random opened wallet, as its owner. */
  get: ReadStats;
  /** `GET /journeys?type=pfm/wallet&owner=…` (a search field of the wallet), as the owner. */
  search: ReadStats;
  /** The request→outcome writes meanwhile (closed loop at the run's concurrency). */
  writes: { inFlight: number; events: number; outcomesPerSec: number; latencyMs: LatencySummary };
}

export interface SystemRun {
  topology: string;
  /** Opening the wallets: closed loop at the run's concurrency, each `OpenWallet` awaited to its outcome. */
  /**
   * Opening: for the engine end to end, timed on the warm node after the other phases (`cold`: the
   * first opening, at the start of a fresh process); elsewhere the first opening.
   */
  open: {
    wallets: number;
    elapsedMs: number;
    perSec: number;
    latencyMs: LatencySummary;
    cold?: { wallets: number; elapsedMs: number; perSec: number; latencyMs: LatencySummary };
  };
  sync: SyncPhase;
  async?: AsyncPhase;
  paced?: PacedPhase;
  /** Open loop at a fixed modest rate (`--seed-rate`, 120/s): the latency an everyday load sees. */
  seedServiceLevel?: PacedPhase;
  readPath?: ReadPathPhase;
  /** What the requests carried with `--mixed-payloads` (a soak). */
  payloads?: PayloadReport;
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
  /** The same worker: ms from its start to its first HTTP answer (its process up: code loaded, journeys compiled, engine started); null = never within the window. */
  joinUpMs?: number | null;
  /** What the requests carried with `--mixed-payloads` (a soak). */
  payloads?: PayloadReport;
  handledPerSec: number;
  latencyMs: LatencySummary;
  exact: boolean;
  check: CheckReport;
  cpu: CpuReport;
  rss: RssSummary[];
}

/** Settings results written before they existed lack. */
type NewerSetting = 'workerCpu' | 'inFlightPerWorker' | 'joinS' | 'balancedNodes' | 'readLoadS' | 'readers' | 'seedLevelS' | 'seedRate' | 'mixedPayloads';

/** One point of the balanced part: `nodes` combined nodes, requests spread round-robin over them. */
export interface BalancedRun {
  nodes: number;
  /** How the load generator chose a node: in turn, or the one each wallet's last answer named as owner (X-Journey-Owner); absent in older results: round-robin. */
  routing?: 'round-robin' | 'owner';
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
  /** null: not judged (too short a run, or a figure reported without a goal). */
  met: boolean | null;
  /** A figure the issue asks to see, with no goal to meet. */
  reportOnly?: boolean;
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
