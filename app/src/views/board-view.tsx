import {
  filterTasks,
  getTimezone,
  listProjects,
  listTags,
  selectTaskView,
  sortTasks,
  TASK_STATUSES,
  type Task,
  type TaskStatus,
  updateTask,
} from '@tasks/crdt';
import { type Accessor, createEffect, createMemo, createSignal, For, on, Show } from 'solid-js';
import { BOARD_DRAG_TYPE, BoardCard, formatDue, STATUS_LABELS } from '../components/board-card.js';
import { useWorkspace } from '../workspace-context.js';

/** Cards a column renders at first, and how many more each "Show more" adds. */
const PAGE_SIZE = 200;

const ALL_PROJECTS = '';
const NO_PROJECT = '__none__';

type Columns = Record<TaskStatus, Task[]>;

/** The board: top-level tasks by status, moved by drag and drop or by each card's status picker. */
export function BoardView() {
  const ws = useWorkspace();
  const [project, setProject] = createSignal(ALL_PROJECTS);

  const timezone = createMemo(() => {
    ws.replica.version();
    return getTimezone(ws.docs);
  });
  const projects = createMemo(() => {
    ws.replica.version();
    return listProjects(ws.docs, { includeArchived: false });
  });
  const tagNames = createMemo(() => {
    ws.replica.version();
    return new Map(listTags(ws.docs).map((tag) => [tag.key, tag.name]));
  });

  const columns = createMemo<Columns>(() => {
    // The 'all' view does not depend on the time: no need to recompute every tick.
    let tasks = selectTaskView(
      Object.values(ws.tasks),
      { kind: 'all' },
      { now: new Date(), timezone: timezone() },
    );
    const selected = project();
    if (selected !== ALL_PROJECTS) {
      tasks = filterTasks(tasks, { projectId: selected === NO_PROJECT ? null : selected });
    }
    const byStatus: Columns = { TODO: [], IN_PROGRESS: [], COMPLETED: [], CANCELLED: [] };
    for (const task of tasks) byStatus[task.status].push(task);
    return {
      TODO: sortTasks(byStatus.TODO, { field: 'order', descending: false }),
      IN_PROGRESS: sortTasks(byStatus.IN_PROGRESS, { field: 'order', descending: false }),
      // Finished work: the most recent first, so the capped column shows what matters.
      COMPLETED: sortTasks(byStatus.COMPLETED, { field: 'updated_at', descending: true }),
      CANCELLED: sortTasks(byStatus.CANCELLED, { field: 'updated_at', descending: true }),
    };
  });

  const setStatus = (task: Task, status: TaskStatus) => {
    if (task.status === status) return;
    const id = task.id;
    const title = task.title;
    const result = ws.act(() => updateTask(ws.docs, id, { status }, ws.ctx));
    if (!result) return;
    if (result.next) {
      const due = result.next.dueDate;
      ws.notify(
        due
          ? `Next occurrence of “${title}” due ${formatDue(due, timezone())}`
          : `Next occurrence of “${title}” created`,
      );
    }
  };

  // The card moved to another column: keep the keyboard where the user was.
  const refocus = (id: string) => {
    queueMicrotask(() => {
      document
        .querySelector<HTMLSelectElement>(`.board [data-task-id="${CSS.escape(id)}"] select`)
        ?.focus();
    });
  };

  return (
    <>
      <header class="view-header">
        <h1>Board</h1>
        <select
          aria-label="Filter by project"
          onChange={(event) => setProject(event.currentTarget.value)}
        >
          <option value={ALL_PROJECTS} selected={project() === ALL_PROJECTS}>
            All projects
          </option>
          <option value={NO_PROJECT} selected={project() === NO_PROJECT}>
            No project
          </option>
          <For each={projects()}>
            {(item) => (
              <option value={item.id} selected={project() === item.id}>
                {item.name}
              </option>
            )}
          </For>
        </select>
      </header>
      <div class="board">
        <For each={TASK_STATUSES}>
          {(status) => (
            <BoardColumn
              status={status}
              tasks={() => columns()[status]}
              resetKey={project()}
              timezone={timezone()}
              tagNames={tagNames()}
              onOpen={(id) => ws.openTask(id)}
              onStatus={(task, next) => {
                setStatus(task, next);
                refocus(task.id);
              }}
              onDrop={(id) => {
                const task = ws.tasks[id];
                if (task && task.deletedAt === null) setStatus(task, status);
              }}
            />
          )}
        </For>
      </div>
    </>
  );
}

function BoardColumn(props: {
  status: TaskStatus;
  tasks: Accessor<Task[]>;
  /** Changes when the filter does: the column shows its first page again. */
  resetKey: string;
  timezone: string;
  tagNames: ReadonlyMap<string, string>;
  onOpen: (id: string) => void;
  onStatus: (task: Task, status: TaskStatus) => void;
  onDrop: (id: string) => void;
}) {
  const [limit, setLimit] = createSignal(PAGE_SIZE);
  const [over, setOver] = createSignal(false);
  createEffect(
    on(
      () => props.resetKey,
      () => setLimit(PAGE_SIZE),
      { defer: true },
    ),
  );
  const visible = createMemo(() => props.tasks().slice(0, limit()));
  const hidden = () => Math.max(0, props.tasks().length - limit());
  const label = () => STATUS_LABELS[props.status];
  const carriesTask = (event: DragEvent) =>
    event.dataTransfer?.types.includes(BOARD_DRAG_TYPE) ?? false;

  return (
    <section
      aria-label={label()}
      data-status={props.status}
      style={over() ? { outline: '2px dashed var(--accent)', 'outline-offset': '-2px' } : {}}
      onDragOver={(event) => {
        if (!carriesTask(event)) return;
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
        setOver(true);
      }}
      onDragLeave={(event) => {
        const next = event.relatedTarget as Node | null;
        if (!next || !event.currentTarget.contains(next)) setOver(false);
      }}
      onDrop={(event) => {
        setOver(false);
        const id = event.dataTransfer?.getData(BOARD_DRAG_TYPE);
        if (!id) return;
        event.preventDefault();
        props.onDrop(id);
      }}
    >
      <h2 style={{ 'font-size': '1rem', margin: '0.2rem 0 0.4rem' }}>
        {label()} <span class="badge">{props.tasks().length}</span>
      </h2>
      <Show when={props.tasks().length === 0}>
        <p style={{ color: 'var(--muted)', 'font-size': '0.85rem' }}>No tasks</p>
      </Show>
      <For each={visible()}>
        {(task) => (
          <BoardCard
            task={task}
            timezone={props.timezone}
            tagNames={props.tagNames}
            onOpen={props.onOpen}
            onStatus={props.onStatus}
          />
        )}
      </For>
      <Show when={hidden() > 0}>
        <button type="button" onClick={() => setLimit((n) => n + PAGE_SIZE)}>
          Show more ({hidden()} more)
        </button>
      </Show>
    </section>
  );
}
