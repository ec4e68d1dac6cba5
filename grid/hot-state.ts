import { JourneyError } from '../common/index.js';
import type { Grid } from './connection.js';
import { wrapGridError } from './errors.js';
import type { GridKeys } from './keys.js';

/**
 * A journey's hot state in Redis: a cache of what MariaDB holds, so it may vanish (TTL, eviction
 * of a failed-over shard's unreplicated writes) and must always be rebuildable from the store.
 */
export interface HotState {
  /** The journey's applied sequence number this state belongs to. */
  seq: number;
  /** The state as JSON text, exactly as stored. */
  state: string;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new JourneyError('JE_INTERNAL', `${name} must be a safe integer >= ${min}, got ${value}`, { details: { [name]: value } });
  }
}

/**
 * Stores `stateJson` as the journey's hot state only if `seq` is greater than the stored seq
 * (script `put-state-1.lua`), so a slower writer of an older state never overwrites a newer one.
 *
 * @param ttlMs - Time to live of the cached state, in milliseconds (> 0); refreshed on each store.
 * @param keys - The namespace to use: the engine passes the keys bound to its store's cluster id.
 * @returns true when stored, false when the stored state is as new or newer.
 * @throws JourneyError `JE_GRID_UNAVAILABLE` when Redis cannot be reached.
 */
export async function putHotState(grid: Grid, journeyId: string, seq: number, stateJson: string, ttlMs: number, keys: GridKeys = grid.keys): Promise<boolean> {
  checkInteger('seq', seq, 0);
  checkInteger('ttlMs', ttlMs, 1);
  const reply = await grid.runScript('put-state', [keys.hotState(journeyId)], [seq, stateJson, ttlMs]);
  return reply === 1;
}

/**
 * Reads the journey's hot state; null when none is cached. `keys` as for {@link putHotState}.
 * @throws JourneyError `JE_GRID_UNAVAILABLE` when Redis cannot be reached.
 */
export async function getHotState(grid: Grid, journeyId: string, keys: GridKeys = grid.keys): Promise<HotState | null> {
  const key = keys.hotState(journeyId);
  let fields: (string | null)[];
  try {
    fields = await grid.client.hmget(key, 'seq', 'state');
  } catch (thrown: unknown) {
    throw wrapGridError(thrown, 'read journey state');
  }
  const [seq, state] = fields;
  if (seq === null || seq === undefined || state === null || state === undefined) return null;
  return { seq: Number(seq), state };
}
