import {
  countUnread,
  createProject,
  getTimezone,
  listProjects,
  listTags,
  selectTaskView,
} from '@tasks/crdt';
import { createMemo, createResource, createSignal, For, Show } from 'solid-js';
import { navigate, type Route, route, routeHref } from '../router.js';
import { fetchAccountRole } from '../session/admin-api.js';
import { useWorkspace } from '../workspace-context.js';

const VIEWS: { route: Route; label: string }[] = [
  { route: { view: 'inbox' }, label: 'Inbox' },
  { route: { view: 'today' }, label: 'Today' },
  { route: { view: 'upcoming' }, label: 'Upcoming' },
  { route: { view: 'all' }, label: 'All tasks' },
  { route: { view: 'board' }, label: 'Board' },
  { route: { view: 'calendar' }, label: 'Calendar' },
  { route: { view: 'time' }, label: 'Time' },
  { route: { view: 'analytics' }, label: 'Analytics' },
  { route: { view: 'inbox-notes' }, label: 'Notifications' },
  { route: { view: 'trash' }, label: 'Trash' },
  { route: { view: 'settings' }, label: 'Settings' },
];

export function Sidebar() {
  const workspace = useWorkspace();
  const projects = createMemo(() => {
    workspace.replica.version();
    return listProjects(workspace.docs).filter((project) => !project.isArchived);
  });
  const tags = createMemo(() => {
    workspace.replica.version();
    return listTags(workspace.docs);
  });
  const unread = createMemo(() => {
    workspace.replica.version();
    return countUnread(workspace.docs);
  });
  // The day matters, not the second: recount once a minute at most (and on every change).
  const minute = createMemo(() => Math.floor(workspace.now().getTime() / 60_000));
  const counts = createMemo(() => {
    const all = Object.values(workspace.tasks);
    const options = { now: new Date(minute() * 60_000), timezone: getTimezone(workspace.docs) };
    return {
      inbox: selectTaskView(all, { kind: 'inbox' }, options).length,
      today: selectTaskView(all, { kind: 'today' }, options).length,
    };
  });
  const [adding, setAdding] = createSignal(false);
  const current = () => routeHref(route());
  // The admin's page is linked for admins only (the server checks the role on every call).
  const [role] = createResource(() => fetchAccountRole(workspace.session()));

  const addProject = (event: SubmitEvent) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem(
      'name',
    ) as HTMLInputElement;
    const project = workspace.act(() =>
      createProject(workspace.docs, { name: input.value }, workspace.ctx),
    );
    if (project) {
      setAdding(false);
      navigate({ view: 'project', id: project.id });
    }
  };

  return (
    <nav class="sidebar" aria-label="Views">
      <div>
        <For each={VIEWS}>
          {(item) => (
            <a
              href={routeHref(item.route)}
              aria-current={current() === routeHref(item.route) ? 'page' : undefined}
            >
              <span>{item.label}</span>
              <Show when={item.route.view === 'inbox' && counts().inbox > 0}>
                <span class="badge">{counts().inbox}</span>
              </Show>
              <Show when={item.route.view === 'today' && counts().today > 0}>
                <span class="badge">{counts().today}</span>
              </Show>
              <Show when={item.route.view === 'inbox-notes' && unread() > 0}>
                <span class="badge">{unread()}</span>
              </Show>
            </a>
          )}
        </For>
        <Show when={role() === 'admin'}>
          <a
            href={routeHref({ view: 'admin' })}
            aria-current={current() === routeHref({ view: 'admin' }) ? 'page' : undefined}
          >
            <span>Administration</span>
          </a>
        </Show>
      </div>
      <h2>Projects</h2>
      <div>
        <For each={projects()}>
          {(project) => {
            const href = routeHref({ view: 'project', id: project.id });
            return (
              <a href={href} aria-current={current() === href ? 'page' : undefined}>
                <span>
                  <span style={{ color: project.color }}>●</span> {project.name}
                </span>
              </a>
            );
          }}
        </For>
        <Show
          when={adding()}
          fallback={
            <button type="button" onClick={() => setAdding(true)}>
              New project
            </button>
          }
        >
          <form onSubmit={addProject} class="row">
            <input name="name" aria-label="Project name" placeholder="Project name" required />
            <button type="submit">Add</button>
          </form>
        </Show>
      </div>
      <h2>Tags</h2>
      <div>
        <For each={tags()}>
          {(tag) => {
            const href = routeHref({ view: 'tag', key: tag.key });
            return (
              <a href={href} aria-current={current() === href ? 'page' : undefined}>
                <span>#{tag.name}</span>
              </a>
            );
          }}
        </For>
      </div>
    </nav>
  );
}
