import { randomUUID } from 'node:crypto';

/**
 * Websocket connections' ids for their log lines. Keyed by the connection's info object (the
 * one the upgrade hands to the relay, kept by its Connection), so the relay's log calls can
 * name the socket without the id travelling through its types.
 */
const ids = new WeakMap<object, string>();

/** Gives the connection described by `info` an id and returns it. */
export function nameSocket(info: object, newId: () => string = randomUUID): string {
  const id = newId();
  ids.set(info, id);
  return id;
}

/** `{ socketId }` for a named connection's log line; nothing for one never named. */
export function socketLogFields(info: object): { socketId?: string } {
  const id = ids.get(info);
  return id === undefined ? {} : { socketId: id };
}
