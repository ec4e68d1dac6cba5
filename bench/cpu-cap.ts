/**
 * `--worker-cpu <cores>`: caps each worker process's CPU with a cgroup quota, so scaling runs show
 * what N workers of a fixed size do rather than N processes fighting over the same shared cores.
 *
 * One child cgroup per process under a parent the bench owns (`journey-bench-<run>`): cgroup v1's
 * `cpu` controller (`cpu.cfs_quota_us` / `cpu.cfs_period_us`) or cgroup v2's `cpu.max`, with the
 * controller enabled in the parent's `cgroup.subtree_control`. Where quotas cannot be set (no
 * controller, not root, a read-only mount) {@link CpuCaps.open} throws {@link CpuCapUnavailable}
 * naming what is missing: the bench never runs "capped" workers uncapped.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** The CFS period the quota is a share of (the kernel's default). */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas below 1 ms per period. */
const MIN_QUOTA_US = 1_000;

/** Where a cpu quota can be set: the v1 `cpu` hierarchy, or a v2 (unified) hierarchy with the `cpu` controller. */
export type CgroupLayout = { version: 1; dir: string } | { version: 2; dir: string };

/** Quotas cannot be set here; `missing` names what is missing. */
export class CpuCapUnavailable extends Error {
  readonly code = 'BENCH_CPU_CAP_UNAVAILABLE';
  override name = 'CpuCapUnavailable';
  constructor(
    readonly missing: string,
    options?: { cause?: unknown },
  ) {
    super(refusalMessage(missing), options);
  }
}

/** The refusal: what is missing, and that the bench did not run uncapped instead. */
export function refusalMessage(missing: string): string {
  return `--worker-cpu needs cgroup cpu quotas, but ${missing}; not running workers uncapped (drop --worker-cpu, or run as root where /sys/fs/cgroup is writable)`;
}

/** `cores` (e.g. 0.25) as a CFS quota per period, at least the kernel's 1 ms. */
export function quotaFor(cores: number, periodUs = CFS_PERIOD_US): { quotaUs: number; periodUs: number } {
  if (!(cores > 0) || !Number.isFinite(cores)) throw new Error(`a CPU cap must be a positive number of cores, not ${cores}`);
  return { quotaUs: Math.max(MIN_QUOTA_US, Math.round(cores * periodUs)), periodUs };
}

/** The files a cap writes, relative to its cgroup, and their contents. */
export function quotaFiles(version: 1 | 2, cores: number): Array<[file: string, content: string]> {
  const { quotaUs, periodUs } = quotaFor(cores);
  // v1: the period first, so the quota is never read against another period.
  return version === 1
    ? [
        ['cpu.cfs_period_us', String(periodUs)],
        ['cpu.cfs_quota_us', String(quotaUs)],
      ]
    : [['cpu.max', `${quotaUs} ${periodUs}`]];
}

/** A child cgroup's path: `<layout dir>/<parent>/<name>`, names restricted so nothing escapes the parent. */
export function cgroupPath(layout: CgroupLayout, parent: string, name?: string): string {
  for (const part of [parent, name ?? 'x']) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(part)) throw new Error(`refusing cgroup name ${JSON.stringify(part)}`);
  }
  return name === undefined ? join(layout.dir, parent) : join(layout.dir, parent, name);
}

/**
 * Finds where cpu quotas live under `root`: the v1 `cpu` hierarchy (`<root>/cpu`), else a v2
 * hierarchy at `root` or at `<root>/unified` whose `cgroup.controllers` lists `cpu`. Throws
 * {@link CpuCapUnavailable} naming what is missing (also when `uid` is not root).
 */
export function detectLayout(root = CGROUP_ROOT, uid = process.getuid?.() ?? -1): CgroupLayout {
  if (uid !== 0) throw new CpuCapUnavailable(`the bench runs as uid ${uid}, not root (only root may create cgroups)`);
  if (existsSync(join(root, 'cpu', 'cpu.cfs_quota_us'))) return { version: 1, dir: join(root, 'cpu') };
  const seen: string[] = [];
  for (const dir of [root, join(root, 'unified')]) {
    const file = join(dir, 'cgroup.controllers');
    if (!existsSync(file)) continue;
    const controllers = readFileSync(file, 'utf8').trim().split(/\s+/);
    if (controllers.includes('cpu')) return { version: 2, dir };
    seen.push(`${file} lists "${controllers.join(' ')}"`);
  }
  throw new CpuCapUnavailable(
    seen.length > 0
      ? `no cgroup v2 hierarchy offers the cpu controller (${seen.join('; ')}) and there is no cgroup v1 cpu controller (${join(root, 'cpu', 'cpu.cfs_quota_us')})`
      : `no cgroup cpu controller is mounted under ${root} (neither ${join(root, 'cpu', 'cpu.cfs_quota_us')} nor a cgroup.controllers listing cpu)`,
  );
}

function write(path: string, content: string): void {
  try {
    writeFileSync(path, content);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new CpuCapUnavailable(`${path} cannot be written (${code || String(error)}${code === 'EROFS' ? ': the cgroup mount is read-only' : ''})`, {
      cause: error,
    });
  }
}

/** The bench's cgroups for one run: a parent, one capped child per process; removed by {@link close}. */
export class CpuCaps {
  private readonly children = new Map<string, string>();
  private closed = false;

  private constructor(
    readonly layout: CgroupLayout,
    readonly cores: number,
    private readonly parentDir: string,
  ) {}

  /** Creates the parent cgroup `name` (enabling the v2 cpu controller for its children); throws {@link CpuCapUnavailable}. */
  static open(cores: number, name: string, root = CGROUP_ROOT, uid?: number): CpuCaps {
    quotaFor(cores); // a bad value fails before anything is created
    const layout = detectLayout(root, uid);
    const parentDir = cgroupPath(layout, name);
    if (layout.version === 2) write(join(layout.dir, 'cgroup.subtree_control'), '+cpu');
    try {
      mkdirSync(parentDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new CpuCapUnavailable(`${parentDir} cannot be created (${code ?? String(error)})`, { cause: error });
    }
    if (layout.version === 2) write(join(parentDir, 'cgroup.subtree_control'), '+cpu');
    return new CpuCaps(layout, cores, parentDir);
  }

  /** Moves `pid` into a child cgroup `name` capped at this run's cores. */
  cap(pid: number, name: string): string {
    const dir = cgroupPath(this.layout, this.parentDir.slice(this.layout.dir.length + 1), name);
    if (!this.children.has(name)) {
      mkdirSync(dir, { recursive: true });
      for (const [file, content] of quotaFiles(this.layout.version, this.cores)) write(join(dir, file), content);
      this.children.set(name, dir);
    }
    write(join(dir, 'cgroup.procs'), String(pid));
    return dir;
  }

  /** From the child's `cpu.stat`: CFS periods and how many of them hit the cap (the cap is what limited it). */
  throttled(name: string): { periods: number; throttled: number } | null {
    const dir = this.children.get(name);
    if (!dir) return null;
    try {
      const stat = Object.fromEntries(
        readFileSync(join(dir, 'cpu.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' ') as [string, string]),
      );
      return { periods: Number(stat.nr_periods ?? 0), throttled: Number(stat.nr_throttled ?? 0) };
    } catch {
      return null;
    }
  }

  /** Moves any process still inside back to the root cgroup and removes the children and the parent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const dir of [...this.children.values(), this.parentDir]) {
      try {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          writeFileSync(join(this.layout.dir, 'cgroup.procs'), pid);
        }
        rmdirSync(dir);
      } catch (error) {
        console.error(`could not remove cgroup ${dir}: ${String(error)}`);
      }
    }
    this.children.clear();
  }
}
