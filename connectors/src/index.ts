/** Calendar providers of the spec (section 4, CalendarConnection.provider). */
export const CALENDAR_PROVIDERS = ['GOOGLE', 'MICROSOFT', 'ICAL'] as const;
export type CalendarProviderName = (typeof CALENDAR_PROVIDERS)[number];
