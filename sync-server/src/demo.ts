/**
 * The main command until the relay exists: a walk through one user's document, printed. Every
 * step goes through @tasks/crdt, the same functions the relay, REST API and app will call.
 */
import {
  addManualEntry,
  completeTask,
  computeDashboard,
  computeTimeDistribution,
  createManualContext,
  createProject,
  createTask,
  getRunningTimer,
  listTasks,
  listTimeEntries,
  migrateDocument,
  startTimer,
  stopTimer,
  taskToApi,
  timeEntryToApi,
  UserDocs,
  updateSettings,
  ValidationError,
} from '@tasks/crdt';
import * as Y from 'yjs';

const HOUR = 3_600_000;
const print = (label: string, value: unknown) =>
  console.log(
    `\n== ${label}\n${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}`,
  );

const userId = 'demo-user';
const docs = new UserDocs(userId);
const ctx = createManualContext(new Date('2026-11-02T08:00:00Z'));
migrateDocument(docs.main, userId);
updateSettings(docs, { timezone: 'Europe/Paris' });

const work = createProject(docs, { name: 'Work', color: '#2563eb' }, ctx);
const report = createTask(
  docs,
  {
    title: 'Write the quarterly report',
    description: 'Numbers from the dashboard, then the summary.',
    priority: 'HIGH',
    dueDate: '2026-11-06T16:00:00Z',
    estimatedDuration: 120,
    tags: ['Writing', 'work'],
    projectId: work.id,
  },
  ctx,
);
const standup = createTask(
  docs,
  {
    title: 'Team stand-up',
    dueDate: '2026-11-02T08:30:00Z',
    recurrenceRule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR',
    tags: ['meetings'],
    projectId: work.id,
  },
  ctx,
);

startTimer(docs, { taskId: report.id, description: 'Outline' }, ctx);
ctx.advance(1.5 * HOUR);
print('running timer', getRunningTimer(docs));
stopTimer(docs, undefined, ctx);
addManualEntry(
  docs,
  { taskId: standup.id, start: '2026-11-02T08:30:00Z', end: '2026-11-02T08:45:00Z' },
  ctx,
);
ctx.advance(HOUR);
const { next } = completeTask(docs, standup.id, ctx);
print(
  'completing the recurring stand-up created its next occurrence',
  next && taskToApi(next, { userId }),
);

try {
  createTask(docs, { title: '', priority: 'SOON' as never }, ctx);
} catch (error) {
  if (error instanceof ValidationError)
    print('a bad write is refused, field by field', error.fields);
  else throw error;
}

const now = ctx.now();
print(
  'tasks (spec JSON)',
  listTasks(docs).map((task) => ({
    id: task.id,
    title: task.title,
    status: task.status,
    due_date: task.dueDate,
  })),
);
print(
  'time entries (spec JSON)',
  listTimeEntries(docs, { from: new Date(now.getTime() - 24 * HOUR), to: now }).map((entry) =>
    timeEntryToApi(entry, now),
  ),
);
print('dashboard, 7 days', computeDashboard(docs, { period: '7d', now }));
print(
  'time distribution',
  computeTimeDistribution(docs, { startDate: '2026-11-01', endDate: '2026-11-07', now }),
);
const sizes = [docs.main, ...docs.loadedMonths().map((key) => docs.month(key))].map(
  (doc) => `${doc.guid}: ${Y.encodeStateAsUpdate(doc).byteLength} bytes`,
);
print('encoded documents', sizes.join('\n'));
