import type { Reminder } from '@tasks/crdt';
import { formatDue, fromInputValue } from '../format.js';

/**
 * How the task editor shows and reads reminders. What a reminder may be (minutes in range, a
 * valid instant, how many) is the crdt's rule, checked when the task is updated; this only turns
 * the form's text into a `Reminder` and a reminder into words.
 */

/** The offsets offered in the editor's list, in minutes before the task's date. */
export const RELATIVE_REMINDER_CHOICES: readonly number[] = [0, 5, 15, 30, 60, 1440];

/** What the editor's "New reminder" list holds: an offset in minutes, or a form to fill in. */
export type ReminderChoice = `${number}` | 'custom' | 'at';

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;

/** "At the time", "15 minutes before", "1 hour before", "2 days before". */
export function describeMinutesBefore(minutes: number): string {
  if (minutes === 0) return 'At the time';
  if (minutes % 1440 === 0) return `${plural(minutes / 1440, 'day')} before`;
  if (minutes % 60 === 0) return `${plural(minutes / 60, 'hour')} before`;
  return `${plural(minutes, 'minute')} before`;
}

/** A reminder in words: relative ones by their offset, absolute ones at their time in `timezone`. */
export function describeReminder(reminder: Reminder, timezone: string): string {
  if ('minutesBefore' in reminder) return describeMinutesBefore(reminder.minutesBefore);
  return `At ${formatDue(reminder.at, timezone)}`;
}

/** What the "New reminder" form holds when it is submitted. */
export interface ReminderForm {
  choice: ReminderChoice;
  /** The custom offset as typed (used when `choice` is `custom`). */
  minutes: string;
  /** A `datetime-local` value in `timezone` (used when `choice` is `at`). */
  at: string;
}

/** The reminder the form describes, or what is missing from it. */
export function readReminderForm(
  form: ReminderForm,
  timezone: string,
): { reminder: Reminder } | { error: string } {
  if (form.choice === 'at') {
    const at = fromInputValue(form.at, timezone);
    return at === null || form.at === ''
      ? { error: 'Choose the date and time to be reminded at.' }
      : { reminder: { at } };
  }
  const text = form.choice === 'custom' ? form.minutes.trim() : form.choice;
  if (!/^\d+$/.test(text)) return { error: 'Enter the reminder as a whole number of minutes.' };
  return { reminder: { minutesBefore: Number(text) } };
}
