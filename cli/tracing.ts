/**
 * The OpenTelemetry SDK of `journey serve`, on when an OTLP endpoint is configured by the
 * standard variables (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
 * plus `/v1/traces`), off otherwise. Off, the SDK is never even loaded: the engine's spans stay
 * the API's no-ops (common/tracing.ts).
 *
 * Spans go out in batches over OTLP/HTTP (JSON); the exporter reads the rest of the standard
 * variables itself (`OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`, the `…_TRACES_…` forms), and the
 * provider the sampler (`OTEL_TRACES_SAMPLER`, default: sampled unless the caller's trace is not).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { JourneyError, setTracingOn } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { engineVersion } from '../dsl/index.js';

/** The service name when `OTEL_SERVICE_NAME` is not set. */
export const DEFAULT_SERVICE_NAME = 'journey-engine';

/** The SDK, installed. */
export interface Tracing {
  readonly endpoint: string;
  /** Exports every span ended so far. */
  flush(): Promise<void>;
  /** Exports what is still buffered, stops the SDK and puts the no-op API back. */
  shutdown(): Promise<void>;
}

/** The OTLP traces endpoint the environment names, or null (tracing off). Not a URL → JE_CONFIG_INVALID. */
export function tracesEndpoint(env: NodeJS.ProcessEnv): string | null {
  const setting = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const value = env[setting];
  if (!value || env['OTEL_SDK_DISABLED'] === 'true' || env['OTEL_TRACES_EXPORTER'] === 'none') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new JourneyError('JE_CONFIG_INVALID', `${setting}: not a URL`, { cause: error, details: { setting } });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new JourneyError('JE_CONFIG_INVALID', `${setting}: must be an http or https URL (OTLP/HTTP)`, { details: { setting } });
  }
  // As the exporter reads them: the traces endpoint as is, the general one with the signal's path.
  return setting === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' ? value : `${value.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Installs the SDK as the global tracer provider (with the W3C trace-context propagator) when
 * `env` configures an endpoint; null, and nothing loaded, when it does not.
 */
export async function startTracing(env: NodeJS.ProcessEnv, nodeId: string, logger: Logger): Promise<Tracing | null> {
  const endpoint = tracesEndpoint(env);
  if (endpoint === null) return null;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const serviceName = env['OTEL_SERVICE_NAME'] || DEFAULT_SERVICE_NAME;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_VERSION]: engineVersion(),
      // The node: which engine process handled what (a journey's spans cross nodes).
      'service.instance.id': nodeId,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  provider.register();
  setTracingOn(true);
  logger.info({ endpoint, serviceName }, 'tracing on: spans are exported over OTLP/HTTP');
  return {
    endpoint,
    flush: () => provider.forceFlush(),
    async shutdown() {
      setTracingOn(false);
      await provider.shutdown();
      // The globals go back to the API's no-ops (and may be installed again).
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
