/**
 * The running config with its secrets hidden, for the cloud's "effective config" command. Driven by
 * the schema: every field marked with `secret()` (config/secret.ts) is replaced by REDACTED wherever
 * it occurs (inside arrays, records, unions), so nothing needs a second list of secret paths.
 * A secret that is not set stays absent: the answer shows whether a password is configured, never
 * what it is. URLs marked `url-credentials` keep everything but the password of their user info.
 */
import type { z } from 'zod';
import { secretKind, type SecretKind } from './secret.js';
import { siteSchema } from './site-schema.js';

export const REDACTED = '[redacted]';

type Schema = z.core.$ZodType;

/** Definition fields of the zod node types walked here (zod 4 `_zod.def`). */
interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly out?: Schema;
  readonly shape?: Record<string, Schema>;
  readonly catchall?: Schema;
  readonly element?: Schema;
  readonly valueType?: Schema;
  readonly options?: readonly Schema[];
  readonly left?: Schema;
  readonly right?: Schema;
  readonly items?: readonly Schema[];
  readonly getter?: () => Schema;
}

const defOf = (s: Schema): Def => s._zod.def;

/** Wrappers that do not change the shape of the value they hold. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional', 'success']);

/** A copy of `value` (a parsed config, or part of one) with every secret of `schema` hidden. */
export function redactConfig(value: unknown, schema: Schema = siteSchema): unknown {
  return walk(schema, value, 0);
}

function walk(schema: Schema, value: unknown, depth: number): unknown {
  if (value === undefined || depth > 64) return value;
  const kind = secretKind(schema);
  if (kind !== undefined) return hide(value, kind);
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return walk(def.innerType, value, depth + 1);
  switch (def.type) {
    case 'pipe':
      // A transform has no shape: walk what went into it (e.g. duration strings became numbers).
      return def.out && defOf(def.out).type !== 'transform' ? walk(def.out, value, depth + 1) : def.in ? walk(def.in, value, depth + 1) : value;
    case 'lazy':
      return def.getter ? walk(def.getter(), value, depth + 1) : value;
    case 'object':
      return isRecord(value) ? mapEntries(value, (k, v) => {
        const field = def.shape?.[k] ?? def.catchall;
        return field ? walk(field, v, depth + 1) : v;
      }) : value;
    case 'record':
      return isRecord(value) && def.valueType ? mapEntries(value, (_k, v) => walk(def.valueType as Schema, v, depth + 1)) : value;
    case 'array':
      return Array.isArray(value) && def.element ? value.map((v) => walk(def.element as Schema, v, depth + 1)) : value;
    case 'tuple':
      return Array.isArray(value) ? (value as unknown[]).map((v, i) => { const item = def.items?.[i]; return item ? walk(item, v, depth + 1) : v; }) : value;
    case 'union':
      // Every option's secrets are hidden: a value that fits several options loses all of them.
      return (def.options ?? []).reduce<unknown>((v, option) => walk(option, v, depth + 1), value);
    case 'intersection':
      return def.left && def.right ? walk(def.right, walk(def.left, value, depth + 1), depth + 1) : value;
    default:
      return value;
  }
}

function hide(value: unknown, kind: SecretKind): unknown {
  if (kind === 'url-credentials' && typeof value === 'string') return redactUrlPassword(value);
  return REDACTED;
}

/**
 * `mqtt://user:pw@host` -> `mqtt://user:[redacted]@host`. The user info runs to the LAST '@' (a
 * password may hold '@', '/', '?' or '#'): a path with an '@' is over-redacted, never a password
 * under-redacted. A value that is not `scheme://…` is hidden whole.
 */
export function redactUrlPassword(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(url);
  if (!m) return REDACTED;
  const scheme = m[1] ?? '';
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return url;
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  if (colon < 0) return url;
  return `${scheme}${userInfo.slice(0, colon)}:${REDACTED}@${rest.slice(at + 1)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mapEntries(o: Record<string, unknown>, f: (k: string, v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(k, v);
  return out;
}

export interface FieldInfo {
  /** e.g. `cloud.password`, `broker.users[].password`, `devices[].groups.*.interval`. */
  readonly path: string;
  readonly secret?: SecretKind;
}

/**
 * Every leaf field the schema declares, with its secret marking: what the redaction will hide.
 * Tests use it to find fields whose names look secret but are not marked.
 */
export function schemaFields(schema: Schema = siteSchema): FieldInfo[] {
  const out = new Map<string, FieldInfo>();
  const visit = (s: Schema, path: string, depth: number): void => {
    if (depth > 32) return;
    const kind = secretKind(s);
    if (kind !== undefined) {
      out.set(path, { path, secret: kind });
      return;
    }
    const def = defOf(s);
    const next = (child: Schema | undefined, p: string) => child && visit(child, p, depth + 1);
    if (WRAPPERS.has(def.type)) return next(def.innerType, path);
    switch (def.type) {
      case 'pipe':
        return next(def.out && defOf(def.out).type !== 'transform' ? def.out : def.in, path);
      case 'lazy':
        return next(def.getter?.(), path);
      case 'object':
        for (const [k, v] of Object.entries(def.shape ?? {})) next(v, path === '' ? k : `${path}.${k}`);
        return next(def.catchall, `${path}.*`);
      case 'record':
        return next(def.valueType, `${path}.*`);
      case 'array':
        return next(def.element, `${path}[]`);
      case 'tuple':
        return (def.items ?? []).forEach((item, i) => next(item, `${path}[${i}]`));
      case 'union':
        return (def.options ?? []).forEach((o) => next(o, path));
      case 'intersection':
        next(def.left, path);
        return next(def.right, path);
      case 'never':
        return; // the catchall of a strict object: no field
      default:
        if (!out.has(path)) out.set(path, { path });
    }
  };
  visit(schema, '', 0);
  return [...out.values()];
}
