/**
 * The bench's command line: its flags, their defaults and checks, and the help text. A bad flag
 * throws; `--help` prints the help and exits.
 */
import { resolve } from 'node:path';
import type { FloorPath } from './floor.js';
import { ROOT } from './services.js';

export const PARTS = ['e2e', 'floor', 'scaling', 'balanced', 'restate'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  journeys: number;
  events: number;
  concurrency: number;
  workers: number[];
  /** Seconds the e2e sync phase runs instead of `events` per journey (a soak); 0 = off. */
  durationS: number;
  waitMs: number;
  pacedS: number;
  partitions: number;
  only: Part[];
  updateReadme: boolean;
  latest: boolean | null;
  out: string;
  /** Run engine processes under `node --cpu-prof` and summarise where their CPU went. */
  cpuProf: boolean;
  /** Wait up to this many seconds for the machine to be quiet (< 25% busy over 5 s) before starting. */
  waitQuietS: number;
  /** Re-render a stored result (markdown, charts, README) instead of running. */
  from: string | null;
  /** The engine code to run: a git ref (snapshot with `git archive`), or `worktree`. */
  code: string;
  /** The floor's path: one commit accepting and handling each event (as the engine here), or intake then handling. */
  floorPath: FloorPath;
  /** The two-step floor's intake: shared transactions as the engine's group intake, or one per event; null = default. */
  floorIntake: 'group' | 'single' | null;
  /** Cap each scaling worker process at this many cores (cgroup cpu quota); null = uncapped. */
  workerCpu: number | null;
  /** Scaling: requests in flight per worker (N workers get N × this), so load grows with N; null = `concurrency` for every N. */
  inFlightPerWorker: number | null;
  /** Scaling: seconds of load during which one more worker joins, timed to its first handled event; 0 = off. */
  joinS: number;
  /** The balanced part: combined nodes behind the round-robin load generator (compared with 1 node). */
  balancedNodes: number;
  /** E2e: seconds of the read phase (GET of a journey and a search while the closed-loop writes run); 0 = off. */
  readLoadS: number;
  /** E2e read phase: read requests in flight (closed loop), alternating a journey's GET and a search. */
  readers: number;
  /** E2e: seconds of the seed service level (open loop at `seedRate`); 0 = off. */
  seedLevelS: number;
  /** E2e seed service level: arrivals per second of the Deposit/Withdraw mix. */
  seedRate: number;
  /**
   * Soaks: requests carry extra bytes of mixed sizes up to the API body limit (bench/payload-mix.ts).
   * @defaultValue on with `--duration`, else off
   */
  mixedPayloads: boolean;
}

export const HELP = `Usage: npm run bench -- [options]

  --journeys <n>       wallets opened per system                     (default 1000)
  --events <n>         deposits/withdrawals per wallet, per phase     (default 10)
  --concurrency <n>    requests in flight (closed loop)               (default 64)
  --workers <list>     worker processes for the scaling part          (default 1,2,3)
  --worker-cpu <cores> cap each scaling worker at <cores> with a cgroup cpu quota (root,
                       cgroup v1 cpu or v2 cpu.max); refuses to run where quotas are unavailable
  --in-flight-per-worker <n>  scaling load grows with N: N × <n> requests in flight (default: --concurrency)
  --join <s>           scaling: one more worker joins under <s> s of load; time to its first
                       handled event                                  (default 15; 0 = off)
  --balanced-nodes <n> the balanced part: <n> combined nodes, requests round-robin, vs 1 node (default 3)
  --duration <s>       run the e2e sync phase for <s> seconds instead of --events (a soak;
                       worker RSS sampled throughout)                 (default off)
  --mixed-payloads / --no-mixed-payloads  soak requests carry extra bytes of mixed sizes: 90% under
                       1 KiB, 9% ~16 KiB, 1% near the API body limit (default: on with --duration;
                       needs --duration)
  --paced <s>          seconds of the open-loop phase at half the peak rate (default 15)
  --seed-level <s>     seconds of the seed service level: open loop at --seed-rate (default 10; 0 = off)
  --seed-rate <n>      arrivals per second of the seed service level  (default 120)
  --read-load <s>      seconds of the read phase: GET /journeys/{id} and a search by owner while
                       --concurrency writes run                       (default 10; 0 = off)
  --readers <n>        read requests in flight in the read phase      (default 4)
  --wait <ms>          ?wait= for request→outcome                     (default 10000)
  --partitions <n>     engine partitions                              (default 64)
  --only <list>        parts to run: e2e,floor,scaling,balanced,restate (default all)
  --update-readme      rewrite the README section between the bench markers from this run
  --latest / --no-latest  write bench/results/latest.{json,md} and the charts (default: when all parts ran);
                       --no-latest also leaves latest-soak.{json,md} alone
  --out <dir>          results folder                                 (default bench/results)
  --cpu-prof           run engine processes under node --cpu-prof; summarise their profiles
  --wait-quiet <s>     first wait up to <s> seconds for the machine to be quiet (other tests)
  --from <result.json> re-render a stored result (markdown, charts; README with --update-readme)
  --floor-path <p>     floor path: inline (one commit accepts and handles each event, as the
                       engine does here) or two-step (intake tx, then handling)  (default inline)
  --floor-intake <m>   two-step floor intake: group (shared transactions, as the engine) or single (default group)
  --code <ref>|worktree  engine code to run: a commit snapshot (git archive) or the working tree (default HEAD)

Exit status: 0 when every engine run verified exact, 1 when one did not (or a part failed), 2 on bad usage.`;

type WholeNumberOption =
  | 'journeys'
  | 'events'
  | 'concurrency'
  | 'durationS'
  | 'pacedS'
  | 'waitMs'
  | 'partitions'
  | 'waitQuietS'
  | 'joinS'
  | 'balancedNodes'
  | 'readLoadS'
  | 'readers'
  | 'seedLevelS'
  | 'seedRate';

/** The flags that take one whole number: the option each sets and the least it may be. */
const WHOLE_NUMBER_FLAGS: ReadonlyMap<string, { option: WholeNumberOption; min: number }> = new Map([
  ['--journeys', { option: 'journeys', min: 1 }],
  ['--events', { option: 'events', min: 1 }],
  ['--concurrency', { option: 'concurrency', min: 1 }],
  ['--duration', { option: 'durationS', min: 0 }],
  ['--paced', { option: 'pacedS', min: 0 }],
  ['--wait', { option: 'waitMs', min: 1 }],
  ['--partitions', { option: 'partitions', min: 1 }],
  ['--wait-quiet', { option: 'waitQuietS', min: 0 }],
  ['--join', { option: 'joinS', min: 0 }],
  ['--balanced-nodes', { option: 'balancedNodes', min: 2 }],
  ['--read-load', { option: 'readLoadS', min: 0 }],
  ['--readers', { option: 'readers', min: 1 }],
  ['--seed-level', { option: 'seedLevelS', min: 0 }],
  ['--seed-rate', { option: 'seedRate', min: 1 }],
]);

export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    journeys: 1000,
    events: 10,
    concurrency: 64,
    workers: [1, 2, 3],
    durationS: 0,
    waitMs: 10_000,
    pacedS: 15,
    partitions: 64,
    only: [...PARTS],
    updateReadme: false,
    latest: null,
    out: resolve(ROOT, 'bench/results'),
    cpuProf: false,
    waitQuietS: 0,
    from: null,
    code: 'HEAD',
    floorPath: 'inline',
    floorIntake: null,
    workerCpu: null,
    inFlightPerWorker: null,
    joinS: 15,
    balancedNodes: 3,
    readLoadS: 10,
    readers: 4,
    seedLevelS: 10,
    seedRate: 120,
    mixedPayloads: false,
  };
  let mixedPayloads: boolean | null = null;
  const int = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=', 2) as [string, string | undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    const whole = WHOLE_NUMBER_FLAGS.get(flag);
    if (whole) {
      options[whole.option] = int(flag, value(), whole.min);
      continue;
    }
    switch (flag) {
      case '--workers':
        options.workers = (value() ?? '').split(',').map((w) => int(flag, w, 1));
        break;
      case '--worker-cpu': {
        const cores = Number(value());
        // Below 0.01 core the kernel's 1 ms minimum quota would silently raise it.
        if (!Number.isFinite(cores) || cores < 0.01 || cores > 64) throw new Error('--worker-cpu takes a number of cores from 0.01 to 64, e.g. 0.25');
        options.workerCpu = cores;
        break;
      }
      case '--in-flight-per-worker':
        options.inFlightPerWorker = int(flag, value(), 1);
        break;
      case '--only': {
        const parts = (value() ?? '').split(',');
        for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only takes ${PARTS.join(',')}`);
        options.only = parts as Part[];
        // Restate and the floor take turns with the engine's end-to-end phase: they need it.
        if ((options.only.includes('restate') || options.only.includes('floor')) && !options.only.includes('e2e')) options.only.push('e2e');
        break;
      }
      case '--update-readme':
        options.updateReadme = true;
        break;
      case '--latest':
        options.latest = true;
        break;
      case '--no-latest':
        options.latest = false;
        break;
      case '--floor-intake': {
        const v = value();
        if (v !== 'group' && v !== 'single') throw new Error('--floor-intake takes group or single');
        options.floorIntake = v;
        break;
      }
      case '--floor-path': {
        const v = value();
        if (v !== 'inline' && v !== 'two-step') throw new Error('--floor-path takes inline or two-step');
        options.floorPath = v;
        break;
      }
      case '--code':
        options.code = value() ?? 'HEAD';
        break;
      case '--from':
        options.from = resolve(value() ?? '');
        break;
      case '--mixed-payloads':
        mixedPayloads = true;
        break;
      case '--no-mixed-payloads':
        mixedPayloads = false;
        break;
      case '--cpu-prof':
        options.cpuProf = true;
        break;
      case '--out':
        options.out = resolve(value() ?? '');
        break;
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  // The inline floor has no intake transaction: an intake mode there would be silently ignored.
  if (options.floorIntake !== null && options.floorPath !== 'two-step') throw new Error('--floor-intake needs --floor-path two-step');
  // Mixed payloads would make the short run's comparisons (Restate, the floor) unfair: soaks only.
  if (mixedPayloads === true && options.durationS === 0) throw new Error('--mixed-payloads needs --duration (it shapes a soak)');
  options.mixedPayloads = mixedPayloads ?? options.durationS > 0;
  return options;
}
