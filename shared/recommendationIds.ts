/**
 * Every answer carries its own `recommendationId`, so attribution can tell answers apart, while a
 * cache hit costs no write: a hit answers `<id of the served list>.<suffix of this answer>`, and
 * the processor attributes an event to the served list before the dot.
 */
const SEPARATOR = '.';

/** The id of one answer served from the cached list `listId`. */
export const answerId = (listId: string, suffix: string): string => `${listId}${SEPARATOR}${suffix}`;

/** The served list an answer's id belongs to: the part before the first dot, or the id itself. */
export function servedListId(recommendationId: string): string {
  const at = recommendationId.indexOf(SEPARATOR);
  return at < 0 ? recommendationId : recommendationId.slice(0, at);
}
