/**
 * A MariaDB server of a test's own (its own data dir and port), so a test can SIGKILL and restart
 * the database under load without touching the machine's shared server. The server itself is
 * `journey serve`'s private MariaDB (cli/local-mariadb.ts), in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalMariaDb } from '../../cli/local-mariadb.js';
import type { LocalMariaDb } from '../../cli/local-mariadb.js';

export class PrivateMariaDb {
  private constructor(private readonly server: LocalMariaDb) {}

  /** Installs a fresh data dir in a temp folder and starts the server. */
  static async start(): Promise<PrivateMariaDb> {
    const dir = mkdtempSync(join(tmpdir(), 'je-mariadb-'));
    try {
      const server = await startLocalMariaDb({ dir, bufferPoolSize: '64M' });
      // A test worker that dies without its afterAll must not leave the server behind.
      process.once('exit', () => server.stopNow());
      return new PrivateMariaDb(server);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get dir(): string {
    return this.server.dir;
  }

  get port(): number {
    return this.server.port;
  }

  url(database: string): string {
    return this.server.url(database);
  }

  /** Starts the server process on the existing data dir (crash recovery runs if it was killed). */
  boot(timeoutMs = 60_000): Promise<void> {
    return this.server.boot(timeoutMs);
  }

  /** Kills the server (SIGKILL: a crash, not a clean shutdown) and waits until it is gone. */
  kill(): Promise<void> {
    return this.server.kill();
  }

  /** Stops the server and removes its folder. */
  async stop(): Promise<void> {
    await this.server.kill();
    await this.server.stop();
    rmSync(this.server.dir, { recursive: true, force: true });
  }
}
