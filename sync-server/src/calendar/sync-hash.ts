import { createHash } from 'node:crypto';
import { type EventInput, type EventTime, taskToEvent } from '@tasks/connectors';
import { canonicalRecurrenceRule, type Task } from '@tasks/crdt';

/**
 * Content hashes of both sides of a link. A side counts as changed only when its hash differs
 * from the one stored when the pair was last synced, which also swallows our own echoes.
 */

/** Link task hash of a task in the trash whose deletion won over an event edit (sync-delete off). */
export const TRASHED_TASK_HASH = 'trashed';
/** Link task hash of a purged task whose event stays on the calendar (sync-delete off). */
export const PURGED_TASK_HASH = 'purged';
/** Link task hash of a task in the trash whose event rule 3 deleted: kept for a restore's key. */
export const EVENT_DELETED_TASK_HASH = 'event-deleted';

function canonicalTime(time: EventTime): unknown[] {
  if ('date' in time) return ['date', time.date];
  const at = Date.parse(time.dateTime);
  return ['at', Number.isNaN(at) ? time.dateTime : new Date(at).toISOString(), time.timeZone];
}

function canonicalRule(rule: string | null): string | null {
  if (rule === null || rule.trim() === '') return null;
  return canonicalRecurrenceRule(rule);
}

function canonicalExceptions(exceptions: readonly string[]): string[] {
  const values = exceptions.map((value) => {
    const at = value.length === 10 ? Number.NaN : Date.parse(value);
    return Number.isNaN(at) ? value : new Date(at).toISOString();
  });
  return [...new Set(values)].sort();
}

/** Hash of what an event shows, normalized so equal content on any provider hashes the same. */
export function eventHash(input: EventInput): string {
  const canonical = [
    input.summary,
    input.description.replace(/\r\n?/g, '\n'),
    canonicalTime(input.start),
    canonicalTime(input.end),
    canonicalRule(input.recurrence),
    input.priority,
    input.taskId,
    // Only when there are some: links synced before exceptions existed keep their hashes.
    ...(input.exceptions.length > 0 ? [canonicalExceptions(input.exceptions)] : []),
  ];
  return sha256(canonical);
}

function sha256(canonical: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** Hash of the event form of a task (`taskToEvent`); of its own fields when it has no dates. */
export function taskHash(task: Task, timezone: string): string {
  const form = taskToEvent(task, timezone);
  if (form) return eventHash(form);
  // No event form, yet an edit of the title must still count as a change (and win or lose).
  const { title, description, recurrenceRule, priority, id } = task;
  return `undated:${sha256([title, description, canonicalRule(recurrenceRule), priority, id])}`;
}
