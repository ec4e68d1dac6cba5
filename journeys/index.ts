/** The example journeys' code: simulated back ends (definitions and schemas live in the folders). */
export { simulatedBackends } from './backends.js';
