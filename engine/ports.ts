import type { PoolConnection } from 'mariadb';
import type { JournalEvent } from '../cache-store/index.js';
import type { EventOutcome } from './types.js';
import type { InlineEvent } from './worker.js';

/** How the engine reaches MariaDB: transactions with retry, and plain reads. */
export interface SqlPort {
  /** Runs `fn` in a transaction, retried whole on deadlock / lock-wait timeout. */
  transaction<T>(label: string, fn: (conn: PoolConnection) => Promise<T>): Promise<T>;
  /** Runs reads on a pooled connection (autocommit). */
  read<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T>;
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
   * Namespaces everything below by the store's cluster id, so stores sharing a Redis never mix.
   * The engine calls it once, before any other use. `onForeignMembers` hears, after each heartbeat,
   * the membership entries of another cluster id, which are left out of the member list.
   */
  bindCluster(clusterId: string, hooks?: { onForeignMembers?(entries: string[]): void }): void;
  /** Records this node as alive and returns every node seen alive within `ttlMs`. */
  heartbeat(nodeId: string, ttlMs: number): Promise<string[]>;
  leave(nodeId: string): Promise<void>;
  setOwners(owners: Map<number, string | null>): Promise<void>;
  owners(): Promise<Map<number, string>>;
  send(nodeId: string, message: NodeMessage): Promise<void>;
  /** Blocks up to `timeoutMs` for messages to this node. */
  receive(nodeId: string, timeoutMs: number): Promise<NodeMessage[]>;
  putState(journeyId: string, seq: number, stateJson: string, ttlMs: number): Promise<boolean>;
  getState(journeyId: string): Promise<{ seq: number; state: string } | null>;
  health(): Promise<{ up: boolean; nodes: number; error?: string }>;
  close(): Promise<void>;
}
