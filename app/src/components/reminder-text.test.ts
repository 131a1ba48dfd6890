import { describe, expect, it } from 'vitest';
import { describeReminder, readReminderForm } from './reminder-text.js';

const BERLIN = 'Europe/Berlin';

describe('reminders in words', () => {
  it('names relative reminders by their largest whole unit', () => {
    const words = [0, 1, 5, 15, 60, 90, 120, 1440, 2880, 1500].map((minutesBefore) =>
      describeReminder({ minutesBefore }, BERLIN),
    );
    expect(words).toEqual([
      'At the time',
      '1 minute before',
      '5 minutes before',
      '15 minutes before',
      '1 hour before',
      '90 minutes before',
      '2 hours before',
      '1 day before',
      '2 days before',
      '25 hours before',
    ]);
  });

  it('shows an absolute reminder at its time in the user’s zone', () => {
    // 08:00 UTC on a December Monday is 09:00 in Berlin.
    expect(describeReminder({ at: '2026-12-07T08:00:00Z' }, BERLIN)).toBe('At Mon 7 Dec, 09:00');
    expect(describeReminder({ at: '2026-12-07T08:00:00Z' }, 'America/New_York')).toBe(
      'At Mon 7 Dec, 03:00',
    );
  });
});

describe('the new reminder form', () => {
  it('reads a listed offset', () => {
    expect(readReminderForm({ choice: '15', minutes: '', at: '' }, BERLIN)).toEqual({
      reminder: { minutesBefore: 15 },
    });
  });

  it('reads a custom number of minutes, trimmed', () => {
    expect(readReminderForm({ choice: 'custom', minutes: ' 45 ', at: '' }, BERLIN)).toEqual({
      reminder: { minutesBefore: 45 },
    });
  });

  it('refuses a custom offset that is not a whole number of minutes', () => {
    for (const minutes of ['', 'ten', '-5', '2.5']) {
      expect(readReminderForm({ choice: 'custom', minutes, at: '' }, BERLIN)).toEqual({
        error: 'Enter the reminder as a whole number of minutes.',
      });
    }
  });

  it('reads a local date and time in the user’s zone as an instant', () => {
    expect(readReminderForm({ choice: 'at', minutes: '', at: '2026-12-07T09:00' }, BERLIN)).toEqual(
      { reminder: { at: '2026-12-07T08:00:00Z' } },
    );
    // Summer time: Berlin is two hours ahead.
    expect(readReminderForm({ choice: 'at', minutes: '', at: '2026-07-01T09:00' }, BERLIN)).toEqual(
      { reminder: { at: '2026-07-01T07:00:00Z' } },
    );
  });

  it('asks for the date and time when they are missing or unreadable', () => {
    for (const at of ['', 'tomorrow']) {
      expect(readReminderForm({ choice: 'at', minutes: '', at }, BERLIN)).toEqual({
        error: 'Choose the date and time to be reminded at.',
      });
    }
  });
});
