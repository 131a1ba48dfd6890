import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createManualContext } from './context.js';
import { effectiveParentId, readTask } from './task-read.js';
import { createTask, getTask, listTasks } from './tasks.js';
import { migrateDocument, tasksOf, UserDocs } from './user-docs.js';

const USER = 'user-1';

function setup() {
  const docs = new UserDocs(USER);
  migrateDocument(docs.main, USER);
  let next = 0;
  const ctx = createManualContext(new Date('2025-03-01T10:00:00Z'), () => {
    next += 1;
    return `task-${next.toString().padStart(3, '0')}`;
  });
  return { docs, ctx };
}

/** Writes a task map the way a buggy or foreign client might, field by field. */
function writeRawTask(docs: UserDocs, id: string, fields: Record<string, unknown>): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  tasksOf(docs.main).set(id, map);
  for (const [key, value] of Object.entries(fields)) map.set(key, value);
  return map;
}

describe('reading tasks another client wrote', () => {
  it('skips task values that are a number or a string', () => {
    const { docs, ctx } = setup();
    const real = createTask(docs, { title: 'real' }, ctx);
    tasksOf(docs.main).set('number', 42);
    tasksOf(docs.main).set('string', 'a task?');
    expect(listTasks(docs, { includeDeleted: true }).map((t) => t.id)).toEqual([real.id]);
    expect(getTask(docs, 'number')).toBeNull();
    expect(readTask('string', 'a task?')).toBeNull();
  });

  it('replaces wrong-typed fields with defaults and ignores unknown fields', () => {
    const { docs } = setup();
    writeRawTask(docs, 'junk', {
      title: 42,
      description: 7,
      status: 'DONE',
      priority: 3,
      dueDate: 'garbage',
      startDate: 20250301,
      estimatedDuration: '30',
      parentId: '',
      projectId: 9,
      recurrenceRule: false,
      order: 5,
      createdAt: 'yesterday',
      completedAt: 'soon',
      'tag:work': 'yes',
      'exdate:2025-03-10': true,
      'exdate:someday': true,
      'exdate:2025-03-17': 'yes',
      assignee: { name: 'Bob' },
      colour: 'red',
    });
    expect(getTask(docs, 'junk')).toEqual({
      id: 'junk',
      title: 'Untitled',
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
      recurrenceExceptions: ['2025-03-10'],
      reminders: [],
      seriesId: 'junk',
      nextOccurrenceId: null,
      calendarEventId: null,
      order: '',
      createdAt: '1970-01-01T00:00:00Z',
      updatedAt: '1970-01-01T00:00:00Z',
      completedAt: null,
      deletedAt: null,
    });
  });

  it('reads an empty title as "Untitled"', () => {
    const { docs } = setup();
    writeRawTask(docs, 't', { title: '' });
    expect(getTask(docs, 't')?.title).toBe('Untitled');
  });

  it('clamps an over-long title to 200 characters', () => {
    const { docs } = setup();
    writeRawTask(docs, 't', { title: 'x'.repeat(500) });
    expect(getTask(docs, 't')?.title).toBe('x'.repeat(200));
  });

  it('reads a description some client wrote as a plain string', () => {
    const { docs } = setup();
    writeRawTask(docs, 't', { title: 'a', description: 'plain text' });
    expect(getTask(docs, 't')?.description).toBe('plain text');
  });

  it.each([['garbage'], ['next friday'], ['2025-13-45'], ['12']])(
    'reads the due date %s as no due date',
    (dueDate) => {
      const { docs } = setup();
      writeRawTask(docs, 't', { title: 'a', dueDate });
      expect(getTask(docs, 't')?.dueDate).toBeNull();
    },
  );

  it('keeps a valid all-day date and a valid datetime', () => {
    const { docs } = setup();
    writeRawTask(docs, 't', {
      title: 'a',
      startDate: '2025-03-01',
      dueDate: '2025-03-02T17:00:00Z',
    });
    expect(getTask(docs, 't')).toMatchObject({
      startDate: '2025-03-01',
      dueDate: '2025-03-02T17:00:00Z',
    });
  });

  it.each([
    ['a string', '30', null],
    ['a negative number', -5, null],
    ['infinity', Number.POSITIVE_INFINITY, null],
    ['a fraction', 12.6, 13],
  ])('reads an estimated duration that is %s as %s', (_name, estimatedDuration, expected) => {
    const { docs } = setup();
    writeRawTask(docs, 't', { title: 'a', estimatedDuration });
    expect(getTask(docs, 't')?.estimatedDuration).toBe(expected);
  });

  it('reads only tag entries set to true as tags, sorted', () => {
    const { docs } = setup();
    writeRawTask(docs, 't', { title: 'a', 'tag:work': true, 'tag:home': true, 'tag:old': false });
    expect(getTask(docs, 't')?.tags).toEqual(['home', 'work']);
  });

  it('falls back to createdAt for a missing updatedAt', () => {
    const { docs } = setup();
    writeRawTask(docs, 't', { title: 'a', createdAt: '2025-02-01T08:00:00Z' });
    expect(getTask(docs, 't')).toMatchObject({
      createdAt: '2025-02-01T08:00:00Z',
      updatedAt: '2025-02-01T08:00:00Z',
    });
  });

  it('orders tasks without an order key first and ties by id', () => {
    const { docs } = setup();
    writeRawTask(docs, 'b', { title: 'b', order: 'a1' });
    writeRawTask(docs, 'a', { title: 'a', order: 'a1' });
    writeRawTask(docs, 'z', { title: 'z' });
    expect(listTasks(docs).map((t) => t.id)).toEqual(['z', 'a', 'b']);
  });
});

describe('effectiveParentId', () => {
  it('treats a task naming itself as parent as top-level', () => {
    const { docs } = setup();
    writeRawTask(docs, 't', { title: 'a', parentId: 't' });
    expect(effectiveParentId(tasksOf(docs.main), 't')).toBeNull();
    expect(getTask(docs, 't')?.parentId).toBeNull();
  });

  it('treats a parent that is missing or not a task as none', () => {
    const { docs } = setup();
    tasksOf(docs.main).set('junk', 'not a task');
    writeRawTask(docs, 'a', { title: 'a', parentId: 'missing' });
    writeRawTask(docs, 'b', { title: 'b', parentId: 'junk' });
    expect(effectiveParentId(tasksOf(docs.main), 'a')).toBeNull();
    expect(effectiveParentId(tasksOf(docs.main), 'b')).toBeNull();
  });

  it('breaks a cycle at its smallest id and keeps the tasks hanging below the cycle', () => {
    const { docs } = setup();
    writeRawTask(docs, 'a', { title: 'a', parentId: 'c' });
    writeRawTask(docs, 'b', { title: 'b', parentId: 'a' });
    writeRawTask(docs, 'c', { title: 'c', parentId: 'b' });
    writeRawTask(docs, 'd', { title: 'd', parentId: 'b' });
    const tasks = tasksOf(docs.main);
    expect(['a', 'b', 'c', 'd'].map((id) => effectiveParentId(tasks, id))).toEqual([
      null,
      'a',
      'b',
      'b',
    ]);
  });
});
