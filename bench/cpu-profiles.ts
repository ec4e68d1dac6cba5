/**
 * `--cpu-prof`: engine processes run under `node --cpu-prof`, and each one's profile is summarised
 * into the result (and printed) once the process has stopped.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions } from './cli-options.js';
import { formatProfile, summarizeProfile } from './profile.js';
import type { BenchResult } from './result-types.js';
import type { EngineEnv } from './run-context.js';

/** The profiling hooks of the run's environment; both do nothing without `--cpu-prof`. */
export function cpuProfiling(
  options: BenchOptions,
  profileDir: string,
  result: BenchResult,
  log: (line: string) => void,
): Pick<EngineEnv, 'nodeArgs' | 'collectProfile'> {
  return {
    nodeArgs: (name) => (options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []),
    collectProfile: (name, loadFromMs) => {
      if (!options.cpuProf) return;
      try {
        const dir = join(profileDir, name);
        // The main thread's profile is the one with the most CPU (others: loader/worker threads).
        const summaries = readdirSync(dir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((file) => ({
            file,
            summary: summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Parameters<typeof summarizeProfile>[0], 30, loadFromMs),
          }))
          .sort((a, b) => b.summary.busy * b.summary.totalMs - a.summary.busy * a.summary.totalMs);
        const main = summaries[0];
        if (main) {
          result.profiles = { ...result.profiles, [name]: main.summary };
          console.log(formatProfile(`${name}, steady state (${join(dir, main.file)})`, main.summary));
        }
      } catch (error) {
        log(`no profile for ${name}: ${String(error)}`);
      }
    },
  };
}
