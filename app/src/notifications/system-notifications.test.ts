import type { InboxItem } from '@tasks/crdt';
import { describe, expect, it } from 'vitest';
import { createReminderAnnouncer, FRESH_MS, type SystemNotifier } from './system-notifications.js';

const NOW = new Date('2027-01-12T09:00:00.000Z');

function reminder(id: string, createdAt: Date, extra: Partial<InboxItem> = {}): InboxItem {
  return {
    id,
    kind: 'reminder',
    title: `Call ${id}`,
    body: 'Due 09:15',
    payload: { taskId: `task-${id}` },
    createdAt: createdAt.toISOString(),
    readAt: null,
    ...extra,
  };
}

function setup(permission: NotificationPermission = 'granted') {
  const shown: Array<{ title: string; tag?: string; data: unknown }> = [];
  const notifier: SystemNotifier = {
    permission: () => permission,
    show: async (title, options) => {
      shown.push({ title, ...(options.tag ? { tag: options.tag } : {}), data: options.data });
    },
  };
  const announce = createReminderAnnouncer({
    notifier,
    now: () => NOW,
    taskUrl: (taskId) => `/#/task/${taskId}`,
  });
  return { shown, announce };
}

describe('system notifications from the open app', () => {
  it('shows each fresh reminder once, tagged like its push, opening its task', () => {
    const { shown, announce } = setup();
    const first = reminder('a', new Date(NOW.getTime() - 1_000));
    announce([first], true);
    announce([first], true);
    announce([reminder('b', NOW), first], true);
    expect(shown).toEqual([
      { title: 'Call a', tag: 'a', data: { url: '/#/task/task-a', title: 'Call a', actions: {} } },
      { title: 'Call b', tag: 'b', data: { url: '/#/task/task-b', title: 'Call b', actions: {} } },
    ]);
  });

  it('stays quiet for reminders that fired long ago, were read, or are not reminders', () => {
    const { shown, announce } = setup();
    announce(
      [
        reminder('old', new Date(NOW.getTime() - FRESH_MS - 1)),
        reminder('read', NOW, { readAt: NOW.toISOString() }),
        reminder('conflict', NOW, { kind: 'conflict' }),
      ],
      true,
    );
    expect(shown).toEqual([]);
  });

  it('shows nothing without the browser’s permission or with in-app notifications off', () => {
    const denied = setup('denied');
    denied.announce([reminder('a', NOW)], true);
    expect(denied.shown).toEqual([]);
    const off = setup();
    off.announce([reminder('a', NOW)], false);
    expect(off.shown).toEqual([]);
  });
});
