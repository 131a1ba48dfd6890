import { blockToEvent, type ProviderEvent } from '@tasks/connectors';
import { blockEventMarker, type CalendarBlock } from '@tasks/crdt';
import { describe, expect, it } from 'vitest';
import { type BlockSyncInput, partitionBlockEvents, planBlockSync } from './block-sync-plan.js';
import { eventHash } from './sync-hash.js';

const ZONE = 'Europe/Berlin';
const WINDOW = { start: '2026-02-21T00:00:00.000Z', end: '2026-09-19T00:00:00.000Z' };

function block(blockId: string, start: string, end: string): CalendarBlock {
  return {
    marker: blockEventMarker('task-1', blockId),
    taskId: 'task-1',
    blockId,
    title: 'Write',
    priority: 'MEDIUM',
    start,
    end,
    reasons: ['first free 60-minute slot in working hours'],
  };
}

const MONDAY = block('b1', '2026-03-23T09:00:00Z', '2026-03-23T10:00:00Z');
const OLD = block('b0', '2026-01-05T09:00:00Z', '2026-01-05T10:00:00Z');

function stored(of: CalendarBlock, id: string, etag = 'e1'): ProviderEvent {
  return {
    ...blockToEvent(of, ZONE),
    id,
    etag,
    updatedAt: '2026-03-20T00:00:00Z',
    overrides: [],
  };
}

const plan = (input: Partial<BlockSyncInput>) =>
  planBlockSync({
    blocks: [],
    links: [],
    changed: [],
    deleted: [],
    full: false,
    window: WINDOW,
    timezone: ZONE,
    ...input,
  });

const linkOf = (of: CalendarBlock, id: string) => ({
  marker: of.marker,
  eventId: id,
  eventHash: eventHash(blockToEvent(of, ZONE)),
  eventEtag: 'e1',
});

describe('the block sync plan', () => {
  it('creates a block event keyed by its marker, and nothing more once linked', () => {
    expect(plan({ blocks: [MONDAY] })).toEqual([
      {
        type: 'createBlockEvent',
        marker: MONDAY.marker,
        input: blockToEvent(MONDAY, ZONE),
        key: MONDAY.marker,
      },
    ]);
    expect(plan({ blocks: [MONDAY], links: [linkOf(MONDAY, 'ev-1')] })).toEqual([]);
  });

  it('adopts one event found with a marker but no row and deletes its duplicates', () => {
    const actions = plan({
      blocks: [MONDAY],
      changed: [stored(MONDAY, 'ev-2', 'e2'), stored(MONDAY, 'ev-1')],
    });
    expect(actions).toEqual([
      { type: 'deleteBlockEvent', marker: MONDAY.marker, eventId: 'ev-2', etag: 'e2' },
      { type: 'saveBlockLink', link: linkOf(MONDAY, 'ev-1') },
    ]);
  });

  it('moves the event of a moved block with the version the pull saw', () => {
    const moved = { ...MONDAY, start: '2026-03-24T09:00:00Z', end: '2026-03-24T11:00:00Z' };
    expect(
      plan({
        blocks: [moved],
        links: [linkOf(MONDAY, 'ev-1')],
        changed: [stored(MONDAY, 'ev-1', 'e5')],
      }),
    ).toEqual([
      {
        type: 'updateBlockEvent',
        marker: MONDAY.marker,
        eventId: 'ev-1',
        input: blockToEvent(moved, ZONE),
        etag: 'e5',
      },
    ]);
  });

  it('deletes the event of a block that is gone, and leaves a block out of the window alone', () => {
    expect(plan({ blocks: [OLD], links: [linkOf(MONDAY, 'ev-1'), linkOf(OLD, 'ev-0')] })).toEqual([
      { type: 'deleteBlockEvent', marker: MONDAY.marker, eventId: 'ev-1', etag: 'e1' },
      { type: 'dropBlockLink', marker: MONDAY.marker },
    ]);
    expect(plan({ blocks: [OLD], full: true, links: [linkOf(OLD, 'ev-0')] })).toEqual([]);
  });

  it('writes again, under a fresh key, a block event deleted in the calendar', () => {
    expect(plan({ blocks: [MONDAY], links: [linkOf(MONDAY, 'ev-1')], deleted: ['ev-1'] })).toEqual([
      { type: 'dropBlockLink', marker: MONDAY.marker },
      {
        type: 'createBlockEvent',
        marker: MONDAY.marker,
        input: blockToEvent(MONDAY, ZONE),
        key: `${MONDAY.marker}~ev-1`,
      },
    ]);
  });

  it('keeps block events away from the task sync', () => {
    const other = { ...stored(MONDAY, 'ev-9'), taskId: null };
    const { blockEvents, others } = partitionBlockEvents([stored(MONDAY, 'ev-1'), other]);
    expect(blockEvents.map((event) => event.id)).toEqual(['ev-1']);
    expect(others.map((event) => event.id)).toEqual(['ev-9']);
  });
});
