import type { UnscheduledTask } from '@tasks/crdt';
import { createSignal, createUniqueId } from 'solid-js';

/** The MIME type of a task dragged from the "Not planned" list onto the hour grid: its id. */
export const UNPLANNED_DRAG_TYPE = 'application/x-unplanned-task';

/**
 * A task the plan left out, with why; dragged onto a day's hour grid, or given a start here (the
 * keyboard's way), it gets a pinned block there.
 */
export function UnplannedTaskItem(props: {
  item: UnscheduledTask;
  title: string;
  onOpen: () => void;
  /** `localStart`: a wall-clock time (`2026-12-08T14:00`) in the user's zone. */
  onPlace: (localStart: string) => void;
}) {
  const [start, setStart] = createSignal('');
  const inputId = createUniqueId();
  return (
    <li
      data-task-id={props.item.taskId}
      draggable="true"
      onDragStart={(event) => {
        if (!event.dataTransfer) return;
        event.dataTransfer.effectAllowed = 'copy';
        event.dataTransfer.setData(UNPLANNED_DRAG_TYPE, props.item.taskId);
        event.dataTransfer.setData('text/plain', props.title);
      }}
    >
      <button type="button" class="link" onClick={() => props.onOpen()}>
        {props.title}
      </button>
      : {props.item.reason}
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          if (start() !== '') props.onPlace(start());
        }}
      >
        <label for={inputId}>Block for {props.title} at</label>
        <input
          id={inputId}
          type="datetime-local"
          step="900"
          value={start()}
          onInput={(event) => setStart(event.currentTarget.value)}
        />
        <button type="submit">Place block</button>
      </form>
    </li>
  );
}
