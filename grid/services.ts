/**
 * What the engine keeps in the grid: node membership (heartbeats), the partition → owner map
 * used to route wake-ups, one inbox list per node, and hot journey state.
 * All of it is rebuildable: the engine stays correct, only slower, when Redis loses any of it.
 *
 * All of it belongs to one store: the services are bound to the store's cluster id before use
 * (`bindCluster`), which namespaces every key (see keys.ts) and tags every membership entry.
 *
 * Redis is not trusted with anything that decides a commit or what a client is told: inbox
 * messages and hot state carry a MAC under the cluster's grid secret (grid-mac.ts), added on
 * `send`/`putState` and checked on `receive`/`getState`, so the engine never sees a text that
 * failed the check. A message that fails is dropped and reported (`onForged`); a state that
 * fails reads as a miss, and the engine loads the journey from MariaDB. Membership and the owner
 * map are not signed: they decide only where a wake-up goes and who *tries* to take a partition,
 * and the lease in MariaDB (fenced at every commit) decides who may commit; a forged entry can
 * delay work, as a Redis outage can, never change it.
 */
import { JourneyError } from '../common/index.js';
import type { GridClient } from './clients.js';
import type { Grid } from './connection.js';
import { withGridTimeout, wrapGridError } from './errors.js';
import { createGridMac } from './grid-mac.js';
import type { GridForgery, GridMac } from './grid-mac.js';
import { getHotState, putHotState } from './hot-state.js';
import type { GridKeys } from './keys.js';

/** What was dropped for failing its MAC: an inbox message, a journey's hot state, a back end's breaker state. */
export type ForgedKind = 'inbox' | 'state' | 'breaker' | 'address';

/** What {@link GridServices.bindCluster} binds to: the grid secret, and what it may report. */
export interface ClusterBinding {
  /**
   * The cluster's grid secret (at least 32 characters): the key of every MAC on inbox messages
   * and hot state. Never written to Redis.
   */
  secret: string;
  /** Names the secret's source in the error when it is too short. @defaultValue `'GRID_SECRET'` */
  secretSetting?: string;
  /**
   * Called after every heartbeat with the live membership entries that do not carry the cluster
   * id the services are bound to (empty when there are none). They are left out of the member list.
   */
  onForeignMembers?(entries: string[]): void;
  /**
   * Called for each inbox message or hot state dropped because its MAC is missing or wrong, with
   * the key it was read from (never its content).
   */
  onForged?(kind: ForgedKind, reason: GridForgery, key: string): void;
}

/** A live node and the lanes (journey versions) it hosts. */
export interface GridMember {
  id: string;
  lanes: number[];
}

/**
 * An engine node's use of the grid: membership, partition owners, inboxes and hot state.
 * Messages are JSON; the engine defines their shape.
 */
export interface GridServices<Message> {
  readonly mode: 'cluster' | 'standalone';
  /**
   * Binds membership, owners, inboxes and hot state to the store's cluster id and its grid
   * secret. Once, before any of them is used (they throw `JE_INTERNAL` until then); binding again
   * to the same id is a no-op, to another id a `JE_CONFIG_INVALID`.
   */
  bindCluster(clusterId: string, binding: ClusterBinding): void;
  /** Records this node alive, hosting `lanes`; returns every node seen alive within `ttlMs`, with its lanes. */
  heartbeat(nodeId: string, ttlMs: number, lanes?: number[]): Promise<GridMember[]>;
  /** The nodes seen alive within `ttlMs`, with their lanes, without recording this one. */
  members(ttlMs: number): Promise<GridMember[]>;
  leave(nodeId: string): Promise<void>;
  setOwners(owners: Map<number, string | null>): Promise<void>;
  owners(): Promise<Map<number, string>>;
  /** Records the base URL clients reach `nodeId` at (its `ADVERTISE_URL`), sealed with its MAC; `leave` removes it. */
  advertise(nodeId: string, url: string): Promise<void>;
  /** Every node's advertised base URL whose MAC holds; the others are dropped and reported. */
  addresses(): Promise<Map<string, string>>;
  /** Pushes `message` onto the node's inbox, sealed with its MAC. */
  send(nodeId: string, message: Message): Promise<void>;
  /** Pops this node's messages whose MAC holds; the others are dropped and reported. */
  receive(nodeId: string, timeoutMs: number): Promise<Message[]>;
  /** Caches the journey's state (a JSON object's text) at `seq`, sealed with its MAC. */
  putState(journeyId: string, seq: number, stateJson: string, ttlMs: number): Promise<boolean>;
  /** The cached state when there is one and its MAC holds; null otherwise (load from the store). */
  getState(journeyId: string): Promise<{ seq: number; state: string } | null>;
  /**
   * A back end's circuit breaker state (JSON) as the grid holds it, with `token`, the stored text
   * to give {@link swapBreaker}. `json` is null when there is none, or when its MAC fails (then
   * reported: whoever wrote it, it is not taken; the caller starts from a closed breaker).
   */
  getBreaker(system: string): Promise<{ token: string | null; json: string | null }>;
  /** Stores `json`, sealed, as the breaker's state if the grid still holds `token`; false when another node moved it first. */
  swapBreaker(system: string, token: string | null, json: string, ttlMs: number): Promise<boolean>;
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
export function createGridServices<Message>(grid: Grid, blocking: GridClient): GridServices<Message> {
  let sends = 0;
  let binding: Bound | null = null;
  const bound = (): Bound => {
    // Unbound keys are the bare prefix, shared by every store on this Redis: never fall back to them.
    if (binding === null) throw new JourneyError('JE_INTERNAL', "the grid services are used before they were bound to the store's cluster id");
    return binding;
  };
  // A membership entry is `<clusterId>/<nodeId>`: with keys namespaced already, this is the
  // second line of defence, so a node never balances partitions against another store's nodes.
  const memberOf = (nodeId: string): string => `${bound().clusterId}/${nodeId}`;

  // The watchdog may replace the client: read it for each use.
  const client = (): GridClient => grid.client;
  const serverTimeMs = async (): Promise<number> => {
    const [seconds, micros] = (await client().time()) as [string | number, string | number];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  /**
   * Membership at `now`: live entries of this cluster with the lanes each hosts. A writer (a
   * heartbeat) also prunes entries dead for three TTLs, and their lanes.
   */
  const readMembers = async (now: number, ttlMs: number, prune: boolean): Promise<GridMember[]> => {
    const { keys, clusterId, hooks } = bound();
    const nodesKey = keys.grid('nodes');
    const hostsKey = keys.grid('hosts');
    if (prune) {
      const dead = await client().zrangebyscore(nodesKey, '-inf', now - ttlMs * 3);
      if (dead.length > 0) {
        await client().zremrangebyscore(nodesKey, '-inf', now - ttlMs * 3);
        await client().hdel(hostsKey, ...dead);
      }
    }
    const entries = await client().zrangebyscore(nodesKey, now - ttlMs, '+inf');
    const hosts = entries.length > 0 ? await client().hmget(hostsKey, ...entries) : [];
    const own = `${clusterId}/`;
    const live: GridMember[] = [];
    const foreign: string[] = [];
    entries.forEach((entry, i) => {
      if (!entry.startsWith(own) || entry.length <= own.length) {
        foreign.push(entry);
        return;
      }
      live.push({ id: entry.slice(own.length), lanes: parseLanes(hosts[i] ?? null) });
    });
    hooks.onForeignMembers?.(foreign);
    return live;
  };

  const services: GridServices<Message> = {
    mode: grid.mode,
    bindCluster(clusterId, options) {
      if (binding !== null) {
        if (binding.clusterId === clusterId) return;
        throw new JourneyError(
          'JE_CONFIG_INVALID',
          `this grid connection serves cluster ${binding.clusterId}, not ${clusterId}: give each store its own connection`,
          {
            details: { bound: binding.clusterId, requested: clusterId },
          },
        );
      }
      const { secret, secretSetting, ...hooks } = options;
      binding = { clusterId, keys: grid.keys.forCluster(clusterId), hooks, mac: createGridMac(secret, secretSetting) };
    },
    async heartbeat(nodeId, ttlMs, lanes = []) {
      const { keys } = bound();
      // Redis's clock, not ours: nodes with skewed clocks still agree on who is alive.
      const now = await serverTimeMs();
      await client().zadd(keys.grid('nodes'), now, memberOf(nodeId));
      await client().hset(keys.grid('hosts'), memberOf(nodeId), JSON.stringify(lanes));
      return readMembers(now, ttlMs, true);
    },
    async members(ttlMs) {
      return readMembers(await serverTimeMs(), ttlMs, false);
    },
    async leave(nodeId) {
      const { keys } = bound();
      await client().zrem(keys.grid('nodes'), memberOf(nodeId));
      await client().hdel(keys.grid('hosts'), memberOf(nodeId));
      await client().hdel(keys.grid('addresses'), nodeId);
    },
    async advertise(nodeId, url) {
      const { keys, mac } = bound();
      const key = keys.grid('addresses');
      await client().hset(key, nodeId, mac.seal(`${key}\n${nodeId}`, JSON.stringify({ url })));
    },
    async addresses() {
      const { keys, mac, hooks } = bound();
      const key = keys.grid('addresses');
      const map = new Map<string, string>();
      for (const [nodeId, sealed] of Object.entries(await client().hgetall(key))) {
        // The node id is in the scope: one node's genuine address cannot be passed off as another's.
        const opened = mac.open(`${key}\n${nodeId}`, sealed);
        if (!opened.ok) {
          hooks.onForged?.('address', opened.reason, key);
          continue;
        }
        const { url } = JSON.parse(opened.json) as { url?: unknown };
        if (typeof url === 'string') map.set(nodeId, url);
      }
      return map;
    },
    async setOwners(owners) {
      const set: string[] = [];
      const cleared: string[] = [];
      for (const [partition, owner] of owners) {
        if (owner === null) cleared.push(String(partition));
        else set.push(String(partition), owner);
      }
      const ownersKey = bound().keys.grid('owners');
      if (set.length > 0) await client().hset(ownersKey, ...set);
      if (cleared.length > 0) await client().hdel(ownersKey, ...cleared);
    },
    async owners() {
      const raw = await client().hgetall(bound().keys.grid('owners'));
      const map = new Map<number, string>();
      for (const [partition, owner] of Object.entries(raw)) map.set(Number(partition), owner);
      return map;
    },
    async send(nodeId, message) {
      const { keys, mac } = bound();
      const key = keys.nodeInbox(nodeId);
      // No MULTI: each command stands alone. The cap is enforced every so often, not every send.
      const pipeline = client()
        .pipeline()
        .lpush(key, mac.seal(key, JSON.stringify(message)))
        .pexpire(key, INBOX_TTL_MS);
      sends += 1;
      if (sends % TRIM_EVERY === 0) pipeline.ltrim(key, 0, INBOX_CAP - 1);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error !== null);
      if (failed?.[0]) throw failed[0];
    },
    async receive(nodeId, timeoutMs) {
      const { keys, mac, hooks } = bound();
      const key = keys.nodeInbox(nodeId);
      const first = await blocking.brpop(key, Math.max(0.01, timeoutMs / 1000));
      if (!first) return [];
      const rest = (await client().rpop(key, RECEIVE_BATCH)) ?? [];
      const messages: Message[] = [];
      for (const text of [first[1], ...rest]) {
        const opened = mac.open(key, text);
        if (!opened.ok) {
          hooks.onForged?.('inbox', opened.reason, key);
          continue;
        }
        messages.push(JSON.parse(opened.json) as Message);
      }
      return messages;
    },
    async putState(journeyId, seq, stateJson, ttlMs) {
      const { keys, mac } = bound();
      return putHotState(grid, journeyId, seq, mac.seal(stateScope(keys, journeyId, seq), stateJson), ttlMs, keys);
    },
    async getState(journeyId) {
      const { keys, mac, hooks } = bound();
      const record = await getHotState(grid, journeyId, keys);
      if (!record) return null;
      // The seq is part of the scope: a genuine state under another seq fails as well.
      const opened = Number.isSafeInteger(record.seq)
        ? mac.open(stateScope(keys, journeyId, record.seq), record.state)
        : ({ ok: false, reason: 'unsigned' } as const);
      if (!opened.ok) {
        hooks.onForged?.('state', opened.reason, keys.hotState(journeyId));
        return null;
      }
      return { seq: record.seq, state: opened.json };
    },
    async getBreaker(system) {
      const { keys, mac, hooks } = bound();
      const key = keys.breaker(system);
      let token: string | null;
      try {
        token = await client().get(key);
      } catch (thrown: unknown) {
        throw wrapGridError(thrown, 'read breaker state');
      }
      if (token === null) return { token, json: null };
      const opened = mac.open(key, token);
      if (!opened.ok) hooks.onForged?.('breaker', opened.reason, key);
      return { token, json: opened.ok ? opened.json : null };
    },
    async swapBreaker(system, token, json, ttlMs) {
      const { keys, mac } = bound();
      const key = keys.breaker(system);
      return (await grid.runScript('swap-breaker', [key], [token ?? '', mac.seal(key, json), Math.max(1, Math.round(ttlMs))])) === 1;
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
  return withTimeouts(services, grid.callTimeoutMs);
}

/** What the services are bound to. */
interface Bound {
  clusterId: string;
  keys: GridKeys;
  hooks: Omit<ClusterBinding, 'secret' | 'secretSetting'>;
  mac: GridMac;
}

/** What a hot state's MAC covers besides its text: its key and its seq. */
function stateScope(keys: GridKeys, journeyId: string, seq: number): string {
  return `${keys.hotState(journeyId)}\n${seq}`;
}

/** A member's lanes as it wrote them; none when missing or unreadable (it hosts nothing we know of). */
function parseLanes(text: string | null): number[] {
  if (text === null) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((lane): lane is number => Number.isInteger(lane) && lane > 0) : [];
  } catch {
    return [];
  }
}

/**
 * Bounds every call that reaches Redis by a timer of its own (`Grid.callTimeoutMs`): a frozen
 * or failing grid costs a caller that long at most, never the lease schedule or a request's
 * latency beyond it. Redis only hints, so callers that get `JE_GRID_UNAVAILABLE` go on without it.
 */
function withTimeouts<Message>(services: GridServices<Message>, timeoutMs: number): GridServices<Message> {
  // An inbox read cut short by its timer is not issued again while it is still pending: the next
  // call waits on the same read, so messages it brings back late are handed over, not dropped,
  // and reads do not pile up on the blocking connection behind a frozen server.
  let reading: Promise<Message[]> | null = null;
  return {
    ...services,
    heartbeat: (nodeId, ttlMs, lanes) => withGridTimeout(services.heartbeat(nodeId, ttlMs, lanes), timeoutMs, 'heartbeat'),
    members: (ttlMs) => withGridTimeout(services.members(ttlMs), timeoutMs, 'members'),
    leave: (nodeId) => withGridTimeout(services.leave(nodeId), timeoutMs, 'leave'),
    setOwners: (owners) => withGridTimeout(services.setOwners(owners), timeoutMs, 'set owners'),
    owners: () => withGridTimeout(services.owners(), timeoutMs, 'owners'),
    advertise: (nodeId, url) => withGridTimeout(services.advertise(nodeId, url), timeoutMs, 'advertise'),
    addresses: () => withGridTimeout(services.addresses(), timeoutMs, 'addresses'),
    send: (nodeId, message) => withGridTimeout(services.send(nodeId, message), timeoutMs, 'send'),
    receive(nodeId, waitMs) {
      reading ??= services.receive(nodeId, waitMs).finally(() => {
        reading = null;
      });
      return withGridTimeout(reading, waitMs + timeoutMs, 'receive');
    },
    putState: (journeyId, seq, stateJson, ttlMs) => withGridTimeout(services.putState(journeyId, seq, stateJson, ttlMs), timeoutMs, 'put state'),
    getState: (journeyId) => withGridTimeout(services.getState(journeyId), timeoutMs, 'get state'),
    getBreaker: (system) => withGridTimeout(services.getBreaker(system), timeoutMs, 'get breaker'),
    swapBreaker: (system, token, json, ttlMs) => withGridTimeout(services.swapBreaker(system, token, json, ttlMs), timeoutMs, 'swap breaker'),
    // Grid.health bounds itself and never throws.
    health: () => services.health(),
  };
}
