import { createTask, deleteTask, getTimezone, listProjects } from '@tasks/crdt';
import { route } from '../router.js';
import { useWorkspace } from '../workspace-context.js';

/**
 * One line to add a task: `Write report tomorrow 3pm #work !high ~2h every monday`. The parser
 * (chrono-node) loads on first use, so it does not weigh on the app's start.
 */
export function QuickAdd() {
  const workspace = useWorkspace();
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem(
      'quick-add',
    ) as HTMLInputElement;
    const text = input.value.trim();
    if (!text) return;
    const { parseQuickAdd } = await import('../quick-add/parse-quick-add.js');
    const parsed = parseQuickAdd(text, {
      now: new Date(),
      timezone: getTimezone(workspace.docs),
      projects: listProjects(workspace.docs),
    });
    const current = route();
    const task = workspace.act(() =>
      createTask(
        workspace.docs,
        {
          ...parsed,
          ...(parsed.projectId === undefined && current.view === 'project'
            ? { projectId: current.id }
            : {}),
          ...(current.view === 'tag' ? { tags: [...parsed.tags, current.key] } : {}),
        },
        workspace.ctx,
      ),
    );
    if (!task) return;
    input.value = '';
    workspace.notify(`Added “${task.title}”`, {
      label: 'Undo',
      run: () => workspace.act(() => deleteTask(workspace.docs, task.id, workspace.ctx)),
    });
  };
  return (
    <form class="quick-add" onSubmit={submit} aria-label="Quick add">
      <label class="visually-hidden" for="quick-add">
        Add a task
      </label>
      <input
        id="quick-add"
        name="quick-add"
        style={{ width: '100%' }}
        placeholder="Add a task: “Write report tomorrow 3pm #work !high ~2h every monday”  (n)"
        autocomplete="off"
      />
    </form>
  );
}
