/**
 * JSON field paths of MQTT device models: `temperature`, `env.hum`, `readings[0].v`. Parsed once
 * when the model loads; looked up for every message without allocating.
 */
import type { FieldStep } from '../../catalog/types.js';

/** Steps of a path that matched FIELD_PATH_RE (model-schema.ts). */
export function parseFieldPath(field: string): FieldStep[] {
  const steps: FieldStep[] = [];
  for (const part of field.split('.')) {
    const bracket = part.indexOf('[');
    steps.push(bracket < 0 ? part : part.slice(0, bracket));
    if (bracket < 0) continue;
    for (const m of part.slice(bracket).matchAll(/\[(\d+)\]/g)) steps.push(Number(m[1]));
  }
  return steps;
}

/** The value at `path`, or undefined when any step is missing (own properties only). */
export function lookup(root: unknown, path: readonly FieldStep[]): unknown {
  let cur: unknown = root;
  for (const step of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step];
    } else {
      if (Array.isArray(cur) || !Object.hasOwn(cur, step)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}
