import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Bound to every line, e.g. `{ nodeId }`. */
  bindings?: Record<string, unknown>;
}

/** One place builds loggers so every line carries the same base fields. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino({
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  return options.bindings ? logger.child(options.bindings) : logger;
}

/** A logger that writes nothing: for tests and library callers that bring none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
