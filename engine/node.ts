/**
 * The composition root: one function builds an engine node from its parts, and every entry
 * point uses it (`journey serve`, the test support, the integration tests, the bench). The store
 * and the grid connection come from the caller, which owns them (it opens them with its own
 * error messages and closes them in its own order); the node wires the journal, the grid's
 * services, the back-end call queue and the engine on top.
 */
import { openJournal } from '../cache-store/index.js';
import type { Store } from '../cache-store/index.js';
import { createGridServices, createRunLocks } from '../grid/index.js';
import type { Grid, GridServices, RunLocks } from '../grid/index.js';
import type { CallOptions } from './calls.js';
import { createEngine } from './engine.js';
import type { EngineOptions } from './engine.js';
import type { JournalPort, NodeMessage } from './ports.js';
import type { JourneyEngine } from './types.js';

export interface EngineNodeOptions extends Omit<EngineOptions, 'journal' | 'grid' | 'callQueue'> {
  store: Store;
  /** The grid connection and its key namespace; null runs one node without Redis (no calls either). */
  grid: { connection: Grid; keyPrefix: string } | null;
  /** Back-end calls through BullMQ on the grid (the default), with these options; false leaves them in the outbox. */
  calls?: Partial<CallOptions> | false;
}

export interface EngineNode {
  engine: JourneyEngine;
  journal: JournalPort;
  /** Stops the engine and closes the grid services' own connections (not the store or the grid). */
  stop(): Promise<void>;
}

/** The BullMQ prefix of a node's call queue: one hash tag, namespaced by the grid prefix and the store's id. */
export function callQueuePrefix(keyPrefix: string, clusterId: string): string {
  return `{${keyPrefix}-${clusterId}-calls}`;
}

export async function startEngineNode(options: EngineNodeOptions): Promise<EngineNode> {
  const { store, grid, calls, ...engineOptions } = options;
  const journal = openJournal(store);
  let services: GridServices<NodeMessage> | null = null;
  let callQueue: EngineOptions['callQueue'];
  let runLocks: RunLocks | undefined;
  if (grid) {
    services = createGridServices<NodeMessage>(grid.connection, await grid.connection.duplicate({ blocking: true }));
    runLocks = createRunLocks(grid.connection, await journal.ensureClusterId());
    if (calls !== false) {
      // One hash tag: every key of the queue on one cluster slot (BullMQ's multi-key scripts).
      // The store's id in it too: two stores on one grid and prefix never take each other's calls.
      const clusterId = await journal.ensureClusterId();
      callQueue = {
        queue: await grid.connection.duplicate(),
        worker: await grid.connection.duplicate({ blocking: true }),
        prefix: callQueuePrefix(grid.keyPrefix, clusterId),
        ...(calls ? { options: calls } : {}),
      };
    }
  }
  let engine: JourneyEngine;
  try {
    engine = await createEngine({ ...engineOptions, journal, grid: services, ...(callQueue ? { callQueue } : {}), ...(runLocks ? { runLocks } : {}) });
  } catch (error) {
    await services?.close();
    throw error;
  }
  return {
    engine,
    journal,
    async stop() {
      await engine.stop();
      // The services drop their blocking reader at once instead of waiting for a BRPOP to return.
      await services?.close();
    },
  };
}
