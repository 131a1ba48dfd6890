import { createManualContext } from './context.js';
import { createProject } from './projects.js';
import type { Priority } from './schema.js';
import { seededRandom } from './seeded-random.js';
import { updateSettings } from './settings.js';
import { completeTask, createTask, deleteTask, getTask, updateTask } from './tasks.js';
import { addManualEntry } from './time-entries.js';
import { migrateDocument, UserDocs } from './user-docs.js';
import type { TaskCreateInput } from './validation.js';

/**
 * A realistic user built through the real operations, for benchmarks and demos: projects, tasks
 * created over the period with descriptions, tags, due dates and subtasks, later completions and
 * edits, time entries spread over the months, a few tasks in the trash. Seeded: the same options
 * give the same documents.
 */
export interface SampleUserOptions {
  userId: string;
  tasks: number;
  entries: number;
  /** Epoch ms of the first and last moment of the history. */
  start: number;
  end: number;
  timezone?: string;
  seed?: number;
  /** Build into these documents (e.g. bound to a provider: each batch then goes out as one update). */
  docs?: UserDocs;
  /** Make some tasks subtasks of recent ones (default true). */
  subtasks?: boolean;
  /** Move about 3% of tasks to the trash at the end (default true). */
  trash?: boolean;
}

export interface SampleUser {
  docs: UserDocs;
  taskIds: string[];
  /** How long building the tasks and the entries took (ms). */
  tasksMs: number;
  entriesMs: number;
}

const DAY = 86_400_000;
const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------
// Seeded randomness.

function createRandom(initial: number) {
  const random = seededRandom(initial);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const chance = (p: number) => random() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  /** Seeded UUID-shaped ids, so the documents are the same on every run. */
  const newId = (): string => {
    const hex = (n: number) => Array.from({ length: n }, () => int(0, 15).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`;
  };
  return { random, int, chance, pick, newId };
}

const VERBS = ['Write', 'Review', 'Fix', 'Plan', 'Call', 'Email', 'Prepare', 'Update', 'Design'];
const OBJECTS = [
  'quarterly report',
  'onboarding checklist',
  'login bug',
  'sprint backlog',
  'supplier contract',
  'marketing brief',
  'release notes',
  'budget forecast',
  'customer interview notes',
  'API documentation',
  'team offsite agenda',
  'invoice #{n}',
];
const SENTENCES = [
  'Check the numbers with finance before sending.',
  'Blocked until the design review is done.',
  'See the thread from last week for context.',
  'Keep it short: one page, three bullet points.',
  'Ask Ana about the edge cases in the import.',
  'The client wants this before the end of the month.',
  'Split into smaller tasks if it takes more than a day.',
];
const TAGS = [
  'work',
  'personal',
  'urgent',
  'waiting',
  'email',
  'meeting',
  'deep work',
  'errand',
  'finance',
  'health',
  'reading',
  'admin',
  'client A',
  'client B',
  'client C',
  'research',
  'writing',
  'review',
  'bug',
  'feature',
  'ops',
  'hiring',
  'travel',
  'home',
  'learning',
];
const PROJECTS = [
  'Website relaunch',
  'Mobile app',
  'Q3 planning',
  'Hiring',
  'Home renovation',
  'Taxes',
  'Conference talk',
  'Customer portal',
  'Data migration',
  'Marketing',
  'Onboarding',
  'Side project',
  'Reading list',
  'Fitness',
  'Infrastructure',
];
const PRIORITIES: Priority[] = ['LOW', 'MEDIUM', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH', 'URGENT'];

// ---------------------------------------------------------------------------------------------
// Building the user through the crdt's operations.

export function buildSampleUser(options: SampleUserOptions): SampleUser {
  const { random, int, chance, pick, newId } = createRandom(options.seed ?? 0x5eed1234);
  const title = (n: number) => `${pick(VERBS)} ${pick(OBJECTS).replace('{n}', String(n))}`;
  const description = () =>
    Array.from({ length: int(1, 8) }, () => pick(SENTENCES)).join(chance(0.3) ? '\n\n' : ' ');
  const { tasks: TASKS, entries: ENTRIES, start: START, end: END } = options;
  const ctx = createManualContext(new Date(START), newId);
  const docs = options.docs ?? new UserDocs(options.userId);
  migrateDocument(docs.main, options.userId);
  updateSettings(docs, { timezone: options.timezone ?? 'Europe/Paris', weekStart: 'mon' });

  const tasksStarted = Date.now();
  const projectIds: string[] = [];
  docs.main.transact(() => {
    for (const [i, name] of PROJECTS.entries()) {
      projectIds.push(
        createProject(docs, { name, color: '#3b82f6', isArchived: i % 6 === 5 }, ctx).id,
      );
    }
  });

  // Tasks are created evenly over the 36 months; creation times ascend.
  const span = END - START;
  const createdAt = Array.from({ length: TASKS }, () => START + random() * span).sort(
    (a, b) => a - b,
  );
  const taskIds: string[] = [];
  const BATCH = 500;
  for (let from = 0; from < TASKS; from += BATCH) {
    docs.main.transact(() => {
      for (let i = from; i < Math.min(from + BATCH, TASKS); i += 1) {
        ctx.set(new Date(createdAt[i] as number));
        const input: TaskCreateInput = { title: title(i), priority: pick(PRIORITIES) };
        if (chance(0.35)) input.description = description();
        if (chance(0.7)) input.projectId = pick(projectIds);
        if (chance(0.6)) input.tags = Array.from({ length: int(1, 3) }, () => pick(TAGS));
        if (chance(0.55)) {
          const due = new Date((createdAt[i] as number) + int(0, 45) * DAY);
          input.dueDate = chance(0.6)
            ? due.toISOString().slice(0, 10)
            : new Date(Math.floor(due.getTime() / 3_600_000) * 3_600_000).toISOString();
        }
        if (options.subtasks !== false && chance(0.15) && taskIds.length > 0) {
          // A subtask of a recent task.
          input.parentId = taskIds[Math.max(0, taskIds.length - int(1, 50))];
        }
        if (chance(0.2)) input.estimatedDuration = pick([15, 30, 60, 90, 120, 240]);
        taskIds.push(createTask(docs, input, ctx).id);
      }
    });
  }

  // Later edits, in time order: ~30% completed, some in progress or cancelled, some retitled,
  // a few deleted (in the trash). Each is a real write with its own tombstones.
  type Edit = { at: number; index: number; kind: 'complete' | 'progress' | 'cancel' | 'retitle' };
  const edits: Edit[] = [];
  for (let index = 0; index < TASKS; index += 1) {
    const created = createdAt[index] as number;
    const later = () => Math.min(END, created + int(1, 60) * DAY * random());
    if (chance(0.3)) edits.push({ at: later(), index, kind: 'complete' });
    else if (chance(0.1)) edits.push({ at: later(), index, kind: 'progress' });
    else if (chance(0.03)) edits.push({ at: later(), index, kind: 'cancel' });
    if (chance(0.1)) edits.push({ at: later(), index, kind: 'retitle' });
  }
  edits.sort((a, b) => a.at - b.at);
  for (let from = 0; from < edits.length; from += BATCH) {
    docs.main.transact(() => {
      for (const edit of edits.slice(from, from + BATCH)) {
        ctx.set(new Date(edit.at));
        const id = taskIds[edit.index] as string;
        if (edit.kind === 'complete') completeTask(docs, id, ctx);
        else if (edit.kind === 'progress') updateTask(docs, id, { status: 'IN_PROGRESS' }, ctx);
        else if (edit.kind === 'cancel') updateTask(docs, id, { status: 'CANCELLED' }, ctx);
        else updateTask(docs, id, { title: `${title(edit.index)} (v2)` }, ctx);
      }
    });
  }
  const tasksMs = Date.now() - tasksStarted;

  // Entries: start uniform over the 36 months, 5 minutes to 3 hours, 80% on a task that existed
  // then, logged when they ended. One transaction per month document.
  const entriesStarted = Date.now();
  const starts = Array.from({ length: ENTRIES }, () => START + random() * (span - 4 * 3600_000));
  starts.sort((a, b) => a - b);
  let firstTaskAfter = 0;
  let batchMonth = '';
  let batch: number[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    docs.month(batchMonth).transact(() => {
      for (const start of batch) {
        while (firstTaskAfter < TASKS && (createdAt[firstTaskAfter] as number) <= start) {
          firstTaskAfter += 1;
        }
        const end = start + int(5, 180) * MINUTE;
        ctx.set(new Date(end));
        addManualEntry(
          docs,
          {
            taskId:
              firstTaskAfter > 0 && chance(0.8)
                ? taskIds[Math.max(0, firstTaskAfter - int(1, 200))]
                : null,
            start: new Date(start).toISOString(),
            end: new Date(end).toISOString(),
            ...(chance(0.3) && { description: pick(SENTENCES) }),
          },
          ctx,
        );
      }
    });
    batch = [];
  };
  for (const start of starts) {
    const month = new Date(start).toISOString().slice(0, 7);
    if (month !== batchMonth) {
      flush();
      batchMonth = month;
    }
    batch.push(start);
  }
  flush();

  // A few tasks end up in the trash (after their time was tracked).
  ctx.set(new Date(END - DAY));
  docs.main.transact(() => {
    for (let i = 0; i < TASKS && options.trash !== false; i += 1) {
      const id = taskIds[i] as string;
      // A subtask may already be in the trash with its parent.
      if (chance(0.03) && getTask(docs, id)?.deletedAt === null) deleteTask(docs, id, ctx);
    }
  });
  const entriesMs = Date.now() - entriesStarted;
  return { docs, tasksMs, entriesMs, taskIds };
}
