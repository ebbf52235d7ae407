/**
 * seq -> size of the samples a queue has handed out and still stores (its in-flight set, a few
 * thousand entries at 10,000 samples/s). An open-addressing table in two typed arrays (linear
 * probing, tombstones for deletes): setting and deleting allocate nothing. A Map here rebuilt its
 * table as the set grew and shrank with every batch, and that garbage lived long enough to be
 * promoted to the old generation (about 1 MB/s at 10,000 samples/s).
 *
 * Sequence numbers are >= 1; 0 marks an empty slot and -1 a deleted one. The queue's pattern (runs
 * of consecutive seqs set, then deleted oldest first) puts each seq in its home slot: every
 * operation is one probe. Slots in use or deleted never pass half the table (it is rebuilt, without
 * the tombstones, and doubled when live entries pass a quarter), so every probe run ends.
 */
import { ERROR_CODES, GatewayError } from '../errors.js';

const MIN_CAPACITY = 1 << 12;
const EMPTY = 0;
const DELETED = -1;

export class SeqSizes {
  private keys: Float64Array = new Float64Array(MIN_CAPACITY);
  private sizes: Float64Array = new Float64Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  private deleted = 0;
  /** The arrays a same-size rebuild moves into (the old ones become the spares): no garbage per rebuild. */
  private spare: { keys: Float64Array; sizes: Float64Array } | undefined;

  get size(): number {
    return this.count;
  }

  has(seq: number): boolean {
    return this.slotOf(seq) >= 0;
  }

  get(seq: number): number | undefined {
    const at = this.slotOf(seq);
    return at < 0 ? undefined : this.sizes[at];
  }

  set(seq: number, size: number): void {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new GatewayError(ERROR_CODES.INTERNAL, `SeqSizes: seq must be a positive integer, got ${seq}`);
    const found = this.slotOf(seq);
    if (found >= 0) {
      this.sizes[found] = size;
      return;
    }
    if ((this.count + this.deleted + 1) * 2 > this.keys.length) this.rebuild((this.count + 1) * 4 > this.keys.length ? this.keys.length * 2 : this.keys.length);
    const at = this.freeSlot(seq);
    if (this.keys[at] === DELETED) this.deleted -= 1;
    this.keys[at] = seq;
    this.sizes[at] = size;
    this.count += 1;
  }

  /** Removes `seq`; returns its size, or undefined when it was not there. */
  delete(seq: number): number | undefined {
    const at = this.slotOf(seq);
    if (at < 0) return undefined;
    this.keys[at] = DELETED;
    this.count -= 1;
    this.deleted += 1;
    return this.sizes[at];
  }

  clear(): void {
    this.spare = undefined;
    if (this.keys.length > MIN_CAPACITY) {
      this.keys = new Float64Array(MIN_CAPACITY);
      this.sizes = new Float64Array(MIN_CAPACITY);
      this.mask = MIN_CAPACITY - 1;
    } else {
      this.keys.fill(EMPTY);
    }
    this.count = 0;
    this.deleted = 0;
  }

  /** ToInt32 keeps the low 32 bits: consecutive seqs get consecutive slots. */
  private home(seq: number): number {
    return seq & this.mask;
  }

  /** The slot holding `seq`, or -1. */
  private slotOf(seq: number): number {
    if (!(seq >= 1)) return -1;
    for (let at = this.home(seq); ; at = (at + 1) & this.mask) {
      const key = this.keys[at];
      if (key === seq) return at;
      if (key === EMPTY) return -1;
    }
  }

  /** Where an absent `seq` goes: the first deleted or empty slot of its probe run. */
  private freeSlot(seq: number): number {
    for (let at = this.home(seq); ; at = (at + 1) & this.mask) {
      const key = this.keys[at];
      if (key === EMPTY || key === DELETED) return at;
    }
  }

  private rebuild(capacity: number): void {
    const keys = this.keys;
    const sizes = this.sizes;
    if (this.spare !== undefined && this.spare.keys.length === capacity) {
      this.keys = this.spare.keys.fill(EMPTY);
      this.sizes = this.spare.sizes;
    } else {
      this.keys = new Float64Array(capacity);
      this.sizes = new Float64Array(capacity);
    }
    this.spare = { keys, sizes };
    this.mask = capacity - 1;
    this.deleted = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] ?? EMPTY;
      if (key === EMPTY || key === DELETED) continue;
      const at = this.freeSlot(key);
      this.keys[at] = key;
      this.sizes[at] = sizes[i] ?? 0;
    }
  }
}
