import type * as Y from 'yjs';
import { normalizeDateTime } from './dates.js';
import { REMINDER_KEY_PREFIX, type Reminder } from './schema.js';
import { REMINDER_MINUTES_MAX } from './validation.js';

/**
 * How a reminder is stored: as a key of its task's map (`reminder:before:15`,
 * `reminder:at:2026-12-07T09:00:00Z`) set to true, like tags, so two devices adding reminders at
 * once keep both, and the key is the reminder's identity.
 */

const BEFORE = 'before:';
const AT = 'at:';

/** The key a reminder is stored under (without the task map's `reminder:` prefix). */
export function reminderKey(reminder: Reminder): string {
  return 'minutesBefore' in reminder
    ? `${BEFORE}${reminder.minutesBefore}`
    : `${AT}${normalizeDateTime(reminder.at) ?? reminder.at}`;
}

/** The reminder a stored key holds, or null for junk another client wrote. */
export function parseReminderKey(key: string): Reminder | null {
  if (key.startsWith(BEFORE)) {
    const text = key.slice(BEFORE.length);
    const minutes = Number(text);
    if (!/^\d+$/.test(text) || minutes > REMINDER_MINUTES_MAX) return null;
    return { minutesBefore: minutes };
  }
  if (key.startsWith(AT)) {
    const at = normalizeDateTime(key.slice(AT.length));
    return at === null ? null : { at };
  }
  return null;
}

function compareReminders(a: Reminder, b: Reminder): number {
  if ('minutesBefore' in a && 'minutesBefore' in b) return a.minutesBefore - b.minutesBefore;
  if ('at' in a && 'at' in b) return Date.parse(a.at) - Date.parse(b.at);
  return 'minutesBefore' in a ? -1 : 1;
}

/** Whether a task map holds any reminder key: a cheap test before reading the whole task. */
export function hasReminderKeys(map: Y.Map<unknown>): boolean {
  for (const key of map.keys()) {
    if (key.startsWith(REMINDER_KEY_PREFIX) && map.get(key) === true) return true;
  }
  return false;
}

/** A task map's reminders, in the order of `Task.reminders`. */
export function readReminders(map: Y.Map<unknown>): Reminder[] {
  const reminders: Reminder[] = [];
  map.forEach((value, key) => {
    if (!key.startsWith(REMINDER_KEY_PREFIX) || value !== true) return;
    const reminder = parseReminderKey(key.slice(REMINDER_KEY_PREFIX.length));
    if (reminder) reminders.push(reminder);
  });
  return reminders.sort(compareReminders);
}
