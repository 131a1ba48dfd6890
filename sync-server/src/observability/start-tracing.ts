import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setTracingActive } from './spans.js';

export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; traces go to `<it>/v1/traces`. */
  endpoint: string | null;
  /** OTEL_SERVICE_NAME. */
  serviceName: string;
}

export interface Tracing {
  /** Sends the spans ended so far (the batch processor otherwise waits up to 5 s). */
  flush(): Promise<void>;
  /** Sends what is left and unregisters the SDK: the API is a no-op again. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when an endpoint is configured, exporting over OTLP/HTTP (JSON);
 * null, and nothing started, when not. Registering sets the global tracer provider and the
 * AsyncLocalStorage context manager, through which a SQL span finds its request's span.
 */
export function startTracing(config: TracingConfig): Tracing | null {
  if (!config.endpoint) return null;
  const exporter = new OTLPTraceExporter({
    url: `${config.endpoint.replace(/\/+$/, '')}/v1/traces`,
  });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  setTracingActive(true);
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      setTracingActive(false);
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
