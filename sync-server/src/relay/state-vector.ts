import * as Y from 'yjs';

/**
 * The state vector a room announces in its sync step 1, kept from stored bytes without a loaded
 * document. It may understate what is stored (a client then re-sends a little it need not, which
 * Yjs ignores) but never overstates it: a clock counts only when every struct below it is stored,
 * which is what the client relies on to skip sending.
 */

/** Struct ranges of an update, flat `[client, clock, length, ...]`, skips left out. */
export type StructRanges = number[];

/** Decodes an update (throws when it does not decode) and returns its struct ranges. */
export function structRangesOf(update: Uint8Array): StructRanges {
  const ranges: StructRanges = [];
  for (const struct of Y.decodeUpdate(update).structs) {
    if (struct instanceof Y.Skip) continue;
    ranges.push(struct.id.client, struct.id.clock, struct.length);
  }
  return ranges;
}

export class RoomStateVector {
  private readonly clocks: Map<number, number>;
  private encoded: Uint8Array | null;

  constructor(encoded: Uint8Array) {
    this.clocks = Y.decodeStateVector(encoded);
    this.encoded = encoded;
  }

  static empty(): RoomStateVector {
    return new RoomStateVector(Y.encodeStateVector(new Map()));
  }

  /** Counts stored structs that continue a client's contiguous run; returns whether it moved. */
  advance(ranges: StructRanges): boolean {
    let moved = false;
    for (let i = 0; i + 2 < ranges.length; i += 3) {
      const client = ranges[i] as number;
      const clock = ranges[i + 1] as number;
      const end = clock + (ranges[i + 2] as number);
      const known = this.clocks.get(client) ?? 0;
      if (clock <= known && end > known) {
        this.clocks.set(client, end);
        moved = true;
      }
    }
    if (moved) this.encoded = null;
    return moved;
  }

  /**
   * Takes the larger clock of each client from another vector that is also true of the store
   * (a compacted snapshot's): the maximum of two lower bounds is still one.
   */
  raise(encoded: Uint8Array): void {
    for (const [client, clock] of Y.decodeStateVector(encoded)) {
      if (clock > (this.clocks.get(client) ?? 0)) {
        this.clocks.set(client, clock);
        this.encoded = null;
      }
    }
  }

  encode(): Uint8Array {
    this.encoded ??= Y.encodeStateVector(this.clocks);
    return this.encoded;
  }

  /** Bytes held, for memory accounting. */
  get size(): number {
    return 16 + this.clocks.size * 24;
  }
}
