import ICAL from 'ical.js';
import {
  type EventInput,
  type EventOverride,
  type EventTime,
  type ProviderEvent,
  UnsupportedEventError,
} from '../calendar-provider.js';
import { exdateProperty, readExceptions } from '../recurrence-exceptions.js';
import {
  buildVtimezone,
  firstInstantOfWallClock,
  isKnownTimeZone,
  timeZoneWindow,
  wallClock,
} from './vtimezone.js';

/**
 * Our events as iCalendar objects (RFC 5545), read and written with ical.js only.
 *
 * One object holds one event: the master VEVENT (no RECURRENCE-ID), perhaps overrides of its
 * occurrences, and the VTIMEZONEs its TZIDs need. We map the master's SUMMARY, DESCRIPTION,
 * DTSTART/DTEND (DURATION on read), first RRULE, PRIORITY and our X-TASKS-TASK-ID; everything
 * else another client wrote (alarms, attendees, EXDATEs, overrides) is kept on update.
 */

export const TASK_ID_PROPERTY = 'x-tasks-task-id';
const PRODID = '-//tasks-platform//calendar bridge//EN';

/** The fields of a ProviderEvent an object holds (id and etag come from the server). */
export type EventFields = Omit<ProviderEvent, 'id' | 'etag'>;

type Priority = EventInput['priority'];

/** RFC 5545 3.8.1.9: 1 highest, 9 lowest, 0 undefined; 1-4 high, 5 medium, 6-9 low. */
const PRIORITY_VALUES: Record<Exclude<Priority, null>, number> = {
  URGENT: 1,
  HIGH: 3,
  MEDIUM: 5,
  LOW: 9,
};

export function priorityFromIcal(value: number): Priority {
  if (!Number.isInteger(value) || value < 1 || value > 9) return null;
  if (value === 1) return 'URGENT';
  if (value <= 4) return 'HIGH';
  if (value === 5) return 'MEDIUM';
  return 'LOW';
}

/** Parses an iCalendar object; throws on text that is not one. */
export function parseCalendarObject(text: string): ICAL.Component {
  const calendar = new ICAL.Component(ICAL.parse(text));
  if (calendar.name !== 'vcalendar') throw new Error(`not a VCALENDAR but ${calendar.name}`);
  return calendar;
}

/** The master VEVENT: the one without RECURRENCE-ID (or the first, for an orphan override). */
function masterEvent(calendar: ICAL.Component): ICAL.Component | null {
  const events = calendar.getAllSubcomponents('vevent');
  return events.find((event) => !event.hasProperty('recurrence-id')) ?? events[0] ?? null;
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function timeValue(property: ICAL.Property | null): ICAL.Time | null {
  const value = property?.getFirstValue();
  return value instanceof ICAL.Time ? value : null;
}

/**
 * A timed value's zone. ical.js resolves a TZID through the object's VTIMEZONE; where the
 * object has none (RFC 5545 requires it, some clients omit it) but the TZID is an IANA name, we
 * supply one, otherwise the time would be read as floating.
 */
function zonedTime(time: ICAL.Time, tzid: string | null): ICAL.Time {
  if (!tzid || time.zone?.tzid !== 'floating' || !isKnownTimeZone(tzid)) return time;
  const guess = Date.UTC(time.year, time.month - 1, time.day);
  const window = timeZoneWindow(guess, guess, false);
  const zone = new ICAL.Timezone({
    component: buildVtimezone(tzid, window.fromMs, window.toMs),
    tzid,
  });
  return new ICAL.Time(
    {
      year: time.year,
      month: time.month,
      day: time.day,
      hour: time.hour,
      minute: time.minute,
      second: time.second,
    },
    zone,
  );
}

/** An EventTime from an ICAL.Time; a zone that is not an IANA name (or floating) reads as UTC. */
function eventTime(time: ICAL.Time, tzid: string | null): EventTime {
  if (time.isDate) return { date: time.toString() };
  if (!tzid || !isKnownTimeZone(tzid)) {
    return { dateTime: isoSeconds(zonedTime(time, tzid).toUnixTime()), timeZone: 'UTC' };
  }
  const ms = firstInstantOfWallClock(tzid, zonedTime(time, tzid).toUnixTime() * 1000);
  return { dateTime: isoSeconds(ms / 1000), timeZone: tzid };
}

function tzidOf(property: ICAL.Property | null): string | null {
  const tzid = property?.getFirstParameter('tzid');
  return typeof tzid === 'string' && tzid !== '' ? tzid : null;
}

function readEnd(event: ICAL.Component, start: ICAL.Time, startTzid: string | null): EventTime {
  const dtend = event.getFirstProperty('dtend');
  const end = timeValue(dtend);
  if (end) return eventTime(end, tzidOf(dtend));
  // No DTEND: DTSTART + DURATION, or RFC 5545 3.6.1's defaults (one day, or no length).
  const computed = zonedTime(start, startTzid).clone();
  const duration = event.getFirstPropertyValue('duration');
  if (!(duration instanceof ICAL.Duration)) {
    if (computed.isDate) computed.day += 1;
    return eventTime(computed, startTzid);
  }
  if (computed.isDate) {
    computed.addDuration(duration);
    return eventTime(computed, startTzid);
  }
  // RFC 5545 3.3.6: a duration's days and weeks are nominal (wall-clock days), its hours,
  // minutes and seconds exact: added to the instant, not to the wall clock (which would land in
  // the wrong pass of an hour the zone repeats).
  const sign = duration.isNegative ? -1 : 1;
  const days = duration.weeks * 7 + duration.days;
  if (days > 0) computed.addDuration(new ICAL.Duration({ days, isNegative: duration.isNegative }));
  const base = eventTime(computed, startTzid) as { dateTime: string; timeZone: string };
  const exactSeconds = duration.hours * 3600 + duration.minutes * 60 + duration.seconds;
  return {
    dateTime: isoSeconds(Date.parse(base.dateTime) / 1000 + sign * exactSeconds),
    timeZone: base.timeZone,
  };
}

function readUpdatedAt(event: ICAL.Component): string {
  for (const name of ['last-modified', 'dtstamp', 'created']) {
    const time = timeValue(event.getFirstProperty(name));
    if (time) return isoSeconds(time.toUnixTime());
  }
  // An object with no timestamp at all loses every last-write-wins comparison.
  return isoSeconds(0);
}

function readText(event: ICAL.Component, name: string): string {
  const value = event.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : '';
}

/**
 * The occurrences of a series that other VEVENTs of its object override (RFC 5545 3.8.4.4,
 * RECURRENCE-ID): moved or renamed, or cancelled with STATUS:CANCELLED. `instantOf` resolves an
 * original start as EXDATEs are.
 */
function readOverrides(
  calendar: ICAL.Component,
  master: ICAL.Component,
  allDay: boolean,
  instantOf: (time: ICAL.Time, tzid: string | null) => number,
): EventOverride[] {
  const overrides = new Map<string, EventOverride>();
  for (const event of calendar.getAllSubcomponents('vevent')) {
    if (event === master) continue;
    const recurrenceId = event.getFirstProperty('recurrence-id');
    const [originalStart] = readExceptions(recurrenceId ? [recurrenceId] : [], allDay, instantOf);
    if (!originalStart) continue;
    const status = event.getFirstPropertyValue('status');
    if (typeof status === 'string' && status.toUpperCase() === 'CANCELLED') {
      overrides.set(originalStart, { originalStart, cancelled: true });
      continue;
    }
    const dtstart = event.getFirstProperty('dtstart');
    const start = timeValue(dtstart);
    if (!start) continue;
    overrides.set(originalStart, {
      originalStart,
      cancelled: false,
      summary: event.hasProperty('summary')
        ? readText(event, 'summary')
        : readText(master, 'summary'),
      start: eventTime(start, tzidOf(dtstart)),
      end: readEnd(event, start, tzidOf(dtstart)),
    });
  }
  return [...overrides.values()].sort((a, b) => a.originalStart.localeCompare(b.originalStart));
}

/** The event an object holds, or null when it holds no VEVENT (a VTODO, a VJOURNAL). */
export function readEventFields(calendar: ICAL.Component): EventFields | null {
  const event = masterEvent(calendar);
  const dtstart = event?.getFirstProperty('dtstart') ?? null;
  const start = timeValue(dtstart);
  if (!event || !start) return null;
  const startTzid = tzidOf(dtstart);
  const rule = event.getFirstPropertyValue('rrule');
  // EXDATE and RECURRENCE-ID with a TZID, UTC, or floating (then in DTSTART's zone), resolved as
  // DTSTART is.
  const instantOf = (time: ICAL.Time, tzid: string | null) => {
    const at = eventTime(time, time.zone?.tzid === 'UTC' ? null : (tzid ?? startTzid));
    return 'dateTime' in at ? Date.parse(at.dateTime) : Number.NaN;
  };
  const recurring = rule instanceof ICAL.Recur;
  const exceptions = recurring
    ? readExceptions(event.getAllProperties('exdate'), start.isDate, instantOf)
    : [];
  const priority = event.getFirstPropertyValue('priority');
  const taskId = event.getFirstPropertyValue(TASK_ID_PROPERTY);
  return {
    summary: readText(event, 'summary'),
    description: readText(event, 'description'),
    start: eventTime(start, startTzid),
    end: readEnd(event, start, startTzid),
    recurrence: recurring ? rule.toString() : null,
    exceptions,
    overrides: recurring ? readOverrides(calendar, event, start.isDate, instantOf) : [],
    taskId: typeof taskId === 'string' && taskId !== '' ? taskId : null,
    priority: typeof priority === 'number' ? priorityFromIcal(priority) : null,
    updatedAt: readUpdatedAt(event),
  };
}

function parseRecurrence(rule: string): ICAL.Recur {
  let recurrence: ICAL.Recur;
  try {
    recurrence = ICAL.Recur.fromString(rule);
  } catch (error) {
    throw new UnsupportedEventError(`not an RRULE: ${rule} (${String(error)})`);
  }
  // ical.js skips parts it does not know, so a rule without FREQ parses without complaint.
  if (!recurrence.freq) throw new UnsupportedEventError(`not an RRULE (no FREQ): ${rule}`);
  return recurrence;
}

function instantOf(time: EventTime): number {
  if (!('dateTime' in time)) {
    throw new UnsupportedEventError('an event mixes a date and a date-time');
  }
  const ms = Date.parse(time.dateTime);
  if (Number.isNaN(ms)) throw new UnsupportedEventError(`not a date-time: ${time.dateTime}`);
  if (!isKnownTimeZone(time.timeZone)) {
    throw new UnsupportedEventError(`not an IANA time zone: ${time.timeZone}`);
  }
  return ms;
}

function dateOf(time: EventTime): ICAL.Time {
  if (!('date' in time)) throw new UnsupportedEventError('an event mixes a date and a date-time');
  try {
    return ICAL.Time.fromDateString(time.date);
  } catch (error) {
    throw new UnsupportedEventError(`not a date: ${time.date} (${String(error)})`);
  }
}

/** Sets DTSTART and DTEND, with TZID and a VTIMEZONE for timed events (replacing ours or theirs). */
function writeTimes(calendar: ICAL.Component, event: ICAL.Component, input: EventInput): void {
  const wrapper = new ICAL.Event(event);
  if ('date' in input.start) {
    wrapper.startDate = dateOf(input.start);
    wrapper.endDate = dateOf(input.end);
    return;
  }
  const startMs = instantOf(input.start);
  const endMs = instantOf(input.end);
  const window = timeZoneWindow(startMs, endMs, input.recurrence !== null);
  const zones = new Map<string, ICAL.Timezone>();
  const zoneFor = (tzid: string): ICAL.Timezone => {
    const known = zones.get(tzid);
    if (known) return known;
    const component = buildVtimezone(tzid, window.fromMs, window.toMs);
    for (const existing of calendar.getAllSubcomponents('vtimezone')) {
      if (existing.getFirstPropertyValue('tzid') === tzid) calendar.removeSubcomponent(existing);
    }
    calendar.addSubcomponent(component);
    const zone = new ICAL.Timezone({ component, tzid });
    zones.set(tzid, zone);
    return zone;
  };
  const at = (ms: number, tzid: string) => {
    const local = wallClock(tzid, ms);
    // A wall-clock time repeated when clocks go back means its first occurrence (RFC 5545
    // 3.3.5): an instant in the repeated hour cannot be written with a TZID.
    return ICAL.Time.fromData(
      {
        year: local.year,
        month: local.month,
        day: local.day,
        hour: local.hour,
        minute: local.minute,
        second: local.second,
      },
      zoneFor(tzid),
    );
  };
  wrapper.startDate = at(startMs, input.start.timeZone);
  const endZone = 'timeZone' in input.end ? input.end.timeZone : input.start.timeZone;
  // An end in the second pass of an hour its zone repeats has no wall-clock form (a TZID time
  // there means the first pass, RFC 5545 3.3.5): an exact DURATION (hours, never nominal days)
  // says it, and keeps the zone. Otherwise DTEND, as every client expects.
  if (
    endZone === input.start.timeZone &&
    endMs >= startMs &&
    firstInstantOfWallClock(endZone, endMs) !== endMs
  ) {
    const seconds = Math.round((endMs - startMs) / 1000);
    wrapper.duration = new ICAL.Duration({
      hours: Math.floor(seconds / 3600),
      minutes: Math.floor((seconds % 3600) / 60),
      seconds: seconds % 60,
    });
  } else {
    wrapper.endDate = at(endMs, endZone);
  }
}

function setOrRemove(event: ICAL.Component, name: string, value: string | number | null): void {
  if (value === null || value === '') event.removeAllProperties(name);
  else event.updatePropertyWithValue(name, value);
}

/**
 * Drops VTIMEZONEs no property of the object refers to any more, and puts the others first:
 * RFC 5545 allows any order, but clients that read in one pass expect a zone before its use.
 */
function tidyTimezones(calendar: ICAL.Component): void {
  const used = new Set<string>();
  for (const component of calendar.getAllSubcomponents()) {
    if (component.name === 'vtimezone') continue;
    for (const property of component.getAllProperties()) {
      const tzid = tzidOf(property);
      if (tzid) used.add(tzid);
    }
  }
  for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) {
    const tzid = vtimezone.getFirstPropertyValue('tzid');
    if (typeof tzid !== 'string' || !used.has(tzid)) calendar.removeSubcomponent(vtimezone);
  }
  for (const component of calendar.getAllSubcomponents()) {
    if (component.name === 'vtimezone') continue;
    calendar.removeSubcomponent(component);
    calendar.addSubcomponent(component);
  }
}

function sameTime(a: EventTime, b: EventTime): boolean {
  if ('date' in a || 'date' in b) return 'date' in a && 'date' in b && a.date === b.date;
  return Date.parse(a.dateTime) === Date.parse(b.dateTime) && a.timeZone === b.timeZone;
}

/**
 * Writes `input` into the object's master VEVENT, its skipped occurrences as one EXDATE. When
 * the series changes (start or rule), what else the old series held (RDATE, EXRULE, overridden
 * occurrences) no longer means anything: drop it.
 */
export function applyEventInput(calendar: ICAL.Component, input: EventInput, now: Date): void {
  const before = readEventFields(calendar);
  let event = masterEvent(calendar);
  if (!event) {
    event = new ICAL.Component('vevent');
    calendar.addSubcomponent(event);
  }
  writeTimes(calendar, event, input);
  const recurrence = input.recurrence === null ? null : parseRecurrence(input.recurrence);
  event.removeAllProperties('rrule');
  if (recurrence) event.addPropertyWithValue('rrule', recurrence);
  if (
    before &&
    (!sameTime(before.start, input.start) ||
      before.recurrence !== recurrence?.toString() ||
      !recurrence)
  ) {
    for (const name of ['rdate', 'exrule']) event.removeAllProperties(name);
    for (const override of calendar.getAllSubcomponents('vevent')) {
      if (override !== event) calendar.removeSubcomponent(override);
    }
  }
  const exdate = exdateProperty(input);
  event.removeAllProperties('exdate');
  if (exdate) event.addProperty(exdate);
  setOrRemove(event, 'summary', input.summary);
  setOrRemove(event, 'description', input.description);
  setOrRemove(event, 'priority', input.priority === null ? null : PRIORITY_VALUES[input.priority]);
  setOrRemove(event, TASK_ID_PROPERTY, input.taskId);
  const stamp = ICAL.Time.fromJSDate(now, true);
  event.updatePropertyWithValue('dtstamp', stamp);
  event.updatePropertyWithValue('last-modified', stamp);
  const sequence = event.getFirstPropertyValue('sequence');
  // RFC 5545 3.8.7.4: other clients (and scheduling) tell revisions apart by SEQUENCE.
  if (before) {
    event.updatePropertyWithValue('sequence', typeof sequence === 'number' ? sequence + 1 : 1);
  }
  tidyTimezones(calendar);
}

/** A new object holding `input` as a VEVENT with `uid`. */
export function newCalendarObject(input: EventInput, uid: string, now: Date): ICAL.Component {
  const calendar = new ICAL.Component('vcalendar');
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('prodid', PRODID);
  const event = new ICAL.Component('vevent');
  event.addPropertyWithValue('uid', uid);
  event.addPropertyWithValue('created', ICAL.Time.fromJSDate(now, true));
  event.addPropertyWithValue('sequence', 0);
  calendar.addSubcomponent(event);
  applyEventInput(calendar, input, now);
  return calendar;
}
