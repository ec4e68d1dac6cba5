import { JourneyError, commandLineOf, findExecutable, isAlive, spawnDetached } from '../../common/index.js';

/**
 * Redis-specific process helpers. The generic ones (PID liveness, stop by PID) live in common/ and
 * are re-exported here for the local grid; servers are always stopped by the PID recorded when
 * they were spawned, never by name.
 */
export { findExecutable, isAlive, killNow, sendSignal, terminate, waitForExit } from '../../common/index.js';

/** Resolves a Redis binary or fails with the install hint. */
export function requireRedisBinary(name: string): string {
  const found = findExecutable(name);
  if (found === undefined) {
    throw new JourneyError(
      'JE_DEPENDENCY_MISSING',
      `'${name}' was not found on PATH. Install Redis 7 (Debian/Ubuntu: apt-get install redis-server; it brings redis-cli too).`,
      { details: { binary: name } },
    );
  }
  return found;
}

/**
 * True when `pid` runs `redis-server` for `port` (its title or command line names the port or the
 * config file). Where /proc is missing (macOS), trusts the PID file.
 */
export function isRedisProcess(pid: number, port: number, configPath: string): boolean {
  const cmdline = commandLineOf(pid);
  if (cmdline === undefined) return isAlive(pid);
  return cmdline.includes('redis-server') && (cmdline.includes(`:${port}`) || cmdline.includes(configPath));
}

/**
 * Starts `redis-server <configPath>` detached (own process group, survives the parent), with
 * stdout/stderr appended to `outputPath`. Returns the PID.
 */
export function spawnRedisServer(binary: string, configPath: string, outputPath: string, cwd: string): number {
  try {
    return spawnDetached(binary, [configPath], outputPath, cwd);
  } catch (thrown: unknown) {
    throw new JourneyError('JE_GRID_START_FAILED', `Could not spawn ${binary} ${configPath}`, { cause: thrown });
  }
}
