import * as Y from 'yjs';
import type { Logger } from '../logger.js';
import type { DocStore } from '../persistence/doc-store.js';

/**
 * Loaded `Y.Doc`s, only for what needs one (REST, the calendar bridge): devices sync from stored
 * bytes and never load one. The cache holds at most `budgetBytes` (estimated) and evicts the
 * least recently used documents that no caller is using, whether or not devices are connected.
 *
 * A cached document only ever holds what is committed, or a server-side write on its way to the
 * log: committed device updates are applied to it after their commit (held, while nobody uses
 * it, until its next use: see `MAX_HELD_UPDATES`), and when a server-side
 * write fails to commit the document is poisoned: no later write of it is stored, every caller
 * holding it fails, and the next caller loads a fresh one from the database.
 */

/** Origin of updates applied to a cached document because they were committed elsewhere. */
export const COMMITTED_ORIGIN = Symbol('committed');

/**
 * Committed updates held back for an unused cached document, applied in one transaction when it
 * is next used: a device typing into a document the calendar bridge or task history loaded
 * costs one Yjs transaction (observers, cleanup) per use of it, not one per keystroke. Past
 * these, they are applied at once, so what waits stays small.
 */
const MAX_HELD_UPDATES = 256;
const MAX_HELD_BYTES = 256 * 1024;

/**
 * In-memory size of a document relative to its stored bytes (structs, maps and strings as
 * objects). Measured on the sample user's documents: 6–9x; the estimate takes the high end.
 */
const MEMORY_PER_STORED_BYTE = 10;
const MIN_ENTRY_BYTES = 16 * 1024;

export interface CachedDoc {
  readonly name: string;
  readonly ownerId: string;
  readonly doc: Y.Doc;
  /** Set when one of its server-side writes failed to commit: the document is thrown away. */
  poisoned: boolean;
  /** Callers using it now: never evicted while positive. */
  pins: number;
  bytes: number;
  /**
   * Loaded only for one-off work (a nightly purge): dropped as soon as nobody uses it, so such
   * work never pushes what people use out of the cache. A regular use makes it a regular entry.
   */
  transient: boolean;
}

interface Entry {
  name: string;
  ownerId: string;
  loading: Promise<CachedDoc>;
  loaded: CachedDoc | null;
  /** Updates committed while the load ran: applied once it is done (duplicates are no-ops). */
  committedDuringLoad: Uint8Array[];
  /** Committed while nobody used the document: applied before its next use. */
  held: Uint8Array[];
  heldBytes: number;
}

export interface DocCacheDeps {
  store: DocStore;
  log: Logger;
  budgetBytes: number;
  /** A server-side write made in a cached document (not one applied from the log). */
  onLocalUpdate: (cached: CachedDoc, update: Uint8Array, origin: unknown) => void;
}

export class DocCache {
  /** In least-recently-used order: a `Map` keeps insertion order; a use re-inserts. */
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  evictions = 0;

  constructor(private readonly deps: DocCacheDeps) {}

  /** The document, loaded (shared by concurrent callers) and pinned until `release`. */
  async acquire(name: string, ownerId: string, transient = false): Promise<CachedDoc> {
    let entry = this.entries.get(name);
    if (entry?.loaded?.poisoned) {
      this.remove(entry);
      entry = undefined;
    }
    if (entry) {
      this.entries.delete(name);
      this.entries.set(name, entry);
    } else {
      entry = this.startLoad(name, ownerId);
    }
    const fresh = !entry.loaded;
    const cached = await entry.loading;
    this.applyHeld(entry);
    if (!transient) cached.transient = false;
    else if (fresh && cached.pins === 0) cached.transient = true;
    cached.pins += 1;
    this.evict();
    return cached;
  }

  release(cached: CachedDoc): void {
    cached.pins = Math.max(0, cached.pins - 1);
    if ((cached.poisoned || cached.transient) && cached.pins === 0) {
      const entry = this.entries.get(cached.name);
      if (entry?.loaded === cached) this.remove(entry);
    }
    this.evict();
  }

  /** Applies an update committed by a device (or another writer) to the cached copy, if any. */
  applyCommitted(name: string, update: Uint8Array): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    if (!entry.loaded) {
      entry.committedDuringLoad.push(update);
      return;
    }
    if (entry.loaded.poisoned) return;
    entry.held.push(update);
    entry.heldBytes += update.byteLength;
    // In use now (its users see every commit at once), or enough waiting.
    if (
      entry.loaded.pins > 0 ||
      entry.held.length >= MAX_HELD_UPDATES ||
      entry.heldBytes >= MAX_HELD_BYTES
    ) {
      this.applyHeld(entry);
    }
  }

  /** Updates committed but not yet applied to the cached copy (held for its next use). */
  heldUpdates(name: string): number {
    return this.entries.get(name)?.held.length ?? 0;
  }

  /** Names and state vectors of the documents loaded now (to catch up with the store). */
  loadedStateVectors(): { name: string; stateVector: Uint8Array }[] {
    const loaded: { name: string; stateVector: Uint8Array }[] = [];
    for (const entry of this.entries.values()) {
      this.applyHeld(entry);
      if (entry.loaded && !entry.loaded.poisoned) {
        loaded.push({ name: entry.name, stateVector: Y.encodeStateVector(entry.loaded.doc) });
      }
    }
    return loaded;
  }

  /** Throws the document away: its server-side state ran ahead of what is stored. */
  poison(cached: CachedDoc): void {
    cached.poisoned = true;
    const entry = this.entries.get(cached.name);
    if (entry?.loaded === cached && cached.pins === 0) this.remove(entry);
  }

  /** Throws away every cached document of a user (its account is gone or signed out). */
  dropOwner(ownerId: string): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.ownerId !== ownerId) continue;
      if (entry.loaded) this.poison(entry.loaded);
      else this.entries.delete(entry.name);
    }
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    for (const entry of [...this.entries.values()]) this.remove(entry);
  }

  private startLoad(name: string, ownerId: string): Entry {
    const entry: Entry = {
      name,
      ownerId,
      loaded: null,
      committedDuringLoad: [],
      held: [],
      heldBytes: 0,
      loading: Promise.resolve(null as unknown as CachedDoc),
    };
    entry.loading = (async () => {
      const stored = await this.deps.store.load(name);
      const doc = new Y.Doc({ guid: name });
      this.applyStored(doc, [...stored.updates, ...entry.committedDuringLoad]);
      entry.committedDuringLoad = [];
      const bytes = Math.max(MIN_ENTRY_BYTES, stored.sizeBytes * MEMORY_PER_STORED_BYTE);
      const cached: CachedDoc = {
        name,
        ownerId,
        doc,
        poisoned: false,
        pins: 0,
        bytes,
        transient: false,
      };
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === COMMITTED_ORIGIN) return;
        this.deps.onLocalUpdate(cached, update, origin);
      });
      entry.loaded = cached;
      this.totalBytes += bytes;
      return cached;
    })();
    entry.loading.catch(() => {
      // A failed load is retried by the next caller.
      if (this.entries.get(name) === entry) this.entries.delete(name);
    });
    this.entries.set(name, entry);
    return entry;
  }

  /** Applies committed updates in one transaction, as committed (not server-side writes). */
  private applyStored(doc: Y.Doc, updates: readonly Uint8Array[]): void {
    doc.transact(() => {
      for (const update of updates) {
        try {
          Y.applyUpdate(doc, update, COMMITTED_ORIGIN);
        } catch (error) {
          // A stored update that no longer applies is kept in the log, not dropped.
          this.deps.log.error('stored update failed to apply', {
            room: doc.guid,
            error: (error as Error).message,
          });
        }
      }
    }, COMMITTED_ORIGIN);
  }

  private applyHeld(entry: Entry): void {
    if (entry.held.length === 0) return;
    const held = entry.held;
    entry.held = [];
    entry.heldBytes = 0;
    if (entry.loaded && !entry.loaded.poisoned) this.applyStored(entry.loaded.doc, held);
  }

  private remove(entry: Entry): void {
    entry.held = [];
    entry.heldBytes = 0;
    if (this.entries.get(entry.name) === entry) this.entries.delete(entry.name);
    if (!entry.loaded) return;
    this.totalBytes -= entry.loaded.bytes;
    entry.loaded.doc.destroy();
    entry.loaded = null;
  }

  /** Drops least recently used, unpinned documents until the cache fits its budget. */
  private evict(): void {
    if (this.totalBytes <= this.deps.budgetBytes) return;
    for (const entry of [...this.entries.values()]) {
      if (this.totalBytes <= this.deps.budgetBytes) return;
      if (!entry.loaded || entry.loaded.pins > 0) continue;
      this.remove(entry);
      this.evictions += 1;
    }
  }
}
