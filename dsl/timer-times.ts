/**
 * When a started timer fires: its constant delay, or the time it computes from data or the event
 * (`at data.expiresAt`, `after event.days days`), evaluated when it starts with the evaluation's
 * `nowMs` (deterministic). A time that is not a time, a negative delay or one more than
 * `TIMER_MAX_DELAY_MS` ahead is an `InvalidTimer`, which the evaluator turns into the event's
 * rejection (`INVALID_TIMER`); a time already past fires at once.
 */
import { exprText } from './expression-text.js';
import { EvaluationError, evalExpr } from './expressions.js';
import type { Scope } from './expressions.js';
import { TIMER_MAX_DELAY_MS } from './ir.js';
import type { Json, TimerDefinition } from './ir.js';

export class InvalidTimer extends Error {
  override name = 'InvalidTimer';
}

const DAY_MS = 86_400_000;

/** `36525 days (100 years)`: the limit as messages give it. */
export const TIMER_MAX_DELAY_TEXT = `${TIMER_MAX_DELAY_MS / DAY_MS} days (100 years)`;

// RFC 3339 `date-time` (what JSON Schema's `format: date-time` accepts): the offset is required.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Ms since the epoch of an RFC 3339 date-time with its offset (`2026-07-01T09:00:00Z`,
 * `2026-07-01T11:00:00.5+02:00`), or null when the text is not one (`2026-02-30T00:00:00Z`, no
 * offset, a date alone). Fractions past the millisecond are dropped.
 */
export function parseDateTime(text: string): number | null {
  const match = DATE_TIME.exec(text);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = match[7] === undefined ? 0 : Math.floor(Number(`0${match[7]}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  // 60 is a leap second, as JSON Schema's date-time allows it.
  if (hour > 23 || minute > 59 || second > 60) return null;
  let offsetMinutes = 0;
  if (match[9] !== undefined) {
    const offsetHours = Number(match[10]);
    const offsetMins = Number(match[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, fraction);
  return utc.getTime() - offsetMinutes * 60_000;
}

function describe(value: Json): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : String(value);
}

function evaluated(timer: TimerDefinition, expr: Parameters<typeof evalExpr>[0], scope: Scope): Json {
  try {
    return evalExpr(expr, scope);
  } catch (thrown: unknown) {
    if (thrown instanceof EvaluationError) throw new InvalidTimer(`timer ${timer.name}: ${thrown.message}`);
    throw thrown;
  }
}

/** When a timer started now fires, in ms since the epoch; throws `InvalidTimer`. */
export function timerFireAtMs(timer: TimerDefinition, scope: Scope): number {
  const nowMs = scope.nowMs;
  const when = timer.when;
  let fireAtMs: number;
  if (when === undefined) {
    fireAtMs = nowMs + (timer.delayMs ?? 0);
  } else if (when.kind === 'after') {
    const amount = evaluated(timer, when.amount, scope);
    if (typeof amount !== 'number' || !Number.isFinite(amount)) {
      throw new InvalidTimer(`timer ${timer.name}: ${exprText(when.amount)} is ${describe(amount)}, not a number`);
    }
    if (amount < 0) throw new InvalidTimer(`timer ${timer.name}: ${exprText(when.amount)} is ${amount}; a delay cannot be negative`);
    fireAtMs = nowMs + Math.round(amount * when.unitMs);
  } else {
    const time = evaluated(timer, when.time, scope);
    let atMs: number | null = null;
    if (typeof time === 'number' && Number.isFinite(time)) atMs = time;
    else if (typeof time === 'string') atMs = parseDateTime(time);
    if (atMs === null) {
      throw new InvalidTimer(
        `timer ${timer.name}: ${exprText(when.time)} is ${describe(time)}, not a date-time (like 2026-07-01T09:00:00Z) or ms since the epoch`,
      );
    }
    // A time already past fires at once: it is due when it starts.
    fireAtMs = Math.max(atMs, nowMs);
  }
  if (fireAtMs - nowMs > TIMER_MAX_DELAY_MS) {
    throw new InvalidTimer(
      `timer ${timer.name}: ${new Date(Math.min(fireAtMs, 8.64e15)).toISOString()} is more than ${TIMER_MAX_DELAY_TEXT} ahead, the most a timer may wait`,
    );
  }
  return fireAtMs;
}
