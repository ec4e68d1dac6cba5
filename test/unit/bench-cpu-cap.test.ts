// The pure parts of the bench's CPU caps (bench/cpu-cap.ts): quota arithmetic, paths, what is
// detected where and the refusal, on a cgroup tree laid out in a temporary folder (no root needed).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CpuCapUnavailable, cgroupPath, detectLayout, quotaFiles, quotaFor, refusalMessage } from '../../bench/cpu-cap.js';

const roots: string[] = [];
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'je-cgroup-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('bench CPU caps', () => {
  it('turns cores into a CFS quota per period, at least the kernel minimum', () => {
    expect(quotaFor(0.25)).toEqual({ quotaUs: 25_000, periodUs: 100_000 });
    expect(quotaFor(1.5)).toEqual({ quotaUs: 150_000, periodUs: 100_000 });
    expect(quotaFor(0.001)).toEqual({ quotaUs: 1_000, periodUs: 100_000 });
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => quotaFor(bad)).toThrow(/positive number of cores/);
  });

  it('writes the v1 period before the quota, and v2 cpu.max as "quota period"', () => {
    expect(quotaFiles(1, 0.1)).toEqual([
      ['cpu.cfs_period_us', '100000'],
      ['cpu.cfs_quota_us', '10000'],
    ]);
    expect(quotaFiles(2, 0.1)).toEqual([['cpu.max', '10000 100000']]);
  });

  it('builds child paths under the parent and refuses names that would leave it', () => {
    const layout = { version: 1, dir: '/sys/fs/cgroup/cpu' } as const;
    expect(cgroupPath(layout, 'journey-bench-r1')).toBe('/sys/fs/cgroup/cpu/journey-bench-r1');
    expect(cgroupPath(layout, 'journey-bench-r1', 'bench-s2-worker-1')).toBe('/sys/fs/cgroup/cpu/journey-bench-r1/bench-s2-worker-1');
    for (const bad of ['..', '../x', 'a/b', '', '.hidden']) expect(() => cgroupPath(layout, 'journey-bench-r1', bad)).toThrow(/refusing cgroup name/);
  });

  it('finds the v1 cpu controller, a v2 hierarchy offering cpu, or v2 in the hybrid "unified" mount', () => {
    const v1 = fakeRoot({ 'cpu/cpu.cfs_quota_us': '-1' });
    expect(detectLayout(v1, 0)).toEqual({ version: 1, dir: join(v1, 'cpu') });
    const v2 = fakeRoot({ 'cgroup.controllers': 'cpuset cpu io memory pids\n' });
    expect(detectLayout(v2, 0)).toEqual({ version: 2, dir: v2 });
    const hybrid = fakeRoot({ 'unified/cgroup.controllers': 'cpu\n' });
    expect(detectLayout(hybrid, 0)).toEqual({ version: 2, dir: join(hybrid, 'unified') });
  });

  it('refuses, naming what is missing, instead of running uncapped', () => {
    const v1 = fakeRoot({ 'cpu/cpu.cfs_quota_us': '-1' });
    expect(() => detectLayout(v1, 1000)).toThrow(CpuCapUnavailable);
    expect(() => detectLayout(v1, 1000)).toThrow('the bench runs as uid 1000, not root');
    const noCpu = fakeRoot({ 'cgroup.controllers': 'memory pids\n' });
    expect(() => detectLayout(noCpu, 0)).toThrow(/cgroup.controllers lists "memory pids"/);
    const empty = fakeRoot({});
    expect(() => detectLayout(empty, 0)).toThrow(/no cgroup cpu controller is mounted/);
    const error = new CpuCapUnavailable('X is missing');
    expect(error.code).toBe('BENCH_CPU_CAP_UNAVAILABLE');
    expect(error.message).toBe(refusalMessage('X is missing'));
    expect(error.message).toMatch(/^--worker-cpu needs cgroup cpu quotas, but X is missing; not running workers uncapped/);
  });
});
