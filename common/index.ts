export { ERROR_CODES, JourneyError, ensureError, isJourneyError } from './errors.js';
export { DEFAULT_TENANT, EVENT_ORIGINS, ID_PATTERN, RECORDED_EVENT_ORIGINS, TENANT_PATTERN } from './events.js';
export type { EventOrigin, RecordedEventOrigin } from './events.js';
export type { ErrorCode, JourneyErrorOptions } from './errors.js';
export { CorrectedClock, systemClock, SimulatedClock } from './clock.js';
export type { Clock, ClockSample } from './clock.js';
export { createLogger, silentLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { CONFIG_SCHEMA, CONFIG_SOURCES, loadConfig } from './config.js';
export type { EngineConfig } from './config.js';
export { commandLineOf, findExecutable, isAlive, killNow, sendSignal, spawnDetached, terminate, waitForExit } from './processes.js';
export { AddressRanges, httpsUrlProblem, invalidAddressRange, isLoopbackHost } from './network.js';
export {
  SPAN_ATTRIBUTES,
  SpanKind,
  SpanStatusCode,
  activeSpanContext,
  activeTraceparent,
  annotateSpan,
  contextOfHeaders,
  contextOfSpan,
  contextOfTraceparent,
  endFailed,
  inSpanContext,
  setTracingOn,
  startSpan,
  traceHeaders,
  tracingOn,
  withSpan,
} from './tracing.js';
export type { Attributes, Span, SpanContext, SpanOptions } from './tracing.js';
