/** The example journeys' code: simulated back ends (definitions and schemas live in the folders). */
export { callTime, createSimulatedBackends, simulatedBackends } from './backends.js';
export type { SimulatedBackends } from './backends.js';
