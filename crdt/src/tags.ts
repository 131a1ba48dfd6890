import * as Y from 'yjs';
import type { DocContext } from './context.js';
import { toIso } from './dates.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { asMap, readInstant, readString, writeField } from './record-fields.js';
import { TAG_KEY_PREFIX, type Tag } from './schema.js';
import { tagsOf, tasksOf, type UserDocs } from './user-docs.js';
import {
  parseInput,
  type TagCreateInput,
  type TagPatch,
  tagCreateInput,
  tagPatch,
} from './validation.js';

export const DEFAULT_TAG_COLOR = '#64748b';

/**
 * The key a tag is stored under: Unicode-normalized, trimmed, inner whitespace collapsed, lower
 * case. Two devices creating "Work" and "work " offline write the same key, so the spec's unique
 * (user, name) holds after they merge.
 */
export function normalizeTagName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '') // soft hyphens, zero-width joiners: invisible twins
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase();
}

export function readTag(key: string, value: unknown): Tag | null {
  const map = asMap(value);
  if (!map) return null;
  const name = readString(map, 'name').slice(0, 50) || key;
  return {
    id: readString(map, 'id') || key,
    key,
    name,
    color: /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(readString(map, 'color'))
      ? readString(map, 'color')
      : DEFAULT_TAG_COLOR,
    createdAt: readInstant(map, 'createdAt') ?? toIso(new Date(0)),
  };
}

export function listTags(docs: UserDocs): Tag[] {
  const tags: Tag[] = [];
  for (const [key, value] of tagsOf(docs.main).entries()) {
    const tag = readTag(key, value);
    if (tag) tags.push(tag);
  }
  // Code-point order: the same on every replica, whatever its locale.
  return tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function getTagByKey(docs: UserDocs, key: string): Tag | null {
  return readTag(key, tagsOf(docs.main).get(key));
}

export function getTagById(docs: UserDocs, id: string): Tag | null {
  return listTags(docs).find((tag) => tag.id === id) ?? null;
}

function writeTag(docs: UserDocs, key: string, name: string, color: string, ctx: DocContext): void {
  const map = new Y.Map<unknown>();
  map.set('id', ctx.newId());
  map.set('name', name);
  map.set('color', color);
  map.set('createdAt', toIso(ctx.now()));
  tagsOf(docs.main).set(key, map);
}

export function createTag(docs: UserDocs, input: TagCreateInput, ctx: DocContext): Tag {
  const { name, color } = parseInput(tagCreateInput, input);
  const key = normalizeTagName(name);
  if (key === '') throw new ValidationError([{ field: 'name', message: 'must not be empty' }]);
  if (tagsOf(docs.main).has(key)) {
    throw new ConflictError(`a tag named "${name}" already exists`, 'name');
  }
  docs.main.transact(() => writeTag(docs, key, name, color ?? DEFAULT_TAG_COLOR, ctx));
  return getTagByKey(docs, key) as Tag;
}

/** Makes sure each named tag exists (tasks may name tags freely); returns their keys. */
export function ensureTags(docs: UserDocs, names: readonly string[], ctx: DocContext): string[] {
  const keys: string[] = [];
  const tags = tagsOf(docs.main);
  for (const name of names) {
    const key = normalizeTagName(name);
    if (key === '' || keys.includes(key)) continue;
    if (!asMap(tags.get(key))) writeTag(docs, key, name.trim(), DEFAULT_TAG_COLOR, ctx);
    keys.push(key);
  }
  return keys;
}

function tagKeyById(docs: UserDocs, idOrKey: string): string {
  const tag = getTagById(docs, idOrKey) ?? getTagByKey(docs, idOrKey);
  if (!tag) throw new NotFoundError('tag', idOrKey);
  return tag.key;
}

/** Renames or recolours a tag; a rename that changes the key moves every task's reference. */
export function updateTag(docs: UserDocs, idOrKey: string, patch: TagPatch, ctx: DocContext): Tag {
  const { name, color } = parseInput(tagPatch, patch);
  const key = tagKeyById(docs, idOrKey);
  const tags = tagsOf(docs.main);
  const map = asMap(tags.get(key)) as Y.Map<unknown>;
  let finalKey = key;
  // Checked before writing anything: a transaction that throws is not rolled back.
  if (name !== undefined) {
    const nextKey = normalizeTagName(name);
    if (nextKey === '')
      throw new ValidationError([{ field: 'name', message: 'must not be empty' }]);
    if (nextKey !== key && tags.has(nextKey)) {
      throw new ConflictError(`a tag named "${name}" already exists`, 'name');
    }
  }
  docs.main.transact(() => {
    if (color !== undefined) writeField(map, 'color', color);
    if (name === undefined) return;
    const nextKey = normalizeTagName(name);
    if (nextKey === key) {
      writeField(map, 'name', name);
      return;
    }
    const moved = new Y.Map<unknown>();
    moved.set('id', readString(map, 'id') || ctx.newId());
    moved.set('name', name);
    moved.set('color', readString(map, 'color') || DEFAULT_TAG_COLOR);
    moved.set('createdAt', readInstant(map, 'createdAt') ?? toIso(ctx.now()));
    tags.set(nextKey, moved);
    tags.delete(key);
    for (const value of tasksOf(docs.main).values()) {
      const task = asMap(value);
      if (task?.has(TAG_KEY_PREFIX + key)) {
        task.delete(TAG_KEY_PREFIX + key);
        task.set(TAG_KEY_PREFIX + nextKey, true);
      }
    }
    finalKey = nextKey;
  });
  return getTagByKey(docs, finalKey) as Tag;
}

/** Deletes a tag and removes it from every task. */
export function deleteTag(docs: UserDocs, idOrKey: string): void {
  const key = tagKeyById(docs, idOrKey);
  docs.main.transact(() => {
    tagsOf(docs.main).delete(key);
    for (const value of tasksOf(docs.main).values()) {
      const task = asMap(value);
      if (task?.has(TAG_KEY_PREFIX + key)) task.delete(TAG_KEY_PREFIX + key);
    }
  });
}
