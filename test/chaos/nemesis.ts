/**
 * A randomized nemesis (Jepsen's word for the process that breaks things): for a set time it
 * kills, pauses and restarts engine nodes, Redis masters and MariaDB, and cuts Redis cluster-bus
 * links, in an order drawn from one printed seed, so any run can be replayed
 * (`NEMESIS_SEED=<seed>`). Three independent fault streams run side by side, one fault at a time
 * each: engine nodes, the Redis grid, the MariaDB store. Each stream draws its own numbers from
 * its own generator seeded from the run's seed, so the sequence of faults a stream injects (kind,
 * target pick, duration, gap) depends on the seed alone, not on how long the machine took to heal
 * the previous fault; targets are resolved when the fault is injected (e.g. "the second master by
 * port", as the cluster stands then) and printed.
 *
 * Everything the nemesis breaks is private to the test: its own Redis Cluster, its own MariaDB
 * server, its own `journey serve` processes, and iptables rules on the loopback carrying a comment
 * unique to the run, which are removed after each fault, at the end, and by an exit handler.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { ensureError } from '../../common/index.js';
import type { LocalCluster } from '../../grid/index.js';
import type { PrivateMariaDb } from '../support/private-mariadb.js';
import { WorkerProcess } from './harness.js';
import type { WorkerSettings } from './harness.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// ---------------------------------------------------------------------------------------------
// Seeds and random numbers

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed gives the same sequence on every machine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a name: mixes a stream's name into the run's seed so each stream gets its own sequence. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  weighted<T extends { weight: number }>(items: readonly T[]): T {
    const total = items.reduce((sum, item) => sum + item.weight, 0);
    let at = this.next() * total;
    for (const item of items) {
      at -= item.weight;
      if (at < 0) return item;
    }
    return items[items.length - 1] as T;
  }
}

/** The run's seed: `NEMESIS_SEED` when set (a replay), else a fresh one. */
export function nemesisSeed(): { seed: number; replay: boolean } {
  const text = process.env.NEMESIS_SEED?.trim();
  if (text) {
    const seed = Number(text);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`NEMESIS_SEED must be an integer 0..4294967295, got ${text}`);
    return { seed, replay: true };
  }
  return { seed: Math.floor(Math.random() * 0x7fffffff), replay: false };
}

/** How long faults are injected: `NEMESIS_DURATION_MS`, else `fallbackMs`. */
export function nemesisDurationMs(fallbackMs: number): number {
  const text = process.env.NEMESIS_DURATION_MS?.trim();
  if (!text) return fallbackMs;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1_000) throw new Error(`NEMESIS_DURATION_MS must be an integer >= 1000, got ${text}`);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// The printed schedule

/** Prints each step as it happens (seed and time on every line, so a failure can be read from any line) and keeps them. */
export class FaultLog {
  readonly lines: string[] = [];
  /** `performance.now()` when the log began: its lines' `+s` count from here. */
  readonly started = performance.now();

  constructor(
    readonly seed: number,
    private readonly file?: string,
  ) {}

  get elapsedMs(): number {
    return performance.now() - this.started;
  }

  note(text: string): void {
    const line = `[nemesis seed=${this.seed} +${(this.elapsedMs / 1000).toFixed(1)}s] ${text}`;
    this.lines.push(line);
    console.log(line);
    if (this.file) appendFileSync(this.file, `${new Date().toISOString()} ${line}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone meanwhile
  }
}

/** The pid of the mariadbd serving `port` (found by its command line, whoever started it), if any. */
export function mariadbdPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (args[0]?.endsWith('mariadbd') && args.includes(`--port=${port}`)) return Number(entry);
  }
  return undefined;
}

/**
 * A combined `api,worker` node the nemesis breaks; knows whether it runs and whether it was
 * stopped on purpose. Like a supervisor (systemd, Kubernetes), it starts the node again a second
 * after an exit nobody asked for: `journey serve` exits when it cannot reach MariaDB at start,
 * which it cannot while the nemesis has the database down.
 */
export class EngineNode {
  readonly process: WorkerProcess;
  running = true;
  paused = false;
  /** Exits nobody asked for: restarted, and reported at the end. */
  readonly crashes: string[] = [];
  private expectExit = false;
  private stopped = false;

  constructor(
    readonly nodeId: string,
    readonly url: string,
    settings: WorkerSettings,
    env: Record<string, string>,
    logFile: string,
    private readonly log: FaultLog,
  ) {
    this.process = new WorkerProcess(nodeId, settings, env, { logFile });
    this.watch();
  }

  private watch(): void {
    const pid = this.process.pid;
    void this.process.exited.then((code) => {
      if (this.process.pid !== pid) return; // an older incarnation
      this.running = false;
      this.paused = false;
      if (this.expectExit || this.stopped) return;
      // The reason: this incarnation's last lines (the in-memory log spans restarts), JSON ones
      // by their pid, and anything not JSON (a stack trace on stderr).
      const reason = this.process.log
        .trim()
        .split('\n')
        .filter((line) => line.includes(`"pid":${pid},`) || !line.startsWith('{'))
        .slice(-3)
        .map((line) => line.slice(0, 400))
        .join(' | ');
      this.crashes.push(`${this.nodeId} (pid ${pid}) exited by itself with code ${code} at +${(this.log.elapsedMs / 1000).toFixed(1)}s`);
      this.log.note(`!! ${this.nodeId} (pid ${pid}) exited by itself with code ${code}, starting it again in 1 s; its last lines: ${reason || '(none)'}`);
      setTimeout(() => {
        if (this.running || this.stopped) return;
        this.start();
        this.log.note(`   ${this.nodeId} started again after its exit (pid ${this.process.pid})`);
      }, 1_000).unref();
    });
  }

  /** The process answers /health: it has started (store and grid reached) and serves HTTP. */
  async serving(): Promise<boolean> {
    if (!this.running || this.paused) return false;
    const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    return response?.status === 200;
  }

  /** For the load's messages. */
  get name(): string {
    return this.nodeId;
  }

  /** Starts the node again unless it runs. */
  start(): void {
    if (this.running) return;
    this.expectExit = false;
    this.process.restart();
    this.running = true;
    this.paused = false;
    this.watch();
  }

  async kill(): Promise<void> {
    this.expectExit = true;
    this.process.signal('SIGKILL');
    await this.process.exited;
  }

  pause(): void {
    this.process.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.process.signal('SIGCONT');
    this.paused = false;
  }

  /** SIGTERM (a graceful stop: leases handed back), SIGKILL if it has not exited after `timeoutMs`. */
  async terminate(timeoutMs: number): Promise<void> {
    this.expectExit = true;
    this.resume();
    this.process.signal('SIGTERM');
    const timer = setTimeout(() => this.process.signal('SIGKILL'), timeoutMs);
    await this.process.exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.process.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster-bus cuts (iptables on the loopback)

/** Whether iptables can add rules here; `why` says what is missing when it cannot. */
export function probeIptables(): { usable: true } | { usable: false; why: string } {
  if (process.platform !== 'linux') return { usable: false, why: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { usable: false, why: 'not running as root' };
  try {
    execFileSync('iptables', ['-w', '10', '-S', 'INPUT'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    return { usable: true };
  } catch (error) {
    const wrapped = ensureError(error) as NodeJS.ErrnoException & { stderr?: Buffer };
    if (wrapped.code === 'ENOENT') return { usable: false, why: 'the iptables command is not installed' };
    return { usable: false, why: `iptables -S INPUT failed: ${String(wrapped.stderr ?? wrapped.message).trim()}` };
  }
}

/** Comment of every rule a nemesis run adds: its seed, and its pid so a later run can reap rules of a dead one. */
const COMMENT = /^je-nemesis-\d+-(\d+)$/;

function listRules(): string[] {
  return execFileSync('iptables', ['-w', '10', '-S', 'INPUT'], { encoding: 'utf8', timeout: 15_000 }).split('\n');
}

function commentOf(rule: string): string | undefined {
  return /--comment "?([^\s"]+)"?/.exec(rule)?.[1];
}

function deleteRuleSync(rule: string): void {
  // `iptables -S` prints rules as the `-A` commands that made them; our arguments hold no spaces.
  const args = rule
    .trim()
    .split(/\s+/)
    .map((arg) => arg.replace(/^"|"$/g, ''));
  args[0] = '-D';
  execFileSync('iptables', ['-w', '10', ...args], { stdio: 'ignore', timeout: 15_000 });
}

/**
 * Adds and removes DROP rules for cluster-bus traffic on the loopback. Every rule carries the
 * run's comment; {@link healAll} removes exactly those, and so does an exit handler (and the
 * signal handlers: SIGINT/SIGTERM would otherwise end the process without it). Rules of earlier
 * runs whose process is gone (SIGKILLed) are removed when the next one starts.
 */
export class BusCutter {
  readonly comment: string;
  private readonly onExit = (): void => {
    this.healAllSync();
  };
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.healAllSync();
    this.dispose();
    process.kill(process.pid, signal); // the default action, now that our handler is gone
  };

  constructor(seed: number) {
    this.comment = `je-nemesis-${seed}-${process.pid}`;
    BusCutter.reapStale();
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Removes rules left by nemesis runs whose process no longer exists. */
  static reapStale(): void {
    for (const rule of listRules()) {
      const pid = COMMENT.exec(commentOf(rule) ?? '')?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid))) deleteRuleSync(rule);
    }
  }

  private spec(match: string[]): string[] {
    return ['INPUT', '-i', 'lo', '-p', 'tcp', ...match, '-m', 'comment', '--comment', this.comment, '-j', 'DROP'];
  }

  private async add(specs: string[][]): Promise<void> {
    for (const spec of specs) await run('iptables', ['-w', '10', '-I', ...spec], { timeout: 15_000 });
  }

  /** Removes the given rules (those of one fault). */
  async remove(specs: string[][]): Promise<void> {
    for (const spec of specs) await run('iptables', ['-w', '10', '-D', ...spec], { timeout: 15_000 }).catch(() => undefined); // already gone
  }

  /**
   * Cuts one node off the cluster bus, both ways. Dropping its bus port stops the links others
   * opened to it, but Redis also counts what a node hears on the links the *other* node opened
   * (its PINGs refresh `data_received`), so on its own that cut changes nothing: the node's own
   * outgoing links (from ephemeral ports, found through /proc) are dropped too, and while the cut
   * lasts no new bus connection is let through anywhere, so it cannot simply reconnect.
   */
  async isolate(pid: number, port: number, allPorts: readonly number[]): Promise<string[][]> {
    const busPorts = allPorts.map((p) => p + 10_000);
    const specs = busPorts.map((bus) => this.spec(['--syn', '--dport', String(bus)]));
    specs.push(this.spec(['--dport', String(port + 10_000)]), this.spec(['--sport', String(port + 10_000)]));
    await this.add(specs);
    const outgoing = outgoingPorts(pid, new Set(busPorts));
    const more = outgoing.flatMap((local) => [this.spec(['--sport', String(local)]), this.spec(['--dport', String(local)])]);
    await this.add(more);
    return [...specs, ...more];
  }

  /** Cuts every bus link of the cluster: no node hears another, so each one declares the cluster failed. */
  async blackout(allPorts: readonly number[]): Promise<string[][]> {
    const specs = allPorts.flatMap((port) => [this.spec(['--dport', String(port + 10_000)]), this.spec(['--sport', String(port + 10_000)])]);
    await this.add(specs);
    return specs;
  }

  /** Removes every rule of this run (synchronous: also used from the exit handler). Returns how many. */
  healAllSync(): number {
    let removed = 0;
    try {
      for (const rule of listRules()) {
        if (commentOf(rule) !== this.comment) continue;
        deleteRuleSync(rule);
        removed += 1;
      }
    } catch (error) {
      console.error(`nemesis: could not remove iptables rules ${this.comment}: ${ensureError(error).message}`);
    }
    return removed;
  }

  /** Rules of this run still in place (should be none after healing). */
  remaining(): number {
    return listRules().filter((rule) => commentOf(rule) === this.comment).length;
  }

  dispose(): void {
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/** Local ports of `pid`'s TCP connections to any of `remotePorts` (its outgoing cluster-bus links). */
function outgoingPorts(pid: number, remotePorts: Set<number>): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [, local, remote, , , , , , , inode] = fields;
    if (!local || !remote || !inode || !inodes.has(inode)) continue;
    const localPort = parseInt(local.split(':')[1] ?? '', 16);
    const remotePort = parseInt(remote.split(':')[1] ?? '', 16);
    if (remotePorts.has(remotePort)) ports.push(localPort);
  }
  return ports;
}

// ---------------------------------------------------------------------------------------------
// Fault streams

interface FaultKind {
  name: string;
  weight: number;
  /** How long the fault lasts before it is healed, in ms: [min, max]. */
  durationMs: [number, number];
}

/** An injected fault: what to print, and how to undo it. */
interface Injected {
  target: string;
  heal(): Promise<string>;
}

interface FaultStream {
  name: string;
  /** Quiet time before each fault, in ms: [min, max]. */
  gapMs: [number, number];
  kinds: FaultKind[];
  /**
   * Injects `kind` on the target `pick` (in [0, 1)) selects, or says why it cannot now (printed as
   * skipped). Waits for its preconditions until `endsAt` (a `performance.now()` time) at the latest.
   */
  inject(kind: FaultKind, pick: number, endsAt: number): Promise<Injected | { skipped: string }>;
}

export interface NemesisTargets {
  nodes: EngineNode[];
  cluster: LocalCluster;
  mariadb: PrivateMariaDb;
  /** null when iptables is not usable: bus cuts are then left out of the grid stream. */
  cutter: BusCutter | null;
}

export interface NemesisReport {
  injected: Record<string, number>;
  skipped: number;
  /** Failures of the nemesis itself (a restart that did not come up, say): printed, then healed at the end. */
  errors: string[];
}

/** Longest wait for every engine node to serve before the next engine fault. */
const NODE_START_WAIT_MS = 120_000;

async function everyNodeServes(nodes: readonly EngineNode[]): Promise<boolean> {
  return (await Promise.all(nodes.map((node) => node.serving()))).every(Boolean);
}

/** Polls `check` until it holds; how long that took, or null after `timeoutMs`. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await sleep(250);
  }
  return null;
}

const pickOf = <T>(items: readonly T[], pick: number): T => items[Math.min(items.length - 1, Math.floor(pick * items.length))] as T;

function engineStream(targets: NemesisTargets, log: FaultLog): FaultStream {
  return {
    name: 'engine',
    gapMs: [2_000, 8_000],
    kinds: [
      { name: 'node-kill', weight: 4, durationMs: [500, 6_000] },
      // Below and above the 2 s lease: short pauses end before a takeover, long ones are fenced.
      { name: 'node-pause', weight: 4, durationMs: [500, 8_000] },
      { name: 'node-restart', weight: 2, durationMs: [0, 0] },
    ],
    async inject(kind, pick, endsAt) {
      const node = pickOf(targets.nodes, pick);
      // Only while the other nodes serve, so two still do after the fault: a node takes from
      // seconds to a minute to start on a busy machine, and faults every few seconds would
      // otherwise keep all three down at once for minutes (seen: seed 957981818), an outage no
      // client retry outlasts. The target itself may still be starting: a kill mid-recovery.
      const others = targets.nodes.filter((other) => other !== node);
      const waited = await waitUntil(() => everyNodeServes(others), Math.min(NODE_START_WAIT_MS, endsAt - performance.now()));
      if (waited === null) return { skipped: `${others.map((other) => other.nodeId).join(' and ')} do not both serve yet` };
      if (waited > 2_000) log.note(`   engine stream waited ${Math.round(waited)} ms for ${others.map((other) => other.nodeId).join(' and ')} to serve`);
      if (!node.running) return { skipped: `${node.nodeId} exited by itself and is about to be started again` };
      switch (kind.name) {
        case 'node-kill':
          await node.kill();
          return {
            target: `${node.nodeId} SIGKILL`,
            heal: () => {
              node.start();
              return Promise.resolve(`${node.nodeId} started again (pid ${node.process.pid})`);
            },
          };
        case 'node-pause':
          node.pause();
          return {
            target: `${node.nodeId} SIGSTOP`,
            heal: () => {
              node.resume();
              return Promise.resolve(`${node.nodeId} SIGCONT`);
            },
          };
        default: {
          const started = performance.now();
          await node.terminate(15_000);
          const stopped = Math.round(performance.now() - started);
          node.start();
          log.note(`   ${node.nodeId} stopped gracefully in ${stopped} ms and started again (pid ${node.process.pid})`);
          return { target: `${node.nodeId} SIGTERM + start`, heal: () => Promise.resolve(`${node.nodeId} restarted`) };
        }
      }
    },
  };
}

function gridStream(targets: NemesisTargets): FaultStream {
  const { cluster, cutter } = targets;
  const kinds: FaultKind[] = [
    { name: 'redis-kill', weight: 3, durationMs: [1_000, 8_000] },
    { name: 'redis-pause', weight: 3, durationMs: [500, 8_000] },
  ];
  if (cutter) kinds.push({ name: 'bus-isolate', weight: 3, durationMs: [1_000, 8_000] }, { name: 'bus-blackout', weight: 1, durationMs: [1_000, 6_000] });
  return {
    name: 'grid',
    gapMs: [2_000, 10_000],
    kinds,
    async inject(kind, pick, endsAt) {
      // One broken shard at a time, and only on a healthy cluster: killing a freshly promoted
      // replica before its old master has come back and resynced would leave slots without a
      // master for good (no failover has anything to promote), which no real operator allows.
      try {
        await cluster.waitForHealthy(Math.max(1, Math.round(Math.min(30_000, endsAt - performance.now()))));
      } catch (error) {
        return { skipped: `the cluster is not healthy: ${ensureError(error).message}` };
      }
      const topology = await cluster.topology();
      const masters = topology
        .filter((node) => node.role === 'master' && !node.failing)
        .map((node) => node.port)
        .sort((a, b) => a - b);
      switch (kind.name) {
        case 'redis-kill': {
          const port = pickOf(masters, pick);
          await cluster.killNode(port, 'SIGKILL');
          return {
            target: `master ${port} SIGKILL`,
            heal: async () => `${port} started again (pid ${await cluster.restartNode(port)})`,
          };
        }
        case 'redis-pause': {
          const port = pickOf(masters, pick);
          await cluster.killNode(port, 'SIGSTOP');
          return {
            target: `master ${port} SIGSTOP`,
            heal: async () => {
              await cluster.killNode(port, 'SIGCONT');
              return `${port} SIGCONT`;
            },
          };
        }
        case 'bus-isolate': {
          const ports = [...cluster.ports].sort((a, b) => a - b);
          const port = pickOf(ports, pick);
          const pid = cluster.pidOf(port);
          if (pid === undefined || !cutter) return { skipped: `node ${port} is not running` };
          const role = topology.find((node) => node.port === port)?.role ?? 'unknown';
          const rules = await cutter.isolate(pid, port, ports);
          return {
            target: `${role} ${port} cut off the cluster bus (${rules.length} rules)`,
            heal: async () => {
              await cutter.remove(rules);
              return `${port} back on the bus`;
            },
          };
        }
        default: {
          if (!cutter) return { skipped: 'iptables is not usable' };
          const rules = await cutter.blackout(cluster.ports);
          return {
            target: `every bus link cut (${rules.length} rules)`,
            heal: async () => {
              await cutter.remove(rules);
              return 'bus links back';
            },
          };
        }
      }
    },
  };
}

function storeStream(targets: NemesisTargets): FaultStream {
  const { mariadb } = targets;
  return {
    name: 'store',
    // Every store fault stalls every node: fewer of them, with time to catch up in between.
    gapMs: [4_000, 15_000],
    kinds: [
      { name: 'db-kill', weight: 1, durationMs: [500, 5_000] },
      { name: 'db-pause', weight: 1, durationMs: [500, 6_000] },
    ],
    async inject(kind) {
      if (kind.name === 'db-kill') {
        await mariadb.kill();
        return {
          target: `mariadbd :${mariadb.port} SIGKILL`,
          heal: async () => {
            const started = performance.now();
            await mariadb.boot(120_000);
            return `mariadbd started again, answering after ${Math.round(performance.now() - started)} ms of crash recovery`;
          },
        };
      }
      const pid = mariadbdPid(mariadb.port);
      if (pid === undefined) return { skipped: `no mariadbd serves port ${mariadb.port}` };
      signalPid(pid, 'SIGSTOP');
      return {
        target: `mariadbd :${mariadb.port} (pid ${pid}) SIGSTOP`,
        heal: () => {
          signalPid(pid, 'SIGCONT');
          return Promise.resolve(`mariadbd (pid ${pid}) SIGCONT`);
        },
      };
    },
  };
}

async function runStream(stream: FaultStream, seed: number, endsAt: number, log: FaultLog, report: NemesisReport): Promise<void> {
  const rng = new Rng((seed ^ fnv1a(stream.name)) >>> 0);
  // The first fault comes after the load has warmed up.
  let gap = rng.between(3_000, 6_000);
  for (let n = 1; ; n++) {
    // Drawn before anything happens, so the sequence depends on the seed alone.
    const kind = rng.weighted(stream.kinds);
    const pick = rng.float();
    const durationMs = rng.between(...kind.durationMs);
    const nextGap = rng.between(...stream.gapMs);
    await sleep(Math.min(gap, endsAt - performance.now()));
    if (performance.now() >= endsAt) return;
    const label = `${stream.name} #${n} ${kind.name}`;
    let injected: Injected | { skipped: string };
    try {
      injected = await stream.inject(kind, pick, endsAt);
    } catch (error) {
      report.errors.push(`${label}: inject failed: ${ensureError(error).message}`);
      log.note(`${label}: INJECT FAILED: ${ensureError(error).message}`);
      gap = nextGap;
      continue;
    }
    if ('skipped' in injected) {
      report.skipped += 1;
      log.note(`${label} skipped: ${injected.skipped}`);
    } else {
      report.injected[kind.name] = (report.injected[kind.name] ?? 0) + 1;
      // A fault lasts as drawn even past the end (by at most one duration), so a replay's last
      // fault is the same fault.
      log.note(`${label} -> ${injected.target}${durationMs > 0 ? `, healed after ${durationMs} ms` : ''}`);
      await sleep(durationMs);
      try {
        log.note(`${label} healed: ${await injected.heal()}`);
      } catch (error) {
        report.errors.push(`${label}: heal failed: ${ensureError(error).message}`);
        log.note(`${label}: HEAL FAILED (healed again at the end): ${ensureError(error).message}`);
      }
    }
    gap = nextGap;
  }
}

/** The stream names and fault kinds a run will draw from (printed with the seed). */
export function describeStreams(targets: NemesisTargets, log: FaultLog): string {
  return [engineStream(targets, log), gridStream(targets), storeStream(targets)].map((s) => `${s.name}: ${s.kinds.map((k) => k.name).join('/')}`).join('; ');
}

/** Runs the three fault streams for `durationMs` (no fault starts later); each heals its own fault before returning. */
export async function runNemesis(targets: NemesisTargets, seed: number, durationMs: number, log: FaultLog): Promise<NemesisReport> {
  const report: NemesisReport = { injected: {}, skipped: 0, errors: [] };
  const endsAt = performance.now() + durationMs;
  await Promise.all([engineStream(targets, log), gridStream(targets), storeStream(targets)].map((stream) => runStream(stream, seed, endsAt, log, report)));
  return report;
}

/**
 * Puts everything back, whatever state the streams left it in (also after a failed heal): bus
 * rules removed, every Redis node and MariaDB running and continued, every engine node running
 * and continued. Returns what it had to do.
 */
export async function healEverything(targets: NemesisTargets, log: FaultLog): Promise<string[]> {
  const done: string[] = [];
  const removed = targets.cutter?.healAllSync() ?? 0;
  if (removed > 0) done.push(`${removed} iptables rules removed`);
  for (const port of targets.cluster.ports) {
    const pid = targets.cluster.pidOf(port);
    if (pid === undefined) {
      await targets.cluster.restartNode(port, 60_000);
      done.push(`redis ${port} restarted`);
    } else {
      signalPid(pid, 'SIGCONT');
    }
  }
  const mariadb = mariadbdPid(targets.mariadb.port);
  if (mariadb === undefined) {
    await targets.mariadb.boot(120_000);
    done.push('mariadbd booted');
  } else {
    signalPid(mariadb, 'SIGCONT');
  }
  for (const node of targets.nodes) {
    if (node.paused) {
      node.resume();
      done.push(`${node.nodeId} continued`);
    }
    if (!node.running) {
      node.start();
      done.push(`${node.nodeId} started`);
    }
  }
  log.note(`heal everything: ${done.length === 0 ? 'nothing left to heal' : done.join(', ')}`);
  return done;
}
