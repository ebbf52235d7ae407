/**
 * The keys a zod object schema allows at a path of the data, for "did you mean" hints on unknown
 * keys. Best effort: walks objects, arrays, records, optionals/defaults and (discriminated) unions.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function objectsAt(schema: z.ZodType, path: readonly PropertyKey[]): Def[] {
  const def = defOf(schema);
  const inner = def.innerType ?? def.in;
  if (inner && def.type !== 'object') return objectsAt(inner, path);
  if (def.type === 'union' && def.options) return def.options.flatMap((o) => objectsAt(o, path));
  const [head, ...rest] = path;
  if (head === undefined) return def.type === 'object' ? [def] : [];
  if (def.type === 'object' && typeof head === 'string' && def.shape?.[head]) return objectsAt(def.shape[head], rest);
  if (def.type === 'array' && typeof head === 'number' && def.element) return objectsAt(def.element, rest);
  if (def.type === 'record' && def.valueType) return objectsAt(def.valueType, rest);
  return [];
}

export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})))];
}
