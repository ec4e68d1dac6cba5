/**
 * The HTTP request's span (when tracing is on): a server span that continues an incoming W3C
 * `traceparent`, carries the request id, and is active while the route runs, so intake's span
 * and everything after it are its children.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SPAN_ATTRIBUTES, SpanKind, SpanStatusCode, contextOfHeaders, inSpanContext, startSpan, tracingOn } from '../common/index.js';
import type { Span } from '../common/index.js';

/** Longest `X-Request-Id` taken from a caller; longer or other characters → a fresh id. */
const REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The caller's `X-Request-Id` when it is a plausible id, else null (the API draws one). */
export function callerRequestId(header: string | string[] | undefined): string | null {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : null;
}

/** Adds the request span's hooks; nothing at all when tracing is off. */
export function installRequestTracing(app: FastifyInstance): void {
  if (!tracingOn()) return;
  const spans = new WeakMap<FastifyRequest, Span>();
  const end = (request: FastifyRequest, statusCode?: number): void => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    const route = request.routeOptions.url;
    if (route !== undefined) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    if (statusCode !== undefined) {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } else {
      span.setAttribute('journey.request.aborted', true);
    }
    span.end();
  };
  app.addHook('onRequest', (request, _reply, done) => {
    const span = startSpan(
      request.method,
      SpanKind.SERVER,
      { 'http.request.method': request.method, [SPAN_ATTRIBUTES.requestId]: request.id },
      contextOfHeaders(request.headers),
    );
    spans.set(request, span);
    done();
  });
  // The handler runs within the span: it is called synchronously from this hook's `done`.
  app.addHook('preHandler', (request, _reply, done) => {
    const span = spans.get(request);
    if (span) inSpanContext(span, done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request);
    done();
  });
}
