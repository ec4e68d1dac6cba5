/**
 * Pictures of a journey for people who do not read the language: its states as nodes and its
 * beads as labelled arrows between them, as Mermaid text and as a self-contained SVG laid out
 * here (no browser, no layout library). Both come from the static analysis (analysis.ts), and the
 * same journey always gives byte-identical output.
 *
 * Arrow styles say where an event comes from: solid, a party sends it through the API; dotted,
 * a timer fires it; thick, it is a back-end system's answer; grey (circle-ended in Mermaid), the
 * journey emitted it to itself; green (in the SVG; `(from a journey)` in the label), another
 * journey sent it. A `by …` line under an event says who may send it (its `allow` rules, and the
 * `when`s that read the sender: `by role manager, not data.employee`); further lines name what
 * happens on the way: timers started or cancelled, back-end calls made, journeys started and
 * events sent to other journeys. A bracket gives the `if` condition when one event leads to
 * different states. Legends name only the kinds of arrow drawn. In the SVG an arrow never crosses
 * a state it does not start or end at (graph-routing.ts): a picture must not suggest a path the
 * journey does not take.
 *
 * `linksToMermaid` draws the links between journey types instead: which starts which, which
 * sends what to which (from the analysis of several journeys).
 */
import { analyzeJourney } from './analysis.js';
import { Router, roundedPath } from './graph-routing.js';
import type { Box, Point } from './graph-routing.js';
import { START_STATE } from './analysis-model.js';
import type { BeadSummary, JourneyAnalysis, JourneyLink, Transition } from './analysis-model.js';
import { exprText } from './expression-text.js';
import type { AccessRule, CompiledJourney, Expr, Precondition } from './ir.js';

/** Where the event of an arrow comes from. */
export type GraphTrigger = 'sender' | 'timer' | 'backend' | 'emitted' | 'journey';

export interface GraphEdgeLine {
  event: string;
  trigger: GraphTrigger;
  /** The `if` conditions that select this arrow among the bead's arrows from the same state. */
  when: string[];
  /**
   * Who may send it: the bead's `allow` rules, any one suffices, as readers say them
   * (`role manager, not data.employee`). Empty when anyone may, or when the rules only restate
   * the arrow's origin (`context.origin == "timer"` on a timer's arrow).
   */
  guards: string[];
  /** What happens on the way, e.g. `starts timer expiry, 5 days`, `calls booking.book`. */
  marks: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  lines: GraphEdgeLine[];
}

export interface GraphNode {
  state: string;
  kind: 'start' | 'state' | 'final';
  /** False for a state nothing reaches (drawn dashed). */
  reachable: boolean;
}

/** The picture's content, before any drawing. */
export interface JourneyGraph {
  name: string;
  version: string;
  source: string;
  stateField: string | null;
  nodes: GraphNode[];
  /** One per arrow, in bead order. */
  edges: GraphEdge[];
}

const SUFFIXES: Record<GraphTrigger, string> = { sender: '', timer: ' (timer)', backend: ' (reply)', emitted: ' (emitted)', journey: ' (from a journey)' };

const UNITS: Array<[number, string]> = [
  [604_800_000, 'week'],
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

/** `432000000` → `5 days`: the largest unit that divides the delay. */
export function formatDuration(ms: number): string {
  for (const [size, unit] of UNITS) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms === size ? '' : 's'}`;
  }
  return `${ms} ms`;
}

function triggerOf(summary: BeadSummary | undefined): GraphTrigger {
  const origins = summary?.origins ?? [];
  if (origins.includes('api') || origins.length === 0) return 'sender';
  if (origins.includes('timer')) return 'timer';
  if (origins.includes('backend')) return 'backend';
  if (origins.includes('journey')) return 'journey';
  return 'emitted';
}

function timerLabel(name: string): string {
  // Unnamed timers (`after … emit …` in a bead) are named `<bead>/after@line:column` in the IR.
  return name.includes('/after@') ? 'timer' : name;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

const isContext = (expr: Expr, field: string): boolean =>
  expr.kind === 'path' && expr.root === 'context' && expr.segments.length === 1 && expr.segments[0] === field;

function conjuncts(expr: Expr): Expr[] {
  return expr.kind === 'binary' && expr.op === 'and' ? [...conjuncts(expr.left), ...conjuncts(expr.right)] : [expr];
}

/** One conjunct of an access rule as a reader says it; null for an origin test (the arrow's style says it). */
function guardPart(expr: Expr): string | null {
  if (expr.kind !== 'binary') return exprText(expr, 3);
  const { op, left, right } = expr;
  if (op === '==' && (isContext(left, 'origin') || isContext(right, 'origin'))) return null;
  if (op === 'in' && left.kind === 'literal' && typeof left.value === 'string' && isContext(right, 'roles')) return `role ${left.value}`;
  if (op === 'in' && isContext(left, 'sender')) return `one of ${exprText(right, 5)}`;
  if (op === '==' || op === '!=') {
    // `sender == data.owner` / `sender != data.employee` ("not yourself"), either way round; the
    // same for the sending journey (`context.journey == data.requester`) and its type.
    for (const [field, prefix] of [
      ['sender', ''],
      ['journey', 'journey '],
      ['journeyType', 'journey type '],
    ] as const) {
      const other = isContext(left, field) ? right : isContext(right, field) ? left : null;
      if (!other) continue;
      const text = other.kind === 'literal' && typeof other.value === 'string' ? other.value : exprText(other, 5);
      return `${op === '!=' ? 'not ' : ''}${prefix}${text}`;
    }
  }
  return exprText(expr, 3);
}

const readsContext = (expr: Expr): boolean => JSON.stringify(expr).includes('"root":"context"');

/**
 * Who may send a bead's event, as guard texts: one per `allow` rule (any one suffices), each with
 * the `when`s that read the sender's context (`when sender != data.applicant`: four eyes), which
 * hold for every rule. An origin test is left out where it is all a rule says: the arrow's style
 * shows it.
 */
export function guardTexts(access: readonly AccessRule[], preconditions: readonly Precondition[] = []): string[] {
  const always = preconditions.filter((p) => readsContext(p.condition)).flatMap((p) => conjuncts(p.condition).map(guardPart));
  const rules = (access.length > 0 ? access.map((rule) => conjuncts(rule.condition).map(guardPart)) : [[]]).map((parts) => [...parts, ...always]);
  const originOnly = (parts: Array<string | null>): boolean => parts.every((p) => p === null);
  if (rules.every(originOnly)) return [];
  return rules.map((parts, i) => {
    const rule = access[i];
    return originOnly(parts) && rule ? exprText(rule.condition) : parts.filter((p): p is string => p !== null).join(', ');
  });
}

/** The arrows and nodes of a journey, from its analysis (computed when not given). */
export function journeyGraph(journey: CompiledJourney, analysis: JourneyAnalysis = analyzeJourney(journey)): JourneyGraph {
  // `5 days`, or the time from data as written (`at data.expiresAt`, `after event.days days`).
  const delays = new Map(journey.timers.map((t) => [t.name, t.when === undefined ? formatDuration(t.delayMs ?? 0) : t.when.text]));
  const summaries = new Map(analysis.beads.map((b) => [b.id, b]));
  const beads = new Map(journey.beads.map((b) => [b.id, b]));
  const marks = (paths: Transition[]): string[] =>
    unique([
      ...paths.flatMap((p) => p.startsTimers.map((t) => `starts timer ${timerLabel(t)}, ${delays.get(t) ?? formatDuration(0)}`)),
      ...paths.flatMap((p) => p.cancelsTimers.map((t) => `cancels timer ${timerLabel(t)}`)),
      ...paths.flatMap((p) => p.calls.map((c) => `calls ${c}`)),
      ...paths.flatMap((p) => p.starts.map((s) => `starts ${s}`)),
      ...paths.flatMap((p) => p.sends.map((e) => `sends ${e}`)),
    ]);

  // Group the transitions of one bead from one state by their target: one arrow each.
  const edges: GraphEdge[] = [];
  const byKey = new Map<string, GraphEdge>();
  const groups = new Map<string, Transition[]>();
  for (const t of analysis.transitions) {
    const summary = summaries.get(t.beadId);
    if (!summary || summary.origins.length === 0 || summary.preemptedIn.includes(t.from)) continue;
    const key = JSON.stringify([t.beadId, t.from, t.to]);
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  for (const paths of groups.values()) {
    const first = paths[0];
    if (!first) continue;
    const siblings = analysis.transitions.filter((t) => t.beadId === first.beadId && t.from === first.from);
    // Conditions every path to this target shares, when the bead also leads elsewhere.
    const when = siblings.some((t) => t.to !== first.to) ? first.when.filter((c) => paths.every((p) => p.when.includes(c))) : [];
    const line: GraphEdgeLine = {
      event: first.event,
      trigger: triggerOf(summaries.get(first.beadId)),
      when,
      guards: guardTexts(beads.get(first.beadId)?.access ?? [], beads.get(first.beadId)?.preconditions),
      marks: marks(paths),
    };
    const edgeKey = JSON.stringify([first.from, first.to]);
    const edge = byKey.get(edgeKey);
    if (edge) edge.lines.push(line);
    else {
      const created: GraphEdge = { from: first.from, to: first.to, lines: [line] };
      byKey.set(edgeKey, created);
      edges.push(created);
    }
  }

  const finals = new Set(analysis.finalStates);
  const reachable = new Set(analysis.reachableStates);
  const nodes: GraphNode[] = analysis.states
    .filter((state) => state === START_STATE || reachable.has(state) || edges.some((e) => e.from === state || e.to === state))
    .map((state) => ({ state, kind: state === START_STATE ? 'start' : finals.has(state) ? 'final' : 'state', reachable: reachable.has(state) }));
  return { name: journey.name, version: journey.version, source: journey.source, stateField: analysis.stateField, nodes, edges };
}

/** The text lines of one arrow label: the event (with its condition), who may send it, then what happens. */
export function lineTexts(line: GraphEdgeLine): string[] {
  const head = `${line.event}${SUFFIXES[line.trigger]}${line.when.length > 0 ? ` [${line.when.join(' and ')}]` : ''}`;
  return [head, ...line.guards.map((guard, i) => `${i === 0 ? 'by' : 'or by'} ${guard}`), ...line.marks];
}

// ---- Mermaid ------------------------------------------------------------------------------

function nodeIds(graph: JourneyGraph): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const node of graph.nodes) {
    const base = node.kind === 'start' ? 'start' : `s_${node.state.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(node.state, id);
  }
  return ids;
}

/** Mermaid's entity codes, so labels survive its parser and HTML labels. */
function mermaidText(text: string): string {
  return text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

const MERMAID_ARROWS: Record<GraphTrigger, string> = { sender: '-->', timer: '-.->', backend: '==>', emitted: '--o', journey: '-->' };

// Another journey's events are drawn as a party's (-->), labelled `(from a journey)`: a line of its own.
const MERMAID_LEGEND: Record<Exclude<GraphTrigger, 'journey'>, string> = {
  sender: 'sent by a party',
  timer: 'fired by a timer',
  backend: 'a back-end answer',
  emitted: 'emitted by the journey',
};

/** What each kind of arrow means, in legend order (the SVG's legend says the same). */
const ARROW_MEANINGS: Array<[GraphTrigger, string]> = [
  ['sender', 'sent by a party (API)'],
  ['timer', 'fired by a timer'],
  ['backend', 'reply of a back-end call'],
  ['emitted', 'emitted by the journey itself'],
  ['journey', 'sent by another journey'],
];

/** The kinds of arrow a graph draws, in legend order: a legend names only those. */
export function drawnTriggers(graph: JourneyGraph): GraphTrigger[] {
  const drawn = new Set(graph.edges.flatMap((e) => e.lines.map((l) => l.trigger)));
  return ARROW_MEANINGS.map(([trigger]) => trigger).filter((trigger) => drawn.has(trigger));
}

/** The journey as a Mermaid flowchart, left to right; its legend names only the arrows drawn. */
export function toMermaid(graph: JourneyGraph): string {
  const ids = nodeIds(graph);
  const drawn = new Set(drawnTriggers(graph));
  const arrows = drawnTriggers(graph).flatMap((t) => (t === 'journey' ? [] : [`${MERMAID_ARROWS[t]} ${MERMAID_LEGEND[t]}`]));
  const lines = [`%% ${graph.name} ${graph.version} (${graph.source}). Generated by \`journey graph\`: do not edit.`];
  if (arrows.length > 0) lines.push(`%% Arrows: ${arrows.join(', ')}.`);
  if (drawn.has('journey')) lines.push('%% An event labelled (from a journey) was sent by another journey.');
  if (graph.edges.some((e) => e.lines.some((l) => l.guards.length > 0)))
    lines.push('%% A line "by …" says who may send the event (its allow rules; "not data.x": anyone but that party).');
  lines.push('flowchart LR');
  for (const node of graph.nodes) {
    const id = ids.get(node.state) ?? '';
    const label = mermaidText(node.state);
    lines.push(node.kind === 'start' ? `  ${id}((start))` : node.kind === 'final' ? `  ${id}(["${label}"])` : `  ${id}["${label}"]`);
  }
  for (const edge of graph.edges) {
    for (const line of edge.lines) {
      const label = lineTexts(line).map(mermaidText).join('<br/>');
      lines.push(`  ${ids.get(edge.from) ?? ''} ${MERMAID_ARROWS[line.trigger]}|"${label}"| ${ids.get(edge.to) ?? ''}`);
    }
  }
  const unreachable = graph.nodes.filter((n) => !n.reachable && n.kind !== 'start').map((n) => ids.get(n.state) ?? '');
  if (unreachable.length > 0) {
    lines.push('  classDef unreachable stroke-dasharray: 4 4, color: #888');
    lines.push(`  class ${unreachable.join(',')} unreachable`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- SVG ----------------------------------------------------------------------------------

const FONT = 'Helvetica, Arial, sans-serif';
const NODE_FONT = 13;
const LABEL_FONT = 11;
const LINE_HEIGHT = 14;
const NODE_HEIGHT = 40;
const MARGIN = 24;
/** Label lines longer than this wrap (conditions can be long); a label keeps at most 3 lines of one. */
const WRAP = 44;
/** Room between a label box and the nodes on either side of its gap, for the lines. */
const STUB = 36;

/** A text width estimate (no fonts are measured): wide enough for Helvetica at that size. */
function textWidth(text: string, size: number): number {
  let units = 0;
  for (const char of text) {
    if (/[A-Z@#%&mwMW]/.test(char)) units += 0.72;
    else if (/[iljtf.,:;'|! ()[\]]/.test(char)) units += 0.34;
    else units += 0.56;
  }
  return Math.ceil(units * size);
}

function wrap(text: string): string[] {
  if (text.length <= WRAP) return [text];
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > WRAP) {
      lines.push(current);
      current = `  ${word}`;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  lines.push(current);
  return lines.length > 3 ? [...lines.slice(0, 2), `${(lines[2] ?? '').slice(0, WRAP - 1)}…`] : lines;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (n: number): string => String(Math.round(n * 10) / 10);

/** A label box on the arrows of one or more edges that share a target and a label. */
interface LabelBox {
  target: string;
  sources: string[];
  lines: Array<{ text: string; head: boolean }>;
  style: GraphTrigger | 'mixed';
  /** The gap (after this column) the box sits in. */
  gap: number;
  /** Where it would like to be, vertically (centre). */
  preferredY: number;
  box: Box;
}

/** Columns: distance from the start for states that go on; final states right of their last cause. */
function layout(graph: JourneyGraph): Map<string, { column: number; row: number }> {
  const kind = new Map(graph.nodes.map((n) => [n.state, n.kind]));
  const depth = new Map<string, number>([[START_STATE, 0]]);
  const order: string[] = [START_STATE];
  for (let i = 0; i < order.length; i++) {
    const state = order[i] ?? '';
    for (const edge of graph.edges) {
      if (edge.from === state && !depth.has(edge.to)) {
        depth.set(edge.to, (depth.get(state) ?? 0) + 1);
        order.push(edge.to);
      }
    }
  }
  const column = new Map<string, number>();
  for (const state of order) if (kind.get(state) !== 'final') column.set(state, depth.get(state) ?? 0);
  for (const state of order) {
    if (kind.get(state) !== 'final') continue;
    const causes = graph.edges.filter((e) => e.to === state && e.from !== state).map((e) => column.get(e.from) ?? 0);
    column.set(state, Math.max(0, ...causes) + 1);
  }
  // States nothing reaches go in a last column of their own.
  const last = Math.max(0, ...column.values()) + 1;
  for (const node of graph.nodes) {
    if (!column.has(node.state)) {
      column.set(node.state, last);
      order.push(node.state);
    }
  }
  const placed = new Map<string, { column: number; row: number }>();
  const byColumn = new Map<number, string[]>();
  for (const state of order) {
    if (!kind.has(state)) continue;
    const c = column.get(state) ?? 0;
    byColumn.set(c, [...(byColumn.get(c) ?? []), state]);
  }
  for (const [c, states] of byColumn) {
    const rank = (state: string): number => (kind.get(state) === 'final' ? 1 : 0);
    const sorted = states.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i);
    sorted.forEach(({ s }, row) => placed.set(s, { column: c, row }));
  }
  return placed;
}

/** One piece of an arrow as drawn: a polyline between a state and its label, or a label and a state. */
export interface GraphRoute {
  /** The arrow's source and target states. */
  from: string;
  to: string;
  points: Point[];
}

/** The SVG and where it put things. */
export interface SvgDrawing {
  svg: string;
  nodes: Map<string, Box>;
  routes: GraphRoute[];
  /** The kinds of arrow the legend names, in its order. */
  legend: GraphTrigger[];
}

function subtitleOf(graph: JourneyGraph): string {
  return graph.stateField === null
    ? 'no state field: every bead applies while its rules hold'
    : `states of data.${graph.stateField}; arrows are the events that move between them`;
}

function drawSvg(graph: JourneyGraph): SvgDrawing {
  const positions = layout(graph);
  const columnOf = (state: string): number => positions.get(state)?.column ?? 0;
  const columns = Math.max(0, ...[...positions.values()].map((p) => p.column)) + 1;
  const rows = Math.max(0, ...[...positions.values()].map((p) => p.row)) + 1;
  const nodeWidth = (node: GraphNode): number => (node.kind === 'start' ? 24 : Math.max(96, textWidth(node.state, NODE_FONT) + 32));
  const columnWidth = Array.from({ length: columns }, (_, c) => Math.max(24, ...graph.nodes.filter((n) => columnOf(n.state) === c).map(nodeWidth)));
  const textOf = (edge: GraphEdge): Array<{ text: string; head: boolean }> =>
    edge.lines.flatMap((line) => lineTexts(line).flatMap((text, i) => wrap(text).map((part) => ({ text: part, head: i === 0 }))));
  // Head lines are bold: about a tenth wider.
  const boxSize = (lines: Array<{ text: string; head: boolean }>): { w: number; h: number } => ({
    w: Math.max(...lines.map((l) => Math.ceil(textWidth(l.text, LABEL_FONT) * (l.head ? 1.12 : 1)))) + 12,
    h: lines.length * LINE_HEIGHT + 6,
  });

  // Self-loops get their label above the node; rows leave room for the tallest.
  const loops = graph.edges.filter((e) => e.from === e.to);
  const loopHeight = Math.max(0, ...loops.map((e) => boxSize(textOf(e)).h));
  const rowHeight = NODE_HEIGHT + loopHeight + 70;
  const top = MARGIN + 44 + (loops.length > 0 ? loopHeight + 40 : 0);
  const rowY = (row: number): number => top + row * rowHeight + NODE_HEIGHT / 2;

  // One label box per (target, label): arrows with the same label into one state share it.
  const boxes: LabelBox[] = [];
  for (const edge of graph.edges.filter((e) => e.from !== e.to)) {
    const lines = textOf(edge);
    const key = JSON.stringify(lines);
    const triggers = new Set(edge.lines.map((l) => l.trigger));
    const style: LabelBox['style'] = triggers.size === 1 ? ([...triggers][0] ?? 'sender') : 'mixed';
    const [from, to] = [columnOf(edge.from), columnOf(edge.to)];
    // Forward arrows: in the gap just before the target. Others: in the gap after the source.
    const gap = to > from ? to - 1 : from;
    const shared = boxes.find((b) => b.target === edge.to && b.gap === gap && JSON.stringify(b.lines) === key);
    if (shared) {
      shared.sources.push(edge.from);
      continue;
    }
    const size = boxSize(lines);
    const preferredY =
      to > from && to === from + 1
        ? (rowY(positions.get(edge.from)?.row ?? 0) + rowY(positions.get(edge.to)?.row ?? 0)) / 2
        : rowY(positions.get(edge.to)?.row ?? 0);
    boxes.push({ target: edge.to, sources: [edge.from], lines, style, gap, preferredY, box: { x: 0, y: 0, ...size } });
  }
  const gapWidth = Array.from({ length: columns }, (_, c) => Math.max(72, ...boxes.filter((b) => b.gap === c).map((b) => b.box.w + 2 * STUB)));
  const columnX: number[] = [];
  let x = MARGIN;
  for (let c = 0; c < columns; c++) {
    columnX.push(x);
    x += (columnWidth[c] ?? 0) + (gapWidth[c] ?? 0);
  }

  const nodes = new Map<string, GraphNode & { box: Box }>();
  for (const node of graph.nodes) {
    const c = columnOf(node.state);
    const w = nodeWidth(node);
    const h = node.kind === 'start' ? 24 : NODE_HEIGHT;
    const cx = (columnX[c] ?? 0) + (columnWidth[c] ?? 0) / 2;
    const cy = rowY(positions.get(node.state)?.row ?? 0);
    nodes.set(node.state, { ...node, box: { x: cx - w / 2, y: cy - h / 2, w, h } });
  }

  // Stack each gap's boxes top to bottom near where they would like to be, never overlapping.
  for (let c = 0; c < columns; c++) {
    const inGap = boxes.filter((b) => b.gap === c).sort((a, b) => a.preferredY - b.preferredY);
    const centre = (columnX[c] ?? 0) + (columnWidth[c] ?? 0) + (gapWidth[c] ?? 0) / 2;
    let floor = -Infinity;
    for (const label of inGap) {
      const y = Math.max(label.preferredY - label.box.h / 2, floor);
      label.box = { ...label.box, x: centre - label.box.w / 2, y };
      floor = y + label.box.h + 10;
    }
  }

  const loopLabels: Array<{ lines: Array<{ text: string; head: boolean }>; box: Box }> = [];
  const paths: Array<{ style: GraphTrigger; d: string; arrow: boolean }> = [];
  for (const edge of loops) {
    const n = nodes.get(edge.from)?.box;
    if (!n) continue;
    const cx = n.x + n.w / 2;
    const triggers = new Set(edge.lines.map((l) => l.trigger));
    const style = triggers.size === 1 ? ([...triggers][0] ?? 'sender') : 'sender';
    const d = `M ${num(cx - 14)} ${num(n.y)} C ${num(cx - 36)} ${num(n.y - 40)} ${num(cx + 36)} ${num(n.y - 40)} ${num(cx + 14)} ${num(n.y)}`;
    paths.push({ style, d, arrow: true });
    const lines = textOf(edge);
    const size = boxSize(lines);
    loopLabels.push({ lines, box: { x: Math.max(MARGIN, cx - size.w / 2), y: n.y - 32 - size.h, ...size } });
  }

  // Arrows go around every box they do not start or end at (graph-routing.ts): through the free
  // channels at the sides of each gap, and along the free lines between and around the rows.
  const labelled = [...[...nodes.values()].map((n) => n.box), ...boxes.map((b) => b.box), ...loopLabels.map((l) => l.box)];
  const corridors = Array.from({ length: rows }, (_, r) => [rowY(r) - NODE_HEIGHT / 2 - 14, rowY(r) + NODE_HEIGHT / 2 + 14, rowY(r) + rowHeight / 2]).flat();
  const heading: Box = { x: MARGIN, y: MARGIN, w: Math.max(textWidth(`${graph.name} ${graph.version}`, 16), textWidth(subtitleOf(graph), 12)), h: 40 };
  const router = new Router([heading, ...labelled], corridors, Math.max(...labelled.map((b) => b.y + b.h)) + 12);
  const gapStart = (c: number): number => (columnX[c] ?? 0) + (columnWidth[c] ?? 0);
  const gapEnd = (c: number): number => gapStart(c) + (gapWidth[c] ?? 0);
  const routes: GraphRoute[] = [];
  for (const label of boxes) {
    const target = nodes.get(label.target)?.box;
    if (!target) continue;
    const b = label.box;
    const midY = b.y + b.h / 2;
    const style = label.style === 'mixed' ? 'sender' : label.style;
    for (const source of label.sources) {
      const s = nodes.get(source)?.box;
      if (!s) continue;
      const points = router.route({
        from: { x: s.x + s.w, y: s.y + s.h / 2 },
        to: { x: b.x, y: midY },
        exitX: gapStart(columnOf(source)) + STUB / 2,
        entryX: gapStart(label.gap) + STUB / 2,
        own: [s, b],
      });
      routes.push({ from: source, to: label.target, points });
      paths.push({ style, d: roundedPath(points), arrow: false });
    }
    // Forward into the next column's left side; back (or down the same column) into its right side.
    const forward = columnOf(label.target) === label.gap + 1;
    const ty = target.y + target.h / 2;
    const points = router.route({
      from: { x: b.x + b.w, y: midY },
      to: forward ? { x: target.x, y: ty } : { x: target.x + target.w, y: ty },
      exitX: gapEnd(label.gap) - STUB / 2,
      entryX: forward ? gapEnd(label.gap) - STUB / 2 : gapStart(columnOf(label.target)) + STUB / 2,
      own: [b, target],
    });
    for (const source of label.sources) routes.push({ from: source, to: label.target, points });
    paths.push({ style, d: roundedPath(points), arrow: true });
  }

  const all = [...labelled, ...routes.flatMap((r) => r.points.map((p) => ({ x: p.x, y: p.y, w: 0, h: 0 })))];
  const contentRight = Math.max(...all.map((b) => b.x + b.w));
  const contentBottom = Math.max(...all.map((b) => b.y + b.h), rowY(rows - 1) + NODE_HEIGHT);
  const legendY = contentBottom + 36;
  // The legend names the kinds of arrow drawn, and what a `by …` line means when there is one.
  const styles = new Set(paths.map((p) => p.style));
  const legend: Array<[GraphTrigger | null, string]> = ARROW_MEANINGS.filter(([trigger]) => styles.has(trigger));
  if (graph.edges.some((e) => e.lines.some((l) => l.guards.length > 0))) legend.push([null, 'by …: who may send it (not x: anyone but x)']);
  const legendX: number[] = [];
  let lx = MARGIN;
  for (const [trigger, text] of legend) {
    legendX.push(lx);
    lx += (trigger === null ? 0 : 48) + textWidth(text, LABEL_FONT) + 32;
  }
  const title = `${graph.name} ${graph.version}`;
  const subtitle = subtitleOf(graph);
  const width = Math.ceil(Math.max(contentRight, lx, textWidth(subtitle, 12) + MARGIN) + MARGIN);
  const height = Math.ceil(legendY + 32);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<!-- ${xml(graph.name)} ${xml(graph.version)} (${xml(graph.source)}). Generated by journey graph: do not edit. -->`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>',
    '<style>.edge{fill:none;stroke:#333;stroke-width:1.4}.edge.timer{stroke-dasharray:5 4}.edge.backend{stroke-width:3}.edge.emitted{stroke:#888}' +
      (styles.has('journey') ? '.edge.journey{stroke:#2e7d32}' : '') +
      '.node{fill:#eef4fb;stroke:#2c5d8f;stroke-width:1.5}.node.final{fill:#f2f2f2;stroke:#444}.node.unreachable{stroke-dasharray:4 3;fill:#fff;stroke:#999}' +
      `.label{fill:#fff;stroke:#bbb;stroke-width:0.8}.name{font-size:${NODE_FONT}px;fill:#111}.text{font-size:${LABEL_FONT}px;fill:#333}.head{font-weight:bold;fill:#111}` +
      '.title{font-size:16px;font-weight:bold}.subtitle{font-size:12px;fill:#555}</style>',
    `<text class="title" x="${MARGIN}" y="${MARGIN + 14}">${xml(title)}</text>`,
    `<text class="subtitle" x="${MARGIN}" y="${MARGIN + 32}">${xml(subtitle)}</text>`,
    ...paths.map((p) => `<path class="edge ${p.style}" d="${p.d}"${p.arrow ? ' marker-end="url(#arrow)"' : ''}/>`),
  ];
  for (const node of nodes.values()) {
    const { x: bx, y: by, w, h } = node.box;
    if (node.kind === 'start') {
      out.push(`<circle cx="${num(bx + w / 2)}" cy="${num(by + h / 2)}" r="10" fill="#222"/>`);
      continue;
    }
    const classes = ['node', node.kind === 'final' ? 'final' : '', node.reachable ? '' : 'unreachable'].filter((c) => c !== '').join(' ');
    out.push(`<rect class="${classes}" x="${num(bx)}" y="${num(by)}" width="${num(w)}" height="${num(h)}" rx="10"/>`);
    if (node.kind === 'final') out.push(`<rect class="${classes}" x="${num(bx + 4)}" y="${num(by + 4)}" width="${num(w - 8)}" height="${num(h - 8)}" rx="7"/>`);
    out.push(`<text class="name" x="${num(bx + w / 2)}" y="${num(by + h / 2 + 4.5)}" text-anchor="middle">${xml(node.state)}</text>`);
  }
  for (const label of [...boxes, ...loopLabels]) {
    const { x: bx, y: by, w, h } = label.box;
    out.push(`<rect class="label" x="${num(bx)}" y="${num(by)}" width="${num(w)}" height="${num(h)}" rx="4"/>`);
    label.lines.forEach((line, i) => {
      out.push(`<text class="text${line.head ? ' head' : ''}" x="${num(bx + 5)}" y="${num(by + 14 + i * LINE_HEIGHT)}">${xml(line.text)}</text>`);
    });
  }
  legend.forEach(([trigger, text], i) => {
    const at = legendX[i] ?? 0;
    if (trigger !== null) out.push(`<path class="edge ${trigger}" d="M ${at} ${num(legendY)} L ${at + 40} ${num(legendY)}" marker-end="url(#arrow)"/>`);
    out.push(`<text class="text" x="${at + (trigger === null ? 0 : 48)}" y="${num(legendY + 4)}">${xml(text)}</text>`);
  });
  out.push('</svg>');
  const placed = new Map([...nodes].map(([state, node]) => [state, node.box]));
  return { svg: `${out.join('\n')}\n`, nodes: placed, routes, legend: legend.flatMap(([trigger]) => (trigger === null ? [] : [trigger])) };
}

/** The journey as a standalone SVG document: title, states, arrows with labels, and a legend. */
export function toSvg(graph: JourneyGraph): string {
  return drawSvg(graph).svg;
}

/**
 * Where the SVG puts things: each state's box, the polyline of each arrow (an arrow through a
 * shared label has a piece from each source to the label and one from the label on) and the
 * kinds of arrow its legend names. For tests and tools that check the picture's geometry.
 */
export function svgGeometry(graph: JourneyGraph): Omit<SvgDrawing, 'svg'> {
  const { svg: _svg, ...geometry } = drawSvg(graph);
  return geometry;
}

// ---- links between journey types ---------------------------------------------------------

const LINK_ARROWS: Record<JourneyLink['kind'], string> = { start: '==>', send: '-->', reply: '-.->' };

/**
 * The links between journey types (`JourneysAnalysis.links`) as a Mermaid flowchart, left to
 * right: a thick arrow where one starts the other, a solid one for the events it sends, a dotted
 * one for its replies. Links that reach none of the journeys analysed are left out.
 */
export function linksToMermaid(links: readonly JourneyLink[]): string {
  const drawn = links.filter((link) => link.to.length > 0);
  const types = unique(drawn.flatMap((link) => [link.from, ...link.to])).sort();
  const ids = new Map(types.map((type, i) => [type, `j${i + 1}`]));
  const lines = [
    '%% Links between journey types. Generated by `journey graph --links`: do not edit.',
    '%% Arrows: ==> starts it, --> sends it events, -.-> replies to it.',
    'flowchart LR',
    ...types.map((type) => `  ${ids.get(type) ?? ''}["${mermaidText(type)}"]`),
  ];
  const labels = new Map<string, string[]>();
  for (const link of drawn) {
    for (const to of link.to) {
      const key = JSON.stringify([link.from, to, link.kind]);
      const text = link.kind === 'start' ? `starts${link.event === null ? '' : ` with ${link.event}`}` : (link.event ?? '');
      const list = labels.get(key) ?? [];
      if (!list.includes(text)) list.push(text);
      labels.set(key, list);
    }
  }
  for (const [key, texts] of labels) {
    const [from, to, kind] = JSON.parse(key) as [string, string, JourneyLink['kind']];
    const label = mermaidText(kind === 'start' ? texts.join(', ') : `${kind === 'reply' ? 'replies ' : ''}${texts.join(', ')}`);
    lines.push(`  ${ids.get(from) ?? ''} ${LINK_ARROWS[kind]}|"${label}"| ${ids.get(to) ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}
