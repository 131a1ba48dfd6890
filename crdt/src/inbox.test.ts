import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createManualContext } from './context.js';
import { NotFoundError, ValidationError } from './errors.js';
import {
  addInboxItem,
  countUnread,
  dismissInboxItem,
  listInbox,
  markInboxItemRead,
  markInboxItemUnread,
} from './inbox.js';
import { inboxOf, UserDocs } from './user-docs.js';

describe('inbox', () => {
  it('lists notifications newest first with their payload, and counts unread ones', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-10-06T10:00:00Z'));
    const first = addInboxItem(
      docs,
      { kind: 'sync-conflict', title: 'Kept the calendar version', payload: { title: 'Old' } },
      ctx,
    );
    ctx.advance(1000);
    addInboxItem(docs, { kind: 'reminder', title: 'Stand-up in 5 minutes' }, ctx);
    expect(listInbox(docs).map((item) => item.title)).toEqual([
      'Stand-up in 5 minutes',
      'Kept the calendar version',
    ]);
    expect(listInbox(docs)[1]?.payload).toEqual({ title: 'Old' });
    expect(countUnread(docs)).toBe(2);
    markInboxItemRead(docs, first.id, ctx);
    expect(countUnread(docs)).toBe(1);
    expect(markInboxItemUnread(docs, first.id).readAt).toBeNull();
    expect(countUnread(docs)).toBe(2);
  });

  it('adds a notification with a given id once, however often it is produced', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-10-06T10:00:00Z'));
    addInboxItem(docs, { id: 'conflict-1', kind: 'sync-conflict', title: 'A' }, ctx);
    addInboxItem(docs, { id: 'conflict-1', kind: 'sync-conflict', title: 'A' }, ctx);
    expect(listInbox(docs)).toHaveLength(1);
  });

  it('refuses a notification without a title and reports unknown ones', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-10-06T10:00:00Z'));
    expect(() => addInboxItem(docs, { kind: 'x', title: '' }, ctx)).toThrow(ValidationError);
    expect(() => dismissInboxItem(docs, 'nope')).toThrow(NotFoundError);
    expect(() => markInboxItemRead(docs, 'nope', ctx)).toThrow(NotFoundError);
  });

  it('skips junk another device wrote into the inbox', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-10-06T10:00:00Z'));
    inboxOf(docs.main).set('junk', 42);
    const odd = new Y.Map<unknown>();
    inboxOf(docs.main).set('odd', odd);
    odd.set('title', 7);
    addInboxItem(docs, { kind: 'reminder', title: 'Real' }, ctx);
    expect(
      listInbox(docs)
        .map((item) => item.title)
        .sort(),
    ).toEqual(['Notification', 'Real']);
  });
});
