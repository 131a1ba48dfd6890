import { z } from '@hono/zod-openapi';
import { ErrorSchema } from './api-schemas.js';

/** Response shapes of the catalog areas (projects and tags), spec section 4. */

const instant = z.string().openapi({ example: '2025-10-06T14:30:00Z' });
const color = z.string().openapi({ description: 'Hex colour', example: '#3b82f6' });

export const ProjectSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string(),
    description: z.string(),
    color,
    is_archived: z.boolean(),
    created_at: instant,
    updated_at: instant,
  })
  .openapi('Project');

export const TagSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string().openapi({ description: 'As typed; unique per user ignoring case and spaces' }),
    color,
    created_at: instant,
  })
  .openapi('Tag');

/** A whole collection (`{ items }`): a user has tens of projects and tags, not thousands. */
export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item) }).openapi(name);
}

export const conflictResponse = {
  409: {
    description: 'Would break a uniqueness rule (the field is named)',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;
