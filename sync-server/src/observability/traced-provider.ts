import { SpanKind } from '@opentelemetry/api';
import { inSpan } from './spans.js';

/**
 * The provider adapter with a span around each call (`calendar GOOGLE pullChanges`); its
 * arguments (event bodies, cursors) are not recorded. Every attempt gets its own span, so a
 * call repeated after a token refresh shows as two.
 */
export function traceProviderCalls<P extends object>(provider: P, name: string): P {
  const traced = { ...provider };
  for (const key of Object.keys(provider) as (keyof P & string)[]) {
    const value = provider[key];
    if (typeof value !== 'function') continue;
    const method = value as (...args: unknown[]) => unknown;
    (traced as Record<string, unknown>)[key] = (...args: unknown[]) =>
      inSpan(
        `calendar ${name} ${key}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { 'calendar.provider': name, 'calendar.operation': key },
        },
        async () => method.apply(provider, args),
      );
  }
  return traced;
}
