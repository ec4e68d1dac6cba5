/**
 * One `journey serve` process started the way a user starts it (`node cli/main.ts serve`, here
 * through tsx), for tests of what the process itself does: signals, shutdown, the services it
 * brings up. Its output is kept for assertions and failure messages.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** How the process ended. */
export interface ServeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Settings a test must not inherit from the shell that runs it. */
const INHERITED_SETTINGS = [
  'REDIS_URL',
  'MARIADB_URL',
  'MARIADB_DEFAULT_URL',
  'MARIADB_DIR',
  'GRID_DIR',
  'GRID_PORT_BASE',
  'GRID_SECRET',
  'PORT',
  'NODE_ID',
  'SHUTDOWN_TIMEOUT_MS',
  'HOST',
  'ROLES',
  'AUTH_MODE',
  'UNSAFE_DEV_AUTH_ON_NETWORK',
  'TRUSTED_GATEWAYS',
  'RATE_LIMIT',
  'RATE_LIMIT_PER_MINUTE',
  'BACKENDS_MODULE',
  'BACKENDS_CONFIG',
];

export class ServeProcess {
  private output = '';
  private exit: ServeExit | null = null;
  readonly exited: Promise<ServeExit>;
  private readonly child: ChildProcess;

  /** Starts `journey serve` with the test's environment on top of this process's (minus engine settings). */
  constructor(env: Record<string, string>) {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const name of INHERITED_SETTINGS) delete base[name];
    this.child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...base, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-400_000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((done) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** The parsed pino lines written so far. */
  lines(): Array<Record<string, unknown>> {
    return this.output.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Waits until a log line's `msg` matches; throws with the log when the process exits or time runs out. */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.lines().find((entry) => pattern.test(String(entry['msg'])));
      if (line) return line;
      if (!this.running) throw new Error(`journey serve exited (${JSON.stringify(this.exit)}) before logging ${pattern}:\n${this.tail()}`);
      if (performance.now() > deadline) throw new Error(`journey serve did not log ${pattern} within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits until `GET /ready` on `port` answers 200. */
  async waitReady(port: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2_000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (!this.running) throw new Error(`journey serve exited (${JSON.stringify(this.exit)}) before it was ready:\n${this.tail()}`);
      if (performance.now() > deadline) throw new Error(`journey serve was not ready within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Resolves with the exit, or null when the process still runs after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ServeExit | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((done) => {
      timer = setTimeout(() => done(null), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL and wait: the cleanup of a test that failed half-way. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 40): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }
}
