// That a bench CPU cap really caps (bench/cpu-cap.ts): a busy loop capped at 0.1 core uses at most
// ~0.15 core over 2 s of its own CPU accounting. Needs root and a writable cgroup cpu controller;
// skipped, saying why, elsewhere.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuCaps, detectLayout } from '../../bench/cpu-cap.js';

function unavailable(): string | undefined {
  try {
    detectLayout();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
const reason = unavailable();
if (reason) console.warn(`skipping the CPU cap check: ${reason}`);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe.skipIf(reason !== undefined)('bench CPU caps on this machine', () => {
  it('holds a busy loop to its quota, and removes its cgroups after', async () => {
    const caps = CpuCaps.open(0.1, `journey-bench-test-${process.pid}`);
    const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    const exited = new Promise((done) => child.once('exit', done));
    const dir = caps.cap(child.pid ?? -1, 'busy-loop');
    try {
      const before = cpuSeconds(child.pid ?? -1);
      await new Promise((r) => setTimeout(r, 2_000));
      const used = cpuSeconds(child.pid ?? -1) - before;
      expect(used / 2).toBeLessThanOrEqual(0.15);
      expect(caps.throttled('busy-loop')?.throttled).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
      await exited;
      caps.close();
    }
    expect(existsSync(dir)).toBe(false);
  });
});
