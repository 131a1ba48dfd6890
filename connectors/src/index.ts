/** Calendar providers of the spec (section 4, CalendarConnection.provider). */
export const CALENDAR_PROVIDERS = ['GOOGLE', 'MICROSOFT', 'ICAL'] as const;
export type CalendarProviderName = (typeof CALENDAR_PROVIDERS)[number];

export * from './caldav/caldav-calendar-provider.js';
export * from './caldav/caldav-occurrence-edit.js';
export * from './caldav/network-guard.js';
export * from './caldav/radicale-server.js';
export * from './calendar-provider.js';
export * from './google/fake-google-calendar.js';
export * from './google/google-calendar-provider.js';
export * from './icalendar-file.js';
export * from './microsoft/fake-graph-calendar.js';
export * from './microsoft/graph-calendar-provider.js';
export * from './oauth/fake-oauth-server.js';
export * from './silent-stand-in.js';
export * from './task-event-mapping.js';
