/*
 * The id rules every schema and route shares, in a module of their own: a bundle that needs only
 * them (every HTTP function) imports no schema and no schema library for them.
 */

/**
 * Characters no URL path segment can carry so that the API gets back the same id: C0 controls,
 * DEL and C1 controls (stripped or refused on the way), and U+FFFD (what a decoder leaves of bytes
 * that were not UTF-8, so two ids would meet).
 */
function hasUnaddressableCharacter(id: string): boolean {
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0xfffd) return true;
  }
  return false;
}

/**
 * Why an id cannot be a URL path segment (`DELETE /v1/users/{id}`), or undefined when it can.
 * `.` and `..` are removed from a path by URL normalisation, in clients and gateways alike.
 */
export function unaddressableId(id: string): string | undefined {
  if (id === '.' || id === '..') return 'must not be "." or ".."';
  if (hasUnaddressableCharacter(id)) {
    return 'must not contain control characters or U+FFFD (what bytes that are not UTF-8 are read as)';
  }
  // A lone surrogate has no UTF-8 form, so no URL can carry it.
  if (!id.isWellFormed()) return 'must not contain unpaired surrogates';
  return undefined;
}
