/**
 * What a back-end adapter may answer besides calls: `query`, what the back end did with calls, by
 * call id (reconciliation, reconcile.ts). A handler has it as a property: a module's handler
 * function with `handler.query = async (callIds) => …`, the HTTP adapter when given a `queryUrl`.
 */
import type { JsonObject } from '../dsl/index.js';
import type { BackendHandler } from './calls.js';

/** What a back end did with a call: done with its reply, failed (why), or it knows nothing of it. */
export type BackendCallRecord = { status: 'done'; reply: JsonObject } | { status: 'failed'; reason: string } | { status: 'unknown' };

/** The records of these calls, by call id; an id left out is `unknown`. */
export type BackendQuery = (callIds: string[]) => Promise<Record<string, BackendCallRecord>>;

/** A handler that can also be asked what its back end did. */
export type QueryableBackendHandler = BackendHandler & { query?: BackendQuery };

/** The handler's `query`, if it has one. */
export function queryOf(handler: BackendHandler): BackendQuery | undefined {
  const { query } = handler as QueryableBackendHandler;
  return typeof query === 'function' ? query : undefined;
}
