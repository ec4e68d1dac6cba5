/**
 * A MariaDB server of a test's own (its own data dir and port), so a test can SIGKILL and restart
 * the database under load without touching the machine's shared server.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mariadb from 'mariadb';
import { findFreePortBase } from '../../grid/index.js';

const run = promisify(execFile);

export class PrivateMariaDb {
  private child: ChildProcess | null = null;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** Installs a fresh data dir and starts the server. */
  static async start(): Promise<PrivateMariaDb> {
    const dir = mkdtempSync(join(tmpdir(), 'je-mariadb-'));
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--user=root', '--skip-test-db']);
    const port = await findFreePortBase({ count: 1, cluster: false });
    const server = new PrivateMariaDb(dir, port);
    await server.boot();
    return server;
  }

  url(database: string): string {
    return `mariadb://root@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server process on the existing data dir (crash recovery runs if it was killed). */
  async boot(timeoutMs = 60_000): Promise<void> {
    this.child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'sock')}`,
        `--pid-file=${join(this.dir, 'pid')}`,
        '--user=root',
        '--innodb-buffer-pool-size=64M',
        '--innodb-flush-log-at-trx-commit=1',
        '--skip-log-bin',
        '--max-connections=300',
      ],
      { stdio: 'ignore' },
    );
    const started = performance.now();
    for (;;) {
      try {
        const conn = await mariadb.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1000 });
        await conn.end();
        return;
      } catch (error) {
        if (performance.now() - started > timeoutMs) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Kills the server (SIGKILL: a crash, not a clean shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
