import * as Y from 'yjs';
import type { DocContext } from './context.js';
import { toIso } from './dates.js';
import { NotFoundError } from './errors.js';
import { asMap, readInstant, readString } from './record-fields.js';
import type { InboxItem } from './schema.js';
import { inboxOf, type UserDocs } from './user-docs.js';
import { type InboxInput, inboxInput, parseInput } from './validation.js';

const EPOCH = toIso(new Date(0));

export function readInboxItem(id: string, value: unknown): InboxItem | null {
  const map = asMap(value);
  if (!map) return null;
  return {
    id,
    kind: readString(map, 'kind') || 'note',
    title: readString(map, 'title') || 'Notification',
    body: readString(map, 'body'),
    payload: map.get('payload') ?? null,
    createdAt: readInstant(map, 'createdAt') ?? EPOCH,
    readAt: readInstant(map, 'readAt'),
  };
}

/** Notifications, newest first. */
export function listInbox(docs: UserDocs): InboxItem[] {
  const items: InboxItem[] = [];
  for (const [id, value] of inboxOf(docs.main).entries()) {
    const item = readInboxItem(id, value);
    if (item) items.push(item);
  }
  return items.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/** Adds a notification (a sync conflict, a reminder). A given id makes the add idempotent. */
export function addInboxItem(docs: UserDocs, input: InboxInput, ctx: DocContext): InboxItem {
  const valid = parseInput(inboxInput, input);
  const id = valid.id ?? ctx.newId();
  const inbox = inboxOf(docs.main);
  if (!asMap(inbox.get(id))) {
    docs.main.transact(() => {
      const map = new Y.Map<unknown>();
      inbox.set(id, map);
      map.set('kind', valid.kind);
      map.set('title', valid.title);
      if (valid.body) map.set('body', valid.body);
      if (valid.payload !== undefined) map.set('payload', valid.payload);
      map.set('createdAt', toIso(ctx.now()));
    });
  }
  return readInboxItem(id, inbox.get(id)) as InboxItem;
}

export function markInboxItemRead(docs: UserDocs, id: string, ctx: DocContext): InboxItem {
  const map = asMap(inboxOf(docs.main).get(id));
  if (!map) throw new NotFoundError('notification', id);
  if (!map.has('readAt')) docs.main.transact(() => map.set('readAt', toIso(ctx.now())));
  return readInboxItem(id, map) as InboxItem;
}

/** Marks a notification unread again (read elsewhere by mistake). */
export function markInboxItemUnread(docs: UserDocs, id: string): InboxItem {
  const map = asMap(inboxOf(docs.main).get(id));
  if (!map) throw new NotFoundError('notification', id);
  if (map.has('readAt')) docs.main.transact(() => map.delete('readAt'));
  return readInboxItem(id, map) as InboxItem;
}

export function dismissInboxItem(docs: UserDocs, id: string): void {
  const inbox = inboxOf(docs.main);
  if (!inbox.has(id)) throw new NotFoundError('notification', id);
  docs.main.transact(() => inbox.delete(id));
}

export function countUnread(docs: UserDocs): number {
  return listInbox(docs).filter((item) => item.readAt === null).length;
}
