/** The example journeys' code: simulated back ends (definitions and schemas live in the folders). */
export { callTime, simulatedBackends } from './backends.js';
