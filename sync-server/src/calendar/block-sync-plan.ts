import { blockToEvent, type EventInput, type ProviderEvent } from '@tasks/connectors';
import { type CalendarBlock, isBlockEventMarker } from '@tasks/crdt';
import type { SyncWindow } from './sync-actions.js';
import { eventHash } from './sync-hash.js';

/**
 * "Put planned blocks in my calendar" as a pure decision, beside `planSync`: from the blocks the
 * calendar should show, the status rows of the events written for them, and the block events a
 * pull reported, the writes that make the calendar show exactly those blocks. One way: the plan
 * is the source, an edit made in the calendar is written over, an event deleted there is written
 * again (under a fresh key: Google refuses a deleted event's id for ever). A block's create key
 * is its marker, so a retry after a lost answer creates nothing twice, and an event found with a
 * marker but no row (a crash before the commit) is adopted; a second one with that marker goes.
 */

export interface BlockLink {
  /** `block:<taskId>:<blockId>` (see `blockEventMarker`). */
  marker: string;
  eventId: string;
  /** `eventHash` of what was last written. */
  eventHash: string;
  eventEtag: string;
}

export type BlockSyncAction =
  | { type: 'createBlockEvent'; marker: string; input: EventInput; key: string }
  | { type: 'updateBlockEvent'; marker: string; eventId: string; input: EventInput; etag: string }
  | { type: 'deleteBlockEvent'; marker: string; eventId: string; etag: string }
  | { type: 'saveBlockLink'; link: BlockLink }
  | { type: 'dropBlockLink'; marker: string };

export interface BlockSyncInput {
  /** Every block the calendar should show (`blocksForCalendar`), whatever its dates. */
  blocks: readonly CalendarBlock[];
  links: readonly BlockLink[];
  /** Events of the pull that carry a block marker. */
  changed: readonly ProviderEvent[];
  /** Ids the pull reported deleted. */
  deleted: readonly string[];
  /** The pull listed every event of the window: a linked event in it that was not listed is gone. */
  full: boolean;
  window: SyncWindow;
  timezone: string;
}

/** Splits a pull's changed events into block events and the rest (what `planSync` sees). */
export function partitionBlockEvents(changed: readonly ProviderEvent[]): {
  blockEvents: ProviderEvent[];
  others: ProviderEvent[];
} {
  const blockEvents: ProviderEvent[] = [];
  const others: ProviderEvent[] = [];
  for (const event of changed)
    (isBlockEventMarker(event.taskId) ? blockEvents : others).push(event);
  return { blockEvents, others };
}

export function planBlockSync(input: BlockSyncInput): BlockSyncAction[] {
  const actions: BlockSyncAction[] = [];
  const blocks = new Map(input.blocks.map((block) => [block.marker, block]));
  const links = new Map(input.links.map((link) => [link.marker, link]));
  const deleted = new Set(input.deleted);
  const changedById = new Map(input.changed.map((event) => [event.id, event]));
  const linkedIds = new Set(input.links.map((link) => link.eventId));
  /** Pulled events with a marker but no row, by marker, oldest id first. */
  const strays = new Map<string, ProviderEvent[]>();
  for (const event of [...input.changed].sort((a, b) => a.id.localeCompare(b.id))) {
    if (linkedIds.has(event.id) || event.taskId === null) continue;
    strays.set(event.taskId, [...(strays.get(event.taskId) ?? []), event]);
  }
  const [windowStart, windowEnd] = [Date.parse(input.window.start), Date.parse(input.window.end)];
  const inWindow = (block: CalendarBlock) =>
    Date.parse(block.start) < windowEnd && Date.parse(block.end) > windowStart;
  const formOf = (block: CalendarBlock) => blockToEvent(block, input.timezone);

  const markers = [...new Set([...blocks.keys(), ...links.keys(), ...strays.keys()])].sort();
  for (const marker of markers) {
    const block = blocks.get(marker);
    const link = links.get(marker);
    const found = strays.get(marker) ?? [];
    if (link) {
      const pulled = changedById.get(link.eventId);
      const gone =
        deleted.has(link.eventId) ||
        (input.full && pulled === undefined && block !== undefined && inWindow(block));
      if (!block) {
        if (!gone) {
          const etag = pulled?.etag ?? link.eventEtag;
          actions.push({ type: 'deleteBlockEvent', marker, eventId: link.eventId, etag });
        }
        actions.push({ type: 'dropBlockLink', marker });
      } else if (gone) {
        actions.push({ type: 'dropBlockLink', marker });
        if (inWindow(block)) {
          const key = `${marker}~${link.eventId}`;
          actions.push({ type: 'createBlockEvent', marker, input: formOf(block), key });
        }
      } else {
        const form = formOf(block);
        const current = pulled ? eventHash(pulled) : link.eventHash;
        const etag = pulled?.etag ?? link.eventEtag;
        if (eventHash(form) !== current) {
          actions.push({
            type: 'updateBlockEvent',
            marker,
            eventId: link.eventId,
            input: form,
            etag,
          });
        } else if (etag !== link.eventEtag) {
          actions.push({ type: 'saveBlockLink', link: { ...link, eventEtag: etag } });
        }
      }
      for (const extra of found) {
        actions.push({ type: 'deleteBlockEvent', marker, eventId: extra.id, etag: extra.etag });
      }
      continue;
    }
    const [adopted, ...extras] = block && inWindow(block) ? found : [];
    for (const extra of block && inWindow(block) ? extras : found) {
      actions.push({ type: 'deleteBlockEvent', marker, eventId: extra.id, etag: extra.etag });
    }
    if (!block || !inWindow(block)) continue;
    const form = formOf(block);
    if (!adopted) {
      actions.push({ type: 'createBlockEvent', marker, input: form, key: marker });
    } else if (eventHash(adopted) !== eventHash(form)) {
      actions.push({
        type: 'updateBlockEvent',
        marker,
        eventId: adopted.id,
        input: form,
        etag: adopted.etag,
      });
    } else {
      const hash = eventHash(adopted);
      actions.push({
        type: 'saveBlockLink',
        link: { marker, eventId: adopted.id, eventHash: hash, eventEtag: adopted.etag },
      });
    }
  }
  return actions;
}
