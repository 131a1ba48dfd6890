import type { TaskBlock } from '@tasks/crdt';
import { DateTime } from 'luxon';
import { createUniqueId, For } from 'solid-js';
import { BLOCK_STEP_MINUTES, type BlockTimes, resizeBlock, shiftBlock } from './block-moves.js';

/** The MIME type a dragged planned block carries: `{ taskId, blockId }` as JSON. */
export const BLOCK_DRAG_TYPE = 'application/x-planned-block';

/** The MIME type of a planned block's bottom edge being dragged (a resize): the same JSON. */
export const BLOCK_RESIZE_DRAG_TYPE = 'application/x-planned-block-resize';

export function parseBlockDrag(raw: string): { taskId: string; blockId: string } | null {
  try {
    const data: unknown = JSON.parse(raw);
    if (typeof data !== 'object' || data === null) return null;
    const { taskId, blockId } = data as Record<string, unknown>;
    return typeof taskId === 'string' && typeof blockId === 'string' ? { taskId, blockId } : null;
  } catch {
    return null;
  }
}

const wall = (instant: string, zone: string) =>
  DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone).toFormat('HH:mm');

/**
 * A block of planned work on its day: its time, its task, why the planner put it there (shown on
 * hover and focus), and buttons that move or resize it by 15 minutes, the keyboard's way of
 * dragging. Moving it pins it: a re-plan leaves it where the user put it.
 */
export function PlannedBlockCard(props: {
  block: TaskBlock;
  title: string;
  timezone: string;
  onOpen: () => void;
  onMove: (times: BlockTimes) => void;
}) {
  const reasonsId = createUniqueId();
  const step = BLOCK_STEP_MINUTES;
  return (
    <article
      class="card block"
      aria-label={`Planned: ${props.title}`}
      aria-describedby={reasonsId}
      data-block-id={props.block.id}
      data-task-id={props.block.taskId}
      data-pinned={props.block.pinned ? 'true' : 'false'}
      draggable="true"
      title={props.block.reasons.join('\n')}
      onDragStart={(event) => {
        if (!event.dataTransfer) return;
        event.dataTransfer.effectAllowed = 'move';
        event.dataTransfer.setData(
          BLOCK_DRAG_TYPE,
          JSON.stringify({ taskId: props.block.taskId, blockId: props.block.id }),
        );
        event.dataTransfer.setData('text/plain', props.title);
      }}
    >
      <div class="meta">
        <time datetime={props.block.start}>{wall(props.block.start, props.timezone)}</time>–
        <time datetime={props.block.end}>{wall(props.block.end, props.timezone)}</time>
        {props.block.pinned ? ' · pinned' : ' · planned'}
      </div>
      <button type="button" class="link" onClick={() => props.onOpen()}>
        {props.title}
      </button>
      <ul id={reasonsId} class="reasons" aria-label="Why here">
        <For each={props.block.reasons.length > 0 ? props.block.reasons : ['placed by you']}>
          {(reason) => <li>{reason}</li>}
        </For>
      </ul>
      <fieldset class="block-moves" aria-label={`Move ${props.title}`}>
        <button
          type="button"
          aria-label={`${step} minutes earlier`}
          onClick={() => props.onMove(shiftBlock(props.block, -step))}
        >
          ↑
        </button>
        <button
          type="button"
          aria-label={`${step} minutes later`}
          onClick={() => props.onMove(shiftBlock(props.block, step))}
        >
          ↓
        </button>
        <button
          type="button"
          aria-label={`${step} minutes shorter`}
          onClick={() => props.onMove(resizeBlock(props.block, -step))}
        >
          −
        </button>
        <button
          type="button"
          aria-label={`${step} minutes longer`}
          onClick={() => props.onMove(resizeBlock(props.block, step))}
        >
          +
        </button>
      </fieldset>
      {/* Dragged to another time of the grid, the bottom edge sets where the block ends (the
          keyboard's way: the shorter and longer buttons). */}
      <div
        class="block-resize"
        draggable="true"
        title="Drag to resize"
        aria-hidden="true"
        onDragStart={(event) => {
          event.stopPropagation();
          if (!event.dataTransfer) return;
          event.dataTransfer.effectAllowed = 'move';
          event.dataTransfer.setData(
            BLOCK_RESIZE_DRAG_TYPE,
            JSON.stringify({ taskId: props.block.taskId, blockId: props.block.id }),
          );
        }}
      />
    </article>
  );
}
