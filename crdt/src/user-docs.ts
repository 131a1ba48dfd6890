import * as Y from 'yjs';
import { monthKeyOf } from './dates.js';
import { MONTH_ROOT, ROOT, SCHEMA_VERSION } from './schema.js';

/** Room and guid of a month document: `{userId}/time/{YYYY-MM}` (DESIGN.md "Size"). */
export function monthGuid(userId: string, monthKey: string): string {
  return `${userId}/time/${monthKey}`;
}

export const MONTH_KEY = /^\d{4}-(0[1-9]|1[0-2])$/;

export interface UserDocsOptions {
  /** An existing main document (e.g. one already bound to a provider). */
  main?: Y.Doc;
  /** Called once for each month document this container creates, to attach persistence. */
  onMonthCreated?: (monthKey: string, doc: Y.Doc) => void;
  /** Month documents already loaded elsewhere (the server's rooms). */
  months?: ReadonlyMap<string, Y.Doc>;
  /**
   * Refuse to create a month document that was not given in `months`: a server reading from
   * loaded rooms must never answer from an empty stand-in.
   */
  strictMonths?: boolean;
}

/** A month document was needed that the caller did not load. */
export class MonthNotLoadedError extends Error {
  constructor(readonly monthKey: string) {
    super(`month document ${monthKey} is not loaded`);
    this.name = 'MonthNotLoadedError';
  }
}

/**
 * One user's documents: the main document and the month documents of time entries. Month
 * documents are created on first use; loading their content (IndexedDB, websocket, Postgres) is
 * the caller's job, through `onMonthCreated` or by applying updates before reading.
 */
export class UserDocs {
  readonly main: Y.Doc;
  private readonly months = new Map<string, Y.Doc>();
  private readonly onMonthCreated: ((monthKey: string, doc: Y.Doc) => void) | undefined;
  private readonly strictMonths: boolean;

  constructor(
    readonly userId: string,
    options: UserDocsOptions = {},
  ) {
    this.main = options.main ?? new Y.Doc({ guid: userId });
    this.onMonthCreated = options.onMonthCreated;
    this.strictMonths = options.strictMonths ?? false;
    for (const [key, doc] of options.months ?? []) this.months.set(key, doc);
  }

  /** The month document for `YYYY-MM`, created empty if this container has not seen it yet. */
  month(monthKey: string): Y.Doc {
    if (!MONTH_KEY.test(monthKey)) throw new Error(`invalid month key ${monthKey}`);
    let doc = this.months.get(monthKey);
    if (!doc) {
      if (this.strictMonths) throw new MonthNotLoadedError(monthKey);
      doc = new Y.Doc({ guid: monthGuid(this.userId, monthKey) });
      this.months.set(monthKey, doc);
      this.onMonthCreated?.(monthKey, doc);
    }
    return doc;
  }

  /** The month document holding entries that start at `instant`. */
  monthOf(instant: string | Date): Y.Doc {
    return this.month(monthKeyOf(instant));
  }

  hasMonth(monthKey: string): boolean {
    return this.months.has(monthKey);
  }

  loadedMonths(): string[] {
    return [...this.months.keys()].sort();
  }

  /** Forgets a month document (after its persistence let it go); it is recreated on next use. */
  unloadMonth(monthKey: string): void {
    this.months.get(monthKey)?.destroy();
    this.months.delete(monthKey);
  }

  destroy(): void {
    for (const doc of this.months.values()) doc.destroy();
    this.months.clear();
    this.main.destroy();
  }
}

/**
 * The month an entry id suggests: ids are UUIDv7, stamped with the time the entry was created,
 * which is usually in (or just after) the month of its start. Null for other ids.
 */
export function monthHintOfId(id: string): string | null {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-/i.exec(id);
  if (!match) return null;
  const ms = Number.parseInt(`${match[1]}${match[2]}`, 16);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;
  return `${date.getUTCFullYear().toString().padStart(4, '0')}-${(date.getUTCMonth() + 1).toString().padStart(2, '0')}`;
}

export const tasksOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.tasks);
export const projectsOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.projects);
export const tagsOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.tags);
export const settingsOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.settings);
export const metaOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.meta);
export const runningOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.running);
export const inboxOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.inbox);
export const calendarEventsOf = (doc: Y.Doc) => doc.getMap<unknown>(ROOT.calendarEvents);
export const entriesOf = (monthDoc: Y.Doc) => monthDoc.getMap<unknown>(MONTH_ROOT);

export type MigrationResult = 'initialized' | 'current' | 'migrated' | 'newer';

/**
 * Stamps a new document with schema v1 and the owner, and migrates older ones. A document
 * written by a newer schema is left untouched ('newer'): readers still tolerate it, but the
 * caller should not write to it before it is updated.
 */
export function migrateDocument(main: Y.Doc, userId: string): MigrationResult {
  const meta = metaOf(main);
  const version = meta.get('schemaVersion');
  if (typeof version === 'number' && version > SCHEMA_VERSION) return 'newer';
  if (version === SCHEMA_VERSION) return 'current';
  main.transact(() => {
    meta.set('schemaVersion', SCHEMA_VERSION);
    if (typeof meta.get('userId') !== 'string') meta.set('userId', userId);
  });
  // v1 is the first schema: an unstamped document is a new one. Later versions add steps here.
  return version === undefined ? 'initialized' : 'migrated';
}
