import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULING, DEFAULT_WORKING_HOURS } from './schema.js';
import {
  eventBecomesTask,
  getSettings,
  getTimezone,
  isTimezoneChosen,
  needsAccountTimezone,
  seedAccountTimezone,
  updateSettings,
} from './settings.js';
import { cloneReplica, invalidFields, replica, sync, TEST_USER as USER } from './test-support.js';
import { migrateDocument, settingsOf, type UserDocs } from './user-docs.js';
import type { SettingsPatch } from './validation.js';

function setup(): UserDocs {
  const docs = replica(1);
  migrateDocument(docs.main, USER);
  return docs;
}

const NINE_TO_FIVE = [{ start: '09:00', end: '17:00' }];

describe('settings', () => {
  it('starts in UTC, weeks on Monday, 09:00-17:00 on weekdays', () => {
    const docs = setup();
    expect(getSettings(docs)).toEqual({
      timezone: 'UTC',
      weekStart: 'mon',
      workingHours: {
        mon: NINE_TO_FIVE,
        tue: NINE_TO_FIVE,
        wed: NINE_TO_FIVE,
        thu: NINE_TO_FIVE,
        fri: NINE_TO_FIVE,
        sat: [],
        sun: [],
      },
      calendarImport: 'none',
      calendarImportKeyword: '#task',
      scheduling: {
        horizonDays: 14,
        minBlockMinutes: 30,
        bufferMinutes: 5,
        dailyCapMinutes: null,
        blocksToCalendar: false,
        blocksCalendarConnectionId: null,
      },
      defaultReminderMinutes: null,
      allDayReminderTime: '09:00',
      notifyInApp: true,
      notifyPush: true,
      notifyEmail: false,
      agendaTime: null,
      emailCalendarFailures: true,
    });
    expect(getTimezone(docs)).toBe('UTC');
  });

  it('turns calendar events into tasks only as the user chose (rule 4)', () => {
    const docs = setup();
    const standup = { summary: 'Standup', description: '' };
    const marked = { summary: 'Send the invoice #TASK', description: '' };
    const markedInside = { summary: 'Review', description: 'Prepare slides ＃task' };
    expect(eventBecomesTask(getSettings(docs), marked)).toBe(false);
    updateSettings(docs, { calendarImport: 'keyword' });
    const byKeyword = getSettings(docs);
    expect(eventBecomesTask(byKeyword, standup)).toBe(false);
    expect(eventBecomesTask(byKeyword, marked)).toBe(true);
    // Full-width ＃ folds to # (NFKC), case does not matter.
    expect(eventBecomesTask(byKeyword, markedInside)).toBe(true);
    updateSettings(docs, { calendarImportKeyword: ' todo ' });
    expect(getSettings(docs).calendarImportKeyword).toBe('todo');
    expect(eventBecomesTask(getSettings(docs), { summary: 'TODO: taxes', description: '' })).toBe(
      true,
    );
    updateSettings(docs, { calendarImport: 'all' });
    expect(eventBecomesTask(getSettings(docs), standup)).toBe(true);
    expect(invalidFields(() => updateSettings(docs, { calendarImport: 'some' as 'all' }))).toEqual([
      'calendarImport',
    ]);
    expect(invalidFields(() => updateSettings(docs, { calendarImportKeyword: '  ' }))).toEqual([
      'calendarImportKeyword',
    ]);
  });

  it('reads a calendar import setting another device wrote badly as the default', () => {
    const docs = setup();
    settingsOf(docs.main).set('calendarImport', 'everything');
    settingsOf(docs.main).set('calendarImportKeyword', 42);
    expect(getSettings(docs)).toMatchObject({
      calendarImport: 'none',
      calendarImportKeyword: '#task',
      defaultReminderMinutes: null,
      allDayReminderTime: '09:00',
      notifyInApp: true,
      notifyPush: true,
      notifyEmail: false,
      agendaTime: null,
      emailCalendarFailures: true,
    });
  });

  it('sets an IANA time zone and the first day of the week', () => {
    const docs = setup();
    const settings = updateSettings(docs, { timezone: 'Europe/Paris', weekStart: 'sun' });
    expect(settings).toMatchObject({ timezone: 'Europe/Paris', weekStart: 'sun' });
    expect(getTimezone(docs)).toBe('Europe/Paris');
  });

  it.each([
    ['a time zone that does not exist', { timezone: 'Mars/Olympus' }, ['timezone']],
    ['a UTC offset instead of a zone', { timezone: '+02:00' }, ['timezone']],
    ['an unknown first day of the week', { weekStart: 'funday' }, ['weekStart']],
    [
      'working hours that end before they start',
      { workingHours: { mon: [{ start: '17:00', end: '09:00' }] } },
      ['workingHours.mon.0'],
    ],
    [
      'a time that is not HH:MM',
      { workingHours: { tue: [{ start: '08:60', end: '17:00' }] } },
      ['workingHours.tue.0.start'],
    ],
    ['an unknown field', { theme: 'dark' }, ['theme']],
  ])('rejects %s, naming the field, and changes nothing', (_name, patch, fields) => {
    const docs = setup();
    expect(invalidFields(() => updateSettings(docs, patch as SettingsPatch))).toEqual(fields);
    expect(getSettings(docs).timezone).toBe('UTC');
    expect(getSettings(docs).workingHours).toEqual(DEFAULT_WORKING_HOURS);
  });

  it('changes the working hours of the days given and keeps the others', () => {
    const docs = setup();
    const split = [
      { start: '08:00', end: '12:00' },
      { start: '13:00', end: '17:30' },
    ];
    const settings = updateSettings(docs, { workingHours: { mon: split, fri: [] } });
    expect(settings.workingHours).toEqual({ ...DEFAULT_WORKING_HOURS, mon: split, fri: [] });
  });

  it('merges working hours edited for different days on two devices', () => {
    const a = setup();
    const b = cloneReplica(a, 2);
    updateSettings(a, { workingHours: { mon: [{ start: '07:00', end: '15:00' }] } });
    updateSettings(b, { workingHours: { tue: [{ start: '10:00', end: '18:00' }] } });
    sync(a, b);
    for (const docs of [a, b]) {
      expect(getSettings(docs).workingHours).toMatchObject({
        mon: [{ start: '07:00', end: '15:00' }],
        tue: [{ start: '10:00', end: '18:00' }],
        wed: NINE_TO_FIVE,
      });
    }
  });

  it('agrees on one time zone when two devices set different ones offline', () => {
    const a = setup();
    const b = cloneReplica(a, 2);
    updateSettings(a, { timezone: 'Europe/Paris' });
    updateSettings(b, { timezone: 'America/New_York' });
    sync(a, b);
    expect(getTimezone(a)).toBe(getTimezone(b));
    expect(['Europe/Paris', 'America/New_York']).toContain(getTimezone(a));
  });

  it("follows the account's time zone until the user chooses one, even UTC", () => {
    const docs = setup();
    expect(needsAccountTimezone(docs)).toBe(true);
    expect(seedAccountTimezone(docs, 'Europe/Berlin')).toBe(true);
    expect(getTimezone(docs)).toBe('Europe/Berlin');
    expect(isTimezoneChosen(docs)).toBe(false);
    expect(needsAccountTimezone(docs)).toBe(false);
    // Seeding the same zone again writes nothing; a new account zone replaces the old one.
    expect(seedAccountTimezone(docs, 'Europe/Berlin')).toBe(false);
    expect(seedAccountTimezone(docs, 'Asia/Tokyo')).toBe(true);
    expect(getTimezone(docs)).toBe('Asia/Tokyo');

    updateSettings(docs, { timezone: 'UTC' });
    expect(isTimezoneChosen(docs)).toBe(true);
    expect(seedAccountTimezone(docs, 'Europe/Berlin')).toBe(false);
    expect(getTimezone(docs)).toBe('UTC');
  });

  it('ignores an account time zone that does not exist', () => {
    const docs = setup();
    expect(seedAccountTimezone(docs, 'Europe/Atlantis')).toBe(false);
    expect(getTimezone(docs)).toBe('UTC');
    settingsOf(docs.main).set('accountTimezone', 'Europe/Atlantis');
    expect(getTimezone(docs)).toBe('UTC');
    expect(needsAccountTimezone(docs)).toBe(true);
  });

  it.each([
    ['the server has the lower client id', 1, 2],
    ['the server has the higher client id', 2, 1],
  ])(
    "keeps a device's chosen zone over the account's seeded at the same time (%s)",
    (_name, serverId, deviceId) => {
      const server = replica(serverId);
      const device = replica(deviceId);
      migrateDocument(server.main, USER);
      migrateDocument(device.main, USER);
      // Offline, the device chose UTC while the server seeded the account's zone.
      updateSettings(device, { timezone: 'UTC' });
      seedAccountTimezone(server, 'Europe/Berlin');
      sync(server, device);
      expect(getTimezone(server)).toBe('UTC');
      expect(getTimezone(device)).toBe('UTC');
      // And the other way round: a zone chosen later on another device wins too.
      const other = cloneReplica(server, 3);
      updateSettings(other, { timezone: 'America/New_York' });
      sync(other, device);
      expect(getTimezone(device)).toBe('America/New_York');
    },
  );

  it('returns working hours a caller can change without changing the defaults', () => {
    const docs = setup();
    const monday = getSettings(docs).workingHours.mon;
    const evening = { start: '18:00', end: '20:00' };
    monday.push(evening);
    try {
      expect(getSettings(docs).workingHours.mon).toEqual(NINE_TO_FIVE);
      expect(getSettings(setup()).workingHours.mon).toEqual(NINE_TO_FIVE);
    } finally {
      // Undo the edit in case it reached shared state, so later tests start clean.
      monday.splice(monday.indexOf(evening), 1);
    }
  });
});

describe('reading settings another client wrote', () => {
  it('falls back to the defaults for junk values', () => {
    const docs = setup();
    const map = settingsOf(docs.main);
    map.set('timezone', 42);
    map.set('weekStart', 'funday');
    map.set('workingHours.mon', 'nine to five');
    map.set('workingHours.sat', { start: '10:00', end: '12:00' });
    map.set('defaultReminderMinutes', -5);
    map.set('allDayReminderTime', '25:00');
    map.set('notifyInApp', 'yes');
    map.set('agendaTime', 7);
    expect(getSettings(docs)).toEqual({
      timezone: 'UTC',
      weekStart: 'mon',
      workingHours: DEFAULT_WORKING_HOURS,
      calendarImport: 'none',
      calendarImportKeyword: '#task',
      scheduling: DEFAULT_SCHEDULING,
      defaultReminderMinutes: null,
      allDayReminderTime: '09:00',
      notifyInApp: true,
      notifyPush: true,
      notifyEmail: false,
      agendaTime: null,
      emailCalendarFailures: true,
    });
  });

  it('reads each junk scheduling setting as its default', () => {
    const docs = setup();
    const map = settingsOf(docs.main);
    map.set('scheduling.horizonDays', 10_000);
    map.set('scheduling.minBlockMinutes', 12.5);
    map.set('scheduling.bufferMinutes', '5');
    map.set('scheduling.dailyCapMinutes', -1);
    map.set('scheduling.blocksToCalendar', 'yes');
    map.set('scheduling.blocksCalendarConnectionId', 42);
    expect(getSettings(docs).scheduling).toEqual(DEFAULT_SCHEDULING);
  });

  it('keeps scheduling settings one by one, a daily cap until it is set to none', () => {
    const docs = setup();
    updateSettings(docs, { scheduling: { minBlockMinutes: 45, dailyCapMinutes: 300 } });
    updateSettings(docs, { scheduling: { bufferMinutes: 0 } });
    expect(getSettings(docs).scheduling).toEqual({
      horizonDays: 14,
      minBlockMinutes: 45,
      bufferMinutes: 0,
      dailyCapMinutes: 300,
      blocksToCalendar: false,
      blocksCalendarConnectionId: null,
    });
    updateSettings(docs, { scheduling: { dailyCapMinutes: null } });
    expect(getSettings(docs).scheduling.dailyCapMinutes).toBeNull();
  });

  it('turns "put planned blocks in my calendar" on and off, refusing what is not a boolean', () => {
    const docs = setup();
    updateSettings(docs, { scheduling: { blocksToCalendar: true } });
    expect(getSettings(docs).scheduling.blocksToCalendar).toBe(true);
    expect(
      invalidFields(() =>
        updateSettings(docs, { scheduling: { blocksToCalendar: 'on' as unknown as boolean } }),
      ),
    ).toEqual(['scheduling.blocksToCalendar']);
    updateSettings(docs, { scheduling: { blocksToCalendar: false } });
    expect(getSettings(docs).scheduling.blocksToCalendar).toBe(false);
  });

  it('names the connection that receives planned blocks, or none (the first), refusing junk', () => {
    const docs = setup();
    updateSettings(docs, { scheduling: { blocksCalendarConnectionId: 'connection-2' } });
    expect(getSettings(docs).scheduling.blocksCalendarConnectionId).toBe('connection-2');
    for (const junk of ['', 'x'.repeat(101), 7]) {
      expect(
        invalidFields(() =>
          updateSettings(docs, {
            scheduling: { blocksCalendarConnectionId: junk as unknown as string },
          }),
        ),
      ).toEqual(['scheduling.blocksCalendarConnectionId']);
    }
    updateSettings(docs, { scheduling: { blocksCalendarConnectionId: null } });
    expect(getSettings(docs).scheduling.blocksCalendarConnectionId).toBeNull();
  });

  it('refuses scheduling settings out of bounds, naming each field', () => {
    const docs = setup();
    expect(
      invalidFields(() =>
        updateSettings(docs, {
          scheduling: { horizonDays: 0, minBlockMinutes: 2.5, bufferMinutes: 500 },
        }),
      ),
    ).toEqual(['scheduling.horizonDays', 'scheduling.minBlockMinutes', 'scheduling.bufferMinutes']);
    expect(getSettings(docs).scheduling).toEqual(DEFAULT_SCHEDULING);
  });

  it('keeps the reminder settings a patch gives, and clears the default reminder with null', () => {
    const docs = setup();
    updateSettings(docs, {
      defaultReminderMinutes: 30,
      allDayReminderTime: '07:30',
      notifyEmail: true,
      notifyPush: false,
      agendaTime: '06:45',
      emailCalendarFailures: false,
    });
    expect(getSettings(docs)).toMatchObject({
      emailCalendarFailures: false,
      defaultReminderMinutes: 30,
      allDayReminderTime: '07:30',
      notifyInApp: true,
      notifyPush: false,
      notifyEmail: true,
      agendaTime: '06:45',
    });
    updateSettings(docs, { defaultReminderMinutes: null, agendaTime: null });
    expect(getSettings(docs)).toMatchObject({ defaultReminderMinutes: null, agendaTime: null });
    expect(
      invalidFields(() =>
        updateSettings(docs, { defaultReminderMinutes: 1.5, allDayReminderTime: '9am' }),
      ),
    ).toEqual(['defaultReminderMinutes', 'allDayReminderTime']);
  });

  it('changes only the settings a patch names', () => {
    const docs = setup();
    updateSettings(docs, { timezone: 'Asia/Tokyo', weekStart: 'sun' });
    updateSettings(docs, { calendarImport: 'all' });
    updateSettings(docs, { workingHours: { mon: [] } });
    expect(getSettings(docs)).toMatchObject({
      timezone: 'Asia/Tokyo',
      weekStart: 'sun',
      calendarImport: 'all',
    });
  });

  it('falls back to UTC for a time zone that does not exist', () => {
    const docs = setup();
    settingsOf(docs.main).set('timezone', 'Europe/Atlantis');
    expect(getTimezone(docs)).toBe('UTC');
  });

  it('keeps the valid ranges of a day and drops the junk ones', () => {
    const docs = setup();
    settingsOf(docs.main).set('workingHours.tue', [
      { start: '9', end: '17:00' },
      { start: '12:00', end: '10:00' },
      null,
      'morning',
      { start: '08:00', end: '12:00' },
    ]);
    expect(getSettings(docs).workingHours.tue).toEqual([{ start: '08:00', end: '12:00' }]);
  });
});
