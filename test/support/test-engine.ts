/**
 * One engine node for a test, on the grid under test and a MariaDB database: its own store,
 * grid connection and key namespace, all closed by `stop()`.
 */
import { openStore } from '../../cache-store/index.js';
import type { Store, StoreOptions } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import { startEngineNode } from '../../engine/index.js';
import type { CallOptions, EngineNodeOptions, JourneyEngine } from '../../engine/index.js';
import { connectGrid } from '../../grid/index.js';
import type { Grid } from '../../grid/index.js';

export interface TestEngine {
  engine: JourneyEngine;
  store: Store;
  grid: Grid;
  stop(): Promise<void>;
}

export interface TestEngineOptions extends Omit<EngineNodeOptions, 'store' | 'grid' | 'calls'> {
  /** The node's MariaDB database URL. */
  databaseUrl: string;
  seeds: string[];
  /** Redis key namespace; nodes of one test share it. */
  keyPrefix: string;
  /** Runs back-end calls through BullMQ with these options (else they stay in the outbox). */
  calls?: Partial<CallOptions>;
  /** Pool settings of the node's store. */
  storeOptions?: Partial<Omit<StoreOptions, 'url' | 'logger'>>;
}

export async function startTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  const { databaseUrl, seeds, keyPrefix, calls, storeOptions, ...engineOptions } = options;
  const store = await openStore({ ...storeOptions, url: databaseUrl, logger: silentLogger() });
  const grid = await connectGrid({ urls: seeds, keyPrefix, logger: silentLogger() });
  const node = await startEngineNode({ logger: silentLogger(), ...engineOptions, store, grid: { connection: grid, keyPrefix }, calls: calls ?? false });
  return {
    engine: node.engine,
    store,
    grid,
    async stop() {
      await node.stop();
      await grid.close();
      await store.close();
    },
  };
}
