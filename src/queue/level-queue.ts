/**
 * The durable queue on LevelDB (`level` 10 / classic-level). Format in codec.ts and run-codec.ts:
 * each append is one run (one key, one binary value; a long append several) written in one atomic
 * batch together with the sequence high-water mark; without `sync` it survives a process crash
 * (kill -9), with `sync` also a power loss. Removing some samples of a run records their seqs under
 * the run's removal key; removing the last ones deletes the run. Commits and drops are not fsynced: a power loss can
 * bring a committed sample back (a duplicate with the same seq), never lose an accepted one.
 */
import { Level } from 'level';
import { ERROR_CODES, GatewayError, isGatewayError } from '../errors.js';
import { CodecError, FIRST_KEY, META_CHECKPOINT_KEY, META_SEQ_KEY, REMOVED_END, REMOVED_FIRST, RUN_MAX_SAMPLES, SAMPLES_END, keyRange, lowestKeyFor, removedKey, removedKeyFirst, runKey, seqKey } from './codec.js';
import { corruptError, ioError, openError } from './level-errors.js';
import { addRange, coversAll, decodeRanges, encodeRanges, isRemoved, rangesOf, type Ranges } from './removed-ranges.js';
import { decodeRun, encodeRun } from './run-codec.js';
import type { QueueStore, Recovered, StoredEntry } from './store.js';
import { StoreQueue, type StoreQueueOptions } from './store-queue.js';
import { TailCache } from './tail-cache.js';

type Db = Level<string, string>;

/** classic-level's chained batch, below abstract-level's checks: key and value go to the native batch. */
interface RawPut {
  _put(key: string, value: Uint8Array): void;
}

/** Runs per nextv call while reading from disk; and the iterator's read-ahead budget. */
const RUNS_PER_READ = 64;
const ITERATOR_BYTES = 256 * 1024;
/** Newest entries kept in memory for reads (a few MB; see tail-cache.ts). */
const TAIL_ENTRIES = 16_384;

/** A run touched by a removal: its key, last seq and what will be removed of it. */
interface Touched {
  readonly key: string;
  readonly last: number;
  readonly removed: Ranges;
}

export class LevelStore implements QueueStore {
  private db: Db | null = null;
  private readonly tail = new TailCache(TAIL_ENTRIES);
  /** Runs partly removed: first seq -> the seqs removed (mirrors the removal records on disk). */
  private partial = new Map<number, Ranges>();

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
      throw isGatewayError(err) ? err : this.failed('recovery', err);
    }
  }

  /**
   * A run per RUN_MAX_SAMPLES entries (see startsRun), in a chained batch filled through the store's
   * own `_put` (abstract-level's interface for its implementations), which copies key and value into
   * the native batch at once, so the encoder's reused buffer is free again for the next run. The
   * sequence mark goes through the public `put`, so the batch counts as non-empty and is written. (abstract-level's own `_put` does nothing:
   * should a classic-level upgrade drop its override, the level-queue tests that reopen the store
   * and read the samples back fail.)
   */
  append(entries: readonly StoredEntry[], lastSeq: number, sync: boolean): Promise<void> {
    const db = this.db;
    if (db === null) return Promise.reject(ioError(this.path, 'append', new Error('database is not open')));
    const first = entries[0]?.seq ?? 0;
    const last = entries.at(-1)?.seq ?? -1;
    if (last - first + 1 !== entries.length || entries.length === 0) {
      return Promise.reject(new GatewayError(ERROR_CODES.INTERNAL, `queue: an append must be consecutive seqs, got ${entries.length} from ${first} to ${last}`));
    }
    const batch = db.batch();
    try {
      const raw = batch as unknown as RawPut;
      for (let from = 0; from < entries.length; from += RUN_MAX_SAMPLES) {
        const to = Math.min(from + RUN_MAX_SAMPLES, entries.length);
        raw._put(runKey(first + from, first + to - 1), encodeRun(entries, from, to));
      }
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
    return this.io('read', (db) => this.readStored(db, after, max));
  }

  async removeRange(first: number, last: number): Promise<void> {
    await this.remove([[first, last]]);
    this.tail.removedRange(first, last);
  }

  async removeSeqs(seqs: readonly number[]): Promise<void> {
    await this.remove(rangesOf(seqs));
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

  /** Up to `max` stored samples with seq > `after`, ascending, read from disk. */
  private async readStored(db: Db, after: number, max: number): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    const it = db.iterator<string, Buffer>({ gte: lowestKeyFor(after + 1), lt: SAMPLES_END, valueEncoding: 'buffer', highWaterMarkBytes: ITERATOR_BYTES });
    try {
      // nextv may stop early at highWaterMarkBytes: only an empty answer means the end. Each call
      // asks for about the runs still wanted: more would copy values nobody reads out of LevelDB.
      const runsFor = (wanted: number) => Math.min(RUNS_PER_READ, Math.ceil(wanted / RUN_MAX_SAMPLES) + 1);
      for (let rows = await it.nextv(runsFor(max)); rows.length > 0 && out.length < max; rows = await it.nextv(runsFor(max - out.length))) {
        for (const [key, value] of rows) {
          const [first, last] = this.range(key);
          if (last <= after) continue;
          const removed = this.partial.get(first);
          const keep = first > after && removed === undefined ? undefined : (seq: number) => seq > after && !isRemoved(removed, seq);
          for (const e of this.decode(key, value, keep, max - out.length)) out.push(e);
          if (out.length >= max) break;
        }
      }
    } finally {
      await it.close();
    }
    return out;
  }

  /**
   * Removes the seqs of `ranges` (sorted, disjoint): deletes runs left empty, records the rest, in
   * one batch. The runs come from one read of the keys over the whole span.
   */
  private async remove(ranges: Ranges): Promise<void> {
    const low = ranges[0]?.[0];
    const high = ranges.at(-1)?.[1];
    if (low === undefined || high === undefined) return;
    await this.io('delete', async (db) => {
      const touched = new Map<number, Touched>();
      let r = 0; // the first range that may still meet a run (runs and ranges both ascend)
      for (const key of await db.keys({ gte: lowestKeyFor(low), lt: seqKey(high + 1) }).all()) {
        const [first, last] = this.range(key);
        while (r < ranges.length && (ranges[r]?.[1] ?? 0) < first) r++;
        for (let i = r; i < ranges.length; i++) {
          const [from, to] = ranges[i] ?? [0, -1];
          if (from > last) break;
          const lo = Math.max(first, from);
          const hi = Math.min(last, to);
          if (lo > hi) continue;
          const prior = touched.get(first)?.removed ?? this.partial.get(first) ?? [];
          touched.set(first, { key, last, removed: addRange(prior, lo, hi) });
        }
      }
      if (touched.size === 0) return;
      const batch = db.batch();
      for (const [first, t] of touched) {
        if (!coversAll(t.removed, first, t.last)) batch.put(removedKey(first), encodeRanges(t.removed));
        else {
          batch.del(t.key);
          if (this.partial.has(first)) batch.del(removedKey(first));
        }
      }
      await batch.write();
      for (const [first, t] of touched) {
        if (coversAll(t.removed, first, t.last)) this.partial.delete(first);
        else this.partial.set(first, t.removed);
      }
    });
  }

  /**
   * Counts what is stored (depth, bytes), finds the oldest sample and the sequence high-water mark.
   * After a clean stop the checkpoint gives depth and bytes, and only the head is read: a large
   * backlog is neither scanned (seconds) nor paged into memory. The checkpoint is deleted (synced)
   * before anything else happens, so after a crash the next open finds none and scans every run.
   */
  private async recover(db: Db): Promise<Recovered> {
    this.partial = await this.readRemovals(db);
    const checkpoint = await this.readCheckpoint(db);
    if (checkpoint) {
      await db.del(META_CHECKPOINT_KEY, { sync: true });
      const head = (await this.readStored(db, 0, 1))[0] ?? null;
      const [last] = await db.keys({ gte: FIRST_KEY, lt: SAMPLES_END, limit: 1, reverse: true }).all();
      const lastSeq = Math.max(await this.readHighWater(db), last === undefined ? 0 : this.range(last)[1]);
      if ((head === null) === (checkpoint.depth === 0)) return { ...checkpoint, head, lastSeq };
    }
    return this.scan(db);
  }

  private async readRemovals(db: Db): Promise<Map<number, Ranges>> {
    const out = new Map<number, Ranges>();
    for (const [key, value] of await db.iterator({ gte: REMOVED_FIRST, lt: REMOVED_END }).all()) {
      try {
        out.set(removedKeyFirst(key), decodeRanges(value));
      } catch (err) {
        throw this.failed('recovery', err instanceof CodecError ? new CodecError(`entry ${key}: ${err.message}`) : err);
      }
    }
    return out;
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

  /** Decodes every run (damage shows now, not mid-drain); runs must not overlap. */
  private async scan(db: Db): Promise<Recovered> {
    let lastSeq = await this.readHighWater(db);
    let depth = 0;
    let bytes = 0;
    let head: StoredEntry | null = null;
    let previous = 0;
    const it = db.iterator<string, Buffer>({ gte: FIRST_KEY, lt: SAMPLES_END, valueEncoding: 'buffer', highWaterMarkBytes: ITERATOR_BYTES });
    try {
      for (let rows = await it.nextv(RUNS_PER_READ); rows.length > 0; rows = await it.nextv(RUNS_PER_READ)) {
        for (const [key, value] of rows) {
          const [first, last] = this.range(key);
          if (first <= previous) throw corruptError(this.path, `entry ${key} overlaps the one before it`);
          previous = last;
          const removed = this.partial.get(first);
          for (const entry of this.decode(key, value)) {
            if (isRemoved(removed, entry.seq)) continue;
            head ??= entry;
            depth += 1;
            bytes += entry.size;
          }
          lastSeq = Math.max(lastSeq, last);
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

  private range(key: string): readonly [number, number] {
    try {
      return keyRange(key);
    } catch (err) {
      throw this.corrupt(key, err);
    }
  }

  private decode(key: string, value: Buffer, keep?: (seq: number) => boolean, limit?: number): StoredEntry[] {
    const [first, last] = this.range(key);
    try {
      return decodeRun(value, first, last, keep, limit);
    } catch (err) {
      throw this.corrupt(key, err);
    }
  }

  private corrupt(key: string, err: unknown): unknown {
    return err instanceof CodecError ? corruptError(this.path, `entry ${key}: ${err.message}`, err) : err;
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
    if (isGatewayError(err)) return err;
    return err instanceof CodecError ? corruptError(this.path, err.message, err) : ioError(this.path, operation, err);
  }
}

/** The durable queue in the LevelDB directory `path` (created if missing). */
export class LevelQueue extends StoreQueue {
  constructor(path: string, opts: StoreQueueOptions) {
    super(new LevelStore(path), opts);
  }
}
