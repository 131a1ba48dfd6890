import { createVirtualizer } from '@tanstack/solid-virtual';
import {
  completeTask,
  deleteTask,
  filterTasks,
  getTimezone,
  listProjects,
  listTags,
  parseTaskSort,
  reorderTask,
  restoreTask,
  selectTaskView,
  sortTasks,
  startTimer,
  type Task,
  type TaskView,
  updateTask,
} from '@tasks/crdt';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { formatDue } from '../format.js';
import { type Route, route, routeHref } from '../router.js';
import { useWorkspace } from '../workspace-context.js';
import { scrollToRecentlyDeleted } from '../your-data/recently-deleted.js';

const ROW_HEIGHT = 44;

function viewOf(current: Route): TaskView {
  switch (current.view) {
    case 'project':
      return { kind: 'project', projectId: current.id };
    case 'tag':
      return { kind: 'tag', tagKey: current.key };
    case 'today':
    case 'upcoming':
    case 'all':
    case 'trash':
      return { kind: current.view };
    default:
      return { kind: 'inbox' };
  }
}

const SORTS = [
  { value: 'order', label: 'Manual order' },
  { value: 'due_date', label: 'Due date' },
  { value: '-priority', label: 'Priority' },
  { value: '-created_at', label: 'Newest' },
  { value: 'title', label: 'Title' },
] as const;

/**
 * Inbox, Today, Upcoming, All, a project, a tag, or the trash: one virtualized list (only the
 * rows on screen exist, so 10,000 tasks scroll smoothly), with search, sort and drag ordering.
 */
export function TaskListView() {
  const workspace = useWorkspace();
  const [query, setQuery] = createSignal('');
  const [sort, setSort] = createSignal('order');
  const [dragging, setDragging] = createSignal<string | null>(null);
  const timezone = createMemo(() => {
    workspace.replica.version();
    return getTimezone(workspace.docs);
  });
  // The day matters for Today/Upcoming, not the second: re-filter once a minute at most.
  const minute = createMemo(() => Math.floor(workspace.now().getTime() / 60_000));

  const title = createMemo(() => {
    const current = route();
    workspace.replica.version();
    if (current.view === 'project') {
      return listProjects(workspace.docs).find((p) => p.id === current.id)?.name ?? 'Project';
    }
    if (current.view === 'tag') {
      return `#${listTags(workspace.docs).find((t) => t.key === current.key)?.name ?? current.key}`;
    }
    const names: Record<string, string> = {
      today: 'Today',
      upcoming: 'Upcoming',
      all: 'All tasks',
      trash: 'Trash',
    };
    return names[current.view] ?? 'Inbox';
  });

  const visible = createMemo(() => {
    const options = { now: new Date(minute() * 60_000), timezone: timezone() };
    const selected = selectTaskView(Object.values(workspace.tasks), viewOf(route()), options);
    const searched = query().trim()
      ? filterTasks(selected, { q: query(), timezone: timezone() })
      : selected;
    const order = parseTaskSort(sort()) ?? { field: 'order' as const, descending: false };
    return sortTasks(searched, order, timezone());
  });

  let scroller: HTMLDivElement | undefined;
  const virtualizer = createVirtualizer({
    get count() {
      return visible().length;
    },
    getScrollElement: () => scroller ?? null,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  const drop = (target: Task) => {
    const moving = dragging();
    setDragging(null);
    if (!moving || moving === target.id) return;
    const ids = visible().map((t) => t.id);
    const movingDown = ids.indexOf(moving) < ids.indexOf(target.id);
    workspace.act(() =>
      reorderTask(
        workspace.docs,
        moving,
        movingDown ? { afterId: target.id } : { beforeId: target.id },
        workspace.ctx,
      ),
    );
  };

  const remove = (task: Task) => {
    workspace.act(() => deleteTask(workspace.docs, task.id, workspace.ctx));
    workspace.notify(`Moved “${task.title}” to the trash`, {
      label: 'Undo',
      run: () => workspace.act(() => restoreTask(workspace.docs, task.id, workspace.ctx)),
    });
  };

  return (
    <section aria-labelledby="list-title">
      <div class="view-header">
        <h1 id="list-title">{title()}</h1>
        <label class="visually-hidden" for="task-search">
          Search tasks
        </label>
        <input
          id="task-search"
          type="search"
          placeholder="Search (/)"
          value={query()}
          onInput={(event) => setQuery(event.currentTarget.value)}
        />
        <label class="visually-hidden" for="task-sort">
          Sort by
        </label>
        <select
          id="task-sort"
          value={sort()}
          onChange={(event) => setSort(event.currentTarget.value)}
        >
          <For each={SORTS}>{(option) => <option value={option.value}>{option.label}</option>}</For>
        </select>
        <span class="badge">{visible().length} tasks</span>
      </div>
      <Show when={route().view === 'trash'}>
        <p>
          Tasks leave the trash for good after 30 days; the server’s history still keeps them:{' '}
          <a href={routeHref({ view: 'settings' })} onClick={() => scrollToRecentlyDeleted()}>
            Recently deleted
          </a>
          , in the settings.
        </p>
      </Show>
      <Show when={visible().length === 0}>
        <p>Nothing here. Add a task above (press n).</p>
      </Show>
      {/* Always mounted: the virtualizer measures this element once, when it is created. */}
      <div
        class="task-list"
        ref={scroller}
        style={{ display: visible().length === 0 ? 'none' : undefined }}
      >
        <ul
          aria-label={`${title()} tasks`}
          style={{
            height: `${virtualizer.getTotalSize()}px`,
            position: 'relative',
            margin: 0,
            padding: 0,
            'list-style': 'none',
          }}
        >
          <For each={virtualizer.getVirtualItems()}>
            {(row) => {
              const task = () => visible()[row.index];
              return (
                <Show when={task()}>
                  {(current) => (
                    <TaskRow
                      task={current()}
                      top={row.start}
                      timezone={timezone()}
                      draggable={sort() === 'order' && route().view !== 'trash'}
                      dragging={dragging() === current().id}
                      onDragStart={() => setDragging(current().id)}
                      onDrop={() => drop(current())}
                      onRemove={() => remove(current())}
                    />
                  )}
                </Show>
              );
            }}
          </For>
        </ul>
      </div>
    </section>
  );
}

function TaskRow(props: {
  task: Task;
  top: number;
  timezone: string;
  draggable: boolean;
  dragging: boolean;
  onDragStart: () => void;
  onDrop: () => void;
  onRemove: () => void;
}) {
  const workspace = useWorkspace();
  const done = () => props.task.status === 'COMPLETED';
  const overdue = () =>
    !done() &&
    props.task.dueDate !== null &&
    new Date(props.task.dueDate).getTime() < workspace.now().getTime();
  const toggle = () =>
    workspace.act(() =>
      done()
        ? updateTask(workspace.docs, props.task.id, { status: 'TODO' }, workspace.ctx)
        : completeTask(workspace.docs, props.task.id, workspace.ctx),
    );
  return (
    <li
      class="task-row"
      aria-label={props.task.title}
      data-status={props.task.status}
      data-dragging={props.dragging ? 'true' : 'false'}
      style={{ position: 'absolute', top: `${props.top}px`, left: 0, right: 0 }}
      draggable={props.draggable}
      onDragStart={(event) => {
        event.dataTransfer?.setData('text/plain', props.task.id);
        props.onDragStart();
      }}
      onDragOver={(event) => props.draggable && event.preventDefault()}
      onDrop={(event) => {
        event.preventDefault();
        props.onDrop();
      }}
    >
      <Show when={props.draggable}>
        <span class="drag-handle" aria-hidden="true">
          ⋮⋮
        </span>
      </Show>
      <Show
        when={!props.task.deletedAt}
        fallback={
          <button
            type="button"
            onClick={() =>
              workspace.act(() => restoreTask(workspace.docs, props.task.id, workspace.ctx))
            }
          >
            Restore
          </button>
        }
      >
        <input
          type="checkbox"
          checked={done()}
          onChange={toggle}
          aria-label={`${done() ? 'Reopen' : 'Complete'} ${props.task.title}`}
        />
      </Show>
      <button type="button" class="title" onClick={() => workspace.openTask(props.task.id)}>
        {props.task.title}
      </button>
      <For each={props.task.tags.slice(0, 3)}>{(tag) => <span class="badge">#{tag}</span>}</For>
      <Show when={props.task.priority === 'HIGH' || props.task.priority === 'URGENT'}>
        <span class={`badge ${props.task.priority}`}>{props.task.priority.toLowerCase()}</span>
      </Show>
      <Show when={props.task.dueDate}>
        {(due) => (
          <span class={`badge${overdue() ? ' overdue' : ''}`}>
            {formatDue(due(), props.timezone)}
          </span>
        )}
      </Show>
      <Show when={!props.task.deletedAt}>
        <button
          type="button"
          aria-label={`Start timer for ${props.task.title}`}
          onClick={() =>
            workspace.act(() =>
              startTimer(workspace.docs, { taskId: props.task.id }, workspace.ctx),
            )
          }
        >
          ▶
        </button>
        <button
          type="button"
          class="danger"
          aria-label={`Delete ${props.task.title}`}
          onClick={() => props.onRemove()}
        >
          ✕
        </button>
      </Show>
    </li>
  );
}
