/**
 * Orthogonal arrows for the journey SVG (graph.ts) that go around boxes: an arrow never crosses a
 * state it does not start or end at, so a picture never suggests a path through a state that the
 * journey does not take. Pure geometry: boxes in, polylines out, the same every time.
 */

/** An axis-aligned rectangle: top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

/** How far a line keeps from a box it passes. */
const CLEARANCE = 5;
/** Room between parallel lines that share a corridor. */
const LANE = 7;

/** Whether the axis-aligned segment a–b passes through the box (grown by the clearance). */
export function segmentHitsBox(a: Point, b: Point, box: Box, clearance = CLEARANCE): boolean {
  const [x1, x2] = a.x <= b.x ? [a.x, b.x] : [b.x, a.x];
  const [y1, y2] = a.y <= b.y ? [a.y, b.y] : [b.y, a.y];
  return x2 > box.x - clearance && x1 < box.x + box.w + clearance && y2 > box.y - clearance && y1 < box.y + box.h + clearance;
}

/** Whether any segment of the polyline passes through the box. */
export function polylineHitsBox(points: readonly Point[], box: Box, clearance = CLEARANCE): boolean {
  return points.slice(1).some((p, i) => segmentHitsBox(points[i] ?? p, p, box, clearance));
}

/** One arrow to route: it leaves `from` horizontally and arrives at `to` horizontally. */
export interface RouteRequest {
  from: Point;
  to: Point;
  /** Free vertical channels near each end, where the arrow may turn (x). */
  exitX: number;
  entryX: number;
  /** The boxes the arrow starts and ends at: its first and last segments may touch them. */
  own: Box[];
}

/** A straight piece of an arrow already drawn, so that a later arrow keeps a lane away from it. */
interface Run {
  horizontal: boolean;
  /** Its y (horizontal) or x (vertical), and the span along it. */
  at: number;
  lo: number;
  hi: number;
  /** The arrow's ends: arrows that share one may share their lines (they fork or merge there). */
  from: string;
  to: string;
}

const key = (p: Point): string => `${p.x},${p.y}`;
const LANES = [0, 1, -1, 2, -2];

/**
 * Routes arrows one after the other around `obstacles`. An arrow leaves its start sideways, turns
 * in a free channel near its start (`exitX`), runs along a horizontal line (its start's or end's
 * height, or one of `corridors`), turns in a channel near its end (`entryX`) and arrives sideways:
 * the cheapest such route that touches no box and keeps a lane away from the other arrows'
 * lines (channels and corridors shift by lanes for that). When none is free, it goes below
 * everything (`floor`), where nothing blocks.
 */
export class Router {
  private readonly runs: Run[] = [];

  constructor(
    private readonly obstacles: readonly Box[],
    private readonly corridors: readonly number[],
    private floor: number,
  ) {}

  route(request: RouteRequest): Point[] {
    const { from, to, exitX, entryX } = request;
    const ys = [from.y, to.y, ...this.corridors.flatMap((y) => LANES.map((lane) => y + lane * LANE))];
    const candidates: Array<{ points: Point[]; cost: number }> = [];
    for (const [i, dx1] of LANES.entries()) {
      for (const [j, dx2] of LANES.entries()) {
        const [x1, x2] = [exitX + dx1 * LANE, entryX + dx2 * LANE];
        for (const y of ys) {
          const points = simplify([from, { x: x1, y: from.y }, { x: x1, y }, { x: x2, y }, { x: x2, y: to.y }, to]);
          const cost =
            Math.abs(from.y - y) + Math.abs(to.y - y) + Math.abs(x1 - from.x) + Math.abs(x2 - x1) + Math.abs(to.x - x2) + (i + j) * 2 + points.length * 4;
          candidates.push({ points, cost });
        }
      }
    }
    candidates.sort((a, b) => a.cost - b.cost);
    const chosen = candidates.find((c) => this.clear(c.points, request))?.points ?? this.below(request);
    this.take(chosen, request);
    return chosen;
  }

  private below(request: RouteRequest): Point[] {
    const { from, to, exitX, entryX } = request;
    this.floor += LANE;
    const y = this.floor;
    return simplify([from, { x: exitX, y: from.y }, { x: exitX, y }, { x: entryX, y }, { x: entryX, y: to.y }, to]);
  }

  private clear(points: Point[], request: RouteRequest): boolean {
    const [from, to] = [key(request.from), key(request.to)];
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1], points[i]];
      if (!a || !b) continue;
      const ends = i === 1 || i === points.length - 1;
      if (this.obstacles.some((box) => !(ends && request.own.includes(box)) && segmentHitsBox(a, b, box))) return false;
      // Another arrow's line within a lane would read as one line with this one.
      const run = toRun(a, b, from, to);
      const near = (r: Run): boolean => r.horizontal === run.horizontal && Math.abs(r.at - run.at) < LANE && run.hi > r.lo - LANE && run.lo < r.hi + LANE;
      if (this.runs.some((r) => r.from !== from && r.to !== to && near(r))) return false;
    }
    return true;
  }

  private take(points: Point[], request: RouteRequest): void {
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1], points[i]];
      if (a && b) this.runs.push(toRun(a, b, key(request.from), key(request.to)));
    }
  }
}

function toRun(a: Point, b: Point, from: string, to: string): Run {
  const horizontal = a.y === b.y;
  const [lo, hi] = horizontal ? [Math.min(a.x, b.x), Math.max(a.x, b.x)] : [Math.min(a.y, b.y), Math.max(a.y, b.y)];
  return { horizontal, at: horizontal ? a.y : a.x, lo, hi, from, to };
}

/** Drops repeated points and points in the middle of a straight run. */
export function simplify(points: readonly Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last.x === p.x && last.y === p.y) continue;
    const before = out[out.length - 2];
    if (before && last && ((before.x === last.x && last.x === p.x) || (before.y === last.y && last.y === p.y))) out.pop();
    out.push(p);
  }
  return out;
}

const num = (n: number): string => String(Math.round(n * 10) / 10);

/** SVG path data for a polyline, its corners rounded (radius at most half the shorter leg). */
export function roundedPath(points: readonly Point[], radius = 8): string {
  const first = points[0];
  if (!first) return '';
  const parts = [`M ${num(first.x)} ${num(first.y)}`];
  for (let i = 1; i < points.length; i++) {
    const p = points[i];
    const prev = points[i - 1];
    const next = points[i + 1];
    if (!p || !prev) continue;
    if (!next) {
      parts.push(`L ${num(p.x)} ${num(p.y)}`);
      continue;
    }
    const r = Math.min(radius, Math.hypot(p.x - prev.x, p.y - prev.y) / 2, Math.hypot(next.x - p.x, next.y - p.y) / 2);
    const towards = (q: Point, length: number): Point => {
      const d = Math.hypot(q.x - p.x, q.y - p.y) || 1;
      return { x: p.x + ((q.x - p.x) / d) * length, y: p.y + ((q.y - p.y) / d) * length };
    };
    const [a, b] = [towards(prev, r), towards(next, r)];
    parts.push(`L ${num(a.x)} ${num(a.y)}`, `Q ${num(p.x)} ${num(p.y)} ${num(b.x)} ${num(b.y)}`);
  }
  return parts.join(' ');
}
