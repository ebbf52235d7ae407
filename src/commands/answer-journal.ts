/**
 * The answers of acting commands (write, restart-device) on disk, so the duplicate memory survives
 * a restart: a cloud that retries a write after a power cut (it never got the answer) within the
 * write's expiry gets the first answer, and the robot does not move twice. One JSON line per answer,
 * fsynced (writes are rare); at start, lines older than the window are dropped and the file is
 * rewritten (temp file + rename), so it stays small. A damaged line is skipped, never fatal.
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { cloudCommandResponseSchema, type CloudCommandResponse } from './schema.js';

export interface JournalEntry {
  readonly id: string;
  readonly fingerprint: string;
  /** When the request was first seen, ms since the epoch. */
  readonly at: number;
  readonly answer: CloudCommandResponse;
}

const entrySchema = z.object({ id: z.string(), fingerprint: z.string(), at: z.number(), answer: cloudCommandResponseSchema });

/** Journals kept at most (matches the memory's limit for acting commands). */
const MAX_ENTRIES = 20_000;

export class AnswerJournal {
  private handle: FileHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private loggedFailure = false;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** Reads the answers still inside `windowMs`, compacts the file and opens it for appending. */
  async start(windowMs: number, now: number): Promise<JournalEntry[]> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err: errorMessage(err), file: this.file }, 'command answer journal unreadable; starting empty');
    }
    const entries = text.split('\n').flatMap((line) => {
      if (line.trim() === '') return [];
      try {
        const parsed = entrySchema.safeParse(JSON.parse(line));
        return parsed.success && parsed.data.at > now - windowMs ? [parsed.data] : [];
      } catch {
        return [];
      }
    }).slice(-MAX_ENTRIES);
    const tmp = `${this.file}.tmp`;
    const out = await open(tmp, 'w', 0o600);
    try {
      await out.writeFile(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.file);
    this.handle = await open(this.file, 'a', 0o600);
    return entries;
  }

  /** Appends one answer (in call order); a failure is logged once and never thrown. */
  append(entry: JournalEntry): Promise<void> {
    this.writing = this.writing.then(async () => {
      const handle = this.handle;
      if (handle === undefined) return;
      try {
        await handle.write(`${JSON.stringify(entry)}\n`);
        await handle.datasync();
      } catch (err) {
        if (this.loggedFailure) return;
        this.loggedFailure = true;
        this.logger.error({ err: errorMessage(err), file: this.file }, 'cannot record a command answer: a retry after a restart could run it again');
      }
    });
    return this.writing;
  }

  async stop(): Promise<void> {
    await this.writing;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
