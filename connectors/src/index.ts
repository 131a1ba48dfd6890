/** Calendar providers of the spec (section 4, CalendarConnection.provider). */
export const CALENDAR_PROVIDERS = ['GOOGLE', 'MICROSOFT', 'ICAL'] as const;
export type CalendarProviderName = (typeof CALENDAR_PROVIDERS)[number];

export * from './calendar-provider.js';
export * from './task-event-mapping.js';
