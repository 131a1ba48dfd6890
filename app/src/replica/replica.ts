import { migrateDocument, monthKeyOf, UserDocs } from '@tasks/crdt';
import { type Accessor, createSignal } from 'solid-js';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { monthsWithPendingChanges, pendingStorageKey, SyncCounter } from './sync-counter.js';

export type SyncState = 'offline' | 'syncing' | 'synced';

interface Binding {
  persistence: IndexeddbPersistence;
  provider: WebsocketProvider;
  counter: SyncCounter;
}

function syncUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/sync`;
}

/**
 * The user's documents on this device: each opens from IndexedDB first (so the app works with
 * no network), then syncs with the relay through the stock y-websocket provider. Month documents
 * of time entries open the same way, on first use.
 */
export class Replica {
  readonly docs: UserDocs;
  private readonly bindings = new Map<string, Binding>();
  private readonly setVersion: (fn: (v: number) => number) => void;
  readonly version: Accessor<number>;
  private readonly setState: (state: SyncState) => void;
  readonly state: Accessor<SyncState>;
  private readonly setPending: (count: number) => void;
  readonly pending: Accessor<number>;
  private token: string;
  private frame = 0;

  constructor(
    readonly userId: string,
    token: string,
  ) {
    this.token = token;
    [this.version, this.setVersion] = createSignal(0);
    [this.state, this.setState] = createSignal<SyncState>('offline');
    [this.pending, this.setPending] = createSignal(0);
    this.docs = new UserDocs(userId, {
      onMonthCreated: (key, doc) => this.bind(`${userId}/time/${key}`, doc),
    });
    this.bind(userId, this.docs.main);
    // Sockets do not notice a lost network for a while: follow the browser's own verdict.
    window.addEventListener('offline', this.goOffline);
    window.addEventListener('online', this.goOnline);
    const now = new Date();
    this.docs.month(monthKeyOf(now));
    this.docs.month(monthKeyOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))));
    // Months edited offline in an earlier session: open so they sync, and count in `pending`
    // (sign-out must not delete them unseen).
    for (const key of monthsWithPendingChanges(Object.entries(localStorage), userId)) {
      this.docs.month(key);
    }
  }

  private bind(room: string, doc: Y.Doc): void {
    const persistence = new IndexeddbPersistence(`tasks:${room}`, doc);
    // Connect only once the local copy is loaded: connected earlier, the provider would send the
    // whole stored document to the server as if it were a new edit.
    const provider = new WebsocketProvider(syncUrl(), room, doc, {
      params: { token: this.token, ack: '1' },
      connect: false,
    });
    void persistence.whenSynced.then(() => {
      if (navigator.onLine && this.bindings.has(room)) provider.connect();
    });
    const counter = new SyncCounter(pendingStorageKey(room), () => this.refreshStatus());
    counter.attach(doc, provider);
    provider.on('status', () => this.refreshStatus());
    provider.on('sync', () => this.refreshStatus());
    doc.on('update', () => this.bump());
    this.bindings.set(room, { persistence, provider, counter });
    // The stored count shows at once: offline, no provider event would ever refresh it.
    this.refreshStatus();
    if (room === this.userId) {
      void persistence.whenSynced.then(() => {
        migrateDocument(doc, this.userId);
        this.bump();
      });
    }
  }

  /** Coalesces document changes into one re-render per animation frame. */
  private bump(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.setVersion((v) => v + 1);
    });
  }

  private refreshStatus(): void {
    let pending = 0;
    let connected = 0;
    let synced = 0;
    for (const { provider, counter } of this.bindings.values()) {
      pending += counter.count;
      if (provider.wsconnected) connected += 1;
      if (provider.synced) synced += 1;
    }
    this.setPending(pending);
    const total = this.bindings.size;
    if (connected < total || !navigator.onLine)
      this.setState(connected === 0 ? 'offline' : 'syncing');
    else this.setState(synced === total && pending === 0 ? 'synced' : 'syncing');
  }

  private readonly goOffline = () => {
    for (const { provider } of this.bindings.values()) provider.disconnect();
    this.refreshStatus();
  };

  private readonly goOnline = () => {
    for (const { provider, persistence } of this.bindings.values()) {
      void persistence.whenSynced.then(() => provider.connect());
    }
    this.refreshStatus();
  };

  /** Resolves once the main document has loaded from this device's storage. */
  ready(): Promise<void> {
    return (
      this.bindings.get(this.userId)?.persistence.whenSynced.then(() => undefined) ??
      Promise.resolve()
    );
  }

  /** Opens the given months (`YYYY-MM`) and waits until their local copies are loaded. */
  async ensureMonths(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map((key) => {
        this.docs.month(key);
        return this.bindings.get(`${this.userId}/time/${key}`)?.persistence.whenSynced;
      }),
    );
    this.bump();
  }

  /** A new access token for every reconnect from now on (open sockets are not cut). */
  setToken(token: string): void {
    this.token = token;
    for (const { provider } of this.bindings.values())
      provider.params = { ...provider.params, token };
  }

  destroy(): void {
    window.removeEventListener('offline', this.goOffline);
    window.removeEventListener('online', this.goOnline);
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    for (const { provider, persistence } of this.bindings.values()) {
      provider.destroy();
      void persistence.destroy();
    }
    this.bindings.clear();
  }

  /**
   * Sign-out: the local replica is deleted from this device, with any change the server has not
   * acknowledged (`pending`). Callers ask the user first (`nextSignOutStep`).
   */
  async wipe(): Promise<void> {
    window.removeEventListener('offline', this.goOffline);
    window.removeEventListener('online', this.goOnline);
    const rooms = [...this.bindings.entries()];
    for (const [, { provider }] of rooms) provider.destroy();
    await Promise.all(rooms.map(([, { persistence }]) => persistence.clearData()));
    for (const [room] of rooms) localStorage.removeItem(pendingStorageKey(room));
    this.bindings.clear();
    // Months this session never opened are still on disk: delete every database of this user.
    const prefix = `tasks:${this.userId}`;
    const databases = (await indexedDB.databases?.()) ?? [];
    await Promise.all(
      databases
        .filter((db) => db.name?.startsWith(prefix))
        .map(
          (db) =>
            new Promise<void>((resolve) => {
              const request = indexedDB.deleteDatabase(db.name as string);
              request.onsuccess = request.onerror = request.onblocked = () => resolve();
            }),
        ),
    );
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith(pendingStorageKey(this.userId))) localStorage.removeItem(key);
    }
  }
}
