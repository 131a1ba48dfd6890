import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ConflictError, NotFoundError } from './errors.js';
import {
  createProject,
  DEFAULT_PROJECT_COLOR,
  deleteProject,
  getProject,
  listProjects,
  updateProject,
} from './projects.js';
import { createTask, getTask, listTasks, updateTask } from './tasks.js';
import {
  cloneReplica,
  invalidFields,
  manualContext,
  replica,
  sync,
  TEST_USER as USER,
} from './test-support.js';
import { migrateDocument, projectsOf } from './user-docs.js';
import type { ProjectCreateInput } from './validation.js';

const MINUTE = 60_000;

function setup() {
  const docs = replica(1);
  migrateDocument(docs.main, USER);
  return { docs, ctx: manualContext('project') };
}

describe('createProject', () => {
  it('creates an active project with the default colour and no description', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: ' Garden ' }, ctx);
    expect(project).toEqual({
      id: 'project-001',
      name: 'Garden',
      description: '',
      color: DEFAULT_PROJECT_COLOR,
      isArchived: false,
      createdAt: '2025-03-01T10:00:00Z',
      updatedAt: '2025-03-01T10:00:00Z',
    });
    const stored = projectsOf(docs.main).get(project.id) as Y.Map<unknown>;
    expect([...stored.keys()].sort()).toEqual(['color', 'createdAt', 'name', 'updatedAt']);
  });

  it('keeps the description, colour (lower-cased) and archived flag given', () => {
    const { docs, ctx } = setup();
    const project = createProject(
      docs,
      { id: 'p1', name: 'Old', description: 'done', color: '#ABC', isArchived: true },
      ctx,
    );
    expect(project).toMatchObject({
      id: 'p1',
      description: 'done',
      color: '#abc',
      isArchived: true,
    });
  });

  it('lists projects by name', () => {
    const { docs, ctx } = setup();
    for (const name of ['Work', 'garden', 'Admin']) createProject(docs, { name }, ctx);
    expect(listProjects(docs).map((p) => p.name)).toEqual(['Admin', 'garden', 'Work']);
  });

  it('leaves archived projects out of the list only when asked to', () => {
    const { docs, ctx } = setup();
    createProject(docs, { name: 'Active' }, ctx);
    createProject(docs, { name: 'Done', isArchived: true }, ctx);
    expect(listProjects(docs).map((p) => p.name)).toEqual(['Active', 'Done']);
    expect(listProjects(docs, { includeArchived: false }).map((p) => p.name)).toEqual(['Active']);
    expect(listProjects(docs, { includeArchived: true })).toHaveLength(2);
  });

  it('refuses an id that is already taken', () => {
    const { docs, ctx } = setup();
    createProject(docs, { id: 'p1', name: 'A' }, ctx);
    expect(() => createProject(docs, { id: 'p1', name: 'B' }, ctx)).toThrow(ConflictError);
    expect(getProject(docs, 'p1')?.name).toBe('A');
  });

  it.each([
    ['an empty name', { name: '  ' }, ['name']],
    ['a name of 101 characters', { name: 'x'.repeat(101) }, ['name']],
    ['a colour that is not hex', { name: 'a', color: 'blue' }, ['color']],
    ['an archived flag that is not a boolean', { name: 'a', isArchived: 'yes' }, ['isArchived']],
    ['an unknown field', { name: 'a', owner: 'me' }, ['owner']],
  ])('rejects %s, naming the field', (_name, input, fields) => {
    const { docs, ctx } = setup();
    expect(invalidFields(() => createProject(docs, input as ProjectCreateInput, ctx))).toEqual(
      fields,
    );
    expect(listProjects(docs)).toEqual([]);
  });
});

describe('updateProject', () => {
  it('renames a project and bumps updatedAt, leaving the rest', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Garden', color: '#00ff00' }, ctx);
    ctx.advance(MINUTE);
    expect(updateProject(docs, project.id, { name: 'Allotment' }, ctx)).toEqual({
      ...project,
      name: 'Allotment',
      updatedAt: '2025-03-01T10:01:00Z',
    });
  });

  it('archives and unarchives a project', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Garden' }, ctx);
    expect(updateProject(docs, project.id, { isArchived: true }, ctx).isArchived).toBe(true);
    expect(updateProject(docs, project.id, { isArchived: false }, ctx).isArchived).toBe(false);
    const stored = projectsOf(docs.main).get(project.id) as Y.Map<unknown>;
    expect(stored.has('isArchived')).toBe(false);
  });

  it('clears a description set to empty', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Garden', description: 'veg' }, ctx);
    expect(updateProject(docs, project.id, { description: '' }, ctx).description).toBe('');
  });

  it('rejects a bad colour and changes nothing', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Garden' }, ctx);
    expect(invalidFields(() => updateProject(docs, project.id, { color: '#12' }, ctx))).toEqual([
      'color',
    ]);
    expect(getProject(docs, project.id)).toEqual(project);
  });

  it('reports an unknown project as not found', () => {
    const { docs, ctx } = setup();
    expect(() => updateProject(docs, 'missing', { name: 'x' }, ctx)).toThrow(NotFoundError);
  });

  it('merges a rename on one device with archiving on another', () => {
    const { docs: a, ctx } = setup();
    const project = createProject(a, { name: 'Garden' }, ctx);
    const b = cloneReplica(a, 2);
    updateProject(a, project.id, { name: 'Allotment' }, ctx);
    updateProject(b, project.id, { isArchived: true }, manualContext('b'));
    sync(a, b);
    for (const docs of [a, b]) {
      expect(getProject(docs, project.id)).toMatchObject({ name: 'Allotment', isArchived: true });
    }
  });
});

describe('deleteProject', () => {
  it('deletes a project and keeps its tasks, without a project', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Garden' }, ctx);
    const other = createProject(docs, { name: 'Work' }, ctx);
    const inGarden = createTask(docs, { title: 'dig', projectId: project.id }, ctx);
    const atWork = createTask(docs, { title: 'report', projectId: other.id }, ctx);
    ctx.advance(MINUTE);
    deleteProject(docs, project.id, ctx);
    expect(getProject(docs, project.id)).toBeNull();
    expect(listProjects(docs).map((p) => p.name)).toEqual(['Work']);
    expect(getTask(docs, inGarden.id)).toMatchObject({
      projectId: null,
      updatedAt: '2025-03-01T10:01:00Z',
    });
    expect(getTask(docs, atWork.id)?.projectId).toBe(other.id);
  });

  it('reports an unknown project as not found', () => {
    const { docs, ctx } = setup();
    expect(() => deleteProject(docs, 'missing', ctx)).toThrow(NotFoundError);
  });

  it('shows a task moved into a project deleted meanwhile on another device as without project', () => {
    const { docs: a, ctx } = setup();
    const project = createProject(a, { name: 'Garden' }, ctx);
    const task = createTask(a, { title: 'dig' }, ctx);
    const b = cloneReplica(a, 2);
    deleteProject(a, project.id, ctx);
    updateTask(b, task.id, { projectId: project.id }, manualContext('b'));
    sync(a, b);
    for (const docs of [a, b]) {
      expect(listProjects(docs)).toEqual([]);
      expect(getTask(docs, task.id)?.projectId).toBeNull();
      expect(listTasks(docs).map((t) => t.projectId)).toEqual([null]);
    }
  });
});

describe('reading projects another client wrote', () => {
  it('skips values that are not projects and falls back to defaults for junk fields', () => {
    const { docs } = setup();
    const projects = projectsOf(docs.main);
    projects.set('number', 7);
    projects.set('string', 'project');
    const junk = new Y.Map<unknown>();
    projects.set('junk', junk);
    junk.set('name', 42);
    junk.set('description', ['a']);
    junk.set('color', 'blue');
    junk.set('isArchived', 'true');
    junk.set('createdAt', 'long ago');
    expect(listProjects(docs)).toEqual([
      {
        id: 'junk',
        name: 'Untitled project',
        description: '',
        color: DEFAULT_PROJECT_COLOR,
        isArchived: false,
        createdAt: '1970-01-01T00:00:00Z',
        updatedAt: '1970-01-01T00:00:00Z',
      },
    ]);
  });

  it('shows the default colour for a five-digit hex colour', () => {
    const { docs } = setup();
    const map = new Y.Map<unknown>();
    projectsOf(docs.main).set('p', map);
    map.set('name', 'Garden');
    map.set('color', '#12345');
    expect(getProject(docs, 'p')?.color).toBe(DEFAULT_PROJECT_COLOR);
  });

  it('clamps an over-long name to 100 characters', () => {
    const { docs } = setup();
    const map = new Y.Map<unknown>();
    projectsOf(docs.main).set('p', map);
    map.set('name', 'y'.repeat(150));
    expect(getProject(docs, 'p')?.name).toBe('y'.repeat(100));
  });
});
