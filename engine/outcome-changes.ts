/**
 * What an event changed, instead of a copy of the whole journey per event.
 *
 * A stored outcome carries `changes`, a JSON Patch (RFC 6902: add, replace, remove) from the
 * journey's data before the event to its data after. A history then costs what the events
 * changed, not (events × size of the data); the data at any seq is the fold of the changes up to
 * it, and the journey row holds the latest. Outcomes stored before this format carry `data`.
 */
import type { Json, JsonObject } from '../dsl/index.js';
import type { EventOutcome } from './types.js';

export type DataChange = { op: 'add' | 'replace'; path: string; value: Json } | { op: 'remove'; path: string };

/** An outcome as stored: `changes` in place of the data after the event. */
export type StoredOutcome = Omit<EventOutcome, 'data'> & { changes: DataChange[] };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function same(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The changes that turn `before` into `after`: objects key by key, anything else replaced whole. */
export function diffData(before: JsonObject | null, after: JsonObject | null): DataChange[] {
  if (after === null) return before === null ? [] : [{ op: 'remove', path: '' }];
  if (before === null) return [{ op: 'replace', path: '', value: after }];
  const changes: DataChange[] = [];
  const walk = (from: JsonObject, to: JsonObject, prefix: string): void => {
    for (const key of Object.keys(from)) {
      if (!(key in to)) changes.push({ op: 'remove', path: `${prefix}/${escape(key)}` });
    }
    for (const [key, value] of Object.entries(to)) {
      const path = `${prefix}/${escape(key)}`;
      const old = from[key];
      if (old === undefined) changes.push({ op: 'add', path, value });
      else if (isObject(old) && isObject(value)) walk(old, value, path);
      else if (!same(old, value)) changes.push({ op: 'replace', path, value });
    }
  };
  walk(before, after, '');
  return changes;
}

/** Applies `changes` to a copy of `data`. */
export function applyChanges(data: JsonObject | null, changes: readonly DataChange[]): JsonObject | null {
  let result: JsonObject | null = data === null ? null : structuredClone(data);
  for (const change of changes) {
    if (change.path === '') {
      result = change.op === 'remove' ? null : (structuredClone(change.value) as JsonObject);
      continue;
    }
    const segments = change.path.slice(1).split('/').map(unescape);
    const last = segments.pop() as string;
    let target: JsonObject = (result ??= {});
    for (const segment of segments) {
      const next = target[segment];
      if (!isObject(next)) target[segment] = {};
      target = target[segment] as JsonObject;
    }
    if (change.op === 'remove') delete target[last];
    else target[last] = structuredClone(change.value);
  }
  return result;
}

/** The stored form of an outcome, given the journey's data before the event. */
export function toStoredOutcome(outcome: EventOutcome, before: JsonObject | null): StoredOutcome {
  const { data, ...rest } = outcome;
  return { ...rest, changes: outcome.outcome === 'applied' ? diffData(before, data) : [] };
}

/** True for an outcome stored with its changes (not with a copy of the data). */
export function hasChanges(stored: Record<string, unknown>): stored is Record<string, unknown> & { changes: DataChange[] } {
  return Array.isArray(stored.changes);
}
