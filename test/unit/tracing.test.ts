/**
 * Tracing off (issue 15 item 4): with no OTLP endpoint configured the SDK is not installed, the
 * OpenTelemetry globals stay the API's no-ops, and the engine's helpers record and carry nothing.
 * Also: which endpoint the standard variables name, and the request id a caller sends.
 */
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTracing, tracesEndpoint } from '../../cli/tracing.js';
import { activeSpanContext, activeTraceparent, isJourneyError, silentLogger, traceHeaders, tracingOn, withSpan } from '../../common/index.js';
import { devApi, post } from './api-helpers.js';

/** Where @opentelemetry/api keeps what an SDK registers (its global, by major version). */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

describe('tracing off', () => {
  it('installs nothing without an OTLP endpoint: no SDK, no global provider, no-op spans', async () => {
    expect(await startTracing({ OTEL_SERVICE_NAME: 'x' }, 'n1', silentLogger())).toBeNull();
    expect(tracingOn()).toBe(false);
    const registered = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[API_GLOBALS];
    expect(registered?.['trace']).toBeUndefined();
    expect(registered?.['propagation']).toBeUndefined();
    expect(trace.getTracer('journey-engine').startSpan('probe').isRecording()).toBe(false);
  });

  it('the helpers run the work as is and carry no trace', async () => {
    const seen = await withSpan(
      'journey.handle',
      () => {
        throw new Error('attributes are not built when off');
      },
      () => Promise.resolve({ span: activeSpanContext(), traceparent: activeTraceparent() }),
    );
    expect(seen).toEqual({ span: undefined, traceparent: undefined });
    expect(traceHeaders()).toEqual({});
  });

  it('the API takes a plausible X-Request-Id, draws one otherwise, and ignores a traceparent', async () => {
    const { app } = devApi();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const given = await post(
      app,
      '/journeys/pfm/wallet/1.0/events',
      { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } },
      {
        'x-request-id': 'gateway-42.a',
        traceparent,
      },
    );
    expect(given.statusCode).toBe(202);
    expect(given.headers['x-request-id']).toBe('gateway-42.a');
    expect(given.headers['traceparent']).toBeUndefined();
    const odd = await post(
      app,
      '/journeys/pfm/wallet/1.0/events',
      { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } },
      {
        'x-request-id': 'has spaces and "quotes"',
      },
    );
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await app.close();
  });
});

describe('the OTLP endpoint the standard variables name', () => {
  it('the traces endpoint as is; the general one with /v1/traces; none, or disabled, is off', () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' })).toBe(
      'http://c:4318/custom',
    );
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318/' })).toBe('https://c:4318/v1/traces');
    expect(tracesEndpoint({})).toBeNull();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
  });

  it('refuses an endpoint that is not an http(s) URL, naming the setting', () => {
    for (const [setting, value] of [
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'grpc://collector:4317'],
    ] as const) {
      const error = (() => {
        try {
          tracesEndpoint({ [setting]: value });
          return null;
        } catch (caught) {
          return caught;
        }
      })();
      expect(isJourneyError(error, 'JE_CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain(setting);
    }
  });
});
