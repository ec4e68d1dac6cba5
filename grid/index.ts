// Public entry of grid/: the Redis grid (connection, keys, scripts) and the local cluster tooling.
// Reserved for the runtime: membership*, router*, mailbox*, state-cache* (add their exports below).
export { connectGrid, parseRedisUrl, wrapGridError } from './connection.js';
export type { DuplicateOptions, Grid, GridClient, GridHealth, GridMode, GridOptions } from './connection.js';
export { createGridKeys, gridKeys } from './keys.js';
export type { GridKeys } from './keys.js';
export { CLUSTER_SLOTS, hashSlot, hashTagOf } from './hash-slot.js';
export { loadLuaScripts, luaHeaderProblem, luaScriptDir } from './lua-scripts.js';
export type { LuaScript } from './lua-scripts.js';
export { getJourneyState, putJourneyState } from './journey-state.js';
export type { JourneyStateRecord } from './journey-state.js';
export { masterOfSlot, parseClusterNodes, parseInfo, replicasOf } from './cluster-nodes.js';
export type { ClusterNodeEntry } from './cluster-nodes.js';
export {
  LocalCluster,
  LocalStandalone,
  killLocalGridNow,
  localGridStatus,
  openLocalCluster,
  startLocalCluster,
  startLocalStandalone,
  stopLocalGrid,
} from './local-cluster.js';
export type {
  LocalClusterOptions,
  LocalGridDirOptions,
  LocalGridKind,
  LocalGridOptions,
  LocalGridStatus,
  LocalGridStopReport,
  LocalNode,
  LocalNodeRole,
  LocalNodeStatus,
  SlotOwner,
} from './local-cluster.js';
export { nodeCommand } from './node-client.js';
export { findFreePortBase, isPortFree } from './ports.js';
export { isAlive as isProcessAlive } from './processes.js';
export type { FreePortOptions } from './ports.js';
// --- the engine's use of the grid: membership, owners, inboxes, hot state (runtime engineer) ---
export { createGridRouter } from './router.js';
export type { ClusterBindingHooks, GridRouter } from './router.js';
