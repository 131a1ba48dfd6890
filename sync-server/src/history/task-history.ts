import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  deletedAtOf,
  diffVersions,
  followTaskChanges,
  getTask,
  listTags,
  NotFoundError,
  paginate,
  readTasks,
  recentlyDeleted,
  restoreVersion,
  type TaskChangeFollower,
  type TaskVersionFields,
  taskToApi,
  versionFieldsOf,
  writersOf,
} from '@tasks/crdt';
import type * as Y from 'yjs';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { DocumentChange } from '../relay/relay.js';
import {
  errorResponses,
  IdParam,
  jsonResponse,
  notFoundResponse,
  pageOf,
  TaskSchema,
} from '../rest/api-schemas.js';
import type { DocumentAccess } from '../rest/document-access.js';
import type { TrackedTime } from '../rest/tracked-time.js';
import { validationHook } from '../rest/validation-hook.js';

/**
 * Records a version of each task whenever a change to its user's main document leaves it
 * different from its last recorded version (table `task_versions`), whoever wrote it: a device
 * through the relay, REST, the calendar bridge. Changes are coalesced per user: one recording
 * runs at a time and covers everything until it starts, and at most `perWindow` recordings of a
 * user start within `windowMs`; a change past that waits for the window (or for a `flush`, which
 * the history routes call before they read). So a few edits a second are each a version, as a
 * person makes them, and a device typing fast costs `perWindow` looks at the document a second,
 * not one per keystroke.
 */
export interface TaskHistory {
  /** Resolves once every change seen so far is recorded. */
  flush(): Promise<void>;
  /** Users whose recordings this node keeps state for: those with a change in the last window. */
  readonly trackedUsers: number;
  stop(): void;
}

/** Versions written per statement. */
const INSERT_CHUNK = 1000;

/** Recordings of one user that may start within `HISTORY_WINDOW_MS` (default `perWindow`). */
export const HISTORY_PER_WINDOW = 3;
export const HISTORY_WINDOW_MS = 1000;

interface UserState {
  running: Promise<void>;
  again: boolean;
  /** The last recording failed: the next compares every task. */
  compareAll: boolean;
  /** When the latest recordings started (`performance.now()`), at most `perWindow`. */
  starts: number[];
  /** Recordings queued or running. */
  active: number;
}

export function createTaskHistory(deps: {
  db: Database;
  access: DocumentAccess;
  changes: (listener: (change: DocumentChange) => void) => () => void;
  clock: () => Date;
  log: Logger;
  windowMs?: number;
  perWindow?: number;
}): TaskHistory {
  const windowMs = deps.windowMs ?? HISTORY_WINDOW_MS;
  const perWindow = Math.max(1, deps.perWindow ?? HISTORY_PER_WINDOW);
  const users = new Map<string, UserState>();
  const followers = new WeakMap<Y.Doc, TaskChangeFollower>();
  const pending = new Set<Promise<void>>();
  /** Recordings waiting for their delay: `flush` starts them at once. */
  const waiting = new Set<() => void>();
  let flushing = 0;
  /**
   * A user's state is forgotten once nothing of theirs is queued or running, the last recording
   * did not fail and its window is over: so the map holds the users of the last window, not
   * every user who ever changed something on this node.
   */
  let sweeper: NodeJS.Timeout | null = null;
  const sweep = () => {
    sweeper = null;
    const now = performance.now();
    for (const [userId, state] of users) {
      const last = state.starts[state.starts.length - 1] ?? Number.NEGATIVE_INFINITY;
      if (state.active === 0 && !state.compareAll && last + windowMs <= now) users.delete(userId);
    }
    armSweeper();
  };
  const armSweeper = () => {
    if (sweeper || users.size === 0) return;
    sweeper = setTimeout(sweep, windowMs);
    sweeper.unref();
  };
  /** Resolves when the user's next recording may start (see `perWindow`). */
  const gathered = (state: UserState) => {
    const oldest = state.starts.length < perWindow ? null : (state.starts[0] as number);
    const wait = oldest === null ? 0 : oldest + windowMs - performance.now();
    if (flushing > 0 || wait <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const start = () => {
        clearTimeout(timer);
        waiting.delete(start);
        resolve();
      };
      const timer = setTimeout(start, wait);
      timer.unref();
      waiting.add(start);
    });
  };

  const record = async (userId: string, state: UserState) => {
    const found = await deps.access.use(userId, [], (docs) => {
      const changed: { taskId: string; json: string; writers: number[]; server: number }[] = [];
      // Only the tasks a change touched since the last recording of this document (a loaded
      // document is followed from its first recording, which compares every task).
      let follower = followers.get(docs.main);
      if (!follower) {
        follower = followTaskChanges(docs.main);
        followers.set(docs.main, follower);
      }
      const touched = follower.take();
      // After a failed recording every task is compared again: the changes it took are lost.
      const compareAll = state.compareAll;
      state.compareAll = false;
      const candidates =
        touched.all || compareAll
          ? readTasks(docs, { includeDeleted: true })
          : [...touched.ids].flatMap((id) => getTask(docs, id) ?? []);
      for (const task of candidates) {
        const json = JSON.stringify(versionFieldsOf(task));
        changed.push({
          taskId: task.id,
          json,
          writers: writersOf(docs, task.id),
          server: docs.main.clientID,
        });
      }
      return changed;
    });
    if (found.length === 0) return;
    const now = deps.clock().toISOString();
    // A touched task whose fields equal its last recorded version is skipped by the statement,
    // against the table, not a copy in memory: another node may record this user's tasks too
    // (a cluster). Versions are numbered from the table, under a lock per user.
    await deps.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 1701))', [userId]);
      // One statement per chunk, not one per task: a user's first recording covers every task.
      for (let start = 0; start < found.length; start += INSERT_CHUNK) {
        const chunk = found.slice(start, start + INSERT_CHUNK);
        await tx.query(
          `insert into task_versions (user_id, task_id, version, recorded_at, writers, fields)
           select $1, v.task_id, coalesce(last.version, 0) + 1, $2::timestamptz,
                  v.writers::jsonb, v.fields::jsonb
             from unnest($3::text[], $4::text[], $5::text[]) as v(task_id, writers, fields)
             left join lateral (
               select t.version, t.fields from task_versions t
                where t.user_id = $1 and t.task_id = v.task_id
                order by t.version desc limit 1
             ) last on true
            where last.fields is distinct from v.fields::jsonb`,
          [
            userId,
            now,
            chunk.map((item) => item.taskId),
            chunk.map((item) =>
              JSON.stringify(
                item.writers.map((client) => (client === item.server ? 'server' : String(client))),
              ),
            ),
            chunk.map((item) => item.json),
          ],
        );
      }
    });
  };

  const schedule = (userId: string) => {
    let state = users.get(userId);
    if (!state) {
      state = {
        running: Promise.resolve(),
        again: false,
        compareAll: false,
        starts: [],
        active: 0,
      };
      users.set(userId, state);
      armSweeper();
    }
    if (state.again) return; // a recording is queued already: it will see this change
    state.again = true;
    state.active += 1;
    const current = state;
    const run = current.running
      .then(() => gathered(current))
      .then(async () => {
        current.again = false;
        current.starts.push(performance.now());
        if (current.starts.length > perWindow) current.starts.shift();
        try {
          await record(userId, current);
        } catch (error) {
          current.compareAll = true;
          deps.log.warn('task history not recorded', { userId, error: (error as Error).message });
        } finally {
          current.active -= 1;
        }
      });
    current.running = run;
    pending.add(run);
    void run.finally(() => pending.delete(run));
  };

  const unsubscribe = deps.changes((change) => {
    // The main document only: tasks live there (months hold time entries).
    if (change.room === change.ownerId) schedule(change.ownerId);
  });

  return {
    async flush() {
      flushing += 1;
      try {
        for (const start of [...waiting]) start();
        while (pending.size > 0) await Promise.all([...pending]);
      } finally {
        flushing -= 1;
      }
    },
    get trackedUsers() {
      return users.size;
    },
    stop() {
      unsubscribe();
      if (sweeper) clearTimeout(sweeper);
      sweeper = null;
    },
  };
}

const VersionParam = IdParam.extend({
  version: z.coerce
    .number({ error: 'must be a version number' })
    .int('must be a version number')
    .min(1, 'must be a version number')
    .openapi({ param: { name: 'version', in: 'path' } }),
});

const ChangeSchema = z.object({ field: z.string(), before: z.unknown(), after: z.unknown() });
const VersionSchema = z
  .object({
    version: z.number().int(),
    recorded_at: z.string(),
    devices: z.array(z.string()).openapi({
      description:
        'Who wrote the fields as they were: Yjs client ids of devices, or `server` (REST, calendar sync)',
    }),
    changes: z
      .array(ChangeSchema)
      .openapi({ description: 'Field by field, from the version before' }),
    fields: z.record(z.string(), z.unknown()),
  })
  .openapi('TaskVersion');

const DeletedQuery = z
  .object({
    page: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .default(1),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100')
      .default(50),
  })
  .strict();

const DeletedTaskSchema = z
  .object({
    task_id: z.string(),
    title: z.string(),
    deleted_at: z.string().openapi({
      description:
        'When it went to the trash, or (removed without the trash) when its last version was recorded',
    }),
    version: z.number().int().openapi({ description: 'Its last version: restore this one' }),
    recorded_at: z.string(),
    devices: z.array(z.string()),
    fields: z.record(z.string(), z.unknown()),
  })
  .openapi('DeletedTask');

type VersionRow = {
  version: number;
  recorded_at: Date;
  writers: unknown;
  fields: unknown;
};

const parseJson = <T>(value: unknown) =>
  (typeof value === 'string' ? JSON.parse(value) : value) as T;

function versionOf(row: VersionRow) {
  return {
    version: Number(row.version),
    recordedAt: new Date(row.recorded_at).toISOString(),
    devices: parseJson<string[]>(row.writers),
    fields: parseJson<TaskVersionFields>(row.fields),
  };
}

/**
 * `GET /tasks/{id}/history`, `POST /tasks/{id}/history/{version}/restore` (a task gone from the
 * document too) and `GET /tasks/history/deleted` ("recently deleted" beyond the trash).
 */
export function createHistoryRoutes(deps: {
  db: Database;
  access: DocumentAccess;
  tracked: TrackedTime;
  history: TaskHistory;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const versionsOf = async (userId: string, taskId: string) => {
    await deps.history.flush();
    const rows = await deps.db.query<VersionRow>(
      `select version, recorded_at, writers, fields from task_versions
        where user_id = $1 and task_id = $2 order by version`,
      [userId, taskId],
    );
    return rows.map(versionOf);
  };

  // Not a task's path: `/{id}/history` ends in `history`.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/history/deleted',
      summary: 'Recently deleted tasks, beyond the trash',
      description:
        'Tasks the history knows that are no longer in the document at all (purged from the trash after 30 days, or removed by a device), most recently deleted first, each with its last version. `POST /tasks/{id}/history/{version}/restore` brings one back under its own id, out of the trash, as a new change.',
      tags: ['Tasks'],
      request: { query: DeletedQuery },
      responses: {
        200: jsonResponse(pageOf(DeletedTaskSchema, 'DeletedTaskPage'), 'A page of deleted tasks'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { page, limit } = c.req.valid('query');
      await deps.history.flush();
      const rows = await deps.db.query<VersionRow & { task_id: string }>(
        `select distinct on (task_id) task_id, version, recorded_at, writers, fields
           from task_versions where user_id = $1 order by task_id, version desc`,
        [userId],
      );
      const last = rows.map((row) => ({ taskId: row.task_id, ...versionOf(row) }));
      const gone = await deps.access.use(userId, [], (docs) => recentlyDeleted(docs, last));
      const found = paginate(gone, page, limit);
      const items = found.items.map((item) => ({
        task_id: item.taskId,
        title: item.fields.title,
        deleted_at: deletedAtOf(item),
        version: item.version,
        recorded_at: item.recordedAt,
        devices: item.devices,
        fields: item.fields,
      }));
      return c.json({ ...found, items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/history',
      summary: 'A task’s earlier versions',
      description:
        'Every version the server recorded (a change that left the task different), newest first, with the devices that wrote it, when, and what changed field by field.',
      tags: ['Tasks'],
      request: { params: IdParam },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(VersionSchema) }).openapi('TaskHistory'),
          'The versions',
        ),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const versions = await versionsOf(userId, id);
      if (versions.length === 0) throw new NotFoundError('task', id);
      const items = versions.map((version, index) => ({
        version: version.version,
        recorded_at: version.recordedAt,
        devices: version.devices,
        changes: diffVersions(versions[index - 1]?.fields ?? null, version.fields),
        fields: version.fields,
      }));
      return c.json({ items: items.reverse() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/history/{version}/restore',
      summary: 'Restore an earlier version of a task',
      description:
        'A new change that makes the task what the version was (out of the trash too): it syncs to every device like any edit, and is itself a new version.',
      tags: ['Tasks'],
      request: { params: VersionParam },
      responses: {
        200: jsonResponse(TaskSchema, 'The task as restored'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id, version } = c.req.valid('param');
      const found = (await versionsOf(userId, id)).find((item) => item.version === version);
      if (!found) throw new NotFoundError('task version', `${id}@${version}`);
      const minutes = await deps.tracked.minutesByTask(userId, deps.clock());
      const task = await deps.access.use(userId, [], (docs, ctx) => {
        const restored = restoreVersion(docs, id, found.fields, ctx);
        if (!restored) throw new NotFoundError('task', id);
        const tagNames = new Map(listTags(docs).map((tag) => [tag.key, tag.name]));
        return taskToApi(restored, { userId, tagNames, actualDuration: minutes.get(id) });
      });
      return c.json(task, 200);
    },
  );
  return app;
}
