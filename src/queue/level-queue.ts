/**
 * The durable queue on LevelDB (`level` 10 / classic-level). Format in codec.ts. Appends are one
 * atomic batch together with the sequence high-water mark; without `sync` they survive a process
 * crash (kill -9), with `sync` also a power loss. Commits and drops are not fsynced: a power loss
 * can bring a committed sample back (a duplicate with the same seq), never lose an accepted one.
 */
import { Level } from 'level';
import { isGatewayError } from '../errors.js';
import { CodecError, FIRST_KEY, LAST_KEY, META_CHECKPOINT_KEY, META_SEQ_KEY, decodeSample, entrySize, keySeq, seqKey, withSeq } from './codec.js';
import { corruptError, ioError, openError } from './level-errors.js';
import type { QueueStore, Recovered, StoredEntry } from './store.js';
import { StoreQueue, type StoreQueueOptions } from './store-queue.js';
import { TailCache } from './tail-cache.js';

type Db = Level<string, string>;

/** classic-level's chained batch, below abstract-level's checks: key and value go to the native batch. */
interface RawPut {
  _put(key: string, value: string): void;
}

/** Entries per nextv call while recovering; and the iterator's read-ahead budget. */
const RECOVER_CHUNK = 1000;
const ITERATOR_BYTES = 256 * 1024;
/** Newest entries kept in memory for reads (a few MB; see tail-cache.ts). */
const TAIL_ENTRIES = 16_384;

export class LevelStore implements QueueStore {
  private db: Db | null = null;
  private readonly tail = new TailCache(TAIL_ENTRIES);

  constructor(readonly path: string) {}

  async open(): Promise<Recovered> {
    const db: Db = new Level<string, string>(this.path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try {
      await db.open();
    } catch (err) {
      throw openError(this.path, err);
    }
    try {
      const recovered = await this.recover(db);
      this.db = db;
      this.tail.reset(recovered.lastSeq);
      return recovered;
    } catch (err) {
      await db.close();
      throw isGatewayError(err) ? err : ioError(this.path, 'recovery', err);
    }
  }

  /**
   * A chained batch, filled through the store's own `_put` (abstract-level's interface for its
   * implementations): the public `put` validates, runs hooks and builds an operation object per
   * call, about 120 bytes of garbage per sample here, for keys and values that are plain strings we
   * made. The sequence mark goes through the public `put`, so the batch counts as non-empty and is
   * written. The batch is filled before this returns: nothing holds `values` while the write runs.
   * (abstract-level's own `_put` does nothing: should a classic-level upgrade drop its override,
   * the level-queue tests that reopen the store and read the samples back fail.)
   */
  append(entries: readonly StoredEntry[], values: readonly string[], lastSeq: number, sync: boolean): Promise<void> {
    const db = this.db;
    if (db === null) return Promise.reject(ioError(this.path, 'append', new Error('database is not open')));
    const batch = db.batch();
    try {
      const raw = batch as unknown as RawPut;
      for (let i = 0; i < entries.length; i++) raw._put(seqKey((entries[i] as StoredEntry).seq), values[i] as string);
      batch.put(META_SEQ_KEY, String(lastSeq));
    } catch (err) {
      const failure = this.failed('append', err);
      return batch.close().catch(() => undefined).then(() => Promise.reject(failure));
    }
    return this.written(entries, batch.write({ sync }));
  }

  private async written(entries: readonly StoredEntry[], write: Promise<void>): Promise<void> {
    await this.io('append', () => write);
    this.tail.added(entries);
  }

  async readAfter(after: number, max: number): Promise<StoredEntry[]> {
    if (this.db !== null) {
      const cached = this.tail.readAfter(after, max);
      if (cached !== undefined) return cached;
    }
    return this.io('read', async (db) => {
      const it = db.iterator({ gt: seqKey(after), lte: LAST_KEY, limit: max, highWaterMarkBytes: ITERATOR_BYTES });
      const out: StoredEntry[] = [];
      try {
        // nextv may stop early at highWaterMarkBytes: only an empty answer means the end.
        for (let rows = await it.nextv(max); rows.length > 0; rows = await it.nextv(max - out.length)) {
          for (const [key, value] of rows) out.push(this.decode(key, value));
          if (out.length >= max) break;
        }
      } finally {
        await it.close();
      }
      return out;
    });
  }

  async removeRange(first: number, last: number): Promise<void> {
    await this.io('delete', (db) => db.clear({ gte: seqKey(first), lte: seqKey(last) }));
    this.tail.removedRange(first, last);
  }

  async removeSeqs(seqs: readonly number[]): Promise<void> {
    await this.io('delete', (db) => db.batch(seqs.map((s) => ({ type: 'del' as const, key: seqKey(s) }))));
    this.tail.removed(seqs);
  }

  async close(checkpoint?: { readonly depth: number; readonly bytes: number }): Promise<void> {
    const db = this.db;
    this.db = null;
    this.tail.disable();
    if (db === null) return;
    if (checkpoint) await db.put(META_CHECKPOINT_KEY, JSON.stringify(checkpoint), { sync: true }).catch(() => undefined);
    await db.close();
  }

  /** Counts what is stored (depth, bytes), finds the oldest entry and the sequence high-water mark. */
  /**
   * After a clean stop the checkpoint gives depth and bytes, and only the head entry is read: a large
   * backlog is neither scanned (seconds) nor paged into memory. The checkpoint is deleted (synced)
   * before anything else happens, so after a crash the next open finds none and scans every entry.
   */
  private async recover(db: Db): Promise<Recovered> {
    const checkpoint = await this.readCheckpoint(db);
    if (checkpoint) {
      await db.del(META_CHECKPOINT_KEY, { sync: true });
      const [first] = await db.iterator({ gte: FIRST_KEY, lte: LAST_KEY, limit: 1 }).all();
      const [last] = await db.keys({ gte: FIRST_KEY, lte: LAST_KEY, limit: 1, reverse: true }).all();
      const head = first ? this.decode(first[0], first[1]) : null;
      const lastSeq = Math.max(await this.readHighWater(db), last === undefined ? 0 : keySeq(last));
      if ((head === null) === (checkpoint.depth === 0)) return { ...checkpoint, head, lastSeq };
    }
    return this.scan(db);
  }

  private async readCheckpoint(db: Db): Promise<{ depth: number; bytes: number } | undefined> {
    const raw = await db.get(META_CHECKPOINT_KEY);
    if (raw === undefined) return undefined;
    let parsed: { depth?: unknown; bytes?: unknown };
    try {
      parsed = JSON.parse(raw) as { depth?: unknown; bytes?: unknown };
    } catch {
      return undefined; // unreadable: scan instead
    }
    const ok = Number.isSafeInteger(parsed.depth) && Number.isSafeInteger(parsed.bytes);
    return ok ? { depth: parsed.depth as number, bytes: parsed.bytes as number } : undefined;
  }

  private async scan(db: Db): Promise<Recovered> {
    let lastSeq = await this.readHighWater(db);
    let depth = 0;
    let bytes = 0;
    let head: StoredEntry | null = null;
    const it = db.iterator({ gte: FIRST_KEY, lte: LAST_KEY, highWaterMarkBytes: ITERATOR_BYTES });
    try {
      for (let rows = await it.nextv(RECOVER_CHUNK); rows.length > 0; rows = await it.nextv(RECOVER_CHUNK)) {
        for (const [key, value] of rows) {
          const entry = this.decode(key, value); // decodes everything: damage shows now, not mid-drain
          head ??= entry;
          depth += 1;
          bytes += entry.size;
          lastSeq = Math.max(lastSeq, entry.seq);
        }
      }
    } finally {
      await it.close();
    }
    return { depth, bytes, head, lastSeq };
  }

  private async readHighWater(db: Db): Promise<number> {
    const raw = await db.get(META_SEQ_KEY);
    if (raw === undefined) return 0;
    const seq = Number(raw);
    if (!Number.isSafeInteger(seq) || seq < 0) throw corruptError(this.path, `sequence mark ${JSON.stringify(raw)}`);
    return seq;
  }

  private decode(key: string, value: string): StoredEntry {
    try {
      const seq = keySeq(key);
      return { seq, sample: withSeq(decodeSample(value), seq), size: entrySize(value) };
    } catch (err) {
      if (err instanceof CodecError) throw corruptError(this.path, `entry ${key}: ${err.message}`, err);
      throw err;
    }
  }

  private async io<T>(operation: string, task: (db: Db) => Promise<T>): Promise<T> {
    if (this.db === null) throw ioError(this.path, operation, new Error('database is not open'));
    try {
      return await task(this.db);
    } catch (err) {
      throw this.failed(operation, err);
    }
  }

  private failed(operation: string, err: unknown): Error {
    this.tail.disable(); // a failed write or delete may or may not have reached the disk
    return isGatewayError(err) ? err : ioError(this.path, operation, err);
  }
}

/** The durable queue in the LevelDB directory `path` (created if missing). */
export class LevelQueue extends StoreQueue {
  constructor(path: string, opts: StoreQueueOptions) {
    super(new LevelStore(path), opts);
  }
}
