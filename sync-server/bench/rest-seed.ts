/**
 * Seeding for the REST benchmark: one large user built in memory through the crdt's own
 * operations (the generator of `crdt/bench/large-document.bench.ts`, ending now instead of at a
 * fixed date so the 30-day dashboard has data), then written into the server's `documents` table
 * as one snapshot per document, the way compaction leaves them. No HTTP call per record.
 */
import { performance } from 'node:perf_hooks';
import {
  addManualEntry,
  completeTask,
  createManualContext,
  createProject,
  createTask,
  deleteTask,
  listTasks,
  migrateDocument,
  monthGuid,
  type Priority,
  type TaskCreateInput,
  UserDocs,
  updateSettings,
  updateTask,
} from '@tasks/crdt';
import * as Y from 'yjs';
import type { Database } from '../src/db/database.js';

export interface SeedOptions {
  userId: string;
  tasks: number;
  entries: number;
  /** Months of history, ending at `now`. */
  months: number;
  now: number;
  timezone: string;
}

export interface EncodedDocument {
  /** Room name: the user id for the main document, `{userId}/time/{YYYY-MM}` for a month. */
  name: string;
  snapshot: Uint8Array;
  stateVector: Uint8Array;
}

export interface SeededUser {
  documents: EncodedDocument[];
  /** Tasks not in the trash, for PATCH to rotate over. */
  liveTaskIds: string[];
  /** Live tasks matching status=TODO&priority=HIGH (what the list benchmark filters). */
  todoHigh: number;
  trashed: number;
  completed: number;
  buildMs: number;
  encodeMs: number;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness: the same content on every run (ids are UUIDv7 of the record's time).

function createRandom(initial: number) {
  let seed = initial >>> 0;
  const random = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const chance = (p: number) => random() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return { random, int, chance, pick };
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

const DAY = 86_400_000;
const MINUTE = 60_000;

/** Builds the user's documents in memory and encodes each as one update (a snapshot). */
export function buildUser(options: SeedOptions): SeededUser {
  const { int, chance, pick, random } = createRandom(0x5eed1234);
  const started = performance.now();
  const end = options.now;
  const start = end - Math.round(options.months * 30.44 * DAY);
  const span = end - start;
  const ctx = createManualContext(new Date(start));
  const docs = new UserDocs(options.userId);
  migrateDocument(docs.main, options.userId);
  updateSettings(docs, { timezone: options.timezone, weekStart: 'mon' });

  const projectIds: string[] = [];
  docs.main.transact(() => {
    for (const [i, name] of PROJECTS.entries()) {
      projectIds.push(
        createProject(docs, { name, color: '#3b82f6', isArchived: i % 6 === 5 }, ctx).id,
      );
    }
  });

  const title = (n: number) => `${pick(VERBS)} ${pick(OBJECTS).replace('{n}', String(n))}`;
  const description = () =>
    Array.from({ length: int(1, 8) }, () => pick(SENTENCES)).join(chance(0.3) ? '\n\n' : ' ');

  // Tasks created evenly over the history, in time order, in transactions of 500.
  const createdAt = Array.from({ length: options.tasks }, () => start + random() * span).sort(
    (a, b) => a - b,
  );
  const taskIds: string[] = [];
  const BATCH = 500;
  for (let from = 0; from < options.tasks; from += BATCH) {
    docs.main.transact(() => {
      for (let i = from; i < Math.min(from + BATCH, options.tasks); i += 1) {
        const at = createdAt[i] as number;
        ctx.set(new Date(at));
        const input: TaskCreateInput = { title: title(i), priority: pick(PRIORITIES) };
        if (chance(0.35)) input.description = description();
        if (chance(0.7)) input.projectId = pick(projectIds);
        if (chance(0.6)) input.tags = Array.from({ length: int(1, 3) }, () => pick(TAGS));
        if (chance(0.55)) {
          const due = new Date(at + int(0, 45) * DAY);
          input.dueDate = chance(0.6)
            ? due.toISOString().slice(0, 10)
            : new Date(Math.floor(due.getTime() / 3_600_000) * 3_600_000).toISOString();
        }
        if (chance(0.15) && taskIds.length > 0) {
          input.parentId = taskIds[Math.max(0, taskIds.length - int(1, 50))];
        }
        if (chance(0.2)) input.estimatedDuration = pick([15, 30, 60, 90, 120, 240]);
        taskIds.push(createTask(docs, input, ctx).id);
      }
    });
  }

  // Later edits in time order: ~30% completed, some in progress or cancelled, some retitled.
  type Edit = { at: number; index: number; kind: 'complete' | 'progress' | 'cancel' | 'retitle' };
  const edits: Edit[] = [];
  for (let index = 0; index < options.tasks; index += 1) {
    const created = createdAt[index] as number;
    const later = () => Math.min(end, created + int(1, 60) * DAY * random());
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

  // Time entries: 5 min to 3 h, 80% on a task that existed then; one transaction per month.
  const starts = Array.from(
    { length: options.entries },
    () => start + random() * (span - 4 * 3_600_000),
  ).sort((a, b) => a - b);
  let firstTaskAfter = 0;
  let batchMonth = '';
  let batch: number[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    docs.month(batchMonth).transact(() => {
      for (const entryStart of batch) {
        while (
          firstTaskAfter < options.tasks &&
          (createdAt[firstTaskAfter] as number) <= entryStart
        ) {
          firstTaskAfter += 1;
        }
        const entryEnd = entryStart + int(5, 180) * MINUTE;
        ctx.set(new Date(entryEnd));
        addManualEntry(
          docs,
          {
            taskId:
              firstTaskAfter > 0 && chance(0.8)
                ? (taskIds[Math.max(0, firstTaskAfter - int(1, 200))] ?? null)
                : null,
            start: new Date(entryStart).toISOString(),
            end: new Date(entryEnd).toISOString(),
            ...(chance(0.3) && { description: pick(SENTENCES) }),
          },
          ctx,
        );
      }
    });
    batch = [];
  };
  for (const entryStart of starts) {
    // Month documents are keyed by the entry's UTC month, as the crdt does (monthKeyOf).
    const month = new Date(entryStart).toISOString().slice(0, 7);
    if (month !== batchMonth) {
      flush();
      batchMonth = month;
    }
    batch.push(entryStart);
  }
  flush();

  // ~3% of tasks end up in the trash (after their time was tracked).
  ctx.set(new Date(end - DAY));
  docs.main.transact(() => {
    for (let i = 0; i < options.tasks; i += 1) {
      if (chance(0.03)) {
        try {
          deleteTask(docs, taskIds[i] as string, ctx);
        } catch {
          // already in the trash with its parent
        }
      }
    }
  });
  const buildMs = performance.now() - started;

  const all = listTasks(docs, { includeDeleted: true });
  const live = all.filter((task) => task.deletedAt === null);
  const encodeStarted = performance.now();
  const encode = (name: string, doc: Y.Doc): EncodedDocument => ({
    name,
    snapshot: Y.encodeStateAsUpdate(doc),
    stateVector: Y.encodeStateVector(doc),
  });
  const documents = [
    encode(options.userId, docs.main),
    ...docs.loadedMonths().map((key) => encode(monthGuid(options.userId, key), docs.month(key))),
  ];
  const encodeMs = performance.now() - encodeStarted;
  const seeded: SeededUser = {
    documents,
    liveTaskIds: live.map((task) => task.id),
    todoHigh: live.filter((task) => task.status === 'TODO' && task.priority === 'HIGH').length,
    trashed: all.length - live.length,
    completed: live.filter((task) => task.status === 'COMPLETED').length,
    buildMs,
    encodeMs,
  };
  docs.destroy();
  return seeded;
}

/**
 * Writes the documents as compacted snapshots (snapshot_seq 0, no log tail), replacing any row
 * of the same name. The server must be stopped: a loaded room would not see the new rows.
 */
export async function writeUserDocuments(
  db: Database,
  userId: string,
  documents: readonly EncodedDocument[],
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const doc of documents) {
      await tx.query('delete from document_updates where name = $1', [doc.name]);
      await tx.query(
        `insert into documents (name, user_id, snapshot, state_vector, snapshot_seq, size_bytes)
         values ($1, $2::uuid, $3, $4, 0, $5)
         on conflict (name) do update set user_id = excluded.user_id, snapshot = excluded.snapshot,
           state_vector = excluded.state_vector, snapshot_seq = 0,
           size_bytes = excluded.size_bytes, updated_at = now()`,
        [doc.name, userId, doc.snapshot, doc.stateVector, doc.snapshot.byteLength],
      );
    }
  });
}
