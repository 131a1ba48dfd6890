import { getTask, listTasks, projectsOf, type Task, tasksOf, type UserDocs } from '@tasks/crdt';
import { batch, onCleanup } from 'solid-js';
import { createStore, produce, reconcile } from 'solid-js/store';
import type * as Y from 'yjs';

/**
 * Every task (trash included) as a Solid store keyed by id, kept in step with the document
 * incrementally: a change to one task re-reads that task only, so with 10,000 tasks an edit
 * re-renders just the rows that show it.
 */
export function createTaskIndex(docs: UserDocs): Record<string, Task> {
  const [tasks, setTasks] = createStore<Record<string, Task>>({});
  const loadAll = () => {
    const all: Record<string, Task> = {};
    for (const task of listTasks(docs, { includeDeleted: true })) all[task.id] = task;
    setTasks(reconcile(all));
  };
  loadAll();

  const tasksMap = tasksOf(docs.main);
  const onTasks = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
    const changed = new Set<string>();
    for (const event of events) {
      if (event.target === tasksMap) for (const key of event.changes.keys.keys()) changed.add(key);
      else if (typeof event.path[0] === 'string') changed.add(event.path[0]);
    }
    // Loading from IndexedDB or a first sync touches every task: one reconcile of the whole list
    // is far cheaper than thousands of single updates.
    if (changed.size > 200) {
      loadAll();
      return;
    }
    batch(() => {
      for (const id of changed) {
        const task = getTask(docs, id);
        if (task) setTasks(id, reconcile(task));
        else
          setTasks(
            produce((all) => {
              delete all[id];
            }),
          );
      }
    });
  };
  // A project removed elsewhere changes how tasks read (their project id falls away).
  const onProjects = () => loadAll();
  tasksMap.observeDeep(onTasks);
  projectsOf(docs.main).observe(onProjects);
  onCleanup(() => {
    tasksMap.unobserveDeep(onTasks);
    projectsOf(docs.main).unobserve(onProjects);
  });
  return tasks;
}
