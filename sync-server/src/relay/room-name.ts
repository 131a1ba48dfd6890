/**
 * Rooms are documents: `{userId}` for the main document and `{userId}/time/{YYYY-MM}` for a
 * month of time entries (DESIGN.md). The owner is the first segment.
 */
const ROOM =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/time\/\d{4}-(0[1-9]|1[0-2]))?$/;

export interface RoomName {
  room: string;
  ownerId: string;
}

/** The room a websocket path (`/sync/...`) names, or null when it names none. */
export function parseRoomPath(pathname: string): RoomName | null {
  if (!pathname.startsWith('/sync/')) return null;
  let room: string;
  try {
    room = decodeURIComponent(pathname.slice('/sync/'.length));
  } catch {
    return null; // a malformed percent-escape is no room at all
  }
  const match = ROOM.exec(room);
  if (!match?.[1]) return null;
  return { room, ownerId: match[1] };
}
