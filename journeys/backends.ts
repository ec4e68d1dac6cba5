/**
 * Simulated back-end systems the example journeys call (`call <system>.<operation>` in the DSL).
 * Real deployments register their own adapters; these answer locally so the examples run anywhere.
 */
import type { BackendRegistry } from '../engine/index.js';

export const simulatedBackends: BackendRegistry = {};
