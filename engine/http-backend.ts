/**
 * The built-in HTTP adapter: a back-end handler that sends the call's request as JSON to a URL and
 * takes the JSON object it answers as the reply. Every request carries an `Idempotency-Key` equal
 * to the call's outbox id, the same on every attempt (and on a redelivery after a crash), so the
 * receiver can do the work once however often it is asked.
 *
 * What an answer means (the call runner retries what is retryable, up to its budget, and the
 * journey then gets its failure event; the back end's breaker counts failures, not refusals):
 *
 * | the back end answers | it is | retried | counts against the breaker |
 * | --- | --- | --- | --- |
 * | 2xx with a JSON object (or nothing: `{}`) | the reply | — | no (a success) |
 * | 2xx with anything else | `JE_BACKEND_FAILED` | yes | yes |
 * | 408, 429, 5xx; no answer within `timeoutMs`; no connection | `JE_BACKEND_FAILED` | yes | yes |
 * | other 4xx, or a redirect (never followed) | `JE_BACKEND_REFUSED` | no: the failure event at once | no: the back end is up |
 *
 * A 4xx says the request is wrong and will be wrong again; a redirect says the URL configured is
 * not the one to call. Errors name the call (`pricing.quote`) and the status with the start of
 * the body, never the URL (it may carry a credential).
 *
 * With a `queryUrl` the handler also has `query` (reconciliation asks it what the back end did):
 * it posts `{ "callIds": [...] }` there, with the same headers and timeout, and takes
 * `{ "calls": { "<callId>": { "status": "done", "reply": {…} } | { "status": "failed", "reason": "…" }
 * | { "status": "unknown" } } }` (an id left out is unknown). Any answer but a 2xx with that shape
 * is `JE_BACKEND_FAILED`. Without one it has no `query`: the back end cannot be reconciled.
 */
import { JourneyError, traceHeaders } from '../common/index.js';
import type { JsonObject } from '../dsl/index.js';
import type { BackendCallRecord, QueryableBackendHandler } from './backend-query.js';

export const HTTP_BACKEND_METHODS = ['POST', 'PUT', 'PATCH'] as const;

export interface HttpBackendOptions {
  /** The call it serves, `system.operation`: named in its errors. */
  name: string;
  /** Where to send the call: http or https. */
  url: string;
  /** Where to ask what the back end did with calls (reconciliation); none: it cannot be asked. */
  queryUrl?: string;
  /** @defaultValue `POST` */
  method?: (typeof HTTP_BACKEND_METHODS)[number];
  /** How long one attempt may take, the answer's body included. @defaultValue 10000 */
  timeoutMs?: number;
  /** Headers sent with every request (credentials, say), besides those the adapter sets. */
  headers?: Record<string, string>;
  /** The largest answer taken, in bytes; a longer one is a failure. @defaultValue 1048576 */
  maxResponseBytes?: number;
}

/** Headers the adapter sets itself: configuration may not set them. */
export const HTTP_BACKEND_OWN_HEADERS: readonly string[] = ['content-type', 'accept', 'idempotency-key'];

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** How much of an error answer's body goes into the failure's reason. */
const SNIPPET_CHARS = 200;

function snippet(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
}

/** The body, at most `maxBytes` of it (null when longer: the rest is not read). */
async function readBody(response: Response, maxBytes: number): Promise<string | null> {
  if (!response.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A retryable failure: the status is one a later attempt may not get. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Never echoed: a URL may carry a credential. fetch refuses one with a user or password anyway. */
function checkUrl(name: string, url: string, setting: string): void {
  let parsed: URL | null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username !== '' || parsed.password !== '') {
    throw new JourneyError('JE_CONFIG_INVALID', `${name}: the ${setting} must be http or https, without a user or password (send credentials in a header)`, {
      details: { call: name },
    });
  }
}

/** A back-end handler that calls `options.url` (see the table above), with `query` when `options.queryUrl` is set. */
export function httpBackend(options: HttpBackendOptions): QueryableBackendHandler {
  const { name, url, queryUrl } = options;
  const method = options.method ?? 'POST';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const configured = Object.entries(options.headers ?? {});
  const own = configured.find(([header]) => HTTP_BACKEND_OWN_HEADERS.includes(header.toLowerCase()));
  if (own) throw new JourneyError('JE_CONFIG_INVALID', `${name}: the header ${own[0]} is set by the HTTP adapter`, { details: { call: name, header: own[0] } });
  checkUrl(name, url, 'URL');
  if (queryUrl !== undefined) checkUrl(name, queryUrl, 'query URL');
  const failed = (message: string, cause?: unknown): JourneyError =>
    new JourneyError('JE_BACKEND_FAILED', `${name}: ${message}`, { details: { call: name }, ...(cause === undefined ? {} : { cause }) });

  /** Sends `body` as JSON; the answer's JSON object (`{}` when empty), or the error of the table above. */
  const send = async (target: string, sendMethod: string, body: unknown, idempotencyKey: string | null): Promise<{ status: number; answer: JsonObject }> => {
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string | null;
    try {
      const response = await fetch(target, {
        method: sendMethod,
        headers: {
          ...Object.fromEntries(configured),
          // The call's span (`traceparent`), so the back end's own spans join the journey's trace.
          ...traceHeaders(),
          'content-type': 'application/json',
          accept: 'application/json',
          ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }),
        },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal,
      });
      status = response.status;
      text = await readBody(response, maxBytes);
    } catch (error) {
      if (signal.aborted) throw failed(`no answer within ${timeoutMs} ms`, error);
      // The cause's code or message (ECONNREFUSED, a TLS error), not fetch's own, which may quote the URL.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
      const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
      throw failed(`could not be reached (${code ?? cause?.message ?? 'fetch failed'})`, error);
    }
    if (text === null) throw failed(`HTTP ${status}: the answer is longer than ${maxBytes} bytes`);
    if (status >= 300 && status < 400) {
      throw new JourneyError('JE_BACKEND_REFUSED', `${name}: HTTP ${status}: redirects are not followed (configure the URL it points to)`, {
        details: { call: name, status },
      });
    }
    if (status < 200 || status >= 300) {
      const detail = `HTTP ${status}${text.trim() ? `: ${snippet(text)}` : ''}`;
      if (retryableStatus(status)) throw failed(detail);
      throw new JourneyError('JE_BACKEND_REFUSED', `${name} refused the call: ${detail}`, { details: { call: name, status } });
    }
    if (text.trim() === '') return { status, answer: {} };
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch (error) {
      throw failed(`HTTP ${status} with a body that is not JSON: ${snippet(text)}`, error);
    }
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw failed(`HTTP ${status} with JSON that is not an object`);
    return { status, answer: answer as JsonObject };
  };

  const handler: QueryableBackendHandler = async (request, meta) => (await send(url, method, request, meta.callId)).answer;
  if (queryUrl === undefined) return handler;
  handler.query = async (callIds): Promise<Record<string, BackendCallRecord>> => {
    const { status, answer } = await send(queryUrl, 'POST', { callIds }, null);
    const calls = answer.calls;
    if (typeof calls !== 'object' || calls === null || Array.isArray(calls)) throw failed(`query: HTTP ${status} without a "calls" object`);
    return calls as Record<string, BackendCallRecord>;
  };
  return handler;
}
