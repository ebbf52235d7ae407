/**
 * The queue logic shared by MemoryQueue and LevelQueue: the DurableQueue contract (types.ts) over a
 * QueueStore. Every operation runs through one mutex, and counters change only after the store
 * call succeeded, so a failed write (QUEUE_IO) leaves the queue consistent and usable.
 *
 * Hand-out rule. `cursor` is the seq of the last sample handed out; `begin` reads after it.
 * - `reject(b)` moves the cursor back to just before b's first sample (never forward). Everything
 *   after that point goes out again in seq order, samples of batches still open included: those
 *   go out twice with the same seq (at-least-once), but nothing is skipped. Other open batches stay
 *   open; whichever copy is committed first removes the samples, the other commit is then a no-op.
 * - `rejectAll` does the same for every open batch.
 * - `commit(b)` deletes the samples of b that are still stored (some may have gone to drop-oldest,
 *   max-age or a commit of another copy) and counts only those as delivered. Idempotent.
 * - After `start` the cursor sits before the oldest stored sample: nothing uncommitted is skipped.
 * - Live lane (`beginLive(max, from)`): a second cursor, `liveCursor`, hands out seqs >= `liveFrom`;
 *   the backlog cursor then never passes `liveFrom - 1`. A reject moves back the cursor of the lane
 *   the batch's first seq belongs to now. A new `from` restarts the lane (liveCursor = from - 1):
 *   whatever lies between the old and the new start is backlog again.
 *
 * Limits. drop-oldest deletes from the oldest sample on (open batches' samples included) until the
 * new batch fits; reject-new accepts the longest prefix that fits. Either way bytes stay within
 * max(maxBytes, one append batch). With maxAgeMs > 0, expired samples at the head are dropped on
 * every append and begin, and expired samples further on are dropped when `begin` reaches them.
 *
 * Storage faults (a full disk, a read-only remount). After a failed fsync LevelDB refuses every
 * write until reopened, and a failed log write leaves a torn record in its log. So after a QUEUE_IO
 * failure the next operation first closes and reopens the store (recovery starts a fresh log) and
 * takes depth, bytes, head and seq from what is really stored; open batches are forgotten
 * (their samples go out again, same seq). While the disk stays full the reopen fails and the
 * operation reports QUEUE_IO; once space is back the queue carries on without a restart.
 */
import { ERROR_CODES, GatewayError, isGatewayError } from '../errors.js';
import type { QueuedSample, Sample } from '../model/sample.js';
import { encodeEntries, fittingPrefix, sizeOf, takeWhile, type Doom } from './entries.js';
import { Mutex } from '../util/mutex.js';
import { SeqSizes } from './seq-sizes.js';
import type { QueueStore, Recovered, StoredEntry } from './store.js';
import type { Batch, DropReason, DurableQueue, QueueOptions, QueueStats } from './types.js';

/** Entries read per step when dropping from the head. */
const DROP_CHUNK = 512;

export interface StoreQueueOptions extends QueueOptions {
  /** Clock for sample ages, ms since the epoch (Date.now by default; tests pass their own). */
  readonly now?: () => number;
}

export class StoreQueue implements DurableQueue {
  private readonly mutex = new Mutex();
  private state: 'stopped' | 'open' | 'stopping' = 'stopped';
  /** A store call failed with QUEUE_IO: reopen the store before the next operation. */
  private faulted = false;
  private depth = 0;
  private bytes = 0;
  private head: StoredEntry | null = null;
  private nextSeq = 1;
  private cursor = 0;
  /** Live lane: first seq and hand-out position; Infinity = no live lane (begin reads to the end). */
  private liveFrom = Number.POSITIVE_INFINITY;
  private liveCursor = 0;
  private lastBatchId = 0;
  /** Open batches: id -> seq of their first sample. */
  private readonly openBatches = new Map<number, number>();
  /** Samples handed out since start and still stored: seq -> size. Bounded by the in-flight window. */
  private readonly handed = new SeqSizes();
  private added = 0;
  private delivered = 0;
  private dropped: Record<DropReason, number> = zeroDrops();

  constructor(
    private readonly store: QueueStore,
    private readonly opts: StoreQueueOptions,
  ) {}

  start(): Promise<void> {
    return this.mutex.run(async () => {
      if (this.state === 'open') return;
      this.restore(await this.store.open());
      this.added = 0;
      this.delivered = 0;
      this.dropped = zeroDrops();
      this.faulted = false;
      this.state = 'open';
    });
  }

  /** Lets operations already called finish, then closes the store. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'open') this.state = 'stopping';
    await this.mutex.run(async () => {
      if (this.state === 'stopped') return;
      this.state = 'stopped';
      await this.store.close(this.faulted ? undefined : { depth: this.depth, bytes: this.bytes });
    });
  }

  append(samples: readonly Sample[]): Promise<QueuedSample[]> {
    return this.locked(() => this.appendLocked(samples));
  }

  begin(max: number): Promise<Batch | null> {
    if (!Number.isInteger(max) || max < 1) return Promise.reject(badMax(max));
    return this.locked(async () => {
      const { items, after } = await this.take(this.cursor, this.liveFrom, max);
      this.cursor = after;
      return items.length === 0 ? null : this.openBatch(items);
    });
  }

  beginLive(max: number, fromSeq: number): Promise<Batch | null> {
    if (!Number.isInteger(max) || max < 0) return Promise.reject(badMax(max));
    return this.locked(async () => {
      if (fromSeq !== this.liveFrom) {
        this.liveFrom = fromSeq;
        this.liveCursor = Math.max(fromSeq - 1, this.cursor); // what the backlog lane handed out stays out
        this.cursor = Math.min(this.cursor, fromSeq - 1);
      }
      if (max === 0) return null; // only opens (or moves) the lane
      const { items, after } = await this.take(this.liveCursor, Number.POSITIVE_INFINITY, max);
      this.liveCursor = after;
      return items.length === 0 ? null : this.openBatch(items);
    });
  }

  commit(batch: Batch): Promise<void> {
    return this.locked(() => this.commitLocked(batch));
  }

  reject(batch: Batch): Promise<void> {
    return this.locked(async () => {
      const first = this.openBatches.get(batch.id);
      if (first === undefined) return; // committed, rejected already, or not ours
      this.openBatches.delete(batch.id);
      this.rewind(first);
    });
  }

  rejectAll(): Promise<void> {
    return this.locked(async () => {
      for (const first of this.openBatches.values()) this.rewind(first);
      this.openBatches.clear();
    });
  }

  stats(): QueueStats {
    if (this.state !== 'open') throw closedError();
    return {
      depth: this.depth,
      bytes: this.bytes,
      oldestAgeMs: this.head === null ? 0 : Math.max(0, this.now() - this.head.sample.ts),
      added: this.added,
      delivered: this.delivered,
      dropped: { ...this.dropped },
      nextSeq: this.nextSeq,
    };
  }

  private locked<T>(task: () => Promise<T>): Promise<T> {
    if (this.state !== 'open') return Promise.reject(closedError());
    return this.mutex.run(async () => {
      if (this.faulted) await this.reopen();
      try {
        return await task();
      } catch (err) {
        if (isGatewayError(err) && err.code === ERROR_CODES.QUEUE_IO) this.faulted = true;
        throw err;
      }
    });
  }

  /** Reopens the store after a storage fault; throws (and stays faulted) while that fails. */
  private async reopen(): Promise<void> {
    await this.store.close();
    const recovered = await this.store.open();
    // A failed write may still have reached the disk: what is stored is the truth; seqs never go back.
    this.restore({ ...recovered, lastSeq: Math.max(recovered.lastSeq, this.nextSeq - 1) });
    this.faulted = false;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private restore(r: Recovered): void {
    this.depth = r.depth;
    this.bytes = r.bytes;
    this.head = r.head;
    this.nextSeq = r.lastSeq + 1;
    this.cursor = r.head === null ? r.lastSeq : r.head.seq - 1;
    this.liveFrom = Number.POSITIVE_INFINITY;
    this.liveCursor = 0;
    this.openBatches.clear();
    this.handed.clear();
  }

  private async appendLocked(samples: readonly Sample[]): Promise<QueuedSample[]> {
    if (samples.length === 0) return [];
    await this.expireHead(this.now());
    const entries = await this.makeRoom(encodeEntries(samples, this.nextSeq));
    const last = entries.at(-1);
    if (last === undefined) return [];
    await this.store.append(entries, last.seq, this.opts.sync);
    this.nextSeq = last.seq + 1;
    this.depth += entries.length;
    this.bytes += sizeOf(entries);
    this.added += entries.length;
    this.head ??= entries[0] ?? null;
    return entries.map((e) => e.sample);
  }

  /** Applies the overflow policy; returns the entries to write. */
  private async makeRoom(entries: StoredEntry[]): Promise<StoredEntry[]> {
    const { maxBytes, overflow } = this.opts;
    const incoming = sizeOf(entries);
    if (this.bytes + incoming <= maxBytes) return entries;
    switch (overflow) {
      case 'reject-new': {
        const fit = fittingPrefix(entries, maxBytes - this.bytes);
        this.dropped['reject-new'] += entries.length - fit;
        return entries.slice(0, fit);
      }
      case 'drop-oldest':
        await this.dropHead('max-bytes', (_e, freed) => this.bytes - freed + incoming > maxBytes);
        return entries;
    }
  }

  private async expireHead(now: number): Promise<void> {
    if (this.opts.maxAgeMs <= 0) return;
    const cutoff = now - this.opts.maxAgeMs;
    await this.dropHead('max-age', (e) => e.sample.ts < cutoff);
  }

  /** Drops entries from the oldest on while `doom` holds for them. */
  private async dropHead(reason: DropReason, doom: Doom): Promise<void> {
    while (this.head !== null && doom(this.head, 0)) {
      const chunk = await this.store.readAfter(this.head.seq - 1, DROP_CHUNK);
      const doomed = takeWhile(chunk, doom);
      const first = doomed[0];
      const last = doomed.at(-1);
      if (first === undefined || last === undefined) {
        this.head = chunk[0] ?? null; // head was stale; look again from the real one
        continue;
      }
      await this.store.removeRange(first.seq, last.seq);
      this.forget(doomed, reason);
      this.head = chunk[doomed.length] ?? (await this.firstAfter(last.seq));
    }
  }

  /** Moves back the hand-out position of the lane `first` belongs to, to just before it. */
  private rewind(first: number): void {
    if (first >= this.liveFrom) this.liveCursor = Math.min(this.liveCursor, first - 1);
    else this.cursor = Math.min(this.cursor, first - 1);
  }

  /**
   * Reads up to `max` entries with `from` < seq < `bound`. Returns them and the new position; the
   * caller moves its cursor only once the whole batch is read, so a failed read skips nothing.
   */
  private async take(from: number, bound: number, max: number): Promise<{ items: StoredEntry[]; after: number }> {
    const now = this.now();
    await this.expireHead(now);
    let items: StoredEntry[] = [];
    let after = from;
    while (items.length < max) {
      const want = max - items.length;
      const read = await this.store.readAfter(after, want);
      const chunk = (read.at(-1)?.seq ?? 0) < bound ? read : read.filter((e) => e.seq < bound);
      const last = chunk.at(-1);
      if (last === undefined) break;
      const fresh = await this.withoutExpired(chunk, now);
      if (items.length === 0) items = fresh;
      else items.push(...fresh);
      after = last.seq;
      if (read.length < want || chunk.length < read.length) break;
    }
    return { items, after };
  }

  /** Drops (max-age) the expired entries of a chunk about to be handed out; returns the rest. */
  private async withoutExpired(chunk: StoredEntry[], now: number): Promise<StoredEntry[]> {
    if (this.opts.maxAgeMs <= 0) return chunk;
    const cutoff = now - this.opts.maxAgeMs;
    const stale = chunk.filter((e) => e.sample.ts < cutoff);
    if (stale.length === 0) return chunk;
    await this.store.removeSeqs(stale.map((e) => e.seq));
    this.forget(stale, 'max-age'); // never the head: expireHead ran with the same `now`
    return chunk.filter((e) => e.sample.ts >= cutoff);
  }

  private openBatch(items: StoredEntry[]): Batch {
    const id = ++this.lastBatchId;
    this.openBatches.set(id, items[0]?.seq ?? this.cursor);
    for (let i = 0; i < items.length; i++) this.handed.set((items[i] as StoredEntry).seq, (items[i] as StoredEntry).size);
    return { id, items: items.map((e) => e.sample) };
  }

  private async commitLocked(batch: Batch): Promise<void> {
    const seqs = this.stillHanded(batch);
    const first = seqs[0];
    const last = seqs.at(-1);
    if (first !== undefined && last !== undefined) {
      // A run of consecutive seqs holds no other key: a range delete is exact (and faster on level).
      if (last - first + 1 === seqs.length) await this.store.removeRange(first, last);
      else await this.store.removeSeqs(seqs);
      for (let i = 0; i < seqs.length; i++) this.bytes -= this.handed.delete(seqs[i] as number) ?? 0;
      this.depth -= seqs.length;
      this.delivered += seqs.length;
      await this.refreshHeadIfRemoved(seqs);
    }
    this.openBatches.delete(batch.id);
  }

  /** Seqs of `batch` still handed out and stored, ascending (a batch from `take` already is). */
  private stillHanded(batch: Batch): number[] {
    const seqs: number[] = [];
    let ordered = true;
    const items = batch.items;
    for (let i = 0; i < items.length; i++) {
      const seq = (items[i] as QueuedSample).seq;
      if (!this.handed.has(seq)) continue;
      if (seqs.length > 0 && seq <= (seqs.at(-1) ?? 0)) ordered = false;
      seqs.push(seq);
    }
    return ordered ? seqs : [...new Set(seqs)].sort((a, b) => a - b);
  }

  private forget(entries: readonly StoredEntry[], reason: DropReason): void {
    for (const e of entries) this.handed.delete(e.seq);
    this.depth -= entries.length;
    this.bytes -= sizeOf(entries);
    this.dropped[reason] += entries.length;
  }

  private async refreshHeadIfRemoved(removed: readonly number[]): Promise<void> {
    if (this.head !== null && removed.includes(this.head.seq)) this.head = await this.firstAfter(this.head.seq);
  }

  private async firstAfter(seq: number): Promise<StoredEntry | null> {
    return (await this.store.readAfter(seq, 1))[0] ?? null;
  }
}

function zeroDrops(): Record<DropReason, number> {
  return { 'max-bytes': 0, 'max-age': 0, 'reject-new': 0 };
}

function badMax(max: number): GatewayError {
  return new GatewayError(ERROR_CODES.INTERNAL, `queue.begin(max): max must be a positive integer, got ${max}`);
}

function closedError(): GatewayError {
  return new GatewayError(ERROR_CODES.QUEUE_CLOSED, 'the queue is stopped (or was never started)');
}
