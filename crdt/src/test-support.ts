import * as Y from 'yjs';
import { createManualContext } from './context.js';
import { ValidationError } from './errors.js';
import type { Task } from './schema.js';
import { UserDocs } from './user-docs.js';

/**
 * Helpers for tests of the document: devices (replicas) with fixed Yjs client ids, a clock and
 * readable ids, and a sync between two devices. Not used by the package itself.
 */
export const TEST_USER = 'user-1';
export const T0 = new Date('2025-03-01T10:00:00Z');

/** A clock fixed at `start` and ids `prefix-001`, `prefix-002`, ... */
export function manualContext(prefix: string, start = T0) {
  let next = 0;
  return createManualContext(start, () => {
    next += 1;
    return `${prefix}-${next.toString().padStart(3, '0')}`;
  });
}

/** One device's copy of the user's documents, with a fixed Yjs client id (months too). */
export function replica(clientId: number): UserDocs {
  const main = new Y.Doc({ guid: TEST_USER });
  main.clientID = clientId;
  return new UserDocs(TEST_USER, {
    main,
    onMonthCreated: (_key, doc) => {
      doc.clientID = clientId;
    },
  });
}

/** Exchanges every change between two replicas' main documents, as a sync would. */
export function sync(a: UserDocs, b: UserDocs): void {
  const fromA = Y.encodeStateAsUpdate(a.main, Y.encodeStateVector(b.main));
  const fromB = Y.encodeStateAsUpdate(b.main, Y.encodeStateVector(a.main));
  Y.applyUpdate(b.main, fromA);
  Y.applyUpdate(a.main, fromB);
}

/** A second device that starts with everything the first one has. */
export function cloneReplica(source: UserDocs, clientId: number): UserDocs {
  const copy = replica(clientId);
  Y.applyUpdate(copy.main, Y.encodeStateAsUpdate(source.main));
  return copy;
}

/** The fields of a ValidationError thrown by `write`; fails when nothing (or something else) is thrown. */
export function invalidFields(write: () => unknown): string[] {
  try {
    write();
  } catch (error) {
    if (error instanceof ValidationError) return error.fields.map((f) => f.field);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

/** A task as readers return it, with defaults for every field not given. */
export function taskFixture(id: string, fields: Partial<Task> = {}): Task {
  return {
    id,
    title: 't',
    description: '',
    status: 'TODO',
    priority: 'MEDIUM',
    dueDate: null,
    startDate: null,
    estimatedDuration: null,
    tags: [],
    parentId: null,
    projectId: null,
    recurrenceRule: null,
    reminders: [],
    recurrenceExceptions: [],
    nextOccurrenceId: null,
    seriesId: id,
    calendarEventId: null,
    order: 'a0',
    createdAt: '2025-10-01T00:00:00Z',
    updatedAt: '2025-10-01T00:00:00Z',
    completedAt: null,
    deletedAt: null,
    ...fields,
  };
}
