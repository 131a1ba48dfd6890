import * as Y from 'yjs';
import type { DocContext } from './context.js';
import { toIso } from './dates.js';
import { ConflictError, NotFoundError } from './errors.js';
import { asMap, readBoolean, readInstant, readString, writeField } from './record-fields.js';
import type { Project } from './schema.js';
import { projectsOf, tasksOf, type UserDocs } from './user-docs.js';
import {
  type ProjectCreateInput,
  type ProjectPatch,
  parseInput,
  projectCreateInput,
  projectPatch,
} from './validation.js';

export const DEFAULT_PROJECT_COLOR = '#3b82f6';
const EPOCH = toIso(new Date(0));

export function readProject(id: string, value: unknown): Project | null {
  const map = asMap(value);
  if (!map) return null;
  const createdAt = readInstant(map, 'createdAt') ?? EPOCH;
  const color = readString(map, 'color');
  return {
    id,
    name: readString(map, 'name').slice(0, 100) || 'Untitled project',
    description: readString(map, 'description'),
    color: /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(color) ? color : DEFAULT_PROJECT_COLOR,
    isArchived: readBoolean(map, 'isArchived'),
    createdAt,
    updatedAt: readInstant(map, 'updatedAt') ?? createdAt,
  };
}

export function getProject(docs: UserDocs, id: string): Project | null {
  return readProject(id, projectsOf(docs.main).get(id));
}

/**
 * The user's projects by name. Archived ones are included unless `includeArchived` is false:
 * reports still need them (time tracked on a project outlives its archiving), pickers do not.
 */
export function listProjects(
  docs: UserDocs,
  options: { includeArchived?: boolean } = {},
): Project[] {
  const includeArchived = options.includeArchived ?? true;
  const projects: Project[] = [];
  for (const [id, value] of projectsOf(docs.main).entries()) {
    const project = readProject(id, value);
    if (project && (includeArchived || !project.isArchived)) projects.push(project);
  }
  return projects.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

export function createProject(docs: UserDocs, input: ProjectCreateInput, ctx: DocContext): Project {
  const valid = parseInput(projectCreateInput, input);
  const id = valid.id ?? ctx.newId();
  const projects = projectsOf(docs.main);
  if (projects.has(id)) throw new ConflictError(`project ${id} already exists`, 'id');
  const now = toIso(ctx.now());
  docs.main.transact(() => {
    const map = new Y.Map<unknown>();
    projects.set(id, map);
    map.set('name', valid.name);
    if (valid.description) map.set('description', valid.description);
    map.set('color', valid.color ?? DEFAULT_PROJECT_COLOR);
    if (valid.isArchived) map.set('isArchived', true);
    map.set('createdAt', now);
    map.set('updatedAt', now);
  });
  return getProject(docs, id) as Project;
}

export function updateProject(
  docs: UserDocs,
  id: string,
  patch: ProjectPatch,
  ctx: DocContext,
): Project {
  const valid = parseInput(projectPatch, patch);
  const map = asMap(projectsOf(docs.main).get(id));
  if (!map) throw new NotFoundError('project', id);
  docs.main.transact(() => {
    if (valid.name !== undefined) writeField(map, 'name', valid.name);
    if (valid.description !== undefined) writeField(map, 'description', valid.description || null);
    if (valid.color !== undefined) writeField(map, 'color', valid.color);
    if (valid.isArchived !== undefined) writeField(map, 'isArchived', valid.isArchived || null);
    map.set('updatedAt', toIso(ctx.now()));
  });
  return getProject(docs, id) as Project;
}

/** Deletes a project; its tasks stay, without a project. */
export function deleteProject(docs: UserDocs, id: string, ctx: DocContext): void {
  const projects = projectsOf(docs.main);
  if (!asMap(projects.get(id))) throw new NotFoundError('project', id);
  const now = toIso(ctx.now());
  docs.main.transact(() => {
    projects.delete(id);
    for (const value of tasksOf(docs.main).values()) {
      const task = asMap(value);
      if (task && task.get('projectId') === id) {
        task.delete('projectId');
        task.set('updatedAt', now);
      }
    }
  });
}
