/**
 * Marks secret fields in the zod schemas, so every consumer that must hide them (the effective
 * config sent to the cloud, see config/redact-config.ts) finds them from the schema itself: a new
 * secret field is marked where it is declared, next to its type, and cannot be forgotten elsewhere.
 *
 * A registry of its own, not zod's global metadata, so the generated JSON Schemas stay unchanged.
 */
import { z } from 'zod';

/** `value`: the whole value is secret. `url-credentials`: only the password in a URL's user info. */
export type SecretKind = 'value' | 'url-credentials';

export const secretRegistry = z.registry<{ secret: SecretKind }>();

/** Declares `schema` (a string field) secret; wrap before .optional()/.default(). */
export function secret<T extends z.ZodType>(schema: T, kind: SecretKind = 'value'): T {
  secretRegistry.add(schema, { secret: kind });
  return schema;
}

export function secretKind(schema: z.core.$ZodType): SecretKind | undefined {
  return secretRegistry.get(schema)?.secret;
}
