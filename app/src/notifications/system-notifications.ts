import type { InboxItem } from '@tasks/crdt';

/**
 * A system notification from the open app for each reminder that lands in the replicated inbox
 * (the server writes it there when it fires), so a reminder is seen even with the tab in the
 * background and Web Push off. Shown through the service worker's registration (the only way
 * that works on Android), tagged with the inbox item's id: the push of the same reminder carries
 * the same tag, so a device that gets both shows one notification.
 *
 * Announced once each, only while unread and only when fresh: reminders that fired while the app
 * was closed, and arrive in a burst when it opens and syncs, are in the inbox, not in a flood.
 */
export interface SystemNotifier {
  /** Whether the user allowed notifications in this browser. */
  permission(): NotificationPermission;
  show(title: string, options: NotificationOptions & { data: unknown }): Promise<void>;
}

/** A reminder older than this when the app first sees it is not announced. */
export const FRESH_MS = 5 * 60_000;

export interface ReminderAnnouncerOptions {
  notifier: SystemNotifier;
  now: () => Date;
  /** The task's link the notification opens (`#/task/<id>`). */
  taskUrl: (taskId: string) => string;
}

/** Call with the inbox after every change; returns the ids it announced (for tests). */
export function createReminderAnnouncer(options: ReminderAnnouncerOptions) {
  const announced = new Set<string>();
  return (items: readonly InboxItem[], inAppOn: boolean): string[] => {
    const shown: string[] = [];
    const now = options.now().getTime();
    for (const item of items) {
      if (item.kind !== 'reminder' || item.readAt !== null || announced.has(item.id)) continue;
      announced.add(item.id);
      if (!inAppOn || options.notifier.permission() !== 'granted') continue;
      if (now - Date.parse(item.createdAt) > FRESH_MS) continue;
      const payload = item.payload as { taskId?: unknown } | null;
      const taskId = typeof payload?.taskId === 'string' ? payload.taskId : null;
      void options.notifier
        .show(item.title, {
          body: item.body,
          tag: item.id,
          icon: '/icons/icon-192.png',
          data: {
            url: taskId ? options.taskUrl(taskId) : '/#/inbox-notes',
            title: item.title,
            actions: {},
          },
        })
        .catch(() => undefined);
      shown.push(item.id);
    }
    return shown;
  };
}

/** The browser's notifier: the service worker's registration, when there is one. */
export function browserNotifier(): SystemNotifier | null {
  if (typeof Notification === 'undefined' || !('serviceWorker' in navigator)) return null;
  return {
    permission: () => Notification.permission,
    show: async (title, options) => {
      const registration = await navigator.serviceWorker.ready;
      await registration.showNotification(title, options);
    },
  };
}
