/**
 * Config problems: every mistake in a config or model file, reported as
 * `file:line: path: message (hint)` so an engineer can fix them all in one pass.
 */
import path from 'node:path';
import type { z } from 'zod';
import { knownKeysAt } from './known-keys.js';

export type ConfigPath = readonly PropertyKey[];

export interface ConfigProblem {
  readonly file: string;
  readonly path: ConfigPath;
  readonly message: string;
  readonly hint?: string;
  readonly line?: number;
}

/** `devices[0].connection.port` */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** `file:line: path: message (hint: ...)`, with the file relative to `base` when it lies below it. */
export function formatProblem(p: ConfigProblem, base: string = process.cwd()): string {
  const rel = path.relative(base, p.file);
  const file = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p.file;
  const where = p.line === undefined ? file : `${file}:${p.line}`;
  const hint = p.hint === undefined ? '' : ` (hint: ${p.hint})`;
  return `${where}: ${formatPath(p.path)}: ${p.message}${hint}`;
}

type Issue = z.core.$ZodIssue;

function issueMessage(issue: Issue): { message: string; hint?: string } {
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
        hint: 'check the spelling; the JSON Schema in config/schema/ lists every allowed key',
      };
    case 'invalid_type':
      return issue.input === undefined
        ? { message: `required: expected ${issue.expected}` }
        : { message: `expected ${issue.expected}, got ${describe(issue.input)}` };
    case 'invalid_value':
      return {
        message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(issue.input)}`,
      };
    case 'invalid_key':
      return { message: `key ${describe(issue.input)}: ${issue.issues[0]?.message ?? issue.message}` };
    case 'invalid_union':
      return { message: firstUnionMessage(issue) ?? 'value does not match any allowed form' };
    case 'too_big':
      return { message: `${bound(issue.origin, 'at most', issue.maximum, issue.inclusive)}, got ${describe(issue.input)}` };
    case 'too_small':
      return { message: `${bound(issue.origin, 'at least', issue.minimum, issue.inclusive)}, got ${describe(issue.input)}` };
    default:
      return { message: issue.message };
  }
}

function firstUnionMessage(issue: Issue & { code: 'invalid_union' }): string | undefined {
  const branches = issue.errors;
  const note = 'note' in issue && typeof issue.note === 'string' ? issue.note : undefined;
  if (note !== undefined) return issue.message;
  const messages = branches.flat().map((i) => i.message);
  return messages.find((m) => !m.startsWith('Invalid input')) ?? messages[0];
}

function bound(origin: string, word: 'at most' | 'at least', limit: number | bigint, inclusive = true): string {
  const strict = word === 'at most' ? 'below' : 'above';
  const what = origin === 'array' || origin === 'set' ? ' items' : origin === 'string' ? ' characters' : '';
  return inclusive ? `must be ${word} ${limit}${what}` : `must be ${strict} ${limit}${what}`;
}

function describe(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input);
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (Array.isArray(input)) return 'a list';
  return typeof input === 'object' ? 'a mapping' : typeof input;
}

/** One problem per zod issue; `schema` (the one that was applied) improves hints on unknown keys. */
export function problemsFromZod(file: string, issues: readonly Issue[], schema?: z.ZodType, basePath: ConfigPath = []): ConfigProblem[] {
  return issues.map((issue) => {
    const { message, hint: general } = issueMessage(issue);
    const hint = (issue.code === 'unrecognized_keys' && schema ? keyHint(schema, issue.path, issue.keys) : undefined) ?? general;
    return { file, path: [...basePath, ...issue.path], message, ...(hint === undefined ? {} : { hint }) };
  });
}

function keyHint(schema: z.ZodType, path: readonly PropertyKey[], keys: readonly string[]): string | undefined {
  const known = knownKeysAt(schema, path).filter((k) => k !== '$schema');
  if (known.length === 0) return undefined;
  if (keys.some((k) => known.includes(k))) return 'this key belongs to another variant here (check transport, type or protocol)';
  const guesses = keys.map((k) => closest(k, known)).filter((g): g is string => g !== undefined);
  if (guesses.length > 0) return `did you mean ${guesses.map((g) => `"${g}"`).join(', ')}?`;
  return `allowed here: ${known.join(', ')}`;
}

/** Levenshtein distance, for "did you mean" hints on ids. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(3, Math.floor(word.length / 3)) ? best : undefined;
}
