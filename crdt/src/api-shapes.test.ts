import { describe, expect, it } from 'vitest';
import {
  camelToSnake,
  fieldErrorsToApi,
  fromApiKeys,
  snakeToCamel,
  taskToApi,
  timeEntryToApi,
} from './api-shapes.js';
import { createManualContext } from './context.js';
import { ValidationError } from './errors.js';
import { createTask } from './tasks.js';
import { addManualEntry, startTimer } from './time-entries.js';
import { UserDocs } from './user-docs.js';
import { parseInput, taskCreateInput } from './validation.js';

describe('api shapes', () => {
  it('converts keys both ways, including the names the spec spells differently', () => {
    expect(camelToSnake('estimatedDuration')).toBe('estimated_duration');
    expect(snakeToCamel('estimated_duration')).toBe('estimatedDuration');
    expect(fromApiKeys('task', { parent_task_id: 'p', due_date: 'd' })).toEqual({
      parentId: 'p',
      dueDate: 'd',
    });
    expect(fromApiKeys('timeEntry', { start_time: 's', end_time: 'e', task_id: 't' })).toEqual({
      start: 's',
      end: 'e',
      taskId: 't',
    });
  });

  it('passes a body that is not an object through for the schema to reject', () => {
    expect(fromApiKeys('task', [1, 2])).toEqual([1, 2]);
    expect(() => parseInput(taskCreateInput, fromApiKeys('task', 'title'))).toThrow(
      ValidationError,
    );
  });

  it('renders a task exactly in the shape of the spec example', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-10-06T14:30:00Z'), () => 'task-uuid');
    const body = {
      title: 'Complete project documentation',
      description: 'Write comprehensive docs for the new feature',
      priority: 'HIGH',
      due_date: '2025-10-15T17:00:00Z',
      estimated_duration: 120,
      tags: ['documentation', 'project-x'],
      parent_task_id: null,
    };
    const task = createTask(docs, parseInput(taskCreateInput, fromApiKeys('task', body)), ctx);
    expect(taskToApi(task, { userId: 'user-uuid' })).toEqual({
      id: 'task-uuid',
      user_id: 'user-uuid',
      title: 'Complete project documentation',
      description: 'Write comprehensive docs for the new feature',
      status: 'TODO',
      priority: 'HIGH',
      due_date: '2025-10-15T17:00:00Z',
      start_date: null,
      estimated_duration: 120,
      actual_duration: 0,
      tags: ['documentation', 'project-x'],
      project_id: null,
      parent_task_id: null,
      calendar_event_id: null,
      recurrence_rule: null,
      recurrence_exceptions: [],
      reminders: [],
      created_at: '2025-10-06T14:30:00Z',
      updated_at: '2025-10-06T14:30:00Z',
      completed_at: null,
    });
  });

  it('reads and writes reminders in the spec’s snake_case', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2026-12-01T00:00:00Z'));
    const body = fromApiKeys('task', {
      title: 'Report',
      due_date: '2026-12-07T15:00:00Z',
      reminders: [{ minutes_before: 15 }, { at: '2026-12-07T09:00:00Z' }],
    });
    const task = createTask(docs, parseInput(taskCreateInput, body), ctx);
    expect(taskToApi(task, { userId: 'u1' }).reminders).toEqual([
      { minutes_before: 15 },
      { at: '2026-12-07T09:00:00Z' },
    ]);
  });

  it('shows tag display names rather than their keys when given', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-10-06T14:30:00Z'));
    const task = createTask(docs, { title: 'T', tags: ['Deep Work'] }, ctx);
    expect(task.tags).toEqual(['deep work']);
    const names = new Map([['deep work', 'Deep Work']]);
    expect(taskToApi(task, { userId: 'u1', tagNames: names }).tags).toEqual(['Deep Work']);
  });

  it('renders time entries with their duration in seconds, running ones up to now', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-10-06T16:45:00Z'));
    const manual = addManualEntry(
      docs,
      { start: '2025-10-06T14:30:00Z', end: '2025-10-06T16:45:00Z', description: 'Working' },
      ctx,
    );
    expect(timeEntryToApi(manual, ctx.now())).toMatchObject({
      start_time: '2025-10-06T14:30:00Z',
      end_time: '2025-10-06T16:45:00Z',
      duration: 8100,
      is_manual: true,
      task_id: null,
    });
    const running = startTimer(docs, {}, ctx);
    ctx.advance(90_000);
    expect(timeEntryToApi(running, ctx.now())).toMatchObject({ end_time: null, duration: 90 });
  });

  it('names invalid fields the way the request spelled them', () => {
    try {
      parseInput(
        taskCreateInput,
        fromApiKeys('task', { title: '', due_date: 'tomorrow', parent_task_id: 5 }),
      );
      expect.unreachable('the body is invalid');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const fields = fieldErrorsToApi('task', error as ValidationError).map((f) => f.field);
      expect(fields.sort()).toEqual(['due_date', 'parent_task_id', 'title']);
    }
  });
});
