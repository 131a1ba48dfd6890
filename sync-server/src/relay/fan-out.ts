import type { Room, RoomMember } from './room.js';

/**
 * Delivery of committed updates and presence to a room's connections. In one process it is a
 * loop over the room's sockets; a cluster (several server processes) puts a bus behind the same
 * interface, so the relay never knows where the other devices are.
 */
export interface FanOut {
  /** Sends `message` to every member of `room` but `except`. */
  publish(room: Room, message: Uint8Array, except: RoomMember | null): void;
}

export function createLocalFanOut(): FanOut {
  return {
    publish(room, message, except) {
      for (const member of room.members) if (member !== except) member.send(message);
    },
  };
}

/**
 * The other nodes of a cluster (`cluster/cluster-bus.ts`): every update committed on this node
 * is published once, after its commit, and each other node relays it to its own devices.
 */
export interface ClusterPublisher {
  publishUpdate(name: string, ownerId: string, update: Uint8Array): void;
}
