// Public entry of grid/: the Redis runtime an engine node uses (connection, keys, scripts, hot
// state, membership, owners, inboxes) and the local redis-server supervisor (grid/local/).
export { connectGrid } from './connection.js';
export type { DuplicateOptions, Grid, GridHealth, GridOptions } from './connection.js';
export type { GridClient, GridMode } from './clients.js';
export { parseRedisUrl, redactRedisUrl } from './redis-url.js';
export { wrapGridError } from './errors.js';
export { createGridKeys, gridKeys } from './keys.js';
export type { GridKeys } from './keys.js';
export { CLUSTER_SLOTS, hashSlot, hashTagOf } from './hash-slot.js';
export { loadLuaScripts, luaHeaderProblem, luaScriptDir } from './lua-scripts.js';
export type { LuaScript } from './lua-scripts.js';
export { getHotState, putHotState } from './hot-state.js';
export type { HotState } from './hot-state.js';
export { masterOfSlot, parseClusterNodes, parseInfo, replicasOf } from './redis-replies.js';
export type { ClusterNodeEntry } from './redis-replies.js';
// --- the engine's use of the grid: membership, owners, inboxes, hot state ---
export { createGridServices } from './services.js';
export type { ClusterBinding, ForgedKind, GridMember, GridServices } from './services.js';
export { MIN_GRID_SECRET_LENGTH, createGridMac } from './grid-mac.js';
export type { GridForgery, GridMac, OpenedText } from './grid-mac.js';
export { createLocalRunLocks, createRunLocks } from './run-locks.js';
export type { RunLock, RunLocks } from './run-locks.js';
// --- the local supervisor: redis-server processes for a laptop and the tests (grid/local/) ---
export { LocalCluster, openLocalCluster, startLocalCluster } from './local/cluster.js';
export type { SlotOwner } from './local/cluster.js';
export { LocalStandalone, startLocalStandalone } from './local/standalone.js';
export { PASSWORD_FILE as LOCAL_GRID_PASSWORD_FILE } from './local/grid-files.js';
export { killLocalGridNow, stopLocalGrid } from './local/nodes.js';
export { localGridStatus } from './local/status.js';
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
} from './local/types.js';
export { nodeCommand } from './local/node-commands.js';
export type { LocalNodeAddress } from './local/node-commands.js';
export { findFreePortBase, isPortFree } from './local/tcp-ports.js';
export { isAlive as isProcessAlive } from './local/redis-processes.js';
export type { FreePortOptions } from './local/tcp-ports.js';
