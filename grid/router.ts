/**
 * What the engine keeps in the grid: node membership (heartbeats), the partition → owner map
 * used to route wake-ups, one inbox list per node, and hot journey state.
 * All of it is rebuildable: the engine stays correct, only slower, when Redis loses any of it.
 */
import type { Grid, GridClient } from './connection.js';
import { getJourneyState, putJourneyState } from './journey-state.js';

/** Messages are JSON; the engine defines their shape. */
export interface GridRouter<Message> {
  readonly mode: 'cluster' | 'standalone';
  heartbeat(nodeId: string, ttlMs: number): Promise<string[]>;
  leave(nodeId: string): Promise<void>;
  setOwners(owners: Map<number, string | null>): Promise<void>;
  owners(): Promise<Map<number, string>>;
  send(nodeId: string, message: Message): Promise<void>;
  receive(nodeId: string, timeoutMs: number): Promise<Message[]>;
  putState(journeyId: string, seq: number, stateJson: string, ttlMs: number): Promise<boolean>;
  getState(journeyId: string): Promise<{ seq: number; state: string } | null>;
  health(): Promise<{ up: boolean; nodes: number; error?: string }>;
  close(): Promise<void>;
}

/** An inbox holds at most this many messages; older wake-ups are dropped (sweeps re-deliver). */
const INBOX_CAP = 100_000;
const RECEIVE_BATCH = 256;
/** An inbox nobody reads (its node died) expires after this. */
const INBOX_TTL_MS = 600_000;
const TRIM_EVERY = 64;

/**
 * Builds the engine's view of the grid over an open connection. `blocking` is a connection of its
 * own (from `grid.duplicate({ blocking: true })`) for the inbox reads.
 */
export function createGridRouter<Message>(grid: Grid, blocking: GridClient): GridRouter<Message> {
  const { keys } = grid;
  const nodesKey = keys.grid('nodes');
  let sends = 0;
  const ownersKey = keys.grid('owners');

  // The watchdog may replace the client: read it for each use.
  const client = (): GridClient => grid.client;
  const serverTimeMs = async (): Promise<number> => {
    const [seconds, micros] = (await client().time()) as [string | number, string | number];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  return {
    mode: grid.mode,
    async heartbeat(nodeId, ttlMs) {
      // Redis's clock, not ours: nodes with skewed clocks still agree on who is alive.
      const now = await serverTimeMs();
      await client().zadd(nodesKey, now, nodeId);
      await client().zremrangebyscore(nodesKey, '-inf', now - ttlMs * 3);
      return client().zrangebyscore(nodesKey, now - ttlMs, '+inf');
    },
    async leave(nodeId) {
      await client().zrem(nodesKey, nodeId);
    },
    async setOwners(owners) {
      const set: string[] = [];
      const cleared: string[] = [];
      for (const [partition, owner] of owners) {
        if (owner === null) cleared.push(String(partition));
        else set.push(String(partition), owner);
      }
      if (set.length > 0) await client().hset(ownersKey, ...set);
      if (cleared.length > 0) await client().hdel(ownersKey, ...cleared);
    },
    async owners() {
      const raw = await client().hgetall(ownersKey);
      const map = new Map<number, string>();
      for (const [partition, owner] of Object.entries(raw)) map.set(Number(partition), owner);
      return map;
    },
    async send(nodeId, message) {
      const key = keys.nodeInbox(nodeId);
      // No MULTI: each command stands alone. The cap is enforced every so often, not every send.
      const pipeline = client().pipeline().lpush(key, JSON.stringify(message)).pexpire(key, INBOX_TTL_MS);
      sends += 1;
      if (sends % TRIM_EVERY === 0) pipeline.ltrim(key, 0, INBOX_CAP - 1);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error !== null);
      if (failed?.[0]) throw failed[0];
    },
    async receive(nodeId, timeoutMs) {
      const key = keys.nodeInbox(nodeId);
      const first = await blocking.brpop(key, Math.max(0.01, timeoutMs / 1000));
      if (!first) return [];
      const rest = (await client().rpop(key, RECEIVE_BATCH)) ?? [];
      return [first[1], ...rest].map((text) => JSON.parse(text) as Message);
    },
    putState: (journeyId, seq, stateJson, ttlMs) => putJourneyState(grid, journeyId, seq, stateJson, ttlMs),
    async getState(journeyId) {
      const record = await getJourneyState(grid, journeyId);
      return record ? { seq: record.seq, state: record.state } : null;
    },
    async health() {
      const health = await grid.health();
      return health.ok ? { up: true, nodes: health.masters ?? 0 } : { up: false, nodes: 0, error: health.error ?? 'unreachable' };
    },
    async close() {
      blocking.disconnect();
      await grid.close();
    },
  };
}
