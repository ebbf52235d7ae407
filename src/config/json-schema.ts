/**
 * JSON Schemas generated from the zod schemas (the one source of truth), for the YAML language
 * server: a file starting with `$schema: ...` or `# yaml-language-server: $schema=...` gets
 * autocompletion and inline errors in editors.
 */
import { z } from 'zod';
import { modelSchema } from './model-schema.js';
import { siteSchema } from './site-schema.js';

export const SCHEMA_DIR = 'config/schema';

function render(schema: z.ZodType, id: string, title: string): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...json, $id: id, title }, null, 2)}\n`;
}

/** File name (inside config/schema/) -> JSON text. */
export function jsonSchemas(): Record<string, string> {
  return {
    'site.schema.json': render(siteSchema, 'https://edgeway.dev/schema/site.schema.json', 'Edgeway site config (config/*.yaml)'),
    'model.schema.json': render(modelSchema, 'https://edgeway.dev/schema/model.schema.json', 'Edgeway device model (adapters/<vendor>/<model>.yaml)'),
  };
}
