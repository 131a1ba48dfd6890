/**
 * What a Web Push reminder carries from the server (sync-server's push channel) to the app's
 * service worker (`event.data.json()`): one shape for both ends.
 */
export const PUSH_ACTIONS = ['done', 'snooze'] as const;
export type PushAction = (typeof PUSH_ACTIONS)[number];

export interface PushPayload {
  /** The reminder's in-app notification; the system notification's tag. */
  notificationId: string;
  taskId: string;
  /** The task's title. */
  title: string;
  /** When it is due or starts, in the user's zone: `Due Mon 7 Dec, 15:00`. */
  body: string;
  /** Where clicking the notification opens the app: the task itself (`/#/task/<id>`). */
  url: string;
  fireAt: string;
  /** The buttons' single-use tokens for `POST /api/v1/push-actions`. */
  actions: Record<PushAction, string>;
}
