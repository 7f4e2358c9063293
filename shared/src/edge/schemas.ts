/**
 * What a schema found wrong with an event or a message, in words for the log
 * and the dead-letter queue: where, and what was expected. Zod's own messages
 * name types and expected values, never the value received; a body that is not
 * JSON is said so plainly, since the JSON parser's message quotes the text.
 */
import type { z } from 'zod';

/** The first `limit` issues of `error` as `path: what was expected`, joined by `; `. */
export function issuesOf(error: z.ZodError, limit = 5): string {
  return error.issues
    .slice(0, limit)
    .map((issue) => {
      const where = issue.path.map(String).join('.') || 'the whole';
      const what = issue.code === 'custom' && issue.message.startsWith('Invalid JSON') ? 'is not JSON' : issue.message;
      return `${where}: ${what}`;
    })
    .join('; ');
}
