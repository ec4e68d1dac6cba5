/**
 * Turns a result into markdown, two SVG charts (written by hand, deterministic: same result →
 * same bytes) and the README section between the bench markers.
 */
import { joinText } from './phase-summaries.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { payloadLine } from './payload-mix.js';
import { readPathLine } from './read-load.js';
import type { BenchResult, ScalingRun, SystemRun, Target } from './result-types.js';
import type { FloorResult } from './floor.js';
import type { CpuReport } from './services.js';
import { LATENCY_EDGES_MS } from './stats.js';
import type { LatencySummary } from './stats.js';

const lat = (l: LatencySummary): string => `${l.p50} / ${l.p95} / ${l.p99} / ${l.max}`;

/** The "met" cell of a target row. */
function metCell(t: Target, emphasise: boolean): string {
  if (t.met === null) return t.reportOnly ? 'reported' : 'not measured';
  return t.met ? 'yes' : emphasise ? '**no**' : 'no';
}

function cpuLine(cpu: CpuReport, cpus: number): string {
  const parts = Object.entries(cpu.cores)
    .filter(([, cores]) => cores >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cores]) => `${name} ${cores}`);
  return `${Math.round(cpu.machineBusy * 100)}% of ${cpus} cores busy — ${parts.join(', ')}, others ${cpu.otherCores}`;
}

/** Cores used per role: the API process, the worker processes together, and each shared part as metered. */
function coresByRole(cpu: CpuReport): Record<string, number> {
  const roles: Record<string, number> = {};
  for (const [name, cores] of Object.entries(cpu.cores)) {
    const role = /-api$/.test(name) ? 'API process' : /-worker-\d+$/.test(name) ? 'worker processes' : name;
    roles[role] = Math.round(((roles[role] ?? 0) + cores) * 100) / 100;
  }
  return roles;
}

/** What limited one scaling point: the workers' caps, the machine, or neither (latency-bound). */
export function pointLimit(run: ScalingRun, cpus: number): string {
  if (run.throttledShare !== undefined && run.throttledShare >= 0.5) return `worker caps (throttled in ${Math.round(run.throttledShare * 100)}% of periods)`;
  const busy = Math.round(run.cpu.machineBusy * 100);
  if (busy >= 90) return `the machine (${busy}% of ${cpus} cores busy)`;
  const top = Object.entries(run.cpu.cores).sort((a, b) => b[1] - a[1])[0];
  return `latency (${busy}% busy; most: ${top ? `${top[0]} ${top[1]}` : 'n/a'})`;
}

/** CPU milliseconds per handled event, per role, from a scaling run's core usage. */
export function cpuPerEvent(cpu: CpuReport, eventsPerSec: number): Record<string, number> {
  const roles = coresByRole(cpu);
  const out: Record<string, number> = {};
  for (const [role, cores] of Object.entries(roles)) out[role] = eventsPerSec > 0 ? Math.round(((cores * 1000) / eventsPerSec) * 100) / 100 : 0;
  return out;
}

/** The operator's sizing note, from the 1-worker scaling run (or the e2e run). */
export function sizingNote(result: BenchResult): string | null {
  const one = result.scaling?.find((run) => run.workers === 1);
  if (!one || one.handledPerSec === 0) return null;
  const per = cpuPerEvent(one.cpu, one.handledPerSec);
  const worker = per['worker processes'] ?? 0;
  const api = per['API process'] ?? 0;
  const db = per['mariadbd (shared)'] ?? 0;
  const redis = per['redis (6 nodes)'] ?? 0;
  const best = (result.scaling ?? []).reduce((a, b) => (b.handledPerSec > a.handledPerSec ? b : a));
  return (
    `Sizing (this hardware): one worker process handled ${one.handledPerSec} events/s here, ` +
    `spending ${worker} ms of CPU per event (so one dedicated core ≈ ${worker > 0 ? Math.round(1000 / worker) : '–'} events/s of worker work); ` +
    `the API process ${api} ms, MariaDB ${db} ms and Redis ${redis} ms per event. ` +
    `With everything on ${result.machine.cpus} shared cores the best configuration was ${best.workers} worker(s) at ${best.handledPerSec} events/s: ` +
    `plan about ${Math.round(1000 / Math.max(0.01, worker + api))} events/s per core given to engine processes, and size MariaDB for ${db} ms of CPU and one group-committed transaction per event (the API node forwards each event to its owner, which accepts and handles it inline).` +
    combinedNodeNote(result)
  );
}

/** The combined node of the end-to-end run: API and worker in one process, events handled inline. */
function combinedNodeNote(result: BenchResult): string {
  const sync = result.engine?.sync;
  if (!sync || sync.outcomesPerSec === 0) return '';
  const per = cpuPerEvent(sync.cpu, sync.outcomesPerSec);
  const node = per['bench-e2e'] ?? 0;
  const db = per['mariadbd (shared)'] ?? 0;
  return (
    ` A combined node (API and worker in one process, the default \`journey serve\`) skips the Redis hop for events of the journeys it owns:` +
    ` the end-to-end run's node handled ${Math.round(sync.outcomesPerSec)} events/s at ${node} ms of CPU per event (≈ ${node > 0 ? Math.round(1000 / node) : '–'} events/s per dedicated core), MariaDB ${db} ms.` +
    ` Behind a balancer spreading requests over N combined nodes, about 1/N of events arrive at their owner; the others are forwarded to it through Redis.`
  );
}

function restateRun(result: BenchResult): (SystemRun & { version: string }) | undefined {
  return result.restate && 'sync' in result.restate ? result.restate : undefined;
}

/** The bottleneck sentence, from where the cores went during the phase. */
export function limitSentence(cpu: CpuReport, cores: number): string {
  const sorted = Object.entries(cpu.cores).sort((a, b) => b[1] - a[1]);
  const top = sorted[0];
  const busy = Math.round(cpu.machineBusy * 100);
  const saturated = busy >= 90;
  const head = saturated ? `The ${cores} cores were saturated (${busy}% busy)` : `The cores were ${busy}% busy (not saturated: latency-bound)`;
  return `${head}; the largest consumer was ${top ? `${top[0]} (${top[1]} cores)` : 'n/a'}${cpu.otherCores >= 0.1 ? `, and ${cpu.otherCores} cores went to processes outside this benchmark` : ''}.`;
}

/** How the floor wrote each event and where its time went. Results from before `path` existed are two-step. */
function floorSteps(f: FloorResult): string {
  const { intake, handling, redis } = f.stepsMs;
  if (f.path === 'inline' || intake === null) {
    return `inline, as the engine handles these events: one group commit accepts and handles each event, mean ${f.meanBatch} events per commit; per event p50 commit ${handling.p50} ms, Redis ${redis.p50} ms`;
  }
  const how =
    f.intake === 'single' ? 'one intake transaction per event' : `group intake as the engine does it, mean ${f.meanIntakeBatch} events per intake transaction`;
  return `two-step: ${how}; mean handling group commit ${f.meanBatch}; per event p50 intake ${intake.p50} ms, handling commit ${handling.p50} ms, Redis ${redis.p50} ms`;
}

export function renderMarkdown(result: BenchResult, _options: { chartsDir: string }): string {
  const lines: string[] = [];
  const e = result.engine;
  const r = restateRun(result);
  const f = result.floor;
  const s = result.settings;
  lines.push(`# Benchmark results — ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC`, '');
  lines.push(
    `Machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memGiB} GiB, Node ${result.machine.node}; MariaDB 127.0.0.1:3306 (shared), local Redis Cluster 3+3. ` +
      `Load average ${result.machine.loadavgStart.join(' ')} at start, ${result.machine.loadavgEnd.join(' ')} at end.`,
    '',
  );
  lines.push(
    `Workload: ${s.journeys} wallets (\`pfm/wallet 1.0\`), ${s.durationS > 0 ? `${s.durationS} s of` : `${s.events} per wallet of`} Deposit/Withdraw (every third a Withdraw by the owner), ` +
      `${s.concurrency} requests in flight, one per wallet at a time; request→outcome with \`?wait=${s.waitMs}\`. Command: \`npm run bench -- ${result.argv.join(' ')}\`.`,
    '',
  );
  lines.push(
    `Code: ${result.code.source === 'commit' ? `commit ${result.code.commit} (a clean snapshot)` : `working tree at ${result.code.commit}`}${result.code.dirty.length > 0 ? ` plus uncommitted changes in ${result.code.dirty.join(', ')}` : ''}.`,
    '',
  );
  if (result.failures.length > 0) lines.push(`**FAILED:** ${result.failures.join('; ')}`, '');

  if (e || f || r) {
    lines.push('## Summary', '');
    lines.push('| | Journey Engine | floor | Restate |', '|---|---|---|---|');
    lines.push(
      `| throughput, request→outcome (events/s) | ${e ? e.sync.outcomesPerSec : '–'} | ${f ? f.eventsPerSec : '–'} | ${r ? r.sync.outcomesPerSec : result.restate && 'error' in result.restate ? 'did not run' : '–'} |`,
    );
    lines.push(
      `| latency p50 / p95 / p99 / max (ms) | ${e ? lat(e.sync.latencyMs) : '–'} | ${f ? lat(f.latencyMs) : '–'} | ${r ? lat(r.sync.latencyMs) : '–'} |`,
    );
    if (e?.sync.rounds && e.sync.rounds.length > 1) {
      lines.push(
        `| each turn, events/s (turn order: engine, Restate, floor, floor, Restate, engine) | ${e.sync.rounds.join(', ')} | ${f?.rounds.join(', ') ?? ''} | ${r?.sync.rounds?.join(', ') ?? ''} |`,
      );
    }
    if (e?.async) {
      lines.push(`| accepted/s (202, durable) / handled/s | ${e.async.acceptedPerSec} / ${e.async.handledPerSec} | | |`);
    }
    if (e?.paced) lines.push(`| open loop at ${e.paced.targetPerSec}/s (half peak): p50 / p95 / p99 / max | ${lat(e.paced.latencyMs)} | | |`);
    if (e?.seedServiceLevel) {
      lines.push(`| seed service level, open loop at ${e.seedServiceLevel.targetPerSec}/s: p50 / p95 / p99 / max | ${lat(e.seedServiceLevel.latencyMs)} | | |`);
    }
    if (e) {
      lines.push(
        `| opening journeys${e.open.cold ? ' (warm node)' : ''}: per s; p50 / p95 / p99 / max (ms) | ${e.open.perSec}; ${lat(e.open.latencyMs)} | | ${r ? `${r.open.perSec}; ${lat(r.open.latencyMs)} (at the start)` : ''} |`,
      );
      if (e.open.cold)
        lines.push(
          `| opening journeys at the start (cold process): per s; p50 / p95 / p99 / max (ms) | ${e.open.cold.perSec}; ${lat(e.open.cold.latencyMs)} | | |`,
        );
    }
    if (e?.readPath) {
      const p = e.readPath;
      lines.push(`| reads under write load: GET /journeys/{id} p50 / p95 / p99 / max (ms) | ${lat(p.get.latencyMs)} (${p.get.count}) | | |`);
      lines.push(`| reads under write load: search by owner p50 / p95 / p99 / max (ms) | ${lat(p.search.latencyMs)} (${p.search.count}) | | |`);
      lines.push(`| writes/s during the reads (request→outcome, ${p.writes.inFlight} in flight) | ${p.writes.outcomesPerSec} | | |`);
    }
    lines.push(`| exact at the end | ${e ? (e.check.exact ? 'yes' : '**NO**') : '–'} | | ${r ? (r.check.exact ? 'yes' : '**NO**') : '–'} |`);
    if (e && r) {
      lines.push(
        '',
        `Ours / Restate at concurrency ${s.concurrency}: **${result.comparison?.throughputRatio}×** throughput, p99 ${e.sync.latencyMs.p99} vs ${r.sync.latencyMs.p99} ms` +
          `${e.sync.rounds && e.sync.rounds.length > 1 ? ' (running side by side and taking turns, half the events each time, so background load falls on both alike)' : ''}.`,
      );
    }
    if (f && f.engineOverFloor !== null) {
      lines.push('', `Engine / floor: **${f.engineOverFloor}** (floor: ${f.events} events in turns with the engine; ${floorSteps(f)}).`);
    }
    if (e?.readPath) lines.push('', `Read path under write load (${Math.round(e.readPath.elapsedMs / 100) / 10} s): ${readPathLine(e.readPath)}.`);
    if (result.restate && 'error' in result.restate) lines.push('', `Restate did not run: ${result.restate.error}`);
    if (r?.diagnostics) lines.push('', `Restate stalled during the run: ${r.diagnostics.map((d) => d.slice(0, 400)).join(' / ')}`);
    lines.push('');
  }
  lines.push('## Targets', '', '| target | goal | this run | met |', '|---|---|---|---|');
  for (const t of result.targets) lines.push(`| ${t.name} | ${t.target} | ${t.value} | ${metCell(t, true)} |`);
  lines.push('');
  const payloads = [
    ...(e?.payloads ? [['e2e', e.payloads] as const] : []),
    ...(result.scaling ?? []).flatMap((run) => (run.payloads ? [[`${run.workers} worker(s)`, run.payloads] as const] : [])),
  ];
  if (payloads.length > 0) {
    lines.push(
      '## Payloads (--mixed-payloads)',
      '',
      "The wallet takes `{ amount }` only and the API refuses any other member, so the soak's bulk rides where a wallet request may carry it: the body padded with JSON whitespace (received, buffered and parsed by the API node, then dropped), and for the larger classes 32 roles of up to 64 characters in `X-Dev-Roles` (stored in every event's context).",
      '',
      ...payloads.map(([name, report]) => `- ${name}: ${payloadLine(report)}`),
      '',
    );
  }

  if (result.scaling && result.scaling.length > 0) {
    const cap = result.scaling[0]?.workerCpu;
    lines.push(`## Scaling (1 API process + N worker processes${cap === undefined ? '' : `, each capped at ${cap} core by a cgroup cpu quota`})`, '');
    lines.push(
      '| workers | in flight | handled/s | p50 / p95 / p99 / max (ms) | efficiency | cores: workers / API / MariaDB / Redis / load gen / others | limited by | join → first handled | exact |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const run of result.scaling) {
      const roles = coresByRole(run.cpu);
      const shared = [
        roles['worker processes'],
        roles['API process'],
        roles['mariadbd (shared)'],
        roles['redis (6 nodes)'],
        roles['load generator'],
        run.cpu.otherCores,
      ]
        .map((cores) => cores ?? '–')
        .join(' / ');
      const join = joinText(run);
      lines.push(
        `| ${run.workers} | ${run.inFlight ?? result.settings.concurrency} | ${run.handledPerSec} | ${lat(run.latencyMs)} | ${run.efficiency ?? '–'} | ${shared} | ${pointLimit(run, result.machine.cpus)} | ${join} | ${run.exact ? 'yes' : '**NO**'} |`,
      );
    }
    lines.push(
      '',
      'Efficiency = handled/s(N) ÷ (N × handled/s(1)). "join → first handled": one more worker started under the same load, from its start to its first handled event.',
    );
    const best = result.scaling.reduce((a, b) => (b.handledPerSec > a.handledPerSec ? b : a));
    lines.push('', `What limits it: ${limitSentence(best.cpu, result.machine.cpus)}`, '');
    const note = sizingNote(result);
    if (note) lines.push(note, '');
  }

  if (result.balanced && result.balanced.length > 0) {
    lines.push('## Behind a balancer (combined nodes)', '');
    lines.push(
      'Round-robin: the load generator sends requests to the nodes in turn. Owner: it sends a wallet’s requests to the node its last answer named in `X-Journey-Owner` (round-robin until one did), as a client or gateway that routes by owner would.',
      '',
    );
    lines.push(
      '| nodes | requests | events/s | p50 / p95 / p99 / max (ms) | forwarded to the owner | exact | where the cores went |',
      '|---|---|---|---|---|---|---|',
    );
    for (const run of result.balanced) {
      lines.push(
        `| ${run.nodes} | ${run.routing === 'owner' ? 'to the owner' : 'round-robin'} | ${run.eventsPerSec} | ${lat(run.latencyMs)} | ${Math.round(run.forwardedShare * 100)}% (${
          Object.entries(run.forwarded)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || 'none'
        }) | ${run.exact ? 'yes' : '**NO**'} | ${cpuLine(run.cpu, result.machine.cpus)} |`,
      );
    }
    lines.push('');
  }

  if (e) {
    lines.push('## Where the cores went', '');
    lines.push(`- engine, request→outcome: ${cpuLine(e.sync.cpu, result.machine.cpus)}`);
    if (e.async) lines.push(`- engine, 202 only: ${cpuLine(e.async.cpu, result.machine.cpus)}`);
    if (r) lines.push(`- Restate: ${cpuLine(r.sync.cpu, result.machine.cpus)}`);
    lines.push('');
  }
  const rows = [...(e?.rss ?? []), ...(result.scaling ?? []).flatMap((run) => run.rss), ...(r?.rss ?? [])];
  if (rows.length > 0) {
    lines.push(
      '## Memory (RSS, sampled every 2 s)',
      '',
      '| process | samples | first | last | min | max | slope after warm-up |',
      '|---|---|---|---|---|---|---|',
    );
    for (const m of rows) lines.push(`| ${m.name} | ${m.samples} | ${m.firstMiB} | ${m.lastMiB} | ${m.minMiB} | ${m.maxMiB} | ${m.slopeMiBPerMin} MiB/min |`);
    if (s.durationS > 0) lines.push('', '![RSS over the run](soak-rss.svg)');
    lines.push('');
  }
  const checks: Array<[string, SystemRun['check']]> = [
    ...(e ? [['e2e', e.check] as [string, SystemRun['check']]] : []),
    ...(result.scaling ?? []).map((x) => [`${x.workers} worker(s)`, x.check] as [string, SystemRun['check']]),
    ...(result.balanced ?? []).map((x) => [`${x.nodes} balanced node(s)`, x.check] as [string, SystemRun['check']]),
    ...(r ? [['Restate', r.check] as [string, SystemRun['check']]] : []),
  ];
  if (checks.length > 0) {
    lines.push(
      '## Exactness',
      '',
      '| run | acknowledged | stored | refused | ambiguous | lost | doubled | phantom | out of order | wrong state | wrong outcome |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const [name, c] of checks) {
      lines.push(
        `| ${name} | ${c.acked} | ${c.stored} | ${c.refused} | ${c.ambiguous} | ${c.lost} | ${c.doubled} | ${c.phantom} | ${c.outOfOrder} | ${c.wrongState} | ${c.wrongOutcome} |`,
      );
    }
    const problems = checks.flatMap(([name, c]) => c.problems.map((p) => `${name}: ${p}`));
    if (problems.length > 0) lines.push('', ...problems.slice(0, 20).map((p) => `- ${p}`));
    lines.push('');
  }
  lines.push('## Machine load during the phases', '', '| phase | load1 | cores used by other processes |', '|---|---|---|');
  for (const l of result.machine.load) lines.push(`| ${l.phase} | ${l.load1} | ${l.otherCores} |`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// SVG

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n1 = (x: number): string => (Math.round(x * 10) / 10).toString();
const COLORS = ['#1f6feb', '#8250df', '#bf8700', '#2da44e'];
/** One colour per system in every chart: the engine blue, its 202 phase green, Restate red. */
function colorOf(name: string, index: number): string {
  if (name.startsWith('Restate')) return '#d1242f';
  if (name.includes('202')) return '#2da44e';
  if (name.startsWith('Journey Engine')) return '#1f6feb';
  return COLORS[index % COLORS.length] ?? '#333333';
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** A legend in one row under the title, clear of the plot. */
function legend(width: number, y: number, names: string[]): string[] {
  const widths = names.map((name) => 30 + name.length * 6.9);
  let x = (width - widths.reduce((a, b) => a + b, 0)) / 2;
  return names.flatMap((name, i) => {
    const parts = [
      `<rect x="${n1(x)}" y="${y - 9}" width="10" height="10" fill="${colorOf(name, i)}"/>`,
      `<text x="${n1(x + 14)}" y="${y}">${esc(name)}</text>`,
    ];
    x += widths[i] ?? 0;
    return parts;
  });
}

/** Grouped bars: share of requests per latency bucket, one colour per system. */
export function latencyHistogramSvg(series: Array<{ name: string; counts: number[] }>, edges: readonly number[] = LATENCY_EDGES_MS): string {
  const width = 760;
  const height = 320;
  const left = 50;
  const right = 20;
  const top = 52;
  const bottom = 60;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const buckets = edges.length + 1;
  const shares = series.map((s) => {
    const total = s.counts.reduce((a, b) => a + b, 0) || 1;
    return s.counts.map((c) => (c / total) * 100);
  });
  const maxShare = niceMax(Math.max(1, ...shares.flat()));
  const groupW = plotW / buckets;
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const body: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (maxShare * t) / 4;
    const y = top + plotH - (v / maxShare) * plotH;
    body.push(`<line x1="${left}" y1="${n1(y)}" x2="${width - right}" y2="${n1(y)}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${left - 6}" y="${n1(y + 4)}" text-anchor="end">${n1(v)}%</text>`);
  }
  shares.forEach((share, si) => {
    share.forEach((v, bi) => {
      const h = (v / maxShare) * plotH;
      const x = left + bi * groupW + groupW * 0.1 + si * barW;
      body.push(`<rect x="${n1(x)}" y="${n1(top + plotH - h)}" width="${n1(barW)}" height="${n1(h)}" fill="${colorOf(series[si]?.name ?? '', si)}"/>`);
    });
  });
  for (let bi = 0; bi < buckets; bi++) {
    const label = bi < edges.length ? `≤${edges[bi]}` : `>${edges[edges.length - 1]}`;
    const x = left + bi * groupW + groupW / 2;
    body.push(`<text x="${n1(x)}" y="${top + plotH + 14}" text-anchor="middle" font-size="10">${esc(label)}</text>`);
  }
  body.push(`<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#333"/>`);
  body.push(`<text x="${left + plotW / 2}" y="${height - 24}" text-anchor="middle">request → outcome latency (ms)</text>`);
  body.push(
    ...legend(
      width,
      40,
      series.map((s) => s.name),
    ),
  );
  return frame(width, height, 'Latency histogram (share of requests per bucket)', body);
}

/** Lines: events per second over time, one colour per series. */
export function throughputSvg(series: Array<{ name: string; values: number[] }>): string {
  return lineChartSvg(
    'Throughput over time',
    'events/s',
    'seconds into the phase',
    series.map((s) => ({ name: s.name, points: s.values.map((v, i) => [i, v] as [number, number]) })),
  );
}

/** Resident memory of processes over a run. */
export function rssSvg(series: Array<{ name: string; points: Array<[number, number]> }>): string {
  return lineChartSvg('Resident memory (RSS) under load', 'MiB', 'seconds under load', series);
}

function lineChartSvg(title: string, yLabel: string, xLabel: string, series: Array<{ name: string; points: Array<[number, number]> }>): string {
  const width = 760;
  const height = 320;
  const left = 60;
  const right = 20;
  const top = 52;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxX = Math.max(1, ...series.flatMap((s) => s.points.map(([x]) => x)));
  const maxV = niceMax(Math.max(1, ...series.flatMap((s) => s.points.map(([, y]) => y))));
  const body: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (maxV * t) / 4;
    const y = top + plotH - (v / maxV) * plotH;
    body.push(`<line x1="${left}" y1="${n1(y)}" x2="${width - right}" y2="${n1(y)}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${left - 6}" y="${n1(y + 4)}" text-anchor="end">${n1(v)}</text>`);
  }
  const xStep = niceMax(maxX / 10);
  for (let i = 0; i <= maxX; i += xStep) {
    const x = left + (i / maxX) * plotW;
    body.push(`<text x="${n1(x)}" y="${top + plotH + 14}" text-anchor="middle" font-size="10">${n1(i)}</text>`);
  }
  series.forEach((s, si) => {
    const points = s.points.map(([px, v]) => `${n1(left + (px / maxX) * plotW)},${n1(top + plotH - (v / maxV) * plotH)}`);
    if (points.length > 0) body.push(`<polyline fill="none" stroke="${colorOf(s.name, si)}" stroke-width="2" points="${points.join(' ')}"/>`);
  });
  body.push(`<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#333"/>`);
  body.push(`<text x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle">${esc(xLabel)}</text>`);
  body.push(`<text x="14" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + plotH / 2})">${esc(yLabel)}</text>`);
  body.push(
    ...legend(
      width,
      40,
      series.map((s) => s.name),
    ),
  );
  return frame(width, height, title, body);
}

export function writeCharts(result: BenchResult, dir: string): void {
  const hist: Array<{ name: string; counts: number[] }> = [];
  const lines: Array<{ name: string; values: number[] }> = [];
  const r = restateRun(result);
  if (result.engine) {
    hist.push({ name: `Journey Engine (C=${result.settings.concurrency})`, counts: result.engine.sync.histogram.counts });
    // Drop the last, partial second of each series.
    lines.push({ name: 'Journey Engine, request→outcome', values: result.engine.sync.series.slice(0, -1) });
    if (result.engine.async) lines.push({ name: 'Journey Engine, handled/s (202 phase)', values: result.engine.async.handledSeries.slice(0, -1) });
  }
  if (r) {
    hist.push({ name: `Restate (C=${result.settings.concurrency})`, counts: r.sync.histogram.counts });
    lines.push({ name: 'Restate, request→outcome', values: r.sync.series.slice(0, -1) });
  }
  writeFileSync(join(dir, 'latency.svg'), latencyHistogramSvg(hist));
  writeFileSync(join(dir, 'throughput.svg'), throughputSvg(lines));
}

/** The soak's memory chart: RSS of every engine process over the run. */
export function writeSoakChart(result: BenchResult, file: string): void {
  const rss = [...(result.engine?.rss ?? []), ...(result.scaling ?? []).flatMap((run) => run.rss)];
  writeFileSync(file, rssSvg(rss.map((m) => ({ name: m.name, points: m.series }))));
}

// ---------------------------------------------------------------------------------------------
// README

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** One line on the last soak (bench/results/latest-soak.json), if there is one. */
function soakLine(soak: BenchResult | null): string | null {
  if (!soak) return null;
  const runs = [
    ...(soak.engine ? [{ rss: soak.engine.rss, check: soak.engine.check, rate: soak.engine.sync.outcomesPerSec }] : []),
    ...(soak.scaling ?? []).map((r) => ({ rss: r.rss, check: r.check, rate: r.handledPerSec })),
  ];
  const run = runs[0];
  if (!run) return null;
  const rss = run.rss.map((m) => `${m.name} ${m.minMiB}–${m.maxMiB} MiB, last ${m.lastMiB}, trend ${m.slopeMiBPerMin} MiB/min`).join('; ');
  const payloads = soak.settings.mixedPayloads === true ? 'mixed payloads up to the body limit' : 'small payloads';
  return `Soak (${soak.startedAt.slice(0, 10)}, ${soak.settings.durationS} s at ${run.rate} events/s, ${payloads}, ${run.check.acked} events, ${run.check.exact ? 'exact' : 'NOT exact'}): ${rss} — [chart](bench/results/soak-rss.svg), [details](bench/results/latest-soak.md).`;
}

export function readmeSection(result: BenchResult, soak: BenchResult | null = null): string {
  const e = result.engine;
  const r = restateRun(result);
  const f = result.floor;
  const lines = [
    START,
    '## Benchmarks',
    '',
    `\`npm run bench\` runs the wallet end to end over HTTP against \`journey serve\` processes it starts (own Redis Cluster, own MariaDB database), the floor (the same durable writes with no engine), 1–3 worker processes, and Restate on the same machine, then verifies every balance exactly. See [bench/README.md](bench/README.md); full numbers in [bench/results/latest.md](bench/results/latest.md).`,
    '',
    `Last run ${result.startedAt.slice(0, 10)}, ${result.machine.cpus} cores shared by everything (load average ${result.machine.loadavgStart[0]} at start), ${result.settings.journeys} wallets × ${result.settings.events} events, ${result.settings.concurrency} in flight:`,
    '',
    '| | Journey Engine | floor | Restate |',
    '|---|---|---|---|',
    `| events/s, request→outcome | ${e?.sync.outcomesPerSec ?? '–'} | ${f?.eventsPerSec ?? '–'} | ${r?.sync.outcomesPerSec ?? '–'} |`,
    `| p50 / p95 / p99 / max (ms) | ${e ? lat(e.sync.latencyMs) : '–'} | ${f ? lat(f.latencyMs) : '–'} | ${r ? lat(r.sync.latencyMs) : '–'} |`,
  ];
  if (e?.async) lines.push(`| accepted/s (202) / handled/s | ${e.async.acceptedPerSec} / ${e.async.handledPerSec} | | |`);
  if (e?.paced) lines.push(`| p99 at half peak (${e.paced.targetPerSec}/s) | ${e.paced.latencyMs.p99} ms | | |`);
  if (e?.seedServiceLevel)
    lines.push(
      `| seed service level (${e.seedServiceLevel.targetPerSec}/s): p50 / p95 | ${e.seedServiceLevel.latencyMs.p50} / ${e.seedServiceLevel.latencyMs.p95} ms | | |`,
    );
  if (e) lines.push(`| opening journeys: per s, p99 | ${e.open.perSec}/s, ${e.open.latencyMs.p99} ms | | |`);
  if (e?.readPath) {
    lines.push(
      `| under write load (${e.readPath.writes.outcomesPerSec} writes/s): GET /journeys/{id} / search p50 / p99 | ${e.readPath.get.latencyMs.p50} / ${e.readPath.get.latencyMs.p99} ms; ${e.readPath.search.latencyMs.p50} / ${e.readPath.search.latencyMs.p99} ms | | |`,
    );
  }
  if (result.scaling && result.scaling.length > 0) {
    lines.push(
      `| handled/s with 1 API + ${result.scaling.map((s) => s.workers).join(' / ')} workers | ${result.scaling.map((s) => s.handledPerSec).join(' / ')} | | |`,
    );
  }
  lines.push('', '| target | goal | measured | met |', '|---|---|---|---|');
  // The memory target is judged by the last soak, not by a short run.
  const soakRss = soak?.targets.find((t) => t.name.startsWith('worker RSS'));
  const targets = result.targets.map((t) =>
    soakRss && t.name.startsWith('worker RSS') ? { ...soakRss, name: `${soakRss.name}, soak ${soak?.startedAt.slice(0, 10) ?? ''}` } : t,
  );
  for (const t of targets) lines.push(`| ${t.name} | ${t.target} | ${t.value} | ${metCell(t, false)} |`);
  const best = result.scaling && result.scaling.length > 0 ? result.scaling.reduce((a, b) => (b.handledPerSec > a.handledPerSec ? b : a)) : null;
  if (best) {
    const cap = result.scaling?.find((s) => s.workerCpu !== undefined)?.workerCpu;
    const throttled = (result.scaling ?? []).flatMap((s) => (s.throttledShare === undefined ? [] : [Math.round(s.throttledShare * 100)]));
    const why =
      cap !== undefined
        ? `Each worker is capped at ${cap} core and the caps limit every point (workers throttled in ${Math.min(...throttled)}–${Math.max(...throttled)}% of CFS periods) while the shared parts keep headroom, so throughput grows with N: ${best.workers} workers is fastest.`
        : best.workers === 1
          ? "More worker processes do not help on 2 cores shared with MariaDB, Redis and the load generator: each adds its own polling and heartbeats, and every event makes two Redis hops (the API forwards it to its owner's inbox; the answer and outcome come back the same way), so 1 worker is fastest here."
          : '';
    lines.push('', `What limits it: ${limitSentence(best.cpu, result.machine.cpus)} ${why}`.trimEnd());
  }
  const note = sizingNote(result);
  if (note) lines.push('', note);
  const soakText = soakLine(soak);
  if (soakText) lines.push('', soakText);
  lines.push('', '![latency histogram](bench/results/latency.svg)', '', '![throughput over time](bench/results/throughput.svg)', END);
  return lines.join('\n');
}

export function updateReadme(path: string, result: BenchResult): void {
  const text = readFileSync(path, 'utf8');
  const soakFile = join(dirname(path), 'bench/results/latest-soak.json');
  const soak = existsSync(soakFile) ? (JSON.parse(readFileSync(soakFile, 'utf8')) as BenchResult) : null;
  const section = readmeSection(result, result.settings.durationS > 0 ? null : soak);
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const next = start >= 0 && end > start ? `${text.slice(0, start)}${section}${text.slice(end + END.length)}` : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
