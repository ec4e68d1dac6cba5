import type { Journal, JournalEvent, NewEvent } from '../cache-store/index.js';
import type { ClusterBinding, GridMember } from '../grid/index.js';
import type { EventOutcome } from './types.js';

/**
 * How the engine reaches MariaDB: units of work in domain terms (the cache store's journal). The
 * engine never holds a connection; unit tests give it an in-memory fake.
 */
export type JournalPort = Journal;

/** An event offered for inline handling: validated, not yet written. */
export interface InlineEvent {
  journeyId: string;
  partitionNo: number;
  newEvent: NewEvent;
  payload: Record<string, unknown>;
  context: Record<string, unknown>;
  /** An initiating event: the journey to create, of this type and version, for this tenant. */
  create?: { typeName: string; typeVersion: string; tenant?: string };
  /** The node that forwarded it, which waits for its outcome. */
  replyTo?: string;
}

/**
 * A message between nodes: an accepted event for the owner (wake-up), an outcome for the
 * acceptor, or a not yet written event forwarded to the owner for inline handling and its answer.
 */
export type NodeMessage =
  | { kind: 'event'; event: JournalEvent & { replyTo: string } }
  | { kind: 'outcome'; outcome: EventOutcome }
  /** `deadlineMs` (the sender's wall clock): after it the request is stale and is declined. */
  | { kind: 'handle'; requestId: string; replyTo: string; deadlineMs: number; event: InlineEvent }
  | { kind: 'handled'; requestId: string; journeySeq: number | null };

/**
 * How the engine uses the Redis grid. Everything here is an optimisation or a hint: the engine
 * stays correct (not always fast) when Redis loses any of it.
 */
export interface GridPort {
  readonly mode: 'cluster' | 'standalone';
  /**
   * Namespaces everything below by the store's cluster id, so stores sharing a Redis never mix,
   * and keys the MACs of inbox messages and hot state by the grid secret (Redis is not trusted:
   * what fails its MAC never reaches the engine). The engine calls it once, before any other use.
   * `onForeignMembers` hears, after each heartbeat, the membership entries of another cluster id,
   * which are left out of the member list; `onForged`, each message or state dropped.
   */
  bindCluster(clusterId: string, binding: ClusterBinding): void;
  /** Records this node alive, hosting `lanes` (journey versions); returns every node seen alive within `ttlMs`, with its lanes. */
  heartbeat(nodeId: string, ttlMs: number, lanes?: number[]): Promise<GridMember[]>;
  /** The nodes seen alive within `ttlMs`, with their lanes, without recording this one. */
  members(ttlMs: number): Promise<GridMember[]>;
  leave(nodeId: string): Promise<void>;
  setOwners(owners: Map<number, string | null>): Promise<void>;
  owners(): Promise<Map<number, string>>;
  /** Records the base URL clients reach `nodeId` at (a hint for clients, sealed with the grid MAC). */
  advertise(nodeId: string, url: string): Promise<void>;
  /** Every node's advertised base URL whose MAC holds. */
  addresses(): Promise<Map<string, string>>;
  send(nodeId: string, message: NodeMessage): Promise<void>;
  /** Blocks up to `timeoutMs` for messages to this node: only those whose MAC holds. */
  receive(nodeId: string, timeoutMs: number): Promise<NodeMessage[]>;
  putState(journeyId: string, seq: number, stateJson: string, ttlMs: number): Promise<boolean>;
  getState(journeyId: string): Promise<{ seq: number; state: string } | null>;
  /**
   * A back end's circuit breaker state as the grid holds it (a hint shared by the nodes, see
   * breaker-board.ts): `json` only when its MAC holds, and `token` to give {@link swapBreaker}.
   */
  getBreaker(system: string): Promise<{ token: string | null; json: string | null }>;
  /** Compare-and-set: stores `json` if the grid still holds `token`; false when another node moved it first. */
  swapBreaker(system: string, token: string | null, json: string, ttlMs: number): Promise<boolean>;
  health(): Promise<{ up: boolean; nodes: number; error?: string }>;
  close(): Promise<void>;
}
