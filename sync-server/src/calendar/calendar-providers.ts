import {
  type CalendarProvider,
  createCaldavCalendarProvider,
  createGoogleCalendarProvider,
  createGraphCalendarProvider,
  createGuardedFetch,
  type GoogleCalendarProvider,
  type GraphCalendarProvider,
  ProviderAuthError,
} from '@tasks/connectors';
import type { Logger } from '../logger.js';
import { traceProviderCalls } from '../observability/traced-provider.js';
import {
  type CalendarConnection,
  ConnectionFailedError,
  type ConnectionStore,
  PROVIDER_LABELS,
} from './connection-store.js';
import type { CalendarConfig } from './oauth-config.js';

/**
 * The adapter for one connection, built for one sync: the API roots come from the config, the
 * credentials from the connection store (an access token asked for before every request, so a
 * refresh in between is used). A 401 is answered once by refreshing the token and repeating the
 * call; a second 401, or a CalDAV server refusing the password, fails the connection with a
 * message the user can act on.
 */
export type BuiltProvider =
  | { kind: 'GOOGLE'; provider: GoogleCalendarProvider }
  | { kind: 'MICROSOFT'; provider: GraphCalendarProvider }
  | { kind: 'ICAL'; provider: CalendarProvider };

export interface ProviderFactoryDeps {
  config: CalendarConfig;
  connections: Pick<ConnectionStore, 'accessTokenFor' | 'caldavCredentialsFor'>;
  log: Logger;
  /** The range Graph's calendar view covers (Graph's delta works on a view, never a calendar). */
  window: () => { start: Date; end: Date };
}

export type ProviderFactory = (
  connection: CalendarConnection,
  context: {
    timezone: string;
    /** Aborts the adapter's requests, the one in flight included (the sync's deadline). */
    signal?: AbortSignal;
  },
) => Promise<BuiltProvider>;

/** Methods that call the provider: every one gets the refresh-once retry. */
type Calls<P> = {
  [K in keyof P]: P[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Promise<R>
    : P[K];
};

/**
 * Wraps every async method of `provider`: on ProviderAuthError, `onAuthError` (which forces a
 * refresh) then one more try; a refusal after that is for the user to fix.
 */
function withAuthRetry<P extends object>(
  provider: P,
  onAuthError: () => void,
  refused: (error: ProviderAuthError) => Error,
): P {
  const wrapped = {} as Calls<P>;
  for (const key of Object.keys(provider) as (keyof P)[]) {
    const value = provider[key];
    if (typeof value !== 'function') {
      (wrapped as P)[key] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => Promise<unknown>;
    (wrapped as Record<keyof P, unknown>)[key] = async (...args: unknown[]) => {
      try {
        return await method(...args);
      } catch (error) {
        if (!(error instanceof ProviderAuthError)) throw error;
        onAuthError();
        try {
          return await method(...args);
        } catch (again) {
          if (again instanceof ProviderAuthError) throw refused(again);
          throw again;
        }
      }
    };
  }
  return wrapped as P;
}

export function createProviderFactory(deps: ProviderFactoryDeps): ProviderFactory {
  const { config, connections } = deps;
  // One guarded fetch (and its connection pool) for every CalDAV sync of this server.
  const caldavNetwork = config.caldavPrivateNetworks
    ? {}
    : { fetch: createGuardedFetch({ allowedPorts: config.caldavPorts }) };
  return async (connection, context) => {
    const label = PROVIDER_LABELS[connection.provider];
    if (connection.provider === 'ICAL') {
      const credentials = await connections.caldavCredentialsFor(connection.id);
      const provider = createCaldavCalendarProvider({
        ...credentials,
        ...caldavNetwork,
        ...(context.signal ? { signal: context.signal } : {}),
        warn: (message, details) =>
          deps.log.warn(message, { connectionId: connection.id, ...details }),
      });
      const refused = (error: ProviderAuthError) =>
        new ConnectionFailedError(
          `${label} refused the username or password (${error.message}). Reconnect the calendar with the current credentials.`,
        );
      // A password is not refreshed: the first refusal is final.
      return {
        kind: 'ICAL',
        provider: withAuthRetry(traceProviderCalls(provider, 'ICAL'), () => undefined, refused),
      };
    }
    let forceRefresh = false;
    const accessToken = async () => {
      const force = forceRefresh;
      forceRefresh = false;
      return connections.accessTokenFor(connection.id, force ? { forceRefresh: true } : {});
    };
    const onAuthError = () => {
      forceRefresh = true;
    };
    const refused = (error: ProviderAuthError) =>
      new ConnectionFailedError(
        `${label} refused this connection's access even after a refresh (${error.message}). Reconnect the calendar to resume syncing.`,
      );
    if (connection.provider === 'GOOGLE') {
      const provider = createGoogleCalendarProvider({
        rootUrl: config.googleApiUrl,
        accessToken,
        calendarId: connection.calendarId,
        ...(context.signal ? { signal: context.signal } : {}),
      });
      return {
        kind: 'GOOGLE',
        provider: withAuthRetry(traceProviderCalls(provider, 'GOOGLE'), onAuthError, refused),
      };
    }
    const provider = createGraphCalendarProvider({
      baseUrl: config.microsoftGraphUrl,
      accessToken,
      calendarId: connection.calendarId,
      window: deps.window,
      allDayTimeZone: context.timezone,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    return {
      kind: 'MICROSOFT',
      provider: withAuthRetry(traceProviderCalls(provider, 'MICROSOFT'), onAuthError, refused),
    };
  };
}
