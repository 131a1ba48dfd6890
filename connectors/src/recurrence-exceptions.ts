import ICAL from 'ical.js';
import { type EventInput, UnsupportedEventError } from './calendar-provider.js';

/**
 * A series' skipped occurrences (EventInput.exceptions) as iCalendar EXDATE (RFC 5545 3.8.5.1),
 * read and written with ical.js. Google keeps them as lines of `recurrence`, CalDAV as properties
 * of the VEVENT; each adapter turns a zoned time into an instant its own way.
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Our form of an instant: UTC, `Z`, whole seconds. */
function isoInstant(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The EXDATE to write for `input`: dates (VALUE=DATE) for an all-day series, UTC date-times for a
 * timed one; null without exceptions. What a calendar cannot hold is UnsupportedEventError.
 */
export function exdateProperty(input: EventInput): ICAL.Property | null {
  if (input.exceptions.length === 0) return null;
  if (input.recurrence === null) {
    throw new UnsupportedEventError('only a recurring event can skip occurrences (EXDATE)');
  }
  const allDay = 'date' in input.start;
  const times = [...new Set(input.exceptions)].sort().map((value) => {
    if (allDay) {
      if (!DATE.test(value)) {
        throw new UnsupportedEventError(`an all-day series skips dates, not "${value}"`);
      }
      return ICAL.Time.fromDateString(value);
    }
    const ms = Date.parse(value);
    if (!UTC_INSTANT.test(value) || Number.isNaN(ms)) {
      throw new UnsupportedEventError(`a timed series skips UTC date-times, not "${value}"`);
    }
    return ICAL.Time.fromJSDate(new Date(ms), true);
  });
  const property = new ICAL.Property('exdate');
  if (allDay) property.resetType('date');
  property.setValues(times);
  return property;
}

/**
 * Our exceptions from EXDATE properties, sorted, each once. `instantOf` gives the epoch
 * milliseconds of a date-time with the property's TZID (null: UTC or floating). A value of the
 * other kind than the series' start (a date skipping a timed occurrence) matches no occurrence
 * (RFC 5545: "the same value type as DTSTART") and is left out.
 */
export function readExceptions(
  properties: readonly ICAL.Property[],
  allDay: boolean,
  instantOf: (time: ICAL.Time, tzid: string | null) => number,
): string[] {
  const values = new Set<string>();
  for (const property of properties) {
    const tzid = property.getParameter('tzid');
    for (const value of property.getValues()) {
      if (!(value instanceof ICAL.Time) || value.isDate !== allDay) continue;
      if (allDay) values.add(value.toString());
      else {
        const ms = instantOf(value, typeof tzid === 'string' ? tzid : null);
        if (!Number.isNaN(ms)) values.add(isoInstant(ms));
      }
    }
  }
  return [...values].sort();
}
