export { ERROR_CODES, JourneyError, ensureError, isJourneyError } from './errors.js';
export type { ErrorCode, JourneyErrorOptions } from './errors.js';
export { CorrectedClock, systemClock, SimulatedClock } from './clock.js';
export type { Clock, ClockSample } from './clock.js';
export { createLogger, silentLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { CONFIG_SCHEMA, CONFIG_SOURCES, loadConfig } from './config.js';
export type { EngineConfig } from './config.js';
export { commandLineOf, findExecutable, isAlive, killNow, sendSignal, spawnDetached, terminate, waitForExit } from './processes.js';
