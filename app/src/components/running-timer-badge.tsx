import { getRunningTimer, stopTimer } from '@tasks/crdt';
import { createEffect, createMemo, onCleanup, Show } from 'solid-js';
import { formatElapsed } from '../format.js';
import { useWorkspace } from '../workspace-context.js';

/** The running timer, visible in every view and in the page title, with a stop button. */
export function RunningTimerBadge() {
  const workspace = useWorkspace();
  const running = createMemo(() => {
    workspace.replica.version();
    return getRunningTimer(workspace.docs);
  });
  const label = () => {
    const timer = running();
    if (!timer) return '';
    const task = timer.taskId ? workspace.tasks[timer.taskId] : undefined;
    return task?.title ?? (timer.description || 'Timer');
  };
  const elapsed = () => {
    const timer = running();
    return timer ? formatElapsed(workspace.now().getTime() - Date.parse(timer.start)) : '';
  };
  createEffect(() => {
    document.title = running() ? `⏱ ${elapsed()} · ${label()} — Tasks` : 'Tasks';
  });
  onCleanup(() => {
    document.title = 'Tasks';
  });
  return (
    <Show when={running()}>
      {(timer) => (
        <span class="row" style={{ flex: '0 0 auto' }}>
          <span class="timer" role="timer" aria-label={`Running timer: ${label()}`}>
            ⏱ {elapsed()} · {label()}
          </span>
          <button
            type="button"
            aria-label="Stop running timer"
            onClick={() =>
              workspace.act(() => stopTimer(workspace.docs, timer().entryId, workspace.ctx))
            }
          >
            Stop
          </button>
        </span>
      )}
    </Show>
  );
}
