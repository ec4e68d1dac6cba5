/**
 * The circuit breakers of the back ends, shared by the nodes of a cluster through the grid: one
 * small key per back end (`<namespace>:{breaker:<system>}:state`) holding the breaker's snapshot
 * (circuit-breaker.ts), sealed with a MAC under the grid secret, and moved by compare-and-set
 * (`swap-breaker-1.lua`) so that two nodes stepping the same breaker at once never lose a step.
 * A healthy back end costs two reads per call (before it, and after to report) and no write: a
 * window opens only at a failure.
 *
 * Redis is only a hint here, and not trusted. A state whose MAC fails is not taken (the breaker
 * reads as closed, the drop is counted); one a node cannot read (Redis down or slow) lets the
 * call go. What whoever writes Redis can still do is delete or replay a genuine state: at worst a
 * breaker opens again for `openMs` (calls fail fast to their fallback, as they would in an outage
 * of that back end) or closes (calls go to a failing back end and are retried and dead-lettered
 * as without a breaker). Neither makes a journey take an answer its back end did not give.
 *
 * Every node logs the transitions it makes (the one whose compare-and-set wins) and counts them in
 * `je_backend_breaker_transitions_total{system,from,to}`; `je_backend_breaker_state{system}`
 * shows the state as this node last read it (0 closed, 1 half-open, 2 open).
 */
import { JourneyError, ensureError } from '../common/index.js';
import type { Clock, Logger } from '../common/index.js';
import type { JsonObject } from '../dsl/index.js';
import { queryOf } from './backend-query.js';
import type { BackendHandler, BackendRegistry } from './calls.js';
import { BREAKER_STATES, CLOSED_BREAKER, DEFAULT_BREAKER_OPTIONS, breakerOptionsProblem, isBreakerSnapshot, stepBreaker } from './circuit-breaker.js';
import type { Admission, BreakerInput, BreakerOptions, BreakerSnapshot, BreakerStep } from './circuit-breaker.js';
import type { EngineMetrics } from './metrics.js';
import type { GridPort } from './ports.js';

/** Where the breakers' snapshots are kept: the grid (shared by the cluster) or this process. */
export type BreakerStore = Pick<GridPort, 'getBreaker' | 'swapBreaker'>;

/** Steps lost to other nodes' compare-and-set before a node gives up on one (the step is a hint). */
const MAX_SWAPS = 5;

/** A breaker's key outlives its longest interval this many times, then expires (a closed breaker). */
const TTL_FACTOR = 10;

/** A store within this process: a node without a grid, and unit tests. */
export function createLocalBreakerStore(): BreakerStore {
  const held = new Map<string, string>();
  return {
    getBreaker: (system) => {
      const token = held.get(system) ?? null;
      return Promise.resolve({ token, json: token });
    },
    swapBreaker: (system, token, json) => {
      if ((held.get(system) ?? null) !== token) return Promise.resolve(false);
      held.set(system, json);
      return Promise.resolve(true);
    },
  };
}

/** The breaker options per back-end system, each complete and checked. */
export function resolveBreakerOptions(given: Record<string, Partial<BreakerOptions>>): Map<string, BreakerOptions> {
  const resolved = new Map<string, BreakerOptions>();
  for (const [system, options] of Object.entries(given)) {
    const full: BreakerOptions = { ...DEFAULT_BREAKER_OPTIONS, ...options };
    const problem = breakerOptionsProblem(full);
    if (problem !== null) {
      throw new JourneyError('JE_CONFIG_INVALID', `the circuit breaker of back end ${system}: ${problem}`, { details: { system } });
    }
    resolved.set(system, full);
  }
  return resolved;
}

interface BoardDependencies {
  store: BreakerStore;
  metrics: EngineMetrics;
  logger: Logger;
  /** The engine's clock (corrected to the database's), so nodes agree on when a breaker may probe. */
  clock: Pick<Clock, 'nowMs'>;
}

export class BreakerBoard {
  private readonly log: Logger;

  constructor(
    private readonly options: ReadonlyMap<string, BreakerOptions>,
    private readonly deps: BoardDependencies,
  ) {
    this.log = deps.logger.child({ component: 'breakers' });
    for (const system of options.keys()) deps.metrics.breakerState.set({ system }, 0);
  }

  /** The time the breakers go by (the engine's clock). */
  nowMs(): number {
    return this.deps.clock.nowMs();
  }

  /** The options of `system`'s breaker; undefined when it has none. */
  optionsOf(system: string): BreakerOptions | undefined {
    return this.options.get(system);
  }

  /** May a call to `system` go now? Without a readable state (Redis down), it may: the breaker is a hint. */
  async admit(system: string): Promise<Admission> {
    const step = await this.step(system, { kind: 'admit' });
    const admission = step?.admission ?? { kind: 'call' };
    if (admission.kind === 'reject') this.deps.metrics.breakerRejected.inc({ system });
    return admission;
  }

  /** Reports how a call that was let through went (`probe`: it went as one). */
  async record(system: string, ok: boolean, probe: boolean): Promise<void> {
    await this.step(system, { kind: 'result', ok, probe });
  }

  /**
   * Reads the breaker, steps it, and writes the step back if it changed anything, again from a
   * fresh read when another node wrote first. Null when the grid cannot be reached. A step that
   * keeps losing the race is given up (returned, not written); an admission it would have granted
   * as a probe is then refused, so probes stay as few as the options say.
   */
  private async step(system: string, input: BreakerInput): Promise<BreakerStep | null> {
    const options = this.options.get(system);
    if (!options) return null;
    try {
      let step: BreakerStep | null = null;
      for (let swap = 0; swap < MAX_SWAPS; swap += 1) {
        const { token, snapshot } = await this.read(system);
        step = stepBreaker(snapshot, input, options, this.deps.clock.nowMs());
        this.showState(system, step.snapshot);
        if (!step.changed) return step;
        const ttlMs = TTL_FACTOR * Math.max(options.openMs, options.windowMs);
        if (await this.deps.store.swapBreaker(system, token, JSON.stringify(step.snapshot), ttlMs)) {
          if (step.transition) this.transitioned(system, step);
          return step;
        }
      }
      this.log.debug({ system }, 'breaker step lost to other nodes; not recorded');
      return step?.admission?.kind === 'probe' ? { ...step, admission: { kind: 'reject', retryAtMs: step.snapshot.probesUntilMs } } : step;
    } catch (error) {
      this.log.debug({ err: ensureError(error), system }, 'breaker state unreadable; the call goes as if it were closed');
      return null;
    }
  }

  private async read(system: string): Promise<{ token: string | null; snapshot: BreakerSnapshot }> {
    const { token, json } = await this.deps.store.getBreaker(system);
    if (json === null) return { token, snapshot: { ...CLOSED_BREAKER } };
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      parsed = null;
    }
    // Signed by a node, but not in a shape this build knows (another version): start closed.
    return { token, snapshot: isBreakerSnapshot(parsed) ? parsed : { ...CLOSED_BREAKER } };
  }

  private showState(system: string, snapshot: BreakerSnapshot): void {
    this.deps.metrics.breakerState.set({ system }, BREAKER_STATES.indexOf(snapshot.state));
  }

  private transitioned(system: string, step: BreakerStep): void {
    const transition = step.transition;
    if (!transition) return;
    this.deps.metrics.breakerTransitions.inc({ system, from: transition.from, to: transition.to });
    const line = { system, from: transition.from, to: transition.to, reason: transition.reason };
    if (transition.to === 'open') this.log.warn(line, `circuit breaker of ${system} opened: calls fail fast (or wait) until a probe succeeds`);
    else this.log.info(line, `circuit breaker of ${system} is ${transition.to}`);
  }
}

/**
 * Whether a handler's error says the back end is failing (counted by its breaker) rather than
 * that it refused this request (`JE_BACKEND_REFUSED`, or any error that is not retryable): a back
 * end that answers "no" is up.
 */
export function countsAgainstBreaker(error: unknown): boolean {
  return !(error instanceof JourneyError) || error.retryable;
}

/**
 * The registry with every handler of a system that has a breaker behind that breaker: a call the
 * breaker refuses throws `JE_BACKEND_CIRCUIT_OPEN` without reaching the handler (with
 * `retryAfterMs` when the back end's calls wait rather than fail fast: the call runner holds
 * the call until then), and every call let through reports how it went.
 */
export function guardBackends(registry: BackendRegistry, board: BreakerBoard): BackendRegistry {
  const guarded: BackendRegistry = {};
  for (const [name, handler] of Object.entries(registry)) {
    const system = name.slice(0, name.indexOf('.'));
    const options = board.optionsOf(system);
    // A query is an operator's question, not a call: the breaker does not stand in its way.
    const query = queryOf(handler);
    guarded[name] = options ? Object.assign(guard(system, options, handler, board), query ? { query } : {}) : handler;
  }
  return guarded;
}

function guard(system: string, options: BreakerOptions, handler: BackendHandler, board: BreakerBoard): BackendHandler {
  return async (request, meta): Promise<JsonObject> => {
    const admission = await board.admit(system);
    if (admission.kind === 'reject') {
      const wait = options.whenOpen === 'wait';
      throw new JourneyError('JE_BACKEND_CIRCUIT_OPEN', `circuit open: back end ${system} has been failing; the call was not made`, {
        details: { system, whenOpen: options.whenOpen, retryAtMs: admission.retryAtMs },
        ...(wait ? { retryAfterMs: Math.max(0, admission.retryAtMs - board.nowMs()) } : {}),
      });
    }
    const probe = admission.kind === 'probe';
    let answer: JsonObject;
    try {
      answer = await handler(request, meta);
    } catch (error) {
      await board.record(system, !countsAgainstBreaker(error), probe);
      throw error;
    }
    await board.record(system, true, probe);
    return answer;
  };
}

/** `registry` behind the breakers `breakers` configures per back-end system (the registry itself when none). */
export function behindBreakers(registry: BackendRegistry, breakers: Record<string, Partial<BreakerOptions>>, deps: BoardDependencies): BackendRegistry {
  const options = resolveBreakerOptions(breakers);
  return options.size === 0 ? registry : guardBackends(registry, new BreakerBoard(options, deps));
}
