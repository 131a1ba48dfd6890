import { describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { NotFoundError } from './errors.js';
import { planAndApplySchedule } from './scheduling/schedule-docs.js';
import {
  addPinnedBlock,
  BLOCK_KEY_PREFIX,
  listBlocksBetween,
  listTaskBlocks,
  moveBlock,
  removeBlock,
  setBlockPinned,
} from './task-blocks.js';
import { createTask, deleteTask } from './tasks.js';
import { cloneReplica, invalidFields, manualContext, replica, sync } from './test-support.js';
import { tasksOf } from './user-docs.js';

const NOW = new Date('2026-03-23T07:00:00Z');
const NINE = { start: '2026-03-23T09:00:00Z', end: '2026-03-23T10:00:00Z' };

function setup() {
  const docs = replica(1);
  const ctx = manualContext('a', NOW);
  const task = createTask(docs, { title: 'Write', estimatedDuration: 60 }, ctx);
  return { docs, ctx, task };
}

describe('blocks on a task', () => {
  it('moves a block and pins it, refusing bad times with the field and reason', () => {
    const { docs, ctx, task } = setup();
    const block = addPinnedBlock(docs, task.id, NINE, ctx);
    setBlockPinned(docs, task.id, block.id, false);
    const moved = moveBlock(docs, task.id, block.id, {
      start: '2026-03-23T12:00:00+01:00',
      end: '2026-03-23T13:30:00+01:00',
    });
    expect(moved).toMatchObject({
      start: '2026-03-23T11:00:00Z',
      end: '2026-03-23T12:30:00Z',
      pinned: true,
    });
    expect(listTaskBlocks(docs, task.id)).toEqual([moved]);
    expect(
      invalidFields(() => moveBlock(docs, task.id, block.id, { start: NINE.end, end: NINE.start })),
    ).toEqual(['end']);
    expect(
      invalidFields(() => moveBlock(docs, task.id, block.id, { start: 'noon', end: NINE.end })),
    ).toEqual(['start']);
    expect(
      invalidFields(() =>
        moveBlock(docs, task.id, block.id, { start: NINE.start, end: '2026-03-25T09:00:00Z' }),
      ),
    ).toEqual(['end']);
    expect(listTaskBlocks(docs, task.id)).toEqual([moved]);
    expect(() => moveBlock(docs, task.id, 'nope', NINE)).toThrow(NotFoundError);
    removeBlock(docs, task.id, block.id);
    expect(listTaskBlocks(docs, task.id)).toEqual([]);
  });

  it('refuses blocks on a task in the trash', () => {
    const { docs, ctx, task } = setup();
    deleteTask(docs, task.id, ctx);
    expect(() => addPinnedBlock(docs, task.id, NINE, ctx)).toThrow(NotFoundError);
  });

  it('reads only the blocks another device wrote correctly', () => {
    const { docs, ctx, task } = setup();
    const good = addPinnedBlock(docs, task.id, NINE, ctx);
    const map = tasksOf(docs.main).get(task.id) as Y.Map<unknown>;
    map.set(`${BLOCK_KEY_PREFIX}junk-1`, 'tomorrow');
    map.set(`${BLOCK_KEY_PREFIX}junk-2`, { start: 'soon', end: NINE.end });
    map.set(`${BLOCK_KEY_PREFIX}junk-3`, { start: NINE.end, end: NINE.start });
    map.set(`${BLOCK_KEY_PREFIX}junk-4`, { start: NINE.start, end: '2026-04-23T10:00:00Z' });
    map.set(`${BLOCK_KEY_PREFIX}`, { ...NINE });
    map.set(`${BLOCK_KEY_PREFIX}odd`, { ...NINE, pinned: 'yes', reasons: [42, 'why', ''] });
    expect(listTaskBlocks(docs, task.id)).toEqual([
      good,
      { id: 'odd', taskId: task.id, ...NINE, pinned: false, reasons: ['why'] },
    ]);
    expect(
      listBlocksBetween(docs, { from: new Date(NINE.start), to: new Date(NINE.end) }),
    ).toHaveLength(2);
  });

  it('merges a block pinned on one device with a plan applied on another', () => {
    const { docs: phone, ctx, task } = setup();
    const laptop = cloneReplica(phone, 2);
    const other = createTask(phone, { title: 'Other', estimatedDuration: 30 }, ctx);
    sync(phone, laptop);
    const pinned = addPinnedBlock(phone, task.id, NINE, ctx);
    planAndApplySchedule(laptop, manualContext('b', NOW), { to: new Date('2026-03-30T00:00:00Z') });
    sync(phone, laptop);
    // Both kept: the pin, and the laptop's plan (which did not know of it) until a re-plan.
    expect(
      listTaskBlocks(laptop, task.id)
        .map((b) => b.pinned)
        .sort(),
    ).toEqual([false, true]);
    expect(listTaskBlocks(laptop, other.id)).toHaveLength(1);
    expect(listTaskBlocks(laptop, task.id)).toEqual(listTaskBlocks(phone, task.id));
    const replanned = planAndApplySchedule(laptop, manualContext('c', NOW), {
      to: new Date('2026-03-30T00:00:00Z'),
    });
    expect(replanned.blocks.filter((b) => b.taskId === task.id)).toMatchObject([
      { id: pinned.id, status: 'pinned' },
    ]);
    expect(listTaskBlocks(laptop, task.id)).toEqual([pinned]);
  });
});
