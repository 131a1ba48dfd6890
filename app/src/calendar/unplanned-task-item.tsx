import { createSignal, createUniqueId } from 'solid-js';

/** The MIME type of a task dragged from a list of the calendar onto the hour grid: its id. */
export const UNPLANNED_DRAG_TYPE = 'application/x-unplanned-task';

/**
 * A task of a list beside the grid (left out by the plan, with why, or open with an estimate and
 * no block yet); dragged onto a day's hour grid, or given a start here (the keyboard's way), it
 * gets a pinned block there.
 */
export function UnplannedTaskItem(props: {
  taskId: string;
  title: string;
  /** Why the plan left it out, or what it needs. */
  note: string;
  onOpen: () => void;
  /** `localStart`: a wall-clock time (`2026-12-08T14:00`) in the user's zone. */
  onPlace: (localStart: string) => void;
}) {
  const [start, setStart] = createSignal('');
  const inputId = createUniqueId();
  return (
    <li
      data-task-id={props.taskId}
      draggable="true"
      onDragStart={(event) => {
        if (!event.dataTransfer) return;
        event.dataTransfer.effectAllowed = 'copy';
        event.dataTransfer.setData(UNPLANNED_DRAG_TYPE, props.taskId);
        event.dataTransfer.setData('text/plain', props.title);
      }}
    >
      <button type="button" class="link" onClick={() => props.onOpen()}>
        {props.title}
      </button>
      <span class="note">: {props.note}</span>
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
