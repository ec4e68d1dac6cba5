/**
 * A bead's steps walked abstractly, from a state: each path through its `if`s (as far as the
 * conditions cannot be decided) becomes a transition to the state its assignments leave, with
 * what it emits, starts, cancels and calls on the way.
 */
import { asBoolean, evaluateAbstract } from './abstract-evaluation.js';
import type { AbstractData, AbstractScope } from './abstract-evaluation.js';
import { COMPUTED_STATE, STARTED_STATE, UNSET_STATE } from './analysis-model.js';
import { exprText } from './expression-text.js';
import type { Json, Step } from './ir.js';

export interface Path {
  state: string;
  data: AbstractData;
  when: string[];
  emits: string[];
  startsTimers: string[];
  cancelsTimers: string[];
  calls: string[];
  /** Events sent to other journeys (`send`, `reply`). */
  sends: string[];
  /** Journey types started (`name version`). */
  starts: string[];
}

const MAX_PATHS = 256;

function clonePath(path: Path): Path {
  return {
    ...path,
    data: { known: new Map(path.data.known), rest: path.data.rest, changed: new Set(path.data.changed) },
    when: [...path.when],
    emits: [...path.emits],
    startsTimers: [...path.startsTimers],
    cancelsTimers: [...path.cancelsTimers],
    calls: [...path.calls],
    sends: [...path.sends],
    starts: [...path.starts],
  };
}

export function stateName(value: Json): string {
  if (value === null) return UNSET_STATE;
  return typeof value === 'string' ? value : COMPUTED_STATE;
}

function stateValue(state: string): Json | undefined {
  if (state === UNSET_STATE) return null;
  return state === COMPUTED_STATE || state === STARTED_STATE ? undefined : state;
}

export class StepWalker {
  approximate = false;
  constructor(private readonly stateField: string | null) {}

  walk(steps: readonly Step[], paths: Path[]): Path[] {
    let current = paths;
    for (const step of steps) current = current.flatMap((path) => this.step(step, path));
    return current;
  }

  private step(step: Step, path: Path): Path[] {
    const scope: AbstractScope = { data: path.data, context: null };
    switch (step.kind) {
      case 'assign': {
        if (step.local !== undefined) return [path]; // a loop's item: its list was marked changed
        const value = evaluateAbstract(step.value, scope);
        const [field] = step.path;
        if (field === undefined) return [path];
        if (step.path.length === 1 && value.k === 'value') path.data.known.set(field, value.value);
        else {
          path.data.known.delete(field);
          path.data.changed.add(field);
        }
        if (field === this.stateField) path.state = step.path.length === 1 && value.k === 'value' ? stateName(value.value) : COMPUTED_STATE;
        return [path];
      }
      case 'emit':
        path.emits.push(step.event);
        return [path];
      case 'startTimer':
        path.startsTimers.push(step.timer);
        return [path];
      case 'cancelTimer':
        path.cancelsTimers.push(step.timer);
        return [path];
      case 'call':
        path.calls.push(`${step.system}.${step.operation}`);
        return [path];
      case 'send':
        path.sends.push(step.event);
        return [path];
      case 'start':
        path.starts.push(`${step.journeyType} ${step.version}`);
        if (step.as !== undefined && step.as.local === undefined) this.changed(path, step.as.path);
        return [path];
      case 'forEach': {
        // The steps run once per item, and the list may be empty: what they do is walked once,
        // and the path where they do nothing is kept too when they would change the state.
        if (step.list.kind === 'path' && step.list.root === 'data') this.changed(path, step.list.segments);
        const once = this.walk(step.steps, [clonePath(path)]);
        return once.every((p) => p.state === path.state) ? once : [...once, path];
      }
      case 'process': {
        // A processor may change any field; it is assumed to leave the state field alone.
        const state = this.stateField === null ? undefined : path.data.known.get(this.stateField);
        path.data.known.clear();
        if (this.stateField !== null && state !== undefined) path.data.known.set(this.stateField, state);
        path.data.rest = 'unknown';
        return [path];
      }
      case 'if': {
        const condition = asBoolean(evaluateAbstract(step.condition, scope));
        if (condition.k === 'value') return this.walk(condition.value === true ? step.then : step.else, [path]);
        if (condition.k === 'error') return []; // the bead certainly fails here: no transition
        if (condition.k === 'notTrue') return this.walk(step.else, [path]);
        const text = exprText(step.condition);
        const otherwise = clonePath(path);
        path.when.push(text);
        otherwise.when.push(`not (${text})`);
        const both = [...this.walk(step.then, [path]), ...this.walk(step.else, [otherwise])];
        if (both.length > MAX_PATHS) {
          this.approximate = true;
          return both.slice(0, MAX_PATHS);
        }
        return both;
      }
    }
  }

  /** A data field set to something the analysis does not follow. */
  private changed(path: Path, target: readonly string[]): void {
    const [field] = target;
    if (field === undefined) return;
    path.data.known.delete(field);
    path.data.changed.add(field);
    if (field === this.stateField) path.state = COMPUTED_STATE;
  }

  /** The start of a bead in a state: what is known of the data there. */
  start(state: string, initiating: boolean): Path {
    const data: AbstractData = { known: new Map(), rest: initiating ? 'null' : 'unknown', changed: new Set() };
    const value = stateValue(state);
    if (!initiating && this.stateField !== null && value !== undefined) data.known.set(this.stateField, value);
    return {
      state: initiating ? (this.stateField === null ? STARTED_STATE : UNSET_STATE) : state,
      data,
      when: [],
      emits: [],
      startsTimers: [],
      cancelsTimers: [],
      calls: [],
      sends: [],
      starts: [],
    };
  }
}

export function assignsField(steps: readonly Step[], field: string, found: Json[] = []): { assigned: boolean; values: Json[]; computed: boolean } {
  let assigned = false;
  let computed = false;
  for (const step of steps) {
    if (step.kind === 'assign' && step.local === undefined && step.path[0] === field) {
      assigned = true;
      if (step.path.length === 1 && step.value.kind === 'literal') found.push(step.value.value);
      else computed = true;
    } else if (step.kind === 'if') {
      const inner = [assignsField(step.then, field, found), assignsField(step.else, field, found)];
      assigned ||= inner.some((i) => i.assigned);
      computed ||= inner.some((i) => i.computed);
    } else if (step.kind === 'forEach') {
      const inner = assignsField(step.steps, field, found);
      assigned ||= inner.assigned;
      computed ||= inner.computed;
    } else if (step.kind === 'start' && step.as !== undefined && step.as.local === undefined && step.as.path[0] === field) {
      assigned = true;
      computed = true;
    }
  }
  return { assigned, values: found, computed };
}

export function allSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((step) =>
    step.kind === 'if' ? [step, ...allSteps(step.then), ...allSteps(step.else)] : step.kind === 'forEach' ? [step, ...allSteps(step.steps)] : [step],
  );
}
