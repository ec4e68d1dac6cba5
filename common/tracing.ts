/**
 * Tracing with OpenTelemetry: spans from the HTTP request through intake, handling, the group
 * commit and back-end calls. Off unless `journey serve` installs the SDK (cli/tracing.ts) and
 * calls {@link setTracingOn}: until then the API's tracer is a no-op, and every helper here
 * returns at its first test, so the hot paths build no attributes, closures or carriers.
 *
 * Attributes name the journey, event and outcome, never a payload or data (they may hold
 * personal data).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext } from '@opentelemetry/api';
import { isJourneyError } from './errors.js';

export { SpanKind, SpanStatusCode };
export type { Attributes, Context, Span, SpanContext };

/** The attribute names the engine's spans carry. */
export const SPAN_ATTRIBUTES = {
  journeyId: 'journey.id',
  journeyType: 'journey.type',
  journeyVersion: 'journey.version',
  eventType: 'journey.event.type',
  eventId: 'journey.event.id',
  outcome: 'journey.outcome',
  rejectionCode: 'journey.rejection.code',
  partition: 'journey.partition',
  requestId: 'journey.request.id',
  errorCode: 'journey.error.code',
} as const;

let on = false;

/** Whether spans are recorded and exported (the SDK is installed). */
export function tracingOn(): boolean {
  return on;
}

/** Set by the SDK's installer once its provider is the global one, and back when it shuts down. */
export function setTracingOn(value: boolean): void {
  on = value;
}

const tracer = () => trace.getTracer('journey-engine');

export interface SpanOptions<T> {
  kind?: SpanKind;
  /** The parent; the active context when absent. */
  parent?: Context;
  links?: Link[];
  /** Attributes taken from the result once `fn` resolves. */
  result?: (value: T) => Attributes;
}

/**
 * Runs `fn` inside a span named `name` (its context active throughout `fn`, so spans started
 * within are its children). A failure sets the span's status to the error's code, not its
 * message (which may quote input). Off: just `fn()`.
 */
export function withSpan<T>(name: string, attributes: () => Attributes, fn: () => Promise<T>, options: SpanOptions<T> = {}): Promise<T> {
  if (!on) return fn();
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: attributes(), ...(options.links ? { links: options.links } : {}) },
    parent,
  );
  return context.with(trace.setSpan(parent, span), fn).then(
    (value) => {
      if (options.result) span.setAttributes(options.result(value));
      span.end();
      return value;
    },
    (error: unknown) => {
      endFailed(span, error);
      throw error;
    },
  );
}

/** Ends `span` as failed, with the error's stable code (or its class name) as the status. */
export function endFailed(span: Span, error: unknown): void {
  const code = isJourneyError(error) ? error.code : error instanceof Error ? error.name : 'Error';
  span.setAttribute(SPAN_ATTRIBUTES.errorCode, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end();
}

/** Starts a span with no active context of its own (the HTTP request's, ended by its hooks). */
export function startSpan(name: string, kind: SpanKind, attributes: Attributes, parent: Context): Span {
  return tracer().startSpan(name, { kind, attributes }, parent);
}

/** Adds attributes to the active span (`attributes` is only called when tracing is on). */
export function annotateSpan(attributes: () => Attributes): void {
  if (on) trace.getActiveSpan()?.setAttributes(attributes());
}

/** The active span's context, to link to or parent under later (undefined when off). */
export function activeSpanContext(): SpanContext | undefined {
  return on ? trace.getActiveSpan()?.spanContext() : undefined;
}

/** A context whose parent is `spanContext` (the root when absent). */
export function contextOfSpan(spanContext: SpanContext | undefined): Context {
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/** Runs `fn` with `span` active. */
export function inSpanContext<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/**
 * The W3C `traceparent` of the active span, to carry with an event into its later handling
 * (in the event's context, through the store and the grid). Undefined when off or none is active.
 */
export function activeTraceparent(): string | undefined {
  if (!on) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/** A context continuing the W3C `traceparent` carried (ignored unless a valid string). */
export function contextOfTraceparent(traceparent: unknown): Context {
  return typeof traceparent === 'string' ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** A context continuing whatever trace incoming HTTP headers carry (`traceparent`, `tracestate`). */
export function contextOfHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The headers that carry the active span to a back end (`traceparent`, `tracestate`); none when off. */
export function traceHeaders(): Readonly<Record<string, string>> {
  if (!on) return NO_HEADERS;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
