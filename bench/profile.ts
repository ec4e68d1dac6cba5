/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, written by engine processes when the benchmark
 * runs with `--cpu-prof`): self time by component (project folder or npm package) and by function.
 *
 *   node --import tsx bench/profile.ts <file.cpuprofile> [top] [skip-ms]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples not idle (0..1). */
  busy: number;
  byComponent: Array<{ component: string; ms: number; share: number }>;
  byFunction: Array<{ fn: string; ms: number; share: number }>;
}

/** `engine`, `api`, … for project files; the package name for node_modules; `node:` internals. */
export function componentOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(program)') return '(program)';
    return '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const project = /\/work\/[^/]+\/([^/]+)\//.exec(url) ?? /file:\/\/.*?\/(engine|api|dsl|grid|cache-store|common|cli|journeys|bench)\//.exec(url);
  if (project?.[1]) return project[1];
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

/**
 * @param skipMs - leave out the first `skipMs` of the profile (start-up: compiling journeys and
 *   schemas), so the summary describes the steady state under load.
 */
export function summarizeProfile(profile: CpuProfile, top = 25, skipMs = 0): ProfileSummary {
  // Hits per node from the sample stream, from skipMs on (hitCount covers the whole profile).
  const hitsById = new Map<number, number>();
  let sampleCount = 0;
  if (profile.samples && profile.timeDeltas) {
    let t = profile.startTime;
    const from = profile.startTime + skipMs * 1000;
    profile.samples.forEach((id, i) => {
      t += profile.timeDeltas?.[i] ?? 0;
      if (t < from) return;
      hitsById.set(id, (hitsById.get(id) ?? 0) + 1);
      sampleCount += 1;
    });
  } else {
    for (const node of profile.nodes) hitsById.set(node.id, node.hitCount ?? 0);
    sampleCount = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  }
  const totalMs = Math.max(0, (profile.endTime - profile.startTime) / 1000 - skipMs);
  const msPerSample = sampleCount > 0 ? totalMs / sampleCount : 0;
  const components = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const component = componentOf(url, functionName);
    if (component === '(idle)') {
      idle += hits;
      continue;
    }
    components.set(component, (components.get(component) ?? 0) + hits);
    const file = url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, '')
      .replace(/^\/work\/[^/]+\//, '')
      .replace(/^.*\/code\//, '');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + hits);
  }
  const busySamples = sampleCount - idle;
  const rows = <K extends string>(map: Map<string, number>, key: K) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, hits]) =>
          ({ [key]: name, ms: Math.round(hits * msPerSample), share: busySamples > 0 ? Math.round((hits / busySamples) * 1000) / 1000 : 0 }) as {
            [P in K]: string;
          } & { ms: number; share: number },
      );
  return {
    totalMs: Math.round(totalMs),
    busy: sampleCount > 0 ? Math.round((busySamples / sampleCount) * 100) / 100 : 0,
    byComponent: rows(components, 'component'),
    byFunction: rows(functions, 'fn'),
  };
}

export function formatProfile(name: string, summary: ProfileSummary): string {
  const lines = [
    `### ${name}: ${summary.totalMs} ms profiled, ${Math.round(summary.busy * 100)}% on CPU`,
    '',
    '| component | self ms | share of busy |',
    '|---|---|---|',
  ];
  for (const c of summary.byComponent) lines.push(`| ${c.component} | ${c.ms} | ${Math.round(c.share * 1000) / 10}% |`);
  lines.push('', '| function | self ms | share |', '|---|---|---|');
  for (const f of summary.byFunction) lines.push(`| \`${f.fn}\` | ${f.ms} | ${Math.round(f.share * 1000) / 10}% |`);
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatProfile(file, summarizeProfile(profile, Number(process.argv[3] ?? 25), Number(process.argv[4] ?? 0))));
}
