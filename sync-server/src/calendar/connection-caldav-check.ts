import {
  type CaldavCalendarProviderOptions,
  DisallowedPortError,
  ensureCaldavCalendar,
  PrivateAddressError,
  ProviderAuthError,
  ProviderRequestError,
  RateLimitedError,
} from '@tasks/connectors';
import { HttpError } from '../http/http-error.js';

/**
 * Checks CalDAV credentials before they are stored: the adapter's PROPFIND of the calendar
 * collection, one attempt, 10 seconds at most. Every way it can go wrong is a 422 naming the
 * field to fix. The adapter would create a missing calendar (MKCALENDAR); a connection must
 * name one that exists, so this refuses to send that request.
 */
export interface CaldavTarget {
  serverUrl: string;
  username: string;
  password: string;
  calendarPath: string;
}

export type CaldavCheck = (target: CaldavTarget) => Promise<void>;

class CalendarMissing extends Error {}

const TIMEOUT_MS = 10_000;

const invalid = (code: string, field: string, message: string) =>
  new HttpError(422, code, message, [{ field, message }]);

export function createCaldavCheck(fetchImpl: typeof fetch = globalThis.fetch): CaldavCheck {
  const noMkcalendar: typeof fetch = (input, init) => {
    if (init?.method?.toUpperCase() === 'MKCALENDAR') return Promise.reject(new CalendarMissing());
    return fetchImpl(input, init);
  };
  return async function checkCaldav(target) {
    const options: CaldavCalendarProviderOptions = {
      serverUrl: target.serverUrl,
      username: target.username,
      password: target.password,
      calendarPath: target.calendarPath,
      fetch: noMkcalendar,
      retry: { maxAttempts: 1, attemptTimeoutMs: TIMEOUT_MS },
    };
    try {
      await ensureCaldavCalendar(options);
    } catch (error) {
      throw caldavError(error, target.serverUrl);
    }
  };
}

function caldavError(error: unknown, serverUrl: string): Error {
  const host = new URL(serverUrl).host;
  if (error instanceof PrivateAddressError) {
    return invalid(
      'caldav_private_address',
      'server_url',
      `${host} is on this machine or a private network (${error.address}), which this server does not reach; its administrator can allow that with CALDAV_ALLOW_PRIVATE_NETWORKS=true`,
    );
  }
  if (error instanceof DisallowedPortError) {
    return invalid(
      'caldav_port_not_allowed',
      'server_url',
      `${host} uses port ${error.port}, which this server does not connect to; its administrator can allow it with CALDAV_ALLOWED_PORTS`,
    );
  }
  if (error instanceof CalendarMissing) {
    return invalid(
      'caldav_calendar_not_found',
      'calendar_id',
      'no calendar exists at this path on the CalDAV server',
    );
  }
  if (error instanceof ProviderAuthError) {
    return invalid(
      'caldav_unauthorized',
      'password',
      'the CalDAV server refused this username and password',
    );
  }
  if (error instanceof RateLimitedError) {
    return invalid(
      'caldav_unavailable',
      'server_url',
      'the CalDAV server is busy (429/503); try again later',
    );
  }
  if (error instanceof ProviderRequestError) {
    if (error.status === 207) {
      return invalid(
        'caldav_not_a_calendar',
        'calendar_id',
        'this path on the CalDAV server is not a calendar',
      );
    }
    if (error.status === 403) {
      return invalid(
        'caldav_forbidden',
        'calendar_id',
        'the CalDAV server does not let this user read that calendar',
      );
    }
    return invalid(
      'caldav_error',
      'server_url',
      `the CalDAV server answered ${error.status} to PROPFIND`,
    );
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return invalid(
      'caldav_unreachable',
      'server_url',
      `the CalDAV server at ${host} did not answer within ${TIMEOUT_MS / 1000} s`,
    );
  }
  if (error instanceof TypeError) {
    const cause =
      error.cause instanceof Error && 'code' in error.cause ? ` (${String(error.cause.code)})` : '';
    return invalid(
      'caldav_unreachable',
      'server_url',
      `the CalDAV server at ${host} could not be reached${cause}`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
