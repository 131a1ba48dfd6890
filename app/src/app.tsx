import { createManualContext, createTask, listTasks, UserDocs } from '@tasks/crdt';
import { For } from 'solid-js';

/**
 * Placeholder shell until the PWA issue: it renders a local, in-memory document through the
 * crdt package, proving the app builds against it.
 */
export function App() {
  const docs = new UserDocs('local-preview');
  const ctx = createManualContext(new Date());
  createTask(docs, { title: 'Plan the week', priority: 'HIGH' }, ctx);
  createTask(docs, { title: 'Track time on a task' }, ctx);
  const tasks = listTasks(docs);
  return (
    <main>
      <h1>Tasks</h1>
      <p>The app arrives with the PWA issue. A preview of the local document:</p>
      <ul aria-label="Tasks">
        <For each={tasks}>{(task) => <li>{task.title}</li>}</For>
      </ul>
    </main>
  );
}
