import { describe, expect, it } from 'vitest';
import { type EventInput, UnsupportedEventError } from '../calendar-provider.js';
import {
  applyEventInput,
  newCalendarObject,
  parseCalendarObject,
  priorityFromIcal,
  readEventFields,
} from './icalendar-event.js';

const NOW = new Date('2025-06-01T12:00:00.500Z');

const input = (overrides: Partial<EventInput> = {}): EventInput => ({
  summary: 'Review, then; ship',
  description: 'Line one\nLine two — ünïcode',
  start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Europe/Paris' },
  end: { dateTime: '2025-10-15T15:00:00Z', timeZone: 'Europe/Paris' },
  recurrence: null,
  exceptions: [],
  taskId: 'task-1',
  priority: 'URGENT',
  ...overrides,
});

/** Writes, serializes and parses again, as a server would store it. */
const roundTrip = (event: EventInput) =>
  readEventFields(parseCalendarObject(newCalendarObject(event, 'uid-1', NOW).toString()));

const object = (...veventLines: string[]) =>
  parseCalendarObject(
    ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:test', ...veventLines, 'END:VCALENDAR', ''].join(
      '\r\n',
    ),
  );

describe('writing and reading our events', () => {
  it('reads back every field it wrote, text escapes included', () => {
    const event = input();
    expect(roundTrip(event)).toEqual({
      ...event,
      overrides: [],
      updatedAt: '2025-06-01T12:00:00Z',
    });
  });

  it.each([
    ['URGENT', 1],
    ['HIGH', 3],
    ['MEDIUM', 5],
    ['LOW', 9],
  ] as const)('writes priority %s as PRIORITY:%i', (priority, value) => {
    const text = newCalendarObject(input({ priority }), 'uid-1', NOW).toString();
    expect(text).toContain(`PRIORITY:${value}\r\n`);
  });

  it('writes no PRIORITY, DESCRIPTION or X-TASKS-TASK-ID for null and empty values', () => {
    const event = input({ priority: null, description: '', taskId: null });
    const text = newCalendarObject(event, 'uid-1', NOW).toString();
    expect(text).not.toMatch(/PRIORITY|DESCRIPTION|X-TASKS-TASK-ID/);
    expect(roundTrip(event)).toMatchObject({ priority: null, description: '', taskId: null });
  });

  // Found by the provider round trip: ical.js reads a repeated local time as its second pass.
  it.each([
    ['Europe/Paris', '2025-10-26T00:15:00Z', 'DTSTART;TZID=Europe/Paris:20251026T021500'],
    [
      'Australia/Lord_Howe',
      '2025-04-05T14:45:00Z',
      'DTSTART;TZID=Australia/Lord_Howe:20250406T014500',
    ],
    ['Pacific/Chatham', '2025-04-05T13:00:00Z', 'DTSTART;TZID=Pacific/Chatham:20250406T024500'],
  ])('reads a time in the hour %s repeats as its first pass (RFC 5545 3.3.5)', (zone, at, line) => {
    const end = new Date(Date.parse(at) + 30 * 60_000).toISOString().replace('.000', '');
    const event = input({
      start: { dateTime: at, timeZone: zone },
      end: { dateTime: end, timeZone: zone },
    });
    const text = newCalendarObject(event, 'uid-1', NOW).toString();
    expect(text).toContain(line);
    expect(roundTrip(event)).toMatchObject({ start: event.start, end: event.end });
  });

  // Found by the provider round trip: an end in the second pass of a repeated hour read a pass
  // early (Lord Howe: 30 minutes), as its wall-clock time means the first pass.
  it('writes an end in the second pass of a repeated hour as an exact DURATION', () => {
    // Paris, 2026-10-25: 02:30 CEST (first pass) to 02:45 CET (second pass), 75 minutes.
    const event = input({
      start: { dateTime: '2026-10-25T00:30:00Z', timeZone: 'Europe/Paris' },
      end: { dateTime: '2026-10-25T01:45:00Z', timeZone: 'Europe/Paris' },
    });
    const text = newCalendarObject(event, 'uid-1', NOW).toString();
    expect(text).toContain('DURATION:PT1H15M');
    expect(text).not.toContain('DTEND');
    expect(roundTrip(event)).toMatchObject({ start: event.start, end: event.end });
    // Back to an ordinary end: DTEND again, the DURATION gone.
    const calendar = newCalendarObject(event, 'uid-1', NOW);
    applyEventInput(calendar, input(), NOW);
    expect(calendar.toString()).toContain('DTEND;TZID=Europe/Paris:20251015T170000');
    expect(calendar.toString()).not.toContain('DURATION');
  });

  it('reads a DURATION’s days as wall-clock days and its hours as exact time', () => {
    const fields = readEventFields(
      object(
        'BEGIN:VEVENT',
        'UID:x',
        'DTSTART;TZID=Europe/Paris:20261024T230000',
        'DURATION:P1DT3H',
        'END:VEVENT',
      ),
    );
    // 23:00 CEST the 24th, a day later 23:00 CET the 25th (25 hours), then 3 hours.
    expect(fields?.start).toEqual({ dateTime: '2026-10-24T21:00:00Z', timeZone: 'Europe/Paris' });
    expect(fields?.end).toEqual({ dateTime: '2026-10-26T01:00:00Z', timeZone: 'Europe/Paris' });
  });

  it('refuses what iCalendar cannot hold with UnsupportedEventError', () => {
    const refused = [
      input({ start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Central European Time' } }),
      input({ start: { date: '2025-10-15' } }),
      input({ start: { dateTime: 'yesterday', timeZone: 'Europe/Paris' } }),
      input({ recurrence: 'EVERY=SUNDAY' }),
    ];
    for (const event of refused) {
      expect(() => newCalendarObject(event, 'uid-1', NOW)).toThrow(UnsupportedEventError);
    }
  });
});

describe('reading what other clients write', () => {
  it.each([
    [0, null],
    [1, 'URGENT'],
    [2, 'HIGH'],
    [4, 'HIGH'],
    [5, 'MEDIUM'],
    [6, 'LOW'],
    [9, 'LOW'],
    [10, null],
  ] as const)('reads PRIORITY:%i as %s', (value, priority) => {
    expect(priorityFromIcal(value)).toBe(priority);
  });

  it('reads skipped occurrences in their zone, from every EXDATE, each once', () => {
    const timed = object(
      'BEGIN:VEVENT',
      'UID:x',
      'DTSTART;TZID=Europe/Paris:20260302T090000',
      'DTEND;TZID=Europe/Paris:20260302T100000',
      'RRULE:FREQ=WEEKLY',
      // After the change to summer time 09:00 is 07:00Z; one value twice, one in UTC, one
      // floating (DTSTART's zone), and a DATE, which matches no timed occurrence.
      'EXDATE;TZID=Europe/Paris:20260309T090000,20260330T090000',
      'EXDATE:20260316T080000Z',
      'EXDATE:20260323T090000',
      'EXDATE;VALUE=DATE:20260406',
      'EXDATE;TZID=Europe/Paris:20260309T090000',
      'END:VEVENT',
    );
    expect(readEventFields(timed)?.exceptions).toEqual([
      '2026-03-09T08:00:00Z',
      '2026-03-16T08:00:00Z',
      '2026-03-23T08:00:00Z',
      '2026-03-30T07:00:00Z',
    ]);
    const allDay = object(
      'BEGIN:VEVENT',
      'UID:y',
      'DTSTART;VALUE=DATE:20261221',
      'RRULE:FREQ=DAILY',
      'EXDATE;VALUE=DATE:20261225,20270101',
      'END:VEVENT',
    );
    expect(readEventFields(allDay)?.exceptions).toEqual(['2026-12-25', '2027-01-01']);
    // No rule, nothing skipped.
    const single = object(
      'BEGIN:VEVENT',
      'UID:z',
      'DTSTART;VALUE=DATE:20261221',
      'EXDATE;VALUE=DATE:20261221',
      'END:VEVENT',
    );
    expect(readEventFields(single)?.exceptions).toEqual([]);
  });

  it('reads an all-day DURATION, or no end at all, as an exclusive end date', () => {
    const withDuration = object(
      'BEGIN:VEVENT',
      'UID:a',
      'DTSTART;VALUE=DATE:20250420',
      'DURATION:P2D',
      'END:VEVENT',
    );
    expect(readEventFields(withDuration)).toMatchObject({
      start: { date: '2025-04-20' },
      end: { date: '2025-04-22' },
    });
    const withoutEnd = object('BEGIN:VEVENT', 'UID:b', 'DTSTART;VALUE=DATE:20250430', 'END:VEVENT');
    expect(readEventFields(withoutEnd)).toMatchObject({ end: { date: '2025-05-01' } });
  });

  it('reads a zone that is no IANA name through its VTIMEZONE, as UTC', () => {
    const outlook = object(
      'BEGIN:VTIMEZONE',
      'TZID:W. Europe Standard Time',
      'BEGIN:STANDARD',
      'DTSTART:16011028T030000',
      'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
      'TZOFFSETFROM:+0200',
      'TZOFFSETTO:+0100',
      'END:STANDARD',
      'BEGIN:DAYLIGHT',
      'DTSTART:16010325T020000',
      'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3',
      'TZOFFSETFROM:+0100',
      'TZOFFSETTO:+0200',
      'END:DAYLIGHT',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:c',
      'DTSTAMP:20250101T000000Z',
      'DTSTART;TZID=W. Europe Standard Time:20250715T100000',
      'DTEND;TZID=W. Europe Standard Time:20250715T110000',
      'END:VEVENT',
    );
    expect(readEventFields(outlook)).toMatchObject({
      start: { dateTime: '2025-07-15T08:00:00Z', timeZone: 'UTC' },
      end: { dateTime: '2025-07-15T09:00:00Z', timeZone: 'UTC' },
    });
  });

  it('reads UTC and floating times as UTC, and the master VEVENT, not an override', () => {
    const calendar = object(
      'BEGIN:VEVENT',
      'UID:d',
      'RECURRENCE-ID:20250108T090000Z',
      'DTSTART:20250108T100000Z',
      'SUMMARY:Moved occurrence',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:d',
      'DTSTART:20250101T090000',
      'DTEND:20250101T093000Z',
      'RRULE:FREQ=WEEKLY',
      'SUMMARY:Series',
      'END:VEVENT',
    );
    expect(readEventFields(calendar)).toMatchObject({
      summary: 'Series',
      start: { dateTime: '2025-01-01T09:00:00Z', timeZone: 'UTC' },
      end: { dateTime: '2025-01-01T09:30:00Z', timeZone: 'UTC' },
      recurrence: 'FREQ=WEEKLY',
    });
  });

  it('finds no event in a VTODO', () => {
    expect(readEventFields(object('BEGIN:VTODO', 'UID:e', 'SUMMARY:Todo', 'END:VTODO'))).toBeNull();
  });
});

describe('updating an object in place', () => {
  const series = () =>
    object(
      'BEGIN:VEVENT',
      'UID:f',
      'SEQUENCE:4',
      'DTSTART:20250106T090000Z',
      'DTEND:20250106T100000Z',
      'RRULE:FREQ=WEEKLY;BYDAY=MO',
      'EXDATE:20250113T090000Z',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:f',
      'RECURRENCE-ID:20250120T090000Z',
      'DTSTART:20250120T110000Z',
      'END:VEVENT',
    );
  const seriesInput = (overrides: Partial<EventInput>) =>
    input({
      start: { dateTime: '2025-01-06T09:00:00Z', timeZone: 'UTC' },
      end: { dateTime: '2025-01-06T10:00:00Z', timeZone: 'UTC' },
      recurrence: 'FREQ=WEEKLY;BYDAY=MO',
      ...overrides,
    });

  it('reads the skipped occurrences, keeps overrides while the series stays, and bumps SEQUENCE', () => {
    const calendar = series();
    expect(readEventFields(calendar)?.exceptions).toEqual(['2025-01-13T09:00:00Z']);
    applyEventInput(
      calendar,
      seriesInput({ summary: 'Renamed', exceptions: ['2025-01-13T09:00:00Z'] }),
      NOW,
    );
    expect(calendar.getAllSubcomponents('vevent')).toHaveLength(2);
    const master = calendar
      .getAllSubcomponents('vevent')
      .find((event) => !event.hasProperty('recurrence-id'));
    expect(master?.getAllProperties('exdate')).toHaveLength(1);
    expect(readEventFields(calendar)?.exceptions).toEqual(['2025-01-13T09:00:00Z']);
    // Given back: the EXDATE goes.
    applyEventInput(calendar, seriesInput({ summary: 'Renamed' }), NOW);
    expect(master?.hasProperty('exdate')).toBe(false);
    expect(master?.getFirstPropertyValue('sequence')).toBe(6);
    expect(master?.getFirstPropertyValue('uid')).toBe('f');
  });

  it('drops the exceptions of a series whose rule changed', () => {
    const calendar = series();
    applyEventInput(calendar, seriesInput({ recurrence: 'FREQ=WEEKLY;BYDAY=TU' }), NOW);
    expect(calendar.getAllSubcomponents('vevent')).toHaveLength(1);
    expect(calendar.getFirstSubcomponent('vevent')?.hasProperty('exdate')).toBe(false);
  });

  it('drops a VTIMEZONE nothing refers to any more', () => {
    const calendar = newCalendarObject(input(), 'uid-1', NOW);
    expect(calendar.getAllSubcomponents('vtimezone')).toHaveLength(1);
    applyEventInput(
      calendar,
      input({ start: { date: '2025-10-15' }, end: { date: '2025-10-16' } }),
      NOW,
    );
    expect(calendar.getAllSubcomponents('vtimezone')).toHaveLength(0);
    expect(readEventFields(calendar)).toMatchObject({
      start: { date: '2025-10-15' },
      end: { date: '2025-10-16' },
    });
  });
});
