import { type CalendarProvider, createGoogleCalendarProvider } from '@tasks/connectors';

/** The token the tests read the fake Google Calendar with (global-setup starts it). */
export const FAKE_GOOGLE_TOKEN = 'e2e-google-reader';

/** The fake Google Calendar the server syncs with, as a test reads and writes it. */
export function fakeGoogle(): CalendarProvider {
  const url = process.env.E2E_FAKE_GOOGLE_URL;
  const calendarId = process.env.E2E_FAKE_GOOGLE_CALENDAR;
  if (!url || !calendarId) throw new Error('global-setup did not start the fake Google Calendar');
  return createGoogleCalendarProvider({
    rootUrl: url,
    accessToken: async () => FAKE_GOOGLE_TOKEN,
    calendarId,
  });
}
