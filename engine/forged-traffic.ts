/**
 * What this node dropped from the grid for failing its MAC (Redis is not a trust boundary, see
 * grid/grid-mac.ts): counted in `je_grid_forged_total{kind, reason}` and logged at warn, never with
 * the content. Logging is bounded: the first drop of a kind and reason is logged at once, later
 * ones at most once per {@link LOG_EVERY_MS} with the number dropped since, so a flood (or a
 * rolling upgrade whose older nodes send unsigned messages) cannot flood the log.
 */
import type { Clock, Logger } from '../common/index.js';
import type { EngineMetrics } from './metrics.js';

/** What was dropped: an inbox message, a journey's hot state, a back-end call's job, a back end's breaker state, a node's advertised URL. */
export type ForgedTrafficKind = 'inbox' | 'state' | 'call' | 'breaker' | 'address';
/** Why: no MAC at all (an older node's, or made by hand), or a wrong one. */
export type ForgedTrafficReason = 'unsigned' | 'bad-mac';

const LOG_EVERY_MS = 10_000;

export class ForgedTraffic {
  private readonly logged = new Map<string, { atMs: number; since: number }>();

  constructor(
    private readonly metrics: EngineMetrics,
    private readonly logger: Logger,
    private readonly clock: Pick<Clock, 'monotonicMs'>,
  ) {}

  /** Counts one dropped message, state or job read from `key`. */
  dropped(kind: ForgedTrafficKind, reason: ForgedTrafficReason, key: string): void {
    this.metrics.gridForged.inc({ kind, reason });
    const id = `${kind}/${reason}`;
    const now = this.clock.monotonicMs();
    const last = this.logged.get(id);
    if (last && now - last.atMs < LOG_EVERY_MS) {
      last.since += 1;
      return;
    }
    this.logged.set(id, { atMs: now, since: 0 });
    this.logger.warn(
      { kind, reason, key, droppedSinceLastLine: last?.since ?? 0 },
      reason === 'unsigned'
        ? 'dropped a grid message without a MAC (made by hand, or sent by a node of an older build); the store still has every accepted event'
        : 'dropped a grid message whose MAC does not hold (forged or altered in Redis); the store still has every accepted event',
    );
  }
}
