import { JourneyError, ensureError } from '../common/index.js';

/** How the grid reports failure: what ioredis threw as a JourneyError, and calls bounded in time. */

const RETRYABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|LOADING|MASTERDOWN|READONLY|NOREPLICAS|BUSY|NOSCRIPT)\b/;

/**
 * Turns what ioredis threw into a JourneyError: a reply error from a script or a wrong type is
 * `JE_INTERNAL` (retrying will not help); anything about reaching the grid — connection loss,
 * timeouts, failover replies (CLUSTERDOWN, TRYAGAIN, READONLY, ...) — is `JE_GRID_UNAVAILABLE`.
 */
export function wrapGridError(thrown: unknown, operation: string): JourneyError {
  if (thrown instanceof JourneyError) return thrown;
  const error = ensureError(thrown);
  const isReply = error.name === 'ReplyError';
  const code = isReply && !RETRYABLE_REPLY.test(error.message) ? 'JE_INTERNAL' : 'JE_GRID_UNAVAILABLE';
  return new JourneyError(code, `Redis grid: ${operation} failed: ${error.message}`, { cause: error, details: { operation } });
}

/**
 * Settles like `call`, or rejects with `JE_GRID_UNAVAILABLE` once `timeoutMs` passed first. The
 * command is not withdrawn (ioredis cannot); its late answer is dropped.
 */
export function withGridTimeout<T>(call: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new JourneyError('JE_GRID_UNAVAILABLE', `Redis grid: ${operation} not answered within ${timeoutMs} ms`, { details: { operation, timeoutMs } }));
    }, timeoutMs);
    call.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (thrown: unknown) => {
        clearTimeout(timer);
        reject(wrapGridError(thrown, operation));
      },
    );
  });
}
