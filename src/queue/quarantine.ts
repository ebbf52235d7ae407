/**
 * Recovery from a damaged queue directory: the operator asks for it (`edgeway run
 * --reset-corrupt-queue`), the directory is moved aside, never deleted, so it can be inspected or
 * handed to LevelDB's repair tools later, and the gateway starts with an empty queue.
 */
import { rename } from 'node:fs/promises';

/** `20261125T173328Z`: ISO 8601 basic format, no colons, so the name is valid on every file system. */
export function compactIsoTime(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Renames `path` to `<path>.corrupt-<time>` and returns the new name. */
export async function moveAside(path: string, now: Date = new Date()): Promise<string> {
  const aside = `${path}.corrupt-${compactIsoTime(now)}`;
  await rename(path, aside);
  return aside;
}
