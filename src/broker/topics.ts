/**
 * MQTT topic filter arithmetic for the broker's ACLs: does a filter match a topic, and does an
 * allowed pattern cover every topic a requested subscription filter could match (so a wildcard
 * subscription such as `#` or `+/data` cannot reach past what the client was granted).
 */

/** MQTT matching: `+` one level, `#` this level and everything below; `$` topics only by literal first level. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** True when every topic `filter` can match is also matched by `pattern`. */
export function filterCovers(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  // A filter whose first level is a wildcard never matches `$` topics; a `$` filter needs a literal grant.
  if (f[0]?.startsWith('$') === true && p[0] !== f[0]) return false;
  for (let i = 0; i < f.length; i++) {
    const pl = p[i];
    const fl = f[i];
    if (pl === '#') return true;
    if (pl === undefined) return false;
    if (fl === '#') return false;
    if (pl === '+') continue;
    if (fl === '+' || pl !== fl) return false;
  }
  // `a/#` also matches `a` itself.
  return p.length === f.length || (p.length === f.length + 1 && p[f.length] === '#');
}

/** A well-formed filter: `#` only last and alone in its level, `+` alone in its level. */
export function validFilter(filter: string): boolean {
  if (filter === '') return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
}

/**
 * Replaces `%u` and `%c` in an ACL pattern. A value that would change the pattern's shape (it holds
 * `/`, `+` or `#`, or is missing) makes the pattern grant nothing: returns undefined.
 */
export function expandPattern(pattern: string, username: string | undefined, clientId: string): string | undefined {
  const unsafe = (v: string | undefined) => v === undefined || v === '' || /[/+#]/.test(v);
  if (pattern.includes('%u') && unsafe(username)) return undefined;
  if (pattern.includes('%c') && unsafe(clientId)) return undefined;
  return pattern.replaceAll('%u', username ?? '').replaceAll('%c', clientId);
}
