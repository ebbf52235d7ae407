/**
 * What remote config keeps on disk, under <gateway.dataDir>/config/:
 *   last-good.json  the last desired config that passed its health check, with the hash of the
 *                   local site file at that moment (boot.ts uses it to decide precedence)
 *   reported.json   the last report, so a desired version already handled is not applied again
 *                   after a restart when the broker delivers the retained message anew
 * Both are written atomically; a damaged file reads as absent (and is logged by the caller).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.js';
import { desiredConfigSchema, reportedConfigSchema, type ReportedConfig } from './remote-payload.js';

export const lastGoodSchema = desiredConfigSchema.extend({
  /** sha256 (hex) of the local site file when this config was recorded. */
  localHash: z.string(),
  appliedAt: z.int(),
});
export type LastGood = z.output<typeof lastGoodSchema>;

const stateSchema = z.object({
  report: reportedConfigSchema,
  /** sha256 of the desired message that produced the report (identifies messages without a readable version). */
  digest: z.string(),
});
export type RemoteState = z.output<typeof stateSchema>;

export function configStateDir(dataDir: string): string {
  return path.join(dataDir, 'config');
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash of a file's bytes, or undefined when it cannot be read. */
export async function fileHash(file: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(file));
  } catch {
    return undefined;
  }
}

export type Read<T> = { value?: T; error?: string };

export class RemoteConfigStore {
  constructor(readonly dir: string) {}

  get lastGoodFile(): string {
    return path.join(this.dir, 'last-good.json');
  }

  get stateFile(): string {
    return path.join(this.dir, 'reported.json');
  }

  readLastGood(): Promise<Read<LastGood>> {
    return readJson(this.lastGoodFile, lastGoodSchema);
  }

  async writeLastGood(value: LastGood): Promise<void> {
    await writeFileAtomic(this.lastGoodFile, JSON.stringify(value));
  }

  readState(): Promise<Read<RemoteState>> {
    return readJson(this.stateFile, stateSchema);
  }

  async writeState(report: ReportedConfig, digest: string): Promise<void> {
    await writeFileAtomic(this.stateFile, JSON.stringify({ report, digest }));
  }
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<Read<T>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { error: `${file}: cannot read (${code ?? String(err)})` };
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? { value: parsed.data } : { error: `${file}: not a valid record (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  } catch (err) {
    return { error: `${file}: not JSON (${(err as Error).message})` };
  }
}
