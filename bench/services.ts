/**
 * What the benchmark starts and stops: its own MariaDB databases, a local Redis Cluster on free
 * ports, `journey serve` processes, and the Restate server with the peer wallet service. Every
 * process is remembered by PID and stopped by that PID (SIGTERM, then SIGKILL after a grace).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import mariadb from 'mariadb';
import type { Connection } from 'mariadb';
import { findFreePortBase, isPortFree, startLocalCluster } from '../grid/index.js';
import type { LocalCluster } from '../grid/index.js';
import { API_BODY_LIMIT_BYTES } from './payload-mix.js';

export const ROOT = resolve(import.meta.dirname, '..');

/** Cleanups run in reverse order on exit, on failure and on SIGINT/SIGTERM. */
export class Cleanups {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = [];
  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }
  /** Runs and forgets the named step now (e.g. stop a process before the next phase). */
  async runNamed(name: string): Promise<void> {
    const index = this.steps.findIndex((s) => s.name === name);
    if (index < 0) return;
    const [step] = this.steps.splice(index, 1);
    await step?.run().catch((error: unknown) => console.error(`cleanup ${name} failed: ${String(error)}`));
  }
  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      if (!step) break;
      await step.run().catch((error: unknown) => console.error(`cleanup ${step.name} failed: ${String(error)}`));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MariaDB

export interface DatabaseServer {
  host: string;
  port: number;
  user: string;
}

export const LOCAL_MARIADB: DatabaseServer = { host: '127.0.0.1', port: 3306, user: 'root' };

export function databaseUrl(server: DatabaseServer, database: string): string {
  return `mariadb://${server.user}@${server.host}:${server.port}/${database}`;
}

async function admin<T>(server: DatabaseServer, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await mariadb.createConnection({ host: server.host, port: server.port, user: server.user, connectTimeout: 5000 });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

/** Creates an empty database of the benchmark's own (`je_bench_<run>_<suffix>`). */
export async function createDatabase(server: DatabaseServer, name: string, cleanups: Cleanups): Promise<string> {
  if (!/^je_bench_[a-z0-9_]{1,50}$/.test(name)) throw new Error(`refusing database name ${name}`);
  await admin(server, (conn) => conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`));
  cleanups.add(`drop ${name}`, () => admin(server, (conn) => conn.query(`DROP DATABASE IF EXISTS ${name}`)));
  return databaseUrl(server, name);
}

export async function queryDatabase<T>(server: DatabaseServer, database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await mariadb.createConnection({ host: server.host, port: server.port, user: server.user, database, connectTimeout: 5000 });
  try {
    return await conn.query<T[]>({ sql, bigIntAsNumber: true, decimalAsNumber: true }, params);
  } finally {
    await conn.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

/** A 3-master/3-replica local Redis Cluster on free ports, in a folder of this run. */
export async function startGrid(dir: string, cleanups: Cleanups): Promise<LocalCluster> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const portBase = await findFreePortBase({ count: 6, cluster: true });
    try {
      const cluster = await startLocalCluster({ dir, portBase });
      cleanups.add('redis cluster', () => cluster.stop());
      return cluster;
    } catch (error) {
      lastError = error; // a port taken between the check and the bind: try another range
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await findFreePortBase({ count: 1, cluster: false });
    if (await isPortFree(port)) return port;
  }
  throw new Error('no free port');
}

// ---------------------------------------------------------------------------------------------
// The code under test

/**
 * Extracts `ref` (a commit) into `dir` with `git archive` — no change to the repository — and links
 * the checkout's node_modules, so engine processes run exactly that commit even while others edit
 * the working tree. Returns the resolved commit.
 */
export function snapshotCode(ref: string, dir: string): string {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive --format=tar ${commit} | tar -x -C "$1"`, 'sh', dir], { cwd: ROOT });
  symlinkSync(resolve(ROOT, 'node_modules'), resolve(dir, 'node_modules'), 'dir');
  return commit;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A child process we started; stopped by its PID only. */
export class Proc {
  readonly exited: Promise<number | null>;
  private output = '';
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-100_000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  /** Resident set size in MiB from /proc, or null when the process is gone. */
  rssMiB(): number | null {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+) kB/.exec(status);
      return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
    } catch {
      return null;
    }
  }

  /** CPU time (user + system) in seconds from /proc, or null when the process is gone. */
  cpuSeconds(): number | null {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (100 Hz)
    } catch {
      return null;
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.alive) this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Polls `check` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}

export interface EngineNodeSettings {
  mariadbUrl: string;
  seeds: readonly string[];
  keyPrefix: string;
  roles: 'api' | 'worker' | 'api,worker';
  nodeId: string;
  port?: number;
  partitions: number;
  logLevel: string;
  /** Extra node flags, e.g. `--cpu-prof --cpu-prof-dir=…`. */
  nodeArgs?: string[];
  /** The checkout to run (a snapshot of a commit, or the working tree). @defaultValue ROOT */
  codeDir?: string;
}

/** Starts `journey serve` (through tsx, as `npm run journey` does). */
export function startEngineNode(settings: EngineNodeSettings, cleanups: Cleanups): Proc {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: settings.seeds.join(','),
    MARIADB_URL: settings.mariadbUrl,
    ROLES: settings.roles,
    NODE_ID: settings.nodeId,
    PARTITIONS: String(settings.partitions),
    GRID_KEY_PREFIX: settings.keyPrefix,
    LOG_LEVEL: settings.logLevel,
    AUTH_MODE: 'dev',
    PORT: String(settings.port ?? 0),
    // Set, not inherited: the mixed-payload soak sizes its largest requests just under this limit.
    BODY_LIMIT_BYTES: String(API_BODY_LIMIT_BYTES),
  };
  const proc = new Proc(settings.nodeId, process.execPath, [...(settings.nodeArgs ?? []), '--import', 'tsx', 'cli/main.ts', 'serve'], {
    cwd: settings.codeDir ?? ROOT,
    env,
  });
  cleanups.add(`node ${settings.nodeId}`, () => proc.stop());
  return proc;
}

/** Waits until `GET /ready` answers ready (an API node). */
export async function waitReady(port: number, proc: Proc, timeoutMs = 90_000): Promise<void> {
  await waitUntil(
    `${proc.name} to be ready`,
    async () => {
      if (!proc.alive) throw new Error(`${proc.name} exited:\n${proc.log.slice(-3000)}`);
      const response = await fetch(`http://127.0.0.1:${port}/ready`);
      return response.status === 200;
    },
    timeoutMs,
    250,
  );
}

/** Samples the RSS and CPU of processes every `everyMs` while running. */
export class ResourceSampler {
  readonly samples: Array<{ atMs: number; phase: string; name: string; rssMiB: number; cpuS: number }> = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly procs = new Map<string, Proc>();
  phase = '';

  constructor(
    private readonly epoch: number,
    private readonly everyMs = 2000,
  ) {}

  watch(proc: Proc): void {
    this.procs.set(proc.name, proc);
    this.sample();
  }

  unwatch(proc: Proc): void {
    this.sample();
    this.procs.delete(proc.name);
  }

  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.everyMs);
  }

  sample(): void {
    const atMs = Math.round(performance.now() - this.epoch);
    for (const [name, proc] of this.procs) {
      const rssMiB = proc.rssMiB();
      const cpuS = proc.cpuSeconds();
      if (rssMiB !== null && cpuS !== null) this.samples.push({ atMs, phase: this.phase, name, rssMiB, cpuS });
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: where the machine's cores went during a phase

function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

function pidCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** PIDs of a named program (e.g. the shared `mariadbd`), read from /proc; read-only. */
export function pidsOf(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface CpuReport {
  elapsedS: number;
  /** Machine-wide busy share of all cores, 0..1. */
  machineBusy: number;
  /** Cores used per group (1.0 = one core fully busy). */
  cores: Record<string, number>;
  /** Cores used by processes not in any group (other engineers' work, the OS). */
  otherCores: number;
}

/** Snapshots CPU use of process groups, so a phase can say which process ate the cores. */
export class CpuMeter {
  private start: { at: number; machine: { busy: number; total: number }; groups: Map<string, number> } | null = null;
  constructor(private readonly groups: () => Map<string, number[]>) {}

  private read(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, pids] of this.groups()) {
      let sum = 0;
      for (const pid of pids) sum += pidCpuSeconds(pid) ?? 0;
      out.set(name, sum);
    }
    return out;
  }

  begin(): void {
    this.start = { at: performance.now(), machine: machineJiffies(), groups: this.read() };
  }

  end(): CpuReport {
    const start = this.start ?? { at: performance.now(), machine: machineJiffies(), groups: this.read() };
    const elapsedS = (performance.now() - start.at) / 1000;
    const machine = machineJiffies();
    const cores: Record<string, number> = {};
    let ours = 0;
    for (const [name, seconds] of this.read()) {
      const used = Math.max(0, seconds - (start.groups.get(name) ?? seconds));
      cores[name] = elapsedS > 0 ? Math.round((used / elapsedS) * 100) / 100 : 0;
      ours += used;
    }
    const busyS = (machine.busy - start.machine.busy) / 100;
    const totalS = (machine.total - start.machine.total) / 100;
    return {
      elapsedS: Math.round(elapsedS * 10) / 10,
      machineBusy: totalS > 0 ? Math.round((busyS / totalS) * 100) / 100 : 0,
      cores,
      otherCores: elapsedS > 0 ? Math.max(0, Math.round(((busyS - ours) / elapsedS) * 100) / 100) : 0,
    };
  }
}
