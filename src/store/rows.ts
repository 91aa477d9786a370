import { z } from 'zod';
import { scheduleChangeSchema } from '../core/course/changes.js';
import type { Actor, ChangeRecord, ClaimRecord } from '../core/ports.js';

// The rows both SQL stores read, checked with zod: the columns are the same in SQLite and PostgreSQL.

export const valueRow = z.object({ value: z.string() });
export const claimRow = z
  .object({
    key: z.string(),
    status: z.enum(['pending', 'sent', 'failed']),
    owner: z.string(),
    lease_until: z.number().int(),
    attempts: z.number().int(),
    message_id: z.string().nullable(),
    error: z.string().nullable(),
    updated_at: z.number().int(),
  })
  .transform(
    (row): ClaimRecord => ({
      key: row.key,
      status: row.status,
      owner: row.owner,
      leaseUntil: row.lease_until,
      attempts: row.attempts,
      updatedAt: row.updated_at,
      ...(row.message_id !== null && { messageId: row.message_id }),
      ...(row.error !== null && { error: row.error }),
    }),
  );
export const keyRow = z.object({ key: z.string() });
const actorSchema = z.object({ platform: z.string(), id: z.string(), name: z.string().optional() });
/** A JSON column read with `schema`: damaged JSON and a wrong shape are both issues, not thrown errors. */
const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, context): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      context.addIssue({ code: 'custom', message: 'not valid JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });
export const changeRow = z
  .object({
    id: z.number().int(),
    course_id: z.string(),
    at: z.number().int(),
    actor: json(actorSchema),
    change: json(scheduleChangeSchema),
    undone_at: z.number().int().nullable(),
    undone_by: json(actorSchema).nullable(),
  })
  .transform(
    (row): ChangeRecord => ({
      id: row.id,
      courseId: row.course_id,
      at: row.at,
      actor: actorOf(row.actor),
      change: row.change,
      ...(row.undone_at !== null && { undoneAt: row.undone_at }),
      ...(row.undone_by !== null && { undoneBy: actorOf(row.undone_by) }),
    }),
  );
export const versionRow = z.object({ count: z.number().int(), last: z.number().int(), undone: z.number().int() });

function actorOf(actor: z.infer<typeof actorSchema>): Actor {
  return { platform: actor.platform, id: actor.id, ...(actor.name !== undefined && { name: actor.name }) };
}

