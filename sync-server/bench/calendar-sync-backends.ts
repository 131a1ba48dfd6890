import { randomUUID } from 'node:crypto';
import {
  type CalendarProvider,
  createCaldavCalendarProvider,
  createGoogleCalendarProvider,
  createGraphCalendarProvider,
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  startFakeGoogleCalendar,
  startFakeGraphCalendar,
  startRadicale,
} from '@tasks/connectors';

/**
 * The calendar sync benchmark's providers: the Google and Graph fakes, which record the requests
 * they answer, and a real Radicale, whose requests a counting `fetch` records.
 */

export interface CalendarBackend {
  name: string;
  provider: CalendarProvider;
  /** Requests the provider has answered so far. */
  requestCount(): number;
  /** The last `count` requests, oldest first, as `METHOD shape` (ids and query values elided). */
  lastRequests(count: number): string[];
  close(): Promise<void>;
}

const DAY_MS = 24 * 3600_000;
/** Requests kept for the breakdown of one sync (the fakes keep their own last 1,000). */
const MAX_REQUESTS_KEPT = 1_000;

/** `GET /calendar/v3/calendars/c1/events?syncToken=x` → `GET events?syncToken`. */
export function requestShape(method: string, pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://127.0.0.1');
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const last = segments.at(-1) ?? '';
  const beforeLast = segments.at(-2) ?? '';
  const isItem = last.endsWith('.ics') || ['events', 'instances'].includes(beforeLast);
  const tail = isItem ? `${beforeLast === 'events' ? 'events/' : ''}:id` : last || '/';
  const query = [...url.searchParams.keys()].join('&');
  return `${method} ${tail}${query ? `?${query}` : ''}`;
}

async function startGoogle(): Promise<CalendarBackend> {
  const fake = await startFakeGoogleCalendar();
  return {
    name: 'Google (fake)',
    provider: createGoogleCalendarProvider({
      rootUrl: fake.url,
      accessToken: async () => fake.token,
      calendarId: fake.calendarId,
    }),
    requestCount: () => fake.requestCount(),
    lastRequests: (count) =>
      fake
        .requests()
        .slice(-count)
        .map((request) => requestShape(request.method, `${request.path}${request.query}`)),
    close: () => fake.close(),
  };
}

async function startGraph(timezone: string): Promise<CalendarBackend> {
  const fake = await startFakeGraphCalendar();
  return {
    name: 'Microsoft Graph (fake)',
    provider: createGraphCalendarProvider({
      baseUrl: fake.url,
      accessToken: async () => fake.token,
      calendarId: fake.calendarId,
      window: () => ({
        start: new Date(Date.now() - 30 * DAY_MS),
        end: new Date(Date.now() + 180 * DAY_MS),
      }),
      allDayTimeZone: timezone,
    }),
    requestCount: () => fake.requestCount(),
    lastRequests: (count) =>
      fake
        .requests()
        .slice(-count)
        .map((request) => requestShape(request.method, request.path)),
    close: () => fake.close(),
  };
}

async function startCaldav(): Promise<CalendarBackend> {
  if (!(await ensureRadicaleInstalled())) throw new Error('Radicale cannot be installed here');
  const server = await startRadicale();
  try {
    let count = 0;
    const log: string[] = [];
    const calendarPath = `/bench/${randomUUID()}/`;
    const countingFetch: typeof fetch = (input, init) => {
      count += 1;
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      // The collection's random name as `calendar`, so that requests group by shape.
      log.push(requestShape(method, new URL(url).pathname.replace(calendarPath, '/calendar/')));
      if (log.length > MAX_REQUESTS_KEPT) log.shift();
      return fetch(input, init);
    };
    const options = {
      serverUrl: server.url,
      username: 'bench',
      password: 'bench',
      calendarPath,
      fetch: countingFetch,
    };
    await ensureCaldavCalendar(options);
    return {
      name: 'CalDAV (Radicale)',
      provider: createCaldavCalendarProvider(options),
      requestCount: () => count,
      lastRequests: (wanted) => log.slice(-wanted),
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

export const CALENDAR_BACKENDS: Record<string, (timezone: string) => Promise<CalendarBackend>> = {
  google: startGoogle,
  graph: startGraph,
  caldav: startCaldav,
};
