/** Journey version strings (`1.0`, `2.0.1`): ordered numerically, part by part. */

/** Negative when `a` is older than `b`, 0 when equal (`1.0` equals `1`), positive when newer. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
