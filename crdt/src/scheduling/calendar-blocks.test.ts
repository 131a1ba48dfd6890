import { describe, expect, it } from 'vitest';
import { updateSettings } from '../settings.js';
import { addPinnedBlock } from '../task-blocks.js';
import { createTask, deleteTask, updateTask } from '../tasks.js';
import { manualContext, replica } from '../test-support.js';
import {
  blockEventMarker,
  blocksCalendarOf,
  blocksForCalendar,
  isBlockEventMarker,
} from './calendar-blocks.js';

const NOW = new Date('2026-03-23T07:00:00Z');
const WINDOW = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') };

function setup() {
  const docs = replica(1);
  const ctx = manualContext('a', NOW);
  const task = createTask(docs, { title: 'Write', estimatedDuration: 120, priority: 'HIGH' }, ctx);
  const first = addPinnedBlock(
    docs,
    task.id,
    { start: '2026-03-23T09:00:00Z', end: '2026-03-23T10:00:00Z' },
    ctx,
  );
  const second = addPinnedBlock(
    docs,
    task.id,
    { start: '2026-03-24T09:00:00Z', end: '2026-03-24T10:00:00Z' },
    ctx,
  );
  return { docs, ctx, task, first, second };
}

describe('planned blocks for the calendar', () => {
  it('lists none while "put planned blocks in my calendar" is off', () => {
    const { docs } = setup();
    expect(blocksForCalendar(docs, WINDOW)).toEqual([]);
  });

  it('lists each block of an open task in the window, with a marker naming task and block', () => {
    const { docs, task, first, second } = setup();
    updateSettings(docs, { scheduling: { blocksToCalendar: true } });
    const blocks = blocksForCalendar(docs, WINDOW);
    expect(blocks.map((block) => [block.marker, block.title, block.priority, block.start])).toEqual(
      [
        [blockEventMarker(task.id, first.id), 'Write', 'HIGH', '2026-03-23T09:00:00Z'],
        [blockEventMarker(task.id, second.id), 'Write', 'HIGH', '2026-03-24T09:00:00Z'],
      ],
    );
    expect(blocks.every((block) => isBlockEventMarker(block.marker))).toBe(true);
    expect(isBlockEventMarker(task.id)).toBe(false);
    expect(isBlockEventMarker(null)).toBe(false);
    const narrow = { from: new Date('2026-03-24T00:00:00Z'), to: new Date('2026-03-25T00:00:00Z') };
    expect(blocksForCalendar(docs, narrow).map((block) => block.blockId)).toEqual([second.id]);
  });

  it('drops the blocks of a task once it is completed or in the trash', () => {
    const { docs, ctx, task } = setup();
    updateSettings(docs, { scheduling: { blocksToCalendar: true } });
    const other = createTask(docs, { title: 'Read' }, ctx);
    addPinnedBlock(
      docs,
      other.id,
      { start: '2026-03-25T09:00:00Z', end: '2026-03-25T10:00:00Z' },
      ctx,
    );
    updateTask(docs, task.id, { status: 'COMPLETED' }, ctx);
    expect(blocksForCalendar(docs, WINDOW).map((block) => block.taskId)).toEqual([other.id]);
    deleteTask(docs, other.id, ctx);
    expect(blocksForCalendar(docs, WINDOW)).toEqual([]);
  });
});

describe('the one calendar that receives planned blocks', () => {
  const connections = [
    { id: 'old-off', isWritable: false },
    { id: 'first', isWritable: true },
    { id: 'second', isWritable: true },
  ];

  it('is the first writable connection when none is named', () => {
    expect(blocksCalendarOf({ blocksCalendarConnectionId: null }, connections)).toBe('first');
  });

  it('is the named connection while it is writable', () => {
    expect(blocksCalendarOf({ blocksCalendarConnectionId: 'second' }, connections)).toBe('second');
  });

  it('falls back to the first writable one when the named one is gone or turned off', () => {
    expect(blocksCalendarOf({ blocksCalendarConnectionId: 'removed' }, connections)).toBe('first');
    expect(blocksCalendarOf({ blocksCalendarConnectionId: 'old-off' }, connections)).toBe('first');
  });

  it('is none without a writable connection', () => {
    expect(
      blocksCalendarOf({ blocksCalendarConnectionId: 'old-off' }, connections.slice(0, 1)),
    ).toBe(null);
    expect(blocksCalendarOf({ blocksCalendarConnectionId: null }, [])).toBeNull();
  });
});
