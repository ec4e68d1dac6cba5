/**
 * A private MariaDB server run from the installed server binaries (`mariadbd`/`mysqld`,
 * `mariadb-install-db`/`mysql_install_db`), for a first run on a machine whose MariaDB refuses
 * root without a password or has none running, and for tests that crash the database.
 *
 * Layout of `dir` (`serve` uses `.data/mariadb`, ignored by git):
 * - `data/` — the data directory, created once by the install tool (into `data.installing/`,
 *   renamed when complete, so an interrupted install is redone rather than half used); kept
 *   between runs, so journeys survive a restart like with any server.
 * - `mariadb.json` — the running server's port, the PID we spawned, and the PID of the process
 *   that started it (its owner, which stops it on exit).
 * - `mariadb.err` (the server's error log), `stdout.log`, `mariadbd.pid`.
 *
 * The server is started detached (own session, so a Ctrl-C in the terminal reaches only the
 * engine, which still needs the database to hand its partitions back), bound to 127.0.0.1 on a
 * free port, and stopped only by its recorded PID after checking the PID still runs a server on
 * this data directory. Durable like the engine requires of any server
 * (`innodb_flush_log_at_trx_commit=1`; binlog off, `sync_binlog=1` should it be turned on), so a
 * SIGKILL (the emergency stop, or a test's crash) loses nothing committed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import mariadb from 'mariadb';
import {
  JourneyError,
  commandLineOf,
  ensureError,
  findExecutable,
  isAlive,
  sendSignal,
  silentLogger,
  spawnDetached,
  terminate,
  waitForExit,
} from '../common/index.js';
import type { Logger } from '../common/index.js';
import { findFreePortBase, isPortFree } from '../grid/index.js';

/** Folders that hold server binaries but are often not on a regular user's PATH. */
const SERVER_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/libexec', '/usr/local/mysql/bin', '/usr/local/opt/mariadb/bin', '/opt/homebrew/opt/mariadb/bin'];
const HOST = '127.0.0.1';
const STATE_FILE = 'mariadb.json';
/** Unix socket paths longer than this do not fit `sockaddr_un` (108 bytes with the NUL). */
const MAX_SOCKET_PATH = 100;

/** Options of {@link startLocalMariaDb}. */
export interface LocalMariaDbOptions {
  /** Folder for the data directory, state and logs; relative paths resolve from the current directory. */
  dir: string;
  /** Client port on 127.0.0.1. @defaultValue the port of the last run if free, else a free one */
  port?: number;
  /** Receives progress lines. @defaultValue a silent logger */
  logger?: Logger;
  /** Longest wait for the install tool plus the server answering, in ms. @defaultValue 120000 */
  startTimeoutMs?: number;
  /** `innodb_buffer_pool_size`. @defaultValue `'128M'` */
  bufferPoolSize?: string;
  /** `max_connections`. @defaultValue 300 */
  maxConnections?: number;
}

/** The server binaries found on this machine. */
export interface MariaDbBinaries {
  server: string;
  installDb: string;
}

interface State {
  version: 1;
  port: number;
  pid: number;
  /** The process that started the server and stops it on its way out. */
  ownerPid: number;
  startedAt: string;
}

/** The installed server and install tool, or undefined when either is missing. */
export function findMariaDbBinaries(): MariaDbBinaries | undefined {
  const server = findExecutable('mariadbd', SERVER_DIRS) ?? findExecutable('mysqld', SERVER_DIRS);
  const installDb = findExecutable('mariadb-install-db', SERVER_DIRS) ?? findExecutable('mysql_install_db', SERVER_DIRS);
  return server !== undefined && installDb !== undefined ? { server, installDb } : undefined;
}

/** True when something accepts a TCP connection at `host:port` within `timeoutMs`. */
export function somethingListens(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (answer: boolean): void => {
      socket.destroy();
      done(answer);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function readState(dir: string): State | undefined {
  try {
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as State;
    return state.version === 1 && Number.isInteger(state.pid) && Number.isInteger(state.port) ? state : undefined;
  } catch {
    return undefined;
  }
}

function writeState(dir: string, state: State): void {
  writeFileSync(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** True when `pid` runs a MariaDB server on `dataDir` (where /proc is missing, when it runs at all). */
function isServerOf(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false; // also false for 0: kill(0, …) would mean our own process group
  const cmdline = commandLineOf(pid);
  if (cmdline === undefined) return true;
  return /(mariadbd|mysqld)/.test(cmdline) && cmdline.includes(`--datadir=${dataDir}`);
}

function socketPath(dir: string): string {
  const inside = join(dir, 'mariadb.sock');
  if (inside.length <= MAX_SOCKET_PATH) return inside;
  // A deep checkout: the socket goes to the temp folder, named after the data folder.
  return join(tmpdir(), `je-mariadb-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}.sock`);
}

function logTail(dir: string, lines = 20): string {
  const tail: string[] = [];
  for (const file of ['stdout.log', 'mariadb.err']) {
    try {
      tail.push(...readFileSync(join(dir, file), 'utf8').trimEnd().split('\n').slice(-lines));
    } catch {
      // no log yet
    }
  }
  return tail.join('\n');
}

const runningAsRoot = (): boolean => process.getuid?.() === 0;

async function installDataDir(binaries: MariaDbBinaries, dir: string, timeoutMs: number, logger: Logger): Promise<void> {
  const dataDir = join(dir, 'data');
  if (existsSync(join(dataDir, 'mysql'))) return;
  const installing = join(dir, 'data.installing');
  rmSync(installing, { recursive: true, force: true });
  logger.info({ dataDir }, 'creating the private MariaDB data directory');
  const args = [
    '--no-defaults',
    `--datadir=${installing}`,
    // root@localhost with an empty password over TCP: the private server listens on 127.0.0.1 only.
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    // The server refuses to run as root unless told to; as anyone else it runs as that user.
    ...(runningAsRoot() ? ['--user=root'] : []),
  ];
  try {
    await promisify(execFile)(binaries.installDb, args, { cwd: dir, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
  } catch (thrown: unknown) {
    const error = ensureError(thrown);
    const output = ['stdout', 'stderr'].map((stream) => (stream in error ? String((error as unknown as Record<string, unknown>)[stream]) : '')).join('\n');
    throw new JourneyError('JE_STORE_START_FAILED', `${binaries.installDb} failed: ${error.message}\n${output.trim().split('\n').slice(-15).join('\n')}`, {
      cause: error,
      details: { dir },
    });
  }
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(installing, dataDir);
}

/** A private MariaDB server running from a folder. */
export class LocalMariaDb {
  /** Absolute folder of the data directory, state and logs. */
  readonly dir: string;
  /** Client port on 127.0.0.1. */
  readonly port: number;
  /** True when it already ran for another live process: that one stops it, not this handle's owner. */
  readonly reused: boolean;
  private serverPid: number;

  constructor(
    dir: string,
    port: number,
    pid: number,
    reused: boolean,
    private readonly binaries: MariaDbBinaries,
    private readonly settings: Required<Pick<LocalMariaDbOptions, 'bufferPoolSize' | 'maxConnections'>>,
  ) {
    this.dir = dir;
    this.port = port;
    this.serverPid = pid;
    this.reused = reused;
  }

  /** The server's PID (the one we spawned). */
  get pid(): number {
    return this.serverPid;
  }

  /** The data directory. */
  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** `mariadb://root@127.0.0.1:<port>/<database>` */
  url(database = 'journeys'): string {
    return `mariadb://root@${HOST}:${this.port}/${database}`;
  }

  /** True while the recorded PID runs this server. */
  get running(): boolean {
    return isServerOf(this.serverPid, this.dataDir);
  }

  /** Starts the server on the existing data directory and port (crash recovery runs if it was killed). */
  async boot(timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    const args = [
      '--no-defaults',
      `--datadir=${this.dataDir}`,
      `--port=${this.port}`,
      `--bind-address=${HOST}`,
      `--socket=${socketPath(this.dir)}`,
      `--pid-file=${join(this.dir, 'mariadbd.pid')}`,
      `--log-error=${join(this.dir, 'mariadb.err')}`,
      ...(runningAsRoot() ? ['--user=root'] : []),
      // Durable commits, which the engine checks at start: the log is flushed at every commit.
      '--innodb-flush-log-at-trx-commit=1',
      '--skip-log-bin',
      '--sync-binlog=1',
      `--innodb-buffer-pool-size=${this.settings.bufferPoolSize}`,
      `--max-connections=${this.settings.maxConnections}`,
    ];
    this.serverPid = spawnDetached(this.binaries.server, args, join(this.dir, 'stdout.log'), this.dir);
    writeState(this.dir, { version: 1, port: this.port, pid: this.serverPid, ownerPid: process.pid, startedAt: new Date().toISOString() });
    await this.waitReady(timeoutMs);
  }

  /** Waits until root can log in; throws `JE_STORE_START_FAILED` when the server exits or time runs out. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const conn = await mariadb.createConnection({ host: HOST, port: this.port, user: 'root', connectTimeout: 1_000 });
        await conn.end();
        return;
      } catch (thrown: unknown) {
        if (!isAlive(this.serverPid)) {
          throw new JourneyError('JE_STORE_START_FAILED', `the private MariaDB in ${this.dir} exited during start-up:\n${logTail(this.dir)}`, {
            cause: ensureError(thrown),
            details: { dir: this.dir, port: this.port },
          });
        }
        if (performance.now() >= deadline) {
          throw new JourneyError(
            'JE_STORE_START_FAILED',
            `the private MariaDB in ${this.dir} did not accept connections within ${timeoutMs} ms:\n${logTail(this.dir)}`,
            {
              cause: ensureError(thrown),
              details: { dir: this.dir, port: this.port },
            },
          );
        }
      }
      await sleep(100);
    }
  }

  /** SIGKILL (a crash, not a clean shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    sendSignal(this.serverPid, 'SIGKILL');
    await waitForExit(this.serverPid, 10_000);
  }

  /**
   * A clean shutdown (SIGTERM), SIGKILL after `timeoutMs` — safe with durable commits, recovery
   * runs at the next start. The data directory is kept.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.running) await terminate(this.serverPid, timeoutMs);
    rmSync(join(this.dir, STATE_FILE), { force: true });
  }

  /**
   * For exit and signal handlers: SIGTERM without waiting. The server is detached, so it finishes
   * its clean shutdown on its own after this process is gone.
   */
  stopNow(): void {
    if (!this.running) return;
    sendSignal(this.serverPid, 'SIGTERM');
    sendSignal(this.serverPid, 'SIGCONT');
  }
}

/**
 * Stops the server recorded in `dir` by its PID, whoever started it (SIGTERM, then SIGKILL after
 * `timeoutMs`); the data directory is kept. Resolves false when none was running.
 */
export async function stopLocalMariaDb(dir: string, timeoutMs = 30_000): Promise<boolean> {
  const absolute = resolve(dir);
  const state = readState(absolute);
  const running = state !== undefined && isServerOf(state.pid, join(absolute, 'data'));
  if (running) await terminate(state.pid, timeoutMs);
  rmSync(join(absolute, STATE_FILE), { force: true });
  return running;
}

/**
 * For exit and signal handlers, before a handle exists (a start cut short): SIGTERM to the server
 * recorded in `dir` when this process started it. Synchronous; the server finishes on its own.
 */
export function stopLocalMariaDbNow(dir: string): void {
  const absolute = resolve(dir);
  const state = readState(absolute);
  if (state === undefined || state.ownerPid !== process.pid || !isServerOf(state.pid, join(absolute, 'data'))) return;
  sendSignal(state.pid, 'SIGTERM');
  sendSignal(state.pid, 'SIGCONT');
}

async function choosePort(requested: number | undefined, previous: number | undefined): Promise<number> {
  if (requested !== undefined) return requested;
  // The last run's port keeps the URL in the logs the same from one run to the next.
  if (previous !== undefined && (await isPortFree(previous))) return previous;
  return findFreePortBase({ count: 1, cluster: false });
}

/**
 * Starts the private MariaDB in `options.dir` (installing its data directory the first time) and
 * waits until root can log in. When a server already runs from that folder it attaches to it:
 * `reused` is true when its owner still runs (that process stops it), otherwise this caller adopts it.
 *
 * @throws JourneyError `JE_DEPENDENCY_MISSING` when no server binaries are installed,
 *   `JE_STORE_START_FAILED` when the install or the server fails.
 */
export async function startLocalMariaDb(options: LocalMariaDbOptions): Promise<LocalMariaDb> {
  const dir = resolve(options.dir);
  const logger = options.logger ?? silentLogger();
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const settings = { bufferPoolSize: options.bufferPoolSize ?? '128M', maxConnections: options.maxConnections ?? 300 };
  const binaries = findMariaDbBinaries();
  if (binaries === undefined) {
    throw new JourneyError(
      'JE_DEPENDENCY_MISSING',
      'No MariaDB server binaries found (mariadbd or mysqld, and mariadb-install-db or mysql_install_db, on PATH or in /usr/sbin). Install them (Debian/Ubuntu: apt-get install mariadb-server) or set MARIADB_URL.',
      { details: { binary: 'mariadbd' } },
    );
  }
  mkdirSync(dir, { recursive: true });
  const deadline = performance.now() + startTimeoutMs;
  // Whole milliseconds: child_process refuses a fractional timeout.
  const remaining = (): number => Math.max(1, Math.ceil(deadline - performance.now()));
  const dataDir = join(dir, 'data');

  const state = readState(dir);
  if (state !== undefined && isServerOf(state.pid, dataDir)) {
    const ownerAlive = state.ownerPid !== process.pid && isAlive(state.ownerPid);
    const server = new LocalMariaDb(dir, state.port, state.pid, ownerAlive, binaries, settings);
    await server.waitReady(remaining());
    if (!ownerAlive) writeState(dir, { ...state, ownerPid: process.pid });
    logger.info({ dir, port: state.port, pid: state.pid, adopted: !ownerAlive }, 'private MariaDB already running');
    return server;
  }

  await installDataDir(binaries, dir, remaining(), logger);
  let lastError: unknown;
  // Another program may bind the chosen port between the check and the server's bind: pick again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await choosePort(options.port, attempt === 0 ? state?.port : undefined);
    const server = new LocalMariaDb(dir, port, 0, false, binaries, settings);
    try {
      await server.boot(remaining());
      logger.debug({ dir, port, pid: server.pid }, 'private MariaDB is up');
      return server;
    } catch (thrown: unknown) {
      lastError = thrown;
      await server.stop(5_000).catch(() => undefined);
      if (options.port !== undefined || performance.now() >= deadline || !/Address already in use|bind/i.test(logTail(dir, 5))) break;
    }
  }
  throw lastError;
}
