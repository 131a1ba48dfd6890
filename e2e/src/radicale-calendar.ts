import {
  type CalendarProvider,
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
} from '@tasks/connectors';

/** A calendar on the Radicale global-setup started, as a test creates, reads and writes it. */
export interface RadicaleCalendar {
  serverUrl: string;
  calendarPath: string;
  provider: CalendarProvider;
}

/** Null when global-setup could not start Radicale (not installable here). */
export function radicaleUrl(): string | null {
  return process.env.E2E_RADICALE_URL ?? null;
}

/** Creates (MKCALENDAR) the user's calendar collection; Radicale accepts any password. */
export async function createRadicaleCalendar(
  serverUrl: string,
  username: string,
): Promise<RadicaleCalendar> {
  const options = {
    serverUrl,
    username,
    password: 'e2e',
    calendarPath: `/${username}/calendar/`,
  };
  await ensureCaldavCalendar(options);
  return {
    serverUrl,
    calendarPath: options.calendarPath,
    provider: createCaldavCalendarProvider(options),
  };
}
