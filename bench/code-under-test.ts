/**
 * The engine code a run measures (`--code`): a clean commit snapshot, or the working tree with
 * its uncommitted engine files named in the result.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchResult } from './result-types.js';
import { ROOT, snapshotCode } from './services.js';

function codeState(): BenchResult['code'] {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The bench itself and the floor run from the working tree; engine processes may not.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'engine', 'cache-store', 'grid', 'api', 'dsl', 'common', 'cli', 'journeys'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => line.slice(3));
    return { commit, dirty, source: 'worktree' };
  } catch {
    return { commit: 'unknown', dirty: [], source: 'worktree' };
  }
}

/** Where engine processes run from and what the result says about it; a commit is extracted into `workDir`. */
export function codeUnderTest(code: string, workDir: string): { codeDir: string; state: BenchResult['code'] } {
  if (code === 'worktree') return { codeDir: ROOT, state: codeState() };
  const codeDir = join(workDir, 'code');
  const commit = snapshotCode(code, codeDir);
  return { codeDir, state: { commit: commit.slice(0, 12), dirty: [], source: 'commit' } };
}
