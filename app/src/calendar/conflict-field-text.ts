import { formatDue } from '../format.js';

/** How the inbox names a task field a calendar conflict touched. */
export const CONFLICT_FIELD_NAMES: Record<string, string> = {
  title: 'Title',
  description: 'Description',
  startDate: 'Start',
  dueDate: 'Due',
  priority: 'Priority',
  recurrenceRule: 'Repeats',
  estimatedDuration: 'Estimate',
  deleted: 'In the trash',
};

const MAX_TEXT = 120;
const DATE_VALUE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A field's value as the inbox shows it, in the user's zone. The value comes from an inbox item
 * another device or the server wrote: anything it holds is shown as text, never trusted.
 */
export function conflictFieldText(field: string, value: unknown, timezone: string): string {
  if (value === null || value === undefined || value === '') return 'none';
  if (field === 'deleted') return value === true ? 'yes' : 'no';
  if ((field === 'startDate' || field === 'dueDate') && typeof value === 'string') {
    return DATE_VALUE.test(value) ? formatDue(value, timezone) : value;
  }
  if (field === 'estimatedDuration' && typeof value === 'number') return `${value} min`;
  if (field === 'priority' && typeof value === 'string') return value.toLowerCase();
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
