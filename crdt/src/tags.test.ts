import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ConflictError, NotFoundError } from './errors.js';
import {
  createTag,
  DEFAULT_TAG_COLOR,
  deleteTag,
  getTagByKey,
  listTags,
  normalizeTagName,
  updateTag,
} from './tags.js';
import { createTask, getTask } from './tasks.js';
import {
  cloneReplica,
  invalidFields,
  manualContext,
  replica,
  sync,
  TEST_USER as USER,
} from './test-support.js';
import { migrateDocument, tagsOf, type UserDocs } from './user-docs.js';
import type { TagCreateInput } from './validation.js';

function setup() {
  const docs = replica(1);
  migrateDocument(docs.main, USER);
  return { docs, ctx: manualContext('tag') };
}

const keys = (docs: UserDocs) => listTags(docs).map((tag) => tag.key);

describe('normalizeTagName', () => {
  it('ignores case', () => {
    expect(normalizeTagName('Work')).toBe('work');
    expect(normalizeTagName('WORK')).toBe(normalizeTagName('work'));
  });

  it('trims and collapses whitespace', () => {
    expect(normalizeTagName('  Deep \t  Work\n')).toBe('deep work');
  });

  it('folds compatibility forms (NFKC): full-width letters, ligatures, decomposed accents', () => {
    expect(normalizeTagName('Ｗｏｒｋ')).toBe('work');
    expect(normalizeTagName('ﬁnance')).toBe('finance');
    expect(normalizeTagName('Cafe\u0301')).toBe(normalizeTagName('Café'));
  });
});

describe('createTag', () => {
  it('creates a tag with the name as typed, keyed by its normalized name', () => {
    const { docs, ctx } = setup();
    const tag = createTag(docs, { name: ' Deep  Work ', color: '#1A2B3C' }, ctx);
    expect(tag).toEqual({
      id: 'tag-001',
      key: 'deep work',
      name: 'Deep  Work',
      color: '#1a2b3c',
      createdAt: '2025-03-01T10:00:00Z',
    });
    expect(listTags(docs)).toEqual([tag]);
  });

  it('gives a tag without a colour the default colour', () => {
    const { docs, ctx } = setup();
    expect(createTag(docs, { name: 'home' }, ctx).color).toBe(DEFAULT_TAG_COLOR);
  });

  it('refuses " work " when "Work" exists, naming the field', () => {
    const { docs, ctx } = setup();
    createTag(docs, { name: 'Work' }, ctx);
    let thrown: unknown;
    try {
      createTag(docs, { name: ' work ' }, ctx);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConflictError);
    expect((thrown as ConflictError).field).toBe('name');
    expect(listTags(docs).map((tag) => tag.name)).toEqual(['Work']);
  });

  it.each([
    ['an empty name', { name: '   ' }, ['name']],
    ['a name of 51 characters', { name: 'x'.repeat(51) }, ['name']],
    ['a colour that is not hex', { name: 'work', color: 'red' }, ['color']],
    ['an unknown field', { name: 'work', icon: 'star' }, ['icon']],
  ])('rejects %s', (_name, input, fields) => {
    const { docs, ctx } = setup();
    expect(invalidFields(() => createTag(docs, input as TagCreateInput, ctx))).toEqual(fields);
    expect(listTags(docs)).toEqual([]);
  });

  it('ends with one tag when two devices create the same tag offline', () => {
    const { docs: a, ctx } = setup();
    const b = cloneReplica(a, 2);
    createTag(a, { name: 'Work', color: '#ff0000' }, ctx);
    createTag(b, { name: 'work ', color: '#0000ff' }, manualContext('b'));
    const taskOnA = createTask(a, { title: 'report', tags: ['WORK'] }, ctx);
    const taskOnB = createTask(b, { title: 'slides', tags: ['work'] }, manualContext('b'));
    sync(a, b);
    expect(keys(a)).toEqual(['work']);
    expect(listTags(a)).toEqual(listTags(b));
    for (const docs of [a, b]) {
      expect(getTask(docs, taskOnA.id)?.tags).toEqual(['work']);
      expect(getTask(docs, taskOnB.id)?.tags).toEqual(['work']);
    }
  });

  it('creates the tags a task names that do not exist yet, once each', () => {
    const { docs, ctx } = setup();
    createTask(docs, { title: 'a', tags: ['Garden', 'garden ', 'Home'] }, ctx);
    expect(listTags(docs).map((tag) => [tag.key, tag.name])).toEqual([
      ['garden', 'Garden'],
      ['home', 'Home'],
    ]);
  });
});

describe('updateTag', () => {
  it('moves every task to the renamed tag and keeps its id and colour', () => {
    const { docs, ctx } = setup();
    const tag = createTag(docs, { name: 'Work', color: '#ff0000' }, ctx);
    const task = createTask(docs, { title: 'report', tags: ['work', 'urgent'] }, ctx);
    const other = createTask(docs, { title: 'walk', tags: ['urgent'] }, ctx);
    const renamed = updateTag(docs, tag.id, { name: 'Office' }, ctx);
    expect(renamed).toMatchObject({ id: tag.id, key: 'office', name: 'Office', color: '#ff0000' });
    expect(keys(docs)).toEqual(['office', 'urgent']);
    expect(getTask(docs, task.id)?.tags).toEqual(['office', 'urgent']);
    expect(getTask(docs, other.id)?.tags).toEqual(['urgent']);
  });

  it('changes only the display name when the new name differs in case', () => {
    const { docs, ctx } = setup();
    createTag(docs, { name: 'Work' }, ctx);
    const task = createTask(docs, { title: 'report', tags: ['work'] }, ctx);
    const renamed = updateTag(docs, 'work', { name: 'WORK' }, ctx);
    expect(renamed).toMatchObject({ key: 'work', name: 'WORK' });
    expect(getTask(docs, task.id)?.tags).toEqual(['work']);
  });

  it('recolours a tag', () => {
    const { docs, ctx } = setup();
    createTag(docs, { name: 'Work' }, ctx);
    expect(updateTag(docs, 'work', { color: '#00FF00' }, ctx).color).toBe('#00ff00');
  });

  it('rejects a rename onto the name of another tag and leaves both tags alone', () => {
    const { docs, ctx } = setup();
    createTag(docs, { name: 'Work' }, ctx);
    createTag(docs, { name: 'Home' }, ctx);
    const task = createTask(docs, { title: 'report', tags: ['work'] }, ctx);
    const before = listTags(docs);
    expect(() => updateTag(docs, 'work', { name: ' home ' }, ctx)).toThrow(ConflictError);
    expect(listTags(docs)).toEqual(before);
    expect(getTask(docs, task.id)?.tags).toEqual(['work']);
  });

  it('leaves the colour alone when a rename with a new colour is rejected', () => {
    const { docs, ctx } = setup();
    createTag(docs, { name: 'Work', color: '#ff0000' }, ctx);
    createTag(docs, { name: 'Home' }, ctx);
    expect(() => updateTag(docs, 'work', { name: 'Home', color: '#00ff00' }, ctx)).toThrow(
      ConflictError,
    );
    expect(getTagByKey(docs, 'work')?.color).toBe('#ff0000');
  });

  it('reports an unknown tag as not found', () => {
    const { docs, ctx } = setup();
    expect(() => updateTag(docs, 'missing', { name: 'x' }, ctx)).toThrow(NotFoundError);
  });
});

describe('deleteTag', () => {
  it('deletes a tag and removes it from every task', () => {
    const { docs, ctx } = setup();
    const a = createTask(docs, { title: 'a', tags: ['work', 'home'] }, ctx);
    const b = createTask(docs, { title: 'b', tags: ['work'] }, ctx);
    deleteTag(docs, 'work');
    expect(keys(docs)).toEqual(['home']);
    expect(getTask(docs, a.id)?.tags).toEqual(['home']);
    expect(getTask(docs, b.id)?.tags).toEqual([]);
  });

  it('deletes a tag by its id', () => {
    const { docs, ctx } = setup();
    const tag = createTag(docs, { name: 'Work' }, ctx);
    deleteTag(docs, tag.id);
    expect(listTags(docs)).toEqual([]);
  });

  it('reports an unknown tag as not found', () => {
    const { docs } = setup();
    expect(() => deleteTag(docs, 'missing')).toThrow(NotFoundError);
  });
});

describe('reading tags another client wrote', () => {
  function writeJunkTag(docs: UserDocs, key: string, fields: Record<string, unknown>): void {
    const map = new Y.Map<unknown>();
    tagsOf(docs.main).set(key, map);
    for (const [field, value] of Object.entries(fields)) map.set(field, value);
  }

  it('skips a tag value that is not a map', () => {
    const { docs, ctx } = setup();
    createTag(docs, { name: 'Work' }, ctx);
    tagsOf(docs.main).set('junk', 42);
    tagsOf(docs.main).set('text', 'not a tag');
    expect(keys(docs)).toEqual(['work']);
    expect(getTagByKey(docs, 'junk')).toBeNull();
  });

  it('falls back to defaults for wrong-typed fields', () => {
    const { docs } = setup();
    writeJunkTag(docs, 'work', { id: 7, name: 12, color: 'red', createdAt: 'yesterday' });
    expect(getTagByKey(docs, 'work')).toEqual({
      id: 'work',
      key: 'work',
      name: 'work',
      color: DEFAULT_TAG_COLOR,
      createdAt: '1970-01-01T00:00:00Z',
    });
  });

  it.each([['red'], ['#12345'], ['#gggggg'], [12345]])(
    'shows the default colour for the colour %s',
    (color) => {
      const { docs } = setup();
      writeJunkTag(docs, 'work', { name: 'Work', color });
      expect(getTagByKey(docs, 'work')?.color).toBe(DEFAULT_TAG_COLOR);
    },
  );

  it('clamps an over-long name to 50 characters', () => {
    const { docs } = setup();
    writeJunkTag(docs, 'long', { name: 'x'.repeat(80) });
    expect(getTagByKey(docs, 'long')?.name).toBe('x'.repeat(50));
  });
});

describe('invisible characters in tag names', () => {
  it('treats a name with a soft hyphen or zero-width space as the same tag', async () => {
    const { normalizeTagName } = await import('./tags.js');
    expect(normalizeTagName('wor\u00ADk')).toBe('work');
    expect(normalizeTagName('\u200Bwork')).toBe('work');
  });
});
