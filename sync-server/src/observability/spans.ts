import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Our spans, through the OpenTelemetry API. Until an SDK is registered (start-tracing.ts, only
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set) the API's tracer is a no-op: a span costs a call and
 * a small object, nothing is recorded or sent.
 */
const TRACER_NAME = '@tasks/sync-server';

let active = false;
/** A span that records nothing, for work run while tracing is off. */
const UNRECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Whether an SDK is exporting (start-tracing.ts): off, the wrappers skip even the no-op API. */
export function tracingActive(): boolean {
  return active;
}

export function setTracingActive(value: boolean): void {
  active = value;
}

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
}

/**
 * Runs `work` in a span named `name`, the current span while it runs (so spans it starts are its
 * children). A throw marks the span as an error and is rethrown.
 */
export function inSpan<R>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<R>,
): Promise<R> {
  // The hot paths (every SQL statement, every websocket message) pay nothing while off.
  if (!active) return work(UNRECORDED);
  return tracer().startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes } : {}),
    },
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
